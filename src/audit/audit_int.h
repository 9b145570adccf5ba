/* audit_int.h — what the files of audit/ share. */
#ifndef TD_AUDIT_INT_H
#define TD_AUDIT_INT_H

#include <pthread.h>

#include "audit/audit.h"

/* A refused request waiting in memory for the next tick (fields cut to
 * fit; "" = none). */
typedef struct {
    int64_t at;
    char tenant_id[40], actor_kind[16], actor_id[40], action[32], resource[128], detail[64];
    char request_id[48], client_addr[64];
} td_refusal_t;

#define TD_AUDIT_TICK_TENANTS 2048 /* tenants drained per tick at most (the rest: next tick) */

/* The drain tick's state (tick.c), one per platform. */
typedef struct {
    pthread_mutex_t mu; /* one ticking thread at a time */
    int64_t last_tick, last_sweep;
    int started;
    char ids[TD_AUDIT_TICK_TENANTS][40];
    td_refusal_t refusals[512];
} td_audit_tick_t;

/* The platform's audit memory (buffer.c), made on first use; NULL when
 * out of memory (then nothing is buffered). */
td_audit_mem_t *td_audit_mem(td_platform_t *p);
td_audit_tick_t *td_audit_tick_state(td_platform_t *p);

/* Moves up to max touched tenant ids into out and empties the set;
 * *overflow = 1 when some were not kept (a sweep is needed). */
size_t td_audit_touched_take(td_platform_t *p, char (*out)[40], size_t max, int *overflow);
/* Moves up to max buffered refusals into out, oldest first. */
size_t td_audit_refusals_take(td_platform_t *p, td_refusal_t *out, size_t max);
/* Adds n to the drained-rows counter. */
void td_audit_count_drained(td_platform_t *p, uint64_t n);

/* td_audit_drain_tenant, through the pool when pooled (a tenant this
 * server wrote to) or on a connection of its own. */
td_status td_audit_drain_via(td_op_t *op, const char *tenant_id, int pooled, int64_t *rows);

/* Checks op's actor may read audit or summaries across tenants
 * (superadmin, CLI, system, job); 403 forbidden otherwise. */
int td_audit_platform_actor(const td_op_t *op);
/* Leases a catalog connection into op's arena (503 catalog_unavailable). */
td_status td_audit_catalog(td_op_t *op, td_db_t **db);

#endif
