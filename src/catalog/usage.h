/* usage.h — the catalog's usage tables (migration 0006): usage_metrics
 * (tenant × service × hour), service_hourly, the request figures of
 * tenant_stats and service_stats, and api_usage_logs.
 *
 * The request path never calls these: usage/ counts in memory and its
 * flusher hands a batch here, in one transaction of its own. Additions
 * are upserts that add (x = x + excluded.x), so a batch never overwrites
 * what another writer (the outbox drain's writes and rows) put there. */
#ifndef TD_CATALOG_USAGE_H
#define TD_CATALOG_USAGE_H

#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "store/store.h"

/* Counts of one tenant × service × hour, to add. */
typedef struct {
    const char *tenant_id, *service;
    int64_t hour;     /* the hour's first millisecond (UTC) */
    int64_t requests, bytes_in, bytes_out;
    int64_t last_at;  /* the latest request's time (ms) */
} td_usage_row_t;

/* One sampled request of api_usage_logs. */
typedef struct {
    const char *id, *tenant_id, *actor_kind, *actor_id, *method, *route, *request_id;
    int64_t at, duration_us, bytes_in, bytes_out;
    int status;
} td_usage_log_row_t;

/* One bucket of a usage series, summed over the tenants and services
 * asked for. */
typedef struct {
    int64_t start; /* ms */
    int64_t requests, writes, rows_written, bytes_in, bytes_out, storage_bytes;
} td_usage_point_t;

/* Adds rows (sorted by tenant, service, hour: the order rows are locked
 * in) to usage_metrics, service_hourly, tenant_stats (requests,
 * last_request_at) and service_stats (requests), and inserts the logs,
 * in the caller's transaction. */
td_status td_cat_usage_add(td_db_t *db, const td_usage_row_t *rows, size_t n,
                           const td_usage_log_row_t *logs, size_t nlogs);
/* Sets storage_bytes of hour for every tenant × service from the drain's
 * tenant_service_stats.bytes (read only); *n rows written. */
td_status td_cat_usage_storage(td_db_t *db, int64_t hour, int64_t *n);
/* Deletes api_usage_logs rows older than logs_before and usage_metrics
 * and service_hourly hours before hours_before (ms); the counts. */
td_status td_cat_usage_prune(td_db_t *db, int64_t logs_before, int64_t hours_before,
                             int64_t *nlogs, int64_t *nhours);
/* The hours in [from, to) that have a row, summed over every tenant (or
 * tenant_id) and service (or service), oldest first; at most max points
 * (arena-owned). */
td_status td_cat_usage_series(td_db_t *db, td_arena_t *a, const char *tenant_id,
                              const char *service, int64_t from, int64_t to, size_t max,
                              td_usage_point_t **out, size_t *n);

#endif
