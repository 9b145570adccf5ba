/* queue.c — the operations on jobs that callers share: enqueue, get, list,
 * cancel, retry, and the job's JSON form. Each takes the operation context,
 * checks the actor may run jobs (platform operators, the CLI, the system
 * and jobs themselves), and reports failures with stable codes. */
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "common/id.h"
#include "common/timeutil.h"
#include "jobs/jobs_int.h"

static const char *const states[] = {"queued", "running", "succeeded", "failed", "cancelled"};

/* Leases a catalog connection into op's arena after the access check. */
td_status td_jobs_begin(td_op_t *op, td_db_t **db) {
    td_actor_kind k = op->actor.kind;
    if (k != TD_ACTOR_SUPERADMIN && k != TD_ACTOR_CLI && k != TD_ACTOR_SYSTEM && k != TD_ACTOR_JOB)
        return td_op_fail(op, TD_E_FORBIDDEN, 403, "forbidden", "jobs are for platform operators");
    td_status st = td_catalog_lease(op->platform->catalog, op->arena, db);
    if (st)
        return td_op_fail(op, st, 503, "catalog_unavailable", "the catalog is not reachable");
    return TD_OK;
}

td_status td_jobs_db_fail(td_op_t *op, td_status st) {
    return td_op_fail(op, st, 500, td_status_code(st), "the job queue could not be read");
}

int td_jobs_payload_ok(const char *payload) {
    json_error_t jerr;
    json_t *pj = payload ? json_loads(payload, JSON_REJECT_DUPLICATES, &jerr) : NULL;
    int ok = !payload || json_is_object(pj);
    json_decref(pj);
    return ok;
}

td_status td_jobs_enqueue_json(td_op_t *op, const char *kind, const char *tenant_id,
                               json_t *payload, int max_attempts, td_job_row_t *out) {
    char *text = payload ? json_dumps(payload, JSON_COMPACT) : NULL;
    json_decref(payload);
    if (!text)
        return td_op_fail_status(op, TD_E_NOMEM, "out of memory");
    td_status st = td_jobs_enqueue(op, kind, tenant_id, text, max_attempts, out);
    free(text);
    return st;
}

td_status td_jobs_enqueue(td_op_t *op, const char *kind, const char *tenant_id,
                          const char *payload, int max_attempts, td_job_row_t *out) {
    if (!kind || !td_job_kind_find(kind))
        return td_op_fail(op, TD_E_INVALID, 400, "unknown_job_kind", "no job kind of that name");
    if (!td_jobs_payload_ok(payload))
        return td_op_fail(op, TD_E_INVALID, 400, "invalid_payload", "payload must be a JSON object");
    if (tenant_id && !td_id_valid(tenant_id))
        return td_op_fail(op, TD_E_INVALID, 400, "invalid_tenant", "tenant must be a tenant id");
    td_db_t *db;
    td_status st = td_jobs_begin(op, &db);
    if (st)
        return st;
    char id[TD_ID_LEN + 1];
    td_id_new(id);
    td_job_row_t j = {.id = id,
                      .kind = kind,
                      .tenant_id = tenant_id,
                      .payload = payload ? payload : "{}",
                      .max_attempts = max_attempts > 0 ? max_attempts : TD_JOB_MAX_ATTEMPTS,
                      .created_by = op->actor.id ? op->actor.id : td_actor_kind_name(op->actor.kind)};
    int64_t now = td_now_ms();
    j.run_after = now;
    st = td_cat_job_insert(db, &j, now);
    if (!st)
        st = td_cat_job_get(db, op->arena, id, out);
    if (st)
        return td_jobs_db_fail(op, st);
    /* an operator's change of the platform's queue: the platform's audit
     * chain (the server's own jobs, queued all the time, are not) */
    if (op->actor.kind == TD_ACTOR_SYSTEM || op->actor.kind == TD_ACTOR_JOB)
        return TD_OK;
    return td_audit_record(op, NULL, NULL, "job.add", "jobs", id, "ok", kind);
}

td_status td_jobs_get(td_op_t *op, const char *id, td_job_row_t *out) {
    td_db_t *db;
    td_status st = td_jobs_begin(op, &db);
    if (st)
        return st;
    st = td_id_valid(id) ? td_cat_job_get(db, op->arena, id, out) : TD_E_NOTFOUND;
    if (st == TD_E_NOTFOUND)
        return td_op_fail(op, st, 404, "job_not_found", "no job with that id");
    return st ? td_jobs_db_fail(op, st) : TD_OK;
}

static int known_state(const char *s) {
    for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++)
        if (strcmp(s, states[i]) == 0)
            return 1;
    return 0;
}

td_status td_jobs_list(td_op_t *op, const td_job_filter_t *f, td_job_row_t **out, size_t *n,
                       const char **next) {
    *next = NULL;
    if (f->state && !known_state(f->state))
        return td_op_fail(op, TD_E_INVALID, 400, "invalid_filter",
                          "state must be queued, running, succeeded, failed or cancelled");
    if (f->kind && !td_job_kind_find(f->kind))
        return td_op_fail(op, TD_E_INVALID, 400, "invalid_filter", "kind is not a job kind");
    if (f->tenant_id && !td_id_valid(f->tenant_id))
        return td_op_fail(op, TD_E_INVALID, 400, "invalid_filter", "tenant must be a tenant id");
    if (f->limit < 1 || f->limit > 1000)
        return td_op_fail(op, TD_E_INVALID, 400, "invalid_filter", "limit must be 1 to 1000");
    if (f->before && !td_id_valid(f->before))
        return td_op_fail(op, TD_E_INVALID, 400, "invalid_cursor", "cursor is not one we issued");
    td_db_t *db;
    td_status st = td_jobs_begin(op, &db);
    if (st)
        return st;
    st = td_cat_job_list(db, op->arena, f, out, n);
    if (st)
        return td_jobs_db_fail(op, st);
    if (*n == (size_t)f->limit)
        *next = (*out)[*n - 1].id;
    return TD_OK;
}

/* Cancel and retry: the catalog's state change, then the row as it is. */
static td_status change(td_op_t *op, const char *id, td_job_row_t *out,
                        td_status (*fn)(td_db_t *, const char *, int64_t), const char *code,
                        const char *detail, const char *action) {
    td_db_t *db;
    td_status st = td_jobs_begin(op, &db);
    if (st)
        return st;
    st = td_id_valid(id) ? fn(db, id, td_now_ms()) : TD_E_NOTFOUND;
    if (st == TD_E_NOTFOUND)
        return td_op_fail(op, st, 404, "job_not_found", "no job with that id");
    if (st == TD_E_STATE)
        return td_op_fail(op, st, 409, code, "%s", detail);
    if (!st)
        st = td_cat_job_get(db, op->arena, id, out);
    if (st)
        return td_jobs_db_fail(op, st);
    return td_audit_record(op, NULL, NULL, action, "jobs", id, "ok", out->kind);
}

td_status td_jobs_cancel(td_op_t *op, const char *id, td_job_row_t *out) {
    return change(op, id, out, td_cat_job_cancel, "job_not_cancellable",
                  "only a queued or running job can be cancelled", "job.cancel");
}

td_status td_jobs_retry(td_op_t *op, const char *id, td_job_row_t *out) {
    return change(op, id, out, td_cat_job_retry, "job_not_retryable",
                  "only a failed or cancelled job can be retried", "job.retry");
}

/* Sets key to the ISO-8601 form of ms, or null when ms is 0. */
static void set_time(json_t *o, const char *key, int64_t ms) {
    char iso[32];
    if (ms)
        td_time_iso(ms, iso, sizeof(iso));
    json_object_set_new(o, key, ms ? json_string(iso) : json_null());
}

static json_t *str_or_null(const char *s) { return s ? json_string(s) : json_null(); }

json_t *td_job_json(const td_job_row_t *j) {
    json_t *payload = json_loads(j->payload ? j->payload : "{}", 0, NULL);
    json_t *prog = json_pack("{s:i, s:I, s:I, s:o, s:o}", "step", j->step, "done",
                             (json_int_t)j->done, "total", (json_int_t)j->total, "message",
                             str_or_null(j->message), "lease_owner", str_or_null(j->lease_owner));
    json_t *o = json_pack("{s:s, s:s, s:o, s:o, s:s, s:i, s:i, s:o, s:o, s:o}", "id", j->id,
                          "kind", j->kind, "tenant_id", str_or_null(j->tenant_id), "payload",
                          payload ? payload : json_object(), "state", j->state, "attempts",
                          j->attempts, "max_attempts", j->max_attempts, "error",
                          str_or_null(j->error), "created_by", str_or_null(j->created_by),
                          "progress", prog ? prog : json_object());
    if (!o)
        return NULL;
    set_time(prog, "lease_expires_at", j->lease_until);
    set_time(prog, "updated_at", j->updated_at);
    set_time(o, "run_after", j->run_after);
    set_time(o, "created_at", j->created_at);
    set_time(o, "started_at", j->started_at);
    set_time(o, "finished_at", j->finished_at);
    return o;
}
