/* engine_int.h — what engine.c shares with list.c (not for other modules). */
#ifndef TD_ENGINE_INT_H
#define TD_ENGINE_INT_H

#include "services/engine.h"
#include "services/query.h"

/* "SELECT <every field> FROM <table>" */
void td_eng_select_list(td_query_t *q, const td_resource_t *r);
/* " AND owner = caller" when the scope is the caller's own rows */
void td_eng_where_owner(const td_res_ctx_t *c, const td_resource_t *r, td_query_t *q);
/* The current row of a select_list statement as a JSON object. */
json_t *td_eng_row_json(td_stmt_t *st, const td_resource_t *r);
/* Compact JSON text (malloc'd). */
char *td_eng_dump(json_t *v);
/* NULL when *vp fits field f, else an error code with a message in msg;
 * a time is replaced by a new reference in its canonical form. */
const char *td_eng_check_value(const td_field_t *f, json_t **vp, char *msg, size_t n);

#endif
