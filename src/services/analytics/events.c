/* events.c — analytics: batch ingestion (the general path) and metric
 * series.
 *
 * Most batches are read in one pass from their text (batch.c); a body
 * that path does not take comes here parsed: it is validated whole first
 * (each event through the engine's validation, errors named
 * events[i].field), then written as batch.c writes (td_event_batch_write:
 * one transaction, one bulk append, one outbox row for the batch). Series
 * group events by the first 13 (hour) or 10 (day) characters of their
 * canonical timestamp, which both backends do with substr() on the stored
 * text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/timeutil.h"
#include "services/analytics/batch.h"
#include "services/modules.h"
#include "services/query.h"
#include "services/services.h"

#define SERIES_POINTS_MAX 10000

/* Prefixes the field names of e->errors with "events[i]." */
static void name_errors(json_t *errors, size_t i) {
    size_t k;
    json_t *err;
    json_array_foreach(errors, k, err) {
        const char *f = json_string_value(json_object_get(err, "field"));
        char name[128];
        snprintf(name, sizeof(name), "events[%zu].%s", i, f ? f : "");
        json_object_set_new(err, "field", json_string(name));
    }
}

/* The validated rows as the texts td_event_batch_write appends; they point
 * into rows, which must outlive the write. */
static td_event_batch_t *batch_of(const td_res_ctx_t *c, const td_resource_t *r, json_t **rows,
                                  size_t n) {
    td_event_batch_t *b = td_event_batch_new(c->arena, r, n);
    for (size_t i = 0; b && i < n; i++)
        for (size_t k = 0; k < r->nfields; k++) {
            json_t *v = json_object_get(rows[i], r->fields[k].name);
            td_param_t p = td_res_param(c->arena, &r->fields[k], v ? v : json_null());
            b->vals[i * r->nfields + k] = td_event_param_text(c->arena, p);
        }
    if (b)
        b->n = n;
    return b;
}

td_status td_analytics_ingest(const td_res_ctx_t *c, json_t *body, size_t *accepted,
                              td_res_err_t *e) {
    const td_resource_t *r = td_service_resource("analytics", "events");
    json_t *events = json_object_get(body, "events");
    *accepted = 0;
    if (!r)
        return td_res_fail(e, TD_E_NOTFOUND, "not_found", "analytics has no events");
    if (json_object_size(body) != 1 || !json_is_array(events) || !json_array_size(events))
        return td_res_fail(e, TD_E_INVALID, "invalid_batch",
                           "the body is {\"events\": [ … ]} with at least one event");
    if (json_array_size(events) > TD_EVENTS_BATCH_MAX)
        return td_res_fail(e, TD_E_TOOBIG, "batch_too_large", "at most %d events per batch",
                           TD_EVENTS_BATCH_MAX);
    size_t n = json_array_size(events);
    json_t **rows = calloc(n, sizeof(json_t *));
    if (!rows)
        return TD_E_NOMEM;
    json_t *errors = json_array();
    td_status rc = TD_OK;
    for (size_t i = 0; i < n && json_array_size(errors) < 100; i++) {
        json_t *ev = json_array_get(events, i);
        td_res_err_t one = {0};
        rows[i] = json_object();
        if (!json_is_object(ev)) {
            json_array_append_new(errors, json_pack("{s:s+, s:s, s:s}", "field", "events",
                                                    "", "code", "invalid_type", "message",
                                                    "an event is an object"));
            continue;
        }
        if (td_res_validate(c, r, ev, 1, 0, rows[i], &one)) {
            name_errors(one.errors, i);
            json_array_extend(errors, one.errors);
            td_res_err_free(&one);
        }
    }
    if (json_array_size(errors)) {
        e->errors = errors;
        errors = NULL;
        rc = td_res_fail(e, TD_E_INVALID, "validation_failed", "events are not valid; none kept");
    }
    td_event_batch_t *b = rc ? NULL : batch_of(c, r, rows, n);
    if (!rc)
        rc = b ? td_event_batch_write(c, b, accepted, e) : TD_E_NOMEM;
    for (size_t i = 0; i < n; i++)
        json_decref(rows[i]);
    free(rows);
    json_decref(errors);
    return rc;
}

/* The metric called name: its event and aggregation (or the event name
 * itself, counted). */
static void metric_of(const td_res_ctx_t *c, const char *name, const char **event,
                      const char **agg) {
    *event = name;
    *agg = "count";
    const td_resource_t *m = td_service_resource("analytics", "metrics");
    if (!m)
        return;
    td_query_t q;
    td_query_init(&q, c->arena);
    td_query_sql(&q, "SELECT \"event\", \"aggregation\" FROM \"analytics\".\"metrics\" WHERE "
                     "\"name\" = ");
    td_query_text(&q, name);
    if (c->scope == TD_SCOPE_OWN) { /* a client sees its own metrics only */
        td_query_sql(&q, " AND \"owner_id\" = ");
        td_query_text(&q, c->actor);
    }
    td_query_sql(&q, " LIMIT 1");
    td_stmt_t *st;
    if (!td_query_prepare(&q, c->db, &st)) {
        if (td_db_step(st) == TD_DB_ROW) {
            *event = td_db_column_dup(st, c->arena, 0);
            *agg = td_db_column_dup(st, c->arena, 1);
        }
        td_db_finalize(st);
    }
    td_query_free(&q);
}

td_status td_analytics_series(const td_res_ctx_t *c, const char *name, const char *bucket,
                              const char *from, const char *to, json_t **out, td_res_err_t *e) {
    *out = NULL;
    if (!name || !*name || strlen(name) > 100)
        return td_res_fail(e, TD_E_INVALID, "invalid_query", "name is required (≤ 100 bytes)");
    int hour = !bucket || !strcmp(bucket, "hour");
    if (!hour && strcmp(bucket, "day"))
        return td_res_fail(e, TD_E_INVALID, "invalid_query", "bucket is hour or day");
    int64_t t1 = td_now_ms(), t0;
    if (to && td_time_parse(to, &t1))
        return td_res_fail(e, TD_E_INVALID, "invalid_query", "to is not an RFC 3339 time");
    t0 = t1 - (hour ? 24LL : 24LL * 30) * 3600 * 1000;
    if (from && td_time_parse(from, &t0))
        return td_res_fail(e, TD_E_INVALID, "invalid_query", "from is not an RFC 3339 time");
    int64_t span = hour ? 3600000LL : 86400000LL;
    if (t1 < t0 || (t1 - t0) / span > SERIES_POINTS_MAX)
        return td_res_fail(e, TD_E_INVALID, "invalid_query",
                           "from must precede to, with at most %d buckets", SERIES_POINTS_MAX);
    const char *event, *agg;
    metric_of(c, name, &event, &agg);
    int sum = agg && !strcmp(agg, "sum");
    char a[40], b[40];
    td_time_iso(t0, a, sizeof(a));
    td_time_iso(t1, b, sizeof(b));
    int width = hour ? 13 : 10;
    td_query_t q;
    td_query_init(&q, c->arena);
    td_query_sql(&q, hour ? "SELECT substr(\"ts\", 1, 13)" : "SELECT substr(\"ts\", 1, 10)");
    td_query_sql(&q, sum ? ", SUM(\"value\")" : ", COUNT(*)");
    td_query_sql(&q, " FROM \"analytics\".\"events\" WHERE \"name\" = ");
    td_query_text(&q, event);
    td_query_sql(&q, " AND \"ts\" >= ");
    td_query_text(&q, a);
    td_query_sql(&q, " AND \"ts\" < ");
    td_query_text(&q, b);
    if (c->scope == TD_SCOPE_OWN) {
        td_query_sql(&q, " AND \"owner_id\" = ");
        td_query_text(&q, c->actor);
    }
    td_query_sql(&q, " GROUP BY 1 ORDER BY 1");
    td_stmt_t *st;
    td_status rc = td_query_prepare(&q, c->db, &st);
    json_t *points = json_array();
    while (!rc) {
        int s = td_db_step(st);
        if (s != TD_DB_ROW) {
            rc = s == TD_DB_DONE ? TD_OK : (td_status)s;
            break;
        }
        const char *k = td_db_column_text(st, 0);
        char t[40];
        snprintf(t, sizeof(t), "%.*s%s", width, k ? k : "", hour ? ":00:00Z" : "T00:00:00Z");
        double v = td_db_column_is_null(st, 1) ? 0 : strtod(td_db_column_text(st, 1), NULL);
        json_t *jv = v == (double)(json_int_t)v ? json_integer((json_int_t)v) : json_real(v);
        json_array_append_new(points, json_pack("{s:s, s:o}", "t", t, "value", jv));
    }
    if (st)
        td_db_finalize(st);
    td_query_free(&q);
    if (rc) {
        json_decref(points);
        return td_res_fail(e, rc, "database_error", "the events could not be read");
    }
    *out = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o}", "name", name, "event", event,
                     "aggregation", sum ? "sum" : "count", "bucket", hour ? "hour" : "day",
                     "from", a, "to", b, "points", points);
    return *out ? TD_OK : TD_E_NOMEM;
}
