/* events.c — analytics: batch ingestion and metric series.
 *
 * A batch is validated whole first (each event through the engine's
 * validation, errors named events[i].field), then written in one
 * transaction with multi-row INSERTs of CHUNK rows and one outbox row for
 * the batch. Series group events by the first 13 (hour) or 10 (day)
 * characters of their canonical timestamp, which both backends do with
 * substr() on the stored text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/id.h"
#include "common/timeutil.h"
#include "services/modules.h"
#include "services/query.h"
#include "services/services.h"

#define CHUNK 100 /* rows per INSERT: full chunks reuse one prepared statement */
#define SERIES_POINTS_MAX 10000

typedef struct {
    json_t **rows; /* validated values of each event */
    size_t n;
    int64_t bytes;
} batch_t;

static td_status write_chunk(const td_res_ctx_t *c, const td_resource_t *r, json_t **rows,
                             size_t n) {
    td_query_t q;
    td_query_init(&q, c->arena);
    td_query_sql(&q, "INSERT INTO ");
    td_query_table(&q, r);
    td_query_sql(&q, " (");
    for (size_t f = 0; f < r->nfields; f++) {
        td_query_sql(&q, f ? ", " : "");
        td_query_ident(&q, r->fields[f].name);
    }
    td_query_sql(&q, ") VALUES ");
    for (size_t i = 0; i < n; i++) {
        td_query_sql(&q, i ? ", (" : "(");
        for (size_t f = 0; f < r->nfields; f++) {
            td_query_sql(&q, f ? ", " : "");
            json_t *v = json_object_get(rows[i], r->fields[f].name);
            td_query_param(&q, td_res_param(c->arena, &r->fields[f], v ? v : json_null()));
        }
        td_query_sql(&q, ")");
    }
    td_status rc = td_query_exec(&q, c->db, NULL);
    td_query_free(&q);
    return rc;
}

static td_status ingest(const td_res_ctx_t *c, void *arg, td_res_err_t *e) {
    batch_t *b = arg;
    const td_resource_t *r = td_service_resource("analytics", "events");
    td_status rc = TD_OK;
    for (size_t i = 0; !rc && i < b->n; i += CHUNK)
        rc = write_chunk(c, r, b->rows + i, b->n - i < CHUNK ? b->n - i : CHUNK);
    if (rc)
        return td_res_fail(e, rc, rc == TD_E_BUSY ? "busy" : "database_error",
                           "the events could not be written");
    return td_outbox_append(c, "analytics", "batch", "events", NULL, (int64_t)b->n, b->bytes);
}

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
    batch_t b = {.n = json_array_size(events)};
    b.rows = calloc(b.n, sizeof(json_t *));
    if (!b.rows)
        return TD_E_NOMEM;
    json_t *errors = json_array();
    char now[40];
    td_time_iso(td_now_ms(), now, sizeof(now));
    json_t *jnow = json_string(now), *jactor = json_string(c->actor ? c->actor : "");
    td_status rc = TD_OK;
    for (size_t i = 0; i < b.n && json_array_size(errors) < 100; i++) {
        json_t *ev = json_array_get(events, i);
        td_res_err_t one = {0};
        b.rows[i] = json_object();
        if (!json_is_object(ev)) {
            json_array_append_new(errors, json_pack("{s:s+, s:s, s:s}", "field", "events",
                                                    "", "code", "invalid_type", "message",
                                                    "an event is an object"));
            continue;
        }
        if (td_res_validate(c, r, ev, 1, 0, b.rows[i], &one)) {
            name_errors(one.errors, i);
            json_array_extend(errors, one.errors);
            td_res_err_free(&one);
            continue;
        }
        char id[TD_ID_LEN + 1];
        td_id_new(id);
        json_object_set_new(b.rows[i], "id", json_string(id));
        json_object_set(b.rows[i], "created_at", jnow);
        json_object_set(b.rows[i], "updated_at", jnow);
        if (r->owner && !json_object_get(b.rows[i], r->owner))
            json_object_set(b.rows[i], r->owner, jactor);
        b.bytes += 160; /* an estimate: the outbox counts bytes roughly */
    }
    if (json_array_size(errors)) {
        e->errors = errors;
        errors = NULL;
        rc = td_res_fail(e, TD_E_INVALID, "validation_failed", "events are not valid; none kept");
    }
    if (!rc && !(rc = td_res_txn(c, ingest, &b, e)))
        *accepted = b.n;
    for (size_t i = 0; i < b.n; i++)
        json_decref(b.rows[i]);
    free(b.rows);
    json_decref(errors);
    json_decref(jnow);
    json_decref(jactor);
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
