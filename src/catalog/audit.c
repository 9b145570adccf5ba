/* audit.c — audit_log, audit_heads, audit_anchors, audit_anchor_heads and
 * outbox_marks (migrations 0006 and 0007).
 *
 * Appending is the caller's transaction: it locks the chain's head
 * (td_cat_audit_head_lock: SELECT … FOR UPDATE on PostgreSQL; SQLite's
 * write transaction holds the whole database), inserts the records whose
 * seq and hashes it computed, and moves the head. Nothing here updates or
 * deletes an audit_log row. */
#include <stdio.h>
#include <string.h>

#include "catalog/audit.h"
#include "catalog/catalog_int.h"

#define AUDIT_COLS                                                                          \
    "tenant_id, seq, id, at, actor_kind, actor_id, service, action, resource, row_id,"     \
    " request_id, client_addr, outcome, detail, source, prev_hash, hash"
#define AUDIT_NCOLS 17

static const char genesis[] =
    "0000000000000000000000000000000000000000000000000000000000000000";

static void read_audit(td_stmt_t *st, td_arena_t *a, td_audit_row_t *r) {
    r->tenant_id = td_db_column_dup(st, a, 0);
    r->seq = td_db_column_int64(st, 1);
    r->id = td_db_column_dup(st, a, 2);
    r->at = td_db_column_int64(st, 3);
    const char **s[] = {&r->actor_kind, &r->actor_id, &r->service,  &r->action,
                        &r->resource,   &r->row_id,   &r->request_id, &r->client_addr,
                        &r->outcome,    &r->detail,   &r->source,   &r->prev_hash,
                        &r->hash};
    for (int i = 0; i < 13; i++)
        *s[i] = td_db_column_dup(st, a, 4 + i);
}

/* Steps a SELECT to its end, reading each row with fn into an arena array
 * of at most max elements of size sz. */
static td_status collect(td_stmt_t *st, td_status rc, td_arena_t *a, size_t sz, size_t max,
                         void (*fn)(td_stmt_t *, td_arena_t *, void *), void **out, size_t *n) {
    char *rows = rc ? NULL : td_arena_alloc(a, sz * (max ? max : 1));
    size_t k = 0;
    int r = 0;
    if (!rc && !rows)
        rc = TD_E_NOMEM;
    while (!rc && k < max && (r = td_db_step(st)) == TD_DB_ROW)
        fn(st, a, rows + sz * k++);
    if (!rc && r < 0)
        rc = (td_status)r;
    td_db_finalize(st);
    *out = rows;
    *n = k;
    return rc;
}

static void read_audit_v(td_stmt_t *st, td_arena_t *a, void *p) { read_audit(st, a, p); }

td_status td_cat_audit_head_lock(td_db_t *db, const char *tenant_id, int64_t *seq,
                                 char hash[65]) {
    td_status rc = td_db_execv(db, NULL,
                               "INSERT INTO audit_heads (tenant_id, seq, hash, updated_at)"
                               " VALUES (?, 0, ?, 0) ON CONFLICT (tenant_id) DO NOTHING",
                               tenant_id, genesis, NULL);
    char sql[128];
    snprintf(sql, sizeof(sql), "SELECT seq, hash FROM audit_heads WHERE tenant_id = ?%s",
             td_db_for_update(db));
    td_stmt_t *st = NULL;
    if (!rc)
        rc = td_db_query_row(db, sql, tenant_id, &st);
    if (!rc) {
        *seq = td_db_column_int64(st, 0);
        const char *h = td_db_column_text(st, 1);
        snprintf(hash, 65, "%s", h ? h : genesis);
    }
    td_db_finalize(st);
    return rc;
}

td_status td_cat_audit_head_set(td_db_t *db, const char *tenant_id, int64_t seq,
                                const char *hash, int64_t now) {
    td_stmt_t *st = NULL;
    td_status rc = td_db_prepare(
        db, "UPDATE audit_heads SET seq = ?, hash = ?, updated_at = ? WHERE tenant_id = ?", &st);
    if (!rc)
        rc = td_db_bind_int64(st, 1, seq);
    if (!rc)
        rc = td_db_bind_text(st, 2, hash);
    if (!rc)
        rc = td_db_bind_int64(st, 3, now);
    if (!rc)
        rc = td_db_bind_text(st, 4, tenant_id);
    if (!rc)
        rc = td_db_drain(st);
    td_db_finalize(st);
    return rc;
}

/* Appends the records with td_db_insert_rows (COPY on PostgreSQL): the
 * values as texts, numbers in an arena of their own. */
td_status td_cat_audit_insert(td_db_t *db, const td_audit_row_t *rows, size_t n) {
    td_arena_t *a = td_arena_new(0);
    const char **v = a ? td_arena_alloc(a, sizeof(*v) * n * AUDIT_NCOLS) : NULL;
    if (!v) {
        td_arena_destroy(a);
        return TD_E_NOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        const td_audit_row_t *r = &rows[i];
        const char *row[AUDIT_NCOLS] = {
            r->tenant_id, td_arena_printf(a, "%lld", (long long)r->seq), r->id,
            td_arena_printf(a, "%lld", (long long)r->at), r->actor_kind, r->actor_id,
            r->service, r->action, r->resource, r->row_id, r->request_id, r->client_addr,
            r->outcome, r->detail, r->source, r->prev_hash, r->hash};
        memcpy(v + i * AUDIT_NCOLS, row, sizeof(row));
    }
    td_status rc = td_db_insert_rows(db, "audit_log", AUDIT_COLS, AUDIT_NCOLS, v, n);
    td_arena_destroy(a);
    return rc;
}

/* Each filter is "(? IS NULL OR column = ?)", so one statement serves every
 * combination; the cursor is the (at, id) of the previous page's last. */
td_status td_cat_audit_list(td_db_t *db, td_arena_t *a, const td_audit_filter_t *f,
                            td_audit_row_t **out, size_t *n) {
    int limit = f->limit > 0 && f->limit <= 1000 ? f->limit : 1000;
    td_stmt_t *st = NULL;
    td_status rc = td_db_prepare(
        db,
        "SELECT " AUDIT_COLS " FROM audit_log WHERE (CAST(? AS TEXT) IS NULL OR tenant_id = ?)"
        " AND (CAST(? AS TEXT) IS NULL OR actor_id = ?) AND (CAST(? AS TEXT) IS NULL OR action = ?)"
        " AND (CAST(? AS TEXT) IS NULL OR resource = ?) AND at >= ? AND at < ?"
        " AND (CAST(? AS TEXT) IS NULL OR at < ? OR (at = ? AND id < ?))"
        " ORDER BY at DESC, id DESC LIMIT ?",
        &st);
    const char *v[] = {f->tenant_id, f->actor_id, f->action, f->resource};
    for (int i = 0; !rc && i < 4; i++) {
        rc = td_db_bind_text(st, 2 * i + 1, v[i]);
        if (!rc)
            rc = td_db_bind_text(st, 2 * i + 2, v[i]);
    }
    const int64_t t[] = {f->from, f->to > 0 ? f->to : INT64_MAX};
    for (int i = 0; !rc && i < 2; i++)
        rc = td_db_bind_int64(st, 9 + i, t[i]);
    if (!rc)
        rc = td_db_bind_text(st, 11, f->before_id);
    for (int i = 0; !rc && i < 2; i++)
        rc = td_db_bind_int64(st, 12 + i, f->before_id ? f->before_at : 0);
    if (!rc)
        rc = td_db_bind_text(st, 14, f->before_id);
    if (!rc)
        rc = td_db_bind_int64(st, 15, limit);
    return collect(st, rc, a, sizeof(td_audit_row_t), (size_t)limit, read_audit_v, (void **)out,
                   n);
}

td_status td_cat_audit_scan(td_db_t *db, td_arena_t *a, const char *tenant_id, int64_t after,
                            int limit, td_audit_row_t **out, size_t *n) {
    td_stmt_t *st = NULL;
    td_status rc = td_db_prepare(db,
                                 "SELECT " AUDIT_COLS " FROM audit_log WHERE tenant_id = ?"
                                 " AND seq > ? ORDER BY seq LIMIT ?",
                                 &st);
    if (!rc)
        rc = td_db_bind_text(st, 1, tenant_id);
    if (!rc)
        rc = td_db_bind_int64(st, 2, after);
    if (!rc)
        rc = td_db_bind_int64(st, 3, limit);
    return collect(st, rc, a, sizeof(td_audit_row_t), (size_t)limit, read_audit_v, (void **)out,
                   n);
}

static void read_head(td_stmt_t *st, td_arena_t *a, void *p) {
    td_audit_head_t *h = p;
    h->tenant_id = td_db_column_dup(st, a, 0);
    h->seq = td_db_column_int64(st, 1);
    h->hash = td_db_column_dup(st, a, 2);
    h->anchored_seq = td_db_column_int64(st, 3);
}

/* Reads every row of a heads query into an arena array (counted first). */
static td_status heads_query(td_db_t *db, td_arena_t *a, const char *count_sql, const char *sql,
                             int64_t arg, td_audit_head_t **out, size_t *n) {
    td_stmt_t *st = NULL;
    td_status rc = td_db_prepare(db, count_sql, &st);
    if (!rc && arg >= 0)
        rc = td_db_bind_int64(st, 1, arg);
    int64_t total = 0;
    if (!rc && td_db_step(st) == TD_DB_ROW)
        total = td_db_column_int64(st, 0);
    td_db_finalize(st);
    st = NULL;
    if (!rc)
        rc = td_db_prepare(db, sql, &st);
    if (!rc && arg >= 0)
        rc = td_db_bind_int64(st, 1, arg);
    return collect(st, rc, a, sizeof(td_audit_head_t), (size_t)total, read_head, (void **)out, n);
}

td_status td_cat_audit_heads(td_db_t *db, td_arena_t *a, int unanchored, td_audit_head_t **out,
                             size_t *n) {
#define HEADS_WHERE(x)                                                                      \
    " FROM audit_heads WHERE tenant_id <> '" TD_AUDIT_ANCHOR_CHAIN "' AND seq > 0" x
    if (unanchored)
        return heads_query(db, a, "SELECT count(*)" HEADS_WHERE(" AND seq > anchored_seq"),
                           "SELECT tenant_id, seq, hash, anchored_seq" HEADS_WHERE(
                               " AND seq > anchored_seq ORDER BY tenant_id"),
                           -1, out, n);
    return heads_query(db, a, "SELECT count(*)" HEADS_WHERE(""),
                       "SELECT tenant_id, seq, hash, anchored_seq" HEADS_WHERE(
                           " ORDER BY tenant_id"),
                       -1, out, n);
#undef HEADS_WHERE
}

td_status td_cat_audit_anchor_head(td_db_t *db, int64_t anchor_seq, const td_audit_head_t *h) {
    td_stmt_t *st = NULL;
    td_status rc = td_db_prepare(db,
                                 "INSERT INTO audit_anchor_heads (anchor_seq, tenant_id, seq, hash)"
                                 " VALUES (?, ?, ?, ?)",
                                 &st);
    if (!rc)
        rc = td_db_bind_int64(st, 1, anchor_seq);
    if (!rc)
        rc = td_db_bind_text(st, 2, h->tenant_id);
    if (!rc)
        rc = td_db_bind_int64(st, 3, h->seq);
    if (!rc)
        rc = td_db_bind_text(st, 4, h->hash);
    if (!rc)
        rc = td_db_drain(st);
    td_db_finalize(st);
    st = NULL;
    if (!rc)
        rc = td_db_prepare(db,
                           "UPDATE audit_heads SET anchored_seq = ? WHERE tenant_id = ?"
                           " AND anchored_seq < ?",
                           &st);
    if (!rc)
        rc = td_db_bind_int64(st, 1, h->seq);
    if (!rc)
        rc = td_db_bind_text(st, 2, h->tenant_id);
    if (!rc)
        rc = td_db_bind_int64(st, 3, h->seq);
    if (!rc)
        rc = td_db_drain(st);
    td_db_finalize(st);
    return rc;
}

td_status td_cat_audit_anchor_insert(td_db_t *db, const td_audit_anchor_t *an) {
    td_stmt_t *st = NULL;
    td_status rc = td_db_prepare(db,
                                 "INSERT INTO audit_anchors (seq, at, ntenants, heads_hash,"
                                 " prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?)",
                                 &st);
    const int64_t v[] = {an->seq, an->at, an->ntenants};
    for (int i = 0; !rc && i < 3; i++)
        rc = td_db_bind_int64(st, i + 1, v[i]);
    const char *t[] = {an->heads_hash, an->prev_hash, an->hash};
    for (int i = 0; !rc && i < 3; i++)
        rc = td_db_bind_text(st, i + 4, t[i]);
    if (!rc)
        rc = td_db_drain(st);
    td_db_finalize(st);
    return rc;
}

static void read_anchor(td_stmt_t *st, td_arena_t *a, void *p) {
    td_audit_anchor_t *an = p;
    an->seq = td_db_column_int64(st, 0);
    an->at = td_db_column_int64(st, 1);
    an->ntenants = td_db_column_int64(st, 2);
    an->heads_hash = td_db_column_dup(st, a, 3);
    an->prev_hash = td_db_column_dup(st, a, 4);
    an->hash = td_db_column_dup(st, a, 5);
}

td_status td_cat_audit_anchors(td_db_t *db, td_arena_t *a, int64_t after, int limit,
                               td_audit_anchor_t **out, size_t *n) {
    td_stmt_t *st = NULL;
    td_status rc = td_db_prepare(db,
                                 "SELECT seq, at, ntenants, heads_hash, prev_hash, hash"
                                 " FROM audit_anchors WHERE seq > ? ORDER BY seq LIMIT ?",
                                 &st);
    if (!rc)
        rc = td_db_bind_int64(st, 1, after);
    if (!rc)
        rc = td_db_bind_int64(st, 2, limit);
    return collect(st, rc, a, sizeof(td_audit_anchor_t), (size_t)limit, read_anchor,
                   (void **)out, n);
}

td_status td_cat_audit_anchor_heads(td_db_t *db, td_arena_t *a, int64_t seq,
                                    td_audit_head_t **out, size_t *n) {
    return heads_query(db, a, "SELECT count(*) FROM audit_anchor_heads WHERE anchor_seq = ?",
                       "SELECT tenant_id, seq, hash, 0 FROM audit_anchor_heads"
                       " WHERE anchor_seq = ? ORDER BY tenant_id",
                       seq, out, n);
}

td_status td_cat_audit_hash_at(td_db_t *db, td_arena_t *a, const char *tenant_id, int64_t seq,
                               const char **hash) {
    td_stmt_t *st = NULL;
    td_status rc =
        td_db_prepare(db, "SELECT hash FROM audit_log WHERE tenant_id = ? AND seq = ?", &st);
    if (!rc)
        rc = td_db_bind_text(st, 1, tenant_id);
    if (!rc)
        rc = td_db_bind_int64(st, 2, seq);
    int r = rc ? 0 : td_db_step(st);
    if (!rc && r == TD_DB_ROW)
        *hash = td_db_column_dup(st, a, 0);
    else if (!rc)
        rc = r < 0 ? (td_status)r : TD_E_NOTFOUND;
    td_db_finalize(st);
    return rc;
}

td_status td_cat_audit_tenants_changed(td_db_t *db, td_arena_t *a, const char *since, int max,
                                       const char ***ids, size_t *n) {
    td_stmt_t *st = NULL;
    td_status rc = td_db_prepare(db,
                                 "SELECT id FROM tenants WHERE updated_at >= ?"
                                 " AND status IN ('active', 'suspended') LIMIT ?",
                                 &st);
    if (!rc)
        rc = td_db_bind_text(st, 1, since);
    if (!rc)
        rc = td_db_bind_int64(st, 2, max);
    const char **out = rc ? NULL : td_arena_alloc(a, sizeof(char *) * (size_t)(max > 0 ? max : 1));
    size_t k = 0;
    int r = 0;
    if (!rc && !out)
        rc = TD_E_NOMEM;
    while (!rc && k < (size_t)max && (r = td_db_step(st)) == TD_DB_ROW)
        out[k++] = td_db_column_dup(st, a, 0);
    if (!rc && r < 0)
        rc = (td_status)r;
    td_db_finalize(st);
    *ids = out;
    *n = k;
    return rc;
}

td_status td_cat_outbox_mark(td_db_t *db, const char *tenant_id, const char *service, int lock,
                             int64_t *last_seq) {
    td_status rc = TD_OK;
    if (lock)
        rc = td_db_execv(db, NULL,
                         "INSERT INTO outbox_marks (tenant_id, service, last_seq, drained_at)"
                         " VALUES (?, ?, 0, 0) ON CONFLICT (tenant_id, service) DO NOTHING",
                         tenant_id, service, NULL);
    char sql[160];
    snprintf(sql, sizeof(sql),
             "SELECT last_seq FROM outbox_marks WHERE tenant_id = ? AND service = ?%s",
             lock ? td_db_for_update(db) : "");
    td_stmt_t *st = NULL;
    if (!rc)
        rc = td_db_prepare(db, sql, &st);
    if (!rc)
        rc = td_db_bind_text(st, 1, tenant_id);
    if (!rc)
        rc = td_db_bind_text(st, 2, service);
    int r = rc ? 0 : td_db_step(st);
    *last_seq = !rc && r == TD_DB_ROW ? td_db_column_int64(st, 0) : 0;
    if (!rc && r < 0)
        rc = (td_status)r;
    td_db_finalize(st);
    return rc;
}

td_status td_cat_outbox_mark_set(td_db_t *db, const char *tenant_id, const char *service,
                                 int64_t last_seq, int64_t now) {
    td_stmt_t *st = NULL;
    td_status rc = td_db_prepare(db,
                                 "UPDATE outbox_marks SET last_seq = ?, drained_at = ?"
                                 " WHERE tenant_id = ? AND service = ?",
                                 &st);
    if (!rc)
        rc = td_db_bind_int64(st, 1, last_seq);
    if (!rc)
        rc = td_db_bind_int64(st, 2, now);
    if (!rc)
        rc = td_db_bind_text(st, 3, tenant_id);
    if (!rc)
        rc = td_db_bind_text(st, 4, service);
    if (!rc)
        rc = td_db_drain(st);
    td_db_finalize(st);
    return rc;
}
