/* credits.h — the credit tables of migration 0016: credit_balances (the
 * truth), credit_transactions (the ledger), service_credit_costs (prices of
 * metered actions), credit_checkouts (purchases through a payment
 * provider), payment_provider_secrets (sealed webhook secrets) and
 * idempotency_keys (the first answer of a mutation, replayed).
 *
 * SQL only: ops/credits.c decides who may do what. Functions that take a
 * td_db_t run in the caller's transaction where they say so; strings handed
 * back are owned by the given arena. */
#ifndef TD_CATALOG_CREDITS_H
#define TD_CATALOG_CREDITS_H

#include <stdint.h>

#include "catalog/catalog.h"

/* One ledger row. */
typedef struct {
    const char *id, *tenant_id;
    int64_t delta;
    const char *reason;    /* purchase | grant | adjust | spend | charge | included | refund */
    const char *reference; /* free text: a checkout id, an action, a period; may be NULL */
    const char *idem_key;  /* the Idempotency-Key that made it; may be NULL */
    const char *actor_kind, *actor_id;
    int64_t balance_after;
    const char *at;
} td_credit_tx_t;

/* Applies tx->delta to tx->tenant_id's balance and records the ledger row,
 * inside the caller's write transaction on db: a negative delta is one
 * conditional UPDATE (… WHERE balance >= -delta), so no balance goes below
 * zero. Fills tx->id (when NULL: a new id in a), tx->at and
 * tx->balance_after. TD_E_RANGE when the balance is short (nothing
 * changed); TD_E_EXISTS when tx->idem_key made a ledger row of this tenant
 * already: *tx is then that row (a replay; nothing changed). */
td_status td_cat_credit_apply(td_db_t *db, td_arena_t *a, td_credit_tx_t *tx);
/* The tenant's balance (0 when it never had one) and when it last changed
 * (NULL then). */
td_status td_cat_credit_balance(td_db_t *db, td_arena_t *a, const char *tenant_id,
                                int64_t *balance, const char **updated_at);
/* The tenant's ledger, newest first, ids below before (NULL: from the
 * newest), at most limit (≤ 1000). */
td_status td_cat_credit_ledger(td_db_t *db, td_arena_t *a, const char *tenant_id,
                               const char *before, int limit, td_credit_tx_t **out, size_t *n);
/* The sum of the tenant's ledger deltas (equals its balance). */
td_status td_cat_credit_ledger_sum(td_db_t *db, const char *tenant_id, int64_t *sum);

/* One tenant's balance, for the superadmins' list. */
typedef struct {
    const char *tenant_id, *slug, *plan, *updated_at;
    int64_t balance;
} td_credit_balance_t;
/* Live tenants in id order after `after` (NULL: from the first), at most
 * limit (≤ 1000), with their balances (0 when none). */
td_status td_cat_credit_balances(td_db_t *db, td_arena_t *a, const char *after, int limit,
                                 td_credit_balance_t **out, size_t *n);

/* ---- prices of metered actions ---- */
typedef struct {
    const char *action, *description, *updated_at;
    int64_t credits, per_units;
} td_credit_cost_t;
/* TD_E_NOTFOUND when the action has no price (it is free). */
td_status td_cat_credit_cost_get(td_db_t *db, td_arena_t *a, const char *action,
                                 td_credit_cost_t *out);
/* Every price, by action (at most 1000). */
td_status td_cat_credit_cost_list(td_db_t *db, td_arena_t *a, td_credit_cost_t **out, size_t *n);
/* Sets (inserts or replaces) a price. */
td_status td_cat_credit_cost_put(td_db_t *db, const td_credit_cost_t *c);
/* Removes a price: TD_E_NOTFOUND when there was none. */
td_status td_cat_credit_cost_delete(td_db_t *db, const char *action);

/* ---- checkouts ---- */
typedef struct {
    const char *id, *tenant_id, *provider, *status, *error, *transaction_id, *created_by;
    const char *created_at, *updated_at;
    int64_t credits;
} td_checkout_row_t;
td_status td_cat_checkout_insert(td_db_t *db, const td_checkout_row_t *c);
/* By id (of tenant_id unless NULL): TD_E_NOTFOUND otherwise. */
td_status td_cat_checkout_get(td_db_t *db, td_arena_t *a, const char *tenant_id, const char *id,
                              td_checkout_row_t *out);
/* Moves a pending checkout to status (paid | failed) with its error or
 * transaction id: TD_E_STATE when it is not pending any more. */
td_status td_cat_checkout_finish(td_db_t *db, const char *id, const char *status,
                                 const char *error, const char *transaction_id);

/* ---- sealed webhook secrets ---- */
td_status td_cat_provider_secret_put(td_db_t *db, const char *tenant_id, const char *provider,
                                     const char *sealed);
/* TD_E_NOTFOUND when none is set. */
td_status td_cat_provider_secret_get(td_db_t *db, td_arena_t *a, const char *tenant_id,
                                     const char *provider, const char **sealed);

/* ---- idempotency keys ---- */
typedef struct {
    const char *request_hash;
    int status; /* 0 while the first request runs */
    const char *body;
    int64_t created_at; /* unix ms */
} td_idem_row_t;
/* A claim whose first request has not answered after this long (ms) is
 * taken to be dead (its process crashed) and may be claimed again. */
#define TD_IDEM_STALE_MS 60000
/* Claims (scope, key) for a request with request_hash, after removing the
 * scope's rows older than expired_before (unix ms) and its stale claims
 * (TD_IDEM_STALE_MS): TD_OK when claimed (a
 * row with status 0 is there now), TD_E_EXISTS with *out the row found. */
td_status td_cat_idem_claim(td_db_t *db, td_arena_t *a, const char *scope, const char *key,
                            const char *request_hash, int64_t now, int64_t expired_before,
                            td_idem_row_t *out);
/* Records the answer of a claimed key. */
td_status td_cat_idem_store(td_db_t *db, const char *scope, const char *key, int status,
                            const char *body);
/* Gives a claimed key up (its request failed in a way worth retrying). */
td_status td_cat_idem_release(td_db_t *db, const char *scope, const char *key);

/* ---- included monthly credits (credits_plan.c: reads 0015's plans) ---- */
typedef struct {
    const char *tenant_id;
    int64_t included; /* the plan's included_credits */
} td_plan_credits_t;
/* Active tenants after `after` (id order, NULL: from the first) whose plan
 * includes credits, at most limit. */
td_status td_cat_plan_credits(td_db_t *db, td_arena_t *a, const char *after, int limit,
                              td_plan_credits_t **out, size_t *n);

#endif
