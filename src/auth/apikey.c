/* apikey.c — API key text: make, parse, hash. */
#include "auth/apikey.h"

#include <stdio.h>
#include <string.h>

void td_apikey_hash(const char *key, char hash[TD_HASH_HEX]) {
    unsigned char h[32];
    crypto_generichash(h, sizeof(h), (const unsigned char *)key, strlen(key), NULL, 0);
    sodium_bin2hex(hash, TD_HASH_HEX, h, sizeof(h));
}

void td_apikey_new(const char *id, char key[TD_APIKEY_LEN + 1], char hash[TD_HASH_HEX]) {
    char compact[33];
    unsigned char r[32];
    td_id_compact(id, compact);
    randombytes_buf(r, sizeof(r));
    int k = snprintf(key, TD_APIKEY_LEN + 1, "tdk_%s_", compact);
    sodium_bin2base64(key + k, (size_t)(TD_APIKEY_LEN + 1 - k), r, sizeof(r),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(r, sizeof(r));
    td_apikey_hash(key, hash);
}

int td_apikey_parse(const char *s, char id[TD_ID_LEN + 1]) {
    if (!s || strlen(s) != TD_APIKEY_LEN || strncmp(s, "tdk_", 4) || s[36] != '_')
        return 0;
    for (int i = 4; i < 36; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    for (int i = 37; i < TD_APIKEY_LEN; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              c == '-' || c == '_'))
            return 0;
    }
    snprintf(id, TD_ID_LEN + 1, "%.8s-%.4s-%.4s-%.4s-%.12s", s + 4, s + 12, s + 16, s + 20,
             s + 24);
    return td_id_valid(id);
}
