/* migrate_run.c — the fleet migration run (td_migrate_run): plan from the
 * catalog alone, refuse edited migrations, then a canary and waves.
 *
 * The plan reads schema_versions (tenant × service → version) for every
 * live tenant and keeps those below the code's latest version: a tenant
 * already current is counted and never opened, so a run with nothing to
 * do is a catalog scan. Before anything is migrated, the ledger's
 * checksums are compared with the code's (one grouped query): a migration
 * whose text changed after it was applied stops the run with 409
 * migration_checksum_mismatch. Quarantined tenants (an earlier failure)
 * are skipped and reported unless the run retries them (retry_failed, or
 * a run for that one tenant) or the migration that failed has changed
 * since. The canary's tenants migrate one by one first; a failure there
 * stops the run. Then `jobs` threads take the remaining tenants in turn.
 * A failing tenant is left as it was (one transaction), quarantined with
 * its error, and the run goes on. Resuming after kill -9 is running again:
 * the tenants done are current in the catalog. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "catalog/ledger.h"
#include "common/fault.h"
#include "common/timeutil.h"
#include "services/services.h"
#include "tenancy/migrate.h"

#define ERR_LEN 256
#define JOBS_MAX 64
#define BATCH 64 /* outcomes recorded in one catalog transaction */

typedef struct {
    td_op_t *op;
    const td_migrate_opts_t *o;
    td_ledger_behind_t *todo; /* behind pairs not quarantined, by tenant id */
    size_t ntodo, next;       /* next: the first not taken */
    char *errs;               /* ERR_LEN bytes per todo entry */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int running; /* workers still going */
    int stop;
    /* outcomes wait here for their catalog record, BATCH at a time */
    td_migrate_outcome_t *outs; /* one per todo entry */
    size_t *done;               /* todo indexes in the order applied */
    size_t ndone, nrecorded;
    pthread_mutex_t record_mu; /* one batch recorded at a time */
    td_status record_st;       /* the first failed batch's */
    td_migrate_report_t *rep;
    td_migrate_item_fn each;
    void *ctx;
} run_t;

typedef struct {
    const td_migrate_opts_t *o;
} scope_t;

/* In scope: the asked service (every one when none). */
static int plan_keep(void *ctx, const char *backend, const char *service, int version) {
    const scope_t *s = ctx;
    if (s->o->service && strcmp(s->o->service, service))
        return -1;
    return version < td_service_latest_version(service, backend);
}

static td_status bad(td_op_t *op, const char *code, const char *detail) {
    return td_op_fail(op, TD_E_INVALID, 400, code, "%s", detail);
}

static td_status check_opts(td_op_t *op, const td_migrate_opts_t *o) {
    if (!td_actor_platform(&op->actor))
        return td_op_fail(op, TD_E_FORBIDDEN, 403, "forbidden",
                          "only platform operators migrate tenants");
    if (o->jobs < 1 || o->jobs > JOBS_MAX)
        return bad(op, "invalid_request", "jobs must be 1 to 64");
    if (o->canary < 0)
        return bad(op, "invalid_request", "canary must be 0 or more");
    if (o->service && !td_service_known(o->service))
        return td_op_fail(op, TD_E_INVALID, 400, "unknown_service", "unknown service '%.40s'",
                          o->service);
    return TD_OK;
}

/* The code's checksum of service's migration version in dialect, or NULL
 * when the code has no such migration. */
static const char *code_sum(td_arena_t *a, const char *dialect, const char *service,
                            int version) {
    td_schema_t s;
    if (!dialect || td_service_schema(service, dialect, &s))
        return NULL;
    for (size_t i = 0; i < s.n; i++)
        if (s.migs[i].version == version) {
            char *sum = td_arena_alloc(a, 65);
            if (sum)
                td_migrate_checksum(s.migs[i].sql, sum);
            return sum;
        }
    return NULL;
}

/* Names and stamps the ledger rows adopted from before the ledger. */
static td_status adopt(td_db_t *db, const td_migrate_opts_t *o) {
    static const char *const dialects[] = {"sqlite", "postgres"};
    size_t n;
    const char *const *names = td_services_names(&n);
    int any = 0;
    td_status st = td_cat_ledger_adopted(db, &any); /* none, after the first run */
    for (size_t d = 0; !st && any && d < 2; d++)
        for (size_t k = 0; !st && k < n; k++) {
            td_schema_t s;
            if ((o->service && strcmp(o->service, names[k])) ||
                td_service_schema(names[k], dialects[d], &s))
                continue;
            for (size_t i = 0; !st && i < s.n; i++) {
                char sum[65];
                td_migrate_checksum(s.migs[i].sql, sum);
                st = td_cat_ledger_adopt(db, dialects[d], s.name, s.migs[i].version,
                                         s.migs[i].name, sum);
            }
        }
    return st;
}

/* 409 migration_checksum_mismatch when an applied migration in scope
 * (of tenant_id only, when given) differs from the code's text. */
static td_status checksums(td_op_t *op, td_db_t *db, const char *tenant_id, const char *backend) {
    td_arena_t *a = op->arena;
    size_t n = 0;
    td_ledger_sum_t *sums = NULL;
    td_status st;
    if (tenant_id) {
        td_ledger_row_t *rows;
        st = td_cat_ledger_rows(db, a, tenant_id, &rows, &n);
        sums = st ? NULL : td_arena_alloc(a, sizeof(*sums) * (n + 1));
        for (size_t i = 0; sums && i < n; i++)
            sums[i] = (td_ledger_sum_t){.dialect = backend, .service = rows[i].service,
                                        .checksum = rows[i].checksum, .tenant_id = tenant_id,
                                        .version = rows[i].version, .tenants = 1};
    } else {
        st = td_cat_ledger_sums(db, a, &sums, &n);
    }
    if (st)
        return td_op_fail_status(op, st, "cannot read the migration ledger");
    for (size_t i = 0; i < n; i++) {
        if (!sums[i].checksum)
            continue; /* adopted, not stamped yet (a dry run) */
        const char *code = code_sum(a, sums[i].dialect, sums[i].service, sums[i].version);
        if (code && !strcmp(code, sums[i].checksum))
            continue;
        return td_op_fail(op, TD_E_CONFLICT, 409, "migration_checksum_mismatch",
                          "%s migration %d (%s) %s after it was applied to %lld tenant(s), e.g. %s;"
                          " restore its text and add a new migration instead",
                          sums[i].service, sums[i].version, sums[i].dialect,
                          code ? "changed" : "is gone from the code",
                          (long long)sums[i].tenants, sums[i].tenant_id);
    }
    return TD_OK;
}

/* 1 when pair t stays quarantined in this run (an earlier failure whose
 * migration text is the same now); *why gets the error. */
static int quarantined(td_op_t *op, const td_migrate_opts_t *o, const td_ledger_behind_t *t,
                       const td_ledger_failure_t *f, size_t nf, const char **why) {
    if (o->retry_failed || o->tenant)
        return 0;
    for (size_t i = 0; i < nf; i++) {
        if (strcmp(f[i].tenant_id, t->tenant_id) || strcmp(f[i].service, t->service))
            continue;
        const char *code = code_sum(op->arena, t->backend, t->service, f[i].version);
        *why = f[i].error;
        return code && !strcmp(code, f[i].checksum);
    }
    return 0;
}

/* Reads the plan: behind pairs into r->todo, skipped ones into the report. */
static td_status plan(run_t *r, const char *tenant_id, const char *backend) {
    td_op_t *op = r->op;
    const td_migrate_opts_t *o = r->o;
    scope_t sc = {o};
    td_ledger_behind_t *rows = NULL;
    td_ledger_failure_t *fails = NULL;
    size_t n = 0, nf = 0;
    td_db_t *db;
    td_status st = td_catalog_lease(op->platform->catalog, NULL, &db);
    if (st)
        return td_op_fail_status(op, st, "the catalog does not answer");
    if (!o->dry_run && (st = adopt(db, o)))
        td_op_fail_status(op, st, "cannot stamp the migration ledger");
    if (!st)
        st = checksums(op, db, tenant_id, backend);
    if (!st && (st = td_cat_ledger_versions(db, op->arena, tenant_id, plan_keep, &sc, &rows, &n,
                                            &r->rep->total)))
        td_op_fail_status(op, st, "cannot read the schema versions");
    if (!st && (st = td_cat_ledger_failures(db, op->arena, tenant_id, &fails, &nf)))
        td_op_fail_status(op, st, "cannot read the quarantined tenants");
    td_catalog_release(op->platform->catalog, db);
    if (st)
        return st;
    td_migrate_report_t *rep = r->rep;
    rep->behind = (int64_t)n;
    rep->current = rep->total - rep->behind;
    rep->items = td_arena_alloc(op->arena, sizeof(*rep->items) * (n + 1));
    r->todo = td_arena_alloc(op->arena, sizeof(*r->todo) * (n + 1));
    r->errs = td_arena_alloc(op->arena, ERR_LEN * (n + 1));
    r->outs = td_arena_alloc(op->arena, sizeof(*r->outs) * (n + 1));
    r->done = td_arena_alloc(op->arena, sizeof(*r->done) * (n + 1));
    if (!rep->items || !r->todo || !r->errs || !r->outs || !r->done)
        return td_op_fail_status(op, TD_E_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const char *why = NULL;
        int q = quarantined(op, o, &rows[i], fails, nf, &why);
        int latest = td_service_latest_version(rows[i].service, rows[i].backend);
        if (!q && !o->dry_run) {
            r->todo[r->ntodo++] = rows[i];
            continue;
        }
        rep->quarantined += q;
        rep->items[rep->nitems++] = (td_migrate_item_t){
            .tenant_id = rows[i].tenant_id, .slug = rows[i].slug, .service = rows[i].service,
            .state = q ? "quarantined" : "pending", .from = rows[i].version,
            .to = q ? rows[i].version : latest, .error = why};
    }
    return TD_OK;
}

#ifdef TD_FAULTS
/* TENANTD_FAULT=migrate.wave with TENANTD_FAULT_AT=k: kill -9 once k
 * tenants of the run are migrated (the crash tests' middle of a wave). */
static void fault_after(int64_t done) {
    const char *at = getenv("TENANTD_FAULT_AT");
    if (at && done == atoll(at))
        TD_FAULT("migrate.wave");
}
#else
static void fault_after(int64_t done) { (void)done; }
#endif

/* Records the outcomes applied and not yet recorded (all of them, or
 * only when a batch is full), in one catalog transaction; one batch at a
 * time. A kill before it loses nothing the next run does not find. */
static void record_pending(run_t *r, int all) {
    pthread_mutex_lock(&r->record_mu);
    pthread_mutex_lock(&r->mu);
    size_t from = r->nrecorded, to = r->ndone;
    if (to - from < BATCH && !all)
        to = from;
    r->nrecorded = to;
    pthread_mutex_unlock(&r->mu);
    if (to > from) {
        td_migrate_outcome_t *batch = malloc(sizeof(*batch) * (to - from));
        for (size_t k = from; batch && k < to; k++)
            batch[k - from] = r->outs[r->done[k]];
        td_status st = batch ? td_migrate_record(r->op->platform, batch, to - from, r->o->run_id, 1)
                             : TD_E_NOMEM;
        free(batch);
        for (size_t k = from; k < to; k++)
            td_migrate_outcome_free(&r->outs[r->done[k]]);
        pthread_mutex_lock(&r->mu);
        if (st && !r->record_st)
            r->record_st = st;
        pthread_mutex_unlock(&r->mu);
    }
    pthread_mutex_unlock(&r->record_mu);
}

/* Migrates todo entry i; its catalog record follows in a batch. */
static void one(run_t *r, size_t i) {
    const td_ledger_behind_t *t = &r->todo[i];
    char *err = r->errs + i * ERR_LEN;
    int64_t t0 = td_now_ms();
    td_migrate_outcome_t *o = &r->outs[i];
    td_status st = td_migrate_apply(r->op->platform, t->tenant_id, t->service, o);
    TD_FAULT("migrate.applied");
    snprintf(err, ERR_LEN, "%s", o->err);
    td_migrate_item_t it = {.tenant_id = t->tenant_id, .slug = t->slug, .service = t->service,
                            .state = st ? "failed" : "migrated",
                            .from = st ? t->version : o->from, .to = st ? t->version : o->to,
                            .ms = td_now_ms() - t0, .error = st ? err : NULL};
    pthread_mutex_lock(&r->mu);
    td_migrate_report_t *rep = r->rep;
    rep->items[rep->nitems++] = it;
    r->done[r->ndone++] = i;
    if (st)
        rep->failed++;
    else
        rep->migrated++;
    if (r->each)
        r->each(r->ctx, &it, rep);
    if (!st)
        fault_after(rep->migrated);
    pthread_mutex_unlock(&r->mu);
    record_pending(r, 0);
}

static void *worker(void *arg) {
    run_t *r = arg;
    for (;;) {
        pthread_mutex_lock(&r->mu);
        size_t i = r->stop ? r->ntodo : r->next;
        if (i < r->ntodo)
            r->next++;
        pthread_mutex_unlock(&r->mu);
        if (i >= r->ntodo)
            break;
        one(r, i);
    }
    pthread_mutex_lock(&r->mu);
    r->running--;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

/* The waves: o->jobs threads take the tenants left in turn while this
 * thread ticks every half second. */
static td_status waves(run_t *r, td_migrate_tick_fn tick) {
    pthread_t th[JOBS_MAX];
    int started = 0;
    td_status st = TD_OK;
    pthread_mutex_lock(&r->mu);
    for (int k = 0; k < r->o->jobs && r->next < r->ntodo; k++) {
        if (pthread_create(&th[started], NULL, worker, r))
            break;
        started++;
        r->running++;
    }
    while (r->running > 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 500000000L;
        if (ts.tv_nsec >= 1000000000L)
            ts.tv_sec++, ts.tv_nsec -= 1000000000L;
        pthread_cond_timedwait(&r->cv, &r->mu, &ts);
        if (r->running > 0 && tick && !st) {
            td_migrate_report_t snap = *r->rep;
            pthread_mutex_unlock(&r->mu);
            st = tick(r->ctx, &snap);
            pthread_mutex_lock(&r->mu);
            r->stop |= st != TD_OK;
        }
    }
    pthread_mutex_unlock(&r->mu);
    for (int k = 0; k < started; k++)
        pthread_join(th[k], NULL);
    if (!started) /* no thread could start: do it here */
        worker(r);
    return st;
}

/* The canary: the first o->canary tenants, one by one; 1 when one failed. */
static int canary(run_t *r) {
    const char *last = NULL;
    int tenants = 0;
    while (r->next < r->ntodo) {
        const td_ledger_behind_t *t = &r->todo[r->next];
        if (!last || strcmp(last, t->tenant_id)) {
            if (tenants == r->o->canary)
                break;
            tenants++;
            last = t->tenant_id;
        }
        int64_t failed = r->rep->failed;
        one(r, r->next++);
        record_pending(r, 1);
        if (r->rep->failed > failed) {
            r->rep->canary_failed = 1;
            return 1;
        }
    }
    return 0;
}

td_status td_migrate_run(td_op_t *op, const td_migrate_opts_t *o, td_migrate_item_fn each,
                         td_migrate_tick_fn tick, void *ctx, td_migrate_report_t *out) {
    int64_t t0 = td_now_ms();
    memset(out, 0, sizeof(*out));
    if (check_opts(op, o))
        return op->err.st;
    const char *tenant_id = NULL, *backend = NULL;
    if (o->tenant) {
        td_tenant_t t;
        td_status st = td_tenant_find(op->platform, op->arena, o->tenant, &t);
        if (st == TD_E_NOTFOUND || (!st && strcmp(t.row.status, "active") &&
                                    strcmp(t.row.status, "suspended")))
            return td_op_fail(op, TD_E_NOTFOUND, 404, "tenant_not_found",
                              "no live tenant '%.80s'", o->tenant);
        if (st)
            return td_op_fail_status(op, st, "the catalog does not answer");
        tenant_id = t.row.id;
        backend = t.row.backend;
    }
    run_t r = {.op = op, .o = o, .rep = out, .each = each, .ctx = ctx};
    if (plan(&r, tenant_id, backend))
        return op->err.st;
    pthread_mutex_init(&r.mu, NULL);
    pthread_mutex_init(&r.record_mu, NULL);
    pthread_cond_init(&r.cv, NULL);
    td_status st = TD_OK;
    if (canary(&r))
        st = td_op_fail(op, TD_E_CONFLICT, 409, "migration_canary_failed",
                        "a canary tenant failed to migrate: no wave ran (see the report)");
    else
        st = waves(&r, tick);
    record_pending(&r, 1);
    if (!st && r.record_st)
        st = td_op_fail_status(op, r.record_st,
                               "tenants migrated, but the catalog did not record them all: run"
                               " again to record them");
    pthread_cond_destroy(&r.cv);
    pthread_mutex_destroy(&r.record_mu);
    pthread_mutex_destroy(&r.mu);
    out->ms = td_now_ms() - t0;
    if (st && !op->err.st)
        td_op_fail_status(op, st, "the run stopped");
    if (!st && tick)
        st = tick(ctx, out);
    if (!o->dry_run && out->behind)
        td_audit_record(op, tenant_id, o->service, "migrations.run", "migrations", o->run_id,
                        st ? "failed" : "ok",
                        td_arena_printf(op->arena, "migrated %lld, failed %lld, quarantined %lld",
                                        (long long)out->migrated, (long long)out->failed,
                                        (long long)out->quarantined));
    return st;
}

json_t *td_migrate_report_json(const td_migrate_report_t *r) {
    json_t *items = json_array(), *failed = json_array();
    for (size_t i = 0; i < r->nitems; i++) {
        const td_migrate_item_t *it = &r->items[i];
        json_t *j = json_pack("{s:s, s:s?, s:s, s:s, s:i, s:i, s:I, s:s?}", "tenant_id",
                              it->tenant_id, "slug", it->slug, "service", it->service, "state",
                              it->state, "from", it->from, "to", it->to, "ms",
                              (json_int_t)it->ms, "error", it->error);
        if (strcmp(it->state, "failed") == 0 || strcmp(it->state, "quarantined") == 0)
            json_array_append(failed, j);
        json_array_append_new(items, j);
    }
    return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:b, s:I, s:o, s:o}", "total",
                     (json_int_t)r->total, "current", (json_int_t)r->current, "behind",
                     (json_int_t)r->behind, "migrated", (json_int_t)r->migrated, "failed",
                     (json_int_t)r->failed, "quarantined", (json_int_t)r->quarantined,
                     "canary_failed", r->canary_failed, "ms", (json_int_t)r->ms, "failures",
                     failed, "items", items);
}

/* An integer field: absent keeps *v; present must be an integer. */
static int int_field(json_t *j, const char *k, int *v) {
    json_t *f = json_object_get(j, k);
    if (!f)
        return 1;
    if (!json_is_integer(f) || json_integer_value(f) < -1000000 ||
        json_integer_value(f) > 1000000)
        return 0;
    *v = (int)json_integer_value(f);
    return 1;
}

static int str_field(td_op_t *op, json_t *j, const char *k, const char **v) {
    json_t *f = json_object_get(j, k);
    if (!f || json_is_null(f))
        return 1;
    if (!json_is_string(f) || json_string_length(f) == 0 || json_string_length(f) > 200)
        return 0;
    *v = td_arena_strdup(op->arena, json_string_value(f));
    return 1;
}

static int bool_field(json_t *j, const char *k, int *v) {
    json_t *f = json_object_get(j, k);
    if (!f)
        return 1;
    if (!json_is_boolean(f))
        return 0;
    *v = json_is_true(f);
    return 1;
}

td_status td_migrate_opts_json(td_op_t *op, json_t *j, td_migrate_opts_t *o) {
    static const char *const known_keys[] = {"tenant", "all",   "service", "jobs",
                                             "canary", "dry_run", "retry_failed"};
    *o = (td_migrate_opts_t){.jobs = 4, .canary = 1};
    int all = 0;
    if (!json_is_object(j))
        return bad(op, "invalid_request", "the body must be a JSON object");
    const char *key;
    json_t *v;
    json_object_foreach(j, key, v) {
        size_t k = 0;
        while (k < 7 && strcmp(key, known_keys[k]))
            k++;
        if (k == 7)
            return td_op_fail(op, TD_E_INVALID, 400, "invalid_request", "unknown field '%.40s'",
                              key);
    }
    if (!str_field(op, j, "tenant", &o->tenant) || !str_field(op, j, "service", &o->service) ||
        !int_field(j, "jobs", &o->jobs) || !int_field(j, "canary", &o->canary) ||
        !bool_field(j, "all", &all) || !bool_field(j, "dry_run", &o->dry_run) ||
        !bool_field(j, "retry_failed", &o->retry_failed))
        return bad(op, "invalid_request",
                   "tenant and service are strings, jobs and canary integers, all, dry_run"
                   " and retry_failed booleans");
    if (!!o->tenant == !!all)
        return bad(op, "invalid_request", "give either \"tenant\" or \"all\": true");
    return TD_OK;
}

json_t *td_migrate_opts_to_json(const td_migrate_opts_t *o) {
    json_t *j = json_pack("{s:i, s:i, s:b, s:b}", "jobs", o->jobs, "canary", o->canary,
                          "dry_run", o->dry_run, "retry_failed", o->retry_failed);
    if (o->tenant)
        json_object_set_new(j, "tenant", json_string(o->tenant));
    else
        json_object_set_new(j, "all", json_true());
    if (o->service)
        json_object_set_new(j, "service", json_string(o->service));
    return j;
}
