/* stats.c — the figures the outbox drain keeps (tenant_service_stats,
 * tenant_stats, service_stats, and the writes of usage_metrics and
 * service_hourly) and the summaries that read them, so that a view across
 * tenants never opens a tenant database.
 *
 * Every update is "INSERT … ON CONFLICT (key) DO UPDATE SET x = t.x +
 * excluded.x", one SQL text for SQLite and PostgreSQL; a last-write time
 * only moves forward (a CASE, since SQLite's MAX and PostgreSQL's GREATEST
 * differ). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/audit.h"
#include "catalog/catalog_int.h"
#include "common/buf.h"

#define LATER(t, c) "CASE WHEN excluded." c " > COALESCE(" t "." c ", 0) THEN excluded." c \
                    " ELSE " t "." c " END"

/* Binds text then int64 values in order from position 1 and runs st. */
static td_status run(td_stmt_t *st, td_status rc, const char *const *t, int nt, const int64_t *v,
                     int nv) {
    for (int i = 0; !rc && i < nt; i++)
        rc = td_db_bind_text(st, i + 1, t[i]);
    for (int i = 0; !rc && i < nv; i++)
        rc = td_db_bind_int64(st, nt + i + 1, v[i]);
    if (!rc)
        rc = td_db_drain(st);
    td_db_finalize(st);
    return rc;
}

static td_status add_resource(td_db_t *db, const char *tid, const td_stat_delta_t *d) {
    td_stmt_t *st = NULL;
    td_status rc = td_db_prepare(
        db,
        "INSERT INTO tenant_service_stats (tenant_id, service, resource, rows_count, bytes,"
        " writes, last_write_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id, service,"
        " resource) DO UPDATE SET rows_count = tenant_service_stats.rows_count +"
        " excluded.rows_count, bytes = tenant_service_stats.bytes + excluded.bytes,"
        " writes = tenant_service_stats.writes + excluded.writes,"
        " last_write_at = " LATER("tenant_service_stats", "last_write_at"),
        &st);
    const char *t[] = {tid, d->service, d->resource};
    const int64_t v[] = {d->rows, d->bytes, d->writes, d->last_at};
    return run(st, rc, t, 3, v, 4);
}

/* One row of tenant_stats (key = tenant id) or service_stats (key =
 * service): rows, bytes, writes, last write. */
static td_status add_total(td_db_t *db, const char *table, const char *key_col, const char *key,
                           const int64_t v[4]) {
    char sql[640];
    snprintf(sql, sizeof(sql),
             "INSERT INTO %s (%s, rows_count, bytes, writes, last_write_at) VALUES (?, ?, ?, ?, ?)"
             " ON CONFLICT (%s) DO UPDATE SET rows_count = %s.rows_count + excluded.rows_count,"
             " bytes = %s.bytes + excluded.bytes, writes = %s.writes + excluded.writes,"
             " last_write_at = CASE WHEN excluded.last_write_at > COALESCE(%s.last_write_at, 0)"
             " THEN excluded.last_write_at ELSE %s.last_write_at END",
             table, key_col, key_col, table, table, table, table, table);
    td_stmt_t *st = NULL;
    td_status rc = td_db_prepare(db, sql, &st);
    const char *t[] = {key};
    return run(st, rc, t, 1, v, 4);
}

static td_status add_hour(td_db_t *db, const char *tid, const td_hour_delta_t *h) {
    td_stmt_t *st = NULL;
    td_status rc = td_db_prepare(
        db,
        "INSERT INTO usage_metrics (tenant_id, service, hour, writes, rows_written)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (tenant_id, service, hour) DO UPDATE SET"
        " writes = usage_metrics.writes + excluded.writes,"
        " rows_written = usage_metrics.rows_written + excluded.rows_written",
        &st);
    const char *t[] = {tid, h->service};
    const int64_t v[] = {h->hour, h->writes, h->rows_written};
    rc = run(st, rc, t, 2, v, 3);
    st = NULL;
    if (!rc)
        rc = td_db_prepare(db,
                           "INSERT INTO service_hourly (service, hour, writes, rows_written)"
                           " VALUES (?, ?, ?, ?) ON CONFLICT (service, hour) DO UPDATE SET"
                           " writes = service_hourly.writes + excluded.writes,"
                           " rows_written = service_hourly.rows_written + excluded.rows_written",
                           &st);
    return rc ? rc : run(st, rc, t + 1, 1, v, 3);
}

td_status td_cat_stats_add(td_db_t *db, const char *tenant_id, const td_stat_delta_t *d,
                           size_t nd, const td_hour_delta_t *h, size_t nh) {
    td_status rc = TD_OK;
    int64_t total[4] = {0, 0, 0, 0};
    for (size_t i = 0; !rc && i < nd; i++) {
        rc = add_resource(db, tenant_id, &d[i]);
        total[0] += d[i].rows, total[1] += d[i].bytes, total[2] += d[i].writes;
        if (d[i].last_at > total[3])
            total[3] = d[i].last_at;
        /* service_stats: the service's share of this batch */
        int64_t sv[4] = {d[i].rows, d[i].bytes, d[i].writes, d[i].last_at};
        if (!rc)
            rc = add_total(db, "service_stats", "service", d[i].service, sv);
    }
    if (!rc && nd)
        rc = add_total(db, "tenant_stats", "tenant_id", tenant_id, total);
    for (size_t i = 0; !rc && i < nh; i++)
        rc = add_hour(db, tenant_id, &h[i]);
    return rc;
}

static void read_service(td_stmt_t *st, td_arena_t *a, td_service_summary_t *s) {
    s->service = td_db_column_dup(st, a, 0);
    int64_t *v[] = {&s->tenants, &s->rows, &s->bytes, &s->writes_hour, &s->writes_day,
                    &s->last_write_at};
    for (int i = 0; i < 6; i++)
        *v[i] = td_db_column_int64(st, 1 + i);
}

td_status td_cat_summary_services(td_db_t *db, td_arena_t *a, int64_t now,
                                  td_service_summary_t **out, size_t *n) {
    int64_t hour = now - now % 3600000;
    td_stmt_t *st = NULL;
    td_status rc = td_db_prepare(
        db,
        "SELECT s.name, COALESCE(st.tenants, 0), COALESCE(st.rows_count, 0), COALESCE(st.bytes, 0),"
        " (SELECT COALESCE(sum(writes), 0) FROM service_hourly h WHERE h.service = s.name"
        "  AND h.hour >= ?),"
        " (SELECT COALESCE(sum(writes), 0) FROM service_hourly h WHERE h.service = s.name"
        "  AND h.hour >= ?),"
        " COALESCE(st.last_write_at, 0)"
        " FROM services s LEFT JOIN service_stats st ON st.service = s.name ORDER BY s.name",
        &st);
    /* the last hour: the current one and the one before; the last day: 24
     * hours back from the current hour's start */
    if (!rc)
        rc = td_db_bind_int64(st, 1, hour - 3600000);
    if (!rc)
        rc = td_db_bind_int64(st, 2, hour - 23 * 3600000);
    td_service_summary_t *rows = td_arena_alloc(a, sizeof(*rows) * 64);
    size_t k = 0;
    int r = 0;
    if (!rc && !rows)
        rc = TD_E_NOMEM;
    while (!rc && k < 64 && (r = td_db_step(st)) == TD_DB_ROW)
        read_service(st, a, &rows[k++]);
    if (!rc && r < 0)
        rc = (td_status)r;
    td_db_finalize(st);
    *out = rows;
    *n = k;
    return rc;
}

static int by_name(const void *x, const void *y) {
    return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* A tenant's services as the aggregate gave them (comma-separated, in no
 * defined order), sorted by name. */
static const char *sorted_services(td_arena_t *a, const char *list) {
    if (!list || !*list)
        return NULL;
    char *copy = td_arena_strdup(a, list);
    const char *part[64];
    size_t n = 0;
    for (char *save = NULL, *t = copy ? strtok_r(copy, ",", &save) : NULL; t && n < 64;
         t = strtok_r(NULL, ",", &save))
        part[n++] = t;
    qsort(part, n, sizeof(part[0]), by_name);
    td_buf_t out;
    td_buf_init(&out, strlen(list) + 1);
    for (size_t i = 0; i < n; i++)
        td_buf_printf(&out, "%s%s", i ? "," : "", part[i]);
    const char *r = td_arena_strdup(a, td_buf_str(&out));
    td_buf_free(&out);
    return r;
}

static void read_tenant(td_stmt_t *st, td_arena_t *a, td_tenant_summary_t *t) {
    const char **s[] = {&t->id, &t->slug, &t->status, &t->plan, &t->services};
    for (int i = 0; i < 4; i++)
        *s[i] = td_db_column_dup(st, a, i);
    *s[4] = sorted_services(a, td_db_column_text(st, 4));
    int64_t *v[] = {&t->users, &t->rows, &t->bytes, &t->last_activity};
    for (int i = 0; i < 4; i++)
        *v[i] = td_db_column_int64(st, 5 + i);
}

td_status td_cat_stats_ensure(td_db_t *db, const char *tenant_id) {
    td_stmt_t *st = NULL;
    td_status rc =
        td_db_query_row(db, "SELECT 1 FROM tenant_stats WHERE tenant_id = ?", tenant_id, &st);
    td_db_finalize(st);
    if (rc != TD_E_NOTFOUND)
        return rc;
    return td_db_execv(db, NULL,
                       "INSERT INTO tenant_stats (tenant_id, last_write_at) VALUES (?, 0)"
                       " ON CONFLICT (tenant_id) DO NOTHING",
                       tenant_id, NULL);
}

td_status td_cat_stats_forget(td_db_t *db, const char *tenant_id) {
#define OF_TENANT(col)                                                                        \
    "COALESCE((SELECT SUM(s." col ") FROM tenant_service_stats s WHERE s.tenant_id = ? AND" \
    " s.service = service_stats.service), 0)"
    td_status rc = td_db_begin(db, TD_DB_WRITE);
    if (!rc)
        rc = td_db_execv(db, NULL,
                         "UPDATE service_stats SET rows_count = rows_count - " OF_TENANT(
                             "rows_count") ", bytes = bytes - " OF_TENANT("bytes")
                         " WHERE service IN (SELECT service FROM tenant_service_stats"
                         " WHERE tenant_id = ?)",
                         tenant_id, tenant_id, tenant_id, NULL);
#undef OF_TENANT
    if (!rc)
        rc = td_db_execv(db, NULL, "DELETE FROM tenant_service_stats WHERE tenant_id = ?",
                         tenant_id, NULL);
    if (!rc)
        rc = td_db_execv(db, NULL, "DELETE FROM tenant_stats WHERE tenant_id = ?", tenant_id,
                         NULL);
    if (!rc)
        return td_db_commit(db);
    td_db_rollback(db);
    return rc;
}

/* The tenant summary: one SELECT over tenants with their figures; the sort
 * column and direction come from a fixed table (never from the request),
 * the keyset cursor is (sort value, tie-breaker id) or the slug. By slug it
 * walks tenants (index on the live slug); by a figure it walks tenant_stats
 * by that figure's index (every live tenant has its row once drained). */
td_status td_cat_summary_tenants(td_db_t *db, td_arena_t *a, const td_sum_page_t *pg,
                                 td_tenant_summary_t **out, size_t *n) {
    static const char *const cols[] = {"t.slug", "s.rows_count", "s.bytes", "s.last_write_at"};
    const char *col = cols[pg->key], *cmp = pg->desc ? "<" : ">", *dir = pg->desc ? "DESC" : "ASC";
    int limit = pg->limit > 0 && pg->limit <= 1000 ? pg->limit : 50;
    char where[320] = "";
    if (pg->has_after && pg->key == TD_SUM_SLUG)
        snprintf(where, sizeof(where), " AND t.slug %s ?", cmp);
    else if (pg->has_after)
        snprintf(where, sizeof(where), " AND (%s, s.tenant_id) %s (?, ?)", col, cmp);
    /* the page size is written into the statement (a validated number):
     * without a cursor the statement has no parameter, and PostgreSQL
     * plans it once instead of per request */
    char sql[1400];
    snprintf(sql, sizeof(sql),
             "SELECT t.id, t.slug, t.status, t.plan,"
             " (SELECT %s(service, ',') FROM tenant_services WHERE tenant_id = t.id"
             "  AND enabled = 1),"
             " COALESCE((SELECT rows_count FROM tenant_service_stats WHERE tenant_id = t.id"
             "  AND service = 'auth' AND resource = 'users'), 0),"
             " COALESCE(s.rows_count, 0), COALESCE(s.bytes, 0), COALESCE(s.last_write_at, 0)"
             " FROM %s WHERE t.status <> 'deleted'%s ORDER BY %s %s%s LIMIT %d",
             td_db_text_agg(db), pg->key == TD_SUM_SLUG ? "tenants t LEFT JOIN tenant_stats s ON s.tenant_id = t.id"
                                    : "tenant_stats s JOIN tenants t ON t.id = s.tenant_id",
             where, col, dir,
             pg->key == TD_SUM_SLUG ? "" : pg->desc ? ", s.tenant_id DESC" : ", s.tenant_id ASC",
             limit);
    td_stmt_t *st = NULL;
    td_status rc = td_db_prepare(db, sql, &st);
    if (!rc && pg->has_after && pg->key == TD_SUM_SLUG)
        rc = td_db_bind_text(st, 1, pg->after_key);
    else if (!rc && pg->has_after) {
        rc = td_db_bind_int64(st, 1, pg->after_num);
        if (!rc)
            rc = td_db_bind_text(st, 2, pg->after_key);
    }
    td_tenant_summary_t *rows = td_arena_alloc(a, sizeof(*rows) * (size_t)limit);
    size_t m = 0;
    int r = 0;
    if (!rc && !rows)
        rc = TD_E_NOMEM;
    while (!rc && m < (size_t)limit && (r = td_db_step(st)) == TD_DB_ROW)
        read_tenant(st, a, &rows[m++]);
    if (!rc && r < 0)
        rc = (td_status)r;
    td_db_finalize(st);
    *out = rows;
    *n = m;
    return rc;
}
