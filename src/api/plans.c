/* plans.c — plans and subscriptions over HTTP: GET|POST /v1/plans,
 * GET|PATCH|DELETE /v1/plans/{code} (reads: any signed-in caller; writes:
 * superadmins), GET|PUT /v1/tenants/{tenant}/subscription and GET
 * /v1/tenants/{tenant}/subscription/history. Thin: parse, call the
 * operation (ops/plans.h), render. */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "ops/plans.h"

#define HISTORY_DEFAULT 50
#define HISTORY_MAX 500

static void send_plan(td_req_t *req, int status, const td_plan_row_t *p) {
    td_api_send_json(req, status, td_plan_json(p));
}

void td_api_plan_list(td_req_t *req, void *app) {
    td_op_t op = td_api_op(req, app);
    td_plan_row_t *rows;
    size_t n = 0;
    if (td_op_plan_list(&op, &rows, &n)) {
        td_api_op_fail(req, &op);
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, td_plan_json(&rows[i]));
    td_api_send_json(req, 200, json_pack("{s:o}", "items", items));
}

void td_api_plan_get(td_req_t *req, void *app) {
    td_op_t op = td_api_op(req, app);
    td_plan_row_t p;
    if (td_op_plan_get(&op, req->params[0], &p))
        td_api_op_fail(req, &op);
    else
        send_plan(req, 200, &p);
}

void td_api_plan_create(td_req_t *req, void *app) {
    td_op_t op = td_api_op(req, app);
    json_t *b;
    td_plan_row_t p;
    if (td_api_json_body(req, &b))
        return;
    if (td_op_plan_create(&op, b, &p)) {
        td_api_op_fail(req, &op);
        return;
    }
    td_resp_header(req, "Location", td_arena_printf(req->arena, "/v1/plans/%s", p.code));
    send_plan(req, 201, &p);
}

void td_api_plan_patch(td_req_t *req, void *app) {
    td_op_t op = td_api_op(req, app);
    json_t *b;
    td_plan_row_t p;
    if (td_api_json_body(req, &b))
        return;
    if (td_op_plan_update(&op, req->params[0], b, &p))
        td_api_op_fail(req, &op);
    else
        send_plan(req, 200, &p);
}

void td_api_plan_delete(td_req_t *req, void *app) {
    td_op_t op = td_api_op(req, app);
    if (td_op_plan_delete(&op, req->params[0]))
        td_api_op_fail(req, &op);
    else
        td_resp_static(req, 204, "application/json", "", 0);
}

void td_api_subscription_get(td_req_t *req, void *app) {
    td_op_t op = td_api_op(req, app);
    td_subscription_row_t s;
    if (td_op_subscription_get(&op, req->params[0], &s))
        td_api_op_fail(req, &op);
    else
        td_api_send_json(req, 200, td_subscription_json(&s));
}

/* PUT {"plan"?, "status"?}: the answer is the subscription, with the
 * change recorded ("change": null when it was so already). */
void td_api_subscription_put(td_req_t *req, void *app) {
    static const char *const fields[] = {"plan", "status", NULL};
    td_op_t op = td_api_op(req, app);
    json_t *b;
    if (td_api_json_body(req, &b) || !td_api_only_fields(req, b, fields))
        return;
    json_t *plan = json_object_get(b, "plan"), *status = json_object_get(b, "status");
    if ((plan && !json_is_string(plan)) || (status && !json_is_string(status))) {
        td_resp_problem(req, 400, "invalid_request", "Invalid request",
                        "'plan' and 'status' must be strings");
        return;
    }
    td_subscription_row_t s;
    td_subscription_change_t c;
    if (td_op_subscription_change(&op, req->params[0], json_string_value(plan),
                                  json_string_value(status), &s, &c)) {
        td_api_op_fail(req, &op);
        return;
    }
    json_t *o = td_subscription_json(&s);
    json_object_set_new(o, "change", c.id ? td_subscription_change_json(&c) : json_null());
    td_api_send_json(req, 200, o);
}

void td_api_subscription_history(td_req_t *req, void *app) {
    td_op_t op = td_api_op(req, app);
    const char *lq = td_req_query(req, "limit");
    char *end = NULL;
    long limit = lq ? strtol(lq, &end, 10) : HISTORY_DEFAULT;
    if (lq && (!*lq || *end || limit < 1 || limit > HISTORY_MAX)) {
        td_resp_problem(req, 400, "invalid_request", "Invalid request",
                        "limit must be a whole number from 1 to 500");
        return;
    }
    td_subscription_change_t *rows;
    size_t n = 0;
    if (td_op_subscription_history(&op, req->params[0], (int)limit, &rows, &n)) {
        td_api_op_fail(req, &op);
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, td_subscription_change_json(&rows[i]));
    td_api_send_json(req, 200, json_pack("{s:o}", "items", items));
}
