/* test_signing.c — token signing keys sealed in the catalog: created once,
 * stable across opens, unreadable with another master key, re-sealed by a
 * master key rotation, and rotated with the old key verifying until its
 * grace period ends. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/signing.h"

static char g_dir[] = "/tmp/tdsign.XXXXXX";
static td_catalog_t *g_cat;
static td_db_t *g_db;

static int setup(void **s) {
    (void)s;
    char err[256], path[64];
    assert_non_null(mkdtemp(g_dir));
    snprintf(path, sizeof(path), "%s/catalog.db", g_dir);
    assert_int_equal(td_catalog_open(path, 2, &g_cat, err, sizeof(err)), TD_OK);
    assert_int_equal(td_catalog_lease(g_cat, NULL, &g_db), TD_OK);
    return 0;
}

static int teardown(void **s) {
    (void)s;
    td_catalog_release(g_cat, g_db);
    td_catalog_close(g_cat);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", g_dir);
    return system(cmd);
}

static void lifecycle(void **s) {
    (void)s;
    td_key_t m1, m2;
    td_key_random(&m1);
    td_key_random(&m2);
    td_jwt_keyset_t a, b;
    assert_int_equal(td_signing_load(g_db, &m1, &a), TD_OK);
    assert_int_equal(a.n, 1);
    assert_int_equal(td_signing_load(g_db, &m1, &b), TD_OK); /* stable */
    assert_string_equal(a.keys[0].kid, b.keys[0].kid);
    assert_memory_equal(a.keys[0].sk, b.keys[0].sk, sizeof(a.keys[0].sk));
    /* another master key cannot open them (and does not silently replace them) */
    assert_int_equal(td_signing_load(g_db, &m2, &b), TD_E_CRYPTO);
    /* the stored text holds no key material in clear */
    td_arena_t *ar = td_arena_new(0);
    char *stored;
    assert_int_equal(td_cat_config_get(g_db, ar, "jwt_keys", &stored), TD_OK);
    assert_non_null(strstr(stored, "v1."));
    assert_null(strstr(stored, a.keys[0].kid));
    /* master key rotation re-seals */
    assert_int_equal(td_signing_reseal(g_db, ar, &m1, &m2), TD_OK);
    assert_int_equal(td_signing_load(g_db, &m2, &b), TD_OK);
    assert_string_equal(a.keys[0].kid, b.keys[0].kid);
    assert_int_equal(td_signing_load(g_db, &m1, &b), TD_E_CRYPTO);
    /* signing key rotation: new key first, the old one kept with a deadline */
    json_t *c = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I}", "iss", "i", "sub", "s", "role", "r",
                          "jti", "j", "iat", (json_int_t)1100, "exp", (json_int_t)1990);
    char *tok;
    assert_int_equal(td_jwt_sign(&a, c, &tok), TD_OK);
    td_jwt_keyset_t r;
    assert_int_equal(td_signing_rotate(g_db, &m2, 1000, 900, &r), TD_OK);
    assert_int_equal(r.n, 2);
    assert_string_not_equal(r.keys[0].kid, a.keys[0].kid);
    assert_string_equal(r.keys[1].kid, a.keys[0].kid);
    assert_int_equal(r.keys[1].not_after, 1900);
    json_t *out;
    const char *why;
    assert_int_equal(td_jwt_verify(&r, tok, "i", 1500, 900, &out, &why), TD_OK);
    json_decref(out);
    /* at 1901 the token is unexpired (exp 1990): only the deadline refuses */
    assert_int_equal(td_jwt_verify(&r, tok, "i", 1901, 900, &out, &why), TD_E_AUTH);
    assert_string_equal(why, "unknown key");
    /* a later rotation drops keys past their deadline */
    assert_int_equal(td_signing_rotate(g_db, &m2, 2000, 900, &r), TD_OK);
    assert_int_equal(r.n, 2);
    free(tok);
    json_decref(c);
    td_arena_destroy(ar);
}

int main(void) {
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {cmocka_unit_test(lifecycle)};
    return cmocka_run_group_tests(tests, setup, teardown);
}
