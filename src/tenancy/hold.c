/* hold.c — holding a tenant's writes (a move's final catch-up and switch).
 *
 * Every request that may write to a tenant enters the tenant's write gate
 * before it leases the tenant's database, and leaves it when its handler
 * returns (td_tenant_write_enter; the arena's early release). A hold
 * closes the gate and waits until the writes inside have left: from then
 * on no write of this process reaches the tenant's database until the
 * hold ends, and the writes that arrive meanwhile wait at the gate (they
 * do not fail) — then lease the tenant's database anew, wherever it is by
 * then. Reads never enter the gate.
 *
 * The gates are process state (like the pool), one small entry per
 * tenant with writes in flight or a hold, in striped lists: an entry is
 * freed when its last writer leaves and no hold remains. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/id.h"
#include "common/timeutil.h"
#include "tenancy/tenancy_int.h"
#include "common/text.h"

#define STRIPES 64

typedef struct gate {
    struct gate *next;
    char tenant[TD_ID_LEN + 1];
    int writers; /* requests inside */
    int waiting; /* requests waiting at the gate (they hold a pointer to it) */
    int held;    /* a hold is on (or waiting for the writers to leave) */
} gate_t;

struct td_holds {
    struct stripe {
        pthread_mutex_t mu;
        pthread_cond_t cv;
        gate_t *head;
    } s[STRIPES];
};

td_holds_t *td_holds_new(void) {
    td_holds_t *h = calloc(1, sizeof(*h));
    for (int i = 0; h && i < STRIPES; i++) {
        pthread_mutex_init(&h->s[i].mu, NULL);
        pthread_condattr_t ca;
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(&h->s[i].cv, &ca);
        pthread_condattr_destroy(&ca);
    }
    return h;
}

void td_holds_free(td_holds_t *h) {
    for (int i = 0; h && i < STRIPES; i++) {
        for (gate_t *g = h->s[i].head, *n; g; g = n) {
            n = g->next;
            free(g);
        }
        pthread_mutex_destroy(&h->s[i].mu);
        pthread_cond_destroy(&h->s[i].cv);
    }
    free(h);
}

static struct stripe *stripe_of(td_holds_t *h, const char *tenant) {
    return &h->s[td_hash32(tenant) % STRIPES];
}

/* The tenant's gate, made when missing (NULL when out of memory). */
static gate_t *gate_get(struct stripe *s, const char *tenant) {
    for (gate_t *g = s->head; g; g = g->next)
        if (!strcmp(g->tenant, tenant))
            return g;
    gate_t *g = calloc(1, sizeof(*g));
    if (g) {
        snprintf(g->tenant, sizeof(g->tenant), "%s", tenant);
        g->next = s->head;
        s->head = g;
    }
    return g;
}

static void gate_drop_if_idle(struct stripe *s, gate_t *g) {
    if (g->writers || g->waiting || g->held)
        return;
    for (gate_t **pp = &s->head; *pp; pp = &(*pp)->next)
        if (*pp == g) {
            *pp = g->next;
            free(g);
            return;
        }
}

static void deadline_in(struct timespec *ts, unsigned ms) {
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L)
        ts->tv_sec++, ts->tv_nsec -= 1000000000L;
}

/* Locks the tenant's stripe (the caller unlocks it) and finds its gate
 * (*g NULL when out of memory); *until is wait_ms from now. */
static struct stripe *lock_gate(td_holds_t *h, const char *tenant, unsigned wait_ms,
                                struct timespec *until, gate_t **g) {
    struct stripe *s = stripe_of(h, tenant);
    deadline_in(until, wait_ms);
    pthread_mutex_lock(&s->mu);
    *g = gate_get(s, tenant);
    return s;
}

typedef struct {
    td_holds_t *h;
    char tenant[TD_ID_LEN + 1];
} entered_t;

static void leave(void *arg) {
    entered_t *e = arg;
    struct stripe *s = stripe_of(e->h, e->tenant);
    pthread_mutex_lock(&s->mu);
    gate_t *g = gate_get(s, e->tenant);
    if (g && g->writers > 0)
        g->writers--;
    if (g)
        gate_drop_if_idle(s, g);
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

td_status td_tenant_write_enter(td_platform_t *p, td_arena_t *a, const char *tenant_id,
                                unsigned wait_ms, int *waited) {
    if (waited)
        *waited = 0;
    td_holds_t *h = p->holds;
    if (!h || !tenant_id || strlen(tenant_id) > TD_ID_LEN)
        return TD_OK;
    entered_t *e = td_arena_alloc(a, sizeof(*e));
    if (!e)
        return TD_E_NOMEM;
    e->h = h;
    snprintf(e->tenant, sizeof(e->tenant), "%s", tenant_id);
    struct timespec until;
    gate_t *g;
    struct stripe *s = lock_gate(h, tenant_id, wait_ms, &until, &g);
    td_status st = TD_OK;
    if (g)
        g->waiting++;
    if (g && g->held && waited)
        *waited = 1;
    while (g && g->held && !st)
        if (pthread_cond_timedwait(&s->cv, &s->mu, &until) == ETIMEDOUT)
            st = TD_E_BUSY;
    if (g)
        g->waiting--;
    if (!g)
        st = TD_E_NOMEM;
    if (!st)
        g->writers++;
    else if (g)
        gate_drop_if_idle(s, g);
    pthread_mutex_unlock(&s->mu);
    if (!st && td_arena_defer_release(a, leave, e)) {
        leave(e);
        st = TD_E_NOMEM;
    }
    return st;
}

td_status td_tenant_hold(td_platform_t *p, const char *tenant_id, unsigned wait_ms) {
    td_holds_t *h = p->holds;
    if (!h)
        return TD_OK;
    struct timespec until;
    gate_t *g;
    struct stripe *s = lock_gate(h, tenant_id, wait_ms, &until, &g);
    td_status st = TD_OK;
    if (!g)
        st = TD_E_NOMEM;
    else if (g->held)
        st = TD_E_STATE;
    else
        g->held = 1;
    while (!st && g->writers > 0)
        if (pthread_cond_timedwait(&s->cv, &s->mu, &until) == ETIMEDOUT)
            st = TD_E_BUSY;
    if (st == TD_E_BUSY) { /* the writes inside did not leave in time: open again */
        g->held = 0;
        gate_drop_if_idle(s, g);
        pthread_cond_broadcast(&s->cv);
    }
    pthread_mutex_unlock(&s->mu);
    return st;
}

void td_tenant_unhold(td_platform_t *p, const char *tenant_id) {
    td_holds_t *h = p->holds;
    if (!h)
        return;
    struct stripe *s = stripe_of(h, tenant_id);
    pthread_mutex_lock(&s->mu);
    gate_t *g = gate_get(s, tenant_id);
    if (g) {
        g->held = 0;
        gate_drop_if_idle(s, g);
    }
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}
