/* accounts.c — accounts that own tenants, as operations (issue 13 part 1):
 * sign-up making an account with its owner and first tenant, the owner's
 * store dropdown and new tenants, and the superadmins' list, show,
 * suspend and resume. (An owner's login, refresh and switch into a tenant
 * are in sessions.c, beside the other sign-ins; the catalog side is
 * catalog/owner_accounts.c.)
 *
 * Each tenant of an account is made as tenant creation makes any (slug
 * rules, services, 409 slug_taken): the server creates it, and its first
 * admin is the owner — same email, the owner's password hash — which is
 * who a switch hands a token of. Every mutation is audited in the
 * platform's chain with its actor: account.create (the new owner),
 * account.tenant_add (the owner), account.suspend and account.resume (the
 * superadmin or operator). */
#include <stdio.h>
#include <string.h>

#include "audit/audit.h"
#include "auth/password.h"
#include "auth/revoke.h"
#include "auth/tokens.h"
#include "auth/users.h"
#include "common/id.h"
#include "common/text.h"
#include "common/timeutil.h"
#include "ops/ops.h"

static char *lower_dup(td_arena_t *a, const char *s) {
    size_t n = s ? strlen(s) + 1 : 0;
    char *d = n ? td_arena_alloc(a, n) : NULL;
    return d && !td_ascii_lower(s, d, n) ? d : NULL;
}

td_status td_op_account_tenant(td_op_t *op, const char *account_id, const char *key,
                               td_account_tenant_t *out) {
    td_db_t *db;
    td_account_tenant_t *rows;
    size_t n;
    if (td_op_catalog(op, &db))
        return op->err.st;
    if (td_cat_account_tenants(db, op->arena, account_id, &rows, &n))
        return td_op_fail_status(op, TD_E_UNAVAILABLE, "the catalog does not answer");
    for (size_t i = 0; key && i < n; i++)
        if (!strcmp(rows[i].id, key) || !strcmp(rows[i].slug, key)) {
            *out = rows[i];
            return TD_OK;
        }
    return td_op_fail(op, TD_E_NOTFOUND, 404, "tenant_not_found", "no such tenant");
}

/* The tenant as the server makes it (tenant creation is a platform
 * operation: the owner's rights were checked by the caller), then owned
 * by account. */
static td_status make_tenant(td_op_t *op, const td_tenant_spec_t *spec, const char *account,
                             td_tenant_t *t) {
    td_op_t sys = *op;
    td_db_t *db;
    sys.actor = (td_actor_t){.kind = TD_ACTOR_SYSTEM};
    td_status st = td_tenant_create(&sys, spec, t);
    if (st) {
        op->err = sys.err;
        return st;
    }
    if (td_op_catalog(op, &db))
        return op->err.st;
    if ((st = td_cat_tenant_set_account(db, t->row.id, account)))
        return td_op_fail_status(op, st, "cannot record the tenant's account");
    return TD_OK;
}

td_status td_op_account_register(td_op_t *op, const td_tenant_spec_t *spec, const char *name,
                                 td_tenant_t *t, td_account_row_t *acc) {
    td_db_t *db;
    td_owner_row_t o = {0}, seen;
    char id[TD_ID_LEN + 1], oid[TD_ID_LEN + 1], hash[TD_PASSWORD_HASH_MAX];
    const char *email = lower_dup(op->arena, spec->admin_email);
    if (td_op_catalog(op, &db))
        return op->err.st;
    if (email && td_cat_owner_find(db, op->arena, email, 1, &seen) == TD_OK)
        return td_op_fail(op, TD_E_EXISTS, 409, "email_taken",
                          "this email owns an account: log in and add a tenant"
                          " (POST /v1/account/tenants)");
    /* the tenant first: its checks (slug, email, password, services) are
     * the sign-up's, and nothing is left of an account it refuses */
    td_op_t sys = *op;
    sys.actor = (td_actor_t){.kind = TD_ACTOR_SYSTEM};
    td_status st = td_tenant_create(&sys, spec, t);
    if (st) {
        op->err = sys.err;
        return st;
    }
    if ((st = td_password_hash(spec->admin_password, hash))) {
        td_tenant_delete(&sys, t->row.id); /* no unowned tenant */
        return td_op_fail_status(op, st, NULL);
    }
    td_id_new(id);
    td_id_new(oid);
    o = (td_owner_row_t){.id = oid, .email = email, .password_hash = hash, .gen = td_now_ms()};
    if (!name || !*name)
        name = t->row.name;
    st = td_cat_account_insert(db, id, name, &o);
    int owned = 0;
    if (!st && !(st = td_cat_tenant_set_account(db, t->row.id, id)))
        owned = 1;
    if (st && !owned) /* the email was taken meanwhile, or the catalog failed: no unowned tenant */
        td_tenant_delete(&sys, t->row.id);
    if (st == TD_E_EXISTS)
        return td_op_fail(op, st, 409, "email_taken", "this email owns an account");
    if (!st)
        st = td_cat_account_get(db, op->arena, id, acc);
    if (st)
        return td_op_fail_status(op, st, "cannot record the account");
    td_op_t as = *op; /* the new owner made its account */
    as.actor = (td_actor_t){.kind = TD_ACTOR_OWNER, .id = td_arena_strdup(op->arena, oid),
                            .role = "owner"};
    st = td_audit_record(&as, NULL, NULL, "account.create", "accounts", acc->id, "ok",
                         td_arena_printf(op->arena, "tenant %s", t->row.id));
    op->err = as.err;
    return st;
}

td_status td_op_acting_owner(td_op_t *op, td_db_t *db, td_owner_row_t *o) {
    if (op->actor.kind != TD_ACTOR_OWNER)
        return td_op_fail(op, TD_E_FORBIDDEN, 403, "forbidden", "only an account owner may");
    if (td_cat_owner_find(db, op->arena, op->actor.id, 0, o) || o->disabled)
        return td_op_fail(op, TD_E_AUTH, 401, "token_revoked", "log in again");
    if (strcmp(o->account_status, "active"))
        return td_op_fail(op, TD_E_FORBIDDEN, 403, "account_suspended",
                          "this account is suspended");
    return TD_OK;
}

td_status td_op_account_tenant_add(td_op_t *op, const td_tenant_spec_t *spec, td_tenant_t *t) {
    td_db_t *db;
    td_owner_row_t o;
    if (td_op_catalog(op, &db) || td_op_acting_owner(op, db, &o))
        return op->err.st;
    td_tenant_spec_t s = *spec;
    s.admin_email = o.email;
    s.admin_password = NULL;
    s.admin_password_hash = o.password_hash;
    if (make_tenant(op, &s, o.account_id, t))
        return op->err.st;
    td_op_account_admins(op, db, o.account_id, t->row.id, o.id); /* the other owners */
    return td_audit_record(op, NULL, NULL, "account.tenant_add", "accounts", o.account_id, "ok",
                           td_arena_printf(op->arena, "tenant %s", t->row.id));
}

/* The owner's role in tenant t (its user of the owner's email), or NULL
 * when the tenant cannot be asked or has none. */
static const char *role_in(td_op_t *op, const td_account_tenant_t *t, const char *email) {
    td_db_t *db;
    td_user_t u;
    td_op_t quiet = *op; /* a tenant that does not answer is no failure of the list */
    if (strcmp(t->status, "active") || td_op_tenant_db(&quiet, t->id, "auth", &db))
        return NULL;
    if (td_user_find(db, op->arena, email, 1, &u) || u.disabled)
        return NULL;
    return u.role;
}

td_status td_op_account_tenants(td_op_t *op, td_account_tenant_t **rows, const char ***roles,
                                size_t *n) {
    td_db_t *db;
    td_owner_row_t o;
    if (td_op_catalog(op, &db) || td_op_acting_owner(op, db, &o))
        return op->err.st;
    if (td_cat_account_tenants(db, op->arena, o.account_id, rows, n))
        return td_op_fail_status(op, TD_E_UNAVAILABLE, "the catalog does not answer");
    *roles = td_arena_alloc(op->arena, sizeof(char *) * (*n + 1));
    if (!*roles)
        return td_op_fail_status(op, TD_E_NOMEM, NULL);
    for (size_t i = 0; i < *n; i++)
        (*roles)[i] = role_in(op, &(*rows)[i], o.email);
    return TD_OK;
}

static td_status platform_only(td_op_t *op) {
    if (td_actor_platform(&op->actor))
        return TD_OK;
    return td_op_fail(op, TD_E_FORBIDDEN, 403, "forbidden", "superadmins only");
}

td_status td_op_account_list(td_op_t *op, const char *q, const char *before, int limit,
                             td_account_row_t **rows, size_t *n) {
    td_db_t *db;
    if (platform_only(op) || td_op_catalog(op, &db))
        return op->err.st;
    td_status st = td_cat_account_list(db, op->arena, q, before, limit, rows, n);
    return st ? td_op_fail_status(op, st, "the catalog does not answer") : TD_OK;
}

td_status td_op_account_get(td_op_t *op, const char *id, td_account_row_t *acc,
                            td_account_tenant_t **tenants, size_t *n) {
    td_db_t *db;
    if (platform_only(op) || td_op_catalog(op, &db))
        return op->err.st;
    td_status st = td_id_valid(id) ? td_cat_account_get(db, op->arena, id, acc) : TD_E_NOTFOUND;
    if (st == TD_E_NOTFOUND)
        return td_op_fail(op, st, 404, "account_not_found", "no such account");
    if (!st)
        st = td_cat_account_tenants(db, op->arena, id, tenants, n);
    return st ? td_op_fail_status(op, st, "the catalog does not answer") : TD_OK;
}

/* Suspends (suspend = 1) or resumes an account. A suspension ends at once
 * every token naming the account (its owners' and those they switched
 * into tenants with: claim acc, revoked as "sub:<account>" up to now);
 * logins, refreshes and switches are refused while it lasts. */
td_status td_op_account_set_status(td_op_t *op, const char *id, int suspend,
                                   td_account_row_t *acc) {
    td_db_t *db;
    td_account_tenant_t *ts;
    size_t n;
    if (td_op_account_get(op, id, acc, &ts, &n))
        return op->err.st;
    const char *to = suspend ? "suspended" : "active";
    if (!strcmp(acc->status, to))
        return TD_OK; /* there already: nothing recorded */
    if (td_op_catalog(op, &db))
        return op->err.st;
    td_status st = td_cat_account_set_status(db, id, to);
    if (!st && suspend)
        st = td_revoke_principal(op->platform->revoked, op->platform->catalog, id, td_now_ms());
    if (!st)
        st = td_cat_account_get(db, op->arena, id, acc);
    if (st)
        return td_op_fail_status(op, st, "cannot change the account");
    return td_audit_record(op, NULL, NULL, suspend ? "account.suspend" : "account.resume",
                           "accounts", id, "ok", NULL);
}

json_t *td_account_tenant_json(const td_account_tenant_t *t, const char *role) {
    return json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s?}", "id", t->id, "slug", t->slug, "name",
                     t->name, "status", t->status, "plan", t->plan, "role", role);
}

json_t *td_account_json(const td_account_row_t *a, const td_account_tenant_t *ts, size_t n) {
    json_t *o = json_pack("{s:s, s:s, s:s, s:s?, s:I, s:s, s:s}", "id", a->id, "name", a->name,
                          "status", a->status, "owner_email", a->owner_email, "tenants",
                          (json_int_t)a->tenants, "created_at", a->created_at, "updated_at",
                          a->updated_at);
    if (ts) {
        json_t *items = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(items, td_account_tenant_json(&ts[i], NULL));
        json_object_set_new(o, "tenant_list", items);
    }
    return o;
}
