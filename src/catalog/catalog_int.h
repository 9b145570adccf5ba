/* catalog_int.h — helpers shared by the catalog's files. */
#ifndef TD_CATALOG_INT_H
#define TD_CATALOG_INT_H

#include "catalog/catalog.h"

/* Current time as ISO-8601 text in out (≥ 32 bytes). */
void td_cat_now(char *out);
/* Runs sql with the n texts of v bound in order (NULL binds NULL);
 * *changes (may be NULL) the rows it changed. */
td_status td_cat_exec_texts(td_db_t *db, const char *sql, const char *const *v, int n,
                            int64_t *changes);

#endif
