/* tenancy.h — tenants: the platform context, slugs, provisioning and the
 * lifecycle, placement, and the pool of open tenant databases.
 *
 * td_platform_t is the process's view of the control plane (catalog,
 * master key, pool, folders). It is process state, not tenant context:
 * every tenant operation names its tenant explicitly.
 *
 * Lifecycle (SPEC §3): provisioning → active ⇄ suspended → deleting →
 * deleted, and failed (retry resumes). Each step is recorded in the
 * catalog before and after the work it guards, and the work is idempotent,
 * so a crash at any point leaves a tenant that `retry` (or `delete`)
 * finishes — never one that is active with a missing database. */
#ifndef TD_TENANCY_H
#define TD_TENANCY_H

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

#include "auth/jwt.h"
#include "auth/revoke.h"
#include "catalog/catalog.h"
#include "catalog/plans.h"
#include "common/arena.h"
#include "common/config.h"
#include "secrets/secrets.h"
#include "ops/op.h"
#include "store/store.h"

typedef struct td_pool td_pool_t;
typedef struct td_tcache td_tcache_t;
typedef struct td_holds td_holds_t;

typedef struct td_platform {
    const td_config_t *cfg;
    td_catalog_t *catalog;
    td_key_t master;          /* the master key in force */
    pthread_mutex_t key_mu;   /* guards master while it is reloaded */
    char *catalog_url;        /* resolved (secret when PostgreSQL) */
    char *tenants_dir;        /* $data/tenants */
    char *templates_dir;      /* $data/templates */
    char *master_key_path;    /* $data/master.key */
    td_pool_t *pool;          /* NULL until td_platform_start_pool */
    td_tcache_t *tcache;      /* tenants by slug/id (tcache.c); NULL = none */
    /* token signing keys (auth/signing.h): the set in force is swapped
     * whole when the catalog's changes; replaced sets are kept until close
     * (rotations are rare) so a reader never sees freed memory */
    _Atomic(td_jwt_keyset_t *) jwt;
    struct td_keyset_node *jwt_old;
    pthread_mutex_t jwt_mu;
    int64_t jwt_checked; /* unix seconds of the last reload attempt */
    /* the server's in-memory revocations (auth/revoke.h), set by serve so
     * that operations revoking tokens end them here at once; NULL in
     * commands (the catalog only: servers read it within seconds) */
    td_revocations_t *revoked;
    /* the audit's memory (audit/buffer.c): the tenants written since the
     * last drain tick, refusals waiting to be appended, the tick's state;
     * made on first use, freed by td_platform_close */
    _Atomic(struct td_audit_mem *) audit_mem;
    /* the tenants' write gates (hold.c): made at open, freed at close */
    td_holds_t *holds;
    /* no server serves this data folder while this command runs (it holds
     * serve.lock alone): its write gates are the only ones (tenant move) */
    int sole_writer;
} td_platform_t;

/* Where a tenant database lives: the local folder when server_id is NULL,
 * else that registered server (its URL, arena-owned, chooses the driver). */
td_status td_platform_place(td_platform_t *p, td_arena_t *a, td_db_t *db, const char *server_id,
                            td_place_t *out);

/* The token signing keys in force. */
const td_jwt_keyset_t *td_platform_keys(td_platform_t *p);
/* Re-reads the signing keys from the catalog (another node or command may
 * have rotated them), at most once every min_interval seconds. */
void td_platform_reload_keys(td_platform_t *p, int64_t min_interval);
/* Rotates the signing keys in the catalog: a new key signs from now on, the
 * previous ones verify for grace seconds more. */
td_status td_platform_rotate_signing(td_platform_t *p, int64_t grace, char *err, size_t errlen);

/* Opens the data folder, the catalog (migrated), and the master key, and
 * checks that the key is the one the catalog was made with. With init set
 * a missing key file is created and the key check recorded; otherwise a
 * missing or wrong key is TD_E_KEY with an explanation. Registers the
 * TENANTD_TENANT_DB_URL server, if any. */
td_status td_platform_open(td_platform_t *p, const td_config_t *cfg, int init, char *err,
                           size_t errlen);
void td_platform_close(td_platform_t *p);
/* Creates the pool of open tenant databases (max handles from cfg) and
 * the tenant cache (servers only). */
td_status td_platform_start_pool(td_platform_t *p);
/* The handle budget when pool_max is 0: as many handles as the file
 * descriptors left after the HTTP connections' share allow (4 each), and
 * a quarter of the memory the process may use (cgroup limit or
 * MemAvailable; 128 KB each) — the smaller, from 64 to 100 000. Both
 * figures are returned too. */
size_t td_pool_budget_auto(size_t *by_fds, size_t *by_memory);
/* Raises the soft RLIMIT_NOFILE to the hard one (tenantd serve, at start). */
void td_raise_nofile(void);

/* Slug rules: ^[a-z][a-z0-9-]{1,62}$, no leading/trailing or double dash,
 * not reserved. TD_E_INVALID with the reason in err. */
td_status td_slug_check(const char *slug, char *err, size_t errlen);
/* Display names: 1..200 bytes of valid UTF-8 without control characters. */
td_status td_name_check(const char *name, char *err, size_t errlen);

typedef struct {
    const char *slug;
    const char *name;            /* NULL = the slug */
    const char *const *services; /* besides auth, which is always on */
    size_t nsvc;
    const char *admin_email;     /* optional first admin */
    const char *admin_password;
    const char *admin_password_hash; /* instead of admin_password: an account owner's
                                        argon2id hash, so one password opens both */
    const char *backend;         /* NULL = default placement */
    const char *plan;
    const char *database_url;    /* a PostgreSQL database the operator brings */
} td_tenant_spec_t;

typedef struct {
    td_tenant_row_t row;
    const char **services; /* enabled, sorted */
    size_t nsvc;
    /* its plan's limits (row.plan; -1 = unlimited), read with the row:
     * limits.requests_per_minute is what the rate limiter reads */
    td_plan_limits_t limits;
    /* bytes it stores (tenant_stats.bytes, kept by the outbox drain); the
     * tenant cache reads it again at most every second */
    int64_t storage_used;
} td_tenant_t;

/* The tenant as the JSON object of SPEC §11 (new reference). */
json_t *td_tenant_json(const td_tenant_t *t);

/* ---- lifecycle operations (lifecycle.c) ----
 * Each takes the operation context: only platform actors (a superadmin,
 * the CLI, the system — sign-up —, a job) may call them (403 forbidden
 * otherwise). A failure fills op->err: 400 invalid_request, 404
 * tenant_not_found, 409 slug_taken or invalid_state, 503 for a database
 * that does not answer, 500 for the rest; the detail quotes no secret. */

/* Renames a tenant (display name only). */
td_status td_tenant_rename(td_op_t *op, const char *key, const char *name, td_tenant_t *out);
/* Enables a service: runs its migrations in the tenant's database, then
 * records it (and its schema version). Idempotent. */
td_status td_tenant_enable_service(td_op_t *op, const char *key, const char *service,
                                   td_tenant_t *out);
/* Disables a service; its data stays (enabling it again brings it back).
 * auth cannot be disabled. */
td_status td_tenant_disable_service(td_op_t *op, const char *key, const char *service,
                                    td_tenant_t *out);
/* Places a provisioning or failed tenant on a PostgreSQL database the
 * operator brings (checked by connecting; the URL is sealed with the
 * tenant key) and finishes its provisioning there. 409 invalid_state for
 * a tenant that is active: its data would have to move (not done here). */
td_status td_tenant_set_database(td_op_t *op, const char *key, const char *url,
                                 td_tenant_t *out);

/* Records a new tenant in the catalog (status provisioning, its sealed
 * key, services, placement and pending first admin — the admin's password
 * only as its argon2id hash) after checking spec; nothing is created yet.
 * td_tenant_provision finishes it. */
td_status td_tenant_record(td_op_t *op, const td_tenant_spec_t *spec, td_tenant_t *out);
/* Called after each provisioning step (1 databases, 2 first admin, 3
 * active); a failure stops provisioning at once, leaving the tenant as it
 * is (a job whose lease was lost). */
typedef td_status (*td_provision_step_fn)(td_op_t *op, void *ctx, int step, const char *what);
/* Creates a provisioning or failed tenant's databases and first admin and
 * makes it active — idempotent steps, so running it again after a crash
 * finishes the same way. A failed step leaves the tenant failed with the
 * reason. step may be NULL. *out is the tenant as it ends. */
td_status td_tenant_provision(td_op_t *op, const char *key, td_provision_step_fn step, void *ctx,
                              td_tenant_t *out);
/* td_tenant_record then td_tenant_provision: the synchronous creation. */
td_status td_tenant_create(td_op_t *op, const td_tenant_spec_t *spec, td_tenant_t *out);
/* Resumes provisioning of a provisioning or failed tenant. */
td_status td_tenant_retry(td_op_t *op, const char *key, td_tenant_t *out);
td_status td_tenant_suspend(td_op_t *op, const char *key, td_tenant_t *out);
td_status td_tenant_resume(td_op_t *op, const char *key, td_tenant_t *out);
/* Destroys the tenant's databases, files, role and key; keeps a
 * tombstone; every token of its users stops working (in this server at
 * once through platform->revoked, in others within their sync). */
td_status td_tenant_delete(td_op_t *op, const char *key);

/* ---- moving a tenant's data (move.c, move_sync.c) ---- */
typedef struct {
    const char *tenant_id, *slug;
    const char *from, *to; /* "sqlite", "postgres <server>", "postgres (own database)" */
    const char *target;    /* the target as a move accepts it: "sqlite" or a server id */
    int64_t rows;          /* rows at the switch */
    int64_t copied;        /* rows the first copy wrote */
    int64_t caught_up;     /* rows the later passes changed (written meanwhile) */
    int64_t held_ms;       /* how long the tenant's writes were held */
    int64_t copy_ms;       /* from the first copy to the switch */
    int resumed;           /* a move found in progress and finished */
    json_t *tables;        /* the verification: per table, rows both sides, checksum, match */
} td_move_report_t;
/* Called after each step (1 target ready, 2 rows copied, 3 switched, 4
 * old database removed); non-zero stops the move (resumable). */
typedef td_status (*td_move_step_fn)(void *ctx, int step, const char *what,
                                     const td_move_report_t *r);
/* Moves tenant key's data to `to`: "sqlite" (this node's folder),
 * "postgres" (the least loaded server), a registered server's name or id,
 * or a postgres:// URL (registered as a server first). Resumes a move in
 * progress (to may then be NULL). Platform actors only. Fails with 400
 * invalid_target, 404 tenant_not_found / server_not_found, 409
 * invalid_state, same_placement, target_not_empty, move_in_progress,
 * tenant_changed, 500 move_verify_failed, 503 tenant_busy,
 * tenant_unavailable, target_unavailable, source_unavailable. Each run is
 * audited (tenant.move). */
td_status td_tenant_move(td_op_t *op, const char *key, const char *to, td_move_step_fn fn,
                         void *ctx, td_move_report_t *out);
/* What td_tenant_move would check before it starts, changing nothing but
 * the registration of a postgres:// URL's server: the same failures. */
td_status td_tenant_move_check(td_op_t *op, const char *key, const char *to,
                               td_move_report_t *out);
/* Checks a database a tenant brings (a postgres:// URL) by connecting
 * (10 s at most) and asking whether its user may create schemas. 400 with
 * one of invalid_database_url, database_auth_failed, database_not_found,
 * database_not_permitted, database_unreachable — never the server's words
 * (they go to the log, redacted). */
td_status td_tenant_bring_check(td_op_t *op, const char *url);
/* Records a move of tenant key's data to a PostgreSQL database it brings
 * (url: checked as td_tenant_bring_check, sealed with the tenant's key; it
 * is no server of the fleet, so no other tenant is ever placed there);
 * the move itself is td_tenant_move with to NULL (the tenant.move job).
 * Who: platform actors and the tenant's admins. 409 move_in_progress,
 * database_not_empty (it holds a tenant's schemas already). */
td_status td_tenant_move_bring(td_op_t *op, const char *key, const char *url,
                               td_move_report_t *out);
/* Gives up a move that has not switched: the target's copy is dropped and
 * the move forgotten; the tenant stays where it is. 404 move_not_found,
 * 409 move_switched (finish it instead). Audited (tenant.move_abort). */
td_status td_tenant_move_abort(td_op_t *op, const char *key, td_move_report_t *out);
/* 1 when the tenant has a move in progress (its delete and restores wait
 * for it to be finished or aborted: 409 move_in_progress). */
int td_tenant_moving(td_platform_t *p, td_arena_t *a, const char *tenant_id);
json_t *td_move_report_json(const td_move_report_t *r);
void td_move_report_clear(td_move_report_t *r);

/* ---- custom hostnames (hostnames.c) ---- */
/* The hostnames of a live tenant, arena-owned. Who: platform actors. */
td_status td_tenant_hostnames(td_op_t *op, const char *tenant_id, const char ***names,
                              size_t *n);
/* Claims hostname h for a tenant: a lowercase DNS name (400
 * invalid_hostname), not an address, a loopback name, the server's listen
 * host or a name under the base domain (400 hostname_reserved), and no
 * other tenant's (409 hostname_taken). */
td_status td_tenant_hostname_add(td_op_t *op, const char *tenant_id, const char *h);
/* 404 hostname_not_found when the tenant has no such hostname. */
td_status td_tenant_hostname_remove(td_op_t *op, const char *tenant_id, const char *h);
/* The tenant id a custom hostname names (request routing), arena-owned;
 * NULL when none or the catalog does not answer. */
const char *td_hostname_tenant(td_platform_t *p, td_arena_t *a, const char *hostname);

/* By slug or id. */
td_status td_tenant_find(td_platform_t *p, td_arena_t *a, const char *key, td_tenant_t *out);
/* A page of tenants (td_cat_tenant_list: status, q a slug or name part). */
td_status td_tenant_list(td_platform_t *p, td_arena_t *a, const char *status, const char *q,
                         const char *after, int limit, td_tenant_t **out, size_t *n);
/* Opens the tenant's database and checks every service. */
td_status td_tenant_check(td_platform_t *p, td_arena_t *a, const td_tenant_t *t, char *err,
                          size_t errlen);
/* One check of the fleet: what was checked, how it went, how long it took. */
typedef struct {
    const char *kind;     /* catalog | server | tenant */
    const char *id, *name;
    td_status st;
    const char *detail;   /* "reachable", "healthy", or what failed */
    double ms;            /* the check's wall time */
} td_check_t;
typedef void (*td_check_cb)(void *ctx, const td_check_t *c);
/* Checks every registered database server (connects as its administrator). */
td_status td_platform_check_servers(td_platform_t *p, td_arena_t *a, td_check_cb cb, void *ctx);

/* Opens a tenant's database on a connection of its own, every enabled
 * service usable; the caller closes it (td_db_close). While a pool exists
 * (serve) the connection is counted against the tenant's server budget
 * like a lease, may wait in line for it (TD_E_BUSY after the wait), and
 * its close gives the slot back. */
td_status td_tenant_open_db(td_platform_t *p, td_arena_t *a, const char *tenant_id, td_db_t **out,
                            char *err, size_t errlen);

/* Leases the tenant's database from the pool, with service usable; the
 * arena's cleanup returns it. Pool handles
 * start with no service attached and gain the ones requests use, so a
 * tenant opened for a crm read opens (and parses) only its crm file.
 * TD_E_BUSY when every handle is in use for longer than the wait. */
td_status td_tenant_lease(td_platform_t *p, td_arena_t *a, const char *tenant_id,
                          const char *service, td_db_t **out, char *err, size_t errlen);
/* Opens a tenant's database with no service attached yet (the pool's). */
td_status td_tenant_open_bare(td_platform_t *p, td_arena_t *a, const char *tenant_id,
                              td_db_t **out, char *err, size_t errlen);

/* The folder for a tenant's files beside its database (SQLite tenants:
 * $data/tenants/<id>), or NULL when its data lives in PostgreSQL.
 * Arena-owned. */
const char *td_tenant_files_dir(td_platform_t *p, td_arena_t *a, const td_tenant_t *t);

/* ---- the tenant cache (tcache.c) ---- */
/* The catalog's counter of changes to tenants and their services. */
td_status td_tenants_changes(td_platform_t *p, int64_t *gen);
td_tcache_t *td_tcache_new(void);
void td_tcache_free(td_tcache_t *c);
/* td_tenant_find, answered from the cache when the entry is younger than
 * a second (changes by other processes show within that); without a cache
 * the same as td_tenant_find. */
td_status td_tenant_find_cached(td_platform_t *p, td_arena_t *a, const char *key,
                                td_tenant_t *out);
/* Drops a tenant's entries (its status, name or services changed). */
void td_tcache_forget(td_platform_t *p, const char *tenant_id);
/* Drops every entry (a plan's limits changed). */
void td_tcache_forget_all(td_platform_t *p);

/* ---- what a tenant's plan allows (plan.c) ---- */
/* 1 when the limits allow service (auth always). */
int td_plan_allows_service(const td_plan_limits_t *l, const char *service);
/* 1 when the tenant stores as much as its plan allows, or more: its
 * writes are refused (402 storage_limit), its reads go on. */
int td_tenant_storage_full(const td_tenant_t *t);
/* Checks that plan names a plan (400 unknown_plan) and that it allows
 * each of services (403 service_not_in_plan), into op->err. */
td_status td_plan_admits(td_op_t *op, const char *plan, const char *const *services, size_t n);
/* Reads t's plan limits and storage into t (a plan that is gone: no
 * limits), on db. */
td_status td_tenant_load_plan(td_db_t *db, td_arena_t *a, td_tenant_t *t);

/* Re-wraps every tenant key (and server URL, and the signing keys) under
 * new_key (NULL = a random one) in one catalog transaction, then installs
 * the key file. With TENANTD_MASTER_KEY the caller must give new_key
 * (TD_E_INVALID otherwise: a key shown once could be lost) and nothing is
 * written to the data folder. new_id gets the new key's id, *rewrapped the
 * tenant keys re-wrapped. Safe while servers run (masterkey.c). */
td_status td_platform_rotate_key(td_platform_t *p, td_arena_t *a, const td_key_t *new_key,
                                 char new_id[TD_KEY_ID_LEN + 1], size_t *rewrapped, char *err,
                                 size_t errlen);

/* ---- holding a tenant's writes (hold.c) ---- */
td_holds_t *td_holds_new(void);
void td_holds_free(td_holds_t *h);
/* Enters the tenant's write gate for the life of a request (the arena's
 * early release leaves it): waits while a hold is on, up to wait_ms
 * (TD_E_BUSY after); *waited (may be NULL) = 1 when it had to wait (the
 * tenant may live elsewhere now). Call before leasing the tenant's
 * database for a write, once per request. */
#define TD_WRITE_WAIT_MS 30000 /* the longest a write waits for a hold */
td_status td_tenant_write_enter(td_platform_t *p, td_arena_t *a, const char *tenant_id,
                                unsigned wait_ms, int *waited);
/* Closes the tenant's gate and waits up to wait_ms for the writes inside
 * to leave (TD_E_BUSY, gate open again, when they did not; TD_E_STATE
 * when a hold is on already). td_tenant_unhold opens it. */
td_status td_tenant_hold(td_platform_t *p, const char *tenant_id, unsigned wait_ms);
void td_tenant_unhold(td_platform_t *p, const char *tenant_id);

/* ---- the pool (pool.c) ----
 * Open tenant databases under two budgets: the global one (handles of
 * every tenant) and one per database server (see pool.c). */
typedef td_status (*td_pool_open_fn)(void *ctx, const char *tenant_id, td_db_t **out);
#define TD_POOL_SERVER_LEN 64
/* Names the server a tenant's connections go to (out, n bytes; "" when it
 * has no server budget: SQLite, a database the operator brought). */
typedef td_status (*td_pool_locate_fn)(void *ctx, const char *tenant_id, char *out, size_t n);
/* The number of connections this process may hold to server (≥ 1), read
 * when the pool first meets it; a failure is asked again next time. */
typedef td_status (*td_pool_size_fn)(void *ctx, const char *server, size_t *budget);
td_pool_t *td_pool_new(size_t max_open, td_pool_open_fn open, void *ctx);
/* Gives the pool its servers (without: every tenant on the local one,
 * bounded by the global budget only). Call before the first lease. */
void td_pool_set_servers(td_pool_t *p, td_pool_locate_fn locate, td_pool_size_fn size);
/* How long a lease waits in line for a handle when every one is leased,
 * before TD_E_BUSY (default 5000 ms; 0 = no wait). */
void td_pool_set_wait_ms(td_pool_t *p, unsigned ms);
/* How many leases may wait for one server at once; more get TD_E_BUSY at
 * once (default 1000). */
void td_pool_set_queue_max(td_pool_t *p, size_t n);
/* An idle handle nobody leased for ms is trimmed (td_db_trim: SQLite
 * gives back its page cache); 0 = never. Default 30 000. */
void td_pool_set_trim_ms(td_pool_t *p, unsigned ms);
/* The most handles one tenant holds (leased or idle; the counted ones of
 * td_pool_lease_counted aside); more leases of it wait for one of its
 * own. 0 = no limit. Default 8. */
void td_pool_set_tenant_max(td_pool_t *p, size_t n);
/* Starts the thread that trims idle handles (every 100 ms, 64 at most);
 * td_pool_free stops it. Without it nothing is trimmed. */
td_status td_pool_start_trimmer(td_pool_t *p);
/* Frees the pool; every lease must have come back (transient ones closed). */
void td_pool_free(td_pool_t *pool);
/* With an arena, the handle returns to the pool when the arena dies.
 * TD_E_BUSY when the wait in line ended without a handle. */
td_status td_pool_lease(td_pool_t *pool, td_arena_t *a, const char *tenant_id, td_db_t **out);
/* A connection of the tenant's own, opened by open(ctx, …) and counted
 * against both budgets like a lease (waiting in the same line), but never
 * kept: the caller closes it with td_db_close, which gives its slot back.
 * For work outside requests (jobs, the audit drain, checks). */
td_status td_pool_lease_counted(td_pool_t *pool, const char *tenant_id, td_pool_open_fn open,
                                void *ctx, td_db_t **out);
/* The same, counted against the named server's budget instead of the one
 * the tenant is on now ("" : none; NULL: where the tenant is): a move's
 * connections to its target. */
td_status td_pool_lease_counted_on(td_pool_t *pool, const char *tenant_id, const char *server,
                                   td_pool_open_fn open, void *ctx, td_db_t **out);
/* broken = 1 closes the handle instead of keeping it. */
void td_pool_release(td_pool_t *pool, const char *tenant_id, td_db_t *db, int broken);
/* Closes every idle handle of a tenant and refuses to keep its leased ones. */
void td_pool_forget(td_pool_t *pool, const char *tenant_id);
typedef struct {
    size_t open, idle, max;
    unsigned long long hits, misses, evictions;
    unsigned long long waits, busy; /* leases that waited in line; that gave up */
    unsigned long long trims;       /* idle handles that gave their cache back */
} td_pool_stats_t;
void td_pool_stats(td_pool_t *pool, td_pool_stats_t *out);
/* One database server as the pool sees it. */
typedef struct {
    char server[TD_POOL_SERVER_LEN]; /* as locate named it (a server id) */
    size_t open, idle, budget, waiting;
    unsigned long long waits, busy, evictions;
} td_pool_server_stats_t;
/* Fills out with up to max servers whose budget is known; returns how
 * many there are. */
size_t td_pool_server_stats(td_pool_t *pool, td_pool_server_stats_t *out, size_t max);

#endif
