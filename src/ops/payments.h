/* payments.h — the payment-provider interface (docs/payments.md): how
 * credits are bought. A provider is a versioned const table of functions,
 * like the storage driver: methods are only ever appended, and callers go
 * through ops/payments.c only. Built in: "manual" (an invoice a superadmin
 * marks paid, or a superadmin's grant) and "test" (a simulated card
 * checkout for consoles and tests). A real provider adds a table here and
 * its row in payments.c's list; its webhooks are verified with an HMAC
 * secret each tenant stores sealed with its data key
 * (td_op_provider_secret_set): the secret is never shown, logged or
 * echoed. */
#ifndef TD_OPS_PAYMENTS_H
#define TD_OPS_PAYMENTS_H

#include <jansson.h>
#include <stddef.h>

#include "catalog/credits.h"

#define TD_PAYMENT_PROVIDER_VERSION 1

typedef struct {
    char code[48];    /* stable code of a refusal ("card_declined") */
    char detail[128]; /* for a human; never the payer's input */
} td_pay_err_t;

typedef struct {
    int version;      /* TD_PAYMENT_PROVIDER_VERSION */
    const char *name; /* "manual", "test", … */

    /* Completes pending checkout c with the payer's input (a JSON object
     * the console sends; the test provider reads "card"): TD_OK = paid;
     * TD_E_RANGE = declined (e says why: the checkout is failed);
     * TD_E_INVALID = input not understood (nothing changes). NULL: the
     * payer cannot complete it (manual: a superadmin marks it paid). */
    td_status (*complete)(const td_checkout_row_t *c, json_t *input, td_pay_err_t *e);

    /* 1 when signature (the webhook's signature header as sent) is the
     * provider's signature of body with secret; 0 otherwise. Constant
     * time. NULL: the provider sends no webhooks. */
    int (*verify_webhook)(const unsigned char *secret, size_t secret_len, const char *body,
                          size_t len, const char *signature);
    /* Reads a verified webhook body: the checkout it is about (*checkout,
     * arena-owned) and whether it was paid (1) or failed (0). TD_E_INVALID
     * for a body it does not understand. */
    td_status (*parse_webhook)(const char *body, size_t len, td_arena_t *a, const char **checkout,
                               int *paid);
} td_payment_provider_t;

/* The provider named name, or NULL. */
const td_payment_provider_t *td_payment_provider(const char *name);

/* HMAC-SHA256 of body with secret as 64 lowercase hex digits, compared in
 * constant time with signature given as "sha256=<hex>": the scheme of the
 * test provider, offered to real providers that sign the same way. */
int td_payment_hmac_verify(const unsigned char *secret, size_t secret_len, const char *body,
                           size_t len, const char *signature);

#endif
