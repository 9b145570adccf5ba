/* accounts.c — the routes of accounts that own tenants (issue 13 part
 * 1): an owner's store dropdown (GET /v1/account/tenants), a new tenant
 * (POST /v1/account/tenants), a switch into one
 * (POST /v1/account/tenants/{t}/session), and the superadmins'
 * /v1/admin/accounts list, show, suspend and resume. Each parses its
 * input and calls one operation of ops/accounts.c or ops/sessions.c. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "common/id.h"

#define LIST_DEFAULT 50
#define LIST_MAX 200

void td_api_account_tenants(td_req_t *req, void *app_) {
    td_op_t op = td_api_op(req, app_);
    td_account_tenant_t *rows;
    const char **roles;
    size_t n;
    if (td_op_account_tenants(&op, &rows, &roles, &n)) {
        td_api_op_fail(req, &op);
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, td_account_tenant_json(&rows[i], roles[i]));
    td_api_send_json(req, 200, json_pack("{s:o, s:n}", "items", items, "next_cursor"));
}

typedef struct {
    td_app_t *app;
    td_tenant_spec_t spec;
} add_job_t;

/* The tenant made on a worker thread: provisioning creates databases. */
static void add_work(td_req_t *req, void *arg) {
    add_job_t *job = arg;
    td_op_t op = td_api_op(req, job->app);
    td_tenant_t t;
    if (td_op_account_tenant_add(&op, &job->spec, &t)) {
        td_api_op_fail(req, &op);
        return;
    }
    td_account_tenant_t row = {t.row.id, t.row.slug, t.row.name, t.row.status, t.row.plan};
    td_api_send_json(req, 201, td_account_tenant_json(&row, "admin"));
}

/* The body of POST /v1/account/tenants: slug, optional name and
 * services; 400 invalid_request or unknown_field otherwise. */
static int parse_add(td_req_t *req, json_t *b, td_tenant_spec_t *spec) {
    static const char *const fields[] = {"slug", "name", "services", NULL};
    if (!td_api_only_fields(req, b, fields))
        return -1;
    json_t *svc = json_object_get(b, "services");
    int ok = json_is_string(json_object_get(b, "slug")) &&
             (!json_object_get(b, "name") || json_is_string(json_object_get(b, "name"))) &&
             (!svc || (json_is_array(svc) && json_array_size(svc) <= 16));
    spec->nsvc = json_array_size(svc);
    const char **names = td_arena_alloc(req->arena, sizeof(char *) * (spec->nsvc + 1));
    for (size_t i = 0; ok && names && i < spec->nsvc; i++)
        ok = (names[i] = json_string_value(json_array_get(svc, i))) != NULL;
    if (!ok || !names) {
        td_resp_problem(req, 400, "invalid_request", "Invalid request",
                        "send {\"slug\"} and optionally \"name\", \"services\" (names)");
        return -1;
    }
    spec->slug = json_string_value(json_object_get(b, "slug"));
    spec->name = json_string_value(json_object_get(b, "name"));
    spec->services = names;
    return 0;
}

void td_api_account_tenant_add(td_req_t *req, void *app_) {
    json_t *b;
    if (td_api_json_body(req, &b))
        return;
    add_job_t *job = td_arena_alloc(req->arena, sizeof(*job));
    if (!job) {
        td_api_fail(req, TD_E_NOMEM, NULL);
        return;
    }
    *job = (add_job_t){.app = app_};
    if (parse_add(req, b, &job->spec))
        return;
    td_req_offload(req, add_work, job);
}

void td_api_account_switch(td_req_t *req, void *app_) {
    td_op_t op = td_api_op(req, app_);
    td_signin_t s;
    if (td_api_no_body(req))
        return;
    if (td_op_account_switch(&op, req->params[0], &s))
        td_api_op_fail(req, &op);
    else
        td_api_answer_tokens(req, 200, &s, NULL);
    td_signin_wipe(&s);
}

void td_api_account_list(td_req_t *req, void *app_) {
    td_op_t op = td_api_op(req, app_);
    const char *q = td_req_query(req, "q");
    const char *cursor = td_req_query(req, "cursor");
    const char *lim = td_req_query(req, "limit");
    char *end = NULL;
    long limit = lim ? strtol(lim, &end, 10) : LIST_DEFAULT;
    if ((lim && (*end || limit < 1 || limit > LIST_MAX)) || (cursor && !td_id_valid(cursor)) ||
        (q && strlen(q) > 254)) {
        td_resp_problem(req, 400, "invalid_request", "Invalid request",
                        "limit is 1..200, q at most 254 bytes, cursor a next_cursor value");
        return;
    }
    td_account_row_t *rows;
    size_t n;
    if (td_op_account_list(&op, q, cursor, (int)limit, &rows, &n)) {
        td_api_op_fail(req, &op);
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, td_account_json(&rows[i], NULL, 0));
    json_t *o = json_pack("{s:o}", "items", items);
    json_object_set_new(o, "next_cursor",
                        n == (size_t)limit ? json_string(rows[n - 1].id) : json_null());
    td_api_send_json(req, 200, o);
}

/* One account and its tenants (the superadmins' view: no role). */
static void answer_account(td_req_t *req, td_op_t *op, const char *id) {
    td_account_row_t a;
    td_account_tenant_t *ts;
    size_t n;
    if (td_op_account_get(op, id, &a, &ts, &n)) {
        td_api_op_fail(req, op);
        return;
    }
    td_api_send_json(req, 200, td_account_json(&a, ts, n));
}

void td_api_account_get(td_req_t *req, void *app_) {
    td_op_t op = td_api_op(req, app_);
    answer_account(req, &op, req->params[0]);
}

static void set_status(td_req_t *req, void *app_, int suspend) {
    td_op_t op = td_api_op(req, app_);
    td_account_row_t a;
    if (td_op_account_set_status(&op, req->params[0], suspend, &a))
        td_api_op_fail(req, &op);
    else
        answer_account(req, &op, a.id);
}

void td_api_account_suspend(td_req_t *req, void *app_) { set_status(req, app_, 1); }
void td_api_account_resume(td_req_t *req, void *app_) { set_status(req, app_, 0); }
