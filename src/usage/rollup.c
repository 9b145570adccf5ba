/* rollup.c — the usage.rollup job (seeded hourly, '5 * * * *', by catalog
 * migration 0008).
 *
 * Step 1 records, for the current hour, each tenant × service's stored
 * bytes (usage_metrics.storage_bytes, from the drain's
 * tenant_service_stats.bytes). Step 2 deletes sampled request logs older
 * than usage_log_retention_days and hourly figures older than
 * usage_retention_days. Both steps are idempotent: storage is set, not
 * added, and a prune deletes only what is past its limit. The request
 * counts themselves are flushed by the serve process (usage.c), not here:
 * this job may run in another process (`tenantd jobs run`). */
#include "catalog/catalog.h"
#include "common/timeutil.h"
#include "usage/usage.h"

#define HOUR_MS 3600000LL
#define DAY_MS (24 * HOUR_MS)

td_status td_usage_rollup(td_op_t *op, td_job_t *job) {
    const td_config_t *cfg = op->platform->cfg;
    int step = td_job_row(job)->step;
    int64_t now = td_now_ms(), n = 0, nlogs = 0, nhours = 0;
    td_db_t *db;
    td_status st = td_catalog_lease(op->platform->catalog, op->arena, &db);
    if (st)
        return td_op_fail(op, st, 503, "catalog_unavailable", "the catalog is not reachable");
    if (step < 1) {
        st = td_cat_usage_storage(db, now - now % HOUR_MS, &n);
        if (!st)
            st = td_job_progress(op, job, 1, 1, 2,
                                 td_arena_printf(op->arena, "storage of %lld tenant services",
                                                 (long long)n),
                                 NULL);
    }
    if (!st && step < 2) {
        st = td_cat_usage_prune(db, now - cfg->usage_log_retention_days * DAY_MS,
                                now - cfg->usage_retention_days * DAY_MS, &nlogs, &nhours);
        if (!st)
            st = td_job_progress(op, job, 2, 2, 2,
                                 td_arena_printf(op->arena, "pruned %lld log rows, %lld hours",
                                                 (long long)nlogs, (long long)nhours),
                                 NULL);
    }
    if (st && st != TD_E_STATE && !op->err.st)
        td_op_fail(op, st, 503, "catalog_unavailable", "usage roll-up: %s", td_status_msg(st));
    return st;
}
