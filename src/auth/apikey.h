/* apikey.h — API keys: "tdk_" + 32 hex (the key's id without dashes) + "_"
 * + 43 base64url characters of secret. Only a BLAKE2b hash of the whole
 * key is stored; the key is shown once, when it is created. */
#ifndef TD_APIKEY_H
#define TD_APIKEY_H

#include "auth/tokens.h"
#include "common/arena.h"
#include "common/id.h"

#define TD_APIKEY_LEN 80 /* "tdk_" 32 "_" 43 */

/* A new key for id (a td_id), and the hash to store. */
void td_apikey_new(const char *id, char key[TD_APIKEY_LEN + 1], char hash[TD_HASH_HEX]);
/* 1 when s has the shape of a key; then id receives its id (dashed). */
int td_apikey_parse(const char *s, char id[TD_ID_LEN + 1]);
/* The stored hash of a key. */
void td_apikey_hash(const char *key, char hash[TD_HASH_HEX]);
/* A key's expiry as given by its creator (an RFC 3339 time) in the stored
 * form (…T10:00:00.000Z, which compares as text), in a; NULL when s is not
 * such a time or is not in the future. */
const char *td_apikey_expiry(td_arena_t *a, const char *s);

#endif
