/* usage.c — the usage tables of the catalog (see usage.h). Every addition
 * is an INSERT … ON CONFLICT … DO UPDATE SET x = table.x + excluded.x,
 * which SQLite and PostgreSQL both accept; the latest request time is kept
 * with a CASE (no GREATEST/max() of two values in both dialects). */
#include "catalog/usage.h"

#include <string.h>

/* Prepares sql, binds the texts at 1..nt (NULL binds NULL) and the
 * integers after them, and steps it to its end; *changes when asked. */
static td_status exec_bound(td_db_t *db, const char *sql, const char *const *t, int nt,
                            const int64_t *v, int nv, int64_t *changes) {
    td_stmt_t *st = NULL;
    td_status rc = td_db_prepare(db, sql, &st);
    for (int i = 0; !rc && i < nt; i++)
        rc = t[i] ? td_db_bind_text(st, i + 1, t[i]) : td_db_bind_null(st, i + 1);
    for (int i = 0; !rc && i < nv; i++)
        rc = td_db_bind_int64(st, nt + i + 1, v[i]);
    if (!rc)
        rc = td_db_drain(st);
    if (!rc && changes)
        *changes = td_db_changes(st);
    td_db_finalize(st);
    return rc;
}

static const char metrics_sql[] =
    "INSERT INTO usage_metrics (tenant_id, service, hour, requests, bytes_in, bytes_out)"
    " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id, service, hour) DO UPDATE SET"
    " requests = usage_metrics.requests + excluded.requests,"
    " bytes_in = usage_metrics.bytes_in + excluded.bytes_in,"
    " bytes_out = usage_metrics.bytes_out + excluded.bytes_out";
static const char hourly_sql[] =
    "INSERT INTO service_hourly (service, hour, requests) VALUES (?, ?, ?)"
    " ON CONFLICT (service, hour) DO UPDATE SET"
    " requests = service_hourly.requests + excluded.requests";
static const char tenant_sql[] =
    "INSERT INTO tenant_stats (tenant_id, requests, last_request_at) VALUES (?, ?, ?)"
    " ON CONFLICT (tenant_id) DO UPDATE SET requests = tenant_stats.requests + excluded.requests,"
    " last_request_at = CASE WHEN tenant_stats.last_request_at IS NULL"
    " OR tenant_stats.last_request_at < excluded.last_request_at"
    " THEN excluded.last_request_at ELSE tenant_stats.last_request_at END";
static const char service_sql[] =
    "INSERT INTO service_stats (service, requests) VALUES (?, ?)"
    " ON CONFLICT (service) DO UPDATE SET requests = service_stats.requests + excluded.requests";
static const char log_sql[] =
    "INSERT INTO api_usage_logs (id, tenant_id, actor_kind, actor_id, method, route, request_id,"
    " at, duration_us, bytes_in, bytes_out, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

/* The four additions of one tenant × service × hour. */
static td_status add_row(td_db_t *db, const td_usage_row_t *r) {
    const char *ts[] = {r->tenant_id, r->service};
    const int64_t m[] = {r->hour, r->requests, r->bytes_in, r->bytes_out};
    td_status rc = exec_bound(db, metrics_sql, ts, 2, m, 4, NULL);
    const int64_t h[] = {r->hour, r->requests};
    if (!rc)
        rc = exec_bound(db, hourly_sql, &r->service, 1, h, 2, NULL);
    const int64_t t[] = {r->requests, r->last_at};
    if (!rc)
        rc = exec_bound(db, tenant_sql, &r->tenant_id, 1, t, 2, NULL);
    if (!rc)
        rc = exec_bound(db, service_sql, &r->service, 1, &r->requests, 1, NULL);
    return rc;
}

td_status td_cat_usage_add(td_db_t *db, const td_usage_row_t *rows, size_t n,
                           const td_usage_log_row_t *logs, size_t nlogs) {
    td_status rc = TD_OK;
    for (size_t i = 0; !rc && i < n; i++)
        rc = add_row(db, &rows[i]);
    for (size_t i = 0; !rc && i < nlogs; i++) {
        const td_usage_log_row_t *l = &logs[i];
        const char *ts[] = {l->id, l->tenant_id, l->actor_kind, l->actor_id,
                            l->method, l->route, l->request_id};
        const int64_t v[] = {l->at, l->duration_us, l->bytes_in, l->bytes_out, l->status};
        rc = exec_bound(db, log_sql, ts, 7, v, 5, NULL);
    }
    return rc;
}

td_status td_cat_usage_storage(td_db_t *db, int64_t hour, int64_t *n) {
    /* "WHERE true": SQLite needs it to tell the upsert from a join */
    static const char sql[] =
        "INSERT INTO usage_metrics (tenant_id, service, hour, storage_bytes)"
        " SELECT tenant_id, service, ?, SUM(bytes) FROM tenant_service_stats WHERE true"
        " GROUP BY tenant_id, service ON CONFLICT (tenant_id, service, hour) DO UPDATE SET"
        " storage_bytes = excluded.storage_bytes";
    return exec_bound(db, sql, NULL, 0, &hour, 1, n);
}

td_status td_cat_usage_prune(td_db_t *db, int64_t logs_before, int64_t hours_before,
                             int64_t *nlogs, int64_t *nhours) {
    int64_t other = 0;
    td_status rc = exec_bound(db, "DELETE FROM api_usage_logs WHERE at < ?", NULL, 0,
                              &logs_before, 1, nlogs);
    if (!rc)
        rc = exec_bound(db, "DELETE FROM usage_metrics WHERE hour < ?", NULL, 0, &hours_before,
                        1, nhours);
    if (!rc)
        rc = exec_bound(db, "DELETE FROM service_hourly WHERE hour < ?", NULL, 0, &hours_before,
                        1, &other);
    return rc;
}

td_status td_cat_usage_series(td_db_t *db, td_arena_t *a, const char *tenant_id,
                              const char *service, int64_t from, int64_t to, size_t max,
                              td_usage_point_t **out, size_t *n) {
    /* "? IS NULL OR": one statement whatever the filters */
    static const char sql[] =
        "SELECT hour, SUM(requests), SUM(writes), SUM(rows_written), SUM(bytes_in),"
        " SUM(bytes_out), SUM(storage_bytes) FROM usage_metrics"
        " WHERE (CAST(? AS TEXT) IS NULL OR tenant_id = ?)"
        " AND (CAST(? AS TEXT) IS NULL OR service = ?)"
        " AND hour >= ? AND hour < ? GROUP BY hour ORDER BY hour";
    td_stmt_t *st = NULL;
    td_usage_point_t *pts = td_arena_alloc(a, sizeof(*pts) * (max ? max : 1));
    size_t k = 0;
    int r = 0;
    td_status rc = pts ? td_db_prepare(db, sql, &st) : TD_E_NOMEM;
    const char *ts[] = {tenant_id, tenant_id, service, service};
    for (int i = 0; !rc && i < 4; i++)
        rc = ts[i] ? td_db_bind_text(st, i + 1, ts[i]) : td_db_bind_null(st, i + 1);
    if (!rc)
        rc = td_db_bind_int64(st, 5, from);
    if (!rc)
        rc = td_db_bind_int64(st, 6, to);
    while (!rc && k < max && (r = td_db_step(st)) == TD_DB_ROW) {
        td_usage_point_t *p = &pts[k++];
        int64_t *f[] = {&p->start, &p->requests, &p->writes, &p->rows_written,
                        &p->bytes_in, &p->bytes_out, &p->storage_bytes};
        for (int c = 0; c < 7; c++)
            *f[c] = td_db_column_int64(st, c);
    }
    if (!rc && r < 0)
        rc = (td_status)r;
    td_db_finalize(st);
    *out = pts;
    *n = k;
    return rc;
}
