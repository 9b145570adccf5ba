/* rowsource.c — the keys of a database that is no tenant's (rowstream.h):
 * an import reads a shared database's declared types, primary keys,
 * foreign keys and the distinct values of its tenant column from the
 * database itself — SQLite's pragmas, PostgreSQL's catalogs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/rowstream.h"

static int is_pg(td_db_t *db) { return strcmp(td_db_dialect(db), "postgres") == 0; }

/* Rows of up to 4 text columns of sql (parameters p1, p2 when not NULL),
 * as arena strings row-major in *out (ncols per row; NULL stays NULL). */
static td_status query_rows(td_db_t *db, td_arena_t *a, const char *sql, const char *p1,
                            const char *p2, int ncols, const char ***out, size_t *n) {
    td_stmt_t *s = NULL;
    size_t cap = 16, k = 0;
    const char **v = td_arena_alloc(a, cap * (size_t)ncols * sizeof(*v));
    td_status st = v ? td_db_prepare(db, sql, &s) : TD_E_NOMEM;
    if (!st && p1)
        st = td_db_bind_text(s, 1, p1);
    if (!st && p2)
        st = td_db_bind_text(s, 2, p2);
    int r = 0;
    while (!st && (r = td_db_step(s)) == TD_DB_ROW) {
        if (k == cap) {
            const char **nv = td_arena_alloc(a, 2 * cap * (size_t)ncols * sizeof(*nv));
            if (!nv) {
                st = TD_E_NOMEM;
                break;
            }
            memcpy(nv, v, cap * (size_t)ncols * sizeof(*nv));
            v = nv, cap *= 2;
        }
        for (int c = 0; c < ncols; c++)
            v[k * (size_t)ncols + (size_t)c] =
                td_db_column_is_null(s, c) ? NULL : td_db_column_dup(s, a, c);
        k++;
    }
    if (!st && r < 0)
        st = (td_status)r;
    td_db_finalize(s);
    *out = v;
    *n = k;
    return st;
}

static const char *const PG_TYPES =
    "SELECT column_name, data_type FROM information_schema.columns"
    " WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position";
static const char *const LITE_TYPES =
    "SELECT name, type FROM pragma_table_info(?2, ?1) ORDER BY cid";
static const char *const PG_PK =
    "SELECT a.attname FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid"
    " JOIN pg_namespace n ON n.oid = c.relnamespace"
    " JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY (i.indkey)"
    " WHERE i.indisprimary AND n.nspname = ? AND c.relname = ?"
    " ORDER BY array_position(i.indkey::int2[], a.attnum)";
static const char *const LITE_PK =
    "SELECT name FROM pragma_table_info(?2, ?1) WHERE pk > 0 ORDER BY pk";
static const char *const PG_FK =
    "SELECT a.attname, f.relname, af.attname, c.oid::text FROM pg_constraint c"
    " JOIN pg_class r ON r.oid = c.conrelid JOIN pg_namespace s ON s.oid = r.relnamespace"
    " JOIN pg_class f ON f.oid = c.confrelid"
    " CROSS JOIN LATERAL unnest(c.conkey, c.confkey) AS k(a1, a2)"
    " JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.a1"
    " JOIN pg_attribute af ON af.attrelid = c.confrelid AND af.attnum = k.a2"
    " WHERE c.contype = 'f' AND s.nspname = ? AND r.relname = ? ORDER BY c.oid, k.a1";
static const char *const LITE_FK =
    "SELECT \"from\", \"table\", coalesce(\"to\", ''), CAST(id AS TEXT)"
    " FROM pragma_foreign_key_list(?2, ?1) ORDER BY id, seq";

td_status td_rows_keys(td_db_t *db, td_arena_t *a, const td_rows_table_t *t,
                       td_rows_keys_t *out) {
    const char **v;
    size_t n;
    int pg = is_pg(db);
    *out = (td_rows_keys_t){0};
    td_status st = query_rows(db, a, pg ? PG_TYPES : LITE_TYPES, t->service, t->name, 2, &v, &n);
    if (!st && !(out->types = td_arena_alloc(a, ((size_t)t->ncols + 1) * sizeof(char *))))
        st = TD_E_NOMEM;
    for (int c = 0; !st && c < t->ncols; c++) {
        out->types[c] = "";
        for (size_t i = 0; i < n; i++)
            if (!strcmp(v[2 * i], t->cols[c].name))
                out->types[c] = v[2 * i + 1] ? v[2 * i + 1] : "";
    }
    if (!st)
        st = query_rows(db, a, pg ? PG_PK : LITE_PK, t->service, t->name, 1, &out->pk,
                        &out->npk);
    if (!st)
        st = query_rows(db, a, pg ? PG_FK : LITE_FK, t->service, t->name, 4, &v, &n);
    if (!st && !(out->fks = td_arena_alloc(a, (n ? n : 1) * sizeof(*out->fks))))
        st = TD_E_NOMEM;
    for (size_t i = 0; !st && i < n; i++)
        out->fks[i] = (td_rows_fk_t){.col = v[4 * i], .table = v[4 * i + 1],
                                     .to = v[4 * i + 2] ? v[4 * i + 2] : "",
                                     .group = atoi(v[4 * i + 3] ? v[4 * i + 3] : "0")};
    out->nfks = st ? 0 : n;
    return st;
}

td_status td_rows_distinct(td_db_t *db, td_arena_t *a, const td_rows_table_t *t, const char *col,
                           const char ***vals, size_t *n, int64_t *nulls) {
    char sql[600];
    const char **v;
    size_t k;
    snprintf(sql, sizeof(sql),
             "SELECT DISTINCT CAST(\"%s\" AS TEXT) FROM \"%s\".\"%s\" WHERE \"%s\" IS NOT NULL",
             col, t->service, t->name, col);
    td_status st = query_rows(db, a, sql, NULL, NULL, 1, vals, n);
    snprintf(sql, sizeof(sql),
             "SELECT CAST(count(*) AS TEXT) FROM \"%s\".\"%s\" WHERE \"%s\" IS NULL", t->service,
             t->name, col);
    if (!st)
        st = query_rows(db, a, sql, NULL, NULL, 1, &v, &k);
    *nulls = !st && k && v[0] ? strtoll(v[0], NULL, 10) : 0;
    return st;
}
