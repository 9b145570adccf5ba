/* test_slug.c — the rules for tenant slugs and display names
 * (tenancy/tenancy.h: td_slug_check, td_name_check), as data tables. A slug
 * becomes part of hostnames, URLs and log lines, so every rejected input
 * must come back as TD_E_INVALID with a reason that does not echo it. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "tenancy/tenancy.h"

#define S63 "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxy-z"
#define S64 S63 "z"

static void test_slug_good(void **state) {
    (void)state;
    static const char *const good[] = {
        "acme", "a1", "tech-corp", "ab", "x9-y8-z7", "abc123", "a-b-c", "zz", S63,
        "adminx", "my-admin", "apis", "www3",
    };
    _Static_assert(sizeof(S63) - 1 == 63, "63 characters");
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        char err[256] = "";
        td_status st = td_slug_check(good[i], err, sizeof(err));
        if (st != TD_OK)
            fail_msg("good slug '%s' rejected: %s", good[i], err);
    }
}

static void test_slug_bad(void **state) {
    (void)state;
    static const char *const bad[] = {
        "../x", "a;drop table t", "ACME", "Acme", "héllo", "admin", "www", "api",
        S64,    "a",              "",     "-a",   "a-",    "a--b",  "1a",  "a b",
        "a\nb", "a/b",            "a.b",  "a_b",  "ab\x7f", "acme\r", "ab%2f",
        "a\x01", "tenant",        "root", "www1", "v1",
    };
    _Static_assert(sizeof(S64) - 1 == 64, "64 characters");
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char err[256] = "";
        td_status st = td_slug_check(bad[i], err, sizeof(err));
        if (st != TD_E_INVALID)
            fail_msg("bad slug #%zu accepted (status %d)", i, (int)st);
        if (strlen(err) == 0)
            fail_msg("bad slug #%zu: empty reason", i);
        /* The reason is plain text: no control characters from the input. */
        for (const char *p = err; *p; p++)
            if ((unsigned char)*p < 0x20 || *p == 0x7f)
                fail_msg("bad slug #%zu: control character in reason", i);
        /* Long enough inputs cannot appear by chance in the fixed text. */
        if (strlen(bad[i]) >= 3 && strstr(err, bad[i]))
            fail_msg("bad slug #%zu: reason echoes the input: %s", i, err);
    }
    char err[256] = "";
    assert_int_equal(td_slug_check(NULL, err, sizeof(err)), TD_E_INVALID);
    assert_true(strlen(err) > 0);
}

/* The reason says what is wrong, not only that something is. */
static void test_slug_reasons(void **state) {
    (void)state;
    static const struct {
        const char *slug, *word;
    } cases[] = {
        {"a", "63"},          {S64, "63"},        {"1a", "start"},
        {"a-", "end"},        {"a--b", "dash"},   {"ACME", "start"},
        {"aCME", "lowercase"}, {"admin", "reserved"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char err[256] = "";
        assert_int_equal(td_slug_check(cases[i].slug, err, sizeof(err)), TD_E_INVALID);
        if (!strstr(err, cases[i].word))
            fail_msg("reason for case %zu lacks '%s': %s", i, cases[i].word, err);
    }
    /* A small err buffer is truncated, not overrun. */
    char tiny[8];
    memset(tiny, 'X', sizeof(tiny));
    assert_int_equal(td_slug_check("A", tiny, sizeof(tiny)), TD_E_INVALID);
    assert_int_equal(tiny[7], '\0');
}

static void test_name_good(void **state) {
    (void)state;
    char n200[201], u200[201];
    memset(n200, 'n', 200);
    n200[200] = '\0';
    for (int i = 0; i < 100; i++) /* 100 × "é" = 200 bytes */
        memcpy(u200 + 2 * i, "\xc3\xa9", 2);
    u200[200] = '\0';
    const char *good[] = {"Acme Inc", "Ünïcode ok", "a", "日本の会社", "O'Brien & Sons (EU)",
                          "emoji \xf0\x9f\x9a\x80", n200, u200};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        char err[256] = "";
        td_status st = td_name_check(good[i], err, sizeof(err));
        if (st != TD_OK)
            fail_msg("good name #%zu rejected: %s", i, err);
    }
}

static void test_name_bad(void **state) {
    (void)state;
    char n201[202], cut[201];
    memset(n201, 'n', 201);
    n201[201] = '\0';
    memset(cut, 'c', 199); /* 200 bytes ending in half a character */
    cut[199] = '\xc3';
    cut[200] = '\0';
    const char *bad[] = {NULL,      "",          n201,          cut,          "tab\there",
                         "new\nline", "\x1b[2Jclear", "nul\x01", "del\x7f",   "\xff\xfe",
                         "\xc0\xaf", "caf\xc3",   "\xed\xa0\x80"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char err[256] = "";
        td_status st = td_name_check(bad[i], err, sizeof(err));
        if (st != TD_E_INVALID)
            fail_msg("bad name #%zu accepted (status %d)", i, (int)st);
        if (strlen(err) == 0)
            fail_msg("bad name #%zu: empty reason", i);
        if (bad[i] && strlen(bad[i]) >= 3 && strstr(err, bad[i]))
            fail_msg("bad name #%zu: reason echoes the input", i);
    }
}

int main(void) {
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_slug_good),  cmocka_unit_test(test_slug_bad),
        cmocka_unit_test(test_slug_reasons), cmocka_unit_test(test_name_good),
        cmocka_unit_test(test_name_bad),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
