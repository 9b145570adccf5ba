/* demo.c — the demo tenant of `tenantd serve --demo`: every built-in
 * service, a first admin, and sample rows written through the engine as
 * that admin (td_op_res_ctx with the admin as the actor). */
#include <string.h>

#include "auth/users.h"
#include "ops/ops.h"
#include "services/engine.h"
#include "services/services.h"

td_status td_op_demo_tenant(td_op_t *op, const char *slug, const char *email, const char *pw,
                            int *created) {
    td_platform_t *p = op->platform;
    td_arena_t *a = op->arena;
    td_tenant_t t;
    *created = 0;
    if (op->actor.kind != TD_ACTOR_CLI && op->actor.kind != TD_ACTOR_SYSTEM)
        return td_op_fail(op, TD_E_FORBIDDEN, 403, "forbidden", "the demo is made at the console");
    if (td_tenant_find(p, a, slug, &t) == TD_OK)
        return TD_OK;
    static const char *const svcs[] = {"analytics", "billing", "cms", "commerce", "crm",
                                       "projects"};
    td_tenant_spec_t spec = {.slug = slug, .name = "Demo Company", .services = svcs,
                             .nsvc = sizeof(svcs) / sizeof(svcs[0]), .admin_email = email,
                             .admin_password = pw, .backend = "sqlite"};
    if (td_tenant_create(op, &spec, &t))
        return op->err.st;
    char err[512] = "";
    td_db_t *db = NULL;
    td_user_t admin;
    td_status st = td_tenant_open_db(p, a, t.row.id, &db, err, sizeof(err));
    if (!st) /* the rows belong to the demo admin */
        st = td_user_find(db, a, email, 1, &admin);
    if (!st) {
        td_op_t as = *op; /* the demo admin writes them */
        as.actor = (td_actor_t){.kind = TD_ACTOR_USER, .id = admin.id, .tenant_id = t.row.id,
                                .role = "admin", .all = 1};
        as.request_id = "demo";
        td_res_ctx_t c;
        td_op_res_ctx(&as, &t, db, TD_SCOPE_TENANT, &c);
        st = td_services_demo_fill(&c);
    }
    td_db_close(db);
    if (st)
        return td_op_fail_status(op, st, err[0] ? err : td_status_msg(st));
    *created = 1;
    return TD_OK;
}
