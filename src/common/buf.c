/* buf.c — bounded growable buffers. */
#include "common/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void td_buf_init(td_buf_t *b, size_t max) {
    b->data = NULL;
    b->len = b->cap = 0;
    b->max = max;
}

void td_buf_free(td_buf_t *b) {
    free(b->data);
    td_buf_init(b, b->max);
}

void td_buf_reset(td_buf_t *b) {
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

static td_status reserve(td_buf_t *b, size_t n) {
    if (n > b->max || b->len + n > b->max)
        return TD_E_TOOBIG;
    size_t need = b->len + n + 1;
    if (need <= b->cap)
        return TD_OK;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p)
        return TD_E_NOMEM;
    b->data = p;
    b->cap = cap;
    return TD_OK;
}

td_status td_buf_append(td_buf_t *b, const void *p, size_t n) {
    td_status st = reserve(b, n);
    if (st)
        return st;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return TD_OK;
}

td_status td_buf_extend(td_buf_t *b, size_t n, char **at) {
    td_status st = reserve(b, n);
    if (st)
        return st;
    *at = b->data + b->len;
    b->len += n;
    b->data[b->len] = '\0';
    return TD_OK;
}

td_status td_buf_puts(td_buf_t *b, const char *s) {
    return td_buf_append(b, s, strlen(s));
}

td_status td_buf_printf(td_buf_t *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return TD_E_INVALID;
    td_status st = reserve(b, (size_t)n);
    if (st)
        return st;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return TD_OK;
}

td_status td_buf_json_escape(td_buf_t *b, const char *s) {
    td_status st = TD_OK;
    size_t mark = b->len;
    for (const unsigned char *p = (const unsigned char *)s; *p && !st; p++) {
        switch (*p) {
        case '"': st = td_buf_append(b, "\\\"", 2); break;
        case '\\': st = td_buf_append(b, "\\\\", 2); break;
        case '\n': st = td_buf_append(b, "\\n", 2); break;
        case '\r': st = td_buf_append(b, "\\r", 2); break;
        case '\t': st = td_buf_append(b, "\\t", 2); break;
        default:
            if (*p < 0x20)
                st = td_buf_printf(b, "\\u%04x", *p);
            else
                st = td_buf_append(b, p, 1);
        }
    }
    if (st && b->data) { /* all or nothing */
        b->len = mark;
        b->data[mark] = '\0';
    }
    return st;
}

const char *td_buf_str(const td_buf_t *b) { return b->data ? b->data : ""; }
