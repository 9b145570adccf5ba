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
