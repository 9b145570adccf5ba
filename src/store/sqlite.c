/* sqlite.c — the SQLite driver (libsqlite3).
 *
 * A tenant is a folder <root>/<tenant-id>/ with one file per service
 * (crm.db, auth.db…). Opening a tenant gives one connection whose main
 * database is in memory and every service file is attached under the
 * service's name, so SQL says crm.customers as on PostgreSQL. Files are
 * created by copying a template: a freshly migrated, closed database kept
 * in <template_root>/<service>-<hash>.db, where the hash covers the
 * migrations' versions and text, so a changed migration makes a new
 * template. Every file appears by rename(2) of a complete, fsynced copy, so
 * a crash never leaves a half-written service file under its final name. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/files.h"
#include "common/id.h"
#include "store/sqlite_int.h"
#include "store/store.h"

/* Prepared statements are kept per connection and reused when the same
 * SQL text comes again (the engine's queries repeat): a reused statement
 * is reset and its bindings cleared when the caller finalizes it. */
#define STMT_CACHE 32
#define STMT_CACHE_SQL_MAX 65536 /* event batches insert 100 rows per statement */

typedef struct lite_stmt lite_stmt;

typedef struct {
    uint64_t hash;
    char *sql;
    lite_stmt *s;
    int busy; /* handed out, not finalized yet */
} cached_stmt;

#define ATTACH_MAX LITE_FILES_MAX

typedef struct {
    td_db_t base;
    sqlite3 *db;
    cached_stmt cache[STMT_CACHE];
    unsigned victim; /* round-robin eviction */
    /* a tenant handle: its folder and the service files attached so far,
     * with the identity of each file when it was attached */
    char *folder;
    char attached[ATTACH_MAX][33];
    dev_t dev[ATTACH_MAX];
    ino_t ino[ATTACH_MAX];
    int nattached;
    int broken; /* a file was found corrupt, missing or unreadable */
    lite_writers_t *writers; /* a tenant handle: its folder's write queue */
    int writing;             /* this handle has the folder's write turn */
} lite_db;

struct lite_stmt {
    td_stmt_t base;
    lite_db *owner;
    sqlite3_stmt *st;
    int64_t changes;
    cached_stmt *slot; /* NULL when not cached */
};

static td_status map_rc(int rc) {
    switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_DONE:
    case SQLITE_ROW: return TD_OK;
    case SQLITE_NOMEM: return TD_E_NOMEM;
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return TD_E_BUSY;
    case SQLITE_CONSTRAINT:
        return (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
                   ? TD_E_EXISTS
                   : TD_E_CONFLICT;
    case SQLITE_CANTOPEN:
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
    case SQLITE_IOERR: return TD_E_UNAVAILABLE;
    default: return TD_E_DB;
    }
}

/* map_rc for a result of l's connection: an error that says its files
 * cannot be read marks the handle broken, so the pool closes it. */
static td_status lite_rc(lite_db *l, int rc) {
    td_status st = map_rc(rc);
    if (st == TD_E_UNAVAILABLE)
        l->broken = 1;
    return st;
}

static const char *lite_path(const char *url) {
    return strncmp(url, "sqlite:", 7) == 0 ? url + 7 : url;
}

/* Before SQLite's first use: no global memory statistics (every
 * allocation would otherwise take one process-wide mutex), and no page
 * cache allocated ahead: by default each database's cache starts with a
 * block of 20 pages (80 KB) whether it ever holds them or not, which is
 * most of an idle tenant handle's memory (bench/RESULTS.md). */
static void configure_once(void) {
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    sqlite3_config(SQLITE_CONFIG_PAGECACHE, NULL, 0, 0);
}

static td_status open_raw(const char *path, int flags, int sqlite_flags, lite_db **out, char *err,
                          size_t errlen) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, configure_once);
    lite_db *l = calloc(1, sizeof(*l));
    if (!l)
        return TD_E_NOMEM;
    l->base.drv = &td_sqlite_driver;
    int rc = sqlite3_open_v2(path, &l->db, sqlite_flags | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "cannot open %s: %s", path,
                 l->db ? sqlite3_errmsg(l->db) : sqlite3_errstr(rc));
        sqlite3_close(l->db);
        free(l);
        return TD_E_UNAVAILABLE;
    }
    sqlite3_busy_timeout(l->db, 5000);
    sqlite3_extended_result_codes(l->db, 1);
    const char *pragmas = (flags & TD_DB_CATALOG)
                              ? "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                                " PRAGMA foreign_keys=ON; PRAGMA case_sensitive_like=ON;"
                              : "PRAGMA foreign_keys=ON; PRAGMA case_sensitive_like=ON;";
    rc = sqlite3_exec(l->db, pragmas, NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "cannot open %s: %s", path, sqlite3_errmsg(l->db));
        sqlite3_close(l->db);
        free(l);
        return TD_E_UNAVAILABLE;
    }
    *out = l;
    return TD_OK;
}

static td_status lite_open(const char *url, int flags, td_db_t **out, char *err, size_t errlen) {
    lite_db *l;
    td_status rc = open_raw(lite_path(url), flags, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                            &l, err, errlen);
    if (!rc)
        *out = &l->base;
    return rc;
}

/* Finalizes a cached statement and empties its slot. */
static void slot_free(cached_stmt *c) {
    sqlite3_finalize(c->s->st);
    free(c->s);
    free(c->sql);
    memset(c, 0, sizeof(*c));
}

static void lite_close(td_db_t *db) {
    lite_db *l = (lite_db *)db;
    /* a damaged handle writes nothing more: closing would checkpoint its
     * WAL into whatever now lies at the files' paths */
    if (l->broken)
        sqlite3_db_config(l->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
    for (int i = 0; i < STMT_CACHE; i++)
        if (l->cache[i].s)
            slot_free(&l->cache[i]);
    sqlite3_close(l->db);
    if (l->writing)
        lite_writers_leave(l->writers);
    lite_writers_put(l->writers);
    free(l->folder);
    free(l);
}

/* An idle handle's cached pages and statements go back to the allocator;
 * the next query reads what it needs again (from the OS page cache) and
 * prepares its statement again. */
static void lite_trim(td_db_t *db) {
    lite_db *l = (lite_db *)db;
    for (int i = 0; i < STMT_CACHE; i++)
        if (l->cache[i].s && !l->cache[i].busy)
            slot_free(&l->cache[i]);
    sqlite3_db_release_memory(l->db);
}

static td_status lite_exec(td_db_t *db, const char *sql) {
    lite_db *l = (lite_db *)db;
    return lite_rc(l, sqlite3_exec(l->db, sql, NULL, NULL, NULL));
}

static uint64_t sql_hash(const char *s, size_t *len) {
    uint64_t h = 1469598103934665603ULL;
    const char *p = s;
    for (; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    *len = (size_t)(p - s);
    return h;
}

/* A free cache slot for new SQL: an empty one, else an idle one in turn;
 * NULL when every slot is handed out. */
static cached_stmt *cache_slot(lite_db *l) {
    for (int i = 0; i < STMT_CACHE; i++)
        if (!l->cache[i].s)
            return &l->cache[i];
    for (int k = 0; k < STMT_CACHE; k++) {
        cached_stmt *c = &l->cache[l->victim++ % STMT_CACHE];
        if (!c->busy) {
            slot_free(c);
            return c;
        }
    }
    return NULL;
}

static td_status lite_prepare(td_db_t *db, const char *sql, td_stmt_t **out) {
    lite_db *l = (lite_db *)db;
    size_t len;
    uint64_t h = sql_hash(sql, &len);
    for (int i = 0; len <= STMT_CACHE_SQL_MAX && i < STMT_CACHE; i++) {
        cached_stmt *c = &l->cache[i];
        if (c->s && !c->busy && c->hash == h && !strcmp(c->sql, sql)) {
            c->busy = 1;
            c->s->changes = 0;
            *out = &c->s->base;
            return TD_OK;
        }
    }
    lite_stmt *s = calloc(1, sizeof(*s));
    if (!s)
        return TD_E_NOMEM;
    const char *tail = NULL;
    int rc = sqlite3_prepare_v2(l->db, sql, -1, &s->st, &tail);
    if (rc != SQLITE_OK) {
        free(s);
        td_status m = lite_rc(l, rc);
        return m ? m : TD_E_DB;
    }
    s->base.drv = &td_sqlite_driver;
    s->owner = l;
    cached_stmt *c = len <= STMT_CACHE_SQL_MAX && tail && !*tail ? cache_slot(l) : NULL;
    if (c && (c->sql = strdup(sql))) {
        c->hash = h;
        c->s = s;
        c->busy = 1;
        s->slot = c;
    }
    *out = &s->base;
    return TD_OK;
}

#define ST(x) (((lite_stmt *)(x))->st)

static td_status lite_bind_text(td_stmt_t *st, int i, const char *v) {
    return map_rc(sqlite3_bind_text(ST(st), i, v, -1, SQLITE_TRANSIENT));
}
static td_status lite_bind_int64(td_stmt_t *st, int i, int64_t v) {
    return map_rc(sqlite3_bind_int64(ST(st), i, v));
}
static td_status lite_bind_null(td_stmt_t *st, int i) { return map_rc(sqlite3_bind_null(ST(st), i)); }
static td_status lite_bind_blob(td_stmt_t *st, int i, const void *p, size_t n) {
    return map_rc(sqlite3_bind_blob64(ST(st), i, p, n, SQLITE_TRANSIENT));
}

/* A write outside a transaction commits when its statement is done: with
 * synchronous=NORMAL its files are synced here, as lite_commit does (all
 * of the handle's files: which ones it wrote is not known afterwards). */
static td_status implicit_sync(lite_db *l) {
    char files[ATTACH_MAX][33];
    for (int i = 0; i < l->nattached; i++)
        memcpy(files[i], l->attached[i], sizeof(files[0]));
    return l->nattached ? lite_writers_sync(l->writers, files, l->nattached) : TD_OK;
}

static int lite_step(td_stmt_t *st) {
    lite_stmt *s = (lite_stmt *)st;
    lite_db *l = s->owner;
    int implicit = l->writers && sqlite3_get_autocommit(l->db) && !sqlite3_stmt_readonly(s->st);
    int rc = sqlite3_step(s->st);
    if (rc == SQLITE_ROW)
        return TD_DB_ROW;
    if (rc == SQLITE_DONE) {
        s->changes = sqlite3_changes64(s->owner->db);
        td_status synced = implicit ? implicit_sync(l) : TD_OK;
        return synced ? (int)synced : TD_DB_DONE;
    }
    td_status m = lite_rc(s->owner, sqlite3_extended_errcode(s->owner->db));
    return m ? m : TD_E_DB;
}

static int lite_column_count(td_stmt_t *st) { return sqlite3_column_count(ST(st)); }
static const char *lite_column_name(td_stmt_t *st, int c) { return sqlite3_column_name(ST(st), c); }
static int lite_column_is_null(td_stmt_t *st, int c) {
    return sqlite3_column_type(ST(st), c) == SQLITE_NULL;
}
static const char *lite_column_text(td_stmt_t *st, int c) {
    return (const char *)sqlite3_column_text(ST(st), c);
}
static int64_t lite_column_int64(td_stmt_t *st, int c) { return sqlite3_column_int64(ST(st), c); }
static double lite_column_double(td_stmt_t *st, int c) { return sqlite3_column_double(ST(st), c); }
static const void *lite_column_blob(td_stmt_t *st, int c, size_t *len) {
    const void *p = sqlite3_column_blob(ST(st), c);
    *len = (size_t)sqlite3_column_bytes(ST(st), c);
    return p;
}
static int64_t lite_changes(td_stmt_t *st) { return ((lite_stmt *)st)->changes; }
static void lite_finalize(td_stmt_t *st) {
    lite_stmt *s = (lite_stmt *)st;
    if (s->slot) { /* back to the cache, ready for the next caller */
        sqlite3_reset(s->st);
        sqlite3_clear_bindings(s->st);
        s->slot->busy = 0;
        return;
    }
    sqlite3_finalize(s->st);
    free(s);
}
static const char *lite_errmsg(td_db_t *db) { return sqlite3_errmsg(((lite_db *)db)->db); }
/* The write turn ends with the transaction (sqlite_writers.c). */
static void end_turn(lite_db *l) {
    if (l->writing && sqlite3_get_autocommit(l->db)) {
        l->writing = 0;
        lite_writers_leave(l->writers);
    }
}

/* A write transaction of a tenant handle first waits its turn among the
 * folder's writers in this process, then takes SQLite's lock. */
static td_status lite_begin(td_db_t *db, td_db_txn_kind k) {
    lite_db *l = (lite_db *)db;
    if (k == TD_DB_WRITE && l->writers && !l->writing) {
        td_status st = lite_writers_enter(l->writers);
        if (st)
            return st;
        l->writing = 1;
    }
    td_status st = lite_exec(db, k == TD_DB_WRITE ? "BEGIN IMMEDIATE" : "BEGIN");
    end_turn(l); /* BEGIN failed: no transaction holds the turn */
    return st;
}
/* The service files the open transaction wrote. */
static int written_files(lite_db *l, char (*out)[33]) {
    int n = 0;
    for (int i = 0; i < l->nattached; i++)
        if (sqlite3_txn_state(l->db, l->attached[i]) == SQLITE_TXN_WRITE)
            memcpy(out[n++], l->attached[i], sizeof(out[0]));
    return n;
}

/* COMMIT, then the turn goes to the next writer while this one waits for
 * the shared fdatasync that makes its commit durable. */
static td_status lite_commit(td_db_t *db) {
    lite_db *l = (lite_db *)db;
    char files[ATTACH_MAX][33];
    int n = l->writers ? written_files(l, files) : 0;
    td_status st = lite_exec(db, "COMMIT");
    end_turn(l); /* a failed COMMIT stays open until ROLLBACK */
    if (!st && n)
        st = lite_writers_sync(l->writers, files, n);
    return st;
}
static td_status lite_rollback(td_db_t *db) {
    td_status st = lite_exec(db, "ROLLBACK");
    end_turn((lite_db *)db);
    return st;
}

/* ---- tenant files ---- */

static int valid_service_name(const char *s) {
    if (!s || !(*s >= 'a' && *s <= 'z') || strlen(s) > 32)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return 0;
    return 1;
}

static td_status check_names(const char *tid, const char *svc, char *err, size_t errlen) {
    if (!td_id_valid(tid) || (svc && !valid_service_name(svc))) {
        snprintf(err, errlen, "invalid tenant id or service name");
        return TD_E_INVALID;
    }
    return TD_OK;
}

static td_status mkdir_p(const char *path) {
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s", path);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0700) && errno != EEXIST)
                return TD_E_IO;
            *p = '/';
        }
    return (mkdir(tmp, 0700) && errno != EEXIST) ? TD_E_IO : TD_OK;
}

static td_status fsync_path(const char *path, int dir) {
    int fd = open(path, dir ? (O_RDONLY | O_DIRECTORY) : O_RDONLY);
    if (fd < 0)
        return TD_E_IO;
    int rc = fsync(fd);
    close(fd);
    return rc ? TD_E_IO : TD_OK;
}

/* The template's name: service + hash of every migration's version and SQL. */
static void template_path(const td_place_t *pl, const td_schema_t *svc, char *out, size_t n) {
    unsigned char h[8];
    crypto_generichash_state gs;
    crypto_generichash_init(&gs, NULL, 0, sizeof(h));
    for (size_t i = 0; i < svc->n; i++) {
        char v[16];
        snprintf(v, sizeof(v), "%d:", svc->migs[i].version);
        crypto_generichash_update(&gs, (const unsigned char *)v, strlen(v));
        crypto_generichash_update(&gs, (const unsigned char *)svc->migs[i].sql,
                                  strlen(svc->migs[i].sql));
    }
    crypto_generichash_final(&gs, h, sizeof(h));
    char hex[17];
    sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
    snprintf(out, n, "%s/%s-%s.db", pl->template_root, svc->name, hex);
}

/* Builds the template for svc unless it exists: migrate a temporary file,
 * switch it to WAL, close it (which checkpoints), then rename. */
static td_status ensure_template(const td_place_t *pl, const td_schema_t *svc, char *path,
                                 size_t pathlen, char *err, size_t errlen) {
    template_path(pl, svc, path, pathlen);
    if (access(path, R_OK) == 0)
        return TD_OK;
    if (mkdir_p(pl->template_root)) {
        snprintf(err, errlen, "cannot create template folder: %s", strerror(errno));
        return TD_E_IO;
    }
    char tmp[4200], rnd[17];
    td_random_hex(rnd, 8);
    if (snprintf(tmp, sizeof(tmp), "%s.%s.tmp", path, rnd) >= (int)sizeof(tmp)) {
        snprintf(err, errlen, "template path too long");
        return TD_E_INVALID;
    }
    lite_db *l;
    td_status rc = open_raw(tmp, 0, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &l, err, errlen);
    if (rc)
        return rc;
    int v;
    rc = td_db_migrate(&l->base, svc->name, svc->migs, svc->n, &v, err, errlen);
    if (!rc)
        rc = lite_exec(&l->base, "PRAGMA journal_mode=WAL");
    lite_close(&l->base);
    if (!rc && (fsync_path(tmp, 0) || rename(tmp, path))) {
        snprintf(err, errlen, "cannot install template %s: %s", path, strerror(errno));
        rc = TD_E_IO;
    }
    if (rc)
        unlink(tmp);
    return rc;
}

static td_status copy_file(const char *from, const char *to) {
    int in = open(from, O_RDONLY);
    if (in < 0)
        return TD_E_IO;
    int out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    td_status rc = out < 0 ? TD_E_IO : TD_OK;
    char buf[65536];
    ssize_t r;
    while (!rc && (r = read(in, buf, sizeof(buf))) != 0) {
        if (r < 0 || write(out, buf, (size_t)r) != r)
            rc = TD_E_IO;
    }
    if (!rc && fsync(out))
        rc = TD_E_IO;
    if (out >= 0)
        close(out);
    close(in);
    return rc;
}

/* Copies svc's template into the tenant's folder unless the file is there.
 * With sync_dir the folder is synced at once; otherwise the caller syncs
 * it once after several files. */
static td_status add_service_file(const td_place_t *pl, const char *tid, const td_schema_t *svc,
                                  int sync_dir, char *err, size_t errlen) {
    td_status rc = check_names(tid, svc->name, err, errlen);
    if (rc)
        return rc;
    char dir[4096], dst[4200], tmp[4300], tpl[4200];
    snprintf(dir, sizeof(dir), "%s/%s", pl->root, tid);
    snprintf(dst, sizeof(dst), "%s/%s.db", dir, svc->name);
    if (access(dst, F_OK) == 0)
        return TD_OK; /* a complete file: it only ever appears by rename */
    int fresh = access(dir, F_OK) != 0;
    /* a new folder is durable only once its parent is synced */
    if (mkdir_p(dir) || (fresh && fsync_path(pl->root, 1))) {
        snprintf(err, errlen, "cannot create tenant folder: %s", strerror(errno));
        return TD_E_IO;
    }
    rc = ensure_template(pl, svc, tpl, sizeof(tpl), err, errlen);
    if (rc)
        return rc;
    snprintf(tmp, sizeof(tmp), "%s.tmp", dst);
    if (copy_file(tpl, tmp) || rename(tmp, dst) || (sync_dir && fsync_path(dir, 1))) {
        snprintf(err, errlen, "cannot write %s file: %s", svc->name, strerror(errno));
        unlink(tmp);
        return TD_E_IO;
    }
    return TD_OK;
}

static td_status lite_tenant_create(const td_place_t *pl, const char *tid,
                                    const td_tenant_cred_t *cred, const td_schema_t *svcs,
                                    size_t n, char *err, size_t errlen) {
    if (n > 10 || pl->dedicated) {
        snprintf(err, errlen, pl->dedicated ? "a brought database must be PostgreSQL"
                                            : "SQLite attaches at most 10 service files per tenant");
        return TD_E_INVALID;
    }
    td_status rc = TD_OK;
    for (size_t i = 0; i < n && !rc; i++)
        rc = add_service_file(pl, tid, &svcs[i], 0, err, errlen);
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s/%s", pl->root, tid);
    if (!rc && fsync_path(dir, 1)) { /* one sync makes every rename durable */
        snprintf(err, errlen, "cannot sync the tenant folder: %s", strerror(errno));
        rc = TD_E_IO;
    }
    return rc;
}

static td_status lite_tenant_add_service(const td_place_t *pl, const char *tid,
                                         const td_tenant_cred_t *cred, const td_schema_t *svc,
                                         char *err, size_t errlen) {
    return add_service_file(pl, tid, svc, 1, err, errlen);
}

static td_status lite_tenant_drop(const td_place_t *pl, const char *tid, char *err,
                                  size_t errlen) {
    td_status rc = check_names(tid, NULL, err, errlen);
    if (rc)
        return rc;
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s/%s", pl->root, tid);
    /* the service files and the file store's folders (cms media), deepest
     * first; a folder already gone is fine */
    if (td_remove_tree(dir))
        rc = TD_E_IO;
    if (!rc)
        rc = fsync_path(pl->root, 1);
    if (rc)
        snprintf(err, errlen, "cannot remove tenant folder: %s", strerror(errno));
    return rc;
}

/* Appends path to out as a file: URI, escaping what URIs reserve. */
static void file_uri(const char *path, char *out, size_t n) {
    size_t j = snprintf(out, n, "file:");
    for (const char *p = path; *p && j + 4 < n; p++) {
        if (*p == '%' || *p == '?' || *p == '#')
            j += snprintf(out + j, n - j, "%%%02X", (unsigned char)*p);
        else
            out[j++] = *p;
    }
    snprintf(out + j, n - j, "?mode=rw");
}

/* NULL when the file just attached as service holds a schema; else why
 * not. ATTACH reads nothing: a zero-length file would be taken for an
 * empty database, and a damaged one found only by the first query. */
static const char *attached_schema(lite_db *l, const char *service) {
    char sql[128];
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s.sqlite_master", service);
    sqlite3_stmt *st;
    int64_t n = -1;
    if (sqlite3_prepare_v2(l->db, sql, -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW)
            n = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    return n < 0 ? sqlite3_errmsg(l->db) : n == 0 ? "its file holds no schema" : NULL;
}

/* 1 while every attached file is still the one attached (same device and
 * inode, not emptied) and nothing said the files are damaged, and no
 * transaction is left open. A file removed, replaced or truncated under a
 * live handle makes it unusable: the pool then closes it, and the next
 * request opens what is there now. */
static int lite_usable(td_db_t *db) {
    lite_db *l = (lite_db *)db;
    if (l->broken || !sqlite3_get_autocommit(l->db))
        return 0;
    for (int i = 0; l->folder && i < l->nattached; i++) {
        char path[4200];
        struct stat sb;
        snprintf(path, sizeof(path), "%s/%s.db", l->folder, l->attached[i]);
        if (stat(path, &sb) || sb.st_dev != l->dev[i] || sb.st_ino != l->ino[i] ||
            !sb.st_size) {
            l->broken = 1;
            return 0;
        }
    }
    return 1;
}

/* Attaches the tenant's service file under the service's name, unless it
 * is attached already. */
static td_status lite_tenant_attach(td_db_t *db, const char *service, char *err, size_t errlen) {
    lite_db *l = (lite_db *)db;
    for (int i = 0; i < l->nattached; i++)
        if (!strcmp(l->attached[i], service))
            return TD_OK;
    if (!l->folder) {
        snprintf(err, errlen, "not a tenant handle");
        return TD_E_INVALID;
    }
    if (!valid_service_name(service)) {
        snprintf(err, errlen, "invalid service name");
        return TD_E_INVALID;
    }
    if (l->nattached == ATTACH_MAX) {
        snprintf(err, errlen, "SQLite attaches at most %d service files per tenant", ATTACH_MAX);
        return TD_E_INVALID;
    }
    char path[4200], uri[8600], sql[200];
    snprintf(path, sizeof(path), "%s/%s.db", l->folder, service);
    file_uri(path, uri, sizeof(uri));
    snprintf(sql, sizeof(sql), "ATTACH ? AS %s", service);
    sqlite3_stmt *st;
    int r = sqlite3_prepare_v2(l->db, sql, -1, &st, NULL);
    if (r == SQLITE_OK) {
        sqlite3_bind_text(st, 1, uri, -1, SQLITE_TRANSIENT);
        r = sqlite3_step(st);
        sqlite3_finalize(st);
    }
    if (r != SQLITE_DONE) {
        snprintf(err, errlen, "cannot open %s: %s", service, sqlite3_errmsg(l->db));
        l->broken = 1;
        return TD_E_UNAVAILABLE;
    }
    struct stat sb;
    const char *why = stat(path, &sb)   ? "its file is gone"
                      : !sb.st_size     ? "its file is empty"
                                        : attached_schema(l, service);
    if (why) { /* the handle stays as it was: without this service */
        snprintf(err, errlen, "cannot open %s: %s", service, why);
        snprintf(sql, sizeof(sql), "DETACH %s", service);
        sqlite3_exec(l->db, sql, NULL, NULL, NULL);
        l->broken = 1;
        return TD_E_UNAVAILABLE;
    }
    l->dev[l->nattached] = sb.st_dev;
    l->ino[l->nattached] = sb.st_ino;
    /* a handle with its folder's write queue syncs the -wal itself, once
     * for every writer that committed meanwhile (lite_writers_sync): the
     * same durability as FULL, one fdatasync shared */
    snprintf(sql, sizeof(sql), "PRAGMA %s.synchronous=%s", service,
             l->writers ? "NORMAL" : "FULL");
    sqlite3_exec(l->db, sql, NULL, NULL, NULL);
    /* keep the -wal and -shm files when the last handle closes: a tenant
     * opened again (pool eviction, then a request) reuses them instead of
     * creating and unlinking two files each time */
    int persist = 1;
    sqlite3_file_control(l->db, service, SQLITE_FCNTL_PERSIST_WAL, &persist);
    snprintf(l->attached[l->nattached++], sizeof(l->attached[0]), "%s", service);
    /* the schema's pages were read to parse it and are not needed again:
     * gone now, they leave no hole among the allocations that stay */
    sqlite3_db_release_memory(l->db);
    return TD_OK;
}

/* An in-memory main database with the listed service files attached
 * (more can be attached later: lite_tenant_attach). */
static td_status lite_tenant_open(const td_place_t *pl, const char *tid,
                                  const td_tenant_cred_t *cred, const char *const *services,
                                  size_t n, td_db_t **out, char *err, size_t errlen) {
    td_status rc = check_names(tid, NULL, err, errlen);
    if (rc)
        return rc;
    lite_db *l = NULL;
    rc = open_raw(":memory:", 0, SQLITE_OPEN_READWRITE | SQLITE_OPEN_URI, &l, err, errlen);
    if (!rc && !(l->folder = malloc(strlen(pl->root) + strlen(tid) + 2)))
        rc = TD_E_NOMEM;
    if (!rc) {
        sprintf(l->folder, "%s/%s", pl->root, tid);
        l->writers = lite_writers_get(l->folder);
    }
    for (size_t i = 0; i < n && !rc; i++) {
        char why[300];
        if ((rc = lite_tenant_attach(&l->base, services[i], why, sizeof(why))))
            snprintf(err, errlen, "tenant %s: %s", tid, why);
    }
    if (rc) {
        if (l)
            lite_close(&l->base);
        return rc;
    }
    *out = &l->base;
    return TD_OK;
}

/* A service file opened alone as main, for its migrations (they name
 * their tables unqualified: the file is the service). Never created. */
static td_status lite_tenant_open_admin(const td_place_t *pl, const char *tid, const char *service,
                                        td_db_t **out, char *err, size_t errlen) {
    td_status rc = check_names(tid, service, err, errlen);
    if (rc)
        return rc;
    char path[4200];
    snprintf(path, sizeof(path), "%s/%s/%s.db", pl->root, tid, service);
    if (access(path, F_OK)) {
        snprintf(err, errlen, "tenant %s has no %s file", tid, service);
        return TD_E_NOTFOUND;
    }
    lite_db *l;
    rc = open_raw(path, 0, SQLITE_OPEN_READWRITE, &l, err, errlen);
    if (rc)
        return rc;
    /* the commit syncs the -wal (synchronous FULL): that is the migration
     * made durable. Closing leaves the frames there for the next handle
     * (no checkpoint: two syncs and the file's rewrite saved per tenant)
     * and keeps the -wal and -shm files, as the pool's handles do */
    int one = 1;
    sqlite3_db_config(l->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
    sqlite3_file_control(l->db, "main", SQLITE_FCNTL_PERSIST_WAL, &one);
    *out = &l->base;
    return TD_OK;
}

static int lite_tenant_exists(const td_place_t *pl, const char *tid) {
    char dir[4096];
    if (!td_id_valid(tid))
        return 0;
    snprintf(dir, sizeof(dir), "%s/%s", pl->root, tid);
    return access(dir, F_OK) == 0;
}

static td_status lite_place_check(const td_place_t *pl, char *err, size_t errlen) {
    if (mkdir_p(pl->root) || access(pl->root, W_OK)) {
        snprintf(err, errlen, "tenant folder %s is not writable: %s", pl->root, strerror(errno));
        return TD_E_IO;
    }
    return TD_OK;
}

/* Reads each attached file's schema and runs SQLite's quick check on it:
 * a missing, truncated or corrupted service file fails here. */
static td_status lite_tenant_ping(td_db_t *db, const char *const *services, size_t n, char *err,
                                  size_t errlen) {
    lite_db *l = (lite_db *)db;
    for (size_t i = 0; i < n; i++) {
        if (!valid_service_name(services[i]))
            return TD_E_INVALID;
        char sql[128];
        snprintf(sql, sizeof(sql), "PRAGMA %s.quick_check", services[i]);
        sqlite3_stmt *st;
        int rc = sqlite3_prepare_v2(l->db, sql, -1, &st, NULL);
        int ok = 0;
        if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
            ok = strcmp((const char *)sqlite3_column_text(st, 0), "ok") == 0;
        if (rc == SQLITE_OK)
            sqlite3_finalize(st);
        if (!ok) {
            snprintf(err, errlen, "service %s: %s", services[i],
                     rc == SQLITE_OK ? "integrity check failed" : sqlite3_errmsg(l->db));
            return TD_E_UNAVAILABLE;
        }
    }
    return TD_OK;
}

/* Bulk append (td_db_insert_rows) inside the caller's transaction: a
 * statement of up to 64 rows prepared once per call (and one for the
 * rest), values bound without a copy (they outlive each step): no SQL text
 * and no allocation per value. */
static td_status lite_insert_rows(td_db_t *db, const char *table, const char *cols, int ncols,
                                  const char *const *vals, size_t nrows) {
    lite_db *l = (lite_db *)db;
    sqlite3_stmt *st = NULL;
    size_t per = 0, most = 3000 / (size_t)ncols ? 3000 / (size_t)ncols : 1;
    int rc = SQLITE_OK;
    most = most < 64 ? most : 64;
    for (size_t i = 0; rc == SQLITE_OK && i < nrows; i += per) {
        size_t n = nrows - i < most ? nrows - i : most;
        if (n != per) { /* the first chunk, or the last shorter one */
            char *sql = td_db_values_sql(table, cols, ncols, n);
            sqlite3_finalize(st);
            st = NULL;
            rc = sql ? sqlite3_prepare_v2(l->db, sql, -1, &st, NULL) : SQLITE_NOMEM;
            free(sql);
            per = n;
        }
        const char *const *v = vals + i * (size_t)ncols;
        for (int k = 0; rc == SQLITE_OK && k < (int)n * ncols; k++)
            rc = v[k] ? sqlite3_bind_text(st, k + 1, v[k], -1, SQLITE_STATIC)
                      : sqlite3_bind_null(st, k + 1);
        if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_DONE)
            rc = sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_OK ? TD_OK : lite_rc(l, rc == SQLITE_NOMEM ? rc : sqlite3_extended_errcode(l->db));
}

const td_db_driver_t td_sqlite_driver = {
    .version = TD_DB_DRIVER_VERSION,
    .name = "sqlite",
    .open = lite_open,
    .close = lite_close,
    .exec = lite_exec,
    .prepare = lite_prepare,
    .bind_text = lite_bind_text,
    .bind_int64 = lite_bind_int64,
    .bind_null = lite_bind_null,
    .bind_blob = lite_bind_blob,
    .step = lite_step,
    .column_count = lite_column_count,
    .column_name = lite_column_name,
    .column_is_null = lite_column_is_null,
    .column_text = lite_column_text,
    .column_int64 = lite_column_int64,
    .column_blob = lite_column_blob,
    .changes = lite_changes,
    .finalize = lite_finalize,
    .errmsg = lite_errmsg,
    .begin = lite_begin,
    .commit = lite_commit,
    .rollback = lite_rollback,
    .tenant_create = lite_tenant_create,
    .tenant_add_service = lite_tenant_add_service,
    .tenant_drop = lite_tenant_drop,
    .tenant_open = lite_tenant_open,
    .tenant_exists = lite_tenant_exists,
    .place_check = lite_place_check,
    .tenant_ping = lite_tenant_ping,
    .column_double = lite_column_double,
    .tenant_attach = lite_tenant_attach,
    .usable = lite_usable,
    .trim = lite_trim,
    .insert_rows = lite_insert_rows,
    .tenant_open_admin = lite_tenant_open_admin,
};
