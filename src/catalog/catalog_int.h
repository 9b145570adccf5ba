/* catalog_int.h — helpers shared by the catalog's files. */
#ifndef TD_CATALOG_INT_H
#define TD_CATALOG_INT_H

#include "catalog/catalog.h"

/* Current time as ISO-8601 text in out (≥ 32 bytes). */
void td_cat_now(char *out);

#endif
