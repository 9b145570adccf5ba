/* backup_int.h — what backup.c, backup_restore.c and backup_ops.c share. */
#ifndef TD_BACKUP_INT_H
#define TD_BACKUP_INT_H

#include "common/buf.h"
#include "store/rowstream.h"
#include "tenancy/backup.h"

#define BK_TABLES_MAX 512

/* Every table of a tenant with its row count, in stream order. */
typedef struct {
    td_rows_table_t t[BK_TABLES_MAX];
    int64_t rows[BK_TABLES_MAX];
    size_t n;
    int64_t total;
} bk_tables_t;

/* The row stream's decoder (backup.c): opened on a file with the tenant
 * key; each call reads the next piece and adds it to the checksum. */
td_status bk_dec_open(const char *path, const td_key_t *tk, void **out, char *err, size_t errlen);
void bk_dec_close(void *d);
td_status bk_dec_tag(void *d, char *tag);
td_status bk_dec_table(void *d, td_arena_t *a, td_rows_table_t *t);
td_status bk_dec_row(void *d, int ncols, td_rows_val_t *v, td_buf_t *buf);
td_status bk_dec_u64(void *d, uint64_t *v);
td_status bk_dec_end(void *d);

/* The service's schema version recorded for the tenant (0 when none). */
td_status td_backup_schema_version(td_op_t *op, const char *tenant_id, const char *service,
                                   int *version);

#endif
