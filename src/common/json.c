/* json.c — parsing untrusted JSON bodies. */
#include "common/json.h"

#include <stdio.h>
#include <string.h>

/* Deepest nesting of arrays and objects in text, stopping as soon as it
 * passes limit. Brackets inside strings do not count (escapes are
 * skipped). Measured on the bytes before parsing so that nesting past
 * jansson's own limit (2048, an error of its own) is still "too_deep",
 * and a deep body costs one pass rather than a tree. */
static int nesting(const char *s, size_t len, int limit) {
    int d = 0, max = 0;
    bool in_str = false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = false;
        } else if (c == '"') {
            in_str = true;
        } else if (c == '[' || c == '{') {
            if (++d > max && (max = d) > limit)
                break;
        } else if ((c == ']' || c == '}') && d > 0) {
            d--;
        }
    }
    return max;
}

/* jansson's messages quote the input ("invalid Unicode '\uD800'",
 * "unable to decode byte 0xe9 near …") or name its own flags
 * ("… without JSON_ALLOW_NUL"); the body may hold a password. So the
 * detail is chosen from the error's code, never copied from its text. */
static const char *parse_error_text(const json_error_t *je) {
    switch (json_error_code(je)) {
    case json_error_invalid_utf8:
        return "invalid UTF-8";
    case json_error_premature_end_of_input:
        return "the body ends in the middle of a value";
    case json_error_end_of_input_expected:
        return "text after the JSON value";
    case json_error_null_character:
    case json_error_null_byte_in_key:
        return "\\u0000 is not allowed in strings";
    case json_error_duplicate_key:
        return "duplicate object key";
    case json_error_numeric_overflow:
        return "number out of range";
    case json_error_stack_overflow:
        return "nested too deep";
    case json_error_out_of_memory:
        return "out of memory";
    default:
        return "invalid syntax";
    }
}

td_status td_json_parse(const char *body, size_t len, int max_depth, json_t **out,
                        td_json_error_t *err) {
    *out = NULL;
    if (!body || len == 0) {
        err->code = "empty_body";
        snprintf(err->message, sizeof(err->message), "a JSON object is required");
        return TD_E_INVALID;
    }
    if (nesting(body, len, max_depth) > max_depth) {
        err->code = "too_deep";
        snprintf(err->message, sizeof(err->message), "JSON nested deeper than %d levels",
                 max_depth);
        return TD_E_INVALID;
    }
    json_error_t je;
    json_t *v = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
    if (!v) {
        err->code = "malformed_json";
        snprintf(err->message, sizeof(err->message), "malformed JSON at line %d column %d: %s",
                 je.line, je.column, parse_error_text(&je));
        return TD_E_INVALID;
    }
    if (!json_is_object(v)) {
        err->code = "not_an_object";
        snprintf(err->message, sizeof(err->message), "the body must be a JSON object");
        json_decref(v);
        return TD_E_INVALID;
    }
    *out = v;
    return TD_OK;
}
