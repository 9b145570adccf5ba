/* provision.c — times td_tenant_create.
 *
 * usage: td_bench_provision N sqlite|postgres DATA_DIR [--customers FILE]
 *
 * Opens a platform on DATA_DIR (created, must be empty or absent), then
 * creates N tenants t000001… with the crm service (auth is implicit) and no
 * first admin (so no argon2 hash is in the measured path), timing each
 * td_tenant_create with CLOCK_MONOTONIC and a fresh arena per tenant.
 * TD_BENCH_SERVICES=a,b replaces crm (an operator's service from
 * TENANTD_SERVICES_DIR too; --customers needs crm).
 * postgres needs TENANTD_TENANT_DB_URL in the environment (the catalog stays
 * SQLite). Prints one summary line; exits 1 on the first failure.
 *
 * Spares (PostgreSQL): with pg_spares > 0 (TENANTD_PG_SPARES, default 4)
 * the server's spare databases are topped up before each tenant, outside
 * the timing — what the pg.spares job of a running server does between
 * provisionings — so the figures are those of a provisioning that finds a
 * spare ready (the first tenant builds the template and finds none).
 * TENANTD_PG_SPARES=0 times the clone made while the caller waits. The
 * line says how many tenants took a spare (spares_taken) and how many
 * cloned (spares_missed).
 *
 * --customers FILE: afterwards (not timed with the tenants), writes one
 * customer into each tenant's crm through the resource engine
 * (td_res_create, as POST /v1/crm/customers would) and writes "slug id"
 * lines to FILE, for the read benchmark's random-tenant wrk script; prints a
 * second line with the time that took. DATA_DIR may be an initialised data
 * folder (tenantd init), so that a superadmin can log in afterwards. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "common/arena.h"
#include "common/config.h"
#include "common/id.h"
#include "common/log.h"
#include "ops/ops.h"
#include "services/engine.h"
#include "services/services.h"
#include "tenancy/tenancy.h"

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted v[0..n). */
static double pct(const double *v, size_t n, double p) {
    size_t k = (size_t)(p / 100.0 * (double)n + 0.999999);
    if (k < 1)
        k = 1;
    if (k > n)
        k = n;
    return v[k - 1];
}

/* Tops up the spare databases of every registered server (as the
 * pg.spares job would); 1 on failure. */
static int fill_spares(td_platform_t *p, long want) {
    td_arena_t *a = td_arena_new(0);
    td_db_t *db = NULL;
    td_server_row_t *rows = NULL;
    size_t n = 0;
    td_status st = a ? td_catalog_lease(p->catalog, a, &db) : TD_E_NOMEM;
    if (!st)
        st = td_cat_server_list(db, a, &rows, &n);
    for (size_t i = 0; !st && i < n; i++) {
        td_place_t pl;
        td_spares_report_t r;
        char err[512] = "";
        st = td_platform_place(p, a, db, rows[i].id, &pl);
        if (!st && (st = td_db_spares_fill(&pl, want, &r, err, sizeof(err))))
            fprintf(stderr, "td_bench_provision: spares: %s: %s\n", td_status_msg(st), err);
    }
    td_arena_destroy(a);
    return st != TD_OK;
}

/* One customer in tenant id (slug) through the resource engine, with the
 * context an operation gives it (td_op_res_open: the bench as a CLI
 * actor, the tenant's database for the op's arena); its id is written to
 * out as "slug id". */
static int add_customer(td_platform_t *p, const char *slug, const char *id, FILE *out) {
    td_arena_t *a = td_arena_new(0);
    json_t *row = NULL;
    td_res_err_t e = {0};
    td_tenant_t t;
    td_res_ctx_t c;
    int rc = 1;
    if (!a)
        return 1;
    td_op_t op = {.platform = p,
                  .actor = {.kind = TD_ACTOR_CLI, .id = "td-bench-provision", .role = "superadmin"},
                  .request_id = "bench",
                  .arena = a};
    const td_resource_t *r = td_service_resource("crm", "customers");
    td_status st = r ? td_tenant_find(p, a, id, &t) : TD_E_NOTFOUND;
    if (!st)
        st = td_op_res_open(&op, &t, "crm", TD_SCOPE_TENANT, &c);
    if (!st) {
        /* Throwaway data: skip the fsyncs of these commits (SQLite tenants
         * attach one file per service; on other backends this just fails). */
        (void)td_db_exec(c.db, "PRAGMA auth.synchronous=OFF; PRAGMA crm.synchronous=OFF");
        char name[64];
        snprintf(name, sizeof(name), "Customer %s", slug);
        json_t *body = json_pack("{s:s, s:s, s:s, s:s}", "name", name, "email",
                                 "info@globex.test", "phone", "+1 555 0100", "website",
                                 "https://globex.test");
        st = body ? td_res_create(&c, r, body, &row, &e) : TD_E_NOMEM;
        json_decref(body);
    }
    const char *cid = row ? json_string_value(json_object_get(row, "id")) : NULL;
    if (!st && cid) {
        fprintf(out, "%s %s\n", slug, cid);
        rc = 0;
    } else {
        fprintf(stderr, "td_bench_provision: customer in %s: %s: %s\n", slug,
                td_status_msg(st ? st : TD_E_INVALID), e.code ? e.code : op.err.detail);
    }
    json_decref(row);
    td_res_err_free(&e);
    td_arena_destroy(a); /* closes the tenant's database (td_op_tenant_db) */
    return rc;
}

int main(int argc, char **argv) {
    const char *customers = NULL;
    if (argc == 6 && strcmp(argv[4], "--customers") == 0)
        customers = argv[5];
    else if (argc != 4)
        argc = 0;
    if (argc == 0 || (strcmp(argv[2], "sqlite") && strcmp(argv[2], "postgres"))) {
        fprintf(stderr,
                "usage: td_bench_provision N sqlite|postgres DATA_DIR [--customers FILE]\n");
        return 2;
    }
    long n = strtol(argv[1], NULL, 10);
    const char *backend = argv[2];
    if (n < 1 || n > 999999) {
        fprintf(stderr, "td_bench_provision: N must be 1..999999\n");
        return 2;
    }
    if (sodium_init() < 0) {
        fprintf(stderr, "td_bench_provision: sodium_init failed\n");
        return 1;
    }

    char err[512] = "";
    td_config_t cfg;
    td_config_defaults(&cfg);
    if (td_config_set(&cfg, "data", argv[3], err, sizeof(err)) ||
        td_config_load_env(&cfg, err, sizeof(err))) {
        fprintf(stderr, "td_bench_provision: config: %s\n", err);
        return 1;
    }
    int lvl = td_log_parse_level(cfg.log);
    td_log_set_level(lvl < 0 ? TD_LOG_WARN : (td_log_level)lvl);
    td_log_set_fd(2);
    if (strcmp(backend, "postgres") == 0 && !cfg.tenant_db_url[0]) {
        fprintf(stderr, "td_bench_provision: postgres needs TENANTD_TENANT_DB_URL\n");
        return 2;
    }

    td_platform_t p;
    memset(&p, 0, sizeof(p));
    td_status st = td_platform_open(&p, &cfg, 1, err, sizeof(err));
    if (st) {
        fprintf(stderr, "td_bench_provision: platform: %s: %s\n", td_status_msg(st), err);
        return 1;
    }

    double *lat = malloc(sizeof(double) * (size_t)n);
    char (*ids)[TD_ID_LEN + 1] = customers ? calloc((size_t)n, TD_ID_LEN + 1) : NULL;
    if (!lat || (customers && !ids)) {
        fprintf(stderr, "td_bench_provision: out of memory\n");
        return 1;
    }
    /* TD_BENCH_SERVICES: the tenants' services (comma-separated, at most
     * 8; an operator's from TENANTD_SERVICES_DIR too); default crm */
    const char *services[8] = {"crm"};
    size_t nsvc = 1;
    char *svc_env = getenv("TD_BENCH_SERVICES") ? strdup(getenv("TD_BENCH_SERVICES")) : NULL;
    if (svc_env) {
        nsvc = 0;
        for (char *save = NULL, *s = strtok_r(svc_env, ",", &save); s && nsvc < 8;
             s = strtok_r(NULL, ",", &save))
            services[nsvc++] = s;
    }
    int rc = 0;
    long spares = strcmp(backend, "postgres") == 0 ? cfg.pg_spares : 0;
    if (strcmp(backend, "postgres") == 0 && spares == 0 && fill_spares(&p, 0)) {
        n = 0; /* spares off: none left from an earlier run either */
        rc = 1;
    }
    double t0 = now_s(), untimed = 0;
    for (long i = 0; i < n; i++) {
        if (spares > 0) { /* outside the timing: the job's work */
            double f0 = now_s();
            if (fill_spares(&p, spares)) {
                rc = 1;
                n = i;
                break;
            }
            untimed += now_s() - f0;
        }
        char slug[16];
        snprintf(slug, sizeof(slug), "t%06ld", i + 1);
        td_tenant_spec_t spec = {.slug = slug, .services = services, .nsvc = nsvc,
                                 .backend = backend};
        td_arena_t *a = td_arena_new(0);
        if (!a) {
            fprintf(stderr, "td_bench_provision: out of memory\n");
            rc = 1;
            break;
        }
        td_tenant_t t;
        err[0] = '\0';
        double s = now_s();
        td_op_t op = {.platform = &p, .actor = {.kind = TD_ACTOR_CLI}, .arena = a};
        st = td_tenant_create(&op, &spec, &t);
        snprintf(err, sizeof(err), "%s", op.err.detail);
        lat[i] = (now_s() - s) * 1000.0;
        if (!st && ids)
            snprintf(ids[i], sizeof(ids[i]), "%s", t.row.id);
        td_arena_destroy(a);
        if (st) {
            fprintf(stderr, "td_bench_provision: tenant %s: %s: %s\n", slug, td_status_msg(st),
                    err);
            n = i;
            rc = 1;
            break;
        }
    }
    double total = now_s() - t0 - untimed;
    uint64_t taken, missed;
    td_db_spares_counts(&taken, &missed);
    struct rusage ru; /* CPU of this process: how much of the wall time is waiting */
    getrusage(RUSAGE_SELF, &ru);

    if (n > 0) {
        /* p50 of the first and the last tenth, before sorting everything:
         * shows whether creation slows down as the catalog grows. */
        size_t tenth = (size_t)n / 10 ? (size_t)n / 10 : 1;
        qsort(lat, tenth, sizeof(double), cmp_double);
        double first_p50 = pct(lat, tenth, 50);
        qsort(lat + (size_t)n - tenth, tenth, sizeof(double), cmp_double);
        double last_p50 = pct(lat + (size_t)n - tenth, tenth, 50);
        qsort(lat, (size_t)n, sizeof(double), cmp_double);
        printf("provision backend=%s count=%ld total_s=%.2f tenants_per_s=%.1f "
               "p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f "
               "first_tenth_p50_ms=%.2f last_tenth_p50_ms=%.2f cpu_user_s=%.2f cpu_sys_s=%.2f "
               "pg_spares=%ld spares_taken=%llu spares_missed=%llu\n",
               backend, n, total, (double)n / total, pct(lat, (size_t)n, 50),
               pct(lat, (size_t)n, 90), pct(lat, (size_t)n, 99), lat[n - 1], first_p50,
               last_p50, (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6,
               (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6, spares,
               (unsigned long long)taken, (unsigned long long)missed);
    }
    free(lat);
    free(svc_env);

    if (customers && rc == 0) {
        FILE *out = fopen(customers, "w");
        if (!out) {
            perror(customers);
            rc = 1;
        }
        double c0 = now_s();
        for (long i = 0; out && i < n; i++) {
            char slug[16];
            snprintf(slug, sizeof(slug), "t%06ld", i + 1);
            if (add_customer(&p, slug, ids[i], out)) {
                rc = 1;
                break;
            }
        }
        if (out && fclose(out))
            rc = 1;
        if (!rc)
            printf("provision customers=%ld customers_s=%.2f (one per tenant, resource engine, "
                   "not in the figures above)\n", n, now_s() - c0);
    }
    free(ids);
    td_platform_close(&p);
    td_config_free(&cfg);
    return rc;
}
