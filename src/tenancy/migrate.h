/* migrate.h — fleet migrations (issue 12 §1): bringing tenants' service
 * schemas up to the code's migrations, one tenant at a time or the whole
 * fleet, with the catalog's ledger (catalog/ledger.h) as the record.
 *
 * One code path migrates a tenant × service (td_migrate_service): under a
 * per-tenant lock, on a connection counted against the tenant pool's
 * budgets, every pending migration runs in ONE transaction
 * (td_db_migrate_tx), so a failure leaves the tenant's database exactly as
 * it was; the ledger then records exactly the versions the tenant database
 * says it has (never one that was not applied). The fleet run, enabling
 * a service, provisioning and the lazy migration of a request's tenant
 * all go through it. */
#ifndef TD_TENANCY_MIGRATE_H
#define TD_TENANCY_MIGRATE_H

#include <jansson.h>
#include <stdint.h>

#include "tenancy/tenancy.h"

/* What a run is asked to do (tenantd migrate, POST /v1/admin/migrations,
 * the tenants.migrate job's payload). */
typedef struct td_migrate_opts {
    const char *tenant;  /* slug or id; NULL = every live tenant (--all) */
    const char *service; /* NULL = every service */
    int jobs;            /* tenants migrated at once in a wave, 1..64 */
    int canary;          /* tenants migrated first, one by one; a failure stops the run */
    int dry_run;         /* plan only: nothing is opened or written */
    int retry_failed;    /* retry quarantined tenants too */
    const char *run_id;  /* the job's id (recorded with each migration), or NULL */
} td_migrate_opts_t;

/* One tenant × service of a run. state: "current" (never listed),
 * "pending" (dry run), "migrated", "failed", "quarantined" (skipped: an
 * earlier run failed it). */
typedef struct {
    const char *tenant_id, *slug, *service, *state;
    int from, to;      /* versions before and after */
    int64_t ms;        /* time spent on it */
    const char *error; /* failed/quarantined: why */
} td_migrate_item_t;

typedef struct {
    int64_t total;       /* tenant × service pairs in scope */
    int64_t current;     /* already current: skipped without opening */
    int64_t behind;      /* to migrate (or pending, dry run) */
    int64_t migrated, failed, quarantined;
    int canary_failed;   /* the canary failed: no wave ran */
    int64_t ms;          /* the run's time */
    td_migrate_item_t *items; /* every behind pair, in the order done */
    size_t nitems;
} td_migrate_report_t;

/* Called after each tenant × service is done (under the run's lock: keep
 * it short; may be called from several threads, one at a time). */
typedef void (*td_migrate_item_fn)(void *ctx, const td_migrate_item_t *it,
                                   const td_migrate_report_t *sofar);
/* Called about every half second by the thread that started the run, and
 * once at its end; a failure stops the run (a job's lease lost). */
typedef td_status (*td_migrate_tick_fn)(void *ctx, const td_migrate_report_t *sofar);

/* The run. Platform actors only (403 forbidden). Bad options: 400
 * invalid_request; unknown tenant: 404 tenant_not_found; unknown service:
 * 400 unknown_service; an applied migration whose text changed: 409
 * migration_checksum_mismatch (nothing is migrated). Failed tenants do not
 * fail the run (they are in the report); a failed canary does (409
 * migration_canary_failed). The report is arena-owned. */
td_status td_migrate_run(td_op_t *op, const td_migrate_opts_t *o, td_migrate_item_fn each,
                         td_migrate_tick_fn tick, void *ctx, td_migrate_report_t *out);
/* The report as JSON (new reference). */
json_t *td_migrate_report_json(const td_migrate_report_t *r);
/* Options from a JSON object (the API body, the job payload); 400
 * invalid_request in op->err for a bad field. */
td_status td_migrate_opts_json(td_op_t *op, json_t *j, td_migrate_opts_t *o);
json_t *td_migrate_opts_to_json(const td_migrate_opts_t *o);

/* What applying one tenant × service's pending migrations did, for the
 * catalog (td_migrate_record): a fleet run records them in batches. */
typedef struct {
    char tenant_id[40];
    td_schema_t svc;      /* the code's (static); name NULL: never located */
    const char *dialect;  /* static */
    td_status result;
    int from, to;         /* versions the tenant database had before and after */
    int failed;           /* index of the failing migration, or -1 */
    int64_t *ms;          /* malloc'd: svc.n durations, -1 = not applied now */
    char err[256];
} td_migrate_outcome_t;

/* Applies one tenant × service's pending migrations (td_db_migrate_tx
 * under the tenant's lock, on a connection counted against the pool's
 * budgets); records nothing. Free *o with td_migrate_outcome_free. */
td_status td_migrate_apply(td_platform_t *p, const char *tenant_id, const char *service,
                           td_migrate_outcome_t *o);
/* Records n outcomes in one catalog transaction: the ledger and versions
 * of those that succeeded, the quarantine of those that failed (when
 * quarantine is set). A crash before it loses nothing: the next run finds
 * the migrations applied and records them. */
td_status td_migrate_record(td_platform_t *p, const td_migrate_outcome_t *o, size_t n,
                            const char *run_id, int quarantine);
void td_migrate_outcome_free(td_migrate_outcome_t *o);

/* Migrates one tenant × service (the tenant's row and placement are read
 * from the catalog) and records it: *from and *to the versions. A failure
 * quarantines it (unless quarantine is 0) and fills err. */
td_status td_migrate_service(td_platform_t *p, const char *tenant_id, const char *service,
                             const char *run_id, int quarantine, int *from, int *to, char *err,
                             size_t errlen);

/* The request path (td_op_tenant_db): when the code has migrations the
 * tenant lacks, migrates them now (once per tenant per process: known
 * current tenants cost a hash lookup). TD_E_STATE with err when it could
 * not: the caller answers 503 tenant_migrating. */
td_status td_migrate_ensure(td_platform_t *p, const char *tenant_id, char *err, size_t errlen);

/* Records in the caller's catalog transaction that tenant has every
 * migration of svc in dialect (a new tenant or service made from a
 * template): ledger rows and schema_versions. */
td_status td_migrate_record_all(td_db_t *db, const char *tenant_id, const char *dialect,
                                const td_schema_t *svc);

/* How many live tenant × service pairs are behind the code, and the
 * quarantined ones (arena-owned). Platform actors only. */
struct td_ledger_failure;
td_status td_migrate_status(td_op_t *op, int64_t *behind, struct td_ledger_failure **f,
                            size_t *n);

/* TD_E_STATE with err saying which service is behind the code (and the
 * quarantine's error, if any) when the tenant has one (tenantd check). */
td_status td_migrate_check(td_platform_t *p, td_arena_t *a, const char *tenant_id, char *err,
                           size_t errlen);

/* How many tenant × service pairs the run run_id migrated, over all the
 * attempts of its job (its ledger rows). */
td_status td_migrate_run_count(td_platform_t *p, const char *run_id, int64_t *n);

/* The SHA-256 of sql as 64 hex digits in out (65 bytes). */
void td_migrate_checksum(const char *sql, char out[65]);

#endif
