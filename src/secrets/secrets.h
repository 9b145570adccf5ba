/* secrets.h — the master key and envelope encryption (SPEC §5).
 *
 * The master key (32 bytes) comes from TENANTD_MASTER_KEY (base64) or the
 * file $TENANTD_DATA/master.key (base64, mode 0600, created by init). It
 * wraps each tenant's random data key; tenant keys encrypt the tenant's
 * secrets. Every sealed value is text: "v1." + base64url(nonce ‖ ciphertext)
 * with XChaCha20-Poly1305, and its associated data binds the owner's id and
 * the purpose ("tenantd/v1/<purpose>/<owner>"), so a sealed value moved to
 * another tenant or used for another purpose fails to open. */
#ifndef TD_SECRETS_H
#define TD_SECRETS_H

#include <stddef.h>

#include "common/arena.h"
#include "common/status.h"

#define TD_KEY_BYTES 32

typedef struct {
    unsigned char k[TD_KEY_BYTES];
} td_key_t;

/* Purposes: part of the associated data. */
#define TD_PURPOSE_TENANT_KEY "tenant-key"
#define TD_PURPOSE_DB_PASSWORD "db-password"
#define TD_PURPOSE_SERVER_URL "db-server-url"
#define TD_PURPOSE_KEY_CHECK "key-check"
#define TD_PURPOSE_DB_URL "db-url" /* a tenant's own database (bring your own) */

/* Loads the master key: from b64 when not empty, else from path. With
 * create set and neither present, makes a new key file (mode 0600).
 * TD_E_KEY with a clear message in err when missing or malformed. */
td_status td_master_key_load(const char *b64, const char *path, int create, td_key_t *out,
                             char *err, size_t errlen);
/* Writes key to path atomically (tmp + fsync + rename), mode 0600. */
td_status td_master_key_write(const char *path, const td_key_t *key);
void td_key_random(td_key_t *out);
/* Base64 (standard, padded) of the key into out (≥ 45 bytes). */
void td_key_b64(const td_key_t *key, char *out, size_t n);

/* Seals plaintext under key; *out is arena-owned text. */
td_status td_seal(td_arena_t *a, const td_key_t *key, const char *owner, const char *purpose,
                  const void *pt, size_t n, char **out);
/* Opens a sealed text. *pt is arena-owned, NUL-terminated, *n its length.
 * TD_E_CRYPTO when the key, owner or purpose is wrong or the text was
 * altered. */
td_status td_open(td_arena_t *a, const td_key_t *key, const char *owner, const char *purpose,
                  const char *sealed, unsigned char **pt, size_t *n);
/* Convenience for keys: seal/open exactly TD_KEY_BYTES. */
td_status td_key_wrap(td_arena_t *a, const td_key_t *kek, const char *owner, const td_key_t *key,
                      char **out);
td_status td_key_unwrap(td_arena_t *a, const td_key_t *kek, const char *owner,
                        const char *wrapped, td_key_t *out);

#endif
