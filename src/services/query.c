/* query.c — SQL text and its parameters, built piece by piece. Appends
 * never fail loudly: the first failure is kept in q->err and reported by
 * td_query_prepare, so builders can append without checking each call. */
#include <stdlib.h>
#include <string.h>

#include "services/query.h"

#define SQL_MAX (256 * 1024)

void td_query_init(td_query_t *q, td_arena_t *a) {
    memset(q, 0, sizeof(*q));
    td_buf_init(&q->sql, SQL_MAX);
    q->arena = a;
}

void td_query_free(td_query_t *q) { td_buf_free(&q->sql); }

td_status td_query_sql(td_query_t *q, const char *s) {
    td_status st = td_buf_puts(&q->sql, s);
    if (st && !q->err)
        q->err = st;
    return st;
}

td_status td_query_ident(td_query_t *q, const char *name) {
    td_query_sql(q, "\"");
    td_query_sql(q, name);
    return td_query_sql(q, "\"");
}

td_status td_query_table(td_query_t *q, const td_resource_t *r) {
    td_query_ident(q, r->service);
    td_query_sql(q, ".");
    return td_query_ident(q, r->table);
}

static td_status add(td_query_t *q, td_param_t v) {
    if (q->n == q->cap) {
        size_t cap = q->cap ? q->cap * 2 : 16;
        td_param_t *np = td_arena_alloc(q->arena, cap * sizeof(*np));
        if (!np) {
            q->err = q->err ? q->err : TD_E_NOMEM;
            return TD_E_NOMEM;
        }
        if (q->n)
            memcpy(np, q->p, q->n * sizeof(*np));
        q->p = np;
        q->cap = cap;
    }
    q->p[q->n++] = v;
    return td_query_sql(q, "?");
}

td_status td_query_text(td_query_t *q, const char *v) {
    if (!v) {
        q->err = q->err ? q->err : TD_E_NOMEM;
        return TD_E_NOMEM;
    }
    return add(q, (td_param_t){.kind = TD_P_TEXT, .s = v});
}

td_status td_query_int(td_query_t *q, int64_t v) {
    return add(q, (td_param_t){.kind = TD_P_INT, .i = v});
}

td_status td_query_param(td_query_t *q, td_param_t p) {
    return p.kind == TD_P_TEXT ? td_query_text(q, p.s) : add(q, p);
}

td_status td_query_null(td_query_t *q) { return add(q, (td_param_t){.kind = TD_P_NULL}); }

td_status td_query_prepare(td_query_t *q, td_db_t *db, td_stmt_t **out) {
    *out = NULL;
    if (q->err)
        return q->err;
    td_stmt_t *st = NULL;
    td_status rc = td_db_prepare(db, td_buf_str(&q->sql), &st);
    for (size_t i = 0; !rc && i < q->n; i++) {
        const td_param_t *p = &q->p[i];
        rc = p->kind == TD_P_TEXT  ? td_db_bind_text(st, (int)i + 1, p->s)
             : p->kind == TD_P_INT ? td_db_bind_int64(st, (int)i + 1, p->i)
                                   : td_db_bind_null(st, (int)i + 1);
    }
    if (rc) {
        if (st)
            td_db_finalize(st);
        return rc;
    }
    *out = st;
    return TD_OK;
}

td_status td_query_exec(td_query_t *q, td_db_t *db, int64_t *changes) {
    td_stmt_t *st;
    td_status rc = td_query_prepare(q, db, &st);
    if (rc)
        return rc;
    int s = td_db_step(st);
    rc = s == TD_DB_DONE || s == TD_DB_ROW ? TD_OK : (td_status)s;
    if (!rc && changes)
        *changes = td_db_changes(st);
    td_db_finalize(st);
    return rc;
}
