/* batch.c — analytics: an event batch read from its text in one pass, and
 * written with one bulk append (batch.h).
 *
 * The reader takes a field's value only in the forms whose outcome it can
 * tell without the engine: a string (text, timestamp), a number, any JSON
 * value (json), or null where the field may be null. It refuses — and so
 * leaves the body to the general path — an unknown, system, read-only or
 * role-restricted field, an escaped or repeated key, a missing required
 * field, a value of another type or out of bounds, and anything jansson
 * would refuse. What it takes becomes the same texts td_res_param gives
 * for the same value: times in their canonical form, numbers as "%.17g",
 * JSON values as jansson's compact dump (the text itself when it is
 * already that, else jansson re-reads that one value). */
#include "services/analytics/batch.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/id.h"
#include "common/jscan.h"
#include "common/json.h"
#include "common/timeutil.h"
#include "services/engine_int.h"
#include "services/modules.h"
#include "services/services.h"

#define TEXT_BLOCK 65536 /* decoded strings are cut from blocks this size */
#define FIELDS_MAX 64    /* fields of a resource this reader handles (a bit each) */

typedef struct {
    const char *raw; /* the previous event's text of this field */
    size_t len;
    const char *val; /* and what it became */
} last_t;

typedef struct {
    td_jscan_t s;
    td_arena_t *a;
    td_event_batch_t *b;
    char *text; /* free room for decoded strings */
    size_t left;
    const char *defaults[FIELDS_MAX]; /* per field: its default's text */
    size_t name_len[FIELDS_MAX];      /* per field: strlen of its name */
    last_t last[FIELDS_MAX];          /* events of a batch repeat values */
} scan_t;

td_event_batch_t *td_event_batch_new(td_arena_t *a, const td_resource_t *r, size_t n) {
    td_event_batch_t *b = td_arena_alloc(a, sizeof(*b));
    if (!b)
        return NULL;
    b->r = r;
    b->cap = n ? n : 1;
    b->vals = td_arena_alloc(a, b->cap * r->nfields * sizeof(*b->vals));
    return b->vals ? b : NULL;
}

/* Room for one more row (doubling: the count is known only at the end). */
static int grow(td_arena_t *a, td_event_batch_t *b) {
    if (b->n < b->cap)
        return 0;
    size_t nf = b->r->nfields;
    const char **v = td_arena_alloc(a, 2 * b->cap * nf * sizeof(*v));
    if (!v)
        return -1;
    memcpy(v, b->vals, b->n * nf * sizeof(*v));
    b->vals = v;
    b->cap *= 2;
    return 0;
}

/* n bytes for a decoded string. */
static char *take(scan_t *s, size_t n) {
    if (n > s->left) {
        size_t size = n > TEXT_BLOCK ? n : TEXT_BLOCK;
        if (!(s->text = td_arena_alloc(s->a, size)))
            return NULL;
        s->left = size;
    }
    char *p = s->text;
    s->text += n;
    s->left -= n;
    return p;
}

const char *td_event_param_text(td_arena_t *a, td_param_t p) {
    return p.kind == TD_P_TEXT ? p.s
           : p.kind == TD_P_INT ? td_arena_printf(a, "%lld", (long long)p.i)
                                : NULL;
}

/* Keeps the text of field k read from raw (len bytes) as val. */
static const char *remember(scan_t *s, size_t k, const char *raw, size_t len, const char *val) {
    s->last[k] = (last_t){raw, len, val};
    return val;
}

/* A copy of bytes p..p+n with a NUL, or NULL. */
static const char *copy(scan_t *s, const char *p, size_t n) {
    char *d = take(s, n + 1);
    if (d) {
        memcpy(d, p, n);
        d[n] = '\0';
    }
    return d;
}

static int same(const last_t *l, const char *raw, size_t len) {
    return l->raw && l->len == len && !memcmp(l->raw, raw, len);
}

/* A text or timestamp field: a string within the field's bounds. */
static int text_value(scan_t *s, size_t k, const td_field_t *f, const char **out) {
    td_jstr_t str;
    if (td_jscan_string(&s->s, &str))
        return -1;
    if (same(&s->last[k], str.raw, str.len)) {
        *out = s->last[k].val;
        return 0;
    }
    char *d = take(s, str.len + 1);
    if (!d)
        return -1;
    size_t n = td_jscan_unescape(&str, d);
    d[n] = '\0';
    if (n > (f->has_max ? (size_t)f->max : 65536))
        return -1;
    size_t i = 0;
    while (f->enums && i < f->nenums && strcmp(f->enums[i], d))
        i++;
    if (f->enums && i == f->nenums)
        return -1;
    if (f->type == TD_F_TIMESTAMP) {
        char iso[40];
        if (n > 64 || td_time_canonical(d, iso, sizeof(iso)) || !(d = (char *)copy(s, iso, strlen(iso))))
            return -1;
    }
    *out = remember(s, k, str.raw, str.len, d);
    return 0;
}

/* A number field: as td_res_param writes it, "%.17g" of the value (a
 * short integer is already that text). */
static int number_value(scan_t *s, size_t k, const td_field_t *f, const char **out) {
    const char *tok;
    size_t len;
    int is_int;
    double d;
    if (td_jscan_number(&s->s, &tok, &len, &is_int, &d))
        return -1;
    if ((f->has_min && d < f->min) || (f->has_max && d > f->max) || !isfinite(d))
        return -1;
    if (same(&s->last[k], tok, len)) {
        *out = s->last[k].val;
        return 0;
    }
    const char *v;
    if (is_int && len <= 15 && !(len == 2 && tok[0] == '-' && tok[1] == '0')) {
        v = copy(s, tok, len);
    } else {
        char num[40];
        snprintf(num, sizeof(num), "%.17g", d);
        v = copy(s, num, strlen(num));
    }
    if (!v)
        return -1;
    *out = remember(s, k, tok, len, v);
    return 0;
}

/* A json field: any value, stored as jansson's compact dump of it. */
static int json_value(scan_t *s, size_t k, const td_field_t *f, const char **out) {
    const char *start;
    int canon;
    /* the body, "events" and the event are three levels already */
    if (td_jscan_value(&s->s, TD_JSON_MAX_DEPTH - 3, &start, &canon))
        return -1;
    size_t len = (size_t)(s->s.p - start);
    if (same(&s->last[k], start, len)) {
        *out = s->last[k].val;
        return 0;
    }
    const char *v;
    if (canon) {
        v = copy(s, start, len);
    } else { /* jansson decides this value's text (and its duplicate keys) */
        json_t *j = json_loadb(start, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
        char *dump = j ? td_eng_dump(j) : NULL;
        json_decref(j);
        v = dump ? copy(s, dump, strlen(dump)) : NULL;
        free(dump);
    }
    if (!v || strlen(v) > (f->has_max ? (size_t)f->max : 65536))
        return -1;
    *out = remember(s, k, start, len, v);
    return 0;
}

/* The value of field k at the cursor into *out; -1 when not taken here. */
static int field_value(scan_t *s, size_t k, const char **out) {
    const td_field_t *f = &s->b->r->fields[k];
    if (td_jscan_peek(&s->s) == 'n') { /* null: SQL NULL where allowed */
        if (f->required || f->sort || (size_t)(s->s.end - s->s.p) < 4 ||
            memcmp(s->s.p, "null", 4))
            return -1;
        s->s.p += 4;
        *out = NULL;
        return 0;
    }
    switch (f->type) {
    case TD_F_TEXT:
    case TD_F_TIMESTAMP: return text_value(s, k, f, out);
    case TD_F_NUMBER: return number_value(s, k, f, out);
    case TD_F_JSON: return json_value(s, k, f, out);
    default: return -1; /* integers, booleans, e-mails, references: the engine */
    }
}

/* The index of the field a caller may set without further checks named
 * by key, or nfields. */
static size_t plain_field(const scan_t *s, const td_resource_t *r, const td_jstr_t *key) {
    for (size_t k = 0; k < r->nfields; k++) {
        const td_field_t *f = &r->fields[k];
        if (s->name_len[k] == key->len && !memcmp(f->name, key->raw, key->len))
            return f->system || f->read_only || f->write_roles || f->nserver_values
                       ? r->nfields
                       : k;
    }
    return r->nfields;
}

/* One event object into row (r->nfields texts, NULL so far). */
static int scan_event(scan_t *s, const char **row) {
    const td_resource_t *r = s->b->r;
    uint64_t seen = 0;
    if (!td_jscan_eat(&s->s, '{'))
        return -1;
    if (!td_jscan_eat(&s->s, '}')) {
        do {
            td_jstr_t key;
            if (td_jscan_string(&s->s, &key) || key.escaped)
                return -1;
            size_t k = plain_field(s, r, &key);
            if (k == r->nfields || (seen >> k & 1) || !td_jscan_eat(&s->s, ':') ||
                field_value(s, k, &row[k]))
                return -1;
            seen |= (uint64_t)1 << k;
        } while (td_jscan_eat(&s->s, ','));
        if (!td_jscan_eat(&s->s, '}'))
            return -1;
    }
    for (size_t k = 0; k < r->nfields; k++) {
        const td_field_t *f = &r->fields[k];
        if ((seen >> k & 1) || f->system)
            continue;
        if (f->def)
            row[k] = s->defaults[k];
        else if (f->required)
            return -1;
    }
    return 0;
}

/* The start: {"events":[ with the key written plainly. */
static int scan_head(td_jscan_t *j) {
    td_jstr_t key;
    return td_jscan_eat(j, '{') && !td_jscan_string(j, &key) && !key.escaped &&
                   key.len == 6 && !memcmp(key.raw, "events", 6) && td_jscan_eat(j, ':') &&
                   td_jscan_eat(j, '[')
               ? 0
               : -1;
}

td_status td_event_batch_scan(td_arena_t *a, const char *body, size_t len,
                              td_event_batch_t **out) {
    const td_resource_t *r = td_service_resource("analytics", "events");
    *out = NULL;
    if (!r || r->nfields > FIELDS_MAX || !body)
        return TD_E_INVALID;
    /* room for as many events as the body could hold (the shortest valid
     * event is longer than 24 bytes), so rows are rarely moved */
    size_t most = len / 24 + 1;
    scan_t *s = td_arena_alloc(a, sizeof(*s));
    if (!s || !(s->b = td_event_batch_new(a, r, most < TD_EVENTS_BATCH_MAX ? most : TD_EVENTS_BATCH_MAX)))
        return TD_E_INVALID;
    s->a = a;
    for (size_t k = 0; k < r->nfields; k++)
        s->name_len[k] = strlen(r->fields[k].name);
    for (size_t k = 0; k < r->nfields; k++)
        if (r->fields[k].def)
            s->defaults[k] = td_event_param_text(a, td_res_param(a, &r->fields[k], r->fields[k].def));
    td_jscan_init(&s->s, body, len);
    td_event_batch_t *b = s->b;
    if (scan_head(&s->s))
        return TD_E_INVALID;
    do {
        if (b->n == TD_EVENTS_BATCH_MAX || grow(a, b) || scan_event(s, b->vals + b->n * r->nfields))
            return TD_E_INVALID;
        b->n++;
    } while (td_jscan_eat(&s->s, ','));
    if (!td_jscan_eat(&s->s, ']') || !td_jscan_eat(&s->s, '}') || !td_jscan_at_end(&s->s))
        return TD_E_INVALID;
    *out = b;
    return TD_OK;
}

/* ---- writing ---- */

typedef struct {
    td_event_batch_t *b;
    const char *table, *cols;
} write_t;

static td_status append(const td_res_ctx_t *c, void *arg, td_res_err_t *e) {
    write_t *w = arg;
    td_event_batch_t *b = w->b;
    td_status rc = td_db_insert_rows(c->db, w->table, w->cols, (int)b->r->nfields, b->vals, b->n);
    if (rc)
        return td_res_fail(e, rc, rc == TD_E_BUSY ? "busy" : "database_error",
                           "the events could not be written");
    /* 160 bytes an event: the outbox counts bytes roughly */
    return td_outbox_append(c, "analytics", "batch", "events", NULL, (int64_t)b->n,
                            (int64_t)b->n * 160);
}

/* "svc"."table" and the quoted column list, in the arena. */
static int names(td_arena_t *a, const td_resource_t *r, write_t *w) {
    size_t n = 1;
    for (size_t k = 0; k < r->nfields; k++)
        n += strlen(r->fields[k].name) + 4;
    char *cols = td_arena_alloc(a, n), *p = cols;
    if (!cols)
        return -1;
    for (size_t k = 0; k < r->nfields; k++)
        p += sprintf(p, "%s\"%s\"", k ? ", " : "", r->fields[k].name);
    w->cols = cols;
    w->table = td_arena_printf(a, "\"%s\".\"%s\"", r->service, r->table);
    return w->table ? 0 : -1;
}

td_status td_event_batch_write(const td_res_ctx_t *c, td_event_batch_t *b, size_t *accepted,
                               td_res_err_t *e) {
    const td_resource_t *r = b->r;
    write_t w = {.b = b};
    char now[40];
    td_time_iso(td_now_ms(), now, sizeof(now));
    const char *stamp = td_arena_strdup(c->arena, now);
    char *ids = td_arena_alloc(c->arena, b->n * (TD_ID_LEN + 1));
    *accepted = 0;
    if (!stamp || !ids || names(c->arena, r, &w))
        return TD_E_NOMEM;
    for (size_t i = 0; i < b->n; i++) {
        const char **row = b->vals + i * r->nfields;
        for (size_t k = 0; k < r->nfields; k++) {
            const char *name = r->fields[k].name;
            if (!r->fields[k].system)
                continue;
            if (!strcmp(name, "id")) {
                td_id_new(ids + i * (TD_ID_LEN + 1));
                row[k] = ids + i * (TD_ID_LEN + 1);
            } else if (!strcmp(name, "created_at") || !strcmp(name, "updated_at")) {
                row[k] = stamp;
            } else if (r->owner && !strcmp(name, r->owner) && !row[k]) {
                row[k] = c->actor ? c->actor : "";
            }
        }
    }
    td_status rc = td_res_txn(c, append, &w, e);
    if (!rc)
        *accepted = b->n;
    return rc;
}
