/* lifecycle.c — creating, resuming, suspending and deleting tenants.
 *
 * Provisioning is a sequence of idempotent steps bracketed by catalog
 * records: the tenant is recorded as `provisioning` (with its sealed key,
 * services and placement) before anything is created, and becomes `active`
 * only after every database exists, every schema version is recorded and
 * its first admin is in place. A crash in between leaves `provisioning`;
 * an error leaves `failed` with the reason; `retry` runs the same steps
 * again. Deletion mirrors it with `deleting`. TD_FAULT points mark the
 * steps the crash tests kill the process at. */
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "auth/password.h"
#include "auth/revoke.h"
#include "auth/tokens.h"
#include "auth/users.h"
#include "common/files.h"
#include "common/fault.h"
#include "common/id.h"
#include "common/log.h"
#include "common/text.h"
#include "common/timeutil.h"
#include "services/engine.h"
#include "services/services.h"
#include "tenancy/migrate.h"
#include "tenancy/tenancy_int.h"

#define ROLE_PASSWORD_LEN 40

static td_status fail(char *err, size_t errlen, td_status st, const char *fmt, const char *arg) {
    snprintf(err, errlen, fmt, arg);
    return st;
}

/* Only platform actors run the lifecycle: superadmins, the CLI, the
 * system (sign-up, the demo) and jobs. */
static int may(td_op_t *op) {
    if (td_actor_platform(&op->actor))
        return 1;
    td_op_fail(op, TD_E_FORBIDDEN, 403, "forbidden", "only platform operators manage tenants");
    return 0;
}

/* Records st in op->err with the lifecycle's codes and err as detail. */
static td_status done(td_op_t *op, td_status st, const char *err) {
    if (!st)
        return TD_OK;
    const char *detail = err && err[0] ? err : st == TD_E_NOTFOUND ? "no such tenant" : "";
    switch (st) {
    case TD_E_EXISTS: return td_op_fail(op, st, 409, "slug_taken", "%s", detail);
    case TD_E_INVALID: return td_op_fail(op, st, 400, "invalid_request", "%s", detail);
    case TD_E_STATE: return td_op_fail(op, st, 409, "invalid_state", "%s", detail);
    case TD_E_NOTFOUND: return td_op_fail(op, st, 404, "tenant_not_found", "%s", detail);
    default: return td_op_fail_status(op, st, detail);
    }
}

/* The audit record of a tenant's catalog change, in the tenant's chain:
 * after st (the operation's result, op->err filled on failure) "ok", or
 * with failed set "failed" with the reason (the change happened: the
 * tenant is left failed). Returns st, or the record's failure. */
static td_status audit(td_op_t *op, td_status st, int failed, const char *tenant_id,
                       const char *service, const char *action, const char *detail) {
    if (st && !failed)
        return st;
    td_status rs = td_audit_record(op, tenant_id, service, action, "tenants", tenant_id,
                                   st ? "failed" : "ok", st ? op->err.detail : detail);
    return st ? st : rs;
}

static td_status load_tenant(td_db_t *db, td_arena_t *a, const char *key, td_tenant_t *out) {
    td_status st = td_cat_tenant_get(db, a, key, &out->row);
    if (!st)
        st = td_cat_tenant_services(db, a, out->row.id, &out->services, &out->nsvc);
    return st ? st : td_tenant_load_plan(db, a, out);
}

/* The catalog connection is given back at once, not at the end of the
 * caller's arena: a request that goes on to wait for its tenant's
 * database (a full server, the writers' queue) must not sit on one of the
 * catalog's few connections meanwhile. */
td_status td_tenant_find(td_platform_t *p, td_arena_t *a, const char *key, td_tenant_t *out) {
    td_db_t *db;
    td_status st = td_catalog_lease(p->catalog, NULL, &db);
    if (st)
        return st;
    st = load_tenant(db, a, key, out);
    td_catalog_release(p->catalog, db);
    return st;
}

td_status td_tenants_changes(td_platform_t *p, int64_t *gen) {
    td_db_t *db;
    td_status st = td_catalog_lease(p->catalog, NULL, &db);
    if (st)
        return st;
    st = td_cat_tenant_changes(db, gen);
    td_catalog_release(p->catalog, db);
    return st;
}

td_status td_tenant_list(td_platform_t *p, td_arena_t *a, const char *status, const char *q,
                         const char *after, int limit, td_tenant_t **out, size_t *n) {
    td_db_t *db;
    td_tenant_row_t *rows = NULL;
    td_status st = td_catalog_lease(p->catalog, a, &db);
    if (!st)
        st = td_cat_tenant_list(db, a, status, q, after, limit, &rows, n);
    td_tenant_t *ts = st ? NULL : td_arena_alloc(a, sizeof(*ts) * (*n + 1));
    if (!st && !ts)
        st = TD_E_NOMEM;
    for (size_t i = 0; !st && i < *n; i++) {
        ts[i].row = rows[i];
        ts[i].limits = td_plan_unlimited(); /* a list does not read plans */
        ts[i].storage_used = 0;
        st = td_cat_tenant_services(db, a, rows[i].id, &ts[i].services, &ts[i].nsvc);
    }
    *out = ts;
    return st;
}

/* The place and credentials of a tenant's database: a registered server
 * (role password sealed with the tenant key), a database the operator
 * brought (its URL sealed with the tenant key, no server), or the local
 * folder. With cred NULL only the place is wanted (dropping needs no role
 * password), so a tenant whose key cannot be unwrapped can still go. */
td_status td_tenant_place_of(td_platform_t *p, td_arena_t *a, td_db_t *db,
                             const td_tenant_row_t *t, const td_tenant_db_row_t *dr, td_place_t *pl,
                             td_tenant_cred_t *cred) {
    td_tenant_db_row_t d = *dr;
    td_status st = TD_OK;
    int brought = d.secret_enc && !d.server_id;
    if (!brought)
        st = td_platform_place(p, a, db, d.server_id, pl);
    if (cred)
        cred->password = NULL;
    if (!st && d.secret_enc && (brought || cred)) {
        td_key_t tk;
        unsigned char *secret;
        size_t n;
        st = t->wrapped_key ? td_platform_unwrap(p, a, t->id, t->wrapped_key, &tk) : TD_E_CRYPTO;
        if (!st)
            st = td_open(a, &tk, t->id, brought ? TD_PURPOSE_DB_URL : TD_PURPOSE_DB_PASSWORD,
                         d.secret_enc, &secret, &n);
        sodium_memzero(&tk, sizeof(tk));
        if (!st && brought)
            *pl = (td_place_t){.drv = td_db_driver_for_url((const char *)secret),
                               .root = (const char *)secret,
                               .dedicated = 1};
        else if (!st)
            cred->password = (const char *)secret;
    }
    return st;
}

static td_status placement(td_platform_t *p, td_arena_t *a, td_db_t *db, const td_tenant_row_t *t,
                           td_place_t *pl, td_tenant_cred_t *cred) {
    td_tenant_db_row_t d;
    td_status st = td_cat_tenant_db(db, a, t->id, &d);
    return st ? st : td_tenant_place_of(p, a, db, t, &d, pl, cred);
}

td_status td_tenant_locate(td_platform_t *p, td_arena_t *a, const char *key, td_tenant_t *t,
                           td_place_t *pl, td_tenant_cred_t *cred) {
    td_db_t *db;
    td_status st = td_catalog_lease(p->catalog, NULL, &db);
    if (st)
        return st;
    st = load_tenant(db, a, key, t);
    if (!st)
        st = placement(p, a, db, &t->row, pl, cred);
    td_catalog_release(p->catalog, db);
    return st;
}

/* Opens a tenant's database with every enabled service usable (all), or
 * none yet (the pool's handles: td_tenant_lease attaches what a request
 * needs). */
static td_status open_db(td_platform_t *p, td_arena_t *a, const char *tenant_id, int all,
                         td_db_t **out, char *err, size_t errlen) {
    td_db_t *db;
    td_tenant_t t;
    td_place_t pl;
    td_tenant_cred_t cred;
    td_status st = td_catalog_lease(p->catalog, a, &db);
    if (!st)
        st = load_tenant(db, a, tenant_id, &t);
    if (!st)
        st = placement(p, a, db, &t.row, &pl, &cred);
    if (st)
        return fail(err, errlen, st, "tenant %s: cannot find its database", tenant_id);
    return td_db_tenant_open(&pl, t.row.id, &cred, t.services, all ? t.nsvc : 0, out, err,
                             errlen);
}

td_status td_tenant_open_db(td_platform_t *p, td_arena_t *a, const char *tenant_id, td_db_t **out,
                            char *err, size_t errlen) {
    if (p->pool) /* counted against the tenant's server budget */
        return td_platform_open_counted(p, tenant_id, out, err, errlen);
    return open_db(p, a, tenant_id, 1, out, err, errlen);
}

td_status td_tenant_open_bare(td_platform_t *p, td_arena_t *a, const char *tenant_id,
                              td_db_t **out, char *err, size_t errlen) {
    return open_db(p, a, tenant_id, 0, out, err, errlen);
}

const char *td_tenant_files_dir(td_platform_t *p, td_arena_t *a, const td_tenant_t *t) {
    if (!t->row.backend || strcmp(t->row.backend, "sqlite") || !td_id_valid(t->row.id))
        return NULL;
    return td_arena_printf(a, "%s/%s", p->tenants_dir, t->row.id);
}

td_status td_tenant_lease(td_platform_t *p, td_arena_t *a, const char *tenant_id,
                          const char *service, td_db_t **out, char *err, size_t errlen) {
    td_status st = td_pool_lease(p->pool, a, tenant_id, out);
    if (st) {
        snprintf(err, errlen, "tenant database unavailable");
        return st;
    }
    return td_db_tenant_attach(*out, service, err, errlen);
}

/* Creates the pending first admin in the tenant's auth.users through
 * auth/users.c, with its outbox row (a no-op when a retry finds it there
 * already: if_absent). It is granted no service list: an unscoped admin
 * uses every service of the tenant, now and later. The provisioning acts
 * as the system (actor kind "system" in its record). */
static td_status create_admin(td_db_t *tdb, const char *pending) {
    json_error_t jerr;
    json_t *j = json_loads(pending, 0, &jerr);
    td_user_spec_t s = {.email = json_string_value(json_object_get(j, "email")),
                        .password_hash = json_string_value(json_object_get(j, "hash")),
                        .role = "admin",
                        .if_absent = 1};
    char id[TD_ID_LEN + 1];
    static const td_who_t system = {.actor_kind = "system"};
    td_status st = s.email && s.password_hash ? td_user_create(tdb, &s, id, &system) : TD_E_INTERNAL;
    json_decref(j);
    return st;
}

/* The steps after the catalog record, shared by create and retry. */
/* *failed = 1 when the tenant was left failed (not for a step hook's
 * stop, which changes nothing). */
static td_status provision(td_op_t *op, td_db_t *db, td_tenant_t *t, td_provision_step_fn step,
                           void *ctx, int *failed, char *err, size_t errlen) {
    td_platform_t *p = op->platform;
    td_arena_t *a = op->arena;
    td_status hs; /* a step hook's failure: stop, and change nothing */
    td_place_t pl;
    td_tenant_cred_t cred;
    td_status st = placement(p, a, db, &t->row, &pl, &cred);
    if (st)
        return fail(err, errlen, st, "cannot read the placement of tenant %s", t->row.slug);
    td_schema_t *schemas = td_arena_alloc(a, sizeof(*schemas) * (t->nsvc + 1));
    for (size_t i = 0; !st && i < t->nsvc; i++)
        if (td_service_schema(t->services[i], pl.drv->name, &schemas[i]))
            st = fail(err, errlen, TD_E_NOTFOUND, "service %s has no schema", t->services[i]);
    if (!st)
        st = td_db_tenant_create(&pl, t->row.id, &cred, schemas, t->nsvc, err, errlen);
    TD_FAULT("create.databases");
    if (!st && step && (hs = step(op, ctx, 1, "databases created")))
        return hs;
    if (!st && t->row.pending_admin) {
        td_db_t *tdb;
        st = td_db_tenant_open(&pl, t->row.id, &cred, t->services, t->nsvc, &tdb, err, errlen);
        if (!st) {
            st = create_admin(tdb, t->row.pending_admin);
            if (st)
                snprintf(err, errlen, "cannot create the first admin: %s", td_db_errmsg(tdb));
            td_db_close(tdb);
        }
    }
    TD_FAULT("create.admin");
    if (!st && step && (hs = step(op, ctx, 2, "first admin in place")))
        return hs;
    if (!st)
        st = td_db_begin(db, TD_DB_WRITE);
    if (!st) { /* one commit records the versions and the activation */
        for (size_t i = 0; !st && i < t->nsvc; i++) /* the template had them all */
            st = td_migrate_record_all(db, t->row.id, pl.drv->name, &schemas[i]);
        if (!st)
            st = td_cat_tenant_clear_pending_admin(db, t->row.id);
        if (!st)
            st = td_cat_tenant_transition(db, t->row.id, "provisioning,failed", "active", NULL);
        st = st ? st : td_db_commit(db);
        if (st)
            td_db_rollback(db);
    }
    if (st) {
        if (!err[0])
            snprintf(err, errlen, "provisioning failed: %s", td_status_msg(st));
        td_cat_tenant_transition(db, t->row.id, "provisioning,failed", "failed", err);
        *failed = 1;
        td_log(TD_LOG_WARN, "tenant provisioning failed", "tenant_id", t->row.id, "error", err, NULL);
        td_tcache_forget(p, t->row.id);
        return st;
    }
    TD_FAULT("create.activated");
    td_tcache_forget(p, t->row.id);
    td_status st2 = load_tenant(db, a, t->row.id, t);
    return !st2 && step ? step(op, ctx, 3, "active") : st2;
}

static td_status check_services(const td_tenant_spec_t *spec, td_arena_t *a, const char ***out,
                                size_t *n, char *err, size_t errlen) {
    const char **list = td_arena_alloc(a, sizeof(char *) * (spec->nsvc + 2));
    size_t k = 0;
    list[k++] = "auth";
    for (size_t i = 0; i < spec->nsvc; i++) {
        const char *s = spec->services[i];
        if (!td_service_known(s)) {
            size_t nn;
            const char *const *names = td_services_names(&nn);
            char known[256] = "";
            for (size_t j = 0; j < nn; j++)
                snprintf(known + strlen(known), sizeof(known) - strlen(known), "%s%s",
                         j ? ", " : "", names[j]);
            return fail(err, errlen, TD_E_INVALID, "unknown service (known: %s)", known);
        }
        int dup = 0;
        for (size_t j = 0; j < k; j++)
            dup |= strcmp(list[j], s) == 0;
        if (!dup)
            list[k++] = s;
    }
    *out = list;
    *n = k;
    return TD_OK;
}

/* A brought database must be PostgreSQL and answer now. */
static td_status check_database_url(const char *url, char *err, size_t errlen) {
    if (!td_db_url_is_postgres(url) || strlen(url) > 1024)
        return fail(err, errlen, TD_E_INVALID, "the database URL must be postgres://…%s", "");
    td_db_t *db = NULL;
    char why[512] = "";
    td_status st = td_db_open(url, 0, &db, why, sizeof(why));
    td_db_close(db);
    if (st) /* why is redacted by the driver: no password in it */
        return fail(err, errlen, TD_E_INVALID, "cannot connect to the database: %.400s", why);
    return TD_OK;
}

static td_status pending_admin(const td_tenant_spec_t *spec, td_arena_t *a, const char **out,
                               char *err, size_t errlen) {
    *out = NULL;
    if (!spec->admin_email && !spec->admin_password)
        return TD_OK;
    if (!td_email_valid(spec->admin_email))
        return fail(err, errlen, TD_E_INVALID, "invalid admin email%s", "");
    const char *weak = spec->admin_password_hash ? NULL : td_password_problem(spec->admin_password);
    if (weak)
        return fail(err, errlen, TD_E_INVALID, "admin: %s", weak);
    char hash[TD_PASSWORD_HASH_MAX] = "";
    td_status st = spec->admin_password_hash
                       ? (snprintf(hash, sizeof(hash), "%s", spec->admin_password_hash) <
                                  (int)sizeof(hash)
                              ? TD_OK
                              : TD_E_INVALID)
                       : td_password_hash(spec->admin_password, hash);
    if (st)
        return st;
    json_t *j = json_pack("{s:s, s:s}", "email", spec->admin_email, "hash", hash);
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
    *out = s ? td_arena_strdup(a, s) : NULL;
    free(s);
    json_decref(j);
    return *out ? TD_OK : TD_E_NOMEM;
}

/* A new tenant's catalog record. Its data key is wrapped inside
 * td_platform_with_master, so the key that wraps it is the one in force
 * when the record commits, even while another process rotates it. */
typedef struct {
    td_arena_t *a;
    td_tenant_row_t row; /* wrapped_key is set by record_tenant */
    const char **svcs;
    size_t nsvc;
    td_tenant_db_row_t place;
    const td_key_t *tk; /* the tenant's data key */
} new_tenant_t;

static td_status record_tenant(td_db_t *db, const td_key_t *master, void *ctx) {
    new_tenant_t *t = ctx;
    char *wrapped = NULL;
    td_status st = td_key_wrap(t->a, master, t->row.id, t->tk, &wrapped);
    t->row.wrapped_key = wrapped;
    return st ? st : td_cat_tenant_insert(db, &t->row, t->svcs, t->nsvc, &t->place);
}

/* Checks spec and records the tenant (provisioning); *out is its row. */
static td_status record(td_platform_t *p, td_arena_t *a, const td_tenant_spec_t *spec,
                        td_tenant_t *out, char *err, size_t errlen) {
    err[0] = '\0';
    const char *name = spec->name ? spec->name : spec->slug;
    const char *backend = spec->backend ? spec->backend
                          : td_db_url_is_postgres(p->cfg->tenant_db_url) ? "postgres"
                                                                          : "sqlite";
    const char **svcs;
    size_t nsvc;
    const char *pending;
    td_status st = td_slug_check(spec->slug, err, errlen);
    if (!st)
        st = td_name_check(name, err, errlen);
    if (!st && strcmp(backend, "sqlite") && strcmp(backend, "postgres"))
        st = fail(err, errlen, TD_E_INVALID, "backend must be sqlite or postgres%s", "");
    if (!st)
        st = check_services(spec, a, &svcs, &nsvc, err, errlen);
    if (!st)
        st = pending_admin(spec, a, &pending, err, errlen);
    if (!st && spec->database_url)
        st = check_database_url(spec->database_url, err, errlen);
    td_db_t *db = NULL;
    if (!st)
        st = td_catalog_lease(p->catalog, a, &db);
    if (st)
        return st;

    char *id = td_arena_alloc(a, TD_ID_LEN + 1);
    td_id_new(id);
    td_key_t tk;
    td_key_random(&tk);
    char *secret = NULL;
    new_tenant_t rec = {.a = a, .tk = &tk, .svcs = svcs, .nsvc = nsvc,
                        .place = {.backend = backend}};
    if (spec->database_url) { /* brought by the operator: sealed, no server */
        rec.place.backend = backend = "postgres";
        st = td_seal(a, &tk, id, TD_PURPOSE_DB_URL, spec->database_url,
                     strlen(spec->database_url), &secret);
        rec.place.secret_enc = secret;
    } else if (strcmp(backend, "postgres") == 0) {
        td_server_row_t srv;
        char pw[ROLE_PASSWORD_LEN + 1];
        st = td_cat_server_least_loaded(db, a, &srv);
        if (st == TD_E_NOTFOUND)
            st = fail(err, errlen, TD_E_INVALID,
                      "no PostgreSQL server is registered (set TENANTD_TENANT_DB_URL)%s", "");
        td_password_generate(pw, sizeof(pw));
        if (!st)
            st = td_seal(a, &tk, id, TD_PURPOSE_DB_PASSWORD, pw, strlen(pw), &secret);
        sodium_memzero(pw, sizeof(pw));
        rec.place.server_id = st ? NULL : srv.id;
        rec.place.secret_enc = secret;
    }
    rec.row = (td_tenant_row_t){.id = id, .slug = spec->slug, .name = name, .backend = backend,
                                .plan = spec->plan ? spec->plan : TD_PLAN_DEFAULT,
                                .pending_admin = pending};
    if (!st)
        st = td_platform_with_master(p, db, record_tenant, &rec, err, errlen);
    sodium_memzero(&tk, sizeof(tk));
    if (st == TD_E_EXISTS)
        return fail(err, errlen, st, "slug '%s' is already taken", spec->slug);
    if (st)
        return err[0] ? st : fail(err, errlen, st, "cannot record the tenant: %s", td_status_msg(st));
    TD_FAULT("create.recorded");
    return load_tenant(db, a, id, out);
}

td_status td_tenant_record(td_op_t *op, const td_tenant_spec_t *spec, td_tenant_t *out) {
    char err[512];
    if (!may(op) || td_plan_admits(op, spec->plan ? spec->plan : TD_PLAN_DEFAULT, spec->services,
                                   spec->nsvc))
        return op->err.st;
    return done(op, record(op->platform, op->arena, spec, out, err, sizeof(err)), err);
}

/* td_tenant_provision, recorded as action (tenant.create, .provision,
 * .retry): ok, or failed when the tenant was left failed. */
static td_status provision_as(td_op_t *op, const char *key, td_provision_step_fn step, void *ctx,
                              td_tenant_t *out, const char *action) {
    char err[512] = "";
    td_db_t *db;
    int failed = 0;
    if (!may(op))
        return op->err.st;
    td_status st = td_catalog_lease(op->platform->catalog, op->arena, &db);
    if (!st)
        st = load_tenant(db, op->arena, key, out);
    if (st == TD_E_NOTFOUND)
        fail(err, sizeof(err), st, "no tenant '%s'", key);
    else if (!st && strcmp(out->row.status, "provisioning") && strcmp(out->row.status, "failed"))
        st = fail(err, sizeof(err), TD_E_STATE,
                  "tenant is %s: only provisioning or failed tenants can be retried",
                  out->row.status);
    if (!st)
        st = provision(op, db, out, step, ctx, &failed, err, sizeof(err));
    if (!st)
        td_log(TD_LOG_INFO, "tenant created", "tenant_id", out->row.id, "slug", out->row.slug,
               "backend", out->row.backend, NULL);
    return audit(op, done(op, st, err), failed, out->row.id, NULL, action, NULL);
}

td_status td_tenant_provision(td_op_t *op, const char *key, td_provision_step_fn step, void *ctx,
                              td_tenant_t *out) {
    return provision_as(op, key, step, ctx, out, "tenant.provision");
}

td_status td_tenant_create(td_op_t *op, const td_tenant_spec_t *spec, td_tenant_t *out) {
    td_status st = td_tenant_record(op, spec, out);
    return st ? st : provision_as(op, out->row.id, NULL, NULL, out, "tenant.create");
}

td_status td_tenant_retry(td_op_t *op, const char *key, td_tenant_t *out) {
    return provision_as(op, key, NULL, NULL, out, "tenant.retry");
}

/* *changed = 1 when the status moved (not when it was there already). */
static td_status transition(td_platform_t *p, td_arena_t *a, const char *key, const char *from,
                            const char *to, td_tenant_t *out, int *changed, char *err,
                            size_t errlen) {
    err[0] = '\0';
    *changed = 0;
    td_db_t *db;
    td_status st = td_catalog_lease(p->catalog, a, &db);
    if (!st)
        st = load_tenant(db, a, key, out);
    if (st == TD_E_NOTFOUND)
        return fail(err, errlen, st, "no tenant '%s'", key);
    if (!st && strcmp(out->row.status, to) == 0)
        return TD_OK; /* already there: idempotent */
    if (!st)
        st = td_cat_tenant_transition(db, out->row.id, from, to, NULL);
    *changed = !st;
    if (st == TD_E_STATE)
        return fail(err, errlen, st, "tenant is %s: cannot do that now", out->row.status);
    if (!st && p->pool && strcmp(to, "active"))
        td_pool_forget(p->pool, out->row.id);
    if (!st)
        td_tcache_forget(p, out->row.id);
    return st ? st : load_tenant(db, a, out->row.id, out);
}

/* Suspend and resume: recorded when the status moved. */
static td_status move(td_op_t *op, const char *key, const char *from, const char *to,
                      td_tenant_t *out, const char *action) {
    char err[512];
    int changed = 0;
    if (!may(op))
        return op->err.st;
    td_status st = done(op, transition(op->platform, op->arena, key, from, to, out, &changed, err,
                                       sizeof(err)),
                        err);
    return st || !changed ? st : audit(op, st, 0, out->row.id, NULL, action, NULL);
}

td_status td_tenant_suspend(td_op_t *op, const char *key, td_tenant_t *out) {
    return move(op, key, "active", "suspended", out, "tenant.suspend");
}

td_status td_tenant_resume(td_op_t *op, const char *key, td_tenant_t *out) {
    return move(op, key, "suspended", "active", out, "tenant.resume");
}

/* Deletion: the tenant leaves service (deleting), its outbox is drained
 * one last time so that no acknowledged write loses its audit record (best
 * effort: a database that cannot be read is dropped anyway, and the
 * failure logged), its databases are dropped, and its figures leave the
 * catalog's totals; the tombstone row and its audit chain stay. */
static td_status delete_tenant(td_op_t *op, const char *key, const char **id, char *err,
                               size_t errlen) {
    td_platform_t *p = op->platform;
    td_arena_t *a = op->arena;
    td_tenant_t t;
    int changed;
    if (!td_tenant_find(p, a, key, &t) && td_tenant_moving(p, a, t.row.id))
        return fail(err, errlen, TD_E_STATE,
                    "tenant %s is being moved: finish or abort the move first", t.row.slug);
    td_status st = transition(p, a, key, "active,suspended,failed,provisioning,deleting",
                              "deleting", &t, &changed, err, errlen);
    if (st)
        return st;
    if (strcmp(t.row.status, "deleting"))
        return fail(err, errlen, TD_E_STATE, "tenant is %s", t.row.status);
    if (p->pool)
        td_pool_forget(p->pool, t.row.id);
    td_tcache_forget(p, t.row.id);
    td_op_t last = *op; /* its own error slot: a failed drain does not fail the delete */
    last.err = (td_op_err_t){0};
    if (td_audit_drain_tenant(&last, t.row.id, NULL))
        td_log(TD_LOG_WARN, "tenant deleted with its outbox not drained", "tenant_id", t.row.id,
               "error", last.err.detail, NULL);
    td_db_t *db;
    td_place_t pl;
    st = td_catalog_lease(p->catalog, a, &db);
    if (!st)
        st = placement(p, a, db, &t.row, &pl, NULL);
    if (!st)
        st = td_db_tenant_drop(&pl, t.row.id, err, errlen);
    TD_FAULT("delete.dropped");
    if (!st)
        st = td_cat_stats_forget(db, t.row.id);
    if (!st)
        st = td_cat_tenant_tombstone(db, t.row.id);
    if (!st) /* its recorded backups: unreadable without its key, they only take room */
        td_remove_tree(td_arena_printf(a, "%s/backups/%s", p->cfg->data, t.row.id));
    if (!st) /* every token of its users ends, in every server (they sync) */
        td_revocations_add(p->revoked, db, td_arena_printf(a, "tid:%s", t.row.id), td_now_ms(),
                           td_now_ms() / 1000 + TD_ACCESS_TTL);
    if (st && !err[0])
        snprintf(err, errlen, "cannot delete tenant: %s", td_status_msg(st));
    if (!st)
        td_log(TD_LOG_INFO, "tenant deleted", "tenant_id", t.row.id, "slug", t.row.slug, NULL);
    *id = t.row.id;
    return st;
}

td_status td_tenant_delete(td_op_t *op, const char *key) {
    char err[512];
    const char *id = NULL;
    if (!may(op))
        return op->err.st;
    td_status st = done(op, delete_tenant(op, key, &id, err, sizeof(err)), err);
    return audit(op, st, 0, id, NULL, "tenant.delete", NULL);
}

td_status td_tenant_check(td_platform_t *p, td_arena_t *a, const td_tenant_t *t, char *err,
                          size_t errlen) {
    td_db_t *tdb;
    td_status st = td_tenant_open_db(p, a, t->row.id, &tdb, err, errlen);
    if (st)
        return st;
    st = td_db_tenant_ping(tdb, t->services, t->nsvc, err, errlen);
    td_db_close(tdb);
    return st ? st : td_migrate_check(p, a, t->row.id, err, errlen);
}

static td_status rename_tenant(td_platform_t *p, td_arena_t *a, const char *key,
                               const char *name, td_tenant_t *out, char *err, size_t errlen) {
    err[0] = '\0';
    td_db_t *db;
    td_status st = td_name_check(name, err, errlen);
    if (!st)
        st = td_catalog_lease(p->catalog, a, &db);
    if (!st)
        st = load_tenant(db, a, key, out);
    if (!st && !strcmp(out->row.status, "deleted"))
        st = TD_E_NOTFOUND;
    if (!st)
        st = td_cat_tenant_rename(db, out->row.id, name);
    if (!st)
        td_tcache_forget(p, out->row.id);
    return st ? st : load_tenant(db, a, out->row.id, out);
}

/* The live tenant and its database's place, for a service change. */
static td_status service_target(td_platform_t *p, td_arena_t *a, td_db_t *db, const char *key,
                                const char *service, td_tenant_t *t, char *err, size_t errlen) {
    if (!td_service_known(service))
        return fail(err, errlen, TD_E_INVALID, "unknown service '%.40s'", service);
    td_status st = load_tenant(db, a, key, t);
    if (st == TD_E_NOTFOUND || (!st && !strcmp(t->row.status, "deleted")))
        return fail(err, errlen, TD_E_NOTFOUND, "no tenant '%.80s'", key);
    if (!st && strcmp(t->row.status, "active") && strcmp(t->row.status, "suspended"))
        return fail(err, errlen, TD_E_STATE, "tenant is %s", t->row.status);
    return st;
}

td_status td_tenant_rename(td_op_t *op, const char *key, const char *name, td_tenant_t *out) {
    char err[512];
    const td_actor_t *who = &op->actor; /* or the tenant's own admin (onboarding), by id */
    int own = who->tenant_id && key && !strcmp(who->tenant_id, key) && who->role &&
              !strcmp(who->role, "admin");
    if (!own && !may(op))
        return op->err.st;
    td_status st =
        done(op, rename_tenant(op->platform, op->arena, key, name, out, err, sizeof(err)), err);
    return audit(op, st, 0, out->row.id, NULL, "tenant.rename", name);
}

static td_status enable_service(td_platform_t *p, td_arena_t *a, const char *key,
                                const char *service, td_tenant_t *out, char *err, size_t errlen) {
    err[0] = '\0';
    td_db_t *db;
    td_place_t pl;
    td_tenant_cred_t cred;
    td_schema_t schema;
    /* the catalog connection goes back while the tenant's database is
     * changed: the migration below leases its own, and a thread holding
     * two can wait forever on a small catalog pool */
    td_status st = td_catalog_lease(p->catalog, NULL, &db);
    if (!st) {
        st = service_target(p, a, db, key, service, out, err, errlen);
        if (!st)
            st = placement(p, a, db, &out->row, &pl, &cred);
        td_catalog_release(p->catalog, db);
    }
    if (!st && td_service_schema(service, pl.drv->name, &schema))
        st = fail(err, errlen, TD_E_INVALID, "service %s has no schema here", service);
    if (!st)
        st = td_db_tenant_add_service(&pl, out->row.id, &cred, &schema, err, errlen);
    /* a file or schema there already may be behind the code: its pending
     * migrations run as a fleet run's do, and the ledger and the version
     * recorded are what the tenant's database has */
    int from, to;
    if (!st)
        st = td_migrate_service(p, out->row.id, service, NULL, 0, &from, &to, err, errlen);
    if (!st)
        st = td_catalog_lease(p->catalog, a, &db);
    if (!st)
        st = td_cat_tenant_service_set(db, out->row.id, service, 1);
    if (!st && p->pool) /* open handles lack the new service */
        td_pool_forget(p->pool, out->row.id);
    if (!st)
        td_tcache_forget(p, out->row.id);
    if (st && !err[0])
        snprintf(err, errlen, "cannot enable %s: %s", service, td_status_msg(st));
    return st ? st : load_tenant(db, a, out->row.id, out);
}

td_status td_tenant_enable_service(td_op_t *op, const char *key, const char *service,
                                   td_tenant_t *out) {
    char err[512];
    td_tenant_t t;
    if (!may(op))
        return op->err.st;
    if (service && !td_tenant_find(op->platform, op->arena, key, &t) &&
        !td_plan_allows_service(&t.limits, service))
        return td_op_fail(op, TD_E_FORBIDDEN, 403, "service_not_in_plan",
                          "plan %.40s does not include service %.40s", t.row.plan, service);
    td_status st = done(
        op, enable_service(op->platform, op->arena, key, service, out, err, sizeof(err)), err);
    return audit(op, st, 0, out->row.id, service, "service.enable", NULL);
}

static td_status disable_service(td_platform_t *p, td_arena_t *a, const char *key,
                                 const char *service, td_tenant_t *out, char *err, size_t errlen) {
    err[0] = '\0';
    if (service && !strcmp(service, "auth"))
        return fail(err, errlen, TD_E_INVALID, "%s holds the tenant's users: it stays enabled",
                    service);
    td_db_t *db;
    td_status st = td_catalog_lease(p->catalog, a, &db);
    if (!st)
        st = service_target(p, a, db, key, service, out, err, errlen);
    if (!st)
        st = td_cat_tenant_service_set(db, out->row.id, service, 0);
    if (!st && p->pool)
        td_pool_forget(p->pool, out->row.id);
    if (!st)
        td_tcache_forget(p, out->row.id);
    return st ? st : load_tenant(db, a, out->row.id, out);
}

td_status td_tenant_disable_service(td_op_t *op, const char *key, const char *service,
                                    td_tenant_t *out) {
    char err[512];
    if (!may(op))
        return op->err.st;
    td_status st = done(
        op, disable_service(op->platform, op->arena, key, service, out, err, sizeof(err)), err);
    return audit(op, st, 0, out->row.id, service, "service.disable", NULL);
}

td_status td_tenant_set_database(td_op_t *op, const char *key, const char *url,
                                 td_tenant_t *out) {
    char errbuf[512];
    char *err = errbuf;
    size_t errlen = sizeof(errbuf);
    td_platform_t *p = op->platform;
    td_arena_t *a = op->arena;
    if (!may(op))
        return op->err.st;
    err[0] = '\0';
    td_db_t *db;
    td_status st = check_database_url(url, err, errlen);
    if (!st)
        st = td_catalog_lease(p->catalog, a, &db);
    if (!st)
        st = load_tenant(db, a, key, out);
    if (st == TD_E_NOTFOUND || (!st && !strcmp(out->row.status, "deleted")))
        return done(op, fail(err, errlen, TD_E_NOTFOUND, "no tenant '%.80s'", key), err);
    if (!st && strcmp(out->row.status, "provisioning") && strcmp(out->row.status, "failed"))
        return done(op, fail(err, errlen, TD_E_STATE,
                    "tenant is %s: its data would have to move (tenant move), which this does"
                    " not do",
                    out->row.status), err);
    td_key_t tk;
    char *sealed = NULL;
    if (!st)
        st = out->row.wrapped_key ? td_platform_unwrap(p, a, out->row.id, out->row.wrapped_key, &tk)
                                  : TD_E_CRYPTO;
    if (!st)
        st = td_seal(a, &tk, out->row.id, TD_PURPOSE_DB_URL, url, strlen(url), &sealed);
    sodium_memzero(&tk, sizeof(tk));
    /* whatever an unfinished provisioning left at the old place goes first */
    td_place_t old;
    td_tenant_cred_t oldcred;
    if (!st)
        st = placement(p, a, db, &out->row, &old, &oldcred);
    if (!st)
        st = td_db_tenant_drop(&old, out->row.id, err, errlen);
    td_tenant_db_row_t d = {.backend = "postgres", .secret_enc = sealed};
    if (!st)
        st = td_cat_tenant_db_set(db, out->row.id, &d);
    if (!st)
        st = load_tenant(db, a, out->row.id, out);
    int failed = 0;
    if (!st)
        st = provision(op, db, out, NULL, NULL, &failed, err, errlen);
    return audit(op, done(op, st, err), failed, out->row.id, NULL, "tenant.database_set", NULL);
}
