/* ledger.c — tenant_migrations, migration_failures and the part of
 * schema_versions they keep in step (see ledger.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog_int.h"
#include "catalog/ledger.h"

/* Grows an arena array of rows of size sz to hold one more; NULL when
 * out of memory (the old rows stay in the arena). */
static void *grow(td_arena_t *a, void *rows, size_t n, size_t *cap, size_t sz) {
    if (n < *cap)
        return rows;
    size_t ncap = *cap ? *cap * 2 : 64;
    void *r = td_arena_alloc(a, ncap * sz);
    if (r && n)
        memcpy(r, rows, n * sz);
    *cap = ncap;
    return r;
}

static int64_t col_int_or(td_stmt_t *st, int c, int64_t dflt) {
    return td_db_column_is_null(st, c) ? dflt : td_db_column_int64(st, c);
}

/* Steps st to its end, reading each row with read into a grown arena
 * array of rows of size sz (*out, *n). */
static td_status collect(td_stmt_t *st, td_arena_t *a, size_t sz,
                         void (*read)(td_stmt_t *st, td_arena_t *a, void *row), void **out,
                         size_t *n) {
    size_t cap = 0;
    int r;
    while ((r = td_db_step(st)) == TD_DB_ROW) {
        char *rows = grow(a, *out, *n, &cap, sz);
        if (!rows)
            return TD_E_NOMEM;
        *out = rows;
        read(st, a, rows + *n * sz);
        ++*n;
    }
    return r < 0 ? (td_status)r : TD_OK;
}

td_status td_cat_ledger_versions(td_db_t *db, td_arena_t *a, const char *tenant_id,
                                 td_ledger_keep_fn keep, void *ctx, td_ledger_behind_t **out,
                                 size_t *n, int64_t *total) {
    const char *sql =
        "SELECT t.id, t.slug, t.backend, ts.service, COALESCE(sv.version, 0)"
        " FROM tenant_services ts JOIN tenants t ON t.id = ts.tenant_id"
        " LEFT JOIN schema_versions sv ON sv.tenant_id = ts.tenant_id AND sv.service = ts.service"
        " WHERE ts.enabled = 1 AND t.status IN ('active', 'suspended')"
        " AND (CAST(? AS TEXT) IS NULL OR t.id = ?) ORDER BY t.id, ts.service";
    td_stmt_t *st = NULL;
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    *total = 0;
    td_status rc = td_db_prepare(db, sql, &st);
    if (!rc)
        rc = td_db_bind_text(st, 1, tenant_id);
    if (!rc)
        rc = td_db_bind_text(st, 2, tenant_id);
    int r = TD_DB_DONE;
    while (!rc && (r = td_db_step(st)) == TD_DB_ROW) {
        const char *backend = td_db_column_text(st, 2), *service = td_db_column_text(st, 3);
        int v = (int)td_db_column_int64(st, 4);
        int k = keep(ctx, backend, service, v);
        if (k < 0)
            continue; /* out of scope */
        ++*total;
        if (!k)
            continue;
        td_ledger_behind_t *rows = grow(a, *out, *n, &cap, sizeof(**out));
        if (!rows) {
            rc = TD_E_NOMEM;
            break;
        }
        *out = rows;
        rows[*n] = (td_ledger_behind_t){.tenant_id = td_db_column_dup(st, a, 0),
                                        .slug = td_db_column_dup(st, a, 1),
                                        .backend = td_db_column_dup(st, a, 2),
                                        .service = td_db_column_dup(st, a, 3),
                                        .version = v};
        ++*n;
    }
    if (!rc && r < 0)
        rc = (td_status)r;
    td_db_finalize(st);
    return rc;
}

static void read_sum(td_stmt_t *st, td_arena_t *a, void *row) {
    *(td_ledger_sum_t *)row = (td_ledger_sum_t){.dialect = td_db_column_dup(st, a, 0),
                                                .service = td_db_column_dup(st, a, 1),
                                                .version = (int)td_db_column_int64(st, 2),
                                                .checksum = td_db_column_dup(st, a, 3),
                                                .tenants = td_db_column_int64(st, 4),
                                                .tenant_id = td_db_column_dup(st, a, 5)};
}

td_status td_cat_ledger_sums(td_db_t *db, td_arena_t *a, td_ledger_sum_t **out, size_t *n) {
    td_stmt_t *st = NULL;
    *out = NULL;
    *n = 0;
    td_status rc = td_db_prepare(db,
                                 "SELECT m.dialect, m.service, m.version, m.checksum,"
                                 " count(*), min(m.tenant_id) FROM tenant_migrations m"
                                 " JOIN tenants t ON t.id = m.tenant_id"
                                 " WHERE m.checksum IS NOT NULL AND t.status <> 'deleted'"
                                 " GROUP BY m.dialect, m.service, m.version, m.checksum",
                                 &st);
    if (!rc)
        rc = collect(st, a, sizeof(**out), read_sum, (void **)out, n);
    td_db_finalize(st);
    return rc;
}

td_status td_cat_ledger_adopted(td_db_t *db, int *any) {
    td_stmt_t *st = NULL;
    td_status rc = td_db_query_row(
        db, "SELECT 1 FROM tenant_migrations WHERE checksum IS NULL LIMIT 1", NULL, &st);
    *any = rc == TD_OK;
    td_db_finalize(st);
    return rc == TD_E_NOTFOUND ? TD_OK : rc;
}

td_status td_cat_ledger_adopt(td_db_t *db, const char *backend, const char *service, int version,
                              const char *name, const char *checksum) {
    char v[16];
    snprintf(v, sizeof(v), "%d", version);
    return td_db_execv(db, NULL,
                       "UPDATE tenant_migrations SET name = ?, checksum = ?, dialect = ?"
                       " WHERE service = ? AND version = ? AND checksum IS NULL"
                       " AND tenant_id IN (SELECT id FROM tenants WHERE backend = ?)",
                       name, checksum, backend, service, v, backend, NULL);
}

/* One ledger row (a statement each: the driver interface has no reset;
 * a migration is rare). */
static td_status record_one(td_db_t *db, const char *tenant_id, const char *service,
                            const char *dialect, const td_ledger_entry_t *e, const char *now,
                            const char *run_id) {
    td_stmt_t *st = NULL;
    td_status rc = td_db_prepare(
        db,
        "INSERT INTO tenant_migrations (tenant_id, service, version, name, dialect, checksum,"
        " applied_at, duration_ms, run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (tenant_id, service, version) DO NOTHING",
        &st);
    rc = rc ? rc : td_db_bind_text(st, 1, tenant_id);
    rc = rc ? rc : td_db_bind_text(st, 2, service);
    rc = rc ? rc : td_db_bind_int64(st, 3, e->version);
    rc = rc ? rc : td_db_bind_text(st, 4, e->name);
    rc = rc ? rc : td_db_bind_text(st, 5, dialect);
    rc = rc ? rc : td_db_bind_text(st, 6, e->checksum);
    rc = rc ? rc : td_db_bind_text(st, 7, now);
    if (!rc)
        rc = e->duration_ms < 0 ? td_db_bind_null(st, 8) : td_db_bind_int64(st, 8, e->duration_ms);
    rc = rc ? rc : td_db_bind_text(st, 9, run_id);
    rc = rc ? rc : td_db_drain(st);
    td_db_finalize(st);
    return rc;
}

td_status td_cat_ledger_record(td_db_t *db, const char *tenant_id, const char *service,
                               const char *dialect, const td_ledger_entry_t *e, size_t n,
                               int version, const char *run_id) {
    char now[32];
    td_cat_now(now);
    td_status rc = TD_OK;
    for (size_t i = 0; !rc && i < n; i++)
        if (e[i].version <= version) /* never a version the tenant database lacks */
            rc = record_one(db, tenant_id, service, dialect, &e[i], now, run_id);
    if (!rc)
        rc = td_cat_schema_version_set(db, tenant_id, service, version);
    if (!rc)
        rc = td_db_execv(db, NULL,
                         "DELETE FROM migration_failures WHERE tenant_id = ? AND service = ?",
                         tenant_id, service, NULL);
    return rc;
}

td_status td_cat_ledger_fail(td_db_t *db, const char *tenant_id, const char *service,
                             int version, const char *checksum, const char *error,
                             const char *run_id) {
    char now[32], v[16];
    td_cat_now(now);
    snprintf(v, sizeof(v), "%d", version);
    return td_db_execv(db, NULL,
                       "INSERT INTO migration_failures (tenant_id, service, version, checksum,"
                       " error, run_id, failed_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
                       " ON CONFLICT (tenant_id, service) DO UPDATE SET"
                       " version = excluded.version, checksum = excluded.checksum,"
                       " error = excluded.error, run_id = excluded.run_id,"
                       " failed_at = excluded.failed_at,"
                       " attempts = migration_failures.attempts + 1",
                       tenant_id, service, v, checksum, error, run_id ? run_id : "", now, NULL);
}

static void read_failure(td_stmt_t *st, td_arena_t *a, void *row) {
    const char *run = td_db_column_dup(st, a, 6);
    *(td_ledger_failure_t *)row =
        (td_ledger_failure_t){.tenant_id = td_db_column_dup(st, a, 0),
                              .slug = td_db_column_dup(st, a, 1),
                              .service = td_db_column_dup(st, a, 2),
                              .version = (int)td_db_column_int64(st, 3),
                              .checksum = td_db_column_dup(st, a, 4),
                              .error = td_db_column_dup(st, a, 5),
                              .run_id = run && run[0] ? run : NULL,
                              .failed_at = td_db_column_dup(st, a, 7),
                              .attempts = (int)td_db_column_int64(st, 8)};
}

td_status td_cat_ledger_failures(td_db_t *db, td_arena_t *a, const char *tenant_id,
                                 td_ledger_failure_t **out, size_t *n) {
    td_stmt_t *st = NULL;
    *out = NULL;
    *n = 0;
    td_status rc = td_db_prepare(
        db,
        "SELECT f.tenant_id, t.slug, f.service, f.version, f.checksum, f.error, f.run_id,"
        " f.failed_at, f.attempts FROM migration_failures f JOIN tenants t ON t.id = f.tenant_id"
        " WHERE (CAST(? AS TEXT) IS NULL OR f.tenant_id = ?)"
        " AND t.status IN ('active', 'suspended') ORDER BY t.slug, f.service",
        &st);
    if (!rc)
        rc = td_db_bind_text(st, 1, tenant_id);
    if (!rc)
        rc = td_db_bind_text(st, 2, tenant_id);
    if (!rc)
        rc = collect(st, a, sizeof(**out), read_failure, (void **)out, n);
    td_db_finalize(st);
    return rc;
}

static void read_row(td_stmt_t *st, td_arena_t *a, void *row) {
    *(td_ledger_row_t *)row = (td_ledger_row_t){.service = td_db_column_dup(st, a, 0),
                                                .version = (int)td_db_column_int64(st, 1),
                                                .name = td_db_column_dup(st, a, 2),
                                                .checksum = td_db_column_dup(st, a, 3),
                                                .applied_at = td_db_column_dup(st, a, 4),
                                                .duration_ms = col_int_or(st, 5, -1),
                                                .run_id = td_db_column_dup(st, a, 6)};
}

td_status td_cat_ledger_rows(td_db_t *db, td_arena_t *a, const char *tenant_id,
                             td_ledger_row_t **out, size_t *n) {
    td_stmt_t *st = NULL;
    *out = NULL;
    *n = 0;
    td_status rc = td_db_prepare(db,
                                 "SELECT service, version, name, checksum, applied_at,"
                                 " duration_ms, run_id FROM tenant_migrations"
                                 " WHERE tenant_id = ? ORDER BY service, version",
                                 &st);
    if (!rc)
        rc = td_db_bind_text(st, 1, tenant_id);
    if (!rc)
        rc = collect(st, a, sizeof(**out), read_row, (void **)out, n);
    td_db_finalize(st);
    return rc;
}

td_status td_cat_ledger_run_count(td_db_t *db, const char *run_id, int64_t *n) {
    td_stmt_t *st = NULL;
    td_status rc = td_db_query_row(db,
                                   "SELECT count(*) FROM (SELECT DISTINCT tenant_id, service"
                                   " FROM tenant_migrations WHERE run_id = ?) r",
                                   run_id, &st);
    *n = rc ? 0 : td_db_column_int64(st, 0);
    td_db_finalize(st);
    return rc;
}
