/* backups.c — the backups table (backups.h). */
#include "catalog/backups.h"

#include <stdio.h>
#include <string.h>

#define BACKUP_COLS                                                                         \
    "id, tenant_id, status, file, size, checksum, row_count, error, job_id, created_at,"   \
    " finished_at"

static void read_backup(td_stmt_t *st, td_arena_t *a, td_backup_row_t *b) {
    b->id = td_db_column_dup(st, a, 0);
    b->tenant_id = td_db_column_dup(st, a, 1);
    b->status = td_db_column_dup(st, a, 2);
    b->file = td_db_column_dup(st, a, 3);
    b->size = td_db_column_int64(st, 4);
    b->checksum = td_db_column_dup(st, a, 5);
    b->rows = td_db_column_int64(st, 6);
    b->error = td_db_column_dup(st, a, 7);
    b->job_id = td_db_column_dup(st, a, 8);
    b->created_at = td_db_column_dup(st, a, 9);
    b->finished_at = td_db_column_dup(st, a, 10);
}

td_status td_cat_backup_insert(td_db_t *db, const td_backup_row_t *b) {
    return td_db_execv(db, NULL,
                       "INSERT INTO backups (id, tenant_id, status, file, job_id, created_at)"
                       " VALUES (?, ?, 'running', ?, ?, ?)",
                       b->id, b->tenant_id, b->file, b->job_id ? b->job_id : "", b->created_at,
                       NULL);
}

td_status td_cat_backup_finish(td_db_t *db, const td_backup_row_t *b) {
    td_stmt_t *st = NULL;
    td_status rc = td_db_prepare(db,
                                 "UPDATE backups SET status = ?, size = ?, checksum = ?,"
                                 " row_count = ?, error = ?, finished_at = ? WHERE id = ?",
                                 &st);
    if (!rc)
        rc = td_db_bind_text(st, 1, b->status);
    if (!rc)
        rc = td_db_bind_int64(st, 2, b->size);
    if (!rc)
        rc = b->checksum ? td_db_bind_text(st, 3, b->checksum) : td_db_bind_null(st, 3);
    if (!rc)
        rc = td_db_bind_int64(st, 4, b->rows);
    if (!rc)
        rc = b->error ? td_db_bind_text(st, 5, b->error) : td_db_bind_null(st, 5);
    if (!rc)
        rc = td_db_bind_text(st, 6, b->finished_at);
    if (!rc)
        rc = td_db_bind_text(st, 7, b->id);
    if (!rc)
        rc = td_db_drain(st);
    if (!rc && td_db_changes(st) == 0)
        rc = TD_E_NOTFOUND;
    td_db_finalize(st);
    return rc;
}

td_status td_cat_backup_get(td_db_t *db, td_arena_t *a, const char *tenant_id, const char *id,
                            td_backup_row_t *out) {
    td_stmt_t *st = NULL;
    td_status rc = td_db_prepare(
        db, "SELECT " BACKUP_COLS " FROM backups WHERE id = ? AND tenant_id = ?", &st);
    if (!rc)
        rc = td_db_bind_text(st, 1, id);
    if (!rc)
        rc = td_db_bind_text(st, 2, tenant_id);
    int r = rc ? 0 : td_db_step(st);
    if (!rc)
        rc = r == TD_DB_ROW ? TD_OK : r == TD_DB_DONE ? TD_E_NOTFOUND : (td_status)r;
    if (!rc)
        read_backup(st, a, out);
    td_db_finalize(st);
    return rc;
}

td_status td_cat_backup_list(td_db_t *db, td_arena_t *a, const char *tenant_id,
                             td_backup_row_t **out, size_t *n) {
    td_stmt_t *st = NULL;
    size_t cap = 16, k = 0;
    td_backup_row_t *v = td_arena_alloc(a, cap * sizeof(*v));
    td_status rc = v ? td_db_prepare(db,
                                     "SELECT " BACKUP_COLS " FROM backups WHERE tenant_id = ?"
                                     " ORDER BY created_at DESC, id DESC LIMIT 1000",
                                     &st)
                     : TD_E_NOMEM;
    if (!rc)
        rc = td_db_bind_text(st, 1, tenant_id);
    int r;
    while (!rc && (r = td_db_step(st)) == TD_DB_ROW) {
        if (k == cap) {
            td_backup_row_t *nv = td_arena_alloc(a, 2 * cap * sizeof(*nv));
            if (!nv) {
                rc = TD_E_NOMEM;
                break;
            }
            memcpy(nv, v, cap * sizeof(*nv));
            v = nv, cap *= 2;
        }
        read_backup(st, a, &v[k++]);
    }
    if (!rc && r < 0)
        rc = (td_status)r;
    td_db_finalize(st);
    *out = v;
    *n = k;
    return rc;
}

td_status td_cat_backup_delete(td_db_t *db, const char *id) {
    return td_db_execv(db, NULL, "DELETE FROM backups WHERE id = ?", id, NULL);
}

td_status td_cat_schema_version_get(td_db_t *db, const char *tenant_id, const char *service,
                                    int *version) {
    td_stmt_t *st = NULL;
    *version = 0;
    td_status rc = td_db_prepare(
        db, "SELECT version FROM schema_versions WHERE tenant_id = ? AND service = ?", &st);
    if (!rc)
        rc = td_db_bind_text(st, 1, tenant_id);
    if (!rc)
        rc = td_db_bind_text(st, 2, service);
    int r = rc ? 0 : td_db_step(st);
    if (!rc && r == TD_DB_ROW)
        *version = (int)td_db_column_int64(st, 0);
    else if (!rc && r < 0)
        rc = (td_status)r;
    td_db_finalize(st);
    return rc;
}
