/* admins.c — superadmins as operations: the first one, made by `tenantd
 * init` and `tenantd serve --demo` when the catalog has none, and the
 * password reset an operator makes from the machine (`tenantd admin
 * reset-password`) when a superadmin's password is lost. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "auth/password.h"
#include "auth/revoke.h"
#include "auth/users.h"
#include "common/id.h"
#include "common/text.h"
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

td_status td_op_superadmin_reset_password(td_op_t *op, const char *email, const char *pw) {
    if (op->actor.kind != TD_ACTOR_CLI)
        return td_op_fail(op, TD_E_FORBIDDEN, 403, "forbidden",
                          "a lost superadmin password is reset from the machine");
    if (td_password_check(pw))
        return td_op_fail(op, TD_E_INVALID, 400, "weak_password", "%s", td_password_problem(pw));
    td_db_t *cat;
    td_admin_row_t adm;
    int64_t gen = 0;
    char lower[256];
    if (td_ascii_lower(email, lower, sizeof(lower))) /* stored lower-cased */
        return td_op_fail(op, TD_E_INVALID, 400, "invalid_request", "not an email address");
    if (td_op_catalog(op, &cat))
        return op->err.st;
    td_status st = td_cat_admin_find(cat, op->arena, lower, 0, &adm);
    if (st == TD_E_NOTFOUND)
        return td_op_fail(op, st, 404, "admin_not_found", "no superadmin has this email");
    if (!st)
        st = td_admin_change_password(cat, &adm, pw, &gen); /* its sessions end with it */
    if (!st) /* and its access tokens, in a running server too (it reads the catalog's) */
        st = td_revoke_principal(op->platform->revoked, op->platform->catalog, adm.id, gen);
    if (st)
        return td_op_fail_status(op, st, NULL);
    return td_audit_record(op, NULL, NULL, "admin.password_reset", "platform_admins", adm.id, "ok",
                           adm.email);
}
