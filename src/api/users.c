/* users.c — a tenant's users (auth.users), for its admins:
 *   POST /v1/auth/users, GET /v1/auth/users, GET|PATCH|DELETE /v1/auth/users/{id}.
 * Managers and clients read only their own profile (policy scope OWN).
 * Nobody grants more than they have: roles are admin, manager or client,
 * and services must be enabled for the tenant. `id`, `tid`, `role:
 * superadmin` and every other unknown field are refused, never ignored.
 * Deleting or disabling a user, or changing its role or grants, revokes
 * every token issued to it so far. */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "auth/password.h"
#include "auth/tokens.h"
#include "auth/users.h"
#include "common/id.h"
#include "common/text.h"
#include "common/timeutil.h"

static int bad(td_req_t *req, const char *code, const char *detail) {
    td_resp_problem(req, 400, code, "Invalid request", detail);
    return -1;
}

/* The tenant database of the request (leased for its lifetime). */
static td_db_t *tenant_db(td_req_t *req, td_app_t *app) {
    td_ctx_t *ctx = req->ctx;
    td_db_t *db = NULL;
    char err[256];
    if (td_tenant_lease(app->platform, req->arena, ctx->tenant->row.id, "auth", &db, err,
                        sizeof(err))) {
        td_resp_problem(req, 503, "tenant_unavailable", "Tenant unavailable",
                        "the tenant's database does not answer");
        return NULL;
    }
    return db;
}

/* Checks a "services" array against the tenant's enabled services. */
static int check_services(td_req_t *req, json_t *svc) {
    td_ctx_t *ctx = req->ctx;
    if (!json_is_array(svc) || json_array_size(svc) > 16)
        return bad(req, "invalid_request", "'services' must be an array of service names");
    for (size_t i = 0; i < json_array_size(svc); i++) {
        const char *s = json_string_value(json_array_get(svc, i));
        int ok = 0;
        for (size_t j = 0; s && j < ctx->tenant->nsvc; j++)
            ok |= strcmp(s, ctx->tenant->services[j]) == 0;
        if (!ok)
            return bad(req, "service_not_enabled",
                       "every granted service must be enabled for the tenant");
    }
    return 0;
}

static int check_fields(td_req_t *req, json_t *b, const char *const *allowed) {
    if (!td_api_only_fields(req, b, allowed))
        return -1;
    json_t *role = json_object_get(b, "role");
    if (role && !td_role_valid_tenant(json_string_value(role)))
        return bad(req, "invalid_role", "role must be admin, manager or client");
    json_t *name = json_object_get(b, "name");
    if (name && (!json_is_string(name) || strlen(json_string_value(name)) > 200 ||
                 !td_text_printable_utf8(json_string_value(name))))
        return bad(req, "invalid_request", "'name' must be text of at most 200 bytes");
    json_t *dis = json_object_get(b, "disabled");
    if (dis && !json_is_boolean(dis))
        return bad(req, "invalid_request", "'disabled' must be true or false");
    json_t *svc = json_object_get(b, "services");
    if (svc && check_services(req, svc))
        return -1;
    json_t *pw = json_object_get(b, "password");
    if (pw && (!json_is_string(pw) || td_password_check(json_string_value(pw))))
        return bad(req, "weak_password", "the password must be 8 to 1024 characters");
    return 0;
}

/* The user's public JSON, or NULL when absent. */
static json_t *load_user(td_req_t *req, td_db_t *db, const char *id) {
    td_user_t u;
    return td_user_find(db, req->arena, id, 0, &u) ? NULL : td_user_json(&u);
}

/* A JSON array of names as an arena array. */
static const char **names(td_req_t *req, json_t *arr, size_t *n) {
    *n = json_array_size(arr);
    const char **v = td_arena_alloc(req->arena, sizeof(char *) * (*n + 1));
    for (size_t i = 0; v && i < *n; i++)
        v[i] = json_string_value(json_array_get(arr, i));
    return v;
}

static void revoke_user(td_req_t *req, td_app_t *app, const char *id) {
    td_db_t *cat;
    if (td_catalog_lease(app->platform->catalog, req->arena, &cat) == TD_OK)
        td_revocations_add(app->revoked, cat, td_arena_printf(req->arena, "sub:%s", id),
                           td_now_ms() / 1000 + TD_ACCESS_TTL);
}

void td_api_user_create(td_req_t *req, void *app_) {
    td_app_t *app = app_;
    static const char *const fields[] = {"email", "password", "role", "services", "name", NULL};
    json_t *b;
    if (td_api_json_body(req, &b))
        return;
    if (check_fields(req, b, fields))
        return;
    td_user_spec_t spec = {
        .email = json_string_value(json_object_get(b, "email")),
        .password = json_string_value(json_object_get(b, "password")),
        .role = json_string_value(json_object_get(b, "role")),
        .name = json_string_value(json_object_get(b, "name")),
    };
    spec.services = names(req, json_object_get(b, "services"), &spec.nsvc);
    if (!td_email_valid(spec.email) || !spec.password || !spec.role) {
        bad(req, "invalid_request", "'email', 'password' and 'role' are required");
        return;
    }
    td_db_t *db = tenant_db(req, app);
    if (!db)
        return;
    char id[TD_ID_LEN + 1];
    td_who_t who = {((td_ctx_t *)req->ctx)->sub, req->request_id};
    td_status rc = td_user_create(db, &spec, id, &who);
    if (rc == TD_E_EXISTS)
        td_resp_problem(req, 409, "email_taken", "Email taken", "a user with this email exists");
    else if (rc)
        td_api_fail(req, rc, NULL);
    else {
        json_t *o = load_user(req, db, id);
        td_resp_header(req, "Location", td_arena_printf(req->arena, "/v1/auth/users/%s", id));
        td_api_send_json(req, 201, o ? o : json_object());
    }
}

void td_api_user_list(td_req_t *req, void *app_) {
    td_app_t *app = app_;
    td_ctx_t *ctx = req->ctx;
    td_db_t *db = tenant_db(req, app);
    if (!db)
        return;
    json_t *items = json_array();
    if (ctx->scope == TD_SCOPE_OWN) { /* managers and clients: themselves */
        json_t *me = load_user(req, db, ctx->sub);
        if (me)
            json_array_append_new(items, me);
    } else {
        const char **ids;
        size_t n = 0;
        td_user_ids(db, req->arena, 1000, &ids, &n);
        for (size_t i = 0; i < n; i++) {
            json_t *u = load_user(req, db, ids[i]);
            if (u)
                json_array_append_new(items, u);
        }
    }
    td_api_send_json(req, 200, json_pack("{s:o, s:n}", "items", items, "next_cursor"));
}

/* The {id} user if the caller may see it: 404 otherwise (no leak). */
static json_t *visible_user(td_req_t *req, td_db_t *db) {
    td_ctx_t *ctx = req->ctx;
    const char *id = req->params[0];
    json_t *u = NULL;
    if (td_id_valid(id) && (ctx->scope != TD_SCOPE_OWN || strcmp(id, ctx->sub) == 0))
        u = load_user(req, db, id);
    if (!u)
        td_resp_problem(req, 404, "user_not_found", "User not found", "no such user");
    return u;
}

void td_api_user_get(td_req_t *req, void *app_) {
    td_db_t *db = tenant_db(req, app_);
    json_t *u = db ? visible_user(req, db) : NULL;
    if (u)
        td_api_send_json(req, 200, u);
}

void td_api_user_patch(td_req_t *req, void *app_) {
    td_app_t *app = app_;
    static const char *const fields[] = {"role", "services", "name", "disabled", "password", NULL};
    json_t *b;
    if (td_api_json_body(req, &b))
        return;
    if (check_fields(req, b, fields))
        return;
    td_db_t *db = tenant_db(req, app);
    json_t *u = db ? visible_user(req, db) : NULL;
    if (!u)
        return;
    json_decref(u);
    const char *id = req->params[0];
    json_t *svc = json_object_get(b, "services"), *dis = json_object_get(b, "disabled");
    td_user_patch_t p = {
        .role = json_string_value(json_object_get(b, "role")),
        .name = json_string_value(json_object_get(b, "name")),
        .password = json_string_value(json_object_get(b, "password")),
        .set_disabled = dis != NULL,
        .disabled = json_is_true(dis),
        .set_services = svc != NULL,
    };
    p.services = names(req, svc, &p.nsvc);
    td_who_t who = {((td_ctx_t *)req->ctx)->sub, req->request_id};
    td_status rc = td_user_update(db, id, &p, &who);
    if (rc) {
        td_api_fail(req, rc, NULL);
        return;
    }
    const char *role = p.role, *pw = p.password;
    if (role || svc || json_is_true(dis) || pw)
        revoke_user(req, app, id);
    json_t *o = load_user(req, db, id);
    td_api_send_json(req, 200, o ? o : json_object());
}

void td_api_user_delete(td_req_t *req, void *app_) {
    td_app_t *app = app_;
    td_ctx_t *ctx = req->ctx;
    td_db_t *db = tenant_db(req, app);
    json_t *u = db ? visible_user(req, db) : NULL;
    if (!u)
        return;
    json_decref(u);
    const char *id = req->params[0];
    if (strcmp(id, ctx->sub) == 0) {
        td_resp_problem(req, 409, "cannot_delete_self", "Conflict", "you cannot delete yourself");
        return;
    }
    td_who_t who = {((td_ctx_t *)req->ctx)->sub, req->request_id};
    td_status rc = td_user_delete(db, id, &who);
    if (rc) {
        td_api_fail(req, rc, NULL);
        return;
    }
    revoke_user(req, app, id);
    td_resp_static(req, 204, "application/json", "", 0);
}
