/* payments.c — buying credits: the built-in payment providers ("manual",
 * "test"), and the purchase operations over the provider interface
 * (payments.h): start a checkout, complete it (the payer's input, the
 * test provider's card), mark a manual invoice paid, a provider's signed
 * webhook, and the tenant's sealed webhook secret. A checkout that is
 * paid grants its credits in the same transaction that moves it to paid
 * (ledger key checkout:<id>): a repeat, a webhook after a completion, or
 * two at once, grant once. Audited: credits.purchase (the checkout),
 * credits.purchase_paid (the ledger row), credits.purchase_failed,
 * credits.provider_secret. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "audit/audit.h"
#include "common/id.h"
#include "common/text.h"
#include "ops/credits.h"
#include "ops/payments.h"
#include "secrets/secrets.h"
#include "tenancy/tenancy_int.h"

#define PURPOSE_WEBHOOK "payment-webhook" /* td_seal purpose of a webhook secret */
#define TEST_CARD_OK "4242424242424242"
#define TEST_CARD_DECLINED "4000000000000002"

/* ---- the built-in providers ---- */

int td_payment_hmac_verify(const unsigned char *secret, size_t secret_len, const char *body,
                           size_t len, const char *signature) {
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    char hex[2 * sizeof(mac) + 1];
    crypto_auth_hmacsha256_state s;
    if (!signature || strncmp(signature, "sha256=", 7) || strlen(signature + 7) != 64)
        return 0;
    crypto_auth_hmacsha256_init(&s, secret, secret_len);
    crypto_auth_hmacsha256_update(&s, (const unsigned char *)body, len);
    crypto_auth_hmacsha256_final(&s, mac);
    sodium_bin2hex(hex, sizeof(hex), mac, sizeof(mac));
    return sodium_memcmp(hex, signature + 7, 64) == 0;
}

/* The test provider's checkout: a known good card pays, a known bad one
 * is declined, anything else is not a test card. */
static td_status test_complete(const td_checkout_row_t *c, json_t *input, td_pay_err_t *e) {
    (void)c;
    const char *card = json_string_value(json_object_get(input, "card"));
    if (card && !strcmp(card, TEST_CARD_OK))
        return TD_OK;
    if (card && !strcmp(card, TEST_CARD_DECLINED)) {
        snprintf(e->code, sizeof(e->code), "card_declined");
        snprintf(e->detail, sizeof(e->detail), "the card was declined");
        return TD_E_RANGE;
    }
    snprintf(e->code, sizeof(e->code), "invalid_card");
    snprintf(e->detail, sizeof(e->detail),
             "'card' must be a test card: " TEST_CARD_OK " pays, " TEST_CARD_DECLINED
             " is declined");
    return TD_E_INVALID;
}

/* The test provider's webhook: {"checkout": id, "status": "paid"|"failed"}. */
static td_status test_parse_webhook(const char *body, size_t len, td_arena_t *a,
                                    const char **checkout, int *paid) {
    json_error_t err;
    json_t *o = json_loadb(body, len, JSON_REJECT_DUPLICATES, &err);
    const char *id = json_string_value(json_object_get(o, "checkout"));
    const char *status = json_string_value(json_object_get(o, "status"));
    td_status st = id && status && (!strcmp(status, "paid") || !strcmp(status, "failed"))
                       ? TD_OK
                       : TD_E_INVALID;
    if (!st) {
        *checkout = td_arena_strdup(a, id);
        *paid = !strcmp(status, "paid");
    }
    json_decref(o);
    return st;
}

static const td_payment_provider_t manual_provider = {TD_PAYMENT_PROVIDER_VERSION, "manual",
                                                      NULL, NULL, NULL};
static const td_payment_provider_t test_provider = {TD_PAYMENT_PROVIDER_VERSION, "test",
                                                    test_complete, td_payment_hmac_verify,
                                                    test_parse_webhook};
static const td_payment_provider_t *const providers[] = {&manual_provider, &test_provider};

const td_payment_provider_t *td_payment_provider(const char *name) {
    for (size_t i = 0; name && i < sizeof(providers) / sizeof(providers[0]); i++)
        if (!strcmp(providers[i]->name, name))
            return providers[i];
    return NULL;
}

/* ---- operations ---- */

/* A live tenant (by slug or id) into *t. */
static td_status find_tenant(td_op_t *op, const char *key, td_tenant_t *t) {
    td_status st = key ? td_tenant_find(op->platform, op->arena, key, t) : TD_E_NOTFOUND;
    if (st == TD_E_NOTFOUND || (!st && !strcmp(t->row.status, "deleted")))
        return td_op_fail(op, TD_E_NOTFOUND, 404, "tenant_not_found", "no such tenant");
    return st ? td_op_fail(op, st, 503, "catalog_unavailable", "the catalog is not reachable")
              : TD_OK;
}

static td_status lease(td_op_t *op, td_db_t **db) {
    td_status st = td_catalog_lease(op->platform->catalog, op->arena, db);
    return st ? td_op_fail(op, st, 503, "catalog_unavailable", "the catalog does not answer")
              : TD_OK;
}

/* The provider of that name as this server offers it: the test provider
 * (cards that always pay) only where TENANTD_PAYMENTS_TEST=1 — anywhere
 * else a tenant admin would buy itself credits for nothing. */
static const td_payment_provider_t *offered(td_op_t *op, const char *name) {
    const td_payment_provider_t *p = td_payment_provider(name);
    return p && (strcmp(p->name, "test") || op->platform->cfg->payments_test) ? p : NULL;
}

static const td_payment_provider_t *provider_named(td_op_t *op, const char *name) {
    const td_payment_provider_t *p = offered(op, name);
    if (!p)
        td_op_fail(op, TD_E_INVALID, 400, "invalid_provider",
                   "'provider' must be manual or test");
    return p;
}

td_status td_op_credits_purchase(td_op_t *op, const char *tenant, const char *provider,
                                 int64_t credits, td_checkout_row_t *out) {
    td_tenant_t t;
    td_db_t *db;
    if (find_tenant(op, tenant, &t) || !td_op_tenant_admin(op, t.row.id) ||
        !provider_named(op, provider))
        return op->err.st;
    if (credits < 1 || credits > TD_CREDITS_MAX)
        return td_op_fail(op, TD_E_INVALID, 400, "invalid_credits",
                          "'credits' must be a whole number from 1 to %lld", TD_CREDITS_MAX);
    char *id = td_arena_alloc(op->arena, TD_ID_LEN + 1);
    if (!id)
        return td_op_fail_status(op, TD_E_NOMEM, NULL);
    td_id_new(id);
    td_checkout_row_t c = {.id = id, .tenant_id = t.row.id, .provider = provider,
                           .credits = credits, .status = "pending",
                           .created_by = op->actor.id ? op->actor.id
                                                      : td_actor_kind_name(op->actor.kind)};
    td_status st = lease(op, &db) ? op->err.st : td_cat_checkout_insert(db, &c);
    if (!st)
        st = td_cat_checkout_get(db, op->arena, NULL, id, out);
    if (st)
        return op->err.st ? op->err.st
                          : td_op_fail(op, st, 503, "catalog_unavailable",
                                       "the checkout was not recorded");
    return td_audit_record(op, t.row.id, NULL, "credits.purchase", "credit_checkouts", id, "ok",
                           provider);
}

td_status td_op_checkout_get(td_op_t *op, const char *tenant, const char *id,
                             td_checkout_row_t *out) {
    td_tenant_t t;
    td_db_t *db;
    if (tenant ? (find_tenant(op, tenant, &t) || !td_op_tenant_admin(op, t.row.id))
               : !td_actor_platform(&op->actor))
        return op->err.st ? op->err.st
                          : td_op_fail(op, TD_E_FORBIDDEN, 403, "forbidden",
                                       "only platform operators may do this");
    if (lease(op, &db))
        return op->err.st;
    td_status st = td_id_valid(id) ? td_cat_checkout_get(db, op->arena, tenant ? t.row.id : NULL,
                                                         id, out)
                                   : TD_E_NOTFOUND;
    if (st == TD_E_NOTFOUND)
        return td_op_fail(op, st, 404, "checkout_not_found", "no such checkout");
    return st ? td_op_fail(op, st, 503, "catalog_unavailable", "the catalog does not answer")
              : TD_OK;
}

/* Inside the grant's transaction: the checkout moves from pending to
 * paid, or nothing happens (409 invalid_state: it is paid or failed). */
typedef struct {
    td_op_t *op;
    const td_checkout_row_t *c;
    const char *tx_id;
} paid_ctx_t;

static td_status mark_paid(td_db_t *db, void *ctx_) {
    paid_ctx_t *x = ctx_;
    td_status st = td_cat_checkout_finish(db, x->c->id, "paid", NULL, x->tx_id);
    if (st == TD_E_STATE)
        td_op_fail(x->op, st, 409, "invalid_state", "the checkout is not pending");
    return st;
}

/* Pays checkout c: its credits granted (reason purchase, reference its
 * id) with its move to paid; *out the checkout after. */
static td_status pay(td_op_t *op, const td_checkout_row_t *c, td_checkout_row_t *out) {
    char *tx_id = td_arena_alloc(op->arena, TD_ID_LEN + 1), *key = td_arena_alloc(op->arena, 64);
    if (!tx_id || !key)
        return td_op_fail_status(op, TD_E_NOMEM, NULL);
    td_id_new(tx_id);
    snprintf(key, 64, "checkout:%s", c->id);
    paid_ctx_t x = {op, c, tx_id};
    td_credit_tx_t tx = {.id = tx_id, .tenant_id = c->tenant_id, .delta = c->credits,
                         .reason = "purchase", .reference = c->id, .idem_key = key};
    if (td_credits_change(op, &tx, "credits.purchase_paid", NULL, mark_paid, &x))
        return op->err.st;
    td_db_t *db;
    td_status st = lease(op, &db) ? op->err.st : td_cat_checkout_get(db, op->arena, NULL, c->id, out);
    return st && !op->err.st ? td_op_fail(op, st, 503, "catalog_unavailable", "read again") : st;
}

/* Marks c failed (why: a provider's code) and records it. */
static td_status fail_checkout(td_op_t *op, const td_checkout_row_t *c, const char *why,
                               td_checkout_row_t *out) {
    td_db_t *db;
    if (lease(op, &db))
        return op->err.st;
    td_status st = td_cat_checkout_finish(db, c->id, "failed", why, NULL);
    if (st == TD_E_STATE)
        return td_op_fail(op, st, 409, "invalid_state", "the checkout is not pending");
    if (!st)
        st = td_cat_checkout_get(db, op->arena, NULL, c->id, out);
    if (st)
        return td_op_fail(op, st, 503, "catalog_unavailable", "the catalog does not answer");
    return td_audit_record(op, c->tenant_id, NULL, "credits.purchase_failed", "credit_checkouts",
                           c->id, "failed", why);
}

td_status td_op_checkout_complete(td_op_t *op, const char *tenant, const char *id,
                                  json_t *input, td_checkout_row_t *out) {
    td_checkout_row_t c;
    if (td_op_checkout_get(op, tenant, id, &c))
        return op->err.st;
    const td_payment_provider_t *p = offered(op, c.provider);
    if (!p || !p->complete)
        return td_op_fail(op, TD_E_STATE, 409, "invalid_state",
                          "a %s checkout is completed by a superadmin marking it paid",
                          c.provider);
    if (strcmp(c.status, "pending"))
        return td_op_fail(op, TD_E_STATE, 409, "invalid_state", "the checkout is %s", c.status);
    td_pay_err_t e = {0};
    td_status st = p->complete(&c, input, &e);
    if (st == TD_E_RANGE) {
        if (fail_checkout(op, &c, e.code, out))
            return op->err.st;
        return td_op_fail(op, st, 402, e.code, "%s", e.detail);
    }
    if (st)
        return td_op_fail(op, TD_E_INVALID, 400, e.code[0] ? e.code : "invalid_request", "%s",
                          e.detail);
    return pay(op, &c, out);
}

td_status td_op_checkout_mark_paid(td_op_t *op, const char *id, td_checkout_row_t *out) {
    td_checkout_row_t c;
    if (td_op_checkout_get(op, NULL, id, &c))
        return op->err.st;
    if (strcmp(c.provider, "manual"))
        return td_op_fail(op, TD_E_STATE, 409, "invalid_state",
                          "only manual checkouts (invoices) are marked paid by hand");
    if (strcmp(c.status, "pending"))
        return td_op_fail(op, TD_E_STATE, 409, "invalid_state", "the checkout is %s", c.status);
    return pay(op, &c, out);
}

static const char *secret_owner(td_op_t *op, const char *tenant_id, const char *provider) {
    size_t n = strlen(tenant_id) + strlen(provider) + 2;
    char *s = td_arena_alloc(op->arena, n);
    if (s)
        snprintf(s, n, "%s/%s", tenant_id, provider);
    return s;
}

td_status td_op_provider_secret_set(td_op_t *op, const char *tenant, const char *provider,
                                    const char *secret) {
    td_tenant_t t;
    td_key_t key;
    td_db_t *db;
    const td_payment_provider_t *p;
    if (find_tenant(op, tenant, &t) || !td_op_tenant_admin(op, t.row.id) ||
        !(p = provider_named(op, provider)))
        return op->err.st;
    if (!p->verify_webhook)
        return td_op_fail(op, TD_E_INVALID, 400, "invalid_provider",
                          "the %s provider sends no webhooks", provider);
    size_t n = secret ? strlen(secret) : 0;
    if (n < 16 || n > 256 || !td_text_printable_utf8(secret))
        return td_op_fail(op, TD_E_INVALID, 400, "invalid_secret",
                          "'secret' is 16 to 256 printable characters");
    const char *owner = secret_owner(op, t.row.id, provider);
    char *sealed = NULL;
    td_status st = owner ? td_platform_unwrap(op->platform, op->arena, t.row.id,
                                              t.row.wrapped_key, &key)
                         : TD_E_NOMEM;
    if (!st) {
        st = td_seal(op->arena, &key, owner, PURPOSE_WEBHOOK, secret, n, &sealed);
        sodium_memzero(&key, sizeof(key));
    }
    if (!st && !lease(op, &db))
        st = td_cat_provider_secret_put(db, t.row.id, provider, sealed);
    if (st || op->err.st)
        return op->err.st ? op->err.st
                          : td_op_fail(op, st, 503, "catalog_unavailable",
                                       "the secret was not stored");
    return td_audit_record(op, t.row.id, NULL, "credits.provider_secret",
                           "payment_provider_secrets", provider, "ok", NULL);
}

/* The tenant's webhook secret for provider, opened (arena memory the
 * caller wipes). 404 provider_secret_not_set. */
static td_status open_secret(td_op_t *op, const td_tenant_t *t, const char *provider,
                             unsigned char **secret, size_t *n) {
    td_db_t *db;
    const char *sealed = NULL;
    td_key_t key;
    if (lease(op, &db))
        return op->err.st;
    td_status st = td_cat_provider_secret_get(db, op->arena, t->row.id, provider, &sealed);
    if (st == TD_E_NOTFOUND)
        return td_op_fail(op, st, 404, "provider_secret_not_set",
                          "this tenant has no webhook secret for the provider");
    const char *owner = st ? NULL : secret_owner(op, t->row.id, provider);
    if (!st)
        st = owner ? td_platform_unwrap(op->platform, op->arena, t->row.id, t->row.wrapped_key,
                                        &key)
                   : TD_E_NOMEM;
    if (!st) {
        st = td_open(op->arena, &key, owner, PURPOSE_WEBHOOK, sealed, secret, n);
        sodium_memzero(&key, sizeof(key));
    }
    return st ? td_op_fail(op, st, 503, "catalog_unavailable", "the secret does not open") : TD_OK;
}

td_status td_op_payment_webhook(td_op_t *op, const char *provider, const char *tenant,
                                const char *body, size_t len, const char *signature,
                                td_checkout_row_t *out) {
    td_tenant_t t;
    const td_payment_provider_t *p = offered(op, provider);
    unsigned char *secret = NULL;
    size_t n = 0;
    if (!p || !p->verify_webhook)
        return td_op_fail(op, TD_E_NOTFOUND, 404, "invalid_provider", "no such provider");
    if (find_tenant(op, tenant, &t) || open_secret(op, &t, provider, &secret, &n))
        return op->err.st;
    int ok = p->verify_webhook(secret, n, body, len, signature);
    sodium_memzero(secret, n);
    if (!ok)
        return td_op_fail(op, TD_E_AUTH, 401, "invalid_signature",
                          "the webhook's signature does not verify");
    const char *id = NULL;
    int paid = 0;
    td_checkout_row_t c;
    td_db_t *db;
    if (p->parse_webhook(body, len, op->arena, &id, &paid))
        return td_op_fail(op, TD_E_INVALID, 400, "invalid_request", "the webhook is not understood");
    td_status st = !td_id_valid(id) ? TD_E_NOTFOUND
                   : lease(op, &db) ? op->err.st
                                    : td_cat_checkout_get(db, op->arena, t.row.id, id, &c);
    if (st == TD_E_NOTFOUND)
        return td_op_fail(op, st, 404, "checkout_not_found", "no such checkout");
    if (st)
        return op->err.st ? op->err.st : td_op_fail_status(op, st, NULL);
    if (strcmp(c.provider, provider) || strcmp(c.status, "pending")) {
        *out = c; /* a repeat, or news of a finished checkout: nothing to do */
        return TD_OK;
    }
    return paid ? pay(op, &c, out) : fail_checkout(op, &c, "provider_failed", out);
}

json_t *td_checkout_json(const td_checkout_row_t *c) {
    return json_pack("{s:s, s:s, s:s, s:I, s:s, s:s?, s:s?, s:s?, s:s, s:s}", "id", c->id,
                     "tenant_id", c->tenant_id, "provider", c->provider, "credits",
                     (json_int_t)c->credits, "status", c->status, "error", c->error,
                     "transaction_id", c->transaction_id, "created_by", c->created_by,
                     "created_at", c->created_at, "updated_at", c->updated_at);
}
