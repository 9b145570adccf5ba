/* sessions.c — signing in and out as operations: a superadmin's or a
 * tenant user's login, a refresh, a logout (one session or every one), a
 * password change. POST /v1/auth/login, /refresh, /logout, /password and
 * /register call them; they span auth (accounts, sessions, tokens,
 * revocations), tenancy (the tenant's status and database) and the audit.
 *
 * A superadmin's sessions are in the catalog, a tenant user's in its
 * tenant's auth database (refresh scope "p" or the compact tenant id).
 * Each successful operation ends with one audit record whose actor is the
 * signed-in principal (session.login, session.refresh, session.logout,
 * session.logout_all, password.change; a superadmin's password change is
 * admin.password, accounts.c): in the tenant's chain for a user, the
 * platform's for a superadmin. No record and no error holds a password,
 * token or hash. Failed logins are the caller's refusal record
 * (td_audit_refusal), not an operation's. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "auth/accounts.h"
#include "auth/password.h"
#include "common/text.h"
#include "common/timeutil.h"
#include "ops/ops.h"

/* Where a principal's sessions are: the catalog (a superadmin) or its
 * tenant's auth database. Not copied: ss.scope points into it. */
typedef struct {
    td_sessions_t ss;
    const char *tenant_id; /* NULL: the catalog */
    char scope[33];
} store_t;

static td_status bad_credentials(td_op_t *op) {
    return td_op_fail(op, TD_E_AUTH, 401, "invalid_credentials", "wrong email or password");
}

static td_status bad_grant(td_op_t *op) {
    return td_op_fail(op, TD_E_AUTH, 401, "invalid_grant",
                      "unknown, expired or ended refresh token");
}

static td_status platform_store(td_op_t *op, store_t *s) {
    memset(s, 0, sizeof(*s));
    s->ss.platform = 1;
    s->ss.scope = "p";
    if (td_catalog_lease(op->platform->catalog, op->arena, &s->ss.db))
        return td_op_fail_status(op, TD_E_UNAVAILABLE, "the catalog does not answer");
    return TD_OK;
}

/* An account owner's sessions: the catalog's account_sessions, refresh
 * tokens "tdr_a_…". */
static td_status account_store(td_op_t *op, store_t *s) {
    if (platform_store(op, s))
        return op->err.st;
    s->ss.platform = TD_SESSIONS_ACCOUNT;
    s->ss.scope = "a";
    return TD_OK;
}

static void tenant_store(store_t *s, const char *tenant_id, td_db_t *db) {
    memset(s, 0, sizeof(*s));
    s->ss.db = db;
    s->tenant_id = tenant_id;
    td_id_compact(tenant_id, s->scope);
    s->ss.scope = s->scope;
}

/* The audit record of a session action, in the store's chain. */
static td_status record(td_op_t *op, const store_t *s, const char *action, const char *row_id,
                        const char *detail) {
    const char *table = s->tenant_id                               ? "sessions"
                        : s->ss.platform == TD_SESSIONS_ACCOUNT ? "account_sessions"
                                                                : "platform_sessions";
    return td_audit_record(op, s->tenant_id, s->tenant_id ? "auth" : NULL, action, table, row_id,
                           "ok", detail);
}

/* The tenant of a login or refresh (id or slug), active, with its auth
 * database for the op's lifetime. 401 invalid_credentials for an unknown
 * or deleted tenant — after a dummy verification of pw when there is one,
 * so it costs what a real attempt costs —, 403 tenant_suspended, 503
 * tenant_unavailable (busy: every database handle in use). */
static td_status usable_tenant(td_op_t *op, const char *key, const char *pw, td_tenant_t *t,
                               td_db_t **db) {
    td_status st = td_tenant_find(op->platform, op->arena, key, t);
    if (st == TD_E_NOTFOUND || (!st && strcmp(t->row.status, "deleted") == 0)) {
        if (pw)
            td_password_matches(NULL, pw);
        return bad_credentials(op);
    }
    if (!st && strcmp(t->row.status, "suspended") == 0)
        return td_op_fail(op, TD_E_FORBIDDEN, 403, "tenant_suspended", "this tenant is suspended");
    if (st || strcmp(t->row.status, "active"))
        return td_op_fail(op, TD_E_UNAVAILABLE, 503, "tenant_unavailable",
                          "the tenant's database does not answer");
    /* a public route (sign-in, refresh) writes the tenant's sessions: it
     * waits at the tenant's write gate like any authenticated write */
    if (op->actor.kind == TD_ACTOR_SYSTEM &&
        td_tenant_write_enter(op->platform, op->arena, t->row.id, TD_WRITE_WAIT_MS, NULL))
        return td_op_fail(op, TD_E_UNAVAILABLE, 503, "tenant_moving",
                          "the tenant's writes are held longer than expected; retry");
    return td_op_tenant_db(op, t->row.id, "auth", db);
}

/* Signs the access token of out->who into out->access, then records the
 * action: the record means the tokens were handed out. */
static td_status hand_out(td_op_t *op, const store_t *s, const char *action, td_signin_t *out) {
    td_platform_t *p = op->platform;
    char jti[33];
    td_platform_reload_keys(p, 60); /* sign with the newest key */
    out->expires_in = p->cfg->access_ttl;
    if (td_token_issue(td_platform_keys(p), &out->who, td_now_ms() / 1000, out->expires_in,
                       &out->access, jti))
        return td_op_fail_status(op, TD_E_INTERNAL, "cannot sign the token");
    return record(op, s, action, out->sid, NULL);
}

/* A superadmin signed in (login or refresh; out->sid and out->refresh
 * set): the op acts as it from here on. */
static td_status admin_signed_in(td_op_t *op, const store_t *s, const td_admin_row_t *adm,
                                 const char *action, td_signin_t *out) {
    op->actor = (td_actor_t){.kind = TD_ACTOR_SUPERADMIN, .id = adm->id, .role = "superadmin"};
    out->who = (td_principal_t){.sub = adm->id, .role = "superadmin", .gen = adm->gen,
                                .sid = out->sid};
    out->email = adm->email;
    out->tenant = NULL;
    return hand_out(op, s, action, out);
}

/* A tenant user signed in: its token holds the services it may use now. */
static td_status user_signed_in(td_op_t *op, const store_t *s, const td_tenant_t *t,
                                const td_user_t *u, const char *action, td_signin_t *out) {
    const char **svc;
    size_t nsvc;
    /* the row is the tenant's database's (a brought one is the tenant's
     * to write): only a tenant role, never a platform one, is handed out */
    if (!u->id || !u->email || !u->role || !td_role_valid_tenant(u->role))
        return td_op_fail(op, TD_E_FORBIDDEN, 403, "forbidden",
                          "this user's record is not valid: its role must be admin, manager or"
                          " client");
    td_user_effective_services(u, t->services, t->nsvc, op->arena, &svc, &nsvc);
    int all = td_user_unscoped(u);
    op->actor = (td_actor_t){.kind = TD_ACTOR_USER, .id = u->id, .tenant_id = t->row.id,
                             .role = u->role, .all = all, .svc = svc, .nsvc = nsvc};
    out->who = (td_principal_t){.sub = u->id, .role = u->role, .tid = t->row.id, .svc = svc,
                                .nsvc = nsvc, .svc_all = all, .gen = u->gen, .sid = out->sid};
    out->email = u->email;
    out->tenant = t;
    return hand_out(op, s, action, out);
}

/* An account owner signed in (login or refresh): its token names the
 * account (claim acc) and no tenant; role owner. */
static td_status owner_signed_in(td_op_t *op, const store_t *s, const td_owner_row_t *o,
                                 const char *action, td_signin_t *out) {
    op->actor = (td_actor_t){.kind = TD_ACTOR_OWNER, .id = o->id, .role = "owner"};
    out->who = (td_principal_t){.sub = o->id, .role = "owner", .gen = o->gen, .sid = out->sid,
                                .acc = o->account_id};
    out->email = o->email;
    out->tenant = NULL;
    return hand_out(op, s, action, out);
}

/* 403 account_suspended for an owner whose account is suspended (told
 * only once its password matched), 401 for a disabled one. */
static td_status owner_usable(td_op_t *op, const td_owner_row_t *o) {
    if (o->disabled)
        return bad_credentials(op);
    if (strcmp(o->account_status, "active"))
        return td_op_fail(op, TD_E_FORBIDDEN, 403, "account_suspended",
                          "this account is suspended");
    return TD_OK;
}

/* An account owner's login (POST /v1/auth/login without a tenant, when
 * the email is no superadmin's): one argon2id verification, a dummy one
 * for an unknown email. */
static td_status login_owner(td_op_t *op, const char *email, const char *pw, td_signin_t *out) {
    store_t s;
    td_owner_row_t o = {0};
    char lower[256];
    if (td_ascii_lower(email, lower, sizeof(lower)))
        return bad_credentials(op);
    if (account_store(op, &s))
        return op->err.st;
    td_status st = td_cat_owner_find(s.ss.db, op->arena, lower, 1, &o);
    if (st && st != TD_E_NOTFOUND)
        return td_op_fail_status(op, st, "the catalog does not answer");
    if (!td_password_matches(st ? NULL : o.password_hash, pw))
        return bad_credentials(op);
    if (owner_usable(op, &o))
        return op->err.st;
    td_cat_owner_logged_in(s.ss.db, o.id);
    if ((st = td_session_start(&s.ss, o.id, NULL, op->client_addr, out->refresh, out->sid)))
        return td_op_fail_status(op, st, "cannot record the session");
    return owner_signed_in(op, &s, &o, "session.login", out);
}

static td_status login_admin(td_op_t *op, const char *email, const char *pw, td_signin_t *out) {
    store_t s;
    td_admin_row_t adm = {0};
    if (platform_store(op, &s))
        return op->err.st;
    td_status st = td_admin_login(s.ss.db, op->arena, email, pw, &adm);
    if (st == TD_E_AUTH) /* no superadmin of that email and password: an account owner? */
        return login_owner(op, email, pw, out);
    if (st)
        return td_op_fail_status(op, st, "the catalog does not answer");
    if ((st = td_session_start(&s.ss, adm.id, NULL, op->client_addr, out->refresh, out->sid)))
        return td_op_fail_status(op, st, "cannot record the session");
    return admin_signed_in(op, &s, &adm, "session.login", out);
}

static td_status login_user(td_op_t *op, const char *tenant, const char *email, const char *pw,
                            td_signin_t *out) {
    td_tenant_t *t = td_arena_alloc(op->arena, sizeof(*t));
    td_db_t *db;
    td_user_t u;
    if (!t)
        return td_op_fail_status(op, TD_E_NOMEM, NULL);
    if (usable_tenant(op, tenant, pw, t, &db))
        return op->err.st;
    td_status st = td_user_find(db, op->arena, email, 1, &u);
    if (st && st != TD_E_NOTFOUND)
        return td_op_fail_status(op, st, NULL);
    if (!td_password_matches(st ? NULL : u.password_hash, pw) || u.disabled) {
        if (!st) /* a known account: its owner can see the attempt */
            td_user_event(db, u.id, "login_failed", op->client_addr,
                          u.disabled ? "disabled" : "wrong password");
        return bad_credentials(op);
    }
    td_user_logged_in(db, u.id, op->client_addr);
    store_t s;
    tenant_store(&s, t->row.id, db);
    if (td_password_needs_rehash(u.password_hash)) { /* parameters rose since: the user's own */
        td_op_t as = *op;
        as.actor = (td_actor_t){.kind = TD_ACTOR_USER, .id = u.id, .tenant_id = t->row.id,
                                .role = u.role};
        td_user_patch_t p = {.password = pw, .rehash = 1};
        td_who_t who = td_who_of(&as);
        td_user_update(db, u.id, &p, &who, NULL);
    }
    if ((st = td_session_start(&s.ss, u.id, NULL, op->client_addr, out->refresh, out->sid)))
        return td_op_fail_status(op, st, "cannot record the session");
    return user_signed_in(op, &s, t, &u, "session.login", out);
}

td_status td_op_login(td_op_t *op, const char *tenant, const char *email, const char *pw,
                      td_signin_t *out) {
    memset(out, 0, sizeof(*out));
    return tenant ? login_user(op, tenant, email, pw, out) : login_admin(op, email, pw, out);
}

/* Ends every session and access token of principal sub in s, and
 * records session.logout_all (detail: why, when not its own request). */
static td_status end_everything(td_op_t *op, const store_t *s, const char *sub,
                                const char *why) {
    int64_t gen = 0;
    td_status st = s->ss.platform == TD_SESSIONS_ACCOUNT
                       ? td_session_end_all(&s->ss, sub)
                   : s->ss.platform ? td_admin_end_all(s->ss.db, op->arena, sub, &gen)
                                    : td_user_end_sessions(s->ss.db, sub, &gen);
    if (!st && s->ss.platform == TD_SESSIONS_ACCOUNT)
        st = td_cat_owner_new_gen(s->ss.db, sub, &gen);
    if (!st)
        st = td_revoke_principal(op->platform->revoked, op->platform->catalog, sub, gen);
    if (st)
        return td_op_fail_status(op, st, "cannot end the sessions");
    return record(op, s, "session.logout_all", sub, why);
}

/* Spends a refresh token of s: TD_OK with *owner, *family and the next
 * token. A token spent already ends every session of its owner (401
 * refresh_reused); any other is 401 invalid_grant. */
static td_status rotate(td_op_t *op, const store_t *s, const char *token, const char **owner,
                        const char **family, char refresh[TD_REFRESH_LEN + 1]) {
    td_status st =
        td_session_rotate(&s->ss, op->arena, token, op->client_addr, owner, family, refresh);
    if (st == TD_E_CONFLICT) {
        if (!s->ss.platform)
            td_user_event(s->ss.db, *owner, "refresh_reused", op->client_addr,
                          "every session ended");
        if (end_everything(op, s, *owner, "refresh_reused"))
            return op->err.st;
        return td_op_fail(op, TD_E_AUTH, 401, "refresh_reused",
                          "this refresh token was already used: every session of its user"
                          " is ended");
    }
    return st ? bad_grant(op) : TD_OK;
}

static td_status refresh_admin(td_op_t *op, const char *token, td_signin_t *out) {
    store_t s;
    const char *owner, *family;
    td_admin_row_t adm;
    if (platform_store(op, &s) || rotate(op, &s, token, &owner, &family, out->refresh))
        return op->err.st;
    if (td_admin_active(s.ss.db, op->arena, owner, &adm))
        return bad_credentials(op);
    snprintf(out->sid, sizeof(out->sid), "%s", family);
    return admin_signed_in(op, &s, &adm, "session.refresh", out);
}

static td_status refresh_owner(td_op_t *op, const char *token, td_signin_t *out) {
    store_t s;
    const char *owner, *family;
    td_owner_row_t o;
    if (account_store(op, &s) || rotate(op, &s, token, &owner, &family, out->refresh))
        return op->err.st;
    if (td_cat_owner_find(s.ss.db, op->arena, owner, 0, &o))
        return bad_credentials(op);
    if (owner_usable(op, &o))
        return op->err.st;
    snprintf(out->sid, sizeof(out->sid), "%s", family);
    return owner_signed_in(op, &s, &o, "session.refresh", out);
}

static td_status refresh_user(td_op_t *op, const char *scope, const char *token,
                              td_signin_t *out) {
    char id[TD_ID_LEN + 1];
    if (strlen(scope) != 32)
        return bad_grant(op);
    snprintf(id, sizeof(id), "%.8s-%.4s-%.4s-%.4s-%.12s", scope, scope + 8, scope + 12,
             scope + 16, scope + 20);
    td_tenant_t *t = td_arena_alloc(op->arena, sizeof(*t));
    td_db_t *db;
    store_t s;
    const char *uid, *family;
    td_user_t u;
    if (!td_id_valid(id))
        return bad_grant(op);
    if (!t)
        return td_op_fail_status(op, TD_E_NOMEM, NULL);
    if (usable_tenant(op, id, NULL, t, &db))
        return op->err.st;
    tenant_store(&s, t->row.id, db);
    if (rotate(op, &s, token, &uid, &family, out->refresh))
        return op->err.st;
    if (td_user_find(db, op->arena, uid, 0, &u) || u.disabled)
        return bad_credentials(op);
    snprintf(out->sid, sizeof(out->sid), "%s", family);
    return user_signed_in(op, &s, t, &u, "session.refresh", out);
}

td_status td_op_refresh(td_op_t *op, const char *token, td_signin_t *out) {
    char scope[33];
    memset(out, 0, sizeof(*out));
    if (!token || td_refresh_scope(token, scope))
        return bad_grant(op);
    return strcmp(scope, "p") == 0   ? refresh_admin(op, token, out)
           : strcmp(scope, "a") == 0 ? refresh_owner(op, token, out)
                                     : refresh_user(op, scope, token, out);
}

void td_signin_wipe(td_signin_t *s) {
    sodium_memzero(s->refresh, sizeof(s->refresh));
    if (s->access) {
        sodium_memzero(s->access, strlen(s->access));
        free(s->access);
        s->access = NULL;
    }
}

/* 1 when the acting principal has sessions: a superadmin or a tenant
 * user (callers refuse API keys first: a platform key acts as a
 * superadmin). Records 403 forbidden otherwise. */
static int has_sessions(td_op_t *op) {
    const td_actor_t *a = &op->actor;
    if (a->id && (a->kind == TD_ACTOR_SUPERADMIN || a->kind == TD_ACTOR_OWNER ||
                  (a->kind == TD_ACTOR_USER && a->tenant_id)))
        return 1;
    td_op_fail(op, TD_E_FORBIDDEN, 403, "forbidden",
               "only a signed-in user or superadmin has sessions");
    return 0;
}

/* The sessions of the acting principal: a superadmin's in the catalog, a
 * tenant user's in its tenant's auth database. */
static td_status caller_store(td_op_t *op, store_t *s) {
    td_db_t *db;
    if (!has_sessions(op))
        return op->err.st;
    if (op->actor.kind == TD_ACTOR_SUPERADMIN)
        return platform_store(op, s);
    if (op->actor.kind == TD_ACTOR_OWNER)
        return account_store(op, s);
    if (td_op_tenant_db(op, op->actor.tenant_id, "auth", &db))
        return op->err.st;
    tenant_store(s, op->actor.tenant_id, db);
    return TD_OK;
}

td_status td_op_logout(td_op_t *op, const char *sid, const char *jti, int64_t exp) {
    store_t s;
    td_db_t *cat;
    if (caller_store(op, &s))
        return op->err.st;
    td_status st = sid ? td_session_end(&s.ss, op->actor.id, sid) : TD_OK;
    if (!st)
        st = td_catalog_lease(op->platform->catalog, op->arena, &cat);
    if (!st)
        st = td_revocations_add(op->platform->revoked, cat,
                                td_arena_printf(op->arena, "jti:%s", jti ? jti : ""),
                                td_now_ms(), exp);
    if (st)
        return td_op_fail_status(op, st, "cannot record the logout");
    return record(op, &s, "session.logout", sid, NULL);
}

td_status td_op_logout_all(td_op_t *op) {
    store_t s;
    if (td_op_refuse_impersonated(op, "ending every session of the user"))
        return op->err.st;
    if (caller_store(op, &s))
        return op->err.st;
    return end_everything(op, &s, op->actor.id, NULL);
}

/* A tenant user's own password: the current one checked, the new one
 * stored (its outbox row names the user), its sessions ended (*gen). */
static td_status user_password(td_op_t *op, const store_t *s, const char *current,
                               const char *next, int64_t *gen) {
    td_user_t u;
    td_status st = td_user_find(s->ss.db, op->arena, op->actor.id, 0, &u);
    if (!st && !td_password_matches(u.password_hash, current))
        st = TD_E_AUTH;
    td_user_patch_t p = {.password = next};
    td_who_t who = td_who_of(op);
    if (!st)
        st = td_user_update(s->ss.db, u.id, &p, &who, gen);
    if (!st)
        td_user_event(s->ss.db, u.id, "password_changed", op->client_addr, NULL);
    return st;
}

/* The owner's admin user in each tenant of its account takes the new
 * hash too, when its password was still the owner's old one (one login
 * for the owner: a password changed in a tenant alone stays that
 * tenant's); its sessions and tokens end. A tenant that does not answer
 * keeps the old password (its admin changes it there). */
static void owner_admins(td_op_t *op, td_db_t *cat, const td_owner_row_t *o, const char *old,
                         const char *hash) {
    td_account_tenant_t *ts;
    size_t n = 0;
    td_who_t who = td_who_of(op);
    if (td_cat_account_tenants(cat, op->arena, o->account_id, &ts, &n))
        return;
    for (size_t i = 0; i < n; i++) {
        td_db_t *db;
        td_user_t u;
        int64_t gen = 0;
        td_user_patch_t p = {.password_hash = hash};
        if (td_op_tenant_db(op, ts[i].id, "auth", &db)) {
            op->err = (td_op_err_t){0};
            continue;
        }
        if (td_user_find(db, op->arena, o->email, 1, &u) || u.disabled || !u.role ||
            strcmp(u.role, "admin") || !td_password_matches(u.password_hash, old))
            continue;
        if (!td_user_update(db, u.id, &p, &who, &gen))
            td_revoke_user(op->platform->revoked, op->platform->catalog, ts[i].id, u.id, gen, 0);
    }
}

/* An account owner's own password: the current one checked, the new one
 * stored — with the admin users the owner has in its tenants (above);
 * then every session and token of the owner ends. */
static td_status owner_password(td_op_t *op, const store_t *s, const char *current,
                                const char *next) {
    td_owner_row_t o;
    char hash[TD_PASSWORD_HASH_MAX];
    td_status st = td_cat_owner_find(s->ss.db, op->arena, op->actor.id, 0, &o);
    if (!st && !td_password_matches(o.password_hash, current))
        return td_op_fail(op, TD_E_AUTH, 403, "wrong_password",
                          "the current password does not match");
    if (!st)
        st = td_password_hash(next, hash);
    if (!st)
        st = td_cat_owner_set_password(s->ss.db, o.id, hash);
    if (!st)
        owner_admins(op, s->ss.db, &o, current, hash);
    sodium_memzero(hash, sizeof(hash));
    if (st)
        return td_op_fail_status(op, st, NULL);
    return end_everything(op, s, o.id, "password_changed");
}

td_status td_op_password_change(td_op_t *op, const char *current, const char *next) {
    store_t s;
    int64_t gen = 0;
    if (td_op_refuse_impersonated(op, "changing the password"))
        return op->err.st;
    if (!has_sessions(op))
        return op->err.st;
    if (td_password_check(next))
        return td_op_fail(op, TD_E_INVALID, 400, "weak_password", "%s", td_password_problem(next));
    if (caller_store(op, &s))
        return op->err.st;
    if (op->actor.kind == TD_ACTOR_OWNER)
        return owner_password(op, &s, current, next);
    td_status st = s.ss.platform ? td_admin_set_password(op, s.ss.db, current, next, &gen)
                                 : user_password(op, &s, current, next, &gen);
    if (st == TD_E_AUTH)
        return td_op_fail(op, st, 403, "wrong_password", "the current password does not match");
    if (!st)
        st = td_revoke_principal(op->platform->revoked, op->platform->catalog, op->actor.id, gen);
    if (st)
        return op->err.st ? op->err.st : td_op_fail_status(op, st, NULL);
    return s.ss.platform ? TD_OK /* admin.password, recorded by td_admin_set_password */
                         : td_audit_record(op, s.tenant_id, "auth", "password.change", "users",
                                           op->actor.id, "ok", NULL);
}

/* POST /v1/account/tenants/{t}/session: an account owner (the acting
 * principal) switches into one of its account's tenants. The token is
 * that tenant's admin user of the owner's email — the first admin made
 * with the tenant — marked with the account (claim acc), so the tenant's
 * own rules, audit and revocations apply to it as to any of its admins,
 * and the account's suspension ends it. No refresh token: the owner
 * switches again with its own session. Audited in the tenant's chain
 * (session.switch) with the owner as actor. */
td_status td_op_account_switch(td_op_t *op, const char *key, td_signin_t *out) {
    td_db_t *cat, *db;
    td_owner_row_t o;
    td_account_tenant_t row;
    td_user_t u;
    memset(out, 0, sizeof(*out));
    if (op->actor.kind != TD_ACTOR_OWNER)
        return td_op_fail(op, TD_E_FORBIDDEN, 403, "forbidden", "only an account owner switches");
    if (td_catalog_lease(op->platform->catalog, op->arena, &cat))
        return td_op_fail_status(op, TD_E_UNAVAILABLE, "the catalog does not answer");
    if (td_cat_owner_find(cat, op->arena, op->actor.id, 0, &o))
        return bad_credentials(op);
    if (owner_usable(op, &o) || td_op_account_tenant(op, o.account_id, key, &row))
        return op->err.st;
    td_tenant_t *t = td_arena_alloc(op->arena, sizeof(*t));
    if (!t)
        return td_op_fail_status(op, TD_E_NOMEM, NULL);
    if (usable_tenant(op, row.id, NULL, t, &db))
        return op->err.st;
    td_status st = td_user_find(db, op->arena, o.email, 1, &u);
    if (st && st != TD_E_NOTFOUND)
        return td_op_fail_status(op, st, NULL);
    if (st || u.disabled || strcmp(u.role, "admin"))
        return td_op_fail(op, TD_E_FORBIDDEN, 403, "not_tenant_admin",
                          "the tenant has no enabled admin of your email");
    const char **svc;
    size_t nsvc;
    td_user_effective_services(&u, t->services, t->nsvc, op->arena, &svc, &nsvc);
    out->who = (td_principal_t){.sub = u.id, .role = u.role, .tid = t->row.id, .svc = svc,
                                .nsvc = nsvc, .svc_all = td_user_unscoped(&u), .gen = u.gen,
                                .acc = o.account_id};
    out->email = u.email;
    out->tenant = t;
    char jti[33];
    td_platform_reload_keys(op->platform, 60);
    out->expires_in = op->platform->cfg->access_ttl;
    if (td_token_issue(td_platform_keys(op->platform), &out->who, td_now_ms() / 1000,
                       out->expires_in, &out->access, jti))
        return td_op_fail_status(op, TD_E_INTERNAL, "cannot sign the token");
    return td_audit_record(op, t->row.id, "auth", "session.switch", "users", u.id, "ok",
                           td_arena_printf(op->arena, "account %s", o.account_id));
}
