/* jobs.h — the job queue's domain: the table of job kinds, the operations
 * on jobs (enqueue, get, list, cancel, retry) that HTTP and the CLI call
 * with an operation context, and the workers that run them.
 *
 * A job kind is a handler written as idempotent steps: it reads the step
 * and checkpoint its last run recorded (td_job_row), skips what is done,
 * and after each step calls td_job_progress, which records the step and
 * extends the worker's lease. A worker killed at any point leaves the job
 * running under a lease that ends; the next worker that claims it calls
 * the handler again, which resumes after the last recorded step. */
#ifndef TD_JOBS_H
#define TD_JOBS_H

#include <jansson.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdint.h>

#include "catalog/catalog.h"
#include "common/config.h"
#include "ops/op.h"

typedef struct td_job td_job_t; /* a job while a worker runs it */

/* Runs the job from its last recorded step (op->actor is the job, the
 * request id its id). TD_OK when every step is done; on failure the
 * handler fills op->err (its detail becomes the job's error) and the job
 * is retried with backoff until its attempts run out. */
typedef td_status (*td_job_fn)(td_op_t *op, td_job_t *job);

typedef struct {
    const char *name;        /* "sessions.cleanup" */
    td_job_fn run;
    const char *description; /* one line, for docs and `jobs kinds` */
} td_job_kind_t;

/* The table of kinds; *n rows. */
const td_job_kind_t *td_job_kinds(size_t *n);
/* The kind named name, or NULL. */
const td_job_kind_t *td_job_kind_find(const char *name);

/* Timing of the queue; zero fields take the defaults. */
typedef struct {
    int64_t lease_ms;   /* a worker's hold on a job, renewed by progress (30 s) */
    int64_t backoff_ms; /* first retry delay, doubled each attempt (5 s, ≤ 1 h) */
    int64_t poll_ms;    /* how long an idle worker sleeps (1 s) */
    int64_t drain_ms;   /* the outbox drain tick of the worker threads (1 s) */
    const atomic_int *stop; /* set when the process stops: a running job is
                               handed back at its next recorded step (NULL:
                               never) */
} td_jobs_opts_t;

/* The timing configured by job_lease_ms and job_backoff_ms. */
td_jobs_opts_t td_jobs_opts(const td_config_t *cfg);

/* ---- inside a handler ---- */
/* The job's row as claimed: payload, tenant, step and checkpoint of the
 * last recorded progress (step 0 and NULL checkpoint on a first run). */
const td_job_row_t *td_job_row(const td_job_t *job);
/* The text member key of the job's payload (arena-owned), or NULL. */
const char *td_job_arg(td_op_t *op, const td_job_t *job, const char *key);
/* Records that step is done (done of total, a message for people, and an
 * opaque checkpoint the handler resumes from) and extends the lease.
 * TD_E_STATE when the job was cancelled or its lease lost, or when the
 * process is stopping (409 job_interrupted: the job was handed back to the
 * queue, to resume after this step, its attempt not counted): stop. */
td_status td_job_progress(td_op_t *op, td_job_t *job, int step, int64_t done, int64_t total,
                          const char *message, const char *checkpoint);

/* 1 when the process is stopping: a handler whose steps are long may
 * record its progress now (td_job_progress then hands the job back). */
int td_job_stopping(const td_job_t *job);

/* ---- operations (superadmins, the CLI, the system) ---- */
/* Queues a job of a registered kind; *out gets its row (arena-owned).
 * 400 unknown_job_kind, 400 invalid_payload (not a JSON object). */
td_status td_jobs_enqueue(td_op_t *op, const char *kind, const char *tenant_id,
                          const char *payload, int max_attempts, td_job_row_t *out);
/* td_jobs_enqueue with a JSON payload (the reference is taken; NULL is
 * out of memory). */
td_status td_jobs_enqueue_json(td_op_t *op, const char *kind, const char *tenant_id,
                               json_t *payload, int max_attempts, td_job_row_t *out);
/* 404 job_not_found. */
td_status td_jobs_get(td_op_t *op, const char *id, td_job_row_t *out);
/* Filters checked (400 invalid_filter, invalid_cursor); *next is the
 * cursor of the next page or NULL on the last. */
td_status td_jobs_list(td_op_t *op, const td_job_filter_t *f, td_job_row_t **out, size_t *n,
                       const char **next);
/* 404 job_not_found; 409 job_not_cancellable / job_not_retryable. */
td_status td_jobs_cancel(td_op_t *op, const char *id, td_job_row_t *out);
td_status td_jobs_retry(td_op_t *op, const char *id, td_job_row_t *out);
/* The job as JSON (new reference): times as ISO-8601, progress nested. */
json_t *td_job_json(const td_job_row_t *j);

/* ---- schedules (schedules.c) ---- */
#define TD_JOB_MAX_ATTEMPTS 5 /* a job's attempts unless its creator says */

/* What a create or an update sets; NULL (or enabled < 0) keeps a field on
 * update. Changing a schedule computes its next run from now. */
typedef struct {
    const char *name, *schedule, *kind, *payload;
    int enabled; /* 1, 0, or -1 = unchanged (create: enabled) */
} td_cron_spec_t;

/* 400 invalid_cron_name, invalid_cron_expression, unknown_job_kind,
 * invalid_payload; 409 cron_exists; 404 cron_not_found. */
td_status td_jobs_cron_create(td_op_t *op, const td_cron_spec_t *s, td_cron_row_t *out);
td_status td_jobs_cron_update(td_op_t *op, const td_cron_spec_t *s, td_cron_row_t *out);
td_status td_jobs_cron_delete(td_op_t *op, const char *name);
td_status td_jobs_cron_get(td_op_t *op, const char *name, td_cron_row_t *out);
td_status td_jobs_cron_list(td_op_t *op, td_cron_row_t **out, size_t *n);
json_t *td_cron_json(const td_cron_row_t *c);
/* Queues a job for every enabled schedule whose next run has come (once,
 * however many runs were missed) and moves it to its next run; of several
 * workers, one fires each. *fired schedules fired. */
td_status td_jobs_cron_tick(td_platform_t *p, int64_t now, int *fired);

/* ---- spare tenant databases (spares.c) ---- */
/* The pg.spares kind: fills every registered server's spare databases. */
td_status td_jobs_spares_run(td_op_t *op, td_job_t *job);
/* Queues a pg.spares job when spares may be short (worker threads, before
 * each claim; cheap when nothing changed). */
void td_jobs_spares_tick(td_platform_t *p);

/* ---- running ---- */
/* Claims one due job as owner and runs it to its end (success, failure
 * with retry, or a lost lease). *ran is 0 when no job was due. */
td_status td_jobs_run_one(td_platform_t *p, const char *owner, const td_jobs_opts_t *o, int *ran);

typedef struct td_jobs_workers td_jobs_workers_t;
/* Starts n worker threads (nice 10) that run due jobs until stopped. */
td_status td_jobs_start(td_platform_t *p, int n, const td_jobs_opts_t *o, td_jobs_workers_t **out);
/* Stops the workers; a running job is handed back at its next recorded
 * step (td_job_progress). NULL is ok. */
void td_jobs_stop(td_jobs_workers_t *w);

#endif
