/* test_secrets.c — unit tests of secrets/secrets.h: sealed values bound to
 * their key, owner and purpose; key wrapping; and loading the master key
 * from the environment or its file, with errors that explain and never
 * quote the key. No database: runs the same on both backends. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/arena.h"
#include "common/id.h"
#include "secrets/secrets.h"

#define OWNER_A "01890a5d-ac96-774b-bcce-b302099a8057"
#define OWNER_B "01890a5d-ac96-774b-bcce-b302099a8058"

static char g_dir[PATH_MAX]; /* a mkdtemp folder for key files */

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

static int group_setup(void **state) {
    (void)state;
    snprintf(g_dir, sizeof(g_dir), "/tmp/tdunit_secrets.XXXXXX");
    return mkdtemp(g_dir) ? 0 : -1;
}

static int group_teardown(void **state) {
    (void)state;
    return nftw(g_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- seal / open -------------------------------------------------------- */

static void test_seal_open_round_trip(void **state) {
    (void)state;
    td_arena_t *a = td_arena_new(0);
    td_key_t k;
    td_key_random(&k);
    char *sealed = NULL;
    assert_int_equal(td_seal(a, &k, OWNER_A, TD_PURPOSE_DB_PASSWORD, "hunter2", 7, &sealed),
                     TD_OK);
    assert_non_null(sealed);
    assert_int_equal(strncmp(sealed, "v1.", 3), 0);
    assert_null(strstr(sealed, "hunter2"));
    /* text: base64url only after the prefix */
    assert_int_equal(strspn(sealed + 3, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                        "0123456789-_"),
                     strlen(sealed + 3));
    unsigned char *pt = NULL;
    size_t n = 0;
    assert_int_equal(td_open(a, &k, OWNER_A, TD_PURPOSE_DB_PASSWORD, sealed, &pt, &n), TD_OK);
    assert_int_equal(n, 7);
    assert_memory_equal(pt, "hunter2", 7);
    assert_int_equal(pt[7], '\0');

    /* binary plaintext with NUL bytes, and an empty one */
    const unsigned char bin[] = {0, 1, 2, 0xff, 0, 0x80};
    assert_int_equal(td_seal(a, &k, OWNER_A, "blob", bin, sizeof(bin), &sealed), TD_OK);
    assert_int_equal(td_open(a, &k, OWNER_A, "blob", sealed, &pt, &n), TD_OK);
    assert_int_equal(n, sizeof(bin));
    assert_memory_equal(pt, bin, sizeof(bin));
    assert_int_equal(td_seal(a, &k, OWNER_A, "empty", "", 0, &sealed), TD_OK);
    assert_int_equal(td_open(a, &k, OWNER_A, "empty", sealed, &pt, &n), TD_OK);
    assert_int_equal(n, 0);
    assert_string_equal((char *)pt, "");
    td_arena_destroy(a);
}

static void test_seal_is_randomized(void **state) {
    (void)state;
    td_arena_t *a = td_arena_new(0);
    td_key_t k;
    td_key_random(&k);
    char *s1, *s2;
    assert_int_equal(td_seal(a, &k, OWNER_A, TD_PURPOSE_DB_PASSWORD, "same", 4, &s1), TD_OK);
    assert_int_equal(td_seal(a, &k, OWNER_A, TD_PURPOSE_DB_PASSWORD, "same", 4, &s2), TD_OK);
    assert_string_not_equal(s1, s2);
    assert_int_equal(strlen(s1), strlen(s2));
    unsigned char *pt;
    size_t n;
    assert_int_equal(td_open(a, &k, OWNER_A, TD_PURPOSE_DB_PASSWORD, s2, &pt, &n), TD_OK);
    assert_memory_equal(pt, "same", 4);
    td_arena_destroy(a);
}

static void test_open_rejects_wrong_context(void **state) {
    (void)state;
    td_arena_t *a = td_arena_new(0);
    td_key_t k, other;
    td_key_random(&k);
    td_key_random(&other);
    char *sealed;
    unsigned char *pt = NULL;
    size_t n;
    assert_int_equal(td_seal(a, &k, OWNER_A, TD_PURPOSE_DB_PASSWORD, "pw", 2, &sealed), TD_OK);
    assert_int_equal(td_open(a, &other, OWNER_A, TD_PURPOSE_DB_PASSWORD, sealed, &pt, &n),
                     TD_E_CRYPTO);
    assert_int_equal(td_open(a, &k, OWNER_B, TD_PURPOSE_DB_PASSWORD, sealed, &pt, &n),
                     TD_E_CRYPTO);
    assert_int_equal(td_open(a, &k, OWNER_A, TD_PURPOSE_SERVER_URL, sealed, &pt, &n),
                     TD_E_CRYPTO);
    assert_int_equal(td_open(a, &k, OWNER_A, TD_PURPOSE_TENANT_KEY, sealed, &pt, &n),
                     TD_E_CRYPTO);
    assert_null(pt); /* never handed out */
    /* still fine with the right context */
    assert_int_equal(td_open(a, &k, OWNER_A, TD_PURPOSE_DB_PASSWORD, sealed, &pt, &n), TD_OK);
    td_arena_destroy(a);
}

static void test_open_rejects_altered_text(void **state) {
    (void)state;
    static const char b64url[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    td_arena_t *a = td_arena_new(0);
    td_key_t k;
    td_key_random(&k);
    char *sealed;
    unsigned char *pt;
    size_t n;
    assert_int_equal(td_seal(a, &k, OWNER_A, "p", "secret value", 12, &sealed), TD_OK);
    size_t len = strlen(sealed);
    char *t = td_arena_strdup(a, sealed);

    /* Every character changed, one at a time (to another base64url
     * character, and to one outside the alphabet). */
    for (size_t i = 0; i < len; i++) {
        for (int variant = 0; variant < 2; variant++) {
            memcpy(t, sealed, len + 1);
            if (variant == 0) {
                const char *pos = strchr(b64url, sealed[i]);
                t[i] = pos ? b64url[(pos - b64url + 1) % 64] : 'A';
            } else {
                t[i] = '.' == sealed[i] ? '!' : '.';
            }
            if (strcmp(t, sealed) == 0)
                continue;
            td_status st = td_open(a, &k, OWNER_A, "p", t, &pt, &n);
            if (st != TD_E_CRYPTO)
                fail_msg("changing character %zu (variant %d) gave %d", i, variant, (int)st);
        }
    }
    /* Every truncation. */
    for (size_t cut = 0; cut < len; cut++) {
        memcpy(t, sealed, len + 1);
        t[cut] = '\0';
        td_status st = td_open(a, &k, OWNER_A, "p", t, &pt, &n);
        if (st != TD_E_CRYPTO)
            fail_msg("truncating to %zu characters gave %d", cut, (int)st);
    }
    /* Appended garbage. */
    char *longer = td_arena_printf(a, "%sAAAA", sealed);
    assert_int_equal(td_open(a, &k, OWNER_A, "p", longer, &pt, &n), TD_E_CRYPTO);
    /* Missing or other version prefix. */
    assert_int_equal(td_open(a, &k, OWNER_A, "p", sealed + 3, &pt, &n), TD_E_CRYPTO);
    char *v2 = td_arena_printf(a, "v2.%s", sealed + 3);
    assert_int_equal(td_open(a, &k, OWNER_A, "p", v2, &pt, &n), TD_E_CRYPTO);
    assert_int_equal(td_open(a, &k, OWNER_A, "p", NULL, &pt, &n), TD_E_CRYPTO);
    assert_int_equal(td_open(a, &k, OWNER_A, "p", "", &pt, &n), TD_E_CRYPTO);
    assert_int_equal(td_open(a, &k, OWNER_A, "p", "v1.", &pt, &n), TD_E_CRYPTO);
    /* The original still opens. */
    assert_int_equal(td_open(a, &k, OWNER_A, "p", sealed, &pt, &n), TD_OK);
    assert_memory_equal(pt, "secret value", 12);
    td_arena_destroy(a);
}

/* ---- key wrapping ------------------------------------------------------- */

static void test_key_wrap_unwrap(void **state) {
    (void)state;
    td_arena_t *a = td_arena_new(0);
    td_key_t kek, key, got, other_kek;
    td_key_random(&kek);
    td_key_random(&key);
    td_key_random(&other_kek);
    assert_memory_not_equal(kek.k, key.k, TD_KEY_BYTES);
    char *wrapped;
    assert_int_equal(td_key_wrap(a, &kek, OWNER_A, &key, &wrapped), TD_OK);
    assert_int_equal(strncmp(wrapped, "v1.", 3), 0);
    memset(&got, 0, sizeof(got));
    assert_int_equal(td_key_unwrap(a, &kek, OWNER_A, wrapped, &got), TD_OK);
    assert_memory_equal(got.k, key.k, TD_KEY_BYTES);

    td_key_t untouched;
    memset(&untouched, 0x5a, sizeof(untouched));
    got = untouched;
    assert_int_equal(td_key_unwrap(a, &kek, OWNER_B, wrapped, &got), TD_E_CRYPTO);
    assert_int_equal(td_key_unwrap(a, &other_kek, OWNER_A, wrapped, &got), TD_E_CRYPTO);
    assert_memory_equal(got.k, untouched.k, TD_KEY_BYTES); /* no partial output */

    /* A sealed value of the right purpose but the wrong size is no key. */
    char *short_val;
    assert_int_equal(td_seal(a, &kek, OWNER_A, TD_PURPOSE_TENANT_KEY, "short", 5, &short_val),
                     TD_OK);
    assert_int_equal(td_key_unwrap(a, &kek, OWNER_A, short_val, &got), TD_E_CRYPTO);
    /* 32 bytes sealed for another purpose is no key either. */
    char *pw_val;
    assert_int_equal(
        td_seal(a, &kek, OWNER_A, TD_PURPOSE_DB_PASSWORD, key.k, TD_KEY_BYTES, &pw_val), TD_OK);
    assert_int_equal(td_key_unwrap(a, &kek, OWNER_A, pw_val, &got), TD_E_CRYPTO);
    td_arena_destroy(a);
}

/* ---- master key --------------------------------------------------------- */

static void key_path(char *out, size_t n, const char *name) {
    assert_true(snprintf(out, n, "%s/%s", g_dir, name) < (int)n);
}

static void test_master_key_from_env_value(void **state) {
    (void)state;
    td_key_t k, got;
    char b64[64], err[512] = "";
    td_key_random(&k);
    td_key_b64(&k, b64, sizeof(b64));
    assert_int_equal(strlen(b64), 44);
    /* The path is not read when the value is given. */
    assert_int_equal(td_master_key_load(b64, "/nonexistent/master.key", 0, &got, err, sizeof(err)),
                     TD_OK);
    assert_memory_equal(got.k, k.k, TD_KEY_BYTES);
    /* A trailing newline (as `export X=$(cat file)` may leave) is fine. */
    char nl[80];
    snprintf(nl, sizeof(nl), "%s\n", b64);
    assert_int_equal(td_master_key_load(nl, "/nonexistent/master.key", 0, &got, err, sizeof(err)),
                     TD_OK);
    assert_memory_equal(got.k, k.k, TD_KEY_BYTES);
}

static void test_master_key_bad_env_value(void **state) {
    (void)state;
    unsigned char raw[40];
    char b16[64], b33[80], b_trailing[80];
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2base64(b16, sizeof(b16), raw, 16, sodium_base64_VARIANT_ORIGINAL);
    sodium_bin2base64(b33, sizeof(b33), raw, 33, sodium_base64_VARIANT_ORIGINAL);
    td_key_t k;
    td_key_random(&k);
    char good[64];
    td_key_b64(&k, good, sizeof(good));
    snprintf(b_trailing, sizeof(b_trailing), "%sZZ", good);
    char urlsafe[64];
    sodium_bin2base64(urlsafe, sizeof(urlsafe), k.k, 32, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    const char *bad[] = {"not base64 at all!!", b16, b33, b_trailing, "====", "Zm9v", urlsafe};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char err[512] = "";
        td_key_t got;
        td_status st = td_master_key_load(bad[i], "/nonexistent/master.key", 0, &got, err,
                                          sizeof(err));
        if (st != TD_E_KEY)
            fail_msg("bad key value %zu gave %d", i, (int)st);
        assert_true(strlen(err) > 0);
        if (strstr(err, bad[i]))
            fail_msg("error quotes the bad value: %s", err);
    }
}

static void test_master_key_file(void **state) {
    (void)state;
    char path[PATH_MAX], err[512] = "";
    key_path(path, sizeof(path), "written.key");
    td_key_t k, got;
    td_key_random(&k);
    assert_int_equal(td_master_key_write(path, &k), TD_OK);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    /* NULL and "" both mean: read the file */
    assert_int_equal(td_master_key_load(NULL, path, 0, &got, err, sizeof(err)), TD_OK);
    assert_memory_equal(got.k, k.k, TD_KEY_BYTES);
    memset(&got, 0, sizeof(got));
    assert_int_equal(td_master_key_load("", path, 0, &got, err, sizeof(err)), TD_OK);
    assert_memory_equal(got.k, k.k, TD_KEY_BYTES);
    /* No temporary file left behind. */
    char tmp[PATH_MAX + 8];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    assert_int_equal(access(tmp, F_OK), -1);
    unlink(path);
}

static void test_master_key_missing_file(void **state) {
    (void)state;
    char path[PATH_MAX], err[512] = "";
    key_path(path, sizeof(path), "absent.key");
    td_key_t got;
    assert_int_equal(td_master_key_load(NULL, path, 0, &got, err, sizeof(err)), TD_E_KEY);
    if (!strstr(err, "tenantd init"))
        fail_msg("error does not mention `tenantd init`: %s", err);
    assert_int_equal(access(path, F_OK), -1); /* nothing created */
}

static void test_master_key_create(void **state) {
    (void)state;
    char path[PATH_MAX], err[512] = "";
    key_path(path, sizeof(path), "created.key");
    td_key_t k1, k2;
    assert_int_equal(td_master_key_load(NULL, path, 1, &k1, err, sizeof(err)), TD_OK);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_true(S_ISREG(sb.st_mode));
    assert_int_equal(sb.st_mode & 0777, 0600);
    /* The file holds the key returned; a second load (even with create)
     * reads it rather than making another. */
    assert_int_equal(td_master_key_load(NULL, path, 1, &k2, err, sizeof(err)), TD_OK);
    assert_memory_equal(k1.k, k2.k, TD_KEY_BYTES);
    memset(&k2, 0, sizeof(k2));
    assert_int_equal(td_master_key_load(NULL, path, 0, &k2, err, sizeof(err)), TD_OK);
    assert_memory_equal(k1.k, k2.k, TD_KEY_BYTES);
    unlink(path);
}

static void test_master_key_file_too_open(void **state) {
    (void)state;
    char path[PATH_MAX], err[512] = "", b64[64];
    key_path(path, sizeof(path), "open.key");
    td_key_t k, got;
    td_key_random(&k);
    td_key_b64(&k, b64, sizeof(b64));
    assert_int_equal(td_master_key_write(path, &k), TD_OK);
    assert_int_equal(chmod(path, 0644), 0);
    assert_int_equal(td_master_key_load(NULL, path, 0, &got, err, sizeof(err)), TD_E_KEY);
    if (!strstr(err, "chmod 600"))
        fail_msg("error does not mention chmod 600: %s", err);
    assert_null(strstr(err, b64));
    assert_int_equal(chmod(path, 0640), 0); /* group-readable is no better */
    assert_int_equal(td_master_key_load(NULL, path, 0, &got, err, sizeof(err)), TD_E_KEY);
    assert_int_equal(chmod(path, 0600), 0);
    assert_int_equal(td_master_key_load(NULL, path, 0, &got, err, sizeof(err)), TD_OK);
    assert_memory_equal(got.k, k.k, TD_KEY_BYTES);
    unlink(path);
}

static void test_master_key_file_garbage(void **state) {
    (void)state;
    char path[PATH_MAX], err[512] = "";
    key_path(path, sizeof(path), "garbage.key");
    static const char *const contents[] = {"", "this-is-not-base64-key-material\n",
                                           "Zm9vYmFy\n"};
    for (size_t i = 0; i < sizeof(contents) / sizeof(contents[0]); i++) {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        assert_true(fd >= 0);
        size_t len = strlen(contents[i]);
        assert_int_equal(write(fd, contents[i], len), (ssize_t)len);
        close(fd);
        td_key_t got;
        err[0] = '\0';
        assert_int_equal(td_master_key_load(NULL, path, 0, &got, err, sizeof(err)), TD_E_KEY);
        assert_true(strlen(err) > 0);
        if (len > 4 && strstr(err, "not-base64"))
            fail_msg("error quotes the file's content: %s", err);
        /* create does not overwrite a bad existing file */
        assert_int_equal(td_master_key_load(NULL, path, 1, &got, err, sizeof(err)), TD_E_KEY);
    }
    unlink(path);
}

int main(void) {
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seal_open_round_trip),
        cmocka_unit_test(test_seal_is_randomized),
        cmocka_unit_test(test_open_rejects_wrong_context),
        cmocka_unit_test(test_open_rejects_altered_text),
        cmocka_unit_test(test_key_wrap_unwrap),
        cmocka_unit_test(test_master_key_from_env_value),
        cmocka_unit_test(test_master_key_bad_env_value),
        cmocka_unit_test(test_master_key_file),
        cmocka_unit_test(test_master_key_missing_file),
        cmocka_unit_test(test_master_key_create),
        cmocka_unit_test(test_master_key_file_too_open),
        cmocka_unit_test(test_master_key_file_garbage),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
