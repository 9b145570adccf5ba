/* query.h — SQL text with bound parameters, built for one request, and the
 * filter language compiled into it.
 *
 * The filter language (SPEC §7, docs/api.md):
 *
 *   expr  := term ("or" term)*
 *   term  := unary ("and" unary)*
 *   unary := "not" unary | "(" expr ")" | field op value
 *          | field "in" "(" value ("," value)* ")"
 *   op    := eq ne lt le gt ge contains startswith
 *   value := 'text' (a quote doubled inside) | number | true | false | null
 *
 * Only declared filterable fields may appear; a value must fit its field's
 * type; `eq null` / `ne null` test for absence. Every value becomes a bound
 * parameter: user text never reaches the SQL text. Caps: TD_FILTER_MAX
 * bytes, TD_FILTER_DEPTH nested levels, TD_FILTER_TERMS comparisons,
 * TD_FILTER_IN values in one list. */
#ifndef TD_QUERY_H
#define TD_QUERY_H

#include <stdint.h>

#include "common/arena.h"
#include "common/buf.h"
#include "services/decl.h"
#include "store/store.h"

#define TD_FILTER_MAX 2048
#define TD_FILTER_DEPTH 16
#define TD_FILTER_TERMS 32
#define TD_FILTER_IN 100

enum { TD_P_TEXT, TD_P_INT, TD_P_NULL };
typedef struct {
    int kind;
    const char *s;
    int64_t i;
} td_param_t;

/* SQL under construction: text and parameters in order. */
typedef struct {
    td_buf_t sql;
    td_param_t *p;
    size_t n, cap;
    td_arena_t *arena;
    td_status err; /* sticky: the first failure of any append */
} td_query_t;

void td_query_init(td_query_t *q, td_arena_t *a);
void td_query_free(td_query_t *q);
td_status td_query_sql(td_query_t *q, const char *s);
/* Appends a "quoted" identifier (already validated by the declaration). */
td_status td_query_ident(td_query_t *q, const char *name);
/* "svc"."table" */
td_status td_query_table(td_query_t *q, const td_resource_t *r);
/* Appends "?" and the parameter. */
td_status td_query_text(td_query_t *q, const char *v);
td_status td_query_int(td_query_t *q, int64_t v);
td_status td_query_null(td_query_t *q);
/* Prepares the SQL and binds every parameter (or returns q->err). */
td_status td_query_prepare(td_query_t *q, td_db_t *db, td_stmt_t **out);

/* Prepares, binds, runs to the end and finalizes; *changes (when not
 * NULL) receives the rows changed. */
td_status td_query_exec(td_query_t *q, td_db_t *db, int64_t *changes);
/* The parameter to bind for value v of field f (valid for it). */
td_param_t td_res_param(td_arena_t *a, const td_field_t *f, json_t *v);
/* Appends "?" and a parameter of any kind. */
td_status td_query_param(td_query_t *q, td_param_t p);

/* Compiles filter into q (as one parenthesised condition). On a bad
 * filter returns TD_E_INVALID with a message in err (never echoing more
 * than a short piece of the input). */
td_status td_filter_compile(const td_resource_t *r, const char *filter, td_query_t *q, char *err,
                            size_t errlen);

#endif
