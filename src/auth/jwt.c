/* jwt.c — EdDSA JWTs on libsodium. */
#include "auth/jwt.h"

#include <stdlib.h>
#include <string.h>

#include "common/id.h"

#define B64 sodium_base64_VARIANT_URLSAFE_NO_PADDING

void td_jwt_key_generate(td_jwt_key_t *k) {
    memset(k, 0, sizeof(*k));
    crypto_sign_keypair(k->pk, k->sk);
    td_random_hex(k->kid, TD_JWT_KID_LEN / 2);
}

/* base64url of n bytes, malloc'd. */
static char *b64(const void *p, size_t n) {
    size_t len = sodium_base64_encoded_len(n, B64);
    char *s = malloc(len);
    if (s)
        sodium_bin2base64(s, len, p, n, B64);
    return s;
}

td_status td_jwt_sign(const td_jwt_keyset_t *ks, json_t *claims, char **out) {
    if (ks->n < 1 || !json_is_object(claims))
        return TD_E_INVALID;
    const td_jwt_key_t *k = &ks->keys[0];
    json_t *hdr = json_pack("{s:s, s:s, s:s}", "alg", "EdDSA", "typ", "JWT", "kid", k->kid);
    char *h = json_dumps(hdr, JSON_COMPACT);
    char *c = json_dumps(claims, JSON_COMPACT);
    json_decref(hdr);
    char *hb = h ? b64(h, strlen(h)) : NULL, *cb = c ? b64(c, strlen(c)) : NULL;
    free(h);
    free(c);
    td_status st = TD_E_NOMEM;
    char *tok = NULL;
    if (hb && cb) {
        size_t signed_len = strlen(hb) + 1 + strlen(cb);
        size_t sig_len = sodium_base64_encoded_len(crypto_sign_BYTES, B64);
        tok = malloc(signed_len + 1 + sig_len);
        if (tok) {
            unsigned char sig[crypto_sign_BYTES];
            sprintf(tok, "%s.%s", hb, cb);
            crypto_sign_detached(sig, NULL, (const unsigned char *)tok, signed_len, k->sk);
            tok[signed_len] = '.';
            sodium_bin2base64(tok + signed_len + 1, sig_len, sig, sizeof(sig), B64);
            st = TD_OK;
        }
    }
    free(hb);
    free(cb);
    *out = tok;
    return st;
}

/* Decodes one strict base64url part (no padding, no whitespace) into a
 * malloc'd NUL-terminated buffer. */
static unsigned char *unb64(const char *p, size_t n, size_t *len) {
    unsigned char *out = malloc(n + 1);
    const char *end;
    if (!out || sodium_base642bin(out, n, p, n, NULL, len, &end, B64) || end != p + n) {
        free(out);
        return NULL;
    }
    /* Only the canonical encoding is accepted: the unused low bits of the
     * last character must be zero, so one token has exactly one spelling. */
    size_t elen = sodium_base64_encoded_len(*len, B64);
    char *again = malloc(elen);
    int canonical = again && sodium_bin2base64(again, elen, out, *len, B64) &&
                    strlen(again) == n && memcmp(again, p, n) == 0;
    free(again);
    if (!canonical) {
        free(out);
        return NULL;
    }
    out[*len] = '\0';
    return out;
}

static json_t *parse_part(const char *p, size_t n) {
    size_t len;
    unsigned char *raw = unb64(p, n, &len);
    if (!raw)
        return NULL;
    json_error_t e;
    json_t *j = json_loadb((const char *)raw, len, JSON_REJECT_DUPLICATES, &e);
    free(raw);
    if (j && !json_is_object(j)) {
        json_decref(j);
        j = NULL;
    }
    return j;
}

static const td_jwt_key_t *find_key(const td_jwt_keyset_t *ks, const char *kid, int64_t now) {
    for (int i = 0; kid && i < ks->n; i++)
        if (strcmp(ks->keys[i].kid, kid) == 0 &&
            (!ks->keys[i].not_after || now <= ks->keys[i].not_after))
            return &ks->keys[i];
    return NULL;
}

static const char *check_claims(json_t *c, const char *issuer, int64_t now, int64_t max_life) {
    json_t *exp = json_object_get(c, "exp"), *iat = json_object_get(c, "iat");
    json_t *nbf = json_object_get(c, "nbf");
    const char *iss = json_string_value(json_object_get(c, "iss"));
    if (!iss || strcmp(iss, issuer))
        return "wrong issuer";
    if (!json_is_integer(exp))
        return "no expiry";
    if (json_integer_value(exp) <= now)
        return "token expired";
    if (!json_is_integer(iat))
        return "no issue time";
    if (json_integer_value(iat) > now + TD_JWT_SKEW_S)
        return "issued in the future";
    if (nbf && (!json_is_integer(nbf) || json_integer_value(nbf) > now + TD_JWT_SKEW_S))
        return "not valid yet";
    if (max_life > 0 && json_integer_value(exp) - json_integer_value(iat) > max_life)
        return "lifetime too long";
    if (!json_is_string(json_object_get(c, "sub")) || !json_is_string(json_object_get(c, "role")) ||
        !json_is_string(json_object_get(c, "jti")))
        return "missing claims";
    json_t *tid = json_object_get(c, "tid"), *svc = json_object_get(c, "svc");
    json_t *gen = json_object_get(c, "gen"), *sid = json_object_get(c, "sid");
    json_t *all = json_object_get(c, "svc_all");
    if ((tid && !json_is_string(tid)) || (svc && !json_is_array(svc)) ||
        (gen && !json_is_integer(gen)) || (sid && !json_is_string(sid)) ||
        (all && !json_is_boolean(all)))
        return "malformed claims";
    return NULL;
}

td_status td_jwt_verify(const td_jwt_keyset_t *ks, const char *token, const char *issuer,
                        int64_t now, int64_t max_life, json_t **claims, const char **why) {
    *claims = NULL;
    size_t n = token ? strnlen(token, TD_JWT_MAX_LEN + 1) : 0;
    const char *d1 = token ? memchr(token, '.', n) : NULL;
    const char *d2 = d1 ? memchr(d1 + 1, '.', n - (size_t)(d1 + 1 - token)) : NULL;
    *why = n > TD_JWT_MAX_LEN ? "token too long" : "malformed token";
    if (n == 0 || n > TD_JWT_MAX_LEN || !d2 || memchr(d2 + 1, '.', n - (size_t)(d2 + 1 - token)))
        return TD_E_AUTH;
    json_t *hdr = parse_part(token, (size_t)(d1 - token));
    const char *alg = json_string_value(json_object_get(hdr, "alg"));
    const char *kid = json_string_value(json_object_get(hdr, "kid"));
    td_status st = TD_E_AUTH;
    const td_jwt_key_t *k = NULL;
    unsigned char *sig = NULL;
    size_t siglen = 0;
    if (!hdr)
        *why = "malformed header";
    else if (!alg || strcmp(alg, "EdDSA") || json_object_get(hdr, "crit"))
        *why = "algorithm not accepted";
    else if (!(k = find_key(ks, kid, now)))
        *why = "unknown key";
    else if (!(sig = unb64(d2 + 1, n - (size_t)(d2 + 1 - token), &siglen)) ||
             siglen != crypto_sign_BYTES)
        *why = "malformed signature";
    else if (crypto_sign_verify_detached(sig, (const unsigned char *)token,
                                         (size_t)(d2 - token), k->pk))
        *why = "bad signature";
    else {
        json_t *c = parse_part(d1 + 1, (size_t)(d2 - d1 - 1));
        const char *bad = c ? check_claims(c, issuer, now, max_life) : "malformed claims";
        if (bad) {
            *why = bad;
            json_decref(c);
        } else {
            *claims = c;
            *why = NULL;
            st = TD_OK;
        }
    }
    free(sig);
    json_decref(hdr);
    return st;
}

json_t *td_jwt_jwks(const td_jwt_keyset_t *ks, int64_t now) {
    json_t *keys = json_array();
    for (int i = 0; i < ks->n; i++) {
        const td_jwt_key_t *k = &ks->keys[i];
        if (k->not_after && now > k->not_after)
            continue;
        char *x = b64(k->pk, sizeof(k->pk));
        json_array_append_new(keys, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "kty", "OKP",
                                              "crv", "Ed25519", "x", x ? x : "", "kid", k->kid,
                                              "alg", "EdDSA", "use", "sig"));
        free(x);
    }
    return json_pack("{s:o}", "keys", keys);
}
