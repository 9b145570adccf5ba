/* import.c — `tenantd import`: a shared database into one tenant per
 * value of its tenant column (ops/import.h, docs/import.md).
 *
 * Per tenant: the source's rows of each table are mapped to what the
 * target stores (import_int.h: deterministic ids, refs to them) and
 * summed — an order-free checksum, the 64-bit sum of each row's BLAKE2b
 * over its values as text — beside the target table's own rows. Tables
 * whose count and checksum agree are left alone (a second run writes
 * nothing); the others are emptied and written again with the rowstream
 * writer, all of a tenant's in ONE transaction with foreign keys checked
 * at its commit, then summed again for the report. A run killed at any
 * point leaves each tenant as it was or fully imported, and running it
 * again ends with the same rows. The bulk load bypasses the outbox: one
 * audit record `tenant.import` per tenant that changed says how many rows
 * of how many tables were written. */
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "common/buf.h"
#include "common/fault.h"
#include "common/log.h"
#include "ops/import_int.h"
#include "services/services.h"

/* ---- values and checksums ---- */

/* The text of a value (NULL for NULL): numbers in decimal, %.17g. */
static const char *val_text(const td_rows_val_t *v, char num[40], size_t *n) {
    switch (v->kind) {
    case TD_ROWS_INT:
        *n = (size_t)snprintf(num, 40, "%lld", (long long)v->i);
        return num;
    case TD_ROWS_REAL:
        *n = (size_t)snprintf(num, 40, "%.17g", v->r);
        return num;
    case TD_ROWS_TEXT:
    case TD_ROWS_BLOB:
        *n = v->n;
        return v->p;
    default:
        *n = 0;
        return NULL;
    }
}

/* A row's share of the checksum: BLAKE2b-64 of its n values as text, each
 * a 4-byte length and its bytes, NULL as the length 0xFFFFFFFF alone. */
static uint64_t row_sum(const td_rows_val_t *v, int n) {
    crypto_generichash_state g;
    unsigned char h[8];
    crypto_generichash_init(&g, NULL, 0, sizeof(h));
    for (int c = 0; c < n; c++) {
        char num[40];
        size_t len;
        const char *p = val_text(&v[c], num, &len);
        uint32_t l = p ? (uint32_t)len : 0xFFFFFFFFu;
        unsigned char lb[4] = {(unsigned char)(l >> 24), (unsigned char)(l >> 16),
                               (unsigned char)(l >> 8), (unsigned char)l};
        crypto_generichash_update(&g, lb, 4);
        if (p)
            crypto_generichash_update(&g, (const unsigned char *)p, len);
    }
    crypto_generichash_final(&g, h, sizeof(h));
    uint64_t x = 0;
    for (int i = 0; i < 8; i++)
        x = x << 8 | h[i];
    return x;
}

/* ---- mapping a source row ---- */

typedef struct {
    const imp_table_t *t;
    const char *stamp;     /* created_at and updated_at of every row */
    td_rows_val_t *out;    /* t->dst.ncols values */
    char (*ids)[37];       /* the id and each ref's id */
    td_buf_t key;          /* the row's key text */
    td_rows_writer_t *w;   /* NULL: sum only */
    uint64_t sum;
    int64_t rows;
} map_t;

/* The key text of a source row: its key columns' texts joined by ':'. */
static td_status key_text(map_t *m, const td_rows_val_t *v) {
    td_buf_reset(&m->key);
    td_status st = TD_OK;
    for (int k = 0; !st && k < m->t->nkey; k++) {
        char num[40];
        size_t n;
        const char *p = val_text(&v[m->t->key[k]], num, &n);
        if (k)
            st = td_buf_append(&m->key, ":", 1);
        if (!st && p)
            st = td_buf_append(&m->key, p, n);
    }
    return st;
}

/* Maps source row v onto m->out, then sums it (and writes it). */
static td_status map_row(void *ctx, const td_rows_val_t *v) {
    map_t *m = ctx;
    const imp_table_t *t = m->t;
    td_status st = key_text(m, v);
    const char *key = td_buf_str(&m->key);
    imp_row_id(t->src.name, key, m->key.len, m->ids[0]);
    m->out[0] = (td_rows_val_t){.kind = TD_ROWS_TEXT, .p = m->ids[0], .n = 36};
    for (int i = 0; !st && i < t->ncols; i++) {
        const imp_col_t *c = &t->cols[i];
        td_rows_val_t *o = &m->out[1 + i];
        if (c->src < 0)
            *o = (td_rows_val_t){.kind = TD_ROWS_TEXT, .p = key, .n = m->key.len};
        else if (c->ref && v[c->src].kind != TD_ROWS_NULL) {
            char num[40];
            size_t n;
            const char *p = val_text(&v[c->src], num, &n);
            imp_row_id(c->ref, p, n, m->ids[1 + i]);
            *o = (td_rows_val_t){.kind = TD_ROWS_TEXT, .p = m->ids[1 + i], .n = 36};
        } else
            *o = v[c->src];
    }
    int n = t->dst.ncols;
    m->out[n - 2] = m->out[n - 1] =
        (td_rows_val_t){.kind = TD_ROWS_TEXT, .p = m->stamp, .n = strlen(m->stamp)};
    m->sum += row_sum(m->out, n - 2);
    m->rows++;
    return st ? st : m->w ? td_rows_write(m->w, m->out) : TD_OK;
}

/* Sums a target table's rows (created_at and updated_at left out). */
static td_status sum_row(void *ctx, const td_rows_val_t *v) {
    map_t *m = ctx;
    m->sum += row_sum(v, m->t->dst.ncols - 2);
    m->rows++;
    return TD_OK;
}

static void map_init(map_t *m, const imp_table_t *t, const char *stamp) {
    *m = (map_t){.t = t, .stamp = stamp};
    m->out = calloc((size_t)t->dst.ncols, sizeof(*m->out));
    m->ids = calloc((size_t)t->ncols + 1, sizeof(*m->ids));
    td_buf_init(&m->key, 1 << 20);
}

static void map_free(map_t *m) {
    free(m->out);
    free(m->ids);
    td_buf_free(&m->key);
}

/* Reads tenant value's rows of table t from the source (summing them,
 * and writing them into db with db set). */
static td_status source_pass(imp_source_t *s, const imp_table_t *t, const char *column,
                             const char *value, const char *stamp, td_db_t *db,
                             td_import_line_t *l) {
    map_t m;
    map_init(&m, t, stamp);
    td_status st = m.out && m.ids ? TD_OK : TD_E_NOMEM;
    if (!st && db)
        st = td_rows_writer_new(db, &t->dst, &m.w);
    if (!st)
        st = td_rows_read_where(s->db, &t->src, column, value, map_row, &m);
    td_status we = td_rows_writer_end(m.w);
    st = st ? st : we;
    l->source_rows = m.rows;
    snprintf(l->source_sum, sizeof(l->source_sum), "%016llx", (unsigned long long)m.sum);
    map_free(&m);
    return st;
}

/* Sums the target table of t in db (none: nothing). */
static td_status target_pass(td_db_t *db, const imp_table_t *t, td_import_line_t *l) {
    map_t m = {.t = t};
    td_status st = db ? td_db_begin(db, TD_DB_READ) : TD_OK; /* (PostgreSQL's cursor needs one) */
    if (db && !st) {
        st = td_rows_read(db, &t->dst, sum_row, &m);
        td_db_rollback(db);
    }
    l->imported_rows = m.rows;
    snprintf(l->imported_sum, sizeof(l->imported_sum), "%016llx", (unsigned long long)m.sum);
    l->match = !st && l->imported_rows == l->source_rows && !strcmp(l->imported_sum, l->source_sum);
    return st;
}

/* ---- tenants: values to slugs ---- */

/* The slug rule: lowercase; every run of other characters than [a-z0-9]
 * one dash; no dash at either end; "t-" before a value not starting with
 * a letter; at most 63 characters. */
static const char *slug_rule(td_arena_t *a, const char *v) {
    char s[64] = "t-";
    size_t k = 2;
    for (const char *p = v; *p && k < 63; p++) {
        char c = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
        int ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (ok)
            s[k++] = c;
        else if (s[k - 1] != '-')
            s[k++] = '-';
    }
    while (k > 2 && s[k - 1] == '-')
        k--;
    s[k] = '\0';
    return td_arena_strdup(a, s[2] >= 'a' && s[2] <= 'z' ? s + 2 : s);
}

/* The slugs of the source's values, by the map file or the rule. */
static td_status value_slugs(td_op_t *op, const char *map_file, const imp_source_t *s,
                             const char ***out) {
    json_error_t je;
    json_t *map = NULL;
    char err[160];
    td_status st = TD_OK;
    const char **slugs = td_arena_alloc(op->arena, (s->nvalues + 1) * sizeof(*slugs));
    if (!slugs)
        return TD_E_NOMEM;
    if (map_file) /* (json_is_object evaluates its argument twice) */
        map = json_load_file(map_file, JSON_REJECT_DUPLICATES, &je);
    if (map_file && !json_is_object(map))
        st = td_op_fail(op, TD_E_INVALID, 400, "import_bad_map",
                        "--map %.100s: not a JSON object of value → slug (line %d: %.80s)",
                        map_file, je.line, je.text);
    for (size_t i = 0; !st && i < s->nvalues; i++) {
        json_t *m = map ? json_object_get(map, s->values[i]) : NULL;
        if (map && !json_is_string(m))
            st = td_op_fail(op, TD_E_INVALID, 400, "import_bad_map",
                            "--map: no slug for value \"%.60s\"", s->values[i]);
        slugs[i] = st ? NULL : m ? td_arena_strdup(op->arena, json_string_value(m))
                                 : slug_rule(op->arena, s->values[i]);
        if (!st && td_slug_check(slugs[i], err, sizeof(err)))
            st = td_op_fail(op, TD_E_INVALID, 400, map ? "import_bad_map" : "import_bad_slug",
                            "value \"%.60s\" → slug \"%.64s\": %s%s", s->values[i], slugs[i],
                            err, map ? "" : " (give a --map)");
        for (size_t j = 0; !st && j < i; j++)
            if (!strcmp(slugs[j], slugs[i]))
                st = td_op_fail(op, TD_E_INVALID, 400, "import_slug_clash",
                                "values \"%.60s\" and \"%.60s\" both become tenant %s",
                                s->values[j], s->values[i], slugs[i]);
    }
    json_decref(map);
    *out = slugs;
    return st;
}

/* Every table and mapped field of the source is in the service. */
static td_status check_service(td_op_t *op, const char *svc, const imp_source_t *s) {
    if (!svc || !td_service_decl(svc))
        return td_op_fail(op, TD_E_NOTFOUND, 404, "import_service_not_found",
                          "no service %.40s: generate it (--generate-service) and name its "
                          "folder in TENANTD_SERVICES_DIR", svc ? svc : "(none)");
    for (size_t i = 0; i < s->n; i++) {
        const td_resource_t *r = td_service_resource(svc, s->t[i].src.name);
        for (int c = 0; r && c < s->t[i].ncols; c++) {
            size_t f = 0;
            while (s->t[i].cols[c].field && f < r->nfields &&
                   strcmp(r->fields[f].name, s->t[i].cols[c].name))
                f++;
            if (f == r->nfields)
                r = NULL;
        }
        if (!r)
            return td_op_fail(op, TD_E_CONFLICT, 409, "import_schema_mismatch",
                              "service %s does not hold table %s as the source has it: "
                              "generate the service again", svc, s->t[i].src.name);
    }
    return TD_OK;
}

/* ---- one tenant ---- */

typedef struct {
    td_op_t *op;
    const td_import_opts_t *o;
    imp_source_t *src;
    td_import_line_t *lines; /* one per table */
    td_import_result_t *res;
} run_t;

/* The tenant of slug, made (or given the service) unless a dry run;
 * *db its database when it has the service, else NULL. */
static td_status tenant_ready(run_t *r, const char *value, const char *slug, td_tenant_t *t,
                              td_db_t **db, const char **action) {
    td_op_t *op = r->op;
    const char *svc = r->o->service;
    char err[256];
    *db = NULL;
    td_status st = td_tenant_find(op->platform, op->arena, slug, t);
    int found = !st, has = 0;
    if (st && st != TD_E_NOTFOUND)
        return td_op_fail_status(op, st, "the catalog does not answer");
    for (size_t i = 0; found && i < t->nsvc; i++)
        has |= !strcmp(t->services[i], svc);
    if (found && strcmp(t->row.status, "active"))
        return td_op_fail(op, TD_E_STATE, 409, "invalid_state", "tenant %s is %s", slug,
                          t->row.status);
    *action = found ? "unchanged" : "would_create";
    if (r->o->dry_run && !has)
        return TD_OK;
    if (!found) {
        /* its name is the value when that is a good display name */
        td_tenant_spec_t spec = {.slug = slug, .services = &svc, .nsvc = 1,
                                 .name = td_name_check(value, err, sizeof(err)) ? NULL : value};
        if ((st = td_tenant_create(op, &spec, t)))
            return st;
        r->res->created++;
        *action = "created";
    } else if (!has && (st = td_tenant_enable_service(op, slug, svc, t)))
        return st;
    st = td_tenant_open_db(op->platform, op->arena, t->row.id, db, err, sizeof(err));
    return st ? td_op_fail(op, st, 503, "tenant_unavailable", "tenant %s: %s", slug, err) : st;
}

/* Writes again the tables of value whose lines do not match, in one
 * transaction (emptied in reverse foreign-key order, written in order);
 * *rows the rows written. */
static td_status rewrite(run_t *r, td_db_t *db, const char *value, const char *stamp, int fresh,
                         int64_t *rows) {
    imp_source_t *s = r->src;
    const char *saved = "";
    td_status st = td_rows_load_begin(db);
    /* a new tenant's empty tables: indexes built once after the rows */
    if (!st && fresh)
        st = td_rows_indexes_off(db, r->op->arena, r->o->service, &saved);
    for (size_t i = s->n; !st && !fresh && i-- > 0;)
        if (!r->lines[i].match)
            st = td_rows_clear(db, &s->t[i].dst);
    for (size_t i = 0; !st && i < s->n; i++)
        if (!r->lines[i].match) {
            st = source_pass(s, &s->t[i], r->o->tenant_column, value, stamp, db, &r->lines[i]);
            *rows += r->lines[i].source_rows;
        }
    if (!st)
        st = td_rows_indexes_on(db, saved);
    if (!st) {
        TD_FAULT("import_before_commit");
        st = td_db_commit(db);
    } else
        td_db_rollback(db);
    return st;
}

/* Writes the tables of tenant t whose lines differ (rewrite), reads them
 * back for the report, and records the tenant's tenant.import. */
static td_status write_verify(run_t *r, const td_tenant_t *t, td_db_t *db, const char *stamp,
                              int fresh, int differ) {
    imp_source_t *s = r->src;
    int64_t rows = 0;
    td_status st = rewrite(r, db, r->lines[0].value, stamp, fresh, &rows);
    for (size_t k = 0; !st && k < s->n; k++)
        if (!r->lines[k].match) {
            r->lines[k].action = "written";
            st = target_pass(db, &s->t[k], &r->lines[k]);
            r->res->mismatches += !r->lines[k].match;
        }
    r->res->changed++;
    TD_FAULT("import_after_commit");
    char detail[120];
    snprintf(detail, sizeof(detail), "%lld rows in %d tables", (long long)rows, differ);
    return st ? st
              : td_audit_record(r->op, t->row.id, r->o->service, "tenant.import", r->o->service,
                                NULL, "ok", detail);
}

/* Imports (or reports) the tenant of value i; fills r->lines (one per
 * table): each table's source and target summed, then what differs
 * written and verified. */
static td_status import_one(run_t *r, size_t i, const char *slug) {
    imp_source_t *s = r->src;
    td_op_t *op = r->op;
    td_tenant_t t;
    td_db_t *db = NULL;
    const char *action = "unchanged", *value = s->values[i];
    td_status st = tenant_ready(r, value, slug, &t, &db, &action);
    const char *stamp = st || !db ? "" : t.row.created_at;
    int differ = 0;
    /* a tenant made now has every table empty: its rows are summed while
     * they are written, not read once more before */
    int fresh = !st && !strcmp(action, "created");
    for (size_t k = 0; !st && k < s->n; k++) {
        td_import_line_t *l = &r->lines[k];
        *l = (td_import_line_t){.value = value, .slug = slug, .table = s->t[k].src.name,
                                .action = action};
        if (!fresh)
            st = source_pass(s, &s->t[k], r->o->tenant_column, value, stamp, NULL, l);
        if (!st && !fresh)
            st = target_pass(db, &s->t[k], l);
        differ += !l->match;
    }
    if (!st && differ && r->o->dry_run)
        for (size_t k = 0; k < s->n; k++)
            if (!r->lines[k].match && !strcmp(r->lines[k].action, "unchanged"))
                r->lines[k].action = "would_write";
    if (!st && differ && !r->o->dry_run)
        st = write_verify(r, &t, db, stamp, fresh, differ);
    for (size_t k = 0; !st && k < s->n; k++)
        r->res->rows += r->lines[k].source_rows;
    if (st) /* the databases' own words, for the operator's log */
        td_log(TD_LOG_WARN, "import failed", "tenant", slug, "target", db ? td_db_errmsg(db) : "",
               "source", td_db_errmsg(s->db), NULL);
    if (st && !op->err.st)
        td_op_fail(op, st, td_op_http_status(st), "import_failed",
                   "tenant %s (value \"%.60s\"): %s", slug, value, td_status_msg(st));
    if (db)
        td_db_close(db);
    return st;
}

td_status td_op_import(td_op_t *op, const td_import_opts_t *o, td_import_fn fn, void *ctx,
                       td_import_result_t *res) {
    imp_source_t s = {0};
    const char **slugs = NULL;
    *res = (td_import_result_t){0};
    if (!td_actor_platform(&op->actor))
        return td_op_fail(op, TD_E_FORBIDDEN, 403, "forbidden", "platform actors only");
    td_status st = imp_source_open(op, o->from, o->tenant_column, &s);
    if (!st)
        st = value_slugs(op, o->map_file, &s, &slugs);
    if (!st)
        st = check_service(op, o->service, &s);
    for (size_t i = 0; !st && i < s.n; i++)
        s.t[i].dst.service = o->service;
    run_t r = {op, o, &s, td_arena_alloc(op->arena, (s.n + 1) * sizeof(td_import_line_t)), res};
    if (!st && !r.lines)
        st = TD_E_NOMEM;
    for (size_t i = 0; !st && i < s.nvalues; i++) {
        /* each tenant in an arena of its own: the catalog leases and the
         * tenant's strings go back when it ends, not at the run's end */
        td_op_t top = *op;
        if (!(top.arena = td_arena_new(0))) {
            st = TD_E_NOMEM;
            break;
        }
        r.op = &top;
        st = import_one(&r, i, slugs[i]);
        op->err = top.err;
        td_arena_destroy(top.arena);
        res->tenants++;
        for (size_t k = 0; !st && fn && k < s.n; k++)
            st = fn(ctx, &r.lines[k], (int)i + 1, (int)s.nvalues);
        if (!st && fn)
            st = fn(ctx, NULL, (int)i + 1, (int)s.nvalues);
    }
    imp_source_close(&s);
    return st;
}
