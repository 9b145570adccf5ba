/* catalog_int.h — helpers shared by the catalog's files. */
#ifndef TD_CATALOG_INT_H
#define TD_CATALOG_INT_H

#include "catalog/catalog.h"

/* Column col of the current row, copied into the arena (NULL stays NULL). */
const char *td_cat_col(td_stmt_t *st, td_arena_t *a, int col);
/* Current time as ISO-8601 text in out (≥ 32 bytes). */
void td_cat_now(char *out);
/* Steps st to its end; returns TD_OK or the error. */
td_status td_cat_drain(td_stmt_t *st);

#endif
