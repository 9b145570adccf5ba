/* jobs.c — the job queue over HTTP (superadmins): GET /v1/admin/jobs
 * (filters kind, state, tenant; limit and cursor), GET /v1/admin/jobs/{id},
 * POST /v1/admin/jobs/{id}/cancel and /retry. Thin: each handler builds
 * the operation context, calls the job operation and renders its result
 * or its error (stable code, HTTP status from the operation). */
#include <stdlib.h>

#include "api/api.h"
#include "jobs/jobs.h"

#define LIST_DEFAULT 50

/* The operation context of a request: the platform operator calling. */
static td_op_t request_op(td_req_t *req, td_app_t *app) {
    td_ctx_t *ctx = req->ctx;
    return (td_op_t){.platform = app->platform,
                     .actor = {.kind = TD_ACTOR_SUPERADMIN, .id = ctx->sub, .role = ctx->role},
                     .request_id = req->request_id,
                     .client_addr = td_req_client_addr(req),
                     .arena = req->arena};
}

static void fail(td_req_t *req, const td_op_t *op) {
    int status = op->err.status ? op->err.status : 500;
    td_resp_problem(req, status, op->err.code,
                    status == 404 ? "Not found" : status < 500 ? "Invalid request" : "Error",
                    op->err.detail);
}

void td_api_job_list(td_req_t *req, void *app) {
    td_op_t op = request_op(req, app);
    const char *lim = td_req_query(req, "limit");
    char *end = NULL;
    long limit = lim ? strtol(lim, &end, 10) : LIST_DEFAULT;
    if (lim && (*end || end == lim || limit < 0 || limit > 100000))
        limit = 0; /* the operation answers 400 invalid_filter */
    td_job_filter_t f = {.kind = td_req_query(req, "kind"),
                         .state = td_req_query(req, "state"),
                         .tenant_id = td_req_query(req, "tenant"),
                         .before = td_req_query(req, "cursor"),
                         .limit = (int)limit};
    td_job_row_t *rows;
    size_t n;
    const char *next;
    if (td_jobs_list(&op, &f, &rows, &n, &next)) {
        fail(req, &op);
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, td_job_json(&rows[i]));
    td_api_send_json(req, 200, json_pack("{s:o, s:s?}", "items", items, "next_cursor", next));
}

/* get, cancel and retry: one job by the path's id. */
static void one(td_req_t *req, td_app_t *app,
                td_status (*fn)(td_op_t *, const char *, td_job_row_t *)) {
    td_op_t op = request_op(req, app);
    td_job_row_t j;
    if (fn(&op, req->params[0], &j))
        fail(req, &op);
    else
        td_api_send_json(req, 200, td_job_json(&j));
}

void td_api_job_get(td_req_t *req, void *app) { one(req, app, td_jobs_get); }
void td_api_job_cancel(td_req_t *req, void *app) { one(req, app, td_jobs_cancel); }
void td_api_job_retry(td_req_t *req, void *app) { one(req, app, td_jobs_retry); }
