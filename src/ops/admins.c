/* admins.c — superadmins as operations: the first one, made by `tenantd
 * init` and `tenantd serve --demo` when the catalog has none. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "auth/password.h"
#include "common/id.h"
#include "ops/ops.h"

td_status td_op_superadmin_ensure(td_op_t *op, const char *email, const char *pw, int *created,
                                  char **generated) {
    *created = 0;
    *generated = NULL;
    if (op->actor.kind != TD_ACTOR_CLI && op->actor.kind != TD_ACTOR_SYSTEM)
        return td_op_fail(op, TD_E_FORBIDDEN, 403, "forbidden",
                          "the first superadmin is made at the console");
    td_db_t *db;
    int64_t n = 0;
    char id[TD_ID_LEN + 1];
    td_status st = td_catalog_lease(op->platform->catalog, NULL, &db);
    if (st)
        return td_op_fail_status(op, st, td_status_msg(st));
    st = td_cat_admin_count(db, &n);
    if (!st && n == 0) {
        char gen[25], hash[TD_PASSWORD_HASH_MAX];
        if (!pw) {
            td_password_generate(gen, sizeof(gen));
            pw = *generated = strdup(gen);
            sodium_memzero(gen, sizeof(gen));
        }
        td_id_new(id);
        st = pw ? td_password_hash(pw, hash) : TD_E_NOMEM;
        if (!st)
            st = td_cat_admin_insert(db, id, email, hash);
        sodium_memzero(hash, sizeof(hash));
    }
    td_catalog_release(op->platform->catalog, db);
    *created = !st && n == 0;
    if (st)
        return td_op_fail_status(op, st, td_status_msg(st));
    return *created ? td_audit_record(op, NULL, NULL, "admin.create", "platform_admins", id, "ok",
                                      email)
                    : TD_OK;
}
