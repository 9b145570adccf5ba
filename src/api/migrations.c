/* migrations.c — fleet migrations over HTTP (superadmins): POST
 * /v1/admin/migrations queues a tenants.migrate job with the body's
 * options and answers 202 with it (follow it at /v1/admin/jobs/{id}: its
 * progress carries the run's report); GET /v1/admin/migrations says how
 * many tenant services are behind the code and which tenants are
 * quarantined by a failed migration, with their errors. */
#include <string.h>

#include "api/api.h"
#include "catalog/ledger.h"
#include "jobs/jobs.h"
#include "ops/ops.h"
#include "tenancy/migrate.h"

void td_api_migrations_start(td_req_t *req, void *app) {
    json_t *body;
    if (td_api_json_body(req, &body))
        return;
    td_op_t op = td_api_op(req, app);
    td_migrate_opts_t o;
    td_job_row_t job;
    if (td_migrate_opts_json(&op, body, &o) || td_op_migrate_async(&op, &o, &job)) {
        td_api_op_fail(req, &op);
        return;
    }
    td_resp_header(req, "Location", td_arena_printf(req->arena, "/v1/admin/jobs/%s", job.id));
    td_api_send_json(req, 202, json_pack("{s:o}", "job", td_job_json(&job)));
}

void td_api_migrations_status(td_req_t *req, void *app) {
    td_op_t op = td_api_op(req, app);
    td_ledger_failure_t *f;
    size_t n;
    int64_t behind;
    if (td_migrate_status(&op, &behind, &f, &n)) {
        td_api_op_fail(req, &op);
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(
            items, json_pack("{s:s, s:s, s:s, s:i, s:s, s:s?, s:s, s:i}", "tenant_id",
                             f[i].tenant_id, "slug", f[i].slug, "service", f[i].service,
                             "version", f[i].version, "error", f[i].error, "run_id",
                             f[i].run_id, "failed_at", f[i].failed_at, "attempts", f[i].attempts));
    td_api_send_json(req, 200,
                     json_pack("{s:I, s:o}", "behind", (json_int_t)behind, "quarantined", items));
}
