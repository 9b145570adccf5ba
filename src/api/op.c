/* op.c — the bridge from a checked request to a domain operation: the
 * operation context a handler passes down (td_api_op), and the problem
 * answer of a failed operation (td_api_op_fail). */
#include <string.h>

#include "api/api.h"

/* Who an authenticated caller is: a superadmin (token or platform key),
 * a tenant's API key, or a tenant's user. */
static td_actor_kind kind_of(const td_ctx_t *ctx) {
    if (ctx->role && !ctx->tid && strcmp(ctx->role, "superadmin") == 0)
        return TD_ACTOR_SUPERADMIN; /* never with a tenant: a tenant's role is a tenant's */
    if (ctx->role && !ctx->tid && strcmp(ctx->role, "owner") == 0)
        return TD_ACTOR_OWNER;
    return ctx->api_key ? TD_ACTOR_API_KEY : TD_ACTOR_USER;
}

const char *td_api_actor_kind(const td_ctx_t *ctx) { return td_actor_kind_name(kind_of(ctx)); }

td_op_t td_api_op(td_req_t *req, td_app_t *app) {
    const td_ctx_t *ctx = req->ctx;
    td_op_t op = {.platform = app->platform,
                  .actor = {.kind = TD_ACTOR_SYSTEM},
                  .request_id = req->request_id,
                  .client_addr = td_req_client_addr(req),
                  .arena = req->arena};
    if (!ctx || !ctx->sub)
        return op; /* a public route: the server acts on its own rules */
    int super = kind_of(ctx) == TD_ACTOR_SUPERADMIN;
    json_t *exp = json_object_get(ctx->claims, "key_exp");
    op.actor = (td_actor_t){.kind = kind_of(ctx),
                            .id = ctx->sub,
                            .tenant_id = super ? NULL : ctx->tid,
                            .role = ctx->role,
                            .all = ctx->all,
                            .svc = ctx->svc,
                            .nsvc = ctx->nsvc,
                            .key_exp = json_is_integer(exp) ? json_integer_value(exp) : 0};
    json_t *act = json_object_get(ctx->claims, "act");
    if (act) { /* an impersonation: the superadmin acting as the user */
        op.actor.impersonator = json_string_value(json_object_get(act, "sub"));
        op.actor.impersonation = json_string_value(json_object_get(ctx->claims, "jti"));
    }
    return op;
}

/* Titles of the codes that have their own; others take their status's. */
static const char *title_of(const char *code, int status) {
    static const char *const titles[][2] = {
        {"slug_taken", "Slug taken"},
        {"invalid_state", "Not in this state"},
        {"tenant_not_found", "Tenant not found"},
        {"api_key_not_found", "API key not found"},
        {"hostname_taken", "Hostname taken"},
        {"hostname_not_found", "Hostname not found"},
        {"invalid_hostname", "Invalid hostname"},
        {"hostname_reserved", "Hostname reserved"},
        {"tenant_unavailable", "Tenant unavailable"},
        {"tenant_busy", "Tenant busy"},
        {"email_taken", "Email taken"},
        {"user_not_found", "User not found"},
        {"last_admin", "the tenant's last active admin"},
        {"invalid_credentials", "Invalid credentials"},
        {"invalid_grant", "Invalid refresh token"},
        {"refresh_reused", "Refresh token reused"},
        {"tenant_suspended", "Tenant suspended"},
        {"wrong_password", "Wrong password"},
        {"weak_password", "Weak password"},
        {"plan_limit", "Plan limit reached"},
        {"storage_limit", "Storage limit reached"},
        {"unknown_plan", "Unknown plan"},
        {"plan_not_found", "Plan not found"},
        {"plan_in_use", "Plan in use"},
        {"plan_exists", "Plan exists"},
        {"service_not_in_plan", "Service not in plan"},
    };
    for (size_t i = 0; i < sizeof(titles) / sizeof(titles[0]); i++)
        if (strcmp(code, titles[i][0]) == 0)
            return titles[i][1];
    return status == 400   ? "Invalid request"
           : status == 403 ? "Forbidden"
           : status == 404 ? "Not found"
           : status == 409 ? "Conflict"
                           : NULL;
}

void td_api_op_fail(td_req_t *req, const td_op_t *op) {
    td_status st = op->err.st ? op->err.st : TD_E_INTERNAL;
    int status = op->err.status ? op->err.status : td_api_http_status(st);
    const char *code = op->err.code[0] ? op->err.code : td_status_code(st);
    const char *title = title_of(code, status);
    if (st == TD_E_BUSY && status == 503) /* a wait in line ran out: come back soon */
        td_resp_header(req, "Retry-After", TD_API_BUSY_RETRY_AFTER);
    const char *detail = op->err.detail[0] ? op->err.detail : NULL;
    if (op->err.limit[0]) /* the plan's limit it met, named (plan_limit) */
        td_resp_problem_ext(req, status, code, title ? title : td_status_msg(st), detail,
                            td_arena_printf(req->arena, "\"limit\":\"%s\",\"allowed\":%lld",
                                            op->err.limit, (long long)op->err.allowed));
    else
        td_resp_problem(req, status, code, title ? title : td_status_msg(st), detail);
}
