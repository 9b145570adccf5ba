/* backup_jobs.c — the tenant.backup and tenant.restore job kinds.
 *
 * tenant.backup {"tenant": slug or id, "backup_id"?: id, "keep"?: n}:
 * step 0 records the backup (its id is the checkpoint, so a resumed job
 * writes the same backup again instead of leaving a row running for
 * ever), step 1 the file is written, step 2 only the newest keep ready
 * backups of the tenant are kept. A schedule (cron) names this kind with
 * a payload such as {"tenant":"acme","keep":7}.
 *
 * tenant.restore {"tenant_id": id, "file": path, "as"?: slug}: with "as",
 * step 1 makes the clone (its id is the checkpoint); step 2 the restore.
 * A restore killed before its swap left the tenant as it was and is run
 * again from the start; after the swap it is done once more, to the same
 * result. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ops/backups.h"

typedef struct {
    td_op_t *op;
    td_job_t *job;
    int step;
    const char *checkpoint;
} jprog_t;

static td_status job_progress(void *ctx, int64_t done, int64_t total, const char *what) {
    jprog_t *j = ctx;
    return td_job_progress(j->op, j->job, j->step, done, total, what, j->checkpoint);
}

/* Removes the tenant's ready backups after the newest keep. */
static td_status prune(td_op_t *op, const char *tenant, int64_t keep) {
    td_tenant_t t;
    td_backup_row_t *rows;
    size_t n, kept = 0;
    td_status st = td_op_backup_list(op, tenant, &t, &rows, &n);
    td_db_t *db;
    if (!st)
        st = td_catalog_lease(op->platform->catalog, op->arena, &db);
    for (size_t i = 0; !st && i < n; i++) {
        if (strcmp(rows[i].status, "ready") || ++kept <= (size_t)keep)
            continue;
        char *path = td_arena_printf(op->arena, "%s/backups/%s", op->platform->cfg->data,
                                     rows[i].file);
        unlink(path);
        st = td_cat_backup_delete(db, rows[i].id);
    }
    return st;
}

td_status td_op_backup_job(td_op_t *op, td_job_t *job) {
    const td_job_row_t *r = td_job_row(job);
    json_t *p = json_loads(r->payload ? r->payload : "{}", 0, NULL);
    const char *tenant = json_string_value(json_object_get(p, "tenant"));
    const char *bid = json_string_value(json_object_get(p, "backup_id"));
    int64_t keep = json_integer_value(json_object_get(p, "keep"));
    tenant = tenant ? td_arena_strdup(op->arena, tenant) : r->tenant_id;
    bid = bid ? td_arena_strdup(op->arena, bid) : r->checkpoint;
    json_decref(p);
    if (!tenant)
        return td_op_fail(op, TD_E_INVALID, 400, "invalid_payload",
                          "tenant.backup needs {\"tenant\": slug or id}");
    jprog_t jp = {op, job, 1, bid};
    td_status st = TD_OK;
    if (r->step < 2) {
        td_backup_row_t row;
        const char *path;
        if (bid && !td_op_backup_get(op, tenant, bid, &row, &path)) {
            td_tenant_t t;
            st = td_tenant_find(op->platform, op->arena, row.tenant_id, &t);
            if (!st)
                st = td_backup_take_recorded(op, &t, &row, job_progress, &jp);
        } else if (bid)
            return op->err.st;
        else
            st = td_op_backup_create(op, tenant, NULL, job_progress, &jp, &row);
        jp.checkpoint = row.id;
        if (!st)
            st = td_job_progress(op, job, 2, row.rows, row.rows, "backup written", row.id);
    }
    if (!st && keep > 0)
        st = prune(op, tenant, keep);
    if (!st)
        st = td_job_progress(op, job, 3, 1, 1, "done", jp.checkpoint);
    if (st && !op->err.st)
        td_op_fail_status(op, st, "the backup job failed");
    return st;
}

td_status td_op_restore_job(td_op_t *op, td_job_t *job) {
    const td_job_row_t *r = td_job_row(job);
    const char *tid = td_job_arg(op, job, "tenant_id"), *file = td_job_arg(op, job, "file"),
               *as = td_job_arg(op, job, "as");
    if (!tid || !file)
        return td_op_fail(op, TD_E_INVALID, 400, "invalid_payload",
                          "tenant.restore needs {\"tenant_id\", \"file\"}");
    if (r->step >= 2)
        return TD_OK; /* restored already: again would undo the writes since */
    td_tenant_t t;
    int64_t rows = 0;
    jprog_t jp = {op, job, 1, NULL};
    td_status st;
    if (as) { /* step 1: the clone, recorded before anything goes into it */
        const char *cid = r->step >= 1 ? r->checkpoint : NULL;
        st = cid ? TD_OK : td_op_restore_clone_make(op, file, as, &t);
        if (!st && !cid) {
            cid = t.row.id;
            st = td_job_progress(op, job, 1, 0, 0, "clone made", cid);
        }
        jp.checkpoint = cid;
        if (!st)
            st = td_op_restore_into_clone(op, file, cid, job_progress, &jp, &rows);
    } else
        st = td_op_restore_file(op, file, tid, NULL, NULL, job_progress, &jp, &t, &rows);
    if (!st)
        st = td_job_progress(op, job, 2, rows, rows, "restored", jp.checkpoint);
    return st;
}
