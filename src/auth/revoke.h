/* revoke.h — the set of revoked access tokens.
 *
 * Access tokens are verified without a database trip, so ending them early
 * needs a list: the catalog's revoked_tokens (kept until every token an
 * entry covers would have expired anyway) mirrored by this in-memory set,
 * which every authenticated request consults. Loaded from the catalog at
 * start; what other processes add is read every few seconds.
 *
 * Keys, and what they end:
 *   "jti:<jti>"  one token (logout);
 *   "sub:<id>"   every token of a user or superadmin whose generation (the
 *                `gen` claim: the principal's stamp when the token was
 *                issued) is below the entry's — a password change, a
 *                disable, a role change bumps the stamp, so a token issued
 *                after the change, even in the same millisecond, lives;
 *   "tid:<id>"   every token of a tenant issued at or before the entry
 *                (tenant deletion: no token can be issued after it). */
#ifndef TD_REVOKE_H
#define TD_REVOKE_H

#include <stdint.h>

#include "catalog/catalog.h"

typedef struct td_revocations td_revocations_t;

td_revocations_t *td_revocations_new(void);
void td_revocations_free(td_revocations_t *r);
/* Loads the unexpired entries of the catalog (leased here; now: unix
 * seconds). */
td_status td_revocations_load(td_revocations_t *r, td_catalog_t *cat, int64_t now);
/* Reads revocations other processes recorded since the last call, at most
 * once every interval seconds (cheap to call on every request). */
void td_revocations_sync(td_revocations_t *r, td_catalog_t *cat, int64_t now, int64_t interval);
/* Records a revocation in the catalog and in memory (r may be NULL: the
 * catalog only, for commands outside the server). since: milliseconds —
 * the generation below which a "sub:" entry ends tokens, the time up to
 * which a "tid:" entry does (ignored for "jti:"). exp: unix seconds, the
 * last moment a token it covers could still be valid. */
td_status td_revocations_add(td_revocations_t *r, td_db_t *db, const char *key, int64_t since,
                             int64_t exp);
/* 1 when a token with these claims is revoked. gen: its generation in
 * milliseconds; iat: its issue time in seconds; tid may be NULL. */
int td_revocations_covers(td_revocations_t *r, const char *jti, const char *sub, const char *tid,
                          int64_t gen, int64_t iat);
/* Ends every access token of principal sub issued below generation gen
 * (ms; see above), kept until they would have expired. The catalog is
 * leased here; r may be NULL (commands outside the server). */
td_status td_revoke_principal(td_revocations_t *r, td_catalog_t *cat, const char *sub,
                              int64_t gen);
/* After a change to a tenant user that ends its tokens (gen from
 * td_user_update or td_user_delete; 0 = nothing to end): revokes its
 * access tokens and, with keys (the user lost rights: deleted, disabled,
 * demoted, regranted), the API keys it created — their secret was shown to
 * it — and the keys those keys created. */
td_status td_revoke_user(td_revocations_t *r, td_catalog_t *cat, const char *tenant_id,
                         const char *user_id, int64_t gen, int keys);

#endif
