/* move.c — moving a tenant's data to another place (SQLite ⇄ PostgreSQL,
 * one PostgreSQL server to another) while it serves.
 *
 * 1. The move is recorded (tenant_moves: target placement, the one moved
 *    from), then the target database is made with every enabled service.
 * 2. The rows are copied while the tenant serves (move_sync.c), then
 *    copied again: the second pass changes only what was written meanwhile.
 * 3. The tenant's writes are held (hold.c: reads go on, writes wait); its
 *    outbox is drained into the audit log; a last pass brings the target
 *    up to date and every table's rows and checksum are compared on both
 *    sides; the target's outbox numbers on past the drain mark; one
 *    catalog transaction switches the placement; the pool forgets the old
 *    handles; the writes go on, at the new place.
 * 4. The old database is removed, then the move's row.
 *
 * Killed before the switch, the tenant serves from the old place and the
 * move, run again, finds its row and target and goes on (the sync is
 * idempotent); killed after, it serves from the new place and the move
 * run again only removes the old database. Never both, never neither. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "auth/password.h"
#include "common/fault.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "services/services.h"
#include "tenancy/migrate.h"
#include "tenancy/move_int.h"
#include "tenancy/tenancy_int.h"

#define HOLD_WAIT_MS 10000 /* for the writes in flight to leave */
#define ROLE_PASSWORD_LEN 40

typedef struct {
    td_op_t *op;
    td_tenant_t t;
    td_move_row_t m;
    td_place_t src, dst;
    td_tenant_cred_t scred, dcred;
    td_move_step_fn fn;
    void *ctx;
    td_move_report_t *r;
    td_move_sync_t *sync; /* the target's rows as the passes left them */
    td_db_t *own;         /* PostgreSQL target: its owner's connection (sequences) */
    const char *own_url;  /* a database the tenant brings (td_tenant_move_bring) */
    int cur;              /* the last step recorded (the heartbeat repeats it) */
} mv_t;

static td_status fail(td_op_t *op, td_status st, int status, const char *code, const char *what) {
    return op->err.st ? op->err.st : td_op_fail(op, st, status, code, "%s", what);
}

static td_status step(mv_t *mv, int n, const char *what) {
    mv->cur = n;
    return mv->fn ? mv->fn(mv->ctx, n, what, mv->r) : TD_OK;
}

/* During a long pass: the last step again (a job's lease goes on). */
static td_status beat(void *ctx) {
    mv_t *mv = ctx;
    return step(mv, mv->cur, mv->cur < 2 ? "copying rows" : "catching up");
}

/* "sqlite", "postgres <server name>" or "postgres (own database)". */
static const char *place_name(td_platform_t *p, td_arena_t *a, td_db_t *cat,
                              const td_tenant_db_row_t *d) {
    if (!strcmp(d->backend, "sqlite"))
        return "sqlite";
    td_server_row_t s;
    if (!d->server_id)
        return "postgres (own database)";
    if (td_cat_server_get(cat, a, d->server_id, &s))
        return "postgres";
    return td_arena_printf(a, "postgres %s", s.name);
}

/* The registered server that `to` names (its name or id), or the one a
 * postgres:// URL names (registered now when new), or the least loaded
 * for "postgres". */
static td_status find_server(mv_t *mv, td_db_t *cat, const char *to, td_server_row_t *out) {
    td_op_t *op = mv->op;
    td_platform_t *p = op->platform;
    char err[256] = "";
    char hint[512] = "";
    if (!strcmp(to, "postgres")) {
        td_status st = td_cat_server_least_loaded(cat, op->arena, out);
        return st == TD_E_NOTFOUND ? td_op_fail(op, st, 404, "server_not_found",
                                                "no PostgreSQL server is registered")
                                   : st;
    }
    if (td_db_url_is_postgres(to)) {
        /* an unreachable server is not registered, nor a move towards it */
        td_place_t pl = {.drv = td_db_driver_for_url(to), .root = to};
        if (!pl.drv || td_db_place_check(&pl, err, sizeof(err)))
            return td_op_fail(op, TD_E_UNAVAILABLE, 503, "target_unavailable",
                              "the server at that URL does not answer as an administrator");
        td_status st = td_platform_register_server(p, to, err, sizeof(err));
        if (st)
            return td_op_fail(op, st, 400, "invalid_target", "%s", err);
        td_db_url_redact(to, hint, sizeof(hint));
        to = hint; /* registered under its redacted URL */
    }
    td_server_row_t *rows;
    size_t n;
    td_status st = td_cat_server_list(cat, op->arena, &rows, &n);
    for (size_t i = 0; !st && i < n; i++)
        if (!strcmp(rows[i].name, to) || !strcmp(rows[i].id, to)) {
            *out = rows[i];
            return TD_OK;
        }
    return st ? st : td_op_fail(op, TD_E_NOTFOUND, 404, "server_not_found",
                                "no database server is registered by that name");
}

/* Works out the target of a new move and records it. */
static td_status record_move(mv_t *mv, td_db_t *cat, const char *to, const td_tenant_db_row_t *cur,
                             int dry) {
    td_op_t *op = mv->op;
    td_arena_t *a = op->arena;
    td_move_row_t m = {.tenant_id = mv->t.row.id, .from = *cur};
    td_server_row_t srv;
    td_status st = TD_OK;
    if (mv->own_url) /* no server of the fleet: placement never puts another tenant there */
        m.backend = "postgres";
    else if (!strcmp(to, "sqlite"))
        m.backend = "sqlite";
    else if (!(st = find_server(mv, cat, to, &srv)))
        m.backend = "postgres", m.server_id = srv.id;
    if (st)
        return st;
    int same = !strcmp(m.backend, cur->backend) && !mv->own_url &&
               ((!m.server_id && !cur->server_id) ||
                (m.server_id && cur->server_id && !strcmp(m.server_id, cur->server_id)));
    if (same)
        return td_op_fail(op, TD_E_STATE, 409, "same_placement",
                          "the tenant's data is there already");
    if (m.server_id || mv->own_url) { /* sealed with the tenant key: the URL, or a role
                                        password of its own on the server */
        td_key_t tk;
        char pw[ROLE_PASSWORD_LEN + 1];
        const char *secret = mv->own_url ? mv->own_url : pw;
        char *sealed = NULL;
        st = mv->t.row.wrapped_key
                 ? td_platform_unwrap(op->platform, a, mv->t.row.id, mv->t.row.wrapped_key, &tk)
                 : TD_E_CRYPTO;
        td_password_generate(pw, sizeof(pw));
        if (!st)
            st = td_seal(a, &tk, mv->t.row.id,
                         mv->own_url ? TD_PURPOSE_DB_URL : TD_PURPOSE_DB_PASSWORD, secret,
                         strlen(secret), &sealed);
        sodium_memzero(pw, sizeof(pw));
        sodium_memzero(&tk, sizeof(tk));
        m.secret_enc = sealed;
    }
    td_place_t pl;
    td_tenant_db_row_t target = {.backend = m.backend, .server_id = m.server_id,
                                 .secret_enc = m.secret_enc};
    if (!st)
        st = td_tenant_place_of(op->platform, a, cat, &mv->t.row, &target, &pl, NULL);
    if (!st && td_db_tenant_exists(&pl, mv->t.row.id))
        return td_op_fail(op, TD_E_EXISTS, 409, "target_not_empty",
                          "the target already holds a database of this tenant");
    if (!st && dry) {
        mv->m = m;
        return TD_OK;
    }
    if (!st)
        st = td_cat_move_insert(cat, &m);
    if (st == TD_E_EXISTS)
        return td_op_fail(op, st, 409, "move_in_progress", "the tenant is being moved already");
    return st ? fail(op, st, 500, "internal", "cannot record the move") : td_cat_move_get(cat, a, mv->t.row.id, &mv->m);
}

/* The move's row (recorded now when there is none) and both places. */
static td_status prepare_on(mv_t *mv, td_db_t *cat, const char *key, const char *to, int dry) {
    td_op_t *op = mv->op;
    td_platform_t *p = op->platform;
    td_arena_t *a = op->arena;
    td_status st = td_tenant_find(p, a, key, &mv->t);
    if (st == TD_E_NOTFOUND || (!st && !strcmp(mv->t.row.status, "deleted")))
        return td_op_fail(op, TD_E_NOTFOUND, 404, "tenant_not_found", "no such tenant");
    if (!st && strcmp(mv->t.row.status, "active") && strcmp(mv->t.row.status, "suspended"))
        return td_op_fail(op, TD_E_STATE, 409, "invalid_state",
                          "only an active or suspended tenant can move (this one is %s)",
                          mv->t.row.status);
    td_tenant_db_row_t cur;
    if (!st)
        st = td_cat_tenant_db(cat, a, mv->t.row.id, &cur);
    if (!st) {
        st = td_cat_move_get(cat, a, mv->t.row.id, &mv->m);
        mv->r->resumed = !st;
        if (st == TD_E_NOTFOUND)
            st = to ? record_move(mv, cat, to, &cur, dry)
                    : td_op_fail(op, TD_E_INVALID, 400, "invalid_target",
                                 "name where the tenant goes (sqlite, postgres, a server)");
    }
    td_tenant_db_row_t target = {.backend = mv->m.backend, .server_id = mv->m.server_id,
                                 .secret_enc = mv->m.secret_enc};
    if (!st) {
        mv->r->from = place_name(p, a, cat, &mv->m.from);
        mv->r->to = place_name(p, a, cat, &target);
        mv->r->target = mv->m.server_id ? mv->m.server_id : mv->m.backend;
        st = td_tenant_place_of(p, a, cat, &mv->t.row, &mv->m.from, &mv->src, &mv->scred);
    }
    if (!st)
        st = td_tenant_place_of(p, a, cat, &mv->t.row, &target, &mv->dst, &mv->dcred);
    return st ? fail(op, st, 500, "internal", "cannot read the move's places") : TD_OK;
}

/* prepare_on, on a catalog connection given back at once (a move runs
 * for long: it must not sit on one of the catalog's few). */
static td_status prepare(mv_t *mv, const char *key, const char *to, int dry) {
    td_db_t *cat;
    td_status st = td_catalog_lease(mv->op->platform->catalog, NULL, &cat);
    if (st)
        return fail(mv->op, st, 503, "catalog_unavailable", "the catalog does not answer");
    st = prepare_on(mv, cat, key, to, dry);
    td_catalog_release(mv->op->platform->catalog, cat);
    return st;
}

/* The target database with every enabled service (again after a crash:
 * the creation is idempotent). */
static td_status make_target(mv_t *mv) {
    td_op_t *op = mv->op;
    char err[256] = "";
    td_schema_t *sch = td_arena_alloc(op->arena, sizeof(*sch) * (mv->t.nsvc + 1));
    td_status st = sch ? TD_OK : TD_E_NOMEM;
    for (size_t i = 0; !st && i < mv->t.nsvc; i++)
        st = td_service_schema(mv->t.services[i], mv->dst.drv->name, &sch[i]);
    if (!st)
        st = td_db_tenant_create(&mv->dst, mv->t.row.id, &mv->dcred, sch, mv->t.nsvc, err,
                                 sizeof(err));
    if (st) {
        td_log(TD_LOG_WARN, "move: cannot make the target", "tenant_id", mv->t.row.id, "error",
               err, NULL);
        return fail(op, st, 503, "target_unavailable", "cannot make the tenant's database there");
    }
    return TD_OK;
}

/* What a counted open of one of the move's connections needs. */
typedef struct {
    mv_t *mv;
    const td_place_t *pl;
    const td_tenant_cred_t *cred; /* NULL: the target's owner (td_rows_admin_open) */
    char *err;
    size_t errlen;
} mv_open_t;

static td_status mv_open(void *ctx, const char *tenant_id, td_db_t **out) {
    mv_open_t *c = ctx;
    if (!c->cred)
        return td_rows_admin_open(c->pl, tenant_id, out, c->err, c->errlen);
    return td_db_tenant_open(c->pl, tenant_id, c->cred, c->mv->t.services, c->mv->t.nsvc, out,
                             c->err, c->errlen);
}

/* Opens one of the move's connections; in a process with a pool (serve,
 * the job) it is counted against the budget of the server it goes to —
 * the source's: where the tenant is (server NULL), the target's: its
 * registered server — so a move never runs a server out of connections
 * and waits in the same line as requests. */
static td_status mv_connect(mv_t *mv, int target, const td_tenant_cred_t *cred, td_db_t **out,
                            char *err, size_t errlen) {
    mv_open_t c = {mv, target ? &mv->dst : &mv->src, cred, err, errlen};
    td_platform_t *p = mv->op->platform;
    const char *server = !target ? NULL : mv->m.server_id ? mv->m.server_id : "";
    return p->pool ? td_pool_lease_counted_on(p->pool, mv->t.row.id, server, mv_open, &c, out)
                   : mv_open(&c, mv->t.row.id, out);
}

static td_status open_both(mv_t *mv, td_db_t **src, td_db_t **dst) {
    char err[256] = "";
    *src = *dst = NULL;
    td_status st = mv_connect(mv, 0, &mv->scred, src, err, sizeof(err));
    if (st)
        return fail(mv->op, TD_E_UNAVAILABLE, 503, "tenant_unavailable",
                    "the tenant's database does not answer");
    st = mv_connect(mv, 1, &mv->dcred, dst, err, sizeof(err));
    if (st) {
        td_db_close(*src);
        *src = NULL;
        return fail(mv->op, TD_E_UNAVAILABLE, 503, "target_unavailable",
                    "the target database does not answer");
    }
    return TD_OK;
}

/* One pass over every service: src read in one snapshot. *changed counts
 * the rows the pass inserted, updated or deleted; with verify, the last
 * pass's tables go into the report. */
static td_status pass(mv_t *mv, td_db_t *src, td_db_t *dst, int verify, int64_t *changed) {
    td_op_t *op = mv->op;
    td_status st = td_rows_snapshot(src, mv->t.services, mv->t.nsvc);
    *changed = 0;
    int64_t rows = 0;
    json_t *tables = verify ? json_array() : NULL;
    /* between backends cms media bytes are not rows on both sides */
    int cross = strcmp(mv->m.backend, mv->m.from.backend) != 0, cms = 0;
    for (size_t i = 0; !st && i < mv->t.nsvc; i++) {
        td_move_table_t *tt;
        size_t n;
        const char *svc = mv->t.services[i];
        cms |= !strcmp(svc, "cms");
        const char *skip = cross && !strcmp(svc, "cms") ? "media_content" : NULL;
        st = td_move_sync_service(mv->sync, src, dst, op->arena, svc, skip, verify, 0, &tt, &n);
        if ((st == TD_E_EXISTS || st == TD_E_CONFLICT) && !op->err.st) /* deletes first */
            st = td_move_sync_service(mv->sync, src, dst, op->arena, svc, skip, verify, 1, &tt,
                                      &n);
        for (size_t k = 0; !st && k < n; k++) {
            if (!tt[k].table)
                continue;
            *changed += tt[k].inserted + tt[k].updated + tt[k].deleted;
            rows += tt[k].src.rows;
            if (!verify)
                continue;
            char hs[65], hd[65];
            td_move_sum_hex(&tt[k].src, hs);
            td_move_sum_hex(&tt[k].dst, hd);
            int same = td_move_sum_equal(&tt[k].src, &tt[k].dst);
            json_array_append_new(
                tables, json_pack("{s:s, s:s, s:I, s:I, s:s, s:b}", "service", tt[k].service,
                                  "table", tt[k].table, "source_rows", (json_int_t)tt[k].src.rows,
                                  "target_rows", (json_int_t)tt[k].dst.rows, "checksum", hs,
                                  "match", same));
            if (!same)
                st = td_op_fail(op, TD_E_INTERNAL, 500, "move_verify_failed",
                                "%s.%s differs in the target after the copy (%lld rows, %lld"
                                " there)",
                                tt[k].service, tt[k].table, (long long)tt[k].src.rows,
                                (long long)tt[k].dst.rows);
        }
    }
    if (!st && cross && cms) {
        int64_t carried = 0;
        const char *dir = td_arena_printf(op->arena, "%s/%s", op->platform->tenants_dir,
                                          mv->t.row.id);
        st = td_move_sync_media(mv->sync, src, dst, !strcmp(mv->m.backend, "postgres"), dir,
                                &carried);
        *changed += carried;
    }
    td_db_rollback(src);
    mv->r->rows = rows;
    if (verify) {
        json_decref(mv->r->tables);
        mv->r->tables = tables;
    }
    if (st && !op->err.st)
        fail(op, st, 503, "tenant_unavailable", "the copy failed; run the move again to go on");
    return st;
}

/* 1 when the tenant has the services it had when the move began (both
 * lists sorted) and may still move. */
static int same_tenant(const mv_t *mv, const td_tenant_t *now) {
    if (now->nsvc != mv->t.nsvc ||
        (strcmp(now->row.status, "active") && strcmp(now->row.status, "suspended")))
        return 0;
    for (size_t i = 0; i < now->nsvc; i++)
        if (strcmp(now->services[i], mv->t.services[i]))
            return 0;
    return 1;
}

/* The target's outboxes number on past the catalog's drain marks (on
 * PostgreSQL as the owner of the sequences: the tenant's role may only
 * use them). */
static td_status outbox_floors(mv_t *mv, td_db_t *cat, td_db_t *dst) {
    td_status st = TD_OK;
    for (size_t i = 0; !st && i < mv->t.nsvc; i++) {
        int64_t mark = 0;
        st = td_cat_outbox_mark(cat, mv->t.row.id, mv->t.services[i], 0, &mark);
        if (!st)
            st = td_rows_outbox_floor(mv->own ? mv->own : dst, mv->t.services[i], mark + 1);
    }
    return st;
}

/* Under the hold: drain, last pass with verification, outbox numbers,
 * the switch. */
static td_status switch_over(mv_t *mv, td_db_t *src, td_db_t *dst) {
    td_op_t *op = mv->op;
    td_platform_t *p = op->platform;
    int64_t drained = 0, changed = 0, t[5] = {td_now_ms()};
    td_status st = td_audit_drain_db(op, &mv->t, src, &drained);
    t[1] = td_now_ms();
    td_tenant_t now;
    if (!st && !(st = td_tenant_find(p, op->arena, mv->t.row.id, &now)) && !same_tenant(mv, &now))
        st = td_op_fail(op, TD_E_STATE, 409, "tenant_changed",
                        "the tenant's services or status changed during the move; run it again");
    if (!st)
        st = pass(mv, src, dst, 1, &changed);
    mv->r->caught_up += changed;
    t[2] = td_now_ms();
    td_db_t *cat = NULL;
    if (!st)
        st = td_catalog_lease(p->catalog, NULL, &cat);
    if (!st)
        st = outbox_floors(mv, cat, dst);
    t[3] = td_now_ms();
    TD_FAULT("move.before_switch");
    if (!st)
        st = td_cat_move_switch(cat, mv->t.row.id);
    t[4] = td_now_ms();
    char ms[120];
    snprintf(ms, sizeof(ms), "drain %lld, last pass %lld, outbox %lld, switch %lld",
             (long long)(t[1] - t[0]), (long long)(t[2] - t[1]), (long long)(t[3] - t[2]),
             (long long)(t[4] - t[3]));
    td_log(TD_LOG_INFO, "move: writes held (ms)", "tenant_id", mv->t.row.id, "phases", ms, NULL);
    if (st && !op->err.st)
        td_log(TD_LOG_WARN, "move: the switch failed", "tenant_id", mv->t.row.id, "error",
               td_status_code(st), "detail", cat ? td_db_errmsg(cat) : "", "target",
               td_db_errmsg(dst), NULL);
    if (cat)
        td_catalog_release(p->catalog, cat);
    /* whatever the switch's outcome (a commit whose answer was lost), no
     * handle of the old place is kept */
    if (p->pool)
        td_pool_forget(p->pool, mv->t.row.id);
    td_tcache_forget(p, mv->t.row.id);
    if (st)
        return fail(op, st, 503, "tenant_unavailable", "the switch failed; run the move again");
    TD_FAULT("move.switched");
    return TD_OK;
}

/* After the switch: the old database goes, then the move's row. */
static td_status finish(mv_t *mv) {
    td_op_t *op = mv->op;
    char err[256] = "";
    td_status st = td_db_tenant_drop(&mv->src, mv->t.row.id, err, sizeof(err));
    if (st) {
        td_log(TD_LOG_WARN, "move: cannot remove the old database", "tenant_id", mv->t.row.id,
               "error", err, NULL);
        return td_op_fail(op, st, 503, "source_unavailable",
                          "the tenant moved; its old database could not be removed yet (run"
                          " the move again)");
    }
    td_db_t *cat;
    st = td_catalog_lease(op->platform->catalog, op->arena, &cat);
    if (!st)
        st = td_cat_move_delete(cat, mv->t.row.id);
    return st ? fail(op, st, 503, "catalog_unavailable", "the catalog does not answer") : TD_OK;
}

static td_status copy_and_switch(mv_t *mv) {
    td_op_t *op = mv->op;
    td_platform_t *p = op->platform;
    char err[256];
    td_status st = td_migrate_ensure(p, mv->t.row.id, err, sizeof(err));
    if (st)
        return td_op_fail(op, TD_E_UNAVAILABLE, 503, "tenant_migrating",
                          "the tenant's schema is behind and could not be brought up to date");
    if ((st = make_target(mv)) || (st = step(mv, 1, "target ready")))
        return st;
    td_db_t *src, *dst;
    if (!(mv->sync = td_move_sync_new()))
        return fail(op, TD_E_NOMEM, 500, "internal", "out of memory");
    td_move_sync_beat(mv->sync, beat, mv);
    if ((st = open_both(mv, &src, &dst))) {
        td_move_sync_free(mv->sync);
        return st;
    }
    int64_t t0 = td_now_ms(), changed = 0;
    st = pass(mv, src, dst, 0, &changed); /* the copy */
    mv->r->copied = changed;
    TD_FAULT("move.copied");
    if (!st)
        st = step(mv, 2, "rows copied");
    for (int round = 0; !st && round < 3; round++) { /* catch up while serving */
        st = pass(mv, src, dst, 0, &changed);
        mv->r->caught_up += changed;
        if (changed < 1000)
            break;
    }
    if (!st && strcmp(mv->m.backend, "sqlite") && /* opened before the hold: not part of it */
        mv_connect(mv, 1, NULL, &mv->own, err, sizeof(err)))
        st = fail(op, TD_E_UNAVAILABLE, 503, "target_unavailable",
                  "the target database does not answer");
    if (!st && (st = td_tenant_hold(p, mv->t.row.id, HOLD_WAIT_MS)))
        st = td_op_fail(op, TD_E_BUSY, 503, "tenant_busy",
                        "the tenant's writes did not finish in time for the switch; retry");
    if (!st) {
        int64_t h0 = td_now_ms();
        st = switch_over(mv, src, dst);
        mv->r->held_ms = td_now_ms() - h0;
        td_tenant_unhold(p, mv->t.row.id);
    }
    td_db_close(src);
    td_db_close(dst);
    td_db_close(mv->own);
    mv->own = NULL;
    td_move_sync_free(mv->sync);
    mv->r->copy_ms = td_now_ms() - t0;
    return st ? st : step(mv, 3, "switched");
}

/* 1 when `to` names the target of the move in progress. */
static int same_target(mv_t *mv, const char *to) {
    if (!strcmp(mv->m.backend, "sqlite") || !strcmp(to, "sqlite"))
        return !strcmp(mv->m.backend, to);
    char hint[512];
    td_db_url_redact(to, hint, sizeof(hint));
    const char *name = strchr(mv->r->to, ' ') ? strchr(mv->r->to, ' ') + 1 : "";
    return !strcmp(to, "postgres") || !strcmp(to, mv->m.server_id) || !strcmp(to, name) ||
           (td_db_url_is_postgres(to) && !strcmp(hint, name));
}

static td_status check_resumed(mv_t *mv, const char *to) {
    if (!to || !mv->r->resumed || same_target(mv, to))
        return TD_OK;
    return td_op_fail(mv->op, TD_E_STATE, 409, "move_in_progress",
                      "the tenant is being moved to %s already: run the move again without"
                      " another target to finish it",
                      mv->r->to);
}

/* An operator's look at the move of key to `to` (NULL: the one in
 * progress), changing nothing. */
static td_status look(mv_t *mv, td_op_t *op, const char *key, const char *to,
                      td_move_report_t *out) {
    memset(out, 0, sizeof(*out));
    *mv = (mv_t){.op = op, .r = out};
    if (!td_actor_platform(&op->actor))
        return td_op_fail(op, TD_E_FORBIDDEN, 403, "forbidden", "only operators move tenants");
    td_status st = prepare(mv, key, to, 1);
    out->tenant_id = mv->t.row.id, out->slug = mv->t.row.slug;
    return st;
}

td_status td_tenant_move_check(td_op_t *op, const char *key, const char *to,
                               td_move_report_t *out) {
    mv_t mv;
    td_status st = look(&mv, op, key, to, out);
    return st ? st : check_resumed(&mv, to);
}

td_status td_tenant_move_abort(td_op_t *op, const char *key, td_move_report_t *out) {
    mv_t mv;
    td_status st = look(&mv, op, key, NULL, out);
    if (st && !strcmp(op->err.code, "invalid_target")) {
        op->err = (td_op_err_t){0};
        return td_op_fail(op, TD_E_NOTFOUND, 404, "move_not_found",
                          "the tenant is not being moved");
    }
    if (!st && strcmp(mv.m.state, "copying"))
        return td_op_fail(op, TD_E_STATE, 409, "move_switched",
                          "the tenant has moved already: run the move to finish it");
    char err[256] = "";
    if (!st && td_db_tenant_drop(&mv.dst, mv.t.row.id, err, sizeof(err)))
        st = td_op_fail(op, TD_E_UNAVAILABLE, 503, "target_unavailable",
                        "the target's copy could not be removed; try again");
    td_db_t *cat;
    if (!st && !(st = td_catalog_lease(op->platform->catalog, op->arena, &cat)))
        st = td_cat_move_delete(cat, mv.t.row.id);
    if (st && !op->err.st)
        fail(op, st, 503, "catalog_unavailable", "the catalog does not answer");
    if (mv.t.row.id && !st)
        td_audit_record(op, mv.t.row.id, NULL, "tenant.move_abort", "tenants", mv.t.row.id, "ok",
                        out->to);
    return st;
}

int td_tenant_moving(td_platform_t *p, td_arena_t *a, const char *tenant_id) {
    td_db_t *cat;
    td_move_row_t m;
    if (td_catalog_lease(p->catalog, NULL, &cat))
        return 0;
    int moving = td_cat_move_get(cat, a, tenant_id, &m) == TD_OK;
    td_catalog_release(p->catalog, cat);
    return moving;
}

void td_move_report_clear(td_move_report_t *r) {
    json_decref(r->tables);
    r->tables = NULL;
}

td_status td_tenant_move(td_op_t *op, const char *key, const char *to, td_move_step_fn fn,
                         void *ctx, td_move_report_t *out) {
    memset(out, 0, sizeof(*out));
    if (!td_actor_platform(&op->actor))
        return td_op_fail(op, TD_E_FORBIDDEN, 403, "forbidden", "only operators move tenants");
    mv_t mv = {.op = op, .fn = fn, .ctx = ctx, .r = out};
    td_status st = prepare(&mv, key, to, 0);
    out->tenant_id = mv.t.row.id, out->slug = mv.t.row.slug;
    if (!st)
        st = check_resumed(&mv, to);
    if (!st && !strcmp(mv.m.state, "copying"))
        st = copy_and_switch(&mv);
    if (!st)
        st = finish(&mv);
    if (!st)
        st = step(&mv, 4, "old database removed");
    if (mv.t.row.id && (!st || op->err.status != 404)) {
        char detail[300];
        snprintf(detail, sizeof(detail), "from %s to %s, %lld rows, writes held %lld ms",
                 out->from ? out->from : "?", out->to ? out->to : "?", (long long)out->rows,
                 (long long)out->held_ms);
        td_audit_record(op, mv.t.row.id, NULL, "tenant.move", "tenants", mv.t.row.id,
                        st ? "failed" : "ok", detail);
    }
    return st;
}

/* The server's words about a brought URL, as one of onboarding's codes
 * (never the words themselves: they name hosts and users). */
static const char *bring_code(td_status st, const char *err) {
    static const struct {
        const char *words, *code;
    } map[] = {
        {"password authentication failed", "database_auth_failed"},
        {"no password supplied", "database_auth_failed"},
        {"no pg_hba.conf entry", "database_auth_failed"},
        {"role \"", "database_auth_failed"}, /* role "x" does not exist */
        {"may not create schemas", "database_not_permitted"},
        {"permission denied", "database_not_permitted"}, /* … for database "x" */
        {"database \"", "database_not_found"},
    };
    if (st == TD_E_INVALID)
        return "invalid_database_url";
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (strstr(err, map[i].words))
            return map[i].code;
    return "database_unreachable";
}

td_status td_tenant_bring_check(td_op_t *op, const char *url) {
    static const struct {
        const char *code, *detail;
    } say[] = {
        {"invalid_database_url",
         "the database URL must be postgres://user:password@host:port/db (optionally"
         " ?sslmode=…): a host name or address, a user and a password, nothing else"},
        {"database_auth_failed", "the server refused that user or password"},
        {"database_not_found", "the server has no database of that name"},
        {"database_not_permitted", "that user may not create schemas in the database"},
        {"database_unreachable",
         "the host is unknown, refuses connections, or did not answer within 10 seconds"},
    };
    char err[512] = "";
    td_place_t pl = {.drv = url ? td_db_driver_for_url(url) : NULL, .root = url, .dedicated = 1};
    td_status st = !url || strlen(url) > 1024 || !td_db_url_plain(url) || !pl.drv
                       ? TD_E_INVALID
                       : td_db_place_check(&pl, err, sizeof(err));
    if (!st)
        return TD_OK;
    const char *code = bring_code(st, err);
    if (err[0]) /* redacted by the driver: no password in it */
        td_log(TD_LOG_INFO, "a brought database was refused", "code", code, "error", err, NULL);
    for (size_t i = 0; i < sizeof(say) / sizeof(say[0]); i++)
        if (!strcmp(say[i].code, code))
            return td_op_fail(op, TD_E_INVALID, 400, code, "%s", say[i].detail);
    return td_op_fail(op, TD_E_INVALID, 400, code, "the database cannot be used");
}

td_status td_tenant_move_bring(td_op_t *op, const char *key, const char *url,
                               td_move_report_t *out) {
    memset(out, 0, sizeof(*out));
    td_tenant_t t;
    const td_actor_t *who = &op->actor;
    td_status st = td_tenant_find(op->platform, op->arena, key, &t);
    if (st == TD_E_NOTFOUND || (!st && !strcmp(t.row.status, "deleted")))
        return td_op_fail(op, TD_E_NOTFOUND, 404, "tenant_not_found", "no such tenant");
    if (st)
        return fail(op, st, 503, "catalog_unavailable", "the catalog does not answer");
    if (!td_actor_platform(who) &&
        !(who->tenant_id && !strcmp(who->tenant_id, t.row.id) && who->role &&
          !strcmp(who->role, "admin")))
        return td_op_fail(op, TD_E_FORBIDDEN, 403, "forbidden",
                          "only the tenant's admins bring its database");
    if (td_tenant_bring_check(op, url))
        return op->err.st;
    mv_t mv = {.op = op, .r = out, .own_url = url};
    st = prepare(&mv, t.row.id, "postgres (own database)", 0);
    out->tenant_id = mv.t.row.id, out->slug = mv.t.row.slug;
    if (!st && out->resumed)
        return td_op_fail(op, TD_E_STATE, 409, "move_in_progress",
                          "the tenant is being moved already");
    if (st && !strcmp(op->err.code, "target_not_empty"))
        return op->err = (td_op_err_t){0},
               td_op_fail(op, TD_E_EXISTS, 409, "database_not_empty",
                          "that database holds a tenant's schemas already");
    return st;
}

json_t *td_move_report_json(const td_move_report_t *r) {
    return json_pack("{s:s?, s:s?, s:s?, s:s?, s:I, s:I, s:I, s:I, s:I, s:b, s:O?}", "tenant_id",
                     r->tenant_id, "slug", r->slug, "from", r->from, "to", r->to, "rows",
                     (json_int_t)r->rows, "copied", (json_int_t)r->copied, "caught_up",
                     (json_int_t)r->caught_up, "held_ms", (json_int_t)r->held_ms, "copy_ms",
                     (json_int_t)r->copy_ms, "resumed", r->resumed, "tables", r->tables);
}
