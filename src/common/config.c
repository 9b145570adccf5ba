/* config.c — the configuration table and its loaders. */
#include "common/config.h"

#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

typedef enum { T_STR, T_LONG, T_LOGLEVEL } ctype_t;

typedef struct {
    td_config_row_t row;
    ctype_t type;
    size_t offset; /* into td_config_t */
    long min, max; /* for T_LONG */
} crow_t;

#define S(k, e, d, sec, h) {{#k, e, d, h, sec}, T_STR, offsetof(td_config_t, k), 0, 0}
#define L(k, e, d, lo, hi, h) {{#k, e, #d, h, 0}, T_LONG, offsetof(td_config_t, k), lo, hi}

static const crow_t table[] = {
    S(listen, "TENANTD_LISTEN", "127.0.0.1:8080", 0, "address and port the HTTP server listens on"),
    S(data, "TENANTD_DATA", "./data", 0, "data folder: catalog, master key, SQLite tenant files"),
    S(catalog_url, "TENANTD_CATALOG_URL", "", 1, "catalog database: empty = SQLite in the data folder, or postgres://…"),
    S(tenant_db_url, "TENANTD_TENANT_DB_URL", "", 1, "where new tenants go: empty = SQLite, or a postgres:// server URL"),
    S(master_key, "TENANTD_MASTER_KEY", "", 1, "32-byte master key in base64; empty = read $TENANTD_DATA/master.key"),
    S(base_domain, "TENANTD_BASE_DOMAIN", "", 0, "resolve <slug>.<domain> Host headers to tenants; empty = off"),
    S(cors_origins, "TENANTD_CORS_ORIGINS", "", 0, "origins a browser page may call the API from (CORS): scheme://host[:port], comma-separated, or *; empty = none"),
    {{"log", "TENANTD_LOG", "info", "log level: debug, info, warn, error, off", 0}, T_LOGLEVEL, offsetof(td_config_t, log), 0, 0},
    L(registration, "TENANTD_REGISTRATION", 0, 0, 1, "1 = self-service sign-up at POST /v1/auth/register"),
    L(catalog_connections, "TENANTD_CATALOG_CONNECTIONS", 16, 1, 64, "connections to the catalog this process keeps at most"),
    L(pool_max, "TENANTD_POOL_MAX", 0, 0, 1000000, "open tenant database handles across all tenants; 0 = sized at start from the file descriptors and memory the process may use"),
    L(pool_tenant_max, "TENANTD_POOL_TENANT_MAX", 8, 0, 1000000, "open handles one tenant may hold; its further requests wait for one of them (0 = no limit)"),
    L(pool_trim_ms, "TENANTD_POOL_TRIM_MS", 30000, 0, 3600000, "milliseconds an idle tenant handle keeps its page cache and statements; then they are given back (0 = never)"),
    L(pool_wait_ms, "TENANTD_POOL_WAIT_MS", 5000, 0, 600000, "milliseconds a request waits in line for a tenant database connection before 503 tenant_busy"),
    L(pool_queue_max, "TENANTD_POOL_QUEUE_MAX", 1000, 1, 1000000, "requests waiting in line for one database server at once; more get 503 tenant_busy at once"),
    L(pool_server_reserve, "TENANTD_POOL_SERVER_RESERVE", 10, 0, 100000, "connections of each PostgreSQL tenant server left unused (provisioning, maintenance, monitoring)"),
    L(pool_server_share, "TENANTD_POOL_SERVER_SHARE", 100, 1, 100, "percent of each PostgreSQL tenant server's remaining connections this node may use (100/N for N nodes)"),
    L(pg_spares, "TENANTD_PG_SPARES", 4, 0, 1000, "spare databases cloned ahead per template per PostgreSQL server, so provisioning renames one instead of cloning; 0 = none (existing spares are dropped)"),
    L(http_threads, "TENANTD_HTTP_THREADS", 0, 0, 1024, "HTTP worker threads; 0 = one per core"),
    L(work_threads, "TENANTD_WORK_THREADS", 0, 0, 256, "threads for password hashing, at lower priority; 0 = one per core"),
    L(io_threads, "TENANTD_IO_THREADS", 0, 0, 1024, "threads for writes that wait for their fsync (resource writes, event batches); 0 = 32"),
    L(body_max, "TENANTD_BODY_MAX", 1048576, 1024, 1073741824, "largest request body in bytes (413 above)"),
    L(upload_max, "TENANTD_UPLOAD_MAX", 16777216, 1024, 1073741824, "largest body of an upload route (event batches, media bytes) in bytes"),
    S(services_dir, "TENANTD_SERVICES_DIR", "", 0, "folder of operator-defined service modules (<name>/service.json + migrations); empty = none"),
    L(media_max, "TENANTD_MEDIA_MAX", 10485760, 1, 1073741824, "largest cms media upload in bytes"),
    L(job_workers, "TENANTD_JOB_WORKERS", 1, 0, 64, "job worker threads in tenantd serve, at nice 10; 0 = none"),
    L(job_lease_ms, "TENANTD_JOB_LEASE_MS", 30000, 100, 3600000, "milliseconds a worker holds a job between progress reports; a dead worker's job is picked up after"),
    L(job_backoff_ms, "TENANTD_JOB_BACKOFF_MS", 5000, 1, 3600000, "milliseconds before a failed job's first retry, doubled each attempt (at most an hour)"),
    L(usage_flush_ms, "TENANTD_USAGE_FLUSH_MS", 5000, 100, 3600000, "milliseconds between writes of the request counts (usage) to the catalog; a crash loses at most this much"),
    L(usage_log_sample, "TENANTD_USAGE_LOG_SAMPLE", 100, 0, 1000000, "record 1 request in N in api_usage_logs; 0 = none, 1 = every request"),
    L(usage_log_retention_days, "TENANTD_USAGE_LOG_RETENTION_DAYS", 30, 1, 3650, "days the sampled request log is kept (the usage.rollup job prunes)"),
    L(usage_retention_days, "TENANTD_USAGE_RETENTION_DAYS", 400, 1, 36500, "days of hourly usage figures kept (the usage.rollup job prunes)"),
    L(drain_interval_ms, "TENANTD_DRAIN_INTERVAL_MS", 1000, 50, 3600000, "milliseconds between two drains of the written tenants' outboxes into the audit log and figures (by the job workers)"),
    L(header_max, "TENANTD_HEADER_MAX", 64, 8, 1024, "most headers in one request (431 above)"),
    L(request_timeout, "TENANTD_REQUEST_TIMEOUT", 30, 1, 3600, "seconds an idle connection is kept"),
    L(header_timeout, "TENANTD_HEADER_TIMEOUT", 10, 1, 3600, "seconds a client has to send a whole request head (request line and headers)"),
    L(access_ttl, "TENANTD_ACCESS_TTL", 900, 1, 900, "seconds an access token lives (and the longest lifetime a token may claim)"),
    L(connections_per_address, "TENANTD_CONNECTIONS_PER_ADDRESS", 256, 1, 65535, "concurrent connections from one client address; more are closed at once"),
    L(bring_database, "TENANTD_BRING_DATABASE", 0, 0, 1, "1 = a tenant admin may move its data to a PostgreSQL database of its own in onboarding"),
    L(payments_test, "TENANTD_PAYMENTS_TEST", 0, 0, 1, "1 = the test payment provider (cards that always pay) is offered: for development and tests only"),
    L(rate_limits, "TENANTD_RATE_LIMITS", 1, 0, 1, "1 = requests are rate-limited (plans, API keys, addresses); 0 = no rate limit at all"),
    L(rate_limit_tenant_rpm, "TENANTD_RATE_LIMIT_TENANT_RPM", 0, 0, 100000000, "requests per minute to one tenant when its plan sets none (0 = no limit); more get 429 rate_limited"),
    L(rate_limit_address_rpm, "TENANTD_RATE_LIMIT_ADDRESS_RPM", 0, 0, 100000000, "requests per minute from one client address to /v1 routes (0 = no limit); more get 429 rate_limited"),
};
#define NROWS (sizeof(table) / sizeof(table[0]))

static td_config_row_t rows_view[NROWS];

size_t td_config_rows(const td_config_row_t **rows) {
    for (size_t i = 0; i < NROWS; i++)
        rows_view[i] = table[i].row;
    *rows = rows_view;
    return NROWS;
}

static td_status set_row(td_config_t *cfg, const crow_t *r, const char *value, char *err,
                         size_t errlen) {
    void *field = (char *)cfg + r->offset;
    if (r->type == T_LONG) {
        char *end;
        errno = 0;
        long v = strtol(value, &end, 10);
        if (errno || end == value || *end || v < r->min || v > r->max) {
            snprintf(err, errlen, "%s must be an integer from %ld to %ld", r->row.key, r->min,
                     r->max);
            return TD_E_CONFIG;
        }
        *(long *)field = v;
        return TD_OK;
    }
    if (r->type == T_LOGLEVEL && td_log_parse_level(value) < 0) {
        snprintf(err, errlen, "log must be one of debug, info, warn, error, off");
        return TD_E_CONFIG;
    }
    char *dup = strdup(value);
    if (!dup)
        return TD_E_NOMEM;
    free(*(char **)field);
    *(char **)field = dup;
    return TD_OK;
}

void td_config_defaults(td_config_t *cfg) {
    memset(cfg, 0, sizeof(*cfg));
    char err[128];
    for (size_t i = 0; i < NROWS; i++)
        set_row(cfg, &table[i], table[i].row.def, err, sizeof(err));
}

void td_config_free(td_config_t *cfg) {
    for (size_t i = 0; i < NROWS; i++)
        if (table[i].type != T_LONG) {
            char **f = (char **)((char *)cfg + table[i].offset);
            free(*f);
            *f = NULL;
        }
}

td_status td_config_set(td_config_t *cfg, const char *key, const char *value, char *err,
                        size_t errlen) {
    for (size_t i = 0; i < NROWS; i++)
        if (strcmp(table[i].row.key, key) == 0)
            return set_row(cfg, &table[i], value, err, errlen);
    snprintf(err, errlen, "unknown configuration key '%.64s'", key);
    return TD_E_CONFIG;
}

typedef struct {
    td_config_t *cfg;
    char *err;
    size_t errlen;
    td_status st;
} ini_ctx;

static int on_ini(void *user, const char *section, const char *name, const char *value) {
    ini_ctx *c = user;
    if (c->st)
        return 0;
    if (section[0] && strcmp(section, "tenantd") != 0) {
        snprintf(c->err, c->errlen, "unknown section [%.64s]", section);
        c->st = TD_E_CONFIG;
        return 0;
    }
    c->st = td_config_set(c->cfg, name, value, c->err, c->errlen);
    return c->st == TD_OK;
}

td_status td_config_load_file(td_config_t *cfg, const char *path, char *err, size_t errlen) {
    ini_ctx c = {cfg, err, errlen, TD_OK};
    int rc = ini_parse(path, on_ini, &c);
    if (rc == -1) {
        snprintf(err, errlen, "cannot read config file %.200s: %s", path, strerror(errno));
        return TD_E_CONFIG;
    }
    if (c.st)
        return c.st;
    if (rc != 0) {
        snprintf(err, errlen, "%.200s:%d: syntax error", path, rc);
        return TD_E_CONFIG;
    }
    return TD_OK;
}

td_status td_config_load_env(td_config_t *cfg, char *err, size_t errlen) {
    for (size_t i = 0; i < NROWS; i++) {
        const char *v = getenv(table[i].row.env);
        if (v) {
            td_status st = set_row(cfg, &table[i], v, err, errlen);
            if (st)
                return st;
        }
    }
    return TD_OK;
}
