/* password.h — password hashing with argon2id (libsodium crypto_pwhash).
 *
 * Parameters are at least OWASP's minimum for argon2id: 19 MiB of memory,
 * two passes, one lane. The encoded hash carries its parameters, so they
 * can rise later without breaking stored hashes. */
#ifndef TD_PASSWORD_H
#define TD_PASSWORD_H

#include <sodium.h>

#include "common/status.h"

#define TD_PASSWORD_HASH_MAX crypto_pwhash_STRBYTES
#define TD_PASSWORD_MIN 8
#define TD_PASSWORD_MAX 1024

/* Why pw cannot be a new password (static text, safe to show: it never
 * quotes pw), or NULL when it can: 8 to 1024 bytes, and not one of the
 * common passwords of src/auth/common-passwords.txt (compared lower-cased). */
const char *td_password_problem(const char *pw);
/* TD_OK when pw can be a new password (td_password_problem is NULL). */
td_status td_password_check(const char *pw);
/* Hashes pw (8..1024 bytes; the list is not consulted: existing
 * passwords are rehashed with it) into out (TD_PASSWORD_HASH_MAX bytes). */
td_status td_password_hash(const char *pw, char out[TD_PASSWORD_HASH_MAX]);
/* TD_OK when pw matches hash, TD_E_AUTH when not. */
td_status td_password_verify(const char *hash, const char *pw);
/* 1 when hash was made with parameters below the current ones (rehash it
 * at the next successful login). */
int td_password_needs_rehash(const char *hash);
/* A random password of printable characters for generated credentials
 * (n-1 characters and a NUL). */
void td_password_generate(char *out, size_t n);

#endif
