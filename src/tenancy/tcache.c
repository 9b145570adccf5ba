/* tcache.c — the tenant cache: what every tenant-scoped request needs to
 * know about its tenant (row and enabled services) without a catalog
 * query.
 *
 * Entries are keyed by the key the request used (slug or id). They stay
 * good while the catalog's change counter (tenant_changes.gen, moved by
 * triggers on every change to tenants and tenant_services) stays where it
 * was: the first lookup after CHECK_MS reads that one row, and when it
 * moved every entry is dropped (the epoch moves). So a change made by
 * another process (the CLI, another node) reaches this one within
 * CHECK_MS, and a fleet of idle tenants is not read again every second.
 * Changes made through this process (lifecycle.c) drop the tenant's
 * entries at once. The table is split into many stripes, each with its
 * own lock and a short chain, so that requests for different tenants do
 * not contend; hits copy the entry into the request's arena, so no
 * request ever holds a pointer into the cache. A stripe that fills up is
 * emptied whole (the cache is a cache: a miss costs one catalog query). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "common/timeutil.h"
#include "tenancy/tenancy.h"
#include "common/text.h"

#define STRIPES 4096
#define PER_STRIPE 64
#define CHECK_MS 1000
#define STORAGE_MS 1000 /* how old a tenant's storage figure may be */

typedef struct entry {
    char *key;
    td_tenant_t t;   /* strings malloc'd */
    unsigned long epoch; /* the cache's epoch when it was read */
    int64_t storage_at;  /* ms: t.storage_used was read */
    struct entry *next;
} entry_t;

typedef struct {
    pthread_mutex_t mu;
    entry_t *head;
    size_t n;
} stripe_t;

struct td_tcache {
    stripe_t s[STRIPES];
    /* bumped by every forget: a row read from the catalog before a forget
     * (and perhaps stale after it) is not cached */
    _Atomic unsigned long gen;
    /* entries of an older epoch are stale; it moves when the catalog's
     * change counter did */
    _Atomic unsigned long epoch;
    _Atomic int64_t checked_at; /* ms: the counter was last read */
    int64_t seen;               /* the counter's value then (check_mu) */
    int seen_valid;
    pthread_mutex_t check_mu;
};

static unsigned hash(const char *s) {
    return td_hash32(s);
}

td_tcache_t *td_tcache_new(void) {
    td_tcache_t *c = calloc(1, sizeof(*c));
    for (int i = 0; c && i < STRIPES; i++)
        pthread_mutex_init(&c->s[i].mu, NULL);
    if (c)
        pthread_mutex_init(&c->check_mu, NULL);
    return c;
}

/* Every string member of a row, for copying. */
#define ROW_STRINGS(r)                                                                       \
    &(r)->id, &(r)->slug, &(r)->name, &(r)->status, &(r)->backend, &(r)->plan, &(r)->error,  \
        &(r)->pending_admin, &(r)->wrapped_key, &(r)->created_at, &(r)->updated_at,          \
        &(r)->deleted_at

static void entry_free(entry_t *e) {
    const char **f[] = {ROW_STRINGS(&e->t.row)};
    for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
        free((char *)*f[i]);
    for (size_t i = 0; i < e->t.nsvc; i++)
        free((char *)e->t.services[i]);
    free(e->t.services);
    for (size_t i = 0; i < e->t.limits.nservices; i++)
        free((char *)e->t.limits.services[i]);
    free(e->t.limits.services);
    free(e->key);
    free(e);
}

void td_tcache_free(td_tcache_t *c) {
    if (!c)
        return;
    for (int i = 0; i < STRIPES; i++) {
        for (entry_t *e = c->s[i].head, *n; e; e = n) {
            n = e->next;
            entry_free(e);
        }
        pthread_mutex_destroy(&c->s[i].mu);
    }
    pthread_mutex_destroy(&c->check_mu);
    free(c);
}

/* Copies the plan's list of services (NULL: every service stays NULL). */
static int copy_plan_services(td_arena_t *a, const td_plan_limits_t *from, td_plan_limits_t *to) {
    if (!from->services)
        return 0;
    size_t sz = sizeof(char *) * (from->nservices + 1);
    to->services = a ? td_arena_alloc(a, sz) : calloc(1, sz);
    to->nservices = 0;
    if (!to->services)
        return -1;
    for (size_t i = 0; i < from->nservices; i++) {
        const char *s = a ? td_arena_strdup(a, from->services[i]) : strdup(from->services[i]);
        if (!s)
            return -1;
        to->services[to->nservices++] = s;
    }
    return 0;
}

/* Copies a tenant: into the arena when a is set, else with malloc. */
static int copy_tenant(td_arena_t *a, const td_tenant_t *from, td_tenant_t *to) {
    *to = *from;
    to->limits.services = NULL; /* copied last: freed only once copied */
    to->limits.nservices = 0;
    const char **f[] = {ROW_STRINGS(&to->row)};
    int bad = 0;
    for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
        if (*f[i]) {
            *f[i] = a ? td_arena_strdup(a, *f[i]) : strdup(*f[i]);
            bad |= !*f[i];
        }
    size_t sz = sizeof(char *) * (from->nsvc + 1);
    to->services = a ? td_arena_alloc(a, sz) : calloc(1, sz);
    if (!to->services)
        return -1;
    for (size_t i = 0; i < from->nsvc; i++) {
        to->services[i] = a ? td_arena_strdup(a, from->services[i]) : strdup(from->services[i]);
        bad |= !to->services[i];
    }
    return bad ? -1 : copy_plan_services(a, &from->limits, &to->limits);
}

/* Reads the catalog's change counter when CHECK_MS passed since the last
 * read (one caller at a time; the others go on with the epoch they see)
 * and moves the epoch when it moved, or could not be read. */
static void check_changes(td_platform_t *p, td_tcache_t *c, int64_t now) {
    if (now - atomic_load(&c->checked_at) < CHECK_MS || pthread_mutex_trylock(&c->check_mu))
        return;
    if (now - atomic_load(&c->checked_at) >= CHECK_MS) {
        int64_t gen = 0;
        if (td_tenants_changes(p, &gen)) {
            c->seen_valid = 0;
            atomic_fetch_add(&c->epoch, 1);
        } else if (!c->seen_valid || gen != c->seen) {
            c->seen = gen;
            c->seen_valid = 1;
            atomic_fetch_add(&c->epoch, 1);
        }
        atomic_store(&c->checked_at, now);
    }
    pthread_mutex_unlock(&c->check_mu);
}

/* 1 when e's storage figure matters (its plan limits storage) and is
 * older than STORAGE_MS; then it is marked fresh at once (under the
 * stripe's lock) so that one request, not every one, reads it again. */
static int storage_stale(entry_t *e, int64_t now) {
    if (e->t.limits.storage_bytes < 0 || now - e->storage_at < STORAGE_MS)
        return 0;
    e->storage_at = now;
    return 1;
}

/* Reads the tenant's storage figure (one row of tenant_stats) into out
 * and into its entry under key, if it is still there. A catalog that does
 * not answer leaves the figure it had. */
static void refresh_storage(td_platform_t *p, stripe_t *s, const char *key, td_tenant_t *out) {
    td_db_t *db;
    int64_t bytes = 0;
    if (td_catalog_lease(p->catalog, NULL, &db))
        return;
    td_status st = td_cat_tenant_storage(db, out->row.id, &bytes);
    td_catalog_release(p->catalog, db);
    if (st)
        return;
    out->storage_used = bytes;
    pthread_mutex_lock(&s->mu);
    for (entry_t *e = s->head; e; e = e->next)
        if (!strcmp(e->key, key))
            e->t.storage_used = bytes;
    pthread_mutex_unlock(&s->mu);
}

td_status td_tenant_find_cached(td_platform_t *p, td_arena_t *a, const char *key,
                                td_tenant_t *out) {
    td_tcache_t *c = p->tcache;
    if (!c || !key)
        return td_tenant_find(p, a, key, out);
    check_changes(p, c, td_now_ms());
    unsigned long epoch = atomic_load(&c->epoch);
    stripe_t *s = &c->s[hash(key) % STRIPES];
    pthread_mutex_lock(&s->mu);
    for (entry_t *e = s->head; e; e = e->next)
        if (e->epoch == epoch && !strcmp(e->key, key)) {
            int bad = copy_tenant(a, &e->t, out);
            int stale = storage_stale(e, td_now_ms());
            pthread_mutex_unlock(&s->mu);
            if (!bad && stale)
                refresh_storage(p, s, key, out);
            return bad ? TD_E_NOMEM : TD_OK;
        }
    pthread_mutex_unlock(&s->mu);

    unsigned long gen = atomic_load(&c->gen);
    td_status st = td_tenant_find(p, a, key, out);
    if (st)
        return st;
    entry_t *e = calloc(1, sizeof(*e));
    if (!e || !(e->key = strdup(key)) || copy_tenant(NULL, out, &e->t)) {
        if (e)
            entry_free(e);
        return TD_OK; /* not cached: still answered */
    }
    e->epoch = epoch;
    e->storage_at = td_now_ms();
    pthread_mutex_lock(&s->mu);
    if (atomic_load(&c->gen) != gen) { /* changed while we read: do not keep */
        pthread_mutex_unlock(&s->mu);
        entry_free(e);
        return TD_OK;
    }
    entry_t **pp = &s->head; /* drop an older entry of the same key */
    while (*pp) {
        if (!strcmp((*pp)->key, key)) {
            entry_t *old = *pp;
            *pp = old->next;
            entry_free(old);
            s->n--;
        } else {
            pp = &(*pp)->next;
        }
    }
    if (s->n >= PER_STRIPE) {
        for (entry_t *x = s->head, *n; x; x = n) {
            n = x->next;
            entry_free(x);
        }
        s->head = NULL;
        s->n = 0;
    }
    e->next = s->head;
    s->head = e;
    s->n++;
    pthread_mutex_unlock(&s->mu);
    return TD_OK;
}

void td_tcache_forget(td_platform_t *p, const char *tenant_id) {
    td_tcache_t *c = p->tcache;
    if (!c || !tenant_id)
        return;
    atomic_fetch_add(&c->gen, 1);
    /* the tenant may be cached under its slug too: look at every stripe */
    for (int i = 0; i < STRIPES; i++) {
        stripe_t *s = &c->s[i];
        pthread_mutex_lock(&s->mu);
        entry_t **pp = &s->head;
        while (*pp) {
            if (!strcmp((*pp)->t.row.id, tenant_id)) {
                entry_t *old = *pp;
                *pp = old->next;
                entry_free(old);
                s->n--;
            } else {
                pp = &(*pp)->next;
            }
        }
        pthread_mutex_unlock(&s->mu);
    }
}

void td_tcache_forget_all(td_platform_t *p) {
    td_tcache_t *c = p->tcache;
    if (!c)
        return;
    atomic_fetch_add(&c->gen, 1);
    atomic_fetch_add(&c->epoch, 1); /* every entry is of an older epoch now */
}
