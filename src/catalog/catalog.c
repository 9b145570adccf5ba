/* catalog.c — opening the catalog, its connection pool, migrations, and
 * the small tables: platform_admins, system_config, services. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "catalog/catalog_int.h"
#include "common/embed.h"
#include "common/timeutil.h"

#define CATALOG_MAX_CONNS 64

struct td_catalog {
    char *url;                       /* secret when PostgreSQL */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    td_db_t *idle[CATALOG_MAX_CONNS]; /* connections ready to lease */
    int nidle;
    int open;                        /* idle + leased */
    int max;
    const char *dialect;
};

void td_cat_now(char *out) { td_time_iso(td_now_ms(), out, 32); }

static td_status migrate(td_db_t *db, const char *dialect, char *err, size_t errlen) {
    td_migration_t migs[64];
    size_t n = 0;
    for (size_t i = 0; i < td_embedded_sql_count && n < 64; i++) {
        const td_embedded_sql_t *e = &td_embedded_sql[i];
        if (strcmp(e->scope, "catalog") == 0 && strcmp(e->dialect, dialect) == 0)
            migs[n++] = (td_migration_t){e->scope, e->version, e->name, e->sql};
    }
    return td_db_migrate(db, "catalog", migs, n, NULL, err, errlen);
}

td_status td_catalog_open(const char *url, int max_conns, td_catalog_t **out, char *err,
                          size_t errlen) {
    td_catalog_t *c = calloc(1, sizeof(*c));
    if (!c || !(c->url = strdup(url))) {
        free(c);
        return TD_E_NOMEM;
    }
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    c->max = max_conns < 1 ? 1 : max_conns > CATALOG_MAX_CONNS ? CATALOG_MAX_CONNS : max_conns;
    td_db_t *db;
    td_status st = td_db_open(url, TD_DB_CATALOG, &db, err, errlen);
    if (!st) {
        c->dialect = td_db_dialect(db);
        st = migrate(db, c->dialect, err, errlen);
        if (st)
            td_db_close(db);
    }
    if (st) {
        td_catalog_close(c);
        return st;
    }
    c->idle[c->nidle++] = db;
    c->open = 1;
    *out = c;
    return TD_OK;
}

void td_catalog_close(td_catalog_t *c) {
    if (!c)
        return;
    for (int i = 0; i < c->nidle; i++)
        td_db_close(c->idle[i]);
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->cv);
    free(c->url);
    free(c);
}

const char *td_catalog_dialect(const td_catalog_t *c) { return c->dialect; }

typedef struct {
    td_catalog_t *c;
    td_db_t *db;
} lease_t;

static void lease_cleanup(void *arg) {
    lease_t *l = arg;
    td_catalog_release(l->c, l->db);
}

td_status td_catalog_lease(td_catalog_t *c, td_arena_t *a, td_db_t **out) {
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 5;
    pthread_mutex_lock(&c->mu);
    while (!c->nidle && c->open >= c->max)
        if (pthread_cond_timedwait(&c->cv, &c->mu, &until)) {
            pthread_mutex_unlock(&c->mu);
            return TD_E_BUSY;
        }
    td_db_t *db = NULL;
    if (c->nidle)
        db = c->idle[--c->nidle];
    else
        c->open++; /* reserve a slot, open outside the lock */
    pthread_mutex_unlock(&c->mu);
    if (!db) {
        char err[256];
        td_status st = td_db_open(c->url, TD_DB_CATALOG, &db, err, sizeof(err));
        if (st) {
            pthread_mutex_lock(&c->mu);
            c->open--;
            pthread_cond_signal(&c->cv);
            pthread_mutex_unlock(&c->mu);
            return st;
        }
    }
    if (a) {
        lease_t *l = td_arena_alloc(a, sizeof(*l));
        if (!l) {
            td_catalog_release(c, db);
            return TD_E_NOMEM;
        }
        l->c = c;
        l->db = db;
        td_arena_defer_release(a, lease_cleanup, l);
    }
    *out = db;
    return TD_OK;
}

void td_catalog_release(td_catalog_t *c, td_db_t *db) {
    pthread_mutex_lock(&c->mu);
    c->idle[c->nidle++] = db;
    pthread_cond_signal(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

td_status td_catalog_ping(td_catalog_t *c) {
    td_db_t *db;
    td_status st = td_catalog_lease(c, NULL, &db);
    if (st)
        return st;
    td_stmt_t *s = NULL;
    st = td_db_prepare(db, "SELECT 1", &s);
    if (!st && td_db_step(s) != TD_DB_ROW)
        st = TD_E_UNAVAILABLE;
    td_db_finalize(s);
    if (st == TD_E_UNAVAILABLE || st == TD_E_DB) {
        /* a broken connection is not returned to the pool */
        pthread_mutex_lock(&c->mu);
        c->open--;
        pthread_cond_signal(&c->cv);
        pthread_mutex_unlock(&c->mu);
        td_db_close(db);
        return TD_E_UNAVAILABLE;
    }
    td_catalog_release(c, db);
    return st;
}

td_status td_cat_admin_insert(td_db_t *db, const char *id, const char *email,
                              const char *password_hash) {
    char now[32];
    td_cat_now(now);
    return td_db_execv(db, NULL,
                       "INSERT INTO platform_admins (id, email, password_hash, created_at, updated_at)"
                       " VALUES (?, ?, ?, ?, ?)",
                       id, email, password_hash, now, now, NULL);
}

td_status td_cat_admin_count(td_db_t *db, int64_t *n) {
    td_stmt_t *st = NULL;
    td_status rc = td_db_prepare(db, "SELECT COUNT(*) FROM platform_admins", &st);
    if (!rc) {
        int r = td_db_step(st);
        rc = r == TD_DB_ROW ? TD_OK : r < 0 ? (td_status)r : TD_E_DB;
        if (!rc)
            *n = td_db_column_int64(st, 0);
    }
    td_db_finalize(st);
    return rc;
}

td_status td_cat_config_get(td_db_t *db, td_arena_t *a, const char *key, char **value) {
    td_stmt_t *st;
    td_status rc = td_db_query_row(db, "SELECT value FROM system_config WHERE key = ?", key, &st);
    if (!rc) {
        *value = td_db_column_dup(st, a, 0);
        td_db_finalize(st);
    }
    return rc;
}

td_status td_cat_config_set(td_db_t *db, const char *key, const char *value) {
    char now[32];
    td_cat_now(now);
    return td_db_execv(db, NULL,
                       "INSERT INTO system_config (key, value, updated_at) VALUES (?, ?, ?)"
                       " ON CONFLICT (key) DO UPDATE SET value = excluded.value,"
                       " updated_at = excluded.updated_at",
                       key, value, now, NULL);
}

td_status td_cat_service_register(td_db_t *db, const char *name, int latest_version) {
    char now[32], v[16];
    td_cat_now(now);
    snprintf(v, sizeof(v), "%d", latest_version);
    return td_db_execv(db, NULL,
                       "INSERT INTO services (name, latest_version, updated_at) VALUES (?, ?, ?)"
                       " ON CONFLICT (name) DO UPDATE SET latest_version = excluded.latest_version,"
                       " updated_at = excluded.updated_at",
                       name, v, now, NULL);
}

td_status td_cat_admin_find(td_db_t *db, td_arena_t *a, const char *key, int by_id,
                            td_admin_row_t *out) {
    td_stmt_t *st;
    td_status rc = td_db_query_row(db,
                                   by_id ? "SELECT id, email, password_hash, disabled, updated_at FROM"
                                           " platform_admins WHERE id = ?"
                                         : "SELECT id, email, password_hash, disabled, updated_at"
                                           " FROM platform_admins WHERE email = ?",
                                   key, &st);
    if (!rc) {
        out->id = td_db_column_dup(st, a, 0);
        out->email = td_db_column_dup(st, a, 1);
        out->password_hash = td_db_column_dup(st, a, 2);
        out->disabled = (int)td_db_column_int64(st, 3);
        out->gen = 0;
        td_time_parse(td_db_column_text(st, 4), &out->gen);
        td_db_finalize(st);
    }
    return rc;
}

td_status td_cat_admin_set_password(td_db_t *db, const char *id, const char *password_hash,
                                    int64_t gen) {
    char at[32];
    int64_t n = 0;
    td_status rc;
    if (!password_hash) {
        td_time_iso(gen, at, sizeof(at));
        rc = td_db_execv(db, &n, "UPDATE platform_admins SET updated_at = ? WHERE id = ?", at, id,
                         NULL);
    } else if (gen) {
        td_time_iso(gen, at, sizeof(at));
        rc = td_db_execv(db, &n,
                         "UPDATE platform_admins SET password_hash = ?, updated_at = ? WHERE id = ?",
                         password_hash, at, id, NULL);
    } else {
        rc = td_db_execv(db, &n, "UPDATE platform_admins SET password_hash = ? WHERE id = ?",
                         password_hash, id, NULL);
    }
    return rc ? rc : n ? TD_OK : TD_E_NOTFOUND;
}
