/* plans.c — plans and subscriptions as operations (ops/plans.h): who may,
 * the checks of a plan's fields, the proration of a plan change, the
 * audit record of each change. SQL is catalog/plans.c's. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "audit/audit.h"
#include "common/id.h"
#include "common/text.h"
#include "common/timeutil.h"
#include "ops/ops.h"
#include "ops/plans.h"
#include "services/services.h"

#define DAY_MS (86400LL * 1000)

static td_status bad(td_op_t *op, const char *fmt, const char *arg) {
    return td_op_fail(op, TD_E_INVALID, 400, "invalid_plan", fmt, arg);
}

static int platform_only(td_op_t *op) {
    if (td_actor_platform(&op->actor))
        return 1;
    td_op_fail(op, TD_E_FORBIDDEN, 403, "forbidden", "only platform operators manage plans");
    return 0;
}

static td_status lease(td_op_t *op, td_db_t **db) {
    td_status st = td_catalog_lease(op->platform->catalog, op->arena, db);
    return st ? td_op_fail_status(op, st, "the catalog does not answer") : TD_OK;
}

static td_status not_found(td_op_t *op, td_status st, const char *code) {
    if (st == TD_E_NOTFOUND)
        return td_op_fail(op, st, 404, "plan_not_found", "no plan '%.40s'", code);
    return td_op_fail_status(op, st, NULL);
}

/* Plan codes: ^[a-z][a-z0-9_-]{0,39}$. */
static int code_ok(const char *s) {
    size_t n = s ? strlen(s) : 0;
    if (n < 1 || n > 40 || s[0] < 'a' || s[0] > 'z')
        return 0;
    for (size_t i = 1; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
              s[i] == '_'))
            return 0;
    return 1;
}

/* A limit: a whole number ≥ 0, or null (unlimited) when nullable. */
static td_status read_count(td_op_t *op, json_t *v, const char *key, int nullable, int64_t *out) {
    if (json_is_null(v) && nullable) {
        *out = TD_PLAN_UNLIMITED;
        return TD_OK;
    }
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return bad(op, nullable ? "'%s' must be a whole number of 0 or more, or null (unlimited)"
                                : "'%s' must be a whole number of 0 or more",
                   key);
    *out = json_integer_value(v);
    return TD_OK;
}

/* services: null (every service) or distinct known service names. */
static td_status read_services(td_op_t *op, json_t *v, td_plan_limits_t *l) {
    l->services = NULL;
    l->nservices = 0;
    if (json_is_null(v))
        return TD_OK;
    if (!json_is_array(v) || json_array_size(v) > 32)
        return bad(op, "'%s' must be null (every service) or an array of service names",
                   "services");
    l->services = td_arena_alloc(op->arena, sizeof(char *) * (json_array_size(v) + 1));
    for (size_t i = 0; l->services && i < json_array_size(v); i++) {
        const char *s = json_string_value(json_array_get(v, i));
        if (!s || !td_service_known(s))
            return bad(op, "'services' names a service that does not exist%s", "");
        for (size_t j = 0; j < l->nservices; j++)
            if (!strcmp(l->services[j], s))
                return bad(op, "'services' names a service twice%s", "");
        l->services[l->nservices++] = td_arena_strdup(op->arena, s);
    }
    return l->services ? TD_OK : td_op_fail_status(op, TD_E_NOMEM, NULL);
}

/* One text field: name (1-100 printable), currency (ISO 4217: 3 capital
 * letters), period (month | year). */
static td_status read_text(td_op_t *op, json_t *v, const char *key, const char **out) {
    const char *s = json_string_value(v);
    int ok = s != NULL;
    if (ok && !strcmp(key, "name"))
        ok = *s && strlen(s) <= 100 && td_text_printable_utf8(s);
    else if (ok && !strcmp(key, "currency"))
        ok = strlen(s) == 3 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z' &&
             s[2] >= 'A' && s[2] <= 'Z';
    else if (ok && !strcmp(key, "period"))
        ok = !strcmp(s, "month") || !strcmp(s, "year");
    if (!ok)
        return bad(op, !strcmp(key, "name")       ? "'%s' must be 1 to 100 printable characters"
                       : !strcmp(key, "currency") ? "'%s' must be a currency code like USD"
                                                  : "'%s' must be month or year",
                   key);
    *out = td_arena_strdup(op->arena, s);
    return TD_OK;
}

/* Applies the fields of in to p (code only when creating); 400 on the
 * first problem, nothing applied then. */
static td_status apply(td_op_t *op, json_t *in, td_plan_row_t *p, int creating) {
    if (!json_is_object(in))
        return bad(op, "the plan must be a JSON object%s", "");
    td_plan_row_t q = *p;
    int64_t *counts[] = {&q.price_amount,           &q.limits.max_users,
                         &q.limits.max_api_keys,    &q.limits.requests_per_minute,
                         &q.limits.storage_bytes,   &q.limits.max_rows_per_resource,
                         &q.limits.included_credits};
    static const char *const count_keys[] = {"price_amount",   "max_users",     "max_api_keys",
                                             "requests_per_minute", "storage_bytes",
                                             "max_rows_per_resource", "included_credits"};
    const char **texts[] = {&q.name, &q.currency, &q.period};
    static const char *const text_keys[] = {"name", "currency", "period"};
    const char *k;
    json_t *v;
    json_object_foreach(in, k, v) {
        td_status st = TD_E_NOTFOUND;
        for (size_t i = 0; st == TD_E_NOTFOUND && i < 7; i++)
            if (!strcmp(k, count_keys[i]))
                st = read_count(op, v, k, i > 0 && i < 6, counts[i]);
        for (size_t i = 0; st == TD_E_NOTFOUND && i < 3; i++)
            if (!strcmp(k, text_keys[i]))
                st = read_text(op, v, k, texts[i]);
        if (st == TD_E_NOTFOUND && !strcmp(k, "services"))
            st = read_services(op, v, &q.limits);
        if (st == TD_E_NOTFOUND && !strcmp(k, "code") && creating) {
            q.code = json_string_value(v);
            st = code_ok(q.code) ? TD_OK
                                 : bad(op, "'%s' must match ^[a-z][a-z0-9_-]{0,39}$", "code");
        }
        if (st == TD_E_NOTFOUND)
            return td_op_fail(op, TD_E_INVALID, 400, "unknown_field",
                              "field '%.64s' cannot be set", k);
        if (st)
            return st;
    }
    if (creating && (!q.code || !q.name))
        return bad(op, "'code' and 'name' are required%s", "");
    *p = q;
    return TD_OK;
}

td_status td_op_plan_list(td_op_t *op, td_plan_row_t **out, size_t *n) {
    td_db_t *db;
    *n = 0;
    if (lease(op, &db))
        return op->err.st;
    td_status st = td_cat_plan_list(db, op->arena, out, n);
    return st ? td_op_fail_status(op, st, NULL) : TD_OK;
}

td_status td_op_plan_get(td_op_t *op, const char *code, td_plan_row_t *out) {
    td_db_t *db;
    if (lease(op, &db))
        return op->err.st;
    td_status st = code_ok(code) ? td_cat_plan_get(db, op->arena, code, out) : TD_E_NOTFOUND;
    return st ? not_found(op, st, code) : TD_OK;
}

td_status td_op_plan_create(td_op_t *op, json_t *fields, td_plan_row_t *out) {
    td_db_t *db;
    td_plan_row_t p = {.currency = "USD", .period = "month", .limits = td_plan_unlimited()};
    if (!platform_only(op) || apply(op, fields, &p, 1) || lease(op, &db))
        return op->err.st;
    td_plan_row_t old;
    td_status st = td_cat_plan_get(db, op->arena, p.code, &old);
    if (!st)
        return td_op_fail(op, TD_E_EXISTS, 409, "plan_exists", "plan '%s' exists", p.code);
    st = st == TD_E_NOTFOUND ? td_cat_plan_insert(db, &p) : st;
    if (!st)
        st = td_cat_plan_get(db, op->arena, p.code, out);
    if (st == TD_E_EXISTS)
        return td_op_fail(op, st, 409, "plan_exists", "plan '%s' exists", p.code);
    if (st)
        return td_op_fail_status(op, st, NULL);
    return td_audit_record(op, NULL, NULL, "plan.create", "plans", p.code, "ok", p.name);
}

td_status td_op_plan_update(td_op_t *op, const char *code, json_t *fields, td_plan_row_t *out) {
    td_db_t *db;
    td_plan_row_t p;
    if (!platform_only(op) || td_op_plan_get(op, code, &p) || apply(op, fields, &p, 0) ||
        lease(op, &db))
        return op->err.st;
    td_status st = td_cat_plan_update(db, &p);
    if (!st)
        st = td_cat_plan_get(db, op->arena, code, out);
    if (st)
        return not_found(op, st, code);
    td_tcache_forget_all(op->platform); /* every tenant on it has new limits */
    return td_audit_record(op, NULL, NULL, "plan.update", "plans", code, "ok", NULL);
}

td_status td_op_plan_delete(td_op_t *op, const char *code) {
    td_db_t *db;
    td_plan_row_t p;
    int64_t users = 0;
    if (!platform_only(op) || td_op_plan_get(op, code, &p) || lease(op, &db))
        return op->err.st;
    td_status st = td_cat_plan_tenants(db, code, &users);
    if (!st && users)
        return td_op_fail(op, TD_E_STATE, 409, "plan_in_use",
                          "%lld tenant(s) are on plan %.40s: move them to another plan first",
                          (long long)users, code);
    if (!st)
        st = td_cat_plan_delete(db, code);
    if (st)
        return not_found(op, st, code);
    return td_audit_record(op, NULL, NULL, "plan.delete", "plans", code, "ok", NULL);
}

static json_t *limit_json(int64_t v) { return v < 0 ? json_null() : json_integer(v); }

json_t *td_plan_json(const td_plan_row_t *p) {
    json_t *svc = json_null();
    if (p->limits.services) {
        svc = json_array();
        for (size_t i = 0; i < p->limits.nservices; i++)
            json_array_append_new(svc, json_string(p->limits.services[i]));
    }
    return json_pack("{s:s, s:s, s:I, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:I, s:s?, s:s?}",
                     "code", p->code, "name", p->name, "price_amount",
                     (json_int_t)p->price_amount, "currency", p->currency, "period", p->period,
                     "max_users", limit_json(p->limits.max_users), "max_api_keys",
                     limit_json(p->limits.max_api_keys), "requests_per_minute",
                     limit_json(p->limits.requests_per_minute), "storage_bytes",
                     limit_json(p->limits.storage_bytes), "services", svc,
                     "max_rows_per_resource", limit_json(p->limits.max_rows_per_resource),
                     "included_credits", (json_int_t)p->limits.included_credits, "created_at",
                     p->created_at, "updated_at", p->updated_at);
}

td_status td_op_plan_limit(td_op_t *op, const char *plan, const char *name, int64_t limit,
                           int64_t have) {
    if (limit < 0 || have < limit)
        return TD_OK;
    td_op_fail(op, TD_E_FORBIDDEN, 402, "plan_limit",
               "plan %.40s allows %lld (%s): remove one or change the plan", plan ? plan : "",
               (long long)limit, name);
    snprintf(op->err.limit, sizeof(op->err.limit), "%s", name);
    op->err.allowed = limit;
    return op->err.st;
}
