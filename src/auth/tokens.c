/* tokens.c — access and refresh tokens. */
#include "auth/tokens.h"

#include <stdio.h>
#include <string.h>

#include "common/id.h"

td_status td_token_issue(const td_jwt_keyset_t *ks, const td_principal_t *p, int64_t now,
                         int64_t ttl, char **access, char jti[33]) {
    int64_t max = p->act ? TD_IMPERSONATION_TTL : TD_ACCESS_TTL;
    ttl = ttl > 0 && ttl < max ? ttl : max;
    if (p->imp && strlen(p->imp) <= 32)
        snprintf(jti, 33, "%s", p->imp);
    else
        td_random_hex(jti, 16);
    json_t *svc = json_array();
    for (size_t i = 0; i < p->nsvc; i++)
        json_array_append_new(svc, json_string(p->svc[i]));
    json_t *c = json_pack("{s:s, s:s, s:s, s:o, s:I, s:I, s:s}", "iss", TD_ISSUER, "sub", p->sub,
                          "role", p->role, "svc", svc, "iat", (json_int_t)now, "exp",
                          (json_int_t)(now + ttl), "jti", jti);
    if (!c)
        return TD_E_NOMEM;
    if (p->tid)
        json_object_set_new(c, "tid", json_string(p->tid));
    if (p->gen)
        json_object_set_new(c, "gen", json_integer((json_int_t)p->gen));
    if (p->sid)
        json_object_set_new(c, "sid", json_string(p->sid));
    if (p->svc_all)
        json_object_set_new(c, "svc_all", json_true());
    if (p->acc)
        json_object_set_new(c, "acc", json_string(p->acc));
    if (p->act) /* RFC 8693: the party acting for sub */
        json_object_set_new(c, "act", json_pack("{s:s, s:s}", "sub", p->act, "role", "superadmin"));
    td_status st = td_jwt_sign(ks, c, access);
    json_decref(c);
    return st;
}

void td_refresh_hash(const char *token, char hash[TD_HASH_HEX]) {
    unsigned char h[32];
    crypto_generichash(h, sizeof(h), (const unsigned char *)token, strlen(token), NULL, 0);
    sodium_bin2hex(hash, TD_HASH_HEX, h, sizeof(h));
}

void td_secret_new(const char *prefix, char *out, size_t n, char hash[TD_HASH_HEX]) {
    unsigned char r[32];
    randombytes_buf(r, sizeof(r));
    int k = snprintf(out, n, "%s", prefix);
    sodium_bin2base64(out + k, n - (size_t)k, r, sizeof(r),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(r, sizeof(r));
    td_refresh_hash(out, hash);
}

void td_refresh_new(const char *scope, char token[TD_REFRESH_LEN + 1], char hash[TD_HASH_HEX]) {
    char prefix[40];
    snprintf(prefix, sizeof(prefix), "tdr_%.32s_", scope);
    td_secret_new(prefix, token, TD_REFRESH_LEN + 1, hash);
}

int td_refresh_scope(const char *token, char out[33]) {
    if (!token || strncmp(token, "tdr_", 4) || strlen(token) > TD_REFRESH_LEN)
        return -1;
    const char *s = token + 4, *u = strchr(s, '_');
    size_t n = u ? (size_t)(u - s) : 0;
    if (!n || n > 32 || strlen(u + 1) != 43)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'z')))
            return -1;
    memcpy(out, s, n);
    out[n] = '\0';
    return 0;
}
