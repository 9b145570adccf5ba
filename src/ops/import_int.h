/* import_int.h — what the import's files share (import_src.c reads the
 * source, import_gen.c writes a service from it, import.c copies). */
#ifndef TD_OPS_IMPORT_INT_H
#define TD_OPS_IMPORT_INT_H

#include "ops/import.h"
#include "store/rowstream.h"

/* A column of a target table besides id, created_at and updated_at. */
typedef struct {
    const char *name;  /* its name in the target */
    int src;           /* the source column it comes from; -1: src_id (the source key) */
    int kind;          /* TD_ROWS_* as stored in the target */
    const char *field; /* service.json type; NULL: not served (blobs) */
    const char *ref;   /* a ref: the table whose id it holds */
    const char *to;    /* and the column the source's key referenced ("" = its key) */
} imp_col_t;

typedef struct {
    td_rows_table_t src; /* the source table */
    int tcol;            /* the tenant column's index */
    int *key;            /* the key's source columns (tenant column left out) */
    int nkey;
    imp_col_t *cols;     /* src_id first */
    int ncols;
    td_rows_table_t dst; /* the target: id, cols, created_at, updated_at (service set later) */
} imp_table_t;

typedef struct {
    td_db_t *db;     /* the source, inside its read snapshot */
    imp_table_t *t;  /* in foreign-key order */
    size_t n;
    const char **values; /* distinct tenant values, sorted */
    size_t nvalues;
    int64_t null_rows;   /* rows without a tenant value (not imported) */
} imp_source_t;

/* Opens the source at from, reads its schema and tenant values inside one
 * read snapshot, and maps every table (op->err on failure). The caller
 * ends with imp_source_close. */
td_status imp_source_open(td_op_t *op, const char *from, const char *column, imp_source_t *s);
void imp_source_close(imp_source_t *s);

/* The deterministic id of a table's row whose key text is key (n bytes):
 * a UUID (version 8) from BLAKE2b of table and key. */
void imp_row_id(const char *table, const char *key, size_t n, char out[37]);

#endif
