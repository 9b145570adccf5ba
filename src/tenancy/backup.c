/* backup.c — taking a tenant's backup and restoring one.
 *
 * The row stream inside a backup file (after decryption and
 * decompression; docs/backups.md):
 *
 *   'T' u16 n service | u16 n table | u16 ncols | per column: u8 kind, u16 n name
 *   'R' per column: u8 tag, then INT: i64 | REAL: f64 bits | TEXT, BLOB: u32 n, bytes
 *   'E' u64 rows of the table
 *   'Z' 32 bytes: BLAKE2b-256 of every byte of the stream before 'Z'
 *
 * Taking reads every service of the tenant in one snapshot
 * (td_rows_snapshot) on one connection counted by the tenant pool.
 * Restoring loads the rows into new databases beside the tenant's
 * (backup_swap.c) and swaps them in only once every row is in. */
#include "tenancy/backup.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fault.h"
#include "common/timeutil.h"
#include "store/rowstream.h"
#include "tenancy/backup_int.h"

/* ---- writing the stream ---- */

typedef struct {
    td_bk_writer_t *w;
    crypto_generichash_state h;
    td_bk_progress_fn fn;
    void *ctx;
    int64_t done, total, table_rows;
    const td_rows_table_t *t;
    unsigned char buf[1 << 16];
    size_t n;
} enc_t;

static td_status enc_flush(enc_t *e) {
    crypto_generichash_update(&e->h, e->buf, e->n);
    td_status st = td_bk_put(e->w, e->buf, e->n);
    e->n = 0;
    return st;
}

static td_status enc_put(enc_t *e, const void *p, size_t n) {
    if (e->n + n > sizeof(e->buf)) {
        td_status st = enc_flush(e);
        if (st)
            return st;
        if (n > sizeof(e->buf)) {
            crypto_generichash_update(&e->h, p, n);
            return td_bk_put(e->w, p, n);
        }
    }
    memcpy(e->buf + e->n, p, n);
    e->n += n;
    return TD_OK;
}

static td_status enc_u(enc_t *e, uint64_t v, int bytes) {
    unsigned char b[8];
    for (int i = 0; i < bytes; i++)
        b[i] = (unsigned char)(v >> (8 * (bytes - 1 - i)));
    return enc_put(e, b, (size_t)bytes);
}

static td_status enc_str(enc_t *e, const char *s) {
    size_t n = strlen(s);
    td_status st = n > 0xffff ? TD_E_TOOBIG : enc_u(e, n, 2);
    return st ? st : enc_put(e, s, n);
}

static td_status enc_table(enc_t *e, const td_rows_table_t *t) {
    td_status st = enc_put(e, "T", 1);
    if (!st)
        st = enc_str(e, t->service);
    if (!st)
        st = enc_str(e, t->name);
    if (!st)
        st = enc_u(e, (uint64_t)t->ncols, 2);
    for (int c = 0; !st && c < t->ncols; c++) {
        st = enc_u(e, (uint64_t)t->cols[c].kind, 1);
        if (!st)
            st = enc_str(e, t->cols[c].name);
    }
    return st;
}

/* One row: called by td_rows_read. */
static td_status enc_row(void *ctx, const td_rows_val_t *v) {
    enc_t *e = ctx;
    td_status st = enc_put(e, "R", 1);
    for (int c = 0; !st && c < e->t->ncols; c++) {
        st = enc_u(e, (uint64_t)v[c].kind, 1);
        if (st || v[c].kind == TD_ROWS_NULL)
            continue;
        if (v[c].kind == TD_ROWS_INT)
            st = enc_u(e, (uint64_t)v[c].i, 8);
        else if (v[c].kind == TD_ROWS_REAL) {
            uint64_t bits;
            memcpy(&bits, &v[c].r, 8);
            st = enc_u(e, bits, 8);
        } else {
            st = v[c].n > 0xffffffffu ? TD_E_TOOBIG : enc_u(e, v[c].n, 4);
            if (!st)
                st = enc_put(e, v[c].p, v[c].n);
        }
    }
    e->done++, e->table_rows++;
    if (!st && e->fn && e->done % 65536 == 0)
        st = e->fn(e->ctx, e->done, e->total, "rows copied");
    if (!st && e->done == e->total / 2 + 1)
        TD_FAULT("backup_mid");
    return st;
}

/* Every table of every service, with its row count, in the snapshot. */
static td_status list_tables(td_db_t *db, td_arena_t *a, const td_tenant_t *t, bk_tables_t *out) {
    out->n = 0;
    td_status st = TD_OK;
    for (size_t s = 0; !st && s < t->nsvc; s++) {
        td_rows_table_t *tt;
        size_t n;
        st = td_rows_tables(db, a, t->services[s], &tt, &n);
        for (size_t i = 0; !st && i < n && out->n < BK_TABLES_MAX; i++) {
            out->t[out->n] = tt[i];
            st = td_rows_count(db, &tt[i], &out->rows[out->n]);
            out->total += out->rows[out->n++];
        }
        if (!st && out->n == BK_TABLES_MAX)
            st = TD_E_TOOBIG;
    }
    return st;
}

/* The header: who, when, what (services and versions, row counts). */
static char *header_json(td_op_t *op, const td_tenant_t *t, const bk_tables_t *tb,
                         const char *created_at) {
    json_t *h = json_pack("{s:i, s:s, s:s, s:s, s:s, s:I}", "format", TD_BACKUP_FORMAT,
                          "tenant_id", t->row.id, "slug", t->row.slug, "backend",
                          t->row.backend, "created_at", created_at, "rows", (json_int_t)tb->total);
    json_t *svcs = json_array(), *tables = json_array();
    for (size_t s = 0; s < t->nsvc; s++) {
        int ver = 0;
        td_backup_schema_version(op, t->row.id, t->services[s], &ver);
        json_array_append_new(svcs, json_pack("{s:s, s:i}", "name", t->services[s], "version", ver));
    }
    for (size_t i = 0; i < tb->n; i++)
        json_array_append_new(tables, json_pack("{s:s, s:I}", "name",
                                                td_arena_printf(op->arena, "%s.%s",
                                                                tb->t[i].service, tb->t[i].name),
                                                "rows", (json_int_t)tb->rows[i]));
    json_object_set_new(h, "services", svcs);
    json_object_set_new(h, "tables", tables);
    char *s = json_dumps(h, JSON_COMPACT);
    json_decref(h);
    return s;
}

/* Streams every table into the writer. */
static td_status write_tables(td_db_t *db, enc_t *e, const bk_tables_t *tb) {
    td_status st = TD_OK;
    for (size_t i = 0; !st && i < tb->n; i++) {
        e->t = &tb->t[i];
        e->table_rows = 0;
        st = enc_table(e, e->t);
        if (!st)
            st = td_rows_read(db, e->t, enc_row, e);
        if (!st)
            st = enc_put(e, "E", 1);
        if (!st)
            st = enc_u(e, (uint64_t)e->table_rows, 8);
    }
    if (!st)
        st = enc_put(e, "Z", 1);
    if (!st)
        st = enc_flush(e);
    unsigned char d[32];
    crypto_generichash_final(&e->h, d, sizeof(d));
    if (!st)
        st = td_bk_put(e->w, d, sizeof(d));
    return st;
}

td_status td_backup_take(td_op_t *op, const td_tenant_t *t, const char *path,
                         td_bk_progress_fn fn, void *ctx, td_bk_result_t *out) {
    char err[256] = "";
    td_key_t tk;
    td_db_t *db = NULL;
    bk_tables_t *tb = calloc(1, sizeof(*tb));
    enc_t *e = calloc(1, sizeof(*e));
    char *hdr = NULL, created[32];
    td_time_iso(td_now_ms(), created, sizeof(created));
    td_status st = tb && e ? td_backup_tenant_key(op, t->row.id, &tk) : TD_E_NOMEM;
    if (!st && (st = td_tenant_open_db(op->platform, op->arena, t->row.id, &db, err,
                                       sizeof(err)))) {
        td_op_fail(op, st, 503, "tenant_unavailable", "the tenant's database does not answer");
        goto done;
    }
    if (!st)
        st = td_rows_snapshot(db, t->services, t->nsvc);
    if (!st)
        st = list_tables(db, op->arena, t, tb);
    if (!st && !(hdr = header_json(op, t, tb, created)))
        st = TD_E_NOMEM;
    if (!st)
        st = td_bk_writer_open(path, &tk, hdr, &e->w);
    if (!st) {
        crypto_generichash_init(&e->h, NULL, 0, 32);
        e->fn = fn, e->ctx = ctx, e->total = tb->total;
        st = write_tables(db, e, tb);
        td_status cst = td_bk_writer_close(e->w, !st, &out->size, out->checksum);
        st = st ? st : cst;
    }
    if (db)
        td_db_rollback(db);
    out->rows = tb ? tb->total : 0;
    out->created_at = td_arena_strdup(op->arena, created);
    if (st && !op->err.st)
        td_op_fail(op, st, st == TD_E_IO ? 500 : td_op_http_status(st), "backup_failed",
                   "the backup could not be written (%s)", td_status_code(st));
done:
    td_db_close(db);
    sodium_memzero(&tk, sizeof(tk));
    free(hdr);
    free(tb);
    free(e);
    return st;
}

/* ---- reading the stream ---- */

typedef struct {
    td_bk_reader_t *r;
} dec_t;

static td_status dec_get(dec_t *d, void *p, size_t n) {
    return td_bk_get(d->r, p, n);
}

static td_status dec_u(dec_t *d, int bytes, uint64_t *v) {
    unsigned char b[8];
    td_status st = dec_get(d, b, (size_t)bytes);
    *v = 0;
    for (int i = 0; !st && i < bytes; i++)
        *v = *v << 8 | b[i];
    return st;
}

static td_status dec_str(dec_t *d, td_arena_t *a, const char **out) {
    uint64_t n;
    td_status st = dec_u(d, 2, &n);
    char *s = st ? NULL : td_arena_alloc(a, n + 1);
    if (!st && !s)
        st = TD_E_NOMEM;
    if (!st)
        st = dec_get(d, s, n);
    *out = s;
    return st;
}

td_status bk_dec_table(void *dp, td_arena_t *a, td_rows_table_t *t) {
    dec_t *d = dp;
    uint64_t nc = 0;
    td_status st = dec_str(d, a, &t->service);
    if (!st)
        st = dec_str(d, a, &t->name);
    if (!st)
        st = dec_u(d, 2, &nc);
    if (!st && (nc == 0 || !(t->cols = td_arena_alloc(a, nc * sizeof(*t->cols)))))
        st = nc ? TD_E_NOMEM : TD_E_INVALID;
    for (uint64_t c = 0; !st && c < nc; c++) {
        uint64_t k;
        st = dec_u(d, 1, &k);
        t->cols[c].kind = (int)k;
        if (!st)
            st = dec_str(d, a, &t->cols[c].name);
    }
    t->ncols = (int)nc;
    return st;
}

/* One row into v (texts and blobs into buf, which grows). */
td_status bk_dec_row(void *dp, int ncols, td_rows_val_t *v, td_buf_t *buf) {
    dec_t *d = dp;
    td_status st = TD_OK;
    size_t stack[64], *offs = ncols <= 64 ? stack : malloc((size_t)ncols * sizeof(*offs));
    if (!offs)
        return TD_E_NOMEM;
    td_buf_reset(buf);
    for (int c = 0; !st && c < ncols; c++) {
        uint64_t tag, x;
        st = dec_u(d, 1, &tag);
        v[c] = (td_rows_val_t){.kind = (int)tag};
        if (st || tag == TD_ROWS_NULL)
            continue;
        if (tag == TD_ROWS_INT || tag == TD_ROWS_REAL) {
            st = dec_u(d, 8, &x);
            if (tag == TD_ROWS_INT)
                v[c].i = (int64_t)x;
            else
                memcpy(&v[c].r, &x, 8);
        } else if (tag == TD_ROWS_TEXT || tag == TD_ROWS_BLOB) {
            char *at;
            st = dec_u(d, 4, &x);
            offs[c] = buf->len;
            v[c].n = (size_t)x;
            if (!st) /* the bytes and their NUL (texts are bound as C strings) */
                st = td_buf_extend(buf, v[c].n + 1, &at);
            if (!st && !(st = dec_get(d, at, v[c].n)))
                at[v[c].n] = '\0';
        } else
            st = TD_E_INVALID;
    }
    for (int c = 0; !st && c < ncols; c++) /* the buffer may have moved */
        if (v[c].kind == TD_ROWS_TEXT || v[c].kind == TD_ROWS_BLOB)
            v[c].p = buf->data + offs[c];
    if (offs != stack)
        free(offs);
    return st;
}

td_status bk_dec_u64(void *dp, uint64_t *v) { return dec_u(dp, 8, v); }
td_status bk_dec_tag(void *dp, char *tag) { return dec_get(dp, tag, 1); }

/* After 'Z': the stream's own checksum, and its sealed end. */
td_status bk_dec_end(void *dp) {
    dec_t *d = dp;
    unsigned char want[32], got[32];
    td_bk_reader_digest(d->r, got);
    td_status st = td_bk_get(d->r, want, sizeof(want));
    if (!st && sodium_memcmp(want, got, sizeof(got)))
        st = TD_E_CRYPTO;
    if (!st)
        st = td_bk_reader_end(d->r);
    return st;
}

td_status bk_dec_open(const char *path, const td_key_t *tk, void **out, char *err,
                      size_t errlen) {
    dec_t *d = calloc(1, sizeof(*d));
    td_status st = d ? td_bk_reader_open(path, tk, &d->r, err, errlen) : TD_E_NOMEM;
    if (st) {
        free(d);
        d = NULL;
    }
    *out = d;
    return st;
}

void bk_dec_close(void *dp) {
    dec_t *d = dp;
    if (d)
        td_bk_reader_close(d->r);
    free(d);
}
