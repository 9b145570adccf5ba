/* summary.c — the cross-tenant summaries (GET /v1/admin/summary/services
 * and /tenants): answered from the catalog's figures alone, which the
 * outbox drain keeps, so no tenant database is opened. */
#include <stdlib.h>
#include <string.h>

#include "audit/audit_int.h"
#include "common/id.h"
#include "common/timeutil.h"

/* A time in ms as ISO-8601 JSON, or null for 0 (never). */
static json_t *iso_or_null(int64_t ms) {
    char s[40];
    if (!ms)
        return json_null();
    td_time_iso(ms, s, sizeof(s));
    return json_string(s);
}

static td_status begin(td_op_t *op, td_db_t **db) {
    if (!td_audit_platform_actor(op))
        return td_op_fail(op, TD_E_FORBIDDEN, 403, "forbidden", "only operators see summaries");
    return td_audit_catalog(op, db);
}

td_status td_summary_services(td_op_t *op, json_t **out) {
    td_db_t *db;
    td_service_summary_t *s;
    size_t n = 0;
    td_status st = begin(op, &db);
    if (st)
        return st;
    if ((st = td_cat_summary_services(db, op->arena, td_now_ms(), &s, &n)))
        return td_op_fail(op, st, 500, td_status_code(st), "the figures could not be read");
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(
            items, json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:o}", "service", s[i].service,
                             "tenants", (json_int_t)s[i].tenants, "rows", (json_int_t)s[i].rows,
                             "bytes", (json_int_t)s[i].bytes, "writes_last_hour",
                             (json_int_t)s[i].writes_hour, "writes_last_day",
                             (json_int_t)s[i].writes_day, "last_write_at",
                             iso_or_null(s[i].last_write_at)));
    *out = json_pack("{s:o}", "items", items);
    return TD_OK;
}

/* sort = rows|bytes|last_activity|slug, '-' first for descending. */
static int parse_sort(const char *sort, td_sum_page_t *pg) {
    static const char *const names[] = {"slug", "rows", "bytes", "last_activity"};
    pg->desc = sort && sort[0] == '-';
    const char *name = sort ? sort + pg->desc : "slug";
    for (int i = 0; i < 4; i++)
        if (!strcmp(name, names[i])) {
            pg->key = (td_sum_key)i;
            return 0;
        }
    return -1;
}

/* A cursor is the previous page's last line: its slug (sort by slug) or
 * "<value>.<id>". */
static int parse_cursor(const char *c, td_sum_page_t *pg) {
    pg->has_after = 1;
    if (pg->key == TD_SUM_SLUG) {
        pg->after_key = c;
        size_t n = strlen(c);
        return n && n <= 63 && strspn(c, "abcdefghijklmnopqrstuvwxyz0123456789-") == n ? 0 : -1;
    }
    char *end;
    long long v = strtoll(c, &end, 10);
    if (end == c || *end != '.' || !td_id_valid(end + 1))
        return -1;
    pg->after_num = v, pg->after_key = end + 1;
    return 0;
}

static json_t *tenant_json(const td_tenant_summary_t *t) {
    json_t *svc = json_array();
    for (const char *s = t->services; s && *s;) {
        size_t k = strcspn(s, ",");
        json_array_append_new(svc, json_stringn(s, k));
        s += k + (s[k] == ',');
    }
    return json_pack("{s:s, s:s, s:s, s:s?, s:o, s:I, s:I, s:I, s:o}", "id", t->id, "slug",
                     t->slug, "status", t->status, "plan", t->plan, "services", svc, "users",
                     (json_int_t)t->users, "rows", (json_int_t)t->rows, "bytes",
                     (json_int_t)t->bytes, "last_activity", iso_or_null(t->last_activity));
}

td_status td_summary_tenants(td_op_t *op, const char *sort, const char *limit,
                             const char *cursor, json_t **out) {
    td_sum_page_t pg = {.limit = 50};
    if (parse_sort(sort, &pg))
        return td_op_fail(op, TD_E_INVALID, 400, "invalid_sort",
                          "sort is rows, bytes, last_activity or slug, '-' first for descending");
    if (limit) {
        char *end;
        long v = strtol(limit, &end, 10);
        if (end == limit || *end || v < 1 || v > 1000)
            return td_op_fail(op, TD_E_INVALID, 400, "invalid_filter", "limit is 1 to 1000");
        pg.limit = (int)v;
    }
    if (cursor && parse_cursor(cursor, &pg))
        return td_op_fail(op, TD_E_INVALID, 400, "invalid_cursor",
                          "the cursor is not one this API gave");
    td_db_t *db;
    td_tenant_summary_t *t;
    size_t n = 0;
    td_status st = begin(op, &db);
    if (st)
        return st;
    int want = pg.limit++;
    if ((st = td_cat_summary_tenants(db, op->arena, &pg, &t, &n)))
        return td_op_fail(op, st, 500, td_status_code(st), "the figures could not be read");
    const char *next = NULL;
    if (n > (size_t)want) {
        n = (size_t)want;
        const td_tenant_summary_t *l = &t[n - 1];
        int64_t v = pg.key == TD_SUM_ROWS ? l->rows : pg.key == TD_SUM_BYTES ? l->bytes
                                                                             : l->last_activity;
        next = pg.key == TD_SUM_SLUG ? l->slug
                                     : td_arena_printf(op->arena, "%lld.%s", (long long)v, l->id);
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, tenant_json(&t[i]));
    *out = json_pack("{s:o, s:s?}", "items", items, "next_cursor", next);
    return TD_OK;
}
