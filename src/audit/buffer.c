/* buffer.c — what the audit keeps in memory between two drain ticks: the
 * set of tenants written to (so a tick drains only those), and refused
 * requests waiting to be appended.
 *
 * Both are bounded and belong to the platform (td_platform_t.audit_mem,
 * made on first use, freed with it), as does the tick's own state
 * (tick.c). A refusal never causes a catalog
 * write of its own — an attacker sending bad passwords or forbidden
 * requests gets no write amplifier: past TOUCH_MAX refusals between ticks
 * the rest are dropped and counted (td_audit_dropped, in /metrics). A full
 * touched set sets a flag that makes the next tick queue a sweep of every
 * tenant instead. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit_int.h"
#include "common/timeutil.h"
#include "common/text.h"

#define TOUCH_MAX 4096   /* slots of the touched set (a power of two) */
#define REFUSAL_MAX 4096 /* refusals kept between two ticks */

struct td_audit_mem {
    pthread_mutex_t mu;
    char touched[TOUCH_MAX][40];
    size_t ntouched;
    int overflow;
    td_refusal_t refusals[REFUSAL_MAX];
    size_t nrefusals;
    atomic_ullong dropped, drained;
    td_audit_tick_t tick; /* tick.c's */
};

td_audit_mem_t *td_audit_mem(td_platform_t *p) {
    td_audit_mem_t *m = atomic_load(&p->audit_mem);
    if (m)
        return m;
    td_audit_mem_t *fresh = calloc(1, sizeof(*fresh));
    if (!fresh)
        return NULL;
    pthread_mutex_init(&fresh->mu, NULL);
    pthread_mutex_init(&fresh->tick.mu, NULL);
    td_audit_mem_t *none = NULL;
    if (atomic_compare_exchange_strong(&p->audit_mem, &none, fresh))
        return fresh;
    td_audit_mem_free(fresh); /* another thread's came first */
    return none;
}

void td_audit_mem_free(td_audit_mem_t *m) {
    if (!m)
        return;
    pthread_mutex_destroy(&m->mu);
    pthread_mutex_destroy(&m->tick.mu);
    free(m);
}

td_audit_tick_t *td_audit_tick_state(td_platform_t *p) {
    td_audit_mem_t *m = td_audit_mem(p);
    return m ? &m->tick : NULL;
}

/* FNV-1a: the slot a tenant id starts probing at. */
static size_t slot_of(const char *s) {
    return td_hash32(s) & (TOUCH_MAX - 1);
}

void td_audit_touch(td_platform_t *p, const char *tenant_id) {
    td_audit_mem_t *m = td_audit_mem(p);
    if (!m || !tenant_id || !*tenant_id || strlen(tenant_id) >= sizeof(m->touched[0]))
        return;
    pthread_mutex_lock(&m->mu);
    size_t i = slot_of(tenant_id);
    for (size_t k = 0; k < TOUCH_MAX; k++, i = (i + 1) & (TOUCH_MAX - 1)) {
        if (!m->touched[i][0]) {
            if (m->ntouched >= TOUCH_MAX / 2) { /* keep probes short: sweep instead */
                m->overflow = 1;
                break;
            }
            snprintf(m->touched[i], sizeof(m->touched[i]), "%s", tenant_id);
            m->ntouched++;
            break;
        }
        if (!strcmp(m->touched[i], tenant_id))
            break;
    }
    pthread_mutex_unlock(&m->mu);
}

size_t td_audit_touched_take(td_platform_t *p, char (*out)[40], size_t max, int *overflow) {
    td_audit_mem_t *m = td_audit_mem(p);
    size_t n = 0;
    *overflow = 0;
    if (!m)
        return 0;
    pthread_mutex_lock(&m->mu);
    for (size_t i = 0; i < TOUCH_MAX && n < max; i++)
        if (m->touched[i][0]) {
            memcpy(out[n++], m->touched[i], sizeof(m->touched[i]));
            m->touched[i][0] = '\0';
        }
    m->ntouched = 0;
    *overflow = m->overflow;
    m->overflow = 0;
    pthread_mutex_unlock(&m->mu);
    return n;
}

/* Copies s into a fixed field (cut to fit, NULL kept as empty). */
#define COPY(dst, s) snprintf((dst), sizeof(dst), "%s", (s) ? (s) : "")

void td_audit_refusal(td_platform_t *p, const char *tenant_id, const char *actor_kind,
                      const char *actor_id, const char *action, const char *resource,
                      const char *detail, const char *request_id, const char *client_addr) {
    td_audit_mem_t *m = td_audit_mem(p);
    if (!m)
        return;
    int64_t now = td_now_ms();
    pthread_mutex_lock(&m->mu);
    if (m->nrefusals >= REFUSAL_MAX) {
        pthread_mutex_unlock(&m->mu);
        atomic_fetch_add(&m->dropped, 1);
        return;
    }
    td_refusal_t *r = &m->refusals[m->nrefusals++];
    r->at = now;
    COPY(r->tenant_id, tenant_id);
    COPY(r->actor_kind, actor_kind ? actor_kind : "anonymous");
    COPY(r->actor_id, actor_id);
    COPY(r->action, action);
    COPY(r->resource, resource);
    COPY(r->detail, detail);
    COPY(r->request_id, request_id);
    COPY(r->client_addr, client_addr);
    pthread_mutex_unlock(&m->mu);
}

size_t td_audit_refusals_take(td_platform_t *p, td_refusal_t *out, size_t max) {
    td_audit_mem_t *m = td_audit_mem(p);
    if (!m)
        return 0;
    pthread_mutex_lock(&m->mu);
    size_t n = m->nrefusals < max ? m->nrefusals : max;
    memcpy(out, m->refusals, n * sizeof(*out));
    memmove(m->refusals, m->refusals + n, (m->nrefusals - n) * sizeof(*out));
    m->nrefusals -= n;
    pthread_mutex_unlock(&m->mu);
    return n;
}

uint64_t td_audit_dropped(td_platform_t *p) {
    td_audit_mem_t *m = td_audit_mem(p);
    return m ? atomic_load(&m->dropped) : 0;
}
uint64_t td_audit_drained(td_platform_t *p) {
    td_audit_mem_t *m = td_audit_mem(p);
    return m ? atomic_load(&m->drained) : 0;
}
void td_audit_count_drained(td_platform_t *p, uint64_t n) {
    td_audit_mem_t *m = td_audit_mem(p);
    if (m)
        atomic_fetch_add(&m->drained, n);
}
