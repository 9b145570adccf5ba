/* filter.c — the filter language (grammar in query.h) compiled by
 * recursive descent straight into SQL text with bound parameters. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/timeutil.h"
#include "services/query.h"

typedef enum { T_END, T_IDENT, T_STRING, T_NUMBER, T_LPAREN, T_RPAREN, T_COMMA, T_BAD } ttype;

typedef struct {
    const char *s; /* input */
    size_t pos;
    ttype t;       /* current token */
    const char *tok;
    size_t toklen;
    char *str;     /* T_STRING: the unquoted value (arena) */
    const td_resource_t *r;
    td_query_t *q;
    int depth, terms;
    char *err;
    size_t errlen;
} parser_t;

static int perr(parser_t *p, const char *msg) {
    if (!p->err[0])
        snprintf(p->err, p->errlen, "filter: %s (at byte %zu)", msg, p->pos);
    return -1;
}

static int is_ident_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

static void next(parser_t *p) {
    const char *s = p->s;
    while (s[p->pos] == ' ' || s[p->pos] == '\t')
        p->pos++;
    char c = s[p->pos];
    p->tok = s + p->pos;
    p->toklen = 1;
    if (!c) {
        p->t = T_END;
        p->toklen = 0;
    } else if (c == '(' || c == ')' || c == ',') {
        p->t = c == '(' ? T_LPAREN : c == ')' ? T_RPAREN : T_COMMA;
        p->pos++;
    } else if (c == '\'') {
        /* 'text' with '' for a quote */
        size_t i = p->pos + 1, o = 0;
        char *out = td_arena_alloc(p->q->arena, strlen(s + p->pos) + 1);
        p->t = T_BAD;
        while (out && s[i]) {
            if (s[i] == '\'') {
                if (s[i + 1] == '\'') {
                    out[o++] = '\'';
                    i += 2;
                    continue;
                }
                p->t = T_STRING;
                i++;
                break;
            }
            out[o++] = s[i++];
        }
        if (out)
            out[o] = '\0';
        p->str = out;
        p->toklen = i - p->pos;
        p->pos = i;
    } else if (c == '-' || (c >= '0' && c <= '9')) {
        char *end;
        strtod(s + p->pos, &end);
        p->t = end > s + p->pos && !is_ident_char(*end) ? T_NUMBER : T_BAD;
        p->toklen = (size_t)(end - (s + p->pos));
        p->pos += p->toklen ? p->toklen : 1;
    } else if (is_ident_char(c)) {
        size_t i = p->pos;
        while (is_ident_char(s[i]))
            i++;
        p->t = T_IDENT;
        p->toklen = i - p->pos;
        p->pos = i;
    } else {
        p->t = T_BAD;
        p->pos++;
    }
}

static int tok_is(const parser_t *p, const char *word) {
    return p->t == T_IDENT && strlen(word) == p->toklen && !memcmp(p->tok, word, p->toklen);
}

static int expr(parser_t *p);

/* One value of field f into a bound parameter (for ops other than
 * contains/startswith). */
static int value(parser_t *p, const td_field_t *f) {
    td_status st = TD_OK;
    switch (f->type) {
    case TD_F_INTEGER: {
        if (p->t != T_NUMBER || memchr(p->tok, '.', p->toklen) || memchr(p->tok, 'e', p->toklen) ||
            memchr(p->tok, 'E', p->toklen))
            return perr(p, "this field takes an integer");
        errno = 0;
        long long v = strtoll(p->tok, NULL, 10);
        if (errno == ERANGE) /* never a silently saturated bound */
            return perr(p, "this integer is out of range");
        st = td_query_int(p->q, v);
        break;
    }
    case TD_F_NUMBER:
        if (p->t != T_NUMBER)
            return perr(p, "this field takes a number");
        st = td_query_text(p->q, td_arena_strndup(p->q->arena, p->tok, p->toklen));
        break;
    case TD_F_BOOLEAN:
        if (!tok_is(p, "true") && !tok_is(p, "false"))
            return perr(p, "this field takes true or false");
        st = td_query_int(p->q, tok_is(p, "true"));
        break;
    case TD_F_TIMESTAMP: {
        /* compared in the stored form: 2026-11-01T10:00:00.000Z */
        char iso[40];
        if (p->t != T_STRING || td_time_canonical(p->str, iso, sizeof(iso)))
            return perr(p, "this field takes a 'quoted' RFC 3339 time or date");
        st = td_query_text(p->q, td_arena_strdup(p->q->arena, iso));
        break;
    }
    default:
        if (p->t != T_STRING)
            return perr(p, "this field takes a 'quoted' value");
        st = td_query_text(p->q, p->str);
        break;
    }
    if (st)
        return perr(p, "out of memory");
    next(p);
    return 0;
}

static int comparison(parser_t *p) {
    if (p->t != T_IDENT)
        return perr(p, "expected a field name");
    char name[64];
    if (p->toklen >= sizeof(name))
        return perr(p, "unknown field");
    memcpy(name, p->tok, p->toklen);
    name[p->toklen] = '\0';
    const td_field_t *f = td_resource_field(p->r, name);
    if (!f || !f->filter) {
        snprintf(p->err, p->errlen, "filter: field '%s' cannot be filtered", name);
        return -1;
    }
    if (++p->terms > TD_FILTER_TERMS)
        return perr(p, "too many comparisons");
    next(p);
    static const struct {
        const char *word, *sql;
    } ops[] = {{"eq", " = "}, {"ne", " <> "}, {"lt", " < "}, {"le", " <= "}, {"gt", " > "},
               {"ge", " >= "}};
    td_query_t *q = p->q;
    td_query_ident(q, f->name);
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        if (!tok_is(p, ops[i].word))
            continue;
        next(p);
        if (tok_is(p, "null")) {
            if (i > 1)
                return perr(p, "null only goes with eq and ne");
            td_query_sql(q, i == 0 ? " IS NULL" : " IS NOT NULL");
            next(p);
            return 0;
        }
        if (f->type == TD_F_BOOLEAN && i > 1)
            return perr(p, "true and false only go with eq and ne");
        td_query_sql(q, ops[i].sql);
        return value(p, f);
    }
    if (tok_is(p, "contains") || tok_is(p, "startswith")) {
        int starts = tok_is(p, "startswith");
        if (f->type != TD_F_TEXT && f->type != TD_F_EMAIL)
            return perr(p, "contains and startswith apply to text fields");
        next(p);
        if (p->t != T_STRING)
            return perr(p, "expected a 'quoted' value");
        size_t n = strlen(p->str);
        char *pat = td_arena_alloc(q->arena, 2 * n + 3), *o = pat;
        if (!pat)
            return perr(p, "out of memory");
        if (!starts)
            *o++ = '%';
        for (const char *c = p->str; *c; c++) {
            if (*c == '%' || *c == '_' || *c == '\\')
                *o++ = '\\';
            *o++ = *c;
        }
        *o++ = '%';
        *o = '\0';
        td_query_sql(q, " LIKE ");
        td_query_text(q, pat);
        td_query_sql(q, " ESCAPE '\\'");
        next(p);
        return 0;
    }
    if (tok_is(p, "in")) {
        next(p);
        if (p->t != T_LPAREN)
            return perr(p, "expected ( after in");
        next(p);
        td_query_sql(q, " IN (");
        for (int k = 0;; k++) {
            if (k == TD_FILTER_IN)
                return perr(p, "too many values in one list");
            if (k)
                td_query_sql(q, ", ");
            if (value(p, f))
                return -1;
            if (p->t == T_RPAREN)
                break;
            if (p->t != T_COMMA)
                return perr(p, "expected , or ) in a list");
            next(p);
        }
        td_query_sql(q, ")");
        next(p);
        return 0;
    }
    return perr(p, "expected an operator (eq ne lt le gt ge contains startswith in)");
}

static int unary(parser_t *p) {
    if (++p->depth > TD_FILTER_DEPTH)
        return perr(p, "nested too deeply");
    int rc;
    if (tok_is(p, "not")) {
        next(p);
        td_query_sql(p->q, "NOT (");
        rc = unary(p);
        td_query_sql(p->q, ")");
    } else if (p->t == T_LPAREN) {
        next(p);
        td_query_sql(p->q, "(");
        rc = expr(p);
        if (!rc && p->t != T_RPAREN)
            rc = perr(p, "expected )");
        td_query_sql(p->q, ")");
        if (!rc)
            next(p);
    } else {
        rc = comparison(p);
    }
    p->depth--;
    return rc;
}

static int term(parser_t *p) {
    if (unary(p))
        return -1;
    while (tok_is(p, "and")) {
        next(p);
        td_query_sql(p->q, " AND ");
        if (unary(p))
            return -1;
    }
    return 0;
}

static int expr(parser_t *p) {
    if (term(p))
        return -1;
    while (tok_is(p, "or")) {
        next(p);
        td_query_sql(p->q, " OR ");
        if (term(p))
            return -1;
    }
    return 0;
}

td_status td_filter_compile(const td_resource_t *r, const char *filter, td_query_t *q, char *err,
                            size_t errlen) {
    err[0] = '\0';
    if (strlen(filter) > TD_FILTER_MAX) {
        snprintf(err, errlen, "filter: longer than %d bytes", TD_FILTER_MAX);
        return TD_E_INVALID;
    }
    parser_t p = {.s = filter, .r = r, .q = q, .err = err, .errlen = errlen};
    next(&p);
    td_query_sql(q, "(");
    int rc = expr(&p);
    if (!rc && p.t != T_END)
        rc = perr(&p, "unexpected text after the expression");
    td_query_sql(q, ")");
    if (!rc && q->sql.len == 0)
        return TD_E_NOMEM;
    return rc ? TD_E_INVALID : TD_OK;
}
