/* pool.c — the bounded pool of open tenant databases.
 *
 * Idle handles wait in a hash table keyed by tenant id (for reuse) and in
 * one LRU list (for eviction). At most max_open handles exist at once,
 * leased or idle, across all tenants: a miss when the budget is spent
 * closes the least recently used idle handle; when every handle is leased
 * the caller waits (bounded) for one to come back. Handles are opened and
 * closed outside the lock, which guards only list and counter updates. A
 * tenant that is suspended or deleted is "forgotten": its idle handles are
 * closed (a handle leased at that moment goes back to the pool and is
 * unused until evicted, since lookups go through the catalog first). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/id.h"
#include "tenancy/tenancy.h"

#define NBUCKETS 4096
#define WAIT_SECONDS 5

typedef struct handle {
    td_db_t *db;
    char tid[TD_ID_LEN + 1];
    struct handle *bnext;              /* bucket chain */
    struct handle *lru_prev, *lru_next; /* most recent at head */
} handle_t;

struct td_pool {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    handle_t *buckets[NBUCKETS];
    handle_t *lru_head, *lru_tail;
    size_t open, idle, max;
    unsigned long long hits, misses, evictions;
    td_pool_open_fn open_fn;
    void *ctx;
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
    return p;
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

static void bucket_unlink(td_pool_t *p, handle_t *h) {
    handle_t **pp = &p->buckets[hash(h->tid) % NBUCKETS];
    while (*pp && *pp != h)
        pp = &(*pp)->bnext;
    if (*pp)
        *pp = h->bnext;
    h->bnext = NULL;
}

/* Takes h out of the idle structures (lock held). */
static void take(td_pool_t *p, handle_t *h) {
    bucket_unlink(p, h);
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
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    free(p);
}

typedef struct {
    td_pool_t *pool;
    const char *tid;
    td_db_t *db;
} lease_t;

static void lease_cleanup(void *arg) {
    lease_t *l = arg;
    td_pool_release(l->pool, l->tid, l->db, 0);
}

td_status td_pool_lease(td_pool_t *p, td_arena_t *a, const char *tid, td_db_t **out) {
    if (!td_id_valid(tid))
        return TD_E_INVALID;
    lease_t *l = a ? td_arena_alloc(a, sizeof(*l)) : NULL;
    if (a && !l)
        return TD_E_NOMEM;
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += WAIT_SECONDS;
    td_db_t *db = NULL;
    handle_t *victim = NULL;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        handle_t *h = p->buckets[hash(tid) % NBUCKETS];
        while (h && strcmp(h->tid, tid))
            h = h->bnext;
        if (h) {
            take(p, h);
            db = h->db;
            free(h);
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
            return TD_E_BUSY;
        }
    }
    pthread_mutex_unlock(&p->mu);
    if (victim) {
        td_db_close(victim->db);
        free(victim);
    }
    if (!db) {
        td_status st = p->open_fn(p->ctx, tid, &db);
        if (st) {
            pthread_mutex_lock(&p->mu);
            p->open--;
            pthread_cond_signal(&p->cv);
            pthread_mutex_unlock(&p->mu);
            return st;
        }
    }
    if (l) {
        l->pool = p;
        l->tid = td_arena_strdup(a, tid);
        l->db = db;
        td_arena_defer(a, lease_cleanup, l);
    }
    *out = db;
    return TD_OK;
}

void td_pool_release(td_pool_t *p, const char *tid, td_db_t *db, int broken) {
    handle_t *h = broken ? NULL : malloc(sizeof(*h));
    pthread_mutex_lock(&p->mu);
    if (h) {
        memset(h, 0, sizeof(*h));
        h->db = db;
        snprintf(h->tid, sizeof(h->tid), "%s", tid);
        handle_t **b = &p->buckets[hash(tid) % NBUCKETS];
        h->bnext = *b;
        *b = h;
        h->lru_next = p->lru_head;
        if (p->lru_head)
            p->lru_head->lru_prev = h;
        p->lru_head = h;
        if (!p->lru_tail)
            p->lru_tail = h;
        p->idle++;
    } else {
        p->open--;
    }
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
    if (!h)
        td_db_close(db);
}

void td_pool_forget(td_pool_t *p, const char *tid) {
    handle_t *gone = NULL;
    pthread_mutex_lock(&p->mu);
    handle_t *h = p->buckets[hash(tid) % NBUCKETS];
    while (h) {
        handle_t *next = h->bnext;
        if (strcmp(h->tid, tid) == 0) {
            take(p, h);
            p->open--;
            h->bnext = gone;
            gone = h;
        }
        h = next;
    }
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    while (gone) {
        handle_t *n = gone->bnext;
        td_db_close(gone->db);
        free(gone);
        gone = n;
    }
}

void td_pool_stats(td_pool_t *p, td_pool_stats_t *out) {
    pthread_mutex_lock(&p->mu);
    *out = (td_pool_stats_t){p->open, p->idle, p->max, p->hits, p->misses, p->evictions};
    pthread_mutex_unlock(&p->mu);
}
