/* users.c — a tenant's users as operations: create, get, list, update,
 * delete. HTTP (/v1/auth/users…) and the CLI (`tenantd user add|list|
 * disable`) call these, so each use case exists once: the access check
 * (platform actors and the tenant's admins manage users; managers and
 * clients see only themselves), the rule that nobody grants more than
 * they hold (td_policy_covers), the write in the tenant's auth service
 * (auth/users.c, with its outbox row carrying the op's actor), and the
 * revocation of the tokens (and, when it lost rights, the API keys) of a
 * user changed, disabled or deleted — in a server at once through
 * platform->revoked, in the others within their sync. */
#include <string.h>

#include "auth/password.h"
#include "auth/policy.h"
#include "auth/revoke.h"
#include "common/text.h"
#include "ops/ops.h"
#include "ops/plans.h"

/* 1 when the actor sees only itself (a manager or client of the tenant,
 * user or key); platform actors and the tenant's admins see everyone. */
static int own_only(const td_op_t *op) {
    const td_actor_t *a = &op->actor;
    return !td_actor_platform(a) && !(a->role && strcmp(a->role, "admin") == 0);
}

/* What a user would hold with this role and grants. */
static td_grant_t user_grant(const char *role, const char *const *svc, size_t nsvc) {
    svc = nsvc ? svc : NULL;
    return (td_grant_t){role, strcmp(role, "admin") == 0 && nsvc == 0, svc, nsvc};
}

/* 403 exceeds_scope unless the actor covers want (platform actors do). */
static int within_rights(td_op_t *op, const td_grant_t *want) {
    const td_actor_t *a = &op->actor;
    td_grant_t me = {a->role, a->all, a->svc, a->nsvc};
    if (td_actor_platform(a) || td_policy_covers(&me, want))
        return 1;
    td_op_fail(op, TD_E_FORBIDDEN, 403, "exceeds_scope",
               "you cannot create, change or remove a user with a role or services you do not "
               "hold");
    return 0;
}

/* 400 unless every service is enabled for the tenant. */
static int services_ok(td_op_t *op, const td_tenant_t *t, const char *const *svc, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!svc[i] || !td_policy_granted(svc[i], t->services, t->nsvc)) {
            td_op_fail(op, TD_E_INVALID, 400, "service_not_enabled",
                       "every granted service must be enabled for the tenant");
            return 0;
        }
    return 1;
}

/* A failure of the tenant's database or of the write. */
static td_status write_fail(td_op_t *op, td_status st) {
    if (st == TD_E_EXISTS)
        return td_op_fail(op, st, 409, "email_taken", "a user with this email exists");
    if (st == TD_E_LAST_ADMIN)
        return td_op_fail_status(op, st, "the tenant must keep an active admin");
    if (st == TD_E_UNAVAILABLE)
        return td_op_fail(op, st, 503, "tenant_unavailable", "the tenant's database does not answer");
    return td_op_fail_status(op, st, NULL);
}

/* The tenant's auth database for the op. */
static td_status auth_db(td_op_t *op, const td_tenant_t *t, td_db_t **db) {
    return td_op_tenant_db(op, t->row.id, "auth", db);
}

/* Reading: platform actors, or the tenant's own users and keys. */
static td_status read_db(td_op_t *op, const td_tenant_t *t, td_db_t **db) {
    if (!td_actor_platform(&op->actor) &&
        (!op->actor.tenant_id || strcmp(op->actor.tenant_id, t->row.id)))
        return td_op_fail(op, TD_E_FORBIDDEN, 403, "forbidden", "not a user of this tenant");
    return auth_db(op, t, db);
}

/* The user key names (by id, or by email with by_email), if the actor may
 * see it: 404 user_not_found otherwise (no leak); a database failure is
 * never a 404 that says the user is gone. */
static td_status visible(td_op_t *op, td_db_t *db, const char *key, int by_email, td_user_t *u) {
    td_status st = TD_E_NOTFOUND;
    if (by_email || td_id_valid(key))
        st = td_user_find(db, op->arena, key, by_email, u);
    if (!st && own_only(op) && (!op->actor.id || strcmp(u->id, op->actor.id)))
        st = TD_E_NOTFOUND;
    if (st == TD_E_NOTFOUND)
        return td_op_fail(op, st, 404, "user_not_found", "no such user");
    return st ? write_fail(op, st == TD_E_DB ? TD_E_UNAVAILABLE : st) : TD_OK;
}

/* After a change that ended the user's tokens (gen): revokes them, and
 * its API keys too when it lost rights. */
static td_status revoke(td_op_t *op, const td_tenant_t *t, const char *id, int64_t gen, int keys) {
    td_status st = td_revoke_user(op->platform->revoked, op->platform->catalog, t->row.id, id, gen,
                                  keys);
    return st ? td_op_fail_status(op, st, "the change is saved, but revoking its tokens failed: retry")
              : TD_OK;
}

td_status td_op_user_create(td_op_t *op, const td_tenant_t *t, const td_user_spec_t *s,
                            td_user_t *out) {
    td_db_t *db;
    if (td_op_refuse_impersonated(op, "adding a user"))
        return op->err.st; /* a login the superadmin knows would outlive the impersonation */
    if (!td_op_tenant_admin(op, t->row.id))
        return op->err.st;
    if (!td_email_valid(s->email) || !s->password || !s->role)
        return td_op_fail(op, TD_E_INVALID, 400, "invalid_request",
                          "'email', 'password' and 'role' are required");
    if (!td_role_valid_tenant(s->role))
        return td_op_fail(op, TD_E_INVALID, 400, "invalid_role", "role must be admin, manager or client");
    if (td_password_check(s->password))
        return td_op_fail(op, TD_E_INVALID, 400, "weak_password", "%s",
                          td_password_problem(s->password));
    td_grant_t want = user_grant(s->role, s->services, s->nsvc);
    if (!services_ok(op, t, s->services, s->nsvc) || !within_rights(op, &want) ||
        auth_db(op, t, &db))
        return op->err.st;
    char id[TD_ID_LEN + 1];
    td_who_t who = td_who_of(op);
    /* the plan's seats (max_users; disabled users hold theirs) are counted
     * where the user is written, in its transaction: 402 plan_limit when
     * full, but an email the tenant has already is 409 whatever the count */
    td_user_spec_t sp = *s;
    sp.limit_users = t->limits.max_users >= 0;
    sp.max_users = t->limits.max_users;
    td_status st = td_user_create(db, &sp, id, &who);
    if (st == TD_E_FORBIDDEN && sp.limit_users)
        return td_op_plan_limit(op, t->row.plan, "max_users", sp.max_users, sp.max_users);
    if (!st)
        st = td_user_find(db, op->arena, id, 0, out);
    return st ? write_fail(op, st) : TD_OK;
}

td_status td_op_user_get(td_op_t *op, const td_tenant_t *t, const char *key, int by_email,
                         td_user_t *out) {
    td_db_t *db;
    return read_db(op, t, &db) ? op->err.st : visible(op, db, key, by_email, out);
}

td_status td_op_user_list(td_op_t *op, const td_tenant_t *t, size_t max, td_user_t **out,
                          size_t *n) {
    td_db_t *db;
    *n = 0;
    *out = NULL;
    if (read_db(op, t, &db))
        return op->err.st;
    const char **ids = NULL;
    size_t k = 0;
    td_status st;
    if (own_only(op)) { /* managers and clients: themselves */
        ids = &op->actor.id;
        k = op->actor.id ? 1 : 0;
        st = TD_OK;
    } else
        st = td_user_ids(db, op->arena, max, &ids, &k);
    td_user_t *us = st ? NULL : td_arena_alloc(op->arena, sizeof(*us) * (k + 1));
    if (!st && !us)
        st = TD_E_NOMEM;
    for (size_t i = 0; !st && i < k; i++) /* gone meanwhile, or a key: skipped */
        if (td_user_find(db, op->arena, ids[i], 0, &us[*n]) == TD_OK)
            (*n)++;
    *out = us;
    return st ? write_fail(op, st) : TD_OK;
}

td_status td_op_user_update(td_op_t *op, const td_tenant_t *t, const char *key, int by_email,
                            const td_user_patch_t *p, td_user_t *out) {
    td_db_t *db;
    td_user_t u;
    if (p->password && td_op_refuse_impersonated(op, "setting a password"))
        return op->err.st;
    if (!td_op_tenant_admin(op, t->row.id) || auth_db(op, t, &db) ||
        visible(op, db, key, by_email, &u))
        return op->err.st;
    if (p->role && !td_role_valid_tenant(p->role))
        return td_op_fail(op, TD_E_INVALID, 400, "invalid_role", "role must be admin, manager or client");
    if (p->password && !p->rehash && td_password_check(p->password))
        return td_op_fail(op, TD_E_INVALID, 400, "weak_password", "%s",
                          td_password_problem(p->password));
    if (p->set_services && !services_ok(op, t, p->services, p->nsvc))
        return op->err.st;
    /* the user as it is, and as it would be, must both be within the
     * actor's rights */
    td_grant_t before = user_grant(u.role, u.services, u.nsvc);
    td_grant_t after = user_grant(p->role ? p->role : u.role,
                                  p->set_services ? p->services : (const char *const *)u.services,
                                  p->set_services ? p->nsvc : u.nsvc);
    if (!within_rights(op, &before) || !within_rights(op, &after))
        return op->err.st;
    if (p->set_disabled && p->disabled && op->actor.id && strcmp(u.id, op->actor.id) == 0)
        return td_op_fail(op, TD_E_CONFLICT, 409, "cannot_disable_self", "you cannot disable yourself");
    td_who_t who = td_who_of(op);
    int64_t gen = 0;
    td_status st = td_user_update(db, u.id, p, &who, &gen);
    if (st)
        return write_fail(op, st);
    if (revoke(op, t, u.id, gen, p->role || p->set_services || (p->set_disabled && p->disabled)))
        return op->err.st;
    if (td_user_find(db, op->arena, u.id, 0, out)) /* gone meanwhile: as it was */
        *out = u;
    return TD_OK;
}

td_status td_op_user_delete(td_op_t *op, const td_tenant_t *t, const char *id) {
    td_db_t *db;
    td_user_t u;
    if (!td_op_tenant_admin(op, t->row.id) || auth_db(op, t, &db) || visible(op, db, id, 0, &u))
        return op->err.st;
    td_grant_t held = user_grant(u.role, u.services, u.nsvc);
    if (!within_rights(op, &held))
        return op->err.st;
    if (op->actor.id && strcmp(u.id, op->actor.id) == 0)
        return td_op_fail(op, TD_E_CONFLICT, 409, "cannot_delete_self", "you cannot delete yourself");
    td_who_t who = td_who_of(op);
    int64_t gen = 0;
    td_status st = td_user_delete(db, u.id, &who, &gen);
    if (st)
        return write_fail(op, st);
    return revoke(op, t, u.id, gen, 1);
}
