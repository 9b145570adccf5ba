/* jwt.h — JSON Web Tokens (RFC 7519) signed with EdDSA over Ed25519
 * (RFC 8037), written on libsodium.
 *
 * One algorithm is pinned: a token whose header says anything but
 * "alg":"EdDSA" is rejected before any key is looked at, so neither "none"
 * nor an HMAC signed with a public key can pass. Verification checks, in
 * order: size, shape (three base64url parts, no padding), header (alg,
 * known kid), signature, then the claims: iss equal to the expected issuer,
 * exp present and in the future, iat present and not in the future (with
 * a small skew), nbf (when present) not in the future, a lifetime (exp −
 * iat) no longer than the verifier's maximum, sub, role and jti present. */
#ifndef TD_JWT_H
#define TD_JWT_H

#include <jansson.h>
#include <sodium.h>
#include <stdint.h>

#include "common/status.h"

#define TD_JWT_MAX_LEN 8192 /* longer tokens are refused unread */
#define TD_JWT_KID_LEN 16   /* hex characters */
#define TD_JWT_MAX_KEYS 8
#define TD_JWT_SKEW_S 60    /* tolerated clock difference for iat */

typedef struct {
    char kid[TD_JWT_KID_LEN + 1];
    unsigned char pk[crypto_sign_PUBLICKEYBYTES];
    unsigned char sk[crypto_sign_SECRETKEYBYTES]; /* zero when verify-only */
    int64_t not_after; /* unix seconds after which it no longer verifies; 0 = none */
} td_jwt_key_t;

/* Signing uses keys[0]; every key verifies. Owned by the caller. */
typedef struct {
    td_jwt_key_t keys[TD_JWT_MAX_KEYS];
    int n;
} td_jwt_keyset_t;

/* A new Ed25519 key with a random kid. */
void td_jwt_key_generate(td_jwt_key_t *k);
/* Signs claims (a JSON object; not modified) with keys[0]; *out is a
 * malloc'd token the caller frees. */
td_status td_jwt_sign(const td_jwt_keyset_t *ks, json_t *claims, char **out);
/* Verifies token as described above at time now (unix seconds), refusing
 * lifetimes over max_life seconds (0: no limit). On success *claims is a
 * new reference the caller decrefs. Failures are TD_E_AUTH with a short
 * reason in *why (static text, safe to show). */
td_status td_jwt_verify(const td_jwt_keyset_t *ks, const char *token, const char *issuer,
                        int64_t now, int64_t max_life, json_t **claims, const char **why);
/* The JWKS document of the keyset's public keys (new reference). */
json_t *td_jwt_jwks(const td_jwt_keyset_t *ks, int64_t now);

#endif
