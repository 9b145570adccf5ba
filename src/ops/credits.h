/* credits.h — credits as operations (issue 13 part 3, SPEC §8; docs/payments.md):
 * a tenant's balance and ledger, spending, superadmin grants and
 * adjustments, metered charges priced by service_credit_costs, purchases
 * through a payment provider, and the idempotency keys every credits
 * mutation takes.
 *
 * Every change of a balance is one catalog write transaction: the
 * conditional UPDATE of credit_balances (never below zero), its ledger row
 * (credit_transactions, with the idempotency key: unique per tenant, so a
 * retried change never applies twice) and its audit record (credits.*,
 * docs/audit.md) commit together. Failures fill op->err with a stable
 * code: 400 invalid_request, invalid_credits, invalid_action,
 * invalid_provider, invalid_card; 401 invalid_signature; 402
 * insufficient_credits; 403 forbidden; 404 tenant_not_found,
 * checkout_not_found, cost_not_found, provider_secret_not_set; 409
 * invalid_state; 422 idempotency_key_reused; 409 idempotency_key_in_use;
 * 503 catalog_unavailable. */
#ifndef TD_OPS_CREDITS_H
#define TD_OPS_CREDITS_H

#include <jansson.h>
#include <stdint.h>

#include "catalog/credits.h"
#include "jobs/jobs.h"
#include "ops/op.h"

/* The most credits one change may move (keeps every sum far from int64's
 * end). */
#define TD_CREDITS_MAX 1000000000000LL
/* How long an idempotency key's answer is kept (ms). */
#define TD_IDEM_TTL_MS (24LL * 3600 * 1000)

/* ---- balances and the ledger (credits.c) ---- */

/* A tenant's balance and a page of its ledger (newest first, ids below
 * before, at most limit 1..1000; *next the cursor of the next page or
 * NULL). Who: platform actors and the tenant's admins. */
td_status td_op_credits_show(td_op_t *op, const char *tenant, const char *before, int limit,
                             int64_t *balance, td_credit_tx_t **rows, size_t *n,
                             const char **next);
/* Spends credits (1..TD_CREDITS_MAX) of tenant for the acting principal:
 * 402 insufficient_credits when the balance is short (nothing changes).
 * Who: platform actors and any user or key of that tenant. idem_key may be
 * NULL; a key that made a ledger row already answers that row. */
td_status td_op_credits_spend(td_op_t *op, const char *tenant, int64_t credits,
                              const char *reference, const char *idem_key, td_credit_tx_t *out);
/* Grants credits (reason grant; reference free text, e.g. an invoice or a
 * period). Who: platform actors. */
td_status td_op_credits_grant(td_op_t *op, const char *tenant, int64_t credits,
                              const char *reference, const char *idem_key, td_credit_tx_t *out);
/* Moves a balance by delta (nonzero; never below zero: 402), with a note
 * (required). Who: platform actors. */
td_status td_op_credits_adjust(td_op_t *op, const char *tenant, int64_t delta, const char *note,
                               const char *idem_key, td_credit_tx_t *out);
/* Every live tenant's balance in id order after `after`, at most limit;
 * *next as in show. Who: platform actors. */
td_status td_op_credits_balances(td_op_t *op, const char *after, int limit,
                                 td_credit_balance_t **rows, size_t *n, const char **next);
/* The included credits of a tenant for period (YYYY-MM: 400
 * invalid_period): granted once per tenant and period (ledger key
 * included:YYYY-MM, reason included); *granted = 0 when they were granted
 * already (*out is then that grant). Who: platform actors (the
 * credits.monthly job, a superadmin's grant with a period). */
td_status td_op_credits_grant_period(td_op_t *op, const char *tenant, int64_t credits,
                                     const char *period, int *granted, td_credit_tx_t *out);
/* The credits.monthly job kind: every active tenant whose plan includes
 * credits gets them for the current month (one step per batch of tenants;
 * resumable, idempotent). */
td_status td_credits_monthly_job(td_op_t *op, td_job_t *job);
/* Applies tx (tenant_id, delta, reason, reference, idem_key; the rest is
 * filled) in one catalog write transaction with its audit record (action;
 * the ledger row as its resource): the one path of every balance change.
 * also (may be NULL) runs first in the same transaction (a checkout's
 * move to paid); its failure, recorded in op->err or not, changes nothing.
 * A key that made a ledger row already answers that row (*replayed = 1
 * when replayed is not NULL). 402 insufficient_credits when the balance is
 * short. No access check: its callers have made theirs. */
td_status td_credits_change(td_op_t *op, td_credit_tx_t *tx, const char *action, int *replayed,
                            td_status (*also)(td_db_t *db, void *ctx), void *ctx);
/* The JSON of a ledger row. New reference. */
json_t *td_credit_tx_json(const td_credit_tx_t *t);

/* ---- metered actions (charge.c) ---- */

/* THE function every metered action charges through: units of action for
 * tenant_id, priced by service_credit_costs (ceil(units × credits /
 * per_units)); an action with no price is free (*charged 0, no ledger
 * row). 402 insufficient_credits when the balance is short. idem_key may
 * be NULL. *tx (may be NULL) is the ledger row when something was
 * charged. Who: any actor (the caller has checked access to the action). */
td_status td_credits_charge(td_op_t *op, const char *tenant_id, const char *action,
                            int64_t units, const char *idem_key, int64_t *charged,
                            td_credit_tx_t *tx);
/* Gives back a charge whose action then failed (reason refund, reference
 * the charge's id); once per charge. */
td_status td_credits_refund(td_op_t *op, const td_credit_tx_t *charge);
/* The prices (platform actors). */
td_status td_op_credit_costs(td_op_t *op, td_credit_cost_t **rows, size_t *n);
/* Sets a price: action [a-z0-9._:-]{1,64}, credits ≥ 0, per_units ≥ 1. */
td_status td_op_credit_cost_put(td_op_t *op, const td_credit_cost_t *c);
td_status td_op_credit_cost_delete(td_op_t *op, const char *action);
json_t *td_credit_cost_json(const td_credit_cost_t *c);

/* ---- purchases (payments.c; the provider interface: payments.h) ---- */

/* Starts a purchase of credits through provider ("manual": an invoice a
 * superadmin marks paid; "test": a simulated card checkout): a pending
 * checkout. Who: platform actors and the tenant's admins. */
td_status td_op_credits_purchase(td_op_t *op, const char *tenant, const char *provider,
                                 int64_t credits, td_checkout_row_t *out);
/* A tenant's checkout (tenant NULL: any tenant's, platform actors). */
td_status td_op_checkout_get(td_op_t *op, const char *tenant, const char *id,
                             td_checkout_row_t *out);
/* Completes a pending checkout with the payer's input (the test provider:
 * {"card": "4242424242424242"} pays, "4000000000000002" is declined): paid
 * grants the credits in the same transaction; declined marks it failed
 * (402 card_declined). Who: the tenant's admins, platform actors. */
td_status td_op_checkout_complete(td_op_t *op, const char *tenant, const char *id,
                                  json_t *input, td_checkout_row_t *out);
/* Marks a manual checkout (an invoice) paid: its credits granted. Who:
 * platform actors. */
td_status td_op_checkout_mark_paid(td_op_t *op, const char *id, td_checkout_row_t *out);
/* Stores a tenant's webhook secret for provider, sealed with the tenant's
 * data key (never shown again). Who: the tenant's admins, platform
 * actors. secret: 16 to 256 printable characters. */
td_status td_op_provider_secret_set(td_op_t *op, const char *tenant, const char *provider,
                                    const char *secret);
/* A provider's webhook for tenant: verifies signature (HMAC-SHA256 with
 * the tenant's sealed secret, 401 invalid_signature) then applies it to
 * the checkout it names (paid or failed; a repeat changes nothing). Who:
 * anyone (a public route): the signature is the credential. */
td_status td_op_payment_webhook(td_op_t *op, const char *provider, const char *tenant,
                                const char *body, size_t len, const char *signature,
                                td_checkout_row_t *out);
json_t *td_checkout_json(const td_checkout_row_t *c);

/* ---- idempotency keys (idempotency.c): reusable by any mutation ---- */

/* What td_op_idem_begin found. */
typedef struct {
    int replay;       /* 1: the first answer is in status/body: send it */
    int status;
    const char *body; /* op->arena */
    const char *scope, *key; /* for td_op_idem_end */
} td_idem_t;
/* Starts a mutation made with key (1 to 255 printable ASCII characters)
 * in scope (what keys are unique in: a tenant id, or "platform"):
 * request_hash names the request (the same key with another hash is 422
 * idempotency_key_reused; one still running is 409
 * idempotency_key_in_use). On TD_OK either *out says replay, or the key is
 * claimed and the caller ends it with td_op_idem_end. 400
 * invalid_idempotency_key. */
td_status td_op_idem_begin(td_op_t *op, const char *scope, const char *key,
                           const char *request_hash, td_idem_t *out);
/* Records the answer of a claimed key (status ≥ 500: gives the key up, so
 * a retry runs again). */
void td_op_idem_end(td_op_t *op, const td_idem_t *idem, int status, const char *body,
                    size_t len);

#endif
