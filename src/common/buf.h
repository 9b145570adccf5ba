/* buf.h — growable byte buffers with a hard maximum.
 *
 * Every buffer that grows has a cap; appending past it fails with
 * TD_E_TOOBIG and leaves the buffer as it was. The data is always
 * NUL-terminated so it can be used as a C string. The caller owns the
 * buffer and frees it with td_buf_free. */
#ifndef TD_BUF_H
#define TD_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "common/status.h"

typedef struct {
    char *data; /* NUL-terminated; NULL until the first append */
    size_t len; /* bytes used, not counting the NUL */
    size_t cap; /* bytes allocated */
    size_t max; /* hard limit on len */
} td_buf_t;

void td_buf_init(td_buf_t *b, size_t max);
void td_buf_free(td_buf_t *b);
void td_buf_reset(td_buf_t *b);
td_status td_buf_append(td_buf_t *b, const void *p, size_t n);
td_status td_buf_puts(td_buf_t *b, const char *s);
/* Extends the buffer by n bytes the caller fills at *at (NUL after them). */
td_status td_buf_extend(td_buf_t *b, size_t n, char **at);
td_status td_buf_printf(td_buf_t *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Appends s as the inside of a JSON string (quotes not included). */
td_status td_buf_json_escape(td_buf_t *b, const char *s);
/* Returns the data (never NULL: "" when empty). */
const char *td_buf_str(const td_buf_t *b);

#endif
