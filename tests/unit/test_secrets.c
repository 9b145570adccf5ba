/* test_secrets.c — unit tests of secrets/secrets.h: sealed values bound to
 * their key, owner and purpose; values that name the key that sealed them
 * (v2) beside the older v1 ones; key wrapping; loading the master key from
 * the environment or its file, with errors that explain and never quote the
 * key; and the key file a rotation installs (master.key.new, its lock). No
 * database: runs the same on both backends. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
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

/* Every one-character change, truncation and extension of sealed fails to
 * open with TD_E_CRYPTO; sealed itself opens to "secret value". */
static void expect_tamper_proof(td_arena_t *a, const td_key_t *k, const char *sealed) {
    static const char b64url[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned char *pt;
    size_t n, len = strlen(sealed);
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
            td_status st = td_open(a, k, OWNER_A, "p", t, &pt, &n);
            if (st != TD_E_CRYPTO)
                fail_msg("changing character %zu (variant %d) gave %d", i, variant, (int)st);
        }
    }
    /* Every truncation. */
    for (size_t cut = 0; cut < len; cut++) {
        memcpy(t, sealed, len + 1);
        t[cut] = '\0';
        td_status st = td_open(a, k, OWNER_A, "p", t, &pt, &n);
        if (st != TD_E_CRYPTO)
            fail_msg("truncating to %zu characters gave %d", cut, (int)st);
    }
    /* Appended garbage. */
    char *longer = td_arena_printf(a, "%sAAAA", sealed);
    assert_int_equal(td_open(a, k, OWNER_A, "p", longer, &pt, &n), TD_E_CRYPTO);
    /* The original still opens. */
    assert_int_equal(td_open(a, k, OWNER_A, "p", sealed, &pt, &n), TD_OK);
    assert_memory_equal(pt, "secret value", 12);
}

static void test_open_rejects_altered_text(void **state) {
    (void)state;
    td_arena_t *a = td_arena_new(0);
    td_key_t k;
    td_key_random(&k);
    char *sealed, *named;
    unsigned char *pt;
    size_t n;
    assert_int_equal(td_seal(a, &k, OWNER_A, "p", "secret value", 12, &sealed), TD_OK);
    expect_tamper_proof(a, &k, sealed);
    assert_int_equal(td_seal_with_id(a, &k, OWNER_A, "p", "secret value", 12, &named), TD_OK);
    expect_tamper_proof(a, &k, named);
    /* Missing or other version prefix. */
    assert_int_equal(td_open(a, &k, OWNER_A, "p", sealed + 3, &pt, &n), TD_E_CRYPTO);
    char *v2 = td_arena_printf(a, "v2.%s", sealed + 3);
    assert_int_equal(td_open(a, &k, OWNER_A, "p", v2, &pt, &n), TD_E_CRYPTO);
    char *v3 = td_arena_printf(a, "v3.%s", named + 3);
    assert_int_equal(td_open(a, &k, OWNER_A, "p", v3, &pt, &n), TD_E_CRYPTO);
    /* a v2 value read as v1 (its id taken for base64) */
    char *as_v1 = td_arena_printf(a, "v1.%s", named + 3);
    assert_int_equal(td_open(a, &k, OWNER_A, "p", as_v1, &pt, &n), TD_E_CRYPTO);
    assert_int_equal(td_open(a, &k, OWNER_A, "p", NULL, &pt, &n), TD_E_CRYPTO);
    assert_int_equal(td_open(a, &k, OWNER_A, "p", "", &pt, &n), TD_E_CRYPTO);
    assert_int_equal(td_open(a, &k, OWNER_A, "p", "v1.", &pt, &n), TD_E_CRYPTO);
    assert_int_equal(td_open(a, &k, OWNER_A, "p", "v2.", &pt, &n), TD_E_CRYPTO);
    td_arena_destroy(a);
}

/* ---- values that name their key ------------------------------------------ */

static void test_key_id_names_a_key(void **state) {
    (void)state;
    td_key_t k1, k2;
    td_key_random(&k1);
    td_key_random(&k2);
    char id1[TD_KEY_ID_LEN + 1], again[TD_KEY_ID_LEN + 1], id2[TD_KEY_ID_LEN + 1];
    td_key_id(&k1, id1);
    td_key_id(&k1, again);
    td_key_id(&k2, id2);
    assert_int_equal(strlen(id1), TD_KEY_ID_LEN);
    assert_int_equal(strspn(id1, "0123456789abcdef"), TD_KEY_ID_LEN);
    assert_string_equal(id1, again);
    assert_string_not_equal(id1, id2);
    /* not a piece of the key */
    char hex[2 * TD_KEY_BYTES + 1];
    sodium_bin2hex(hex, sizeof(hex), k1.k, sizeof(k1.k));
    assert_null(strstr(hex, id1));
}

static void test_sealed_value_names_its_key(void **state) {
    (void)state;
    td_arena_t *a = td_arena_new(0);
    td_key_t k, other;
    td_key_random(&k);
    td_key_random(&other);
    char id[TD_KEY_ID_LEN + 1], got[TD_KEY_ID_LEN + 1], *named, *plain;
    td_key_id(&k, id);
    assert_int_equal(td_seal_with_id(a, &k, OWNER_A, TD_PURPOSE_SERVER_URL, "pg://x", 6, &named),
                     TD_OK);
    assert_int_equal(strncmp(named, "v2.", 3), 0);
    assert_int_equal(strncmp(named + 3, id, TD_KEY_ID_LEN), 0);
    assert_int_equal(named[3 + TD_KEY_ID_LEN], '.');
    assert_int_equal(td_sealed_key_id(named, got), TD_OK);
    assert_string_equal(got, id);
    unsigned char *pt = NULL;
    size_t n;
    assert_int_equal(td_open(a, &k, OWNER_A, TD_PURPOSE_SERVER_URL, named, &pt, &n), TD_OK);
    assert_memory_equal(pt, "pg://x", 6);
    assert_int_equal(td_open(a, &k, OWNER_B, TD_PURPOSE_SERVER_URL, named, &pt, &n), TD_E_CRYPTO);
    assert_int_equal(td_open(a, &other, OWNER_A, TD_PURPOSE_SERVER_URL, named, &pt, &n),
                     TD_E_CRYPTO);
    /* a v1 value names no key; garbage is neither */
    assert_int_equal(td_seal(a, &k, OWNER_A, TD_PURPOSE_SERVER_URL, "pg://x", 6, &plain), TD_OK);
    assert_int_equal(td_sealed_key_id(plain, got), TD_E_NOTFOUND);
    assert_int_equal(td_sealed_key_id("v2.0123", got), TD_E_CRYPTO);
    assert_int_equal(td_sealed_key_id("v2.0123456789ABCDEF.AAAA", got), TD_E_CRYPTO);
    assert_int_equal(td_sealed_key_id("hello", got), TD_E_CRYPTO);
    assert_int_equal(td_sealed_key_id(NULL, got), TD_E_CRYPTO);
    td_arena_destroy(a);
}

/* Relabelled with another key's id, a value opens with neither key: the id
 * is bound into the associated data. */
static void test_value_relabelled_does_not_open(void **state) {
    (void)state;
    td_arena_t *a = td_arena_new(0);
    td_key_t k, other;
    td_key_random(&k);
    td_key_random(&other);
    char oid[TD_KEY_ID_LEN + 1], *named;
    td_key_id(&other, oid);
    assert_int_equal(td_seal_with_id(a, &k, OWNER_A, "p", "secret value", 12, &named), TD_OK);
    char *relabelled = td_arena_strdup(a, named);
    memcpy(relabelled + 3, oid, TD_KEY_ID_LEN);
    unsigned char *pt;
    size_t n;
    assert_int_equal(td_open(a, &k, OWNER_A, "p", relabelled, &pt, &n), TD_E_CRYPTO);
    assert_int_equal(td_open(a, &other, OWNER_A, "p", relabelled, &pt, &n), TD_E_CRYPTO);
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
    assert_int_equal(strncmp(wrapped, "v2.", 3), 0); /* names the master key */
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
    /* A key wrapped before key ids (v1) still unwraps. */
    char *old_style;
    assert_int_equal(
        td_seal(a, &kek, OWNER_A, TD_PURPOSE_TENANT_KEY, key.k, TD_KEY_BYTES, &old_style), TD_OK);
    assert_int_equal(strncmp(old_style, "v1.", 3), 0);
    memset(&got, 0, sizeof(got));
    assert_int_equal(td_key_unwrap(a, &kek, OWNER_A, old_style, &got), TD_OK);
    assert_memory_equal(got.k, key.k, TD_KEY_BYTES);
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

/* ---- the key file a rotation installs ------------------------------------ */

static void write_key(const char *path, td_key_t *k, char id[TD_KEY_ID_LEN + 1]) {
    td_key_random(k);
    td_key_id(k, id);
    assert_int_equal(td_master_key_write(path, k), TD_OK);
}

static void test_master_key_find_looks_in_new_file(void **state) {
    (void)state;
    char path[PATH_MAX], next[PATH_MAX + 8];
    key_path(path, sizeof(path), "find.key");
    snprintf(next, sizeof(next), "%s.new", path);
    td_key_t k1, k2, k3, got;
    char id1[TD_KEY_ID_LEN + 1], id2[TD_KEY_ID_LEN + 1], id3[TD_KEY_ID_LEN + 1];
    assert_int_equal(td_master_key_find(path, "0123456789abcdef", &got), TD_E_NOTFOUND);
    write_key(path, &k1, id1);
    write_key(next, &k2, id2);
    td_key_random(&k3);
    td_key_id(&k3, id3);
    assert_int_equal(td_master_key_find(path, id1, &got), TD_OK);
    assert_memory_equal(got.k, k1.k, TD_KEY_BYTES);
    assert_int_equal(td_master_key_find(path, id2, &got), TD_OK);
    assert_memory_equal(got.k, k2.k, TD_KEY_BYTES);
    assert_int_equal(td_master_key_find(path, id3, &got), TD_E_NOTFOUND);
    unlink(path);
    unlink(next);
}

static void test_master_key_install_renames_only_the_named_key(void **state) {
    (void)state;
    char path[PATH_MAX], next[PATH_MAX + 8], err[256];
    key_path(path, sizeof(path), "install.key");
    snprintf(next, sizeof(next), "%s.new", path);
    td_key_t k1, k2, other, got;
    char id1[TD_KEY_ID_LEN + 1], id2[TD_KEY_ID_LEN + 1], oid[TD_KEY_ID_LEN + 1];
    write_key(path, &k1, id1);
    write_key(next, &k2, id2);
    td_key_random(&other);
    td_key_id(&other, oid);
    /* the file holds it already: nothing moves */
    assert_int_equal(td_master_key_install(path, id1), TD_OK);
    assert_int_equal(access(next, F_OK), 0);
    /* a key neither file holds: nothing moves */
    assert_int_equal(td_master_key_install(path, oid), TD_E_NOTFOUND);
    assert_int_equal(access(next, F_OK), 0);
    assert_int_equal(td_master_key_load(NULL, path, 0, &got, err, sizeof(err)), TD_OK);
    assert_memory_equal(got.k, k1.k, TD_KEY_BYTES);
    /* the key in .new: renamed over the file, mode kept */
    assert_int_equal(td_master_key_install(path, id2), TD_OK);
    assert_int_equal(access(next, F_OK), -1);
    assert_int_equal(td_master_key_load(NULL, path, 0, &got, err, sizeof(err)), TD_OK);
    assert_memory_equal(got.k, k2.k, TD_KEY_BYTES);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    unlink(path);
}

static void test_master_key_lock_is_exclusive(void **state) {
    (void)state;
    char path[PATH_MAX], lock[PATH_MAX + 8];
    key_path(path, sizeof(path), "locked.key");
    snprintf(lock, sizeof(lock), "%s.lock", path);
    int fd = -1;
    assert_int_equal(td_master_key_lock(path, &fd), TD_OK);
    int other = open(lock, O_RDWR);
    assert_true(other >= 0);
    assert_int_equal(flock(other, LOCK_EX | LOCK_NB), -1);
    assert_int_equal(errno, EWOULDBLOCK);
    td_master_key_unlock(fd);
    assert_int_equal(flock(other, LOCK_EX | LOCK_NB), 0);
    close(other);
    unlink(lock);
}

int main(void) {
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seal_open_round_trip),
        cmocka_unit_test(test_seal_is_randomized),
        cmocka_unit_test(test_open_rejects_wrong_context),
        cmocka_unit_test(test_open_rejects_altered_text),
        cmocka_unit_test(test_key_id_names_a_key),
        cmocka_unit_test(test_sealed_value_names_its_key),
        cmocka_unit_test(test_value_relabelled_does_not_open),
        cmocka_unit_test(test_key_wrap_unwrap),
        cmocka_unit_test(test_master_key_from_env_value),
        cmocka_unit_test(test_master_key_bad_env_value),
        cmocka_unit_test(test_master_key_file),
        cmocka_unit_test(test_master_key_missing_file),
        cmocka_unit_test(test_master_key_create),
        cmocka_unit_test(test_master_key_file_too_open),
        cmocka_unit_test(test_master_key_file_garbage),
        cmocka_unit_test(test_master_key_find_looks_in_new_file),
        cmocka_unit_test(test_master_key_install_renames_only_the_named_key),
        cmocka_unit_test(test_master_key_lock_is_exclusive),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
