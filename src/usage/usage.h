/* usage.h — usage metering (issue 10 §5): what each tenant's requests
 * cost, per tenant × service × hour, without a catalog write per request.
 *
 * The request path calls td_usage_count (through api/'s completed hook):
 * it adds the request to an in-memory aggregate sharded by the tenant's
 * id (a mutex per shard, no allocation when the tenant × service × hour
 * is already there) and keeps 1 request in usage_log_sample for the
 * sampled log. A flusher thread writes the aggregate to the catalog every
 * usage_flush_ms in one transaction, and td_usage_free flushes once more
 * (SIGTERM loses nothing; a crash loses at most one window: usage is
 * best-effort metering). The roll-up job (usage.rollup) records storage
 * and prunes; td_usage_report answers the usage routes and the CLI. */
#ifndef TD_USAGE_H
#define TD_USAGE_H

#include <jansson.h>
#include <stdint.h>

#include "catalog/usage.h"
#include "jobs/jobs.h"
#include "ops/op.h"

typedef struct td_usage td_usage_t;

/* One answered request, as the request path sees it. Strings are
 * borrowed for the call (copied when kept); method and route must be
 * static (the route table's pattern, never the raw path). */
typedef struct {
    const char *tenant_id;  /* the tenant charged */
    const char *service;    /* a service, "auth" or "platform" */
    const char *actor_kind, *actor_id; /* the principal ("user", "api_key", "superadmin") */
    const char *method, *route, *request_id;
    int status;
    int64_t at_ms, duration_us, bytes_in, bytes_out;
} td_usage_hit_t;

/* A new aggregate for p (its catalog and its usage_* settings); *out is
 * freed with td_usage_free. No thread yet. */
td_status td_usage_new(td_platform_t *p, td_usage_t **out);
/* Starts the flusher thread (every usage_flush_ms). */
td_status td_usage_start(td_usage_t *u);
/* Stops the flusher, flushes what is left, frees u. NULL is ok. */
void td_usage_free(td_usage_t *u);
/* Adds one request. Safe from any thread; never touches the catalog. */
void td_usage_count(td_usage_t *u, const td_usage_hit_t *h);
/* Writes what was counted since the last flush to the catalog in one
 * transaction. On failure the counts go back into the aggregate (the next
 * flush tries again) and the sampled rows are dropped. */
td_status td_usage_flush(td_usage_t *u);

/* ---- the report (report.c): GET /v1/admin/usage, GET /v1/usage, CLI ---- */
typedef struct {
    const char *tenant;  /* id or slug; NULL = every tenant (platform actors only) */
    const char *service; /* NULL = every service */
    const char *from, *to; /* RFC 3339 or dates; NULL = the last 24 hours */
    const char *bucket;  /* "hour" (default) or "day" */
} td_usage_query_t;

typedef struct {
    const char *tenant_id;  /* NULL = every tenant */
    const char *service;
    const char *bucket;
    int64_t from, to;       /* ms, [from, to) */
    td_usage_point_t *items; /* buckets with any figure, oldest first */
    size_t n;
    td_usage_point_t totals; /* storage_bytes: the highest bucket's */
} td_usage_report_t;

/* The usage of a tenant (or of all, for platform actors) per bucket.
 * Superadmins, the CLI and the system see any tenant; a tenant's admin
 * (user or API key) only its own (a tenant given by one is refused).
 * 400 invalid_filter (bad bucket, time, service or a range over 400
 * days), 403 forbidden, 404 tenant_not_found. Arena-owned result. */
td_status td_usage_report(td_op_t *op, const td_usage_query_t *q, td_usage_report_t *out);
/* The report as the API answers it (new reference). */
json_t *td_usage_report_json(const td_usage_report_t *r);

/* ---- the roll-up job (rollup.c), registered as "usage.rollup" ---- */
td_status td_usage_rollup(td_op_t *op, td_job_t *job);

#endif
