/* plans.c — plans, subscriptions and subscription_changes (0015): the SQL
 * of plans.h, one text for both dialects. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog_int.h"
#include "catalog/plans.h"
#include "common/timeutil.h"

#define PLAN_COLS                                                                         \
    "code, name, price_amount, currency, period, max_users, max_api_keys,"               \
    " requests_per_minute, storage_bytes, services, max_rows_per_resource,"              \
    " included_credits, created_at, updated_at"

td_plan_limits_t td_plan_unlimited(void) {
    return (td_plan_limits_t){-1, -1, -1, -1, -1, 0, NULL, 0};
}

static int64_t opt_int(td_stmt_t *st, int col) {
    return td_db_column_is_null(st, col) ? TD_PLAN_UNLIMITED : td_db_column_int64(st, col);
}

/* The services column (NULL or a JSON array of names) into l. */
static void read_services(td_arena_t *a, const char *txt, td_plan_limits_t *l) {
    l->services = NULL;
    l->nservices = 0;
    json_error_t e;
    json_t *arr = txt ? json_loads(txt, 0, &e) : NULL;
    if (!json_is_array(arr)) {
        json_decref(arr);
        return;
    }
    l->services = td_arena_alloc(a, sizeof(char *) * (json_array_size(arr) + 1));
    for (size_t i = 0; l->services && i < json_array_size(arr); i++) {
        const char *s = json_string_value(json_array_get(arr, i));
        if (s)
            l->services[l->nservices++] = td_arena_strdup(a, s);
    }
    json_decref(arr);
}

static void read_plan(td_stmt_t *st, td_arena_t *a, td_plan_row_t *p) {
    memset(p, 0, sizeof(*p));
    p->code = td_db_column_dup(st, a, 0);
    p->name = td_db_column_dup(st, a, 1);
    p->price_amount = td_db_column_int64(st, 2);
    p->currency = td_db_column_dup(st, a, 3);
    p->period = td_db_column_dup(st, a, 4);
    p->limits.max_users = opt_int(st, 5);
    p->limits.max_api_keys = opt_int(st, 6);
    p->limits.requests_per_minute = opt_int(st, 7);
    p->limits.storage_bytes = opt_int(st, 8);
    read_services(a, td_db_column_text(st, 9), &p->limits);
    p->limits.max_rows_per_resource = opt_int(st, 10);
    p->limits.included_credits = td_db_column_int64(st, 11);
    p->created_at = td_db_column_dup(st, a, 12);
    p->updated_at = td_db_column_dup(st, a, 13);
}

td_status td_cat_plan_get(td_db_t *db, td_arena_t *a, const char *code, td_plan_row_t *out) {
    td_stmt_t *st;
    td_status rc = td_db_query_row(db, "SELECT " PLAN_COLS " FROM plans WHERE code = ?", code, &st);
    if (!rc) {
        read_plan(st, a, out);
        td_db_finalize(st);
    }
    return rc;
}

td_status td_cat_plan_list(td_db_t *db, td_arena_t *a, td_plan_row_t **out, size_t *n) {
    td_stmt_t *st = NULL;
    *n = 0;
    td_status rc =
        td_db_prepare(db, "SELECT " PLAN_COLS " FROM plans ORDER BY price_amount, code", &st);
    size_t cap = 16;
    td_plan_row_t *v = td_arena_alloc(a, sizeof(*v) * cap);
    int r = 0;
    while (!rc && v && (r = td_db_step(st)) == TD_DB_ROW) {
        if (*n == cap) {
            td_plan_row_t *w = td_arena_alloc(a, sizeof(*w) * cap * 2);
            if (w)
                memcpy(w, v, sizeof(*v) * cap);
            v = w;
            cap *= 2;
        }
        if (v)
            read_plan(st, a, &v[(*n)++]);
    }
    if (!rc && r < 0)
        rc = (td_status)r;
    td_db_finalize(st);
    *out = v;
    return !rc && !v ? TD_E_NOMEM : rc;
}

/* The services of l as the column holds them (malloc'd JSON, or NULL). */
static char *services_text(const td_plan_limits_t *l) {
    if (!l->services)
        return NULL;
    json_t *arr = json_array();
    for (size_t i = 0; i < l->nservices; i++)
        json_array_append_new(arr, json_string(l->services[i]));
    char *s = json_dumps(arr, JSON_COMPACT);
    json_decref(arr);
    return s;
}

static td_status bind_limit(td_stmt_t *st, int idx, int64_t v) {
    return v < 0 ? td_db_bind_null(st, idx) : td_db_bind_int64(st, idx, v);
}

/* Binds name … updated_at (11 values) from index 1 and code last (12). */
static td_status bind_plan(td_stmt_t *st, const td_plan_row_t *p, const char *now) {
    char *svc = services_text(&p->limits);
    td_status rc = td_db_bind_text(st, 1, p->name);
    const int64_t lim[] = {p->limits.max_users, p->limits.max_api_keys,
                           p->limits.requests_per_minute, p->limits.storage_bytes};
    if (!rc)
        rc = td_db_bind_int64(st, 2, p->price_amount);
    if (!rc)
        rc = td_db_bind_text(st, 3, p->currency);
    if (!rc)
        rc = td_db_bind_text(st, 4, p->period);
    for (int i = 0; !rc && i < 4; i++)
        rc = bind_limit(st, 5 + i, lim[i]);
    if (!rc)
        rc = svc ? td_db_bind_text(st, 9, svc) : td_db_bind_null(st, 9);
    if (!rc)
        rc = bind_limit(st, 10, p->limits.max_rows_per_resource);
    if (!rc)
        rc = td_db_bind_int64(st, 11, p->limits.included_credits);
    if (!rc)
        rc = td_db_bind_text(st, 12, now);
    if (!rc)
        rc = td_db_bind_text(st, 13, p->code);
    free(svc);
    return rc;
}

td_status td_cat_plan_insert(td_db_t *db, const td_plan_row_t *p) {
    char now[32];
    td_cat_now(now);
    td_stmt_t *st = NULL;
    td_status rc = td_db_prepare(
        db,
        "INSERT INTO plans (name, price_amount, currency, period, max_users, max_api_keys,"
        " requests_per_minute, storage_bytes, services, max_rows_per_resource,"
        " included_credits, updated_at, code, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        &st);
    if (!rc)
        rc = bind_plan(st, p, now);
    if (!rc)
        rc = td_db_bind_text(st, 14, now);
    if (!rc)
        rc = td_db_drain(st);
    td_db_finalize(st);
    return rc;
}

td_status td_cat_plan_update(td_db_t *db, const td_plan_row_t *p) {
    char now[32];
    td_cat_now(now);
    td_stmt_t *st = NULL;
    td_status rc = td_db_prepare(
        db,
        "UPDATE plans SET name = ?, price_amount = ?, currency = ?, period = ?, max_users = ?,"
        " max_api_keys = ?, requests_per_minute = ?, storage_bytes = ?, services = ?,"
        " max_rows_per_resource = ?, included_credits = ?, updated_at = ? WHERE code = ?",
        &st);
    if (!rc)
        rc = bind_plan(st, p, now);
    if (!rc)
        rc = td_db_drain(st);
    int64_t changed = rc ? 0 : td_db_changes(st);
    td_db_finalize(st);
    return rc ? rc : changed ? TD_OK : TD_E_NOTFOUND;
}

td_status td_cat_plan_delete(td_db_t *db, const char *code) {
    int64_t n = 0;
    td_status rc = td_db_execv(db, &n, "DELETE FROM plans WHERE code = ?", code, NULL);
    return rc ? rc : n ? TD_OK : TD_E_NOTFOUND;
}

/* One count(*) (or figure) of sql with one text argument. */
static td_status count_of(td_db_t *db, const char *sql, const char *arg, const char *arg2,
                          int64_t *n) {
    td_stmt_t *st = NULL;
    *n = 0;
    td_status rc = td_db_prepare(db, sql, &st);
    if (!rc)
        rc = td_db_bind_text(st, 1, arg);
    if (!rc && arg2)
        rc = td_db_bind_text(st, 2, arg2);
    int r = rc ? 0 : td_db_step(st);
    if (r == TD_DB_ROW)
        *n = td_db_column_int64(st, 0);
    else if (!rc && r < 0)
        rc = (td_status)r;
    td_db_finalize(st);
    return rc;
}

td_status td_cat_plan_tenants(td_db_t *db, const char *code, int64_t *n) {
    return count_of(db, "SELECT count(*) FROM tenants WHERE plan = ? AND status <> 'deleted'",
                    code, NULL, n);
}

td_status td_cat_apikey_count_live(td_db_t *db, const char *tenant_id, int64_t *n) {
    char now[32];
    td_cat_now(now);
    return count_of(db,
                    "SELECT count(*) FROM api_keys WHERE tenant_id = ? AND revoked_at IS NULL"
                    " AND (expires_at IS NULL OR expires_at > ?)",
                    tenant_id, now, n);
}

td_status td_cat_tenant_storage(td_db_t *db, const char *tenant_id, int64_t *bytes) {
    return count_of(db, "SELECT COALESCE(SUM(bytes), 0) FROM tenant_stats WHERE tenant_id = ?",
                    tenant_id, NULL, bytes);
}

#define SUB_COLS                                                                          \
    "tenant_id, plan, status, current_period_start, current_period_end, created_at,"    \
    " updated_at"

td_status td_cat_subscription_get(td_db_t *db, td_arena_t *a, const char *tenant_id,
                                  td_subscription_row_t *out) {
    td_stmt_t *st;
    td_status rc = td_db_query_row(db, "SELECT " SUB_COLS " FROM subscriptions WHERE tenant_id = ?",
                                   tenant_id, &st);
    if (rc)
        return rc;
    const char **f[] = {&out->tenant_id,          &out->plan,          &out->status,
                        &out->current_period_start, &out->current_period_end, &out->created_at,
                        &out->updated_at};
    for (int i = 0; i < 7; i++)
        *f[i] = td_db_column_dup(st, a, i);
    td_db_finalize(st);
    return TD_OK;
}

static td_status append_change(td_db_t *db, const td_subscription_change_t *c) {
    td_stmt_t *st = NULL;
    td_status rc = td_db_prepare(
        db,
        "INSERT INTO subscription_changes (id, tenant_id, from_plan, to_plan, from_status,"
        " to_status, currency, actor_kind, actor_id, at, proration_amount)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        &st);
    const char *v[] = {c->id,       c->tenant_id,  c->from_plan, c->to_plan, c->from_status,
                       c->to_status, c->currency, c->actor_kind, c->actor_id, c->at};
    for (int i = 0; !rc && i < 10; i++)
        rc = v[i] ? td_db_bind_text(st, i + 1, v[i]) : td_db_bind_null(st, i + 1);
    if (!rc)
        rc = td_db_bind_int64(st, 11, c->proration_amount);
    if (!rc)
        rc = td_db_drain(st);
    td_db_finalize(st);
    return rc;
}

td_status td_cat_subscription_set(td_db_t *db, const td_subscription_row_t *s,
                                  const td_subscription_change_t *c) {
    td_status rc = td_db_execv(
        db, NULL,
        "INSERT INTO subscriptions (" SUB_COLS ") VALUES (?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (tenant_id) DO UPDATE SET plan = excluded.plan, status = excluded.status,"
        " current_period_start = excluded.current_period_start,"
        " current_period_end = excluded.current_period_end, updated_at = excluded.updated_at",
        s->tenant_id, s->plan, s->status, s->current_period_start, s->current_period_end,
        s->created_at, s->updated_at, NULL);
    int64_t n = 0;
    if (!rc)
        rc = td_db_execv(db, &n,
                         "UPDATE tenants SET plan = ?, updated_at = ? WHERE id = ?"
                         " AND (plan IS NULL OR plan <> ?)",
                         s->plan, s->updated_at, s->tenant_id, s->plan, NULL);
    return rc || !c ? rc : append_change(db, c);
}

td_status td_cat_subscription_changes(td_db_t *db, td_arena_t *a, const char *tenant_id,
                                      int limit, td_subscription_change_t **out, size_t *n) {
    td_stmt_t *st = NULL;
    *n = 0;
    td_status rc = td_db_prepare(
        db,
        "SELECT id, tenant_id, from_plan, to_plan, from_status, to_status, currency,"
        " actor_kind, actor_id, at, proration_amount FROM subscription_changes"
        " WHERE tenant_id = ? ORDER BY at DESC, id DESC LIMIT ?",
        &st);
    if (!rc)
        rc = td_db_bind_text(st, 1, tenant_id);
    if (!rc)
        rc = td_db_bind_int64(st, 2, limit);
    td_subscription_change_t *v = td_arena_alloc(a, sizeof(*v) * ((size_t)limit + 1));
    int r = 0;
    while (!rc && v && *n < (size_t)limit && (r = td_db_step(st)) == TD_DB_ROW) {
        td_subscription_change_t *c = &v[(*n)++];
        const char **f[] = {&c->id,        &c->tenant_id, &c->from_plan,  &c->to_plan,
                            &c->from_status, &c->to_status, &c->currency, &c->actor_kind,
                            &c->actor_id,  &c->at};
        for (int i = 0; i < 10; i++)
            *f[i] = td_db_column_dup(st, a, i);
        c->proration_amount = td_db_column_int64(st, 10);
    }
    if (!rc && r < 0)
        rc = (td_status)r;
    td_db_finalize(st);
    *out = v;
    return !rc && !v ? TD_E_NOMEM : rc;
}

/* Days in month m (0-11) of year y. */
static int month_days(int y, int m) {
    static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return d[m] + (m == 1 && leap);
}

int64_t td_plan_period_end(int64_t start_ms, const char *period) {
    time_t s = (time_t)(start_ms / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    int year = strcmp(period ? period : "month", "year") == 0;
    int y = tm.tm_year + 1900 + year, m = tm.tm_mon + !year;
    if (m == 12)
        m = 0, y++;
    if (tm.tm_mday > month_days(y, m)) /* Jan 31 + 1 month = Feb 28/29 */
        tm.tm_mday = month_days(y, m);
    tm.tm_year = y - 1900;
    tm.tm_mon = m;
    return (int64_t)timegm(&tm) * 1000 + start_ms % 1000;
}

td_status td_cat_subscription_start(td_db_t *db, const char *tenant_id, const char *plan) {
    char now[32], end[32];
    int64_t ms = td_now_ms();
    td_time_iso(ms, now, sizeof(now));
    td_time_iso(td_plan_period_end(ms, "month"), end, sizeof(end));
    return td_db_execv(db, NULL,
                       "INSERT INTO subscriptions (" SUB_COLS ") VALUES (?, ?, 'active', ?, ?, ?, ?)"
                       " ON CONFLICT (tenant_id) DO NOTHING",
                       tenant_id, plan, now, end, now, now, NULL);
}
