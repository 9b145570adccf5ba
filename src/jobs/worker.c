/* worker.c — running jobs: claim one due job under a lease, run its kind's
 * handler with a job operation context, record progress, finish it (with
 * exponential backoff while attempts remain), and the worker threads of
 * `tenantd serve`. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "audit/audit.h"
#include "common/fault.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "jobs/jobs.h"

#define DRAIN_SWEEP_MS (10 * 60 * 1000) /* every tenant's outbox, at least this often */

struct td_job {
    td_job_row_t row;   /* as claimed; step/checkpoint updated by progress */
    const char *owner;  /* this worker's lease owner name */
    int64_t lease_ms;
    td_catalog_t *cat;  /* leased per write: a handler may lease its own */
    const atomic_int *stop; /* the process is stopping (NULL: never) */
};

/* Each write to the queue leases a catalog connection for itself only, so
 * a worker never holds one while its handler waits for another. */
static td_status with_db(td_job_t *job, td_db_t **db) {
    return td_catalog_lease(job->cat, NULL, db);
}

static td_jobs_opts_t with_defaults(const td_jobs_opts_t *o) {
    td_jobs_opts_t r = o ? *o : (td_jobs_opts_t){0};
    if (r.lease_ms <= 0)
        r.lease_ms = 30000;
    if (r.backoff_ms <= 0)
        r.backoff_ms = 5000;
    if (r.drain_ms <= 0)
        r.drain_ms = 1000;
    if (r.poll_ms <= 0)
        r.poll_ms = r.drain_ms < 1000 ? r.drain_ms : 1000;
    return r;
}

td_jobs_opts_t td_jobs_opts(const td_config_t *cfg) {
    return (td_jobs_opts_t){.lease_ms = cfg->job_lease_ms, .backoff_ms = cfg->job_backoff_ms,
                            .drain_ms = cfg->drain_interval_ms};
}

const td_job_row_t *td_job_row(const td_job_t *job) { return &job->row; }

const char *td_job_arg(td_op_t *op, const td_job_t *job, const char *key) {
    json_t *p = json_loads(job->row.payload ? job->row.payload : "{}", 0, NULL);
    const char *v = json_string_value(json_object_get(p, key));
    char *out = v ? td_arena_strdup(op->arena, v) : NULL;
    json_decref(p);
    return out;
}

int td_job_stopping(const td_job_t *job) { return job->stop && atomic_load(job->stop); }

/* Kills the process when TENANTD_FAULT is "<point>:<step>" (test builds). */
static void step_fault(const char *point, int step) {
#ifdef TD_FAULTS
    char name[64];
    snprintf(name, sizeof(name), "%s:%d", point, step);
    TD_FAULT(name);
#else
    (void)point, (void)step;
#endif
}

/* The process is stopping: the job goes back to the queue after the step
 * just recorded, so the next worker (this process restarted, or another)
 * resumes it there at once instead of after its lease runs out. */
static td_status hand_back(td_op_t *op, td_job_t *job) {
    td_db_t *db;
    td_status st = with_db(job, &db);
    if (!st) {
        st = td_cat_job_release(db, job->row.id, job->owner, td_now_ms());
        td_catalog_release(job->cat, db);
    }
    if (st && st != TD_E_STATE)
        td_log(TD_LOG_WARN, "job not handed back", "id", job->row.id, "error",
               td_status_code(st), NULL); /* its lease runs out instead */
    return td_op_fail(op, TD_E_STATE, 409, "job_interrupted",
                      "the server is stopping; the job resumes after step %d", job->row.step);
}

/* Two fault points per step bracket its record, so a crash test can kill
 * a worker after a step's work but before it is recorded (the step runs
 * again and must be idempotent), and just after (the next run skips it). */
td_status td_job_progress(td_op_t *op, td_job_t *job, int step, int64_t done, int64_t total,
                          const char *message, const char *checkpoint) {
    step_fault("job_step_unrecorded", step);
    td_job_row_t p = job->row;
    p.step = step, p.done = done, p.total = total, p.message = message, p.checkpoint = checkpoint;
    td_db_t *db;
    td_status st = with_db(job, &db);
    if (!st) {
        st = td_cat_job_progress(db, &p, job->owner, td_now_ms(), job->lease_ms);
        td_catalog_release(job->cat, db);
    }
    if (st == TD_E_STATE)
        return td_op_fail(op, st, 409, "job_lease_lost", "the job was cancelled or taken over");
    if (st)
        return td_op_fail(op, st, 503, "catalog_unavailable", "progress could not be recorded");
    job->row.step = step, job->row.done = done, job->row.total = total;
    job->row.message = message ? td_arena_strdup(op->arena, message) : NULL;
    job->row.checkpoint = checkpoint ? td_arena_strdup(op->arena, checkpoint) : NULL;
    step_fault("job_step_recorded", step);
#ifdef TD_FAULTS
    const char *slow = getenv("TENANTD_FAULT_STEP_MS"); /* long steps, for tests */
    if (slow)
        usleep((useconds_t)atoi(slow) * 1000);
#endif
    if (td_job_stopping(job))
        return hand_back(op, job); /* (after its last step too: steps are
                                      idempotent, and totals often grow) */
    return TD_OK;
}

/* The delay before attempt n+1: backoff doubled per attempt, at most 1 h. */
static int64_t backoff(const td_jobs_opts_t *o, int attempts) {
    int64_t d = o->backoff_ms;
    for (int i = 1; i < attempts && d < 3600000; i++)
        d *= 2;
    return d < 3600000 ? d : 3600000;
}

/* Runs the claimed job's handler and records how it ended. A lost lease
 * is not a failure of the job: whoever holds it now decides. */
static void run_claimed(td_platform_t *p, td_arena_t *a, td_job_t *job, const td_jobs_opts_t *o) {
    td_op_t op = {.platform = p,
                  .actor = {.kind = TD_ACTOR_JOB, .id = job->row.id, .tenant_id = NULL},
                  .request_id = job->row.id,
                  .arena = a};
    const td_job_kind_t *k = td_job_kind_find(job->row.kind);
    td_status st = k ? k->run(&op, job)
                     : td_op_fail(&op, TD_E_INVALID, 400, "unknown_job_kind",
                                  "no handler for this kind");
    if (st && !op.err.st)
        td_op_fail(&op, st, 500, td_status_code(st), "%s", td_status_msg(st));
    if (op.err.st == TD_E_STATE && strcmp(op.err.code, "job_lease_lost") == 0)
        return;
    if (op.err.st == TD_E_STATE && strcmp(op.err.code, "job_interrupted") == 0) {
        td_log(TD_LOG_INFO, "job handed back", "id", job->row.id, "kind", job->row.kind, NULL);
        return;
    }
    char error[320];
    snprintf(error, sizeof(error), "%s: %s", op.err.code, op.err.detail);
    int64_t now = td_now_ms();
    td_db_t *db;
    td_status fs = with_db(job, &db);
    if (!fs) {
        fs = td_cat_job_finish(db, job->row.id, job->owner, now, st ? error : NULL,
                               now + backoff(o, job->row.attempts));
        td_catalog_release(job->cat, db);
    }
    td_log(st ? TD_LOG_WARN : TD_LOG_INFO, st ? "job failed" : "job succeeded", "id",
           job->row.id, "kind", job->row.kind, "error", st ? error : "", "finish",
           td_status_code(fs), NULL);
}

td_status td_jobs_run_one(td_platform_t *p, const char *owner, const td_jobs_opts_t *opts,
                          int *ran) {
    td_jobs_opts_t o = with_defaults(opts);
    *ran = 0;
    td_arena_t *a = td_arena_new(0);
    if (!a)
        return TD_E_NOMEM;
    int fired = 0; /* schedules fire first, so their jobs can be claimed now */
    td_status cs = td_jobs_cron_tick(p, td_now_ms(), &fired);
    if (cs)
        td_log(TD_LOG_WARN, "cron tick", "error", td_status_code(cs), NULL);
    td_job_t job = {.owner = owner, .lease_ms = o.lease_ms, .cat = p->catalog, .stop = o.stop};
    td_db_t *db;
    td_status st = with_db(&job, &db);
    int64_t now = td_now_ms();
    if (!st) {
        st = td_cat_job_expire(db, now, NULL);
        if (!st)
            st = td_cat_job_claim(db, a, owner, now, o.lease_ms, &job.row);
        td_catalog_release(p->catalog, db);
    }
    if (!st) {
        *ran = 1;
        td_log(TD_LOG_INFO, "job claimed", "id", job.row.id, "kind", job.row.kind, "owner", owner,
               NULL);
        run_claimed(p, a, &job, &o);
    }
    td_arena_destroy(a);
    return st == TD_E_NOTFOUND ? TD_OK : st;
}

/* ---- worker threads ---- */

struct td_jobs_workers {
    td_platform_t *platform;
    td_jobs_opts_t opts;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    atomic_int stop; /* written under mu; running jobs read it without */
    int n;
    pthread_t *threads;
};

typedef struct {
    td_jobs_workers_t *w;
    int index;
} worker_arg_t;

/* Sleeps up to ms, or until stop is asked; returns the stop flag. */
static int nap(td_jobs_workers_t *w, int64_t ms) {
    struct timespec ts = td_deadline(CLOCK_REALTIME, ms);
    pthread_mutex_lock(&w->mu);
    if (!w->stop)
        pthread_cond_timedwait(&w->cv, &w->mu, &ts);
    int stop = w->stop;
    pthread_mutex_unlock(&w->mu);
    return stop;
}

/* Each worker runs due jobs back to back and naps when none is due. Its
 * lease owner name (host:pid:index) tells operators who holds a job. */
static void *worker_main(void *arg) {
    worker_arg_t *wa = arg;
    td_jobs_workers_t *w = wa->w;
    setpriority(PRIO_PROCESS, (id_t)gettid(), 10);
    char host[64] = "", owner[128];
    gethostname(host, sizeof(host) - 1);
    snprintf(owner, sizeof(owner), "%s:%d:%d", host, (int)getpid(), wa->index);
    free(wa);
    int stop = 0;
    while (!stop) {
        int ran = 0;
        /* the outbox drain (audit/tick.c): one thread at a time, every
         * drain_ms; a sweep of every tenant every DRAIN_SWEEP_MS */
        td_audit_tick(w->platform, w->opts.drain_ms, DRAIN_SWEEP_MS);
        td_jobs_spares_tick(w->platform); /* spare databases (spares.c) */
        td_status st = td_jobs_run_one(w->platform, owner, &w->opts, &ran);
        if (st)
            td_log(TD_LOG_WARN, "job worker", "error", td_status_code(st), NULL);
        pthread_mutex_lock(&w->mu);
        stop = w->stop;
        pthread_mutex_unlock(&w->mu);
        if (!stop && !ran)
            stop = nap(w, w->opts.poll_ms);
    }
    td_audit_tick(w->platform, 0, INT64_MAX); /* what waits in memory, before exiting */
    return NULL;
}

td_status td_jobs_start(td_platform_t *p, int n, const td_jobs_opts_t *o, td_jobs_workers_t **out) {
    *out = NULL;
    td_jobs_workers_t *w = calloc(1, sizeof(*w));
    if (!w || !(w->threads = calloc((size_t)(n > 0 ? n : 1), sizeof(pthread_t)))) {
        free(w);
        return TD_E_NOMEM;
    }
    w->platform = p;
    w->opts = with_defaults(o);
    w->opts.stop = &w->stop;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    for (int i = 0; i < n; i++) {
        worker_arg_t *wa = malloc(sizeof(*wa));
        if (wa)
            *wa = (worker_arg_t){w, i};
        if (!wa || pthread_create(&w->threads[w->n], NULL, worker_main, wa)) {
            free(wa);
            td_jobs_stop(w);
            return TD_E_NOMEM;
        }
        w->n++;
    }
    *out = w;
    return TD_OK;
}

void td_jobs_stop(td_jobs_workers_t *w) {
    if (!w)
        return;
    pthread_mutex_lock(&w->mu);
    w->stop = 1;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    for (int i = 0; i < w->n; i++)
        pthread_join(w->threads[i], NULL);
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    free(w->threads);
    free(w);
}
