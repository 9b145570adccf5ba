/* impersonate.c — impersonation routes: a superadmin starts one
 * (POST /v1/tenants/{tenant}/impersonate); superadmins and the tenant's
 * admins list them and revoke one (/v1/tenants/{tenant}/impersonations…,
 * /v1/auth/impersonations…). The domain is ops/impersonate.c. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "common/timeutil.h"

void td_api_impersonate(td_req_t *req, void *app_) {
    static const char *const fields[] = {"user", "reason", "minutes", NULL};
    td_app_t *app = app_;
    td_ctx_t *ctx = req->ctx;
    td_op_t op = td_api_op(req, app);
    json_t *b;
    if (td_api_json_body(req, &b) || !td_api_only_fields(req, b, fields))
        return;
    json_t *m = json_object_get(b, "minutes");
    if (m && !json_is_number(m)) {
        td_resp_problem(req, 400, "invalid_request", "Invalid request",
                        "'minutes' must be a number (at most 60)");
        return;
    }
    td_imp_spec_t s = {.user = json_string_value(json_object_get(b, "user")),
                       .reason = json_string_value(json_object_get(b, "reason")),
                       .minutes = m ? json_number_value(m) : 0,
                       .has_minutes = m != NULL};
    td_imp_out_t out;
    if (td_op_impersonate(&op, ctx->tenant, &s, &out)) {
        td_api_op_fail(req, &op);
        return;
    }
    json_t *o = json_pack("{s:s, s:s, s:I, s:o, s:{s:s, s:s, s:s}}", "access_token", out.access,
                          "token_type", "Bearer", "expires_in", (json_int_t)out.expires_in,
                          "impersonation", td_imp_json(&out.row, td_now_ms() / 1000), "user",
                          "id", out.user.id, "email", out.user.email, "role", out.user.role);
    sodium_memzero(out.access, strlen(out.access));
    free(out.access);
    td_api_send_json(req, 201, o);
}

void td_api_impersonations(td_req_t *req, void *app_) {
    td_app_t *app = app_;
    td_ctx_t *ctx = req->ctx;
    td_op_t op = td_api_op(req, app);
    td_imp_row_t *rows;
    size_t n = 0;
    if (td_op_impersonations(&op, ctx->tenant, &rows, &n)) {
        td_api_op_fail(req, &op);
        return;
    }
    int64_t now = td_now_ms() / 1000;
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, td_imp_json(&rows[i], now));
    td_api_send_json(req, 200, json_pack("{s:o, s:n}", "items", items, "next_cursor"));
}

void td_api_impersonation_revoke(td_req_t *req, void *app_) {
    td_app_t *app = app_;
    td_ctx_t *ctx = req->ctx;
    td_op_t op = td_api_op(req, app);
    if (td_op_impersonation_revoke(&op, ctx->tenant, req->params[req->nparams - 1]))
        td_api_op_fail(req, &op);
    else
        td_resp_static(req, 204, "application/json", "", 0);
}
