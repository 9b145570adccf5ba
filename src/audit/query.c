/* query.c — reading the audit log: the list operation (filters checked,
 * keyset pages newest first), a record's JSON form, and verify (every
 * chain recomputed from its first record, then the anchors). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit_int.h"
#include "common/id.h"
#include "common/timeutil.h"

#define LIST_DEFAULT 50
#define SCAN 2000 /* records read per query while verifying */

int td_audit_platform_actor(const td_op_t *op) {
    switch (op->actor.kind) {
    case TD_ACTOR_SUPERADMIN:
    case TD_ACTOR_CLI:
    case TD_ACTOR_SYSTEM:
    case TD_ACTOR_JOB: return 1;
    default: return 0;
    }
}

td_status td_audit_catalog(td_op_t *op, td_db_t **db) {
    td_status st = td_catalog_lease(op->platform->catalog, op->arena, db);
    return st ? td_op_fail(op, st, 503, "catalog_unavailable", "the catalog is not reachable")
              : TD_OK;
}

static td_status bad(td_op_t *op, const char *what) {
    return td_op_fail(op, TD_E_INVALID, 400, "invalid_filter", "%s", what);
}

/* The chain the tenant filter names ("system" = the platform's); a tenant
 * admin's own tenant whatever it names, or 404 for another. */
static td_status chain_of(td_op_t *op, const char *key, const char **tid) {
    int platform = td_audit_platform_actor(op);
    *tid = platform ? NULL : op->actor.tenant_id;
    if (!platform && !op->actor.tenant_id)
        return td_op_fail(op, TD_E_FORBIDDEN, 403, "forbidden", "your role may not read the audit");
    if (!key)
        return TD_OK;
    if (platform && !strcmp(key, "system")) {
        *tid = "";
        return TD_OK;
    }
    td_tenant_t t;
    td_status st = td_tenant_find(op->platform, op->arena, key, &t);
    if (!st && (platform || !strcmp(t.row.id, op->actor.tenant_id))) {
        *tid = t.row.id;
        return TD_OK;
    }
    if (st && st != TD_E_NOTFOUND)
        return td_op_fail(op, st, 503, "catalog_unavailable", "the catalog is not reachable");
    return td_op_fail(op, TD_E_NOTFOUND, 404, "tenant_not_found", "no such tenant");
}

/* A cursor is "<at>.<id>": the last record of the previous page. */
static int parse_cursor(const char *c, int64_t *at, const char **id) {
    char *end;
    long long v = strtoll(c, &end, 10);
    if (end == c || *end != '.' || v < 0 || !td_id_valid(end + 1))
        return -1;
    *at = v, *id = end + 1;
    return 0;
}

/* Text filters: at most 200 bytes, no control characters. */
static int text_ok(const char *s) {
    if (!s)
        return 1;
    size_t n = strlen(s);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20)
            return 0;
    return n > 0 && n <= 200;
}

static td_status parse_query(td_op_t *op, const td_audit_query_t *q, td_audit_filter_t *f) {
    *f = (td_audit_filter_t){.actor_id = q->actor, .action = q->action,
                             .resource = q->resource, .limit = LIST_DEFAULT};
    if (!text_ok(q->actor) || !text_ok(q->action) || !text_ok(q->resource))
        return bad(op, "actor, action and resource are 1 to 200 printable characters");
    if ((q->from && td_time_parse(q->from, &f->from)) || (q->to && td_time_parse(q->to, &f->to)))
        return bad(op, "from and to are RFC 3339 times (2026-11-01T10:00:00Z)");
    if (q->limit) {
        char *end;
        long v = strtol(q->limit, &end, 10);
        if (end == q->limit || *end || v < 1 || v > 1000)
            return bad(op, "limit is 1 to 1000");
        f->limit = (int)v;
    }
    if (q->cursor && parse_cursor(q->cursor, &f->before_at, &f->before_id))
        return td_op_fail(op, TD_E_INVALID, 400, "invalid_cursor",
                          "the cursor is not one this API gave");
    return chain_of(op, q->tenant, &f->tenant_id);
}

td_status td_audit_list(td_op_t *op, const td_audit_query_t *q, td_audit_row_t **out,
                        size_t *n, const char **next) {
    td_audit_filter_t f;
    td_db_t *db;
    *n = 0, *next = NULL;
    if (!td_audit_platform_actor(op) && (!op->actor.role || strcmp(op->actor.role, "admin")))
        return td_op_fail(op, TD_E_FORBIDDEN, 403, "forbidden", "your role may not read the audit");
    td_status st = parse_query(op, q, &f);
    if (!st)
        st = td_audit_catalog(op, &db);
    if (st)
        return st;
    int want = f.limit;
    f.limit = want + 1; /* one more tells whether a next page exists */
    if ((st = td_cat_audit_list(db, op->arena, &f, out, n)))
        return td_op_fail(op, st, 500, td_status_code(st), "the audit log could not be read");
    if (*n > (size_t)want) {
        *n = (size_t)want;
        const td_audit_row_t *last = &(*out)[want - 1];
        *next = td_arena_printf(op->arena, "%lld.%s", (long long)last->at, last->id);
    }
    return TD_OK;
}

json_t *td_audit_json(const td_audit_row_t *r) {
    char at[40];
    td_time_iso(r->at, at, sizeof(at));
    return json_pack("{s:s, s:s?, s:I, s:s, s:s, s:s?, s:s?, s:s, s:s?, s:s?, s:s?, s:s?,"
                     " s:s, s:s?, s:s?, s:s, s:s}",
                     "id", r->id, "tenant_id", r->tenant_id[0] ? r->tenant_id : NULL, "seq",
                     (json_int_t)r->seq, "at", at, "actor_kind", r->actor_kind, "actor_id",
                     r->actor_id, "service", r->service, "action", r->action, "resource",
                     r->resource, "row_id", r->row_id, "request_id", r->request_id,
                     "client_addr", r->client_addr, "outcome", r->outcome, "detail", r->detail,
                     "source", r->source, "prev_hash", r->prev_hash, "hash", r->hash);
}

/* ---- verify ---- */

static td_status broken(td_audit_report_t *rep, const char *tid, int64_t seq, const char *why) {
    if (!rep->broken)
        *rep = (td_audit_report_t){rep->chains, rep->records, rep->anchors, 1, tid, seq, why};
    return TD_OK;
}

/* Walks one chain from seq 1: contiguous seqs, each prev_hash the hash
 * before, each hash recomputed, and the head where the last record is. */
static td_status verify_chain(td_db_t *db, td_arena_t *a, const td_audit_head_t *head,
                              td_audit_report_t *rep) {
    char prev[65] = TD_AUDIT_GENESIS, hash[65];
    int64_t seq = 0;
    rep->chains++;
    for (;;) {
        td_audit_row_t *rows;
        size_t n;
        td_arena_t *pa = td_arena_new(0);
        td_status st = pa ? td_cat_audit_scan(db, pa, head->tenant_id, seq, SCAN, &rows, &n)
                          : TD_E_NOMEM;
        for (size_t i = 0; !st && !rep->broken && i < n; i++) {
            const td_audit_row_t *r = &rows[i];
            td_audit_hash(prev, r, hash);
            if (r->seq != seq + 1)
                broken(rep, head->tenant_id, seq + 1, "record missing");
            else if (strcmp(r->prev_hash, prev))
                broken(rep, head->tenant_id, r->seq, "prev_hash is not the previous record's hash");
            else if (strcmp(r->hash, hash))
                broken(rep, head->tenant_id, r->seq, "hash does not match the record's content");
            seq = r->seq, rep->records++;
            snprintf(prev, sizeof(prev), "%s", r->hash ? r->hash : "");
        }
        td_arena_destroy(pa);
        if (st || rep->broken)
            return st;
        if (n < SCAN)
            break;
    }
    if (seq != head->seq || strcmp(prev, head->hash))
        broken(rep, head->tenant_id, seq, "the chain's head is not its last record");
    return TD_OK;
}

/* Walks the anchors: each linked to the one before, its heads_hash and
 * hash recomputed, every head it lists present in its chain. */
static td_status verify_anchors(td_db_t *db, td_audit_report_t *rep, const char *only) {
    char prev[65] = TD_AUDIT_GENESIS, hash[65];
    int64_t seq = 0;
    td_status st = TD_OK;
    for (;;) {
        td_arena_t *pa = td_arena_new(0);
        td_audit_anchor_t *an;
        size_t n = 0;
        st = pa ? td_cat_audit_anchors(db, pa, seq, 500, &an, &n) : TD_E_NOMEM;
        for (size_t i = 0; !st && !rep->broken && i < n; i++) {
            td_audit_head_t *h;
            size_t nh;
            char hh[65];
            if ((st = td_cat_audit_anchor_heads(db, pa, an[i].seq, &h, &nh)))
                break;
            td_audit_heads_hash(h, nh, hh);
            td_audit_anchor_hash(prev, &an[i], hash);
            if (an[i].seq != seq + 1 || strcmp(an[i].prev_hash, prev))
                broken(rep, TD_AUDIT_ANCHOR_CHAIN, seq + 1, "anchor missing or not linked");
            else if (strcmp(hh, an[i].heads_hash) || (int64_t)nh != an[i].ntenants)
                broken(rep, TD_AUDIT_ANCHOR_CHAIN, an[i].seq, "the anchor's heads changed");
            else if (strcmp(hash, an[i].hash))
                broken(rep, TD_AUDIT_ANCHOR_CHAIN, an[i].seq, "the anchor's hash does not match");
            for (size_t k = 0; !st && !rep->broken && k < nh; k++) {
                const char *at = NULL;
                if (only && strcmp(only, h[k].tenant_id))
                    continue;
                st = td_cat_audit_hash_at(db, pa, h[k].tenant_id, h[k].seq, &at);
                if (st == TD_E_NOTFOUND || (!st && strcmp(at, h[k].hash))) {
                    st = TD_OK;
                    broken(rep, h[k].tenant_id, h[k].seq, "an anchored record changed or is gone");
                }
            }
            seq = an[i].seq, rep->anchors++;
            snprintf(prev, sizeof(prev), "%s", an[i].hash ? an[i].hash : "");
        }
        td_arena_destroy(pa);
        if (st || rep->broken || n < 500)
            return st;
    }
}

td_status td_audit_verify(td_op_t *op, const char *tenant, td_audit_report_t *rep) {
    *rep = (td_audit_report_t){0};
    const char *tid = NULL;
    td_db_t *db;
    td_audit_head_t *heads;
    size_t n = 0;
    if (!td_audit_platform_actor(op))
        return td_op_fail(op, TD_E_FORBIDDEN, 403, "forbidden", "only operators verify the audit");
    td_status st = tenant ? chain_of(op, tenant, &tid) : TD_OK;
    if (!st)
        st = td_audit_catalog(op, &db);
    if (st)
        return st;
    st = td_cat_audit_heads(db, op->arena, 0, &heads, &n);
    for (size_t i = 0; !st && !rep->broken && i < n; i++)
        if (!tid || !strcmp(tid, heads[i].tenant_id))
            st = verify_chain(db, op->arena, &heads[i], rep);
    if (!st && !rep->broken)
        st = verify_anchors(db, rep, tid);
    if (st)
        return td_op_fail(op, st, 503, "catalog_unavailable", "the audit log could not be read");
    return TD_OK;
}

json_t *td_audit_report_json(const td_audit_report_t *r) {
    return json_pack("{s:b, s:I, s:I, s:I, s:s?, s:I, s:s?}", "ok", !r->broken, "chains",
                     (json_int_t)r->chains, "records", (json_int_t)r->records, "anchors",
                     (json_int_t)r->anchors, "tenant_id", r->broken ? r->tenant_id : NULL, "seq",
                     (json_int_t)(r->broken ? r->seq : 0), "reason", r->reason);
}
