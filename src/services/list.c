/* list.c — lists of a declared resource: filter, sort, keyset cursor,
 * limit and fields. A cursor holds the last row's values of the sort keys
 * plus the id (base64url JSON, bound to its sort), so rows inserted while a
 * client pages never make it see a row twice or skip one that existed.
 * The answer is written as JSON text while the rows are stepped
 * (rowtext.h), never as a jansson object per row. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/engine_int.h"
#include "services/rowtext.h"

#define SORT_KEYS_MAX 4
/* An answer's cap: 200 rows of a few large text fields fit many times. */
#define TD_LIST_BODY_MAX (64 << 20)

typedef struct {
    const td_field_t *f;
    int desc;
} sortkey_t;

/* Parses sort into keys (the id is appended as the last key unless
 * named); canon receives the normalised text for the cursor. */
static td_status parse_sort(const td_resource_t *r, const char *sort, sortkey_t *keys, int *nkeys,
                            td_res_err_t *e) {
    *nkeys = 0;
    int has_id = 0;
    if (sort && *sort) {
        if (strlen(sort) > 256)
            return td_res_fail(e, TD_E_INVALID, "invalid_sort", "sort is too long");
        char buf[260];
        snprintf(buf, sizeof(buf), "%s", sort);
        char *save = NULL;
        for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            int desc = *t == '-';
            const td_field_t *f = td_resource_field(r, t + desc);
            if (!f || !f->sort)
                return td_res_fail(e, TD_E_INVALID, "invalid_sort",
                                   "'%.64s' is not a sortable field", t + desc);
            if (*nkeys == SORT_KEYS_MAX)
                return td_res_fail(e, TD_E_INVALID, "invalid_sort", "at most %d sort fields",
                                   SORT_KEYS_MAX);
            keys[(*nkeys)++] = (sortkey_t){f, desc};
            if (!strcmp(f->name, "id")) {
                has_id = 1;
                break; /* the id is unique: later keys never matter */
            }
        }
    }
    if (!has_id)
        keys[(*nkeys)++] = (sortkey_t){td_resource_field(r, "id"), 0};
    return TD_OK;
}

static void bind_json(td_query_t *q, const td_field_t *f, json_t *v) {
    td_query_param(q, td_res_param(q->arena, f, v));
}

/* The cursor after st's current row: base64url({"s":sort,"v":[the row's
 * sort key values]}), arena memory, or NULL when out of memory. */
static char *cursor_make(td_arena_t *a, const td_resource_t *r, const char *sort,
                         const sortkey_t *keys, int n, td_stmt_t *st) {
    td_buf_t b;
    td_buf_init(&b, 1 << 20); /* sort keys of the largest text fit */
    td_status rc = td_buf_puts(&b, "{\"s\":");
    if (!rc)
        rc = td_rowtext_string(&b, sort ? sort : "");
    if (!rc)
        rc = td_buf_puts(&b, ",\"v\":[");
    for (int i = 0; !rc && i < n; i++) {
        if (i)
            rc = td_buf_append(&b, ",", 1);
        if (!rc)
            rc = td_rowtext_value(&b, st, (int)(keys[i].f - r->fields), keys[i].f);
    }
    if (!rc)
        rc = td_buf_puts(&b, "]}");
    size_t blen = sodium_base64_ENCODED_LEN(b.len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *out = rc ? NULL : td_arena_alloc(a, blen);
    if (out)
        sodium_bin2base64(out, blen, (unsigned char *)b.data, b.len,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    td_buf_free(&b);
    return out;
}

static json_t *cursor_read(const char *cursor, const char *sort, const sortkey_t *keys, int n) {
    size_t len = strlen(cursor);
    if (len > 4096)
        return NULL;
    unsigned char *bin = malloc(len + 1);
    size_t blen = 0;
    if (!bin || sodium_base642bin(bin, len, cursor, len, NULL, &blen, NULL,
                                  sodium_base64_VARIANT_URLSAFE_NO_PADDING)) {
        free(bin);
        return NULL;
    }
    bin[blen] = '\0';
    json_t *o = json_loadb((char *)bin, blen, JSON_REJECT_DUPLICATES, NULL);
    free(bin);
    json_t *v = json_object_get(o, "v");
    const char *s = json_string_value(json_object_get(o, "s"));
    int ok = s && !strcmp(s, sort ? sort : "") && json_array_size(v) == (size_t)n;
    for (int i = 0; ok && i < n; i++) {
        json_t *x = json_array_get(v, (size_t)i);
        char msg[120];
        json_t *y = x;
        /* the cursors we make hold canonical values: a value that needs
         * rewriting (a time in another form) is not one of ours */
        ok = !json_is_null(x) && !td_eng_check_value(keys[i].f, &y, msg, sizeof(msg)) &&
             json_equal(x, y);
        if (y != x)
            json_decref(y);
    }
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    json_incref(v);
    json_decref(o);
    return v;
}

/* fields=a,b,… as indexes into r->fields, in the order given, each once
 * (a name given twice is answered once, where it first appears). *cols is
 * arena memory, NULL (all fields) when fields is absent. */
static td_status parse_fields(td_arena_t *a, const td_resource_t *r, const char *fields,
                              size_t **cols, size_t *ncols, td_res_err_t *e) {
    *cols = NULL;
    *ncols = 0;
    if (!fields || !*fields)
        return TD_OK;
    if (strlen(fields) > 2048)
        return td_res_fail(e, TD_E_INVALID, "invalid_fields", "fields is too long");
    char *buf = td_arena_strdup(a, fields), *save = NULL;
    size_t *out = td_arena_alloc(a, r->nfields * sizeof(*out));
    if (!buf || !out)
        return TD_E_NOMEM;
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        const td_field_t *f = td_resource_field(r, t);
        if (!f)
            return td_res_fail(e, TD_E_INVALID, "invalid_fields", "'%.64s' is not a field", t);
        size_t k = (size_t)(f - r->fields), i = 0;
        while (i < *ncols && out[i] != k)
            i++;
        if (i == *ncols)
            out[(*ncols)++] = k;
    }
    *cols = out;
    return TD_OK;
}

/* Builds the list's query into q: the columns, the caller's scope, the
 * filter, the rows after the cursor's, the order and limit + 1 (one more
 * row says whether there is a next page). */
static td_status list_query(const td_res_ctx_t *c, const td_resource_t *r, const char *filter,
                            json_t *cur, const sortkey_t *keys, int nkeys, long limit,
                            td_query_t *q, td_res_err_t *e) {
    td_eng_select_list(q, r);
    td_query_sql(q, " WHERE 1 = 1");
    td_eng_where_owner(c, r, q);
    if (filter && *filter) {
        char err[200];
        td_query_sql(q, " AND ");
        if (td_filter_compile(r, filter, q, err, sizeof(err)))
            return td_res_fail(e, TD_E_INVALID, "invalid_filter", "%s", err);
    }
    if (cur) {
        td_query_sql(q, " AND (");
        for (int j = 0; j < nkeys; j++) {
            td_query_sql(q, j ? " OR (" : "(");
            for (int i = 0; i < j; i++) {
                td_query_ident(q, keys[i].f->name);
                td_query_sql(q, " = ");
                bind_json(q, keys[i].f, json_array_get(cur, (size_t)i));
                td_query_sql(q, " AND ");
            }
            td_query_ident(q, keys[j].f->name);
            td_query_sql(q, keys[j].desc ? " < " : " > ");
            bind_json(q, keys[j].f, json_array_get(cur, (size_t)j));
            td_query_sql(q, ")");
        }
        td_query_sql(q, ")");
    }
    td_query_sql(q, " ORDER BY ");
    for (int i = 0; i < nkeys; i++) {
        td_query_sql(q, i ? ", " : "");
        td_query_ident(q, keys[i].f->name);
        td_query_sql(q, keys[i].desc ? " DESC" : " ASC");
    }
    td_query_sql(q, " LIMIT ");
    td_query_int(q, limit + 1);
    return TD_OK;
}

/* Steps st and writes up to limit rows into out, each as JSON text
 * (rowtext.h), comma-separated. *next receives the cursor after the last
 * row written when a row follows it (arena memory), else stays NULL. */
static td_status write_rows(const td_res_ctx_t *c, td_stmt_t *st, const td_resource_t *r,
                            const td_list_req_t *rq, const sortkey_t *keys, int nkeys,
                            long limit, const size_t *cols, size_t ncols, td_buf_t *out,
                            char **next, td_res_err_t *e) {
    char *after = NULL; /* the cursor after row limit - 1 */
    td_status rc = TD_OK;
    for (long n = 0; !rc; n++) {
        int s = td_db_step(st);
        if (s == TD_DB_DONE)
            break;
        if (s != TD_DB_ROW)
            return td_res_fail(e, (td_status)s, "database_error", "the tenant database failed");
        if (n == limit) { /* a next page */
            *next = after;
            break;
        }
        if (n == limit - 1 && !(after = cursor_make(c->arena, r, rq->sort, keys, nkeys, st)))
            rc = TD_E_NOMEM;
        if (!rc && n)
            rc = td_buf_append(out, ",", 1);
        if (!rc)
            rc = td_rowtext_row(out, st, r, cols, ncols);
    }
    return rc;
}

td_status td_res_list(const td_res_ctx_t *c, const td_resource_t *r, const td_list_req_t *rq,
                      td_buf_t *out, td_res_err_t *e) {
    td_buf_init(out, TD_LIST_BODY_MAX);
    long limit = TD_LIST_DEFAULT;
    if (rq->limit) {
        char *end;
        limit = strtol(rq->limit, &end, 10);
        if (*end || end == rq->limit || limit < 1 || limit > TD_LIST_MAX)
            return td_res_fail(e, TD_E_INVALID, "invalid_limit", "limit is 1..%d",
                               TD_LIST_MAX);
    }
    sortkey_t keys[SORT_KEYS_MAX + 1];
    int nkeys;
    size_t *cols = NULL, ncols = 0;
    json_t *cur = NULL;
    char *next = NULL;
    td_stmt_t *st = NULL;
    td_query_t q;
    td_query_init(&q, c->arena);
    td_status rc = parse_sort(r, rq->sort, keys, &nkeys, e);
    if (!rc)
        rc = parse_fields(c->arena, r, rq->fields, &cols, &ncols, e);
    if (!rc && rq->cursor && !(cur = cursor_read(rq->cursor, rq->sort, keys, nkeys)))
        rc = td_res_fail(e, TD_E_INVALID, "invalid_cursor",
                         "the cursor is not one this list gave (same sort required)");
    if (!rc)
        rc = list_query(c, r, rq->filter, cur, keys, nkeys, limit, &q, e);
    if (!rc && (rc = td_query_prepare(&q, c->db, &st)))
        td_res_fail(e, rc, "database_error", "the tenant database failed");
    if (!rc)
        rc = td_buf_append(out, "{\"items\":[", 10);
    if (!rc)
        rc = write_rows(c, st, r, rq, keys, nkeys, limit, cols, ncols, out, &next, e);
    if (st)
        td_db_finalize(st);
    if (!rc && next) {
        rc = td_buf_append(out, "],\"next_cursor\":\"", 17);
        if (!rc)
            rc = td_buf_puts(out, next); /* base64url: nothing to escape */
        if (!rc)
            rc = td_buf_append(out, "\"}", 2);
    } else if (!rc) {
        rc = td_buf_append(out, "],\"next_cursor\":null}", 21);
    }
    if (rc == TD_E_TOOBIG) /* past TD_LIST_BODY_MAX: fewer rows, or fields= */
        td_res_fail(e, rc, "too_large", "the answer would pass %d MiB; ask for fewer rows",
                    TD_LIST_BODY_MAX >> 20);
    td_query_free(&q);
    json_decref(cur);
    if (rc)
        td_buf_free(out);
    return rc;
}
