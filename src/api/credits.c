/* credits.c — credits over HTTP (docs/api.md "Credits"): a tenant's
 * balance and ledger (GET /v1/credits), spending (POST /v1/credits/spend),
 * purchases and their checkouts (/v1/credits/purchase,
 * /v1/credits/checkouts/{id}[/complete]), the tenant's webhook secret and
 * the providers' webhooks; for superadmins every balance, grants,
 * adjustments, marking an invoice paid and the prices of metered actions
 * (/v1/admin/credits…). Thin: parse, call one operation of ops/credits.h,
 * render. Every mutation but the webhook runs under td_api_idem_run (an
 * Idempotency-Key is required; a repeat replays the first answer). */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"

static const char *tenant_of(td_req_t *req) {
    const td_ctx_t *ctx = req->ctx;
    return ctx && ctx->tenant ? ctx->tenant->row.id : NULL;
}

/* The body as an object with only the fields given; else answered. */
static int body_of(td_req_t *req, const char *const *fields, json_t **b) {
    return td_api_json_body(req, b) || !td_api_only_fields(req, *b, fields) ? -1 : 0;
}

/* An integer member (absent: *v = 0 and ok unless required); else 400. */
static int int_of(td_req_t *req, json_t *b, const char *name, int required, int64_t *v) {
    json_t *x = json_object_get(b, name);
    *v = json_is_integer(x) ? (int64_t)json_integer_value(x) : 0;
    if ((!x && !required) || json_is_integer(x))
        return 0;
    td_resp_problem(req, 400, "invalid_credits", "Invalid request",
                    required && !x ? "a whole number is required" : "must be a whole number");
    return -1;
}

/* A text member: absent → NULL; another type → 400. */
static int text_of(td_req_t *req, json_t *b, const char *name, const char **v) {
    json_t *x = json_object_get(b, name);
    *v = json_string_value(x);
    if (!x || json_is_string(x))
        return 0;
    td_resp_problem(req, 400, "invalid_request", "Invalid request", "a text is expected");
    return -1;
}

/* A page's limit and cursor from the query: limit 1..1000 (0 = default);
 * a bad one becomes -1, which the operation refuses (400). */
static int limit_of(td_req_t *req) {
    const char *lim = td_req_query(req, "limit");
    char *end = NULL;
    long v = lim ? strtol(lim, &end, 10) : 0;
    return lim && (*end || end == lim || v < 1 || v > 1000) ? -1 : (int)v;
}

static json_t *tx_answer(const td_credit_tx_t *t) {
    return json_pack("{s:I, s:o}", "balance", (json_int_t)t->balance_after, "transaction",
                     td_credit_tx_json(t));
}

void td_api_credits_show(td_req_t *req, void *app) {
    td_op_t op = td_api_op(req, app);
    int64_t balance = 0;
    td_credit_tx_t *rows;
    size_t n = 0;
    const char *next;
    if (td_op_credits_show(&op, tenant_of(req), td_req_query(req, "cursor"), limit_of(req),
                           &balance, &rows, &n, &next)) {
        td_api_op_fail(req, &op);
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, td_credit_tx_json(&rows[i]));
    td_api_send_json(req, 200,
                     json_pack("{s:s, s:I, s:o, s:s?}", "tenant_id", tenant_of(req), "balance",
                               (json_int_t)balance, "items", items, "next_cursor", next));
}

static void spend(td_req_t *req, td_app_t *app, const char *key) {
    static const char *const fields[] = {"credits", "reference", NULL};
    td_op_t op = td_api_op(req, app);
    json_t *b;
    int64_t credits;
    const char *ref;
    td_credit_tx_t t;
    if (body_of(req, fields, &b) || int_of(req, b, "credits", 1, &credits) ||
        text_of(req, b, "reference", &ref))
        return;
    if (td_op_credits_spend(&op, tenant_of(req), credits, ref, key, &t))
        td_api_op_fail(req, &op);
    else
        td_api_send_json(req, 200, tx_answer(&t));
}

void td_api_credits_spend(td_req_t *req, void *app) {
    const td_ctx_t *ctx = req->ctx;
    if (json_is_true(json_object_get(ctx->claims, "read_only"))) {
        td_resp_problem(req, 403, "read_only_key", "Forbidden", "this API key is read-only");
        return;
    }
    td_api_idem_run(req, app, tenant_of(req), spend);
}

static void purchase(td_req_t *req, td_app_t *app, const char *key) {
    static const char *const fields[] = {"credits", "provider", NULL};
    (void)key;
    td_op_t op = td_api_op(req, app);
    json_t *b;
    int64_t credits;
    const char *provider;
    td_checkout_row_t c;
    if (body_of(req, fields, &b) || int_of(req, b, "credits", 1, &credits) ||
        text_of(req, b, "provider", &provider))
        return;
    if (td_op_credits_purchase(&op, tenant_of(req), provider ? provider : "", credits, &c))
        td_api_op_fail(req, &op);
    else
        td_api_send_json(req, 201, td_checkout_json(&c));
}

void td_api_credits_purchase(td_req_t *req, void *app) {
    td_api_idem_run(req, app, tenant_of(req), purchase);
}

void td_api_checkout_get(td_req_t *req, void *app) {
    td_op_t op = td_api_op(req, app);
    td_checkout_row_t c;
    if (td_op_checkout_get(&op, tenant_of(req), req->params[0], &c))
        td_api_op_fail(req, &op);
    else
        td_api_send_json(req, 200, td_checkout_json(&c));
}

static void complete(td_req_t *req, td_app_t *app, const char *key) {
    static const char *const fields[] = {"card", NULL};
    (void)key;
    td_op_t op = td_api_op(req, app);
    json_t *b;
    td_checkout_row_t c;
    if (body_of(req, fields, &b))
        return;
    if (td_op_checkout_complete(&op, tenant_of(req), req->params[0], b, &c))
        td_api_op_fail(req, &op);
    else
        td_api_send_json(req, 200, td_checkout_json(&c));
}

void td_api_checkout_complete(td_req_t *req, void *app) {
    td_api_idem_run(req, app, tenant_of(req), complete);
}

static void secret(td_req_t *req, td_app_t *app, const char *key) {
    static const char *const fields[] = {"secret", NULL};
    (void)key;
    td_op_t op = td_api_op(req, app);
    json_t *b;
    const char *s;
    if (body_of(req, fields, &b) || text_of(req, b, "secret", &s))
        return;
    if (td_op_provider_secret_set(&op, tenant_of(req), req->params[0], s))
        td_api_op_fail(req, &op);
    else
        td_resp_static(req, 204, "application/json", "", 0);
}

void td_api_provider_secret(td_req_t *req, void *app) {
    td_api_idem_run(req, app, tenant_of(req), secret);
}

void td_api_payment_webhook(td_req_t *req, void *app) {
    td_op_t op = td_api_op(req, app);
    td_checkout_row_t c;
    if (td_op_payment_webhook(&op, req->params[0], req->params[1], req->body, req->body_len,
                              td_req_header(req, "Webhook-Signature"), &c))
        td_api_op_fail(req, &op);
    else
        td_api_send_json(req, 200, json_pack("{s:s, s:s}", "id", c.id, "status", c.status));
}

void td_api_credits_balances(td_req_t *req, void *app) {
    td_op_t op = td_api_op(req, app);
    td_credit_balance_t *rows;
    size_t n = 0;
    const char *next;
    if (td_op_credits_balances(&op, td_req_query(req, "cursor"), limit_of(req), &rows, &n,
                               &next)) {
        td_api_op_fail(req, &op);
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, json_pack("{s:s, s:s, s:s?, s:I, s:s?}", "tenant_id",
                                               rows[i].tenant_id, "slug", rows[i].slug, "plan",
                                               rows[i].plan, "balance",
                                               (json_int_t)rows[i].balance, "updated_at",
                                               rows[i].updated_at));
    td_api_send_json(req, 200, json_pack("{s:o, s:s?}", "items", items, "next_cursor", next));
}

/* A grant: {"credits", "reference"?} or, for a month's included credits,
 * {"credits", "period": "YYYY-MM"} (once per tenant and month). */
static void grant(td_req_t *req, td_app_t *app, const char *key) {
    static const char *const fields[] = {"credits", "reference", "period", NULL};
    td_op_t op = td_api_op(req, app);
    json_t *b;
    int64_t credits;
    const char *ref, *period;
    td_credit_tx_t t;
    if (body_of(req, fields, &b) || int_of(req, b, "credits", 1, &credits) ||
        text_of(req, b, "reference", &ref) || text_of(req, b, "period", &period))
        return;
    if (period) {
        int granted = 0;
        if (td_op_credits_grant_period(&op, tenant_of(req), credits, period, &granted, &t))
            td_api_op_fail(req, &op);
        else
            td_api_send_json(req, granted ? 201 : 200,
                             json_pack("{s:b, s:o}", "granted", granted, "transaction",
                                       td_credit_tx_json(&t)));
        return;
    }
    if (td_op_credits_grant(&op, tenant_of(req), credits, ref, key, &t))
        td_api_op_fail(req, &op);
    else
        td_api_send_json(req, 201, tx_answer(&t));
}

void td_api_credits_grant(td_req_t *req, void *app) {
    td_api_idem_run(req, app, tenant_of(req), grant);
}

static void adjust(td_req_t *req, td_app_t *app, const char *key) {
    static const char *const fields[] = {"delta", "note", NULL};
    td_op_t op = td_api_op(req, app);
    json_t *b;
    int64_t delta;
    const char *note;
    td_credit_tx_t t;
    if (body_of(req, fields, &b) || int_of(req, b, "delta", 1, &delta) ||
        text_of(req, b, "note", &note))
        return;
    if (td_op_credits_adjust(&op, tenant_of(req), delta, note, key, &t))
        td_api_op_fail(req, &op);
    else
        td_api_send_json(req, 201, tx_answer(&t));
}

void td_api_credits_adjust(td_req_t *req, void *app) {
    td_api_idem_run(req, app, tenant_of(req), adjust);
}

static void paid(td_req_t *req, td_app_t *app, const char *key) {
    (void)key;
    td_op_t op = td_api_op(req, app);
    td_checkout_row_t c;
    if (req->body_len && strspn(req->body, " \t\r\n{}") != req->body_len) {
        td_resp_problem(req, 400, "invalid_request", "Invalid request", "no body is expected");
        return;
    }
    if (td_op_checkout_mark_paid(&op, req->params[0], &c))
        td_api_op_fail(req, &op);
    else
        td_api_send_json(req, 200, td_checkout_json(&c));
}

void td_api_checkout_paid(td_req_t *req, void *app) { td_api_idem_run(req, app, NULL, paid); }

void td_api_credit_costs(td_req_t *req, void *app) {
    td_op_t op = td_api_op(req, app);
    td_credit_cost_t *rows;
    size_t n = 0;
    if (td_op_credit_costs(&op, &rows, &n)) {
        td_api_op_fail(req, &op);
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, td_credit_cost_json(&rows[i]));
    td_api_send_json(req, 200, json_pack("{s:o, s:n}", "items", items, "next_cursor"));
}

static void cost_put(td_req_t *req, td_app_t *app, const char *key) {
    static const char *const fields[] = {"credits", "per_units", "description", NULL};
    (void)key;
    td_op_t op = td_api_op(req, app);
    json_t *b;
    td_credit_cost_t c = {.action = req->params[0]};
    if (body_of(req, fields, &b) || int_of(req, b, "credits", 1, &c.credits) ||
        int_of(req, b, "per_units", 0, &c.per_units) ||
        text_of(req, b, "description", &c.description))
        return;
    c.per_units = json_object_get(b, "per_units") ? c.per_units : 1;
    if (td_op_credit_cost_put(&op, &c))
        td_api_op_fail(req, &op);
    else
        td_api_send_json(req, 200, td_credit_cost_json(&c));
}

void td_api_credit_cost_put(td_req_t *req, void *app) { td_api_idem_run(req, app, NULL, cost_put); }

static void cost_delete(td_req_t *req, td_app_t *app, const char *key) {
    (void)key;
    td_op_t op = td_api_op(req, app);
    if (td_op_credit_cost_delete(&op, req->params[0]))
        td_api_op_fail(req, &op);
    else
        td_resp_static(req, 204, "application/json", "", 0);
}

void td_api_credit_cost_delete(td_req_t *req, void *app) {
    td_api_idem_run(req, app, NULL, cost_delete);
}

int td_api_credits_charge(td_req_t *req, td_app_t *app, const char *action, int64_t units,
                          td_credit_tx_t *tx) {
    td_op_t op = td_api_op(req, app);
    int64_t charged = 0;
    memset(tx, 0, sizeof(*tx));
    if (!td_credits_charge(&op, tenant_of(req), action, units, NULL, &charged, tx))
        return 0;
    td_api_op_fail(req, &op);
    return -1;
}
