/* import_src.c — the source of an import: a shared database opened by
 * URL, its tables read from the database itself (store/rowstream.h: the
 * tables in foreign-key order, their columns, keys and foreign keys), each
 * mapped onto the table an import writes — the tenant column dropped, the
 * source key kept as text in src_id, each single-column foreign key a ref
 * holding the referenced row's deterministic id — and the distinct values
 * of the tenant column. Everything is read inside one read snapshot of the
 * source, which stays open until imp_source_close. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ops/import_int.h"

/* [a-z][a-z0-9_]{0,62}: the names a service declaration takes. */
static int ident_ok(const char *s) {
    size_t n = 0;
    if (!s || !(*s >= 'a' && *s <= 'z'))
        return 0;
    for (; s[n]; n++)
        if (!((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= '0' && s[n] <= '9') || s[n] == '_'))
            return 0;
    return n <= 63;
}

void imp_row_id(const char *table, const char *key, size_t n, char out[37]) {
    unsigned char h[16];
    crypto_generichash_state g;
    crypto_generichash_init(&g, NULL, 0, sizeof(h));
    crypto_generichash_update(&g, (const unsigned char *)table, strlen(table) + 1);
    crypto_generichash_update(&g, (const unsigned char *)key, n);
    crypto_generichash_final(&g, h, sizeof(h));
    h[6] = (unsigned char)((h[6] & 0x0f) | 0x80); /* version 8: made by us */
    h[8] = (unsigned char)((h[8] & 0x3f) | 0x80); /* the RFC 9562 variant */
    static const char hex[] = "0123456789abcdef";
    size_t k = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[k++] = '-';
        out[k++] = hex[h[i] >> 4];
        out[k++] = hex[h[i] & 15];
    }
    out[k] = '\0';
}

/* 1 when the declared type names JSON ("JSON", "json", "jsonb"). */
static int is_json_type(const char *type) {
    for (; type && *type; type++)
        if ((type[0] | 32) == 'j' && (type[1] | 32) == 's' && (type[2] | 32) == 'o' &&
            (type[3] | 32) == 'n')
            return 1;
    return 0;
}

/* Opens the source database by its URL (op->err on failure). */
static td_status open_source(td_op_t *op, const char *from, td_db_t **db, const char **schema) {
    char err[256] = "";
    struct stat sb;
    if (!strncmp(from, "sqlite:", 7)) {
        if (stat(from + 7, &sb) != 0 || !S_ISREG(sb.st_mode))
            return td_op_fail(op, TD_E_NOTFOUND, 404, "import_source_not_found",
                              "no SQLite file at %.200s", from + 7);
        *schema = "main";
    } else if (td_db_url_is_postgres(from))
        *schema = "public";
    else
        return td_op_fail(op, TD_E_INVALID, 400, "import_unknown_scheme",
                          "--from takes sqlite:FILE or postgres://…");
    td_status st = td_db_open(from, 0, db, err, sizeof(err));
    if (st) /* libpq's message may quote the URL: never echo it */
        return td_op_fail(op, TD_E_UNAVAILABLE, 503, "import_source_unreachable",
                          "the source database does not answer");
    st = td_rows_snapshot(*db, schema, 1);
    if (st)
        td_op_fail(op, st, 503, "import_source_unreachable",
                   "cannot read the source database (is it a database?)");
    return st;
}

/* The one foreign key of column c of t (the tenant column's pairs left
 * out), or NULL; 400 import_unsupported_key for a composite one. */
static td_status column_ref(td_op_t *op, const td_rows_table_t *t, const td_rows_keys_t *k,
                            const char *tenant, int c, const td_rows_fk_t **out) {
    *out = NULL;
    for (size_t i = 0; i < k->nfks; i++) {
        if (strcmp(k->fks[i].col, t->cols[c].name))
            continue;
        for (size_t j = 0; j < k->nfks; j++)
            if (j != i && k->fks[j].group == k->fks[i].group && strcmp(k->fks[j].col, tenant))
                return td_op_fail(op, TD_E_INVALID, 400, "import_unsupported_key",
                                  "%s.%s: a foreign key over several columns is not imported",
                                  t->name, t->cols[c].name);
        *out = &k->fks[i];
    }
    return TD_OK;
}

/* The target column of source column c; *skip = 1 for the key column
 * "id" (it is src_id). */
static td_status map_column(td_op_t *op, imp_table_t *it, const td_rows_keys_t *k,
                            const char *tenant, int c, imp_col_t *out, int *skip) {
    const td_rows_col_t *sc = &it->src.cols[c];
    const td_rows_fk_t *fk;
    *skip = 0;
    if (!ident_ok(sc->name) || !strcmp(sc->name, "src_id") || !strncmp(sc->name, "td_", 3))
        return td_op_fail(op, TD_E_INVALID, 400, "import_bad_name",
                          "column %s.%.64s: names must be [a-z][a-z0-9_]* (not src_id, td_…)",
                          it->src.name, sc->name);
    if (!strcmp(sc->name, "id")) {
        if (it->nkey == 1 && it->key[0] == c)
            return *skip = 1, TD_OK;
        return td_op_fail(op, TD_E_INVALID, 400, "import_bad_name",
                          "column %s.id is not the table's key", it->src.name);
    }
    td_status st = column_ref(op, &it->src, k, tenant, c, &fk);
    *out = (imp_col_t){.name = sc->name, .src = c, .kind = sc->kind};
    if (!strcmp(sc->name, "created_at") || !strcmp(sc->name, "updated_at"))
        out->name = td_arena_printf(op->arena, "src_%s", sc->name);
    if (fk) {
        out->kind = TD_ROWS_TEXT, out->field = "ref", out->ref = fk->table;
        out->to = fk->to;
    } else if (sc->kind == TD_ROWS_INT)
        out->field = "integer";
    else if (sc->kind == TD_ROWS_REAL)
        out->field = "number";
    else if (sc->kind == TD_ROWS_TEXT)
        out->field = is_json_type(k->types[c]) ? "json" : "text";
    return st;
}

/* Maps one source table (its tenant column already found). */
static td_status map_table(td_op_t *op, td_db_t *db, const char *tenant, imp_table_t *it) {
    td_rows_keys_t k;
    td_arena_t *a = op->arena;
    if (!ident_ok(it->src.name) || !strncmp(it->src.name, "td_", 3))
        return td_op_fail(op, TD_E_INVALID, 400, "import_bad_name",
                          "table %.64s: names must be [a-z][a-z0-9_]* not starting with td_",
                          it->src.name);
    td_status st = td_rows_keys(db, a, &it->src, &k);
    if (st)
        return td_op_fail(op, st, 503, "import_source_unreachable",
                          "cannot read the keys of %s", it->src.name);
    it->key = td_arena_alloc(a, (k.npk + 1) * sizeof(int));
    it->cols = td_arena_alloc(a, ((size_t)it->src.ncols + 1) * sizeof(*it->cols));
    if (!it->key || !it->cols)
        return TD_E_NOMEM;
    for (size_t i = 0; i < k.npk; i++)
        for (int c = 0; c < it->src.ncols; c++)
            if (c != it->tcol && !strcmp(k.pk[i], it->src.cols[c].name))
                it->key[it->nkey++] = c;
    if (!it->nkey)
        return td_op_fail(op, TD_E_INVALID, 400, "import_no_primary_key",
                          "table %s has no primary key besides the tenant column", it->src.name);
    it->cols[it->ncols++] = (imp_col_t){.name = "src_id", .src = -1, .kind = TD_ROWS_TEXT,
                                        .field = "text"};
    for (int c = 0; !st && c < it->src.ncols; c++) {
        int skip;
        if (c != it->tcol && !(st = map_column(op, it, &k, tenant, c, &it->cols[it->ncols], &skip)))
            it->ncols += !skip && c != it->tcol;
    }
    return st;
}

/* The target's row shape: id, the mapped columns, created_at, updated_at. */
static td_status dst_shape(td_arena_t *a, imp_table_t *it) {
    td_rows_col_t *c = td_arena_alloc(a, ((size_t)it->ncols + 3) * sizeof(*c));
    if (!c)
        return TD_E_NOMEM;
    int n = 0;
    c[n++] = (td_rows_col_t){"id", TD_ROWS_TEXT};
    for (int i = 0; i < it->ncols; i++)
        c[n++] = (td_rows_col_t){it->cols[i].name, it->cols[i].kind};
    c[n++] = (td_rows_col_t){"created_at", TD_ROWS_TEXT};
    c[n++] = (td_rows_col_t){"updated_at", TD_ROWS_TEXT};
    it->dst = (td_rows_table_t){.name = it->src.name, .cols = c, .ncols = n};
    return TD_OK;
}

/* Every ref names an imported table keyed by the referenced column. */
static td_status check_refs(td_op_t *op, imp_source_t *s) {
    for (size_t i = 0; i < s->n; i++)
        for (int c = 0; c < s->t[i].ncols; c++) {
            const imp_col_t *ic = &s->t[i].cols[c];
            const imp_table_t *p = NULL;
            for (size_t j = 0; ic->ref && j < s->n; j++)
                if (!strcmp(s->t[j].src.name, ic->ref))
                    p = &s->t[j];
            if (ic->ref && (!p || p->nkey != 1 ||
                            (*ic->to && strcmp(ic->to, p->src.cols[p->key[0]].name))))
                return td_op_fail(op, TD_E_INVALID, 400, "import_unsupported_key",
                                  "%s.%s references %s other than by its one-column key",
                                  s->t[i].src.name, ic->name, ic->ref);
        }
    return TD_OK;
}

static int str_cmp(const void *x, const void *y) {
    return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* The distinct tenant values over every table, sorted. */
static td_status tenant_values(td_op_t *op, imp_source_t *s, const char *column) {
    size_t cap = 0;
    td_status st = TD_OK;
    for (size_t i = 0; !st && i < s->n; i++) {
        const char **v;
        size_t n;
        int64_t nulls;
        st = td_rows_distinct(s->db, op->arena, &s->t[i].src, column, &v, &n, &nulls);
        s->null_rows += nulls;
        const char **all = st ? NULL : td_arena_alloc(op->arena, (cap + n + 1) * sizeof(*all));
        if (!st && !all)
            st = TD_E_NOMEM;
        if (st)
            break;
        if (s->nvalues)
            memcpy(all, s->values, s->nvalues * sizeof(*all));
        for (size_t j = 0; j < n; j++) {
            size_t k = 0;
            while (k < s->nvalues && strcmp(all[k], v[j]))
                k++;
            if (k == s->nvalues)
                all[s->nvalues++] = v[j];
        }
        s->values = all, cap += n;
    }
    if (st)
        return td_op_fail(op, st, 503, "import_source_unreachable",
                          "cannot read the tenant column's values");
    if (s->nvalues)
        qsort(s->values, s->nvalues, sizeof(*s->values), str_cmp);
    return TD_OK;
}

/* Finds each table's tenant column; 400 naming the tables without it. */
static td_status find_tenant_column(td_op_t *op, imp_source_t *s, const char *column) {
    char missing[200] = "";
    size_t len = 0;
    for (size_t i = 0; i < s->n; i++) {
        s->t[i].tcol = -1;
        for (int c = 0; c < s->t[i].src.ncols; c++)
            if (!strcmp(s->t[i].src.cols[c].name, column))
                s->t[i].tcol = c;
        if (s->t[i].tcol < 0 && len < sizeof(missing))
            len += (size_t)snprintf(missing + len, sizeof(missing) - len, "%s%s",
                                    len ? ", " : "", s->t[i].src.name);
    }
    if (!s->n)
        return td_op_fail(op, TD_E_INVALID, 400, "import_tenant_column_missing",
                          "the source has no tables");
    if (*missing)
        return td_op_fail(op, TD_E_INVALID, 400, "import_tenant_column_missing",
                          "tables without column %.40s: %s", column, missing);
    return TD_OK;
}

td_status imp_source_open(td_op_t *op, const char *from, const char *column, imp_source_t *s) {
    const char *schema;
    td_rows_table_t *tabs = NULL;
    *s = (imp_source_t){0};
    if (!ident_ok(column))
        return td_op_fail(op, TD_E_INVALID, 400, "import_bad_name",
                          "--tenant-column: names are [a-z][a-z0-9_]*");
    td_status st = open_source(op, from, &s->db, &schema);
    if (!st && (st = td_rows_tables(s->db, op->arena, schema, &tabs, &s->n)))
        td_op_fail(op, st, 503, "import_source_unreachable", "cannot read the source's tables");
    if (!st && !(s->t = td_arena_alloc(op->arena, (s->n + 1) * sizeof(*s->t))))
        st = TD_E_NOMEM;
    for (size_t i = 0; !st && i < s->n; i++)
        s->t[i] = (imp_table_t){.src = tabs[i]};
    if (!st)
        st = find_tenant_column(op, s, column);
    for (size_t i = 0; !st && i < s->n; i++)
        if (!(st = map_table(op, s->db, column, &s->t[i])))
            st = dst_shape(op->arena, &s->t[i]);
    if (!st)
        st = check_refs(op, s);
    if (!st)
        st = tenant_values(op, s, column);
    if (st && !op->err.st)
        td_op_fail_status(op, st, NULL);
    return st;
}

void imp_source_close(imp_source_t *s) {
    if (s->db) {
        td_db_rollback(s->db);
        td_db_close(s->db);
    }
    s->db = NULL;
}
