/* signing.h — the token signing keys, kept in the catalog.
 *
 * The Ed25519 keys that sign access tokens live in system_config under
 * "jwt_keys", sealed with the master key (purpose "jwt-keys"): a JSON array
 * of {kid, pk, sk, not_after}, newest first. They are created the first
 * time the catalog is opened, re-sealed when the master key rotates, and
 * rotated themselves with the old key kept for verification until the
 * tokens it signed have expired. */
#ifndef TD_SIGNING_H
#define TD_SIGNING_H

#include "auth/jwt.h"
#include "catalog/catalog.h"
#include "secrets/secrets.h"

#define TD_PURPOSE_JWT_KEYS "jwt-keys"

/* Loads the keyset, creating a first key when the catalog has none. */
td_status td_signing_load(td_db_t *db, const td_key_t *master, td_jwt_keyset_t *out);
/* Re-seals the stored keyset under a new master key (inside the caller's
 * transaction). A catalog without keys is left alone. */
td_status td_signing_reseal(td_db_t *db, td_arena_t *a, const td_key_t *old_master,
                            const td_key_t *new_master);
/* Puts a new signing key first; the previous ones verify until now +
 * grace_s, then drop out. Stores and returns the new keyset. */
td_status td_signing_rotate(td_db_t *db, const td_key_t *master, int64_t now, int64_t grace_s,
                            td_jwt_keyset_t *out);

#endif
