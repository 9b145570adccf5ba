/* apikeys.c — API keys over HTTP: tenant keys (POST|GET /v1/auth/api-keys,
 * DELETE /v1/auth/api-keys/{id}) and platform keys (/v1/admin/api-keys).
 * Thin: parse the body, call the key operation (ops/apikeys.c: who may,
 * no escalation, storage), render. The key is in the creating response
 * only; lists never carry it. */
#include <sodium.h>
#include <string.h>

#include "api/api.h"

static int platform_route(const td_req_t *req) {
    return ((const td_need_t *)req->route->need)->all_tenants;
}

static void refuse(td_req_t *req, const char *detail) {
    td_resp_problem(req, 400, "invalid_request", "Invalid request", detail);
}

/* Reads the body into s; answers 400 for what is not of the right type
 * (the operation checks the values). */
static int read_body(td_req_t *req, json_t *b, td_apikey_spec_t *s) {
    static const char *const fields[] = {"name",       "role",       "services", "read_only",
                                         "expires_at", "rate_limit", NULL};
    if (!td_api_only_fields(req, b, fields))
        return -1;
    s->name = json_string_value(json_object_get(b, "name"));
    s->role = json_string_value(json_object_get(b, "role"));
    json_t *ro = json_object_get(b, "read_only"), *exp = json_object_get(b, "expires_at");
    json_t *svc = json_object_get(b, "services");
    s->read_only = json_is_true(ro);
    s->expires_at = exp ? (json_is_string(exp) ? json_string_value(exp) : "") : NULL;
    s->scoped = svc != NULL;
    if (ro && !json_is_boolean(ro)) {
        refuse(req, "'read_only' must be true or false");
        return -1;
    }
    json_t *rl = json_object_get(b, "rate_limit");
    if (rl && !json_is_null(rl) && (!json_is_integer(rl) || json_integer_value(rl) < 1)) {
        refuse(req, "'rate_limit' must be a number of requests a minute (1 or more), or null");
        return -1;
    }
    s->rate_limit = json_is_integer(rl) ? json_integer_value(rl) : 0;
    if (svc && !json_is_array(svc)) {
        refuse(req, "'services' must be an array of service names");
        return -1;
    }
    s->nsvc = json_array_size(svc);
    const char **v = td_arena_alloc(req->arena, sizeof(char *) * (s->nsvc + 1));
    for (size_t i = 0; v && i < s->nsvc; i++)
        v[i] = json_string_value(json_array_get(svc, i));
    s->services = v;
    return 0;
}

void td_api_key_create(td_req_t *req, void *app_) {
    td_app_t *app = app_;
    td_ctx_t *ctx = req->ctx;
    td_op_t op = td_api_op(req, app);
    json_t *b;
    td_apikey_spec_t s = {.tenant = platform_route(req) ? NULL : ctx->tenant};
    if (td_api_json_body(req, &b) || read_body(req, b, &s))
        return;
    td_apikey_row_t k;
    char key[TD_APIKEY_LEN + 1];
    if (td_op_apikey_create(&op, &s, &k, key)) {
        td_api_op_fail(req, &op);
        return;
    }
    json_t *o = td_apikey_json(&k, 0);
    json_object_set_new(o, "key", json_string(key));
    sodium_memzero(key, sizeof(key));
    td_resp_header(req, "Cache-Control", "no-store");
    td_api_send_json(req, 201, o);
}

void td_api_key_list(td_req_t *req, void *app_) {
    td_app_t *app = app_;
    td_ctx_t *ctx = req->ctx;
    td_op_t op = td_api_op(req, app);
    const char *tenant = platform_route(req) ? NULL : ctx->tenant->row.id;
    td_apikey_row_t *rows;
    size_t n = 0;
    if (td_op_apikey_list(&op, tenant, &rows, &n)) {
        td_api_op_fail(req, &op);
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, td_apikey_json(&rows[i], 0));
    td_api_send_json(req, 200, json_pack("{s:o, s:n}", "items", items, "next_cursor"));
}

void td_api_key_revoke(td_req_t *req, void *app_) {
    td_app_t *app = app_;
    td_ctx_t *ctx = req->ctx;
    td_op_t op = td_api_op(req, app);
    const char *tenant = platform_route(req) ? NULL : ctx->tenant->row.id;
    if (td_op_apikey_revoke(&op, tenant, req->params[0]))
        td_api_op_fail(req, &op);
    else
        td_resp_static(req, 204, "application/json", "", 0);
}
