/* op.c — the operation context's small helpers. */
#include "ops/op.h"

#include <stdio.h>
#include <string.h>

#include "tenancy/migrate.h"

td_status td_op_fail(td_op_t *op, td_status st, int status, const char *code, const char *fmt,
                     ...) {
    if (op->err.st)
        return st;
    op->err.st = st;
    op->err.status = status;
    snprintf(op->err.code, sizeof(op->err.code), "%s", code ? code : td_status_code(st));
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(op->err.detail, sizeof(op->err.detail), fmt, ap);
    va_end(ap);
    return st;
}

const char *td_actor_kind_name(td_actor_kind k) {
    static const char *const names[] = {"system", "superadmin", "user", "api_key", "cli", "job", "owner"};
    return (unsigned)k < sizeof(names) / sizeof(names[0]) ? names[k] : "system";
}

int td_actor_platform(const td_actor_t *a) {
    return a->kind == TD_ACTOR_SUPERADMIN || a->kind == TD_ACTOR_CLI ||
           a->kind == TD_ACTOR_SYSTEM || a->kind == TD_ACTOR_JOB;
}

int td_op_tenant_admin(td_op_t *op, const char *tenant_id) {
    const td_actor_t *a = &op->actor;
    if (td_actor_platform(a))
        return 1;
    if ((a->kind == TD_ACTOR_USER || a->kind == TD_ACTOR_API_KEY) && a->tenant_id && tenant_id &&
        strcmp(a->tenant_id, tenant_id) == 0 && a->role && strcmp(a->role, "admin") == 0)
        return 1;
    td_op_fail(op, TD_E_FORBIDDEN, 403, "forbidden", "your role may not do this");
    return 0;
}

int td_op_http_status(td_status st) {
    switch (st) {
    case TD_E_INVALID: return 400;
    case TD_E_AUTH: return 401;
    case TD_E_FORBIDDEN: return 403;
    case TD_E_NOTFOUND: return 404;
    case TD_E_EXISTS:
    case TD_E_LAST_ADMIN:
    case TD_E_CONFLICT:
    case TD_E_STATE: return 409;
    case TD_E_TOOBIG: return 413;
    case TD_E_RANGE: return 422;
    case TD_E_BUSY:
    case TD_E_UNAVAILABLE: return 503;
    default: return 500;
    }
}

td_status td_op_fail_status(td_op_t *op, td_status st, const char *detail) {
    return td_op_fail(op, st, td_op_http_status(st), td_status_code(st), "%s",
                      detail ? detail : "");
}

static void close_db(void *db) { td_db_close(db); }

td_status td_op_catalog(td_op_t *op, td_db_t **db) {
    if (td_catalog_lease(op->platform->catalog, op->arena, db))
        return td_op_fail(op, TD_E_UNAVAILABLE, 503, "catalog_unavailable",
                          "the catalog does not answer");
    return TD_OK;
}

td_status td_op_tenant_db(td_op_t *op, const char *tenant_id, const char *service,
                          td_db_t **out) {
    char err[256];
    td_platform_t *p = op->platform;
    /* never a schema behind the code: its migrations run first (once per
     * tenant and process), or the tenant answers 503 */
    if (td_migrate_ensure(p, tenant_id, err, sizeof(err)))
        return td_actor_platform(&op->actor) /* the database's words: operators only */
                   ? td_op_fail(op, TD_E_UNAVAILABLE, 503, "tenant_migrating", "%s", err)
                   : td_op_fail(op, TD_E_UNAVAILABLE, 503, "tenant_migrating",
                                "this tenant's data is being brought up to date; retry later");
    td_status st = p->pool ? td_tenant_lease(p, op->arena, tenant_id, service, out, err, sizeof(err))
                           : td_tenant_open_db(p, op->arena, tenant_id, out, err, sizeof(err));
    if (!st && !p->pool && td_arena_defer(op->arena, close_db, *out))
        st = TD_E_NOMEM; /* closed already by the failed defer */
    if (st == TD_E_BUSY)
        td_op_fail(op, st, 503, "tenant_busy",
                   "every connection to the tenant's database server is in use; retry");
    else if (st)
        td_op_fail(op, TD_E_UNAVAILABLE, 503, "tenant_unavailable",
                   "the tenant's database does not answer");
    return st ? op->err.st : TD_OK;
}

int td_op_tenant_answers(td_op_t *op, const char *tenant_id, const char *service) {
    td_db_t *db;
    return !op->platform->pool || td_op_tenant_db(op, tenant_id, service, &db) == TD_OK;
}
