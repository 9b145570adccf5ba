/* pool.c — the bounded pool of open tenant databases.
 *
 * Idle handles wait in a hash table keyed by tenant id (for reuse) and in
 * one LRU list (for eviction). At most max_open handles exist at once,
 * leased or idle, across all tenants: a miss when the budget is spent
 * closes the least recently used idle handle; when every handle is leased
 * the caller waits (bounded) for one to come back. Handles are opened and
 * closed outside the lock, which guards only list and counter updates. A
 * tenant that is suspended or deleted is "forgotten": its idle handles are
 * closed, and a handle leased at that moment is marked so that it is
 * closed when it comes back. Leased handles are kept in a second table,
 * keyed by the connection pointer, for exactly that.
 *
 * A handle whose database went away (a SQLite file found corrupt, removed,
 * replaced or emptied; a PostgreSQL server stopped or database dropped:
 * td_db_usable) is never kept nor handed out again: it is closed when it
 * comes back and when a lease finds it idle, so the next request opens the
 * tenant afresh — and works again as soon as the database is repaired. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/id.h"
#include "tenancy/tenancy.h"

#define NBUCKETS 4096
#define WAIT_MS 5000 /* a lease waits this long for a handle before TD_E_BUSY */

typedef struct handle {
    td_db_t *db;
    char tid[TD_ID_LEN + 1];
    int forgotten;                      /* close instead of keeping */
    struct handle *bnext;               /* bucket chain (idle or leased) */
    struct handle *lru_prev, *lru_next; /* idle only: most recent at head */
} handle_t;

struct td_pool {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    handle_t *buckets[NBUCKETS]; /* idle handles by tenant id */
    handle_t *leased[NBUCKETS];  /* leased handles by connection pointer */
    handle_t *lru_head, *lru_tail;
    size_t open, idle, max;
    unsigned long long hits, misses, evictions;
    td_pool_open_fn open_fn;
    void *ctx;
    unsigned wait_ms; /* how long a lease waits for a free handle */
};

static unsigned hash(const char *s) {
    unsigned h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

td_pool_t *td_pool_new(size_t max_open, td_pool_open_fn open, void *ctx) {
    td_pool_t *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    p->max = max_open ? max_open : 1;
    p->open_fn = open;
    p->ctx = ctx;
    p->wait_ms = WAIT_MS;
    return p;
}

void td_pool_set_wait_ms(td_pool_t *p, unsigned ms) {
    pthread_mutex_lock(&p->mu);
    p->wait_ms = ms;
    pthread_mutex_unlock(&p->mu);
}

static void lru_unlink(td_pool_t *p, handle_t *h) {
    if (h->lru_prev)
        h->lru_prev->lru_next = h->lru_next;
    else
        p->lru_head = h->lru_next;
    if (h->lru_next)
        h->lru_next->lru_prev = h->lru_prev;
    else
        p->lru_tail = h->lru_prev;
    h->lru_prev = h->lru_next = NULL;
}

static unsigned ptr_slot(const td_db_t *db) { return (unsigned)(((uintptr_t)db >> 4) % NBUCKETS); }

static void chain_unlink(handle_t **pp, handle_t *h) {
    while (*pp && *pp != h)
        pp = &(*pp)->bnext;
    if (*pp)
        *pp = h->bnext;
    h->bnext = NULL;
}

/* Takes h out of the idle structures (lock held). */
static void take(td_pool_t *p, handle_t *h) {
    chain_unlink(&p->buckets[hash(h->tid) % NBUCKETS], h);
    lru_unlink(p, h);
    p->idle--;
}

void td_pool_free(td_pool_t *p) {
    if (!p)
        return;
    while (p->lru_head) {
        handle_t *h = p->lru_head;
        take(p, h);
        td_db_close(h->db);
        free(h);
    }
    for (size_t i = 0; i < NBUCKETS; i++) /* leases never returned */
        for (handle_t *h = p->leased[i], *n; h; h = n) {
            n = h->bnext;
            free(h);
        }
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    free(p);
}

typedef struct {
    td_pool_t *pool;
    char tid[TD_ID_LEN + 1];
    td_db_t *db;
} lease_t;

static void lease_cleanup(void *arg) {
    lease_t *l = arg;
    td_pool_release(l->pool, l->tid, l->db, 0);
}

/* Puts h into the leased table (lock held). */
static void mark_leased(td_pool_t *p, handle_t *h) {
    handle_t **b = &p->leased[ptr_slot(h->db)];
    h->bnext = *b;
    *b = h;
}

/* A handle of tid, leased (idle, else newly opened), or an error;
 * *reused says which. */
static td_status lease_one(td_pool_t *p, const char *tid, td_db_t **out, int *reused) {
    handle_t *fresh = malloc(sizeof(*fresh));
    if (!fresh)
        return TD_E_NOMEM;
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    long long ns = until.tv_nsec + (long long)p->wait_ms * 1000000LL;
    until.tv_sec += (time_t)(ns / 1000000000LL);
    until.tv_nsec = (long)(ns % 1000000000LL);
    td_db_t *db = NULL;
    handle_t *victim = NULL;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        handle_t *h = p->buckets[hash(tid) % NBUCKETS];
        while (h && strcmp(h->tid, tid))
            h = h->bnext;
        if (h) {
            take(p, h);
            mark_leased(p, h);
            db = h->db;
            p->hits++;
            break;
        }
        if (p->open < p->max || p->lru_tail) {
            if (p->open >= p->max) { /* spend an idle handle of another tenant */
                victim = p->lru_tail;
                take(p, victim);
                p->open--;
                p->evictions++;
            }
            p->open++; /* reserve, open below */
            p->misses++;
            break;
        }
        if (pthread_cond_timedwait(&p->cv, &p->mu, &until)) {
            pthread_mutex_unlock(&p->mu);
            free(fresh);
            return TD_E_BUSY;
        }
    }
    pthread_mutex_unlock(&p->mu);
    if (victim) {
        td_db_close(victim->db);
        free(victim);
    }
    if (db) {
        free(fresh);
        fresh = NULL;
    } else {
        td_status st = p->open_fn(p->ctx, tid, &db);
        pthread_mutex_lock(&p->mu);
        if (st) {
            p->open--;
            pthread_cond_signal(&p->cv);
        } else {
            memset(fresh, 0, sizeof(*fresh));
            fresh->db = db;
            snprintf(fresh->tid, sizeof(fresh->tid), "%s", tid);
            mark_leased(p, fresh);
        }
        pthread_mutex_unlock(&p->mu);
        if (st) {
            free(fresh);
            return st;
        }
    }
    *reused = fresh == NULL;
    *out = db;
    return TD_OK;
}

td_status td_pool_lease(td_pool_t *p, td_arena_t *a, const char *tid, td_db_t **out) {
    if (!td_id_valid(tid))
        return TD_E_INVALID;
    lease_t *l = a ? td_arena_alloc(a, sizeof(*l)) : NULL;
    if (a && !l)
        return TD_E_NOMEM;
    td_db_t *db = NULL;
    int reused = 0;
    td_status st;
    /* an idle handle that went bad is closed and the next one tried; each
     * turn closes one, so this ends with a usable or a fresh handle */
    while (!(st = lease_one(p, tid, &db, &reused)) && reused && !td_db_usable(db))
        td_pool_release(p, tid, db, 1);
    if (st)
        return st;
    if (l) {
        l->pool = p;
        snprintf(l->tid, sizeof(l->tid), "%s", tid);
        l->db = db;
        if (td_arena_defer(a, lease_cleanup, l)) /* the cleanup ran: handle returned */
            return TD_E_NOMEM;
    }
    *out = db;
    return TD_OK;
}

void td_pool_release(td_pool_t *p, const char *tid, td_db_t *db, int broken) {
    int usable = !broken && td_db_usable(db); /* outside the lock: it may stat files */
    pthread_mutex_lock(&p->mu);
    handle_t **pp = &p->leased[ptr_slot(db)];
    while (*pp && (*pp)->db != db)
        pp = &(*pp)->bnext;
    handle_t *h = *pp;
    if (h)
        *pp = h->bnext;
    int keep = h && usable && !h->forgotten;
    if (keep) {
        handle_t **b = &p->buckets[hash(h->tid) % NBUCKETS];
        h->bnext = *b;
        *b = h;
        h->lru_prev = NULL;
        h->lru_next = p->lru_head;
        if (p->lru_head)
            p->lru_head->lru_prev = h;
        p->lru_head = h;
        if (!p->lru_tail)
            p->lru_tail = h;
        p->idle++;
    }
    pthread_mutex_unlock(&p->mu);
    if (!keep) {
        td_db_close(db); /* close first, then give the slot back */
        free(h);
        pthread_mutex_lock(&p->mu);
        p->open--;
        pthread_cond_signal(&p->cv);
        pthread_mutex_unlock(&p->mu);
        return;
    }
    pthread_mutex_lock(&p->mu);
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
    (void)tid;
}

void td_pool_forget(td_pool_t *p, const char *tid) {
    handle_t *gone = NULL;
    size_t closed = 0;
    pthread_mutex_lock(&p->mu);
    handle_t *h = p->buckets[hash(tid) % NBUCKETS];
    while (h) {
        handle_t *next = h->bnext;
        if (strcmp(h->tid, tid) == 0) {
            take(p, h);
            h->bnext = gone;
            gone = h;
        }
        h = next;
    }
    for (size_t i = 0; i < NBUCKETS; i++)
        for (handle_t *l = p->leased[i]; l; l = l->bnext)
            if (strcmp(l->tid, tid) == 0)
                l->forgotten = 1;
    pthread_mutex_unlock(&p->mu);
    while (gone) { /* close first, then give the slots back */
        handle_t *n = gone->bnext;
        td_db_close(gone->db);
        free(gone);
        gone = n;
        closed++;
    }
    pthread_mutex_lock(&p->mu);
    p->open -= closed;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

void td_pool_stats(td_pool_t *p, td_pool_stats_t *out) {
    pthread_mutex_lock(&p->mu);
    *out = (td_pool_stats_t){p->open, p->idle, p->max, p->hits, p->misses, p->evictions};
    pthread_mutex_unlock(&p->mu);
}
