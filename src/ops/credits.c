/* credits.c — a tenant's credits as operations: its balance and ledger,
 * spending by its own principals, superadmin grants and adjustments, the
 * balances of every tenant, and the included monthly credits (the
 * credits.monthly job). Every change goes through change(): one catalog
 * write transaction holding the conditional balance UPDATE, the ledger row
 * and the audit record (credits.<verb>), so none is seen without the
 * others. */
#include <stdio.h>
#include <string.h>

#include "audit/audit.h"
#include "common/id.h"
#include "common/text.h"
#include "common/timeutil.h"
#include "ops/credits.h"

/* A live tenant's id by slug or id, into *id. */
static td_status find_tenant(td_op_t *op, const char *key, const char **id) {
    td_tenant_t t;
    td_status st = key ? td_tenant_find(op->platform, op->arena, key, &t) : TD_E_NOTFOUND;
    if (st == TD_E_NOTFOUND || (!st && !strcmp(t.row.status, "deleted")))
        return td_op_fail(op, TD_E_NOTFOUND, 404, "tenant_not_found", "no such tenant");
    if (st)
        return td_op_fail(op, st, 503, "catalog_unavailable", "the catalog is not reachable");
    *id = t.row.id;
    return TD_OK;
}

static int platform_only(td_op_t *op) {
    if (td_actor_platform(&op->actor))
        return 1;
    td_op_fail(op, TD_E_FORBIDDEN, 403, "forbidden", "only platform operators may do this");
    return 0;
}

/* 1 for a platform actor or any user or key of tenant_id. */
static int own_principal(td_op_t *op, const char *tenant_id) {
    const td_actor_t *a = &op->actor;
    if (td_actor_platform(a) || (a->tenant_id && !strcmp(a->tenant_id, tenant_id)))
        return 1;
    td_op_fail(op, TD_E_FORBIDDEN, 403, "forbidden", "not your tenant");
    return 0;
}

static td_status bad_credits(td_op_t *op, const char *what) {
    return td_op_fail(op, TD_E_INVALID, 400, "invalid_credits",
                      "'%s' must be a whole number from 1 to %lld", what, TD_CREDITS_MAX);
}

/* A reference or note: NULL, or 1 to 200 printable characters. */
static int text_ok(const char *s) {
    return !s || (*s && strlen(s) <= 200 && td_text_printable_utf8(s));
}

td_status td_credits_change(td_op_t *op, td_credit_tx_t *tx, const char *action, int *replayed,
                            td_status (*also)(td_db_t *db, void *ctx), void *ctx) {
    tx->actor_kind = td_actor_kind_name(op->actor.kind);
    tx->actor_id = op->actor.id;
    td_db_t *db = NULL;
    td_status st = td_catalog_lease(op->platform->catalog, op->arena, &db);
    if (!st)
        st = td_db_begin(db, TD_DB_WRITE);
    if (st)
        return td_op_fail(op, st, 503, "catalog_unavailable", "the catalog does not answer");
    st = also ? also(db, ctx) : TD_OK;
    if (!st)
        st = td_cat_credit_apply(db, op->arena, tx);
    if (!st) {
        char detail[64];
        snprintf(detail, sizeof(detail), "%s %+lld", tx->reason, (long long)tx->delta);
        int64_t now = td_now_ms();
        td_audit_row_t r = {.at = now,
                            .actor_kind = tx->actor_kind,
                            .actor_id = op->actor.id,
                            .action = action,
                            .resource = "credit_transactions",
                            .row_id = tx->id,
                            .request_id = op->request_id,
                            .client_addr = op->client_addr,
                            .outcome = "ok",
                            .detail = detail};
        st = td_audit_append(db, op->arena, tx->tenant_id, &r, 1, now);
    }
    if (!st)
        st = td_db_commit(db);
    else
        td_db_rollback(db);
    if (replayed)
        *replayed = st == TD_E_EXISTS;
    if (st == TD_E_EXISTS)
        return TD_OK; /* the key's first change, answered again */
    if (op->err.st)
        return op->err.st; /* also's own refusal */
    if (st == TD_E_RANGE)
        return td_op_fail(op, st, 402, "insufficient_credits",
                          "the balance does not cover %lld credits", (long long)-tx->delta);
    return st ? td_op_fail(op, st, 503, "catalog_unavailable", "the change was not recorded")
              : TD_OK;
}

/* A number of credits in range, and an optional reference of 1 to 200
 * characters: 400 invalid_credits, invalid_request otherwise. */
static td_status check_amount(td_op_t *op, int64_t credits, const char *reference) {
    if (credits < 1 || credits > TD_CREDITS_MAX)
        return bad_credits(op, "credits");
    if (!text_ok(reference))
        return td_op_fail(op, TD_E_INVALID, 400, "invalid_request",
                          "'reference' is 1 to 200 characters");
    return TD_OK;
}

td_status td_op_credits_spend(td_op_t *op, const char *tenant, int64_t credits,
                              const char *reference, const char *idem_key, td_credit_tx_t *out) {
    const char *tid;
    if (find_tenant(op, tenant, &tid) || !own_principal(op, tid))
        return op->err.st;
    if (check_amount(op, credits, reference))
        return op->err.st;
    *out = (td_credit_tx_t){.tenant_id = tid, .delta = -credits, .reason = "spend",
                            .reference = reference, .idem_key = idem_key};
    return td_credits_change(op, out, "credits.spend", NULL, NULL, NULL);
}

td_status td_op_credits_grant(td_op_t *op, const char *tenant, int64_t credits,
                              const char *reference, const char *idem_key, td_credit_tx_t *out) {
    const char *tid;
    if (!platform_only(op) || find_tenant(op, tenant, &tid))
        return op->err.st;
    if (check_amount(op, credits, reference))
        return op->err.st;
    *out = (td_credit_tx_t){.tenant_id = tid, .delta = credits, .reason = "grant",
                            .reference = reference, .idem_key = idem_key};
    return td_credits_change(op, out, "credits.grant", NULL, NULL, NULL);
}

td_status td_op_credits_adjust(td_op_t *op, const char *tenant, int64_t delta, const char *note,
                               const char *idem_key, td_credit_tx_t *out) {
    const char *tid;
    if (!platform_only(op) || find_tenant(op, tenant, &tid))
        return op->err.st;
    if (!delta || delta < -TD_CREDITS_MAX || delta > TD_CREDITS_MAX)
        return td_op_fail(op, TD_E_INVALID, 400, "invalid_credits",
                          "'delta' must be a nonzero whole number within ±%lld", TD_CREDITS_MAX);
    if (!note || !text_ok(note))
        return td_op_fail(op, TD_E_INVALID, 400, "invalid_request",
                          "'note' (1 to 200 characters: why) is required");
    *out = (td_credit_tx_t){.tenant_id = tid, .delta = delta, .reason = "adjust",
                            .reference = note, .idem_key = idem_key};
    return td_credits_change(op, out, "credits.adjust", NULL, NULL, NULL);
}

/* A month as YYYY-MM (years 2000 to 9999). */
static int period_ok(const char *p) {
    return p && strlen(p) == 7 && p[0] >= '2' && p[0] <= '9' && p[1] >= '0' && p[1] <= '9' &&
           p[2] >= '0' && p[2] <= '9' && p[3] >= '0' && p[3] <= '9' && p[4] == '-' &&
           ((p[5] == '0' && p[6] >= '1' && p[6] <= '9') ||
            (p[5] == '1' && p[6] >= '0' && p[6] <= '2'));
}

td_status td_op_credits_grant_period(td_op_t *op, const char *tenant, int64_t credits,
                                     const char *period, int *granted, td_credit_tx_t *out) {
    const char *tid;
    *granted = 0;
    if (!platform_only(op) || find_tenant(op, tenant, &tid))
        return op->err.st;
    if (credits < 1 || credits > TD_CREDITS_MAX)
        return bad_credits(op, "credits");
    if (!period_ok(period))
        return td_op_fail(op, TD_E_INVALID, 400, "invalid_period", "'period' is a month: YYYY-MM");
    char *key = td_arena_alloc(op->arena, 32);
    if (!key)
        return td_op_fail_status(op, TD_E_NOMEM, NULL);
    snprintf(key, 32, "included:%s", period);
    *out = (td_credit_tx_t){.tenant_id = tid, .delta = credits, .reason = "included",
                            .reference = key + 9, .idem_key = key};
    int again = 0;
    td_status st = td_credits_change(op, out, "credits.included", &again, NULL, NULL);
    *granted = !st && !again;
    return st;
}

/* Pages: limit 1..1000 (0: the default 50); the cursor of the next page
 * is the last row's id when the page is full. */
static int page_limit(td_op_t *op, int limit) {
    if (limit == 0)
        return 50;
    if (limit < 1 || limit > 1000) {
        td_op_fail(op, TD_E_INVALID, 400, "invalid_request", "limit is 1 to 1000");
        return 0;
    }
    return limit;
}

td_status td_op_credits_show(td_op_t *op, const char *tenant, const char *before, int limit,
                             int64_t *balance, td_credit_tx_t **rows, size_t *n,
                             const char **next) {
    const char *tid, *updated;
    *n = 0;
    *next = NULL;
    if (find_tenant(op, tenant, &tid) || !td_op_tenant_admin(op, tid) ||
        !(limit = page_limit(op, limit)))
        return op->err.st;
    if (before && !td_id_valid(before))
        return td_op_fail(op, TD_E_INVALID, 400, "invalid_cursor", "cursor is a next_cursor value");
    td_db_t *db;
    td_status st = td_catalog_lease(op->platform->catalog, op->arena, &db);
    if (!st)
        st = td_cat_credit_balance(db, op->arena, tid, balance, &updated);
    if (!st)
        st = td_cat_credit_ledger(db, op->arena, tid, before, limit, rows, n);
    if (st)
        return td_op_fail(op, st, 503, "catalog_unavailable", "the catalog does not answer");
    *next = *n == (size_t)limit ? (*rows)[*n - 1].id : NULL;
    return TD_OK;
}

td_status td_op_credits_balances(td_op_t *op, const char *after, int limit,
                                 td_credit_balance_t **rows, size_t *n, const char **next) {
    *n = 0;
    *next = NULL;
    if (!platform_only(op) || !(limit = page_limit(op, limit)))
        return op->err.st;
    if (after && !td_id_valid(after))
        return td_op_fail(op, TD_E_INVALID, 400, "invalid_cursor", "cursor is a next_cursor value");
    td_db_t *db;
    td_status st = td_catalog_lease(op->platform->catalog, op->arena, &db);
    if (!st)
        st = td_cat_credit_balances(db, op->arena, after, limit, rows, n);
    if (st)
        return td_op_fail(op, st, 503, "catalog_unavailable", "the catalog does not answer");
    *next = *n == (size_t)limit ? (*rows)[*n - 1].tenant_id : NULL;
    return TD_OK;
}

json_t *td_credit_tx_json(const td_credit_tx_t *t) {
    return json_pack("{s:s, s:I, s:s, s:s?, s:s?, s:s, s:s?, s:I, s:s}", "id", t->id, "delta",
                     (json_int_t)t->delta, "reason", t->reason, "reference", t->reference,
                     "idempotency_key", t->idem_key, "actor_kind", t->actor_kind, "actor_id",
                     t->actor_id, "balance_after", (json_int_t)t->balance_after, "at", t->at);
}

/* ---- the credits.monthly job ---- */

/* One step per batch of 100 tenants (checkpoint: the last tenant done);
 * each grant is keyed included:YYYY-MM, so a resumed or repeated run
 * grants nothing twice. */
td_status td_credits_monthly_job(td_op_t *op, td_job_t *job) {
    const td_job_row_t *r = td_job_row(job);
    char period[8], now[32];
    td_time_iso(td_now_ms(), now, sizeof(now));
    snprintf(period, sizeof(period), "%.7s", now);
    const char *after = r->checkpoint && *r->checkpoint ? r->checkpoint : NULL;
    int step = r->step;
    int64_t done = r->done;
    for (;;) {
        td_db_t *db;
        td_plan_credits_t *rows;
        size_t n = 0;
        td_status st = td_catalog_lease(op->platform->catalog, NULL, &db);
        if (!st) {
            st = td_cat_plan_credits(db, op->arena, after, 100, &rows, &n);
            td_catalog_release(op->platform->catalog, db);
        }
        if (st)
            return td_op_fail(op, st, 503, "catalog_unavailable", "cannot read the plans");
        for (size_t i = 0; i < n; i++) {
            int granted = 0;
            td_credit_tx_t tx;
            if (td_op_credits_grant_period(op, rows[i].tenant_id, rows[i].included, period,
                                           &granted, &tx))
                return op->err.st;
            done += granted;
        }
        if (n == 0)
            return TD_OK;
        after = rows[n - 1].tenant_id;
        st = td_job_progress(op, job, ++step, done, 0, "tenants granted their included credits", after);
        if (st)
            return st;
    }
}
