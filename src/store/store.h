/* store.h — the storage driver interface.
 *
 * Everything above store/ talks to databases through this header only. A
 * driver is a versioned const struct of function pointers (like SQLite's
 * VFS): methods are only ever appended, and callers always go through the
 * td_db_* wrappers below, never through the struct. Two drivers exist:
 * "sqlite" (libsqlite3) and "postgres" (libpq). SQL dialect differences —
 * placeholders, how a tenant database is created, copied, opened and
 * dropped — live inside the drivers and nowhere else.
 *
 * SQL given to td_db_prepare uses '?' placeholders, numbered left to right;
 * the PostgreSQL driver rewrites them to $1, $2… Tables are named
 * schema-qualified where a service owns them ("crm.customers"): on SQLite
 * the service file is attached under that name, on PostgreSQL it is a
 * schema of the tenant database.
 *
 * Threading: a td_db_t is one connection, used by one thread at a time.
 * Ownership: td_db_open/td_db_tenant_open return a handle the caller closes
 * with td_db_close; td_db_prepare returns a statement the caller finalizes
 * (before closing its connection). */
#ifndef TD_STORE_H
#define TD_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/status.h"

#define TD_DB_DRIVER_VERSION 1

typedef struct td_db td_db_t;
typedef struct td_stmt td_stmt_t;
typedef struct td_db_driver td_db_driver_t;

/* One numbered migration of one scope ("catalog", "crm"…). */
typedef struct {
    const char *scope;
    int version;      /* 1, 2, 3… */
    const char *name; /* file name, e.g. "0001_init.sql" */
    const char *sql;  /* one or more statements */
} td_migration_t;

/* A service's schema: its migrations in ascending version order, in the
 * dialect of the driver it is given to. */
typedef struct {
    const char *name; /* "crm" */
    const td_migration_t *migs;
    size_t n;
} td_schema_t;

/* Where tenant databases live. SQLite: a folder (tenants go in
 * <root>/<tenant-id>/<service>.db, templates in <template_root>).
 * PostgreSQL: a server, reached with an administrative URL that may create
 * databases and roles; template_root is unused. */
typedef struct {
    const td_db_driver_t *drv;
    const char *root;          /* SQLite folder, or the admin URL (a secret) */
    const char *template_root; /* SQLite only */
    int dedicated;             /* PostgreSQL: root is the tenant's own database
                                  (brought by the operator): its schemas are
                                  created and dropped there, no database or
                                  role is made */
} td_place_t;

/* Credentials of a tenant's own database role (PostgreSQL). The caller
 * generates the password, stores it encrypted, and passes it in: the store
 * never invents secrets, so a retried provisioning uses the same one. */
typedef struct {
    const char *password; /* NULL on SQLite */
} td_tenant_cred_t;

typedef enum { TD_DB_READ = 0, TD_DB_WRITE = 1 } td_db_txn_kind;

/* What one filling of a server's spare tenant databases found and did
 * (td_db_spares_fill). */
typedef struct {
    long templates; /* templates on the server */
    long ready;     /* complete spares after the fill, all templates */
    long made;      /* spares made by this fill */
    long dropped;   /* leftovers, spares of gone templates, spares above want */
    int busy;       /* another filler held the server: nothing done */
} td_spares_report_t;

/* Open flags. */
#define TD_DB_CATALOG 0x1 /* the catalog: SQLite synchronous=FULL */

struct td_db_driver {
    int version;      /* TD_DB_DRIVER_VERSION */
    const char *name; /* "sqlite" | "postgres"; also the migration dialect */

    /* -- version 1: connections and statements -- */
    td_status (*open)(const char *url, int flags, td_db_t **out, char *err, size_t errlen);
    void (*close)(td_db_t *db);
    td_status (*exec)(td_db_t *db, const char *sql);
    td_status (*prepare)(td_db_t *db, const char *sql, td_stmt_t **out);
    td_status (*bind_text)(td_stmt_t *st, int idx, const char *v);
    td_status (*bind_int64)(td_stmt_t *st, int idx, int64_t v);
    td_status (*bind_null)(td_stmt_t *st, int idx);
    td_status (*bind_blob)(td_stmt_t *st, int idx, const void *p, size_t n);
    int (*step)(td_stmt_t *st);
    int (*column_count)(td_stmt_t *st);
    const char *(*column_name)(td_stmt_t *st, int col);
    int (*column_is_null)(td_stmt_t *st, int col);
    const char *(*column_text)(td_stmt_t *st, int col);
    int64_t (*column_int64)(td_stmt_t *st, int col);
    const void *(*column_blob)(td_stmt_t *st, int col, size_t *len);
    int64_t (*changes)(td_stmt_t *st);
    void (*finalize)(td_stmt_t *st);
    const char *(*errmsg)(td_db_t *db);
    td_status (*begin)(td_db_t *db, td_db_txn_kind kind);
    td_status (*commit)(td_db_t *db);
    td_status (*rollback)(td_db_t *db);

    /* -- version 1: tenant databases -- */
    td_status (*tenant_create)(const td_place_t *pl, const char *tenant_id,
                               const td_tenant_cred_t *cred, const td_schema_t *svcs,
                               size_t n, char *err, size_t errlen);
    td_status (*tenant_add_service)(const td_place_t *pl, const char *tenant_id,
                                    const td_tenant_cred_t *cred, const td_schema_t *svc,
                                    char *err, size_t errlen);
    td_status (*tenant_drop)(const td_place_t *pl, const char *tenant_id, char *err,
                             size_t errlen);
    td_status (*tenant_open)(const td_place_t *pl, const char *tenant_id,
                             const td_tenant_cred_t *cred, const char *const *services,
                             size_t n, td_db_t **out, char *err, size_t errlen);
    /* 1 when anything of the tenant's database exists at pl, 0 when none. */
    int (*tenant_exists)(const td_place_t *pl, const char *tenant_id);
    /* Checks a server (PostgreSQL) or folder (SQLite) answers. */
    td_status (*place_check)(const td_place_t *pl, char *err, size_t errlen);
    /* Checks an open tenant connection: every service's schema is there
     * and readable. */
    td_status (*tenant_ping)(td_db_t *db, const char *const *services, size_t n, char *err,
                             size_t errlen);

    /* -- appended: a floating-point column at full precision (SQLite's
     * text form of a REAL keeps only 15 digits) -- */
    double (*column_double)(td_stmt_t *st, int col);
    /* -- appended: makes a service of an open tenant handle usable (SQLite
     * attaches its file on first use; PostgreSQL has every schema) -- */
    td_status (*tenant_attach)(td_db_t *db, const char *service, char *err, size_t errlen);
    /* -- appended: 1 while the connection can serve another caller (no
     * transaction left open, no sign that its database is gone: SQLite
     * saw no corrupt, missing or unreadable file and its attached files
     * are still the ones it opened; PostgreSQL's connection is alive);
     * 0 means close it. Cheap: no query, no round trip. -- */
    int (*usable)(td_db_t *db);
    /* -- appended: bulk append (td_db_insert_rows); NULL = the generic
     * multi-row INSERT of store.c -- */
    td_status (*insert_rows)(td_db_t *db, const char *table, const char *cols, int ncols,
                             const char *const *vals, size_t nrows);
    /* -- appended: an idle connection gives back the memory it can do
     * without (SQLite: its page cache); NULL = nothing to give -- */
    void (*trim)(td_db_t *db);
    /* -- appended: spare tenant databases made ahead (td_db_spares_fill);
     * NULL = the driver has none -- */
    td_status (*spares_fill)(const td_place_t *pl, long want, td_spares_report_t *out,
                             char *err, size_t errlen);
    /* -- appended: one service of a tenant opened to migrate it (SQLite:
     * its file as the main database; PostgreSQL: the tenant database as
     * the place's administrative role). TD_E_NOTFOUND when the service
     * has no file there (SQLite). -- */
    td_status (*tenant_open_admin)(const td_place_t *pl, const char *tenant_id,
                                   const char *service, td_db_t **out, char *err, size_t errlen);
};

/* Every handle starts with this, so the wrappers can find the driver. */
struct td_db {
    const td_db_driver_t *drv;
    /* td_db_on_close: called by td_db_close once the connection is closed */
    void (*on_close)(void *ctx);
    void *on_close_ctx;
};
struct td_stmt {
    const td_db_driver_t *drv;
};

extern const td_db_driver_t td_sqlite_driver;
extern const td_db_driver_t td_postgres_driver;

/* The driver for a URL: "" or a path or sqlite:PATH → SQLite;
 * postgres:// or postgresql:// → PostgreSQL. */
const td_db_driver_t *td_db_driver_for_url(const char *url);
/* 1 for a postgres:// or postgresql:// URL. */
int td_db_url_is_postgres(const char *url);
/* 1 when a postgres:// URL names one host by name or address (no local
 * socket, no list), a user and a password, and nothing else but port,
 * database and sslmode (no service, password file, options or timeouts):
 * what a tenant may bring. */
int td_db_url_plain(const char *url);

/* The DDL of a service's outbox table in dialect ("sqlite" | "postgres";
 * PostgreSQL names the service's schema), written to out (n bytes; at
 * most td_store_outbox_ddl_max() are needed). Byte-stable: it is part of
 * each service's first migration. TD_E_INVALID for an unknown dialect. */
td_status td_store_outbox_ddl(const char *dialect, const char *service, char *out, size_t n);
size_t td_store_outbox_ddl_max(void);

/* step() results besides errors. */
#define TD_DB_ROW 1
#define TD_DB_DONE 0

td_status td_db_open(const char *url, int flags, td_db_t **out, char *err, size_t errlen);
/* An idle connection gives back the memory it can refill later (the
 * pool trims handles nobody used for a while). Never while in use. */
void td_db_trim(td_db_t *db);
void td_db_close(td_db_t *db);
/* Has td_db_close call fn(ctx) after it closed db (the tenant pool counts
 * connections its callers close themselves this way). One per handle. */
void td_db_on_close(td_db_t *db, void (*fn)(void *ctx), void *ctx);

/* A PostgreSQL server's connection limits, read from pg_settings. */
typedef struct {
    long max_connections;
    long superuser_reserved; /* superuser_reserved_connections */
    long reserved;           /* reserved_connections (PostgreSQL 16+), else 0 */
} td_db_limits_t;
/* Connects with url (a postgres:// URL) and reads its server's limits;
 * TD_E_INVALID for another URL, TD_E_UNAVAILABLE when it does not answer
 * (err says why, without the password). Closes what it opened. */
td_status td_db_server_limits(const char *url, td_db_limits_t *out, char *err, size_t errlen);
/* 1 when two PostgreSQL URLs name the same server (host and port; the
 * loopback names and the local socket count as one host). */
int td_db_same_server(const char *url_a, const char *url_b);
const char *td_db_dialect(const td_db_t *db);
/* The clause that locks a selected row until the transaction ends
 * (" FOR UPDATE", or "" where the write transaction locks already). */
const char *td_db_for_update(const td_db_t *db);
/* The aggregate that joins texts with a separator, called as
 * NAME(expr, ','): "string_agg" or "group_concat". The order of the parts
 * is not defined. */
const char *td_db_text_agg(const td_db_t *db);
td_status td_db_exec(td_db_t *db, const char *sql);
td_status td_db_prepare(td_db_t *db, const char *sql, td_stmt_t **out);
td_status td_db_bind_text(td_stmt_t *st, int idx, const char *v);
td_status td_db_bind_int64(td_stmt_t *st, int idx, int64_t v);
td_status td_db_bind_null(td_stmt_t *st, int idx);
td_status td_db_bind_blob(td_stmt_t *st, int idx, const void *p, size_t n);
int td_db_step(td_stmt_t *st);
int td_db_column_count(td_stmt_t *st);
const char *td_db_column_name(td_stmt_t *st, int col);
int td_db_column_is_null(td_stmt_t *st, int col);
const char *td_db_column_text(td_stmt_t *st, int col);
int64_t td_db_column_int64(td_stmt_t *st, int col);
double td_db_column_double(td_stmt_t *st, int col);
const void *td_db_column_blob(td_stmt_t *st, int col, size_t *len);
int64_t td_db_changes(td_stmt_t *st);
void td_db_finalize(td_stmt_t *st);
const char *td_db_errmsg(td_db_t *db);
td_status td_db_begin(td_db_t *db, td_db_txn_kind kind);
td_status td_db_commit(td_db_t *db);
td_status td_db_rollback(td_db_t *db);

/* Appends nrows rows to table — its columns cols, a comma-separated list
 * of ncols names; both trusted constants, never input — inside the
 * caller's transaction. vals holds nrows × ncols values in row order, each
 * a text or NULL (SQL NULL); numbers as decimal text (the columns' types
 * convert them). PostgreSQL streams them with COPY (no statement to plan,
 * no parameter to bind); SQLite inserts them in multi-row statements. A
 * failure leaves the transaction to be rolled back. */
td_status td_db_insert_rows(td_db_t *db, const char *table, const char *cols, int ncols,
                            const char *const *vals, size_t nrows);
/* Its SQL for n rows: "INSERT INTO table (cols) VALUES (?, …), …"
 * (malloc'd; NULL when out of memory), for drivers' own bulk appends. */
char *td_db_values_sql(const char *table, const char *cols, int ncols, size_t n);

/* Convenience: prepare sql, bind the NULL-terminated text arguments (a NULL
 * argument list entry ends it; use td_db_prepare for NULL values), step to
 * the end, finalize. Returns the number of affected rows in *changes when
 * changes is not NULL. */
td_status td_db_execv(td_db_t *db, int64_t *changes, const char *sql, ...)
    __attribute__((sentinel));

/* Column col of the current row copied into the arena (NULL stays NULL). */
char *td_db_column_dup(td_stmt_t *st, td_arena_t *a, int col);
/* Steps st to its end; TD_OK or the error. */
td_status td_db_drain(td_stmt_t *st);
/* Prepares sql, binds arg (one text parameter, or none when NULL) and
 * steps once: TD_OK with *row on the first row (the caller finalizes it),
 * TD_E_NOTFOUND (and *row NULL) when there is none. */
td_status td_db_query_row(td_db_t *db, const char *sql, const char *arg, td_stmt_t **row);

/* Migrations: applies, in one transaction each, every migration of migs
 * whose version is above the one recorded in the database's td_migrations
 * table for that scope. *version_out gets the version reached. On error the
 * failing migration leaves nothing behind and err names it. */
td_status td_db_migrate(td_db_t *db, const char *scope, const td_migration_t *migs, size_t n,
                        int *version_out, char *err, size_t errlen);

/* Fleet migrations: applies in ONE transaction every migration of migs
 * above the version db's td_migrations records for scope (PostgreSQL
 * holds the migration lock for it; SQLite's write transaction locks the
 * file), so a failure leaves the database exactly as it was. db is a
 * td_db_tenant_open_admin handle (or any database whose main schema the
 * migrations' SQL names). *from gets the version found, *to the version
 * reached (= *from on failure or with dry_run, which applies nothing).
 * ms, when given, has n entries: ms[i] gets how long migs[i] took, or -1
 * when it was not applied now. On failure *failed (when given) is the
 * index of the failing migration and err names it. */
td_status td_db_migrate_tx(td_db_t *db, const char *scope, const td_migration_t *migs, size_t n,
                           int dry_run, int *from, int *to, int64_t *ms, int *failed, char *err,
                           size_t errlen);
/* A tenant's service opened to migrate it (driver's tenant_open_admin). */
td_status td_db_tenant_open_admin(const td_place_t *pl, const char *tenant_id,
                                  const char *service, td_db_t **out, char *err, size_t errlen);

/* Tenant databases, through the place's driver. */
td_status td_db_tenant_create(const td_place_t *pl, const char *tenant_id,
                              const td_tenant_cred_t *cred, const td_schema_t *svcs, size_t n,
                              char *err, size_t errlen);
td_status td_db_tenant_add_service(const td_place_t *pl, const char *tenant_id,
                                   const td_tenant_cred_t *cred, const td_schema_t *svc,
                                   char *err, size_t errlen);
td_status td_db_tenant_drop(const td_place_t *pl, const char *tenant_id, char *err,
                            size_t errlen);
td_status td_db_tenant_open(const td_place_t *pl, const char *tenant_id,
                            const td_tenant_cred_t *cred, const char *const *services, size_t n,
                            td_db_t **out, char *err, size_t errlen);
int td_db_tenant_exists(const td_place_t *pl, const char *tenant_id);
/* Makes service usable on an open tenant handle (outside a transaction).
 * SQLite checks the file it attaches is a database with a schema: a
 * missing, zero-length, empty or corrupt file is TD_E_UNAVAILABLE. */
td_status td_db_tenant_attach(td_db_t *db, const char *service, char *err, size_t errlen);
/* 1 when db can be kept for reuse (see the driver's usable), else 0. */
int td_db_usable(td_db_t *db);
td_status td_db_place_check(const td_place_t *pl, char *err, size_t errlen);
td_status td_db_tenant_ping(td_db_t *db, const char *const *services, size_t n, char *err,
                            size_t errlen);

/* Spare tenant databases (PostgreSQL; postgres_spares.c): clones of a
 * template made ahead, so that tenant_create renames one instead of
 * cloning while a tenant waits. Keeps want complete spares of every
 * template at pl (0 drops them all), drops half-made ones and those of
 * templates that are gone; one filler per server at a time (another finds
 * out->busy). Holds one connection to pl while it works, none after. A
 * driver without spares (SQLite) does nothing. */
td_status td_db_spares_fill(const td_place_t *pl, long want, td_spares_report_t *out,
                            char *err, size_t errlen);
/* How many tenant_create calls of this process took a spare, and how many
 * found none ready and cloned (counters since start). */
void td_db_spares_counts(uint64_t *taken, uint64_t *missed);

/* Copies a URL into out with any password replaced by "***", for messages. */
void td_db_url_redact(const char *url, char *out, size_t n);

#endif
