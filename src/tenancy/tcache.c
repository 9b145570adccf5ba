/* tcache.c — the tenant cache: what every tenant-scoped request needs to
 * know about its tenant (row and enabled services) without a catalog
 * query.
 *
 * Entries are keyed by the key the request used (slug or id) and live at
 * most TTL_MS: a change made by another process (the CLI, another node)
 * reaches this one within that time. Changes made through this process
 * (lifecycle.c) drop the tenant's entries at once. The table is split into
 * stripes, each with its own lock, so that requests for different tenants
 * do not contend; hits copy the entry into the request's arena, so no
 * request ever holds a pointer into the cache. A stripe that fills up is
 * emptied whole (the cache is a cache: a miss costs one catalog query). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "common/timeutil.h"
#include "tenancy/tenancy.h"

#define STRIPES 64
#define PER_STRIPE 512
#define TTL_MS 1000

typedef struct entry {
    char *key;
    td_tenant_t t;   /* strings malloc'd */
    int64_t at;      /* loaded, ms */
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
};

static unsigned hash(const char *s) {
    unsigned h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

td_tcache_t *td_tcache_new(void) {
    td_tcache_t *c = calloc(1, sizeof(*c));
    for (int i = 0; c && i < STRIPES; i++)
        pthread_mutex_init(&c->s[i].mu, NULL);
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
    free(c);
}

/* Copies a tenant: into the arena when a is set, else with malloc. */
static int copy_tenant(td_arena_t *a, const td_tenant_t *from, td_tenant_t *to) {
    *to = *from;
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
    return bad ? -1 : 0;
}

td_status td_tenant_find_cached(td_platform_t *p, td_arena_t *a, const char *key,
                                td_tenant_t *out) {
    td_tcache_t *c = p->tcache;
    if (!c || !key)
        return td_tenant_find(p, a, key, out);
    stripe_t *s = &c->s[hash(key) % STRIPES];
    int64_t now = td_now_ms();
    pthread_mutex_lock(&s->mu);
    for (entry_t *e = s->head; e; e = e->next)
        if (!strcmp(e->key, key) && now - e->at < TTL_MS) {
            int bad = copy_tenant(a, &e->t, out);
            pthread_mutex_unlock(&s->mu);
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
    e->at = now;
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
