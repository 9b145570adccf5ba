/* test_jscan.c — the one-pass JSON reader (src/common/jscan.c) judged
 * against jansson, called as td_json_parse calls it: every text the
 * reader takes jansson takes with the same value, every text jansson
 * refuses the reader refuses, and a value the reader calls canonical is
 * byte for byte jansson's compact dump. Hand-picked edge cases first, then
 * a deterministic mutation loop over them (a fuzz target without the
 * fuzzer). No database: the same on both backends. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/jscan.h"

#define DEPTH 64

/* jansson's verdict on text as a whole: the value or NULL. */
static json_t *jansson(const char *text, size_t len) {
    return json_loadb(text, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
}

/* The reader's verdict on "[" text "]" (so a number has a follower):
 * 1 taken, 0 refused; *canonical for the element. */
static int reader(const char *text, size_t len, int *canonical) {
    char *w = malloc(len + 2);
    memcpy(w + 1, text, len);
    w[0] = '[';
    w[len + 1] = ']';
    td_jscan_t s;
    const char *start;
    td_jscan_init(&s, w, len + 2);
    s.p++;
    int ok = !td_jscan_value(&s, DEPTH, &start, canonical) && td_jscan_eat(&s, ']') &&
             td_jscan_at_end(&s);
    free(w);
    return ok;
}

/* Asserts the reader and jansson agree on text (len bytes). */
static void agree(const char *text, size_t len) {
    char *w = malloc(len + 2);
    memcpy(w + 1, text, len);
    w[0] = '[';
    w[len + 1] = ']';
    json_error_t je;
    json_t *j = json_loadb(w, len + 2, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
    free(w);
    if (j && json_array_size(j) != 1) { /* "1,2" or "": not one value */
        json_decref(j);
        j = NULL;
        snprintf(je.text, sizeof(je.text), "not one value");
    }
    int canon = 0, ok = reader(text, len, &canon);
    /* the one refusal left to jansson: duplicates among keys the reader
     * did not compare (escaped, or past the first 16), never canonical */
    int left = ok && !canon && !j && strstr(je.text, "duplicate object key");
    if (ok != (j != NULL) && !left)
        fail_msg("reader %s, jansson %s: [%.*s]", ok ? "takes" : "refuses",
                 j ? "takes" : "refuses", (int)len, text);
    if (ok && canon) {
        char *dump = json_dumps(json_array_get(j, 0), JSON_COMPACT | JSON_ENCODE_ANY);
        size_t dl = strlen(dump);
        const char *t = text;
        while (len && (*t == ' ' || *t == '\n' || *t == '\t' || *t == '\r'))
            t++, len--;
        while (len && (t[len - 1] == ' ' || t[len - 1] == '\n' || t[len - 1] == '\t' ||
                       t[len - 1] == '\r'))
            len--;
        if (dl != len || memcmp(dump, t, len))
            fail_msg("canonical but jansson writes %s for %.*s", dump, (int)len, t);
        free(dump);
    }
    json_decref(j);
}

static const char *const cases[] = {
    "0", "-0", "1", "-1", "01", "-", "1.", ".5", "1.5", "1e5", "1E+5", "1e-5", "1e", "1e+",
    "-0.0", "0.1", "1e400", "-1e400", "1e-400", "9223372036854775807",
    "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
    "123456789012345678901234567890", "1x", "0x10", "+1", "Infinity", "NaN",
    "true", "false", "null", "tru", "nul", "truex", "True",
    "\"\"", "\"a\"", "\"\\\"\"", "\"\\\\\"", "\"\\/\"", "\"\\b\\f\\n\\r\\t\"", "\"\\u00e9\"",
    "\"\\u00E9\"", "\"\\ud83d\\ude00\"", "\"\\uD83D\\uDE00\"", "\"\\ud83d\"", "\"\\ude00\"",
    "\"\\ud83d\\u0041\"", "\"\\u0000\"", "\"\\u001f\"", "\"\\x41\"", "\"\\u12\"", "\"\\uZZZZ\"",
    "\"a\nb\"", "\"a\tb\"", "\"\x7f\"", "\"\xc3\xa9\"", "\"\xc3\"", "\"\xc0\x80\"",
    "\"\xe0\x80\x80\"", "\"\xed\xa0\x80\"", "\"\xf4\x90\x80\x80\"", "\"\xf0\x9f\x98\x80\"",
    "\"\xff\"", "\"\x80\"", "\"unterminated", "\"/x\"",
    "{}", "[]", "{ }", "[ ]", "{\"a\":1}", "{\"a\" : 1}", "{\"a\":1,}", "[1,]", "[,1]",
    "{\"a\":1,\"a\":2}", "{\"a\":1,\"b\":{\"a\":2}}", "{\"a\":{\"b\":1,\"b\":2}}",
    "{\"\\u0061\":1,\"a\":2}", "{\"a\\u0000\":1}", "{\"k\":\"\\u00e9\"}", "{1:2}", "{\"a\"}",
    "{\"a\":}", "[1 2]", "[[[[[]]]]]", "{\"a\":[1,{\"b\":null}],\"c\":true}",
    "{\"a\":1.0}", "{\"b\":1,\"a\":2}", "{\"p\":\"/x\"}", "[1,2,3]", "[\"a\", \"b\"]",
    "{\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5,\"f\":6,\"g\":7,\"h\":8,\"i\":9,\"j\":10,"
    "\"k\":11,\"l\":12,\"m\":13,\"n\":14,\"o\":15,\"p\":16,\"q\":17,\"a\":18}",
    "{\"a\":1} x", "1 2", "", "   ", "\xef\xbb\xbf{}",
};

static void test_jscan_agrees_with_jansson(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        agree(cases[i], strlen(cases[i]));
    /* a NUL byte inside and outside a string */
    agree("\"a\0b\"", 5);
    agree("[1,\0]", 5);
}

/* Strings: the decoded bytes are jansson's. */
static void test_jscan_unescape_is_jansson_value(void **state) {
    (void)state;
    static const char *const strs[] = {
        "\"plain\"", "\"q\\\"q\"", "\"b\\\\s\"", "\"\\/\"", "\"\\b\\f\\n\\r\\t\"",
        "\"caf\\u00e9\"", "\"\\u20ac\"", "\"\\ud83d\\ude00!\"", "\"raw \xc3\xa9 \xe2\x82\xac\"",
        "\"\\u007f\\u0080\\u07ff\\u0800\\uffff\"", "\"\\udbff\\udfff\"",
    };
    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
        td_jscan_t s;
        td_jstr_t str;
        td_jscan_init(&s, strs[i], strlen(strs[i]));
        assert_int_equal(td_jscan_string(&s, &str), 0);
        char out[64];
        size_t n = td_jscan_unescape(&str, out);
        assert_true(n <= str.len);
        json_t *j = jansson(strs[i], strlen(strs[i]));
        assert_non_null(j);
        assert_int_equal(n, json_string_length(j));
        assert_memory_equal(out, json_string_value(j), n);
        json_decref(j);
    }
}

/* Numbers: the value is json_number_value's, integers told apart. */
static void test_jscan_number_is_jansson_value(void **state) {
    (void)state;
    static const char *const nums[] = {"0", "-0", "7", "-12", "1.5", "1e2", "-2.5E-3",
                                       "0.1", "123456789012345", "9007199254740993",
                                       "-9223372036854775808", "1e-400", "4.9e-324"};
    for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
        char text[64];
        snprintf(text, sizeof(text), "%s,", nums[i]);
        td_jscan_t s;
        const char *tok;
        size_t len;
        int is_int;
        double d;
        td_jscan_init(&s, text, strlen(text));
        assert_int_equal(td_jscan_number(&s, &tok, &len, &is_int, &d), 0);
        assert_int_equal(len, strlen(nums[i]));
        json_t *j = jansson(nums[i], strlen(nums[i]));
        assert_non_null(j);
        assert_int_equal(is_int, json_is_integer(j));
        assert_true(d == json_number_value(j));
        json_decref(j);
    }
}

/* Random edits of the cases (fixed seed: the same run every time): the
 * reader and jansson still agree on every one. */
static void test_jscan_mutations_agree(void **state) {
    (void)state;
    static const char alphabet[] = "{}[]\",:\\/0123456789.-+eEtrufalsn u\x01\x7f\xc3\xa9\xed\xf0";
    uint64_t x = 0x9E3779B97F4A7C15ULL;
    char buf[512];
    size_t ncases = sizeof(cases) / sizeof(cases[0]);
    for (int it = 0; it < 200000; it++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        const char *base = cases[x % ncases];
        size_t len = strlen(base);
        if (x >> 40 & 1) { /* two cases joined inside an object or array */
            const char *b2 = cases[(x >> 20) % ncases];
            len = (size_t)snprintf(buf, sizeof(buf), (x >> 41 & 1) ? "[%s,%s]" : "{\"k\":%s,\"l\":%s}",
                                   base, b2);
        } else {
            memcpy(buf, base, len);
        }
        for (int m = 0; m < 1 + (int)(x >> 50 & 3) && len < sizeof(buf) - 1; m++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            size_t at = len ? x % (len + 1) : 0;
            char c = alphabet[(x >> 32) % (sizeof(alphabet) - 1)];
            switch (x >> 60 & 3) {
            case 0: /* insert */
                memmove(buf + at + 1, buf + at, len - at);
                buf[at] = c;
                len++;
                break;
            case 1: /* delete */
                if (at < len) {
                    memmove(buf + at, buf + at + 1, len - at - 1);
                    len--;
                }
                break;
            default: /* replace */
                if (at < len)
                    buf[at] = c;
                break;
            }
        }
        agree(buf, len);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jscan_agrees_with_jansson),
        cmocka_unit_test(test_jscan_unescape_is_jansson_value),
        cmocka_unit_test(test_jscan_number_is_jansson_value),
        cmocka_unit_test(test_jscan_mutations_agree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
