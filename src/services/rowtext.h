/* rowtext.h — the rows of a list written as JSON text straight into the
 * answer's buffer, without a jansson object per row.
 *
 * The text is byte for byte what jansson's compact dump of the row's
 * object (td_eng_row_json) gives: keys in the order asked, strings escaped
 * as jansson escapes them (\" \\ \b \f \n \r \t, other control characters
 * as \u00XX in upper-case hex, nothing else), integers in decimal, reals
 * as "%.17g" with ".0" added when neither '.' nor 'e' appears and the
 * exponent's '+' and leading zeros removed, json fields re-dumped by
 * jansson. Where jansson would have dropped the member (text that is not
 * UTF-8, a real that is not finite) the value is null. */
#ifndef TD_ROWTEXT_H
#define TD_ROWTEXT_H

#include <stddef.h>

#include "common/buf.h"
#include "services/decl.h"
#include "store/store.h"

/* Appends s as a JSON string with its quotes (null when s is NULL or not
 * UTF-8). */
td_status td_rowtext_string(td_buf_t *b, const char *s);

/* Appends column col of st's current row as the value of field f. */
td_status td_rowtext_value(td_buf_t *b, td_stmt_t *st, int col, const td_field_t *f);

/* Appends the current row of a select_list statement (column i holds
 * r->fields[i]) as a JSON object: the fields cols[0..n-1] (indexes into
 * r->fields, in that order), or every field when cols is NULL. On failure
 * (TD_E_TOOBIG past b's maximum, TD_E_NOMEM) b may hold part of the row. */
td_status td_rowtext_row(td_buf_t *b, td_stmt_t *st, const td_resource_t *r, const size_t *cols,
                         size_t n);

#endif
