/* audit.h — the audit log's domain: hash-chained records per tenant, the
 * outbox drain that turns every tenant write into a record (and keeps the
 * catalog's figures), refusals buffered in memory, anchors over the chain
 * heads, verification, the audit queries and the summaries.
 *
 * Operations take td_op_t: HTTP handlers, CLI commands and jobs call the
 * same ones. src/audit/README.md documents the canonical encoding, the
 * chain and how the outbox carries the actor kind and client address. */
#ifndef TD_AUDIT_H
#define TD_AUDIT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "catalog/audit.h"
#include "jobs/jobs.h"
#include "ops/op.h"

#define TD_AUDIT_GENESIS "0000000000000000000000000000000000000000000000000000000000000000"

/* ---- the chain (chain.c) ---- */
/* hash = hex(BLAKE2b-256(prev_hash as 32 bytes ‖ canonical record)). */
void td_audit_hash(const char *prev_hex, const td_audit_row_t *r, char out[65]);
/* heads_hash of an anchor over heads (sorted here by tenant id, bytewise),
 * and the anchor's own hash (over its seq, at, ntenants and heads_hash). */
void td_audit_heads_hash(td_audit_head_t *h, size_t n, char out[65]);
void td_audit_anchor_hash(const char *prev_hex, const td_audit_anchor_t *an, char out[65]);
/* Appends rows to tenant_id's chain inside the caller's write transaction
 * on db: locks the head, gives each row its seq, id (when NULL), prev_hash
 * and hash (strings from a), inserts them and moves the head. */
td_status td_audit_append(td_db_t *db, td_arena_t *a, const char *tenant_id, td_audit_row_t *rows,
                          size_t n, int64_t now);
/* Appends one record now, in its own catalog transaction, with op's actor,
 * request id and client address. tenant_id NULL or "" = the platform's
 * chain; outcome NULL = "ok". Catalog changes call it. */
td_status td_audit_record(td_op_t *op, const char *tenant_id, const char *service,
                          const char *action, const char *resource, const char *row_id,
                          const char *outcome, const char *detail);
/* Writes an anchor over every head that moved since its last anchor (none
 * when nothing moved), in its own transaction. */
td_status td_audit_anchor(td_platform_t *p, int64_t now);

/* ---- what waits in memory (buffer.c), the platform's ---- */
typedef struct td_audit_mem td_audit_mem_t;
/* Frees what td_platform_close finds in td_platform_t.audit_mem. */
void td_audit_mem_free(td_audit_mem_t *m);
/* Marks a tenant written to since the last drain tick (cheap; bounded: a
 * full set asks the next tick for a sweep of every tenant). */
void td_audit_touch(td_platform_t *p, const char *tenant_id);
/* A refused request (failed login, authorization refusal): buffered, never
 * a catalog write of its own; the drain tick appends the buffer. A full
 * buffer drops the record and counts it (td_audit_dropped). */
void td_audit_refusal(td_platform_t *p, const char *tenant_id, const char *actor_kind,
                      const char *actor_id, const char *action, const char *resource,
                      const char *detail, const char *request_id, const char *client_addr);
/* Refusal records dropped because the buffer was full, since start. */
uint64_t td_audit_dropped(td_platform_t *p);
/* Outbox rows drained into the catalog by this platform, since start. */
uint64_t td_audit_drained(td_platform_t *p);

/* ---- the drain (drain.c) ---- */
/* Drains every enabled service's outbox of one tenant into the catalog,
 * batch by batch (*rows drained; may be NULL). On failure op->err says
 * why (503 tenant_unavailable for the tenant's database). */
td_status td_audit_drain_tenant(td_op_t *op, const char *tenant_id, int64_t *rows);
/* The same on a connection the caller holds to t's database with every
 * service attached (a move, its writes held). */
td_status td_audit_drain_db(td_op_t *op, const td_tenant_t *t, td_db_t *tdb, int64_t *rows);
/* The worker's tick: at most every interval_ms (one thread of the process
 * at a time) appends buffered refusals, drains the tenants touched since
 * the last tick, queues an outbox.drain job for a tenant that failed, and
 * anchors; at start-up and every sweep_ms queues a sweep of every tenant. */
void td_audit_tick(td_platform_t *p, int64_t interval_ms, int64_t sweep_ms);
/* The outbox.drain job: one tenant (the job's tenant_id), or every live
 * tenant one step each (the checkpoint is the last tenant done; a tenant
 * that fails gets a job of its own). */
td_status td_audit_drain_job(td_op_t *op, td_job_t *job);

/* ---- queries (query.c) ---- */
/* The filters as given (text from the query string or the flags). */
typedef struct {
    const char *tenant; /* slug or id; "system" = the platform's chain */
    const char *actor, *action, *resource;
    const char *from, *to; /* RFC 3339 */
    const char *limit, *cursor;
} td_audit_query_t;
/* Records matching q, newest first. Superadmins, the CLI, the system and
 * jobs see every tenant; a tenant admin only its own (another tenant is
 * 404 tenant_not_found). 400 invalid_filter, invalid_cursor. *next is the
 * next page's cursor or NULL. */
td_status td_audit_list(td_op_t *op, const td_audit_query_t *q, td_audit_row_t **out,
                        size_t *n, const char **next);
/* A record as JSON (new reference). */
json_t *td_audit_json(const td_audit_row_t *r);

/* What verify found. */
typedef struct {
    int64_t chains, records, anchors;
    int broken;            /* 1 when something does not hold */
    const char *tenant_id; /* where: the chain ("" platform, TD_AUDIT_ANCHOR_CHAIN) */
    int64_t seq;           /* and the first broken record (or anchor) */
    const char *reason;
} td_audit_report_t;
/* Recomputes every chain (or tenant's only) and the anchors. TD_OK with
 * report->broken set when a record does not hold. */
td_status td_audit_verify(td_op_t *op, const char *tenant, td_audit_report_t *report);
/* {"ok","chains","records","anchors","tenant_id","seq","reason"} (new
 * reference; tenant_id, seq and reason name the first break). */
json_t *td_audit_report_json(const td_audit_report_t *r);

/* ---- summaries (summary.c; superadmins, the CLI) ---- */
/* {"items":[{service, tenants, rows, bytes, writes_last_hour,
 * writes_last_day, last_write_at}]} from the catalog alone. */
td_status td_summary_services(td_op_t *op, json_t **out);
/* {"items":[…],"next_cursor":…}: sort rows|bytes|last_activity|slug, '-'
 * for descending; 400 invalid_sort, invalid_filter (limit), invalid_cursor. */
td_status td_summary_tenants(td_op_t *op, const char *sort, const char *limit,
                             const char *cursor, json_t **out);

#endif
