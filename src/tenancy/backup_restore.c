/* backup_restore.c — restoring a backup into a tenant, side by side.
 *
 * SQLite tenants: the backup's services are created anew (from the
 * templates) in a staging folder, <tenants>/.restore-<tag>/<tenant-id>/,
 * and every row is loaded there in one transaction. Only then is a marker
 * written and the staging folder exchanged with the tenant's own in one
 * atomic rename (renameat2 RENAME_EXCHANGE), after the tenant's other
 * files (services not in the backup, its file store) were linked into it.
 * Handles of the old files are closed by the pool (in this process at
 * once, elsewhere when they see their files replaced). A crash before the
 * exchange leaves the tenant as it was and a staging folder the next
 * restore removes; after it, the tenant has the restored data and the
 * next restore removes the leftover.
 *
 * PostgreSQL tenants: one transaction on the tenant's database renames
 * each service's schema aside, makes it anew from the migrations, loads
 * the rows and drops the old schema; a failure rolls all of it back. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sodium.h>
#include <unistd.h>

#include "catalog/backups.h"
#include "common/fault.h"
#include "common/files.h"
#include "common/id.h"
#include "common/log.h"
#include "services/services.h"
#include "tenancy/backup_int.h"
#include "tenancy/tenancy_int.h"

#define MARKER ".td-restore"


static void rm_tree(const char *path) { td_remove_tree(path); }

/* The table of db that a backup's table t names, with t's columns (each
 * must exist there: a backup from a newer schema is refused). */
static td_status target_table(td_rows_table_t *have, size_t nhave, const td_rows_table_t *t,
                              td_rows_table_t *out) {
    for (size_t i = 0; i < nhave; i++) {
        if (strcmp(have[i].service, t->service) || strcmp(have[i].name, t->name))
            continue;
        for (int c = 0; c < t->ncols; c++) {
            int found = 0;
            for (int k = 0; k < have[i].ncols && !found; k++)
                found = !strcmp(have[i].cols[k].name, t->cols[c].name);
            if (!found)
                return TD_E_CONFLICT;
        }
        *out = *t;
        return TD_OK;
    }
    return TD_E_CONFLICT;
}

typedef struct {
    td_op_t *op;
    void *dec;
    td_bk_progress_fn fn;
    void *ctx;
    int64_t rows, total;
    td_rows_table_t *have; /* the target's tables */
    size_t nhave;
} load_t;

/* One table's rows ('T' read already) into db. */
static td_status load_table(load_t *l, td_db_t *db, td_buf_t *buf) {
    td_rows_table_t t, dst;
    td_rows_writer_t *w = NULL;
    td_status st = bk_dec_table(l->dec, l->op->arena, &t);
    if (!st && (st = target_table(l->have, l->nhave, &t, &dst)))
        td_op_fail(l->op, st, 409, "backup_schema_mismatch",
                   "the backup's table %s.%s does not match the tenant's schema", t.service,
                   t.name);
    td_rows_val_t *v = st ? NULL : calloc((size_t)t.ncols, sizeof(*v));
    if (!st && !v)
        st = TD_E_NOMEM;
    if (!st)
        st = td_rows_writer_new(db, &dst, &w);
    char tag = 0;
    int64_t n = 0;
    while (!st && !(st = bk_dec_tag(l->dec, &tag)) && tag == 'R') {
        st = bk_dec_row(l->dec, t.ncols, v, buf);
        if (!st)
            st = td_rows_write(w, v);
        n++, l->rows++;
        if (!st && l->fn && l->rows % 65536 == 0)
            st = l->fn(l->ctx, l->rows, l->total, "rows restored");
        if (!st && l->rows == l->total / 2 + 1)
            TD_FAULT("restore_mid");
    }
    uint64_t want = 0;
    if (!st && tag != 'E')
        st = TD_E_INVALID;
    if (!st)
        st = bk_dec_u64(l->dec, &want);
    if (!st && want != (uint64_t)n)
        st = TD_E_INVALID;
    td_status wst = td_rows_writer_end(w);
    free(v);
    return st ? st : wst;
}

/* Loads the whole stream into db (the services renewed or fresh): every
 * table emptied, then filled; commits only when the stream's checksum and
 * sealed end check out. */
static td_status load_all(load_t *l, td_db_t *db, const td_tenant_t *t, const char *const *svcs,
                          size_t nsvc, int renew) {
    td_buf_t buf;
    td_buf_init(&buf, (size_t)1 << 31);
    td_status st = td_rows_load_begin(db);
    for (size_t s = 0; !st && renew && s < nsvc; s++) {
        td_schema_t sch;
        st = td_service_schema(svcs[s], td_db_dialect(db), &sch);
        if (!st)
            st = td_rows_schema_renew(db, &sch);
    }
    l->nhave = 0;
    const char **idx = td_arena_alloc(l->op->arena, (nsvc + 1) * sizeof(*idx));
    if (!idx)
        st = TD_E_NOMEM;
    for (size_t s = 0; !st && s < nsvc; s++) {
        td_rows_table_t *tt;
        size_t n;
        st = renew ? TD_OK : td_rows_indexes_off(db, l->op->arena, svcs[s], &idx[s]);
        if (!st)
            st = td_rows_tables(db, l->op->arena, svcs[s], &tt, &n);
        for (size_t i = 0; !st && i < n; i++)
            st = td_rows_clear(db, &tt[i]);
        td_rows_table_t *all = st ? NULL : td_arena_alloc(l->op->arena, (l->nhave + n + 1) *
                                                                          sizeof(*all));
        if (all) {
            if (l->nhave)
                memcpy(all, l->have, l->nhave * sizeof(*all));
            if (n)
                memcpy(all + l->nhave, tt, n * sizeof(*all));
            l->have = all, l->nhave += n;
        }
    }
    char tag = 0;
    while (!st && !(st = bk_dec_tag(l->dec, &tag)) && tag == 'T')
        st = load_table(l, db, &buf);
    if (!st)
        st = tag == 'Z' ? bk_dec_end(l->dec) : TD_E_INVALID;
    for (size_t s = 0; !st && !renew && s < nsvc; s++)
        st = td_rows_indexes_on(db, idx[s]);
    for (size_t s = 0; !st && renew && s < nsvc; s++)
        st = td_rows_schema_drop_old(db, svcs[s]);
    if (!st)
        st = td_db_commit(db);
    if (st) {
        td_log(TD_LOG_WARN, "restore failed", "error", td_db_errmsg(db), NULL);
        td_db_rollback(db);
    }
    td_buf_free(&buf);
    (void)t;
    return st;
}

typedef int (*skip_fn)(const char *name, const void *ctx);

static td_status link_tree(const char *from, const char *to);

/* Hard-links each entry of the folder from into the folder to, but those
 * skip names (skip may be NULL). */
static td_status link_entries(const char *from, const char *to, skip_fn skip, const void *ctx) {
    DIR *d = opendir(from);
    if (!d)
        return TD_E_IO;
    td_status st = TD_OK;
    struct dirent *e;
    while (!st && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || (skip && skip(e->d_name, ctx)))
            continue;
        char f[4400], t[4400];
        snprintf(f, sizeof(f), "%s/%s", from, e->d_name);
        snprintf(t, sizeof(t), "%s/%s", to, e->d_name);
        st = link_tree(f, t);
    }
    closedir(d);
    return st;
}

/* Hard-links the tree at from (a folder: the tenant's file store) into to,
 * folder by folder. Nothing live is moved: whatever becomes of the staging
 * folder (removed after a failure, or after the swap as the old copy),
 * the live files keep their other link. */
static td_status link_tree(const char *from, const char *to) {
    struct stat sb;
    if (lstat(from, &sb))
        return TD_E_IO;
    if (!S_ISDIR(sb.st_mode))
        return link(from, to) && errno != EEXIST ? TD_E_IO : TD_OK;
    if (mkdir(to, sb.st_mode & 07777) && errno != EEXIST)
        return TD_E_IO;
    return link_entries(from, to, NULL, NULL);
}

struct restored_set {
    const char *const *svcs;
    size_t nsvc;
};

/* The marker, and the service files the restore replaces. */
static int not_kept(const char *name, const void *ctx) {
    const struct restored_set *r = ctx;
    if (!strcmp(name, MARKER))
        return 1;
    for (size_t s = 0; s < r->nsvc; s++) {
        size_t n = strlen(r->svcs[s]);
        if (!strncmp(name, r->svcs[s], n) && !strncmp(name + n, ".db", 3))
            return 1;
    }
    return 0;
}

/* Links every entry of the live folder that the restore does not replace
 * (other services' files, the tenant's file store) into the staging one. */
static td_status keep_other_files(const char *live, const char *stage, const char *const *svcs,
                                  size_t nsvc) {
    if (access(live, F_OK))
        return errno == ENOENT ? TD_OK : TD_E_IO;
    struct restored_set r = {svcs, nsvc};
    return link_entries(live, stage, not_kept, &r);
}

/* fsync of a file or folder: the staging files were written unsynced. */
static td_status sync_file(const char *path) {
    int fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
    td_status st = fd >= 0 && fsync(fd) == 0 ? TD_OK : TD_E_IO;
    if (fd >= 0)
        close(fd);
    return st;
}

static td_status write_marker(const char *dir, const char *tag) {
    char path[4200];
    snprintf(path, sizeof(path), "%s/" MARKER, dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return TD_E_IO;
    int bad = fputs(tag, f) < 0 || fflush(f) || fsync(fileno(f));
    return fclose(f) || bad ? TD_E_IO : TD_OK;
}

/* The live service file's outbox goes with the restore (db: the staging
 * handle, svc attached under its name): its undrained rows, and its
 * sequence moved on by a margin — the catalog's drain mark counts this
 * tenant's outbox numbers, so a restored file numbering from 1 again
 * would have its next writes taken as drained already, and never audited.
 * The margin covers rows written (and drained) between this copy and the
 * swap. */
static td_status keep_outbox(td_db_t *db, const char *live_file, const char *svc) {
    if (access(live_file, F_OK))
        return TD_OK; /* a service the tenant did not have */
    char sql[512];
    td_status st = td_db_execv(db, NULL, "ATTACH ? AS td_old", live_file, NULL);
    if (st)
        return st;
    snprintf(sql, sizeof(sql), "INSERT INTO \"%s\".td_outbox SELECT * FROM td_old.td_outbox", svc);
    st = td_db_execv(db, NULL, sql, NULL);
    if (!st) {
        snprintf(sql, sizeof(sql), "DELETE FROM \"%s\".sqlite_sequence WHERE name = 'td_outbox'",
                 svc);
        st = td_db_execv(db, NULL, sql, NULL);
    }
    if (!st) {
        snprintf(sql, sizeof(sql),
                 "INSERT INTO \"%s\".sqlite_sequence (name, seq) SELECT 'td_outbox',"
                 " coalesce(max(seq), 0) + 1000000 FROM td_old.sqlite_sequence"
                 " WHERE name = 'td_outbox'",
                 svc);
        st = td_db_execv(db, NULL, sql, NULL);
    }
    td_status dt = td_db_execv(db, NULL, "DETACH td_old", NULL);
    return st ? st : dt;
}

/* Writeback while the load runs: the staging files are written unsynced
 * and synced once at the end, when a 1 GB tenant's pages would all still
 * wait for the disk. A thread asks the kernel every 100 ms to start
 * writing what is dirty (sync_file_range, no wait) but for the files'
 * tails, still being written, so the disk works beside the load and the
 * final fsync finds little left. */
#define PACER_HOT (16 << 20)

typedef struct {
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop;
    int fds[16];
    size_t nfd;
} pacer_t;

static void *pacer_run(void *arg) {
    pacer_t *w = arg;
    pthread_mutex_lock(&w->mu);
    while (!w->stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += 100 * 1000000L;
        if (until.tv_nsec >= 1000000000L)
            until.tv_sec++, until.tv_nsec -= 1000000000L;
        pthread_cond_timedwait(&w->cv, &w->mu, &until);
        for (size_t i = 0; !w->stop && i < w->nfd; i++) {
            struct stat sb;
            if (!fstat(w->fds[i], &sb) && sb.st_size > PACER_HOT)
                sync_file_range(w->fds[i], 0, sb.st_size - PACER_HOT, SYNC_FILE_RANGE_WRITE);
        }
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* Starts the pacer over the staging service files (best effort: a file
 * that does not open is left to the final fsync). */
static int pacer_start(pacer_t *w, td_arena_t *a, const char *stage, const char *const *svcs,
                       size_t nsvc) {
    memset(w, 0, sizeof(*w));
    for (size_t s = 0; s < nsvc && w->nfd < 16; s++) {
        int fd = open(td_arena_printf(a, "%s/%s.db", stage, svcs[s]), O_RDONLY | O_CLOEXEC);
        if (fd >= 0)
            w->fds[w->nfd++] = fd;
    }
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    if (!w->nfd || pthread_create(&w->th, NULL, pacer_run, w)) {
        for (size_t i = 0; i < w->nfd; i++)
            close(w->fds[i]);
        return 0;
    }
    return 1;
}

static void pacer_stop(pacer_t *w) {
    pthread_mutex_lock(&w->mu);
    w->stop = 1;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->th, NULL);
    for (size_t i = 0; i < w->nfd; i++)
        close(w->fds[i]);
}

/* The SQLite way: load into the staging folder, then exchange. */
static td_status restore_sqlite(load_t *l, const td_tenant_t *t, const char *tag,
                                const char *const *svcs, size_t nsvc) {
    td_platform_t *p = l->op->platform;
    td_arena_t *a = l->op->arena;
    char err[300] = "";
    const char *root = td_arena_printf(a, "%s/.restore-%s", p->tenants_dir, tag);
    const char *stage = td_arena_printf(a, "%s/%s", root, t->row.id);
    const char *live = td_arena_printf(a, "%s/%s", p->tenants_dir, t->row.id);
    td_place_t pl = {.drv = &td_sqlite_driver, .root = root, .template_root = p->templates_dir};
    td_schema_t *sch = td_arena_alloc(a, (nsvc + 1) * sizeof(*sch));
    td_db_t *db = NULL;
    /* one restore of a tenant at a time: the staging folder is its own */
    int lock = open(td_arena_printf(a, "%s.lock", root), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lock < 0 || flock(lock, LOCK_EX | LOCK_NB)) {
        if (lock >= 0)
            close(lock);
        return td_op_fail(l->op, TD_E_BUSY, 409, "restore_in_progress",
                          "another restore of this tenant is running");
    }
    rm_tree(root);
    td_status st = sch ? TD_OK : TD_E_NOMEM;
    for (size_t s = 0; !st && s < nsvc; s++)
        st = td_service_schema(svcs[s], "sqlite", &sch[s]);
    if (!st)
        st = td_db_tenant_create(&pl, t->row.id, NULL, sch, nsvc, err, sizeof(err));
    if (!st)
        st = td_db_tenant_open(&pl, t->row.id, NULL, svcs, nsvc, &db, err, sizeof(err));
    for (size_t s = 0; !st && s < nsvc; s++)
        st = td_rows_bulk_mode(db, svcs[s], 1);
    pacer_t pacer;
    int pacing = !st && pacer_start(&pacer, a, stage, svcs, nsvc);
    if (!st)
        st = load_all(l, db, t, svcs, nsvc, 0);
    if (pacing)
        pacer_stop(&pacer);
    for (size_t s = 0; !st && s < nsvc; s++)
        st = td_rows_bulk_mode(db, svcs[s], 0);
    for (size_t s = 0; !st && s < nsvc; s++) /* the big fsyncs, before any write waits */
        st = sync_file(td_arena_printf(a, "%s/%s.db", stage, svcs[s]));
    /* from the live outbox's copy to the exchange this process's writes
     * to the tenant wait (hold.c): none lands in the old files unseen */
    int held = !st && !td_tenant_hold(p, t->row.id, 10000);
    if (!st && !held)
        st = td_op_fail(l->op, TD_E_BUSY, 503, "tenant_busy",
                        "the tenant's writes did not finish in time for the swap; retry");
    for (size_t s = 0; !st && s < nsvc; s++)
        st = keep_outbox(db, td_arena_printf(a, "%s/%s.db", live, svcs[s]), svcs[s]);
    td_db_close(db);
    for (size_t s = 0; !st && s < nsvc; s++)
        st = sync_file(td_arena_printf(a, "%s/%s.db", stage, svcs[s]));
    if (!st)
        st = sync_file(stage);
    if (!st)
        st = keep_other_files(live, stage, svcs, nsvc);
    if (!st)
        st = write_marker(stage, tag); /* (synced: the folder's entries with it) */
    if (!st)
        st = sync_file(stage);
    if (!st && renameat2(AT_FDCWD, stage, AT_FDCWD, live, RENAME_EXCHANGE))
        st = TD_E_IO;
    if (!st)
        st = sync_file(p->tenants_dir); /* the exchange is durable before the old copy goes */
    if (!st) {
        TD_FAULT("restore_swapped");
        if (p->pool)
            td_pool_forget(p->pool, t->row.id);
        char marker[4200];
        snprintf(marker, sizeof(marker), "%s/" MARKER, live);
        unlink(marker);
    }
    if (held)
        td_tenant_unhold(p, t->row.id);
    rm_tree(root);
    close(lock); /* the lock file stays: removing it would race a waiter */
    return st;
}

typedef struct {
    const td_place_t *pl;
    char *err;
    size_t errlen;
} admin_open_t;

static td_status admin_open(void *ctx, const char *tenant_id, td_db_t **out) {
    admin_open_t *c = ctx;
    return td_rows_admin_open(c->pl, tenant_id, out, c->err, c->errlen);
}

/* The PostgreSQL way: one transaction on the tenant's own database. */
static td_status restore_pg(load_t *l, const td_tenant_t *t, const char *const *svcs,
                            size_t nsvc) {
    char err[300] = "";
    td_platform_t *p = l->op->platform;
    td_db_t *db = NULL, *cat;
    td_tenant_db_row_t d;
    td_place_t pl;
    td_status st = td_catalog_lease(p->catalog, l->op->arena, &cat);
    if (!st)
        st = td_cat_tenant_db(cat, l->op->arena, t->row.id, &d);
    /* on a registered server, as its administrative role (the schemas'
     * owner); a database the operator brought, as its own role (its owner) */
    admin_open_t ao = {&pl, err, sizeof(err)};
    if (!st && d.server_id && !(st = td_platform_place(p, l->op->arena, cat, d.server_id, &pl)))
        st = p->pool ? td_pool_lease_counted(p->pool, t->row.id, admin_open, &ao, &db)
                     : admin_open(&ao, t->row.id, &db); /* counted like a request's */
    else if (!st)
        st = td_tenant_open_db(p, l->op->arena, t->row.id, &db, err, sizeof(err));
    if (!st)
        st = load_all(l, db, t, svcs, nsvc, 1);
    td_db_close(db);
    if (!st && p->pool)
        td_pool_forget(p->pool, t->row.id);
    return st;
}

/* The services a backup holds, each enabled on t (409 otherwise). */
static td_status backup_services(td_op_t *op, json_t *h, const td_tenant_t *t,
                                 const char ***out, size_t *n) {
    json_t *arr = json_object_get(h, "services");
    size_t k = json_array_size(arr);
    const char **s = td_arena_alloc(op->arena, (k + 1) * sizeof(*s));
    if (!s || !k)
        return td_op_fail(op, TD_E_INVALID, 400, "invalid_backup", "the backup lists no services");
    for (size_t i = 0; i < k; i++) {
        const char *name = json_string_value(json_object_get(json_array_get(arr, i), "name"));
        int on = 0;
        for (size_t j = 0; name && j < t->nsvc && !on; j++)
            on = !strcmp(t->services[j], name);
        if (!on)
            return td_op_fail(op, TD_E_CONFLICT, 409, "backup_services_differ",
                              "the backup holds service %s, which the tenant does not have "
                              "enabled", name ? name : "?");
        s[i] = td_arena_strdup(op->arena, name);
    }
    *out = s;
    *n = k;
    return TD_OK;
}

td_status td_backup_restore_into(td_op_t *op, const char *path, const td_tenant_t *t,
                                 const char *tag, td_bk_progress_fn fn, void *ctx,
                                 int64_t *rows) {
    char err[256] = "";
    json_t *h = NULL;
    td_key_t tk;
    const char **svcs = NULL;
    size_t nsvc = 0;
    load_t l = {.op = op, .fn = fn, .ctx = ctx};
    if (td_tenant_moving(op->platform, op->arena, t->row.id))
        return td_op_fail(op, TD_E_STATE, 409, "move_in_progress",
                          "the tenant is being moved: finish or abort the move first");
    td_status st = td_bk_read_header(path, &h, err, sizeof(err));
    if (st)
        return td_op_fail(op, st, st == TD_E_NOTFOUND ? 404 : 400,
                          st == TD_E_NOTFOUND ? "backup_not_found" : "invalid_backup", "%s", err);
    memset(&tk, 0, sizeof(tk));
    l.total = json_integer_value(json_object_get(h, "rows"));
    st = backup_services(op, h, t, &svcs, &nsvc);
    if (!st)
        st = td_backup_tenant_key(op, json_string_value(json_object_get(h, "tenant_id")), &tk);
    if (!st && (st = bk_dec_open(path, &tk, &l.dec, err, sizeof(err))))
        td_op_fail(op, st, 400, "invalid_backup", "%s", err);
    if (!st)
        st = strcmp(t->row.backend, "postgres") ? restore_sqlite(&l, t, tag, svcs, nsvc)
                                                : restore_pg(&l, t, svcs, nsvc);
    if (st && !op->err.st) {
        if (st == TD_E_CRYPTO || st == TD_E_INVALID)
            td_op_fail(op, st, 422, "backup_corrupt",
                       "the backup file is damaged or was altered (it failed its checksum); "
                       "the tenant was not changed");
        else
            td_op_fail(op, st, td_op_http_status(st), "restore_failed",
                       "the restore failed (%s); the tenant was not changed",
                       td_status_code(st));
    }
    sodium_memzero(&tk, sizeof(tk));
    bk_dec_close(l.dec);
    json_decref(h);
    *rows = l.rows;
    return st;
}

td_status td_backup_tenant_key(td_op_t *op, const char *tenant_id, td_key_t *out) {
    td_db_t *db;
    td_tenant_row_t row;
    td_status st = tenant_id && td_id_valid(tenant_id) ? TD_OK : TD_E_NOTFOUND;
    if (!st && (st = td_catalog_lease(op->platform->catalog, op->arena, &db)))
        return td_op_fail(op, st, 503, "catalog_unavailable", "the catalog is not reachable");
    if (!st)
        st = td_cat_tenant_get(db, op->arena, tenant_id, &row);
    if (st == TD_E_NOTFOUND || (!st && !row.wrapped_key))
        return td_op_fail(op, TD_E_CRYPTO, 409, "backup_unreadable",
                          "the backup's tenant was deleted and its key destroyed: the backup "
                          "cannot be read");
    if (!st)
        st = td_platform_unwrap(op->platform, op->arena, tenant_id, row.wrapped_key, out);
    return st ? td_op_fail(op, st, 500, "key_unavailable", "the tenant key could not be opened")
              : TD_OK;
}

td_status td_backup_schema_version(td_op_t *op, const char *tenant_id, const char *service,
                                   int *version) {
    td_db_t *db;
    td_status st = td_catalog_lease(op->platform->catalog, op->arena, &db);
    return st ? st : td_cat_schema_version_get(db, tenant_id, service, version);
}
