/* users.c — a tenant's users (auth.users), for its admins:
 *   POST /v1/auth/users, GET /v1/auth/users, GET|PATCH|DELETE /v1/auth/users/{id}.
 * Managers and clients read only their own profile (policy scope OWN).
 * Nobody grants more than they have: roles are admin, manager or client,
 * services must be enabled for the tenant, and a caller held to a list of
 * services (a scoped admin or key) creates, changes and removes only
 * users inside its own rights (td_policy_covers). `id`, `tid`, `role:
 * superadmin` and every other unknown field are refused, never ignored.
 * Deleting or disabling a user, or changing its role, grants or password,
 * ends every session and token issued to it so far; all but a password
 * change also revoke the API keys it created. Emails are stored
 * lower-cased. */
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

/* The tenant's auth database (leased for the request's lifetime), or
 * NULL after answering 503 tenant_unavailable. */
static td_db_t *tenant_db(td_req_t *req, td_app_t *app) {
    td_db_t *db = NULL;
    return td_api_tenant_db(req, app, "auth", &db) ? NULL : db;
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
    if (pw && !json_is_string(pw))
        return bad(req, "invalid_request", "'password' must be text");
    if (pw && td_password_check(json_string_value(pw)))
        return bad(req, "weak_password", td_password_problem(json_string_value(pw)));
    return 0;
}

/* What the caller holds (delegation checks). */
static td_grant_t caller_grant(const td_req_t *req) {
    const td_ctx_t *ctx = req->ctx;
    return (td_grant_t){ctx->role, ctx->all, ctx->svc, ctx->nsvc};
}

/* What a user would hold with this role and grants. */
static td_grant_t user_grant(const char *role, const char *const *svc, size_t nsvc) {
    svc = nsvc ? svc : NULL;
    return (td_grant_t){role, strcmp(role, "admin") == 0 && nsvc == 0, svc, nsvc};
}

/* 403 exceeds_scope unless the caller covers want; -1 then. */
static int within_rights(td_req_t *req, const td_grant_t *want) {
    td_grant_t me = caller_grant(req);
    if (td_policy_covers(&me, want))
        return 0;
    td_resp_problem(req, 403, "exceeds_scope", "Forbidden",
                    "you cannot create, change or remove a user with a role or services you do"
                    " not hold");
    return -1;
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

/* After a change that ended the user's tokens (gen): revokes them, and
 * its API keys too when it lost rights. 0, or answers 503. */
static int revoked(td_req_t *req, td_app_t *app, const char *id, int64_t gen, int keys) {
    td_ctx_t *ctx = req->ctx;
    td_status st = td_revoke_user(app->revoked, app->platform->catalog, ctx->tenant->row.id, id,
                                  gen, keys);
    if (st)
        td_api_fail(req, st, "the change is saved, but revoking its tokens failed: retry");
    return st ? -1 : 0;
}

/* A user creation handed to a worker thread (the spec's strings live in
 * the request's body, kept by its arena). */
typedef struct {
    td_app_t *app;
    td_user_spec_t spec;
} user_job_t;

static void create_work(td_req_t *req, void *arg);

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
    td_grant_t want = user_grant(spec.role, spec.services, spec.nsvc);
    if (within_rights(req, &want))
        return;
    user_job_t *job = td_arena_alloc(req->arena, sizeof(*job));
    if (!job) {
        td_api_fail(req, TD_E_NOMEM, NULL);
        return;
    }
    *job = (user_job_t){app, spec};
    td_req_offload(req, create_work, job); /* argon2id: never on an HTTP thread */
}

/* The creation itself, on a worker thread. */
static void create_work(td_req_t *req, void *arg) {
    user_job_t *job = arg;
    td_db_t *db = tenant_db(req, job->app);
    if (!db)
        return;
    char id[TD_ID_LEN + 1];
    td_who_t who = {((td_ctx_t *)req->ctx)->sub, req->request_id,
                    td_api_actor_kind(req->ctx), td_req_client_addr(req)};
    td_status rc = td_user_create(db, &job->spec, id, &who);
    if (rc == TD_E_EXISTS)
        td_resp_problem(req, 409, "email_taken", "Email taken", "a user with this email exists");
    else if (rc)
        td_api_tenant_fail(req, rc, NULL);
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
        td_status st = td_user_ids(db, req->arena, 1000, &ids, &n);
        if (st) {
            json_decref(items);
            td_api_tenant_fail(req, st, NULL);
            return;
        }
        for (size_t i = 0; i < n; i++) {
            json_t *u = load_user(req, db, ids[i]);
            if (u)
                json_array_append_new(items, u);
        }
    }
    td_api_send_json(req, 200, json_pack("{s:o, s:n}", "items", items, "next_cursor"));
}

/* The {id} user if the caller may see it: 404 otherwise (no leak). */
static int visible_user(td_req_t *req, td_db_t *db, td_user_t *u) {
    td_ctx_t *ctx = req->ctx;
    const char *id = req->params[0];
    td_status st = TD_E_NOTFOUND;
    if (td_id_valid(id) && (ctx->scope != TD_SCOPE_OWN || strcmp(id, ctx->sub) == 0))
        st = td_user_find(db, req->arena, id, 0, u);
    if (st == TD_E_NOTFOUND)
        td_resp_problem(req, 404, "user_not_found", "User not found", "no such user");
    else if (st) /* the database failed: never a 404 that says the user is gone */
        td_api_tenant_fail(req, st == TD_E_DB ? TD_E_UNAVAILABLE : st, NULL);
    return st ? -1 : 0;
}

void td_api_user_get(td_req_t *req, void *app_) {
    td_db_t *db = tenant_db(req, app_);
    td_user_t u;
    if (db && !visible_user(req, db, &u))
        td_api_send_json(req, 200, td_user_json(&u));
}

typedef struct {
    td_app_t *app;
    json_t *body; /* kept by the request's arena */
} patch_job_t;

/* The change itself: on a worker thread when it hashes a password. */
static void patch_work(td_req_t *req, void *arg) {
    td_app_t *app = ((patch_job_t *)arg)->app;
    json_t *b = ((patch_job_t *)arg)->body;
    td_ctx_t *ctx = req->ctx;
    td_db_t *db = tenant_db(req, app);
    td_user_t u;
    if (!db || visible_user(req, db, &u))
        return;
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
    /* the user as it is, and as it would be, must both be within the
     * caller's rights */
    td_grant_t before = user_grant(u.role, u.services, u.nsvc);
    td_grant_t after = user_grant(p.role ? p.role : u.role,
                                  svc ? p.services : (const char *const *)u.services,
                                  svc ? p.nsvc : u.nsvc);
    if (within_rights(req, &before) || within_rights(req, &after))
        return;
    if (p.disabled && strcmp(u.id, ctx->sub) == 0) {
        td_resp_problem(req, 409, "cannot_disable_self", "Conflict", "you cannot disable yourself");
        return;
    }
    td_who_t who = {ctx->sub, req->request_id, td_api_actor_kind(ctx), td_req_client_addr(req)};
    int64_t gen = 0;
    td_status rc = td_user_update(db, u.id, &p, &who, &gen);
    if (rc) {
        td_api_tenant_fail(req, rc,
                           rc == TD_E_LAST_ADMIN ? "the tenant must keep an active admin" : NULL);
        return;
    }
    if (revoked(req, app, u.id, gen, p.role || svc || p.disabled))
        return;
    td_user_t now;
    if (td_user_find(db, req->arena, u.id, 0, &now))
        td_api_send_json(req, 200, json_object());
    else
        td_api_send_json(req, 200, td_user_json(&now));
}

void td_api_user_patch(td_req_t *req, void *app_) {
    static const char *const fields[] = {"role", "services", "name", "disabled", "password", NULL};
    json_t *b;
    if (td_api_json_body(req, &b) || check_fields(req, b, fields))
        return;
    patch_job_t *job = td_arena_alloc(req->arena, sizeof(*job));
    if (!job) {
        td_api_fail(req, TD_E_NOMEM, NULL);
        return;
    }
    *job = (patch_job_t){app_, b};
    if (json_object_get(b, "password"))
        td_req_offload(req, patch_work, job); /* argon2id: never on an HTTP thread */
    else
        patch_work(req, job);
}

void td_api_user_delete(td_req_t *req, void *app_) {
    td_app_t *app = app_;
    td_ctx_t *ctx = req->ctx;
    td_db_t *db = tenant_db(req, app);
    td_user_t u;
    if (!db || visible_user(req, db, &u))
        return;
    td_grant_t held = user_grant(u.role, u.services, u.nsvc);
    if (within_rights(req, &held))
        return;
    if (strcmp(u.id, ctx->sub) == 0) {
        td_resp_problem(req, 409, "cannot_delete_self", "Conflict", "you cannot delete yourself");
        return;
    }
    td_who_t who = {ctx->sub, req->request_id, td_api_actor_kind(ctx), td_req_client_addr(req)};
    int64_t gen = 0;
    td_status rc = td_user_delete(db, u.id, &who, &gen);
    if (rc) {
        td_api_tenant_fail(req, rc,
                           rc == TD_E_LAST_ADMIN ? "the tenant must keep an active admin" : NULL);
        return;
    }
    if (!revoked(req, app, u.id, gen, 1))
        td_resp_static(req, 204, "application/json", "", 0);
}
