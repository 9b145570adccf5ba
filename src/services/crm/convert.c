/* convert.c — crm: a lead becomes a customer and a deal, all or nothing.
 * The lead is read locked, the customer and deal are created through the
 * engine (validated, with outbox rows), and the lead is marked converted
 * with links to both; any failure rolls the whole conversion back. */
#include <string.h>

#include "services/modules.h"
#include "services/services.h"

typedef struct {
    const char *lead_id;
    json_t *body, **out;
} convert_t;

static td_status convert(const td_res_ctx_t *c, void *arg, td_res_err_t *e) {
    convert_t *a = arg;
    const char *lead_id = a->lead_id;
    json_t *body = a->body, **out = a->out;
    static const char *const allowed[] = {"deal_title", "amount", "currency", "customer_name"};
    const td_resource_t *leads = td_service_resource("crm", "leads");
    const td_resource_t *customers = td_service_resource("crm", "customers");
    const td_resource_t *deals = td_service_resource("crm", "deals");
    if (!leads || !customers || !deals)
        return td_res_fail(e, TD_E_NOTFOUND, "not_found", "crm is not complete");
    const char *k;
    json_t *v;
    json_object_foreach(body, k, v) {
        size_t i = 0;
        while (i < 4 && strcmp(allowed[i], k))
            i++;
        if (i == 4)
            return td_res_fail(e, TD_E_INVALID, "unknown_field", "field '%.64s' is not taken",
                               k);
    }
    json_t *lead = NULL, *cust = NULL, *deal = NULL, *after = NULL;
    td_status rc = td_res_read_locked(c, leads, lead_id, &lead, e);
    const char *status = json_string_value(json_object_get(lead, "status"));
    if (!rc && status && !strcmp(status, "converted"))
        rc = td_res_fail(e, TD_E_STATE, "already_converted", "this lead was converted already");
    if (!rc) {
        json_t *name = json_object_get(body, "customer_name");
        if (!name)
            name = json_is_string(json_object_get(lead, "company"))
                       ? json_object_get(lead, "company")
                       : json_object_get(lead, "name");
        json_t *cb = json_pack("{s:O}", "name", name);
        json_t *email = json_object_get(lead, "email"), *phone = json_object_get(lead, "phone");
        if (json_is_string(email))
            json_object_set(cb, "email", email);
        if (json_is_string(phone))
            json_object_set(cb, "phone", phone);
        rc = td_res_insert(c, customers, cb, 0, &cust, e);
        json_decref(cb);
    }
    if (!rc) {
        json_t *title = json_object_get(body, "deal_title");
        json_t *db = json_pack("{s:O}", "customer_id", json_object_get(cust, "id"));
        if (title)
            json_object_set(db, "title", title);
        else
            json_object_set_new(db, "title", json_pack("s+", json_string_value(
                                                          json_object_get(cust, "name")),
                                                      " deal"));
        if (json_object_get(body, "amount"))
            json_object_set(db, "amount", json_object_get(body, "amount"));
        if (json_object_get(body, "currency"))
            json_object_set(db, "currency", json_object_get(body, "currency"));
        rc = td_res_insert(c, deals, db, 0, &deal, e);
        json_decref(db);
    }
    if (!rc) {
        json_t *lb = json_pack("{s:s, s:O, s:O}", "status", "converted", "converted_customer_id",
                               json_object_get(cust, "id"), "converted_deal_id",
                               json_object_get(deal, "id"));
        rc = td_res_patch(c, leads, lead_id, lb, TD_W_TRUSTED, NULL, &after, e);
        json_decref(lb);
    }
    if (!rc && !(*out = json_pack("{s:O, s:O, s:O}", "lead", after, "customer", cust, "deal",
                                  deal)))
        rc = TD_E_NOMEM;
    json_decref(lead);
    json_decref(cust);
    json_decref(deal);
    json_decref(after);
    return rc;
}

td_status td_crm_convert_lead(const td_res_ctx_t *c, const char *lead_id, json_t *body,
                              json_t **out, td_res_err_t *e) {
    *out = NULL;
    convert_t a = {lead_id, body, out};
    td_status rc = td_res_txn(c, convert, &a, e);
    if (rc) {
        json_decref(*out);
        *out = NULL;
    }
    return rc;
}
