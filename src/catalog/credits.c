/* credits.c — the credit tables (0016): balances, the ledger, prices of
 * metered actions, checkouts, sealed webhook secrets and idempotency keys.
 * One SQL text per statement serves both dialects ('?' placeholders,
 * RETURNING, ON CONFLICT). */
#include "catalog/credits.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "catalog/catalog_int.h"
#include "common/id.h"

/* Prepares sql and binds its parameters from types, one letter each: 't' a
 * text (NULL binds NULL), 'i' an int64_t. The caller finalizes *out. */
static td_status prep(td_db_t *db, td_stmt_t **out, const char *sql, const char *types, ...) {
    td_status rc = td_db_prepare(db, sql, out);
    va_list ap;
    va_start(ap, types);
    for (int i = 0; !rc && types[i]; i++) {
        if (types[i] == 'i') {
            rc = td_db_bind_int64(*out, i + 1, va_arg(ap, int64_t));
        } else {
            const char *v = va_arg(ap, const char *);
            rc = v ? td_db_bind_text(*out, i + 1, v) : td_db_bind_null(*out, i + 1);
        }
    }
    va_end(ap);
    return rc;
}

/* Steps st once: TD_OK on a row, TD_E_NOTFOUND at the end, or the error. */
static td_status one_row(td_stmt_t *st) {
    int r = td_db_step(st);
    return r == TD_DB_ROW ? TD_OK : r < 0 ? (td_status)r : TD_E_NOTFOUND;
}

#define TX_COLS                                                                           \
    "id, tenant_id, delta, reason, reference, idempotency_key, actor_kind, actor_id," \
    " balance_after, at"

static void read_tx(td_stmt_t *st, td_arena_t *a, td_credit_tx_t *t) {
    t->id = td_db_column_dup(st, a, 0);
    t->tenant_id = td_db_column_dup(st, a, 1);
    t->delta = td_db_column_int64(st, 2);
    t->reason = td_db_column_dup(st, a, 3);
    t->reference = td_db_column_dup(st, a, 4);
    t->idem_key = td_db_column_dup(st, a, 5);
    t->actor_kind = td_db_column_dup(st, a, 6);
    t->actor_id = td_db_column_dup(st, a, 7);
    t->balance_after = td_db_column_int64(st, 8);
    t->at = td_db_column_dup(st, a, 9);
}

/* The ledger row tenant_id's key made, into *tx: TD_E_NOTFOUND when none. */
static td_status tx_by_key(td_db_t *db, td_arena_t *a, td_credit_tx_t *tx) {
    td_stmt_t *st = NULL;
    td_status rc = prep(db, &st,
                        "SELECT " TX_COLS " FROM credit_transactions"
                        " WHERE tenant_id = ? AND idempotency_key = ?",
                        "tt", tx->tenant_id, tx->idem_key);
    if (!rc && !(rc = one_row(st)))
        read_tx(st, a, tx);
    td_db_finalize(st);
    return rc;
}

/* Moves the balance by delta (a spend only when the balance covers it) and
 * reads the balance after: TD_E_RANGE when it does not. */
static td_status move_balance(td_db_t *db, const char *tenant_id, int64_t delta, const char *now,
                              int64_t *after) {
    td_status rc = td_db_execv(db, NULL,
                               "INSERT INTO credit_balances (tenant_id, balance, updated_at)"
                               " VALUES (?, 0, ?) ON CONFLICT (tenant_id) DO NOTHING",
                               tenant_id, now, NULL);
    td_stmt_t *st = NULL;
    if (!rc)
        rc = prep(db, &st,
                  "UPDATE credit_balances SET balance = balance + ?, updated_at = ?"
                  " WHERE tenant_id = ? AND balance + ? >= 0 RETURNING balance",
                  "itti", delta, now, tenant_id, delta);
    if (!rc)
        rc = one_row(st);
    if (!rc)
        *after = td_db_column_int64(st, 0);
    td_db_finalize(st);
    return rc == TD_E_NOTFOUND ? TD_E_RANGE : rc;
}

td_status td_cat_credit_apply(td_db_t *db, td_arena_t *a, td_credit_tx_t *tx) {
    char now[32];
    td_cat_now(now);
    if (tx->idem_key) {
        td_status rc = tx_by_key(db, a, tx);
        if (rc != TD_E_NOTFOUND)
            return rc ? rc : TD_E_EXISTS;
    }
    td_status rc = move_balance(db, tx->tenant_id, tx->delta, now, &tx->balance_after);
    if (rc)
        return rc;
    if (!tx->id) {
        char *id = td_arena_alloc(a, TD_ID_LEN + 1);
        if (!id)
            return TD_E_NOMEM;
        td_id_new(id);
        tx->id = id;
    }
    tx->at = td_arena_strdup(a, now);
    td_stmt_t *st = NULL;
    rc = prep(db, &st,
              "INSERT INTO credit_transactions (" TX_COLS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
              "ttittttti", tx->id, tx->tenant_id, tx->delta, tx->reason, tx->reference,
              tx->idem_key, tx->actor_kind, tx->actor_id, tx->balance_after);
    if (!rc)
        rc = td_db_bind_text(st, 10, now);
    if (!rc)
        rc = td_db_drain(st);
    td_db_finalize(st);
    return rc;
}

td_status td_cat_credit_balance(td_db_t *db, td_arena_t *a, const char *tenant_id,
                                int64_t *balance, const char **updated_at) {
    td_stmt_t *st = NULL;
    *balance = 0;
    *updated_at = NULL;
    td_status rc = td_db_query_row(
        db, "SELECT balance, updated_at FROM credit_balances WHERE tenant_id = ?", tenant_id, &st);
    if (!rc) {
        *balance = td_db_column_int64(st, 0);
        *updated_at = td_db_column_dup(st, a, 1);
        td_db_finalize(st);
    }
    return rc == TD_E_NOTFOUND ? TD_OK : rc;
}

/* Reads every row of st with fn into an array of up to max rows of size
 * sz (a's memory). */
static td_status read_all(td_stmt_t *st, td_arena_t *a, size_t sz, size_t max,
                          void (*fn)(td_stmt_t *, td_arena_t *, void *), void **out, size_t *n) {
    char *rows = td_arena_alloc(a, sz * (max ? max : 1));
    size_t k = 0;
    int r = 0;
    if (!rows)
        return TD_E_NOMEM;
    while (k < max && (r = td_db_step(st)) == TD_DB_ROW)
        fn(st, a, rows + sz * k++);
    *out = rows;
    *n = k;
    return r < 0 ? (td_status)r : TD_OK;
}

static void read_tx_v(td_stmt_t *st, td_arena_t *a, void *p) { read_tx(st, a, p); }

td_status td_cat_credit_ledger(td_db_t *db, td_arena_t *a, const char *tenant_id,
                               const char *before, int limit, td_credit_tx_t **out, size_t *n) {
    td_stmt_t *st = NULL;
    *n = 0;
    limit = limit < 1 ? 1 : limit > 1000 ? 1000 : limit;
    /* PostgreSQL cannot type a parameter tested only for NULL: two texts */
    td_status rc = before ? prep(db, &st,
                                 "SELECT " TX_COLS " FROM credit_transactions WHERE tenant_id = ?"
                                 " AND id < ? ORDER BY id DESC LIMIT ?",
                                 "tti", tenant_id, before, (int64_t)limit)
                          : prep(db, &st,
                                 "SELECT " TX_COLS " FROM credit_transactions WHERE tenant_id = ?"
                                 " ORDER BY id DESC LIMIT ?",
                                 "ti", tenant_id, (int64_t)limit);
    if (!rc)
        rc = read_all(st, a, sizeof(**out), (size_t)limit, read_tx_v, (void **)out, n);
    td_db_finalize(st);
    return rc;
}

td_status td_cat_credit_ledger_sum(td_db_t *db, const char *tenant_id, int64_t *sum) {
    td_stmt_t *st = NULL;
    td_status rc = td_db_query_row(
        db, "SELECT COALESCE(SUM(delta), 0) FROM credit_transactions WHERE tenant_id = ?",
        tenant_id, &st);
    if (!rc) {
        *sum = td_db_column_int64(st, 0);
        td_db_finalize(st);
    }
    return rc;
}

static void read_balance(td_stmt_t *st, td_arena_t *a, void *p) {
    td_credit_balance_t *b = p;
    b->tenant_id = td_db_column_dup(st, a, 0);
    b->slug = td_db_column_dup(st, a, 1);
    b->plan = td_db_column_dup(st, a, 2);
    b->balance = td_db_column_int64(st, 3);
    b->updated_at = td_db_column_dup(st, a, 4);
}

td_status td_cat_credit_balances(td_db_t *db, td_arena_t *a, const char *after, int limit,
                                 td_credit_balance_t **out, size_t *n) {
    td_stmt_t *st = NULL;
    *n = 0;
    limit = limit < 1 ? 1 : limit > 1000 ? 1000 : limit;
    td_status rc = prep(db, &st,
                        "SELECT t.id, t.slug, t.plan, COALESCE(b.balance, 0), b.updated_at"
                        " FROM tenants t LEFT JOIN credit_balances b ON b.tenant_id = t.id"
                        " WHERE t.status <> 'deleted' AND t.id > ? ORDER BY t.id LIMIT ?",
                        "ti", after ? after : "", (int64_t)limit);
    if (!rc)
        rc = read_all(st, a, sizeof(**out), (size_t)limit, read_balance, (void **)out, n);
    td_db_finalize(st);
    return rc;
}

/* ---- prices ---- */

static void read_cost(td_stmt_t *st, td_arena_t *a, void *p) {
    td_credit_cost_t *c = p;
    c->action = td_db_column_dup(st, a, 0);
    c->credits = td_db_column_int64(st, 1);
    c->per_units = td_db_column_int64(st, 2);
    c->description = td_db_column_dup(st, a, 3);
    c->updated_at = td_db_column_dup(st, a, 4);
}

#define COST_COLS "action, credits, per_units, description, updated_at"

td_status td_cat_credit_cost_get(td_db_t *db, td_arena_t *a, const char *action,
                                 td_credit_cost_t *out) {
    td_stmt_t *st = NULL;
    td_status rc = td_db_query_row(
        db, "SELECT " COST_COLS " FROM service_credit_costs WHERE action = ?", action, &st);
    if (!rc) {
        read_cost(st, a, out);
        td_db_finalize(st);
    }
    return rc;
}

td_status td_cat_credit_cost_list(td_db_t *db, td_arena_t *a, td_credit_cost_t **out, size_t *n) {
    td_stmt_t *st = NULL;
    *n = 0;
    td_status rc = td_db_prepare(
        db, "SELECT " COST_COLS " FROM service_credit_costs ORDER BY action LIMIT 1000", &st);
    if (!rc)
        rc = read_all(st, a, sizeof(**out), 1000, read_cost, (void **)out, n);
    td_db_finalize(st);
    return rc;
}

td_status td_cat_credit_cost_put(td_db_t *db, const td_credit_cost_t *c) {
    char now[32];
    td_cat_now(now);
    td_stmt_t *st = NULL;
    td_status rc = prep(db, &st,
                        "INSERT INTO service_credit_costs (" COST_COLS ") VALUES (?, ?, ?, ?, ?)"
                        " ON CONFLICT (action) DO UPDATE SET credits = excluded.credits,"
                        " per_units = excluded.per_units, description = excluded.description,"
                        " updated_at = excluded.updated_at",
                        "tiitt", c->action, c->credits, c->per_units, c->description, now);
    if (!rc)
        rc = td_db_drain(st);
    td_db_finalize(st);
    return rc;
}

td_status td_cat_credit_cost_delete(td_db_t *db, const char *action) {
    int64_t n = 0;
    td_status rc =
        td_db_execv(db, &n, "DELETE FROM service_credit_costs WHERE action = ?", action, NULL);
    return rc ? rc : n ? TD_OK : TD_E_NOTFOUND;
}

/* ---- checkouts ---- */

#define CHECKOUT_COLS                                                                    \
    "id, tenant_id, provider, credits, status, error, transaction_id, created_by," \
    " created_at, updated_at"

td_status td_cat_checkout_insert(td_db_t *db, const td_checkout_row_t *c) {
    char now[32];
    td_cat_now(now);
    td_stmt_t *st = NULL;
    td_status rc = prep(db, &st,
                        "INSERT INTO credit_checkouts (" CHECKOUT_COLS ")"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        "tttittttt", c->id, c->tenant_id, c->provider, c->credits, c->status,
                        c->error, c->transaction_id, c->created_by, now);
    if (!rc)
        rc = td_db_bind_text(st, 10, now);
    if (!rc)
        rc = td_db_drain(st);
    td_db_finalize(st);
    return rc;
}

td_status td_cat_checkout_get(td_db_t *db, td_arena_t *a, const char *tenant_id, const char *id,
                              td_checkout_row_t *c) {
    td_stmt_t *st = NULL;
    td_status rc = tenant_id ? prep(db, &st,
                                    "SELECT " CHECKOUT_COLS " FROM credit_checkouts WHERE id = ?"
                                    " AND tenant_id = ?",
                                    "tt", id, tenant_id)
                             : prep(db, &st,
                                    "SELECT " CHECKOUT_COLS " FROM credit_checkouts WHERE id = ?",
                                    "t", id);
    if (!rc && !(rc = one_row(st))) {
        c->id = td_db_column_dup(st, a, 0);
        c->tenant_id = td_db_column_dup(st, a, 1);
        c->provider = td_db_column_dup(st, a, 2);
        c->credits = td_db_column_int64(st, 3);
        c->status = td_db_column_dup(st, a, 4);
        c->error = td_db_column_dup(st, a, 5);
        c->transaction_id = td_db_column_dup(st, a, 6);
        c->created_by = td_db_column_dup(st, a, 7);
        c->created_at = td_db_column_dup(st, a, 8);
        c->updated_at = td_db_column_dup(st, a, 9);
    }
    td_db_finalize(st);
    return rc;
}

td_status td_cat_checkout_finish(td_db_t *db, const char *id, const char *status,
                                 const char *error, const char *transaction_id) {
    char now[32];
    td_cat_now(now);
    td_stmt_t *st = NULL;
    td_status rc = prep(db, &st,
                        "UPDATE credit_checkouts SET status = ?, error = ?, transaction_id = ?,"
                        " updated_at = ? WHERE id = ? AND status = 'pending'",
                        "ttttt", status, error, transaction_id, now, id);
    if (!rc)
        rc = td_db_drain(st);
    int64_t n = rc ? 0 : td_db_changes(st);
    td_db_finalize(st);
    return rc ? rc : n ? TD_OK : TD_E_STATE;
}

/* ---- sealed webhook secrets ---- */

td_status td_cat_provider_secret_put(td_db_t *db, const char *tenant_id, const char *provider,
                                     const char *sealed) {
    char now[32];
    td_cat_now(now);
    return td_db_execv(db, NULL,
                       "INSERT INTO payment_provider_secrets (tenant_id, provider, secret_enc,"
                       " updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (tenant_id, provider)"
                       " DO UPDATE SET secret_enc = excluded.secret_enc,"
                       " updated_at = excluded.updated_at",
                       tenant_id, provider, sealed, now, NULL);
}

td_status td_cat_provider_secret_get(td_db_t *db, td_arena_t *a, const char *tenant_id,
                                     const char *provider, const char **sealed) {
    td_stmt_t *st = NULL;
    td_status rc = prep(db, &st,
                        "SELECT secret_enc FROM payment_provider_secrets WHERE tenant_id = ?"
                        " AND provider = ?",
                        "tt", tenant_id, provider);
    if (!rc && !(rc = one_row(st)))
        *sealed = td_db_column_dup(st, a, 0);
    td_db_finalize(st);
    return rc;
}

/* ---- idempotency keys ---- */

td_status td_cat_idem_claim(td_db_t *db, td_arena_t *a, const char *scope, const char *key,
                            const char *request_hash, int64_t now, int64_t expired_before,
                            td_idem_row_t *out) {
    td_stmt_t *st = NULL;
    /* expired answers, and claims whose request died (a crash between
     * claim and answer) after TD_IDEM_STALE_MS */
    td_status rc = prep(db, &st,
                        "DELETE FROM idempotency_keys WHERE scope = ? AND (created_at < ?"
                        " OR (status = 0 AND created_at < ?))",
                        "tii", scope, expired_before, now - TD_IDEM_STALE_MS);
    if (!rc)
        rc = td_db_drain(st);
    td_db_finalize(st);
    st = NULL;
    if (!rc)
        rc = prep(db, &st,
                  "INSERT INTO idempotency_keys (scope, key, request_hash, status, created_at)"
                  " VALUES (?, ?, ?, 0, ?) ON CONFLICT (scope, key) DO NOTHING",
                  "ttti", scope, key, request_hash, now);
    if (!rc)
        rc = td_db_drain(st);
    int64_t claimed = rc ? 0 : td_db_changes(st);
    td_db_finalize(st);
    if (rc || claimed)
        return rc;
    st = NULL;
    rc = prep(db, &st,
              "SELECT request_hash, status, body, created_at FROM idempotency_keys"
              " WHERE scope = ? AND key = ?",
              "tt", scope, key);
    if (!rc && !(rc = one_row(st))) {
        out->request_hash = td_db_column_dup(st, a, 0);
        out->status = (int)td_db_column_int64(st, 1);
        out->body = td_db_column_dup(st, a, 2);
        out->created_at = td_db_column_int64(st, 3);
    }
    td_db_finalize(st);
    return rc ? (rc == TD_E_NOTFOUND ? TD_E_BUSY : rc) : TD_E_EXISTS;
}

td_status td_cat_idem_store(td_db_t *db, const char *scope, const char *key, int status,
                            const char *body) {
    td_stmt_t *st = NULL;
    td_status rc = prep(db, &st,
                        "UPDATE idempotency_keys SET status = ?, body = ? WHERE scope = ?"
                        " AND key = ?",
                        "ittt", (int64_t)status, body, scope, key);
    if (!rc)
        rc = td_db_drain(st);
    td_db_finalize(st);
    return rc;
}

td_status td_cat_idem_release(td_db_t *db, const char *scope, const char *key) {
    return td_db_execv(db, NULL, "DELETE FROM idempotency_keys WHERE scope = ? AND key = ?",
                       scope, key, NULL);
}
