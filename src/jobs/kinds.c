/* kinds.c — the table of job kinds, and the kinds that live in jobs/.
 *
 * sessions.cleanup deletes expired sessions: step 1 the catalog's platform
 * sessions and revocations, then one step per active tenant (in id order;
 * the checkpoint is the last tenant done) its auth.sessions. Every step is
 * a DELETE of what has expired, so running one twice changes nothing. */
#include <stdio.h>
#include <string.h>

#include "audit/audit.h"
#include "common/timeutil.h"
#include "jobs/jobs.h"
#include "ops/backups.h"
#include "ops/credits.h"
#include "ops/import.h"
#include "ops/ops.h"
#include "usage/usage.h"

static td_status sessions_cleanup(td_op_t *op, td_job_t *job);

static const td_job_kind_t kinds[] = {
    {"sessions.cleanup", sessions_cleanup,
     "delete expired sessions and revocations of the platform and of every active tenant"},
    {"usage.rollup", td_usage_rollup,
     "record each tenant service's stored bytes for the hour; prune old usage logs and hours"},
    {"tenant.provision", td_op_tenant_provision_job,
     "create a recorded tenant's databases and first admin, and make it active"},
    {"outbox.drain", td_audit_drain_job,
     "drain tenant outboxes into the audit log and the figures: the job's tenant, or every tenant"},
    {"tenants.migrate", td_op_migrate_job,
     "migrate tenants' service schemas to the code's migrations (payload: the run's options)"},
    {"tenant.backup", td_op_backup_job,
     "back up a tenant ({\"tenant\", \"keep\"?}: then keep only its newest keep backups)"},
    {"tenant.restore", td_op_restore_job,
     "restore a backup file into its tenant, or into a clone ({\"tenant_id\", \"file\", \"as\"?})"},
    {"tenant.move", td_op_tenant_move_job,
     "move a tenant's data to another place ({\"tenant_id\", \"to\": sqlite or a server id})"},
    {"tenants.import", td_op_import_job,
     "import a shared database into one tenant per tenant-column value (payload: the options)"},
    {"credits.monthly", td_credits_monthly_job,
     "grant every active tenant its plan's included credits for this month (once per month)"},
    {"pg.spares", td_jobs_spares_run,
     "keep pg_spares spare databases of each template ready on every PostgreSQL server"},
};

const td_job_kind_t *td_job_kinds(size_t *n) {
    *n = sizeof(kinds) / sizeof(kinds[0]);
    return kinds;
}

const td_job_kind_t *td_job_kind_find(const char *name) {
    for (size_t i = 0; name && i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (strcmp(kinds[i].name, name) == 0)
            return &kinds[i];
    return NULL;
}

/* Deletes one tenant's expired sessions on a connection of its own. */
static td_status purge_tenant(td_op_t *op, const char *tid, const char *now_iso) {
    char err[256] = "";
    td_db_t *db = NULL;
    td_status st = td_tenant_open_db(op->platform, op->arena, tid, &db, err, sizeof(err));
    if (!st)
        st = td_db_execv(db, NULL, "DELETE FROM auth.sessions WHERE expires_at < ?", now_iso, NULL);
    td_db_close(db);
    if (st)
        return td_op_fail(op, st, 503, "tenant_unavailable", "tenant %s: sessions not cleaned",
                          tid);
    return TD_OK;
}

/* Resumes after the recorded step: step 0 → the platform first; then the
 * active tenants after the checkpoint, in batches, one step each. */
static td_status sessions_cleanup(td_op_t *op, td_job_t *job) {
    const td_job_row_t *r = td_job_row(job);
    char now_iso[32];
    int64_t now = td_now_ms();
    td_time_iso(now, now_iso, sizeof(now_iso));
    td_db_t *cat;
    td_status st = td_catalog_lease(op->platform->catalog, op->arena, &cat);
    if (st)
        return td_op_fail(op, st, 503, "catalog_unavailable", "the catalog is not reachable");
    int step = r->step;
    int64_t done = r->done, purged = 0;
    const char *after = r->checkpoint;
    if (step == 0) {
        st = td_cat_sessions_purge(cat, now_iso, now / 1000, &purged);
        if (!st)
            st = td_job_progress(op, job, ++step, done, done, "platform sessions cleaned", NULL);
    }
    for (;;) {
        td_tenant_row_t *rows;
        size_t n = 0;
        if (!st)
            st = td_cat_tenant_list(cat, op->arena, "active", NULL, after, 100, &rows, &n);
        if (st || n == 0)
            break;
        for (size_t i = 0; !st && i < n; i++) {
            st = purge_tenant(op, rows[i].id, now_iso);
            after = rows[i].id;
            step++, done++;
            if (!st)
                st = td_job_progress(op, job, step, done, done + (int64_t)(n - i - 1),
                                     "tenant sessions cleaned", after);
        }
    }
    if (st && !op->err.st)
        td_op_fail(op, st, 503, td_status_code(st), "sessions could not be cleaned");
    return st;
}
