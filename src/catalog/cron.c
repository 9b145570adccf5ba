/* cron.c — the cron_jobs and cron_job_executions tables. */
#include <stdio.h>

#include "catalog/catalog_int.h"
#include "common/id.h"

#define CRON_COLS "name, schedule, kind, payload, enabled, next_run, created_at, updated_at"

static void read_cron(td_stmt_t *st, td_arena_t *a, td_cron_row_t *c) {
    c->name = td_db_column_dup(st, a, 0);
    c->schedule = td_db_column_dup(st, a, 1);
    c->kind = td_db_column_dup(st, a, 2);
    c->payload = td_db_column_dup(st, a, 3);
    c->enabled = (int)td_db_column_int64(st, 4);
    c->next_run = td_db_column_int64(st, 5);
    c->created_at = td_db_column_int64(st, 6);
    c->updated_at = td_db_column_int64(st, 7);
}

/* Binds schedule, kind, payload, enabled, next_run, now at 1..6. */
static td_status bind_cron(td_stmt_t *st, const td_cron_row_t *c, int64_t now) {
    const char *v[] = {c->schedule, c->kind, c->payload ? c->payload : "{}"};
    td_status rc = TD_OK;
    for (int i = 0; !rc && i < 3; i++)
        rc = td_db_bind_text(st, i + 1, v[i]);
    const int64_t n[] = {c->enabled, c->next_run, now};
    for (int i = 0; !rc && i < 3; i++)
        rc = td_db_bind_int64(st, i + 4, n[i]);
    return rc;
}

/* Steps st to its end: TD_E_NOTFOUND when no row changed. */
static td_status finish(td_stmt_t *st, td_status rc, td_status none) {
    if (!rc)
        rc = td_db_drain(st);
    if (!rc && td_db_changes(st) == 0)
        rc = none;
    td_db_finalize(st);
    return rc;
}

td_status td_cat_cron_insert(td_db_t *db, const td_cron_row_t *c, int64_t now) {
    td_stmt_t *st = NULL;
    td_status rc = td_db_prepare(db,
                                 "INSERT INTO cron_jobs (schedule, kind, payload, enabled, next_run,"
                                 " updated_at, name, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                                 &st);
    if (!rc)
        rc = bind_cron(st, c, now);
    if (!rc)
        rc = td_db_bind_text(st, 7, c->name);
    if (!rc)
        rc = td_db_bind_int64(st, 8, now);
    return finish(st, rc, TD_E_INTERNAL);
}

td_status td_cat_cron_update(td_db_t *db, const td_cron_row_t *c, int64_t now) {
    td_stmt_t *st = NULL;
    td_status rc = td_db_prepare(db,
                                 "UPDATE cron_jobs SET schedule = ?, kind = ?, payload = ?,"
                                 " enabled = ?, next_run = ?, updated_at = ? WHERE name = ?",
                                 &st);
    if (!rc)
        rc = bind_cron(st, c, now);
    if (!rc)
        rc = td_db_bind_text(st, 7, c->name);
    return finish(st, rc, TD_E_NOTFOUND);
}

td_status td_cat_cron_delete(td_db_t *db, const char *name) {
    int64_t n = 0;
    td_status rc = td_db_execv(db, &n, "DELETE FROM cron_jobs WHERE name = ?", name, NULL);
    if (!rc && n == 0)
        return TD_E_NOTFOUND;
    if (!rc)
        rc = td_db_execv(db, NULL, "DELETE FROM cron_job_executions WHERE cron_name = ?", name,
                         NULL);
    return rc;
}

td_status td_cat_cron_get(td_db_t *db, td_arena_t *a, const char *name, td_cron_row_t *out) {
    td_stmt_t *st = NULL;
    td_status rc = td_db_query_row(db, "SELECT " CRON_COLS " FROM cron_jobs WHERE name = ?", name,
                                   &st);
    if (!rc)
        read_cron(st, a, out);
    td_db_finalize(st);
    return rc;
}

td_status td_cat_cron_list(td_db_t *db, td_arena_t *a, int64_t due_at, td_cron_row_t **out,
                           size_t *n) {
    td_stmt_t *st = NULL;
    td_status rc = td_db_prepare(
        db,
        due_at > 0 ? "SELECT " CRON_COLS " FROM cron_jobs WHERE enabled = 1 AND next_run <= ?"
                     " ORDER BY name LIMIT 1000"
                   : "SELECT " CRON_COLS " FROM cron_jobs ORDER BY name LIMIT 1000",
        &st);
    if (!rc && due_at > 0)
        rc = td_db_bind_int64(st, 1, due_at);
    td_cron_row_t *rows = td_arena_alloc(a, sizeof(*rows) * 1000);
    size_t k = 0;
    int r = 0;
    if (!rows)
        rc = TD_E_NOMEM;
    while (!rc && k < 1000 && (r = td_db_step(st)) == TD_DB_ROW)
        read_cron(st, a, &rows[k++]);
    if (!rc && r < 0)
        rc = (td_status)r;
    td_db_finalize(st);
    *out = rows;
    *n = k;
    return rc;
}

td_status td_cat_cron_advance(td_db_t *db, const char *name, int64_t from, int64_t to) {
    td_stmt_t *st = NULL;
    td_status rc = td_db_prepare(
        db, "UPDATE cron_jobs SET next_run = ? WHERE name = ? AND next_run = ? AND enabled = 1",
        &st);
    if (!rc)
        rc = td_db_bind_int64(st, 1, to);
    if (!rc)
        rc = td_db_bind_text(st, 2, name);
    if (!rc)
        rc = td_db_bind_int64(st, 3, from);
    return finish(st, rc, TD_E_STATE);
}

td_status td_cat_cron_execution_add(td_db_t *db, const char *name, const char *job_id,
                                    int64_t scheduled_for, int64_t now) {
    char id[TD_ID_LEN + 1];
    td_id_new(id);
    td_stmt_t *st = NULL;
    td_status rc = td_db_prepare(db,
                                 "INSERT INTO cron_job_executions (id, cron_name, job_id,"
                                 " scheduled_for, created_at) VALUES (?, ?, ?, ?, ?)",
                                 &st);
    const char *v[] = {id, name, job_id};
    for (int i = 0; !rc && i < 3; i++)
        rc = td_db_bind_text(st, i + 1, v[i]);
    if (!rc)
        rc = td_db_bind_int64(st, 4, scheduled_for);
    if (!rc)
        rc = td_db_bind_int64(st, 5, now);
    return finish(st, rc, TD_E_INTERNAL);
}
