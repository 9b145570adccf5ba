/* tokens.h — issuing access and refresh tokens.
 *
 * Access tokens are EdDSA JWTs (jwt.h) carrying iss, sub, tid (absent for
 * superadmins), role, svc, iat, exp and jti, valid TD_ACCESS_TTL seconds,
 * and three of tenantd's own: gen (the principal's generation when it was
 * issued: revocation compares it), sid (the session that logout ends) and
 * svc_all (true when svc is not a limit: an admin granted no list).
 * Refresh tokens are opaque: "tdr_" + scope + "_" + 43 random base64url
 * characters, where scope is "p" for a superadmin's session (kept in the
 * catalog) or the tenant's compact id (kept in its auth.sessions). Only
 * their BLAKE2b hash is ever stored. */
#ifndef TD_TOKENS_H
#define TD_TOKENS_H

#include <stddef.h>
#include <stdint.h>

#include "auth/jwt.h"

#define TD_ISSUER "tenantd"
#define TD_ACCESS_TTL 900 /* the longest access-token lifetime (access_ttl ≤ it) */
#define TD_IMPERSONATION_TTL 3600 /* the longest an impersonation token lives */
#define TD_REFRESH_TTL (30 * 24 * 3600)
#define TD_REFRESH_LEN 80 /* "tdr_" + up to 32 + "_" + 43 */
#define TD_HASH_HEX 65    /* 32-byte hash as hex + NUL */

typedef struct {
    const char *sub;  /* user or admin id */
    const char *role; /* superadmin | admin | manager | client */
    const char *tid;  /* tenant id; NULL for superadmins */
    const char *const *svc;
    size_t nsvc;
    int svc_all;      /* every service of the tenant, now and later (an
                         admin granted no list): claim svc_all */
    int64_t gen;      /* the principal's generation (ms): claim gen */
    const char *sid;  /* the session (refresh family) it belongs to: claim sid */
    const char *act;  /* impersonated: the superadmin acting (claim act.sub) */
    const char *imp;  /* impersonated: the impersonation's id, the token's jti */
    const char *acc;  /* an account owner's token, or one it switched into a tenant with:
                         the account (claim acc; its suspension ends the token) */
} td_principal_t;

/* A signed access token (malloc'd) living ttl seconds (at most
 * TD_ACCESS_TTL, the longest any verifier accepts; TD_IMPERSONATION_TTL
 * for an impersonation's, p->act set), and its jti (p->imp when set). */
td_status td_token_issue(const td_jwt_keyset_t *ks, const td_principal_t *p, int64_t now,
                         int64_t ttl, char **access, char jti[33]);
/* Writes prefix followed by 43 base64url characters of 32 random bytes into
 * out (n bytes) and the stored hash of the result into hash. Refresh tokens
 * and API keys are both made this way. */
void td_secret_new(const char *prefix, char *out, size_t n, char hash[TD_HASH_HEX]);
/* A new refresh token for scope ("p" or a compact tenant id) and the hash
 * to store. */
void td_refresh_new(const char *scope, char token[TD_REFRESH_LEN + 1], char hash[TD_HASH_HEX]);
/* The scope of a refresh token into out (≤ 32 chars); -1 when malformed. */
int td_refresh_scope(const char *token, char out[33]);
/* The stored form of a refresh token. */
void td_refresh_hash(const char *token, char hash[TD_HASH_HEX]);

#endif
