/* subscriptions.c — a tenant's subscription as operations (ops/plans.h):
 * reading it and its history (platform actors, the tenant's admins) and
 * changing its plan or status (platform actors), with the proration of a
 * plan change worked out and recorded — never charged — and the change
 * audited (subscription.change). tenants.plan follows the subscription in
 * the same transaction, so the tenant caches (which watch tenants) pick
 * up the new plan's limits. */
#include <math.h>
#include <string.h>

#include "audit/audit.h"
#include "common/id.h"
#include "common/timeutil.h"
#include "ops/ops.h"
#include "ops/plans.h"

static const char *const statuses[] = {"trialing", "active", "past_due", "cancelled"};

/* The live tenant key names, for a reader (platform actor or its admin). */
static td_status find(td_op_t *op, const char *key, int readers, td_tenant_t *t) {
    td_status st = td_tenant_find(op->platform, op->arena, key, t);
    if (st == TD_E_NOTFOUND || (!st && !strcmp(t->row.status, "deleted")))
        return td_op_fail(op, TD_E_NOTFOUND, 404, "tenant_not_found", "no such tenant");
    if (st)
        return td_op_fail_status(op, st, NULL);
    if (readers ? !td_op_tenant_admin(op, t->row.id) : !td_actor_platform(&op->actor))
        return td_op_fail(op, TD_E_FORBIDDEN, 403, "forbidden",
                          "only platform operators change subscriptions");
    return TD_OK;
}

static td_status lease(td_op_t *op, td_db_t **db) {
    td_status st = td_catalog_lease(op->platform->catalog, op->arena, db);
    return st ? td_op_fail_status(op, st, "the catalog does not answer") : TD_OK;
}

td_status td_op_subscription_get(td_op_t *op, const char *tenant, td_subscription_row_t *out) {
    td_tenant_t t;
    td_db_t *db;
    if (find(op, tenant, 1, &t) || lease(op, &db))
        return op->err.st;
    td_status st = td_cat_subscription_get(db, op->arena, t.row.id, out);
    return st ? td_op_fail_status(op, st, NULL) : TD_OK;
}

/* The length of a plan's period in ms, measured from start. */
static int64_t period_ms(int64_t start, const char *period) {
    return td_plan_period_end(start, period) - start;
}

/* What moving from plan `from` to `to` at now costs for the rest of the
 * current period [start, end): the new plan's share of it minus the old
 * one's, each price spread over its own period, in the new plan's minor
 * units (0 across currencies: there is no rate to use). */
static int64_t prorate(const td_plan_row_t *from, const td_plan_row_t *to, int64_t start,
                       int64_t end, int64_t now) {
    if (now >= end || now < start || strcmp(from->currency, to->currency))
        return 0;
    double left = (double)(end - now);
    double old_len = (double)(end - start);
    double new_len = strcmp(from->period, to->period) ? (double)period_ms(now, to->period)
                                                        : old_len;
    double v = (double)to->price_amount * left / new_len - (double)from->price_amount * left / old_len;
    return (int64_t)llround(v);
}

static int status_ok(const char *s) {
    for (size_t i = 0; s && i < 4; i++)
        if (!strcmp(s, statuses[i]))
            return 1;
    return 0;
}

/* Works out the subscription after the change (*s) and its record (*c);
 * returns 0 when nothing changes. */
static int plan_change(td_op_t *op, const td_plan_row_t *from, const td_plan_row_t *to,
                       const char *status, td_subscription_row_t *s, td_subscription_change_t *c) {
    int64_t now = td_now_ms(), start = 0, end = 0;
    char *nows = td_arena_alloc(op->arena, 32);
    td_time_iso(now, nows, 32);
    td_time_parse(s->current_period_start, &start);
    td_time_parse(s->current_period_end, &end);
    status = status ? status : s->status;
    if (!strcmp(from->code, to->code) && !strcmp(status, s->status))
        return 0;
    *c = (td_subscription_change_t){.tenant_id = s->tenant_id, .from_plan = s->plan,
                                    .to_plan = to->code, .from_status = s->status,
                                    .to_status = status, .currency = to->currency,
                                    .actor_kind = td_actor_kind_name(op->actor.kind),
                                    .actor_id = op->actor.id, .at = nows};
    char *id = td_arena_alloc(op->arena, TD_ID_LEN + 1);
    td_id_new(id);
    c->id = id;
    if (strcmp(from->code, to->code) && strcmp(status, "cancelled"))
        c->proration_amount = prorate(from, to, start, end, now);
    if (now >= end) { /* the period ran out: the change starts a new one */
        char *e = td_arena_alloc(op->arena, 32);
        td_time_iso(td_plan_period_end(now, to->period), e, 32);
        s->current_period_start = nows;
        s->current_period_end = e;
    }
    s->plan = to->code;
    s->status = status;
    s->updated_at = nows;
    return 1;
}

/* In one catalog transaction: the subscription, tenants.plan, the record. */
static td_status write_change(td_op_t *op, td_db_t *db, const td_subscription_row_t *s,
                              const td_subscription_change_t *c) {
    td_status st = td_db_begin(db, TD_DB_WRITE);
    if (!st && (st = td_cat_subscription_set(db, s, c)) == TD_OK)
        st = td_db_commit(db);
    if (st)
        td_db_rollback(db);
    return st ? td_op_fail_status(op, st, "the change was not saved") : TD_OK;
}

td_status td_op_subscription_change(td_op_t *op, const char *tenant, const char *plan,
                                    const char *status, td_subscription_row_t *out,
                                    td_subscription_change_t *change) {
    td_tenant_t t;
    td_db_t *db;
    td_plan_row_t from, to;
    td_subscription_change_t c = {0};
    if (change)
        memset(change, 0, sizeof(*change));
    if (find(op, tenant, 0, &t))
        return op->err.st;
    if (!plan && !status)
        return td_op_fail(op, TD_E_INVALID, 400, "invalid_request",
                          "give 'plan', 'status' or both");
    if (status && !status_ok(status))
        return td_op_fail(op, TD_E_INVALID, 400, "invalid_status",
                          "status must be trialing, active, past_due or cancelled");
    if (plan && td_plan_admits(op, plan, NULL, 0))
        return op->err.st;
    if (lease(op, &db))
        return op->err.st;
    td_status st = td_cat_subscription_get(db, op->arena, t.row.id, out);
    if (!st)
        st = td_cat_plan_get(db, op->arena, plan ? plan : out->plan, &to);
    if (!st && td_cat_plan_get(db, op->arena, out->plan, &from))
        from = (td_plan_row_t){.code = out->plan, .currency = to.currency, .period = to.period};
    if (st)
        return td_op_fail_status(op, st, NULL);
    if (!plan_change(op, &from, &to, status, out, &c))
        return TD_OK; /* as asked already: nothing recorded */
    if (write_change(op, db, out, &c))
        return op->err.st;
    td_tcache_forget(op->platform, t.row.id);
    if (change)
        *change = c;
    const char *detail = td_arena_printf(op->arena, "%s/%s -> %s/%s", c.from_plan, c.from_status,
                                         c.to_plan, c.to_status);
    return td_audit_record(op, t.row.id, NULL, "subscription.change", "subscriptions", t.row.id,
                           "ok", detail);
}

td_status td_op_subscription_history(td_op_t *op, const char *tenant, int limit,
                                     td_subscription_change_t **out, size_t *n) {
    td_tenant_t t;
    td_db_t *db;
    *n = 0;
    if (find(op, tenant, 1, &t) || lease(op, &db))
        return op->err.st;
    td_status st = td_cat_subscription_changes(db, op->arena, t.row.id, limit, out, n);
    return st ? td_op_fail_status(op, st, NULL) : TD_OK;
}

json_t *td_subscription_json(const td_subscription_row_t *s) {
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s?, s:s?}", "tenant_id", s->tenant_id, "plan",
                     s->plan, "status", s->status, "current_period_start",
                     s->current_period_start, "current_period_end", s->current_period_end,
                     "created_at", s->created_at, "updated_at", s->updated_at);
}

json_t *td_subscription_change_json(const td_subscription_change_t *c) {
    return json_pack("{s:s, s:s?, s:s, s:s?, s:s, s:I, s:s, s:{s:s, s:s?}, s:s}", "id", c->id,
                     "from_plan", c->from_plan, "to_plan", c->to_plan, "from_status",
                     c->from_status, "to_status", c->to_status, "proration_amount",
                     (json_int_t)c->proration_amount, "currency", c->currency, "actor", "kind",
                     c->actor_kind, "id", c->actor_id, "at", c->at);
}
