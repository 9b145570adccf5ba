/* op.h — the operation context: one shape for "who is doing what, on whose
 * behalf, with which memory, and where the failure goes".
 *
 * Every domain operation takes a td_op_t *. Its callers — an HTTP handler,
 * a CLI command, a job handler, the console through the HTTP API — each
 * build one and call the same operation: parse → operate → render. The
 * operation checks access with op->actor, does the work, records its
 * audit event with op->actor and op->request_id, and on failure fills
 * op->err (a td_status, the HTTP-like status class, a stable code and a
 * detail that never quotes secrets or bodies). Nothing in it outlives the
 * request or job that built it: strings are borrowed from the caller or
 * allocated in op->arena. */
#ifndef TD_OP_H
#define TD_OP_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/status.h"
#include "store/store.h"

/* The platform (tenancy/tenancy.h): named here only, so that tenancy's own
 * operations can take a td_op_t too. */
typedef struct td_platform td_platform_t;

typedef enum {
    TD_ACTOR_SYSTEM = 0, /* the server itself (start-up, schedules) */
    TD_ACTOR_SUPERADMIN, /* a platform operator (token or platform API key) */
    TD_ACTOR_USER,       /* a tenant's user */
    TD_ACTOR_API_KEY,    /* a tenant's API key */
    TD_ACTOR_CLI,        /* an operator at the command line */
    TD_ACTOR_JOB,        /* a job of the queue (id: the job's id) */
    TD_ACTOR_OWNER,      /* an account's owner (id: the owner's; no tenant) */
} td_actor_kind;

typedef struct {
    td_actor_kind kind;
    const char *id;        /* user, admin, key or job id; NULL for system/cli */
    const char *tenant_id; /* the actor's own tenant; NULL for platform actors */
    const char *role;      /* superadmin | admin | manager | client; NULL when none */
    int all;               /* every service of its tenant (svc is no limit) */
    const char *const *svc;
    size_t nsvc;
    int64_t key_exp; /* an expiring API key: its end (unix seconds); 0 = none */
    const char *impersonator;  /* a superadmin acting as this user (its id), or NULL */
    const char *impersonation; /* with impersonator: the impersonation's id */
} td_actor_t;

typedef struct {
    td_status st;     /* TD_OK until a failure */
    int status;       /* HTTP-like class: 400, 403, 404, 409, 422, 503… */
    char code[48];    /* stable machine-readable code ("slug_taken") */
    char detail[256]; /* for a human; never a secret, never the input */
    char limit[40];   /* 402 plan_limit: the plan's limit met ("max_users"), else "" */
    int64_t allowed;  /* with limit: what the plan allows */
} td_op_err_t;

typedef struct {
    td_platform_t *platform;
    td_actor_t actor;
    const char *request_id;  /* the request's id, or the job's */
    const char *client_addr; /* NULL outside HTTP */
    td_arena_t *arena;       /* everything the operation allocates */
    td_op_err_t err;
} td_op_t;

/* Records a failure in op->err (the first one wins) and returns st. */
td_status td_op_fail(td_op_t *op, td_status st, int status, const char *code, const char *fmt,
                     ...) __attribute__((format(printf, 5, 6)));
/* A catalog connection held until the op's arena ends: 503
 * catalog_unavailable in op->err when there is none. */
td_status td_op_catalog(td_op_t *op, td_db_t **db);
/* The tenant's database with service usable, for the op's lifetime: a
 * lease from the pool in a server, else a connection of its own closed
 * with op->arena. 503 tenant_unavailable (busy: every handle in use). */
td_status td_op_tenant_db(td_op_t *op, const char *tenant_id, const char *service,
                          td_db_t **out);
/* In a server (a pool of tenant databases exists): leases tenant_id's
 * database with service usable for the op's lifetime, or records 503
 * tenant_unavailable (busy when every handle is in use). Elsewhere 1. */
int td_op_tenant_answers(td_op_t *op, const char *tenant_id, const char *service);
/* The HTTP-like status of a domain status (400 invalid, 404 not found,
 * 409 state or conflict, 503 unavailable…; 500 for the rest). */
int td_op_http_status(td_status st);
/* td_op_fail with the status's own class and code (td_status_code):
 * for failures that need no code of their own. detail may be NULL. */
td_status td_op_fail_status(td_op_t *op, td_status st, const char *detail);
/* The actor kind's name ("superadmin", "user", "api_key", "cli", "job",
 * "system"), as audit records and job rows write it. */
const char *td_actor_kind_name(td_actor_kind k);
/* 1 for the actors that act for the whole platform: a superadmin, the
 * CLI, the system, a job. */
int td_actor_platform(const td_actor_t *a);
/* 1 when the actor may manage tenant_id's users and keys: a platform
 * actor, or an admin (user or key) of that tenant. Records 403 otherwise. */
int td_op_tenant_admin(td_op_t *op, const char *tenant_id);

/* Callers of op.h get the platform's definition too (after td_op_t, so
 * tenancy.h may include this file first). */
#include "tenancy/tenancy.h"

#endif
