/* hooks.c — behaviour attached to declared resources, beyond CRUD:
 *   crm.deals        a stage change records an interaction (same transaction)
 *   cms.content_items data is validated against its content type's fields;
 *                     publishing stamps published_at
 *   cms.pages        publishing stamps published_at
 *   cms.media        the type of stored bytes is fixed; a deleted row's file
 *                    goes once the delete has committed
 *   billing.invoice_lines  quantity × unit_amount must fit an amount (the
 *                    line is refused with 422 otherwise, so invoice totals
 *                    summed from lines are computed without overflow)
 * Routes with behaviour of their own (lead conversion, orders, event
 * batches, media bytes) live in the service folders. */
#include <string.h>

#include "common/timeutil.h"
#include "services/engine.h"
#include "services/modules.h"
#include "services/services.h"

static td_status deal_after(const td_res_ctx_t *c, const td_resource_t *r, td_op op, json_t *old,
                            json_t *row, td_res_err_t *e) {
    if (op != TD_OP_UPDATE)
        return TD_OK;
    const char *was = json_string_value(json_object_get(old, "stage"));
    const char *now = json_string_value(json_object_get(row, "stage"));
    if (!was || !now || !strcmp(was, now))
        return TD_OK;
    const td_resource_t *ir = td_service_resource("crm", "interactions");
    if (!ir)
        return TD_OK;
    json_t *body = json_pack("{s:s, s:O, s:O, s:s+++}", "kind", "stage_change", "deal_id",
                             json_object_get(row, "id"), "customer_id",
                             json_object_get(row, "customer_id"), "summary", "stage: ", was,
                             " -> ", now);
    json_t *owner = json_object_get(row, "owner_id");
    if (body && json_is_string(owner))
        json_object_set(body, "owner_id", owner);
    json_t *irow = NULL;
    td_status rc = body ? td_res_insert(c, ir, body, TD_W_TRUSTED, &irow, e) : TD_E_NOMEM;
    json_decref(irow);
    json_decref(body);
    return rc;
}

/* published → published_at stamped (once per move to published) */
static void stamp_published(json_t *old, json_t *values) {
    const char *to = json_string_value(json_object_get(values, "status"));
    const char *from = json_string_value(json_object_get(old, "status"));
    if (to && !strcmp(to, "published") && !(from && !strcmp(from, "published"))) {
        char now[40];
        td_time_iso(td_now_ms(), now, sizeof(now));
        json_object_set_new(values, "published_at", json_string(now));
    }
}

static td_status page_before(const td_res_ctx_t *c, const td_resource_t *r, td_op op, json_t *old,
                             json_t *values, td_res_err_t *e) {
    if (values)
        stamp_published(old, values);
    return TD_OK;
}

static int type_fits(const char *type, json_t *v) {
    if (!type || !strcmp(type, "text"))
        return json_is_string(v);
    if (!strcmp(type, "integer"))
        return json_is_integer(v);
    if (!strcmp(type, "number"))
        return json_is_number(v);
    if (!strcmp(type, "boolean"))
        return json_is_boolean(v);
    return 1; /* json: anything */
}

/* data must follow the content type's "fields": [{"name","type","required"}] */
static td_status item_before(const td_res_ctx_t *c, const td_resource_t *r, td_op op, json_t *old,
                             json_t *values, td_res_err_t *e) {
    if (!values)
        return TD_OK;
    stamp_published(old, values);
    json_t *ctid = json_object_get(values, "content_type_id");
    if (!ctid)
        ctid = json_object_get(old, "content_type_id");
    json_t *data = json_object_get(values, "data");
    if (!data && old && !json_object_get(values, "content_type_id"))
        return TD_OK; /* neither the data nor its type changes */
    if (!data)
        data = json_object_get(old, "data");
    const td_resource_t *tr = td_service_resource("cms", "content_types");
    json_t *type = NULL;
    td_res_ctx_t any = *c;
    any.scope = TD_SCOPE_TENANT; /* content types are shared by the tenant's writers */
    td_status rc = tr && json_is_string(ctid)
                       ? td_res_get(&any, tr, json_string_value(ctid), &type, NULL)
                       : TD_E_NOTFOUND;
    if (rc && rc != TD_E_NOTFOUND) /* the database failed: say so, not "no such type" */
        return td_res_fail(e, rc, "database_error", "the content type could not be read");
    if (rc)
        return td_res_fail(e, TD_E_INVALID, "invalid_reference", "no such content type");
    json_t *fields = json_object_get(type, "fields");
    json_t *errors = json_array();
    if (data && !json_is_null(data) && !json_is_object(data))
        json_array_append_new(errors, json_pack("{s:s,s:s,s:s}", "field", "data", "code",
                                                "invalid_type", "message",
                                                "data is an object"));
    size_t i;
    json_t *f;
    json_array_foreach(fields, i, f) {
        const char *name = json_string_value(json_object_get(f, "name"));
        json_t *v = name ? json_object_get(data, name) : NULL;
        if (!v && json_is_true(json_object_get(f, "required")))
            json_array_append_new(errors, json_pack("{s:s+,s:s,s:s}", "field", "data.",
                                                    name ? name : "?", "code", "required",
                                                    "message", "the content type requires it"));
        else if (v && !type_fits(json_string_value(json_object_get(f, "type")), v))
            json_array_append_new(errors, json_pack("{s:s+,s:s,s:s}", "field", "data.", name,
                                                    "code", "invalid_type", "message",
                                                    "does not match the content type"));
    }
    const char *k;
    json_t *v;
    if (json_is_object(data))
        json_object_foreach(data, k, v) {
            int known = 0;
            json_array_foreach(fields, i, f) {
                const char *fname = json_string_value(json_object_get(f, "name"));
                known |= fname && !strcmp(k, fname);
            }
            if (!known)
                json_array_append_new(errors, json_pack("{s:s+,s:s,s:s}", "field", "data.", k,
                                                        "code", "unknown_field", "message",
                                                        "the content type has no such field"));
        }
    json_decref(type);
    if (json_array_size(errors)) {
        e->errors = errors;
        return td_res_fail(e, TD_E_INVALID, "validation_failed",
                           "data does not follow its content type");
    }
    json_decref(errors);
    return TD_OK;
}

/* Bytes already stored keep the type they were checked against. */
static td_status media_before(const td_res_ctx_t *c, const td_resource_t *r, td_op op,
                              json_t *old, json_t *values, td_res_err_t *e) {
    const char *status = json_string_value(json_object_get(old, "status"));
    json_t *to = json_object_get(values, "content_type");
    if (op != TD_OP_UPDATE || !to || !status || strcmp(status, "stored") ||
        json_equal(to, json_object_get(old, "content_type")))
        return TD_OK;
    e->errors = json_pack("[{s:s, s:s, s:s}]", "field", "content_type", "code", "read_only",
                          "message", "the type is fixed once bytes are stored; upload a new "
                          "media row");
    return td_res_fail(e, TD_E_INVALID, "validation_failed", "1 field is not valid");
}

static void media_deleted(const td_res_ctx_t *c, const td_resource_t *r, json_t *old) {
    td_cms_media_forget(c, old);
}

/* An invoice line's quantity × unit_amount, in int64 and checked, must
 * fit the line's amount field (refused with TD_E_RANGE otherwise). */
static td_status line_before(const td_res_ctx_t *c, const td_resource_t *r, td_op op,
                             json_t *old, json_t *values, td_res_err_t *e) {
    json_t *q = json_object_get(values, "quantity"), *u = json_object_get(values, "unit_amount");
    const char *named = u ? "unit_amount" : "quantity";
    q = q ? q : json_object_get(old, "quantity");
    u = u ? u : json_object_get(old, "unit_amount");
    const td_field_t *af = td_resource_field(r, "amount");
    int64_t product, max = af && af->type == TD_F_INTEGER ? af->imax : TD_INT_SAFE;
    if (!values || !json_is_integer(q) || !json_is_integer(u) ||
        (!__builtin_mul_overflow(json_integer_value(q), json_integer_value(u), &product) &&
         product <= max))
        return TD_OK;
    e->errors = json_pack("[{s:s, s:s, s:s}]", "field", named, "code", "out_of_range",
                          "message", "quantity × unit_amount is beyond what an amount holds");
    return td_res_fail(e, TD_E_RANGE, "validation_failed",
                       "quantity × unit_amount would be beyond %lld", (long long)max);
}

static const td_res_hooks_t k_hooks[] = {
    {"billing", "invoice_lines", line_before, NULL, NULL},
    {"cms", "media", media_before, NULL, media_deleted},
    {"crm", "deals", NULL, deal_after, NULL},
    {"cms", "content_items", item_before, NULL, NULL},
    {"cms", "pages", page_before, NULL, NULL},
};

const td_res_hooks_t *td_res_hooks(const td_resource_t *r) {
    for (size_t i = 0; i < sizeof(k_hooks) / sizeof(k_hooks[0]); i++)
        if (!strcmp(k_hooks[i].service, r->service) && !strcmp(k_hooks[i].resource, r->name))
            return &k_hooks[i];
    return NULL;
}
