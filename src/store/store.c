/* store.c — the td_db_* wrappers, URL helpers and the migration runner.
 *
 * Callers never touch a driver's struct: every call passes through here,
 * which is where argument checks and (in test builds) faults belong. */
#include "store/store.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/timeutil.h"
#include "store/postgres_int.h" /* PG_LOCK_MIGRATE */

int td_db_url_is_postgres(const char *url) {
    return url && (strncmp(url, "postgres://", 11) == 0 || strncmp(url, "postgresql://", 13) == 0);
}

const td_db_driver_t *td_db_driver_for_url(const char *url) {
    return td_db_url_is_postgres(url) ? &td_postgres_driver : &td_sqlite_driver;
}

static void put_bounded(char *out, size_t n, size_t *o, const char *s, size_t len) {
    for (size_t i = 0; i < len && *o + 1 < n; i++)
        out[(*o)++] = s[i];
    out[*o < n ? *o : n - 1] = '\0';
}

/* Copies url into out with the password of its user info and any
 * password= query parameter replaced by "***". */
void td_db_url_redact(const char *url, char *out, size_t n) {
    size_t o = 0;
    if (n == 0)
        return;
    out[0] = '\0';
    const char *p = strstr(url, "://");
    const char *auth = p ? p + 3 : url;
    const char *end = auth + strcspn(auth, "/?#");
    const char *at = NULL;
    for (const char *q = auth; q < end; q++)
        if (*q == '@')
            at = q;
    const char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
    if (colon) {
        put_bounded(out, n, &o, url, (size_t)(colon + 1 - url));
        put_bounded(out, n, &o, "***", 3);
        p = at;
    } else {
        p = url;
    }
    for (;;) {
        const char *k = strstr(p, "password=");
        if (!k) {
            put_bounded(out, n, &o, p, strlen(p));
            return;
        }
        put_bounded(out, n, &o, p, (size_t)(k - p) + 9);
        put_bounded(out, n, &o, "***", 3);
        p = k + 9 + strcspn(k + 9, "&#");
    }
}

td_status td_db_open(const char *url, int flags, td_db_t **out, char *err, size_t errlen) {
    return td_db_driver_for_url(url)->open(url, flags, out, err, errlen);
}
void td_db_close(td_db_t *db) {
    if (!db)
        return;
    void (*fn)(void *) = db->on_close;
    void *ctx = db->on_close_ctx;
    db->drv->close(db);
    if (fn)
        fn(ctx);
}

void td_db_on_close(td_db_t *db, void (*fn)(void *ctx), void *ctx) {
    db->on_close = fn;
    db->on_close_ctx = ctx;
}
const char *td_db_dialect(const td_db_t *db) { return db->drv->name; }

/* SQLite locks the whole database for a write transaction (BEGIN
 * IMMEDIATE); PostgreSQL locks rows it is told to. */
const char *td_db_for_update(const td_db_t *db) {
    return db->drv == &td_postgres_driver ? " FOR UPDATE" : "";
}
/* PostgreSQL has no group_concat; SQLite has no string_agg. */
const char *td_db_text_agg(const td_db_t *db) {
    return db->drv == &td_postgres_driver ? "string_agg" : "group_concat";
}
td_status td_db_exec(td_db_t *db, const char *sql) { return db->drv->exec(db, sql); }
td_status td_db_prepare(td_db_t *db, const char *sql, td_stmt_t **out) {
    return db->drv->prepare(db, sql, out);
}
td_status td_db_bind_text(td_stmt_t *st, int idx, const char *v) {
    return v ? st->drv->bind_text(st, idx, v) : st->drv->bind_null(st, idx);
}
td_status td_db_bind_int64(td_stmt_t *st, int idx, int64_t v) {
    return st->drv->bind_int64(st, idx, v);
}
td_status td_db_bind_null(td_stmt_t *st, int idx) { return st->drv->bind_null(st, idx); }
td_status td_db_bind_blob(td_stmt_t *st, int idx, const void *p, size_t n) {
    return st->drv->bind_blob(st, idx, p, n);
}
int td_db_step(td_stmt_t *st) { return st->drv->step(st); }
int td_db_column_count(td_stmt_t *st) { return st->drv->column_count(st); }
const char *td_db_column_name(td_stmt_t *st, int col) { return st->drv->column_name(st, col); }
int td_db_column_is_null(td_stmt_t *st, int col) { return st->drv->column_is_null(st, col); }
const char *td_db_column_text(td_stmt_t *st, int col) { return st->drv->column_text(st, col); }
int64_t td_db_column_int64(td_stmt_t *st, int col) { return st->drv->column_int64(st, col); }
const void *td_db_column_blob(td_stmt_t *st, int col, size_t *len) {
    return st->drv->column_blob(st, col, len);
}
double td_db_column_double(td_stmt_t *st, int col) { return st->drv->column_double(st, col); }
int64_t td_db_changes(td_stmt_t *st) { return st->drv->changes(st); }
void td_db_finalize(td_stmt_t *st) {
    if (st)
        st->drv->finalize(st);
}
const char *td_db_errmsg(td_db_t *db) { return db->drv->errmsg(db); }
td_status td_db_begin(td_db_t *db, td_db_txn_kind kind) { return db->drv->begin(db, kind); }
td_status td_db_commit(td_db_t *db) { return db->drv->commit(db); }
td_status td_db_rollback(td_db_t *db) { return db->drv->rollback(db); }

char *td_db_column_dup(td_stmt_t *st, td_arena_t *a, int col) {
    const char *v = td_db_column_text(st, col);
    return v ? td_arena_strdup(a, v) : NULL;
}

td_status td_db_drain(td_stmt_t *st) {
    int r;
    while ((r = td_db_step(st)) == TD_DB_ROW)
        ;
    return r < 0 ? (td_status)r : TD_OK;
}

char *td_db_values_sql(const char *table, const char *cols, int ncols, size_t n) {
    td_buf_t sql;
    td_buf_init(&sql, 64 + strlen(table) + strlen(cols) + n * (size_t)(ncols * 3 + 4));
    td_status rc = td_buf_printf(&sql, "INSERT INTO %s (%s) VALUES ", table, cols);
    for (size_t i = 0; !rc && i < n; i++) {
        rc = td_buf_puts(&sql, i ? ", (?" : "(?");
        for (int c = 1; !rc && c < ncols; c++)
            rc = td_buf_puts(&sql, ", ?");
        if (!rc)
            rc = td_buf_puts(&sql, ")");
    }
    char *out = rc ? NULL : strdup(td_buf_str(&sql));
    td_buf_free(&sql);
    return out;
}

/* One multi-row INSERT of rows [from, from + n). */
static td_status insert_chunk(td_db_t *db, const char *table, const char *cols, int ncols,
                              const char *const *vals, size_t from, size_t n) {
    char *sql = td_db_values_sql(table, cols, ncols, n);
    td_stmt_t *st = NULL;
    td_status rc = sql ? td_db_prepare(db, sql, &st) : TD_E_NOMEM;
    free(sql);
    const char *const *v = vals + from * (size_t)ncols;
    for (size_t k = 0; !rc && k < n * (size_t)ncols; k++)
        rc = td_db_bind_text(st, (int)k + 1, v[k]);
    if (!rc)
        rc = td_db_drain(st);
    td_db_finalize(st);
    return rc;
}

td_status td_db_insert_rows(td_db_t *db, const char *table, const char *cols, int ncols,
                            const char *const *vals, size_t nrows) {
    if (ncols < 1)
        return TD_E_INVALID;
    if (db->drv->insert_rows)
        return db->drv->insert_rows(db, table, cols, ncols, vals, nrows);
    /* at most ~3 000 parameters per statement (SQLite allows 32 766) */
    size_t per = (size_t)(3000 / ncols) ? (size_t)(3000 / ncols) : 1;
    td_status rc = TD_OK;
    for (size_t i = 0; !rc && i < nrows; i += per)
        rc = insert_chunk(db, table, cols, ncols, vals, i, nrows - i < per ? nrows - i : per);
    return rc;
}

td_status td_db_query_row(td_db_t *db, const char *sql, const char *arg, td_stmt_t **row) {
    td_stmt_t *st = NULL;
    *row = NULL;
    td_status rc = td_db_prepare(db, sql, &st);
    if (!rc && arg)
        rc = td_db_bind_text(st, 1, arg);
    if (!rc) {
        int r = td_db_step(st);
        rc = r == TD_DB_ROW ? TD_OK : r < 0 ? (td_status)r : TD_E_NOTFOUND;
    }
    if (rc)
        td_db_finalize(st);
    else
        *row = st;
    return rc;
}

td_status td_db_execv(td_db_t *db, int64_t *changes, const char *sql, ...) {
    td_stmt_t *st = NULL;
    td_status rc = td_db_prepare(db, sql, &st);
    if (rc)
        return rc;
    va_list ap;
    va_start(ap, sql);
    int i = 1;
    for (const char *v; !rc && (v = va_arg(ap, const char *)); i++)
        rc = td_db_bind_text(st, i, v);
    va_end(ap);
    if (!rc) {
        int r;
        while ((r = td_db_step(st)) == TD_DB_ROW)
            ;
        rc = r < 0 ? (td_status)r : TD_OK;
    }
    if (!rc && changes)
        *changes = td_db_changes(st);
    td_db_finalize(st);
    return rc;
}

td_status td_db_tenant_create(const td_place_t *pl, const char *tenant_id,
                              const td_tenant_cred_t *cred, const td_schema_t *svcs, size_t n,
                              char *err, size_t errlen) {
    return pl->drv->tenant_create(pl, tenant_id, cred, svcs, n, err, errlen);
}
td_status td_db_tenant_add_service(const td_place_t *pl, const char *tenant_id,
                                   const td_tenant_cred_t *cred, const td_schema_t *svc,
                                   char *err, size_t errlen) {
    return pl->drv->tenant_add_service(pl, tenant_id, cred, svc, err, errlen);
}
td_status td_db_tenant_drop(const td_place_t *pl, const char *tenant_id, char *err,
                            size_t errlen) {
    return pl->drv->tenant_drop(pl, tenant_id, err, errlen);
}
td_status td_db_tenant_open(const td_place_t *pl, const char *tenant_id,
                            const td_tenant_cred_t *cred, const char *const *services, size_t n,
                            td_db_t **out, char *err, size_t errlen) {
    return pl->drv->tenant_open(pl, tenant_id, cred, services, n, out, err, errlen);
}
int td_db_tenant_exists(const td_place_t *pl, const char *tenant_id) {
    return pl->drv->tenant_exists(pl, tenant_id);
}
td_status td_db_place_check(const td_place_t *pl, char *err, size_t errlen) {
    return pl->drv->place_check(pl, err, errlen);
}
td_status td_db_spares_fill(const td_place_t *pl, long want, td_spares_report_t *out,
                            char *err, size_t errlen) {
    if (!pl->drv->spares_fill) {
        memset(out, 0, sizeof(*out));
        return TD_OK;
    }
    return pl->drv->spares_fill(pl, want, out, err, errlen);
}
td_status td_db_tenant_ping(td_db_t *db, const char *const *services, size_t n, char *err,
                            size_t errlen) {
    if (!db->drv->tenant_ping) {
        snprintf(err, errlen, "driver %s cannot check tenants", db->drv->name);
        return TD_E_INTERNAL;
    }
    return db->drv->tenant_ping(db, services, n, err, errlen);
}

/* Reads the highest applied version of scope, creating the ledger table
 * when the database has none. */
static td_status current_version(td_db_t *db, const char *scope, int *v) {
    td_status rc = td_db_exec(db, "CREATE TABLE IF NOT EXISTS td_migrations ("
                                  "scope TEXT NOT NULL, version INTEGER NOT NULL,"
                                  " name TEXT NOT NULL, applied_at TEXT NOT NULL,"
                                  " PRIMARY KEY (scope, version))");
    td_stmt_t *st = NULL;
    if (!rc)
        rc = td_db_prepare(db, "SELECT COALESCE(MAX(version), 0) FROM td_migrations WHERE scope = ?",
                           &st);
    if (!rc)
        rc = td_db_bind_text(st, 1, scope);
    if (!rc) {
        int r = td_db_step(st);
        if (r == TD_DB_ROW)
            *v = (int)td_db_column_int64(st, 0);
        else
            rc = r < 0 ? (td_status)r : TD_E_DB;
    }
    td_db_finalize(st);
    return rc;
}

td_status td_db_migrate(td_db_t *db, const char *scope, const td_migration_t *migs, size_t n,
                        int *version_out, char *err, size_t errlen) {
    int v = 0;
    td_status rc = current_version(db, scope, &v);
    if (rc) {
        snprintf(err, errlen, "%s: cannot read migration ledger: %s", scope, td_db_errmsg(db));
        return rc;
    }
    for (size_t i = 0; i < n && !rc; i++) {
        if (migs[i].version <= v)
            continue;
        char ts[40], ver[16];
        td_time_iso(td_now_ms(), ts, sizeof(ts));
        snprintf(ver, sizeof(ver), "%d", migs[i].version);
        rc = td_db_begin(db, TD_DB_WRITE);
        if (!rc)
            rc = td_db_exec(db, migs[i].sql);
        if (!rc)
            rc = td_db_execv(db, NULL,
                             "INSERT INTO td_migrations (scope, version, name, applied_at)"
                             " VALUES (?, ?, ?, ?)",
                             scope, ver, migs[i].name, ts, NULL);
        if (!rc)
            rc = td_db_commit(db);
        if (rc) {
            snprintf(err, errlen, "%s migration %s failed: %s", scope, migs[i].name,
                     td_db_errmsg(db));
            td_db_rollback(db);
        } else {
            v = migs[i].version;
        }
    }
    if (version_out)
        *version_out = v;
    return rc;
}

/* The lock that serializes migrations of one database across processes
 * for a transaction: PostgreSQL's advisory lock (the one
 * tenant_add_service takes); SQLite's write transaction is the lock. */
static td_status migrate_lock(td_db_t *db) {
    if (db->drv != &td_postgres_driver)
        return TD_OK;
    char sql[80];
    snprintf(sql, sizeof(sql), "SELECT pg_advisory_xact_lock(%lld)", PG_LOCK_MIGRATE);
    return td_db_exec(db, sql);
}

/* Applies migs[i] and records it in td_migrations; ms gets its time. */
static td_status apply_one(td_db_t *db, const char *scope, const td_migration_t *m,
                           int64_t *ms) {
    char ts[40], ver[16];
    int64_t t0 = td_now_ms();
    td_status rc = td_db_exec(db, m->sql);
    td_time_iso(td_now_ms(), ts, sizeof(ts));
    snprintf(ver, sizeof(ver), "%d", m->version);
    if (!rc)
        rc = td_db_execv(db, NULL,
                         "INSERT INTO td_migrations (scope, version, name, applied_at)"
                         " VALUES (?, ?, ?, ?)",
                         scope, ver, m->name, ts, NULL);
    *ms = td_now_ms() - t0;
    return rc;
}

td_status td_db_migrate_tx(td_db_t *db, const char *scope, const td_migration_t *migs, size_t n,
                           int dry_run, int *from, int *to, int64_t *ms, int *failed, char *err,
                           size_t errlen) {
    int v = 0;
    *from = *to = 0;
    if (failed)
        *failed = -1;
    for (size_t i = 0; ms && i < n; i++)
        ms[i] = -1;
    td_status rc = current_version(db, scope, &v); /* creates the table outside the txn */
    if (!rc && !dry_run)
        rc = td_db_begin(db, TD_DB_WRITE);
    if (!rc && !dry_run)
        rc = migrate_lock(db);
    if (!rc && !dry_run) /* another process may have migrated meanwhile */
        rc = current_version(db, scope, &v);
    if (rc) {
        snprintf(err, errlen, "%s: cannot read migration ledger: %s", scope, td_db_errmsg(db));
        if (!dry_run)
            td_db_rollback(db);
        return rc;
    }
    *from = *to = v;
    if (dry_run)
        return TD_OK;
    int reached = v;
    for (size_t i = 0; i < n && !rc; i++) {
        int64_t t = 0;
        if (migs[i].version <= v)
            continue;
        rc = apply_one(db, scope, &migs[i], &t);
        if (ms)
            ms[i] = t;
        if (rc) {
            snprintf(err, errlen, "%s migration %s failed: %s", scope, migs[i].name,
                     td_db_errmsg(db));
            if (failed)
                *failed = (int)i;
        } else {
            reached = migs[i].version;
        }
    }
    if (!rc && (rc = td_db_commit(db)))
        snprintf(err, errlen, "%s: cannot commit its migrations: %s", scope, td_db_errmsg(db));
    if (rc) {
        td_db_rollback(db);
        for (size_t i = 0; ms && i < n; i++)
            ms[i] = -1;
        return rc;
    }
    *to = reached;
    return TD_OK;
}

td_status td_db_tenant_open_admin(const td_place_t *pl, const char *tenant_id,
                                  const char *service, td_db_t **out, char *err, size_t errlen) {
    if (!pl->drv->tenant_open_admin) {
        snprintf(err, errlen, "driver %s cannot migrate tenants", pl->drv->name);
        return TD_E_INTERNAL;
    }
    return pl->drv->tenant_open_admin(pl, tenant_id, service, out, err, errlen);
}

td_status td_db_tenant_attach(td_db_t *db, const char *service, char *err, size_t errlen) {
    return db->drv->tenant_attach(db, service, err, errlen);
}
void td_db_trim(td_db_t *db) {
    if (db->drv->trim)
        db->drv->trim(db);
}

int td_db_usable(td_db_t *db) {
    return db->drv->usable ? db->drv->usable(db) : 1;
}
