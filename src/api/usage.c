/* usage.c — usage metering at the HTTP edge, and the usage routes.
 *
 * td_api_usage_completed is the http server's completed hook: for every
 * answered request whose caller access.c authenticated, it charges one
 * request, the request body's bytes (in) and the answer body's bytes (out)
 * to a tenant and a service, in memory (usage/usage.h):
 *   - the tenant: a tenant principal's own tenant (whatever it asked
 *     for, refusals included); a platform principal's requests only when
 *     they name a tenant (X-Tenant, {tenant} in the path), to that one;
 *     public routes and unauthenticated requests are not metered;
 *   - the service: a data route's service; "auth" for users, API keys and
 *     the caller's own routes (/v1/auth/me…); "platform" for the catalog's
 *     routes (tenants, usage).
 * GET /v1/admin/usage (superadmins: one tenant or all) and GET /v1/usage
 * (a tenant's admin, user or API key: its own) call td_usage_report. */
#include <string.h>

#include "api/api.h"
#include "common/timeutil.h"
#include "usage/usage.h"

void td_api_usage_completed(td_req_t *req, int64_t duration_us, void *app_) {
    td_app_t *app = app_;
    const td_ctx_t *ctx = req->ctx;
    td_api_audit_impersonated_read(req, app);
    if (!app->usage || !ctx || !ctx->role || !req->route || !req->route->need)
        return;
    int super = !ctx->tid && strcmp(ctx->role, "superadmin") == 0;
    const char *tid = super ? (ctx->tenant ? ctx->tenant->row.id : NULL) : ctx->tid;
    const td_need_t *need = req->route->need;
    const char *svc = ctx->res                           ? ctx->res->service
                      : need->kind == TD_NEED_PRINCIPAL ? "auth"
                                                        : need->service;
    if (!tid || !svc)
        return;
    td_usage_hit_t h = {.tenant_id = tid,
                        .service = svc,
                        .actor_kind = ctx->api_key ? "api_key" : super ? "superadmin" : "user",
                        .actor_id = ctx->sub,
                        .method = req->method_name,
                        .route = req->route->pattern,
                        .request_id = req->request_id,
                        .status = req->status,
                        .at_ms = td_now_ms(),
                        .duration_us = duration_us,
                        .bytes_in = (int64_t)req->body_len,
                        .bytes_out = (int64_t)req->resp_len};
    td_usage_count(app->usage, &h);
}

static void answer(td_req_t *req, td_op_t *op, const td_usage_query_t *q) {
    td_usage_report_t r;
    if (td_usage_report(op, q, &r)) {
        td_api_op_fail(req, op);
        return;
    }
    td_api_send_json(req, 200, td_usage_report_json(&r));
}

static td_usage_query_t query(td_req_t *req) {
    return (td_usage_query_t){.service = td_req_query(req, "service"),
                              .from = td_req_query(req, "from"),
                              .to = td_req_query(req, "to"),
                              .bucket = td_req_query(req, "bucket")};
}

void td_api_usage_admin(td_req_t *req, void *app) {
    td_op_t op = td_api_op(req, app);
    td_usage_query_t q = query(req);
    q.tenant = td_req_query(req, "tenant");
    answer(req, &op, &q);
}

/* The caller's tenant only: a tenant parameter is refused (400), never
 * ignored, so that nobody reads another tenant's figures as their own. */
void td_api_usage_own(td_req_t *req, void *app) {
    td_op_t op = td_api_op(req, app);
    td_ctx_t *ctx = req->ctx;
    if (td_req_query(req, "tenant")) {
        td_resp_problem(req, 400, "invalid_filter", "Invalid request",
                        "tenant is not a filter here: the usage shown is your tenant's");
        return;
    }
    td_usage_query_t q = query(req);
    if (op.actor.kind == TD_ACTOR_SUPERADMIN) /* the tenant X-Tenant named */
        q.tenant = ctx->tenant ? ctx->tenant->row.id : NULL;
    answer(req, &op, &q);
}
