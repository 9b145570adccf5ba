/* ops.h — the platform's use cases that span folders, as operations on an
 * operation context (op.h): API keys, superadmins, the demo tenant.
 *
 * Each operation checks who may call it with op->actor, does the work
 * through catalog/, auth/ and tenancy/, and on failure fills op->err (an
 * HTTP-like status, a stable code, a detail that quotes no secret). HTTP
 * handlers (api/) and CLI commands (cli/) call the same operation and only
 * parse and render. Tenants' own lifecycle operations are in
 * tenancy/tenancy.h; the job queue's in jobs/jobs.h. */
#ifndef TD_OPS_H
#define TD_OPS_H

#include <jansson.h>
#include <stddef.h>

#include "auth/apikey.h"
#include "auth/users.h"
#include "catalog/catalog.h"
#include "jobs/jobs.h"
#include "ops/op.h"
#include "services/engine.h"

/* ---- API keys (apikeys.c) ---- */

/* A key to create. tenant NULL: a platform key (role superadmin, no
 * services). */
typedef struct {
    const td_tenant_t *tenant;    /* the tenant the key acts in, or NULL */
    const char *name;             /* 1 to 100 printable characters */
    const char *role;             /* tenant: admin|manager|client; platform: NULL or superadmin */
    int scoped;                   /* services given: the key is held to them */
    const char *const *services;  /* with scoped: enabled services of the tenant */
    size_t nsvc;
    int read_only;
    const char *expires_at;       /* a future RFC 3339 time, or NULL */
    int64_t rate_limit;           /* the key's own requests a minute (1…100 000 000); 0 = none */
} td_apikey_spec_t;

/* Creates a key. Who: a platform actor, or an admin of the tenant holding
 * every right the key gets (no escalation; a key made by an expiring key
 * expires no later). *out is its row (op->arena), key its secret — shown
 * once: the caller wipes it. 400 invalid_request, invalid_role,
 * service_not_enabled; 403 forbidden, exceeds_scope. */
td_status td_op_apikey_create(td_op_t *op, const td_apikey_spec_t *s, td_apikey_row_t *out,
                              char key[TD_APIKEY_LEN + 1]);
/* The keys of tenant_id (NULL: the platform's), newest first, at most
 * 1000. Who: as create (platform keys: platform actors only). */
td_status td_op_apikey_list(td_op_t *op, const char *tenant_id, td_apikey_row_t **out, size_t *n);
/* Revokes a live key of tenant_id (NULL: a platform key) and, for a
 * tenant key, the keys it created. 404 api_key_not_found (also for
 * another tenant's key); 403 exceeds_scope. */
td_status td_op_apikey_revoke(td_op_t *op, const char *tenant_id, const char *id);
/* The public JSON of a key (never its hash); with_tenant adds tenant_id.
 * New reference. */
json_t *td_apikey_json(const td_apikey_row_t *k, int with_tenant);

/* ---- impersonation (impersonate.c) ---- */
typedef struct {
    const char *user;   /* the user's id or email */
    const char *reason; /* 1 to 500 characters, required */
    double minutes;     /* 0 < minutes ≤ 60 (default 15) */
    int has_minutes;
} td_imp_spec_t;
typedef struct {
    td_imp_row_t row;
    char *access;       /* the token (malloc'd: the caller wipes and frees it) */
    int64_t expires_in; /* seconds */
    td_user_t user;
} td_imp_out_t;
/* A superadmin acts as a user of t (active) for a bounded time: one access
 * token (jti = the impersonation's id, claim act = the superadmin), no
 * refresh token; recorded and audited (tenant.impersonate). 400
 * invalid_request, 403 forbidden, 404 user_not_found, 409 invalid_state
 * (tenant not active, user disabled). */
td_status td_op_impersonate(td_op_t *op, const td_tenant_t *t, const td_imp_spec_t *s,
                            td_imp_out_t *out);
/* t's impersonations, newest first (superadmins, t's admins). */
td_status td_op_impersonations(td_op_t *op, const td_tenant_t *t, td_imp_row_t **rows,
                               size_t *n);
/* Ends one at once: its token is revoked (superadmins, t's admins); 404
 * impersonation_not_found unless live and t's. Audited. */
td_status td_op_impersonation_revoke(td_op_t *op, const td_tenant_t *t, const char *id);
/* state: active | expired | revoked at now (unix seconds). */
json_t *td_imp_json(const td_imp_row_t *r, int64_t now);
/* 403 impersonation_forbidden when op acts for an impersonating
 * superadmin: what outlives the token (an API key, a password) is not
 * made; TD_OK otherwise. */
td_status td_op_refuse_impersonated(td_op_t *op, const char *what);

/* ---- a tenant's users (users.c) ----
 * Who: platform actors and the tenant's admins (users or keys), each
 * within its rights (no one grants a role or services it does not hold:
 * 403 exceeds_scope); get and list also the tenant's managers and
 * clients, who see only themselves. Failures: 400 invalid_request,
 * invalid_role, weak_password, service_not_enabled; 403 forbidden; 404
 * user_not_found; 409 email_taken, last_admin, cannot_disable_self,
 * cannot_delete_self; 503 tenant_unavailable. A change that ends the
 * user's sessions revokes its tokens (and, when it lost rights, its API
 * keys) — in a server at once. Each write's outbox row carries the op's
 * actor. */
td_status td_op_user_create(td_op_t *op, const td_tenant_t *t, const td_user_spec_t *s,
                            td_user_t *out);
/* By id, or by email with by_email. */
td_status td_op_user_get(td_op_t *op, const td_tenant_t *t, const char *key, int by_email,
                         td_user_t *out);
/* At most max, in id order (the actor alone for managers and clients). */
td_status td_op_user_list(td_op_t *op, const td_tenant_t *t, size_t max, td_user_t **out,
                          size_t *n);
td_status td_op_user_update(td_op_t *op, const td_tenant_t *t, const char *key, int by_email,
                            const td_user_patch_t *p, td_user_t *out);
td_status td_op_user_delete(td_op_t *op, const td_tenant_t *t, const char *id);

/* ---- signing in and out (sessions.c) ----
 * A superadmin's sessions are in the catalog, a tenant user's in its
 * tenant's auth database. Each success is audited once with the signed-in
 * principal as the actor (session.login, session.refresh, session.logout,
 * session.logout_all, password.change — admin.password for a superadmin);
 * a failed login is the caller's refusal record. Failures: 401
 * invalid_credentials (wrong email or password, an unknown or deleted
 * tenant — all cost one argon2id verification), invalid_grant,
 * refresh_reused; 403 tenant_suspended, wrong_password, forbidden; 503
 * tenant_unavailable, busy, or the catalog's status. */

/* What a login or a refresh hands out. The caller wipes it
 * (td_signin_wipe) once answered. */
typedef struct {
    td_principal_t who;               /* the access token's claims (strings in op->arena) */
    const char *email;
    const td_tenant_t *tenant;        /* a user's tenant (op->arena); NULL: a superadmin */
    char *access;                     /* the signed access token (malloc'd) */
    int64_t expires_in;               /* its lifetime, seconds */
    char refresh[TD_REFRESH_LEN + 1]; /* the next refresh token: shown once */
    char sid[TD_ID_LEN + 1];          /* the session (refresh family) */
} td_signin_t;

/* Logs in a superadmin (tenant NULL) or a user of tenant (id or slug):
 * a new session and its tokens in *out. On success op->actor is the
 * signed-in principal. Who: anyone (a public route). */
td_status td_op_login(td_op_t *op, const char *tenant, const char *email, const char *pw,
                      td_signin_t *out);
/* Spends a refresh token ("tdr_<scope>_…") for the next one and a new
 * access token. A token spent already ends every session of its owner
 * (recorded as session.logout_all, detail refresh_reused) and is 401
 * refresh_reused. On success op->actor is the principal. */
td_status td_op_refresh(td_op_t *op, const char *token, td_signin_t *out);
/* Wipes the tokens of s and frees its access token. */
void td_signin_wipe(td_signin_t *s);
/* Ends the acting principal's session sid (NULL: none) and revokes its
 * access token jti (expiring at exp, unix seconds) at once. Who: a
 * superadmin or tenant user (callers refuse API keys). */
td_status td_op_logout(td_op_t *op, const char *sid, const char *jti, int64_t exp);
/* Ends every session and access token of the acting principal. */
td_status td_op_logout_all(td_op_t *op);
/* Changes the acting principal's password after checking the new one
 * (400 weak_password) and the current one (403 wrong_password), and ends
 * its sessions and access tokens: log in again. */
td_status td_op_password_change(td_op_t *op, const char *current, const char *next);

/* ---- tenants in the background (tenants.c) ---- */

/* Records a new tenant (td_tenant_record: status provisioning) and queues
 * a tenant.provision job for it; *job is the queued job. Who: platform
 * actors. */
/* Checks a move of tenant key to `to` (td_tenant_move_check) and queues
 * it as a tenant.move job, the target named by server id. */
td_status td_op_tenant_move_async(td_op_t *op, const char *key, const char *to,
                                  td_job_row_t *job);
/* Aborts a move that has not switched (td_tenant_move_abort) after
 * cancelling its queued job; 409 move_running while a worker runs it. */
td_status td_op_tenant_move_abort(td_op_t *op, const char *key, td_move_report_t *out);
/* The tenant.move kind: td_tenant_move, each step a step of the job; the
 * last step's checkpoint is the move's report (JSON). */
td_status td_op_tenant_move_job(td_op_t *op, td_job_t *job);
td_status td_op_tenant_create_async(td_op_t *op, const td_tenant_spec_t *spec, td_tenant_t *out,
                                    td_job_row_t *job);
/* The tenant.provision job kind: td_tenant_provision of the payload's
 * tenant_id, each provisioning step a recorded job step (3 in all). A
 * tenant found active already (a crash after activation) is done. */
td_status td_op_tenant_provision_job(td_op_t *op, td_job_t *job);

/* ---- fleet migrations in the background (migrate.c) ---- */
struct td_migrate_opts;
/* Checks o as a dry run would (400, 404, 409 answer now) and queues a
 * tenants.migrate job with o as its payload; *job is the queued job. */
td_status td_op_migrate_async(td_op_t *op, const struct td_migrate_opts *o, td_job_row_t *job);
/* The tenants.migrate job kind (td_migrate_run of the payload's options). */
td_status td_op_migrate_job(td_op_t *op, td_job_t *job);

/* ---- superadmins (admins.c) ---- */

/* Creates the first superadmin unless one exists (init, serve --demo).
 * pw NULL: a generated one, returned in *generated (malloc'd; the caller
 * wipes and frees it). *created = 1 when made. Who: the CLI or the system. */
td_status td_op_superadmin_ensure(td_op_t *op, const char *email, const char *pw, int *created,
                                  char **generated);
/* Sets a superadmin's password from the machine (the CLI only: 403
 * otherwise), ends its sessions and access tokens, audits
 * admin.password_reset. 400 weak_password, 404 admin_not_found. */
td_status td_op_superadmin_reset_password(td_op_t *op, const char *email, const char *pw);

/* ---- the platform's keys (keys.c; platform actors) ---- */

/* A new token signing key signs from now on; the previous ones verify for
 * grace seconds more (td_platform_rotate_signing). */
td_status td_op_signing_rotate(td_op_t *op, int64_t grace);
/* Re-wraps every master-sealed value under new_key (NULL = a random one):
 * td_platform_rotate_key. 400 (TD_E_INVALID) when the key comes from the
 * environment and none is given. */
td_status td_op_master_rotate(td_op_t *op, const td_key_t *new_key,
                              char new_id[TD_KEY_ID_LEN + 1], size_t *rewrapped);

/* ---- a tenant's resources (resctx.c) ---- */

/* The resource engine's context (services/engine.h) for op's actor on
 * tenant t's data: db as given, op's arena, actor (id, kind by
 * td_actor_kind_name, role), request id and client address, t's id and
 * files folder, and the scope the access policy granted. The one place a
 * td_res_ctx_t's actor fields are filled. */
void td_op_res_ctx(const td_op_t *op, const td_tenant_t *t, td_db_t *db, td_scope scope,
                   td_res_ctx_t *out);
/* The same with t's database leased for service for the op's lifetime
 * (td_op_tenant_db: 503 busy or tenant_unavailable in op->err). */
td_status td_op_res_open(td_op_t *op, const td_tenant_t *t, const char *service, td_scope scope,
                         td_res_ctx_t *out);

/* ---- the demo tenant (demo.c) ---- */

/* Creates tenant `slug` with every built-in service, its admin `email`
 * with password pw, and sample rows owned by that admin — unless the
 * tenant exists (*created = 0 then). Who: the CLI or the system. */
td_status td_op_demo_tenant(td_op_t *op, const char *slug, const char *email, const char *pw,
                            int *created);

/* ---- accounts that own tenants (accounts.c; an owner's sign-in and
 * switch in sessions.c) ---- */

/* Self-service sign-up: a tenant (spec: slug, name, services, admin
 * email and password — checked as tenant creation checks them), then its
 * account (named name, else the tenant's name) whose owner is the
 * tenant's first admin's email and password. 409 email_taken when the
 * email owns an account already (nothing made). Who: anyone. */
td_status td_op_account_register(td_op_t *op, const td_tenant_spec_t *spec, const char *name,
                                 td_tenant_t *t, td_account_row_t *acc);
/* The acting owner's account's tenant key (id or slug) into *out; 404
 * tenant_not_found for any other (another account's tenant is unknown). */
td_status td_op_account_tenant(td_op_t *op, const char *account_id, const char *key,
                               td_account_tenant_t *out);
/* A new tenant of the acting owner's account (spec's admin fields are
 * ignored: its first admin is the owner). */
td_status td_op_account_tenant_add(td_op_t *op, const td_tenant_spec_t *spec, td_tenant_t *t);
/* The acting owner's account's tenants and the owner's role in each
 * (NULL: none, or the tenant does not answer); arrays in op->arena. */
td_status td_op_account_tenants(td_op_t *op, td_account_tenant_t **rows, const char ***roles,
                                size_t *n);
/* An owner's access token for one of its account's tenants (key: id or
 * slug): its admin user's of the owner's email, claim acc; no refresh
 * token. 404 tenant_not_found, 403 not_tenant_admin, account_suspended,
 * tenant_suspended. */
td_status td_op_account_switch(td_op_t *op, const char *key, td_signin_t *out);
/* The acting owner (an owner's token), its account active: 401
 * token_revoked, 403 forbidden or account_suspended otherwise. */
td_status td_op_acting_owner(td_op_t *op, td_db_t *db, td_owner_row_t *o);
/* ---- an account's owners (account_owners.c): its owners' own routes ---- */
/* The acting owner's account's owners, oldest first. */
td_status td_op_account_owners(td_op_t *op, td_owner_row_t **rows, size_t *n);
/* Adds an owner (email, password, optional name) and its admin user in
 * each of the account's tenants. 400 invalid_request, weak_password; 409
 * email_taken. */
td_status td_op_account_owner_add(td_op_t *op, const char *email, const char *password,
                                  const char *name, td_owner_row_t *out);
/* Removes an owner: its sessions and tokens end. 404 owner_not_found,
 * 409 last_owner. */
td_status td_op_account_owner_remove(td_op_t *op, const char *id);
/* Every owner of account_id but `except` gets an admin user in tenant tid
 * (a tenant the account adds). */
void td_op_account_admins(td_op_t *op, td_db_t *cat, const char *account_id, const char *tid,
                          const char *except);
json_t *td_owner_json(const td_owner_row_t *o);
/* Superadmins: accounts whose name or owner email contains q, newest
 * first, ids below before; one account with its tenants (404
 * account_not_found); suspend (1) or resume (0), audited. */
td_status td_op_account_list(td_op_t *op, const char *q, const char *before, int limit,
                             td_account_row_t **rows, size_t *n);
td_status td_op_account_get(td_op_t *op, const char *id, td_account_row_t *acc,
                            td_account_tenant_t **tenants, size_t *n);
td_status td_op_account_set_status(td_op_t *op, const char *id, int suspend,
                                   td_account_row_t *acc);
/* JSON forms (new references): a dropdown entry (role NULL: omitted), an
 * account (with ts: its "tenant_list" of n). The API's and the CLI's. */
json_t *td_account_tenant_json(const td_account_tenant_t *t, const char *role);
json_t *td_account_json(const td_account_row_t *a, const td_account_tenant_t *ts, size_t n);

/* ---- onboarding (onboarding.c): the caller's own tenant, its admins ---- */
/* GET /v1/onboarding: {"tenant","complete","next","steps":[…]} (new
 * reference). 403 forbidden for anyone but the tenant's admins. */
td_status td_op_onboarding(td_op_t *op, json_t **out);
/* Step 1: renames the tenant (400 invalid_request for a bad name). */
td_status td_op_onboarding_store(td_op_t *op, const char *name, json_t **out);
/* Step 2: kind "embedded" keeps the platform's place; "postgres" checks
 * url, records a move there and queues its tenant.move job (*job). 400
 * invalid_database_url, database_auth_failed, database_not_found,
 * database_not_permitted, database_unreachable; 403
 * bring_database_disabled; 409 database_already_brought,
 * database_not_empty, move_in_progress. */
td_status td_op_onboarding_database(td_op_t *op, const char *kind, const char *url,
                                    td_job_row_t *job, json_t **out);
typedef struct {
    const char *provider, *secret_key, *public_key, *webhook_secret;
} td_onboarding_keys_t;
/* Step 3: the tenant's own payment provider keys; the secrets sealed
 * with the tenant's key, never shown again. */
td_status td_op_onboarding_payments(td_op_t *op, const td_onboarding_keys_t *k, json_t **out);
/* Step 5: company, phone, and an optional avatar (a stored image among
 * the tenant's cms media: 400 invalid_avatar). */
td_status td_op_onboarding_profile(td_op_t *op, const char *company, const char *phone,
                                   const char *avatar, json_t **out);
/* Skips payments or credits: 409 step_not_skippable, 404 step_not_found. */
td_status td_op_onboarding_skip(td_op_t *op, const char *step, json_t **out);

/* ---- the fleet's health (fleet.c) ---- */
typedef struct {
    int tenants_checked;  /* tenants reported (a sample's live ones, then the failed) */
    int64_t tenants_live; /* with a sample: how many live tenants there are */
} td_fleet_totals_t;
/* Checks the catalog, every database server and the tenants' databases —
 * all of them (sample < 0), or `sample` live ones at random and every
 * failed one — calling cb once per check with its outcome and wall time.
 * A check that fails is reported, not returned: TD_OK unless the tenants
 * cannot be listed. Platform actors only (403). */
td_status td_op_fleet_check(td_op_t *op, int sample, td_check_cb cb, void *ctx,
                            td_fleet_totals_t *out);

#endif
