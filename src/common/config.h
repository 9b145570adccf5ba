/* config.h — the configuration table.
 *
 * Every setting is one row of a table (config.c): its file key, its
 * environment variable, type, default, bounds and whether it is a secret.
 * Values are merged defaults < config file < environment < flags; each
 * layer may only set keys of the table. The resolved values live in a
 * td_config_t owned by the caller (one per process). */
#ifndef TD_CONFIG_H
#define TD_CONFIG_H

#include <stddef.h>

#include "common/status.h"

typedef struct {
    char *listen;          /* ADDR:PORT for the HTTP server */
    char *data;            /* data folder */
    char *catalog_url;     /* "" = SQLite catalog.db in the data folder */
    char *tenant_db_url;   /* "" = SQLite; postgres://… = that server */
    char *master_key;      /* secret: base64, or "" = data/master.key */
    char *base_domain;     /* "" = no host-based tenant resolution */
    char *cors_origins;    /* "" = no CORS; "a,b" or "*" */
    char *log;             /* debug|info|warn|error|off */
    long registration;     /* 1 = POST /v1/auth/register open to anyone */
    long catalog_connections; /* the catalog's own connection pool */
    long pool_max;         /* open tenant database handles, all tenants */
    long pool_trim_ms;     /* idle handles give their cache back after this */
    long pool_tenant_max;  /* handles one tenant may hold */
    long pool_wait_ms;     /* longest wait for a tenant connection (then 503 tenant_busy) */
    long pool_queue_max;   /* leases waiting for one server at once (more: 503 at once) */
    long pool_server_reserve; /* connections of each PostgreSQL server left unused */
    long pool_server_share;   /* percent of each server's remaining connections for this node */
    long pg_spares;        /* spare databases per template per PostgreSQL server */
    long http_threads;     /* 0 = one per core */
    long work_threads;     /* slow work (password hashing); 0 = half the cores */
    long io_threads;       /* writes waiting for their fsync; 0 = 32 */
    long body_max;         /* bytes in a request body */
    long upload_max;       /* bytes in the body of an upload route */
    long header_max;       /* headers in a request */
    long request_timeout;  /* seconds a connection may stay idle */
    long header_timeout;   /* seconds to send a whole request head (slowloris) */
    long access_ttl;       /* seconds an access token lives (≤ TD_ACCESS_TTL) */
    long connections_per_address; /* concurrent connections from one client address */
    long rate_limits;            /* 0 = no rate limit at all */
    long bring_database;         /* 1 = onboarding may move a tenant to its own database */
    long payments_test;          /* 1 = the test payment provider is offered */
    long rate_limit_tenant_rpm;  /* requests a minute per tenant without a plan limit; 0 = none */
    long rate_limit_address_rpm; /* requests a minute per client address; 0 = none */
    char *services_dir;    /* operators' service modules; "" = none */
    long media_max;        /* bytes in one cms media upload */
    long job_workers;      /* job worker threads in `serve`; 0 = none */
    long job_lease_ms;     /* a worker's hold on a job, renewed by progress */
    long job_backoff_ms;   /* first retry delay of a failed job (doubles) */
    long usage_flush_ms;   /* request counts flushed to the catalog this often */
    long usage_log_sample; /* 1 request in N into api_usage_logs; 0 = none */
    long usage_log_retention_days; /* sampled request log kept this long */
    long usage_retention_days;     /* hourly usage figures kept this long */
    long drain_interval_ms; /* the job workers' outbox drain tick */
} td_config_t;

/* Fills cfg with the defaults. Strings are malloc'd; td_config_free frees. */
void td_config_defaults(td_config_t *cfg);
void td_config_free(td_config_t *cfg);
/* Sets one key by its file name ("listen", "pool_max"…). Errors: unknown
 * key or value out of bounds (message in err, which never holds the value
 * of a secret key). */
td_status td_config_set(td_config_t *cfg, const char *key, const char *value,
                        char *err, size_t errlen);
/* Reads an INI file (keys at top level or under [tenantd]). */
td_status td_config_load_file(td_config_t *cfg, const char *path, char *err, size_t errlen);
/* Applies every TENANTD_* variable of the table that is set. */
td_status td_config_load_env(td_config_t *cfg, char *err, size_t errlen);

/* Iteration over the table, for documentation checks and `--help`. */
typedef struct {
    const char *key;     /* file key */
    const char *env;     /* environment variable */
    const char *def;     /* default, as text */
    const char *help;    /* one line */
    int secret;          /* 1 = never printed */
} td_config_row_t;
size_t td_config_rows(const td_config_row_t **rows);

#endif
