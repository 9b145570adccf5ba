/* backups.c — backup and restore as operations (backups.h), and their job
 * kinds. Recorded backups live in <data>/backups/<tenant-id>/<id>.tdbackup
 * with a row in the catalog's backups table; a backup written elsewhere
 * (`tenantd backup SLUG --out FILE`) is not recorded. */
#include "ops/backups.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit/audit.h"
#include "common/id.h"
#include "common/timeutil.h"

static int platform_only(td_op_t *op) {
    if (td_actor_platform(&op->actor))
        return 1;
    td_op_fail(op, TD_E_FORBIDDEN, 403, "forbidden", "only platform operators manage backups");
    return 0;
}

/* A live tenant (active or suspended) by slug or id. */
static td_status find_live(td_op_t *op, const char *key, td_tenant_t *t) {
    td_status st = td_tenant_find(op->platform, op->arena, key, t);
    if (st == TD_E_NOTFOUND || (!st && !strcmp(t->row.status, "deleted")))
        return td_op_fail(op, TD_E_NOTFOUND, 404, "tenant_not_found", "no tenant %s", key);
    if (st)
        return td_op_fail(op, st, 503, "catalog_unavailable", "the catalog is not reachable");
    if (strcmp(t->row.status, "active") && strcmp(t->row.status, "suspended"))
        return td_op_fail(op, TD_E_STATE, 409, "invalid_state", "the tenant is %s",
                          t->row.status);
    return TD_OK;
}

static const char *backups_dir(td_op_t *op) {
    return td_arena_printf(op->arena, "%s/backups", op->platform->cfg->data);
}

static td_status with_catalog(td_op_t *op, td_db_t **db) {
    td_status st = td_catalog_lease(op->platform->catalog, op->arena, db);
    return st ? td_op_fail(op, st, 503, "catalog_unavailable", "the catalog is not reachable")
              : TD_OK;
}

/* Takes the recorded backup row (running) into its file and records how
 * it ended. */
td_status td_backup_take_recorded(td_op_t *op, const td_tenant_t *t, td_backup_row_t *row,
                                  td_bk_progress_fn fn, void *ctx) {
    const char *dir = td_arena_printf(op->arena, "%s/%s", backups_dir(op), t->row.id);
    const char *path = td_arena_printf(op->arena, "%s/%s", backups_dir(op), row->file);
    mkdir(backups_dir(op), 0700);
    mkdir(dir, 0700);
    td_bk_result_t r = {0};
    td_status st = td_backup_take(op, t, path, fn, ctx, &r);
    char now[32];
    td_time_iso(td_now_ms(), now, sizeof(now));
    row->status = st ? "failed" : "ready";
    row->size = r.size, row->rows = r.rows;
    row->checksum = st ? NULL : td_arena_strdup(op->arena, r.checksum);
    row->error = st ? td_arena_strdup(op->arena, op->err.code) : NULL;
    row->finished_at = td_arena_strdup(op->arena, now);
    td_db_t *db;
    td_status cst = with_catalog(op, &db);
    if (!cst)
        cst = td_cat_backup_finish(db, row);
    if (!st && !cst)
        td_audit_record(op, t->row.id, NULL, "tenant.backup", "backups", row->id, "ok", NULL);
    return st ? st : cst;
}

/* Records a new backup row (running) of t. */
static td_status record_new(td_op_t *op, const td_tenant_t *t, const char *job_id,
                            td_backup_row_t *row) {
    char id[TD_ID_LEN + 1], now[32];
    td_id_new(id);
    td_time_iso(td_now_ms(), now, sizeof(now));
    *row = (td_backup_row_t){
        .id = td_arena_strdup(op->arena, id),
        .tenant_id = t->row.id,
        .status = "running",
        .file = td_arena_printf(op->arena, "%s/%s.tdbackup", t->row.id, id),
        .job_id = job_id,
        .created_at = td_arena_strdup(op->arena, now),
    };
    td_db_t *db;
    td_status st = with_catalog(op, &db);
    if (!st && (st = td_cat_backup_insert(db, row)))
        td_op_fail(op, st, 503, "catalog_unavailable", "the backup could not be recorded");
    return st;
}

td_status td_op_backup_create(td_op_t *op, const char *key, const char *out_path,
                              td_bk_progress_fn fn, void *ctx, td_backup_row_t *row) {
    td_tenant_t t;
    if (!platform_only(op) || find_live(op, key, &t))
        return op->err.st;
    if (!out_path) {
        td_status st = record_new(op, &t, NULL, row);
        return st ? st : td_backup_take_recorded(op, &t, row, fn, ctx);
    }
    td_bk_result_t r = {0};
    td_status st = td_backup_take(op, &t, out_path, fn, ctx, &r);
    *row = (td_backup_row_t){.tenant_id = t.row.id, .status = st ? "failed" : "ready",
                             .file = out_path, .size = r.size, .rows = r.rows,
                             .checksum = td_arena_strdup(op->arena, r.checksum),
                             .created_at = r.created_at};
    if (!st)
        td_audit_record(op, t.row.id, NULL, "tenant.backup", "backups", NULL, "ok", "file");
    return st;
}

td_status td_op_backup_queue(td_op_t *op, const char *key, td_backup_row_t *row,
                             td_job_row_t *job) {
    td_tenant_t t;
    if (!platform_only(op) || find_live(op, key, &t))
        return op->err.st;
    td_status st = record_new(op, &t, NULL, row);
    char payload[160];
    snprintf(payload, sizeof(payload), "{\"tenant\":\"%s\",\"backup_id\":\"%s\"}", t.row.id,
             row->id);
    return st ? st : td_jobs_enqueue(op, "tenant.backup", t.row.id, payload, 0, job);
}

td_status td_op_backup_list(td_op_t *op, const char *key, td_tenant_t *t, td_backup_row_t **rows,
                            size_t *n) {
    td_db_t *db;
    if (!platform_only(op) || find_live(op, key, t) || with_catalog(op, &db))
        return op->err.st;
    td_status st = td_cat_backup_list(db, op->arena, t->row.id, rows, n);
    return st ? td_op_fail(op, st, 503, "catalog_unavailable", "backups could not be listed")
              : TD_OK;
}

td_status td_op_backup_get(td_op_t *op, const char *key, const char *id, td_backup_row_t *row,
                           const char **path) {
    td_tenant_t t;
    td_db_t *db;
    if (!platform_only(op) || find_live(op, key, &t) || with_catalog(op, &db))
        return op->err.st;
    td_status st = td_id_valid(id) ? td_cat_backup_get(db, op->arena, t.row.id, id, row)
                                   : TD_E_NOTFOUND;
    if (st == TD_E_NOTFOUND)
        return td_op_fail(op, st, 404, "backup_not_found", "the tenant has no backup %s",
                          td_id_valid(id) ? id : "with that id");
    if (st)
        return td_op_fail(op, st, 503, "catalog_unavailable", "the catalog is not reachable");
    *path = td_arena_printf(op->arena, "%s/%s", backups_dir(op), row->file);
    return TD_OK;
}

/* Makes the clone tenant as_slug with the services of the backup header. */
static td_status make_clone(td_op_t *op, json_t *h, const char *as_slug, const char *backend,
                            td_tenant_t *out) {
    char why[200];
    if (td_slug_check(as_slug, why, sizeof(why)))
        return td_op_fail(op, TD_E_INVALID, 400, "invalid_slug", "--as: %s", why);
    td_tenant_t other;
    if (!td_tenant_find(op->platform, op->arena, as_slug, &other) &&
        strcmp(other.row.status, "deleted"))
        return td_op_fail(op, TD_E_EXISTS, 409, "slug_taken", "a tenant %s exists already",
                          as_slug);
    json_t *arr = json_object_get(h, "services");
    const char **svcs = td_arena_alloc(op->arena, (json_array_size(arr) + 1) * sizeof(*svcs));
    size_t n = 0;
    for (size_t i = 0; svcs && i < json_array_size(arr); i++) {
        const char *s = json_string_value(json_object_get(json_array_get(arr, i), "name"));
        if (s && strcmp(s, "auth"))
            svcs[n++] = td_arena_strdup(op->arena, s);
    }
    td_tenant_spec_t spec = {.slug = as_slug, .services = svcs, .nsvc = n, .backend = backend};
    return td_tenant_create(op, &spec, out);
}

/* Restores path into t; a clone made for it is deleted when that fails. */
static td_status restore_into(td_op_t *op, const char *path, td_tenant_t *t, int clone,
                              td_bk_progress_fn fn, void *ctx, int64_t *rows) {
    td_status st = td_backup_restore_into(op, path, t, t->row.id, fn, ctx, rows);
    if (st && clone) {
        td_op_err_t keep = op->err;
        td_tenant_delete(op, t->row.id);
        op->err = keep;
    }
    if (!st)
        td_audit_record(op, t->row.id, NULL, clone ? "tenant.clone" : "tenant.restore",
                        "backups", NULL, "ok", NULL);
    return st;
}

/* The header of a backup file, or op->err (404 backup_not_found, 400
 * invalid_backup); and its tenant's key must exist (409
 * backup_unreadable), checked before anything is made or changed. */
static td_status checked_header(td_op_t *op, const char *path, json_t **h) {
    char err[256] = "";
    td_status st = td_bk_read_header(path, h, err, sizeof(err));
    if (st)
        return td_op_fail(op, st, st == TD_E_NOTFOUND ? 404 : 400,
                          st == TD_E_NOTFOUND ? "backup_not_found" : "invalid_backup", "%s", err);
    td_key_t tk;
    st = td_backup_tenant_key(op, json_string_value(json_object_get(*h, "tenant_id")), &tk);
    sodium_memzero(&tk, sizeof(tk));
    return st;
}

td_status td_op_restore_file(td_op_t *op, const char *path, const char *expect_tenant,
                             const char *as_slug, const char *as_backend, td_bk_progress_fn fn,
                             void *ctx,
                             td_tenant_t *out, int64_t *rows) {
    json_t *h = NULL;
    *rows = 0;
    if (!platform_only(op) || checked_header(op, path, &h)) {
        json_decref(h);
        return op->err.st;
    }
    const char *src = json_string_value(json_object_get(h, "tenant_id"));
    td_status st;
    if (as_slug) {
        st = make_clone(op, h, as_slug, as_backend, out);
        if (!st)
            st = restore_into(op, path, out, 1, fn, ctx, rows);
    } else if (expect_tenant && strcmp(expect_tenant, src))
        st = td_op_fail(op, TD_E_CONFLICT, 409, "backup_wrong_tenant",
                        "the backup is another tenant's (restore it with --as to clone it)");
    else if (!(st = find_live(op, src, out)))
        st = restore_into(op, path, out, 0, fn, ctx, rows);
    json_decref(h);
    return st;
}

td_status td_op_restore_clone_make(td_op_t *op, const char *path, const char *as_slug,
                                   td_tenant_t *out) {
    json_t *h = NULL;
    if (platform_only(op) && !checked_header(op, path, &h))
        make_clone(op, h, as_slug, NULL, out);
    json_decref(h);
    return op->err.st;
}

td_status td_op_restore_into_clone(td_op_t *op, const char *path, const char *clone_id,
                                   td_bk_progress_fn fn, void *ctx, int64_t *rows) {
    td_tenant_t t;
    *rows = 0;
    if (!platform_only(op) || find_live(op, clone_id, &t))
        return op->err.st;
    return restore_into(op, path, &t, 0, fn, ctx, rows);
}

td_status td_op_backup_restore_queue(td_op_t *op, const char *key, const char *id,
                                     const char *as_slug, td_job_row_t *job) {
    td_backup_row_t row;
    const char *path = NULL;
    if (td_op_backup_get(op, key, id, &row, &path))
        return op->err.st;
    if (strcmp(row.status, "ready"))
        return td_op_fail(op, TD_E_STATE, 409, "invalid_state", "the backup is %s", row.status);
    json_t *p = json_pack("{s:s, s:s}", "tenant_id", row.tenant_id, "file", path);
    if (as_slug)
        json_object_set_new(p, "as", json_string(as_slug));
    char *payload = json_dumps(p, JSON_COMPACT);
    json_decref(p);
    td_status st = payload ? td_jobs_enqueue(op, "tenant.restore", row.tenant_id, payload, 0, job)
                           : TD_E_NOMEM;
    free(payload);
    return st;
}

json_t *td_backup_json(const td_backup_row_t *b) {
    int64_t created = 0, age = 0;
    if (b->created_at && !td_time_parse(b->created_at, &created))
        age = (td_now_ms() - created) / 1000;
    json_t *j = json_pack("{s:s?, s:s, s:s, s:I, s:s?, s:I, s:s, s:I}", "id", b->id, "tenant_id",
                          b->tenant_id, "status", b->status, "size", (json_int_t)b->size,
                          "checksum", b->checksum, "rows", (json_int_t)b->rows, "created_at",
                          b->created_at ? b->created_at : "", "age_seconds", (json_int_t)age);
    if (b->finished_at)
        json_object_set_new(j, "finished_at", json_string(b->finished_at));
    if (b->error)
        json_object_set_new(j, "error", json_string(b->error));
    return j;
}
