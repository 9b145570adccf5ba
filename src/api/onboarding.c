/* onboarding.c — the routes of the five onboarding steps (issue 13 part
 * 5): GET /v1/onboarding, PUT /v1/onboarding/{store,database,payments,
 * profile}, POST /v1/onboarding/{step}/skip. Each parses its body and
 * calls one operation of ops/onboarding.c on the caller's own tenant;
 * the answer is the onboarding document. The database step connects to a
 * server the tenant names (up to 10 s): it runs on a worker thread. */
#include <jansson.h>
#include <string.h>

#include "api/api.h"

/* The operation's answer: the onboarding document (*doc, taken) or its
 * failure. */
static void answer(td_req_t *req, td_op_t *op, td_status st, json_t **doc) {
    if (st)
        td_api_op_fail(req, op);
    else
        td_api_send_json(req, 200, *doc);
}

/* The body as an object of only `fields`, each a string when present;
 * 400 otherwise (answered here). */
static int strings_body(td_req_t *req, const char *const *fields, json_t **b) {
    if (td_api_json_body(req, b) || !td_api_only_fields(req, *b, fields))
        return -1;
    for (size_t i = 0; fields[i]; i++) {
        json_t *v = json_object_get(*b, fields[i]);
        if (v && !json_is_string(v)) {
            td_resp_problem(req, 400, "invalid_request", "Invalid request",
                            "every field of this body is a string");
            return -1;
        }
    }
    return 0;
}

static const char *field(json_t *b, const char *name) {
    return json_string_value(json_object_get(b, name));
}

void td_api_onboarding(td_req_t *req, void *app) {
    td_op_t op = td_api_op(req, app);
    json_t *doc;
    answer(req, &op, td_op_onboarding(&op, &doc), &doc);
}

void td_api_onboarding_store(td_req_t *req, void *app) {
    static const char *const fields[] = {"name", "slug", NULL};
    td_op_t op = td_api_op(req, app);
    json_t *b, *doc;
    if (strings_body(req, fields, &b))
        return;
    if (json_object_get(b, "slug") || !field(b, "name")) {
        td_resp_problem(req, 400, "invalid_request", "Invalid request",
                        "send {\"name\"}: the slug is chosen at sign-up and does not change");
        return;
    }
    answer(req, &op, td_op_onboarding_store(&op, field(b, "name"), &doc), &doc);
}

typedef struct {
    void *app;
    const char *kind, *url;
} db_job_t;

static void database_work(td_req_t *req, void *arg) {
    db_job_t *j = arg;
    td_op_t op = td_api_op(req, j->app);
    td_job_row_t job;
    json_t *doc;
    if (td_op_onboarding_database(&op, j->kind, j->url, &job, &doc)) {
        td_api_op_fail(req, &op);
        return;
    }
    if (!job.id) {
        td_api_send_json(req, 200, doc);
        return;
    }
    json_t *o = json_pack("{s:{s:s, s:s, s:s}, s:o}", "job", "id", job.id, "kind", job.kind,
                          "state", job.state, "onboarding", doc);
    td_api_send_json(req, 202, o);
}

void td_api_onboarding_database(td_req_t *req, void *app) {
    static const char *const fields[] = {"kind", "url", NULL};
    json_t *b;
    if (strings_body(req, fields, &b))
        return;
    const char *kind = field(b, "kind"), *url = field(b, "url");
    int embedded = kind && !strcmp(kind, "embedded") && !url;
    int postgres = kind && !strcmp(kind, "postgres") && url;
    if (!embedded && !postgres) {
        td_resp_problem(req, 400, "invalid_request", "Invalid request",
                        "send {\"kind\":\"embedded\"} or {\"kind\":\"postgres\",\"url\":"
                        "\"postgres://user:password@host:port/db\"}");
        return;
    }
    db_job_t *j = td_arena_alloc(req->arena, sizeof(*j));
    if (!j) {
        td_api_fail(req, TD_E_NOMEM, NULL);
        return;
    }
    *j = (db_job_t){app, kind, url};
    td_req_offload(req, database_work, j);
}

void td_api_onboarding_payments(td_req_t *req, void *app) {
    static const char *const fields[] = {"provider", "secret_key", "public_key", "webhook_secret",
                                         NULL};
    td_op_t op = td_api_op(req, app);
    json_t *b, *doc;
    if (strings_body(req, fields, &b))
        return;
    td_onboarding_keys_t k = {field(b, "provider"), field(b, "secret_key"), field(b, "public_key"),
                              field(b, "webhook_secret")};
    answer(req, &op, td_op_onboarding_payments(&op, &k, &doc), &doc);
}

void td_api_onboarding_profile(td_req_t *req, void *app) {
    static const char *const fields[] = {"company", "phone", "avatar", NULL};
    td_op_t op = td_api_op(req, app);
    json_t *b, *doc;
    if (strings_body(req, fields, &b))
        return;
    answer(req, &op,
           td_op_onboarding_profile(&op, field(b, "company"), field(b, "phone"),
                                    field(b, "avatar"), &doc),
           &doc);
}

void td_api_onboarding_skip(td_req_t *req, void *app) {
    td_op_t op = td_api_op(req, app);
    json_t *doc;
    if (td_api_no_body(req))
        return;
    answer(req, &op, td_op_onboarding_skip(&op, req->params[0], &doc), &doc);
}
