/* usage.c — the in-memory aggregate of request counts and its flusher.
 *
 * The request path (td_usage_count) hashes the tenant id to one of
 * NSHARDS shards, each with its own mutex, an open-addressing table of
 * cells keyed by tenant × service × hour, and a buffer of sampled
 * requests. A count takes the shard's mutex for a probe and three
 * additions: no global lock, no allocation unless the key is new and the
 * table must grow, or a sampled request needs room in the log buffer.
 *
 * The flusher swaps each shard's table for a fresh empty one (allocated
 * before the mutex is taken) and its log buffer for none, then merges and
 * writes them in one catalog transaction (catalog/usage.h). A failed write
 * puts the counts back; the sampled rows of that window are dropped. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "catalog/catalog.h"
#include "common/id.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "usage/usage.h"

#define NSHARDS 16
#define CELLS_MIN 64        /* a shard's first table (grows at 3/4 full) */
#define LOGS_MAX 4096       /* sampled requests a shard buffers between flushes */
#define SVC_MAX 48
#define HOUR_MS 3600000LL

typedef struct {
    char tenant[TD_ID_LEN + 1]; /* "" = a free cell */
    char service[SVC_MAX];
    int64_t hour, requests, bytes_in, bytes_out, last_at;
} cell_t;

typedef struct {
    char id[TD_ID_LEN + 1], tenant[TD_ID_LEN + 1], actor_id[TD_ID_LEN + 1], request_id[65];
    const char *actor_kind, *method, *route; /* static strings */
    int status;
    int64_t at, duration_us, bytes_in, bytes_out;
} logrec_t;

typedef struct {
    _Alignas(64) pthread_mutex_t mu;
    cell_t *cells;
    size_t cap, n;      /* cap a power of two */
    uint64_t seen;      /* requests counted, for the 1-in-N sample */
    logrec_t *logs;
    size_t nlogs, logcap;
} shard_t;

struct td_usage {
    td_platform_t *p;
    long sample;        /* usage_log_sample */
    int64_t flush_ms;
    shard_t shards[NSHARDS];
    pthread_mutex_t flush_mu; /* one flush at a time */
    pthread_mutex_t mu;       /* the flusher's nap */
    pthread_cond_t cv;
    int stop, started;
    pthread_t thread;
};

static uint64_t fnv(const char *s, uint64_t h) {
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
    return h;
}

static uint64_t key_hash(const char *tenant, const char *service, int64_t hour) {
    return fnv(service, fnv(tenant, 0xcbf29ce484222325ULL)) ^ (uint64_t)(hour / HOUR_MS) * 0x9e3779b97f4a7c15ULL;
}

/* The cell of the key in cells (cap a power of two): the key's own, or
 * the free one where it belongs. */
static cell_t *probe(cell_t *cells, size_t cap, const char *tenant, const char *service,
                     int64_t hour) {
    size_t i = (size_t)key_hash(tenant, service, hour) & (cap - 1);
    for (;; i = (i + 1) & (cap - 1)) {
        cell_t *c = &cells[i];
        if (!c->tenant[0] || (c->hour == hour && !strcmp(c->tenant, tenant) &&
                              !strcmp(c->service, service)))
            return c;
    }
}

/* Doubles a shard's table (under its mutex); -1 when out of memory. */
static int grow(shard_t *s) {
    size_t cap = s->cap ? s->cap * 2 : CELLS_MIN;
    cell_t *cells = calloc(cap, sizeof(*cells));
    if (!cells)
        return -1;
    for (size_t i = 0; i < s->cap; i++)
        if (s->cells[i].tenant[0])
            *probe(cells, cap, s->cells[i].tenant, s->cells[i].service, s->cells[i].hour) =
                s->cells[i];
    free(s->cells);
    s->cells = cells;
    s->cap = cap;
    return 0;
}

static void copy(char *dst, size_t n, const char *src) {
    size_t l = src ? strnlen(src, n - 1) : 0;
    memcpy(dst, src ? src : "", l);
    dst[l] = '\0';
}

/* Adds counts to the shard's cell for the key (under its mutex). */
static void add_cell(shard_t *s, const char *tenant, const char *service, int64_t hour,
                     int64_t requests, int64_t in, int64_t out, int64_t at) {
    if ((s->n + 1) * 4 > s->cap * 3 && grow(s))
        return; /* out of memory: this count is lost */
    cell_t *c = probe(s->cells, s->cap, tenant, service, hour);
    if (!c->tenant[0]) {
        copy(c->tenant, sizeof(c->tenant), tenant);
        copy(c->service, sizeof(c->service), service);
        c->hour = hour;
        s->n++;
    }
    c->requests += requests;
    c->bytes_in += in;
    c->bytes_out += out;
    if (at > c->last_at)
        c->last_at = at;
}

/* Buffers the request for the sampled log (under the shard's mutex). */
static void add_log(shard_t *s, const td_usage_hit_t *h) {
    if (s->nlogs == s->logcap) {
        size_t cap = s->logcap ? s->logcap * 2 : 16;
        logrec_t *l = cap <= LOGS_MAX ? realloc(s->logs, cap * sizeof(*l)) : NULL;
        if (!l)
            return; /* full until the next flush: dropped */
        s->logs = l;
        s->logcap = cap;
    }
    logrec_t *r = &s->logs[s->nlogs++];
    td_id_new(r->id);
    copy(r->tenant, sizeof(r->tenant), h->tenant_id);
    copy(r->actor_id, sizeof(r->actor_id), h->actor_id);
    copy(r->request_id, sizeof(r->request_id), h->request_id);
    r->actor_kind = h->actor_kind;
    r->method = h->method;
    r->route = h->route;
    r->status = h->status;
    r->at = h->at_ms;
    r->duration_us = h->duration_us;
    r->bytes_in = h->bytes_in;
    r->bytes_out = h->bytes_out;
}

static shard_t *shard_of(td_usage_t *u, const char *tenant) {
    return &u->shards[fnv(tenant, 0xcbf29ce484222325ULL) % NSHARDS];
}

void td_usage_count(td_usage_t *u, const td_usage_hit_t *h) {
    if (!u || !h->tenant_id || !h->service)
        return;
    shard_t *s = shard_of(u, h->tenant_id);
    int64_t hour = h->at_ms - h->at_ms % HOUR_MS;
    pthread_mutex_lock(&s->mu);
    add_cell(s, h->tenant_id, h->service, hour, 1, h->bytes_in, h->bytes_out, h->at_ms);
    if (u->sample > 0 && ++s->seen % (uint64_t)u->sample == 0)
        add_log(s, h);
    pthread_mutex_unlock(&s->mu);
}

td_status td_usage_new(td_platform_t *p, td_usage_t **out) {
    td_usage_t *u = calloc(1, sizeof(*u));
    if (!u)
        return TD_E_NOMEM;
    u->p = p;
    u->sample = p->cfg->usage_log_sample;
    u->flush_ms = p->cfg->usage_flush_ms > 0 ? p->cfg->usage_flush_ms : 5000;
    for (int i = 0; i < NSHARDS; i++)
        pthread_mutex_init(&u->shards[i].mu, NULL);
    pthread_mutex_init(&u->flush_mu, NULL);
    pthread_mutex_init(&u->mu, NULL);
    pthread_cond_init(&u->cv, NULL);
    *out = u;
    return TD_OK;
}

/* What one flush took out of the shards. */
typedef struct {
    cell_t *cells[NSHARDS];
    size_t cap[NSHARDS];
    logrec_t *logs[NSHARDS];
    size_t nlogs[NSHARDS];
} batch_t;

/* Swaps every shard's table for an empty one and takes its log buffer. */
static void take(td_usage_t *u, batch_t *b) {
    for (int i = 0; i < NSHARDS; i++) {
        shard_t *s = &u->shards[i];
        pthread_mutex_lock(&s->mu);
        size_t cap = s->n ? s->cap : 0;
        pthread_mutex_unlock(&s->mu);
        cell_t *fresh = cap ? calloc(cap, sizeof(*fresh)) : NULL; /* outside the lock */
        pthread_mutex_lock(&s->mu);
        b->cells[i] = NULL;
        if (s->n && fresh) {
            b->cells[i] = s->cells;
            b->cap[i] = s->cap;
            s->cells = fresh;
            s->cap = cap;
            s->n = 0;
            fresh = NULL;
        }
        b->logs[i] = s->logs;
        b->nlogs[i] = s->nlogs;
        s->logs = NULL;
        s->nlogs = s->logcap = 0;
        pthread_mutex_unlock(&s->mu);
        free(fresh);
    }
}

static int row_cmp(const void *a_, const void *b_) {
    const td_usage_row_t *a = a_, *b = b_;
    int c = strcmp(a->tenant_id, b->tenant_id);
    if (!c)
        c = strcmp(a->service, b->service);
    return c ? c : (a->hour > b->hour) - (a->hour < b->hour);
}

/* The batch as catalog rows (sorted: the order rows are locked in) and
 * log rows, in a; -1 when out of memory. */
static int to_rows(const batch_t *b, td_arena_t *a, td_usage_row_t **rows, size_t *n,
                   td_usage_log_row_t **logs, size_t *nlogs) {
    size_t nc = 0, nl = 0;
    for (int i = 0; i < NSHARDS; i++)
        nc += b->cells[i] ? b->cap[i] : 0, nl += b->nlogs[i];
    *rows = td_arena_alloc(a, sizeof(**rows) * (nc + 1));
    *logs = td_arena_alloc(a, sizeof(**logs) * (nl + 1));
    if (!*rows || !*logs)
        return -1;
    *n = *nlogs = 0;
    for (int i = 0; i < NSHARDS; i++) {
        for (size_t k = 0; b->cells[i] && k < b->cap[i]; k++) {
            const cell_t *c = &b->cells[i][k];
            if (c->tenant[0])
                (*rows)[(*n)++] = (td_usage_row_t){c->tenant, c->service, c->hour, c->requests,
                                                    c->bytes_in, c->bytes_out, c->last_at};
        }
        for (size_t k = 0; k < b->nlogs[i]; k++) {
            const logrec_t *l = &b->logs[i][k];
            (*logs)[(*nlogs)++] = (td_usage_log_row_t){
                .id = l->id, .tenant_id = l->tenant, .actor_kind = l->actor_kind,
                .actor_id = l->actor_id[0] ? l->actor_id : NULL, .method = l->method,
                .route = l->route, .request_id = l->request_id, .at = l->at,
                .duration_us = l->duration_us, .bytes_in = l->bytes_in,
                .bytes_out = l->bytes_out, .status = l->status};
        }
    }
    qsort(*rows, *n, sizeof(**rows), row_cmp);
    return 0;
}

/* Writes rows and logs in one transaction of a leased connection. */
static td_status write_batch(td_usage_t *u, td_arena_t *a, const td_usage_row_t *rows, size_t n,
                             const td_usage_log_row_t *logs, size_t nlogs) {
    td_db_t *db;
    td_status st = td_catalog_lease(u->p->catalog, a, &db);
    if (!st)
        st = td_db_begin(db, TD_DB_WRITE);
    if (!st) {
        st = td_cat_usage_add(db, rows, n, logs, nlogs);
        if (!st)
            st = td_db_commit(db);
        if (st)
            td_db_rollback(db);
    }
    return st;
}

/* Puts the counts of a batch that could not be written back into the
 * shards, so that the next flush writes them. */
static void put_back(td_usage_t *u, const td_usage_row_t *rows, size_t n) {
    for (size_t i = 0; i < n; i++) {
        shard_t *s = shard_of(u, rows[i].tenant_id);
        pthread_mutex_lock(&s->mu);
        add_cell(s, rows[i].tenant_id, rows[i].service, rows[i].hour, rows[i].requests,
                 rows[i].bytes_in, rows[i].bytes_out, rows[i].last_at);
        pthread_mutex_unlock(&s->mu);
    }
}

static void batch_free(batch_t *b) {
    for (int i = 0; i < NSHARDS; i++) {
        free(b->cells[i]);
        free(b->logs[i]);
    }
}

td_status td_usage_flush(td_usage_t *u) {
    if (!u)
        return TD_OK;
    pthread_mutex_lock(&u->flush_mu);
    batch_t b;
    take(u, &b);
    td_arena_t *a = td_arena_new(0);
    td_usage_row_t *rows = NULL;
    td_usage_log_row_t *logs = NULL;
    size_t n = 0, nlogs = 0;
    td_status st = a && !to_rows(&b, a, &rows, &n, &logs, &nlogs) ? TD_OK : TD_E_NOMEM;
    if (!st && (n || nlogs))
        st = write_batch(u, a, rows, n, logs, nlogs);
    if (st && rows) {
        put_back(u, rows, n);
        td_log(TD_LOG_WARN, "usage flush failed: counts kept for the next one", "error",
               td_status_code(st), NULL);
    }
    td_arena_destroy(a); /* returns the lease */
    batch_free(&b);
    pthread_mutex_unlock(&u->flush_mu);
    return st;
}

/* The flusher: every flush_ms until stopped. */
static void *flusher(void *arg) {
    td_usage_t *u = arg;
    pthread_mutex_lock(&u->mu);
    while (!u->stop) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        int64_t ns = ts.tv_nsec + (u->flush_ms % 1000) * 1000000;
        ts.tv_sec += u->flush_ms / 1000 + ns / 1000000000;
        ts.tv_nsec = ns % 1000000000;
        pthread_cond_timedwait(&u->cv, &u->mu, &ts);
        if (u->stop)
            break;
        pthread_mutex_unlock(&u->mu);
        td_usage_flush(u);
        pthread_mutex_lock(&u->mu);
    }
    pthread_mutex_unlock(&u->mu);
    return NULL;
}

td_status td_usage_start(td_usage_t *u) {
    if (pthread_create(&u->thread, NULL, flusher, u))
        return TD_E_INTERNAL;
    u->started = 1;
    return TD_OK;
}

void td_usage_free(td_usage_t *u) {
    if (!u)
        return;
    if (u->started) {
        pthread_mutex_lock(&u->mu);
        u->stop = 1;
        pthread_cond_signal(&u->cv);
        pthread_mutex_unlock(&u->mu);
        pthread_join(u->thread, NULL);
    }
    td_usage_flush(u); /* what the last window counted */
    for (int i = 0; i < NSHARDS; i++) {
        free(u->shards[i].cells);
        free(u->shards[i].logs);
        pthread_mutex_destroy(&u->shards[i].mu);
    }
    pthread_mutex_destroy(&u->flush_mu);
    pthread_mutex_destroy(&u->mu);
    pthread_cond_destroy(&u->cv);
    free(u);
}
