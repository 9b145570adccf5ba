/* migrate.c — fleet migrations in the background: POST
 * /v1/admin/migrations (and `tenantd jobs add tenants.migrate`) queue a
 * `tenants.migrate` job whose payload is the run's options; the job runs
 * td_migrate_run (tenancy/migrate.h) with its id as the run id, reporting
 * progress every half second. Its report is the job's progress: message
 * (the counts) and checkpoint (the counts and the failed tenants, JSON).
 * A worker killed mid-run leaves a job the next worker claims once the
 * lease ends: it plans again from the catalog, where the tenants already
 * migrated are current, so it finishes the same way. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/ledger.h"
#include "jobs/jobs.h"
#include "ops/ops.h"
#include "tenancy/migrate.h"

#define KIND "tenants.migrate"
#define ATTEMPTS 3     /* a killed worker's job is claimed again */
#define REPORT_MAX 100 /* failed tenants kept in the job's checkpoint */

td_status td_op_migrate_async(td_op_t *op, const struct td_migrate_opts *o, td_job_row_t *job) {
    td_migrate_report_t probe;
    td_migrate_opts_t dry = *o;
    dry.dry_run = 1; /* bad options and edited migrations answer now, not in the job */
    if (td_migrate_run(op, &dry, NULL, NULL, NULL, &probe))
        return op->err.st;
    return td_jobs_enqueue_json(op, KIND, NULL, td_migrate_opts_to_json(o), ATTEMPTS, job);
}

/* The job's checkpoint: the counts and the failed tenants (at most
 * REPORT_MAX), as compact JSON (malloc'd). */
static char *summary(const td_migrate_report_t *r) {
    json_t *failed = json_array();
    for (size_t i = 0; i < r->nitems && json_array_size(failed) < REPORT_MAX; i++)
        if (!strcmp(r->items[i].state, "failed") || !strcmp(r->items[i].state, "quarantined"))
            json_array_append_new(
                failed, json_pack("{s:s?, s:s, s:s, s:s?}", "slug", r->items[i].slug, "service",
                                  r->items[i].service, "state", r->items[i].state, "error",
                                  r->items[i].error));
    json_t *j = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:b, s:o}", "total",
                          (json_int_t)r->total, "current", (json_int_t)r->current, "behind",
                          (json_int_t)r->behind, "migrated", (json_int_t)r->migrated, "failed",
                          (json_int_t)r->failed, "quarantined", (json_int_t)r->quarantined,
                          "canary_failed", r->canary_failed, "failures", failed);
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    return s;
}

typedef struct {
    td_op_t *op;
    td_job_t *job;
} job_ctx_t;

static td_status job_tick(void *ctx_, const td_migrate_report_t *r) {
    job_ctx_t *c = ctx_;
    char msg[160];
    snprintf(msg, sizeof(msg), "%lld of %lld migrated, %lld failed, %lld quarantined",
             (long long)r->migrated, (long long)r->behind, (long long)r->failed,
             (long long)r->quarantined);
    char *cp = summary(r);
    td_status st = td_job_progress(c->op, c->job, 1, r->migrated + r->failed + r->quarantined,
                                   r->behind, msg, cp);
    free(cp);
    return st;
}

/* Runs the payload's options with the job's id as the run id. Failed
 * tenants do not fail the job (they are quarantined, and in its report);
 * bad options, an edited migration or a failed canary do. The last report
 * counts the tenants of every attempt (a killed worker's too), from the
 * ledger rows that name the run. */
td_status td_op_migrate_job(td_op_t *op, td_job_t *job) {
    const td_job_row_t *row = td_job_row(job);
    json_t *p = json_loads(row->payload ? row->payload : "{}", 0, NULL);
    td_migrate_opts_t o;
    td_status st = td_migrate_opts_json(op, p, &o);
    json_decref(p);
    if (st)
        return st;
    o.run_id = row->id;
    job_ctx_t c = {op, job};
    td_migrate_report_t rep;
    st = td_migrate_run(op, &o, NULL, job_tick, &c, &rep);
    int64_t all;
    if (st || o.dry_run || td_migrate_run_count(op->platform, row->id, &all) ||
        all <= rep.migrated)
        return st;
    rep.behind += all - rep.migrated; /* those an earlier attempt migrated */
    rep.migrated = all;
    return job_tick(&c, &rep);
}
