/* users.h — a tenant's users and their sessions, in the tenant's auth
 * service (auth.users, auth.user_services, auth.sessions), and the
 * superadmins' sessions in the catalog. Everything here runs on a
 * connection the caller leased; strings come back in the caller's arena. */
#ifndef TD_USERS_H
#define TD_USERS_H

#include <jansson.h>
#include <stddef.h>

#include "auth/tokens.h"
#include "catalog/catalog.h"
#include "common/arena.h"
#include "common/id.h"
#include "ops/op.h"
#include "store/store.h"

typedef struct {
    const char *id, *email, *role, *name, *password_hash;
    int disabled;
    const char *last_login_at, *created_at, *updated_at;
    const char **services; /* granted, sorted */
    size_t nsvc;
    int64_t gen; /* the user's generation (ms; updated_at): tokens carry it */
} td_user_t;

typedef struct {
    const char *email, *password, *role, *name; /* password in clear: hashed here */
    const char *const *services;
    size_t nsvc;
    const char *password_hash; /* instead of password: a hash made already (a
                                  tenant's pending first admin) */
    int if_absent;             /* an email taken already is no error and
                                  changes nothing (a retried provisioning) */
    int limit_users;           /* 1: refused (TD_E_FORBIDDEN) when the tenant has
                                  max_users users already (its plan) */
    int64_t max_users;
} td_user_spec_t;

/* A change; NULL fields and unset flags stay as they are. */
typedef struct {
    const char *role, *name, *password;
    int set_disabled, disabled;
    int set_services;
    const char *const *services;
    size_t nsvc;
    int rehash; /* password is the same one, hashed with newer parameters:
                   nothing of the user's sessions ends */
    const char *password_hash; /* instead of password: a hash made already (an
                                  account owner's new one, for its admins) */
} td_user_patch_t;

/* By id, or by email with by_email (compared lower-cased: emails are
 * stored lower-cased). TD_E_NOTFOUND when absent. */
td_status td_user_find(td_db_t *db, td_arena_t *a, const char *key, int by_email, td_user_t *out);
/* Ids of every user (at most max), in id order. */
td_status td_user_ids(td_db_t *db, td_arena_t *a, size_t max, const char ***ids, size_t *n);
/* Creates a user and its grants in one transaction; TD_E_EXISTS when the
 * email is taken. */
/* Writes of users (and their grants) append their row to the auth
 * service's outbox in the same transaction: who did it (actor: a user or
 * key id, "cli", NULL) and the request id, when there is one. */
typedef struct {
    const char *actor, *request_id;
    const char *actor_kind;  /* "user", "api_key", "superadmin", "cli"… (NULL = unknown) */
    const char *client_addr; /* NULL outside HTTP */
    const char *impersonator, *impersonation; /* a superadmin acting as actor (or NULL) */
} td_who_t;
/* Who the operation's actor is, for the outbox (the one place a td_who_t
 * is made from an operation context). */
td_who_t td_who_of(const td_op_t *op);
td_status td_user_create(td_db_t *db, const td_user_spec_t *s, char id[TD_ID_LEN + 1],
                         const td_who_t *who);
/* Applies a change in one transaction. A change of role, grants or
 * password, or a disable, ends every session of the user (its refresh
 * tokens stop working) and raises its generation: *gen is then the new
 * one (ms), below which the caller revokes the user's access tokens
 * (td_revoke_principal); 0 when the change ends nothing. The tenant's
 * last active admin cannot be demoted or disabled (TD_E_LAST_ADMIN). */
td_status td_user_update(td_db_t *db, const char *id, const td_user_patch_t *p,
                         const td_who_t *who, int64_t *gen);
/* Deletes a user (its sessions go with it); *gen as above. The tenant's
 * last active admin cannot be deleted (TD_E_LAST_ADMIN). */
td_status td_user_delete(td_db_t *db, const char *id, const td_who_t *who, int64_t *gen);
/* Ends every session of the user and raises its generation (*gen), in
 * one transaction: "log out everywhere", a reused refresh token. */
td_status td_user_end_sessions(td_db_t *db, const char *id, int64_t *gen);
/* The public view of a user (never the hash); new reference. */
json_t *td_user_json(const td_user_t *u);
/* 1 for an admin granted no service list: every service of the tenant,
 * now and later. An admin granted a list is held to it, like everyone. */
int td_user_unscoped(const td_user_t *u);
/* The services a user may use: every one of the tenant's for an unscoped
 * admin, the granted ones that the tenant has for others. Arena-owned
 * array. */
void td_user_effective_services(const td_user_t *u, const char *const *tenant_svcs, size_t nt,
                                td_arena_t *a, const char ***out, size_t *n);

/* Appends to auth.events (kinds: login, login_failed, password_changed,
 * refresh_reused…). Best effort for the caller: a failure is returned, the
 * caller decides whether it matters. */
td_status td_user_event(td_db_t *db, const char *user_id, const char *kind,
                        const char *client_addr, const char *detail);

/* Records a successful login: last_login_at and a "login" event. */
td_status td_user_logged_in(td_db_t *db, const char *user_id, const char *client_addr);

/* ---- sessions (refresh tokens) ---- */
#define TD_SESSIONS_ACCOUNT 2
typedef struct {
    td_db_t *db;
    int platform;      /* 1: catalog platform_sessions; TD_SESSIONS_ACCOUNT: catalog
                          account_sessions (account owners); 0: tenant auth.sessions */
    const char *scope; /* refresh-token scope: "p" or the compact tenant id */
} td_sessions_t;

/* Starts a session of owner (in family, or a new one when family is
 * NULL) and writes its refresh token; the family's id (which access
 * tokens carry as their `sid`) into sid. */
td_status td_session_start(const td_sessions_t *s, const char *owner, const char *family,
                           const char *client_addr, char refresh[TD_REFRESH_LEN + 1],
                           char sid[TD_ID_LEN + 1]);
/* Spends token and starts the next session of its family. TD_E_NOTFOUND
 * for an unknown, expired or ended token; TD_E_CONFLICT when it was spent
 * already — then its whole family is ended. *owner is set in both of
 * the last cases, *family on success. */
td_status td_session_rotate(const td_sessions_t *s, td_arena_t *a, const char *token,
                            const char *client_addr, const char **owner, const char **family,
                            char refresh[TD_REFRESH_LEN + 1]);
/* Ends a session family of owner (logout): its refresh token no longer
 * refreshes. Ending one twice, or one that is not owner's, is a no-op. */
td_status td_session_end(const td_sessions_t *s, const char *owner, const char *family);
/* Ends every session of owner, in the caller's transaction. */
td_status td_session_end_all(const td_sessions_t *s, const char *owner);

/* ---- superadmins (admins.c) ---- */
/* Sets a superadmin's password (pw in clear: hashed here) and ends every
 * session of the admin, in one catalog transaction; *gen is its new
 * generation, below which the caller revokes its access tokens. */
td_status td_admin_change_password(td_db_t *cat, const td_admin_row_t *adm, const char *pw,
                                   int64_t *gen);
/* Ends every session of a superadmin and raises its generation (*gen). */
td_status td_admin_end_sessions(td_db_t *cat, const td_admin_row_t *adm, int64_t *gen);

#endif
