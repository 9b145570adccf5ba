/* rowstream.c — a tenant's service tables as backend-neutral rows
 * (rowstream.h). The only dialect SQL here is how each backend lists its
 * tables, columns and foreign keys, begins a snapshot, and pages through a
 * big table (PostgreSQL: a cursor, so a table never sits whole in memory);
 * reading and writing values go through the td_db_* wrappers. */
#include "store/rowstream.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"

static int is_pg(td_db_t *db) { return strcmp(td_db_dialect(db), "postgres") == 0; }

td_status td_rows_snapshot(td_db_t *db, const char *const *services, size_t n) {
    if (is_pg(db))
        return td_db_exec(db, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    td_status st = td_db_begin(db, TD_DB_READ);
    /* SQLite takes each attached file's snapshot at its first read: read
     * them all now, one after the other, before any row is copied */
    for (size_t i = 0; !st && i < n; i++) {
        char sql[160];
        td_stmt_t *s = NULL;
        snprintf(sql, sizeof(sql), "SELECT count(*) FROM \"%s\".sqlite_master", services[i]);
        st = td_db_prepare(db, sql, &s);
        if (!st)
            st = td_db_drain(s);
        td_db_finalize(s);
    }
    if (st)
        td_db_rollback(db);
    return st;
}

/* The kind of a declared column type, by SQLite's affinity rules (which
 * also read PostgreSQL's type names right). */
static int kind_of(const char *type) {
    char up[64];
    size_t i = 0;
    for (; type && type[i] && i + 1 < sizeof(up); i++)
        up[i] = (char)(type[i] >= 'a' && type[i] <= 'z' ? type[i] - 32 : type[i]);
    up[i] = '\0';
    if (strstr(up, "INT"))
        return TD_ROWS_INT;
    if (strstr(up, "CHAR") || strstr(up, "CLOB") || strstr(up, "TEXT"))
        return TD_ROWS_TEXT;
    if (strstr(up, "BLOB") || strstr(up, "BYTEA"))
        return TD_ROWS_BLOB;
    if (strstr(up, "REAL") || strstr(up, "FLOA") || strstr(up, "DOUB"))
        return TD_ROWS_REAL;
    return TD_ROWS_TEXT;
}

static int internal_table(const char *name) {
    return !strncmp(name, "sqlite_", 7) || !strcmp(name, "td_migrations") ||
           !strcmp(name, "td_outbox");
}

/* Rows of a one-text-parameter query as arena strings: column 0 (and 1
 * into b when b is not NULL). */
static td_status query_pairs(td_db_t *db, td_arena_t *a, const char *sql, const char *p1,
                             const char *p2, const char ***a_out, const char ***b_out, size_t *n) {
    td_stmt_t *s = NULL;
    size_t cap = 16, k = 0;
    const char **va = td_arena_alloc(a, cap * sizeof(*va));
    const char **vb = td_arena_alloc(a, cap * sizeof(*vb));
    td_status st = va && vb ? td_db_prepare(db, sql, &s) : TD_E_NOMEM;
    if (!st && p1)
        st = td_db_bind_text(s, 1, p1);
    if (!st && p2)
        st = td_db_bind_text(s, 2, p2);
    int r;
    while (!st && (r = td_db_step(s)) == TD_DB_ROW) {
        if (k == cap) {
            const char **na = td_arena_alloc(a, 2 * cap * sizeof(*na));
            const char **nb = td_arena_alloc(a, 2 * cap * sizeof(*nb));
            if (!na || !nb) {
                st = TD_E_NOMEM;
                break;
            }
            memcpy(na, va, cap * sizeof(*na));
            memcpy(nb, vb, cap * sizeof(*nb));
            va = na, vb = nb, cap *= 2;
        }
        va[k] = td_db_column_dup(s, a, 0);
        vb[k] = b_out ? td_db_column_dup(s, a, 1) : NULL;
        k++;
    }
    if (!st && r < 0)
        st = (td_status)r;
    td_db_finalize(s);
    *a_out = va;
    if (b_out)
        *b_out = vb;
    *n = k;
    return st;
}

static td_status table_columns(td_db_t *db, td_arena_t *a, td_rows_table_t *t) {
    const char **names, **types;
    size_t n;
    const char *sql = is_pg(db) ? "SELECT column_name, data_type FROM information_schema.columns"
                                  " WHERE table_schema = ? AND table_name = ?"
                                  " ORDER BY ordinal_position"
                                : "SELECT name, type FROM pragma_table_info(?2, ?1) ORDER BY cid";
    td_status st = query_pairs(db, a, sql, t->service, t->name, &names, &types, &n);
    if (!st && !(t->cols = td_arena_alloc(a, (n ? n : 1) * sizeof(*t->cols))))
        st = TD_E_NOMEM;
    for (size_t i = 0; !st && i < n; i++)
        t->cols[i] = (td_rows_col_t){.name = names[i], .kind = kind_of(types[i])};
    t->ncols = (int)n;
    return st ? st : n ? TD_OK : TD_E_DB;
}

/* Orders tables so that referenced ones come first (a table referencing
 * itself or a cycle keeps the order it had). */
static void order_by_refs(td_rows_table_t *t, size_t n, const char **from, const char **to,
                          size_t nrefs) {
    for (size_t pass = 0; pass < n; pass++) {
        int moved = 0;
        for (size_t i = 0; i < n && !moved; i++)
            for (size_t r = 0; r < nrefs && !moved; r++) {
                if (strcmp(from[r], t[i].name) || !strcmp(to[r], t[i].name))
                    continue;
                for (size_t j = i + 1; j < n; j++)
                    if (!strcmp(t[j].name, to[r])) { /* move j before i */
                        td_rows_table_t tmp = t[j];
                        memmove(&t[i + 1], &t[i], (j - i) * sizeof(*t));
                        t[i] = tmp;
                        moved = 1;
                        break;
                    }
            }
        if (!moved)
            return;
    }
}

td_status td_rows_tables(td_db_t *db, td_arena_t *a, const char *service, td_rows_table_t **out,
                         size_t *n) {
    const char **names, **from, **to;
    size_t nt, nrefs = 0, k = 0;
    char sql[512];
    const char *list_sql;
    if (is_pg(db))
        list_sql = "SELECT table_name FROM information_schema.tables WHERE table_schema = ?"
                   " AND table_type = 'BASE TABLE' ORDER BY table_name";
    else {
        snprintf(sql, sizeof(sql),
                 "SELECT name FROM \"%s\".sqlite_master WHERE type = 'table' AND ? IS NOT NULL"
                 " ORDER BY name", service);
        list_sql = sql;
    }
    td_status st = query_pairs(db, a, list_sql, service, NULL, &names, NULL, &nt);
    td_rows_table_t *t = st ? NULL : td_arena_alloc(a, (nt ? nt : 1) * sizeof(*t));
    if (!st && !t)
        st = TD_E_NOMEM;
    for (size_t i = 0; !st && i < nt; i++) {
        if (internal_table(names[i]))
            continue;
        t[k] = (td_rows_table_t){.service = service, .name = names[i]};
        st = table_columns(db, a, &t[k++]);
    }
    if (!st && is_pg(db))
        st = query_pairs(db, a,
                         "SELECT r.relname, f.relname FROM pg_constraint c"
                         " JOIN pg_class r ON r.oid = c.conrelid"
                         " JOIN pg_class f ON f.oid = c.confrelid"
                         " JOIN pg_namespace s ON s.oid = r.relnamespace"
                         " WHERE c.contype = 'f' AND s.nspname = ?",
                         service, NULL, &from, &to, &nrefs);
    else if (!st) {
        snprintf(sql, sizeof(sql),
                 "SELECT m.name, f.\"table\" FROM \"%s\".sqlite_master m,"
                 " pragma_foreign_key_list(m.name, ?) f WHERE m.type = 'table'", service);
        st = query_pairs(db, a, sql, service, NULL, &from, &to, &nrefs);
    }
    if (!st)
        order_by_refs(t, k, from, to, nrefs);
    *out = t;
    *n = k;
    return st;
}

td_status td_rows_count(td_db_t *db, const td_rows_table_t *t, int64_t *out) {
    char sql[300];
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM \"%s\".\"%s\"", t->service, t->name);
    td_stmt_t *s = NULL;
    td_status st = td_db_prepare(db, sql, &s);
    int r = st ? 0 : td_db_step(s);
    if (!st)
        st = r == TD_DB_ROW ? TD_OK : r < 0 ? (td_status)r : TD_E_DB;
    *out = st ? 0 : td_db_column_int64(s, 0);
    td_db_finalize(s);
    return st;
}

/* The SELECT of every column: "SELECT "a", "b" FROM "s"."t"". */
static td_status select_sql(const td_rows_table_t *t, const char *order, td_buf_t *b) {
    td_status st = td_buf_puts(b, "SELECT ");
    for (int c = 0; !st && c < t->ncols; c++)
        st = td_buf_printf(b, "%s\"%s\"", c ? ", " : "", t->cols[c].name);
    if (!st)
        st = td_buf_printf(b, " FROM \"%s\".\"%s\"%s", t->service, t->name, order);
    return st;
}

/* 1 when s is an integer in its one canonical decimal form. */
static int canonical_int(const char *s, int64_t *v) {
    char *end;
    errno = 0;
    long long x = strtoll(s, &end, 10);
    if (errno || end == s || *end)
        return 0;
    char back[32];
    snprintf(back, sizeof(back), "%lld", x);
    *v = x;
    return strcmp(back, s) == 0;
}

/* The current row's value of column c, read as its declared kind; a value
 * stored as another class (SQLite lets a text sit in an INTEGER column)
 * travels as text, so nothing is lost. */
static void read_value(td_stmt_t *s, int c, int kind, td_rows_val_t *v) {
    *v = (td_rows_val_t){.kind = TD_ROWS_NULL};
    if (td_db_column_is_null(s, c))
        return;
    if (kind == TD_ROWS_BLOB) {
        v->kind = TD_ROWS_BLOB;
        v->p = td_db_column_blob(s, c, &v->n);
        if (!v->p)
            v->p = "";
        return;
    }
    const char *txt = td_db_column_text(s, c);
    if (!txt)
        txt = "";
    if (kind == TD_ROWS_INT && canonical_int(txt, &v->i)) {
        v->kind = TD_ROWS_INT;
        return;
    }
    if (kind == TD_ROWS_REAL && *txt) {
        char *end;
        (void)strtod(txt, &end);
        if (!*end) {
            v->kind = TD_ROWS_REAL;
            v->r = td_db_column_double(s, c);
            return;
        }
    }
    v->kind = TD_ROWS_TEXT;
    v->p = txt;
    v->n = strlen(txt);
}

/* Steps s to its end, calling fn per row; *rows counts them. */
static td_status each_row(td_stmt_t *s, const td_rows_table_t *t, td_rows_val_t *vals,
                          td_rows_fn fn, void *ctx, int64_t *rows) {
    td_status st = TD_OK;
    int r;
    while (!st && (r = td_db_step(s)) == TD_DB_ROW) {
        for (int c = 0; c < t->ncols; c++)
            read_value(s, c, t->cols[c].kind, &vals[c]);
        st = fn(ctx, vals);
        (*rows)++;
    }
    return st ? st : r < 0 ? (td_status)r : TD_OK;
}

/* Opens the PostgreSQL cursor of sql, value (when not NULL) its one
 * parameter. */
static td_status open_cursor(td_db_t *db, const char *sql, const char *value) {
    td_stmt_t *s = NULL;
    td_status st = td_db_prepare(db, sql, &s);
    if (!st && value)
        st = td_db_bind_text(s, 1, value);
    if (!st)
        st = td_db_drain(s);
    td_db_finalize(s);
    return st;
}

/* td_rows_read, of the rows whose column col (as text) is value when col
 * is not NULL. */
static td_status read_rows(td_db_t *db, const td_rows_table_t *t, const char *col,
                           const char *value, td_rows_fn fn, void *ctx) {
    td_buf_t sql;
    td_buf_init(&sql, 1 << 20);
    td_rows_val_t *vals = calloc((size_t)t->ncols, sizeof(*vals));
    td_stmt_t *s = NULL;
    int pg = is_pg(db);
    char order[300];
    if (col)
        snprintf(order, sizeof(order), " WHERE CAST(\"%s\" AS TEXT) = ?%s", col,
                 pg ? "" : " ORDER BY rowid");
    else
        snprintf(order, sizeof(order), "%s", pg ? "" : " ORDER BY rowid");
    td_status st = vals ? TD_OK : TD_E_NOMEM;
    if (!st && pg)
        st = td_buf_puts(&sql, "DECLARE td_rows_cur NO SCROLL CURSOR FOR ");
    if (!st)
        st = select_sql(t, order, &sql);
    if (!st && pg) /* a page at a time: a big table never sits whole in memory */
        st = open_cursor(db, td_buf_str(&sql), col ? value : NULL);
    for (int64_t got = 1; !st && got > 0;) {
        got = 0;
        st = td_db_prepare(db, pg ? "FETCH 2000 FROM td_rows_cur" : td_buf_str(&sql), &s);
        if (!st && !pg && col)
            st = td_db_bind_text(s, 1, value);
        if (!st)
            st = each_row(s, t, vals, fn, ctx, &got);
        td_db_finalize(s);
        s = NULL;
        if (!pg)
            break;
    }
    if (pg)
        td_db_exec(db, "CLOSE td_rows_cur");
    free(vals);
    td_buf_free(&sql);
    return st;
}

td_status td_rows_read(td_db_t *db, const td_rows_table_t *t, td_rows_fn fn, void *ctx) {
    return read_rows(db, t, NULL, NULL, fn, ctx);
}

td_status td_rows_read_where(td_db_t *db, const td_rows_table_t *t, const char *col,
                             const char *value, td_rows_fn fn, void *ctx) {
    return read_rows(db, t, col, value, fn, ctx);
}

td_status td_rows_load_begin(td_db_t *db) {
    td_status st = td_db_begin(db, TD_DB_WRITE);
    if (!st && !is_pg(db))
        st = td_db_exec(db, "PRAGMA defer_foreign_keys = ON");
    return st;
}

/* The CREATE INDEX text sql made to name its schema: "CREATE [UNIQUE]
 * INDEX [IF NOT EXISTS] "svc".name ON …", appended to b. */
static td_status qualified_index(td_buf_t *b, const char *service, const char *sql) {
    const char *at = strstr(sql, "INDEX ");
    if (!at)
        return TD_E_INVALID;
    at += 6;
    if (!strncmp(at, "IF NOT EXISTS ", 14))
        at += 14;
    td_status st = td_buf_append(b, sql, (size_t)(at - sql));
    if (!st)
        st = td_buf_printf(b, "\"%s\".%s;\n", service, at);
    return st;
}

td_status td_rows_indexes_off(td_db_t *db, td_arena_t *a, const char *service,
                              const char **saved) {
    const char **names, **sqls;
    size_t n = 0;
    char sql[300];
    *saved = "";
    if (is_pg(db))
        return TD_OK;
    snprintf(sql, sizeof(sql),
             "SELECT name, sql FROM \"%s\".sqlite_master WHERE type = 'index' AND sql IS NOT"
             " NULL AND ? IS NOT NULL", service);
    td_status st = query_pairs(db, a, sql, service, NULL, &names, &sqls, &n);
    td_buf_t b;
    td_buf_init(&b, 1 << 20);
    for (size_t i = 0; !st && i < n; i++) {
        st = qualified_index(&b, service, sqls[i]);
        snprintf(sql, sizeof(sql), "DROP INDEX \"%s\".\"%s\"", service, names[i]);
        if (!st)
            st = td_db_exec(db, sql);
    }
    if (!st && !(*saved = td_arena_strdup(a, td_buf_str(&b))))
        st = TD_E_NOMEM;
    td_buf_free(&b);
    return st;
}

td_status td_rows_bulk_mode(td_db_t *db, const char *service, int on) {
    char sql[300];
    if (is_pg(db))
        return TD_OK;
    if (on)
        snprintf(sql, sizeof(sql),
                 "PRAGMA \"%s\".journal_mode = OFF; PRAGMA \"%s\".synchronous = OFF;"
                 " PRAGMA \"%s\".cache_size = -1024; PRAGMA \"%s\".mmap_size = 1073741824;"
                 " PRAGMA threads = 2",
                 service, service, service, service);
    else
        snprintf(sql, sizeof(sql), "PRAGMA \"%s\".journal_mode = WAL", service);
    return td_db_exec(db, sql);
}

td_status td_rows_indexes_on(td_db_t *db, const char *saved) {
    return saved && *saved ? td_db_exec(db, saved) : TD_OK;
}

td_status td_rows_schema_renew(td_db_t *db, const td_schema_t *svc) {
    char sql[300];
    if (!is_pg(db))
        return TD_E_INVALID;
    snprintf(sql, sizeof(sql), "DROP SCHEMA IF EXISTS \"%s_td_old\" CASCADE", svc->name);
    td_status st = td_db_exec(db, sql);
    snprintf(sql, sizeof(sql), "ALTER SCHEMA \"%s\" RENAME TO \"%s_td_old\"", svc->name,
             svc->name);
    if (!st)
        st = td_db_exec(db, sql);
    for (size_t i = 0; !st && i < svc->n; i++)
        st = td_db_exec(db, svc->migs[i].sql);
    return st ? st : td_rows_schema_grant(db, svc->name);
}

td_status td_rows_schema_drop_old(td_db_t *db, const char *service) {
    char sql[800];
    /* the undrained records keep their numbers (the drain's cursor) */
    snprintf(sql, sizeof(sql),
             "INSERT INTO \"%s\".td_outbox OVERRIDING SYSTEM VALUE SELECT * FROM"
             " \"%s_td_old\".td_outbox;"
             " SELECT setval(pg_get_serial_sequence('\"%s\".td_outbox', 'seq'),"
             " GREATEST((SELECT COALESCE(max(seq), 0) + 1 FROM \"%s_td_old\".td_outbox),"
             " nextval(pg_get_serial_sequence('\"%s_td_old\".td_outbox', 'seq')::regclass)),"
             " false)",
             service, service, service, service, service);
    td_status st = td_db_exec(db, sql);
    snprintf(sql, sizeof(sql), "DROP SCHEMA \"%s_td_old\" CASCADE", service);
    if (!st)
        st = td_db_exec(db, sql);
    return st;
}

td_status td_rows_clear(td_db_t *db, const td_rows_table_t *t) {
    char sql[300];
    snprintf(sql, sizeof(sql), "DELETE FROM \"%s\".\"%s\"", t->service, t->name);
    return td_db_exec(db, sql);
}

/* ---- writing ---- */

struct td_rows_writer {
    td_db_t *db;
    const td_rows_table_t *t;
    char *cols;      /* "\"a\", \"b\"" */
    char *sql;       /* the INSERT of a full batch */
    size_t per;      /* rows per statement */
    size_t nrows;    /* buffered */
    td_rows_val_t *vals; /* per × ncols */
    td_buf_t data;   /* the bytes of buffered texts and blobs */
    size_t *offs;    /* per value: offset of its bytes in data */
};

td_status td_rows_writer_new(td_db_t *db, const td_rows_table_t *t, td_rows_writer_t **out) {
    td_rows_writer_t *w = calloc(1, sizeof(*w));
    td_buf_t cols;
    td_buf_init(&cols, 1 << 16);
    td_status st = w ? TD_OK : TD_E_NOMEM;
    for (int c = 0; !st && c < t->ncols; c++)
        st = td_buf_printf(&cols, "%s\"%s\"", c ? ", " : "", t->cols[c].name);
    if (!st) {
        char table[300];
        snprintf(table, sizeof(table), "\"%s\".\"%s\"", t->service, t->name);
        w->db = db, w->t = t;
        w->per = (size_t)(30000 / t->ncols);
        w->per = w->per > 500 ? 500 : w->per ? w->per : 1;
        w->cols = strdup(td_buf_str(&cols));
        w->sql = td_db_values_sql(table, w->cols, t->ncols, w->per);
        w->vals = calloc(w->per * (size_t)t->ncols, sizeof(*w->vals));
        w->offs = calloc(w->per * (size_t)t->ncols, sizeof(*w->offs));
        td_buf_init(&w->data, (size_t)1 << 30);
        if (!w->cols || !w->sql || !w->vals || !w->offs)
            st = TD_E_NOMEM;
    }
    td_buf_free(&cols);
    if (st && w) {
        td_rows_writer_end(w);
        w = NULL;
    }
    *out = w;
    return st;
}

/* Binds value v as parameter idx. */
static td_status bind_value(td_stmt_t *s, int idx, const td_rows_val_t *v, const char *bytes) {
    char num[40];
    switch (v->kind) {
    case TD_ROWS_INT:
        return td_db_bind_int64(s, idx, v->i);
    case TD_ROWS_REAL:
        snprintf(num, sizeof(num), "%.17g", v->r);
        return td_db_bind_text(s, idx, num);
    case TD_ROWS_TEXT:
        return td_db_bind_text(s, idx, bytes);
    case TD_ROWS_BLOB:
        return td_db_bind_blob(s, idx, bytes, v->n);
    default:
        return td_db_bind_null(s, idx);
    }
}

/* Inserts the buffered rows: a full batch with the prepared statement of
 * per rows, a last short one with its own. */
static td_status flush(td_rows_writer_t *w) {
    if (!w->nrows)
        return TD_OK;
    char *own = NULL;
    char table[300];
    snprintf(table, sizeof(table), "\"%s\".\"%s\"", w->t->service, w->t->name);
    if (w->nrows < w->per && !(own = td_db_values_sql(table, w->cols, w->t->ncols, w->nrows)))
        return TD_E_NOMEM;
    td_stmt_t *s = NULL;
    td_status st = td_db_prepare(w->db, own ? own : w->sql, &s);
    const char *base = td_buf_str(&w->data);
    for (size_t k = 0; !st && k < w->nrows * (size_t)w->t->ncols; k++)
        st = bind_value(s, (int)k + 1, &w->vals[k], base + w->offs[k]);
    if (!st)
        st = td_db_drain(s);
    td_db_finalize(s);
    free(own);
    w->nrows = 0;
    td_buf_reset(&w->data);
    return st;
}

td_status td_rows_write(td_rows_writer_t *w, const td_rows_val_t *vals) {
    size_t base = w->nrows * (size_t)w->t->ncols;
    td_status st = TD_OK;
    for (int c = 0; !st && c < w->t->ncols; c++) {
        w->vals[base + c] = vals[c];
        w->offs[base + c] = w->data.len;
        if (vals[c].kind == TD_ROWS_TEXT || vals[c].kind == TD_ROWS_BLOB) {
            st = td_buf_append(&w->data, vals[c].p, vals[c].n);
            if (!st) /* texts are bound NUL-terminated */
                st = td_buf_append(&w->data, "", 1);
        }
    }
    if (!st && ++w->nrows == w->per)
        st = flush(w);
    return st;
}

td_status td_rows_writer_end(td_rows_writer_t *w) {
    if (!w)
        return TD_OK;
    td_status st = w->db ? flush(w) : TD_OK;
    free(w->cols);
    free(w->sql);
    free(w->vals);
    free(w->offs);
    td_buf_free(&w->data);
    free(w);
    return st;
}

/* ---- changing single rows (moves bring a copy up to date) ---- */

/* Binds the values (texts NUL-terminated, as reads give them) of the
 * columns cols[0..n) from vals, from parameter first on. */
static td_status bind_cols(td_stmt_t *s, int first, const td_rows_val_t *vals, const int *cols,
                           int n) {
    td_status st = TD_OK;
    for (int k = 0; !st && k < n; k++)
        st = bind_value(s, first + k, &vals[cols[k]], vals[cols[k]].p);
    return st;
}

/* " WHERE "k" = ?" on the key column, or every column compared NULL-safe
 * when key < 0; *cols gets the column numbers bound, in order. */
static td_status where_key(td_buf_t *b, const td_rows_table_t *t, int key, int pg, int *cols,
                           int *n) {
    td_status st = td_buf_puts(b, " WHERE ");
    *n = 0;
    for (int c = 0; !st && c < t->ncols; c++) {
        if (key >= 0 && c != key)
            continue;
        st = td_buf_printf(b, "%s\"%s\" %s ?", *n ? " AND " : "", t->cols[c].name,
                           key >= 0 ? "=" : pg ? "IS NOT DISTINCT FROM" : "IS");
        cols[(*n)++] = c;
    }
    return st;
}

static td_status run_bound(td_db_t *db, const char *sql, const td_rows_val_t *vals,
                           const int *cols, int n) {
    td_stmt_t *s = NULL;
    td_status st = td_db_prepare(db, sql, &s);
    if (!st)
        st = bind_cols(s, 1, vals, cols, n);
    if (!st)
        st = td_db_drain(s);
    td_db_finalize(s);
    return st;
}

td_status td_rows_update(td_db_t *db, const td_rows_table_t *t, int key,
                         const td_rows_val_t *vals) {
    if (key < 0 || key >= t->ncols)
        return TD_E_INVALID;
    td_buf_t sql;
    td_buf_init(&sql, 1 << 20);
    int *cols = calloc((size_t)t->ncols + 1, sizeof(*cols)), n = 0, nk = 0;
    td_status st = cols ? td_buf_printf(&sql, "UPDATE \"%s\".\"%s\" SET ", t->service, t->name)
                        : TD_E_NOMEM;
    for (int c = 0; !st && c < t->ncols; c++) {
        if (c == key)
            continue;
        st = td_buf_printf(&sql, "%s\"%s\" = ?", n ? ", " : "", t->cols[c].name);
        cols[n++] = c;
    }
    if (!st)
        st = where_key(&sql, t, key, is_pg(db), cols + n, &nk);
    if (!st && n) /* a table of its key alone has nothing to change */
        st = run_bound(db, td_buf_str(&sql), vals, cols, n + nk);
    free(cols);
    td_buf_free(&sql);
    return st;
}

td_status td_rows_delete(td_db_t *db, const td_rows_table_t *t, int key,
                         const td_rows_val_t *vals) {
    td_buf_t sql;
    td_buf_init(&sql, 1 << 20);
    int *cols = calloc((size_t)t->ncols, sizeof(*cols)), n = 0;
    td_status st = cols ? td_buf_printf(&sql, "DELETE FROM \"%s\".\"%s\"", t->service, t->name)
                        : TD_E_NOMEM;
    if (!st)
        st = where_key(&sql, t, key, is_pg(db), cols, &n);
    if (!st)
        st = run_bound(db, td_buf_str(&sql), vals, cols, n);
    free(cols);
    td_buf_free(&sql);
    return st;
}

td_status td_rows_outbox_floor(td_db_t *db, const char *service, int64_t next) {
    char sql[400], num[32];
    if (next <= 1)
        return TD_OK;
    snprintf(num, sizeof(num), "%lld", (long long)(next - 1));
    if (is_pg(db)) {
        snprintf(sql, sizeof(sql),
                 "SELECT setval(pg_get_serial_sequence('\"%s\".td_outbox', 'seq'),"
                 " greatest(%s, (SELECT coalesce(max(seq), 0) FROM \"%s\".td_outbox)))",
                 service, num, service);
        return td_db_exec(db, sql);
    }
    snprintf(sql, sizeof(sql), "DELETE FROM \"%s\".sqlite_sequence WHERE name = 'td_outbox'",
             service);
    td_status st = td_db_exec(db, sql);
    snprintf(sql, sizeof(sql),
             "INSERT INTO \"%s\".sqlite_sequence (name, seq) SELECT 'td_outbox',"
             " max(%s, (SELECT coalesce(max(seq), 0) FROM \"%s\".td_outbox))",
             service, num, service);
    return st ? st : td_db_exec(db, sql);
}
