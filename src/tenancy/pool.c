/* pool.c — the bounded pool of open tenant databases.
 *
 * Two budgets bound the connections a process holds. The global one
 * (max_open, pool_max) counts every handle, leased or idle, across all
 * tenants. The budget of a database server (a PostgreSQL server tenants
 * are placed on: the pool's locate callback names it, its size callback
 * reads its budget once, when the server is first used) counts the
 * connections to that server. Tenants on no such server (SQLite, a
 * database the operator brought) share the "local" server, whose budget
 * is unlimited, so only the global budget bounds them.
 *
 * Idle handles wait in a hash table keyed by tenant id (for reuse), in one
 * global LRU list and in their server's LRU list (for eviction). A miss
 * that finds its server's budget spent closes the least recently used
 * idle handle of another tenant on that server; one that finds the global
 * budget spent closes the least recently used idle handle of any tenant.
 * When neither is possible (every connection is leased) the lease waits
 * in one queue, in arrival order, for at most wait_ms. Whatever a release
 * frees goes to the first waiter it can serve: the handle itself to a
 * waiter of the same tenant, else its slot (the handle is closed) to a
 * waiter of the same server, or to one held back by the global budget
 * alone. So a waiter is never overtaken by a later request for the same
 * server, and idle handles never sit on a server someone waits for. A
 * wait that ends without a slot is TD_E_BUSY.
 *
 * A connection is always closed before its slot is given to someone else,
 * so the connections that exist never exceed what is counted (the
 * PostgreSQL driver's close returns once the server let the slot go).
 * Handles are opened and closed outside the lock, which guards only list
 * and counter updates. A transient lease (td_pool_lease_counted) is
 * counted like any other but never kept: its caller closes it with
 * td_db_close, which gives the slot back.
 *
 * A tenant that is suspended or deleted is "forgotten": its idle handles
 * are closed, and a handle leased at that moment is marked so that it is
 * closed when it comes back. Leased handles are kept in a second table,
 * keyed by the connection pointer, for exactly that.
 *
 * Idle handles are trimmed: one nobody leased for trim_ms gives back the
 * memory it can refill (td_db_trim: SQLite's page cache), so that a large
 * budget of mostly idle handles costs little more than their schemas. The
 * pool's trimmer thread (td_pool_start_trimmer) does it every
 * TRIM_EVERY_MS, at most TRIM_BATCH handles at a time under the lock,
 * from the LRU's tail (the longest idle) up: the trimmed handles always
 * form the LRU's tail, from trim_mark down, so a pass starts where the
 * last one stopped.
 *
 * No tenant holds more than tenant_max handles (leased or idle): a busy
 * tenant's extra leases wait in the line for one of its own handles
 * (they are never given another tenant's slot), so one noisy tenant
 * cannot evict every other tenant's handles to open more of its own. The
 * handles per tenant are counted in a table of their own (counts).
 *
 * A handle whose database went away (a SQLite file found corrupt, removed,
 * replaced or emptied; a PostgreSQL server stopped or database dropped:
 * td_db_usable) is never kept nor handed out again: it is closed when it
 * comes back and when a lease finds it idle, so the next request opens the
 * tenant afresh — and works again as soon as the database is repaired. */
#include <errno.h>
#include <stddef.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/id.h"
#include "common/timeutil.h"
#include "tenancy/tenancy.h"
#include "common/text.h"

#define NBUCKETS 4096
#define WAIT_MS 5000    /* a lease waits this long for a handle before TD_E_BUSY */
#define QUEUE_MAX 1000  /* leases waiting for one server at once */
#define TENANT_MAX 8    /* handles one tenant may hold */
#define TRIM_MS 30000   /* an idle handle is trimmed after this long */
#define TRIM_EVERY_MS 100
#define TRIM_BATCH 64

typedef struct server server_t;

typedef struct handle handle_t;

/* A handle's place in one LRU list, and a list: most recent at head. */
typedef struct {
    handle_t *prev, *next;
} link_t;
typedef struct {
    handle_t *head, *tail;
} list_t;

struct handle {
    td_db_t *db;
    char tid[TD_ID_LEN + 1];
    server_t *srv;   /* where its connection goes */
    td_pool_t *pool; /* transient leases: for the close hook */
    int forgotten;   /* close instead of keeping */
    int transient;   /* a counted connection, never kept (not in counts) */
    uint64_t idle_since; /* ms, monotonic: when it was last parked */
    handle_t *bnext; /* bucket chain (idle or leased) */
    link_t lru;      /* idle only: in the pool's LRU */
    link_t slru;     /* idle only: in its server's LRU */
};
#define LRU offsetof(handle_t, lru)
#define SLRU offsetof(handle_t, slru)

enum { S_NEW, S_SIZING, S_READY };

struct server {
    char key[TD_POOL_SERVER_LEN]; /* "" = the local server (no budget of its own) */
    size_t budget, open, idle, waiting;
    unsigned long long waits, busy, evictions;
    list_t lru;                    /* its idle handles */
    int state;                     /* S_NEW until its budget is read */
    server_t *next;
};

/* What a waiting lease was given: W_QUEUED nothing yet; W_PENDING a slot,
 * once the handle that held it is closed; W_SLOT a slot (counted, open
 * it); W_HANDLE an idle handle of its tenant, leased to it. */
enum { W_QUEUED, W_PENDING, W_SLOT, W_HANDLE };

/* How many handles (leased or idle, transient ones aside) a tenant holds. */
typedef struct tcount {
    struct tcount *next;
    size_t n;
    char tid[TD_ID_LEN + 1];
} tcount_t;

typedef struct waiter {
    const char *tid;
    server_t *srv;
    int transient; /* wants a connection of its own, never an idle one */
    int capped;    /* its tenant holds tenant_max: only its own handles serve */
    int state;
    handle_t *h; /* W_HANDLE */
    pthread_cond_t cv;
    struct waiter *prev, *next;
} waiter_t;

struct td_pool {
    pthread_mutex_t mu;
    pthread_cond_t sized;        /* a server's budget was read, or not */
    handle_t *buckets[NBUCKETS]; /* idle handles by tenant id */
    handle_t *leased[NBUCKETS];  /* leased handles by connection pointer */
    tcount_t *counts[NBUCKETS];  /* handles per tenant */
    size_t tenant_max;           /* 0 = no limit */
    list_t lru;                  /* every idle handle */
    size_t open, idle, max;
    unsigned long long hits, misses, evictions, waits, busy;
    td_pool_open_fn open_fn;
    void *ctx;
    td_pool_locate_fn locate; /* NULL: every tenant on the local server */
    td_pool_size_fn size;
    unsigned wait_ms;  /* how long a lease waits for a free handle */
    size_t queue_max;  /* waiting leases per server */
    server_t local;    /* tenants with no server budget */
    server_t *servers; /* the others, as first used */
    waiter_t *wq_head, *wq_tail; /* waiting leases, oldest first */
    unsigned trim_ms;            /* idle this long: trimmed; 0 = never */
    handle_t *trim_mark;         /* the trimmed handle nearest the LRU's head */
    unsigned long long trims;
    pthread_t trimmer;
    int trimming;                /* the trimmer runs; 0 tells it to stop */
    pthread_cond_t trim_cv;
};

static unsigned hash(const char *s) {
    return td_hash32(s);
}

static void cond_init_monotonic(pthread_cond_t *cv) {
    pthread_condattr_t at;
    pthread_condattr_init(&at);
    pthread_condattr_setclock(&at, CLOCK_MONOTONIC);
    pthread_cond_init(cv, &at);
    pthread_condattr_destroy(&at);
}

td_pool_t *td_pool_new(size_t max_open, td_pool_open_fn open, void *ctx) {
    td_pool_t *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    pthread_mutex_init(&p->mu, NULL);
    cond_init_monotonic(&p->sized);
    cond_init_monotonic(&p->trim_cv);
    p->max = max_open ? max_open : 1;
    p->open_fn = open;
    p->ctx = ctx;
    p->wait_ms = WAIT_MS;
    p->queue_max = QUEUE_MAX;
    p->local.budget = SIZE_MAX;
    p->local.state = S_READY;
    p->trim_ms = TRIM_MS;
    p->tenant_max = TENANT_MAX;
    return p;
}

void td_pool_set_wait_ms(td_pool_t *p, unsigned ms) {
    pthread_mutex_lock(&p->mu);
    p->wait_ms = ms;
    pthread_mutex_unlock(&p->mu);
}

void td_pool_set_queue_max(td_pool_t *p, size_t n) {
    pthread_mutex_lock(&p->mu);
    p->queue_max = n ? n : 1;
    pthread_mutex_unlock(&p->mu);
}

void td_pool_set_tenant_max(td_pool_t *p, size_t n) {
    pthread_mutex_lock(&p->mu);
    p->tenant_max = n;
    pthread_mutex_unlock(&p->mu);
}

void td_pool_set_trim_ms(td_pool_t *p, unsigned ms) {
    pthread_mutex_lock(&p->mu);
    p->trim_ms = ms;
    pthread_mutex_unlock(&p->mu);
}

void td_pool_set_servers(td_pool_t *p, td_pool_locate_fn locate, td_pool_size_fn size) {
    pthread_mutex_lock(&p->mu);
    p->locate = locate;
    p->size = size;
    pthread_mutex_unlock(&p->mu);
}

/* ---- lists (lock held) ---------------------------------------------------- */

static unsigned ptr_slot(const td_db_t *db) { return (unsigned)(((uintptr_t)db >> 4) % NBUCKETS); }

static void chain_unlink(handle_t **pp, handle_t *h) {
    while (*pp && *pp != h)
        pp = &(*pp)->bnext;
    if (*pp)
        *pp = h->bnext;
    h->bnext = NULL;
}

static link_t *link_of(handle_t *h, size_t off) { return (link_t *)(void *)((char *)h + off); }

static void list_unlink(list_t *l, handle_t *h, size_t off) {
    link_t *k = link_of(h, off);
    if (k->prev)
        link_of(k->prev, off)->next = k->next;
    else
        l->head = k->next;
    if (k->next)
        link_of(k->next, off)->prev = k->prev;
    else
        l->tail = k->prev;
    k->prev = k->next = NULL;
}

static void list_push(list_t *l, handle_t *h, size_t off) {
    link_t *k = link_of(h, off);
    k->prev = NULL;
    k->next = l->head;
    if (l->head)
        link_of(l->head, off)->prev = h;
    l->head = h;
    if (!l->tail)
        l->tail = h;
}

/* Takes h out of the idle structures. */
static void take(td_pool_t *p, handle_t *h) {
    if (h == p->trim_mark) /* what lies below it is trimmed too */
        p->trim_mark = h->lru.next;
    chain_unlink(&p->buckets[hash(h->tid) % NBUCKETS], h);
    list_unlink(&p->lru, h, LRU);
    list_unlink(&h->srv->lru, h, SLRU);
    p->idle--;
    h->srv->idle--;
}

/* Makes h idle: the most recently used, globally and on its server. */
static void park(td_pool_t *p, handle_t *h) {
    h->idle_since = (uint64_t)(td_mono_ns() / 1000000);
    handle_t **b = &p->buckets[hash(h->tid) % NBUCKETS];
    h->bnext = *b;
    *b = h;
    list_push(&p->lru, h, LRU);
    list_push(&h->srv->lru, h, SLRU);
    p->idle++;
    h->srv->idle++;
}

/* Puts h into the leased table. */
static void mark_leased(td_pool_t *p, handle_t *h) {
    handle_t **b = &p->leased[ptr_slot(h->db)];
    h->bnext = *b;
    *b = h;
}

static handle_t *find_idle(td_pool_t *p, const char *tid) {
    handle_t *h = p->buckets[hash(tid) % NBUCKETS];
    while (h && strcmp(h->tid, tid))
        h = h->bnext;
    return h;
}

static tcount_t **count_slot(td_pool_t *p, const char *tid) {
    tcount_t **pp = &p->counts[hash(tid) % NBUCKETS];
    while (*pp && strcmp((*pp)->tid, tid))
        pp = &(*pp)->next;
    return pp;
}

/* Handles tid holds (lock held). */
static size_t tenant_open(td_pool_t *p, const char *tid) {
    tcount_t *c = *count_slot(p, tid);
    return c ? c->n : 0;
}

/* 1 when tid may not open another handle (lock held). */
static int capped(td_pool_t *p, const char *tid) {
    return p->tenant_max && tenant_open(p, tid) >= p->tenant_max;
}

/* Moves tid's count by d (lock held). Without memory for a new entry the
 * tenant goes uncounted: its cap is not enforced, nothing else breaks. */
static void tenant_count(td_pool_t *p, const char *tid, int d) {
    tcount_t **pp = count_slot(p, tid), *c = *pp;
    if (!c && d > 0 && (c = calloc(1, sizeof(*c)))) {
        snprintf(c->tid, sizeof(c->tid), "%s", tid);
        *pp = c;
    }
    if (!c || (d < 0 && !c->n))
        return;
    c->n = (size_t)((long)c->n + d);
    if (!c->n) {
        *pp = c->next;
        free(c);
    }
}

/* A connection to s is counted for tid (transient ones only by s). */
static void slot_take(td_pool_t *p, server_t *s, const char *tid, int transient) {
    p->open++;
    s->open++;
    if (!transient)
        tenant_count(p, tid, 1);
}

static void slot_drop(td_pool_t *p, server_t *s, const char *tid, int transient) {
    p->open--;
    s->open--;
    if (!transient)
        tenant_count(p, tid, -1);
}

static int room(const td_pool_t *p, const server_t *s) {
    return s->open < s->budget && p->open < p->max;
}

static void dequeue(td_pool_t *p, waiter_t *w) {
    if (w->prev)
        w->prev->next = w->next;
    else
        p->wq_head = w->next;
    if (w->next)
        w->next->prev = w->prev;
    else
        p->wq_tail = w->prev;
    w->prev = w->next = NULL;
    w->srv->waiting--;
}

/* Slots were freed: each waiter, oldest first, that now has room gets one. */
static void grant_slots(td_pool_t *p) {
    for (waiter_t *w = p->wq_head, *next; w; w = next) {
        next = w->next;
        if (!room(p, w->srv) || (w->capped && capped(p, w->tid)))
            continue;
        dequeue(p, w);
        slot_take(p, w->srv, w->tid, w->transient);
        w->state = W_SLOT;
        pthread_cond_signal(&w->cv);
    }
}

/* h came back usable: the first waiter it can serve gets it — the handle
 * itself (same tenant; returns 1), or its slot once h is closed (same
 * server, or a waiter held back only by the global budget; returns 2 with
 * *to set, the slot already moved to it). 0: nobody can use it. */
static int offer(td_pool_t *p, handle_t *h, waiter_t **to) {
    for (waiter_t *w = p->wq_head; w; w = w->next) {
        if (!w->transient && strcmp(w->tid, h->tid) == 0) {
            dequeue(p, w);
            mark_leased(p, h);
            w->h = h;
            w->state = W_HANDLE;
            p->hits++;
            pthread_cond_signal(&w->cv);
            return 1;
        }
        if ((w->srv == h->srv || w->srv->open < w->srv->budget) &&
            !(w->capped && capped(p, w->tid))) {
            dequeue(p, w);
            slot_drop(p, h->srv, h->tid, 0);
            slot_take(p, w->srv, w->tid, w->transient);
            h->srv->evictions++;
            p->evictions++;
            w->state = W_PENDING;
            *to = w;
            return 2;
        }
    }
    return 0;
}

/* Room for one more connection to s (lock held): 1 when both budgets
 * allow it, or after taking out *victim, the least recently used idle
 * handle on s when s's budget is spent, else on any server when the
 * global one is (the caller closes it); 0 when every one is leased. */
static int make_room(td_pool_t *p, server_t *s, handle_t **victim) {
    if (room(p, s))
        return 1;
    handle_t *v = s->open >= s->budget ? s->lru.tail : p->lru.tail;
    if (!v)
        return 0;
    take(p, v);
    slot_drop(p, v->srv, v->tid, 0);
    v->srv->evictions++;
    p->evictions++;
    *victim = v;
    return 1;
}

/* Trims the handles idle for trim_ms, oldest first, at most TRIM_BATCH
 * (lock held; the handles are idle, so nobody uses them meanwhile). */
static void trim_idle(td_pool_t *p) {
    uint64_t now = (uint64_t)(td_mono_ns() / 1000000);
    if (!p->trim_ms)
        return;
    handle_t *h = p->trim_mark ? p->trim_mark->lru.prev : p->lru.tail;
    for (int n = 0; h && n < TRIM_BATCH && now - h->idle_since >= p->trim_ms; n++) {
        td_db_trim(h->db);
        p->trims++;
        p->trim_mark = h;
        h = h->lru.prev;
    }
}

static void *trimmer(void *arg) {
    td_pool_t *p = arg;
    pthread_mutex_lock(&p->mu);
    while (p->trimming) {
        struct timespec until = td_deadline(CLOCK_MONOTONIC, TRIM_EVERY_MS);
        pthread_cond_timedwait(&p->trim_cv, &p->mu, &until);
        if (p->trimming)
            trim_idle(p);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

td_status td_pool_start_trimmer(td_pool_t *p) {
    pthread_mutex_lock(&p->mu);
    int started = p->trimming;
    p->trimming = 1;
    pthread_mutex_unlock(&p->mu);
    if (!started && pthread_create(&p->trimmer, NULL, trimmer, p)) {
        p->trimming = 0;
        return TD_E_NOMEM;
    }
    return TD_OK;
}

/* ---- servers -------------------------------------------------------------- */

/* The server of key, created on first sight (lock held); NULL: no memory. */
static server_t *server_get(td_pool_t *p, const char *key) {
    server_t *s = p->servers;
    while (s && strcmp(s->key, key))
        s = s->next;
    if (s || !(s = calloc(1, sizeof(*s))))
        return s;
    snprintf(s->key, sizeof(s->key), "%s", key);
    s->next = p->servers;
    p->servers = s;
    return s;
}

/* The server tenant tid's connections go to, with its budget read: the
 * first lease that meets a server reads it (outside the lock) while the
 * others wait for it, at most until the lease's deadline. */
static td_status server_of(td_pool_t *p, const char *tid, const char *named,
                           const struct timespec *until, server_t **out) {
    char key[TD_POOL_SERVER_LEN] = "";
    *out = &p->local;
    td_status st = TD_OK;
    if (named)
        snprintf(key, sizeof(key), "%s", named);
    else if (p->locate)
        st = p->locate(p->ctx, tid, key, sizeof(key));
    if (st || !key[0] || !p->size)
        return st;
    pthread_mutex_lock(&p->mu);
    server_t *s = server_get(p, key);
    while (s && s->state == S_SIZING)
        if (pthread_cond_timedwait(&p->sized, &p->mu, until) == ETIMEDOUT &&
            s->state == S_SIZING) {
            pthread_mutex_unlock(&p->mu);
            return TD_E_BUSY;
        }
    if (s && s->state == S_NEW) {
        size_t budget = 0;
        s->state = S_SIZING;
        pthread_mutex_unlock(&p->mu);
        st = p->size(p->ctx, key, &budget);
        pthread_mutex_lock(&p->mu);
        s->budget = budget ? budget : 1;
        s->state = st ? S_NEW : S_READY; /* a server that did not answer is asked again */
        pthread_cond_broadcast(&p->sized);
    }
    pthread_mutex_unlock(&p->mu);
    if (!s)
        return TD_E_NOMEM;
    if (!st)
        *out = s;
    return st;
}

/* ---- leases --------------------------------------------------------------- */

/* Waits in the queue for what a release gives (lock held): TD_OK with
 * *given the idle handle of its tenant, or NULL for a counted slot to open;
 * TD_E_BUSY when the wait ends first or the line is full. */
static td_status wait_turn(td_pool_t *p, const char *tid, server_t *s, int transient,
                           int is_capped, const struct timespec *until, handle_t **given) {
    if (!p->wait_ms || s->waiting >= p->queue_max) {
        s->busy++;
        p->busy++;
        return TD_E_BUSY;
    }
    waiter_t w = {.tid = tid, .srv = s, .transient = transient, .capped = is_capped,
                  .state = W_QUEUED, .prev = p->wq_tail};
    cond_init_monotonic(&w.cv);
    if (p->wq_tail)
        p->wq_tail->next = &w;
    else
        p->wq_head = &w;
    p->wq_tail = &w;
    s->waiting++;
    s->waits++;
    p->waits++;
    td_status st = TD_OK;
    while (w.state == W_QUEUED || w.state == W_PENDING) {
        int rc = w.state == W_PENDING ? pthread_cond_wait(&w.cv, &p->mu)
                                      : pthread_cond_timedwait(&w.cv, &p->mu, until);
        if (rc == ETIMEDOUT && w.state == W_QUEUED) {
            dequeue(p, &w);
            s->busy++;
            p->busy++;
            st = TD_E_BUSY;
            break;
        }
    }
    pthread_cond_destroy(&w.cv);
    *given = w.state == W_HANDLE ? w.h : NULL;
    return st;
}

/* A handle of tid, leased (idle, else newly opened by open), or an error;
 * *reused says which. A transient lease always opens its own connection
 * and returns its (unlisted) record in *rec. */
static td_status lease_one(td_pool_t *p, const char *tid, const char *server, int transient,
                           td_pool_open_fn open, void *ctx, td_db_t **out, int *reused,
                           handle_t **rec) {
    struct timespec until = td_deadline(CLOCK_MONOTONIC, p->wait_ms);
    handle_t *h = NULL, *victim = NULL;
    server_t *s = NULL;
    pthread_mutex_lock(&p->mu);
    if (!transient && (h = find_idle(p, tid))) { /* a hit needs no server lookup */
        take(p, h);
        mark_leased(p, h);
        p->hits++;
    }
    pthread_mutex_unlock(&p->mu);
    if (h) {
        *reused = 1;
        *out = h->db;
        return TD_OK;
    }
    td_status st = server_of(p, tid, server, &until, &s);
    if (st)
        return st;
    handle_t *fresh = calloc(1, sizeof(*fresh));
    if (!fresh)
        return TD_E_NOMEM;
    pthread_mutex_lock(&p->mu);
    if (!transient && (h = find_idle(p, tid))) { /* one came back meanwhile */
        take(p, h);
        mark_leased(p, h);
        p->hits++;
    } else if (!transient && capped(p, tid)) { /* wait for one of its own */
        st = wait_turn(p, tid, s, transient, 1, &until, &h);
    } else if (make_room(p, s, &victim)) {
        slot_take(p, s, tid, transient);
    } else {
        st = wait_turn(p, tid, s, transient, 0, &until, &h);
    }
    if (!st && !h && !transient)
        p->misses++;
    pthread_mutex_unlock(&p->mu);
    if (victim) { /* close first: its slot is the one about to be opened */
        td_db_close(victim->db);
        free(victim);
    }
    if (st || h) {
        free(fresh);
        *reused = 1;
        *out = h ? h->db : NULL;
        return st;
    }
    td_db_t *db = NULL;
    st = open(ctx, tid, &db);
    pthread_mutex_lock(&p->mu);
    if (st) { /* give the slot back to whoever waits */
        slot_drop(p, s, tid, transient);
        grant_slots(p);
    } else {
        fresh->db = db;
        fresh->srv = s;
        fresh->transient = transient;
        snprintf(fresh->tid, sizeof(fresh->tid), "%s", tid);
        if (!transient)
            mark_leased(p, fresh);
    }
    pthread_mutex_unlock(&p->mu);
    if (st) {
        free(fresh);
        return st;
    }
    *reused = 0;
    *out = db;
    if (rec)
        *rec = fresh;
    return TD_OK;
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
    while (!(st = lease_one(p, tid, NULL, 0, p->open_fn, p->ctx, &db, &reused, NULL)) && reused &&
           !td_db_usable(db))
        td_pool_release(p, tid, db, 1);
    if (st)
        return st;
    if (l) {
        l->pool = p;
        snprintf(l->tid, sizeof(l->tid), "%s", tid);
        l->db = db;
        if (td_arena_defer_release(a, lease_cleanup, l)) /* the cleanup ran: returned */
            return TD_E_NOMEM;
    }
    *out = db;
    return TD_OK;
}

/* td_db_close of a transient lease: its slot goes back (the connection is
 * closed already). */
static void transient_closed(void *arg) {
    handle_t *h = arg;
    td_pool_t *p = h->pool;
    pthread_mutex_lock(&p->mu);
    slot_drop(p, h->srv, h->tid, 1);
    grant_slots(p);
    pthread_mutex_unlock(&p->mu);
    free(h);
}

td_status td_pool_lease_counted(td_pool_t *p, const char *tid, td_pool_open_fn open, void *ctx,
                                td_db_t **out) {
    return td_pool_lease_counted_on(p, tid, NULL, open, ctx, out);
}

td_status td_pool_lease_counted_on(td_pool_t *p, const char *tid, const char *server,
                                   td_pool_open_fn open, void *ctx, td_db_t **out) {
    if (!td_id_valid(tid))
        return TD_E_INVALID;
    handle_t *rec = NULL;
    int reused = 0;
    td_status st = lease_one(p, tid, server, 1, open, ctx, out, &reused, &rec);
    if (st)
        return st;
    rec->pool = p;
    td_db_on_close(*out, transient_closed, rec);
    return TD_OK;
}

void td_pool_release(td_pool_t *p, const char *tid, td_db_t *db, int broken) {
    int usable = !broken && td_db_usable(db); /* outside the lock: it may stat files */
    waiter_t *to = NULL;
    int given = 0;
    pthread_mutex_lock(&p->mu);
    handle_t **pp = &p->leased[ptr_slot(db)];
    while (*pp && (*pp)->db != db)
        pp = &(*pp)->bnext;
    handle_t *h = *pp;
    if (h)
        *pp = h->bnext, h->bnext = NULL;
    int keep = h && usable && !h->forgotten;
    if (keep && !(given = offer(p, h, &to)))
        park(p, h);
    pthread_mutex_unlock(&p->mu);
    (void)tid;
    if (keep && given != 2)
        return;
    td_db_close(db); /* close first, then give the slot away */
    pthread_mutex_lock(&p->mu);
    if (to) {
        to->state = W_SLOT;
        pthread_cond_signal(&to->cv);
    } else if (h) {
        slot_drop(p, h->srv, h->tid, h->transient);
        grant_slots(p);
    }
    pthread_mutex_unlock(&p->mu);
    free(h);
}

void td_pool_forget(td_pool_t *p, const char *tid) {
    handle_t *gone = NULL;
    pthread_mutex_lock(&p->mu);
    for (handle_t *h; (h = find_idle(p, tid));) {
        take(p, h);
        h->bnext = gone;
        gone = h;
    }
    for (size_t i = 0; i < NBUCKETS; i++)
        for (handle_t *l = p->leased[i]; l; l = l->bnext)
            if (strcmp(l->tid, tid) == 0)
                l->forgotten = 1;
    pthread_mutex_unlock(&p->mu);
    for (handle_t *h = gone; h; h = h->bnext) /* close first, then give the slots back */
        td_db_close(h->db);
    pthread_mutex_lock(&p->mu);
    for (handle_t *h = gone; h; h = h->bnext)
        slot_drop(p, h->srv, h->tid, 0);
    grant_slots(p);
    pthread_mutex_unlock(&p->mu);
    while (gone) {
        handle_t *n = gone->bnext;
        free(gone);
        gone = n;
    }
}

void td_pool_free(td_pool_t *p) {
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    int running = p->trimming;
    p->trimming = 0;
    pthread_cond_signal(&p->trim_cv);
    pthread_mutex_unlock(&p->mu);
    if (running)
        pthread_join(p->trimmer, NULL);
    while (p->lru.head) {
        handle_t *h = p->lru.head;
        take(p, h);
        td_db_close(h->db);
        free(h);
    }
    for (size_t i = 0; i < NBUCKETS; i++) /* leases never returned */
        for (handle_t *h = p->leased[i], *n; h; h = n) {
            n = h->bnext;
            free(h);
        }
    for (server_t *s = p->servers, *n; s; s = n) {
        n = s->next;
        free(s);
    }
    for (size_t i = 0; i < NBUCKETS; i++)
        for (tcount_t *c = p->counts[i], *n; c; c = n) {
            n = c->next;
            free(c);
        }
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->sized);
    pthread_cond_destroy(&p->trim_cv);
    free(p);
}

void td_pool_stats(td_pool_t *p, td_pool_stats_t *out) {
    pthread_mutex_lock(&p->mu);
    *out = (td_pool_stats_t){p->open,  p->idle, p->max,  p->hits, p->misses,
                             p->evictions, p->waits, p->busy, p->trims};
    pthread_mutex_unlock(&p->mu);
}

size_t td_pool_server_stats(td_pool_t *p, td_pool_server_stats_t *out, size_t max) {
    size_t n = 0;
    pthread_mutex_lock(&p->mu);
    for (server_t *s = p->servers; s; s = s->next) {
        if (s->state != S_READY)
            continue;
        if (n < max) {
            td_pool_server_stats_t *o = &out[n];
            snprintf(o->server, sizeof(o->server), "%s", s->key);
            o->open = s->open;
            o->idle = s->idle;
            o->budget = s->budget;
            o->waiting = s->waiting;
            o->waits = s->waits;
            o->busy = s->busy;
            o->evictions = s->evictions;
        }
        n++;
    }
    pthread_mutex_unlock(&p->mu);
    return n;
}
