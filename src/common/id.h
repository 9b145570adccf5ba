/* id.h — identifiers.
 *
 * Ids are UUIDv7 text (time-ordered, 36 characters, lowercase hex and
 * dashes): sortable by creation, unguessable in their random part, and safe
 * to use in file names and SQL identifiers once the dashes are dropped. */
#ifndef TD_ID_H
#define TD_ID_H

#include <stddef.h>

#define TD_ID_LEN 36

/* Writes a new id into out (at least TD_ID_LEN + 1 bytes). */
void td_id_new(char out[TD_ID_LEN + 1]);
/* 1 when s has exactly the shape of an id we issue. */
int td_id_valid(const char *s);
/* The id without dashes (32 hex chars), for physical names. */
void td_id_compact(const char *id, char out[33]);
/* Fills out with n random bytes as lowercase hex (2n+1 bytes). */
void td_random_hex(char *out, size_t nbytes);

#endif
