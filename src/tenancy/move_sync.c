/* move_sync.c — bringing one copy of a tenant's service up to date with
 * another, table by table (a move's copy, catch-ups and verification).
 *
 * For each table, in foreign-key order: the target's rows are read into a
 * map from each row's key (its "id", or the whole row for the few tables
 * without one) to the BLAKE2b-256 of its values; then the source's rows
 * are read, and a row missing from the map is inserted, a row whose hash
 * differs is updated. The target's rows the source no longer has are
 * deleted afterwards, children before parents. The first copy is the same
 * pass over an empty target. So a sync is idempotent: run again after a
 * crash, or after writes, it changes exactly what differs.
 *
 * The sum of a table (its row count and the sum of its rows' hashes,
 * which does not depend on the order rows come in — the backends sort
 * texts differently) is what verification compares on both sides. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "services/modules.h"
#include "tenancy/move_int.h"
#include "common/text.h"

enum { UNSEEN = 0, SEEN = 1, GONE = 2 }; /* a slot's mark in a pass (GONE: deleted) */

typedef struct {
    unsigned char *key; /* the encoded key values */
    uint32_t klen;
    uint8_t used, seen;
    unsigned char hash[32];
} slot_t;

typedef struct {
    td_arena_t *a;
    slot_t *slots;
    size_t cap, n;
} map_t;

static uint64_t key_hash(const unsigned char *k, size_t n) {
    return td_hash64_bytes(k, n);
}

static void map_free(map_t *m) {
    free(m->slots);
    td_arena_destroy(m->a);
    *m = (map_t){0};
}

static td_status map_grow(map_t *m) {
    size_t cap = m->cap ? m->cap * 2 : 1024;
    slot_t *s = calloc(cap, sizeof(*s));
    if (!s)
        return TD_E_NOMEM;
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->slots[i].used)
            continue;
        size_t j = key_hash(m->slots[i].key, m->slots[i].klen) & (cap - 1);
        while (s[j].used)
            j = (j + 1) & (cap - 1);
        s[j] = m->slots[i];
    }
    free(m->slots);
    m->slots = s, m->cap = cap;
    return TD_OK;
}

/* The slot of key, or the empty slot where it would go. */
static slot_t *map_find(map_t *m, const unsigned char *k, size_t n) {
    size_t j = key_hash(k, n) & (m->cap - 1);
    while (m->slots[j].used && (m->slots[j].klen != n || memcmp(m->slots[j].key, k, n)))
        j = (j + 1) & (m->cap - 1);
    return &m->slots[j];
}

/* ---- encoding values (the hash's input, and keys) ---- */

static td_status enc_val(td_buf_t *b, const td_rows_val_t *v) {
    unsigned char tag = (unsigned char)v->kind;
    td_status st = td_buf_append(b, &tag, 1);
    if (st || v->kind == TD_ROWS_NULL)
        return st;
    if (v->kind == TD_ROWS_INT)
        return td_buf_append(b, &v->i, 8);
    if (v->kind == TD_ROWS_REAL)
        return td_buf_append(b, &v->r, 8);
    uint64_t n = v->n;
    st = td_buf_append(b, &n, 8);
    return st ? st : td_buf_append(b, v->p, v->n);
}

/* The key's encoding: the key column's value, or every value. */
static td_status enc_key(td_buf_t *b, const td_rows_table_t *t, int key,
                         const td_rows_val_t *vals) {
    td_buf_reset(b);
    td_status st = TD_OK;
    for (int c = 0; !st && c < t->ncols; c++)
        if (key < 0 || c == key)
            st = enc_val(b, &vals[c]);
    return st;
}

static void row_hash(td_buf_t *scratch, const td_rows_table_t *t, const td_rows_val_t *vals,
                     unsigned char out[32]) {
    td_buf_reset(scratch);
    for (int c = 0; c < t->ncols; c++)
        enc_val(scratch, &vals[c]);
    crypto_generichash(out, 32, (const unsigned char *)scratch->data, scratch->len, NULL, 0);
}

static void sum_add(td_move_sum_t *s, const unsigned char h[32]) {
    s->rows++;
    for (int l = 0; l < 4; l++) {
        uint64_t x;
        memcpy(&x, h + 8 * l, 8);
        s->lane[l] += x;
    }
}

/* Decodes a key back into values (for a delete): the key column, or
 * every column. */
static void dec_key(const slot_t *s, const td_rows_table_t *t, int key, td_rows_val_t *vals,
                    char *texts) {
    const unsigned char *p = s->key;
    for (int c = 0; c < t->ncols; c++) {
        vals[c] = (td_rows_val_t){.kind = TD_ROWS_NULL};
        if (key >= 0 && c != key)
            continue;
        vals[c].kind = *p++;
        if (vals[c].kind == TD_ROWS_INT || vals[c].kind == TD_ROWS_REAL) {
            memcpy(vals[c].kind == TD_ROWS_INT ? (void *)&vals[c].i : (void *)&vals[c].r, p, 8);
            p += 8;
        } else if (vals[c].kind != TD_ROWS_NULL) {
            uint64_t n;
            memcpy(&n, p, 8);
            p += 8;
            /* texts are bound NUL-terminated: copied out with one */
            size_t off = (size_t)(p - s->key);
            memcpy(texts + off, p, n);
            texts[off + n] = '\0';
            vals[c].p = texts + off, vals[c].n = n;
            p += n;
        }
    }
}

/* ---- one table ---- */

/* What a move knows of one target table between passes: the map of its
 * rows as they are after the last pass (read once, then kept up to date
 * with what the passes wrote — nothing else writes the target before the
 * switch), so a pass reads only the source. */
typedef struct tmap {
    struct tmap *next;
    char *service, *table;
    map_t map;
} tmap_t;

/* A service's tables as the first pass read them from the source (the
 * schema does not change during a move: reading it again from
 * PostgreSQL's information schema costs more than a small table's rows). */
typedef struct tlist {
    struct tlist *next;
    char *service;
    td_rows_table_t *tabs;
    size_t n;
} tlist_t;

struct td_move_sync {
    td_move_beat_fn beat; /* every BEAT_ROWS source rows (a job's lease) */
    void *beat_ctx;
    int64_t rows;
    tmap_t *maps;
    map_t media;   /* media id → the hash of the bytes carried (between backends) */
    td_arena_t *a; /* the tables */
    tlist_t *lists;
};

#define BEAT_ROWS 20000

void td_move_sync_beat(td_move_sync_t *ms, td_move_beat_fn fn, void *ctx) {
    ms->beat = fn, ms->beat_ctx = ctx;
}

td_move_sync_t *td_move_sync_new(void) {
    td_move_sync_t *ms = calloc(1, sizeof(*ms));
    if (ms && !(ms->a = td_arena_new(0))) {
        free(ms);
        ms = NULL;
    }
    return ms;
}

static td_status tables_of(td_move_sync_t *ms, td_db_t *src, const char *service,
                           td_rows_table_t **tabs, size_t *n) {
    for (tlist_t *l = ms->lists; l; l = l->next)
        if (!strcmp(l->service, service)) {
            *tabs = l->tabs, *n = l->n;
            return TD_OK;
        }
    tlist_t *l = td_arena_alloc(ms->a, sizeof(*l));
    td_status st = l ? td_rows_tables(src, ms->a, service, &l->tabs, &l->n) : TD_E_NOMEM;
    if (!st && !(l->service = td_arena_strdup(ms->a, service)))
        st = TD_E_NOMEM;
    if (st)
        return st;
    l->next = ms->lists;
    ms->lists = l;
    *tabs = l->tabs, *n = l->n;
    return TD_OK;
}

void td_move_sync_free(td_move_sync_t *ms) {
    if (ms) {
        td_move_sync_forget(ms);
        td_arena_destroy(ms->a);
        map_free(&ms->media);
    }
    free(ms);
}

typedef struct {
    td_move_sync_t *ms;
    const td_rows_table_t *t;
    int key;
    map_t *map;
    int loaded; /* the map was read from the target in this pass */
    td_buf_t kb, hb; /* scratch: a key, a row's encoding */
    td_db_t *dst;
    td_rows_writer_t *w;
    td_move_table_t *out;
    int64_t gone; /* rows deleted from the target this pass */
} tsync_t;

/* Puts the key in kb with hash h into the map (a new slot, seen). */
static td_status map_add(tsync_t *s, const unsigned char h[32]) {
    map_t *m = s->map;
    if ((m->n + 1) * 2 > m->cap && map_grow(m))
        return TD_E_NOMEM;
    slot_t *sl = map_find(m, (unsigned char *)s->kb.data, s->kb.len);
    if (sl->used) /* a key twice (a table without one, duplicate rows): one is enough */
        return TD_OK;
    sl->key = td_arena_alloc(m->a, s->kb.len ? s->kb.len : 1);
    if (!sl->key)
        return TD_E_NOMEM;
    memcpy(sl->key, s->kb.data, s->kb.len);
    sl->klen = (uint32_t)s->kb.len;
    sl->used = 1, sl->seen = 1;
    memcpy(sl->hash, h, 32);
    m->n++;
    return TD_OK;
}

/* The row's hash into h, and into sum. */
static void sum_row(tsync_t *s, const td_rows_val_t *vals, td_move_sum_t *sum,
                    unsigned char h[32]) {
    row_hash(&s->hb, s->t, vals, h);
    sum_add(sum, h);
}

/* A target row: into the map. */
static td_status load_target(void *ctx, const td_rows_val_t *vals) {
    tsync_t *s = ctx;
    unsigned char h[32];
    td_status st = enc_key(&s->kb, s->t, s->key, vals);
    row_hash(&s->hb, s->t, vals, h);
    if (!st)
        st = map_add(s, h);
    return st;
}

/* A source row: inserted, updated, or found the same. */
static td_status apply_source(void *ctx, const td_rows_val_t *vals) {
    tsync_t *s = ctx;
    unsigned char h[32];
    sum_row(s, vals, &s->out->src, h);
    td_status st = TD_OK;
    if (s->ms && s->ms->beat && ++s->ms->rows % BEAT_ROWS == 0)
        st = s->ms->beat(s->ms->beat_ctx);
    if (!st)
        st = enc_key(&s->kb, s->t, s->key, vals);
    if (st)
        return st;
    slot_t *sl = map_find(s->map, (unsigned char *)s->kb.data, s->kb.len);
    if (sl->used && sl->seen != GONE) {
        sl->seen = SEEN;
        if (!memcmp(sl->hash, h, 32))
            return TD_OK;
        memcpy(sl->hash, h, 32);
        s->out->updated++;
        return td_rows_update(s->dst, s->t, s->key, vals);
    }
    if (!s->w && (st = td_rows_writer_new(s->dst, s->t, &s->w)))
        return st;
    s->out->inserted++;
    st = td_rows_write(s->w, vals);
    if (!st && sl->used) { /* deleted first (a careful pass), now back */
        sl->seen = SEEN;
        memcpy(sl->hash, h, 32);
        return TD_OK;
    }
    return st ? st : map_add(s, h);
}

/* A source row in a careful pass's first read: only marked as seen. */
static td_status mark_source(void *ctx, const td_rows_val_t *vals) {
    tsync_t *s = ctx;
    td_status st = enc_key(&s->kb, s->t, s->key, vals);
    slot_t *sl = st ? NULL : map_find(s->map, (unsigned char *)s->kb.data, s->kb.len);
    if (sl && sl->used)
        sl->seen = SEEN;
    return st;
}

/* A target row: into the sum (verification). */
static td_status sum_target(void *ctx, const td_rows_val_t *vals) {
    unsigned char h[32];
    sum_row(ctx, vals, &((tsync_t *)ctx)->out->dst, h);
    return TD_OK;
}

static int key_column(const td_rows_table_t *t) {
    for (int c = 0; c < t->ncols; c++)
        if (!strcmp(t->cols[c].name, "id"))
            return c;
    return -1;
}

/* Deletes the target rows the source no longer has (the map's unseen
 * slots), and clears the marks for the next pass. */
static td_status delete_unseen(tsync_t *s) {
    td_rows_val_t *vals = calloc((size_t)s->t->ncols, sizeof(*vals));
    td_status st = vals ? TD_OK : TD_E_NOMEM;
    for (size_t i = 0; !st && i < s->map->cap; i++) {
        slot_t *sl = &s->map->slots[i];
        if (!sl->used || sl->seen != UNSEEN)
            continue;
        char *texts = malloc(sl->klen + 1);
        if (!texts) {
            st = TD_E_NOMEM;
            break;
        }
        dec_key(sl, s->t, s->key, vals, texts);
        st = td_rows_delete(s->dst, s->t, s->key, vals);
        free(texts);
        sl->seen = GONE;
        s->out->deleted++, s->gone++;
    }
    free(vals);
    return st;
}

/* After a committed pass: the deleted rows leave the map (built again
 * without them: open addressing has no cheap removal), every mark is
 * cleared. */
static td_status map_settle(map_t *m, int64_t gone) {
    if (gone) {
        map_t fresh = {.a = td_arena_new(0)};
        td_status st = fresh.a ? map_grow(&fresh) : TD_E_NOMEM;
        for (size_t i = 0; !st && i < m->cap; i++) {
            slot_t *sl = &m->slots[i];
            if (!sl->used || sl->seen != SEEN)
                continue;
            while (!st && (fresh.n + 1) * 2 > fresh.cap)
                st = map_grow(&fresh);
            slot_t *to = st ? NULL : map_find(&fresh, sl->key, sl->klen);
            if (to) {
                *to = *sl;
                to->key = td_arena_alloc(fresh.a, sl->klen ? sl->klen : 1);
                if (!to->key)
                    st = TD_E_NOMEM;
                else
                    memcpy(to->key, sl->key, sl->klen), fresh.n++;
            }
        }
        if (st) {
            map_free(&fresh);
            return st;
        }
        map_free(m);
        *m = fresh;
    }
    for (size_t i = 0; i < m->cap; i++)
        m->slots[i].seen = 0;
    return TD_OK;
}

/* The kept map of a table, made empty when new (*fresh = 1). */
static map_t *map_of(td_move_sync_t *ms, const td_rows_table_t *t, int *fresh) {
    for (tmap_t *m = ms->maps; m; m = m->next)
        if (!strcmp(m->service, t->service) && !strcmp(m->table, t->name)) {
            *fresh = 0;
            return &m->map;
        }
    tmap_t *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    m->service = strdup(t->service), m->table = strdup(t->name);
    m->map.a = td_arena_new(0);
    if (!m->service || !m->table || !m->map.a || map_grow(&m->map)) {
        free(m->service), free(m->table), map_free(&m->map), free(m);
        return NULL;
    }
    m->next = ms->maps;
    ms->maps = m;
    *fresh = 1;
    return &m->map;
}

td_status td_move_sync_service(td_move_sync_t *ms, td_db_t *src, td_db_t *dst, td_arena_t *a,
                               const char *service, const char *skip, int verify, int careful,
                               td_move_table_t **out, size_t *n) {
    td_rows_table_t *tabs;
    size_t nt;
    td_status st = tables_of(ms, src, service, &tabs, &nt);
    if (st)
        return st;
    tsync_t *ts = td_arena_alloc(a, sizeof(*ts) * (nt + 1));
    td_move_table_t *res = td_arena_alloc(a, sizeof(*res) * (nt + 1));
    if (!ts || !res)
        return TD_E_NOMEM;
    memset(ts, 0, sizeof(*ts) * (nt + 1));
    memset(res, 0, sizeof(*res) * (nt + 1));
    for (size_t i = 0; i < nt; i++) {
        td_buf_init(&ts[i].kb, (size_t)1 << 31);
        td_buf_init(&ts[i].hb, (size_t)1 << 31);
    }
    st = td_rows_load_begin(dst);
    for (size_t i = 0; !st && i < nt; i++) { /* every table's map */
        tsync_t *s = &ts[i];
        int fresh = 0;
        s->ms = ms, s->t = &tabs[i], s->key = key_column(&tabs[i]), s->dst = dst, s->out = &res[i];
        res[i].service = service;
        if (skip && !strcmp(tabs[i].name, skip))
            continue; /* res[i].table stays NULL: not part of the report */
        res[i].table = tabs[i].name;
        s->map = map_of(ms, s->t, &fresh);
        st = s->map ? TD_OK : TD_E_NOMEM;
        if (!st && fresh) /* the target as it is (empty, or a resumed move's) */
            st = td_rows_read(dst, s->t, load_target, s);
        if (!st && fresh)
            map_settle(s->map, 0);
    }
    /* careful: what the source no longer has goes first (a row deleted and
     * made again under a new key keeps its unique values; a table keyed by
     * its whole row changes a row by deleting it), children first */
    for (size_t i = 0; !st && careful && i < nt; i++)
        st = ts[i].map ? td_rows_read(src, ts[i].t, mark_source, &ts[i]) : TD_OK;
    for (size_t i = nt; !st && careful && i-- > 0;)
        st = ts[i].map ? delete_unseen(&ts[i]) : TD_OK;
    for (size_t i = 0; !st && i < nt; i++) { /* parents first: inserts, updates */
        tsync_t *s = &ts[i];
        if (s->map)
            st = td_rows_read(src, s->t, apply_source, s);
        td_status we = td_rows_writer_end(s->w);
        s->w = NULL;
        st = st ? st : we;
    }
    for (size_t i = nt; !st && i-- > 0;) /* children first: deletes */
        st = ts[i].map ? delete_unseen(&ts[i]) : TD_OK;
    for (size_t i = 0; !st && verify && i < nt; i++)
        st = ts[i].map ? td_rows_read(dst, ts[i].t, sum_target, &ts[i]) : TD_OK;
    if (!st)
        st = td_db_commit(dst);
    else
        td_db_rollback(dst);
    for (size_t i = 0; i < nt; i++) {
        if (ts[i].map && !st)
            st = map_settle(ts[i].map, ts[i].gone);
        td_buf_free(&ts[i].kb);
        td_buf_free(&ts[i].hb);
    }
    if (st) /* a failed pass leaves the maps unlike the target: forget them all */
        td_move_sync_forget(ms);
    *out = res, *n = nt;
    return st;
}

void td_move_sync_forget(td_move_sync_t *ms) {
    for (tmap_t *m = ms->maps, *n; m; m = n) {
        n = m->next;
        map_free(&m->map);
        free(m->service);
        free(m->table);
        free(m);
    }
    ms->maps = NULL;
}

/* ---- media bytes between backends ---- */

/* One media row of the source: its bytes carried when the target does not
 * have them with this hash yet. */
typedef struct {
    td_move_sync_t *ms;
    td_db_t *src, *dst;
    int to_pg;
    const char *dir;
    int64_t carried;
} media_t;

static td_status carry_one(media_t *m, const char *id, const char *sha) {
    void *bytes = NULL;
    size_t len = 0;
    td_status st;
    if (m->to_pg) { /* SQLite's file → cms.media_content */
        st = td_cms_media_file_read(m->dir, id, sha, &bytes, &len);
        if (st == TD_E_NOTFOUND)
            return TD_OK; /* an upload not finished: its row names other bytes still */
        td_stmt_t *s = NULL;
        if (!st)
            st = td_db_execv(m->dst, NULL, "DELETE FROM cms.media_content WHERE media_id = ?", id,
                             NULL);
        if (!st)
            st = td_db_prepare(m->dst, "INSERT INTO cms.media_content (media_id, bytes) VALUES (?, ?)",
                               &s);
        if (!st)
            st = td_db_bind_text(s, 1, id);
        if (!st)
            st = td_db_bind_blob(s, 2, bytes ? bytes : "", len);
        if (!st)
            st = td_db_drain(s);
        td_db_finalize(s);
    } else { /* cms.media_content → SQLite's file */
        td_stmt_t *s = NULL;
        st = td_db_query_row(m->src, "SELECT bytes FROM cms.media_content WHERE media_id = ?", id,
                             &s);
        if (st == TD_E_NOTFOUND)
            return TD_OK;
        if (!st) {
            const void *p = td_db_column_blob(s, 0, &len);
            st = td_cms_media_file_write(m->dir, id, sha, p ? p : "", len);
            td_db_finalize(s);
        }
    }
    free(bytes);
    m->carried += !st;
    return st;
}

td_status td_move_sync_media(td_move_sync_t *ms, td_db_t *src, td_db_t *dst, int to_pg,
                             const char *dir, int64_t *carried) {
    media_t m = {ms, src, dst, to_pg, dir, 0};
    td_stmt_t *s = NULL;
    td_status st = TD_OK;
    if (!ms->media.a && (!(ms->media.a = td_arena_new(0)) || map_grow(&ms->media)))
        return TD_E_NOMEM;
    /* the list first (a query's rows are not read while another runs) */
    td_arena_t *a = td_arena_new(0);
    const char **ids = NULL, **shas = NULL;
    size_t n = 0, cap = 0;
    st = a ? td_db_prepare(src, "SELECT id, sha256 FROM cms.media WHERE sha256 IS NOT NULL", &s)
           : TD_E_NOMEM;
    int r = 0;
    while (!st && (r = td_db_step(s)) == TD_DB_ROW) {
        if (n == cap) {
            cap = cap ? cap * 2 : 256;
            const char **ni = td_arena_alloc(a, cap * sizeof(*ni));
            const char **ns = td_arena_alloc(a, cap * sizeof(*ns));
            if (!ni || !ns) {
                st = TD_E_NOMEM;
                break;
            }
            if (n)
                memcpy(ni, ids, n * sizeof(*ni)), memcpy(ns, shas, n * sizeof(*ns));
            ids = ni, shas = ns;
        }
        ids[n] = td_db_column_dup(s, a, 0);
        shas[n++] = td_db_column_dup(s, a, 1);
    }
    if (!st && r < 0)
        st = (td_status)r;
    td_db_finalize(s);
    if (!st && to_pg)
        st = td_db_begin(dst, TD_DB_WRITE);
    for (size_t i = 0; !st && i < n; i++) {
        unsigned char h[32] = {0};
        size_t hn = 0;
        if (sodium_hex2bin(h, 32, shas[i], strlen(shas[i]), NULL, &hn, NULL) || hn != 32)
            continue; /* not a hash the media code writes */
        td_buf_t kb = {.data = (char *)ids[i], .len = strlen(ids[i])};
        slot_t *sl = map_find(&ms->media, (unsigned char *)kb.data, kb.len);
        if (sl->used && !memcmp(sl->hash, h, 32))
            continue;
        st = carry_one(&m, ids[i], shas[i]);
        if (!st && !sl->used) {
            tsync_t t = {.map = &ms->media, .kb = kb};
            st = map_add(&t, h);
        } else if (!st)
            memcpy(sl->hash, h, 32);
    }
    if (to_pg && !st)
        st = td_db_commit(dst);
    else if (to_pg)
        td_db_rollback(dst);
    td_arena_destroy(a);
    *carried = m.carried;
    return st;
}

int td_move_sum_equal(const td_move_sum_t *x, const td_move_sum_t *y) {
    return x->rows == y->rows && !memcmp(x->lane, y->lane, sizeof(x->lane));
}

void td_move_sum_hex(const td_move_sum_t *s, char out[65]) {
    unsigned char b[32];
    memcpy(b, s->lane, 32);
    sodium_bin2hex(out, 65, b, 32);
}
