/* audit.c — the audit log and the summaries over HTTP: GET
 * /v1/admin/audit (superadmins, every tenant), GET /v1/audit (a tenant
 * admin, its own tenant), GET /v1/admin/summary/services and
 * /v1/admin/summary/tenants; and what the rest of api/ tells the audit:
 * tenants written to (td_api_touch), refused requests and failed logins.
 * Thin: parse, call the audit operation (audit/audit.h), render. */
#include <string.h>

#include "api/api.h"
#include "audit/audit.h"

/* Both audit routes: the same operation; /v1/audit is held to the
 * caller's tenant by the operation (a superadmin there reads the tenant
 * X-Tenant names). */
static void audit_list(td_req_t *req, td_app_t *app, int tenant_route) {
    td_op_t op = td_api_op(req, app);
    td_ctx_t *ctx = req->ctx;
    td_audit_query_t q = {.tenant = td_req_query(req, "tenant"),
                          .actor = td_req_query(req, "actor"),
                          .action = td_req_query(req, "action"),
                          .resource = td_req_query(req, "resource"),
                          .from = td_req_query(req, "from"),
                          .to = td_req_query(req, "to"),
                          .limit = td_req_query(req, "limit"),
                          .cursor = td_req_query(req, "cursor")};
    if (tenant_route && op.actor.kind == TD_ACTOR_SUPERADMIN && ctx->tenant) {
        if (q.tenant && strcmp(q.tenant, ctx->tenant->row.id) &&
            strcmp(q.tenant, ctx->tenant->row.slug)) {
            td_resp_problem(req, 404, "tenant_not_found", "Not found", "no such tenant");
            return;
        }
        q.tenant = ctx->tenant->row.id;
    }
    td_audit_row_t *rows;
    size_t n;
    const char *next;
    if (td_audit_list(&op, &q, &rows, &n, &next)) {
        td_api_op_fail(req, &op);
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, td_audit_json(&rows[i]));
    td_api_send_json(req, 200, json_pack("{s:o, s:s?}", "items", items, "next_cursor", next));
}

void td_api_audit_admin(td_req_t *req, void *app) { audit_list(req, app, 0); }
void td_api_audit_tenant(td_req_t *req, void *app) { audit_list(req, app, 1); }

typedef struct {
    td_app_t *app;
    const char *tenant;
} verify_job_t;

/* On a worker thread: every record of the chains is hashed again. */
static void verify_work(td_req_t *req, void *arg) {
    verify_job_t *j = arg;
    td_op_t op = td_api_op(req, j->app);
    td_audit_report_t r;
    if (td_audit_verify(&op, j->tenant, &r))
        td_api_op_fail(req, &op);
    else
        td_api_send_json(req, 200, td_audit_report_json(&r));
}

/* GET /v1/admin/audit/verify[?tenant=]: the chains checked again. */
void td_api_audit_verify(td_req_t *req, void *app) {
    verify_job_t *j = td_arena_alloc(req->arena, sizeof(*j));
    if (!j) {
        td_api_fail(req, TD_E_NOMEM, NULL);
        return;
    }
    *j = (verify_job_t){app, td_req_query(req, "tenant")};
    td_req_offload(req, verify_work, j);
}

void td_api_summary_services(td_req_t *req, void *app) {
    td_op_t op = td_api_op(req, app);
    json_t *out;
    if (td_summary_services(&op, &out))
        td_api_op_fail(req, &op);
    else
        td_api_send_json(req, 200, out);
}

void td_api_summary_tenants(td_req_t *req, void *app) {
    td_op_t op = td_api_op(req, app);
    json_t *out;
    if (td_summary_tenants(&op, td_req_query(req, "sort"), td_req_query(req, "limit"),
                           td_req_query(req, "cursor"), &out))
        td_api_op_fail(req, &op);
    else
        td_api_send_json(req, 200, out);
}

/* ---- what api/ tells the audit ---- */

typedef struct {
    td_platform_t *p;
    const char *tenant_id;
} touch_t;

static void touch(void *arg) {
    touch_t *t = arg;
    td_audit_touch(t->p, t->tenant_id);
}

void td_api_touch(td_req_t *req, td_platform_t *p, const char *tenant_id) {
    touch_t *t = req->method != TD_GET ? td_arena_alloc(req->arena, sizeof(*t)) : NULL;
    if (t) { /* marked when the request ends: after its commit */
        *t = (touch_t){p, tenant_id};
        td_arena_defer(req->arena, touch, t);
    }
}

void td_api_audit_refused(td_req_t *req, const char *code) {
    td_ctx_t *ctx = req->ctx;
    const char *tid = ctx && ctx->tenant ? ctx->tenant->row.id : ctx ? ctx->tid : NULL;
    const char *route = req->route ? req->route->pattern : req->path;
    if (!ctx)
        return; /* refused before any check began: nothing known to record */
    td_audit_refusal(ctx->platform, tid, ctx->sub ? td_api_actor_kind(ctx) : NULL, ctx->sub,
                     "access_refused",
                     td_arena_printf(req->arena, "%s %s", req->method_name, route), code,
                     req->request_id, td_req_client_addr(req));
}

void td_api_audit_login_failed(td_req_t *req, td_app_t *app, const char *tenant,
                               const char *email) {
    td_tenant_t t;
    const char *tid = NULL;
    if (tenant && !td_tenant_find_cached(app->platform, req->arena, tenant, &t))
        tid = t.row.id;
    td_audit_refusal(app->platform, tid, NULL, NULL, "login_failed", "auth/login", email, req->request_id,
                     td_req_client_addr(req));
}

/* A read made while impersonating is audited too (its writes are, by the
 * operations that make them): impersonation.read, the route, its path and
 * answer, with both identities (td_audit_record adds the superadmin's).
 * Called when the answer is sent. */
void td_api_audit_impersonated_read(td_req_t *req, td_app_t *app) {
    const td_ctx_t *ctx = req->ctx;
    if (!ctx || !ctx->claims || !json_object_get(ctx->claims, "act") || !req->route ||
        (strcmp(req->method_name, "GET") && strcmp(req->method_name, "HEAD")))
        return;
    td_op_t op = td_api_op(req, app);
    td_audit_record(&op, ctx->tid, NULL, "impersonation.read", req->route->pattern, NULL,
                    req->status < 400 ? "ok" : "failed",
                    td_arena_printf(req->arena, "%s %.300s: %d", req->method_name, req->path,
                                    req->status));
}
