/* secrets.c — key ids and XChaCha20-Poly1305 envelopes (v1 and v2 sealed
 * values, see secrets.h). The master key file lives in keyfile.c. */
#include "secrets/secrets.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define V1 "v1."
#define V2 "v2."
#define NONCE_BYTES crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TAG_BYTES crypto_aead_xchacha20poly1305_ietf_ABYTES
#define KEY_ID_TEXT "tenantd master key id"

void td_key_random(td_key_t *out) { randombytes_buf(out->k, sizeof(out->k)); }

void td_key_b64(const td_key_t *key, char *out, size_t n) {
    sodium_bin2base64(out, n, key->k, sizeof(key->k), sodium_base64_VARIANT_ORIGINAL);
}

td_status td_key_from_b64(const char *b64, td_key_t *out) {
    size_t len = 0;
    const char *end;
    td_key_t k;
    if (sodium_base642bin(k.k, sizeof(k.k), b64, strlen(b64), " \t\r\n", &len, &end,
                          sodium_base64_VARIANT_ORIGINAL) ||
        len != TD_KEY_BYTES || *end) {
        sodium_memzero(&k, sizeof(k));
        return TD_E_KEY;
    }
    *out = k;
    sodium_memzero(&k, sizeof(k));
    return TD_OK;
}

/* A keyed hash of a fixed text: equal for equal keys, and without the key
 * nobody can tell which key an id belongs to. */
void td_key_id(const td_key_t *key, char out[TD_KEY_ID_LEN + 1]) {
    unsigned char h[TD_KEY_ID_LEN / 2];
    crypto_generichash(h, sizeof(h), (const unsigned char *)KEY_ID_TEXT, strlen(KEY_ID_TEXT),
                       key->k, sizeof(key->k));
    sodium_bin2hex(out, TD_KEY_ID_LEN + 1, h, sizeof(h));
}

/* The label of a v2 value, checked: TD_KEY_ID_LEN lowercase hex digits
 * and a dot after the prefix. Returns the base64 part, or NULL. */
static const char *v2_body(const char *sealed, char id[TD_KEY_ID_LEN + 1]) {
    const char *p = sealed + strlen(V2);
    for (int i = 0; i < TD_KEY_ID_LEN; i++)
        if (!p[i] || !strchr("0123456789abcdef", p[i]))
            return NULL;
    if (p[TD_KEY_ID_LEN] != '.')
        return NULL;
    memcpy(id, p, TD_KEY_ID_LEN);
    id[TD_KEY_ID_LEN] = '\0';
    return p + TD_KEY_ID_LEN + 1;
}

td_status td_sealed_key_id(const char *sealed, char out[TD_KEY_ID_LEN + 1]) {
    if (sealed && strncmp(sealed, V2, strlen(V2)) == 0)
        return v2_body(sealed, out) ? TD_OK : TD_E_CRYPTO;
    return sealed && strncmp(sealed, V1, strlen(V1)) == 0 ? TD_E_NOTFOUND : TD_E_CRYPTO;
}

/* Encrypts pt under key with associated data ad; *out = prefix +
 * base64url(nonce ‖ ciphertext), arena-owned. */
static td_status seal_text(td_arena_t *a, const td_key_t *key, const char *ad, const char *prefix,
                           const void *pt, size_t n, char **out) {
    size_t blen = NONCE_BYTES + n + TAG_BYTES;
    unsigned char *buf = td_arena_alloc(a, blen);
    if (!buf || !ad)
        return TD_E_NOMEM;
    randombytes_buf(buf, NONCE_BYTES);
    unsigned long long clen;
    crypto_aead_xchacha20poly1305_ietf_encrypt(buf + NONCE_BYTES, &clen, pt, n,
                                               (const unsigned char *)ad, strlen(ad), NULL, buf,
                                               key->k);
    size_t tlen = sodium_base64_encoded_len(blen, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *txt = td_arena_alloc(a, strlen(prefix) + tlen);
    if (!txt)
        return TD_E_NOMEM;
    strcpy(txt, prefix);
    sodium_bin2base64(txt + strlen(prefix), tlen, buf, blen,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    *out = txt;
    return TD_OK;
}

/* Decrypts base64url(nonce ‖ ciphertext) under key with associated data
 * ad; *pt arena-owned and NUL-terminated. */
static td_status open_text(td_arena_t *a, const td_key_t *key, const char *ad, const char *b64,
                           unsigned char **pt, size_t *n) {
    size_t cap = strlen(b64), blen = 0;
    unsigned char *buf = td_arena_alloc(a, cap + 1);
    if (!buf || !ad)
        return TD_E_NOMEM;
    if (sodium_base642bin(buf, cap, b64, cap, NULL, &blen, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) ||
        blen < NONCE_BYTES + TAG_BYTES)
        return TD_E_CRYPTO;
    unsigned char *out = td_arena_alloc(a, blen - NONCE_BYTES - TAG_BYTES + 1);
    if (!out)
        return TD_E_NOMEM;
    unsigned long long plen;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(out, &plen, NULL, buf + NONCE_BYTES,
                                                   blen - NONCE_BYTES, (const unsigned char *)ad,
                                                   strlen(ad), buf, key->k))
        return TD_E_CRYPTO;
    out[plen] = '\0';
    *pt = out;
    *n = (size_t)plen;
    return TD_OK;
}

td_status td_seal(td_arena_t *a, const td_key_t *key, const char *owner, const char *purpose,
                  const void *pt, size_t n, char **out) {
    return seal_text(a, key, td_arena_printf(a, "tenantd/v1/%s/%s", purpose, owner), V1, pt, n,
                     out);
}

td_status td_seal_with_id(td_arena_t *a, const td_key_t *key, const char *owner,
                          const char *purpose, const void *pt, size_t n, char **out) {
    char id[TD_KEY_ID_LEN + 1];
    td_key_id(key, id);
    return seal_text(a, key, td_arena_printf(a, "tenantd/v2/%s/%s/%s", purpose, owner, id),
                     td_arena_printf(a, V2 "%s.", id), pt, n, out);
}

td_status td_open(td_arena_t *a, const td_key_t *key, const char *owner, const char *purpose,
                  const char *sealed, unsigned char **pt, size_t *n) {
    char id[TD_KEY_ID_LEN + 1], mine[TD_KEY_ID_LEN + 1];
    td_status st = td_sealed_key_id(sealed, id);
    if (st == TD_E_NOTFOUND)
        return open_text(a, key, td_arena_printf(a, "tenantd/v1/%s/%s", purpose, owner),
                         sealed + strlen(V1), pt, n);
    if (st)
        return st;
    td_key_id(key, mine);
    if (strcmp(id, mine)) /* sealed under another key: no need to try */
        return TD_E_CRYPTO;
    return open_text(a, key, td_arena_printf(a, "tenantd/v2/%s/%s/%s", purpose, owner, id),
                     v2_body(sealed, id), pt, n);
}

td_status td_key_wrap(td_arena_t *a, const td_key_t *kek, const char *owner, const td_key_t *key,
                      char **out) {
    return td_seal_with_id(a, kek, owner, TD_PURPOSE_TENANT_KEY, key->k, sizeof(key->k), out);
}

td_status td_key_take(unsigned char *pt, size_t n, td_key_t *out) {
    if (n == TD_KEY_BYTES)
        memcpy(out->k, pt, n);
    sodium_memzero(pt, n);
    return n == TD_KEY_BYTES ? TD_OK : TD_E_CRYPTO;
}

td_status td_key_unwrap(td_arena_t *a, const td_key_t *kek, const char *owner,
                        const char *wrapped, td_key_t *out) {
    unsigned char *pt;
    size_t n;
    td_status st = td_open(a, kek, owner, TD_PURPOSE_TENANT_KEY, wrapped, &pt, &n);
    return st ? st : td_key_take(pt, n, out);
}
