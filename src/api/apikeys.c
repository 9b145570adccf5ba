/* apikeys.c — API keys. Tenant keys (POST|GET /v1/auth/api-keys, DELETE
 * /v1/auth/api-keys/{id}) are made by the tenant's admins (or a superadmin
 * with X-Tenant) with a role no higher than admin, an optional list of the
 * tenant's services and a read-only flag; platform keys (/v1/admin/api-keys)
 * by superadmins, with the superadmin role. The key is in the creating
 * response only; lists never carry it. No escalation by delegation: a
 * caller held to a list of services (a scoped admin or key) creates and
 * revokes only keys inside its rights, and a key made by an expiring key
 * expires no later. Lists name each key's creator. */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "auth/apikey.h"
#include "common/text.h"
#include "common/timeutil.h"

static int platform_route(const td_req_t *req) {
    return ((const td_need_t *)req->route->need)->all_tenants;
}

static json_t *key_json(const td_apikey_row_t *k) {
    json_error_t e;
    json_t *svc = k->services ? json_loads(k->services, 0, &e) : json_null();
    json_t *o = json_pack("{s:s, s:s, s:s, s:o, s:b}", "id", k->id, "name", k->name, "role",
                          k->role, "services", svc ? svc : json_null(), "read_only", k->read_only);
    const char *opt[][2] = {{"expires_at", k->expires_at}, {"last_used_at", k->last_used_at},
                            {"revoked_at", k->revoked_at}, {"created_at", k->created_at},
                            {"created_by", k->created_by}};
    for (size_t i = 0; i < 5; i++)
        json_object_set_new(o, opt[i][0], opt[i][1] ? json_string(opt[i][1]) : json_null());
    return o;
}

static int refuse(td_req_t *req, const char *code, const char *detail) {
    td_resp_problem(req, 400, code, "Invalid request", detail);
    return -1;
}

/* What key k holds; its services parsed into the request's arena. */
static td_grant_t key_grant(td_req_t *req, const td_apikey_row_t *k) {
    td_grant_t g = {k->role, !k->services, NULL, 0};
    json_error_t e;
    json_t *svc = k->services ? json_loads(k->services, 0, &e) : NULL;
    const char **v = td_arena_alloc(req->arena, sizeof(char *) * (json_array_size(svc) + 1));
    for (size_t i = 0; v && i < json_array_size(svc); i++) {
        const char *s = json_string_value(json_array_get(svc, i));
        v[g.nsvc++] = s ? td_arena_strdup(req->arena, s) : "";
    }
    g.svc = v;
    json_decref(svc);
    return g;
}

/* 403 exceeds_scope unless the caller holds every right of k (and, when
 * creating, k expires no later than a calling key); -1 then. */
static int within_rights(td_req_t *req, const td_apikey_row_t *k, int creating) {
    td_ctx_t *ctx = req->ctx;
    td_grant_t me = {ctx->role, ctx->all, ctx->svc, ctx->nsvc}, want = key_grant(req, k);
    json_t *mine = json_object_get(ctx->claims, "key_exp");
    int64_t until = 0;
    /* a key made by an expiring key must not outlive it */
    int outlives = creating && json_is_integer(mine) &&
                   (!k->expires_at || td_time_parse(k->expires_at, &until) ||
                    until / 1000 > json_integer_value(mine));
    if (td_policy_covers(&me, &want) && !outlives)
        return 0;
    td_resp_problem(req, 403, "exceeds_scope", "Forbidden",
                    outlives ? "a key made by an expiring key must expire no later than it"
                             : "you cannot create or revoke a key with a role or services you do"
                               " not hold");
    return -1;
}

/* Validates the body into k; answers 400 on the first problem. */
static int read_body(td_req_t *req, json_t *b, int platform, td_apikey_row_t *k) {
    td_ctx_t *ctx = req->ctx;
    static const char *const fields[] = {"name", "role", "services", "read_only", "expires_at",
                                         NULL};
    if (!td_api_only_fields(req, b, fields))
        return -1;
    k->name = json_string_value(json_object_get(b, "name"));
    if (!k->name || !*k->name || strlen(k->name) > 100 || !td_text_printable_utf8(k->name))
        return refuse(req, "invalid_request", "'name' (1 to 100 characters) is required");
    k->role = json_string_value(json_object_get(b, "role"));
    if (platform)
        k->role = k->role ? k->role : "superadmin";
    if (platform ? strcmp(k->role, "superadmin") : !td_role_valid_tenant(k->role))
        return refuse(req, "invalid_role",
                      platform ? "platform keys have the superadmin role"
                               : "role must be admin, manager or client");
    json_t *ro = json_object_get(b, "read_only");
    if (ro && !json_is_boolean(ro))
        return refuse(req, "invalid_request", "'read_only' must be true or false");
    k->read_only = json_is_true(ro);
    json_t *exp = json_object_get(b, "expires_at");
    if (exp && !(k->expires_at = td_apikey_expiry(req->arena, json_string_value(exp))))
        return refuse(req, "invalid_request",
                      "'expires_at' must be a future RFC 3339 time like 2027-01-01T00:00:00Z");
    json_t *svc = json_object_get(b, "services");
    if (svc && (platform || !json_is_array(svc)))
        return refuse(req, "invalid_request", "'services' must be an array of service names");
    for (size_t i = 0; svc && i < json_array_size(svc); i++) {
        const char *s = json_string_value(json_array_get(svc, i));
        int ok = 0;
        for (size_t j = 0; s && j < ctx->tenant->nsvc; j++)
            ok |= strcmp(s, ctx->tenant->services[j]) == 0;
        if (!ok)
            return refuse(req, "service_not_enabled",
                          "a key's services must be enabled for the tenant");
    }
    char *txt = svc ? json_dumps(svc, JSON_COMPACT) : NULL;
    k->services = txt ? td_arena_strdup(req->arena, txt) : NULL;
    free(txt);
    return 0;
}

void td_api_key_create(td_req_t *req, void *app_) {
    td_app_t *app = app_;
    td_ctx_t *ctx = req->ctx;
    int platform = platform_route(req);
    json_t *b;
    if (td_api_json_body(req, &b))
        return;
    td_apikey_row_t k = {0};
    td_db_t *tdb; /* a tenant's key needs its tenant answering (503 otherwise) */
    if (read_body(req, b, platform, &k) || (!platform && within_rights(req, &k, 1)) ||
        (!platform && td_api_tenant_db(req, app, "auth", &tdb)))
        return;
    char id[TD_ID_LEN + 1], key[TD_APIKEY_LEN + 1], hash[TD_HASH_HEX];
    td_id_new(id);
    td_apikey_new(id, key, hash);
    k.id = id;
    k.key_hash = hash;
    k.tenant_id = platform ? NULL : ctx->tenant->row.id;
    k.created_by = ctx->sub;
    td_db_t *db;
    td_status st = td_catalog_lease(app->platform->catalog, req->arena, &db);
    if (!st)
        st = td_cat_apikey_insert(db, &k);
    td_apikey_row_t saved;
    if (!st)
        st = td_cat_apikey_get(db, req->arena, id, &saved);
    if (st) {
        sodium_memzero(key, sizeof(key));
        td_api_fail(req, st, NULL);
        return;
    }
    json_t *o = key_json(&saved);
    json_object_set_new(o, "key", json_string(key));
    sodium_memzero(key, sizeof(key));
    td_resp_header(req, "Cache-Control", "no-store");
    td_api_send_json(req, 201, o);
}

void td_api_key_list(td_req_t *req, void *app_) {
    td_app_t *app = app_;
    td_ctx_t *ctx = req->ctx;
    td_db_t *db;
    td_apikey_row_t *rows;
    size_t n = 0;
    td_db_t *tdb; /* a tenant's keys need its tenant answering (503 otherwise) */
    if (!platform_route(req) && td_api_tenant_db(req, app, "auth", &tdb))
        return;
    td_status st = td_catalog_lease(app->platform->catalog, req->arena, &db);
    if (!st)
        st = td_cat_apikey_list(db, req->arena, platform_route(req) ? NULL : ctx->tenant->row.id,
                                &rows, &n);
    if (st) {
        td_api_fail(req, st, NULL);
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, key_json(&rows[i]));
    td_api_send_json(req, 200, json_pack("{s:o, s:n}", "items", items, "next_cursor"));
}

void td_api_key_revoke(td_req_t *req, void *app_) {
    td_app_t *app = app_;
    td_ctx_t *ctx = req->ctx;
    td_db_t *db;
    const char *tenant = platform_route(req) ? NULL : ctx->tenant->row.id;
    td_apikey_row_t k;
    td_db_t *tdb;
    if (tenant && td_api_tenant_db(req, app, "auth", &tdb))
        return;
    td_status st = td_id_valid(req->params[0]) ? TD_OK : TD_E_NOTFOUND;
    if (!st)
        st = td_catalog_lease(app->platform->catalog, req->arena, &db);
    if (!st)
        st = td_cat_apikey_get(db, req->arena, req->params[0], &k);
    if (!st && (!k.tenant_id != !tenant || (tenant && strcmp(k.tenant_id, tenant))))
        st = TD_E_NOTFOUND; /* another tenant's key: as if absent */
    if (!st && tenant && within_rights(req, &k, 0))
        return;
    if (!st)
        st = td_cat_apikey_revoke(db, k.id, tenant);
    if (!st && tenant) /* the keys it made go with it */
        st = td_cat_apikey_revoke_created_by(db, tenant, k.id);
    if (st == TD_E_NOTFOUND)
        td_resp_problem(req, 404, "api_key_not_found", "API key not found", "no such live key");
    else if (st)
        td_api_fail(req, st, NULL);
    else
        td_resp_static(req, 204, "application/json", "", 0);
}
