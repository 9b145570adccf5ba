/* platform.c — opening the control plane, the master key and its check,
 * database servers and placement, and master key rotation. */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

#define KEY_CHECK_OWNER "catalog"
#define KEY_CHECK_TEXT "tenantd master key check"

static char *join(const char *a, const char *b) {
    char *s = NULL;
    if (asprintf(&s, "%s/%s", a, b) < 0)
        return NULL;
    return s;
}

/* 0 when the sealed check value opens with key. */
static int key_matches(const td_key_t *key, const char *check) {
    td_arena_t *a = td_arena_new(0);
    unsigned char *pt;
    size_t n;
    int ok = a && td_open(a, key, KEY_CHECK_OWNER, TD_PURPOSE_KEY_CHECK, check, &pt, &n) == TD_OK;
    td_arena_destroy(a);
    return ok ? 0 : -1;
}

static td_status seal_check(td_arena_t *a, const td_key_t *key, char **out) {
    return td_seal(a, key, KEY_CHECK_OWNER, TD_PURPOSE_KEY_CHECK, KEY_CHECK_TEXT,
                   strlen(KEY_CHECK_TEXT), out);
}

/* Verifies the master key against the catalog's check value, recording
 * one when the catalog has none yet (first start). A rotation that crashed
 * after re-wrapping but before installing the new key file left it in
 * master.key.new: finish it here. */
static td_status verify_key(td_platform_t *p, td_db_t *db, int init, char *err, size_t errlen) {
    td_arena_t *a = td_arena_new(0);
    char *check = NULL;
    td_status st = td_cat_config_get(db, a, "master_key_check", &check);
    if (st == TD_E_NOTFOUND && (init || p->cfg->master_key[0])) {
        st = seal_check(a, &p->master, &check);
        if (!st)
            st = td_cat_config_set(db, "master_key_check", check);
    } else if (st == TD_E_NOTFOUND) {
        snprintf(err, errlen, "the catalog has no master key record: run `tenantd init` first");
        st = TD_E_KEY;
    } else if (!st && key_matches(&p->master, check)) {
        char next[4200];
        td_key_t k;
        char e2[64];
        snprintf(next, sizeof(next), "%s.new", p->master_key_path);
        if (!p->cfg->master_key[0] && td_master_key_load(NULL, next, 0, &k, e2, sizeof(e2)) == 0 &&
            key_matches(&k, check) == 0 && rename(next, p->master_key_path) == 0) {
            p->master = k;
        } else {
            snprintf(err, errlen,
                     "the master key does not match this catalog (wrong TENANTD_MASTER_KEY or "
                     "master.key?): refusing to start");
            st = TD_E_KEY;
        }
        sodium_memzero(&k, sizeof(k));
    }
    td_arena_destroy(a);
    return st;
}

static td_status register_server(td_platform_t *p, td_db_t *db, char *err, size_t errlen) {
    const char *url = p->cfg->tenant_db_url;
    if (!td_db_url_is_postgres(url))
        return TD_OK;
    td_arena_t *a = td_arena_new(0);
    char hint[512], id[TD_ID_LEN + 1];
    td_db_url_redact(url, hint, sizeof(hint));
    td_id_new(id);
    td_server_row_t s = {.id = id, .name = hint, .url_hint = hint};
    char *enc = NULL;
    td_status st = td_seal(a, &p->master, hint, TD_PURPOSE_SERVER_URL, url, strlen(url), &enc);
    s.url_enc = enc;
    if (!st)
        st = td_cat_server_ensure(db, &s);
    if (st)
        snprintf(err, errlen, "cannot register database server %s: %s", hint, td_status_msg(st));
    td_arena_destroy(a);
    return st;
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
    p->catalog_url = cfg->catalog_url[0] ? strdup(cfg->catalog_url) : join(cfg->data, "catalog.db");
    if (!p->tenants_dir || !p->templates_dir || !p->master_key_path || !p->catalog_url)
        return TD_E_NOMEM;
    td_status st = td_services_load(cfg->services_dir, err, errlen);
    if (!st)
        st = td_master_key_load(cfg->master_key, p->master_key_path, init, &p->master, err,
                                errlen);
    if (!st)
        st = td_catalog_open(p->catalog_url, 16, &p->catalog, err, errlen);
    td_db_t *db = NULL;
    if (!st)
        st = td_catalog_lease(p->catalog, NULL, &db);
    if (!st)
        st = verify_key(p, db, init, err, errlen);
    size_t n = 0;
    const char *const *names = td_services_names(&n);
    for (size_t i = 0; !st && i < n; i++)
        st = td_cat_service_register(db, names[i], td_service_latest_version(names[i], "sqlite"));
    if (!st)
        st = register_server(p, db, err, errlen);
    td_jwt_keyset_t *ks = st ? NULL : calloc(1, sizeof(*ks));
    if (!st && !ks)
        st = TD_E_NOMEM;
    if (!st && (st = td_signing_load(db, &p->master, ks)))
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

td_status td_platform_start_pool(td_platform_t *p) {
    p->pool = td_pool_new((size_t)p->cfg->pool_max, pool_open, p);
    p->tcache = td_tcache_new();
    return p->pool && p->tcache ? TD_OK : TD_E_NOMEM;
}

/* Re-reads the master key when a rotation may have replaced it; returns 0
 * when the key in force changed. */
int td_platform_reload_key(td_platform_t *p) {
    if (p->cfg->master_key[0])
        return -1;
    td_key_t k;
    char err[128];
    if (td_master_key_load(NULL, p->master_key_path, 0, &k, err, sizeof(err)))
        return -1;
    pthread_mutex_lock(&p->key_mu);
    int changed = sodium_memcmp(k.k, p->master.k, sizeof(k.k)) != 0;
    if (changed)
        p->master = k;
    pthread_mutex_unlock(&p->key_mu);
    sodium_memzero(&k, sizeof(k));
    return changed ? 0 : -1;
}

td_status td_platform_unwrap(td_platform_t *p, td_arena_t *a, const char *tenant_id,
                             const char *wrapped, td_key_t *out) {
    for (int attempt = 0; attempt < 2; attempt++) {
        pthread_mutex_lock(&p->key_mu);
        td_key_t mk = p->master;
        pthread_mutex_unlock(&p->key_mu);
        td_status st = td_key_unwrap(a, &mk, tenant_id, wrapped, out);
        sodium_memzero(&mk, sizeof(mk));
        if (st != TD_E_CRYPTO || attempt || td_platform_reload_key(p))
            return st;
    }
    return TD_E_CRYPTO;
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
    if (!st) {
        pthread_mutex_lock(&p->key_mu);
        td_key_t mk = p->master;
        pthread_mutex_unlock(&p->key_mu);
        st = td_open(a, &mk, s.name, TD_PURPOSE_SERVER_URL, s.url_enc, &url, &n);
        sodium_memzero(&mk, sizeof(mk));
    }
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
        td_status r = td_platform_place(p, a, db, rows[i].id, &pl);
        if (!r)
            r = td_db_place_check(&pl, err, sizeof(err));
        cb(ctx, "server", rows[i].name, r, r ? (err[0] ? err : td_status_msg(r)) : "reachable");
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
        pthread_mutex_lock(&p->key_mu);
        td_key_t mk = p->master;
        pthread_mutex_unlock(&p->key_mu);
        if (ks && td_catalog_lease(p->catalog, NULL, &db) == TD_OK) {
            td_status st = td_signing_load(db, &mk, ks);
            td_catalog_release(p->catalog, db);
            const td_jwt_keyset_t *cur = atomic_load(&p->jwt);
            if (!st && (ks->n != cur->n || strcmp(ks->keys[0].kid, cur->keys[0].kid)))
                install_keys(p, ks), ks = NULL;
        }
        free(ks);
        sodium_memzero(&mk, sizeof(mk));
    }
    pthread_mutex_unlock(&p->jwt_mu);
}

td_status td_platform_rotate_signing(td_platform_t *p, int64_t grace, char *err, size_t errlen) {
    td_jwt_keyset_t *ks = calloc(1, sizeof(*ks));
    td_db_t *db;
    td_status st = ks ? td_catalog_lease(p->catalog, NULL, &db) : TD_E_NOMEM;
    if (!st) {
        pthread_mutex_lock(&p->key_mu);
        td_key_t mk = p->master;
        pthread_mutex_unlock(&p->key_mu);
        st = td_signing_rotate(db, &mk, td_now_ms() / 1000, grace, ks);
        sodium_memzero(&mk, sizeof(mk));
        td_catalog_release(p->catalog, db);
    }
    if (st) {
        snprintf(err, errlen, "cannot rotate the signing keys: %s", td_status_msg(st));
        free(ks);
        return st;
    }
    pthread_mutex_lock(&p->jwt_mu);
    install_keys(p, ks);
    pthread_mutex_unlock(&p->jwt_mu);
    return TD_OK;
}

/* Rotation order, chosen so that a crash anywhere leaves a usable key:
 * 1) the new key is written to master.key.new; 2) one catalog transaction
 * re-wraps every tenant key and replaces the key check; 3) master.key.new
 * is renamed over master.key. A crash after 2 is finished at the next
 * start (verify_key); a crash before it leaves the old key in force. */
td_status td_platform_rotate_key(td_platform_t *p, td_arena_t *a, char *new_b64, size_t b64len,
                                 size_t *rewrapped, char *err, size_t errlen) {
    td_key_t nk;
    td_key_random(&nk);
    char next[4200];
    snprintf(next, sizeof(next), "%s.new", p->master_key_path);
    int env_key = p->cfg->master_key[0] != '\0';
    td_status st = env_key ? TD_OK : td_master_key_write(next, &nk);
    if (st)
        snprintf(err, errlen, "cannot write %s: %s", next, strerror(errno));
    td_db_t *db = NULL;
    if (!st)
        st = td_catalog_lease(p->catalog, a, &db);
    const char **ids = NULL, **wrapped = NULL;
    size_t n = 0;
    if (!st)
        st = td_db_begin(db, TD_DB_WRITE);
    int in_txn = !st;
    if (!st)
        st = td_cat_tenant_keys(db, a, &ids, &wrapped, &n);
    for (size_t i = 0; !st && i < n; i++) {
        td_key_t tk;
        char *w;
        st = td_key_unwrap(a, &p->master, ids[i], wrapped[i], &tk);
        if (!st)
            st = td_key_wrap(a, &nk, ids[i], &tk, &w);
        sodium_memzero(&tk, sizeof(tk));
        if (!st)
            st = td_cat_tenant_set_key(db, ids[i], w);
        if (st)
            snprintf(err, errlen, "cannot re-wrap the key of tenant %s: %s", ids[i],
                     td_status_msg(st));
    }
    char *check = NULL;
    if (!st)
        st = seal_check(a, &nk, &check);
    if (!st)
        st = td_cat_config_set(db, "master_key_check", check);
    /* server URLs are sealed with the master key too */
    td_server_row_t *srv = NULL;
    size_t ns = 0;
    if (!st)
        st = td_cat_server_list(db, a, &srv, &ns);
    for (size_t i = 0; !st && i < ns; i++) {
        unsigned char *url;
        size_t len;
        char *enc;
        st = td_open(a, &p->master, srv[i].name, TD_PURPOSE_SERVER_URL, srv[i].url_enc, &url, &len);
        if (!st)
            st = td_seal(a, &nk, srv[i].name, TD_PURPOSE_SERVER_URL, url, len, &enc);
        if (!st)
            st = td_db_execv(db, NULL, "UPDATE db_servers SET url_enc = ? WHERE id = ?", enc,
                             srv[i].id, NULL);
    }
    if (!st)
        st = td_signing_reseal(db, a, &p->master, &nk);
    if (!st)
        st = td_db_commit(db);
    if (st && in_txn)
        td_db_rollback(db);
    if (!st && !env_key && rename(next, p->master_key_path)) {
        snprintf(err, errlen, "re-wrapped, but cannot install the new key file: %s", strerror(errno));
        st = TD_E_IO;
    }
    if (st && !env_key)
        unlink(next);
    if (!st) {
        pthread_mutex_lock(&p->key_mu);
        p->master = nk;
        pthread_mutex_unlock(&p->key_mu);
        if (new_b64)
            td_key_b64(&nk, new_b64, b64len);
        *rewrapped = n;
    }
    if (st && !err[0])
        snprintf(err, errlen, "key rotation failed: %s", td_status_msg(st));
    sodium_memzero(&nk, sizeof(nk));
    return st;
}
