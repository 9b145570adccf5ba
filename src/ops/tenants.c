/* tenants.c — creating a tenant in the background: POST
 * /v1/tenants?async=true and `tenantd tenant create --async` record the
 * tenant (provisioning) and queue a `tenant.provision` job; the job runs
 * the same provisioning the synchronous creation runs
 * (td_tenant_provision), recording each step, so a worker killed at any
 * point leaves a job the next worker finishes. The job's payload holds
 * the tenant's id only: a first admin's password is in the catalog as its
 * argon2id hash (the tenant's pending admin), never in the queue. */
#include <stdio.h>
#include <string.h>

#include "audit/audit.h"
#include "jobs/jobs.h"
#include "ops/ops.h"

td_status td_op_tenant_create_async(td_op_t *op, const td_tenant_spec_t *spec, td_tenant_t *out,
                                    td_job_row_t *job) {
    td_status st = td_tenant_record(op, spec, out);
    if (st)
        return st;
    char payload[80];
    snprintf(payload, sizeof(payload), "{\"tenant_id\":\"%s\"}", out->row.id);
    st = td_jobs_enqueue(op, "tenant.provision", out->row.id, payload, 0, job);
    return st ? st
              : td_audit_record(op, out->row.id, NULL, "tenant.create", "tenants", out->row.id,
                                "ok", "async");
}

/* Each provisioning step is a step of the job. */
static td_status job_step(td_op_t *op, void *job, int step, const char *what) {
    return td_job_progress(op, job, step, step, 3, what, NULL);
}

td_status td_op_tenant_provision_job(td_op_t *op, td_job_t *job) {
    const td_job_row_t *r = td_job_row(job);
    json_t *p = json_loads(r->payload ? r->payload : "{}", 0, NULL);
    const char *given = json_string_value(json_object_get(p, "tenant_id"));
    const char *id = given ? td_arena_strdup(op->arena, given) : r->tenant_id;
    json_decref(p);
    if (!id)
        return td_op_fail(op, TD_E_INVALID, 400, "invalid_payload",
                          "tenant.provision needs {\"tenant_id\"}");
    td_tenant_t t;
    td_status st = td_tenant_find(op->platform, op->arena, id, &t);
    if (!st && strcmp(t.row.status, "active") == 0) /* done before a crash: nothing left */
        return td_job_progress(op, job, 3, 3, 3, "active", NULL);
    return td_tenant_provision(op, id, job_step, job, &t);
}

/* ---- tenant.move ---- */

/* The tenant's tenant.move job in that state, if any (*found). */
static td_status move_job_in(td_op_t *op, const char *tenant_id, const char *state,
                             td_job_row_t *out, int *found) {
    td_job_filter_t f = {.kind = "tenant.move", .state = state, .tenant_id = tenant_id, .limit = 1};
    td_job_row_t *rows;
    size_t n = 0;
    const char *next;
    td_status st = td_jobs_list(op, &f, &rows, &n, &next);
    *found = !st && n;
    if (*found)
        *out = rows[0];
    return st;
}

td_status td_op_tenant_move_async(td_op_t *op, const char *key, const char *to,
                                  td_job_row_t *job) {
    td_move_report_t r;
    int found = 0;
    td_status st = td_tenant_move_check(op, key, to, &r);
    /* a move of the tenant queued or running already: that one is the move */
    if (!st)
        st = move_job_in(op, r.tenant_id, "running", job, &found);
    if (!st && !found)
        st = move_job_in(op, r.tenant_id, "queued", job, &found);
    if (st || found)
        return st;
    /* the target by server id, never by URL: a URL may carry a password */
    return td_jobs_enqueue_json(op, "tenant.move", r.tenant_id,
                                json_pack("{s:s, s:s}", "tenant_id", r.tenant_id, "to", r.target),
                                0, job);
}

td_status td_op_tenant_move_abort(td_op_t *op, const char *key, td_move_report_t *out) {
    td_move_report_t r;
    td_status st = td_tenant_move_check(op, key, NULL, &r);
    if (st == TD_E_INVALID) { /* no move to finish: nothing to abort */
        op->err = (td_op_err_t){0};
        return td_op_fail(op, TD_E_NOTFOUND, 404, "move_not_found", "the tenant is not being moved");
    }
    if (st)
        return st;
    /* a job moving it now must be cancelled first; a queued one is */
    td_job_row_t job;
    int found = 0;
    if ((st = move_job_in(op, r.tenant_id, "running", &job, &found)))
        return st;
    if (found)
        return td_op_fail(op, TD_E_STATE, 409, "move_running",
                          "job %s is moving the tenant: cancel it first (tenantd jobs cancel)",
                          job.id);
    if ((st = move_job_in(op, r.tenant_id, "queued", &job, &found)) ||
        (found && (st = td_jobs_cancel(op, job.id, &job))))
        return st;
    return td_tenant_move_abort(op, key, out);
}

typedef struct {
    td_op_t *op;
    td_job_t *job;
} move_job_t;

static td_status move_step(void *ctx, int step, const char *what, const td_move_report_t *r) {
    move_job_t *m = ctx;
    char *report = NULL;
    if (step == 4) { /* the last step's checkpoint is the move's report */
        json_t *j = td_move_report_json(r);
        report = j ? json_dumps(j, JSON_COMPACT) : NULL;
        json_decref(j);
    }
    char msg[200];
    if (step >= 3)
        snprintf(msg, sizeof(msg), "%s: %lld rows, writes held %lld ms", what, (long long)r->rows,
                 (long long)r->held_ms);
    else
        snprintf(msg, sizeof(msg), "%s", what);
    td_status st = td_job_progress(m->op, m->job, step, step, 4, msg,
                                   report ? td_arena_strdup(m->op->arena, report) : NULL);
    free(report);
    return st;
}

td_status td_op_tenant_move_job(td_op_t *op, td_job_t *job) {
    const td_job_row_t *r = td_job_row(job);
    const char *id = td_job_arg(op, job, "tenant_id"), *to = td_job_arg(op, job, "to");
    if (!id)
        id = r->tenant_id;
    if (!id)
        return td_op_fail(op, TD_E_INVALID, 400, "invalid_payload",
                          "tenant.move needs {\"tenant_id\", \"to\"}");
    if (r->step >= 4)
        return TD_OK;
    /* the writes a move holds are this process's: it must be the server
     * (its pool) or a command that holds the data folder alone */
    if (!op->platform->pool && !op->platform->sole_writer)
        return td_op_fail(op, TD_E_STATE, 409, "move_needs_server",
                          "a tenant.move job runs in tenantd serve, or in tenantd tenant move"
                          " when no server runs");
    move_job_t m = {op, job};
    td_move_report_t rep;
    td_status st;
    if (r->step >= 3 && td_tenant_move_check(op, id, NULL, &rep) == TD_E_INVALID) {
        op->err = (td_op_err_t){0}; /* switched, and no move left: only the report was lost */
        st = td_job_progress(op, job, 4, 4, 4, "moved", NULL);
    } else {
        op->err = (td_op_err_t){0};
        st = td_tenant_move(op, id, to, move_step, &m, &rep);
    }
    td_move_report_clear(&rep);
    return st;
}
