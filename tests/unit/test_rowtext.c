/* test_rowtext.c — a list's rows written as JSON text (services/rowtext.c)
 * are byte for byte what jansson's compact dump of the row's object
 * (td_eng_row_json, what lists answered before) gives, for every field
 * type and the awkward values: quotes, backslashes, every control
 * character, multi-byte UTF-8, text longer than the escaper's chunk,
 * reals at the edges of "%.17g", integral reals, json text that does and
 * does not parse. A real SQLite database (a file in a mkdtemp folder)
 * holds the rows; both backends read columns through the same td_db_*
 * calls, so the test does not depend on TD_TEST_BACKEND. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "services/engine_int.h"
#include "services/rowtext.h"

static td_field_t F[] = {
    {.name = "id", .type = TD_F_TEXT},      {.name = "t", .type = TD_F_TEXT},
    {.name = "i", .type = TD_F_INTEGER},    {.name = "n", .type = TD_F_NUMBER},
    {.name = "b", .type = TD_F_BOOLEAN},    {.name = "j", .type = TD_F_JSON},
    {.name = "at", .type = TD_F_TIMESTAMP},
};
static const td_resource_t R = {.service = "main", .name = "things", .table = "things",
                                .fields = F, .nfields = sizeof(F) / sizeof(F[0])};

static struct {
    char dir[64], path[128];
    td_db_t *db;
} E;

static int setup(void **state) {
    (void)state;
    char err[256];
    snprintf(E.dir, sizeof(E.dir), "/tmp/tdrowtext.XXXXXX");
    if (!mkdtemp(E.dir))
        return -1;
    snprintf(E.path, sizeof(E.path), "%s/t.db", E.dir);
    if (td_db_open(E.path, 0, &E.db, err, sizeof(err)))
        return -1;
    return td_db_exec(E.db, "CREATE TABLE things (id TEXT, t TEXT, i INTEGER, n REAL, b INTEGER, "
                            "j TEXT, at TEXT)")
               ? -1
               : 0;
}

static int teardown(void **state) {
    (void)state;
    td_db_close(E.db);
    unlink(E.path);
    rmdir(E.dir);
    return 0;
}

/* Inserts one row: text values as given (NULL = SQL null), numbers bound
 * by type. */
static void insert(const char *id, const char *t, const int64_t *i, const double *n,
                   const int64_t *b, const char *j) {
    td_stmt_t *st = NULL;
    assert_int_equal(td_db_prepare(E.db, "INSERT INTO things VALUES (?, ?, ?, ?, ?, ?, "
                                         "'2026-11-01T10:00:00.000Z')",
                                   &st),
                     TD_OK);
    td_db_bind_text(st, 1, id);
    t ? td_db_bind_text(st, 2, t) : td_db_bind_null(st, 2);
    i ? td_db_bind_int64(st, 3, *i) : td_db_bind_null(st, 3);
    if (n) {
        char s[64];
        snprintf(s, sizeof(s), "%.17g", *n);
        td_db_bind_text(st, 4, s); /* REAL affinity makes it a double */
    } else
        td_db_bind_null(st, 4);
    b ? td_db_bind_int64(st, 5, *b) : td_db_bind_null(st, 5);
    j ? td_db_bind_text(st, 6, j) : td_db_bind_null(st, 6);
    assert_int_equal(td_db_step(st), TD_DB_DONE);
    td_db_finalize(st);
}

/* Every row, every field and a projection: rowtext == jansson. Returns
 * the rows compared. */
static int compare_all(void) {
    td_stmt_t *st = NULL;
    assert_int_equal(td_db_prepare(E.db, "SELECT id, t, i, n, b, j, at FROM things ORDER BY id",
                                   &st),
                     TD_OK);
    static const size_t proj[] = {5, 1, 0};
    int rows = 0;
    while (td_db_step(st) == TD_DB_ROW) {
        json_t *o = td_eng_row_json(st, &R);
        char *want = json_dumps(o, JSON_COMPACT);
        td_buf_t b;
        td_buf_init(&b, 1 << 20);
        assert_int_equal(td_rowtext_row(&b, st, &R, NULL, 0), TD_OK);
        if (strcmp(td_buf_str(&b), want))
            fail_msg("row %d:\n  jansson: %s\n  rowtext: %s", rows, want, td_buf_str(&b));
        free(want);
        json_t *p = json_object();
        for (size_t k = 0; k < 3; k++)
            json_object_set(p, F[proj[k]].name, json_object_get(o, F[proj[k]].name));
        want = json_dumps(p, JSON_COMPACT);
        td_buf_reset(&b);
        assert_int_equal(td_rowtext_row(&b, st, &R, proj, 3), TD_OK);
        assert_string_equal(td_buf_str(&b), want);
        free(want);
        json_decref(p);
        json_decref(o);
        td_buf_free(&b);
        rows++;
    }
    td_db_finalize(st);
    return rows;
}

static void test_rowtext_matches_jansson(void **state) {
    (void)state;
    static const double reals[] = {1.5,     0.1,      -2.5,     1e300,   1e-7,     -2.5e-300,
                                   3.0,     -0.0,     1e16,     9e15,    -9.5e15,  123456789012345678.0,
                                   1.0 / 3, 2.5e-5,   6.02e23,  -1e-100, 4.9e-324, 1.7976931348623157e308};
    static const int64_t ints[] = {0, -1, 42, INT64_MAX, INT64_MIN, 9007199254740991LL};
    static const char *const texts[] = {
        "", "plain", "a \"quoted\" word", "back\\slash", "slash / stays", "tab\there",
        "new\nline\r\n", "\b\f", "\x01\x02\x1f\x7f", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
        "\xef\xbf\xbf \xf4\x8f\xbf\xbf", "</script>", "'single'"};
    static const char *const jsons[] = {"{\"a\":[1,2.5,\"x\"],\"b\":null}", " [1, 2 ] ", "\"s\"",
                                        "17", "not json", "{\"k\":\"\\u0001\\\"\"}", "1e400"};
    char id[16];
    int n = 0;
    for (size_t k = 0; k < sizeof(texts) / sizeof(texts[0]); k++, n++) {
        snprintf(id, sizeof(id), "r%03d", n);
        int64_t b = (int64_t)(k % 3) * 2; /* 0, 2, 4: false, true, true */
        insert(id, texts[k], &ints[k % 6], &reals[k % 18], &b, jsons[k % 7]);
    }
    for (size_t k = 0; k < sizeof(reals) / sizeof(reals[0]); k++, n++) {
        snprintf(id, sizeof(id), "r%03d", n);
        insert(id, NULL, NULL, &reals[k], NULL, k < 7 ? jsons[k] : NULL);
    }
    /* past the escaper's 512-byte chunk, escapes astride its edge */
    char big[3001]; /* 375 whole patterns: the é is never cut */
    for (size_t k = 0; k < sizeof(big) - 1; k++)
        big[k] = "ab\"c\\\x01\xc3\xa9"[k % 8];
    big[sizeof(big) - 1] = '\0';
    for (size_t cut = 500; cut < 520; cut++, n++) {
        char v[3000];
        snprintf(v, sizeof(v), "%.*s", (int)cut, big);
        if ((v[cut - 1] & 0xE0) == 0xC0) /* never split the é */
            v[cut - 1] = 'x';
        snprintf(id, sizeof(id), "r%03d", n);
        insert(id, v, NULL, NULL, NULL, NULL);
    }
    for (int len = 506; len < 514; len++, n++) { /* plain ASCII around one chunk */
        char v[600];
        memset(v, 'x', (size_t)len);
        v[len] = '\0';
        snprintf(id, sizeof(id), "r%03d", n);
        insert(id, v, NULL, NULL, NULL, NULL);
    }
    snprintf(id, sizeof(id), "r%03d", n++);
    insert(id, big, NULL, NULL, NULL, NULL);
    snprintf(id, sizeof(id), "r%03d", n++);
    insert(id, NULL, NULL, NULL, NULL, NULL);
    assert_int_equal(compare_all(), n);
}

/* Text that is not UTF-8 (a file edited by hand) becomes null, where
 * jansson dropped the member: the answer stays valid JSON with every key. */
static void test_rowtext_non_utf8_is_null(void **state) {
    (void)state;
    static const char *const bad[] = {"\xff", "a\xc3", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80",
                                      "ok\xe2\x82"};
    for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
        td_buf_t b;
        td_buf_init(&b, 1 << 10);
        assert_int_equal(td_buf_puts(&b, "["), TD_OK);
        assert_int_equal(td_rowtext_string(&b, bad[k]), TD_OK);
        assert_string_equal(td_buf_str(&b), "[null");
        td_buf_free(&b);
    }
}

/* A buffer's cap is kept: TD_E_TOOBIG, never a write past it. */
static void test_rowtext_respects_the_cap(void **state) {
    (void)state;
    td_buf_t b;
    td_buf_init(&b, 8);
    assert_int_equal(td_rowtext_string(&b, "12345678"), TD_E_TOOBIG);
    assert_true(b.len <= 8);
    td_buf_free(&b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_rowtext_matches_jansson, setup, teardown),
        cmocka_unit_test(test_rowtext_non_utf8_is_null),
        cmocka_unit_test(test_rowtext_respects_the_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
