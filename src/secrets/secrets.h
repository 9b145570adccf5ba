/* secrets.h — the master key and envelope encryption (SPEC §5).
 *
 * The master key (32 bytes) comes from TENANTD_MASTER_KEY (base64) or the
 * file $TENANTD_DATA/master.key (base64, mode 0600, created by init). It
 * wraps each tenant's random data key; tenant keys encrypt the tenant's
 * secrets. Every sealed value is text, XChaCha20-Poly1305 under a random
 * nonce, in one of two versioned forms:
 *
 *   v1.<base64url(nonce ‖ ciphertext)>           associated data
 *                                                "tenantd/v1/<purpose>/<owner>"
 *   v2.<key id>.<base64url(nonce ‖ ciphertext)>  associated data
 *                                                "tenantd/v2/<purpose>/<owner>/<key id>"
 *
 * so a sealed value moved to another tenant or used for another purpose
 * fails to open. v2 values name the key that sealed them (td_key_id: 16 hex
 * digits of a keyed BLAKE2b of a fixed text, which tells nothing about the
 * key): whatever the master key seals is v2, so a process meeting a value
 * sealed under a master key it does not hold knows it at once (another
 * process rotated the key) instead of guessing from a failed decryption. */
#ifndef TD_SECRETS_H
#define TD_SECRETS_H

#include <stddef.h>

#include "common/arena.h"
#include "common/status.h"

#define TD_KEY_BYTES 32
#define TD_KEY_ID_LEN 16 /* hex digits */

typedef struct {
    unsigned char k[TD_KEY_BYTES];
} td_key_t;

/* Purposes: part of the associated data. */
#define TD_PURPOSE_TENANT_KEY "tenant-key"
#define TD_PURPOSE_DB_PASSWORD "db-password"
#define TD_PURPOSE_SERVER_URL "db-server-url"
#define TD_PURPOSE_KEY_CHECK "key-check"
#define TD_PURPOSE_DB_URL "db-url" /* a tenant's own database (bring your own) */

void td_key_random(td_key_t *out);
/* Base64 (standard, padded) of the key into out (≥ 45 bytes). */
void td_key_b64(const td_key_t *key, char *out, size_t n);
/* Parses 32 bytes of standard base64 (surrounding white space allowed).
 * TD_E_KEY otherwise; out is untouched then. */
td_status td_key_from_b64(const char *b64, td_key_t *out);
/* The key's id: TD_KEY_ID_LEN lowercase hex digits and a NUL into out. */
void td_key_id(const td_key_t *key, char out[TD_KEY_ID_LEN + 1]);

/* Seals plaintext under key as a v1 value; *out is arena-owned text. */
td_status td_seal(td_arena_t *a, const td_key_t *key, const char *owner, const char *purpose,
                  const void *pt, size_t n, char **out);
/* The same as a v2 value, labelled with td_key_id(key). */
td_status td_seal_with_id(td_arena_t *a, const td_key_t *key, const char *owner,
                          const char *purpose, const void *pt, size_t n, char **out);
/* Opens a sealed text (v1 or v2). *pt is arena-owned, NUL-terminated, *n
 * its length. TD_E_CRYPTO when the key, owner or purpose is wrong, a v2
 * value names another key, or the text was altered. */
td_status td_open(td_arena_t *a, const td_key_t *key, const char *owner, const char *purpose,
                  const char *sealed, unsigned char **pt, size_t *n);
/* The id of the key a v2 value names, into out. TD_E_NOTFOUND for a v1
 * value (it names none), TD_E_CRYPTO when sealed is neither. */
td_status td_sealed_key_id(const char *sealed, char out[TD_KEY_ID_LEN + 1]);
/* Keys under a key: seal/open exactly TD_KEY_BYTES, purpose tenant-key;
 * wrapping makes a v2 value. */
td_status td_key_wrap(td_arena_t *a, const td_key_t *kek, const char *owner, const td_key_t *key,
                      char **out);
td_status td_key_unwrap(td_arena_t *a, const td_key_t *kek, const char *owner,
                        const char *wrapped, td_key_t *out);
/* The key in a plaintext td_open gave for purpose tenant-key: exactly
 * TD_KEY_BYTES (else TD_E_CRYPTO, out untouched); pt is wiped either way. */
td_status td_key_take(unsigned char *pt, size_t n, td_key_t *out);

/* ---- the master key file (keyfile.c) ----
 *
 * A rotation writes the new key to "<path>.new", commits the catalog under
 * it, then renames that file over path. Between those two steps (or after a
 * crash there) the key in force is in "<path>.new"; td_master_key_find
 * looks in both, td_master_key_install finishes the rename. Renames and new
 * key files are made only under td_master_key_lock, so two rotations (or a
 * rotation and a start finishing an earlier one) never replace each
 * other's file. */

/* Loads the master key: from b64 when not empty, else from path. With
 * create set and neither present, makes a new key file (mode 0600).
 * TD_E_KEY with a clear message in err when missing or malformed. */
td_status td_master_key_load(const char *b64, const char *path, int create, td_key_t *out,
                             char *err, size_t errlen);
/* Writes key to path atomically (tmp + fsync + rename + fsync of the
 * folder), mode 0600. */
td_status td_master_key_write(const char *path, const td_key_t *key);
/* The key whose id is id, read from path or "<path>.new". TD_E_NOTFOUND
 * when neither holds it (or neither can be read). */
td_status td_master_key_find(const char *path, const char *id, td_key_t *out);
/* Makes path hold the key whose id is id: nothing to do when it does,
 * else "<path>.new" is renamed over it when that holds it (durably).
 * TD_E_NOTFOUND when neither holds it; TD_E_IO when the rename fails. Call
 * under td_master_key_lock. */
td_status td_master_key_install(const char *path, const char *id);
/* Takes the exclusive lock "<path>.lock" (waits for it); *fd is released
 * by td_master_key_unlock. TD_E_IO when the lock file cannot be made. */
td_status td_master_key_lock(const char *path, int *fd);
void td_master_key_unlock(int fd);

#endif
