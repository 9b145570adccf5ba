/* health.c — GET /health, GET /ready, GET /metrics, and the fleet's
 * health checked live (GET /v1/admin/fleet/health). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/throttle.h"
#include "audit/audit.h"
#include "common/timeutil.h"

static const char health_body[] = "{\"status\":\"ok\"}";

/* Alive: answers without touching any database, as cheaply as possible. */
void td_api_health(td_req_t *req, void *app) {
    (void)app;
    td_resp_static(req, 200, "application/json", health_body, sizeof(health_body) - 1);
}

/* Ready: the catalog answers a query. */
void td_api_ready(td_req_t *req, void *app) {
    td_app_t *a = app;
    td_status st = td_catalog_ping(a->platform->catalog);
    if (st) {
        td_resp_problem(req, 503, "catalog_unavailable", "Catalog unavailable",
                        "the catalog database does not answer");
        return;
    }
    static const char body[] = "{\"status\":\"ready\",\"catalog\":\"ok\"}";
    td_resp_static(req, 200, "application/json", body, sizeof(body) - 1);
}

/* One family of per-server figures: NAME{server="ID"} VALUE per server. */
typedef struct {
    const char *name, *type, *help;
} family_t;

static unsigned long long figure(const td_pool_server_stats_t *s, int i) {
    switch (i) {
    case 0: return s->open;
    case 1: return s->idle;
    case 2: return s->budget;
    case 3: return s->waiting;
    case 4: return s->waits;
    case 5: return s->busy;
    default: return s->evictions;
    }
}

/* The pool's figures per database server, labelled with the server's id
 * (never its URL). */
static td_status server_metrics(td_pool_t *pool, td_buf_t *b) {
    static const family_t fams[] = {
        {"tenantd_db_server_connections", "gauge",
         "Connections this process holds to the server, leased or idle."},
        {"tenantd_db_server_connections_idle", "gauge", "Idle connections to the server."},
        {"tenantd_db_server_connection_budget", "gauge",
         "Connections this process may hold to the server."},
        {"tenantd_db_server_waiting", "gauge", "Leases waiting in line for the server now."},
        {"tenantd_db_server_waits_total", "counter", "Leases that waited in line for the server."},
        {"tenantd_db_server_busy_total", "counter",
         "Leases that gave up waiting for the server (503 tenant_busy)."},
        {"tenantd_db_server_evictions_total", "counter",
         "Idle connections to the server closed to make room."},
    };
    td_pool_server_stats_t s[64];
    size_t n = td_pool_server_stats(pool, s, sizeof(s) / sizeof(s[0]));
    n = n < sizeof(s) / sizeof(s[0]) ? n : sizeof(s) / sizeof(s[0]);
    td_status st = TD_OK;
    for (size_t f = 0; n && !st && f < sizeof(fams) / sizeof(fams[0]); f++) {
        st = td_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", fams[f].name, fams[f].help,
                           fams[f].name, fams[f].type);
        for (size_t i = 0; !st && i < n; i++)
            st = td_buf_printf(b, "%s{server=\"%s\"} %llu\n", fams[f].name, s[i].server,
                               figure(&s[i], (int)f));
    }
    return st;
}

void td_api_metrics(td_req_t *req, void *app) {
    td_app_t *a = app;
    td_buf_t b;
    td_buf_init(&b, 4 << 20);
    td_status st = td_http_metrics(a->http, &b);
    if (!st && a->platform->pool) {
        td_pool_stats_t ps;
        td_pool_stats(a->platform->pool, &ps);
        st = td_buf_printf(&b,
                           "# HELP tenantd_tenant_db_open Open tenant database handles.\n"
                           "# TYPE tenantd_tenant_db_open gauge\n"
                           "tenantd_tenant_db_open %zu\n"
                           "# HELP tenantd_tenant_db_idle Idle tenant database handles.\n"
                           "# TYPE tenantd_tenant_db_idle gauge\n"
                           "tenantd_tenant_db_idle %zu\n"
                           "# HELP tenantd_tenant_db_max Budget of tenant database handles.\n"
                           "# TYPE tenantd_tenant_db_max gauge\n"
                           "tenantd_tenant_db_max %zu\n"
                           "# HELP tenantd_pool_evictions_total Idle handles closed to make room.\n"
                           "# TYPE tenantd_pool_evictions_total counter\n"
                           "tenantd_pool_evictions_total %llu\n"
                           "# HELP tenantd_pool_hits_total Leases served by an open handle.\n"
                           "# TYPE tenantd_pool_hits_total counter\n"
                           "tenantd_pool_hits_total %llu\n"
                           "# HELP tenantd_pool_misses_total Leases that opened a handle.\n"
                           "# TYPE tenantd_pool_misses_total counter\n"
                           "tenantd_pool_misses_total %llu\n"
                           "# HELP tenantd_pool_waits_total Leases that waited in line for a handle.\n"
                           "# TYPE tenantd_pool_waits_total counter\n"
                           "tenantd_pool_waits_total %llu\n"
                           "# HELP tenantd_pool_busy_total Leases that gave up waiting (503 tenant_busy).\n"
                           "# TYPE tenantd_pool_busy_total counter\n"
                           "tenantd_pool_busy_total %llu\n"
                           "# HELP tenantd_pool_trims_total Idle handles that gave their page cache back.\n"
                           "# TYPE tenantd_pool_trims_total counter\n"
                           "tenantd_pool_trims_total %llu\n",
                           ps.open, ps.idle, ps.max, ps.evictions, ps.hits, ps.misses, ps.waits,
                           ps.busy, ps.trims);
        if (!st)
            st = server_metrics(a->platform->pool, &b);
    }
    if (!st)
        st = td_buf_printf(&b,
                           "# HELP tenantd_audit_drained_total Outbox rows drained into the audit log.\n"
                           "# TYPE tenantd_audit_drained_total counter\n"
                           "tenantd_audit_drained_total %llu\n"
                           "# HELP tenantd_audit_refusals_dropped_total Refusals not audited: the"
                           " buffer was full.\n"
                           "# TYPE tenantd_audit_refusals_dropped_total counter\n"
                           "tenantd_audit_refusals_dropped_total %llu\n",
                           (unsigned long long)td_audit_drained(a->platform),
                           (unsigned long long)td_audit_dropped(a->platform));
    if (!st && a->throttle) {
        td_throttle_stats_t ts;
        td_throttle_stats(a->throttle, &ts);
        st = td_buf_printf(&b,
                           "# HELP tenantd_rate_limited_total Requests refused with 429 rate_limited,"
                           " by the limit that refused them.\n"
                           "# TYPE tenantd_rate_limited_total counter\n"
                           "tenantd_rate_limited_total{by=\"tenant\"} %llu\n"
                           "tenantd_rate_limited_total{by=\"api_key\"} %llu\n"
                           "tenantd_rate_limited_total{by=\"address\"} %llu\n"
                           "# HELP tenantd_rate_limit_buckets Rate-limit buckets held now.\n"
                           "# TYPE tenantd_rate_limit_buckets gauge\n"
                           "tenantd_rate_limit_buckets %zu\n"
                           "# HELP tenantd_rate_limit_untracked_total Requests let through"
                           " because no bucket had room.\n"
                           "# TYPE tenantd_rate_limit_untracked_total counter\n"
                           "tenantd_rate_limit_untracked_total %llu\n",
                           (unsigned long long)atomic_load(&a->limited[0]),
                           (unsigned long long)atomic_load(&a->limited[1]),
                           (unsigned long long)atomic_load(&a->limited[2]), ts.keys,
                           (unsigned long long)ts.untracked);
    }
    if (st)
        td_api_fail(req, st, "cannot render metrics");
    else
        td_resp_bytes(req, 200, "text/plain; version=0.0.4", td_buf_str(&b), b.len);
    td_buf_free(&b);
}

#define FLEET_SAMPLE 20
#define FLEET_SAMPLE_MAX 500

typedef struct {
    td_app_t *app;
    int sample;
} fleet_job_t;

typedef struct {
    json_t *items;
    int failed;
} fleet_ctx_t;

static void fleet_item(void *ctx, const td_check_t *k) {
    fleet_ctx_t *c = ctx;
    c->failed += k->st != TD_OK;
    json_array_append_new(c->items,
                          json_pack("{s:s, s:s?, s:s, s:s, s:s, s:f}", "kind", k->kind, "id",
                                    k->id, "name", k->name, "status", k->st ? "fail" : "ok",
                                    "detail", k->detail, "latency_ms", k->ms));
}

/* On a worker thread: opening tenant databases takes time. */
static void fleet_work(td_req_t *req, void *arg) {
    fleet_job_t *j = arg;
    td_op_t op = td_api_op(req, j->app);
    fleet_ctx_t c = {json_array(), 0};
    td_fleet_totals_t tot;
    if (td_op_fleet_check(&op, j->sample, fleet_item, &c, &tot)) {
        json_decref(c.items);
        td_api_op_fail(req, &op);
        return;
    }
    char now[40];
    td_time_iso(td_now_ms(), now, sizeof(now));
    td_api_send_json(req, 200,
                     json_pack("{s:s, s:b, s:i, s:{s:I, s:i}, s:o}", "checked_at", now, "ok",
                               c.failed == 0, "failed", c.failed, "tenants", "live",
                               (json_int_t)tot.tenants_live, "checked", tot.tenants_checked,
                               "checks", c.items));
}

void td_api_fleet_health(td_req_t *req, void *app) {
    const char *s = td_req_query(req, "sample");
    char *end = NULL;
    long n = s ? strtol(s, &end, 10) : FLEET_SAMPLE;
    if (s && (!*s || *end || n < 0 || n > FLEET_SAMPLE_MAX)) {
        td_resp_problem(req, 400, "invalid_request", "Invalid request",
                        "sample is 0 to 500 tenants");
        return;
    }
    fleet_job_t *j = td_arena_alloc(req->arena, sizeof(*j));
    if (!j) {
        td_api_fail(req, TD_E_NOMEM, NULL);
        return;
    }
    *j = (fleet_job_t){app, (int)n};
    td_req_offload(req, fleet_work, j);
}
