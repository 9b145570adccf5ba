/* revoke.h — the set of revoked access tokens.
 *
 * Logout revokes an access token at once: its jti goes into the catalog
 * (revoked_tokens, kept until the token would have expired) and into this
 * in-memory set, which every authenticated request consults without a
 * database trip. Loaded from the catalog at start. */
#ifndef TD_REVOKE_H
#define TD_REVOKE_H

#include <stdint.h>

#include "catalog/catalog.h"

typedef struct td_revocations td_revocations_t;

td_revocations_t *td_revocations_new(void);
void td_revocations_free(td_revocations_t *r);
/* Loads the unexpired entries of the catalog. */
td_status td_revocations_load(td_revocations_t *r, td_db_t *db, int64_t now);
/* Records jti (valid until exp) in the catalog and in memory. */
td_status td_revocations_add(td_revocations_t *r, td_db_t *db, const char *jti, int64_t exp);
/* 1 when jti is revoked. */
int td_revocations_contains(td_revocations_t *r, const char *jti);

#endif
