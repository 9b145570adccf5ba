/* revoke.h — the set of revoked access tokens.
 *
 * Logout revokes an access token at once: its jti goes into the catalog
 * (revoked_tokens, kept until the token would have expired) and into this
 * in-memory set, which every authenticated request consults without a
 * database trip. Loaded from the catalog at start. Deleting or disabling a
 * user, or deleting a tenant, revokes every token issued to them so far. */
#ifndef TD_REVOKE_H
#define TD_REVOKE_H

#include <stdint.h>

#include "catalog/catalog.h"

typedef struct td_revocations td_revocations_t;

td_revocations_t *td_revocations_new(void);
void td_revocations_free(td_revocations_t *r);
/* Loads the unexpired entries of the catalog. */
td_status td_revocations_load(td_revocations_t *r, td_db_t *db, int64_t now);
/* Reads revocations other processes recorded since the last call, at most
 * once every interval seconds (cheap to call on every request). */
void td_revocations_sync(td_revocations_t *r, td_catalog_t *cat, int64_t now, int64_t interval);
/* Records a revocation in the catalog and in memory (r may be NULL: the
 * catalog only, for commands outside the server), kept until exp (unix
 * seconds, the last moment a token it covers could still be valid). Keys:
 * "jti:<jti>" revokes one token; "sub:<id>" and "tid:<id>" revoke every
 * token of a user or a tenant issued up to now. */
td_status td_revocations_add(td_revocations_t *r, td_db_t *db, const char *key, int64_t exp);
/* 1 when a token with these claims is revoked (tid may be NULL). */
int td_revocations_covers(td_revocations_t *r, const char *jti, const char *sub, const char *tid,
                          int64_t iat);

#endif
