/* jobs.c — the job queue over HTTP (superadmins): GET /v1/admin/jobs
 * (filters kind, state, tenant; limit and cursor), GET /v1/admin/jobs/{id},
 * POST /v1/admin/jobs/{id}/cancel and /retry; schedules under
 * /v1/admin/cron (list, create, get, update, delete). Thin: each handler builds
 * the operation context, calls the job operation and renders its result
 * or its error (stable code, HTTP status from the operation). */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "jobs/jobs.h"

#define LIST_DEFAULT 50

void td_api_job_list(td_req_t *req, void *app) {
    td_op_t op = td_api_op(req, app);
    const char *lim = td_req_query(req, "limit");
    char *end = NULL;
    long limit = lim ? strtol(lim, &end, 10) : LIST_DEFAULT;
    if (lim && (*end || end == lim || limit < 0 || limit > 100000))
        limit = 0; /* the operation answers 400 invalid_filter */
    td_job_filter_t f = {.kind = td_req_query(req, "kind"),
                         .state = td_req_query(req, "state"),
                         .tenant_id = td_req_query(req, "tenant"),
                         .before = td_req_query(req, "cursor"),
                         .limit = (int)limit};
    td_job_row_t *rows;
    size_t n;
    const char *next;
    if (td_jobs_list(&op, &f, &rows, &n, &next)) {
        td_api_op_fail(req, &op);
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, td_job_json(&rows[i]));
    td_api_send_json(req, 200, json_pack("{s:o, s:s?}", "items", items, "next_cursor", next));
}

/* get, cancel and retry: one job by the path's id. */
static void one(td_req_t *req, td_app_t *app,
                td_status (*fn)(td_op_t *, const char *, td_job_row_t *)) {
    td_op_t op = td_api_op(req, app);
    td_job_row_t j;
    if (fn(&op, req->params[0], &j))
        td_api_op_fail(req, &op);
    else
        td_api_send_json(req, 200, td_job_json(&j));
}

void td_api_job_get(td_req_t *req, void *app) { one(req, app, td_jobs_get); }
void td_api_job_cancel(td_req_t *req, void *app) { one(req, app, td_jobs_cancel); }
void td_api_job_retry(td_req_t *req, void *app) { one(req, app, td_jobs_retry); }

/* ---- schedules: /v1/admin/cron ---- */

/* Reads a schedule's fields from the body into s; answers 400 itself. */
static int cron_body(td_req_t *req, td_cron_spec_t *s, json_t **body) {
    static const char *const fields[] = {"name", "schedule", "kind", "payload", "enabled", NULL};
    if (td_api_json_body(req, body) || !td_api_only_fields(req, *body, fields))
        return -1;
    json_t *p = json_object_get(*body, "payload"), *en = json_object_get(*body, "enabled");
    const char *keys[] = {"name", "schedule", "kind"};
    const char **dst[] = {&s->name, &s->schedule, &s->kind};
    for (int i = 0; i < 3; i++) {
        json_t *v = json_object_get(*body, keys[i]);
        if (v && !json_is_string(v)) {
            td_resp_problem(req, 400, "invalid_request", "Invalid request",
                            "name, schedule and kind are strings");
            return -1;
        }
        *dst[i] = json_string_value(v);
    }
    if ((p && !json_is_object(p)) || (en && !json_is_boolean(en))) {
        td_resp_problem(req, 400, "invalid_request", "Invalid request",
                        "payload is an object, enabled true or false");
        return -1;
    }
    char *txt = p ? json_dumps(p, JSON_COMPACT) : NULL;
    s->payload = txt ? td_arena_strdup(req->arena, txt) : NULL;
    free(txt);
    s->enabled = en ? json_is_true(en) : -1;
    return 0;
}

void td_api_cron_list(td_req_t *req, void *app) {
    td_op_t op = td_api_op(req, app);
    td_cron_row_t *rows;
    size_t n;
    if (td_jobs_cron_list(&op, &rows, &n)) {
        td_api_op_fail(req, &op);
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, td_cron_json(&rows[i]));
    td_api_send_json(req, 200, json_pack("{s:o, s:n}", "items", items, "next_cursor"));
}

/* create (POST, 201) and update (PATCH, the path's name, 200) */
static void cron_write(td_req_t *req, td_app_t *app, int create) {
    td_op_t op = td_api_op(req, app);
    td_cron_spec_t s = {0};
    json_t *body = NULL;
    td_cron_row_t c;
    if (cron_body(req, &s, &body))
        return;
    if (!create)
        s.name = req->params[0];
    td_status st = create ? td_jobs_cron_create(&op, &s, &c) : td_jobs_cron_update(&op, &s, &c);
    if (st)
        td_api_op_fail(req, &op);
    else
        td_api_send_json(req, create ? 201 : 200, td_cron_json(&c));
}

void td_api_cron_create(td_req_t *req, void *app) { cron_write(req, app, 1); }
void td_api_cron_update(td_req_t *req, void *app) { cron_write(req, app, 0); }

void td_api_cron_get(td_req_t *req, void *app) {
    td_op_t op = td_api_op(req, app);
    td_cron_row_t c;
    if (td_jobs_cron_get(&op, req->params[0], &c))
        td_api_op_fail(req, &op);
    else
        td_api_send_json(req, 200, td_cron_json(&c));
}

void td_api_cron_delete(td_req_t *req, void *app) {
    td_op_t op = td_api_op(req, app);
    if (td_jobs_cron_delete(&op, req->params[0]))
        td_api_op_fail(req, &op);
    else
        td_resp_static(req, 204, "application/json", "", 0);
}
