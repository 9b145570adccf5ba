/* engine.h — the resource engine: every declared resource served from its
 * declaration (list, get, create, update, delete), with the outbox row of
 * each write in the same transaction.
 *
 * The engine knows nothing of HTTP: it receives a context (the tenant's
 * database, the caller, the scope the access policy granted for this
 * operation) and JSON values, and answers rows as JSON objects or a status
 * with a stable code (td_res_err_t). One SQL text serves both backends:
 * tables are schema-qualified ("crm"."customers"), identifiers quoted,
 * values always bound. */
#ifndef TD_ENGINE_H
#define TD_ENGINE_H

#include <jansson.h>

#include "common/arena.h"
#include "common/buf.h"
#include "services/decl.h"
#include "store/store.h"

typedef struct td_res_ctx {
    td_db_t *db;             /* the tenant's database (leased for the request) */
    td_arena_t *arena;       /* the request's */
    const char *actor;       /* who acts: user or API key id (owner of new rows) */
    const char *actor_kind;  /* "user", "api_key", "superadmin", "cli", "system"… (NULL = unknown) */
    const char *client_addr; /* the caller's address, or NULL outside HTTP */
    const char *role;        /* superadmin | admin | manager | client */
    const char *request_id;
    td_scope scope;          /* what the policy granted for this operation */
    const char *tenant_id;
    const char *files_dir;   /* the tenant's folder for files (SQLite), or NULL */
    const char *impersonator, *impersonation; /* a superadmin acting as actor: its id, the
                                                 impersonation's (NULL: none) */
    int limit_rows;          /* 1: a create finds at most max_rows rows in the table (plan) */
    int64_t max_rows;
    const char *plan;        /* the plan that sets it, for the answer */
} td_res_ctx_t;

typedef struct {
    const char *code;        /* stable: validation_failed, not_found, … */
    char detail[256];
    json_t *errors;          /* validation_failed: [{field, code, message}] (owned) */
    int64_t allowed;         /* plan_limit: the plan's max_rows_per_resource */
} td_res_err_t;

void td_res_err_free(td_res_err_t *e);

typedef struct {
    const char *filter;      /* the filter language, or NULL */
    const char *sort;        /* "-created_at,name", or NULL (= id) */
    const char *cursor;      /* from a previous page, or NULL */
    const char *fields;      /* "id,name", or NULL (= all) */
    const char *limit;       /* "1".."200", or NULL (= 50) */
} td_list_req_t;

#define TD_LIST_DEFAULT 50
#define TD_LIST_MAX 200

/* {"items":[…],"next_cursor":…|null} as compact JSON text in out, which
 * it initialises; the caller frees it (td_buf_free), also on failure. */
td_status td_res_list(const td_res_ctx_t *c, const td_resource_t *r, const td_list_req_t *q,
                      td_buf_t *out, td_res_err_t *e);
/* One row (404 not_found also for a row outside the caller's scope). */
td_status td_res_get(const td_res_ctx_t *c, const td_resource_t *r, const char *id, json_t **row,
                     td_res_err_t *e);
/* Each in its own transaction. if_match (an ETag) may be NULL. */
td_status td_res_create(const td_res_ctx_t *c, const td_resource_t *r, json_t *body,
                        json_t **row, td_res_err_t *e);
td_status td_res_update(const td_res_ctx_t *c, const td_resource_t *r, const char *id,
                        json_t *body, const char *if_match, json_t **row, td_res_err_t *e);
td_status td_res_delete(const td_res_ctx_t *c, const td_resource_t *r, const char *id,
                        const char *if_match, td_res_err_t *e);

/* The strong ETag of a row ("\"<16 hex>\""): a hash of its compact JSON
 * text (td_res_etag_text when the caller has that text already). */
void td_res_etag(json_t *row, char out[24]);
void td_res_etag_text(const char *text, char out[24]);

/* Building blocks for behaviour beyond CRUD, used inside the caller's
 * transaction (td_db_begin … commit). TD_W_TRUSTED lets code write
 * read-only fields and server values, and owners unchecked. Without it,
 * an owner the body names (other than c->actor) is looked up in
 * auth.users: on SQLite the caller attaches "auth" before the transaction
 * (td_res_create and td_res_update do). Each appends its outbox row. */
#define TD_W_TRUSTED 1
td_status td_res_insert(const td_res_ctx_t *c, const td_resource_t *r, json_t *body, int flags,
                        json_t **row, td_res_err_t *e);
td_status td_res_patch(const td_res_ctx_t *c, const td_resource_t *r, const char *id,
                       json_t *body, int flags, const char *if_match, json_t **row,
                       td_res_err_t *e);
/* Validates body for a write by c; fills values (field → value) with
 * what to write: create = 1 applies defaults and requires the required
 * fields. Every bad field goes to e->errors; TD_E_INVALID when any. */
td_status td_res_validate(const td_res_ctx_t *c, const td_resource_t *r, json_t *body,
                          int create, int flags, json_t *values, td_res_err_t *e);
/* Runs fn(c, arg, e) in one write transaction of c->db: commit when it
 * returns TD_OK, roll back otherwise (and on a failed commit). */
typedef td_status (*td_res_txn_fn)(const td_res_ctx_t *c, void *arg, td_res_err_t *e);
td_status td_res_txn(const td_res_ctx_t *c, td_res_txn_fn fn, void *arg, td_res_err_t *e);
/* Reads a row inside a write transaction, locking it where the backend
 * needs that (scope applied). */
td_status td_res_read_locked(const td_res_ctx_t *c, const td_resource_t *r, const char *id,
                             json_t **row, td_res_err_t *e);

/* The one place an outbox row is written: action (create, update, delete,
 * batch…), the resource, the row id (or NULL), and what the write changed
 * in rows and bytes. Called inside the write's transaction. */
td_status td_outbox_append(const td_res_ctx_t *c, const char *service, const char *action,
                           const char *resource, const char *row_id, int64_t rows_delta,
                           int64_t bytes_delta);

/* Who made a write, as its outbox row records it. The outbox has no
 * column for the actor kind or the client address (existing tenants'
 * tables cannot change yet): they ride in the actor and request_id text
 * ("<kind>:<id>", "<request id> <address>"), which the drain decodes
 * (src/audit/README.md); an impersonated actor is "<kind>:<id>
 * <superadmin id> <impersonation id>". NULL fields are unknown. */
typedef struct {
    const char *actor_kind, *actor, *request_id, *client_addr;
    const char *impersonator, *impersonation;
} td_outbox_who_t;

/* The same for writes made outside the engine (auth's users, a tenant's
 * first admin): db in its transaction, who as known (NULL = nobody). */
td_status td_outbox_add(td_db_t *db, const char *service, const td_outbox_who_t *who,
                        const char *action, const char *resource, const char *row_id,
                        int64_t rows_delta, int64_t bytes_delta);

/* Behaviour attached to a resource (hooks.c): before runs after the
 * engine's validation with the values about to be written (create: every
 * field; update: the changed ones, old = the row before) and may refuse
 * (filling e) or adjust values; after runs once the row is written, in
 * the same transaction. */
typedef struct {
    const char *service, *resource;
    td_status (*before)(const td_res_ctx_t *c, const td_resource_t *r, td_op op, json_t *old,
                        json_t *values, td_res_err_t *e);
    td_status (*after)(const td_res_ctx_t *c, const td_resource_t *r, td_op op, json_t *old,
                       json_t *row, td_res_err_t *e);
    /* once a delete has committed (files outside the database go then) */
    void (*deleted)(const td_res_ctx_t *c, const td_resource_t *r, json_t *old);
} td_res_hooks_t;
const td_res_hooks_t *td_res_hooks(const td_resource_t *r);

/* Sets e (code and formatted detail) and returns st; TD_E_UNAVAILABLE
 * always gets the code "tenant_unavailable". */
td_status td_res_fail(td_res_err_t *e, td_status st, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
