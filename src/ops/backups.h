/* backups.h — backup and restore as operations (issue 12, part 2): what
 * `tenantd backup|restore`, /v1/tenants/{t}/backups and the
 * tenant.backup / tenant.restore jobs share. Only platform actors may call
 * them (403 forbidden). Failures fill op->err with a stable code:
 * 404 tenant_not_found, backup_not_found; 400 invalid_backup (not a
 * backup file, or a format this version does not read); 409
 * backup_unreadable (the tenant was deleted: its key, and so the backup,
 * is gone), backup_wrong_tenant, backup_services_differ,
 * backup_schema_mismatch, slug_taken, invalid_state; 422 backup_corrupt
 * (checksum or authentication failed); 503 tenant_unavailable. A failed
 * restore leaves the tenant as it was. */
#ifndef TD_OPS_BACKUPS_H
#define TD_OPS_BACKUPS_H

#include <jansson.h>

#include "catalog/backups.h"
#include "jobs/jobs.h"
#include "tenancy/backup.h"

/* Takes a backup of tenant key. out_path NULL: into the data folder's
 * backups/<tenant-id>/<backup-id>.tdbackup, recorded in the catalog (*row
 * is its row); else into out_path, not recorded (row->file = out_path). */
td_status td_op_backup_create(td_op_t *op, const char *key, const char *out_path,
                              td_bk_progress_fn fn, void *ctx, td_backup_row_t *row);
/* Records a backup (running) and queues the tenant.backup job that takes
 * it (HTTP's POST). */
td_status td_op_backup_queue(td_op_t *op, const char *key, td_backup_row_t *row,
                             td_job_row_t *job);
/* A tenant's recorded backups, newest first. */
td_status td_op_backup_list(td_op_t *op, const char *key, td_tenant_t *t, td_backup_row_t **rows,
                            size_t *n);
/* One of them; *path the file's full path (arena-owned). */
td_status td_op_backup_get(td_op_t *op, const char *key, const char *id, td_backup_row_t *row,
                           const char **path);
/* Restores the backup file at path into the tenant it was taken of
 * (expect_tenant, when given, must be that tenant: 409
 * backup_wrong_tenant), or with as_slug into a new tenant (a clone) made
 * for it (placed on as_backend, "sqlite" or "postgres", when not NULL:
 * a backup restores onto either backend). *out is the tenant restored into; *rows the rows restored. */
td_status td_op_restore_file(td_op_t *op, const char *path, const char *expect_tenant,
                             const char *as_slug, const char *as_backend, td_bk_progress_fn fn,
                             void *ctx,
                             td_tenant_t *out, int64_t *rows);
/* The two halves of a clone, for a job that records the clone between
 * them: makes tenant as_slug for the backup at path (its key checked
 * first); restores the backup into that clone. */
td_status td_op_restore_clone_make(td_op_t *op, const char *path, const char *as_slug,
                                   td_tenant_t *out);
td_status td_op_restore_into_clone(td_op_t *op, const char *path, const char *clone_id,
                                   td_bk_progress_fn fn, void *ctx, int64_t *rows);
/* Takes a recorded (running) backup row into its file and records how it
 * ended (the tenant.backup job, resumed). */
td_status td_backup_take_recorded(td_op_t *op, const td_tenant_t *t, td_backup_row_t *row,
                                  td_bk_progress_fn fn, void *ctx);
/* Queues a tenant.restore job of a recorded backup of tenant key (into
 * that tenant, or with as_slug a clone). */
td_status td_op_backup_restore_queue(td_op_t *op, const char *key, const char *id,
                                     const char *as_slug, td_job_row_t *job);
/* The row as JSON (size, checksum, age_seconds…). New reference. */
json_t *td_backup_json(const td_backup_row_t *b);

/* Job kinds: tenant.backup {"tenant": slug or id, "backup_id"?: id,
 * "keep"?: n} (a schedule's payload: a backup, then only the newest keep
 * recorded backups of the tenant are kept); tenant.restore {"tenant_id":
 * id, "file": path, "as"?: slug}. */
td_status td_op_backup_job(td_op_t *op, td_job_t *job);
td_status td_op_restore_job(td_op_t *op, td_job_t *job);

#endif
