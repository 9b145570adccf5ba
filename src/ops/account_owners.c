/* account_owners.c — an account's owners (issue 13 part 1: an account has
 * owner users who log in once): listed, added and removed by its owners.
 *
 * Inside a tenant an owner is that tenant's admin user of the owner's
 * email (what a switch hands a token of), so a new owner gets an admin
 * user with its password's hash in each of the account's tenants, and
 * every owner one in a tenant the account adds (td_op_account_admins).
 * A removed owner's sessions and tokens end; its admin users stay the
 * tenants' (their admins remove them). An account keeps one owner at
 * least. Audited in the platform's chain: account.owner_add,
 * account.owner_remove. */
#include <string.h>

#include "audit/audit.h"
#include "auth/password.h"
#include "auth/revoke.h"
#include "common/id.h"
#include "common/text.h"
#include "common/timeutil.h"
#include "ops/ops.h"

/* The catalog and the acting owner (its account active). */
static td_status me(td_op_t *op, td_db_t **db, td_owner_row_t *o) {
    return td_op_catalog(op, db) ? op->err.st : td_op_acting_owner(op, *db, o);
}

/* An admin user of owner o in tenant tid (its email, its hash), unless
 * the tenant has a user of that email already. A tenant that does not
 * answer is skipped: its admins add the owner there. */
static void admin_in(td_op_t *op, const char *tid, const td_owner_row_t *o) {
    td_db_t *db;
    char id[TD_ID_LEN + 1];
    td_op_t quiet = *op;
    td_user_spec_t s = {.email = o->email, .role = "admin", .name = o->name,
                        .password_hash = o->password_hash, .if_absent = 1};
    td_who_t who = td_who_of(op);
    if (td_op_tenant_db(&quiet, tid, "auth", &db) == TD_OK)
        td_user_create(db, &s, id, &who);
}

void td_op_account_admins(td_op_t *op, td_db_t *cat, const char *account_id, const char *tid,
                          const char *except) {
    td_owner_row_t *os;
    size_t n = 0;
    if (td_cat_account_owners(cat, op->arena, account_id, &os, &n))
        return;
    for (size_t i = 0; i < n; i++)
        if (!except || strcmp(os[i].id, except))
            admin_in(op, tid, &os[i]);
}

td_status td_op_account_owners(td_op_t *op, td_owner_row_t **rows, size_t *n) {
    td_db_t *db;
    td_owner_row_t o;
    *n = 0;
    if (me(op, &db, &o))
        return op->err.st;
    td_status st = td_cat_account_owners(db, op->arena, o.account_id, rows, n);
    return st ? td_op_fail_status(op, st, "the catalog does not answer") : TD_OK;
}

td_status td_op_account_owner_add(td_op_t *op, const char *email, const char *password,
                                  const char *name, td_owner_row_t *out) {
    td_db_t *db;
    td_owner_row_t o;
    char id[TD_ID_LEN + 1], lower[256], hash[TD_PASSWORD_HASH_MAX];
    if (me(op, &db, &o))
        return op->err.st;
    if (!td_email_valid(email) || td_ascii_lower(email, lower, sizeof(lower)) ||
        (name && (!*name || strlen(name) > 200 || !td_text_printable_utf8(name))))
        return td_op_fail(op, TD_E_INVALID, 400, "invalid_request",
                          "send {\"email\",\"password\"} and optionally \"name\" (1 to 200"
                          " characters)");
    if (!password || td_password_check(password))
        return td_op_fail(op, TD_E_INVALID, 400, "weak_password", "%s",
                          td_password_problem(password ? password : ""));
    td_status st = td_password_hash(password, hash);
    td_id_new(id);
    td_owner_row_t n = {.id = id, .email = lower, .name = name, .password_hash = hash,
                        .gen = td_now_ms()};
    if (!st)
        st = td_cat_owner_insert(db, o.account_id, &n);
    if (st == TD_E_EXISTS)
        return td_op_fail(op, st, 409, "email_taken", "this email owns an account already");
    if (!st)
        st = td_cat_owner_find(db, op->arena, id, 0, out);
    if (st)
        return td_op_fail_status(op, st, "cannot record the owner");
    td_account_tenant_t *ts;
    size_t k = 0;
    if (!td_cat_account_tenants(db, op->arena, o.account_id, &ts, &k))
        for (size_t i = 0; i < k; i++)
            admin_in(op, ts[i].id, out);
    return td_audit_record(op, NULL, NULL, "account.owner_add", "accounts", o.account_id, "ok",
                           td_arena_printf(op->arena, "owner %s", out->id));
}

td_status td_op_account_owner_remove(td_op_t *op, const char *id) {
    td_db_t *db;
    td_owner_row_t o, *os;
    size_t n = 0, found = 0;
    if (me(op, &db, &o))
        return op->err.st;
    if (td_cat_account_owners(db, op->arena, o.account_id, &os, &n))
        return td_op_fail_status(op, TD_E_UNAVAILABLE, "the catalog does not answer");
    for (size_t i = 0; id && i < n; i++)
        found |= !strcmp(os[i].id, id);
    if (!found)
        return td_op_fail(op, TD_E_NOTFOUND, 404, "owner_not_found",
                          "no owner of this account has that id");
    if (n < 2)
        return td_op_fail(op, TD_E_STATE, 409, "last_owner", "an account keeps one owner");
    td_status st = td_cat_owner_remove(db, o.account_id, id);
    if (st == TD_E_STATE) /* the other one removed meanwhile */
        return td_op_fail(op, st, 409, "last_owner", "an account keeps one owner");
    if (!st) /* its tokens end at once */
        st = td_revoke_principal(op->platform->revoked, op->platform->catalog, id, td_now_ms());
    if (st)
        return td_op_fail_status(op, st, "cannot remove the owner");
    return td_audit_record(op, NULL, NULL, "account.owner_remove", "accounts", o.account_id, "ok",
                           td_arena_printf(op->arena, "owner %s", id));
}

json_t *td_owner_json(const td_owner_row_t *o) {
    return json_pack("{s:s, s:s, s:s?, s:s?}", "id", o->id, "email", o->email, "name", o->name,
                     "last_login_at", o->last_login_at);
}
