/* catalog.h — the control plane: tenants, their services, databases and
 * placement, database servers, hostnames, platform admins, services,
 * system configuration and the schema-version ledger.
 *
 * td_catalog_t owns a small pool of connections to the catalog database
 * (SQLite catalog.db with synchronous=FULL, or PostgreSQL); functions that
 * take a td_db_t run on a leased connection so a caller can group them in
 * one transaction. Strings handed back are owned by the given arena. */
#ifndef TD_CATALOG_H
#define TD_CATALOG_H

#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "store/store.h"

typedef struct td_catalog td_catalog_t;

/* Opens the catalog at url (a SQLite path or postgres:// URL) and brings
 * its schema up to date. max_conns bounds the connection pool. */
td_status td_catalog_open(const char *url, int max_conns, td_catalog_t **out, char *err,
                          size_t errlen);
void td_catalog_close(td_catalog_t *c);
/* Leases a connection (waits up to 5 s for one; TD_E_BUSY after).
 * With an arena, the lease is returned by the arena's cleanup. */
td_status td_catalog_lease(td_catalog_t *c, td_arena_t *a, td_db_t **db);
void td_catalog_release(td_catalog_t *c, td_db_t *db);
/* "sqlite" or "postgres". */
const char *td_catalog_dialect(const td_catalog_t *c);
/* Runs SELECT 1 on a fresh lease. */
td_status td_catalog_ping(td_catalog_t *c);

/* ---- tenants ---- */
typedef struct {
    const char *id, *slug, *name, *status, *backend, *plan, *error;
    const char *pending_admin; /* JSON {"email","hash"} until provisioned */
    const char *wrapped_key;   /* NULL once deleted (crypto-shredded) */
    const char *created_at, *updated_at, *deleted_at;
} td_tenant_row_t;

typedef struct {
    const char *backend;    /* "sqlite" | "postgres" */
    const char *server_id;  /* NULL on SQLite */
    const char *secret_enc; /* sealed role password (PostgreSQL) */
} td_tenant_db_row_t;

/* Inserts the tenant (status provisioning), its services and its database
 * placement, in the caller's write transaction (tenancy's
 * td_platform_with_master: the wrapped key is sealed under the master key
 * in force). TD_E_EXISTS when the slug is taken. */
td_status td_cat_tenant_insert(td_db_t *db, const td_tenant_row_t *t, const char *const *services,
                               size_t nsvc, const td_tenant_db_row_t *place);
/* By id when key has the shape of an id, else by slug (live tenants only;
 * a deleted tenant is found by id only). TD_E_NOTFOUND when absent. */
td_status td_cat_tenant_get(td_db_t *db, td_arena_t *a, const char *key, td_tenant_row_t *out);
/* Tenants ordered by id after `after` (NULL = from the start), at most
 * limit, optionally only of one status (deleted ones only when asked) and
 * only those whose slug or name holds q (ASCII case ignored; NULL: all). */
td_status td_cat_tenant_list(td_db_t *db, td_arena_t *a, const char *status, const char *q,
                             const char *after, int limit, td_tenant_row_t **out, size_t *n);
/* Moves a tenant to status `to` only if its status is one of `from`
 * (comma-separated); error is recorded (NULL clears it). TD_E_STATE when
 * the tenant is in another status. */
td_status td_cat_tenant_transition(td_db_t *db, const char *id, const char *from, const char *to,
                                   const char *error);
td_status td_cat_tenant_clear_pending_admin(td_db_t *db, const char *id);
/* The counter every change to tenants or tenant_services moves (0011). */
td_status td_cat_tenant_changes(td_db_t *db, int64_t *gen);
td_status td_cat_tenant_rename(td_db_t *db, const char *id, const char *name);
/* Enables or disables one service of a tenant (upsert). */
td_status td_cat_tenant_service_set(td_db_t *db, const char *id, const char *service, int enabled);
/* Enabled services of a tenant, sorted; arena-owned array. */
td_status td_cat_tenant_services(td_db_t *db, td_arena_t *a, const char *id, const char ***out,
                                 size_t *n);
td_status td_cat_tenant_db(td_db_t *db, td_arena_t *a, const char *id, td_tenant_db_row_t *out);
/* At most n ids of live (active or suspended) tenants chosen at random;
 * *total how many there are. */
td_status td_cat_tenant_sample(td_db_t *db, td_arena_t *a, int n, const char ***ids,
                               size_t *count, int64_t *total);
/* Replaces a tenant's placement (and its tenants.backend). */
td_status td_cat_tenant_db_set(td_db_t *db, const char *id, const td_tenant_db_row_t *d);
/* ---- impersonations (impersonations.c, migration 0018) ---- */
typedef struct {
    const char *id, *tenant_id, *user_id, *admin_id, *reason, *created_at;
    int64_t expires_at; /* unix seconds: the token's exp */
    const char *revoked_at, *revoked_by;
} td_imp_row_t;
td_status td_cat_imp_insert(td_db_t *db, const td_imp_row_t *r);
/* TD_E_NOTFOUND when absent. */
td_status td_cat_imp_get(td_db_t *db, td_arena_t *a, const char *id, td_imp_row_t *out);
/* A tenant's impersonations, newest first, at most 500. */
td_status td_cat_imp_list(td_db_t *db, td_arena_t *a, const char *tenant_id, td_imp_row_t **out,
                          size_t *n);
/* Marks it revoked by `by`; TD_E_NOTFOUND unless it is the tenant's and
 * not revoked yet. */
td_status td_cat_imp_revoke(td_db_t *db, const char *id, const char *tenant_id, const char *by);

/* ---- onboarding (onboarding.c, migration 0020) ---- */
typedef struct {
    const char *tenant_id, *step; /* database | payments | credits | profile */
    const char *status;           /* done | skipped | in_progress */
    const char *detail;           /* the step's JSON, or NULL */
    const char *secret_enc;       /* payments: the sealed keys (never read back here) */
    const char *updated_by, *updated_at;
} td_onboarding_row_t;
/* The steps tenant_id took (at most max), by step name. */
td_status td_cat_onboarding_list(td_db_t *db, td_arena_t *a, const char *tenant_id,
                                 td_onboarding_row_t *out, size_t max, size_t *n);
/* Records a step (replacing what it was). */
td_status td_cat_onboarding_put(td_db_t *db, const td_onboarding_row_t *o);
/* *paid = 1 when the tenant has a paid credit checkout. */
td_status td_cat_onboarding_paid(td_db_t *db, const char *tenant_id, int *paid);

/* ---- tenant moves (moves.c, migration 0014) ---- */
typedef struct {
    const char *tenant_id, *state; /* copying | switched */
    const char *backend, *server_id, *secret_enc; /* the target placement */
    td_tenant_db_row_t from;                       /* the placement moved away from */
    const char *started_at;
} td_move_row_t;
/* Records a move (state copying); TD_E_EXISTS when the tenant has one. */
td_status td_cat_move_insert(td_db_t *db, const td_move_row_t *m);
/* TD_E_NOTFOUND when the tenant has no move in progress. */
td_status td_cat_move_get(td_db_t *db, td_arena_t *a, const char *tenant_id, td_move_row_t *out);
/* In one transaction: the tenant's placement becomes the move's target and
 * the move is switched. TD_E_STATE when it was not copying. */
td_status td_cat_move_switch(td_db_t *db, const char *tenant_id);
td_status td_cat_move_delete(td_db_t *db, const char *tenant_id);
td_status td_cat_schema_version_set(td_db_t *db, const char *tenant_id, const char *service,
                                    int version);
/* Removes everything of a deleted tenant but its row; shreds its key. */
td_status td_cat_tenant_tombstone(td_db_t *db, const char *id);
/* Every tenant's wrapped key (for key rotation), live ones only. */
td_status td_cat_tenant_keys(td_db_t *db, td_arena_t *a, const char ***ids, const char ***wrapped,
                             size_t *n);
td_status td_cat_tenant_set_key(td_db_t *db, const char *id, const char *wrapped);

/* ---- hostnames ---- */
/* TD_E_EXISTS when the hostname belongs to any tenant already. */
td_status td_cat_hostname_add(td_db_t *db, const char *tenant_id, const char *hostname);
td_status td_cat_hostname_remove(td_db_t *db, const char *tenant_id, const char *hostname);
td_status td_cat_hostname_list(td_db_t *db, td_arena_t *a, const char *tenant_id,
                               const char ***out, size_t *n);
/* The tenant id a hostname belongs to; TD_E_NOTFOUND when none. */
td_status td_cat_hostname_tenant(td_db_t *db, td_arena_t *a, const char *hostname,
                                 const char **tenant_id);

/* ---- database servers ---- */
typedef struct {
    const char *id, *name, *url_enc, *url_hint, *status, *created_at;
    int64_t tenants; /* tenant databases placed there */
} td_server_row_t;

/* Registers a server by name unless present (*added = 1 when it was not;
 * added may be NULL). */
td_status td_cat_server_ensure(td_db_t *db, const td_server_row_t *s, int *added);
td_status td_cat_server_list(td_db_t *db, td_arena_t *a, td_server_row_t **out, size_t *n);
td_status td_cat_server_get(td_db_t *db, td_arena_t *a, const char *id, td_server_row_t *out);
/* The active server with the fewest tenants; TD_E_NOTFOUND when none. */
td_status td_cat_server_least_loaded(td_db_t *db, td_arena_t *a, td_server_row_t *out);

/* ---- platform admins ---- */
td_status td_cat_admin_insert(td_db_t *db, const char *id, const char *email,
                              const char *password_hash);
td_status td_cat_admin_count(td_db_t *db, int64_t *n);
typedef struct {
    const char *id, *email, *password_hash;
    int disabled;
    int64_t gen; /* generation (ms; updated_at): superadmin tokens carry it */
} td_admin_row_t;
/* By email, or by id when by_id is set. TD_E_NOTFOUND when absent. */
td_status td_cat_admin_find(td_db_t *db, td_arena_t *a, const char *key, int by_id,
                            td_admin_row_t *out);


/* Stores a new hash; with gen (ms) also moves the admin's generation
 * there (0: a rehash of the same password keeps it). A NULL hash moves
 * only the generation. */
td_status td_cat_admin_set_password(td_db_t *db, const char *id, const char *password_hash,
                                    int64_t gen);

/* ---- API keys (apikeys.c) ---- */
typedef struct {
    const char *id, *tenant_id, *name, *key_hash, *role, *services; /* services: JSON or NULL */
    int read_only;
    const char *expires_at, *last_used_at, *revoked_at, *created_by, *created_at;
    int64_t rate_limit_rpm; /* the key's own requests a minute; 0 = only the tenant's */
} td_apikey_row_t;

td_status td_cat_apikey_insert(td_db_t *db, const td_apikey_row_t *k);
/* Inserts k unless its tenant has max live keys already (TD_E_FORBIDDEN),
 * counted in the insert's transaction (PostgreSQL: one tenant's key
 * creations wait for each other on an advisory lock). */
td_status td_cat_apikey_insert_capped(td_db_t *db, const td_apikey_row_t *k, int64_t max);
/* TD_E_NOTFOUND when absent. */
td_status td_cat_apikey_get(td_db_t *db, td_arena_t *a, const char *id, td_apikey_row_t *out);
/* Keys of a tenant (NULL = platform keys), newest first, at most 1000. */
td_status td_cat_apikey_list(td_db_t *db, td_arena_t *a, const char *tenant_id,
                             td_apikey_row_t **out, size_t *n);
/* Marks a key revoked; TD_E_NOTFOUND unless it belongs to tenant_id
 * (NULL = platform) and is live. */
td_status td_cat_apikey_revoke(td_db_t *db, const char *id, const char *tenant_id);
/* Revokes every live key of the tenant created by creator (a user or a
 * key id), then the keys those keys created, and so on. */
td_status td_cat_apikey_revoke_created_by(td_db_t *db, const char *tenant_id, const char *creator);
/* Records a use, at most once a minute per key. */
td_status td_cat_apikey_touch(td_db_t *db, const char *id);

/* ---- system_config and services ---- */
/* TD_E_NOTFOUND when the key is absent. */
td_status td_cat_config_get(td_db_t *db, td_arena_t *a, const char *key, char **value);
td_status td_cat_config_set(td_db_t *db, const char *key, const char *value);
td_status td_cat_service_register(td_db_t *db, const char *name, int latest_version);

/* ---- the job queue (jobs.c) ---- */
/* One row of job_queue. Times are unix milliseconds (0 = not yet). */
typedef struct {
    const char *id, *kind, *tenant_id, *payload, *state;
    const char *message, *checkpoint, *error, *lease_owner, *created_by;
    int attempts, max_attempts, step;
    int64_t done, total, run_after, lease_until;
    int64_t created_at, started_at, updated_at, finished_at;
} td_job_row_t;

/* Filters of td_cat_job_list; NULL fields match everything. */
typedef struct {
    const char *kind, *state, *tenant_id;
    const char *before; /* keyset cursor: ids below this one (newest first) */
    int limit;          /* 1..1000 */
} td_job_filter_t;

/* Inserts j as a queued job (id, kind, tenant_id, payload, max_attempts,
 * run_after, created_by are read; now stamps it). */
td_status td_cat_job_insert(td_db_t *db, const td_job_row_t *j, int64_t now);
/* Claims the due job that waited longest for owner: a queued one whose
 * run_after has come, or a running one whose lease ended (its worker died)
 * with attempts left. One conditional UPDATE: two claimers never get the
 * same job. TD_E_NOTFOUND when none is due. */
td_status td_cat_job_claim(td_db_t *db, td_arena_t *a, const char *owner, int64_t now,
                           int64_t lease_ms, td_job_row_t *out);
/* Records progress and extends the lease; TD_E_STATE when owner no longer
 * holds the job (cancelled, or its lease ended and another took it). */
td_status td_cat_job_progress(td_db_t *db, const td_job_row_t *p, const char *owner, int64_t now,
                              int64_t lease_ms);
/* Ends a running job of owner: succeeded (error NULL), or failed with error
 * — queued again at retry_at while attempts < max_attempts, failed for good
 * after. TD_E_STATE when owner no longer holds it. */
/* Hands a running job back to the queue (its owner is stopping): queued
 * again at once, this attempt not counted, its step and checkpoint kept. */
td_status td_cat_job_release(td_db_t *db, const char *id, const char *owner, int64_t now);
td_status td_cat_job_finish(td_db_t *db, const char *id, const char *owner, int64_t now,
                            const char *error, int64_t retry_at);
/* Fails running jobs whose lease ended with no attempt left; *n of them. */
td_status td_cat_job_expire(td_db_t *db, int64_t now, int64_t *n);
/* queued|running → cancelled; failed|cancelled → queued now with fresh
 * attempts (retry). TD_E_NOTFOUND for no such job, TD_E_STATE for a job in
 * another state. */
td_status td_cat_job_cancel(td_db_t *db, const char *id, int64_t now);
td_status td_cat_job_retry(td_db_t *db, const char *id, int64_t now);
td_status td_cat_job_get(td_db_t *db, td_arena_t *a, const char *id, td_job_row_t *out);
/* Jobs matching f, newest first; arena-owned array. */
td_status td_cat_job_list(td_db_t *db, td_arena_t *a, const td_job_filter_t *f,
                          td_job_row_t **out, size_t *n);

/* Deletes platform sessions whose expires_at (ISO) is before now_iso and
 * revocations whose expiry (unix seconds, as revoked_tokens keeps it) has
 * passed; *n rows in all. */
td_status td_cat_sessions_purge(td_db_t *db, const char *now_iso, int64_t now_s, int64_t *n);

/* ---- schedules (cron.c) ---- */
typedef struct {
    const char *name, *schedule, *kind, *payload;
    int enabled;
    int64_t next_run, created_at, updated_at; /* unix ms */
} td_cron_row_t;

/* TD_E_EXISTS when the name is taken. */
td_status td_cat_cron_insert(td_db_t *db, const td_cron_row_t *c, int64_t now);
/* Replaces schedule, kind, payload, enabled and next_run; TD_E_NOTFOUND. */
td_status td_cat_cron_update(td_db_t *db, const td_cron_row_t *c, int64_t now);
/* Removes the schedule and its executions; TD_E_NOTFOUND. */
td_status td_cat_cron_delete(td_db_t *db, const char *name);
td_status td_cat_cron_get(td_db_t *db, td_arena_t *a, const char *name, td_cron_row_t *out);
/* Every schedule by name (at most 1000); with due_at > 0 only the enabled
 * ones whose next_run has come. */
td_status td_cat_cron_list(td_db_t *db, td_arena_t *a, int64_t due_at, td_cron_row_t **out,
                           size_t *n);
/* Moves next_run from `from` to `to`; TD_E_STATE when another moved it. */
td_status td_cat_cron_advance(td_db_t *db, const char *name, int64_t from, int64_t to);
/* Records that name queued job_id for scheduled_for. */
td_status td_cat_cron_execution_add(td_db_t *db, const char *name, const char *job_id,
                                    int64_t scheduled_for, int64_t now);

/* ---- accounts that own tenants (owner_accounts.c, migration 0019) ---- */
typedef struct {
    const char *id, *name, *status, *created_at, *updated_at;
    const char *owner_email; /* its first owner's */
    int64_t tenants;         /* live tenants it owns */
} td_account_row_t;

typedef struct {
    const char *id, *account_id, *email, *name, *password_hash, *last_login_at;
    const char *account_status; /* of its account: active | suspended */
    int64_t gen;                /* generation (ms): raised to end its tokens */
    int disabled;
} td_owner_row_t;

/* A tenant of an account, as its store dropdown shows it. */
typedef struct {
    const char *id, *slug, *name, *status, *plan;
} td_account_tenant_t;

/* Inserts an active account and its first owner (o: id, email, name,
 * password_hash, gen read). TD_E_EXISTS when the email owns an account
 * already (nothing left behind). */
td_status td_cat_account_insert(td_db_t *db, const char *id, const char *name,
                                const td_owner_row_t *o);
/* Removes an account without tenants and its owners (a sign-up whose
 * tenant could not be made). */
td_status td_cat_account_remove(td_db_t *db, const char *id);
/* An owner by id or (by_email) by lower-cased email; TD_E_NOTFOUND. */
td_status td_cat_owner_find(td_db_t *db, td_arena_t *a, const char *key, int by_email,
                            td_owner_row_t *out);
td_status td_cat_owner_logged_in(td_db_t *db, const char *id);
/* Raises an owner's generation to now (ms, *gen): its access tokens below
 * it end once revoked (td_revoke_principal). */
td_status td_cat_owner_new_gen(td_db_t *db, const char *id, int64_t *gen);
/* Adds an owner to an account (o: id, email, name, password_hash, gen);
 * TD_E_EXISTS when the email owns an account already. */
td_status td_cat_owner_insert(td_db_t *db, const char *account_id, const td_owner_row_t *o);
/* An account's owners, oldest first (at most 1000). */
td_status td_cat_account_owners(td_db_t *db, td_arena_t *a, const char *account_id,
                                td_owner_row_t **out, size_t *n);
/* Removes an owner of the account and its sessions, unless it is the
 * account's last (TD_E_STATE); removals of one account wait for each
 * other. */
td_status td_cat_owner_remove(td_db_t *db, const char *account_id, const char *id);
/* Replaces an owner's argon2id hash; TD_E_NOTFOUND. */
td_status td_cat_owner_set_password(td_db_t *db, const char *id, const char *hash);
td_status td_cat_account_get(td_db_t *db, td_arena_t *a, const char *id, td_account_row_t *out);
/* Accounts newest first whose name or an owner's email contains q (NULL:
 * all), ids below before (NULL: from the newest); at most limit. */
td_status td_cat_account_list(td_db_t *db, td_arena_t *a, const char *q, const char *before,
                              int limit, td_account_row_t **out, size_t *n);
/* Sets status (active|suspended); TD_E_NOTFOUND. */
td_status td_cat_account_set_status(td_db_t *db, const char *id, const char *status);
td_status td_cat_tenant_set_account(td_db_t *db, const char *tenant_id, const char *account_id);
/* The account's tenants that are not deleted, oldest first (≤ 1000). */
td_status td_cat_account_tenants(td_db_t *db, td_arena_t *a, const char *account_id,
                                 td_account_tenant_t **out, size_t *n);

#endif
