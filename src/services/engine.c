/* engine.c — list, get, create, update and delete for any declared
 * resource, and the outbox.
 *
 * Rows travel as jansson objects whose keys are the resource's fields in
 * declaration order. Writes validate every field of the body first and
 * report every bad one at once (validation_failed with "errors"); then, in
 * one transaction, the row is written, the resource's hooks run, and the
 * outbox row is appended. Lists use keyset pagination on the sort keys plus
 * the id: a cursor holds the last row's key values, so rows inserted while
 * a client pages never make it see a row twice or skip one that existed. */
#include "services/engine.h"

#include <math.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/id.h"
#include "common/text.h"
#include "common/timeutil.h"
#include "services/query.h"

#define SORT_KEYS_MAX 4

td_status td_res_fail(td_res_err_t *e, td_status st, const char *code, const char *fmt, ...) {
    if (e && !e->code) {
        e->code = code;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e->detail, sizeof(e->detail), fmt, ap);
        va_end(ap);
    }
    return st;
}

void td_res_err_free(td_res_err_t *e) {
    json_decref(e->errors);
    e->errors = NULL;
}

static unsigned role_bit(const char *role) {
    if (!role)
        return 0;
    return !strcmp(role, "admin")     ? TD_ROLE_ADMIN
           : !strcmp(role, "manager") ? TD_ROLE_MANAGER
           : !strcmp(role, "client")  ? TD_ROLE_CLIENT
           : !strcmp(role, "superadmin") ? TD_ROLE_SUPER : 0;
}

/* ---- rows ---- */

static void select_list(td_query_t *q, const td_resource_t *r) {
    td_query_sql(q, "SELECT ");
    for (size_t i = 0; i < r->nfields; i++) {
        if (i)
            td_query_sql(q, ", ");
        td_query_ident(q, r->fields[i].name);
    }
    td_query_sql(q, " FROM ");
    td_query_table(q, r);
}

static json_t *column_json(td_stmt_t *st, int col, const td_field_t *f) {
    if (td_db_column_is_null(st, col))
        return json_null();
    switch (f->type) {
    case TD_F_INTEGER: return json_integer(td_db_column_int64(st, col));
    case TD_F_BOOLEAN: return json_boolean(td_db_column_int64(st, col) != 0);
    case TD_F_NUMBER: {
        double d = td_db_column_double(st, col);
        if (d == floor(d) && fabs(d) < 9e15)
            return json_integer((json_int_t)d);
        return json_real(d);
    }
    case TD_F_JSON: {
        json_t *v = json_loads(td_db_column_text(st, col), JSON_DECODE_ANY, NULL);
        return v ? v : json_null();
    }
    default: return json_string(td_db_column_text(st, col));
    }
}

static json_t *row_json(td_stmt_t *st, const td_resource_t *r) {
    json_t *o = json_object();
    for (size_t i = 0; o && i < r->nfields; i++)
        json_object_set_new(o, r->fields[i].name, column_json(st, (int)i, &r->fields[i]));
    return o;
}

static char *dump(json_t *v) { return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY); }

static int64_t row_bytes(json_t *row) {
    char *s = row ? dump(row) : NULL;
    int64_t n = s ? (int64_t)strlen(s) : 0;
    free(s);
    return n;
}

void td_res_etag_text(const char *text, char out[24]) {
    uint64_t h = 1469598103934665603ULL;
    for (const char *p = text ? text : ""; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    snprintf(out, 24, "\"%016llx\"", (unsigned long long)h);
}

void td_res_etag(json_t *row, char out[24]) {
    char *s = dump(row);
    td_res_etag_text(s, out);
    free(s);
}

/* Runs q expecting at most one row: TD_OK with *row, or TD_E_NOTFOUND. */
static td_status query_row(const td_res_ctx_t *c, const td_resource_t *r, td_query_t *q,
                           json_t **row) {
    td_stmt_t *st;
    td_status rc = td_query_prepare(q, c->db, &st);
    if (rc)
        return rc;
    int s = td_db_step(st);
    rc = s == TD_DB_ROW ? TD_OK : s == TD_DB_DONE ? TD_E_NOTFOUND : (td_status)s;
    if (!rc && !(*row = row_json(st, r)))
        rc = TD_E_NOMEM;
    td_db_finalize(st);
    return rc;
}

static void where_owner(const td_res_ctx_t *c, const td_resource_t *r, td_query_t *q) {
    if (c->scope == TD_SCOPE_OWN) {
        td_query_sql(q, " AND ");
        td_query_ident(q, r->owner);
        td_query_sql(q, " = ");
        td_query_text(q, c->actor);
    }
}

static td_status read_row(const td_res_ctx_t *c, const td_resource_t *r, const char *id,
                          int lock, json_t **row, td_res_err_t *e) {
    if (!td_id_valid(id))
        return td_res_fail(e, TD_E_NOTFOUND, "not_found", "no such %s", r->name);
    td_query_t q;
    td_query_init(&q, c->arena);
    select_list(&q, r);
    td_query_sql(&q, " WHERE \"id\" = ");
    td_query_text(&q, id);
    where_owner(c, r, &q);
    if (lock)
        td_query_sql(&q, td_db_for_update(c->db));
    td_status rc = query_row(c, r, &q, row);
    td_query_free(&q);
    if (rc == TD_E_NOTFOUND)
        return td_res_fail(e, rc, "not_found", "no such %s", r->name);
    if (rc)
        return td_res_fail(e, rc, "database_error", "the tenant database failed");
    return TD_OK;
}

td_status td_res_get(const td_res_ctx_t *c, const td_resource_t *r, const char *id, json_t **row,
                     td_res_err_t *e) {
    return read_row(c, r, id, 0, row, e);
}

td_status td_res_read_locked(const td_res_ctx_t *c, const td_resource_t *r, const char *id,
                             json_t **row, td_res_err_t *e) {
    return read_row(c, r, id, 1, row, e);
}

/* ---- validation ---- */

static void field_error(json_t *errors, const char *field, const char *code, const char *msg) {
    if (json_array_size(errors) >= 100) /* enough to fix; the answer stays small */
        return;
    json_t *o = json_pack("{s:s, s:s, s:s}", "field", field, "code", code, "message", msg);
    json_array_append_new(errors, o);
}

td_param_t td_res_param(td_arena_t *a, const td_field_t *f, json_t *v) {
    td_param_t p = {.kind = TD_P_NULL};
    if (json_is_null(v))
        return p;
    switch (f->type) {
    case TD_F_INTEGER: return (td_param_t){.kind = TD_P_INT, .i = json_integer_value(v)};
    case TD_F_BOOLEAN:
        return (td_param_t){.kind = TD_P_INT, .i = json_is_true(v) || json_integer_value(v)};
    case TD_F_NUMBER:
        return (td_param_t){.kind = TD_P_TEXT, .s = td_arena_printf(a, "%.17g",
                                                                    json_number_value(v))};
    case TD_F_JSON: {
        char *s = dump(v);
        p = (td_param_t){.kind = TD_P_TEXT, .s = s ? td_arena_strdup(a, s) : NULL};
        free(s);
        return p;
    }
    default: return (td_param_t){.kind = TD_P_TEXT, .s = json_string_value(v)};
    }
}

/* Checks one value against its field; NULL when fine, else the error code
 * (message in msg). Timestamps are rewritten to the canonical form. */
static const char *check_value(const td_field_t *f, json_t **vp, char *msg, size_t n,
                               td_arena_t *a) {
    json_t *v = *vp;
    if (json_is_null(v)) {
        if (f->required || f->sort) {
            snprintf(msg, n, "%s cannot be null", f->name);
            return "required";
        }
        return NULL;
    }
    switch (f->type) {
    case TD_F_INTEGER:
    case TD_F_NUMBER: {
        if (f->type == TD_F_INTEGER ? !json_is_integer(v) : !json_is_number(v)) {
            snprintf(msg, n, "%s must be %s", f->name,
                     f->type == TD_F_INTEGER ? "an integer" : "a number");
            return "invalid_type";
        }
        double d = json_number_value(v);
        if ((f->has_min && d < f->min) || (f->has_max && d > f->max) || !isfinite(d)) {
            snprintf(msg, n, "%s is out of range", f->name);
            return "out_of_range";
        }
        return NULL;
    }
    case TD_F_BOOLEAN:
        if (!json_is_boolean(v)) {
            snprintf(msg, n, "%s must be true or false", f->name);
            return "invalid_type";
        }
        return NULL;
    case TD_F_JSON: {
        char *s = dump(v);
        size_t len = s ? strlen(s) : 0;
        free(s);
        if (f->has_max ? len > (size_t)f->max : len > 65536) {
            snprintf(msg, n, "%s is too large", f->name);
            return "too_long";
        }
        return NULL;
    }
    default: break;
    }
    if (!json_is_string(v)) {
        snprintf(msg, n, "%s must be text", f->name);
        return "invalid_type";
    }
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    if (len != strlen(s)) {
        snprintf(msg, n, "%s contains a NUL character", f->name);
        return "invalid_text";
    }
    size_t cap = f->has_max ? (size_t)f->max : 65536;
    if (len > cap) {
        snprintf(msg, n, "%s is longer than %zu bytes", f->name, cap);
        return "too_long";
    }
    if (f->enums) {
        size_t i = 0;
        while (i < f->nenums && strcmp(f->enums[i], s))
            i++;
        if (i == f->nenums) {
            snprintf(msg, n, "%s must be one of its declared values", f->name);
            return "invalid_value";
        }
    }
    if (f->type == TD_F_EMAIL && !td_email_valid(s)) {
        snprintf(msg, n, "%s is not an e-mail address", f->name);
        return "invalid_email";
    }
    if (f->type == TD_F_REF && !td_id_valid(s)) {
        snprintf(msg, n, "%s is not an id", f->name);
        return "invalid_reference";
    }
    if (f->type == TD_F_TIMESTAMP) {
        int64_t ms;
        char iso[40];
        if (td_time_parse(s, &ms)) {
            snprintf(msg, n, "%s is not an RFC 3339 time", f->name);
            return "invalid_time";
        }
        td_time_iso(ms, iso, sizeof(iso));
        *vp = json_string(iso); /* a new reference: the caller releases it */
        (void)a;
    }
    return NULL;
}

td_status td_res_validate(const td_res_ctx_t *c, const td_resource_t *r, json_t *body,
                          int create, int flags, json_t *values, td_res_err_t *e) {
    json_t *errors = json_array();
    const char *k;
    json_t *v;
    char msg[160];
    unsigned rb = role_bit(c->role);
    json_object_foreach(body, k, v) {
        const td_field_t *f = td_resource_field(r, k);
        int owner = f && r->owner && !strcmp(k, r->owner);
        if (!f) {
            field_error(errors, k, "unknown_field", "no such field");
            continue;
        }
        if (!owner && (f->system || (f->read_only && !(flags & TD_W_TRUSTED)))) {
            field_error(errors, k, "read_only", "this field is set by the server");
            continue;
        }
        if (owner && !(flags & TD_W_TRUSTED)) {
            if (c->scope < TD_SCOPE_TENANT) {
                field_error(errors, k, "not_writable", "you may not choose the owner");
                continue;
            }
            if (!json_is_string(v) || json_string_length(v) > 64 || !json_string_length(v)) {
                field_error(errors, k, "invalid_type", "the owner is an id");
                continue;
            }
        }
        if (f->write_roles && !(f->write_roles & rb) && !(flags & TD_W_TRUSTED)) {
            field_error(errors, k, "not_writable", "your role may not set this field");
            continue;
        }
        json_t *val = v;
        const char *code = owner ? NULL : check_value(f, &val, msg, sizeof(msg), c->arena);
        if (code) {
            field_error(errors, k, code, msg);
            continue;
        }
        json_object_set(values, k, val);
        if (val != v)
            json_decref(val);
    }
    for (size_t i = 0; create && i < r->nfields; i++) {
        const td_field_t *f = &r->fields[i];
        if (f->system || json_object_get(values, f->name) || json_object_get(body, f->name))
            continue;
        if (f->def)
            json_object_set(values, f->name, f->def);
        else if (f->required)
            field_error(errors, f->name, "required", "this field is required");
    }
    if (json_array_size(errors)) {
        e->errors = errors;
        return td_res_fail(e, TD_E_INVALID, "validation_failed", "%zu field%s not valid",
                           json_array_size(errors), json_array_size(errors) > 1 ? "s are" : " is");
    }
    json_decref(errors);
    return TD_OK;
}

/* Maps a failed statement to a code. */
static td_status write_fail(td_res_err_t *e, td_status st, const td_resource_t *r) {
    if (st == TD_E_EXISTS)
        return td_res_fail(e, st, "already_exists", "a %s with this value exists already",
                           r ? r->name : "row");
    if (st == TD_E_CONFLICT)
        return td_res_fail(e, st, "invalid_reference",
                           "a reference points to no row, or other rows still point here");
    if (st == TD_E_BUSY)
        return td_res_fail(e, st, "busy", "the tenant database is busy; retry");
    return td_res_fail(e, st, "database_error", "the tenant database failed");
}

td_status td_outbox_add(td_db_t *db, const char *service, const char *actor,
                        const char *request_id, const char *action, const char *resource,
                        const char *row_id, int64_t rows_delta, int64_t bytes_delta) {
    char now[40], sql[200];
    td_time_iso(td_now_ms(), now, sizeof(now));
    snprintf(sql, sizeof(sql),
             "INSERT INTO \"%s\".\"td_outbox\" (at, actor, action, resource, row_id,"
             " request_id, rows_delta, bytes_delta) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
             service);
    td_stmt_t *st = NULL;
    td_status rc = td_db_prepare(db, sql, &st);
    const char *text[] = {now, actor, action, resource, row_id, request_id};
    for (int k = 0; !rc && k < 6; k++)
        rc = text[k] ? td_db_bind_text(st, k + 1, text[k]) : td_db_bind_null(st, k + 1);
    if (!rc)
        rc = td_db_bind_int64(st, 7, rows_delta);
    if (!rc)
        rc = td_db_bind_int64(st, 8, bytes_delta);
    if (!rc)
        rc = td_db_drain(st);
    if (st)
        td_db_finalize(st);
    return rc;
}

td_status td_outbox_append(const td_res_ctx_t *c, const char *service, const char *action,
                           const char *resource, const char *row_id, int64_t rows_delta,
                           int64_t bytes_delta) {
    return td_outbox_add(c->db, service, c->actor, c->request_id, action, resource, row_id,
                         rows_delta, bytes_delta);
}

/* If-Match: the row must still be the one the caller read ("*": any). */
static td_status check_if_match(const td_resource_t *r, json_t *old, const char *if_match,
                                td_res_err_t *e) {
    char tag[24];
    if (!if_match || !strcmp(if_match, "*"))
        return TD_OK;
    td_res_etag(old, tag);
    if (strcmp(tag, if_match))
        return td_res_fail(e, TD_E_STATE, "precondition_failed",
                           "the %s changed since you read it (ETag mismatch)", r->name);
    return TD_OK;
}

static td_status run_before(const td_res_ctx_t *c, const td_resource_t *r, td_op op, json_t *old,
                            json_t *values, td_res_err_t *e) {
    const td_res_hooks_t *h = td_res_hooks(r);
    return h && h->before ? h->before(c, r, op, old, values, e) : TD_OK;
}

static td_status run_after(const td_res_ctx_t *c, const td_resource_t *r, td_op op, json_t *old,
                           json_t *row, td_res_err_t *e) {
    const td_res_hooks_t *h = td_res_hooks(r);
    return h && h->after ? h->after(c, r, op, old, row, e) : TD_OK;
}

td_status td_res_insert(const td_res_ctx_t *c, const td_resource_t *r, json_t *body, int flags,
                        json_t **row, td_res_err_t *e) {
    json_t *values = json_object();
    td_status rc = values ? td_res_validate(c, r, body, 1, flags, values, e) : TD_E_NOMEM;
    if (!rc)
        rc = run_before(c, r, TD_OP_CREATE, NULL, values, e);
    char id[TD_ID_LEN + 1], now[40];
    td_id_new(id);
    td_time_iso(td_now_ms(), now, sizeof(now));
    if (!rc) {
        json_object_set_new(values, "id", json_string(id));
        json_object_set_new(values, "created_at", json_string(now));
        json_object_set_new(values, "updated_at", json_string(now));
        if (r->owner && !json_object_get(values, r->owner))
            json_object_set_new(values, r->owner, c->actor ? json_string(c->actor) : json_null());
        td_query_t q;
        td_query_init(&q, c->arena);
        td_query_sql(&q, "INSERT INTO ");
        td_query_table(&q, r);
        td_query_sql(&q, " (");
        const char *k;
        json_t *v;
        int first = 1;
        json_object_foreach(values, k, v) {
            td_query_sql(&q, first ? "" : ", ");
            td_query_ident(&q, k);
            first = 0;
        }
        td_query_sql(&q, ") VALUES (");
        first = 1;
        json_object_foreach(values, k, v) {
            td_query_sql(&q, first ? "" : ", ");
            first = 0;
            td_query_param(&q, td_res_param(c->arena, td_resource_field(r, k), v));
        }
        td_query_sql(&q, ")");
        rc = td_query_exec(&q, c->db, NULL);
        td_query_free(&q);
        if (rc)
            write_fail(e, rc, r);
    }
    json_decref(values);
    td_res_ctx_t all = *c;
    all.scope = TD_SCOPE_TENANT; /* the row was just written by this caller */
    if (!rc)
        rc = read_row(&all, r, id, 0, row, e);
    if (!rc && (rc = run_after(c, r, TD_OP_CREATE, NULL, *row, e))) {
        json_decref(*row);
        *row = NULL;
    }
    if (!rc && (rc = td_outbox_append(c, r->service, "create", r->name, id, 1, row_bytes(*row))))
        write_fail(e, rc, r);
    return rc;
}

td_status td_res_patch(const td_res_ctx_t *c, const td_resource_t *r, const char *id,
                       json_t *body, int flags, const char *if_match, json_t **row,
                       td_res_err_t *e) {
    json_t *old = NULL, *values = json_object();
    td_status rc = values ? td_res_validate(c, r, body, 0, flags, values, e) : TD_E_NOMEM;
    if (!rc)
        rc = read_row(c, r, id, 1, &old, e);
    if (!rc)
        rc = check_if_match(r, old, if_match, e);
    if (!rc)
        rc = run_before(c, r, TD_OP_UPDATE, old, values, e);
    if (!rc) {
        char now[40];
        td_time_iso(td_now_ms(), now, sizeof(now));
        td_query_t q;
        td_query_init(&q, c->arena);
        td_query_sql(&q, "UPDATE ");
        td_query_table(&q, r);
        td_query_sql(&q, " SET ");
        const char *k;
        json_t *v;
        json_object_foreach(values, k, v) {
            td_query_ident(&q, k);
            td_query_sql(&q, " = ");
            td_query_param(&q, td_res_param(c->arena, td_resource_field(r, k), v));
            td_query_sql(&q, ", ");
        }
        td_query_sql(&q, "\"updated_at\" = ");
        td_query_text(&q, now);
        td_query_sql(&q, " WHERE \"id\" = ");
        td_query_text(&q, id);
        rc = td_query_exec(&q, c->db, NULL);
        td_query_free(&q);
        if (rc)
            write_fail(e, rc, r);
    }
    json_decref(values);
    if (!rc)
        rc = read_row(c, r, id, 0, row, e);
    if (!rc && (rc = run_after(c, r, TD_OP_UPDATE, old, *row, e))) {
        json_decref(*row);
        *row = NULL;
    }
    if (!rc && (rc = td_outbox_append(c, r->service, "update", r->name, id, 0,
                                      row_bytes(*row) - row_bytes(old))))
        write_fail(e, rc, r);
    json_decref(old);
    return rc;
}

td_status td_res_txn(const td_res_ctx_t *c, td_res_txn_fn fn, void *arg, td_res_err_t *e) {
    td_status rc = td_db_begin(c->db, TD_DB_WRITE);
    if (rc)
        return td_res_fail(e, rc, rc == TD_E_BUSY ? "busy" : "database_error",
                           "cannot start a transaction");
    rc = fn(c, arg, e);
    if (!rc && (rc = td_db_commit(c->db)))
        write_fail(e, rc, NULL);
    if (rc)
        td_db_rollback(c->db);
    return rc;
}

typedef struct {
    const td_resource_t *r;
    const char *id, *if_match;
    json_t *body, **row;
    json_t *old; /* delete: the row as it was */
} write_arg_t;

static td_status create_fn(const td_res_ctx_t *c, void *arg, td_res_err_t *e) {
    write_arg_t *w = arg;
    return td_res_insert(c, w->r, w->body, 0, w->row, e);
}

static td_status update_fn(const td_res_ctx_t *c, void *arg, td_res_err_t *e) {
    write_arg_t *w = arg;
    return td_res_patch(c, w->r, w->id, w->body, 0, w->if_match, w->row, e);
}

static td_status delete_fn(const td_res_ctx_t *c, void *arg, td_res_err_t *e);

/* A write in its own transaction; *row is cleared when it rolls back. */
static td_status write_txn(const td_res_ctx_t *c, td_res_txn_fn fn, write_arg_t *w,
                           td_res_err_t *e) {
    td_status rc = td_res_txn(c, fn, w, e);
    if (rc && w->row && *w->row) {
        json_decref(*w->row);
        *w->row = NULL;
    }
    return rc;
}

td_status td_res_create(const td_res_ctx_t *c, const td_resource_t *r, json_t *body,
                        json_t **row, td_res_err_t *e) {
    *row = NULL;
    write_arg_t w = {.r = r, .body = body, .row = row};
    return write_txn(c, create_fn, &w, e);
}

td_status td_res_update(const td_res_ctx_t *c, const td_resource_t *r, const char *id,
                        json_t *body, const char *if_match, json_t **row, td_res_err_t *e) {
    *row = NULL;
    write_arg_t w = {.r = r, .id = id, .if_match = if_match, .body = body, .row = row};
    return write_txn(c, update_fn, &w, e);
}

td_status td_res_delete(const td_res_ctx_t *c, const td_resource_t *r, const char *id,
                        const char *if_match, td_res_err_t *e) {
    write_arg_t w = {.r = r, .id = id, .if_match = if_match};
    td_status rc = write_txn(c, delete_fn, &w, e);
    const td_res_hooks_t *h = td_res_hooks(r);
    if (!rc && h && h->deleted)
        h->deleted(c, r, w.old);
    json_decref(w.old);
    return rc;
}

static td_status delete_fn(const td_res_ctx_t *c, void *arg, td_res_err_t *e) {
    write_arg_t *w = arg;
    const td_resource_t *r = w->r;
    const char *id = w->id, *if_match = w->if_match;
    json_t *old = NULL;
    td_status rc = read_row(c, r, id, 1, &old, e);
    if (!rc)
        rc = check_if_match(r, old, if_match, e);
    if (!rc)
        rc = run_before(c, r, TD_OP_DELETE, old, NULL, e);
    if (!rc) {
        td_query_t q;
        td_query_init(&q, c->arena);
        td_query_sql(&q, "DELETE FROM ");
        td_query_table(&q, r);
        td_query_sql(&q, " WHERE \"id\" = ");
        td_query_text(&q, id);
        rc = td_query_exec(&q, c->db, NULL);
        td_query_free(&q);
        if (rc == TD_E_CONFLICT)
            td_res_fail(e, rc, "in_use", "other rows still point to this %s", r->name);
        else if (rc)
            write_fail(e, rc, r);
    }
    if (!rc)
        rc = run_after(c, r, TD_OP_DELETE, old, NULL, e);
    if (!rc && (rc = td_outbox_append(c, r->service, "delete", r->name, id, -1,
                                      -row_bytes(old))))
        write_fail(e, rc, r);
    w->old = old; /* for the deleted hook, after the commit */
    return rc;
}

/* ---- lists ---- */

typedef struct {
    const td_field_t *f;
    int desc;
} sortkey_t;

/* Parses sort into keys (the id is appended as the last key unless
 * named); canon receives the normalised text for the cursor. */
static td_status parse_sort(const td_resource_t *r, const char *sort, sortkey_t *keys, int *nkeys,
                            td_res_err_t *e) {
    *nkeys = 0;
    int has_id = 0;
    if (sort && *sort) {
        if (strlen(sort) > 256)
            return td_res_fail(e, TD_E_INVALID, "invalid_sort", "sort is too long");
        char buf[260];
        snprintf(buf, sizeof(buf), "%s", sort);
        char *save = NULL;
        for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            int desc = *t == '-';
            const td_field_t *f = td_resource_field(r, t + desc);
            if (!f || !f->sort)
                return td_res_fail(e, TD_E_INVALID, "invalid_sort",
                                   "'%.64s' is not a sortable field", t + desc);
            if (*nkeys == SORT_KEYS_MAX)
                return td_res_fail(e, TD_E_INVALID, "invalid_sort", "at most %d sort fields",
                                   SORT_KEYS_MAX);
            keys[(*nkeys)++] = (sortkey_t){f, desc};
            if (!strcmp(f->name, "id")) {
                has_id = 1;
                break; /* the id is unique: later keys never matter */
            }
        }
    }
    if (!has_id)
        keys[(*nkeys)++] = (sortkey_t){td_resource_field(r, "id"), 0};
    return TD_OK;
}

static void bind_json(td_query_t *q, const td_field_t *f, json_t *v) {
    td_query_param(q, td_res_param(q->arena, f, v));
}

/* cursor = base64url({"s": sort, "v": [key values]}) */
static char *cursor_make(td_arena_t *a, const char *sort, const sortkey_t *keys, int n,
                         json_t *row) {
    json_t *v = json_array();
    for (int i = 0; i < n; i++)
        json_array_append(v, json_object_get(row, keys[i].f->name));
    json_t *o = json_pack("{s:s, s:o}", "s", sort ? sort : "", "v", v);
    char *s = o ? dump(o) : NULL;
    json_decref(o);
    if (!s)
        return NULL;
    size_t len = strlen(s);
    size_t blen = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *out = td_arena_alloc(a, blen);
    if (out)
        sodium_bin2base64(out, blen, (unsigned char *)s, len,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    free(s);
    return out;
}

static json_t *cursor_read(const char *cursor, const char *sort, const sortkey_t *keys, int n) {
    size_t len = strlen(cursor);
    if (len > 4096)
        return NULL;
    unsigned char *bin = malloc(len + 1);
    size_t blen = 0;
    if (!bin || sodium_base642bin(bin, len, cursor, len, NULL, &blen, NULL,
                                  sodium_base64_VARIANT_URLSAFE_NO_PADDING)) {
        free(bin);
        return NULL;
    }
    bin[blen] = '\0';
    json_t *o = json_loadb((char *)bin, blen, JSON_REJECT_DUPLICATES, NULL);
    free(bin);
    json_t *v = json_object_get(o, "v");
    const char *s = json_string_value(json_object_get(o, "s"));
    int ok = s && !strcmp(s, sort ? sort : "") && json_array_size(v) == (size_t)n;
    for (int i = 0; ok && i < n; i++) {
        json_t *x = json_array_get(v, (size_t)i);
        char msg[120];
        json_t *y = x;
        /* the cursors we make hold canonical values: a value that needs
         * rewriting (a time in another form) is not one of ours */
        ok = !json_is_null(x) && !check_value(keys[i].f, &y, msg, sizeof(msg), NULL) &&
             json_equal(x, y);
        if (y != x)
            json_decref(y);
    }
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    json_incref(v);
    json_decref(o);
    return v;
}

static td_status parse_fields(const td_resource_t *r, const char *fields, json_t **out,
                              td_res_err_t *e) {
    *out = NULL;
    if (!fields || !*fields)
        return TD_OK;
    if (strlen(fields) > 2048)
        return td_res_fail(e, TD_E_INVALID, "invalid_fields", "fields is too long");
    json_t *list = json_array();
    char *buf = strdup(fields), *save = NULL;
    td_status rc = TD_OK;
    for (char *t = buf ? strtok_r(buf, ",", &save) : NULL; t; t = strtok_r(NULL, ",", &save)) {
        if (!td_resource_field(r, t)) {
            rc = td_res_fail(e, TD_E_INVALID, "invalid_fields", "'%.64s' is not a field", t);
            break;
        }
        json_array_append_new(list, json_string(t));
    }
    free(buf);
    if (rc) {
        json_decref(list);
        return rc;
    }
    *out = list;
    return TD_OK;
}

static json_t *project(json_t *row, json_t *fields) {
    if (!fields)
        return json_incref(row);
    json_t *o = json_object();
    size_t i;
    json_t *f;
    json_array_foreach(fields, i, f) {
        const char *k = json_string_value(f);
        json_object_set(o, k, json_object_get(row, k));
    }
    return o;
}

td_status td_res_list(const td_res_ctx_t *c, const td_resource_t *r, const td_list_req_t *rq,
                      json_t **out, td_res_err_t *e) {
    long limit = TD_LIST_DEFAULT;
    if (rq->limit) {
        char *end;
        limit = strtol(rq->limit, &end, 10);
        if (*end || end == rq->limit || limit < 1 || limit > TD_LIST_MAX)
            return td_res_fail(e, TD_E_INVALID, "invalid_limit", "limit is 1..%d",
                               TD_LIST_MAX);
    }
    sortkey_t keys[SORT_KEYS_MAX + 1];
    int nkeys;
    json_t *fields = NULL, *cur = NULL;
    td_status rc = parse_sort(r, rq->sort, keys, &nkeys, e);
    if (!rc)
        rc = parse_fields(r, rq->fields, &fields, e);
    if (!rc && rq->cursor && !(cur = cursor_read(rq->cursor, rq->sort, keys, nkeys)))
        rc = td_res_fail(e, TD_E_INVALID, "invalid_cursor",
                         "the cursor is not one this list gave (same sort required)");
    td_query_t q;
    td_query_init(&q, c->arena);
    if (!rc) {
        select_list(&q, r);
        td_query_sql(&q, " WHERE 1 = 1");
        where_owner(c, r, &q);
        if (rq->filter && *rq->filter) {
            char err[200];
            td_query_sql(&q, " AND ");
            if (td_filter_compile(r, rq->filter, &q, err, sizeof(err)))
                rc = td_res_fail(e, TD_E_INVALID, "invalid_filter", "%s", err);
        }
    }
    if (!rc && cur) { /* rows after the cursor's, in sort order */
        td_query_sql(&q, " AND (");
        for (int j = 0; j < nkeys; j++) {
            td_query_sql(&q, j ? " OR (" : "(");
            for (int i = 0; i < j; i++) {
                td_query_ident(&q, keys[i].f->name);
                td_query_sql(&q, " = ");
                bind_json(&q, keys[i].f, json_array_get(cur, (size_t)i));
                td_query_sql(&q, " AND ");
            }
            td_query_ident(&q, keys[j].f->name);
            td_query_sql(&q, keys[j].desc ? " < " : " > ");
            bind_json(&q, keys[j].f, json_array_get(cur, (size_t)j));
            td_query_sql(&q, ")");
        }
        td_query_sql(&q, ")");
    }
    if (!rc) {
        td_query_sql(&q, " ORDER BY ");
        for (int i = 0; i < nkeys; i++) {
            td_query_sql(&q, i ? ", " : "");
            td_query_ident(&q, keys[i].f->name);
            td_query_sql(&q, keys[i].desc ? " DESC" : " ASC");
        }
        td_query_sql(&q, " LIMIT ");
        td_query_int(&q, limit + 1);
    }
    td_stmt_t *st = NULL;
    if (!rc && (rc = td_query_prepare(&q, c->db, &st)))
        td_res_fail(e, rc, "database_error", "the tenant database failed");
    json_t *items = rc ? NULL : json_array();
    json_t *last = NULL;
    long n = 0;
    int more = 0;
    while (!rc) {
        int s = td_db_step(st);
        if (s == TD_DB_DONE)
            break;
        if (s != TD_DB_ROW) {
            rc = td_res_fail(e, (td_status)s, "database_error", "the tenant database failed");
            break;
        }
        if (n == limit) {
            more = 1;
            break;
        }
        json_t *row = row_json(st, r);
        json_decref(last);
        last = json_incref(row);
        json_array_append_new(items, project(row, fields));
        json_decref(row);
        n++;
    }
    if (st)
        td_db_finalize(st);
    td_query_free(&q);
    if (!rc) {
        char *next = more ? cursor_make(c->arena, rq->sort, keys, nkeys, last) : NULL;
        *out = json_pack("{s:o, s:s?}", "items", items, "next_cursor", next);
        items = NULL;
        if (!*out)
            rc = TD_E_NOMEM;
    }
    json_decref(items);
    json_decref(last);
    json_decref(fields);
    json_decref(cur);
    return rc;
}
