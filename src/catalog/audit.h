/* audit.h — the catalog's audit and figures tables (migrations 0006,
 * 0007): the hash-chained audit_log with its heads and anchors, the
 * outbox drain marks, and the figures the drain keeps (tenant_service_stats,
 * tenant_stats, service_stats, usage_metrics and service_hourly writes)
 * that the summaries read.
 *
 * A second face of catalog/ beside catalog.h, so that the audit family's
 * types stay out of the header every caller includes. Every function runs
 * on a connection the caller leased (and, for writes, inside the caller's
 * transaction); strings handed back are owned by the given arena. */
#ifndef TD_CATALOG_AUDIT_H
#define TD_CATALOG_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "catalog/catalog.h"

/* The audit_heads row of the anchors' own chain. */
#define TD_AUDIT_ANCHOR_CHAIN "#anchors"

/* One audit_log row. tenant_id "" is the platform's chain. Times in ms. */
typedef struct {
    const char *tenant_id;
    int64_t seq;
    const char *id;
    int64_t at;
    const char *actor_kind, *actor_id, *service, *action, *resource, *row_id;
    const char *request_id, *client_addr, *outcome, *detail, *source;
    const char *prev_hash, *hash; /* 64 hex characters each */
} td_audit_row_t;

/* ---- chains (audit.c) ---- */
/* Locks the chain's head until the transaction ends (creating it at seq 0
 * and the genesis hash when absent): *seq and hash get the last record's. */
td_status td_cat_audit_head_lock(td_db_t *db, const char *tenant_id, int64_t *seq,
                                 char hash[65]);
/* Moves the chain's head (the caller holds its lock). */
td_status td_cat_audit_head_set(td_db_t *db, const char *tenant_id, int64_t seq,
                                const char *hash, int64_t now);
/* Inserts n records with multi-row INSERTs. TD_E_EXISTS when a source or
 * (tenant, seq) is there already. */
td_status td_cat_audit_insert(td_db_t *db, const td_audit_row_t *rows, size_t n);

/* Filters of td_cat_audit_list; NULL and 0 fields match everything. */
typedef struct {
    const char *tenant_id; /* "" = the platform's chain */
    const char *actor_id, *action, *resource;
    int64_t from, to;      /* at ≥ from, at < to (ms; 0 = open) */
    int64_t before_at;     /* keyset cursor: (at, id) below this pair */
    const char *before_id;
    int limit;             /* 1..1000 */
} td_audit_filter_t;
/* Records matching f, newest first (at, then id); arena-owned array. */
td_status td_cat_audit_list(td_db_t *db, td_arena_t *a, const td_audit_filter_t *f,
                            td_audit_row_t **out, size_t *n);
/* One chain's records with seq > after, in seq order, at most limit. */
td_status td_cat_audit_scan(td_db_t *db, td_arena_t *a, const char *tenant_id, int64_t after,
                            int limit, td_audit_row_t **out, size_t *n);

/* A chain head as audit_heads keeps it. */
typedef struct {
    const char *tenant_id, *hash;
    int64_t seq, anchored_seq;
} td_audit_head_t;
/* Every chain's head (the anchors' excepted), by tenant id; with
 * unanchored set only those that moved since their last anchor. */
td_status td_cat_audit_heads(td_db_t *db, td_arena_t *a, int unanchored, td_audit_head_t **out,
                             size_t *n);
/* Records that head is covered by anchor anchor_seq (the row of
 * audit_anchor_heads) and moves its anchored_seq there. */
td_status td_cat_audit_anchor_head(td_db_t *db, int64_t anchor_seq, const td_audit_head_t *h);

/* One audit_anchors row. */
typedef struct {
    int64_t seq, at, ntenants;
    const char *heads_hash, *prev_hash, *hash;
} td_audit_anchor_t;
td_status td_cat_audit_anchor_insert(td_db_t *db, const td_audit_anchor_t *an);
/* Anchors with seq > after in seq order, at most limit. */
td_status td_cat_audit_anchors(td_db_t *db, td_arena_t *a, int64_t after, int limit,
                               td_audit_anchor_t **out, size_t *n);
/* The heads anchor seq covers, by tenant id. */
td_status td_cat_audit_anchor_heads(td_db_t *db, td_arena_t *a, int64_t seq,
                                    td_audit_head_t **out, size_t *n);
/* The hash of record seq of a chain; TD_E_NOTFOUND when there is none. */
td_status td_cat_audit_hash_at(td_db_t *db, td_arena_t *a, const char *tenant_id, int64_t seq,
                               const char **hash);

/* Ids of live tenants whose record changed at or after since (ISO-8601
 * text, as tenants.updated_at keeps it): created, resumed… — at most max. */
td_status td_cat_audit_tenants_changed(td_db_t *db, td_arena_t *a, const char *since, int max,
                                       const char ***ids, size_t *n);

/* ---- outbox marks (audit.c) ---- */
/* The last drained seq of a tenant's service outbox (0 when none). With
 * lock set, locks the mark until the transaction ends (creating it). */
td_status td_cat_outbox_mark(td_db_t *db, const char *tenant_id, const char *service, int lock,
                             int64_t *last_seq);
td_status td_cat_outbox_mark_set(td_db_t *db, const char *tenant_id, const char *service,
                                 int64_t last_seq, int64_t now);

/* ---- figures (stats.c) ---- */
/* What a drained batch changes for one tenant × service × resource. */
typedef struct {
    const char *service, *resource;
    int64_t rows, bytes, writes, last_at;
} td_stat_delta_t;
/* What it changes for one tenant × service × hour. */
typedef struct {
    const char *service;
    int64_t hour, writes, rows_written;
} td_hour_delta_t;
/* Adds the deltas of one tenant to tenant_service_stats, tenant_stats,
 * service_stats, usage_metrics and service_hourly (upserts that add). */
td_status td_cat_stats_add(td_db_t *db, const char *tenant_id, const td_stat_delta_t *d,
                           size_t nd, const td_hour_delta_t *h, size_t nh);

/* Gives a tenant its tenant_stats row (zeros) unless it has one, so that
 * the summary's sorts by a figure (which walk tenant_stats) list it. */
td_status td_cat_stats_ensure(td_db_t *db, const char *tenant_id);
/* A deleted tenant's figures leave the totals: its rows and bytes are
 * taken from service_stats and its tenant_service_stats and tenant_stats
 * rows deleted, in one transaction (writes stay counted in the hourly
 * history). Idempotent: a second call finds nothing. */
td_status td_cat_stats_forget(td_db_t *db, const char *tenant_id);

/* One line of GET /v1/admin/summary/services. */
typedef struct {
    const char *service;
    int64_t tenants, rows, bytes, writes_hour, writes_day, last_write_at;
} td_service_summary_t;
/* Every registered service, by name; hour and day end at now (ms). */
td_status td_cat_summary_services(td_db_t *db, td_arena_t *a, int64_t now,
                                  td_service_summary_t **out, size_t *n);

/* One line of GET /v1/admin/summary/tenants. */
typedef struct {
    const char *id, *slug, *status, *plan, *services; /* services: comma-separated */
    int64_t users, rows, bytes, last_activity;        /* last_activity: 0 = none */
} td_tenant_summary_t;
/* Sort keys of the tenant summary. */
typedef enum { TD_SUM_SLUG = 0, TD_SUM_ROWS, TD_SUM_BYTES, TD_SUM_LAST } td_sum_key;
typedef struct {
    td_sum_key key;
    int desc;
    int has_after;         /* keyset cursor: the last line of the previous page */
    int64_t after_num;     /* its sort value (rows, bytes, last activity) */
    const char *after_key; /* its slug (TD_SUM_SLUG) or id (the tie-breaker) */
    int limit;             /* 1..1000 */
} td_sum_page_t;
/* Live tenants (not deleted) in the page's order; arena-owned array. */
td_status td_cat_summary_tenants(td_db_t *db, td_arena_t *a, const td_sum_page_t *pg,
                                 td_tenant_summary_t **out, size_t *n);

#endif
