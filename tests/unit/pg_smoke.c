/* pg_smoke.c — throwaway smoke test of the PostgreSQL driver against a
 * live server (not part of the build).
 *
 *   D=$(mktemp -d); URL=$(scripts/pg-cluster start $D/pg)
 *   gcc -std=c17 -D_GNU_SOURCE -Isrc tests/unit/pg_smoke.c src/store/postgres.c \
 *       src/common/id.c src/common/timeutil.c src/common/status.c -o /tmp/pg_smoke \
 *       $(pkg-config --cflags --libs libpq libsodium) -fsanitize=address,undefined
 *   /tmp/pg_smoke "$URL"; scripts/pg-cluster stop $D/pg
 *
 * Calls the driver struct directly so it does not need store.c. */
#include <libpq-fe.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/id.h"
#include "store/store.h"

static const td_db_driver_t *D = &td_postgres_driver;
static int failures;

#define CHECK(cond)                                                                \
    do {                                                                           \
        if (!(cond)) {                                                             \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
            failures++;                                                            \
        }                                                                          \
    } while (0)
#define OK(expr)                                                                   \
    do {                                                                           \
        td_status st_ = (expr);                                                    \
        if (st_ != TD_OK) {                                                        \
            fprintf(stderr, "%s:%d: %s = %d (%s)\n", __FILE__, __LINE__, #expr,    \
                    (int)st_, err);                                                \
            exit(1);                                                               \
        }                                                                          \
    } while (0)

static char err[1024];

static const td_migration_t crm_migs[] = {
    {"crm", 1, "0001_init.sql",
     "CREATE SCHEMA crm;"
     "CREATE TABLE crm.customers (id BIGSERIAL PRIMARY KEY, email TEXT NOT NULL UNIQUE,"
     " note TEXT, active BOOLEAN NOT NULL DEFAULT true, photo BYTEA,"
     " score INTEGER CHECK (score >= 0));"},
    {"crm", 2, "0002_tags.sql",
     "CREATE TABLE crm.tags (customer_id BIGINT NOT NULL REFERENCES crm.customers(id),"
     " tag TEXT NOT NULL);"},
};
static const td_migration_t notes_migs[] = {
    {"notes", 1, "0001_init.sql", "CREATE SCHEMA notes; CREATE TABLE notes.n (body TEXT);"},
};
static const td_migration_t tasks_migs[] = {
    {"tasks", 1, "0001_init.sql", "CREATE SCHEMA tasks; CREATE TABLE tasks.t (title TEXT);"},
    {"tasks", 2, "0002_done.sql", "ALTER TABLE tasks.t ADD COLUMN done BOOLEAN DEFAULT false;"},
};
static const td_schema_t schemas[] = {
    {"notes", notes_migs, 1},
    {"crm", crm_migs, 2},
};
static const td_schema_t tasks = {"tasks", tasks_migs, 2};

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* One value of a one-row query, as text (static buffer). */
static const char *q1(td_db_t *db, const char *sql) {
    static char out[256];
    td_stmt_t *st;
    out[0] = '\0';
    if (D->prepare(db, sql, &st) != TD_OK) {
        snprintf(out, sizeof(out), "ERR %s", D->errmsg(db));
        return out;
    }
    if (D->step(st) == TD_DB_ROW && D->column_text(st, 0))
        snprintf(out, sizeof(out), "%s", D->column_text(st, 0));
    D->finalize(st);
    return out;
}

static void test_statements(td_db_t *db) {
    td_stmt_t *st;
    const unsigned char blob[5] = {0, 1, 0xff, '\\', 'x'};

    OK(D->prepare(db,
                  "INSERT INTO crm.customers (email, note, photo, score) VALUES (?, ?, ?, ?)"
                  " -- a comment with a ? in it\n",
                  &st));
    OK(D->bind_text(st, 1, "a@x.test"));
    OK(D->bind_null(st, 2));
    OK(D->bind_blob(st, 3, blob, sizeof(blob)));
    OK(D->bind_int64(st, 4, 7));
    CHECK(D->bind_int64(st, 5, 1) == TD_E_INVALID);
    CHECK(D->bind_int64(st, 0, 1) == TD_E_INVALID);
    CHECK(D->step(st) == TD_DB_DONE);
    CHECK(D->changes(st) == 1);
    CHECK(D->step(st) == TD_DB_DONE);
    /* rebinding starts over */
    OK(D->bind_text(st, 1, "b@x.test"));
    OK(D->bind_text(st, 2, "it's \"quoted\" ?"));
    OK(D->bind_blob(st, 3, "", 0));
    OK(D->bind_null(st, 4));
    CHECK(D->step(st) == TD_DB_DONE);
    CHECK(D->step(st) == TD_DB_DONE); /* no re-execution without a rebind */
    /* duplicate email → EXISTS */
    OK(D->bind_text(st, 1, "b@x.test"));
    CHECK(D->step(st) == TD_E_EXISTS);
    CHECK(strstr(D->errmsg(db), "23505") != NULL);
    D->finalize(st);

    OK(D->prepare(db, "SELECT email, note, photo, active, score, '?' AS \"q?\" FROM crm.customers "
                      "WHERE email LIKE ? ORDER BY email",
                  &st));
    OK(D->bind_text(st, 1, "%@x.test"));
    CHECK(D->column_count(st) == 0);
    CHECK(D->step(st) == TD_DB_ROW);
    CHECK(D->column_count(st) == 6);
    CHECK(strcmp(D->column_name(st, 5), "q?") == 0);
    CHECK(strcmp(D->column_text(st, 5), "?") == 0);
    CHECK(strcmp(D->column_text(st, 0), "a@x.test") == 0);
    CHECK(D->column_text(st, 1) == NULL && D->column_is_null(st, 1));
    size_t len = 99;
    const unsigned char *b = D->column_blob(st, 2, &len);
    CHECK(b && len == sizeof(blob) && memcmp(b, blob, len) == 0);
    CHECK(D->column_blob(st, 2, &len) == b); /* cached until next step */
    CHECK(D->column_int64(st, 3) == 1);
    CHECK(D->column_int64(st, 4) == 7);
    CHECK(D->column_text(st, 9) == NULL);
    CHECK(D->step(st) == TD_DB_ROW);
    CHECK(strcmp(D->column_text(st, 1), "it's \"quoted\" ?") == 0);
    b = D->column_blob(st, 2, &len);
    CHECK(b != NULL && len == 0);
    CHECK(D->column_is_null(st, 4));
    CHECK(D->step(st) == TD_DB_DONE);
    CHECK(D->column_text(st, 0) == NULL);
    D->finalize(st);

    /* constraint violations other than unique → CONFLICT */
    OK(D->prepare(db, "INSERT INTO crm.tags VALUES (?, 'x')", &st));
    OK(D->bind_int64(st, 1, 424242));
    CHECK(D->step(st) == TD_E_CONFLICT);
    D->finalize(st);
    CHECK(D->exec(db, "UPDATE crm.customers SET score = -1") == TD_E_CONFLICT);
    CHECK(D->exec(db, "SELEC 1") == TD_E_DB);
    CHECK(strstr(D->errmsg(db), "syntax") != NULL);

    /* quoting: E-strings, dollar quotes, block comments, casts */
    CHECK(strcmp(q1(db, "SELECT E'\\'?' || $$?$$ || $t$?$t$ /* ? /* ? */ */ || 'x'::text"),
                 "'???x") == 0);

    /* the statement cache: the same text again costs no new server statement */
    const char *n1 = strdup(q1(db, "SELECT count(*) FROM pg_prepared_statements"));
    const char *n2 = q1(db, "SELECT count(*) FROM pg_prepared_statements");
    CHECK(strcmp(n1, n2) == 0);
    free((void *)n1);

    /* transactions */
    OK(D->begin(db, TD_DB_WRITE));
    OK(D->exec(db, "INSERT INTO crm.customers (email) VALUES ('tx@x.test')"));
    OK(D->rollback(db));
    CHECK(strcmp(q1(db, "SELECT count(*) FROM crm.customers WHERE email='tx@x.test'"), "0") == 0);
    OK(D->begin(db, TD_DB_READ));
    CHECK(D->exec(db, "SELECT 1/0") == TD_E_DB);
    CHECK(D->commit(db) == TD_E_DB);
    OK(D->begin(db, TD_DB_WRITE));
    OK(D->exec(db, "INSERT INTO crm.customers (email) VALUES ('tx@x.test')"));
    OK(D->commit(db));
    CHECK(strcmp(q1(db, "SELECT count(*) FROM crm.customers WHERE email='tx@x.test'"), "1") == 0);

    /* the tenant role cannot change the schema */
    CHECK(D->exec(db, "CREATE TABLE public.evil (a int)") == TD_E_DB);
    CHECK(D->exec(db, "CREATE TABLE crm.evil (a int)") == TD_E_DB);
    CHECK(D->exec(db, "DROP TABLE crm.tags") == TD_E_DB);
    CHECK(strcmp(q1(db, "SELECT count(*) FROM public.td_migrations"), "3") == 0);
}

/* A cached SELECT * survives a column added by someone else. */
static void test_stale_plan(td_db_t *db, td_db_t *admin) {
    CHECK(strcmp(q1(db, "SELECT * FROM notes.n"), "") == 0);
    OK(D->exec(admin, "ALTER TABLE notes.n ADD COLUMN extra TEXT"));
    CHECK(strncmp(q1(db, "SELECT * FROM notes.n"), "ERR", 3) != 0);
}

static void admin_url_for(const char *url, const char *dbname, char *out, size_t n) {
    const char *slash = strrchr(url, '/');
    snprintf(out, n, "%.*s/%s", (int)(slash - url), url, dbname);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: pg_smoke ADMIN_URL\n");
        return 2;
    }
    if (sodium_init() < 0)
        return 1;
    const char *url = argv[1];
    td_place_t pl = {D, url, NULL};
    char a[TD_ID_LEN + 1], b[TD_ID_LEN + 1], c[TD_ID_LEN + 1], ca[33], cb[33];
    char pwa[33], pwb[33];
    td_id_new(a), td_id_new(b), td_id_new(c);
    td_id_compact(a, ca), td_id_compact(b, cb);
    td_random_hex(pwa, 16), td_random_hex(pwb, 16);
    td_tenant_cred_t cra = {pwa}, crb = {pwb};
    td_db_t *db, *dbb, *admin;
    double t0;

    CHECK(D->version == TD_DB_DRIVER_VERSION && strcmp(D->name, "postgres") == 0);
    OK(D->place_check(&pl, err, sizeof(err)));

    /* bad URLs and unreachable servers, without leaking the password */
    CHECK(D->open("mysql://u:pw@h/x", 0, &db, err, sizeof(err)) == TD_E_INVALID && !db);
    CHECK(D->open("postgres://u:sekrit99@127.0.0.1:5/x?password=sekrit99&bogus=1", 0, &db, err,
                  sizeof(err)) == TD_E_INVALID);
    CHECK(!strstr(err, "sekrit99"));
    CHECK(D->open("postgres://u:sekrit99@127.0.0.1:1/x?connect_timeout=2", 0, &db, err,
                  sizeof(err)) == TD_E_UNAVAILABLE);
    CHECK(!strstr(err, "sekrit99") && strstr(err, "***"));
    printf("unreachable: %s\n", err);
    td_place_t bad = {D, "postgres://postgres:sekrit99@127.0.0.1:1/postgres", NULL};
    CHECK(D->place_check(&bad, err, sizeof(err)) == TD_E_UNAVAILABLE);
    CHECK(D->tenant_exists(&bad, a) == 1);
    CHECK(D->tenant_exists(&pl, "Not/An;Id") == 0);
    CHECK(D->tenant_create(&pl, "x'; DROP", &cra, schemas, 2, err, sizeof(err)) == TD_E_INVALID);

    /* a failing migration: the error names it, nothing is left behind */
    {
        static const td_migration_t badm[] = {
            {"bad", 1, "0001_init.sql", "CREATE SCHEMA bad; CREATE TABLE bad.t (a nope);"}};
        const td_schema_t bads[] = {{"bad", badm, 1}};
        CHECK(D->tenant_create(&pl, a, &cra, bads, 1, err, sizeof(err)) == TD_E_DB);
        printf("bad migration: %s\n", err);
        CHECK(strstr(err, "0001_init.sql") && strstr(err, "nope"));
        CHECK(D->tenant_exists(&pl, a) == 0);
        td_db_t *adm;
        OK(D->open(url, 0, &adm, err, sizeof(err)));
        CHECK(strcmp(q1(adm, "SELECT count(*) FROM pg_database WHERE datname LIKE '%_tmp'"),
                     "0") == 0);
        D->close(adm);
    }

    /* create: twice is fine; a second tenant times the clone alone */
    CHECK(D->tenant_exists(&pl, a) == 0);
    t0 = now_ms();
    OK(D->tenant_create(&pl, a, &cra, schemas, 2, err, sizeof(err)));
    printf("tenant_create (building the template): %.1f ms\n", now_ms() - t0);
    t0 = now_ms();
    OK(D->tenant_create(&pl, a, &cra, schemas, 2, err, sizeof(err)));
    printf("tenant_create (again, nothing to do):  %.1f ms\n", now_ms() - t0);
    const td_schema_t rev[2] = {schemas[1], schemas[0]}; /* order does not matter */
    t0 = now_ms();
    OK(D->tenant_create(&pl, b, &crb, rev, 2, err, sizeof(err)));
    printf("tenant_create (template made):         %.1f ms\n", now_ms() - t0);
    CHECK(D->tenant_exists(&pl, a) == 1);

    /* open as the tenant role */
    const char *svcs[] = {"crm", "notes"};
    OK(D->tenant_open(&pl, a, &cra, svcs, 2, &db, err, sizeof(err)));
    CHECK(strcmp(q1(db, "SELECT current_user"), "td_") > 0);
    test_statements(db);
    char aurl[512], name[40];
    snprintf(name, sizeof(name), "td_%s", ca);
    admin_url_for(url, name, aurl, sizeof(aurl));
    OK(D->open(aurl, 0, &admin, err, sizeof(err)));
    test_stale_plan(db, admin);
    D->close(admin);

    /* wrong password: unavailable, names the tenant, not the password */
    td_tenant_cred_t wrong = {"wrong-password-123"};
    CHECK(D->tenant_open(&pl, a, &wrong, svcs, 2, &dbb, err, sizeof(err)) == TD_E_UNAVAILABLE);
    CHECK(strstr(err, a) && !strstr(err, "wrong-password-123") && !strstr(err, pwa));
    printf("wrong password: %s\n", err);

    /* tenant b's role cannot reach tenant a's database */
    {
        char rb[40];
        snprintf(rb, sizeof(rb), "td_%s", cb);
        const char *kw[] = {"dbname", "dbname", "user", "password", NULL};
        const char *val[] = {url, name, rb, pwb, NULL};
        PGconn *pc = PQconnectdbParams(kw, val, 1);
        CHECK(PQstatus(pc) != CONNECTION_OK);
        CHECK(strstr(PQerrorMessage(pc), "permission denied") != NULL);
        PQfinish(pc);
        val[1] = rb; /* but its own, yes */
        pc = PQconnectdbParams(kw, val, 1);
        CHECK(PQstatus(pc) == CONNECTION_OK);
        PQfinish(pc);
    }

    /* add a service, twice */
    OK(D->tenant_add_service(&pl, a, &cra, &tasks, err, sizeof(err)));
    OK(D->tenant_add_service(&pl, a, &cra, &tasks, err, sizeof(err)));
    OK(D->exec(db, "INSERT INTO tasks.t (title) VALUES ('t1')"));
    CHECK(strcmp(q1(db, "SELECT done FROM tasks.t"), "f") == 0);
    CHECK(strcmp(q1(db, "SELECT count(*) FROM public.td_migrations"), "5") == 0);
    /* the same service added by three processes at once */
    {
        static const td_migration_t xm[] = {
            {"extra", 1, "0001.sql", "CREATE SCHEMA extra; CREATE TABLE extra.e (v INT);"},
            {"extra", 2, "0002.sql", "CREATE TABLE extra.f (v INT);"}};
        const td_schema_t extra = {"extra", xm, 2};
        pid_t k[3];
        for (int i = 0; i < 3; i++)
            if ((k[i] = fork()) == 0)
                _exit(D->tenant_add_service(&pl, a, &cra, &extra, err, sizeof(err)) != TD_OK);
        for (int i = 0; i < 3; i++) {
            int ws;
            waitpid(k[i], &ws, 0);
            CHECK(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
        }
        OK(D->exec(db, "INSERT INTO extra.f VALUES (1)"));
        CHECK(strcmp(q1(db, "SELECT count(*) FROM public.td_migrations"), "7") == 0);
    }
    D->close(db);

    /* concurrent provisioning of a new template */
    const td_schema_t only_tasks[1] = {tasks};
    pid_t kids[4];
    for (int i = 0; i < 4; i++) {
        if ((kids[i] = fork()) == 0) {
            char id[TD_ID_LEN + 1];
            td_id_new(id);
            td_status s1 = D->tenant_create(&pl, id, &cra, only_tasks, 1, err, sizeof(err));
            if (s1)
                fprintf(stderr, "child: %s\n", err);
            td_status s2 = D->tenant_drop(&pl, id, err, sizeof(err));
            _exit(s1 || s2);
        }
    }
    for (int i = 0; i < 4; i++) {
        int ws;
        waitpid(kids[i], &ws, 0);
        CHECK(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
    }

    /* a crash mid-create: role exists, database does not → create repairs */
    OK(D->tenant_create(&pl, c, &cra, schemas, 2, err, sizeof(err)));
    {
        char cc[33], sql[128];
        td_id_compact(c, cc);
        OK(D->open(url, 0, &admin, err, sizeof(err)));
        snprintf(sql, sizeof(sql), "DROP DATABASE td_%s", cc);
        OK(D->exec(admin, sql));
        D->close(admin);
        CHECK(D->tenant_exists(&pl, c) == 1);
        OK(D->tenant_create(&pl, c, &cra, schemas, 2, err, sizeof(err)));
        OK(D->tenant_open(&pl, c, &cra, svcs, 2, &db, err, sizeof(err)));
        CHECK(strcmp(q1(db, "SELECT count(*) FROM crm.customers"), "0") == 0);
        D->close(db);
    }

    /* drop, while a session is open; twice */
    OK(D->tenant_open(&pl, b, &crb, svcs, 2, &dbb, err, sizeof(err)));
    OK(D->tenant_drop(&pl, b, err, sizeof(err)));
    CHECK(D->exec(dbb, "SELECT 1") == TD_E_UNAVAILABLE);
    D->close(dbb);
    OK(D->tenant_drop(&pl, b, err, sizeof(err)));
    CHECK(D->tenant_exists(&pl, b) == 0);
    OK(D->tenant_drop(&pl, a, err, sizeof(err)));
    OK(D->tenant_drop(&pl, c, err, sizeof(err)));
    CHECK(D->tenant_exists(&pl, a) == 0);

    /* timing: 20 creates with the template made */
    double total = 0;
    for (int i = 0; i < 20; i++) {
        char id[TD_ID_LEN + 1];
        td_id_new(id);
        t0 = now_ms();
        OK(D->tenant_create(&pl, id, &cra, schemas, 2, err, sizeof(err)));
        total += now_ms() - t0;
        OK(D->tenant_drop(&pl, id, err, sizeof(err)));
    }
    printf("tenant_create mean of 20 (template made): %.1f ms\n", total / 20);

    printf(failures ? "FAILED (%d)\n" : "ok\n", failures);
    return failures != 0;
}
