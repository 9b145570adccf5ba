/* tick.c — when the drain runs: the job workers' tick, and the
 * outbox.drain job.
 *
 * The tick (every drain_interval_ms, one worker thread of the process at a
 * time) appends the refusals buffered since the last tick, drains the
 * tenants written to since then (td_audit_touch), and writes an anchor
 * over the heads that moved. It runs no job row of its own: a queue row a
 * second would bury the queue. What it cannot do goes to the queue: a
 * tenant whose database fails gets an outbox.drain job for it alone
 * (retried with backoff, its error saying why), and a sweep over every
 * tenant is queued at start-up (nothing left behind by a crash or by
 * another process, e.g. the CLI) and every sweep interval. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit_int.h"
#include "common/id.h"
#include "common/log.h"
#include "common/timeutil.h"

#define KIND "outbox.drain"
#define CHANGED_MARGIN_MS 2000 /* a tenant changed this long before a tick counts again */

/* 1 when a queued or running outbox.drain job exists for tenant_id (NULL
 * = a sweep); only a queued one with queued_only — and then only a sweep
 * that has not begun: one handed back by a stopped server resumes after
 * its checkpoint, and would miss the tenants before it. */
static int pending(td_db_t *db, td_arena_t *a, const char *tenant_id, int queued_only) {
    static const char *const states[] = {"queued", "running"};
    for (int i = 0; i < (queued_only ? 1 : 2); i++) {
        td_job_filter_t f = {.kind = KIND, .state = states[i], .tenant_id = tenant_id,
                             .limit = tenant_id ? 1 : 100};
        td_job_row_t *rows;
        size_t n = 0;
        if (td_cat_job_list(db, a, &f, &rows, &n))
            return 1; /* cannot tell: queue nothing */
        for (size_t k = 0; k < n; k++)
            if (tenant_id || (!rows[k].tenant_id && !(queued_only && rows[k].checkpoint)))
                return 1;
    }
    return 0;
}

/* Queues an outbox.drain job (for one tenant, or a sweep) unless one is
 * waiting or running already. At start-up (starting) a sweep is queued
 * unless one is waiting: one marked running may be a killed process's,
 * whose lease would otherwise hold every drain back until it runs out. */
static void queue(td_platform_t *p, td_arena_t *a, const char *tenant_id, int starting) {
    td_db_t *db;
    if (td_catalog_lease(p->catalog, NULL, &db))
        return;
    /* given back before the enqueue leases one of its own: a thread that
     * holds two at once can wait forever on a small catalog pool */
    int busy = pending(db, a, tenant_id, starting);
    td_catalog_release(p->catalog, db);
    if (busy)
        return;
    td_op_t op = {.platform = p, .actor = {.kind = TD_ACTOR_SYSTEM}, .arena = a};
    td_job_row_t j;
    if (td_jobs_enqueue(&op, KIND, tenant_id, tenant_id ? NULL : "{\"sweep\":true}",
                        TD_JOB_MAX_ATTEMPTS, &j))
        td_log(TD_LOG_WARN, "outbox drain job not queued", "error", op.err.code, NULL);
}

/* Drains one tenant with an operation (and arena) of its own. 1 when the
 * catalog failed (the tenant is kept for the next tick). */
static int drain_one(td_platform_t *p, const char *tid, int pooled) {
    td_arena_t *a = td_arena_new(0);
    if (!a)
        return 1;
    td_op_t op = {.platform = p, .actor = {.kind = TD_ACTOR_SYSTEM}, .arena = a};
    int catalog = 0;
    if (td_audit_drain_via(&op, tid, pooled, NULL)) {
        catalog = !strcmp(op.err.code, "catalog_unavailable");
        td_log(TD_LOG_WARN, "outbox drain failed", "tenant", tid, "error", op.err.code, "detail",
               op.err.detail, NULL);
        if (!catalog)
            queue(p, a, tid, 0);
    }
    td_arena_destroy(a);
    return catalog;
}

/* Appends the buffered refusals, each to its tenant's chain (or the
 * platform's), in one catalog transaction. Lost on failure: they are
 * best-effort by design (the buffer may drop them anyway). */
static void flush_refusals(td_platform_t *p, td_refusal_t *buf, size_t max) {
    size_t n;
    while ((n = td_audit_refusals_take(p, buf, max)) > 0) {
        td_arena_t *a = td_arena_new(0);
        td_db_t *db = NULL;
        td_status st = a ? td_catalog_lease(p->catalog, a, &db) : TD_E_NOMEM;
        if (!st)
            st = td_db_begin(db, TD_DB_WRITE);
        for (size_t i = 0; !st && i < n; i++) {
            td_refusal_t *r = &buf[i];
#define OPT(s) ((s)[0] ? (s) : NULL)
            td_audit_row_t row = {.at = r->at, .actor_kind = r->actor_kind,
                                  .actor_id = OPT(r->actor_id), .action = r->action,
                                  .resource = OPT(r->resource), .request_id = OPT(r->request_id),
                                  .client_addr = OPT(r->client_addr), .outcome = "refused",
                                  .detail = OPT(r->detail)};
#undef OPT
            st = td_audit_append(db, a, r->tenant_id, &row, 1, td_now_ms());
        }
        if (!st)
            st = td_db_commit(db);
        else if (db)
            td_db_rollback(db);
        if (st)
            td_log(TD_LOG_WARN, "refusals not audited", "error", td_status_code(st), NULL);
        td_arena_destroy(a);
    }
}

/* Tenants whose catalog record changed since `since` (ms) are drained too
 * (on connections of their own): a tenant just created (its first admin is
 * an outbox row) or resumed, by this process or another (the CLI). */
static void drain_changed(td_platform_t *p, int64_t since) {
    td_arena_t *a = td_arena_new(0);
    td_db_t *db;
    const char **ids;
    size_t n = 0;
    char iso[40];
    td_time_iso(since, iso, sizeof(iso));
    int listed = 0;
    if (a && !td_catalog_lease(p->catalog, NULL, &db)) {
        listed = !td_cat_audit_tenants_changed(db, a, iso, 1000, &ids, &n);
        td_catalog_release(p->catalog, db); /* each drain leases its own */
    }
    for (size_t i = 0; listed && i < n; i++)
        drain_one(p, ids[i], 0);
    td_arena_destroy(a);
}

void td_audit_tick(td_platform_t *p, int64_t interval_ms, int64_t sweep_ms) {
    td_audit_tick_t *t = td_audit_tick_state(p);
    if (!t || pthread_mutex_trylock(&t->mu))
        return; /* another worker thread is ticking */
    int64_t now = td_now_ms();
    if (t->started && now - t->last_tick < interval_ms) {
        pthread_mutex_unlock(&t->mu);
        return;
    }
    flush_refusals(p, t->refusals, sizeof(t->refusals) / sizeof(t->refusals[0]));
    drain_changed(p, t->started ? t->last_tick - CHANGED_MARGIN_MS : now - CHANGED_MARGIN_MS);
    t->last_tick = now;
    int overflow = 0;
    size_t n = td_audit_touched_take(p, t->ids, TD_AUDIT_TICK_TENANTS, &overflow);
    for (size_t i = 0; i < n; i++)
        if (drain_one(p, t->ids[i], 1))
            td_audit_touch(p, t->ids[i]); /* the catalog failed: next tick */
    td_status st = td_audit_anchor(p, td_now_ms());
    if (st)
        td_log(TD_LOG_WARN, "audit anchor not written", "error", td_status_code(st), NULL);
    if (!t->started || overflow || now - t->last_sweep >= sweep_ms) {
        td_arena_t *a = td_arena_new(0);
        if (a)
            queue(p, a, NULL, !t->started);
        td_arena_destroy(a);
        t->started = 1;
        t->last_sweep = now;
    }
    pthread_mutex_unlock(&t->mu);
}

/* A sweep: every live tenant after the checkpoint, a page of 100 at a
 * time, the checkpoint moved after each page. A tenant that fails gets a
 * job of its own; the sweep goes on. A page's catalog connection goes
 * back as soon as it is listed (draining a tenant needs connections of
 * its own), and its rows live in an arena of their own. */
static td_status sweep(td_op_t *op, td_job_t *job) {
    const td_job_row_t *r = td_job_row(job);
    char after[TD_ID_LEN + 1] = "";
    if (r->checkpoint)
        snprintf(after, sizeof(after), "%s", r->checkpoint);
    int step = r->step;
    int64_t done = r->done;
    td_status st = TD_OK;
    for (;;) {
        td_arena_t *pa = td_arena_new(0);
        td_db_t *cat;
        td_tenant_row_t *rows = NULL;
        size_t n = 0;
        st = pa ? td_catalog_lease(op->platform->catalog, NULL, &cat) : TD_E_NOMEM;
        if (!st) {
            st = td_cat_tenant_list(cat, pa, NULL, NULL, after[0] ? after : NULL, 100, &rows, &n);
            td_catalog_release(op->platform->catalog, cat);
        }
        for (size_t i = 0; !st && i < n; i++) {
            if (drain_one(op->platform, rows[i].id, 0)) {
                st = td_op_fail(op, TD_E_UNAVAILABLE, 503, "catalog_unavailable",
                                "the catalog did not take the outbox of tenant %s",
                                rows[i].slug);
                td_arena_destroy(pa);
                return st;
            }
            snprintf(after, sizeof(after), "%s", rows[i].id);
            if (td_job_stopping(job) && i + 1 < n) { /* hand back mid-page */
                td_arena_destroy(pa);
                return td_job_progress(op, job, ++step, done + (int64_t)i + 1,
                                       done + (int64_t)i + 1, "tenants drained", after);
            }
        }
        td_arena_destroy(pa);
        if (st || n == 0)
            break;
        done += (int64_t)n;
        if ((st = td_job_progress(op, job, ++step, done, done, "tenants drained", after)))
            return st;
    }
    if (st)
        return td_op_fail(op, st, 503, "catalog_unavailable", "the catalog is not reachable");
    st = td_audit_anchor(op->platform, td_now_ms());
    return st ? td_op_fail(op, st, 503, "catalog_unavailable", "the anchor was not written") : st;
}

td_status td_audit_drain_job(td_op_t *op, td_job_t *job) {
    const td_job_row_t *r = td_job_row(job);
    if (!r->tenant_id)
        return sweep(op, job);
    int64_t rows = 0;
    td_status st = td_audit_drain_tenant(op, r->tenant_id, &rows);
    if (!st)
        st = td_job_progress(op, job, 1, rows, rows, "outbox drained", NULL);
    if (!st && td_audit_anchor(op->platform, td_now_ms()))
        td_log(TD_LOG_WARN, "audit anchor not written", NULL);
    return st;
}
