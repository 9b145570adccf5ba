/* tenants.c — the platform's tenant routes (superadmins; a tenant admin may
 * read its own tenant's record):
 *   POST /v1/tenants[?async=true], GET /v1/tenants, GET|PATCH|DELETE
 *   /v1/tenants/{tenant}, POST /v1/tenants/{tenant}/suspend|resume|retry,
 *   services, database, hostnames. Thin: parse, call the tenancy
 *   operation (tenancy/tenancy.h; in the background: ops/ops.h), render. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "common/text.h"
#include "common/id.h"

#define LIST_DEFAULT 50
#define LIST_MAX 200

static const char *opt_string(td_req_t *req, json_t *o, const char *key, int *bad) {
    json_t *v = json_object_get(o, key);
    if (v && !json_is_string(v)) {
        *bad = 1;
        td_resp_problem(req, 400, "invalid_request", "Invalid request",
                        td_arena_printf(req->arena, "'%s' must be a string", key));
    }
    return json_string_value(v);
}

void td_api_tenant_create(td_req_t *req, void *app_) {
    td_app_t *app = app_;
    static const char *const fields[] = {"slug",    "name", "services",     "admin",
                                         "backend", "plan", "database_url", NULL};
    static const char *const admin_fields[] = {"email", "password", NULL};
    const char *aq = td_req_query(req, "async");
    int async = aq && strcmp(aq, "true") == 0;
    if (aq && !async && strcmp(aq, "false")) {
        td_resp_problem(req, 400, "invalid_request", "Invalid request",
                        "async must be true or false");
        return;
    }
    json_t *b;
    if (td_api_json_body(req, &b))
        return;
    if (!td_api_only_fields(req, b, fields))
        return;
    int bad = 0;
    td_tenant_spec_t spec = {0};
    spec.slug = opt_string(req, b, "slug", &bad);
    spec.name = bad ? NULL : opt_string(req, b, "name", &bad);
    spec.backend = bad ? NULL : opt_string(req, b, "backend", &bad);
    spec.plan = bad ? NULL : opt_string(req, b, "plan", &bad);
    spec.database_url = bad ? NULL : opt_string(req, b, "database_url", &bad);
    if (bad)
        return;
    if (!spec.slug) {
        td_resp_problem(req, 400, "invalid_request", "Invalid request", "'slug' is required");
        return;
    }
    json_t *svc = json_object_get(b, "services");
    if (svc && (!json_is_array(svc) || json_array_size(svc) > 16)) {
        td_resp_problem(req, 400, "invalid_request", "Invalid request",
                        "'services' must be an array of service names");
        return;
    }
    spec.nsvc = json_array_size(svc);
    const char **names = td_arena_alloc(req->arena, sizeof(char *) * (spec.nsvc + 1));
    for (size_t i = 0; i < spec.nsvc; i++)
        if (!(names[i] = json_string_value(json_array_get(svc, i)))) {
            td_resp_problem(req, 400, "invalid_request", "Invalid request",
                            "'services' must be an array of service names");
            return;
        }
    spec.services = names;
    json_t *adm = json_object_get(b, "admin");
    if (adm) {
        if (!json_is_object(adm)) {
            td_resp_problem(req, 400, "invalid_request", "Invalid request",
                            "'admin' must be {\"email\", \"password\"}");
            return;
        }
        if (!td_api_only_fields(req, adm, admin_fields))
            return;
        spec.admin_email = opt_string(req, adm, "email", &bad);
        spec.admin_password = bad ? NULL : opt_string(req, adm, "password", &bad);
        if (bad)
            return;
        if (!spec.admin_email || !spec.admin_password) {
            td_resp_problem(req, 400, "invalid_request", "Invalid request",
                            "'admin' needs both email and password");
            return;
        }
    }
    td_op_t op = td_api_op(req, app);
    td_tenant_t t;
    td_job_row_t job;
    if (async ? td_op_tenant_create_async(&op, &spec, &t, &job) : td_tenant_create(&op, &spec, &t)) {
        td_api_op_fail(req, &op);
        return;
    }
    if (async) { /* 202: the job creates it; GET the job or the tenant to follow */
        td_resp_header(req, "Location", td_arena_printf(req->arena, "/v1/admin/jobs/%s", job.id));
        td_api_send_json(req, 202,
                         json_pack("{s:o, s:{s:s, s:s, s:s}}", "job", td_job_json(&job), "tenant",
                                   "id", t.row.id, "slug", t.row.slug, "status", t.row.status));
        return;
    }
    td_resp_header(req, "Location", td_arena_printf(req->arena, "/v1/tenants/%s", t.row.id));
    td_api_send_json(req, 201, td_tenant_json(&t));
}

void td_api_tenant_list(td_req_t *req, void *app_) {
    td_app_t *app = app_;
    td_ctx_t *ctx = req->ctx;
    if (ctx->scope != TD_SCOPE_ALL) { /* a tenant admin sees its own tenant */
        td_tenant_t t;
        td_status st = td_tenant_find(app->platform, req->arena, ctx->tid, &t);
        json_t *items = json_array();
        if (!st)
            json_array_append_new(items, td_tenant_json(&t));
        td_api_send_json(req, 200, json_pack("{s:o, s:n}", "items", items, "next_cursor"));
        return;
    }
    const char *status = td_req_query(req, "status");
    const char *cursor = td_req_query(req, "cursor");
    const char *q = td_req_query(req, "q");
    const char *lim = td_req_query(req, "limit");
    char *end = NULL;
    long limit = lim ? strtol(lim, &end, 10) : LIST_DEFAULT;
    static const char *const statuses[] = {"provisioning", "active", "suspended", "deleting",
                                           "deleted", "failed"};
    int status_ok = !status;
    for (size_t i = 0; status && i < 6; i++)
        status_ok |= strcmp(status, statuses[i]) == 0;
    if ((lim && (*end || limit < 1 || limit > LIST_MAX)) || !status_ok ||
        (cursor && !td_id_valid(cursor)) || (q && (!*q || td_utf8_chars(q) > 100))) {
        td_resp_problem(req, 400, "invalid_request", "Invalid request",
                        "limit is 1..200, status a tenant status, cursor a next_cursor value,"
                        " q 1..100 characters");
        return;
    }
    td_tenant_t *ts;
    size_t n;
    td_status st = td_tenant_list(app->platform, req->arena, status, q, cursor, (int)limit, &ts, &n);
    if (st) {
        td_api_fail(req, st, NULL);
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, td_tenant_json(&ts[i]));
    json_t *o = json_pack("{s:o}", "items", items);
    json_object_set_new(o, "next_cursor",
                        n == (size_t)limit ? json_string(ts[n - 1].row.id) : json_null());
    td_api_send_json(req, 200, o);
}

void td_api_tenant_get(td_req_t *req, void *app_) {
    (void)app_;
    td_api_send_json(req, 200, td_tenant_json(((td_ctx_t *)req->ctx)->tenant));
}

void td_api_tenant_patch(td_req_t *req, void *app_) {
    td_app_t *app = app_;
    static const char *const fields[] = {"name", NULL};
    json_t *b;
    if (td_api_json_body(req, &b))
        return;
    int bad = 0;
    if (!td_api_only_fields(req, b, fields))
        return;
    const char *name = opt_string(req, b, "name", &bad);
    if (bad)
        return;
    td_tenant_t *t = ((td_ctx_t *)req->ctx)->tenant, out;
    td_op_t op = td_api_op(req, app);
    td_status st = name ? td_tenant_rename(&op, t->row.id, name, &out)
                        : td_tenant_find(app->platform, req->arena, t->row.id, &out);
    if (st && !op.err.st)
        td_op_fail_status(&op, st, NULL);
    if (st)
        td_api_op_fail(req, &op);
    else
        td_api_send_json(req, 200, td_tenant_json(&out));
}

typedef td_status (*transition_fn)(td_op_t *, const char *, td_tenant_t *);

static void transition(td_req_t *req, td_app_t *app, transition_fn fn) {
    td_tenant_t *t = ((td_ctx_t *)req->ctx)->tenant, out;
    td_op_t op = td_api_op(req, app);
    if (fn(&op, t->row.id, &out))
        td_api_op_fail(req, &op);
    else
        td_api_send_json(req, 200, td_tenant_json(&out));
}

void td_api_tenant_suspend(td_req_t *req, void *app) { transition(req, app, td_tenant_suspend); }
void td_api_tenant_resume(td_req_t *req, void *app) { transition(req, app, td_tenant_resume); }
void td_api_tenant_retry(td_req_t *req, void *app) { transition(req, app, td_tenant_retry); }

/* Every token of the tenant's users stops working (the operation
 * records the revocation). */
void td_api_tenant_delete(td_req_t *req, void *app) {
    td_tenant_t *t = ((td_ctx_t *)req->ctx)->tenant;
    td_op_t op = td_api_op(req, app);
    if (td_tenant_delete(&op, t->row.id))
        td_api_op_fail(req, &op);
    else
        td_resp_static(req, 204, "application/json", "", 0);
}

void td_api_tenant_services(td_req_t *req, void *app_) {
    (void)app_;
    td_tenant_t *t = ((td_ctx_t *)req->ctx)->tenant;
    json_t *items = json_array();
    for (size_t i = 0; i < t->nsvc; i++)
        json_array_append_new(items, json_pack("{s:s, s:b}", "name", t->services[i], "enabled", 1));
    td_api_send_json(req, 200, json_pack("{s:o}", "items", items));
}

/* A body of one field, `name`, a string: its value, or NULL once a 400
 * is answered (not JSON, another field, or it is missing: `missing`). */
static const char *only_string(td_req_t *req, const char *name, const char *missing) {
    const char *const fields[] = {name, NULL};
    json_t *b;
    if (td_api_json_body(req, &b) || !td_api_only_fields(req, b, fields))
        return NULL;
    const char *v = json_string_value(json_object_get(b, name));
    if (!v)
        td_resp_problem(req, 400, "invalid_request", "Invalid request", missing);
    return v;
}

void td_api_tenant_service_enable(td_req_t *req, void *app_) {
    td_app_t *app = app_;
    const char *svc = only_string(req, "service", "'service' is required");
    if (!svc)
        return;
    td_tenant_t *t = ((td_ctx_t *)req->ctx)->tenant, out;
    td_op_t op = td_api_op(req, app);
    if (td_tenant_enable_service(&op, t->row.id, svc, &out))
        td_api_op_fail(req, &op);
    else
        td_api_send_json(req, 200, td_tenant_json(&out));
}

void td_api_tenant_service_disable(td_req_t *req, void *app_) {
    td_app_t *app = app_;
    td_tenant_t *t = ((td_ctx_t *)req->ctx)->tenant, out;
    td_op_t op = td_api_op(req, app);
    if (td_tenant_disable_service(&op, t->row.id, req->params[1], &out))
        td_api_op_fail(req, &op);
    else
        td_api_send_json(req, 200, td_tenant_json(&out));
}

void td_api_hostnames(td_req_t *req, void *app) {
    td_tenant_t *t = ((td_ctx_t *)req->ctx)->tenant;
    td_op_t op = td_api_op(req, app);
    const char **names;
    size_t n = 0;
    if (td_tenant_hostnames(&op, t->row.id, &names, &n)) {
        td_api_op_fail(req, &op);
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, json_pack("{s:s}", "hostname", names[i]));
    td_api_send_json(req, 200, json_pack("{s:o}", "items", items));
}

void td_api_hostname_add(td_req_t *req, void *app) {
    td_tenant_t *t = ((td_ctx_t *)req->ctx)->tenant;
    td_op_t op = td_api_op(req, app);
    json_t *b;
    if (td_api_json_body(req, &b))
        return;
    static const char *const fields[] = {"hostname", NULL};
    if (!td_api_only_fields(req, b, fields))
        return;
    const char *h = json_string_value(json_object_get(b, "hostname"));
    if (td_tenant_hostname_add(&op, t->row.id, h))
        td_api_op_fail(req, &op);
    else
        td_api_send_json(req, 201, json_pack("{s:s, s:s}", "hostname", h, "tenant_id", t->row.id));
}

void td_api_hostname_remove(td_req_t *req, void *app) {
    td_tenant_t *t = ((td_ctx_t *)req->ctx)->tenant;
    td_op_t op = td_api_op(req, app);
    if (td_tenant_hostname_remove(&op, t->row.id, req->params[1]))
        td_api_op_fail(req, &op);
    else
        td_resp_static(req, 204, "application/json", "", 0);
}

void td_api_tenant_database(td_req_t *req, void *app_) {
    td_app_t *app = app_;
    td_tenant_t *t = ((td_ctx_t *)req->ctx)->tenant, out;
    const char *url = only_string(req, "url", "'url' is required");
    if (!url)
        return;
    td_op_t op = td_api_op(req, app);
    if (td_tenant_set_database(&op, t->row.id, url, &out))
        td_api_op_fail(req, &op);
    else
        td_api_send_json(req, 200, td_tenant_json(&out));
}

/* POST /v1/tenants/{tenant}/move {"to"}: the data moves while the tenant
 * serves, in a tenant.move job (the CLI's `tenant move --async`): 202
 * with the job, which GET /v1/admin/jobs/{id} follows. A move queued or
 * running already is answered instead of a second one. */
void td_api_tenant_move(td_req_t *req, void *app) {
    td_tenant_t *t = ((td_ctx_t *)req->ctx)->tenant;
    static const char need[] = "'to' is required: sqlite, postgres, a server's name or id, or a URL";
    const char *to = only_string(req, "to", need);
    if (!to)
        return;
    if (!*to) {
        td_resp_problem(req, 400, "invalid_request", "Invalid request", need);
        return;
    }
    td_op_t op = td_api_op(req, app);
    td_job_row_t job;
    if (td_op_tenant_move_async(&op, t->row.id, to, &job))
        td_api_op_fail(req, &op);
    else
        td_api_send_json(req, 202, json_pack("{s:o}", "job", td_job_json(&job)));
}
