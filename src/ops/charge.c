/* charge.c — metered actions: the one function every action that costs
 * credits calls (td_credits_charge), priced by service_credit_costs, and
 * the operations that keep those prices (superadmins; audited as
 * credits.cost_set and credits.cost_delete). An action without a price is
 * free. */
#include <stdio.h>
#include <string.h>

#include "audit/audit.h"
#include "ops/credits.h"

#define COST_CREDITS_MAX 1000000LL     /* credits per per_units */
#define COST_PER_UNITS_MAX 1000000000LL /* units a price is for */
#define CHARGE_UNITS_MAX 1000000000LL  /* units of one charge */

static int action_ok(const char *s) {
    size_t n = s ? strlen(s) : 0;
    if (n < 1 || n > 64)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || strchr("._:-", s[i])))
            return 0;
    return 1;
}

static td_status lease(td_op_t *op, td_db_t **db) {
    td_status st = td_catalog_lease(op->platform->catalog, op->arena, db);
    return st ? td_op_fail(op, st, 503, "catalog_unavailable", "the catalog does not answer")
              : TD_OK;
}

/* ceil(units × credits / per) without overflow within the bounds above. */
static int64_t price_of(const td_credit_cost_t *c, int64_t units) {
    int64_t whole = units / c->per_units * c->credits;
    int64_t part = units % c->per_units * c->credits;
    return whole + part / c->per_units + (part % c->per_units ? 1 : 0);
}

td_status td_credits_charge(td_op_t *op, const char *tenant_id, const char *action,
                            int64_t units, const char *idem_key, int64_t *charged,
                            td_credit_tx_t *tx) {
    *charged = 0;
    if (!action_ok(action) || units < 0 || units > CHARGE_UNITS_MAX)
        return td_op_fail(op, TD_E_INVALID, 400, "invalid_action", "no such metered action");
    td_db_t *db;
    td_credit_cost_t c;
    if (lease(op, &db))
        return op->err.st;
    td_status st = td_cat_credit_cost_get(db, op->arena, action, &c);
    if (st == TD_E_NOTFOUND)
        return TD_OK; /* no price: free */
    if (st)
        return td_op_fail(op, st, 503, "catalog_unavailable", "the catalog does not answer");
    int64_t cost = price_of(&c, units);
    if (cost == 0)
        return TD_OK;
    td_credit_tx_t t = {.tenant_id = tenant_id, .delta = -cost, .reason = "charge",
                        .reference = action, .idem_key = idem_key};
    if (td_credits_change(op, &t, "credits.charge", NULL, NULL, NULL))
        return op->err.st;
    *charged = cost;
    if (tx)
        *tx = t;
    return TD_OK;
}

td_status td_credits_refund(td_op_t *op, const td_credit_tx_t *charge) {
    char *key = td_arena_alloc(op->arena, 64);
    if (!key)
        return td_op_fail_status(op, TD_E_NOMEM, NULL);
    snprintf(key, 64, "refund:%s", charge->id);
    td_credit_tx_t t = {.tenant_id = charge->tenant_id, .delta = -charge->delta,
                        .reason = "refund", .reference = charge->id, .idem_key = key};
    return td_credits_change(op, &t, "credits.refund", NULL, NULL, NULL);
}
static int platform_only(td_op_t *op) {
    if (td_actor_platform(&op->actor))
        return 1;
    td_op_fail(op, TD_E_FORBIDDEN, 403, "forbidden", "only platform operators set prices");
    return 0;
}

td_status td_op_credit_costs(td_op_t *op, td_credit_cost_t **rows, size_t *n) {
    td_db_t *db;
    *n = 0;
    if (!platform_only(op) || lease(op, &db))
        return op->err.st;
    td_status st = td_cat_credit_cost_list(db, op->arena, rows, n);
    return st ? td_op_fail(op, st, 503, "catalog_unavailable", "the catalog does not answer")
              : TD_OK;
}

td_status td_op_credit_cost_put(td_op_t *op, const td_credit_cost_t *c) {
    td_db_t *db;
    if (!platform_only(op))
        return op->err.st;
    if (!action_ok(c->action))
        return td_op_fail(op, TD_E_INVALID, 400, "invalid_action",
                          "an action is 1 to 64 of a-z 0-9 . _ : -");
    if (c->credits < 0 || c->credits > COST_CREDITS_MAX || c->per_units < 1 ||
        c->per_units > COST_PER_UNITS_MAX)
        return td_op_fail(op, TD_E_INVALID, 400, "invalid_credits",
                          "'credits' is 0 to %lld, 'per_units' 1 to %lld", COST_CREDITS_MAX,
                          COST_PER_UNITS_MAX);
    if (c->description && (strlen(c->description) > 200 || !*c->description))
        return td_op_fail(op, TD_E_INVALID, 400, "invalid_request",
                          "'description' is 1 to 200 characters");
    if (lease(op, &db))
        return op->err.st;
    td_status st = td_cat_credit_cost_put(db, c);
    if (st)
        return td_op_fail(op, st, 503, "catalog_unavailable", "the price was not recorded");
    char detail[64];
    snprintf(detail, sizeof(detail), "%lld per %lld", (long long)c->credits,
             (long long)c->per_units);
    return td_audit_record(op, NULL, NULL, "credits.cost_set", "service_credit_costs", c->action,
                           "ok", detail);
}

td_status td_op_credit_cost_delete(td_op_t *op, const char *action) {
    td_db_t *db;
    if (!platform_only(op) || lease(op, &db))
        return op->err.st;
    td_status st = action_ok(action) ? td_cat_credit_cost_delete(db, action) : TD_E_NOTFOUND;
    if (st == TD_E_NOTFOUND)
        return td_op_fail(op, st, 404, "cost_not_found", "this action has no price");
    if (st)
        return td_op_fail(op, st, 503, "catalog_unavailable", "the catalog does not answer");
    return td_audit_record(op, NULL, NULL, "credits.cost_delete", "service_credit_costs", action,
                           "ok", NULL);
}

json_t *td_credit_cost_json(const td_credit_cost_t *c) {
    return json_pack("{s:s, s:I, s:I, s:s?, s:s?}", "action", c->action, "credits",
                     (json_int_t)c->credits, "per_units", (json_int_t)c->per_units, "description",
                     c->description, "updated_at", c->updated_at);
}
