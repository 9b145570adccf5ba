/* migrate.c — migrating one tenant × service, and keeping requests away
 * from schemas behind the code (see migrate.h; the fleet run is in
 * migrate_run.c).
 *
 * Locks: a tenant's migrations in this process are serialized by one of
 * STRIPES mutexes (by the tenant id's hash); across processes the tenant
 * database's own transaction serializes them (SQLite's write lock,
 * PostgreSQL's migration advisory lock) and each applies only what the
 * database's td_migrations lacks, so two runs never apply a migration
 * twice. The catalog is written after the tenant database commits: a crash
 * in between leaves the catalog behind, and the next run (or request)
 * finds nothing to apply and records what the database has. */
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/ledger.h"
#include "common/fault.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "services/services.h"
#include "tenancy/migrate.h"
#include "tenancy/tenancy_int.h"
#include "common/text.h"

/* How long a request waits for another migration of its tenant (a fleet
 * run's, or another request's) before answering 503 tenant_migrating: a
 * long ALTER must not hold every HTTP thread. */
#define ENSURE_WAIT_MS 500

#define STRIPES 256
#define KNOWN_STRIPES 1024
#define KNOWN_PER_STRIPE 128

static pthread_mutex_t locks[STRIPES];
static pthread_once_t locks_once = PTHREAD_ONCE_INIT;

/* Tenants this process found current (ids), so the request path asks the
 * catalog once per tenant: versions only go up while the code stays. */
static struct {
    pthread_mutex_t mu;
    char ids[KNOWN_PER_STRIPE][40];
    size_t n;
} known[KNOWN_STRIPES];

static void locks_init(void) {
    for (int i = 0; i < STRIPES; i++)
        pthread_mutex_init(&locks[i], NULL);
    for (int i = 0; i < KNOWN_STRIPES; i++)
        pthread_mutex_init(&known[i].mu, NULL);
}

static unsigned hash(const char *s) {
    return td_hash32(s);
}

static pthread_mutex_t *tenant_lock(const char *tenant_id) {
    pthread_once(&locks_once, locks_init);
    return &locks[hash(tenant_id) % STRIPES];
}

static int known_has(const char *tenant_id) {
    pthread_once(&locks_once, locks_init);
    unsigned k = hash(tenant_id) % KNOWN_STRIPES;
    int found = 0;
    pthread_mutex_lock(&known[k].mu);
    for (size_t i = 0; !found && i < known[k].n; i++)
        found = !strcmp(known[k].ids[i], tenant_id);
    pthread_mutex_unlock(&known[k].mu);
    return found;
}

/* A full stripe is emptied whole: a miss costs one catalog query. */
static void known_add(const char *tenant_id) {
    unsigned k = hash(tenant_id) % KNOWN_STRIPES;
    pthread_mutex_lock(&known[k].mu);
    if (known[k].n == KNOWN_PER_STRIPE)
        known[k].n = 0;
    snprintf(known[k].ids[known[k].n++], sizeof(known[k].ids[0]), "%s", tenant_id);
    pthread_mutex_unlock(&known[k].mu);
}

void td_migrate_checksum(const char *sql, char out[65]) {
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)(sql ? sql : ""), sql ? strlen(sql) : 0);
    sodium_bin2hex(out, 65, h, sizeof(h));
}

/* The ledger entries of svc's migrations up to version to; ms (may be
 * NULL) the durations of those applied now. Arena-owned. */
static td_ledger_entry_t *entries(td_arena_t *a, const td_schema_t *svc, const int64_t *ms) {
    td_ledger_entry_t *e = td_arena_alloc(a, sizeof(*e) * (svc->n + 1));
    for (size_t i = 0; e && i < svc->n; i++) {
        char *sum = td_arena_alloc(a, 65);
        if (!sum)
            return NULL;
        td_migrate_checksum(svc->migs[i].sql, sum);
        e[i] = (td_ledger_entry_t){.version = svc->migs[i].version,
                                   .name = svc->migs[i].name,
                                   .checksum = sum,
                                   .duration_ms = ms ? ms[i] : -1};
    }
    return e;
}

td_status td_migrate_record_all(td_db_t *db, const char *tenant_id, const char *dialect,
                                const td_schema_t *svc) {
    td_arena_t *a = td_arena_new(0);
    td_ledger_entry_t *e = a ? entries(a, svc, NULL) : NULL;
    td_status st = e ? td_cat_ledger_record(db, tenant_id, svc->name, dialect, e, svc->n,
                                            svc->n ? svc->migs[svc->n - 1].version : 0, NULL)
                     : TD_E_NOMEM;
    td_arena_destroy(a);
    return st;
}

/* What the pool's counted open needs to open the migration connection. */
typedef struct {
    const td_place_t *pl;
    const char *service;
    char *err;
    size_t errlen;
} open_ctx_t;

static td_status open_admin(void *ctx_, const char *tenant_id, td_db_t **out) {
    open_ctx_t *c = ctx_;
    return td_db_tenant_open_admin(c->pl, tenant_id, c->service, out, c->err, c->errlen);
}

/* Applies svc's pending migrations to the tenant's database on a
 * connection counted against the pool's budgets (when there is a pool). */
static td_status apply(td_platform_t *p, const td_place_t *pl, const char *tenant_id,
                       const td_schema_t *svc, int *from, int *to, int64_t *ms, int *failed,
                       char *err, size_t errlen) {
    open_ctx_t oc = {pl, svc->name, err, errlen};
    td_db_t *db = NULL;
    td_status st = p->pool ? td_pool_lease_counted(p->pool, tenant_id, open_admin, &oc, &db)
                           : open_admin(&oc, tenant_id, &db);
    if (st == TD_E_BUSY)
        snprintf(err, errlen, "every connection to the tenant's database server is in use");
    if (!st)
        st = td_db_migrate_tx(db, svc->name, svc->migs, svc->n, 0, from, to, ms, failed, err,
                              errlen);
    td_db_close(db);
    return st;
}

/* Records one outcome on db, inside the caller's transaction: the
 * versions the tenant database has on success, the quarantine on failure
 * (when quarantine is set). */
static td_status record_one(td_db_t *db, td_arena_t *a, const td_migrate_outcome_t *o,
                            const char *run_id, int quarantine) {
    /* only a migration's own failure quarantines: a busy or unreachable
     * database (or a lock that timed out) is tried again next time */
    int transient = o->failed < 0 || o->result == TD_E_BUSY || o->result == TD_E_UNAVAILABLE;
    if (o->result && (!quarantine || transient))
        return TD_OK;
    if (o->result) {
        size_t k = o->failed >= 0 ? (size_t)o->failed : 0;
        char sum[65];
        td_migrate_checksum(o->svc.n ? o->svc.migs[k].sql : "", sum);
        return td_cat_ledger_fail(db, o->tenant_id, o->svc.name,
                                  o->svc.n ? o->svc.migs[k].version : 0, sum,
                                  o->err[0] ? o->err : td_status_msg(o->result), run_id);
    }
    td_ledger_entry_t *e = entries(a, &o->svc, o->ms);
    return e ? td_cat_ledger_record(db, o->tenant_id, o->svc.name, o->dialect, e, o->svc.n, o->to,
                                    run_id)
             : TD_E_NOMEM;
}

td_status td_migrate_record(td_platform_t *p, const td_migrate_outcome_t *o, size_t n,
                            const char *run_id, int quarantine) {
    td_arena_t *a = td_arena_new(0);
    td_db_t *db;
    td_status st = a ? td_catalog_lease(p->catalog, NULL, &db) : TD_E_NOMEM;
    if (st) {
        td_arena_destroy(a);
        return st;
    }
    st = td_db_begin(db, TD_DB_WRITE);
    for (size_t i = 0; !st && i < n; i++)
        if (o[i].svc.name) /* a tenant that could not be located has nothing to record */
            st = record_one(db, a, &o[i], run_id, quarantine);
    st = st ? st : td_db_commit(db);
    if (st)
        td_db_rollback(db);
    td_catalog_release(p->catalog, db);
    td_arena_destroy(a);
    return st;
}

void td_migrate_outcome_free(td_migrate_outcome_t *o) {
    free(o->ms);
    o->ms = NULL;
}

/* td_migrate_apply, waiting at most wait_ms (< 0: as long as it takes)
 * for the tenant's migration lock: TD_E_BUSY when another migration of
 * the tenant holds it longer (the request path does not wait for one). */
static td_status apply_waiting(td_platform_t *p, const char *tenant_id, const char *service,
                               td_migrate_outcome_t *o, int64_t wait_ms) {
    td_arena_t *a = td_arena_new(0);
    td_tenant_t t;
    td_place_t pl;
    td_tenant_cred_t cred;
    *o = (td_migrate_outcome_t){.failed = -1};
    snprintf(o->tenant_id, sizeof(o->tenant_id), "%s", tenant_id);
    td_status st = a ? td_tenant_locate(p, a, tenant_id, &t, &pl, &cred) : TD_E_NOMEM;
    if (st)
        snprintf(o->err, sizeof(o->err), "cannot find the tenant's database: %s",
                 td_status_msg(st));
    else if (td_service_schema(service, pl.drv->name, &o->svc)) {
        snprintf(o->err, sizeof(o->err), "unknown service %s", service);
        st = TD_E_NOTFOUND;
    }
    o->dialect = st ? NULL : pl.drv->name;
    if (!st && !(o->ms = calloc(o->svc.n + 1, sizeof(*o->ms))))
        st = TD_E_NOMEM;
    if (!st) {
        snprintf(o->tenant_id, sizeof(o->tenant_id), "%s", t.row.id);
        pthread_mutex_t *mu = tenant_lock(t.row.id);
        struct timespec until = td_deadline(CLOCK_REALTIME, wait_ms);
        if (wait_ms < 0 ? pthread_mutex_lock(mu) : pthread_mutex_timedlock(mu, &until)) {
            snprintf(o->err, sizeof(o->err), "the tenant is being migrated");
            st = TD_E_BUSY;
        } else {
            st = apply(p, &pl, t.row.id, &o->svc, &o->from, &o->to, o->ms, &o->failed, o->err,
                       sizeof(o->err));
            pthread_mutex_unlock(mu);
        }
        if (!st && o->to > o->from && p->pool) /* idle handles re-read the schema */
            td_pool_forget(p->pool, t.row.id);
        if (st)
            td_log(TD_LOG_WARN, "tenant migration failed", "tenant_id", t.row.id, "service",
                   service, "error", o->err, NULL);
    }
    if (st && !o->err[0])
        snprintf(o->err, sizeof(o->err), "%s", td_status_msg(st));
    o->result = st;
    td_arena_destroy(a);
    return st;
}

td_status td_migrate_apply(td_platform_t *p, const char *tenant_id, const char *service,
                           td_migrate_outcome_t *o) {
    return apply_waiting(p, tenant_id, service, o, -1);
}

static td_status migrate_service(td_platform_t *p, const char *tenant_id, const char *service,
                                 const char *run_id, int quarantine, int64_t wait_ms, int *from,
                                 int *to, char *err, size_t errlen) {
    td_migrate_outcome_t o;
    td_status res = apply_waiting(p, tenant_id, service, &o, wait_ms);
    TD_FAULT("migrate.applied");
    td_status st = td_migrate_record(p, &o, 1, run_id, quarantine);
    *from = o.from;
    *to = res ? o.from : o.to;
    snprintf(err, errlen, "%s", o.err);
    if (!res && st)
        snprintf(err, errlen, "migrated, but the catalog did not record it: %s",
                 td_status_msg(st));
    td_migrate_outcome_free(&o);
    return res ? res : st;
}

td_status td_migrate_service(td_platform_t *p, const char *tenant_id, const char *service,
                             const char *run_id, int quarantine, int *from, int *to, char *err,
                             size_t errlen) {
    return migrate_service(p, tenant_id, service, run_id, quarantine, -1, from, to, err, errlen);
}

/* Says which of a tenant's services are behind the code (keep fn). */
static int behind_keep(void *ctx, const char *backend, const char *service, int version) {
    (void)ctx;
    return version < td_service_latest_version(service, backend);
}

td_status td_migrate_ensure(td_platform_t *p, const char *tenant_id, char *err, size_t errlen) {
    if (known_has(tenant_id))
        return TD_OK;
    td_arena_t *a = td_arena_new(0);
    td_ledger_behind_t *rows = NULL;
    td_ledger_failure_t *fails = NULL;
    size_t n = 0, nf = 0;
    int64_t total;
    td_db_t *db;
    td_status st = a ? td_catalog_lease(p->catalog, NULL, &db) : TD_E_NOMEM;
    if (!st) {
        st = td_cat_ledger_versions(db, a, tenant_id, behind_keep, NULL, &rows, &n, &total);
        if (!st && n)
            st = td_cat_ledger_failures(db, a, tenant_id, &fails, &nf);
        td_catalog_release(p->catalog, db);
    }
    if (st) { /* the catalog did not answer: the lease that follows will say */
        td_arena_destroy(a);
        return TD_OK;
    }
    for (size_t i = 0; !st && i < n; i++) {
        for (size_t f = 0; f < nf; f++)
            if (!strcmp(fails[f].service, rows[i].service)) {
                snprintf(err, errlen, "the %s migrations of this tenant failed: %s",
                         rows[i].service, fails[f].error);
                st = TD_E_STATE;
            }
        int from, to;
        char why[256];
        if (!st && migrate_service(p, tenant_id, rows[i].service, NULL, 1, ENSURE_WAIT_MS, &from,
                                   &to, why, sizeof(why))) {
            snprintf(err, errlen, "the %s migrations of this tenant failed: %s", rows[i].service,
                     why);
            st = TD_E_STATE;
        }
    }
    if (!st)
        known_add(tenant_id);
    td_arena_destroy(a);
    return st;
}

td_status td_migrate_check(td_platform_t *p, td_arena_t *a, const char *tenant_id, char *err,
                           size_t errlen) {
    td_ledger_behind_t *rows = NULL;
    td_ledger_failure_t *fails = NULL;
    size_t n = 0, nf = 0;
    int64_t total;
    td_db_t *db;
    td_status st = td_catalog_lease(p->catalog, NULL, &db);
    if (st)
        return st;
    st = td_cat_ledger_versions(db, a, tenant_id, behind_keep, NULL, &rows, &n, &total);
    if (!st && n)
        st = td_cat_ledger_failures(db, a, tenant_id, &fails, &nf);
    td_catalog_release(p->catalog, db);
    if (st || !n)
        return st;
    snprintf(err, errlen, "schema behind the code: %s at version %d of %d%s%s (tenantd migrate)",
             rows[0].service, rows[0].version,
             td_service_latest_version(rows[0].service, rows[0].backend),
             nf ? "; quarantined: " : "", nf ? fails[0].error : "");
    return TD_E_STATE;
}

td_status td_migrate_status(td_op_t *op, int64_t *behind, td_ledger_failure_t **f, size_t *n) {
    if (!td_actor_platform(&op->actor))
        return td_op_fail(op, TD_E_FORBIDDEN, 403, "forbidden", "platform operators only");
    td_ledger_behind_t *rows;
    size_t nb = 0;
    int64_t total;
    td_db_t *db;
    td_status st = td_catalog_lease(op->platform->catalog, NULL, &db);
    if (!st) {
        st = td_cat_ledger_versions(db, op->arena, NULL, behind_keep, NULL, &rows, &nb, &total);
        if (!st)
            st = td_cat_ledger_failures(db, op->arena, NULL, f, n);
        td_catalog_release(op->platform->catalog, db);
    }
    *behind = (int64_t)nb;
    return st ? td_op_fail_status(op, st, "cannot read the migration ledger") : TD_OK;
}

td_status td_migrate_run_count(td_platform_t *p, const char *run_id, int64_t *n) {
    td_db_t *db;
    td_status st = td_catalog_lease(p->catalog, NULL, &db);
    if (st)
        return st;
    st = td_cat_ledger_run_count(db, run_id, n);
    td_catalog_release(p->catalog, db);
    return st;
}
