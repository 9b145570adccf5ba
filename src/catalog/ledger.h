/* ledger.h — the migration ledger of the catalog (migration 0012):
 * tenant_migrations (each tenant's applied migrations per service, with
 * the checksum of the SQL text that ran) and migration_failures (tenants
 * quarantined by a failed migration). schema_versions stays the summary
 * (tenant × service → version) that fleet runs plan from; the functions
 * here keep the three in step. SQL only: tenancy/migrate.c decides. */
#ifndef TD_CATALOG_LEDGER_H
#define TD_CATALOG_LEDGER_H

#include <stdint.h>

#include "catalog/catalog.h"

/* One tenant × service whose recorded version is below the code's. */
typedef struct {
    const char *tenant_id, *slug, *backend, *service;
    int version; /* recorded (0 = none) */
} td_ledger_behind_t;

/* Says what to do with a live tenant's enabled service at version: 1
 * list it (behind), 0 count it only (current), -1 ignore it (out of the
 * run's scope). */
typedef int (*td_ledger_keep_fn)(void *ctx, const char *backend, const char *service,
                                 int version);
/* The enabled services of live (active or suspended) tenants — of one
 * tenant when tenant_id is given — with their recorded versions, by
 * tenant id: those keep lists go in *out (arena-owned), *total counts
 * those in scope. */
td_status td_cat_ledger_versions(td_db_t *db, td_arena_t *a, const char *tenant_id,
                                 td_ledger_keep_fn keep, void *ctx, td_ledger_behind_t **out,
                                 size_t *n, int64_t *total);

/* One distinct (dialect, service, version, checksum) of the ledger, with
 * how many live (not deleted) tenants carry it and one of them. */
typedef struct {
    const char *dialect, *service, *checksum, *tenant_id;
    int version;
    int64_t tenants;
} td_ledger_sum_t;
td_status td_cat_ledger_sums(td_db_t *db, td_arena_t *a, td_ledger_sum_t **out, size_t *n);

/* *any = 1 when some ledger rows are adopted and not stamped yet. */
td_status td_cat_ledger_adopted(td_db_t *db, int *any);
/* Names and stamps the adopted rows (applied before the ledger existed)
 * of service version on tenants of backend with the code's name and
 * checksum. */
td_status td_cat_ledger_adopt(td_db_t *db, const char *backend, const char *service, int version,
                              const char *name, const char *checksum);

/* One migration present in a tenant database, to record. */
typedef struct {
    int version;
    const char *name, *checksum;
    int64_t duration_ms; /* < 0: not applied now (NULL in the ledger) */
} td_ledger_entry_t;

/* Inside the caller's transaction: records every entry not yet in the
 * ledger (run_id may be NULL), sets schema_versions to version, and lifts
 * the tenant × service's quarantine. */
td_status td_cat_ledger_record(td_db_t *db, const char *tenant_id, const char *service,
                               const char *dialect, const td_ledger_entry_t *e, size_t n,
                               int version, const char *run_id);

/* A quarantined tenant × service. */
typedef struct td_ledger_failure {
    const char *tenant_id, *slug, *service, *checksum, *error, *run_id, *failed_at;
    int version, attempts;
} td_ledger_failure_t;

/* Quarantines tenant × service after migration version (text checksum)
 * failed with error; a second failure counts an attempt more. */
td_status td_cat_ledger_fail(td_db_t *db, const char *tenant_id, const char *service,
                             int version, const char *checksum, const char *error,
                             const char *run_id);
/* The quarantined tenants (of one tenant when tenant_id is given), by
 * slug; arena-owned. */
td_status td_cat_ledger_failures(td_db_t *db, td_arena_t *a, const char *tenant_id,
                                 td_ledger_failure_t **out, size_t *n);

/* The ledger rows of a tenant (every service), by service and version. */
typedef struct {
    const char *service, *name, *checksum, *applied_at, *run_id;
    int version;
    int64_t duration_ms; /* -1 = NULL */
} td_ledger_row_t;
td_status td_cat_ledger_rows(td_db_t *db, td_arena_t *a, const char *tenant_id,
                             td_ledger_row_t **out, size_t *n);

/* How many tenant × service pairs run run_id migrated (the ledger rows it
 * recorded, over every attempt of its job). */
td_status td_cat_ledger_run_count(td_db_t *db, const char *run_id, int64_t *n);

#endif
