/* spares.c — the pg.spares job: keeps spare tenant databases ready on
 * every registered PostgreSQL server (store/postgres_spares.c), so that
 * provisioning renames one instead of cloning a template while the caller
 * waits; and the tick of the worker threads that queues it.
 *
 * The job fills the servers in name order, one step each (the checkpoint
 * is the last server done): an active server keeps pg_spares spares of each
 * of its templates, any other none (its spares are dropped). A fill only
 * tops up and trims, so a step run twice changes nothing. A server that
 * does not answer is logged and passed over; the job then fails at its end,
 * and is retried with backoff.
 *
 * The tick runs before each claim (jobs/worker.c), cheaply: it queues a job
 * (unless one waits already, and only when servers are registered) at the
 * process's first tick (spares left by an earlier run, a changed setting),
 * when this process's provisionings took or missed spares since it last
 * queued one, and every SPARES_CHECK_MS (other processes — another node,
 * `tenantd tenant create` — take spares too). */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "common/timeutil.h"
#include "jobs/jobs.h"
#include "tenancy/tenancy.h"

#define KIND "pg.spares"
#define SPARES_CHECK_MS (10 * 60 * 1000)

/* A server to fill, read from the catalog before any filling starts, so
 * that no catalog connection is held while databases are cloned. */
typedef struct {
    const char *name;
    td_place_t place;
    long want;
} server_t;

/* The registered servers (arena-owned), each placed, with how many spares
 * each should keep. */
static td_status servers(td_op_t *op, server_t **out, size_t *n) {
    td_platform_t *p = op->platform;
    td_db_t *db;
    td_server_row_t *rows = NULL;
    *n = 0;
    td_status st = td_catalog_lease(p->catalog, NULL, &db);
    if (st)
        return td_op_fail(op, st, 503, "catalog_unavailable", "the catalog is not reachable");
    st = td_cat_server_list(db, op->arena, &rows, n);
    *out = st ? NULL : td_arena_alloc(op->arena, sizeof(**out) * (*n + 1));
    for (size_t i = 0; !st && i < *n; i++) {
        server_t *s = &(*out)[i];
        s->name = rows[i].name;
        s->want = strcmp(rows[i].status, "active") ? 0 : p->cfg->pg_spares;
        st = td_platform_place(p, op->arena, db, rows[i].id, &s->place);
    }
    td_catalog_release(p->catalog, db);
    if (st)
        return td_op_fail(op, st, 503, "catalog_unavailable", "the servers could not be read");
    return TD_OK;
}

/* Fills one server; 1 when it failed (logged: its error names no secret). */
static int fill(const server_t *s, char *msg, size_t msglen) {
    td_spares_report_t r;
    char err[512] = "";
    td_status st = td_db_spares_fill(&s->place, s->want, &r, err, sizeof(err));
    if (st) {
        td_log(TD_LOG_WARN, "spare databases not filled", "server", s->name, "error", err, NULL);
        snprintf(msg, msglen, "server %s: %s", s->name, td_status_msg(st));
        return 1;
    }
    snprintf(msg, msglen, "server %s: %s%ld ready (%ld templates), %ld made, %ld dropped", s->name,
             r.busy ? "busy elsewhere; " : "", r.ready, r.templates, r.made, r.dropped);
    if (r.made || r.dropped)
        td_log(TD_LOG_INFO, "spare databases filled", "server", s->name, "detail", msg, NULL);
    return 0;
}

td_status td_jobs_spares_run(td_op_t *op, td_job_t *job) {
    const td_job_row_t *r = td_job_row(job);
    server_t *list = NULL;
    size_t n = 0;
    td_status st = servers(op, &list, &n);
    int step = r->step, failed = 0;
    int64_t done = r->done;
    for (size_t i = 0; !st && i < n; i++) {
        char msg[256];
        if (r->checkpoint && strcmp(list[i].name, r->checkpoint) <= 0)
            continue; /* done by the run that was interrupted */
        failed += fill(&list[i], msg, sizeof(msg));
        st = td_job_progress(op, job, ++step, ++done, (int64_t)n, msg, list[i].name);
    }
    if (!st && failed)
        st = td_op_fail(op, TD_E_UNAVAILABLE, 503, "server_unavailable",
                        "%d database server(s) could not be filled with spares", failed);
    return st;
}

/* ---- the tick ---- */

/* The process's tick state: the worker threads of one process share it. */
static struct {
    pthread_mutex_t mu;
    int started;
    uint64_t seen;   /* spares taken + missed when the last job was queued */
    int64_t last_ms; /* when it was queued */
} tick = {.mu = PTHREAD_MUTEX_INITIALIZER};

/* Queues a pg.spares job unless one waits or no server is registered;
 * 0 when the catalog could not be asked (the tick tries again). */
static int queue(td_platform_t *p) {
    td_arena_t *a = td_arena_new(0);
    td_db_t *db = NULL;
    td_job_row_t *rows;
    td_server_row_t *srv;
    size_t n = 0, nsrv = 0;
    td_job_filter_t f = {.kind = KIND, .state = "queued", .limit = 1};
    int ok = a && !td_catalog_lease(p->catalog, NULL, &db);
    if (ok) {
        ok = !td_cat_job_list(db, a, &f, &rows, &n) && !td_cat_server_list(db, a, &srv, &nsrv);
        td_catalog_release(p->catalog, db); /* the enqueue leases its own */
    }
    if (ok && n == 0 && nsrv > 0) {
        td_op_t op = {.platform = p, .actor = {.kind = TD_ACTOR_SYSTEM}, .arena = a};
        td_job_row_t j;
        if (td_jobs_enqueue(&op, KIND, NULL, NULL, TD_JOB_MAX_ATTEMPTS, &j)) {
            td_log(TD_LOG_WARN, "spares job not queued", "error", op.err.code, NULL);
            ok = 0;
        }
    }
    td_arena_destroy(a);
    return ok;
}

void td_jobs_spares_tick(td_platform_t *p) {
    if (pthread_mutex_trylock(&tick.mu))
        return; /* another worker thread is ticking */
    uint64_t taken, missed;
    td_db_spares_counts(&taken, &missed);
    int64_t now = td_now_ms();
    if (!tick.started || taken + missed != tick.seen || now - tick.last_ms >= SPARES_CHECK_MS) {
        if (queue(p)) {
            tick.started = 1;
            tick.seen = taken + missed;
        }
        tick.last_ms = now; /* a failed queue is tried again at the next check */
    }
    pthread_mutex_unlock(&tick.mu);
}
