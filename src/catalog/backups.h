/* backups.h — the backups table (migration 0013) and the schema-version
 * ledger as backups read it. Strings handed back are owned by the arena. */
#ifndef TD_CATALOG_BACKUPS_H
#define TD_CATALOG_BACKUPS_H

#include <stdint.h>

#include "catalog/catalog.h"

typedef struct {
    const char *id, *tenant_id, *status; /* running | ready | failed */
    const char *file;                    /* relative to the data folder's backups/ */
    const char *checksum, *error, *job_id, *created_at, *finished_at;
    int64_t size, rows;
} td_backup_row_t;

/* Inserts b (status running). */
td_status td_cat_backup_insert(td_db_t *db, const td_backup_row_t *b);
/* Records the end of a backup: ready with its size, checksum and rows, or
 * failed with error. */
td_status td_cat_backup_finish(td_db_t *db, const td_backup_row_t *b);
/* By id, of tenant_id: TD_E_NOTFOUND otherwise. */
td_status td_cat_backup_get(td_db_t *db, td_arena_t *a, const char *tenant_id, const char *id,
                            td_backup_row_t *out);
/* A tenant's backups, newest first (at most 1000). */
td_status td_cat_backup_list(td_db_t *db, td_arena_t *a, const char *tenant_id,
                             td_backup_row_t **out, size_t *n);
td_status td_cat_backup_delete(td_db_t *db, const char *id);
/* The schema version the ledger records for a tenant's service (0: none). */
td_status td_cat_schema_version_get(td_db_t *db, const char *tenant_id, const char *service,
                                    int *version);

#endif
