/* password.c — argon2id hashing, and the rules a new password meets. */
#include "auth/password.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/text.h"

#define OPSLIMIT 2
#define MEMLIMIT (19u * 1024u * 1024u)
#define COMMON_CAP 64 /* longer than any entry of the list */

/* The list (src/auth/common-passwords.txt, compiled in): lower-case, one
 * per line, sorted bytewise. Split into a sorted array at first use. */
extern const char td_common_passwords[];
static const char **g_common;
static size_t g_ncommon;
static pthread_once_t g_common_once = PTHREAD_ONCE_INIT;

static void load_common(void) {
    size_t n = 0;
    for (const char *c = td_common_passwords; *c; c++)
        n += *c == '\n';
    char *text = strdup(td_common_passwords);
    const char **v = malloc(sizeof(*v) * (n + 1));
    if (!text || !v) {
        free(text);
        free(v);
        return;
    }
    size_t k = 0;
    for (char *line = text, *nl; k < n && (nl = strchr(line, '\n')); line = nl + 1) {
        *nl = '\0';
        v[k++] = line;
    }
    g_common = v; /* lives as long as the process, like the list itself */
    g_ncommon = k;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* 1 when pw, lower-cased, is on the list. */
static int is_common(const char *pw) {
    char low[COMMON_CAP];
    if (td_ascii_lower(pw, low, sizeof(low)))
        return 0; /* longer than any entry */
    pthread_once(&g_common_once, load_common);
    const char *key = low;
    return g_common && bsearch(&key, g_common, g_ncommon, sizeof(*g_common), cmp_str) != NULL;
}

const char *td_password_problem(const char *pw) {
    size_t n = pw ? strlen(pw) : 0;
    if (n < TD_PASSWORD_MIN || n > TD_PASSWORD_MAX)
        return "the password must be 8 to 1024 characters";
    if (is_common(pw))
        return "this password is one of the most common ones: choose another";
    return NULL;
}

td_status td_password_check(const char *pw) {
    return td_password_problem(pw) ? TD_E_INVALID : TD_OK;
}

td_status td_password_hash(const char *pw, char out[TD_PASSWORD_HASH_MAX]) {
    size_t n = pw ? strlen(pw) : 0;
    if (n < TD_PASSWORD_MIN || n > TD_PASSWORD_MAX)
        return TD_E_INVALID;
    if (crypto_pwhash_str_alg(out, pw, strlen(pw), OPSLIMIT, MEMLIMIT,
                              crypto_pwhash_ALG_ARGON2ID13))
        return TD_E_NOMEM;
    return TD_OK;
}

td_status td_password_verify(const char *hash, const char *pw) {
    if (!hash || !pw)
        return TD_E_AUTH;
    return crypto_pwhash_str_verify(hash, pw, strlen(pw)) == 0 ? TD_OK : TD_E_AUTH;
}

int td_password_needs_rehash(const char *hash) {
    return crypto_pwhash_str_needs_rehash(hash, OPSLIMIT, MEMLIMIT) != 0;
}

void td_password_generate(char *out, size_t n) {
    static const char alphabet[] =
        "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    for (size_t i = 0; i + 1 < n; i++)
        out[i] = alphabet[randombytes_uniform(sizeof(alphabet) - 1)];
    if (n)
        out[n - 1] = '\0';
}
