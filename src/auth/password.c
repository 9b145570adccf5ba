/* password.c — argon2id hashing. */
#include "auth/password.h"

#include <string.h>

#define OPSLIMIT 2
#define MEMLIMIT (19u * 1024u * 1024u)

td_status td_password_check(const char *pw) {
    size_t n = pw ? strlen(pw) : 0;
    return (n < TD_PASSWORD_MIN || n > TD_PASSWORD_MAX) ? TD_E_INVALID : TD_OK;
}

td_status td_password_hash(const char *pw, char out[TD_PASSWORD_HASH_MAX]) {
    if (td_password_check(pw))
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
