/* platform.c — opening the control plane (the master key is checked by
 * masterkey.c), database servers and placement, and the token signing
 * keys. Whatever is sealed with the master key here is written inside
 * td_platform_with_master. */
#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit/audit.h"
#include "auth/signing.h"
#include "common/id.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "services/services.h"
#include "tenancy/tenancy_int.h"


/* A replaced signing keyset, kept until close. */
struct td_keyset_node {
    struct td_keyset_node *next;
    td_jwt_keyset_t *ks;
};

static char *join(const char *a, const char *b) {
    char *s = NULL;
    if (asprintf(&s, "%s/%s", a, b) < 0)
        return NULL;
    return s;
}

/* Registers the TENANTD_TENANT_DB_URL server, its URL sealed with the key
 * in force (inside td_platform_with_master). */
typedef struct {
    td_arena_t *a;
    const char *url;
    const char *hint;
    char id[TD_ID_LEN + 1];
    int added; /* not registered before */
} server_reg_t;

static td_status seal_and_register(td_db_t *db, const td_key_t *master, void *ctx) {
    server_reg_t *r = ctx;
    char *enc = NULL;
    td_id_new(r->id);
    td_status st = td_seal_with_id(r->a, master, r->hint, TD_PURPOSE_SERVER_URL, r->url,
                                   strlen(r->url), &enc);
    td_server_row_t s = {.id = r->id, .name = r->hint, .url_hint = r->hint, .url_enc = enc};
    return st ? st : td_cat_server_ensure(db, &s, &r->added);
}

/* Registers the server at url (once: by its redacted URL as name). */
static td_status register_url(td_platform_t *p, td_db_t *db, const char *url, char *err,
                              size_t errlen) {
    char hint[512];
    td_db_url_redact(url, hint, sizeof(hint));
    server_reg_t r = {.a = td_arena_new(0), .url = url, .hint = hint};
    td_status st = r.a ? td_platform_with_master(p, db, seal_and_register, &r, err, errlen)
                       : TD_E_NOMEM;
    if (!st && r.added) { /* a new server: the platform's audit chain (its redacted URL) */
        td_op_t op = {.platform = p, .actor = {.kind = TD_ACTOR_SYSTEM}, .arena = r.a};
        st = td_audit_record(&op, NULL, NULL, "dbserver.register", "db_servers", r.id, "ok", hint);
    }
    if (st && !err[0])
        snprintf(err, errlen, "cannot register database server %s: %s", hint, td_status_msg(st));
    td_arena_destroy(r.a);
    return st;
}

static td_status register_server(td_platform_t *p, td_db_t *db, char *err, size_t errlen) {
    const char *url = p->cfg->tenant_db_url;
    return td_db_url_is_postgres(url) ? register_url(p, db, url, err, errlen) : TD_OK;
}

td_status td_platform_register_server(td_platform_t *p, const char *url, char *err,
                                      size_t errlen) {
    td_db_t *db;
    td_status st = td_catalog_lease(p->catalog, NULL, &db);
    if (st)
        return st;
    st = register_url(p, db, url, err, errlen);
    td_catalog_release(p->catalog, db);
    return st;
}

/* Loads the signing keys into ctx (a td_jwt_keyset_t), making the first
 * set when the catalog has none (inside td_platform_with_master). */
static td_status load_signing(td_db_t *db, const td_key_t *master, void *ctx) {
    return td_signing_load(db, master, ctx);
}

td_status td_platform_open(td_platform_t *p, const td_config_t *cfg, int init, char *err,
                           size_t errlen) {
    memset(p, 0, sizeof(*p));
    p->cfg = cfg;
    pthread_mutex_init(&p->key_mu, NULL);
    pthread_mutex_init(&p->jwt_mu, NULL);
    if (mkdir(cfg->data, 0700) && errno != EEXIST) {
        snprintf(err, errlen, "cannot create data folder %s: %s", cfg->data, strerror(errno));
        return TD_E_IO;
    }
    p->tenants_dir = join(cfg->data, "tenants");
    p->templates_dir = join(cfg->data, "templates");
    p->master_key_path = join(cfg->data, "master.key");
    p->holds = td_holds_new();
    p->catalog_url = cfg->catalog_url[0] ? strdup(cfg->catalog_url) : join(cfg->data, "catalog.db");
    if (!p->tenants_dir || !p->templates_dir || !p->master_key_path || !p->catalog_url)
        return TD_E_NOMEM;
    td_status st = td_services_load(cfg->services_dir, err, errlen);
    if (!st)
        st = td_master_key_load(cfg->master_key, p->master_key_path, init, &p->master, err,
                                errlen);
    if (!st)
        st = td_catalog_open(p->catalog_url, (int)cfg->catalog_connections, &p->catalog, err, errlen);
    td_db_t *db = NULL;
    if (!st)
        st = td_catalog_lease(p->catalog, NULL, &db);
    if (!st)
        st = td_platform_verify_key(p, db, init, err, errlen);
    size_t n = 0;
    const char *const *names = td_services_names(&n);
    for (size_t i = 0; !st && i < n; i++)
        st = td_cat_service_register(db, names[i], td_service_latest_version(names[i], "sqlite"));
    if (!st)
        st = register_server(p, db, err, errlen);
    td_jwt_keyset_t *ks = st ? NULL : calloc(1, sizeof(*ks));
    if (!st && !ks)
        st = TD_E_NOMEM;
    if (!st && (st = td_platform_with_master(p, db, load_signing, ks, err, errlen)) && !err[0])
        snprintf(err, errlen, "cannot load the token signing keys: %s", td_status_msg(st));
    if (!st)
        atomic_store(&p->jwt, ks);
    else
        free(ks);
    if (db)
        td_catalog_release(p->catalog, db);
    if (st && !err[0])
        snprintf(err, errlen, "cannot open the catalog: %s", td_status_msg(st));
    return st;
}

void td_platform_close(td_platform_t *p) {
    td_pool_free(p->pool);
    td_tcache_free(p->tcache);
    td_holds_free(p->holds);
    td_catalog_close(p->catalog);
    free(p->tenants_dir);
    free(p->templates_dir);
    free(p->master_key_path);
    free(p->catalog_url);
    sodium_memzero(&p->master, sizeof(p->master));
    td_jwt_keyset_t *ks = atomic_load(&p->jwt);
    if (ks) {
        sodium_memzero(ks, sizeof(*ks));
        free(ks);
    }
    for (struct td_keyset_node *n = p->jwt_old, *next; n; n = next) {
        next = n->next;
        sodium_memzero(n->ks, sizeof(*n->ks));
        free(n->ks);
        free(n);
    }
    pthread_mutex_destroy(&p->jwt_mu);
    pthread_mutex_destroy(&p->key_mu);
    td_audit_mem_free(atomic_load(&p->audit_mem));
    memset(p, 0, sizeof(*p));
}

static td_status pool_open(void *ctx, const char *tenant_id, td_db_t **out) {
    td_platform_t *p = ctx;
    td_arena_t *a = td_arena_new(0);
    char err[256];
    td_status st = a ? td_tenant_open_bare(p, a, tenant_id, out, err, sizeof(err)) : TD_E_NOMEM;
    if (st)
        td_log(TD_LOG_WARN, "tenant database unavailable", "tenant_id", tenant_id, "error", err,
               NULL);
    td_arena_destroy(a);
    return st;
}

/* The pool's locate: the registered server a tenant's database is on,
 * or "" (SQLite tenants, brought databases, and tenants not found — whose
 * open then fails on its own). SQLite tenants cost a tenant cache lookup. */
static td_status pool_locate(void *ctx, const char *tenant_id, char *out, size_t n) {
    td_platform_t *p = ctx;
    td_arena_t *a = td_arena_new(0);
    td_tenant_t t;
    td_tenant_db_row_t d = {0};
    td_db_t *db;
    out[0] = '\0';
    td_status st = a ? td_tenant_find_cached(p, a, tenant_id, &t) : TD_E_NOMEM;
    if (!st && t.row.backend && strcmp(t.row.backend, "postgres") == 0) {
        st = td_catalog_lease(p->catalog, a, &db);
        if (!st)
            st = td_cat_tenant_db(db, a, tenant_id, &d);
        if (!st && d.server_id)
            snprintf(out, n, "%s", d.server_id);
    }
    td_arena_destroy(a);
    return st == TD_E_NOTFOUND ? TD_OK : st;
}

/* This process's share of a server's connections: what max_connections
 * leaves to ordinary roles (minus superuser_reserved_connections and, on
 * PostgreSQL 16, reserved_connections), minus pool_server_reserve, times
 * pool_server_share percent, minus the catalog's own connections when the
 * catalog lives on that server; at least 1. */
static long budget_of(td_platform_t *p, const td_db_limits_t *l, const char *url, long *catalog) {
    long usable = l->max_connections - l->superuser_reserved - l->reserved -
                  p->cfg->pool_server_reserve;
    *catalog = td_db_same_server(p->catalog_url, url) ? p->cfg->catalog_connections : 0;
    long b = usable * p->cfg->pool_server_share / 100 - *catalog;
    return b < 1 ? 1 : b;
}

/* The pool's size: reads the server's limits on its admin URL and logs
 * the budget, once per server and process. */
static td_status pool_size(void *ctx, const char *server, size_t *budget) {
    td_platform_t *p = ctx;
    td_arena_t *a = td_arena_new(0);
    td_db_t *db;
    td_server_row_t s;
    td_place_t pl;
    td_db_limits_t lim;
    char err[256] = "";
    td_status st = a ? td_catalog_lease(p->catalog, a, &db) : TD_E_NOMEM;
    if (!st)
        st = td_cat_server_get(db, a, server, &s);
    if (!st)
        st = td_platform_place(p, a, db, server, &pl);
    if (!st)
        st = td_db_server_limits(pl.root, &lim, err, sizeof(err));
    if (st) {
        td_log(TD_LOG_WARN, "cannot read a database server's connection limit", "server_id",
               server, "error", err[0] ? err : td_status_msg(st), NULL);
    } else {
        long catalog, b = budget_of(p, &lim, pl.root, &catalog);
        char v[6][24];
        snprintf(v[0], sizeof(v[0]), "%ld", lim.max_connections);
        snprintf(v[1], sizeof(v[1]), "%ld", lim.superuser_reserved + lim.reserved);
        snprintf(v[2], sizeof(v[2]), "%ld", p->cfg->pool_server_reserve);
        snprintf(v[3], sizeof(v[3]), "%ld", p->cfg->pool_server_share);
        snprintf(v[4], sizeof(v[4]), "%ld", catalog);
        snprintf(v[5], sizeof(v[5]), "%ld", b);
        td_log(TD_LOG_INFO, "database server connection budget", "server_id", server, "server",
               s.name, "max_connections", v[0], "reserved_by_server", v[1], "reserve", v[2],
               "share_percent", v[3], "catalog", v[4], "budget", v[5], NULL);
        *budget = (size_t)b;
    }
    td_arena_destroy(a);
    return st;
}

/* ---- the handle budget ---------------------------------------------------- */

#define FDS_PER_HANDLE 4        /* a service file and its -wal, two services' worth of -shm */
#define FDS_KEPT 5120           /* HTTP connections (at most 4096), catalog, logs, jobs */
#define BYTES_PER_HANDLE 131072 /* an idle SQLite handle, with room to spare (bench/RESULTS.md) */
#define BUDGET_MIN 64
#define BUDGET_MAX 100000

/* Bytes this process may use: the cgroup's memory limit when there is
 * one, else the memory the kernel says is available; 0 when unknown. */
static uint64_t memory_allowed(void) {
    uint64_t avail = 0, lim = 0;
    char line[256];
    FILE *f = fopen("/proc/meminfo", "r");
    while (f && fgets(line, sizeof(line), f))
        if (sscanf(line, "MemAvailable: %" SCNu64 " kB", &avail) == 1) {
            avail *= 1024;
            break;
        }
    if (f)
        fclose(f);
    if ((f = fopen("/sys/fs/cgroup/memory.max", "r"))) { /* "max" when unlimited */
        if (fscanf(f, "%" SCNu64, &lim) != 1)
            lim = 0;
        fclose(f);
    }
    return lim && (!avail || lim < avail) ? lim : avail;
}

size_t td_pool_budget_auto(size_t *by_fds, size_t *by_memory) {
    struct rlimit rl;
    uint64_t fds = getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur == RLIM_INFINITY
                       ? (uint64_t)BUDGET_MAX * FDS_PER_HANDLE + FDS_KEPT
                       : (uint64_t)rl.rlim_cur;
    uint64_t f = fds > FDS_KEPT + BUDGET_MIN * FDS_PER_HANDLE ? (fds - FDS_KEPT) / FDS_PER_HANDLE
                                                              : BUDGET_MIN;
    uint64_t mem = memory_allowed();
    uint64_t m = mem ? mem / 4 / BYTES_PER_HANDLE : BUDGET_MAX; /* a quarter of it */
    *by_fds = (size_t)f;
    *by_memory = (size_t)m;
    uint64_t b = f < m ? f : m;
    return (size_t)(b < BUDGET_MIN ? BUDGET_MIN : b > BUDGET_MAX ? BUDGET_MAX : b);
}

void td_raise_nofile(void) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

td_status td_platform_start_pool(td_platform_t *p) {
    size_t max = (size_t)p->cfg->pool_max;
    if (!max) {
        size_t by_fds, by_mem;
        char v[3][24];
        max = td_pool_budget_auto(&by_fds, &by_mem);
        snprintf(v[0], sizeof(v[0]), "%zu", max);
        snprintf(v[1], sizeof(v[1]), "%zu", by_fds);
        snprintf(v[2], sizeof(v[2]), "%zu", by_mem);
        td_log(TD_LOG_INFO, "tenant handle budget", "pool_max", v[0], "by_fds", v[1],
               "by_memory", v[2], NULL);
    }
    p->pool = td_pool_new(max, pool_open, p);
    p->tcache = td_tcache_new();
    if (!p->pool || !p->tcache)
        return TD_E_NOMEM;
    td_pool_set_servers(p->pool, pool_locate, pool_size);
    td_pool_set_wait_ms(p->pool, (unsigned)p->cfg->pool_wait_ms);
    td_pool_set_queue_max(p->pool, (size_t)p->cfg->pool_queue_max);
    td_pool_set_trim_ms(p->pool, (unsigned)p->cfg->pool_trim_ms);
    td_pool_set_tenant_max(p->pool, (size_t)p->cfg->pool_tenant_max);
    return td_pool_start_trimmer(p->pool);
}

/* A counted connection's opener: the tenant's database with every enabled
 * service usable (what td_tenant_open_db promises). */
typedef struct {
    td_platform_t *p;
    char *err;
    size_t errlen;
} counted_open_t;

static td_status open_all(void *ctx, const char *tenant_id, td_db_t **out) {
    counted_open_t *c = ctx;
    td_arena_t *a = td_arena_new(0);
    td_tenant_t t = {0};
    td_status st = a ? td_tenant_find(c->p, a, tenant_id, &t) : TD_E_NOMEM;
    if (!st)
        st = td_tenant_open_bare(c->p, a, tenant_id, out, c->err, c->errlen);
    for (size_t i = 0; !st && i < t.nsvc; i++)
        if ((st = td_db_tenant_attach(*out, t.services[i], c->err, c->errlen))) {
            td_db_close(*out);
            *out = NULL;
        }
    td_arena_destroy(a);
    return st;
}

td_status td_platform_open_counted(td_platform_t *p, const char *tenant_id, td_db_t **out,
                                   char *err, size_t errlen) {
    counted_open_t c = {p, err, errlen};
    err[0] = '\0';
    td_status st = td_pool_lease_counted(p->pool, tenant_id, open_all, &c, out);
    if (st == TD_E_BUSY)
        snprintf(err, errlen, "every connection to the tenant's database server is in use");
    else if (st && !err[0])
        snprintf(err, errlen, "tenant %s: %s", tenant_id, td_status_msg(st));
    return st;
}

td_status td_platform_place(td_platform_t *p, td_arena_t *a, td_db_t *db, const char *server_id,
                            td_place_t *out) {
    if (!server_id) { /* the local folder (SQLite files) */
        *out = (td_place_t){.drv = td_db_driver_for_url(""), .root = p->tenants_dir,
                            .template_root = p->templates_dir};
        return TD_OK;
    }
    td_server_row_t s;
    td_status st = td_cat_server_get(db, a, server_id, &s);
    unsigned char *url;
    size_t n;
    if (!st)
        st = td_platform_open_sealed(p, a, s.name, TD_PURPOSE_SERVER_URL, s.url_enc, &url, &n);
    if (!st)
        *out = (td_place_t){.drv = td_db_driver_for_url((const char *)url),
                            .root = (const char *)url};
    return st;
}

td_status td_platform_check_servers(td_platform_t *p, td_arena_t *a, td_check_cb cb, void *ctx) {
    td_db_t *db;
    td_status st = td_catalog_lease(p->catalog, a, &db);
    td_server_row_t *rows = NULL;
    size_t n = 0;
    if (!st)
        st = td_cat_server_list(db, a, &rows, &n);
    int bad = 0;
    for (size_t i = 0; !st && i < n; i++) {
        td_place_t pl;
        char err[256] = "";
        int64_t t0 = td_mono_ns();
        td_status r = td_platform_place(p, a, db, rows[i].id, &pl);
        if (!r)
            r = td_db_place_check(&pl, err, sizeof(err));
        td_check_t c = {"server", rows[i].id, rows[i].name, r,
                        r ? (err[0] ? err : td_status_msg(r)) : "reachable",
                        (double)(td_mono_ns() - t0) / 1e6};
        cb(ctx, &c);
        bad += r != TD_OK;
    }
    return st ? st : bad ? TD_E_UNAVAILABLE : TD_OK;
}

const td_jwt_keyset_t *td_platform_keys(td_platform_t *p) { return atomic_load(&p->jwt); }

/* Installs ks as the set in force, keeping the old one alive (lock held). */
static void install_keys(td_platform_t *p, td_jwt_keyset_t *ks) {
    struct td_keyset_node *n = malloc(sizeof(*n));
    if (!n) {
        free(ks);
        return;
    }
    n->ks = atomic_exchange(&p->jwt, ks);
    n->next = p->jwt_old;
    p->jwt_old = n;
}

void td_platform_reload_keys(td_platform_t *p, int64_t min_interval) {
    int64_t now = td_now_ms() / 1000;
    pthread_mutex_lock(&p->jwt_mu);
    if (now - p->jwt_checked >= min_interval) {
        p->jwt_checked = now;
        td_jwt_keyset_t *ks = calloc(1, sizeof(*ks));
        td_db_t *db;
        char err[256] = "";
        if (ks && td_catalog_lease(p->catalog, NULL, &db) == TD_OK) {
            td_status st = td_platform_with_master(p, db, load_signing, ks, err, sizeof(err));
            td_catalog_release(p->catalog, db);
            const td_jwt_keyset_t *cur = atomic_load(&p->jwt);
            if (!st && (ks->n != cur->n || strcmp(ks->keys[0].kid, cur->keys[0].kid)))
                install_keys(p, ks), ks = NULL;
        }
        if (ks)
            sodium_memzero(ks, sizeof(*ks));
        free(ks);
    }
    pthread_mutex_unlock(&p->jwt_mu);
}

typedef struct {
    int64_t grace;
    td_jwt_keyset_t *ks;
} signing_rotation_t;

static td_status rotate_signing(td_db_t *db, const td_key_t *master, void *ctx) {
    signing_rotation_t *r = ctx;
    return td_signing_rotate(db, master, td_now_ms() / 1000, r->grace, r->ks);
}

td_status td_platform_rotate_signing(td_platform_t *p, int64_t grace, char *err, size_t errlen) {
    signing_rotation_t r = {.grace = grace, .ks = calloc(1, sizeof(td_jwt_keyset_t))};
    td_db_t *db;
    td_status st = r.ks ? td_catalog_lease(p->catalog, NULL, &db) : TD_E_NOMEM;
    if (!st) {
        st = td_platform_with_master(p, db, rotate_signing, &r, err, errlen);
        td_catalog_release(p->catalog, db);
    }
    if (st) {
        if (!err[0])
            snprintf(err, errlen, "cannot rotate the signing keys: %s", td_status_msg(st));
        free(r.ks);
        return st;
    }
    pthread_mutex_lock(&p->jwt_mu);
    install_keys(p, r.ks);
    pthread_mutex_unlock(&p->jwt_mu);
    return TD_OK;
}
