/* json.c — parsing untrusted JSON bodies. */
#include "common/json.h"

#include <stdio.h>
#include <string.h>

/* Depth of v, counting containers; stops early past limit. */
static int depth(json_t *v, int limit) {
    if (limit < 0)
        return 1;
    int max = 0;
    if (json_is_object(v)) {
        const char *k;
        json_t *c;
        json_object_foreach(v, k, c) {
            int d = depth(c, limit - 1);
            if (d > max)
                max = d;
        }
        return max + 1;
    }
    if (json_is_array(v)) {
        size_t i;
        json_t *c;
        json_array_foreach(v, i, c) {
            int d = depth(c, limit - 1);
            if (d > max)
                max = d;
        }
        return max + 1;
    }
    return 0;
}

td_status td_json_parse(const char *body, size_t len, int max_depth, json_t **out,
                        td_json_error_t *err) {
    *out = NULL;
    if (!body || len == 0) {
        err->code = "empty_body";
        snprintf(err->message, sizeof(err->message), "a JSON object is required");
        return TD_E_INVALID;
    }
    json_error_t je;
    json_t *v = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
    if (!v) {
        err->code = "malformed_json";
        /* jansson's text names the problem and then quotes the input
         * ("… near 'secret'"): keep only the part before the quote, since
         * the body may hold a password. */
        char *near = strstr(je.text, " near ");
        if (near)
            *near = '\0';
        snprintf(err->message, sizeof(err->message), "malformed JSON at line %d column %d: %.80s",
                 je.line, je.column, je.text);
        return TD_E_INVALID;
    }
    if (!json_is_object(v)) {
        err->code = "not_an_object";
        snprintf(err->message, sizeof(err->message), "the body must be a JSON object");
        json_decref(v);
        return TD_E_INVALID;
    }
    if (depth(v, max_depth) > max_depth) {
        err->code = "too_deep";
        snprintf(err->message, sizeof(err->message), "JSON nested deeper than %d levels",
                 max_depth);
        json_decref(v);
        return TD_E_INVALID;
    }
    *out = v;
    return TD_OK;
}
