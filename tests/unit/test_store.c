/* test_store.c — the storage interface (store/store.h) on the backend named
 * by TD_TEST_BACKEND: "sqlite" (default; files in a mkdtemp folder) or
 * "postgres" (the cluster at TD_TEST_PG_URL; every test makes its own
 * tdunit_<random> database and the group drops them all at the end).
 *
 * Covers connections and statements through the td_db_* wrappers, the
 * migration runner, and tenant databases through a td_place_t. The SQL is
 * written once where both dialects accept it; where they differ (blob
 * type, schema-qualified migrations) the test picks by td_db_dialect. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ftw.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/id.h"
#include "store/store.h"

#define MAX_MADE 64

static struct {
    int pg;                      /* 1 when TD_TEST_BACKEND=postgres */
    const char *pg_url;          /* admin URL of the test cluster */
    char pg_password[256];       /* its password, to check messages */
    td_db_t *admin;              /* connection to the maintenance database */
    char tmp[256];               /* mkdtemp folder (SQLite files) */
    char tenants_dir[PATH_MAX];  /* SQLite place */
    char templates_dir[PATH_MAX];
    td_place_t place;
    char tenant_pw[65];          /* PostgreSQL tenant role password */
    td_tenant_cred_t cred;
    char dbs[MAX_MADE][64];      /* PostgreSQL databases made by fresh_db */
    int ndbs;
    char tids[MAX_MADE][TD_ID_LEN + 1]; /* tenants made, dropped at the end */
    int ntids;
    int nfiles;                  /* SQLite files made by fresh_db */
} E;

#define ASSERT_OK(expr)                                                                    \
    do {                                                                                   \
        td_status st_ = (expr);                                                            \
        if (st_ != TD_OK)                                                                  \
            fail_msg("%s = %s: %s", #expr, td_status_code(st_), err);                      \
    } while (0)

#define ASSERT_DB_OK(db, expr)                                                             \
    do {                                                                                   \
        td_status st_ = (expr);                                                            \
        if (st_ != TD_OK)                                                                  \
            fail_msg("%s = %s: %s", #expr, td_status_code(st_), td_db_errmsg(db));         \
    } while (0)

/* ---- environment -------------------------------------------------------- */

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

/* The password in the user info of a postgres:// URL, for message checks. */
static void url_password(const char *url, char *out, size_t n) {
    const char *p = strstr(url, "://");
    const char *at = p ? strchr(p + 3, '@') : NULL;
    const char *colon = at ? memchr(p + 3, ':', (size_t)(at - p - 3)) : NULL;
    out[0] = '\0';
    if (colon)
        snprintf(out, n, "%.*s", (int)(at - colon - 1), colon + 1);
}

static int group_setup(void **state) {
    (void)state;
    const char *backend = getenv("TD_TEST_BACKEND");
    E.pg = backend && strcmp(backend, "postgres") == 0;
    if (backend && !E.pg && strcmp(backend, "sqlite") != 0) {
        fprintf(stderr, "TD_TEST_BACKEND must be sqlite or postgres\n");
        return -1;
    }
    snprintf(E.tmp, sizeof(E.tmp), "/tmp/tdunit_store.XXXXXX");
    if (!mkdtemp(E.tmp))
        return -1;
    snprintf(E.tenants_dir, sizeof(E.tenants_dir), "%s/tenants", E.tmp);
    snprintf(E.templates_dir, sizeof(E.templates_dir), "%s/templates", E.tmp);
    td_random_hex(E.tenant_pw, 32);
    E.cred.password = E.pg ? E.tenant_pw : NULL;
    if (!E.pg) {
        E.place = (td_place_t){.drv = &td_sqlite_driver, .root = E.tenants_dir,
                               .template_root = E.templates_dir};
        return 0;
    }
    E.pg_url = getenv("TD_TEST_PG_URL");
    if (!E.pg_url || !td_db_url_is_postgres(E.pg_url)) {
        fprintf(stderr, "TD_TEST_BACKEND=postgres needs TD_TEST_PG_URL=postgres://…\n");
        return -1;
    }
    url_password(E.pg_url, E.pg_password, sizeof(E.pg_password));
    E.place = (td_place_t){.drv = &td_postgres_driver, .root = E.pg_url};
    char err[1024] = "";
    if (td_db_open(E.pg_url, 0, &E.admin, err, sizeof(err)) != TD_OK) {
        fprintf(stderr, "cannot reach the test cluster: %s\n", err);
        return -1;
    }
    return 0;
}

static int group_teardown(void **state) {
    (void)state;
    char err[1024];
    for (int i = 0; i < E.ntids; i++)
        td_db_tenant_drop(&E.place, E.tids[i], err, sizeof(err));
    if (E.admin) {
        for (int i = 0; i < E.ndbs; i++) {
            char sql[128];
            snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", E.dbs[i]);
            if (td_db_exec(E.admin, sql) != TD_OK)
                fprintf(stderr, "cannot drop %s: %s\n", E.dbs[i], td_db_errmsg(E.admin));
        }
        td_db_close(E.admin);
    }
    return nftw(E.tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* A new, empty database of the backend under test; its URL in url. */
static td_db_t *fresh_db(char *url, size_t n) {
    char err[1024] = "";
    if (E.pg) {
        assert_true(E.ndbs < MAX_MADE);
        char name[64], hex[17], sql[128];
        td_random_hex(hex, 8);
        snprintf(name, sizeof(name), "tdunit_%s", hex);
        snprintf(sql, sizeof(sql), "CREATE DATABASE %s", name);
        ASSERT_DB_OK(E.admin, td_db_exec(E.admin, sql));
        snprintf(E.dbs[E.ndbs++], sizeof(E.dbs[0]), "%s", name);
        const char *slash = strrchr(E.pg_url, '/');
        snprintf(url, n, "%.*s/%s", (int)(slash - E.pg_url), E.pg_url, name);
    } else {
        snprintf(url, n, "%s/db%d.sqlite", E.tmp, E.nfiles++);
    }
    td_db_t *db = NULL;
    ASSERT_OK(td_db_open(url, 0, &db, err, sizeof(err)));
    assert_non_null(db);
    return db;
}

static int is_pg(td_db_t *db) { return strcmp(td_db_dialect(db), "postgres") == 0; }

/* The single integer a query returns. */
static int64_t q_int(td_db_t *db, const char *sql) {
    td_stmt_t *st = NULL;
    ASSERT_DB_OK(db, td_db_prepare(db, sql, &st));
    int r = td_db_step(st);
    if (r != TD_DB_ROW)
        fail_msg("%s: step = %d: %s", sql, r, td_db_errmsg(db));
    int64_t v = td_db_column_int64(st, 0);
    td_db_finalize(st);
    return v;
}

/* 1 when a SELECT from table works. */
static int table_exists(td_db_t *db, const char *table) {
    char sql[128];
    snprintf(sql, sizeof(sql), "SELECT 1 FROM %s", table);
    td_stmt_t *st = NULL;
    if (td_db_prepare(db, sql, &st) != TD_OK)
        return 0;
    int r = td_db_step(st);
    td_db_finalize(st);
    return r >= 0;
}

/* ---- connections and statements ----------------------------------------- */

static void test_open_and_urls(void **state) {
    (void)state;
    char url[PATH_MAX], err[1024] = "";
    td_db_t *db = fresh_db(url, sizeof(url));
    assert_string_equal(td_db_dialect(db), E.pg ? "postgres" : "sqlite");
    assert_int_equal(q_int(db, "SELECT 1 + 1"), 2);
    td_db_close(db);
    td_db_close(NULL);

    assert_ptr_equal(td_db_driver_for_url(""), &td_sqlite_driver);
    assert_ptr_equal(td_db_driver_for_url("/var/lib/t.db"), &td_sqlite_driver);
    assert_ptr_equal(td_db_driver_for_url("sqlite:/var/lib/t.db"), &td_sqlite_driver);
    assert_ptr_equal(td_db_driver_for_url("postgres://h/d"), &td_postgres_driver);
    assert_ptr_equal(td_db_driver_for_url("postgresql://h/d"), &td_postgres_driver);
    assert_false(td_db_url_is_postgres("mysql://h/d"));
    char red[256];
    td_db_url_redact("postgres://u:s3cret@h:5432/d", red, sizeof(red));
    assert_string_equal(red, "postgres://u:***@h:5432/d");
    td_db_url_redact("postgres://u@h/d", red, sizeof(red));
    assert_string_equal(red, "postgres://u@h/d");

    /* A database that cannot be opened: an error with a reason, no handle. */
    td_db_t *none = NULL;
    td_status st;
    if (E.pg) {
        char bad[PATH_MAX];
        const char *slash = strrchr(url, '/');
        snprintf(bad, sizeof(bad), "%.*s/tdunit_no_such_db", (int)(slash - url), url);
        st = td_db_open(bad, 0, &none, err, sizeof(err));
        if (E.pg_password[0] && strstr(err, E.pg_password))
            fail_msg("error message holds the password");
    } else {
        snprintf(url, sizeof(url), "%s/no/such/dir/x.db", E.tmp);
        st = td_db_open(url, 0, &none, err, sizeof(err));
    }
    assert_int_not_equal(st, TD_OK);
    assert_null(none);
    assert_true(strlen(err) > 0);
}

static void create_t(td_db_t *db) {
    char sql[256];
    snprintf(sql, sizeof(sql),
             "CREATE TABLE t (id BIGINT PRIMARY KEY, name TEXT UNIQUE, n BIGINT, note TEXT,"
             " data %s)",
             is_pg(db) ? "BYTEA" : "BLOB");
    ASSERT_DB_OK(db, td_db_exec(db, sql));
}

static void test_bind_and_columns(void **state) {
    (void)state;
    char url[PATH_MAX];
    td_db_t *db = fresh_db(url, sizeof(url));
    create_t(db);
    static const unsigned char blob[] = {0x00, 0x01, 0xff, 0x00, 0x7f, 0x80, '?', 0};
    const int64_t big = ((int64_t)1 << 40) + 5, neg = INT64_MIN + 1;

    td_stmt_t *st = NULL;
    ASSERT_DB_OK(db, td_db_prepare(db, "INSERT INTO t (id, name, n, note, data) VALUES (?, ?, ?, ?, ?)",
                                   &st));
    ASSERT_DB_OK(db, td_db_bind_int64(st, 1, 1));
    ASSERT_DB_OK(db, td_db_bind_text(st, 2, "first é"));
    ASSERT_DB_OK(db, td_db_bind_int64(st, 3, big));
    ASSERT_DB_OK(db, td_db_bind_null(st, 4));
    ASSERT_DB_OK(db, td_db_bind_blob(st, 5, blob, sizeof(blob)));
    assert_int_equal(td_db_step(st), TD_DB_DONE);
    assert_int_equal(td_db_changes(st), 1);
    td_db_finalize(st);

    ASSERT_DB_OK(db, td_db_prepare(db, "INSERT INTO t (id, name, n, note, data) VALUES (?, ?, ?, ?, ?)",
                                   &st));
    ASSERT_DB_OK(db, td_db_bind_int64(st, 1, 2));
    ASSERT_DB_OK(db, td_db_bind_text(st, 2, "second"));
    ASSERT_DB_OK(db, td_db_bind_int64(st, 3, neg));
    ASSERT_DB_OK(db, td_db_bind_text(st, 4, NULL)); /* NULL text binds SQL NULL */
    ASSERT_DB_OK(db, td_db_bind_null(st, 5));
    assert_int_equal(td_db_step(st), TD_DB_DONE);
    td_db_finalize(st);

    ASSERT_DB_OK(db, td_db_prepare(db, "SELECT id, name, n, note, data FROM t ORDER BY id", &st));
    assert_int_equal(td_db_step(st), TD_DB_ROW);
    assert_int_equal(td_db_column_count(st), 5);
    assert_string_equal(td_db_column_name(st, 0), "id");
    assert_string_equal(td_db_column_name(st, 4), "data");
    assert_int_equal(td_db_column_int64(st, 0), 1);
    assert_string_equal(td_db_column_text(st, 1), "first é");
    assert_true(td_db_column_int64(st, 2) == big);
    assert_true(td_db_column_is_null(st, 3));
    assert_null(td_db_column_text(st, 3));
    assert_false(td_db_column_is_null(st, 4));
    size_t len = 0;
    const void *p = td_db_column_blob(st, 4, &len);
    assert_int_equal(len, sizeof(blob));
    assert_memory_equal(p, blob, sizeof(blob));

    assert_int_equal(td_db_step(st), TD_DB_ROW);
    assert_int_equal(td_db_column_int64(st, 0), 2);
    assert_string_equal(td_db_column_text(st, 1), "second");
    assert_true(td_db_column_int64(st, 2) == neg);
    assert_true(td_db_column_is_null(st, 3));
    assert_null(td_db_column_text(st, 3));
    assert_true(td_db_column_is_null(st, 4));
    assert_int_equal(td_db_step(st), TD_DB_DONE);
    td_db_finalize(st);
    td_db_close(db);
}

static void test_changes(void **state) {
    (void)state;
    char url[PATH_MAX];
    td_db_t *db = fresh_db(url, sizeof(url));
    create_t(db);
    static const char *const ids[] = {"1", "2", "3", "4", "5"};
    for (int i = 0; i < 5; i++) {
        int64_t ch = -1;
        ASSERT_DB_OK(db, td_db_execv(db, &ch, "INSERT INTO t (id, n) VALUES (?, ?)", ids[i],
                                     ids[i], NULL));
        assert_int_equal(ch, 1);
    }
    td_stmt_t *st;
    ASSERT_DB_OK(db, td_db_prepare(db, "UPDATE t SET note = ? WHERE n >= ?", &st));
    ASSERT_DB_OK(db, td_db_bind_text(st, 1, "big"));
    ASSERT_DB_OK(db, td_db_bind_int64(st, 2, 3));
    assert_int_equal(td_db_step(st), TD_DB_DONE);
    assert_int_equal(td_db_changes(st), 3);
    td_db_finalize(st);

    int64_t ch = -1;
    ASSERT_DB_OK(db, td_db_execv(db, &ch, "UPDATE t SET note = ? WHERE n > 100", "x", NULL));
    assert_int_equal(ch, 0);
    ASSERT_DB_OK(db, td_db_execv(db, &ch, "DELETE FROM t WHERE note = ?", "big", NULL));
    assert_int_equal(ch, 3);
    ASSERT_DB_OK(db, td_db_execv(db, NULL, "DELETE FROM t WHERE id = ?", "1", NULL));
    assert_int_equal(q_int(db, "SELECT COUNT(*) FROM t"), 1);
    /* execv of a query reads to the end without error */
    ASSERT_DB_OK(db, td_db_execv(db, NULL, "SELECT id FROM t", NULL));
    td_db_close(db);
}

static void test_unique_violation(void **state) {
    (void)state;
    char url[PATH_MAX];
    td_db_t *db = fresh_db(url, sizeof(url));
    create_t(db);
    ASSERT_DB_OK(db, td_db_execv(db, NULL, "INSERT INTO t (id, name) VALUES (?, ?)", "1", "dup",
                                 NULL));
    assert_int_equal(
        td_db_execv(db, NULL, "INSERT INTO t (id, name) VALUES (?, ?)", "2", "dup", NULL),
        TD_E_EXISTS);
    assert_true(strlen(td_db_errmsg(db)) > 0);
    /* primary key too, through prepare/step */
    td_stmt_t *st;
    ASSERT_DB_OK(db, td_db_prepare(db, "INSERT INTO t (id, name) VALUES (?, ?)", &st));
    ASSERT_DB_OK(db, td_db_bind_int64(st, 1, 1));
    ASSERT_DB_OK(db, td_db_bind_text(st, 2, "other"));
    assert_int_equal(td_db_step(st), TD_E_EXISTS);
    td_db_finalize(st);
    /* the connection goes on working */
    ASSERT_DB_OK(db, td_db_execv(db, NULL, "INSERT INTO t (id, name) VALUES (?, ?)", "3", "new",
                                 NULL));
    assert_int_equal(q_int(db, "SELECT COUNT(*) FROM t"), 2);
    td_db_close(db);
}

/* td_db_insert_rows: many rows in one call (more than one multi-row
 * statement on SQLite, several COPY pieces on PostgreSQL), the texts COPY
 * gives meaning to kept as they are, NULLs kept; a failing row (a
 * duplicate key) fails the call and the rolled-back transaction keeps
 * nothing; the connection goes on working. */
static void test_insert_rows(void **state) {
    (void)state;
    char url[PATH_MAX];
    td_db_t *db = fresh_db(url, sizeof(url));
    create_t(db);
    enum { N = 5000 };
    static char ids[N][24], names[N][40];
    static const char *v[N * 4];
    static const char *const odd[] = {"tab\there", "line\nbreak\r", "back\\slash \\N", "é ü"};
    for (int i = 0; i < N; i++) {
        snprintf(ids[i], sizeof(ids[i]), "%d", i + 1);
        snprintf(names[i], sizeof(names[i]), "row %d\t%s", i, i % 4 == 2 ? "\\." : "");
        v[i * 4] = ids[i];
        v[i * 4 + 1] = names[i];
        v[i * 4 + 2] = i % 3 ? ids[i] : NULL;
        v[i * 4 + 3] = i < 4 ? odd[i] : NULL;
    }
    ASSERT_DB_OK(db, td_db_begin(db, TD_DB_WRITE));
    ASSERT_DB_OK(db, td_db_insert_rows(db, "t", "id, name, n, note", 4, v, N));
    ASSERT_DB_OK(db, td_db_commit(db));
    assert_int_equal(q_int(db, "SELECT COUNT(*) FROM t"), N);
    assert_int_equal(q_int(db, "SELECT COUNT(*) FROM t WHERE n IS NULL"), (N + 2) / 3);
    /* n is NULL where (id - 1) % 3 == 0: 4993, 4996 and 4999 */
    assert_int_equal(q_int(db, "SELECT SUM(n) FROM t WHERE id > 4990"),
                     4991 + 4992 + 4994 + 4995 + 4997 + 4998 + 5000);
    td_stmt_t *st;
    ASSERT_DB_OK(db, td_db_prepare(db, "SELECT name, note FROM t WHERE id <= 4 ORDER BY id", &st));
    for (int i = 0; i < 4; i++) {
        assert_int_equal(td_db_step(st), TD_DB_ROW);
        assert_string_equal(td_db_column_text(st, 0), names[i]);
        assert_string_equal(td_db_column_text(st, 1), odd[i]);
    }
    td_db_finalize(st);
    /* a duplicate id in the middle: the call fails, nothing of it stays */
    const char *dup[] = {"9001", "a", "1", NULL, "9002", "b", NULL, NULL, "17", "c", NULL, NULL};
    ASSERT_DB_OK(db, td_db_begin(db, TD_DB_WRITE));
    assert_int_equal(td_db_insert_rows(db, "t", "id, name, n, note", 4, dup, 3), TD_E_EXISTS);
    ASSERT_DB_OK(db, td_db_rollback(db));
    assert_int_equal(q_int(db, "SELECT COUNT(*) FROM t"), N);
    ASSERT_DB_OK(db, td_db_execv(db, NULL, "INSERT INTO t (id, name) VALUES (?, ?)", "9003",
                                 "after", NULL));
    assert_int_equal(q_int(db, "SELECT COUNT(*) FROM t"), N + 1);
    td_db_close(db);
}

static void test_syntax_error(void **state) {
    (void)state;
    char url[PATH_MAX];
    td_db_t *db = fresh_db(url, sizeof(url));
    td_status st = td_db_exec(db, "SELEKT 1");
    assert_true(st < 0);
    assert_true(strlen(td_db_errmsg(db)) > 0);

    td_stmt_t *s = NULL;
    st = td_db_prepare(db, "SELECT FROM WHERE ?", &s);
    if (st == TD_OK) { /* a driver may defer errors to the first step */
        st = (td_status)td_db_step(s);
        td_db_finalize(s);
    }
    assert_true(st < 0);
    assert_true(strlen(td_db_errmsg(db)) > 0);
    assert_false(table_exists(db, "no_such_table"));
    assert_int_equal(q_int(db, "SELECT 40 + 2"), 42); /* still usable */
    td_db_close(db);
}

static void test_transactions(void **state) {
    (void)state;
    char url[PATH_MAX], err[1024] = "";
    td_db_t *db = fresh_db(url, sizeof(url));
    create_t(db);
    ASSERT_DB_OK(db, td_db_begin(db, TD_DB_WRITE));
    ASSERT_DB_OK(db, td_db_execv(db, NULL, "INSERT INTO t (id) VALUES (?)", "1", NULL));
    assert_int_equal(q_int(db, "SELECT COUNT(*) FROM t"), 1); /* own writes visible */
    ASSERT_DB_OK(db, td_db_rollback(db));
    assert_int_equal(q_int(db, "SELECT COUNT(*) FROM t"), 0);

    td_db_t *other = NULL;
    ASSERT_OK(td_db_open(url, 0, &other, err, sizeof(err)));
    ASSERT_DB_OK(db, td_db_begin(db, TD_DB_WRITE));
    ASSERT_DB_OK(db, td_db_execv(db, NULL, "INSERT INTO t (id) VALUES (?)", "2", NULL));
    assert_int_equal(q_int(other, "SELECT COUNT(*) FROM t"), 0); /* not yet committed */
    ASSERT_DB_OK(db, td_db_commit(db));
    assert_int_equal(q_int(other, "SELECT COUNT(*) FROM t"), 1);
    assert_int_equal(q_int(other, "SELECT MAX(id) FROM t"), 2);

    /* a read transaction sees committed data */
    ASSERT_DB_OK(other, td_db_begin(other, TD_DB_READ));
    assert_int_equal(q_int(other, "SELECT COUNT(*) FROM t"), 1);
    ASSERT_DB_OK(other, td_db_commit(other));
    td_db_close(other);
    td_db_close(db);
}

static void test_placeholders_and_reprepare(void **state) {
    (void)state;
    char url[PATH_MAX];
    td_db_t *db = fresh_db(url, sizeof(url));
    /* '?' inside a literal is not a placeholder */
    td_stmt_t *st;
    ASSERT_DB_OK(db, td_db_prepare(db,
                                   "SELECT CAST(? AS TEXT) || '-?-' || CAST(? AS TEXT), "
                                   "'it''s ?' /* ? */",
                                   &st));
    ASSERT_DB_OK(db, td_db_bind_text(st, 1, "a"));
    ASSERT_DB_OK(db, td_db_bind_text(st, 2, "b"));
    assert_int_equal(td_db_step(st), TD_DB_ROW);
    assert_string_equal(td_db_column_text(st, 0), "a-?-b");
    assert_string_equal(td_db_column_text(st, 1), "it's ?");
    td_db_finalize(st);

    /* The same SQL text after the table changed shape (a migration that
     * ran while the connection was open) returns the new columns. */
    ASSERT_DB_OK(db, td_db_exec(db, "CREATE TABLE s (a TEXT)"));
    ASSERT_DB_OK(db, td_db_execv(db, NULL, "INSERT INTO s (a) VALUES (?)", "x", NULL));
    ASSERT_DB_OK(db, td_db_prepare(db, "SELECT * FROM s", &st));
    assert_int_equal(td_db_step(st), TD_DB_ROW);
    assert_int_equal(td_db_column_count(st), 1);
    td_db_finalize(st);
    ASSERT_DB_OK(db, td_db_exec(db, "ALTER TABLE s ADD COLUMN b TEXT"));
    ASSERT_DB_OK(db, td_db_prepare(db, "SELECT * FROM s", &st));
    int r = td_db_step(st);
    if (r != TD_DB_ROW)
        fail_msg("step after ALTER TABLE = %d: %s", r, td_db_errmsg(db));
    assert_int_equal(td_db_column_count(st), 2);
    assert_string_equal(td_db_column_text(st, 0), "x");
    assert_true(td_db_column_is_null(st, 1));
    td_db_finalize(st);
    td_db_close(db);
}

/* ---- migrations --------------------------------------------------------- */

static const td_migration_t good_migs[] = {
    {"unit", 1, "0001_init.sql", "CREATE TABLE m1 (x INTEGER)"},
    /* depends on 1: fails if the order were wrong; several statements */
    {"unit", 2, "0002_more.sql",
     "ALTER TABLE m1 ADD COLUMN y TEXT; CREATE TABLE m2 (x INTEGER);"
     " INSERT INTO m2 (x) VALUES (1)"},
};

static int64_t ledger_count(td_db_t *db, const char *scope) {
    td_stmt_t *st;
    ASSERT_DB_OK(db, td_db_prepare(db, "SELECT COUNT(*) FROM td_migrations WHERE scope = ?", &st));
    ASSERT_DB_OK(db, td_db_bind_text(st, 1, scope));
    assert_int_equal(td_db_step(st), TD_DB_ROW);
    int64_t n = td_db_column_int64(st, 0);
    td_db_finalize(st);
    return n;
}

static void test_migrate(void **state) {
    (void)state;
    char url[PATH_MAX], err[1024] = "";
    td_db_t *db = fresh_db(url, sizeof(url));
    int v = -1;
    ASSERT_OK(td_db_migrate(db, "unit", good_migs, 2, &v, err, sizeof(err)));
    assert_int_equal(v, 2);
    assert_int_equal(ledger_count(db, "unit"), 2);
    assert_true(table_exists(db, "m1"));
    assert_int_equal(q_int(db, "SELECT COUNT(*) FROM m2"), 1);

    td_stmt_t *st;
    ASSERT_DB_OK(db, td_db_prepare(db,
                                   "SELECT version, name, applied_at FROM td_migrations"
                                   " WHERE scope = 'unit' ORDER BY version",
                                   &st));
    assert_int_equal(td_db_step(st), TD_DB_ROW);
    assert_int_equal(td_db_column_int64(st, 0), 1);
    assert_string_equal(td_db_column_text(st, 1), "0001_init.sql");
    assert_true(strlen(td_db_column_text(st, 2)) > 0);
    assert_int_equal(td_db_step(st), TD_DB_ROW);
    assert_int_equal(td_db_column_int64(st, 0), 2);
    assert_string_equal(td_db_column_text(st, 1), "0002_more.sql");
    assert_int_equal(td_db_step(st), TD_DB_DONE);
    td_db_finalize(st);

    /* Second run: nothing applied again (m2 would get a second row). */
    v = -1;
    ASSERT_OK(td_db_migrate(db, "unit", good_migs, 2, &v, err, sizeof(err)));
    assert_int_equal(v, 2);
    assert_int_equal(ledger_count(db, "unit"), 2);
    assert_int_equal(q_int(db, "SELECT COUNT(*) FROM m2"), 1);

    /* A new version applies alone. */
    const td_migration_t three[] = {good_migs[0], good_migs[1],
                                    {"unit", 3, "0003_m3.sql", "CREATE TABLE m3 (x INTEGER)"}};
    ASSERT_OK(td_db_migrate(db, "unit", three, 3, &v, err, sizeof(err)));
    assert_int_equal(v, 3);
    assert_int_equal(ledger_count(db, "unit"), 3);
    assert_int_equal(q_int(db, "SELECT COUNT(*) FROM m2"), 1);

    /* Scopes are independent. */
    const td_migration_t other[] = {{"other", 1, "0001_o.sql", "CREATE TABLE o1 (x INTEGER)"}};
    ASSERT_OK(td_db_migrate(db, "other", other, 1, &v, err, sizeof(err)));
    assert_int_equal(v, 1);
    assert_int_equal(ledger_count(db, "other"), 1);
    assert_int_equal(ledger_count(db, "unit"), 3);
    td_db_close(db);
}

static void test_migrate_failure_leaves_nothing(void **state) {
    (void)state;
    char url[PATH_MAX], err[1024] = "";
    td_db_t *db = fresh_db(url, sizeof(url));
    const td_migration_t migs[] = {
        good_migs[0],
        good_migs[1],
        {"unit", 3, "0003_broken.sql",
         "CREATE TABLE m3 (x INTEGER); INSERT INTO m3 (x) VALUES (1); THIS IS NOT SQL"},
        {"unit", 4, "0004_never.sql", "CREATE TABLE m4 (x INTEGER)"},
    };
    int v = -1;
    td_status st = td_db_migrate(db, "unit", migs, 4, &v, err, sizeof(err));
    assert_true(st < 0);
    assert_int_equal(v, 2);
    if (!strstr(err, "0003_broken.sql"))
        fail_msg("error does not name the migration: %s", err);
    assert_int_equal(ledger_count(db, "unit"), 2);
    assert_true(table_exists(db, "m2"));
    assert_false(table_exists(db, "m3"));
    assert_false(table_exists(db, "m4"));

    /* Fixed, it applies on the next run from where it stopped. */
    const td_migration_t fixed[] = {good_migs[0], good_migs[1],
                                    {"unit", 3, "0003_fixed.sql", "CREATE TABLE m3 (x INTEGER)"}};
    ASSERT_OK(td_db_migrate(db, "unit", fixed, 3, &v, err, sizeof(err)));
    assert_int_equal(v, 3);
    assert_true(table_exists(db, "m3"));
    assert_int_equal(q_int(db, "SELECT COUNT(*) FROM m3"), 0);
    assert_int_equal(q_int(db, "SELECT COUNT(*) FROM m2"), 1);
    td_db_close(db);
}

/* ---- tenant databases --------------------------------------------------- */

static const td_migration_t svca_pg[] = {
    {"svca", 1, "0001_init.sql", "CREATE SCHEMA svca; CREATE TABLE svca.items (id TEXT PRIMARY KEY, v TEXT)"},
};
static const td_migration_t svca_lite[] = {
    {"svca", 1, "0001_init.sql", "CREATE TABLE items (id TEXT PRIMARY KEY, v TEXT)"},
};
static const td_migration_t svcb_pg[] = {
    {"svcb", 1, "0001_init.sql", "CREATE SCHEMA svcb; CREATE TABLE svcb.notes (id BIGINT PRIMARY KEY, body TEXT)"},
    {"svcb", 2, "0002_tag.sql", "ALTER TABLE svcb.notes ADD COLUMN tag TEXT"},
};
static const td_migration_t svcb_lite[] = {
    {"svcb", 1, "0001_init.sql", "CREATE TABLE notes (id BIGINT PRIMARY KEY, body TEXT)"},
    {"svcb", 2, "0002_tag.sql", "ALTER TABLE notes ADD COLUMN tag TEXT"},
};
static const td_migration_t svcc_pg[] = {
    {"svcc", 1, "0001_init.sql", "CREATE SCHEMA svcc; CREATE TABLE svcc.things (id TEXT PRIMARY KEY)"},
};
static const td_migration_t svcc_lite[] = {
    {"svcc", 1, "0001_init.sql", "CREATE TABLE things (id TEXT PRIMARY KEY)"},
};

/* svca and svcb (in svcs[0..1]) and svcc (svcs[2]) in the place's dialect. */
static void schemas(td_schema_t svcs[3]) {
    int pg = strcmp(E.place.drv->name, "postgres") == 0;
    svcs[0] = (td_schema_t){"svca", pg ? svca_pg : svca_lite, 1};
    svcs[1] = (td_schema_t){"svcb", pg ? svcb_pg : svcb_lite, 2};
    svcs[2] = (td_schema_t){"svcc", pg ? svcc_pg : svcc_lite, 1};
}

/* A new tenant id, remembered so the group drops it even after a failure. */
static void new_tenant_id(char id[TD_ID_LEN + 1]) {
    td_id_new(id);
    assert_true(E.ntids < MAX_MADE);
    memcpy(E.tids[E.ntids++], id, TD_ID_LEN + 1);
}

static const char *const AB[] = {"svca", "svcb"};
static const char *const ABC[] = {"svca", "svcb", "svcc"};

static void test_tenant_lifecycle(void **state) {
    (void)state;
    char tid[TD_ID_LEN + 1], err[1024] = "";
    td_schema_t svcs[3];
    schemas(svcs);
    new_tenant_id(tid);
    assert_int_equal(td_db_tenant_exists(&E.place, tid), 0);

    ASSERT_OK(td_db_tenant_create(&E.place, tid, &E.cred, svcs, 2, err, sizeof(err)));
    ASSERT_OK(td_db_tenant_create(&E.place, tid, &E.cred, svcs, 2, err, sizeof(err)));
    assert_int_equal(td_db_tenant_exists(&E.place, tid), 1);
    ASSERT_OK(td_db_place_check(&E.place, err, sizeof(err)));

    td_db_t *db = NULL;
    ASSERT_OK(td_db_tenant_open(&E.place, tid, &E.cred, AB, 2, &db, err, sizeof(err)));
    assert_non_null(db);
    ASSERT_DB_OK(db, td_db_execv(db, NULL, "INSERT INTO svca.items (id, v) VALUES (?, ?)", "k1",
                                 "value one", NULL));
    ASSERT_DB_OK(db, td_db_execv(db, NULL,
                                 "INSERT INTO svcb.notes (id, body, tag) VALUES (?, ?, ?)", "7",
                                 "note", "t", NULL));
    td_stmt_t *st;
    ASSERT_DB_OK(db, td_db_prepare(db, "SELECT v FROM svca.items WHERE id = ?", &st));
    ASSERT_DB_OK(db, td_db_bind_text(st, 1, "k1"));
    assert_int_equal(td_db_step(st), TD_DB_ROW);
    assert_string_equal(td_db_column_text(st, 0), "value one");
    assert_int_equal(td_db_step(st), TD_DB_DONE);
    td_db_finalize(st);
    td_db_close(db);

    /* A handle opened with no service gains them on demand (the pool's
     * handles): attaching twice is a no-op, an unknown one fails. */
    db = NULL;
    ASSERT_OK(td_db_tenant_open(&E.place, tid, &E.cred, NULL, 0, &db, err, sizeof(err)));
    ASSERT_OK(td_db_tenant_attach(db, "svcb", err, sizeof(err)));
    ASSERT_OK(td_db_tenant_attach(db, "svcb", err, sizeof(err)));
    assert_int_equal(q_int(db, "SELECT COUNT(*) FROM svcb.notes"), 1);
    ASSERT_OK(td_db_tenant_attach(db, "svca", err, sizeof(err)));
    assert_int_equal(q_int(db, "SELECT COUNT(*) FROM svca.items"), 1);
    if (strcmp(td_db_dialect(db), "sqlite") == 0) /* PostgreSQL holds every schema */
        assert_int_not_equal(td_db_tenant_attach(db, "svcc", err, sizeof(err)), TD_OK);
    td_db_close(db);

    /* A third service joins; earlier data stays. */
    ASSERT_OK(td_db_tenant_add_service(&E.place, tid, &E.cred, &svcs[2], err, sizeof(err)));
    ASSERT_OK(td_db_tenant_add_service(&E.place, tid, &E.cred, &svcs[2], err, sizeof(err)));
    db = NULL;
    ASSERT_OK(td_db_tenant_open(&E.place, tid, &E.cred, ABC, 3, &db, err, sizeof(err)));
    ASSERT_DB_OK(db, td_db_execv(db, NULL, "INSERT INTO svcc.things (id) VALUES (?)", "x", NULL));
    assert_int_equal(q_int(db, "SELECT COUNT(*) FROM svcc.things"), 1);
    assert_int_equal(q_int(db, "SELECT COUNT(*) FROM svca.items"), 1);
    assert_int_equal(q_int(db, "SELECT COUNT(*) FROM svcb.notes"), 1);
    td_db_close(db);

    /* Re-creating an existing tenant keeps its data. */
    ASSERT_OK(td_db_tenant_create(&E.place, tid, &E.cred, svcs, 2, err, sizeof(err)));
    db = NULL;
    ASSERT_OK(td_db_tenant_open(&E.place, tid, &E.cred, AB, 2, &db, err, sizeof(err)));
    assert_int_equal(q_int(db, "SELECT COUNT(*) FROM svca.items"), 1);
    td_db_close(db);

    ASSERT_OK(td_db_tenant_drop(&E.place, tid, err, sizeof(err)));
    assert_int_equal(td_db_tenant_exists(&E.place, tid), 0);
    ASSERT_OK(td_db_tenant_drop(&E.place, tid, err, sizeof(err)));
    assert_int_equal(td_db_tenant_exists(&E.place, tid), 0);
    db = NULL;
    assert_int_not_equal(td_db_tenant_open(&E.place, tid, &E.cred, AB, 2, &db, err, sizeof(err)),
                         TD_OK);
    assert_null(db);
}

/* A database the operator brings (PostgreSQL): the services' schemas are
 * made in it and dropped from it, the database itself stays; SQLite
 * refuses the idea. */
static void test_tenant_brought_database(void **state) {
    (void)state;
    char tid[TD_ID_LEN + 1], err[1024] = "", url[512];
    td_schema_t svcs[3];
    schemas(svcs);
    new_tenant_id(tid);
    if (!E.pg) {
        td_place_t pl = E.place;
        pl.dedicated = 1;
        assert_int_equal(td_db_tenant_create(&pl, tid, &E.cred, svcs, 2, err, sizeof(err)),
                         TD_E_INVALID);
        return;
    }
    td_db_t *own = fresh_db(url, sizeof(url));
    td_place_t pl = {.drv = &td_postgres_driver, .root = url, .dedicated = 1};
    td_tenant_cred_t none = {0};
    assert_int_equal(td_db_tenant_exists(&pl, tid), 0);
    ASSERT_OK(td_db_tenant_create(&pl, tid, &none, svcs, 2, err, sizeof(err)));
    ASSERT_OK(td_db_tenant_create(&pl, tid, &none, svcs, 2, err, sizeof(err))); /* idempotent */
    assert_int_equal(td_db_tenant_exists(&pl, tid), 1);
    td_db_t *db = NULL;
    ASSERT_OK(td_db_tenant_open(&pl, tid, &none, AB, 2, &db, err, sizeof(err)));
    ASSERT_DB_OK(db, td_db_execv(db, NULL, "INSERT INTO svca.items (id, v) VALUES (?, ?)", "b1",
                                 "brought", NULL));
    ASSERT_OK(td_db_tenant_ping(db, AB, 2, err, sizeof(err)));
    td_db_close(db);
    /* the operator's own table survives the tenant's deletion */
    ASSERT_DB_OK(own, td_db_exec(own, "CREATE TABLE public.theirs (x INTEGER)"));
    ASSERT_OK(td_db_tenant_drop(&pl, tid, err, sizeof(err)));
    assert_int_equal(td_db_tenant_exists(&pl, tid), 0);
    assert_false(table_exists(own, "svca.items"));
    assert_true(table_exists(own, "public.theirs"));
    ASSERT_OK(td_db_tenant_drop(&pl, tid, err, sizeof(err)));
    td_db_close(own);
}

/* A new tenant with svca and svcb, opened with both (the caller closes). */
static td_db_t *open_new_tenant(char tid[TD_ID_LEN + 1]) {
    char err[1024] = "";
    td_schema_t svcs[3];
    schemas(svcs);
    new_tenant_id(tid);
    ASSERT_OK(td_db_tenant_create(&E.place, tid, &E.cred, svcs, 2, err, sizeof(err)));
    td_db_t *db = NULL;
    ASSERT_OK(td_db_tenant_open(&E.place, tid, &E.cred, AB, 2, &db, err, sizeof(err)));
    return db;
}

static void test_tenant_ping(void **state) {
    (void)state;
    char tid[TD_ID_LEN + 1], err[1024] = "";
    td_db_t *db = open_new_tenant(tid);
    char err_ok[1024] = "", err_bad[1024] = "";
    td_status ok = td_db_tenant_ping(db, AB, 2, err_ok, sizeof(err_ok));
    static const char *const with_missing[] = {"svca", "svcz"};
    td_status bad = td_db_tenant_ping(db, with_missing, 2, err_bad, sizeof(err_bad));
    td_db_close(db);
    ASSERT_OK(td_db_tenant_drop(&E.place, tid, err, sizeof(err)));
    if (ok != TD_OK)
        fail_msg("ping of a healthy tenant = %s: %s", td_status_code(ok), err_ok);
    if (bad == TD_OK)
        fail_msg("ping of a service the tenant does not have succeeded");
    assert_true(strlen(err_bad) > 0);
}

/* Two tenants never see each other's rows; on PostgreSQL one tenant's
 * credentials do not open another's database. */
static void test_tenant_isolation(void **state) {
    (void)state;
    char a[TD_ID_LEN + 1], b[TD_ID_LEN + 1], err[1024] = "";
    td_schema_t svcs[3];
    schemas(svcs);
    new_tenant_id(a);
    new_tenant_id(b);
    char pw_b[65];
    td_random_hex(pw_b, 32);
    td_tenant_cred_t cred_b = {E.pg ? pw_b : NULL};
    ASSERT_OK(td_db_tenant_create(&E.place, a, &E.cred, svcs, 2, err, sizeof(err)));
    ASSERT_OK(td_db_tenant_create(&E.place, b, &cred_b, svcs, 2, err, sizeof(err)));
    td_db_t *da = NULL, *db = NULL;
    ASSERT_OK(td_db_tenant_open(&E.place, a, &E.cred, AB, 2, &da, err, sizeof(err)));
    ASSERT_OK(td_db_tenant_open(&E.place, b, &cred_b, AB, 2, &db, err, sizeof(err)));
    ASSERT_DB_OK(da, td_db_execv(da, NULL, "INSERT INTO svca.items (id, v) VALUES (?, ?)", "only-a",
                                 "a", NULL));
    assert_int_equal(q_int(da, "SELECT COUNT(*) FROM svca.items"), 1);
    assert_int_equal(q_int(db, "SELECT COUNT(*) FROM svca.items"), 0);
    td_db_close(da);
    td_db_close(db);

    if (E.pg) {
        td_db_t *x = NULL;
        err[0] = '\0';
        td_status st = td_db_tenant_open(&E.place, b, &E.cred, AB, 2, &x, err, sizeof(err));
        if (x)
            td_db_close(x);
        assert_int_not_equal(st, TD_OK);
        assert_null(x);
        assert_null(strstr(err, E.tenant_pw));
        assert_null(strstr(err, pw_b));
        if (E.pg_password[0])
            assert_null(strstr(err, E.pg_password));
    }
    ASSERT_OK(td_db_tenant_drop(&E.place, a, err, sizeof(err)));
    ASSERT_OK(td_db_tenant_drop(&E.place, b, err, sizeof(err)));
}

/* Ids that are not ids we issue are refused by every tenant operation,
 * on both drivers: "../x" would leave the tenants folder, and a short
 * "abc" (which the id rules reject) must not become a database either. */
static void test_tenant_invalid_id(void **state) {
    (void)state;
    td_schema_t svcs[3];
    schemas(svcs);
    char upper[TD_ID_LEN + 1];
    td_id_new(upper);
    for (char *p = upper; *p; p++)
        if (*p >= 'a' && *p <= 'f')
            *p = (char)(*p - 'a' + 'A');
    const char *bad[] = {"../x", "../../etc", "a/b", "x;DROP DATABASE postgres", upper, "abc"};
    char msg[1024] = "";
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char err[1024] = "";
        td_db_t *db = NULL;
        /* whatever happens, the group's teardown drops it */
        assert_true(E.ntids < MAX_MADE);
        snprintf(E.tids[E.ntids++], sizeof(E.tids[0]), "%s", bad[i]);
        td_status st[4];
        st[0] = td_db_tenant_create(&E.place, bad[i], &E.cred, svcs, 2, err, sizeof(err));
        st[1] = td_db_tenant_add_service(&E.place, bad[i], &E.cred, &svcs[2], err, sizeof(err));
        st[2] = td_db_tenant_open(&E.place, bad[i], &E.cred, AB, 2, &db, err, sizeof(err));
        if (db)
            td_db_close(db);
        st[3] = td_db_tenant_drop(&E.place, bad[i], err, sizeof(err));
        static const char *const ops[] = {"create", "add_service", "open", "drop"};
        for (int k = 0; k < 4; k++)
            if (st[k] != TD_E_INVALID)
                snprintf(msg + strlen(msg), sizeof(msg) - strlen(msg), " %s(#%zu)=%s", ops[k],
                         i, td_status_code(st[k]));
        if (st[3] == TD_E_INVALID && strlen(err) == 0)
            snprintf(msg + strlen(msg), sizeof(msg) - strlen(msg), " drop(#%zu) no reason", i);
    }
    /* nothing appeared next to the tenants folder */
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/x", E.tmp);
    assert_int_equal(access(path, F_OK), -1);
    if (msg[0])
        fail_msg("invalid tenant ids not refused with TD_E_INVALID:%s", msg);
}

/* Writes n bytes of garbage (0 = an empty file) at path, in place. */
static void damage(const char *path, size_t n) {
    FILE *f = fopen(path, "r+");
    assert_non_null(f);
    assert_int_equal(ftruncate(fileno(f), 0), 0);
    for (size_t i = 0; i < n; i++)
        fputc((int)(i * 131 % 251), f);
    fclose(f);
}

/* A tenant whose files are damaged: SQLite — a handle notices a file
 * emptied, removed or replaced under it (usable = 0), and attaching an
 * empty, garbage or missing file is TD_E_UNAVAILABLE, never an empty
 * database; PostgreSQL — a connection whose session was terminated is
 * not usable. A healthy handle is. */
static void test_tenant_damaged(void **state) {
    (void)state;
    char tid[TD_ID_LEN + 1], err[1024] = "", path[PATH_MAX + 64], copy[PATH_MAX + 64];
    td_db_t *db = open_new_tenant(tid);
    assert_int_equal(td_db_usable(db), 1);
    if (E.pg) {
        char sql[200];
        snprintf(sql, sizeof(sql), "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                                   " WHERE datname = 'td_%.8s%.4s%.4s%.4s%.12s'",
                 tid, tid + 9, tid + 14, tid + 19, tid + 24);
        assert_int_equal(q_int(E.admin, sql), 1);
        for (int i = 0; i < 100 && td_db_usable(db); i++)
            usleep(20000); /* the session ends a moment later */
        assert_int_equal(td_db_usable(db), 0);
        td_db_close(db);
        return;
    }
    snprintf(path, sizeof(path), "%s/%s/svca.db", E.tenants_dir, tid);
    snprintf(copy, sizeof(copy), "%s/%s/svca.copy", E.tenants_dir, tid);
    td_db_close(db); /* the file complete (checkpointed), then copied */
    char cmd[2 * PATH_MAX + 256];
    snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", path, copy);
    assert_int_equal(system(cmd), 0);

    /* under a live handle: emptied, removed, replaced */
    for (int how = 0; how < 3; how++) {
        ASSERT_OK(td_db_tenant_open(&E.place, tid, &E.cred, AB, 2, &db, err, sizeof(err)));
        assert_int_equal(q_int(db, "SELECT COUNT(*) FROM svca.items"), 0);
        assert_int_equal(td_db_usable(db), 1);
        if (how == 0)
            damage(path, 0);
        else if (how == 1)
            assert_int_equal(unlink(path), 0);
        else {
            snprintf(cmd, sizeof(cmd), "cp '%s' '%s.new'", copy, path);
            assert_int_equal(system(cmd), 0);
            char fresh[PATH_MAX + 80];
            snprintf(fresh, sizeof(fresh), "%s.new", path);
            assert_int_equal(rename(fresh, path), 0);
        }
        if (td_db_usable(db))
            fail_msg("a handle is still usable after its file was %s",
                     how == 0 ? "emptied" : how == 1 ? "removed" : "replaced");
        td_db_close(db);
        snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", copy, path);
        assert_int_equal(system(cmd), 0);
    }
    /* attaching: empty, garbage, missing */
    for (int how = 0; how < 3; how++) {
        if (how < 2)
            damage(path, how ? 8192 : 0);
        else
            assert_int_equal(unlink(path), 0);
        ASSERT_OK(td_db_tenant_open(&E.place, tid, &E.cred, NULL, 0, &db, err, sizeof(err)));
        ASSERT_OK(td_db_tenant_attach(db, "svcb", err, sizeof(err)));
        td_status st = td_db_tenant_attach(db, "svca", err, sizeof(err));
        if (st != TD_E_UNAVAILABLE)
            fail_msg("attaching a%s file = %s", how == 0 ? "n empty" : how == 1 ? " garbage"
                                                                                : " missing",
                     td_status_code(st));
        assert_int_equal(td_db_usable(db), 0);
        td_db_close(db);
        struct stat sb; /* a refused file is left as it was: nothing made it a database */
        assert_int_equal(stat(path, &sb) == 0 ? (int)sb.st_size : -1,
                         how == 2 ? -1 : how ? 8192 : 0);
        snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", copy, path);
        assert_int_equal(system(cmd), 0);
    }
    /* repaired: served again */
    ASSERT_OK(td_db_tenant_open(&E.place, tid, &E.cred, AB, 2, &db, err, sizeof(err)));
    assert_int_equal(q_int(db, "SELECT COUNT(*) FROM svca.items"), 0);
    assert_int_equal(td_db_usable(db), 1);
    td_db_close(db);
}

/* tenant_exists: "1 when anything of the tenant's database exists" — for
 * ids that cannot name a tenant, nothing can. */
static void test_tenant_exists_invalid_id(void **state) {
    (void)state;
    char err[1024] = "";
    ASSERT_OK(td_db_place_check(&E.place, err, sizeof(err))); /* the folder exists */
    const char *bad[] = {"..", ".", "", "../templates", "../tenants"};
    int got[5];
    for (size_t i = 0; i < 5; i++)
        got[i] = td_db_tenant_exists(&E.place, bad[i]);
    char msg[256] = "";
    for (size_t i = 0; i < 5; i++)
        if (got[i] != 0)
            snprintf(msg + strlen(msg), sizeof(msg) - strlen(msg), " \"%s\"", bad[i]);
    if (msg[0])
        fail_msg("tenant_exists = 1 for invalid ids:%s", msg);
}

int main(void) {
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_and_urls),
        cmocka_unit_test(test_bind_and_columns),
        cmocka_unit_test(test_changes),
        cmocka_unit_test(test_unique_violation),
        cmocka_unit_test(test_insert_rows),
        cmocka_unit_test(test_syntax_error),
        cmocka_unit_test(test_transactions),
        cmocka_unit_test(test_placeholders_and_reprepare),
        cmocka_unit_test(test_migrate),
        cmocka_unit_test(test_migrate_failure_leaves_nothing),
        cmocka_unit_test(test_tenant_lifecycle),
        cmocka_unit_test(test_tenant_ping),
        cmocka_unit_test(test_tenant_damaged),
        cmocka_unit_test(test_tenant_brought_database),
        cmocka_unit_test(test_tenant_isolation),
        cmocka_unit_test(test_tenant_invalid_id),
        cmocka_unit_test(test_tenant_exists_invalid_id),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
