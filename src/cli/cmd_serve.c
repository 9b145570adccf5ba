/* cmd_serve.c — tenantd serve [--demo]. */
#include <malloc.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/api.h"
#include "api/throttle.h"
#include "auth/password.h"
#include "cli/cli.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "jobs/jobs.h"
#include "ops/ops.h"
#include "usage/usage.h"

#define DEMO_SLUG "demo"
#define DEMO_ADMIN "admin@demo.test"

/* Creates the demo tenant with sample rows unless it exists; prints its
 * admin's generated password once. */
static int ensure_demo(td_platform_t *p) {
    td_arena_t *a = td_arena_new(0);
    td_op_t op = td_cli_op(p, a);
    char pw[21];
    int created = 0, rc = TD_EXIT_OK;
    td_password_generate(pw, sizeof(pw));
    if (td_op_demo_tenant(&op, DEMO_SLUG, DEMO_ADMIN, pw, &created)) {
        td_cli_error("cannot create the demo tenant: %s", op.err.detail);
        rc = TD_EXIT_FAIL;
    } else if (created) {
        printf("demo tenant '%s' created; its admin: %s  password: %s   (shown once)\n",
               DEMO_SLUG, DEMO_ADMIN, pw);
    }
    sodium_memzero(pw, sizeof(pw));
    td_arena_destroy(a);
    return rc;
}

/* glibc's malloc gives freed memory back to the kernel as soon as the top
 * of a heap is free, and serves blocks over 128 KiB from fresh mmaps: a
 * server that parses an 800 KB event batch per request would fault its
 * pages in again on every one (a sixth of the batch's CPU). Keep up to
 * 64 MiB per heap and take request bodies from the heap. */
static void tune_malloc(void) {
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 64 << 20);
    mallopt(M_TOP_PAD, 4 << 20);
}

int td_cmd_serve(td_cli_t *cli) {
    int demo = 0;
    tune_malloc();
    for (int i = 0; i < cli->argc; i++) {
        if (strcmp(cli->argv[i], "--demo") == 0)
            demo = 1;
        else
            return td_cli_usage("serve", "unexpected argument '%.40s'", cli->argv[i]);
    }
    td_platform_t p;
    if (demo) {
        int created;
        char *generated = NULL;
        if (td_cli_init_platform(cli, &p, "root@example.com", NULL, &created, &generated))
            return TD_EXIT_FAIL;
        if (generated) {
            printf("superadmin root@example.com created; password: %s   (shown once)\n",
                   generated);
            fflush(stdout);
            sodium_memzero(generated, strlen(generated));
            free(generated);
        }
        if (ensure_demo(&p)) {
            td_platform_close(&p);
            return TD_EXIT_FAIL;
        }
        fflush(stdout);
    } else if (td_cli_open(cli, &p, 0)) {
        return TD_EXIT_FAIL;
    }

    /* Block the signals before threads start so only sigwait sees them. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    /* accounts: 5 free failures, then doubling delays, at most 100 an hour;
     * addresses: 50 free (offices share one), same caps */
    td_app_t app = {.platform = &p,
                    .revoked = td_revocations_new(),
                    .login_limits = td_limiter_new(5, 100),
                    .ip_limits = td_limiter_new(50, 1000),
                    .tokens = td_token_cache_new(65536),
                    .throttle = td_throttle_new(200000)};
    size_t nroutes;
    const td_route_t *routes = td_api_routes(&nroutes);
    td_http_opts_t o = {
        .listen = cli->cfg.listen,
        .threads = (unsigned)cli->cfg.http_threads,
        .body_max = (size_t)cli->cfg.body_max,
        .upload_max = (size_t)cli->cfg.upload_max,
        .header_max = (unsigned)cli->cfg.header_max,
        .timeout_s = (unsigned)cli->cfg.request_timeout,
        .header_timeout_s = (unsigned)cli->cfg.header_timeout,
        .conn_per_addr = (unsigned)cli->cfg.connections_per_address,
        .routes = routes,
        .nroutes = nroutes,
        .app = &app,
        .before = td_api_before,
        .completed = td_api_usage_completed,
        .workers = (unsigned)cli->cfg.work_threads,
        .io_workers = (unsigned)cli->cfg.io_threads,
        .cors_origins = cli->cfg.cors_origins,
    };
    char err[512] = "";
    td_raise_nofile(); /* before the pool and the HTTP server size themselves from it */
    td_status st = app.revoked && app.login_limits && app.ip_limits ? td_platform_start_pool(&p)
                                                                    : TD_E_NOMEM;
    p.revoked = app.revoked; /* operations that revoke end tokens here at once */
    if (!st)
        st = td_revocations_load(app.revoked, p.catalog, td_now_ms() / 1000);
    if (!st && !(st = td_usage_new(&p, &app.usage))) /* flushed every usage_flush_ms */
        st = td_usage_start(app.usage);
    /* commands that must leave work to the server (tenant move) see it
     * runs; taken before the first request is served */
    int mark = st ? -1 : td_cli_serve_mark(&cli->cfg);
    if (!st && mark < 0) {
        snprintf(err, sizeof(err), "cannot lock %s/serve.lock", cli->cfg.data);
        st = TD_E_IO;
    }
    if (!st)
        st = td_http_start(&o, &app.http, err, sizeof(err));
    td_jobs_opts_t jo = td_jobs_opts(&cli->cfg);
    td_jobs_workers_t *jobs = NULL;
    if (!st && cli->cfg.job_workers > 0 &&
        (st = td_jobs_start(&p, (int)cli->cfg.job_workers, &jo, &jobs)))
        td_http_stop(app.http);
    if (st) {
        td_cli_error("cannot start the server: %s", err[0] ? err : td_status_msg(st));
        td_usage_free(app.usage);
        td_token_cache_free(app.tokens);
        td_revocations_free(app.revoked);
        td_limiter_free(app.login_limits);
        td_limiter_free(app.ip_limits);
    td_throttle_free(app.throttle);
        td_platform_close(&p);
        if (mark >= 0)
            close(mark);
        return TD_EXIT_FAIL;
    }
    char *data = realpath(cli->cfg.data, NULL);
    td_log(TD_LOG_INFO, "tenantd listening", "listen", cli->cfg.listen, "version", TD_VERSION,
           "catalog", td_catalog_dialect(p.catalog), "data", data ? data : cli->cfg.data, NULL);
    if (demo) { /* what a newcomer (make run) needs next */
        printf("\ntenantd is serving http://%s   data: %s   (Ctrl-C stops it)\n"
               "  try: curl http://%s/health   — the README walks through the rest\n\n",
               cli->cfg.listen, data ? data : cli->cfg.data, cli->cfg.listen);
        fflush(stdout);
    }
    free(data);
    int sig = 0;
    sigwait(&set, &sig);
    td_log(TD_LOG_INFO, "tenantd stopping", "signal", sig == SIGINT ? "SIGINT" : "SIGTERM", NULL);
    td_http_stop(app.http);
    td_usage_free(app.usage); /* the last window's counts: SIGTERM loses none */
    td_jobs_stop(jobs);
    td_token_cache_free(app.tokens);
    td_revocations_free(app.revoked);
    td_limiter_free(app.login_limits);
    td_limiter_free(app.ip_limits);
    td_throttle_free(app.throttle);
    if (mark >= 0)
        close(mark);
    td_platform_close(&p);
    return TD_EXIT_OK;
}
