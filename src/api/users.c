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
 * lower-cased. Thin: parse, call the users operation (ops/users.c, the
 * same the CLI calls), render. */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "auth/password.h"
#include "common/text.h"

static int bad(td_req_t *req, const char *code, const char *detail) {
    td_resp_problem(req, 400, code, "Invalid request", detail);
    return -1;
}

/* The shape of a request's fields (the operation checks the rest). */
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
    for (size_t i = 0; svc && i < json_array_size(svc); i++)
        if (!json_is_string(json_array_get(svc, i)))
            return bad(req, "service_not_enabled",
                       "every granted service must be enabled for the tenant");
    if (svc && (!json_is_array(svc) || json_array_size(svc) > 16))
        return bad(req, "invalid_request", "'services' must be an array of service names");
    json_t *pw = json_object_get(b, "password");
    if (pw && !json_is_string(pw))
        return bad(req, "invalid_request", "'password' must be text");
    if (pw && td_password_check(json_string_value(pw)))
        return bad(req, "weak_password", td_password_problem(json_string_value(pw)));
    return 0;
}

/* A JSON array of names as an arena array. */
static const char **names(td_req_t *req, json_t *arr, size_t *n) {
    *n = json_array_size(arr);
    const char **v = td_arena_alloc(req->arena, sizeof(char *) * (*n + 1));
    for (size_t i = 0; v && i < *n; i++)
        v[i] = json_string_value(json_array_get(arr, i));
    return v;
}

/* A user creation or change handed to a worker thread (strings live in
 * the request's body, kept by its arena). */
typedef struct {
    td_app_t *app;
    td_user_spec_t spec;
    json_t *body;
} user_job_t;

/* The operation context of a request on the tenant's users; a write marks
 * the tenant for the audit drain. */
static td_op_t user_op(td_req_t *req, td_app_t *app) {
    const td_ctx_t *ctx = req->ctx;
    td_api_touch(req, app->platform, ctx->tenant->row.id);
    return td_api_op(req, app);
}

/* The creation itself, on a worker thread. */
static void create_work(td_req_t *req, void *arg) {
    user_job_t *job = arg;
    const td_ctx_t *ctx = req->ctx;
    td_op_t op = user_op(req, job->app);
    td_user_t u;
    if (td_op_user_create(&op, ctx->tenant, &job->spec, &u)) {
        td_api_op_fail(req, &op);
        return;
    }
    td_resp_header(req, "Location", td_arena_printf(req->arena, "/v1/auth/users/%s", u.id));
    td_api_send_json(req, 201, td_user_json(&u));
}

void td_api_user_create(td_req_t *req, void *app) {
    static const char *const fields[] = {"email", "password", "role", "services", "name", NULL};
    json_t *b;
    if (td_api_json_body(req, &b) || check_fields(req, b, fields))
        return;
    user_job_t *job = td_arena_alloc(req->arena, sizeof(*job));
    if (!job) {
        td_api_fail(req, TD_E_NOMEM, NULL);
        return;
    }
    *job = (user_job_t){.app = app,
                        .spec = {.email = json_string_value(json_object_get(b, "email")),
                                 .password = json_string_value(json_object_get(b, "password")),
                                 .role = json_string_value(json_object_get(b, "role")),
                                 .name = json_string_value(json_object_get(b, "name"))}};
    job->spec.services = names(req, json_object_get(b, "services"), &job->spec.nsvc);
    if (!td_email_valid(job->spec.email) || !job->spec.password || !job->spec.role) {
        bad(req, "invalid_request", "'email', 'password' and 'role' are required");
        return;
    }
    td_req_offload(req, create_work, job); /* argon2id: never on an HTTP thread */
}

void td_api_user_list(td_req_t *req, void *app) {
    const td_ctx_t *ctx = req->ctx;
    td_op_t op = td_api_op(req, app);
    td_user_t *us;
    size_t n = 0;
    if (td_op_user_list(&op, ctx->tenant, 1000, &us, &n)) {
        td_api_op_fail(req, &op);
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, td_user_json(&us[i]));
    td_api_send_json(req, 200, json_pack("{s:o, s:n}", "items", items, "next_cursor"));
}

void td_api_user_get(td_req_t *req, void *app) {
    const td_ctx_t *ctx = req->ctx;
    td_op_t op = td_api_op(req, app);
    td_user_t u;
    if (td_op_user_get(&op, ctx->tenant, req->params[0], 0, &u))
        td_api_op_fail(req, &op);
    else
        td_api_send_json(req, 200, td_user_json(&u));
}

/* The change itself: on a worker thread when it hashes a password. */
static void patch_work(td_req_t *req, void *arg) {
    user_job_t *job = arg;
    json_t *b = job->body;
    const td_ctx_t *ctx = req->ctx;
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
    td_op_t op = user_op(req, job->app);
    td_user_t u;
    if (td_op_user_update(&op, ctx->tenant, req->params[0], 0, &p, &u))
        td_api_op_fail(req, &op);
    else
        td_api_send_json(req, 200, td_user_json(&u));
}

void td_api_user_patch(td_req_t *req, void *app) {
    static const char *const fields[] = {"role", "services", "name", "disabled", "password", NULL};
    json_t *b;
    if (td_api_json_body(req, &b) || check_fields(req, b, fields))
        return;
    user_job_t *job = td_arena_alloc(req->arena, sizeof(*job));
    if (!job) {
        td_api_fail(req, TD_E_NOMEM, NULL);
        return;
    }
    *job = (user_job_t){.app = app, .body = b};
    if (json_object_get(b, "password"))
        td_req_offload(req, patch_work, job); /* argon2id: never on an HTTP thread */
    else
        patch_work(req, job);
}

void td_api_user_delete(td_req_t *req, void *app) {
    const td_ctx_t *ctx = req->ctx;
    td_op_t op = user_op(req, app);
    if (td_op_user_delete(&op, ctx->tenant, req->params[0]))
        td_api_op_fail(req, &op);
    else
        td_resp_static(req, 204, "application/json", "", 0);
}
