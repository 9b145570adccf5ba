/* rowstream.h — a tenant's service tables as backend-neutral rows.
 *
 * Backups, restores (and later moves) read and write a service's tables
 * through these calls, never through dialect SQL of their own: the tables
 * and their columns are read from the database itself (SQLite's pragmas,
 * PostgreSQL's catalogs), each column gets one of four kinds (integer,
 * real, text, blob — the storage classes both backends share), and each
 * value travels as that kind or NULL. So rows read on SQLite insert the
 * same on PostgreSQL and back: same ids, same timestamps (texts), same
 * numbers (doubles at full precision), same bytes.
 *
 * Internal tables (td_migrations, td_outbox) are not part of a service's
 * rows: the schema comes from the service's migrations, and the outbox's
 * undrained records belong to the database they were written in. */
#ifndef TD_ROWSTREAM_H
#define TD_ROWSTREAM_H

#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "store/store.h"

/* Column kinds (also the value tags of a backup's row stream). */
#define TD_ROWS_NULL 0
#define TD_ROWS_INT 'i'
#define TD_ROWS_REAL 'r'
#define TD_ROWS_TEXT 't'
#define TD_ROWS_BLOB 'b'

typedef struct {
    const char *name; /* column name */
    int kind;         /* TD_ROWS_INT | REAL | TEXT | BLOB (declared) */
} td_rows_col_t;

typedef struct {
    const char *service; /* "crm" */
    const char *name;    /* "customers" */
    td_rows_col_t *cols;
    int ncols;
} td_rows_table_t;

/* One value: kind TD_ROWS_NULL or the kind it holds. p/n point into the
 * statement (reading) or the caller's memory (writing). */
typedef struct {
    int kind;
    int64_t i;
    double r;
    const void *p;
    size_t n;
} td_rows_val_t;

/* Begins one read transaction that sees every listed service as of one
 * moment (SQLite: a read of each attached file at once; PostgreSQL:
 * REPEATABLE READ). End it with td_db_rollback. */
td_status td_rows_snapshot(td_db_t *db, const char *const *services, size_t n);

/* The service's tables (internal ones left out) in an order where every
 * table comes after the tables its foreign keys reference, with their
 * columns. Arena-owned. */
td_status td_rows_tables(td_db_t *db, td_arena_t *a, const char *service, td_rows_table_t **out,
                         size_t *n);

/* Number of rows of a table. */
td_status td_rows_count(td_db_t *db, const td_rows_table_t *t, int64_t *out);

/* Calls fn(ctx, vals) for every row of the table (vals has t->ncols
 * values, valid during the call); a non-zero status from fn stops and is
 * returned. Rows come in primary-key order where there is one. */
typedef td_status (*td_rows_fn)(void *ctx, const td_rows_val_t *vals);
td_status td_rows_read(td_db_t *db, const td_rows_table_t *t, td_rows_fn fn, void *ctx);

/* td_rows_read of the rows whose column col, read as text, equals value
 * (an import's rows of one tenant from a shared database). */
td_status td_rows_read_where(td_db_t *db, const td_rows_table_t *t, const char *col,
                             const char *value, td_rows_fn fn, void *ctx);

/* ---- a source database's keys (rowsource.c): imports read a shared
 * database that is no tenant's; its "service" is the schema the tables
 * live in (SQLite: "main"; PostgreSQL: "public"). ---- */

/* One column of a foreign key. */
typedef struct {
    const char *col;   /* the referencing column */
    const char *table; /* the referenced table */
    const char *to;    /* the referenced column ("" = the table's primary key) */
    int group;         /* the constraint: the columns of one composite key share it */
} td_rows_fk_t;

typedef struct {
    const char **types; /* per column of the table: its declared type ("JSON", "jsonb") */
    const char **pk;    /* primary-key columns in key order */
    size_t npk;
    td_rows_fk_t *fks;
    size_t nfks;
} td_rows_keys_t;

/* The declared types, primary key and foreign keys of t (as
 * td_rows_tables gave it). Arena-owned. */
td_status td_rows_keys(td_db_t *db, td_arena_t *a, const td_rows_table_t *t,
                       td_rows_keys_t *out);
/* The distinct values (as text) of column col of t that are not NULL,
 * arena-owned, and the number of rows where it is NULL. */
td_status td_rows_distinct(td_db_t *db, td_arena_t *a, const td_rows_table_t *t, const char *col,
                           const char ***vals, size_t *n, int64_t *nulls);

/* Begins the write transaction of a restore (SQLite checks foreign keys
 * at its commit, so rows may come in any order). */
td_status td_rows_load_begin(td_db_t *db);

/* A restore into fresh databases (SQLite's staging files): the service's
 * secondary indexes are dropped before the load and made again after it
 * (one sorted build each instead of a B-tree insert per row), inside the
 * load's transaction; *saved (arena-owned, "" when none) is what
 * td_rows_indexes_on runs. PostgreSQL keeps its indexes (*saved ""). */
td_status td_rows_indexes_off(td_db_t *db, td_arena_t *a, const char *service,
                              const char **saved);
td_status td_rows_indexes_on(td_db_t *db, const char *saved);

/* SQLite files being loaded from nothing (a restore's staging files, which
 * are thrown away if anything fails): on = 1 writes them without a journal
 * and without syncing, on = 0 makes them WAL files again (the caller syncs
 * them before use). Bulk mode also keeps a small page cache (a big one only
 * makes the sorter and the commit write more: bench/RESULTS.md), maps the
 * file for reads and lets index builds sort on 2 threads. Outside a
 * transaction; nothing on PostgreSQL. */
td_status td_rows_bulk_mode(td_db_t *db, const char *service, int on);

/* PostgreSQL, restoring in place inside the caller's transaction: the
 * service's schema is renamed aside ("<service>_td_old") and made anew
 * from the service's migrations; td_rows_schema_drop_old then keeps the
 * old outbox's undrained records and drops the old schema. Both commit or
 * roll back with the restore. */
td_status td_rows_schema_renew(td_db_t *db, const td_schema_t *svc);
td_status td_rows_schema_drop_old(td_db_t *db, const char *service);
/* PostgreSQL: an administrative connection to the tenant's database at pl
 * (the owner of its schemas), for td_rows_schema_renew; the caller closes
 * it. And the grants the tenant's own role needs on a schema made anew. */
td_status td_rows_admin_open(const td_place_t *pl, const char *tenant_id, td_db_t **out,
                             char *err, size_t errlen);
td_status td_rows_schema_grant(td_db_t *db, const char *service);

/* Deletes every row of the table (inside the caller's transaction). */
td_status td_rows_clear(td_db_t *db, const td_rows_table_t *t);

/* Buffers rows for the table and inserts them in multi-row statements,
 * inside the caller's transaction. */
typedef struct td_rows_writer td_rows_writer_t;
td_status td_rows_writer_new(td_db_t *db, const td_rows_table_t *t, td_rows_writer_t **out);
/* Copies the row (t->ncols values). */
td_status td_rows_write(td_rows_writer_t *w, const td_rows_val_t *vals);
/* Inserts what is buffered and frees the writer (NULL is ok); the status
 * of the last insert. */
td_status td_rows_writer_end(td_rows_writer_t *w);

/* Moves bring a copy up to date row by row. key is the column that
 * identifies a row (its "id"), or -1 for a table without one: its rows
 * are then identified by every column (compared NULL-safe). Update sets
 * every other column of the row whose key is vals[key]; delete removes
 * the row(s) with vals' key. Inside the caller's transaction. */
td_status td_rows_update(td_db_t *db, const td_rows_table_t *t, int key,
                         const td_rows_val_t *vals);
td_status td_rows_delete(td_db_t *db, const td_rows_table_t *t, int key,
                         const td_rows_val_t *vals);
/* The service's next outbox number becomes at least next (a copy made
 * elsewhere must number on past what the catalog's drain mark counted). */
td_status td_rows_outbox_floor(td_db_t *db, const char *service, int64_t next);

#endif
