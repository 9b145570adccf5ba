/* report.c — the usage report: one operation behind GET /v1/admin/usage,
 * GET /v1/usage and `tenantd usage`.
 *
 * It checks who asks (platform actors: any tenant or all; a tenant's
 * admin, user or API key: its own tenant only), parses the filters
 * (from/to as RFC 3339 or dates, bucket hour|day, an optional service),
 * reads the hourly sums from the catalog and folds them into UTC days
 * when asked. storage_bytes is a gauge, not a flow: a day holds the
 * highest of its hours, the totals the highest of the buckets. */
#include <string.h>

#include "catalog/catalog.h"
#include "common/timeutil.h"
#include "usage/usage.h"

#define HOUR_MS 3600000LL
#define DAY_MS (24 * HOUR_MS)
#define RANGE_MAX_DAYS 400

static td_status bad(td_op_t *op, const char *what) {
    return td_op_fail(op, TD_E_INVALID, 400, "invalid_filter", "%s", what);
}

/* The tenant the report is about: *tid NULL for every tenant. */
static td_status whose(td_op_t *op, const char *key, const char **tid) {
    const td_actor_t *a = &op->actor;
    if (a->kind == TD_ACTOR_USER || a->kind == TD_ACTOR_API_KEY) {
        if (!a->role || strcmp(a->role, "admin") || !a->tenant_id)
            return td_op_fail(op, TD_E_FORBIDDEN, 403, "forbidden",
                              "only a tenant's admin sees its usage");
        if (key)
            return bad(op, "tenant is not a filter here: the usage shown is your tenant's");
        *tid = a->tenant_id;
        return TD_OK;
    }
    if (a->kind != TD_ACTOR_SUPERADMIN && a->kind != TD_ACTOR_CLI &&
        a->kind != TD_ACTOR_SYSTEM && a->kind != TD_ACTOR_JOB)
        return td_op_fail(op, TD_E_FORBIDDEN, 403, "forbidden", "not allowed");
    *tid = NULL;
    if (!key)
        return TD_OK;
    td_tenant_t t;
    td_status st = td_tenant_find(op->platform, op->arena, key, &t);
    if (st == TD_E_NOTFOUND || (!st && !strcmp(t.row.status, "deleted")))
        return td_op_fail(op, TD_E_NOTFOUND, 404, "tenant_not_found", "no such tenant");
    if (st)
        return td_op_fail(op, st, 503, "catalog_unavailable", "the catalog does not answer");
    *tid = t.row.id;
    return TD_OK;
}

/* A service filter is a name: [a-z0-9_], 1 to 47 characters. */
static int service_ok(const char *s) {
    size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_");
    return n > 0 && n < 48 && !s[n];
}

/* from/to/bucket into out: bucket-aligned [from, to). */
static td_status range(td_op_t *op, const td_usage_query_t *q, td_usage_report_t *out) {
    const char *b = q->bucket ? q->bucket : "hour";
    if (strcmp(b, "hour") && strcmp(b, "day"))
        return bad(op, "bucket must be hour or day");
    int64_t unit = strcmp(b, "day") ? HOUR_MS : DAY_MS, from, to;
    if (q->to && td_time_parse(q->to, &to))
        return bad(op, "to must be an RFC 3339 time or a date");
    if (!q->to)
        to = td_now_ms();
    if (q->from && td_time_parse(q->from, &from))
        return bad(op, "from must be an RFC 3339 time or a date");
    if (!q->from)
        from = to - DAY_MS;
    from -= from % unit;
    to += (unit - to % unit) % unit;
    if (to <= from)
        return bad(op, "from must come before to");
    if (to - from > RANGE_MAX_DAYS * DAY_MS)
        return bad(op, "the range may span at most 400 days");
    out->bucket = b;
    out->from = from;
    out->to = to;
    return TD_OK;
}

/* Adds p into acc (storage_bytes: the highest). */
static void fold(td_usage_point_t *acc, const td_usage_point_t *p) {
    acc->requests += p->requests;
    acc->writes += p->writes;
    acc->rows_written += p->rows_written;
    acc->bytes_in += p->bytes_in;
    acc->bytes_out += p->bytes_out;
    if (p->storage_bytes > acc->storage_bytes)
        acc->storage_bytes = p->storage_bytes;
}

/* Folds hourly points into UTC days, in place. */
static size_t to_days(td_usage_point_t *pts, size_t n) {
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t day = pts[i].start - pts[i].start % DAY_MS;
        if (k && pts[k - 1].start == day) {
            fold(&pts[k - 1], &pts[i]);
        } else {
            td_usage_point_t p = pts[i];
            p.start = day;
            pts[k++] = p;
        }
    }
    return k;
}

td_status td_usage_report(td_op_t *op, const td_usage_query_t *q, td_usage_report_t *out) {
    memset(out, 0, sizeof(*out));
    td_status st = range(op, q, out);
    if (!st && q->service && !service_ok(q->service))
        st = bad(op, "service must be a service's name");
    if (!st)
        st = whose(op, q->tenant, &out->tenant_id);
    if (st)
        return st;
    out->service = q->service;
    td_db_t *db;
    st = td_catalog_lease(op->platform->catalog, op->arena, &db);
    if (!st)
        st = td_cat_usage_series(db, op->arena, out->tenant_id, q->service, out->from, out->to,
                                 (size_t)(RANGE_MAX_DAYS * 24 + 24), &out->items, &out->n);
    if (st)
        return td_op_fail(op, st, 503, "catalog_unavailable", "the catalog does not answer");
    if (!strcmp(out->bucket, "day"))
        out->n = to_days(out->items, out->n);
    for (size_t i = 0; i < out->n; i++)
        fold(&out->totals, &out->items[i]);
    return TD_OK;
}

static json_t *point_json(const td_usage_point_t *p, int with_start) {
    json_t *o = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "requests", (json_int_t)p->requests,
                          "writes", (json_int_t)p->writes, "rows_written",
                          (json_int_t)p->rows_written, "bytes_in", (json_int_t)p->bytes_in,
                          "bytes_out", (json_int_t)p->bytes_out, "storage_bytes",
                          (json_int_t)p->storage_bytes);
    if (o && with_start) {
        char iso[32];
        td_time_iso(p->start, iso, sizeof(iso));
        json_object_set_new(o, "start", json_string(iso));
    }
    return o;
}

json_t *td_usage_report_json(const td_usage_report_t *r) {
    char from[32], to[32];
    td_time_iso(r->from, from, sizeof(from));
    td_time_iso(r->to, to, sizeof(to));
    json_t *items = json_array();
    for (size_t i = 0; items && i < r->n; i++)
        json_array_append_new(items, point_json(&r->items[i], 1));
    return json_pack("{s:s?, s:s?, s:s, s:s, s:s, s:o, s:o}", "tenant", r->tenant_id, "service",
                     r->service, "bucket", r->bucket, "from", from, "to", to, "items", items,
                     "totals", point_json(&r->totals, 0));
}
