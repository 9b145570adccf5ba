/* drain.c — the outbox drain: every tenant write's outbox row becomes an
 * audit record and a change of the catalog's figures, exactly once.
 *
 * For one tenant service, a batch is: read the outbox rows after the mark
 * (outbox_marks.last_seq) from the tenant's database; then, in ONE catalog
 * transaction, lock the mark (rows another drain took meanwhile are
 * skipped), append the records to the tenant's chain, add the figures and
 * move the mark; only after that commit, delete the drained rows from the
 * tenant's outbox. A kill -9 before the commit leaves the rows to drain
 * again; after it, the mark says they are done and the next drain only
 * deletes them. Two drains of one tenant service (two workers, two nodes)
 * queue on the mark's row lock, and the second skips what the first took:
 * the mark, not an index, makes each record once. audit_log.source
 * ('outbox:<tenant>:<service>:<seq>') says where a record came from.
 *
 * Fault points (test builds, TENANTD_FAULT=<name>): drain_read (rows read,
 * nothing written), drain_before_commit, drain_after_commit (before the
 * outbox delete), drain_after_delete, anchor (before the tick's anchor). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit_int.h"
#include "common/fault.h"
#include "common/log.h"
#include "common/timeutil.h"

#define BATCH 5000 /* outbox rows per catalog transaction */
#define HOUR_MS 3600000

/* One batch read from a tenant service's outbox, and its figures. */
typedef struct {
    const char *tenant_id, *service;
    td_audit_row_t *rows;
    int64_t *seqs, *rows_delta, *bytes_delta;
    size_t n;
    td_stat_delta_t d[64];
    size_t nd;
    td_hour_delta_t h[32];
    size_t nh;
} batch_t;

static const char *const kinds[] = {"system", "superadmin", "user", "api_key", "cli", "job"};

/* The outbox's actor text: "<kind>:<id>" (an id may be empty), or a bare
 * id from before the kind was recorded (kind "unknown"; "cli" alone is the
 * CLI's old mark). An impersonated actor's id is followed by the acting
 * superadmin's and the impersonation's ("<kind>:<id> <admin> <imp>"):
 * they go into *detail, as td_audit_record words them. */
static void decode_actor(td_arena_t *a, const char *actor, const char **kind, const char **id,
                         const char **detail) {
    *kind = "unknown", *id = actor, *detail = NULL;
    const char *sp = actor ? strchr(actor, ' ') : NULL;
    if (sp) {
        const char *sp2 = strchr(sp + 1, ' ');
        *detail = sp2 ? td_arena_printf(a, "impersonated by superadmin %.*s (impersonation %s)",
                                        (int)(sp2 - sp - 1), sp + 1, sp2 + 1)
                      : NULL;
        actor = td_arena_strndup(a, actor, (size_t)(sp - actor));
        *id = actor;
    }
    const char *c = actor ? strchr(actor, ':') : NULL;
    if (actor && !c && !strcmp(actor, "cli")) {
        *kind = "cli", *id = NULL;
        return;
    }
    for (size_t i = 0; c && i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (strlen(kinds[i]) == (size_t)(c - actor) && !strncmp(actor, kinds[i], (size_t)(c - actor))) {
            *kind = kinds[i];
            *id = c[1] ? td_arena_strdup(a, c + 1) : NULL;
        }
}

/* The outbox's request_id text: "<request id> <client address>", or the
 * request id alone (no address known). */
static void decode_request(td_arena_t *a, const char *text, const char **rid, const char **addr) {
    *rid = text, *addr = NULL;
    const char *sp = text ? strchr(text, ' ') : NULL;
    if (!sp)
        return;
    *rid = sp > text ? td_arena_strndup(a, text, (size_t)(sp - text)) : NULL;
    *addr = sp[1] ? td_arena_strdup(a, sp + 1) : NULL;
}

/* Adds one outbox row to the batch's figures. */
static void count(batch_t *b, const char *resource, int64_t at, int64_t rows, int64_t bytes) {
    size_t i = 0;
    while (i < b->nd && strcmp(b->d[i].resource, resource))
        i++;
    if (i == b->nd && b->nd < sizeof(b->d) / sizeof(b->d[0]))
        b->d[b->nd++] = (td_stat_delta_t){.service = b->service, .resource = resource};
    if (i < b->nd) {
        b->d[i].rows += rows, b->d[i].bytes += bytes, b->d[i].writes++;
        if (at > b->d[i].last_at)
            b->d[i].last_at = at;
    }
    int64_t hour = at - at % HOUR_MS;
    for (i = 0; i < b->nh && b->h[i].hour != hour; i++)
        ;
    if (i == b->nh && b->nh < sizeof(b->h) / sizeof(b->h[0]))
        b->h[b->nh++] = (td_hour_delta_t){.service = b->service, .hour = hour};
    if (i < b->nh) {
        b->h[i].writes++;
        b->h[i].rows_written += rows > 0 ? rows : rows < 0 ? -rows : 1;
    }
}

/* Reads up to BATCH rows after `after` from the service's outbox. */
static td_status read_batch(td_db_t *tdb, td_arena_t *a, batch_t *b, int64_t after) {
    char sql[256];
    snprintf(sql, sizeof(sql),
             "SELECT seq, at, actor, action, resource, row_id, request_id, rows_delta,"
             " bytes_delta FROM \"%s\".\"td_outbox\" WHERE seq > ? ORDER BY seq LIMIT %d",
             b->service, BATCH);
    b->rows = td_arena_alloc(a, sizeof(*b->rows) * BATCH);
    b->seqs = td_arena_alloc(a, sizeof(int64_t) * BATCH * 3);
    if (!b->rows || !b->seqs)
        return TD_E_NOMEM;
    b->rows_delta = b->seqs + BATCH, b->bytes_delta = b->seqs + 2 * BATCH;
    td_stmt_t *st = NULL;
    td_status rc = td_db_prepare(tdb, sql, &st);
    if (!rc)
        rc = td_db_bind_int64(st, 1, after);
    int r = 0;
    b->n = 0;
    while (!rc && b->n < BATCH && (r = td_db_step(st)) == TD_DB_ROW) {
        size_t k = b->n++;
        td_audit_row_t *x = &b->rows[k];
        b->seqs[k] = td_db_column_int64(st, 0);
        if (td_time_parse(td_db_column_text(st, 1), &x->at))
            x->at = td_now_ms();
        decode_actor(a, td_db_column_dup(st, a, 2), &x->actor_kind, &x->actor_id, &x->detail);
        x->action = td_db_column_dup(st, a, 3);
        x->resource = td_db_column_dup(st, a, 4);
        x->row_id = td_db_column_dup(st, a, 5);
        decode_request(a, td_db_column_dup(st, a, 6), &x->request_id, &x->client_addr);
        b->rows_delta[k] = td_db_column_int64(st, 7);
        b->bytes_delta[k] = td_db_column_int64(st, 8);
        x->service = b->service;
        x->outcome = "ok";
        x->source = td_arena_printf(a, "outbox:%s:%s:%lld", b->tenant_id, b->service,
                                    (long long)b->seqs[k]);
        if (!x->action || !x->resource || !x->source)
            rc = TD_E_NOMEM;
    }
    if (!rc && r < 0)
        rc = (td_status)r;
    td_db_finalize(st);
    return rc;
}

/* The catalog transaction of a batch. *last gets the mark after it (the
 * rows up to there may leave the outbox). */
static td_status commit_batch(td_platform_t *p, td_db_t *cat, td_arena_t *a, batch_t *b,
                              int64_t *last) {
    int64_t mark = 0, now = td_now_ms();
    td_status rc = td_db_begin(cat, TD_DB_WRITE);
    if (rc)
        return rc;
    rc = td_cat_outbox_mark(cat, b->tenant_id, b->service, 1, &mark);
    size_t k = 0; /* rows another drain committed meanwhile are skipped */
    while (!rc && k < b->n && b->seqs[k] <= mark)
        k++;
    for (size_t i = k; !rc && i < b->n; i++)
        count(b, b->rows[i].resource, b->rows[i].at, b->rows_delta[i], b->bytes_delta[i]);
    if (!rc && k < b->n)
        rc = td_audit_append(cat, a, b->tenant_id, b->rows + k, b->n - k, now);
    if (!rc && k < b->n)
        rc = td_cat_stats_add(cat, b->tenant_id, b->d, b->nd, b->h, b->nh);
    if (!rc && k < b->n)
        rc = td_cat_outbox_mark_set(cat, b->tenant_id, b->service, b->seqs[b->n - 1], now);
    TD_FAULT("drain_before_commit");
    if (!rc)
        rc = td_db_commit(cat);
    if (rc)
        td_db_rollback(cat);
    *last = k < b->n ? b->seqs[b->n - 1] : mark;
    if (!rc && k < b->n)
        td_audit_count_drained(p, b->n - k);
    return rc;
}

/* Removes the drained rows (seq ≤ last) from the service's outbox. */
static td_status delete_drained(td_db_t *tdb, const char *service, int64_t last) {
    char sql[128];
    snprintf(sql, sizeof(sql), "DELETE FROM \"%s\".\"td_outbox\" WHERE seq <= ?", service);
    td_stmt_t *st = NULL;
    td_status rc = td_db_prepare(tdb, sql, &st);
    if (!rc)
        rc = td_db_bind_int64(st, 1, last);
    if (!rc)
        rc = td_db_drain(st);
    td_db_finalize(st);
    return rc;
}

/* Drains one service of an open tenant database, batch after batch. A
 * failure of the tenant's database is TD_E_UNAVAILABLE (*where says which
 * side failed: 't' tenant, 'c' catalog). */
static td_status drain_service(td_op_t *op, td_db_t *tdb, const char *tid, const char *svc,
                               int64_t *rows, char *where) {
    td_status rc = TD_OK;
    for (int more = 1; !rc && more;) {
        td_arena_t *a = td_arena_new(0);
        td_db_t *cat = NULL;
        batch_t b = {.tenant_id = tid, .service = svc};
        int64_t mark = 0, last = 0;
        rc = a ? td_catalog_lease(op->platform->catalog, NULL, &cat) : TD_E_NOMEM;
        *where = 'c';
        if (!rc)
            rc = td_cat_outbox_mark(cat, tid, svc, 0, &mark);
        if (!rc && (*where = 't'))
            rc = read_batch(tdb, a, &b, mark);
        if (!rc && b.n)
            TD_FAULT("drain_read");
        if (!rc && b.n && (*where = 'c'))
            rc = commit_batch(op->platform, cat, a, &b, &last);
        if (!rc && b.n)
            TD_FAULT("drain_after_commit");
        if (!rc && b.n && (*where = 't'))
            rc = delete_drained(tdb, svc, last);
        if (!rc && b.n)
            TD_FAULT("drain_after_delete");
        if (!rc)
            *rows += (int64_t)b.n;
        more = b.n == BATCH;
        if (cat)
            td_catalog_release(op->platform->catalog, cat);
        td_arena_destroy(a);
    }
    return rc;
}

/* Opens the tenant's database: from the pool for a tenant this server
 * just wrote to (its handle is open: a hit), on a connection of its own
 * otherwise — a sweep over every tenant must not evict the requests' hot
 * handles, nor keep cold ones open. */
static td_status open_tenant(td_op_t *op, const char *tid, int pooled, td_db_t **tdb, int *own,
                             char *err, size_t errlen) {
    td_platform_t *p = op->platform;
    *own = !(pooled && p->pool);
    if (!*own)
        return td_tenant_lease(p, op->arena, tid, "auth", tdb, err, errlen);
    return td_tenant_open_db(p, op->arena, tid, tdb, err, errlen);
}

/* Drains every service of t on tdb (attach: the services are attached
 * first, a pool handle's way). */
static td_status drain_on(td_op_t *op, const td_tenant_t *t, td_db_t *tdb, int attach,
                          int64_t *rows) {
    int64_t drained = 0;
    char err[256] = "", where = 't';
    const char *svc = "auth";
    td_status st = TD_OK;
    for (size_t i = 0; !st && i < t->nsvc; i++) {
        svc = t->services[i];
        if (attach && strcmp(svc, "auth"))
            st = td_db_tenant_attach(tdb, svc, err, sizeof(err));
        if (!st)
            st = drain_service(op, tdb, t->row.id, svc, &drained, &where);
    }
    if (rows)
        *rows = drained;
    if (st && where == 'c')
        return td_op_fail(op, st, 503, "catalog_unavailable",
                          "tenant %s: the catalog did not take the outbox of %s", t->row.slug, svc);
    if (st)
        return td_op_fail(op, TD_E_UNAVAILABLE, 503, "tenant_unavailable",
                          "tenant %s: the outbox of %s could not be read (%s)", t->row.slug, svc,
                          err[0] ? err : td_status_msg(st));
    return TD_OK;
}

td_status td_audit_drain_tenant(td_op_t *op, const char *tenant_id, int64_t *rows) {
    return td_audit_drain_via(op, tenant_id, 0, rows);
}

td_status td_audit_drain_via(td_op_t *op, const char *tenant_id, int pooled, int64_t *rows) {
    td_tenant_t t;
    td_status st = td_tenant_find(op->platform, op->arena, tenant_id, &t);
    if (st == TD_E_NOTFOUND || (!st && strcmp(t.row.status, "active") &&
                                strcmp(t.row.status, "suspended") &&
                                strcmp(t.row.status, "deleting")))
        return TD_OK; /* gone, or not yet serving: nothing to drain (a deleting
                         tenant is drained one last time before its drop) */
    if (st)
        return td_op_fail(op, st, 503, "catalog_unavailable", "the catalog is not reachable");
    td_db_t *cat;
    /* given back at once: opening the tenant below may wait for a
     * connection, and that wait must not sit on one of the catalog's */
    if (!td_catalog_lease(op->platform->catalog, NULL, &cat)) {
        td_cat_stats_ensure(cat, t.row.id); /* best effort: listed by the summary's sorts */
        td_catalog_release(op->platform->catalog, cat);
    }
    char err[256] = "";
    td_db_t *tdb = NULL;
    int own = 0;
    st = open_tenant(op, t.row.id, pooled, &tdb, &own, err, sizeof(err));
    if (st)
        return td_op_fail(op, TD_E_UNAVAILABLE, 503, "tenant_unavailable",
                          "tenant %s: its database does not answer (%s)", t.row.slug,
                          err[0] ? err : td_status_msg(st));
    st = drain_on(op, &t, tdb, !own, rows);
    if (own)
        td_db_close(tdb);
    return st;
}

td_status td_audit_drain_db(td_op_t *op, const td_tenant_t *t, td_db_t *tdb, int64_t *rows) {
    return drain_on(op, t, tdb, 0, rows);
}
