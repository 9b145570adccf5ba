/* plan.c — what a tenant's plan allows, for the lifecycle (creating a
 * tenant, enabling a service) and the request path (storage). The limits
 * travel on td_tenant_t (read with the tenant, cached with it), so a check
 * on the request path costs no catalog query. */
#include <string.h>

#include "tenancy/tenancy_int.h"

int td_plan_allows_service(const td_plan_limits_t *l, const char *service) {
    if (!l->services || !strcmp(service, "auth"))
        return 1;
    for (size_t i = 0; i < l->nservices; i++)
        if (!strcmp(l->services[i], service))
            return 1;
    return 0;
}

int td_tenant_storage_full(const td_tenant_t *t) {
    return t->limits.storage_bytes >= 0 && t->storage_used >= t->limits.storage_bytes;
}

/* The catalog connection goes back at once: a long operation (an import
 * making many tenants in one arena) must not hold one per tenant. */
td_status td_plan_admits(td_op_t *op, const char *plan, const char *const *services, size_t n) {
    td_db_t *db;
    td_plan_row_t p;
    td_status st = td_catalog_lease(op->platform->catalog, NULL, &db);
    if (st)
        return td_op_fail_status(op, st, "the catalog does not answer");
    st = td_cat_plan_get(db, op->arena, plan, &p);
    td_catalog_release(op->platform->catalog, db);
    if (st == TD_E_NOTFOUND)
        return td_op_fail(op, TD_E_INVALID, 400, "unknown_plan", "no plan '%.40s'", plan);
    if (st)
        return td_op_fail_status(op, st, NULL);
    for (size_t i = 0; i < n; i++)
        if (services[i] && !td_plan_allows_service(&p.limits, services[i]))
            return td_op_fail(op, TD_E_FORBIDDEN, 403, "service_not_in_plan",
                              "plan %.40s does not include service %.40s", plan, services[i]);
    return TD_OK;
}

td_status td_tenant_load_plan(td_db_t *db, td_arena_t *a, td_tenant_t *t) {
    td_plan_row_t p;
    td_status st = t->row.plan ? td_cat_plan_get(db, a, t->row.plan, &p) : TD_E_NOTFOUND;
    t->limits = st ? td_plan_unlimited() : p.limits;
    if (st && st != TD_E_NOTFOUND)
        return st;
    return td_cat_tenant_storage(db, t->row.id, &t->storage_used);
}
