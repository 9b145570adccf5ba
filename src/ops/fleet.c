/* fleet.c — the fleet's health, checked live: the catalog, every
 * registered database server (connected to as its administrator), and
 * tenant databases (opened, every service pinged, migrations compared) —
 * all of them (tenantd check) or a random sample (the console's fleet
 * page, GET /v1/admin/fleet/health); tenants whose provisioning failed
 * are listed as failed without being opened. Each check reports its wall
 * time. Platform actors only. */
#include <string.h>

#include "ops/ops.h"
#include "common/timeutil.h"

#define PAGE 200

static double since(int64_t t0) { return (double)(td_mono_ns() - t0) / 1e6; }

/* One tenant: failed or provisioning tenants are reported as they stand,
 * live ones opened and checked. */
static void check_tenant(td_op_t *op, td_arena_t *a, const td_tenant_t *t, td_check_cb cb,
                         void *ctx) {
    char err[512] = "";
    int64_t t0 = td_mono_ns();
    td_check_t c = {"tenant", t->row.id, t->row.slug, TD_OK, "healthy", 0};
    if (strcmp(t->row.status, "active") && strcmp(t->row.status, "suspended")) {
        c.st = TD_E_STATE;
        c.detail = td_arena_printf(a, "status %s%s%s", t->row.status, t->row.error ? ": " : "",
                                   t->row.error ? t->row.error : "");
    } else if ((c.st = td_tenant_check(op->platform, a, t, err, sizeof(err))))
        c.detail = td_arena_strdup(a, err[0] ? err : td_status_msg(c.st));
    c.ms = since(t0);
    cb(ctx, &c);
}

/* Every tenant, a page at a time (each page's memory given back). */
static td_status all_tenants(td_op_t *op, const char *status, td_check_cb cb, void *ctx,
                             int *n_out) {
    const char *after = NULL;
    char cursor[TD_ID_LEN + 1];
    td_status st = TD_OK;
    for (;;) {
        td_arena_t *page = td_arena_new(0);
        td_tenant_t *ts;
        size_t n = 0;
        st = page ? td_tenant_list(op->platform, page, status, NULL, after, PAGE, &ts, &n) : TD_E_NOMEM;
        for (size_t i = 0; !st && i < n; i++)
            check_tenant(op, page, &ts[i], cb, ctx);
        *n_out += (int)n;
        if (!st && n == PAGE)
            memcpy(cursor, ts[n - 1].row.id, TD_ID_LEN + 1), after = cursor;
        else
            after = NULL;
        td_arena_destroy(page);
        if (st || !after)
            return st;
    }
}

/* A random sample of n live tenants, then every failed one. */
static td_status sampled(td_op_t *op, int n, td_check_cb cb, void *ctx, int *checked,
                         int64_t *total) {
    td_db_t *db;
    const char **ids;
    size_t k = 0;
    td_status st = td_catalog_lease(op->platform->catalog, op->arena, &db);
    if (!st)
        st = td_cat_tenant_sample(db, op->arena, n, &ids, &k, total);
    for (size_t i = 0; !st && i < k; i++) {
        td_tenant_t t;
        if (td_tenant_find(op->platform, op->arena, ids[i], &t) == TD_OK) /* gone meanwhile: skip */
            check_tenant(op, op->arena, &t, cb, ctx), (*checked)++;
    }
    return st ? st : all_tenants(op, "failed", cb, ctx, checked);
}

td_status td_op_fleet_check(td_op_t *op, int sample, td_check_cb cb, void *ctx,
                            td_fleet_totals_t *out) {
    memset(out, 0, sizeof(*out));
    if (!td_actor_platform(&op->actor))
        return td_op_fail(op, TD_E_FORBIDDEN, 403, "forbidden", "only operators check the fleet");
    int64_t t0 = td_mono_ns();
    td_status st = td_catalog_ping(op->platform->catalog);
    td_check_t c = {"catalog", NULL, td_catalog_dialect(op->platform->catalog), st,
                    st ? td_status_msg(st) : "reachable", since(t0)};
    cb(ctx, &c);
    if (st)
        return TD_OK; /* nothing more can be read: the catalog's failure is the report */
    td_platform_check_servers(op->platform, op->arena, cb, ctx);
    st = sample < 0 ? all_tenants(op, NULL, cb, ctx, &out->tenants_checked)
                    : sampled(op, sample, cb, ctx, &out->tenants_checked, &out->tenants_live);
    if (st)
        return td_op_fail(op, st, 503, "catalog_unavailable", "cannot list the tenants");
    return TD_OK;
}
