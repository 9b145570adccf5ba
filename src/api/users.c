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
#include "common/id.h"
#include "common/text.h"
#include "common/timeutil.h"

static void send_json(td_req_t *req, int status, json_t *o) {
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    td_resp_bytes(req, status, "application/json", s ? s : "{}", s ? strlen(s) : 2);
    free(s);
}

static int bad(td_req_t *req, const char *code, const char *detail) {
    td_resp_problem(req, 400, code, "Invalid request", detail);
    return -1;
}

/* The tenant database of the request (leased for its lifetime). */
static td_db_t *tenant_db(td_req_t *req, td_app_t *app) {
    td_ctx_t *ctx = req->ctx;
    td_db_t *db = NULL;
    char err[256];
    if (td_tenant_lease(app->platform, req->arena, ctx->tenant->row.id, &db, err, sizeof(err))) {
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
    const char *k;
    json_t *v;
    json_object_foreach(b, k, v) {
        int ok = 0;
        for (size_t i = 0; allowed[i]; i++)
            ok |= strcmp(k, allowed[i]) == 0;
        if (!ok)
            return bad(req, "unknown_field",
                       td_arena_printf(req->arena, "field '%.64s' cannot be set", k));
    }
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

/* The user's row as JSON, or NULL when absent. */
static json_t *load_user(td_req_t *req, td_db_t *db, const char *id) {
    td_stmt_t *st = NULL;
    json_t *o = NULL;
    if (td_db_prepare(db,
                      "SELECT id, email, role, name, disabled, last_login_at, created_at,"
                      " updated_at FROM auth.users WHERE id = ?",
                      &st) == TD_OK &&
        td_db_bind_text(st, 1, id) == TD_OK && td_db_step(st) == TD_DB_ROW) {
        o = json_pack("{s:s, s:s, s:s}", "id", td_db_column_text(st, 0), "email",
                      td_db_column_text(st, 1), "role", td_db_column_text(st, 2));
        const char *name = td_db_column_text(st, 3);
        json_object_set_new(o, "name", name ? json_string(name) : json_null());
        json_object_set_new(o, "disabled", json_boolean(td_db_column_int64(st, 4)));
        const char *ll = td_db_column_text(st, 5);
        json_object_set_new(o, "last_login_at", ll ? json_string(ll) : json_null());
        json_object_set_new(o, "created_at", json_string(td_db_column_text(st, 6)));
        json_object_set_new(o, "updated_at", json_string(td_db_column_text(st, 7)));
    }
    td_db_finalize(st);
    if (!o)
        return NULL;
    json_t *svc = json_array();
    if (td_db_prepare(db, "SELECT service FROM auth.user_services WHERE user_id = ? ORDER BY service",
                      &st) == TD_OK &&
        td_db_bind_text(st, 1, id) == TD_OK)
        while (td_db_step(st) == TD_DB_ROW)
            json_array_append_new(svc, json_string(td_db_column_text(st, 0)));
    td_db_finalize(st);
    json_object_set_new(o, "services", svc);
    (void)req;
    return o;
}

static td_status set_grants(td_db_t *db, const char *id, json_t *svc) {
    td_status st = td_db_execv(db, NULL, "DELETE FROM auth.user_services WHERE user_id = ?", id, NULL);
    for (size_t i = 0; !st && i < json_array_size(svc); i++)
        st = td_db_execv(db, NULL,
                         "INSERT INTO auth.user_services (user_id, service) VALUES (?, ?)"
                         " ON CONFLICT (user_id, service) DO NOTHING",
                         id, json_string_value(json_array_get(svc, i)), NULL);
    return st;
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
    td_arena_defer(req->arena, (td_cleanup_fn)json_decref, b);
    if (check_fields(req, b, fields))
        return;
    const char *email = json_string_value(json_object_get(b, "email"));
    const char *pw = json_string_value(json_object_get(b, "password"));
    const char *role = json_string_value(json_object_get(b, "role"));
    const char *name = json_string_value(json_object_get(b, "name"));
    json_t *svc = json_object_get(b, "services");
    if (!td_email_valid(email) || !pw || !role) {
        bad(req, "invalid_request", "'email', 'password' and 'role' are required");
        return;
    }
    char hash[TD_PASSWORD_HASH_MAX], id[TD_ID_LEN + 1], now[32];
    if (td_password_hash(pw, hash)) {
        td_api_fail(req, TD_E_INTERNAL, NULL);
        return;
    }
    td_id_new(id);
    td_time_iso(td_now_ms(), now, sizeof(now));
    td_db_t *db = tenant_db(req, app);
    if (!db)
        return;
    td_stmt_t *st = NULL;
    td_status rc = td_db_begin(db, TD_DB_WRITE);
    if (!rc)
        rc = td_db_prepare(db,
                           "INSERT INTO auth.users (id, email, password_hash, role, name, created_at,"
                           " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                           &st);
    const char *vals[] = {id, email, hash, role, name, now, now};
    for (int i = 0; !rc && i < 7; i++)
        rc = td_db_bind_text(st, i + 1, vals[i]);
    if (!rc) {
        int r = td_db_step(st);
        rc = r < 0 ? (td_status)r : TD_OK;
    }
    td_db_finalize(st);
    if (!rc && svc)
        rc = set_grants(db, id, svc);
    if (!rc)
        rc = td_db_commit(db);
    if (rc) {
        td_db_rollback(db);
        if (rc == TD_E_EXISTS)
            td_resp_problem(req, 409, "email_taken", "Email taken",
                            "a user with this email exists");
        else
            td_api_fail(req, rc, NULL);
        return;
    }
    json_t *o = load_user(req, db, id);
    td_resp_header(req, "Location", td_arena_printf(req->arena, "/v1/auth/users/%s", id));
    send_json(req, 201, o ? o : json_object());
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
        td_stmt_t *st = NULL;
        const char **ids = td_arena_alloc(req->arena, sizeof(char *) * 1001);
        size_t n = 0;
        if (td_db_prepare(db, "SELECT id FROM auth.users ORDER BY id LIMIT 1000", &st) == TD_OK)
            while (td_db_step(st) == TD_DB_ROW && n < 1000)
                ids[n++] = td_arena_strdup(req->arena, td_db_column_text(st, 0));
        td_db_finalize(st);
        for (size_t i = 0; i < n; i++) {
            json_t *u = load_user(req, db, ids[i]);
            if (u)
                json_array_append_new(items, u);
        }
    }
    send_json(req, 200, json_pack("{s:o, s:n}", "items", items, "next_cursor"));
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
        send_json(req, 200, u);
}

void td_api_user_patch(td_req_t *req, void *app_) {
    td_app_t *app = app_;
    static const char *const fields[] = {"role", "services", "name", "disabled", "password", NULL};
    json_t *b;
    if (td_api_json_body(req, &b))
        return;
    td_arena_defer(req->arena, (td_cleanup_fn)json_decref, b);
    if (check_fields(req, b, fields))
        return;
    td_db_t *db = tenant_db(req, app);
    json_t *u = db ? visible_user(req, db) : NULL;
    if (!u)
        return;
    json_decref(u);
    const char *id = req->params[0];
    char now[32], hash[TD_PASSWORD_HASH_MAX];
    td_time_iso(td_now_ms(), now, sizeof(now));
    const char *pw = json_string_value(json_object_get(b, "password"));
    if (pw && td_password_hash(pw, hash)) {
        td_api_fail(req, TD_E_INTERNAL, NULL);
        return;
    }
    td_status rc = td_db_begin(db, TD_DB_WRITE);
    json_t *role = json_object_get(b, "role"), *name = json_object_get(b, "name");
    json_t *dis = json_object_get(b, "disabled"), *svc = json_object_get(b, "services");
    if (!rc && role)
        rc = td_db_execv(db, NULL, "UPDATE auth.users SET role = ? WHERE id = ?",
                         json_string_value(role), id, NULL);
    if (!rc && name)
        rc = td_db_execv(db, NULL, "UPDATE auth.users SET name = ? WHERE id = ?",
                         json_string_value(name), id, NULL);
    if (!rc && dis)
        rc = td_db_execv(db, NULL, "UPDATE auth.users SET disabled = ? WHERE id = ?",
                         json_is_true(dis) ? "1" : "0", id, NULL);
    if (!rc && pw)
        rc = td_db_execv(db, NULL, "UPDATE auth.users SET password_hash = ? WHERE id = ?", hash,
                         id, NULL);
    if (!rc && svc)
        rc = set_grants(db, id, svc);
    if (!rc)
        rc = td_db_execv(db, NULL, "UPDATE auth.users SET updated_at = ? WHERE id = ?", now, id,
                         NULL);
    if (!rc)
        rc = td_db_commit(db);
    if (rc) {
        td_db_rollback(db);
        td_api_fail(req, rc, NULL);
        return;
    }
    if (role || svc || json_is_true(dis) || pw)
        revoke_user(req, app, id);
    json_t *o = load_user(req, db, id);
    send_json(req, 200, o ? o : json_object());
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
    int64_t n = 0;
    td_status rc = td_db_execv(db, &n, "DELETE FROM auth.users WHERE id = ?", id, NULL);
    if (rc) {
        td_api_fail(req, rc, NULL);
        return;
    }
    revoke_user(req, app, id);
    td_resp_static(req, 204, "application/json", "", 0);
}
