/* engine.c — list, get, create, update and delete for any declared
 * resource, and the outbox.
 *
 * Rows travel as jansson objects whose keys are the resource's fields in
 * declaration order. Writes validate every field of the body first and
 * report every bad one at once (validation_failed with "errors"); then, in
 * one transaction, the row is written, the resource's hooks run, and the
 * outbox row is appended. Lists are in list.c. */
#include "services/engine.h"
#include "services/engine_int.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/id.h"
#include "common/text.h"
#include "common/timeutil.h"
#include "services/query.h"


td_status td_res_fail(td_res_err_t *e, td_status st, const char *code, const char *fmt, ...) {
    if (e && !e->code) {
        /* the tenant's database cannot be opened or read: one code for
         * every operation, so callers see 503 tenant_unavailable */
        e->code = st == TD_E_UNAVAILABLE ? "tenant_unavailable" : code;
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

void td_eng_select_list(td_query_t *q, const td_resource_t *r) {
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

json_t *td_eng_row_json(td_stmt_t *st, const td_resource_t *r) {
    json_t *o = json_object();
    for (size_t i = 0; o && i < r->nfields; i++)
        json_object_set_new(o, r->fields[i].name, column_json(st, (int)i, &r->fields[i]));
    return o;
}

char *td_eng_dump(json_t *v) { return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY); }

static int64_t row_bytes(json_t *row) {
    char *s = row ? td_eng_dump(row) : NULL;
    int64_t n = s ? (int64_t)strlen(s) : 0;
    free(s);
    return n;
}

void td_res_etag_text(const char *text, char out[24]) {
    uint64_t h = td_hash64(text ? text : "");
    snprintf(out, 24, "\"%016llx\"", (unsigned long long)h);
}

void td_res_etag(json_t *row, char out[24]) {
    char *s = td_eng_dump(row);
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
    if (!rc && !(*row = td_eng_row_json(st, r)))
        rc = TD_E_NOMEM;
    td_db_finalize(st);
    return rc;
}

void td_eng_where_owner(const td_res_ctx_t *c, const td_resource_t *r, td_query_t *q) {
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
    td_eng_select_list(&q, r);
    td_query_sql(&q, " WHERE \"id\" = ");
    td_query_text(&q, id);
    td_eng_where_owner(c, r, &q);
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
        char *s = td_eng_dump(v);
        p = (td_param_t){.kind = TD_P_TEXT, .s = s ? td_arena_strdup(a, s) : NULL};
        free(s);
        return p;
    }
    default: return (td_param_t){.kind = TD_P_TEXT, .s = json_string_value(v)};
    }
}

/* Checks one value against its field; NULL when fine, else the error code
 * (message in msg). Timestamps are rewritten to the canonical form. */
const char *td_eng_check_value(const td_field_t *f, json_t **vp, char *msg, size_t n) {
    json_t *v = *vp;
    if (json_is_null(v)) {
        if (f->required || f->sort) {
            snprintf(msg, n, "%s cannot be null", f->name);
            return "required";
        }
        return NULL;
    }
    switch (f->type) {
    case TD_F_INTEGER: /* compared as integers: a double has only 53 bits */
        if (!json_is_integer(v)) {
            snprintf(msg, n, "%s must be an integer", f->name);
            return "invalid_type";
        }
        if (json_integer_value(v) < f->imin || json_integer_value(v) > f->imax) {
            snprintf(msg, n, "%s is out of range (%lld to %lld)", f->name, (long long)f->imin,
                     (long long)f->imax);
            return "out_of_range";
        }
        return NULL;
    case TD_F_NUMBER: {
        if (!json_is_number(v)) {
            snprintf(msg, n, "%s must be a number", f->name);
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
        char *s = td_eng_dump(v);
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
        char iso[40];
        if (td_time_canonical(s, iso, sizeof(iso))) {
            snprintf(msg, n, "%s is not an RFC 3339 time", f->name);
            return "invalid_time";
        }
        *vp = json_string(iso); /* a new reference: the caller releases it */
    }
    return NULL;
}

/* 1 when v is one of f's values that only the server's actions write. */
static int server_value(const td_field_t *f, json_t *v) {
    for (size_t i = 0; json_is_string(v) && i < f->nserver_values; i++)
        if (!strcmp(f->server_values[i], json_string_value(v)))
            return 1;
    return 0;
}

/* Formats msg and returns code: one refusal of write_refusal. */
static const char *refuse(char *msg, size_t n, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static const char *refuse(char *msg, size_t n, const char *code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, n, fmt, ap);
    va_end(ap);
    return code;
}

/* Whether c may write field k (f, NULL when undeclared) with v at all:
 * NULL when it may, else the error code with a message in msg. The value
 * itself is checked by td_eng_check_value. Trusted writes (the services'
 * own code) may write read-only fields, server values and any owner. */
static const char *write_refusal(const td_res_ctx_t *c, const td_resource_t *r,
                                 const td_field_t *f, const char *k, json_t *v, int flags,
                                 char *msg, size_t n) {
    int trusted = flags & TD_W_TRUSTED, owner = f && r->owner && !strcmp(k, r->owner);
    if (!f)
        return refuse(msg, n, "unknown_field", "no such field");
    if (!owner && (f->system || (f->read_only && !trusted)))
        return refuse(msg, n, "read_only", "this field is set by the server");
    if (trusted)
        return NULL;
    if (owner && c->scope < TD_SCOPE_TENANT)
        return refuse(msg, n, "not_writable", "you may not choose the owner");
    if (owner && !json_is_string(v))
        return refuse(msg, n, "invalid_type", "the owner is a user id");
    if (owner && !td_id_valid(json_string_value(v)) &&
        !(c->actor && !strcmp(json_string_value(v), c->actor)))
        return refuse(msg, n, "invalid_reference", "the owner is the id of a user");
    if (f->write_roles && !(f->write_roles & role_bit(c->role)))
        return refuse(msg, n, "not_writable", "your role may not set this field");
    if (server_value(f, v))
        return refuse(msg, n, "read_only", "%s '%s' is set by the server's own action", f->name,
                      json_string_value(v));
    return NULL;
}

td_status td_res_validate(const td_res_ctx_t *c, const td_resource_t *r, json_t *body,
                          int create, int flags, json_t *values, td_res_err_t *e) {
    json_t *errors = json_array();
    const char *k;
    json_t *v;
    char msg[160];
    json_object_foreach(body, k, v) {
        const td_field_t *f = td_resource_field(r, k);
        const char *code = write_refusal(c, r, f, k, v, flags, msg, sizeof(msg));
        json_t *val = v;
        if (!code && !(r->owner && !strcmp(k, r->owner)))
            code = td_eng_check_value(f, &val, msg, sizeof(msg));
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

td_status td_outbox_add(td_db_t *db, const char *service, const td_outbox_who_t *who,
                        const char *action, const char *resource, const char *row_id,
                        int64_t rows_delta, int64_t bytes_delta) {
    char now[40], sql[200], actor[200], rid[200];
    td_time_iso(td_now_ms(), now, sizeof(now));
    td_outbox_who_t w = who ? *who : (td_outbox_who_t){0};
    /* the encoding src/audit/README.md documents and the drain decodes */
    if (w.actor_kind && w.impersonator)
        snprintf(actor, sizeof(actor), "%s:%s %s %s", w.actor_kind, w.actor ? w.actor : "",
                 w.impersonator, w.impersonation ? w.impersonation : "-");
    else if (w.actor_kind)
        snprintf(actor, sizeof(actor), "%s:%s", w.actor_kind, w.actor ? w.actor : "");
    if (w.client_addr)
        snprintf(rid, sizeof(rid), "%s %s", w.request_id ? w.request_id : "", w.client_addr);
    snprintf(sql, sizeof(sql),
             "INSERT INTO \"%s\".\"td_outbox\" (at, actor, action, resource, row_id,"
             " request_id, rows_delta, bytes_delta) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
             service);
    td_stmt_t *st = NULL;
    td_status rc = td_db_prepare(db, sql, &st);
    const char *text[] = {now,    w.actor_kind ? actor : w.actor,
                          action, resource,
                          row_id, w.client_addr ? rid : w.request_id};
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
    td_outbox_who_t who = {c->actor_kind,  c->actor,       c->request_id,
                           c->client_addr, c->impersonator, c->impersonation};
    return td_outbox_add(c->db, service, &who, action, resource, row_id, rows_delta,
                         bytes_delta);
}

/* The owner a write names when it is not the caller itself, or NULL
 * (trusted writes copy owners from rows that exist already). */
static const char *named_owner(const td_res_ctx_t *c, const td_resource_t *r, json_t *values,
                               int flags) {
    const char *o = r->owner ? json_string_value(json_object_get(values, r->owner)) : NULL;
    if (!o || (flags & TD_W_TRUSTED) || (c->actor && !strcmp(o, c->actor)))
        return NULL;
    return o;
}

/* An owner the caller names must be a user of this tenant (auth.users,
 * disabled or not): otherwise 409 invalid_reference, as for a ref that
 * points to no row. Rows an API key creates are owned by the key: the key
 * may name itself, nobody else may name it. */
static td_status check_owner(const td_res_ctx_t *c, const td_resource_t *r, json_t *values,
                             int flags, td_res_err_t *e) {
    const char *o = named_owner(c, r, values, flags);
    if (!o)
        return TD_OK;
    td_stmt_t *st = NULL;
    td_status rc = td_db_query_row(c->db, "SELECT 1 FROM \"auth\".\"users\" WHERE \"id\" = ?",
                                   o, &st);
    if (st)
        td_db_finalize(st);
    if (rc == TD_E_NOTFOUND)
        return td_res_fail(e, TD_E_CONFLICT, "invalid_reference",
                           "%s names no user of this tenant", r->owner);
    if (rc)
        return td_res_fail(e, rc, "database_error", "the tenant's users could not be read");
    return TD_OK;
}

/* The users an owner check reads live in the auth service: on SQLite its
 * file is attached now, outside the write's transaction. */
static td_status owner_ready(const td_res_ctx_t *c, const td_resource_t *r, json_t *body,
                             td_res_err_t *e) {
    char err[300];
    if (!named_owner(c, r, body, 0) || !strcmp(r->service, "auth"))
        return TD_OK;
    td_status rc = td_db_tenant_attach(c->db, "auth", err, sizeof(err));
    return rc ? td_res_fail(e, rc, "database_error", "the tenant's users cannot be read") : TD_OK;
}

/* A value only the server's actions write stays: a caller's update cannot
 * move a row away from it (a converted lead stays converted). */
static td_status check_kept(const td_resource_t *r, json_t *old, json_t *values, int flags,
                            td_res_err_t *e) {
    for (size_t i = 0; !(flags & TD_W_TRUSTED) && i < r->nfields; i++) {
        const td_field_t *f = &r->fields[i];
        json_t *was = json_object_get(old, f->name), *to = json_object_get(values, f->name);
        if (to && server_value(f, was) && !json_equal(was, to))
            return td_res_fail(e, TD_E_STATE, "invalid_state",
                               "%s '%s' was set by the server and does not change", f->name,
                               json_string_value(was));
    }
    return TD_OK;
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

/* 402 plan_limit when the table holds as many rows as the tenant's plan
 * allows (max_rows_per_resource), counted inside the write transaction:
 * SQLite's writers are one at a time; PostgreSQL's creates of the table
 * wait for each other on a transaction-scoped advisory lock. */
static td_status row_room(const td_res_ctx_t *c, const td_resource_t *r, td_res_err_t *e) {
    td_query_t q;
    td_stmt_t *st = NULL;
    int64_t n = 0;
    td_status rc = TD_OK;
    if (!strcmp(td_db_dialect(c->db), "postgres")) /* declared names: [a-z_0-9] only */
        rc = td_db_exec(c->db, td_arena_printf(c->arena,
                                               "SELECT pg_advisory_xact_lock(hashtext("
                                               "'rows:%s.%s'))",
                                               r->service, r->table));
    td_query_init(&q, c->arena);
    td_query_sql(&q, "SELECT COUNT(*) FROM ");
    td_query_table(&q, r);
    if (!rc)
        rc = td_query_prepare(&q, c->db, &st);
    if (!rc && td_db_step(st) == TD_DB_ROW)
        n = td_db_column_int64(st, 0);
    else if (!rc)
        rc = TD_E_INTERNAL;
    td_db_finalize(st);
    td_query_free(&q);
    if (rc)
        return td_res_fail(e, rc, "database_error", "the tenant database failed");
    e->allowed = c->max_rows;
    if (n >= c->max_rows)
        return td_res_fail(e, TD_E_FORBIDDEN, "plan_limit",
                           "plan %.40s allows %lld rows in %s (max_rows_per_resource): remove"
                           " some or change the plan",
                           c->plan ? c->plan : "", (long long)c->max_rows, r->name);
    return TD_OK;
}

td_status td_res_insert(const td_res_ctx_t *c, const td_resource_t *r, json_t *body, int flags,
                        json_t **row, td_res_err_t *e) {
    json_t *values = json_object();
    td_status rc = values ? td_res_validate(c, r, body, 1, flags, values, e) : TD_E_NOMEM;
    if (!rc)
        rc = check_owner(c, r, values, flags, e);
    if (!rc && c->limit_rows)
        rc = row_room(c, r, e);
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
        rc = check_kept(r, old, values, flags, e);
    if (!rc)
        rc = check_owner(c, r, values, flags, e);
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
    td_status rc = owner_ready(c, r, body, e);
    return rc ? rc : write_txn(c, create_fn, &w, e);
}

td_status td_res_update(const td_res_ctx_t *c, const td_resource_t *r, const char *id,
                        json_t *body, const char *if_match, json_t **row, td_res_err_t *e) {
    *row = NULL;
    write_arg_t w = {.r = r, .id = id, .if_match = if_match, .body = body, .row = row};
    td_status rc = owner_ready(c, r, body, e);
    return rc ? rc : write_txn(c, update_fn, &w, e);
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
