/* import.h — import from a shared database (issue 12 part 4, SPEC §8):
 * what `tenantd import` runs. A shared database (a SQLite file or a
 * PostgreSQL URL) whose tables carry a tenant column becomes one tenant
 * per distinct value, each table a resource of an operator service
 * generated from the source schema (td_op_import_generate), copied in
 * foreign-key order and verified (row counts and checksums per tenant per
 * table). Platform actors only. Failures fill op->err with a stable code
 * (docs/import.md): 400 import_unknown_scheme, import_tenant_column_missing,
 * import_bad_map, import_bad_slug, import_slug_clash, import_no_primary_key,
 * import_unsupported_key, import_bad_name; 404 import_source_not_found,
 * import_service_not_found; 409 import_service_exists,
 * import_schema_mismatch; 503 import_source_unreachable. Nothing is
 * written before the source, the mapping and the service are checked. */
#ifndef TD_OPS_IMPORT_H
#define TD_OPS_IMPORT_H

#include <stdint.h>

#include "jobs/jobs.h"
#include "ops/op.h"

typedef struct {
    const char *from;          /* sqlite:FILE | postgres://… */
    const char *tenant_column; /* the column naming each row's tenant */
    const char *map_file;      /* JSON {"value": "slug"}; NULL: the slug rule */
    const char *service;       /* the operator service receiving the rows */
    int dry_run;               /* read and report, write nothing */
} td_import_opts_t;

/* One line of the report: one table of one tenant. */
typedef struct {
    const char *value;     /* the tenant column's value */
    const char *slug;      /* its tenant */
    const char *table;
    int64_t source_rows;   /* rows of the tenant in the source */
    int64_t imported_rows; /* rows in the tenant's table (after the run) */
    char source_sum[17];   /* checksums (hex) of the rows, as the target stores them */
    char imported_sum[17];
    int match;             /* counts and checksums agree */
    const char *action;    /* unchanged | written | would_write | would_create */
} td_import_line_t;

/* Called per line as each tenant ends (done tenants of total), then once
 * with l NULL for the tenant itself. A failure stops the run. */
typedef td_status (*td_import_fn)(void *ctx, const td_import_line_t *l, int done, int total);

/* The figures of a run. */
typedef struct {
    int tenants, created, changed, mismatches;
    int64_t rows; /* source rows of every tenant */
} td_import_result_t;

/* Writes DIR/NAME/service.json and its migrations (sqlite, postgres) from
 * the source schema: each table with the tenant column a resource (the
 * tenant column dropped, the source key in src_id, foreign keys as refs
 * to deterministic ids). *unchanged = 1 when the same files were there. */
td_status td_op_import_generate(td_op_t *op, const char *from, const char *column,
                                const char *name, const char *dir, int *unchanged);
/* Imports (or, with o->dry_run, reports what it would import). fn may be
 * NULL. A mismatch is no failure of the call: res->mismatches counts it. */
td_status td_op_import(td_op_t *op, const td_import_opts_t *o, td_import_fn fn, void *ctx,
                       td_import_result_t *res);

/* Checks o as a dry run would (every code above answers now) and queues
 * a tenants.import job with o as its payload; *job is the queued job. A
 * PostgreSQL source URL holding a password is refused (400
 * import_secret_in_url): the payload is kept in the catalog in clear;
 * give the password through PGPASSFILE (~/.pgpass) instead. */
td_status td_op_import_async(td_op_t *op, const td_import_opts_t *o, td_job_row_t *job);
/* The tenants.import job kind: td_op_import of the payload, a recorded
 * step per tenant. Running it again after a kill redoes only what is not
 * done (tenants already imported are unchanged). A mismatch fails the job
 * (import_mismatch). */
td_status td_op_import_job(td_op_t *op, td_job_t *job);

#endif
