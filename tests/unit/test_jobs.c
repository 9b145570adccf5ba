/* test_jobs.c — the job queue's catalog functions (catalog/jobs.c) on a
 * real catalog of the backend named by TD_TEST_BACKEND: "sqlite" (a file
 * in a mkdtemp folder) or "postgres" (a fresh tdunit_jobs_<random>
 * database on the cluster at TD_TEST_PG_URL, dropped at the end).
 *
 * The catalog functions take the time as an argument, so lease expiry and
 * backoff are tested by passing later times, never by waiting. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ftw.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "common/id.h"
#include "jobs/cron.h"
#include "jobs/jobs.h"
#include <time.h>

#define T0 1700000000000LL /* the tests' "now" */

static struct {
    char tmp[256];
    char pg_db[64];
    td_db_t *admin;    /* the cluster's maintenance database (PostgreSQL) */
    int nfresh;
    td_catalog_t *cat; /* the catalog of the current test */
    td_db_t *db;       /* a connection leased from it */
    td_arena_t *a;
} E;

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

static int group_setup(void **state) {
    (void)state;
    snprintf(E.tmp, sizeof(E.tmp), "/tmp/tdunit_jobs.XXXXXX");
    if (!mkdtemp(E.tmp))
        return -1;
    const char *backend = getenv("TD_TEST_BACKEND");
    if (!backend || strcmp(backend, "postgres") != 0)
        return 0;
    const char *url = getenv("TD_TEST_PG_URL");
    char err[512] = "";
    if (!url || td_db_open(url, 0, &E.admin, err, sizeof(err)) != TD_OK) {
        fprintf(stderr, "TD_TEST_BACKEND=postgres needs a reachable TD_TEST_PG_URL: %s\n", err);
        return -1;
    }
    return 0;
}

static int group_teardown(void **state) {
    (void)state;
    td_db_close(E.admin);
    return nftw(E.tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* A new, empty catalog for each test. */
static int setup(void **state) {
    (void)state;
    char url[512], err[512] = "";
    if (E.admin) {
        char hex[17], sql[160];
        td_random_hex(hex, 8);
        snprintf(E.pg_db, sizeof(E.pg_db), "tdunit_jobs_%s", hex);
        snprintf(sql, sizeof(sql), "CREATE DATABASE %s", E.pg_db);
        if (td_db_exec(E.admin, sql) != TD_OK)
            return -1;
        const char *base = getenv("TD_TEST_PG_URL");
        const char *slash = strrchr(base, '/');
        snprintf(url, sizeof(url), "%.*s/%s", (int)(slash - base), base, E.pg_db);
    } else {
        snprintf(url, sizeof(url), "%s/catalog%d.db", E.tmp, E.nfresh++);
    }
    if (td_catalog_open(url, 8, &E.cat, err, sizeof(err)) != TD_OK) {
        fprintf(stderr, "catalog: %s\n", err);
        return -1;
    }
    E.a = td_arena_new(0);
    return td_catalog_lease(E.cat, E.a, &E.db) == TD_OK ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    td_arena_destroy(E.a); /* returns the lease */
    td_catalog_close(E.cat);
    if (E.admin) {
        char sql[160];
        snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", E.pg_db);
        td_db_exec(E.admin, sql);
    }
    return 0;
}

/* Queues a job of kind with max attempts, due at run_after; id in id. */
static void enqueue(const char *kind, const char *tenant, int max, int64_t run_after,
                    char id[TD_ID_LEN + 1]) {
    td_id_new(id);
    td_job_row_t j = {.id = id, .kind = kind, .tenant_id = tenant, .payload = "{\"n\":1}",
                      .max_attempts = max, .run_after = run_after, .created_by = "test"};
    assert_int_equal(td_cat_job_insert(E.db, &j, T0), TD_OK);
}

static td_status claim(const char *owner, int64_t now, int64_t lease, td_job_row_t *out) {
    return td_cat_job_claim(E.db, E.a, owner, now, lease, out);
}

static const char *state_of(const char *id) {
    td_job_row_t r;
    assert_int_equal(td_cat_job_get(E.db, E.a, id, &r), TD_OK);
    return r.state;
}

static void test_claim_takes_a_job_once(void **state) {
    (void)state;
    char id[TD_ID_LEN + 1];
    td_job_row_t r;
    enqueue("sessions.cleanup", NULL, 3, T0, id);
    assert_int_equal(claim("w1", T0, 30000, &r), TD_OK);
    assert_string_equal(r.id, id);
    assert_string_equal(r.state, "running");
    assert_string_equal(r.lease_owner, "w1");
    assert_string_equal(r.payload, "{\"n\":1}");
    assert_int_equal(r.attempts, 1);
    assert_int_equal(r.lease_until, T0 + 30000);
    assert_int_equal(claim("w2", T0 + 1000, 30000, &r), TD_E_NOTFOUND);
}

static void test_claim_waits_for_run_after(void **state) {
    (void)state;
    char id[TD_ID_LEN + 1];
    td_job_row_t r;
    enqueue("sessions.cleanup", NULL, 3, T0 + 5000, id);
    assert_int_equal(claim("w1", T0 + 4999, 30000, &r), TD_E_NOTFOUND);
    assert_int_equal(claim("w1", T0 + 5000, 30000, &r), TD_OK);
}

typedef struct {
    char got[64][TD_ID_LEN + 1];
    int n;
    td_catalog_t *cat;
} claimer_t;

/* Claims on its own connection until nothing is due. */
static void *claimer(void *arg) {
    claimer_t *c = arg;
    td_arena_t *a = td_arena_new(0);
    td_db_t *db;
    char owner[32];
    snprintf(owner, sizeof(owner), "w%p", arg);
    if (td_catalog_lease(c->cat, a, &db) == TD_OK) {
        td_job_row_t r;
        td_status st;
        while (c->n < 64 &&
               ((st = td_cat_job_claim(db, a, owner, T0, 30000, &r)) == TD_OK || st == TD_E_BUSY))
            if (st == TD_OK)
                snprintf(c->got[c->n++], TD_ID_LEN + 1, "%s", r.id);
    }
    td_arena_destroy(a);
    return NULL;
}

static void test_concurrent_claimers_never_share_a_job(void **state) {
    (void)state;
    enum { NJOBS = 40, NTHREADS = 4 };
    char ids[NJOBS][TD_ID_LEN + 1];
    for (int i = 0; i < NJOBS; i++)
        enqueue("sessions.cleanup", NULL, 3, T0, ids[i]);
    static claimer_t c[NTHREADS];
    pthread_t t[NTHREADS];
    for (int i = 0; i < NTHREADS; i++) {
        c[i] = (claimer_t){.cat = E.cat};
        assert_int_equal(pthread_create(&t[i], NULL, claimer, &c[i]), 0);
    }
    int total = 0;
    for (int i = 0; i < NTHREADS; i++) {
        pthread_join(t[i], NULL);
        total += c[i].n;
    }
    /* every job claimed, each exactly once */
    assert_int_equal(total, NJOBS);
    for (int i = 0; i < NJOBS; i++) {
        int seen = 0;
        for (int k = 0; k < NTHREADS; k++)
            for (int m = 0; m < c[k].n; m++)
                seen += strcmp(c[k].got[m], ids[i]) == 0;
        assert_int_equal(seen, 1);
    }
}

static void test_expired_lease_makes_job_claimable_again(void **state) {
    (void)state;
    char id[TD_ID_LEN + 1];
    td_job_row_t r, p;
    enqueue("sessions.cleanup", NULL, 3, T0, id);
    assert_int_equal(claim("dead", T0, 1000, &r), TD_OK);
    p = r;
    p.step = 2, p.done = 1, p.total = 3, p.message = "half", p.checkpoint = "t1";
    assert_int_equal(td_cat_job_progress(E.db, &p, "dead", T0 + 500, 1000), TD_OK);
    /* the progress extended the lease to T0 + 1500 */
    assert_int_equal(claim("w2", T0 + 1400, 1000, &r), TD_E_NOTFOUND);
    assert_int_equal(claim("w2", T0 + 1501, 1000, &r), TD_OK);
    assert_string_equal(r.id, id);
    assert_string_equal(r.lease_owner, "w2");
    assert_int_equal(r.attempts, 2);
    assert_int_equal(r.step, 2); /* resumes from the recorded step */
    assert_string_equal(r.checkpoint, "t1");
    /* the dead worker's lease is gone: it can neither report nor finish */
    assert_int_equal(td_cat_job_progress(E.db, &p, "dead", T0 + 1600, 1000), TD_E_STATE);
    assert_int_equal(td_cat_job_finish(E.db, id, "dead", T0 + 1600, NULL, 0), TD_E_STATE);
    assert_int_equal(td_cat_job_finish(E.db, id, "w2", T0 + 1600, NULL, 0), TD_OK);
    assert_string_equal(state_of(id), "succeeded");
}

static void test_failure_retries_after_backoff_then_fails(void **state) {
    (void)state;
    char id[TD_ID_LEN + 1];
    td_job_row_t r;
    enqueue("sessions.cleanup", NULL, 2, T0, id);
    assert_int_equal(claim("w", T0, 30000, &r), TD_OK);
    assert_int_equal(td_cat_job_finish(E.db, id, "w", T0 + 10, "boom: first", T0 + 5010), TD_OK);
    assert_int_equal(td_cat_job_get(E.db, E.a, id, &r), TD_OK);
    assert_string_equal(r.state, "queued");
    assert_string_equal(r.error, "boom: first");
    assert_null(r.lease_owner);
    assert_int_equal(r.finished_at, 0);
    assert_int_equal(claim("w", T0 + 5009, 30000, &r), TD_E_NOTFOUND);
    assert_int_equal(claim("w", T0 + 5010, 30000, &r), TD_OK);
    assert_int_equal(r.attempts, 2);
    /* the last attempt fails for good */
    assert_int_equal(td_cat_job_finish(E.db, id, "w", T0 + 6000, "boom: second", T0 + 99999),
                     TD_OK);
    assert_int_equal(td_cat_job_get(E.db, E.a, id, &r), TD_OK);
    assert_string_equal(r.state, "failed");
    assert_int_equal(r.finished_at, T0 + 6000);
    assert_int_equal(claim("w", T0 + 999999, 30000, &r), TD_E_NOTFOUND);
}

static void test_expired_lease_without_attempts_left_fails(void **state) {
    (void)state;
    char id[TD_ID_LEN + 1];
    td_job_row_t r;
    int64_t n = -1;
    enqueue("sessions.cleanup", NULL, 1, T0, id);
    assert_int_equal(claim("dead", T0, 1000, &r), TD_OK);
    assert_int_equal(td_cat_job_expire(E.db, T0 + 999, &n), TD_OK);
    assert_int_equal(n, 0);
    assert_int_equal(claim("w", T0 + 2000, 1000, &r), TD_E_NOTFOUND);
    assert_int_equal(td_cat_job_expire(E.db, T0 + 2000, &n), TD_OK);
    assert_int_equal(n, 1);
    assert_int_equal(td_cat_job_get(E.db, E.a, id, &r), TD_OK);
    assert_string_equal(r.state, "failed");
    assert_string_equal(r.error, "lease_expired");
}

static void test_cancel_and_retry(void **state) {
    (void)state;
    char q[TD_ID_LEN + 1], run[TD_ID_LEN + 1], none[TD_ID_LEN + 1];
    td_job_row_t r;
    enqueue("sessions.cleanup", NULL, 3, T0, run);
    assert_int_equal(claim("w", T0, 30000, &r), TD_OK);
    enqueue("sessions.cleanup", NULL, 3, T0, q);
    td_id_new(none);
    assert_int_equal(td_cat_job_cancel(E.db, none, T0), TD_E_NOTFOUND);
    assert_int_equal(td_cat_job_retry(E.db, q, T0), TD_E_STATE); /* queued: nothing to retry */
    assert_int_equal(td_cat_job_cancel(E.db, q, T0), TD_OK);
    assert_string_equal(state_of(q), "cancelled");
    assert_int_equal(td_cat_job_cancel(E.db, q, T0), TD_E_STATE);
    assert_int_equal(claim("w", T0, 30000, &r), TD_E_NOTFOUND); /* a cancelled job never runs */
    /* a running job cancelled: its worker learns at its next report */
    assert_int_equal(td_cat_job_cancel(E.db, run, T0 + 1), TD_OK);
    r.step = 1;
    assert_int_equal(td_cat_job_progress(E.db, &r, "w", T0 + 2, 30000), TD_E_STATE);
    assert_int_equal(td_cat_job_finish(E.db, run, "w", T0 + 2, NULL, 0), TD_E_STATE);
    assert_string_equal(state_of(run), "cancelled");
    /* retry queues it again with fresh attempts */
    assert_int_equal(td_cat_job_retry(E.db, run, T0 + 10), TD_OK);
    assert_int_equal(claim("w", T0 + 10, 30000, &r), TD_OK);
    assert_string_equal(r.id, run);
    assert_int_equal(r.attempts, 1);
}

static int by_id_desc(const void *x, const void *y) { return -strcmp(x, y); }

static void test_list_filters_and_cursor(void **state) {
    (void)state;
    char ids[5][TD_ID_LEN + 1], tenant[TD_ID_LEN + 1];
    td_id_new(tenant);
    for (int i = 0; i < 5; i++)
        enqueue(i < 3 ? "sessions.cleanup" : "other.kind", i == 1 ? tenant : NULL, 3, T0, ids[i]);
    /* ids made in one millisecond are ordered by their random part: pages
     * follow id order, newest millisecond first */
    char desc[5][TD_ID_LEN + 1];
    memcpy(desc, ids, sizeof(desc));
    qsort(desc, 5, sizeof(desc[0]), by_id_desc);
    td_job_row_t *rows, r;
    size_t n;
    td_job_filter_t f = {.limit = 2};
    for (int page = 0; page < 3; page++) {
        assert_int_equal(td_cat_job_list(E.db, E.a, &f, &rows, &n), TD_OK);
        assert_int_equal(n, page < 2 ? 2 : 1);
        for (size_t i = 0; i < n; i++)
            assert_string_equal(rows[i].id, desc[page * 2 + (int)i]);
        f.before = rows[n - 1].id;
    }

    f = (td_job_filter_t){.kind = "other.kind", .limit = 10};
    assert_int_equal(td_cat_job_list(E.db, E.a, &f, &rows, &n), TD_OK);
    assert_int_equal(n, 2);
    f = (td_job_filter_t){.tenant_id = tenant, .limit = 10};
    assert_int_equal(td_cat_job_list(E.db, E.a, &f, &rows, &n), TD_OK);
    assert_int_equal(n, 1);
    assert_string_equal(rows[0].id, ids[1]);
    assert_int_equal(claim("w", T0, 30000, &r), TD_OK);
    f = (td_job_filter_t){.state = "running", .limit = 10};
    assert_int_equal(td_cat_job_list(E.db, E.a, &f, &rows, &n), TD_OK);
    assert_int_equal(n, 1);
    assert_string_equal(rows[0].id, r.id);
}

static void test_kind_table(void **state) {
    (void)state;
    size_t n;
    const td_job_kind_t *k = td_job_kinds(&n);
    assert_true(n >= 1);
    for (size_t i = 0; i < n; i++) {
        assert_ptr_equal(td_job_kind_find(k[i].name), &k[i]);
        assert_non_null(k[i].run);
        assert_true(strlen(k[i].description) > 0);
    }
    assert_non_null(td_job_kind_find("sessions.cleanup"));
    assert_null(td_job_kind_find("no.such.kind"));
    assert_null(td_job_kind_find(NULL));
}

static void test_cron_fires_once_per_run(void **state) {
    (void)state;
    td_cron_row_t c = {.name = "nightly", .schedule = "0 3 * * *", .kind = "sessions.cleanup",
                       .payload = "{}", .enabled = 1, .next_run = T0}, *rows;
    size_t n;
    assert_int_equal(td_cat_cron_insert(E.db, &c, T0), TD_OK);
    assert_int_equal(td_cat_cron_insert(E.db, &c, T0), TD_E_EXISTS);
    assert_int_equal(td_cat_cron_list(E.db, E.a, T0 - 1, &rows, &n), TD_OK);
    assert_int_equal(n, 0); /* not due yet */
    assert_int_equal(td_cat_cron_list(E.db, E.a, T0, &rows, &n), TD_OK);
    assert_int_equal(n, 1);
    /* two workers saw it due: only the first moves it */
    assert_int_equal(td_cat_cron_advance(E.db, "nightly", T0, T0 + 86400000), TD_OK);
    assert_int_equal(td_cat_cron_advance(E.db, "nightly", T0, T0 + 86400000), TD_E_STATE);
    assert_int_equal(td_cat_cron_execution_add(E.db, "nightly", "job1", T0, T0), TD_OK);
    assert_int_equal(td_cat_cron_execution_add(E.db, "nightly", "job2", T0, T0), TD_E_EXISTS);
    c.enabled = 0;
    c.next_run = T0;
    assert_int_equal(td_cat_cron_update(E.db, &c, T0), TD_OK);
    assert_int_equal(td_cat_cron_list(E.db, E.a, T0, &rows, &n), TD_OK);
    assert_int_equal(n, 0); /* disabled */
    assert_int_equal(td_cat_cron_advance(E.db, "nightly", T0, T0 + 1), TD_E_STATE);
    assert_int_equal(td_cat_cron_delete(E.db, "nightly"), TD_OK);
    assert_int_equal(td_cat_cron_delete(E.db, "nightly"), TD_E_NOTFOUND);
    c.name = "other";
    assert_int_equal(td_cat_cron_update(E.db, &c, T0), TD_E_NOTFOUND);
}

/* Unix ms of a UTC time. */
static int64_t utc(int y, int mo, int d, int h, int mi) {
    struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi};
    return (int64_t)timegm(&tm) * 1000;
}

static int64_t next_of(const char *expr, int64_t after) {
    td_cron_t c;
    if (td_cron_parse(expr, &c) != TD_OK)
        fail_msg("'%s' did not parse", expr);
    return td_cron_next(&c, after);
}

static void test_cron_next_run(void **state) {
    (void)state;
    int64_t t = utc(2026, 12, 5, 10, 7) + 30000; /* Saturday 10:07:30 */
    assert_int_equal(next_of("*/15 * * * *", t), utc(2026, 12, 5, 10, 15));
    assert_int_equal(next_of("* * * * *", t), utc(2026, 12, 5, 10, 8));
    assert_int_equal(next_of("7 10 * * *", utc(2026, 12, 5, 10, 7)), utc(2026, 12, 6, 10, 7));
    assert_int_equal(next_of("0 0 1 1 *", t), utc(2027, 1, 1, 0, 0));
    assert_int_equal(next_of("30 8 * * 1-5", t), utc(2026, 12, 7, 8, 30)); /* Monday */
    assert_int_equal(next_of("0 12 * * 0", t), utc(2026, 12, 6, 12, 0));  /* Sunday */
    assert_int_equal(next_of("0 12 * * 7", t), utc(2026, 12, 6, 12, 0));  /* 7 is Sunday */
    /* both day fields restricted: either matches */
    assert_int_equal(next_of("0 0 13 * 1", t), utc(2026, 12, 7, 0, 0));
    assert_int_equal(next_of("0 0 13 * 3", t), utc(2026, 12, 9, 0, 0));
    assert_int_equal(next_of("0 0 6 * 3", t), utc(2026, 12, 6, 0, 0));
    assert_int_equal(next_of("5,50 1-3/2 * * *", t), utc(2026, 12, 6, 1, 5));
    assert_int_equal(next_of("0 0 29 2 *", t), utc(2028, 2, 29, 0, 0));
    assert_int_equal(next_of("0 0 30 2 *", t), -1);
}

static void test_cron_rejects_bad_expressions(void **state) {
    (void)state;
    static const char *const bad[] = {
        "", "* * * *", "* * * * * *", "60 * * * *", "* 24 * * *", "* * 0 * *", "* * 32 * *",
        "* * * 0 *", "* * * 13 *", "* * * * 8", "a * * * *", "1- * * * *", "5-1 * * * *",
        "*/0 * * * *", "1,,2 * * * *", ",1 * * * *", "1, * * * *", "-1 * * * *", "@daily",
        "99999999999 * * * *", "1/ * * * *", "* * * JAN *"};
    td_cron_t c;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (td_cron_parse(bad[i], &c) != TD_E_INVALID)
            fail_msg("'%s' was accepted", bad[i]);
    assert_int_equal(td_cron_parse(NULL, &c), TD_E_INVALID);
}

int main(void) {
    if (sodium_init() < 0)
        return 1;
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_claim_takes_a_job_once),
        T(test_claim_waits_for_run_after),
        T(test_concurrent_claimers_never_share_a_job),
        T(test_expired_lease_makes_job_claimable_again),
        T(test_failure_retries_after_backoff_then_fails),
        T(test_expired_lease_without_attempts_left_fails),
        T(test_cancel_and_retry),
        T(test_list_filters_and_cursor),
        T(test_kind_table),
        T(test_cron_fires_once_per_run),
        cmocka_unit_test(test_cron_next_run),
        cmocka_unit_test(test_cron_rejects_bad_expressions),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
