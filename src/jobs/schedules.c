/* schedules.c — cron schedules: the operations on them (list, get,
 * create, update, delete) and the tick that fires the due ones, called by
 * every worker before it claims a job. */
#include <stdint.h>
#include <string.h>

#include "common/id.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "audit/audit.h"
#include "jobs/cron.h"
#include "jobs/jobs_int.h"

/* Names: 1..63 of [a-z0-9._-], starting with a letter or digit. */
static int name_ok(const char *s) {
    size_t n = s ? strlen(s) : 0;
    if (n < 1 || n > 63 || s[0] == '.' || s[0] == '-' || s[0] == '_')
        return 0;
    return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

/* Checks the fields s sets and computes the next run into c (which holds
 * the current values on update). */
static td_status check(td_op_t *op, const td_cron_spec_t *s, td_cron_row_t *c, int64_t now) {
    if (s->schedule)
        c->schedule = s->schedule;
    if (s->kind)
        c->kind = s->kind;
    if (s->payload)
        c->payload = s->payload;
    if (s->enabled >= 0)
        c->enabled = s->enabled ? 1 : 0;
    td_cron_t cr;
    if (td_cron_parse(c->schedule, &cr) || (c->next_run = td_cron_next(&cr, now)) < 0)
        return td_op_fail(op, TD_E_INVALID, 400, "invalid_cron_expression",
                          "schedule must be 5 fields (minute hour day month weekday) that match"
                          " some time");
    if (!td_job_kind_find(c->kind))
        return td_op_fail(op, TD_E_INVALID, 400, "unknown_job_kind", "no job kind of that name");
    if (!td_jobs_payload_ok(c->payload))
        return td_op_fail(op, TD_E_INVALID, 400, "invalid_payload", "payload must be a JSON object");
    return TD_OK;
}

/* A schedule's change in the platform's audit chain (its kind and
 * schedule as detail). */
static td_status audit(td_op_t *op, const char *action, const td_cron_row_t *c) {
    const char *detail = td_arena_printf(op->arena, "%s %s", c->kind, c->schedule);
    return td_audit_record(op, NULL, NULL, action, "cron_jobs", c->name, "ok", detail);
}

static td_status not_found(td_op_t *op) {
    return td_op_fail(op, TD_E_NOTFOUND, 404, "cron_not_found", "no schedule of that name");
}

td_status td_jobs_cron_create(td_op_t *op, const td_cron_spec_t *s, td_cron_row_t *out) {
    if (!name_ok(s->name))
        return td_op_fail(op, TD_E_INVALID, 400, "invalid_cron_name",
                          "name must be 1 to 63 of a-z, 0-9, '.', '_', '-'");
    if (!s->schedule || !s->kind)
        return td_op_fail(op, TD_E_INVALID, 400, "invalid_request", "schedule and kind are required");
    int64_t now = td_now_ms();
    td_cron_row_t c = {.name = s->name, .payload = "{}", .enabled = 1};
    td_db_t *db;
    td_status st = check(op, s, &c, now);
    if (!st)
        st = td_jobs_begin(op, &db);
    if (st)
        return st;
    st = td_cat_cron_insert(db, &c, now);
    if (st == TD_E_EXISTS)
        return td_op_fail(op, st, 409, "cron_exists", "a schedule of that name exists");
    if (!st)
        st = td_cat_cron_get(db, op->arena, s->name, out);
    return st ? td_jobs_db_fail(op, st) : audit(op, "cron.create", out);
}

td_status td_jobs_cron_update(td_op_t *op, const td_cron_spec_t *s, td_cron_row_t *out) {
    td_db_t *db;
    td_cron_row_t c;
    int64_t now = td_now_ms();
    td_status st = td_jobs_begin(op, &db);
    if (st)
        return st;
    st = name_ok(s->name) ? td_cat_cron_get(db, op->arena, s->name, &c) : TD_E_NOTFOUND;
    if (st == TD_E_NOTFOUND)
        return not_found(op);
    if (!st && (st = check(op, s, &c, now)))
        return st;
    if (!st)
        st = td_cat_cron_update(db, &c, now);
    if (st == TD_E_NOTFOUND)
        return not_found(op);
    if (!st)
        st = td_cat_cron_get(db, op->arena, s->name, out);
    return st ? td_jobs_db_fail(op, st) : audit(op, "cron.update", out);
}

td_status td_jobs_cron_delete(td_op_t *op, const char *name) {
    td_db_t *db;
    td_status st = td_jobs_begin(op, &db);
    if (!st)
        st = name_ok(name) ? td_cat_cron_delete(db, name) : TD_E_NOTFOUND;
    if (st == TD_E_NOTFOUND)
        return not_found(op);
    if (st)
        return !op->err.st ? td_jobs_db_fail(op, st) : st;
    return td_audit_record(op, NULL, NULL, "cron.delete", "cron_jobs", name, "ok", NULL);
}

td_status td_jobs_cron_get(td_op_t *op, const char *name, td_cron_row_t *out) {
    td_db_t *db;
    td_status st = td_jobs_begin(op, &db);
    if (!st)
        st = name_ok(name) ? td_cat_cron_get(db, op->arena, name, out) : TD_E_NOTFOUND;
    if (st == TD_E_NOTFOUND)
        return not_found(op);
    return st && !op->err.st ? td_jobs_db_fail(op, st) : st;
}

td_status td_jobs_cron_list(td_op_t *op, td_cron_row_t **out, size_t *n) {
    td_db_t *db;
    td_status st = td_jobs_begin(op, &db);
    if (!st && (st = td_cat_cron_list(db, op->arena, 0, out, n)))
        return td_jobs_db_fail(op, st);
    return st;
}

json_t *td_cron_json(const td_cron_row_t *c) {
    json_t *payload = json_loads(c->payload ? c->payload : "{}", 0, NULL);
    json_t *o = json_pack("{s:s, s:s, s:s, s:o, s:b}", "name", c->name, "schedule", c->schedule,
                          "kind", c->kind, "payload", payload ? payload : json_object(),
                          "enabled", c->enabled);
    const char *keys[] = {"next_run", "created_at", "updated_at"};
    const int64_t ms[] = {c->next_run, c->created_at, c->updated_at};
    for (int i = 0; o && i < 3; i++) {
        char iso[32];
        td_time_iso(ms[i], iso, sizeof(iso));
        json_object_set_new(o, keys[i], json_string(iso));
    }
    return o;
}

/* Fires one due schedule in one write transaction: move next_run (the
 * conditional UPDATE decides which worker fires), queue the job, record
 * the execution. 1 when this caller fired it. */
static int fire(td_db_t *db, const td_cron_row_t *c, int64_t now) {
    td_cron_t cr;
    int64_t next = td_cron_parse(c->schedule, &cr) ? -1 : td_cron_next(&cr, now);
    char id[TD_ID_LEN + 1];
    td_id_new(id);
    td_job_row_t j = {.id = id, .kind = c->kind, .payload = c->payload,
                      .max_attempts = TD_JOB_MAX_ATTEMPTS, .run_after = now, .created_by = "cron"};
    td_status st = td_db_begin(db, TD_DB_WRITE);
    if (!st)
        st = td_cat_cron_advance(db, c->name, c->next_run, next > 0 ? next : INT64_MAX);
    if (!st)
        st = td_cat_job_insert(db, &j, now);
    if (!st)
        st = td_cat_cron_execution_add(db, c->name, id, c->next_run, now);
    if (!st)
        st = td_db_commit(db);
    if (st) {
        td_db_rollback(db);
        if (st != TD_E_STATE)
            td_log(TD_LOG_WARN, "cron fire failed", "cron", c->name, "error", td_status_code(st),
                   NULL);
        return 0;
    }
    td_log(TD_LOG_INFO, "cron fired", "cron", c->name, "job", id, NULL);
    return 1;
}

td_status td_jobs_cron_tick(td_platform_t *p, int64_t now, int *fired) {
    *fired = 0;
    td_arena_t *a = td_arena_new(0);
    td_db_t *db;
    td_cron_row_t *rows;
    size_t n = 0;
    td_status st = a ? td_catalog_lease(p->catalog, a, &db) : TD_E_NOMEM;
    if (!st)
        st = td_cat_cron_list(db, a, now, &rows, &n);
    for (size_t i = 0; !st && i < n; i++)
        *fired += fire(db, &rows[i], now);
    td_arena_destroy(a);
    return st;
}
