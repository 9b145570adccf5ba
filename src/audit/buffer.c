/* buffer.c — what the audit keeps in memory between two drain ticks: the
 * set of tenants written to (so a tick drains only those), and refused
 * requests waiting to be appended.
 *
 * Both are bounded and process-wide. A refusal never causes a catalog
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

#define TOUCH_MAX 4096   /* slots of the touched set (a power of two) */
#define REFUSAL_MAX 4096 /* refusals kept between two ticks */

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static char g_touched[TOUCH_MAX][40];
static size_t g_ntouched;
static int g_overflow;

static td_refusal_t g_refusals[REFUSAL_MAX];
static size_t g_nrefusals;
static atomic_ullong g_dropped;
static atomic_ullong g_drained;

/* FNV-1a: the slot a tenant id starts probing at. */
static size_t slot_of(const char *s) {
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h & (TOUCH_MAX - 1);
}

void td_audit_touch(const char *tenant_id) {
    if (!tenant_id || !*tenant_id || strlen(tenant_id) >= sizeof(g_touched[0]))
        return;
    pthread_mutex_lock(&g_mu);
    size_t i = slot_of(tenant_id);
    for (size_t k = 0; k < TOUCH_MAX; k++, i = (i + 1) & (TOUCH_MAX - 1)) {
        if (!g_touched[i][0]) {
            if (g_ntouched >= TOUCH_MAX / 2) { /* keep probes short: sweep instead */
                g_overflow = 1;
                break;
            }
            snprintf(g_touched[i], sizeof(g_touched[i]), "%s", tenant_id);
            g_ntouched++;
            break;
        }
        if (!strcmp(g_touched[i], tenant_id))
            break;
    }
    pthread_mutex_unlock(&g_mu);
}

size_t td_audit_touched_take(char (*out)[40], size_t max, int *overflow) {
    size_t n = 0;
    pthread_mutex_lock(&g_mu);
    for (size_t i = 0; i < TOUCH_MAX && n < max; i++)
        if (g_touched[i][0]) {
            memcpy(out[n++], g_touched[i], sizeof(g_touched[i]));
            g_touched[i][0] = '\0';
        }
    g_ntouched = 0;
    *overflow = g_overflow;
    g_overflow = 0;
    pthread_mutex_unlock(&g_mu);
    return n;
}

/* Copies s into a fixed field (cut to fit, NULL kept as empty). */
#define COPY(dst, s) snprintf((dst), sizeof(dst), "%s", (s) ? (s) : "")

void td_audit_refusal(const char *tenant_id, const char *actor_kind, const char *actor_id,
                      const char *action, const char *resource, const char *detail,
                      const char *request_id, const char *client_addr) {
    int64_t now = td_now_ms();
    pthread_mutex_lock(&g_mu);
    if (g_nrefusals >= REFUSAL_MAX) {
        pthread_mutex_unlock(&g_mu);
        atomic_fetch_add(&g_dropped, 1);
        return;
    }
    td_refusal_t *r = &g_refusals[g_nrefusals++];
    r->at = now;
    COPY(r->tenant_id, tenant_id);
    COPY(r->actor_kind, actor_kind ? actor_kind : "anonymous");
    COPY(r->actor_id, actor_id);
    COPY(r->action, action);
    COPY(r->resource, resource);
    COPY(r->detail, detail);
    COPY(r->request_id, request_id);
    COPY(r->client_addr, client_addr);
    pthread_mutex_unlock(&g_mu);
}

size_t td_audit_refusals_take(td_refusal_t *out, size_t max) {
    pthread_mutex_lock(&g_mu);
    size_t n = g_nrefusals < max ? g_nrefusals : max;
    memcpy(out, g_refusals, n * sizeof(*out));
    memmove(g_refusals, g_refusals + n, (g_nrefusals - n) * sizeof(*out));
    g_nrefusals -= n;
    pthread_mutex_unlock(&g_mu);
    return n;
}

uint64_t td_audit_dropped(void) { return atomic_load(&g_dropped); }
uint64_t td_audit_drained(void) { return atomic_load(&g_drained); }
void td_audit_count_drained(uint64_t n) { atomic_fetch_add(&g_drained, n); }
