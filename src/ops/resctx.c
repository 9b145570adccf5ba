/* resctx.c — the resource engine's context made from an operation
 * context: how a caller of services/engine.h (a data or behaviour route,
 * the demo) names its actor to the engine and to the outbox rows it
 * writes. */
#include <string.h>

#include "ops/ops.h"

void td_op_res_ctx(const td_op_t *op, const td_tenant_t *t, td_db_t *db, td_scope scope,
                   td_res_ctx_t *out) {
    *out = (td_res_ctx_t){.db = db,
                          .arena = op->arena,
                          .actor = op->actor.id,
                          .actor_kind = td_actor_kind_name(op->actor.kind),
                          .client_addr = op->client_addr,
                          .role = op->actor.role,
                          .request_id = op->request_id,
                          .scope = scope,
                          .tenant_id = t->row.id,
                          .impersonator = op->actor.impersonator,
                          .impersonation = op->actor.impersonation,
                          .files_dir = td_tenant_files_dir(op->platform, op->arena, t),
                          .limit_rows = t->limits.max_rows_per_resource >= 0,
                          .max_rows = t->limits.max_rows_per_resource,
                          .plan = t->row.plan};
}

td_status td_op_res_open(td_op_t *op, const td_tenant_t *t, const char *service, td_scope scope,
                         td_res_ctx_t *out) {
    td_db_t *db = NULL;
    memset(out, 0, sizeof(*out));
    if (td_op_tenant_db(op, t->row.id, service, &db))
        return op->err.st;
    td_op_res_ctx(op, t, db, scope, out);
    return TD_OK;
}
