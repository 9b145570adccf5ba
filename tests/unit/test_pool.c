/* test_pool.c — the pool of open tenant databases (tenancy/tenancy.h,
 * td_pool_*), with a real open function: one SQLite file per tenant id in
 * a mkdtemp folder, each holding its own id so a test can tell whose
 * handle it was given.
 *
 * Handles are wrapped in a copy of the SQLite driver whose close counts,
 * so the tests see how many handles really exist, not only what the pool's
 * counters claim. The pool does not depend on the backend, so this file
 * runs the same under TD_TEST_BACKEND=sqlite and =postgres. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/arena.h"
#include "common/id.h"
#include "tenancy/tenancy.h"

#define NTENANTS 50

static char g_dir[256];                          /* the mkdtemp folder */
static char g_ids[NTENANTS][TD_ID_LEN + 1];      /* tenants with a file each */
static td_db_driver_t g_counting;                /* SQLite, with a counting close */
static atomic_int g_opens;                       /* successful opens */
static atomic_int g_live;                        /* handles open right now */
static atomic_int g_max_live;                    /* most handles open at once */
static char g_fail_id[TD_ID_LEN + 1];            /* open fails for this tenant */

static atomic_int g_unusable;                    /* 1: every handle says it is unusable */
static atomic_int g_trims;                       /* td_db_trim calls */
static _Atomic(td_db_t *) g_leased;              /* a handle that must never be trimmed */
static atomic_int g_trimmed_leased;              /* it was */

static void counting_trim(td_db_t *db) {
    atomic_fetch_add(&g_trims, 1);
    if (db == atomic_load(&g_leased))
        atomic_fetch_add(&g_trimmed_leased, 1);
    td_sqlite_driver.trim(db);
}

static void counting_close(td_db_t *db) {
    atomic_fetch_sub(&g_live, 1);
    td_sqlite_driver.close(db);
}

/* Stands for a database that went away under its handles. */
static int switchable_usable(td_db_t *db) {
    return !atomic_load(&g_unusable) && td_sqlite_driver.usable(db);
}

/* The pool's open function: opens <dir>/<id>.db and counts. */
static td_status open_tenant(void *ctx, const char *tid, td_db_t **out) {
    const char *dir = ctx;
    char path[512], err[256];
    if (strcmp(tid, g_fail_id) == 0)
        return TD_E_UNAVAILABLE;
    snprintf(path, sizeof(path), "%s/%s.db", dir, tid);
    td_db_t *db = NULL;
    td_status st = td_db_open(path, 0, &db, err, sizeof(err));
    if (st)
        return st;
    db->drv = &g_counting;
    atomic_fetch_add(&g_opens, 1);
    int live = atomic_fetch_add(&g_live, 1) + 1;
    for (int m = atomic_load(&g_max_live); live > m;)
        if (atomic_compare_exchange_weak(&g_max_live, &m, live))
            break;
    *out = db;
    return TD_OK;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

static int group_setup(void **state) {
    (void)state;
    g_counting = td_sqlite_driver;
    g_counting.close = counting_close;
    g_counting.usable = switchable_usable;
    g_counting.trim = counting_trim;
    snprintf(g_dir, sizeof(g_dir), "/tmp/tdunit_pool.XXXXXX");
    if (!mkdtemp(g_dir))
        return -1;
    for (int i = 0; i < NTENANTS; i++) {
        char path[512], err[256], sql[128];
        td_db_t *db;
        td_id_new(g_ids[i]);
        assert_true(snprintf(path, sizeof(path), "%s/%s.db", g_dir, g_ids[i]) < (int)sizeof(path));
        assert_true(snprintf(sql, sizeof(sql),
                             "CREATE TABLE who (id TEXT); INSERT INTO who VALUES ('%s')",
                             g_ids[i]) < (int)sizeof(sql));
        if (td_db_open(path, 0, &db, err, sizeof(err)) || td_db_exec(db, sql)) {
            fprintf(stderr, "setup: %s\n", err);
            return -1;
        }
        td_db_close(db);
    }
    return 0;
}

static int group_teardown(void **state) {
    (void)state;
    return nftw(g_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Each test starts with fresh counters and a pool of max handles. */
static td_pool_t *new_pool(size_t max) {
    atomic_store(&g_opens, 0);
    atomic_store(&g_live, 0);
    atomic_store(&g_max_live, 0);
    g_fail_id[0] = '\0';
    atomic_store(&g_unusable, 0);
    td_pool_t *p = td_pool_new(max, open_tenant, g_dir);
    assert_non_null(p);
    return p;
}

static void free_pool(td_pool_t *p) {
    td_pool_free(p);
    assert_int_equal(atomic_load(&g_live), 0); /* every handle closed */
}

/* The tenant id stored in the database behind db. */
static void whose(td_db_t *db, char out[TD_ID_LEN + 1]) {
    td_stmt_t *st = NULL;
    out[0] = '\0';
    if (td_db_prepare(db, "SELECT id FROM who", &st) == TD_OK && td_db_step(st) == TD_DB_ROW)
        snprintf(out, TD_ID_LEN + 1, "%s", td_db_column_text(st, 0));
    td_db_finalize(st);
}

/* The pool's counts of open and idle handles, and the handles really open. */
static void assert_handles(td_pool_t *p, size_t open, size_t idle, int live) {
    td_pool_stats_t s;
    td_pool_stats(p, &s);
    assert_int_equal(s.open, open);
    assert_int_equal(s.idle, idle);
    assert_int_equal(atomic_load(&g_live), live);
}

static td_db_t *lease(td_pool_t *p, td_arena_t *a, const char *tid) {
    td_db_t *db = NULL;
    td_status st = td_pool_lease(p, a, tid, &db);
    if (st != TD_OK)
        fail_msg("lease = %s", td_status_code(st));
    assert_non_null(db);
    char got[TD_ID_LEN + 1];
    whose(db, got);
    assert_string_equal(got, tid); /* never another tenant's database */
    return db;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- tests -------------------------------------------------------------- */

static void test_reuse(void **state) {
    (void)state;
    td_pool_t *p = new_pool(4);
    td_db_t *d1 = lease(p, NULL, g_ids[0]);
    td_pool_stats_t s;
    td_pool_stats(p, &s);
    assert_int_equal(s.open, 1);
    assert_int_equal(s.idle, 0);
    assert_int_equal(s.max, 4);
    td_pool_release(p, g_ids[0], d1, 0);
    td_pool_stats(p, &s);
    assert_int_equal(s.idle, 1);
    td_db_t *d2 = lease(p, NULL, g_ids[0]);
    assert_ptr_equal(d1, d2);
    td_pool_release(p, g_ids[0], d2, 0);
    for (int i = 0; i < 10; i++)
        td_pool_release(p, g_ids[0], lease(p, NULL, g_ids[0]), 0);
    td_pool_stats(p, &s);
    assert_int_equal(s.misses, 1);
    assert_int_equal(s.hits, 11);
    assert_int_equal(s.open, 1);
    assert_int_equal(atomic_load(&g_opens), 1);
    free_pool(p);
}

/* A tenant leased twice at once gets two handles, each for one user. */
static void test_same_tenant_twice(void **state) {
    (void)state;
    td_pool_t *p = new_pool(4);
    td_db_t *a = lease(p, NULL, g_ids[0]);
    td_db_t *b = lease(p, NULL, g_ids[0]);
    assert_ptr_not_equal(a, b);
    assert_int_equal(atomic_load(&g_opens), 2);
    td_pool_release(p, g_ids[0], a, 0);
    td_pool_release(p, g_ids[0], b, 0);
    td_pool_stats_t s;
    td_pool_stats(p, &s);
    assert_int_equal(s.open, 2);
    assert_int_equal(s.idle, 2);
    free_pool(p);
}

static void test_max_open(void **state) {
    (void)state;
    td_pool_t *p = new_pool(4);
    td_pool_stats_t s;
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < 20; i++) {
            td_pool_release(p, g_ids[i], lease(p, NULL, g_ids[i]), 0);
            td_pool_stats(p, &s);
            assert_true(s.open <= 4);
            assert_true(atomic_load(&g_live) <= 4);
        }
    td_pool_stats(p, &s);
    assert_int_equal(s.open, 4);
    assert_int_equal(s.idle, 4);
    assert_int_equal(s.misses, 40); /* LRU over 20 tenants, 4 slots: no hit */
    assert_int_equal(s.hits, 0);
    assert_int_equal(s.evictions, 36);
    assert_int_equal(atomic_load(&g_opens), 40);
    assert_int_equal(atomic_load(&g_live), 4);
    assert_int_equal(atomic_load(&g_max_live), 4);
    free_pool(p);
}

static void test_lru_order(void **state) {
    (void)state;
    const char *A = g_ids[0], *B = g_ids[1], *C = g_ids[2];
    td_pool_t *p = new_pool(2);
    td_db_t *a = lease(p, NULL, A), *b = lease(p, NULL, B);
    td_pool_release(p, A, a, 0);
    td_pool_release(p, B, b, 0);
    td_pool_release(p, A, lease(p, NULL, A), 0); /* touch A: B is now the oldest */
    assert_int_equal(atomic_load(&g_opens), 2);
    td_pool_release(p, C, lease(p, NULL, C), 0); /* evicts B */
    assert_int_equal(atomic_load(&g_opens), 3);
    assert_int_equal(atomic_load(&g_live), 2);
    td_db_t *a2 = lease(p, NULL, A); /* still open: no new open */
    assert_ptr_equal(a2, a);
    assert_int_equal(atomic_load(&g_opens), 3);
    td_pool_release(p, A, a2, 0);
    td_pool_release(p, B, lease(p, NULL, B), 0); /* was evicted: opens again */
    assert_int_equal(atomic_load(&g_opens), 4);
    td_pool_stats_t s;
    td_pool_stats(p, &s);
    assert_int_equal(s.evictions, 2);
    assert_int_equal(s.open, 2);
    free_pool(p);
}

static void test_arena_returns_lease(void **state) {
    (void)state;
    td_pool_t *p = new_pool(2);
    td_arena_t *a = td_arena_new(0);
    td_db_t *d = lease(p, a, g_ids[3]);
    td_pool_stats_t s;
    td_pool_stats(p, &s);
    assert_int_equal(s.open, 1);
    assert_int_equal(s.idle, 0);
    td_arena_destroy(a);
    td_pool_stats(p, &s);
    assert_int_equal(s.open, 1);
    assert_int_equal(s.idle, 1);
    td_db_t *again = lease(p, NULL, g_ids[3]);
    assert_ptr_equal(again, d);
    td_pool_release(p, g_ids[3], again, 0);
    free_pool(p);
}

/* A lease made when the request's arena is almost at its cap must either
 * fail cleanly or return the handle when the arena dies. Run in a child:
 * the failure mode is a crash. */
static void test_arena_near_cap(void **state) {
    (void)state;
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        td_pool_t *p = td_pool_new(2, open_tenant, g_dir);
        td_arena_t *a = td_arena_new(32); /* room for the lease record only */
        td_db_t *d = NULL;
        td_status st = td_pool_lease(p, a, g_ids[4], &d);
        td_arena_destroy(a);
        td_pool_stats_t s;
        td_pool_stats(p, &s);
        int ok = st == TD_OK ? (s.open == 1 && s.idle == 1)
                             : (st == TD_E_NOMEM && s.open == 0 && s.idle == 0);
        td_pool_free(p);
        _exit(ok ? 0 : 3);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (WIFSIGNALED(status))
        fail_msg("lease with a nearly full arena: killed by signal %d", WTERMSIG(status));
    if (WEXITSTATUS(status) != 0)
        fail_msg("lease with a nearly full arena: child exit %d (3 = wrong accounting, "
                 "other = crash report above)",
                 WEXITSTATUS(status));
}

static void test_busy_when_all_leased(void **state) {
    (void)state;
    td_pool_t *p = new_pool(2);
    td_pool_set_wait_ms(p, 200); /* a short wait: the test does not sit out the default */
    td_db_t *a = lease(p, NULL, g_ids[0]), *b = lease(p, NULL, g_ids[1]);
    td_db_t *c = NULL;
    double t0 = now_s();
    td_status st = td_pool_lease(p, NULL, g_ids[2], &c);
    double waited = now_s() - t0;
    assert_int_equal(st, TD_E_BUSY);
    assert_null(c);
    assert_true(waited >= 0.19); /* it did wait for a handle (a lower bound only) */
    td_pool_stats_t s;
    td_pool_stats(p, &s);
    assert_int_equal(s.open, 2);
    assert_int_equal(atomic_load(&g_opens), 2);
    td_pool_release(p, g_ids[0], a, 0);
    td_pool_release(p, g_ids[1], b, 0);
    td_pool_release(p, g_ids[2], lease(p, NULL, g_ids[2]), 0); /* works again */
    free_pool(p);
}

typedef struct {
    td_pool_t *p;
    const char *tid;
    td_db_t *db;
} release_later_t;

static void *release_later(void *arg) {
    release_later_t *r = arg;
    usleep(200 * 1000);
    td_pool_release(r->p, r->tid, r->db, 0);
    return NULL;
}

/* A waiting lease proceeds as soon as a handle comes back. */
static void test_waiter_wakes_on_release(void **state) {
    (void)state;
    td_pool_t *p = new_pool(1);
    release_later_t r = {p, g_ids[0], lease(p, NULL, g_ids[0])};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, release_later, &r), 0);
    double t0 = now_s();
    td_db_t *b = lease(p, NULL, g_ids[1]);
    double waited = now_s() - t0;
    pthread_join(th, NULL);
    assert_true(waited < 3.0);
    td_pool_stats_t s;
    td_pool_stats(p, &s);
    assert_int_equal(s.evictions, 1);
    assert_int_equal(atomic_load(&g_live), 1);
    td_pool_release(p, g_ids[1], b, 0);
    free_pool(p);
}

static void test_release_broken(void **state) {
    (void)state;
    td_pool_t *p = new_pool(2);
    td_db_t *a = lease(p, NULL, g_ids[0]);
    td_pool_release(p, g_ids[0], a, 1);
    assert_handles(p, 0, 0, 0);
    td_pool_release(p, g_ids[0], lease(p, NULL, g_ids[0]), 0);
    assert_int_equal(atomic_load(&g_opens), 2); /* not reused */
    free_pool(p);
}

/* A handle whose database went away (td_db_usable = 0) is closed when it
 * comes back, even released as healthy. */
static void test_unusable_not_kept(void **state) {
    (void)state;
    td_pool_t *p = new_pool(2);
    td_db_t *a = lease(p, NULL, g_ids[0]);
    atomic_store(&g_unusable, 1);
    td_pool_release(p, g_ids[0], a, 0);
    assert_handles(p, 0, 0, 0);
    free_pool(p);
}

/* An idle handle that went bad while it waited is never handed out: the
 * lease closes it and opens the tenant afresh; the pool's budget is
 * whole again afterwards. */
static void test_unusable_idle_replaced(void **state) {
    (void)state;
    td_pool_t *p = new_pool(2);
    td_db_t *a = lease(p, NULL, g_ids[0]), *b = lease(p, NULL, g_ids[0]);
    td_pool_release(p, g_ids[0], a, 0);
    td_pool_release(p, g_ids[0], b, 0); /* two idle handles of one tenant */
    atomic_store(&g_unusable, 1);
    td_db_t *c = lease(p, NULL, g_ids[0]);
    assert_int_equal(atomic_load(&g_opens), 3); /* both idle ones closed, one opened */
    assert_handles(p, 1, 0, 1);
    atomic_store(&g_unusable, 0);
    td_pool_release(p, g_ids[0], c, 0);
    assert_handles(p, 1, 1, 1);
    td_pool_release(p, g_ids[1], lease(p, NULL, g_ids[1]), 0);
    assert_handles(p, 2, 2, 2); /* the budget counts only live handles */
    free_pool(p);
}

static void test_open_failure(void **state) {
    (void)state;
    td_pool_t *p = new_pool(1);
    snprintf(g_fail_id, sizeof(g_fail_id), "%s", g_ids[5]);
    td_db_t *d = NULL;
    assert_int_equal(td_pool_lease(p, NULL, g_ids[5], &d), TD_E_UNAVAILABLE);
    assert_null(d);
    td_pool_stats_t s;
    td_pool_stats(p, &s);
    assert_int_equal(s.open, 0); /* the reserved slot is given back */
    double t0 = now_s();
    td_pool_release(p, g_ids[6], lease(p, NULL, g_ids[6]), 0);
    assert_true(now_s() - t0 < 3.0);
    free_pool(p);
}

static void test_forget(void **state) {
    (void)state;
    td_pool_t *p = new_pool(4);
    const char *A = g_ids[0], *B = g_ids[1];
    td_db_t *a1 = lease(p, NULL, A), *a2 = lease(p, NULL, A), *b = lease(p, NULL, B);
    td_pool_release(p, A, a1, 0);
    td_pool_release(p, A, a2, 0);
    td_pool_release(p, B, b, 0);
    assert_int_equal(atomic_load(&g_live), 3);
    td_pool_forget(p, A);
    td_pool_stats_t s;
    td_pool_stats(p, &s);
    assert_int_equal(s.open, 1);
    assert_int_equal(s.idle, 1);
    assert_int_equal(atomic_load(&g_live), 1);
    td_pool_forget(p, g_ids[9]); /* nothing of it: no effect */
    td_pool_stats(p, &s);
    assert_int_equal(s.open, 1);
    int opens = atomic_load(&g_opens);
    td_pool_release(p, A, lease(p, NULL, A), 0); /* opens afresh */
    assert_int_equal(atomic_load(&g_opens), opens + 1);
    td_pool_release(p, B, lease(p, NULL, B), 0); /* B untouched: a hit */
    assert_int_equal(atomic_load(&g_opens), opens + 1);
    free_pool(p);
}

/* tenancy.h: forget "closes every idle handle of a tenant and refuses to
 * keep its leased ones" — a handle leased while the tenant was forgotten
 * is closed when it comes back, not parked for reuse. */
static void test_forget_leased_handle(void **state) {
    (void)state;
    td_pool_t *p = new_pool(4);
    const char *A = g_ids[0];
    td_db_t *a = lease(p, NULL, A);
    td_pool_forget(p, A);
    td_pool_release(p, A, a, 0);
    td_pool_stats_t s;
    td_pool_stats(p, &s);
    int live = atomic_load(&g_live);
    int opens = atomic_load(&g_opens);
    td_db_t *again = NULL;
    td_status st = td_pool_lease(p, NULL, A, &again);
    int reused = st == TD_OK && again == a;
    if (st == TD_OK)
        td_pool_release(p, A, again, 0);
    free_pool(p);
    if (s.idle != 0 || s.open != 0 || live != 0 || reused)
        fail_msg("after forget, the leased handle came back into the pool: idle %zu, open %zu, "
                 "live %d, reused by the next lease: %s (opens %d)",
                 s.idle, s.open, live, reused ? "yes" : "no", opens);
}

static void test_invalid_tenant_id(void **state) {
    (void)state;
    td_pool_t *p = new_pool(2);
    char upper[TD_ID_LEN + 1];
    snprintf(upper, sizeof(upper), "%s", g_ids[0]);
    for (char *c = upper; *c; c++)
        if (*c >= 'a' && *c <= 'f')
            *c = (char)(*c - 'a' + 'A');
    const char *bad[] = {"../x", "", NULL, upper, "../../../../../../../../etc/passwd.db"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        td_db_t *d = NULL;
        td_arena_t *a = td_arena_new(0);
        td_status st = td_pool_lease(p, a, bad[i], &d);
        td_arena_destroy(a);
        if (st != TD_E_INVALID)
            fail_msg("lease of bad id #%zu = %s", i, td_status_code(st));
        assert_null(d);
    }
    assert_int_equal(atomic_load(&g_opens), 0); /* the open function never ran */
    td_pool_stats_t s;
    td_pool_stats(p, &s);
    assert_int_equal(s.open, 0);
    free_pool(p);
}

/* ---- database servers ------------------------------------------------------ */

/* Tenants 0–9 live on server "s1", 10–19 on "s2", the rest nowhere (the
 * local server, no budget of its own). */
static size_t g_budget_s1, g_budget_s2;
static atomic_int g_sized;    /* size callbacks made */
static atomic_int g_size_err; /* 1: the size callback fails */

static int idx_of(const char *tid) {
    for (int i = 0; i < NTENANTS; i++)
        if (strcmp(g_ids[i], tid) == 0)
            return i;
    return -1;
}

static td_status locate(void *ctx, const char *tid, char *out, size_t n) {
    (void)ctx;
    int i = idx_of(tid);
    snprintf(out, n, "%s", i < 0 || i >= 20 ? "" : i < 10 ? "s1" : "s2");
    return TD_OK;
}

static td_status size(void *ctx, const char *server, size_t *budget) {
    (void)ctx;
    atomic_fetch_add(&g_sized, 1);
    if (atomic_load(&g_size_err))
        return TD_E_UNAVAILABLE;
    *budget = strcmp(server, "s1") == 0 ? g_budget_s1 : g_budget_s2;
    return TD_OK;
}

static td_pool_t *server_pool(size_t max, size_t s1, size_t s2) {
    td_pool_t *p = new_pool(max);
    g_budget_s1 = s1;
    g_budget_s2 = s2;
    atomic_store(&g_sized, 0);
    atomic_store(&g_size_err, 0);
    td_pool_set_servers(p, locate, size);
    return p;
}

/* The figures of one server ("s1", "s2"); zeros when the pool has none. */
static td_pool_server_stats_t server_stats(td_pool_t *p, const char *name) {
    td_pool_server_stats_t s[4], none = {0};
    size_t n = td_pool_server_stats(p, s, 4);
    for (size_t i = 0; i < n && i < 4; i++)
        if (strcmp(s[i].server, name) == 0)
            return s[i];
    return none;
}

/* A server's budget bounds its connections whatever the global budget
 * allows: a miss on a full server closes that server's least recently used
 * idle handle, never one of another server (older as it may be). */
static void test_server_budget(void **state) {
    (void)state;
    td_pool_t *p = server_pool(100, 2, 3);
    td_db_t *x = lease(p, NULL, g_ids[10]), *y = lease(p, NULL, g_ids[11]);
    td_pool_release(p, g_ids[10], x, 0);
    td_pool_release(p, g_ids[11], y, 0); /* the oldest idle handles: s2's */
    for (int round = 0; round < 3; round++)
        for (int i = 0; i < 10; i++) {
            td_pool_release(p, g_ids[i], lease(p, NULL, g_ids[i]), 0);
            assert_true(server_stats(p, "s1").open <= 2);
        }
    td_pool_server_stats_t s1 = server_stats(p, "s1"), s2 = server_stats(p, "s2");
    assert_int_equal(s1.budget, 2);
    assert_int_equal(s1.open, 2);
    assert_int_equal(s1.idle, 2);
    assert_int_equal(s1.evictions, 28); /* 30 misses, 2 slots */
    assert_int_equal(s2.budget, 3);
    assert_int_equal(s2.open, 2); /* untouched */
    assert_int_equal(s2.evictions, 0);
    assert_int_equal(atomic_load(&g_live), 4);
    assert_ptr_equal(lease(p, NULL, g_ids[10]), x); /* still open: a hit */
    td_pool_release(p, g_ids[10], x, 0);
    assert_int_equal(atomic_load(&g_sized), 2); /* each budget read once */
    td_pool_release(p, g_ids[30], lease(p, NULL, g_ids[30]), 0); /* local: no server */
    td_pool_stats_t g;
    td_pool_stats(p, &g);
    assert_int_equal(g.open, 5);
    free_pool(p);
}

/* The global budget still holds across servers: a miss with the global
 * budget spent closes the least recently used idle handle of any server. */
static void test_global_budget_across_servers(void **state) {
    (void)state;
    td_pool_t *p = server_pool(3, 10, 10);
    for (int i = 0; i < 20; i += 3) {
        td_pool_release(p, g_ids[i], lease(p, NULL, g_ids[i]), 0);
        assert_true(atomic_load(&g_live) <= 3);
    }
    td_pool_stats_t g;
    td_pool_stats(p, &g);
    assert_int_equal(g.open, 3);
    assert_int_equal(g.evictions, 4); /* 7 tenants, 3 slots */
    assert_int_equal(server_stats(p, "s1").open + server_stats(p, "s2").open, 3);
    free_pool(p);
}

/* Every connection of a server leased: a lease for that server waits, then
 * gets TD_E_BUSY (counted as a wait and a busy), while tenants of other
 * servers are served at once. */
static void test_server_full_busy(void **state) {
    (void)state;
    td_pool_t *p = server_pool(100, 2, 2);
    td_pool_set_wait_ms(p, 200);
    td_db_t *a = lease(p, NULL, g_ids[0]), *b = lease(p, NULL, g_ids[1]);
    td_db_t *c = NULL;
    double t0 = now_s();
    assert_int_equal(td_pool_lease(p, NULL, g_ids[2], &c), TD_E_BUSY);
    assert_true(now_s() - t0 >= 0.19);
    assert_null(c);
    t0 = now_s();
    td_pool_release(p, g_ids[12], lease(p, NULL, g_ids[12]), 0); /* s2: no wait */
    td_pool_release(p, g_ids[40], lease(p, NULL, g_ids[40]), 0); /* local: no wait */
    assert_true(now_s() - t0 < 0.15);
    td_pool_server_stats_t s1 = server_stats(p, "s1");
    assert_int_equal(s1.open, 2);
    assert_int_equal(s1.waits, 1);
    assert_int_equal(s1.busy, 1);
    assert_int_equal(s1.waiting, 0);
    td_pool_set_queue_max(p, 1); /* a full line refuses at once */
    td_pool_set_wait_ms(p, 0);
    t0 = now_s();
    assert_int_equal(td_pool_lease(p, NULL, g_ids[2], &c), TD_E_BUSY);
    assert_true(now_s() - t0 < 0.15);
    td_pool_release(p, g_ids[0], a, 0);
    td_pool_release(p, g_ids[1], b, 0);
    td_pool_release(p, g_ids[2], lease(p, NULL, g_ids[2]), 0); /* works again */
    free_pool(p);
}

/* A server whose budget cannot be read fails the lease and is asked again
 * by the next one. */
static void test_server_size_failure(void **state) {
    (void)state;
    td_pool_t *p = server_pool(100, 1, 1);
    atomic_store(&g_size_err, 1);
    td_db_t *d = NULL;
    assert_int_equal(td_pool_lease(p, NULL, g_ids[0], &d), TD_E_UNAVAILABLE);
    assert_int_equal(atomic_load(&g_opens), 0);
    atomic_store(&g_size_err, 0);
    td_pool_release(p, g_ids[0], lease(p, NULL, g_ids[0]), 0);
    assert_int_equal(atomic_load(&g_sized), 2);
    assert_int_equal(server_stats(p, "s1").budget, 1);
    free_pool(p);
}

#define FIFO_N 4
static atomic_int g_turn;          /* order in which waiters were served */
static int g_order[FIFO_N + 1];

typedef struct {
    td_pool_t *p;
    int k; /* the k-th to queue, 1.. */
    const char *tid;
    td_db_t *db; /* what it was given */
    td_status st;
} fifo_t;

static void *fifo_waiter(void *arg) {
    fifo_t *f = arg;
    f->st = td_pool_lease(f->p, NULL, f->tid, &f->db);
    g_order[atomic_fetch_add(&g_turn, 1)] = f->k;
    if (!f->st) {
        usleep(20 * 1000); /* hold it a little, so the next one waits too */
        td_pool_release(f->p, f->tid, f->db, 0);
    }
    return NULL;
}

/* Waits until n leases wait for server name. */
static void until_waiting(td_pool_t *p, const char *name, size_t n) {
    for (int i = 0; i < 2000 && server_stats(p, name).waiting < n; i++)
        usleep(1000);
    assert_int_equal(server_stats(p, name).waiting, n);
}

/* Leases waiting for a full server are served in the order they came,
 * each by a slot freed on that server; a later lease for the same server
 * does not overtake them. */
static void test_fifo(void **state) {
    (void)state;
    td_pool_t *p = server_pool(100, 1, 1);
    td_pool_set_wait_ms(p, 10000);
    atomic_store(&g_turn, 0);
    td_db_t *held = lease(p, NULL, g_ids[0]);
    pthread_t th[FIFO_N];
    fifo_t f[FIFO_N];
    for (int i = 0; i < FIFO_N; i++) {
        f[i] = (fifo_t){p, i + 1, g_ids[i + 1], NULL, TD_OK};
        assert_int_equal(pthread_create(&th[i], NULL, fifo_waiter, &f[i]), 0);
        until_waiting(p, "s1", (size_t)i + 1); /* queued before the next starts */
    }
    td_pool_release(p, g_ids[0], held, 0);
    for (int i = 0; i < FIFO_N; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < FIFO_N; i++) {
        assert_int_equal(f[i].st, TD_OK);
        assert_int_equal(g_order[i], i + 1);
    }
    td_pool_server_stats_t s1 = server_stats(p, "s1");
    assert_int_equal(s1.waits, FIFO_N);
    assert_int_equal(s1.busy, 0);
    assert_int_equal(s1.open, 1);
    assert_int_equal(atomic_load(&g_max_live), 1); /* closed before each open */
    free_pool(p);
}

/* A waiter for the tenant whose handle comes back gets that handle: no
 * close, no open. */
static void test_waiter_same_tenant_handoff(void **state) {
    (void)state;
    td_pool_t *p = server_pool(100, 1, 1);
    td_db_t *held = lease(p, NULL, g_ids[3]);
    fifo_t f = {p, 1, g_ids[3], NULL, TD_OK};
    pthread_t th;
    atomic_store(&g_turn, 0);
    assert_int_equal(pthread_create(&th, NULL, fifo_waiter, &f), 0);
    until_waiting(p, "s1", 1);
    td_pool_release(p, g_ids[3], held, 0);
    pthread_join(th, NULL);
    assert_int_equal(f.st, TD_OK);
    assert_ptr_equal(f.db, held);
    assert_int_equal(atomic_load(&g_opens), 1);
    free_pool(p);
}

/* A counted connection (td_pool_lease_counted) takes a slot of its
 * server like a lease, is never kept, and its td_db_close gives the slot
 * to the lease waiting for it. */
static void test_counted_lease(void **state) {
    (void)state;
    td_pool_t *p = server_pool(100, 1, 1);
    td_pool_set_wait_ms(p, 10000);
    td_db_t *own = NULL;
    assert_int_equal(td_pool_lease_counted(p, g_ids[5], open_tenant, g_dir, &own), TD_OK);
    char got[TD_ID_LEN + 1];
    whose(own, got);
    assert_string_equal(got, g_ids[5]);
    assert_int_equal(server_stats(p, "s1").open, 1);
    fifo_t f = {p, 1, g_ids[6], NULL, TD_OK};
    pthread_t th;
    atomic_store(&g_turn, 0);
    assert_int_equal(pthread_create(&th, NULL, fifo_waiter, &f), 0);
    until_waiting(p, "s1", 1);
    td_db_close(own); /* the caller's close */
    pthread_join(th, NULL);
    assert_int_equal(f.st, TD_OK);
    td_pool_server_stats_t s1 = server_stats(p, "s1");
    assert_int_equal(s1.open, 1); /* the waiter's handle, idle now */
    assert_int_equal(s1.idle, 1);
    assert_int_equal(atomic_load(&g_max_live), 1);
    td_pool_set_wait_ms(p, 0); /* counted while open: a full server refuses */
    assert_int_equal(td_pool_lease_counted(p, g_ids[7], open_tenant, g_dir, &own), TD_OK);
    td_db_t *d = NULL;
    assert_int_equal(td_pool_lease(p, NULL, g_ids[8], &d), TD_E_BUSY);
    td_db_close(own);
    assert_int_equal(server_stats(p, "s1").open, 0);
    free_pool(p);
}

/* A counted connection to a named server (a move's to its target) takes
 * a slot of that server, not of the one the tenant is on: with s2 full,
 * a second one to s2 is refused while the tenant's own server (s1) still
 * serves; "" names no server (a local file). */
static void test_counted_lease_on_server(void **state) {
    (void)state;
    td_pool_t *p = server_pool(100, 2, 1);
    td_db_t *to_s2 = NULL, *again = NULL, *local = NULL, *d = NULL;
    /* g_ids[1] lives on s1 */
    assert_int_equal(td_pool_lease_counted_on(p, g_ids[1], "s2", open_tenant, g_dir, &to_s2),
                     TD_OK);
    assert_int_equal(server_stats(p, "s2").open, 1);
    assert_int_equal(server_stats(p, "s1").open, 0);
    assert_int_equal(td_pool_lease_counted_on(p, g_ids[1], "s2", open_tenant, g_dir, &again),
                     TD_E_BUSY);
    assert_int_equal(td_pool_lease(p, NULL, g_ids[12], &d), TD_E_BUSY); /* s2's tenants wait */
    assert_int_equal(td_pool_lease(p, NULL, g_ids[1], &d), TD_OK);     /* s1 serves */
    td_pool_release(p, g_ids[1], d, 0);
    assert_int_equal(td_pool_lease_counted_on(p, g_ids[1], "", open_tenant, g_dir, &local), TD_OK);
    assert_int_equal(server_stats(p, "s1").open, 1); /* the idle lease only */
    td_db_close(local);
    td_db_close(to_s2);
    assert_int_equal(server_stats(p, "s2").open, 0);
    free_pool(p);
}

/* ---- stress -------------------------------------------------------------- */

#define THREADS 4
#define LEASES 2000

typedef struct {
    td_pool_t *p;
    unsigned seed;
    int errors, wrong_tenant, over_budget;
} worker_t;

static td_pool_t *g_watch; /* workers check its servers' budgets (2 and 3) */

static void *worker(void *arg) {
    worker_t *w = arg;
    for (int i = 0; i < LEASES; i++) {
        const char *tid = g_ids[rand_r(&w->seed) % NTENANTS];
        td_arena_t *a = (i & 1) ? td_arena_new(0) : NULL;
        td_db_t *db = NULL;
        if (td_pool_lease(w->p, a, tid, &db) != TD_OK) {
            w->errors++;
            td_arena_destroy(a);
            continue;
        }
        char got[TD_ID_LEN + 1];
        whose(db, got);
        if (strcmp(got, tid) != 0)
            w->wrong_tenant++;
        if (g_watch && (server_stats(g_watch, "s1").open > 2 || server_stats(g_watch, "s2").open > 3))
            w->over_budget++;
        if (a)
            td_arena_destroy(a);
        else
            td_pool_release(w->p, tid, db, 0);
    }
    return NULL;
}

/* Runs THREADS workers on p; fails on any error or wrong tenant. */
static void run_workers(td_pool_t *p, unsigned seed) {
    pthread_t th[THREADS];
    worker_t w[THREADS];
    for (int i = 0; i < THREADS; i++) {
        w[i] = (worker_t){p, (unsigned)i * 7919u + seed, 0, 0, 0};
        assert_int_equal(pthread_create(&th[i], NULL, worker, &w[i]), 0);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < THREADS; i++) {
        assert_int_equal(w[i].errors, 0);
        assert_int_equal(w[i].wrong_tenant, 0);
        assert_int_equal(w[i].over_budget, 0);
    }
}

static void test_stress_threads(void **state) {
    (void)state;
    td_pool_t *p = new_pool(8);
    run_workers(p, 17);
    td_pool_stats_t s;
    td_pool_stats(p, &s);
    assert_true(s.open <= 8);
    assert_int_equal(s.idle, s.open); /* nothing leased any more */
    assert_int_equal(s.hits + s.misses, THREADS * LEASES);
    assert_int_equal(s.misses, (unsigned long long)atomic_load(&g_opens));
    assert_int_equal((int)s.open, atomic_load(&g_live));
    assert_true(atomic_load(&g_max_live) <= 8);
    free_pool(p);
}

/* Many threads over two servers with small budgets and a small global
 * one: every lease is served (the waits are long enough), and no server
 * ever holds more connections than its budget (checked by each worker
 * while it holds a lease). */
/* Handles idle for trim_ms give their cache back (the trimmer thread),
 * each once, never one that is leased; a trimmed handle serves the next
 * lease as before (same handle, its data readable). */
static void test_trim_idle(void **state) {
    (void)state;
    td_pool_t *p = new_pool(8);
    atomic_store(&g_trims, 0);
    atomic_store(&g_trimmed_leased, 0);
    td_pool_set_trim_ms(p, 50);
    assert_int_equal(td_pool_start_trimmer(p), TD_OK);
    td_arena_t *a = td_arena_new(0);
    td_db_t *kept = lease(p, a, g_ids[0]); /* stays leased throughout */
    atomic_store(&g_leased, kept);
    td_db_t *idle[3];
    for (int i = 0; i < 3; i++)
        idle[i] = lease(p, NULL, g_ids[1 + i]);
    for (int i = 0; i < 3; i++)
        td_pool_release(p, g_ids[1 + i], idle[i], 0);
    for (int i = 0; i < 100 && atomic_load(&g_trims) < 3; i++)
        usleep(10000);
    usleep(300000); /* more passes: nothing is trimmed twice */
    assert_int_equal(atomic_load(&g_trims), 3);
    assert_int_equal(atomic_load(&g_trimmed_leased), 0);
    td_pool_stats_t ps;
    td_pool_stats(p, &ps);
    assert_int_equal(ps.trims, 3);
    td_db_t *again = lease(p, NULL, g_ids[2]);
    assert_ptr_equal(again, idle[1]); /* kept, not closed */
    char who[TD_ID_LEN + 1];
    whose(again, who);
    assert_string_equal(who, g_ids[2]);
    td_pool_release(p, g_ids[2], again, 0);
    atomic_store(&g_leased, NULL);
    td_arena_destroy(a);
    free_pool(p);
}

/* One tenant holds at most tenant_max handles: a further lease of it
 * waits for one of its own (and gets that very handle) instead of closing
 * another tenant's idle handle, even with room left in the pool; other
 * tenants still open theirs meanwhile. */
static void test_tenant_max(void **state) {
    (void)state;
    td_pool_t *p = new_pool(4);
    td_pool_set_tenant_max(p, 2);
    td_db_t *quiet = lease(p, NULL, g_ids[1]);
    td_pool_release(p, g_ids[1], quiet, 0); /* idle: what a noisy tenant would evict */
    td_db_t *a1 = lease(p, NULL, g_ids[0]);
    td_db_t *a2 = lease(p, NULL, g_ids[0]);
    release_later_t r = {p, g_ids[0], a2};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, release_later, &r), 0);
    td_db_t *a3 = lease(p, NULL, g_ids[0]); /* waits for a2 */
    pthread_join(th, NULL);
    assert_ptr_equal(a3, a2);
    td_db_t *other = lease(p, NULL, g_ids[2]); /* the pool's last slot: no wait */
    td_pool_stats_t ps;
    td_pool_stats(p, &ps);
    assert_int_equal(ps.evictions, 0);
    assert_int_equal(ps.waits, 1);
    assert_int_equal(ps.open, 4);
    assert_int_equal(atomic_load(&g_opens), 4); /* quiet, a1, a2, other */
    td_db_t *q = lease(p, NULL, g_ids[1]);
    assert_ptr_equal(q, quiet); /* still open */
    td_pool_release(p, g_ids[1], q, 0);
    td_pool_release(p, g_ids[2], other, 0);
    td_pool_release(p, g_ids[0], a1, 0);
    td_pool_release(p, g_ids[0], a3, 0);
    /* a tenant under its cap again opens a new handle when none is idle */
    td_db_t *b1 = lease(p, NULL, g_ids[0]), *b2 = lease(p, NULL, g_ids[0]);
    td_pool_release(p, g_ids[0], b1, 0);
    td_pool_release(p, g_ids[0], b2, 0);
    free_pool(p);
}

static void test_stress_servers(void **state) {
    (void)state;
    td_pool_t *p = server_pool(6, 2, 3);
    td_pool_set_wait_ms(p, 30000);
    g_watch = p;
    run_workers(p, 3);
    g_watch = NULL;
    assert_true(atomic_load(&g_max_live) <= 6);
    td_pool_stats_t s;
    td_pool_stats(p, &s);
    assert_int_equal(s.idle, s.open);
    assert_int_equal((int)s.open, atomic_load(&g_live));
    free_pool(p);
}

int main(void) {
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reuse),
        cmocka_unit_test(test_same_tenant_twice),
        cmocka_unit_test(test_max_open),
        cmocka_unit_test(test_lru_order),
        cmocka_unit_test(test_arena_returns_lease),
        cmocka_unit_test(test_arena_near_cap),
        cmocka_unit_test(test_busy_when_all_leased),
        cmocka_unit_test(test_waiter_wakes_on_release),
        cmocka_unit_test(test_release_broken),
        cmocka_unit_test(test_unusable_not_kept),
        cmocka_unit_test(test_unusable_idle_replaced),
        cmocka_unit_test(test_open_failure),
        cmocka_unit_test(test_forget),
        cmocka_unit_test(test_forget_leased_handle),
        cmocka_unit_test(test_invalid_tenant_id),
        cmocka_unit_test(test_stress_threads),
        cmocka_unit_test(test_server_budget),
        cmocka_unit_test(test_global_budget_across_servers),
        cmocka_unit_test(test_server_full_busy),
        cmocka_unit_test(test_server_size_failure),
        cmocka_unit_test(test_fifo),
        cmocka_unit_test(test_waiter_same_tenant_handoff),
        cmocka_unit_test(test_counted_lease),
        cmocka_unit_test(test_counted_lease_on_server),
        cmocka_unit_test(test_stress_servers),
        cmocka_unit_test(test_trim_idle),
        cmocka_unit_test(test_tenant_max),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
