/* rowtext.c — a list's rows as JSON text written straight into its answer
 * (rowtext.h says which bytes, and why they are jansson's). A list of 20
 * spent about half its CPU making a jansson object per row, dumping the
 * whole answer and freeing it all; this writes each column once. */
#include "services/rowtext.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The length of the UTF-8 sequence at p (1..4), or 0 when it is not one
 * jansson accepts: no overlong forms, no surrogates, nothing past
 * U+10FFFF. */
static size_t utf8_len(const unsigned char *p) {
    unsigned c = p[0], n, cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2, cp = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF)
        n = 3, cp = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4)
        n = 4, cp = c & 0x07;
    else
        return 0;
    for (unsigned i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

/* 1 for the bytes that stand as they are in a JSON string and need no
 * UTF-8 check: ASCII from the space on, but '"' and '\\'. */
#define R16(x) x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x
static const unsigned char PLAIN[256] = {
    R16(0), R16(0),                                 /* controls */
    1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x20: '"' */
    R16(1), R16(1),                                 /* 0x30, 0x40 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, /* 0x50: '\\' */
    R16(1), R16(1),                                 /* 0x60, 0x70 */
    R16(0), R16(0), R16(0), R16(0), R16(0), R16(0), R16(0), R16(0) /* UTF-8 */
};
#undef R16

/* The escape of byte c inside a JSON string, as jansson writes it, into
 * out (2 or 6 bytes); 0 when c stands as it is. */
static size_t escape(unsigned char c, char out[8]) {
    static const char hex[] = "0123456789ABCDEF";
    const char *two = c == '"'    ? "\\\""
                      : c == '\\' ? "\\\\"
                      : c == '\b'  ? "\\b"
                      : c == '\f'  ? "\\f"
                      : c == '\n'  ? "\\n"
                      : c == '\r'  ? "\\r"
                      : c == '\t'  ? "\\t"
                                   : NULL;
    if (two) {
        memcpy(out, two, 2);
        return 2;
    }
    if (c >= 0x20)
        return 0;
    memcpy(out, "\\u00", 4);
    out[4] = hex[c >> 4];
    out[5] = hex[c & 15];
    return 6;
}

/* Escapes into a chunk on the stack and appends whole chunks, so a short
 * value costs one append; text that is not UTF-8 is taken back and
 * written as null. */
td_status td_rowtext_string(td_buf_t *b, const char *s) {
    if (!s)
        return td_buf_append(b, "null", 4);
    char chunk[512];
    size_t n = 0, mark = b->len, plain = 0;
    const unsigned char *u = (const unsigned char *)s;
    while (PLAIN[u[plain]])
        plain++;
    if (!s[plain] && plain + 2 <= sizeof(chunk)) { /* most values: one copy, one append */
        chunk[0] = '"';
        memcpy(chunk + 1, s, plain);
        chunk[plain + 1] = '"';
        return td_buf_append(b, chunk, plain + 2);
    }
    td_status st = TD_OK;
    chunk[n++] = '"';
    for (const unsigned char *p = (const unsigned char *)s; *p && !st;) {
        if (n + 8 > sizeof(chunk)) {
            st = td_buf_append(b, chunk, n);
            n = 0;
        }
        if (PLAIN[*p]) {
            chunk[n++] = (char)*p++;
            continue;
        }
        size_t len = utf8_len(p);
        if (!len) {
            if (b->data) {
                b->len = mark;
                b->data[mark] = '\0';
            }
            return td_buf_append(b, "null", 4);
        }
        size_t e = len == 1 ? escape(*p, chunk + n) : 0;
        if (e)
            n += e;
        else
            for (size_t k = 0; k < len; k++)
                chunk[n++] = (char)p[k];
        p += len;
    }
    chunk[n++] = '"';
    return st ? st : td_buf_append(b, chunk, n);
}

/* A real as jansson writes it: "%.17g", then ".0" when it would read
 * back as an integer, then the exponent without '+' or leading zeros. */
static td_status put_real(td_buf_t *b, double d) {
    if (!isfinite(d))
        return td_buf_append(b, "null", 4);
    char s[48];
    int n = snprintf(s, sizeof(s) - 3, "%.17g", d);
    if (n < 0 || (size_t)n >= sizeof(s) - 3)
        return TD_E_INVALID;
    if (!strchr(s, '.') && !strchr(s, 'e')) {
        memcpy(s + n, ".0", 3);
        n += 2;
    }
    char *e = strchr(s, 'e');
    if (e) {
        char *from = e + 1, *to = e + 1;
        if (*from == '-')
            from++, to++;
        else if (*from == '+')
            from++;
        while (*from == '0' && from[1])
            from++;
        memmove(to, from, strlen(from) + 1);
        n = (int)strlen(s);
    }
    return td_buf_append(b, s, (size_t)n);
}

static int dump_cb(const char *p, size_t n, void *b) { return td_buf_append(b, p, n) ? -1 : 0; }

/* A json field: stored text, parsed and dumped again as the object path
 * did (null when it does not parse). */
static td_status put_json(td_buf_t *b, const char *text) {
    json_t *v = text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;
    if (!v)
        return td_buf_append(b, "null", 4);
    size_t mark = b->len;
    int rc = json_dump_callback(v, dump_cb, b, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(v);
    if (rc && b->data) {
        b->len = mark;
        b->data[mark] = '\0';
        return TD_E_TOOBIG;
    }
    return TD_OK;
}

td_status td_rowtext_value(td_buf_t *b, td_stmt_t *st, int col, const td_field_t *f) {
    if (td_db_column_is_null(st, col))
        return td_buf_append(b, "null", 4);
    switch (f->type) {
    case TD_F_INTEGER:
        return td_buf_printf(b, "%lld", (long long)td_db_column_int64(st, col));
    case TD_F_BOOLEAN:
        return td_db_column_int64(st, col) ? td_buf_append(b, "true", 4)
                                           : td_buf_append(b, "false", 5);
    case TD_F_NUMBER: {
        double d = td_db_column_double(st, col);
        if (d == floor(d) && fabs(d) < 9e15) /* as column_json: integral → integer */
            return td_buf_printf(b, "%lld", (long long)d);
        return put_real(b, d);
    }
    case TD_F_JSON: return put_json(b, td_db_column_text(st, col));
    default: return td_rowtext_string(b, td_db_column_text(st, col));
    }
}

td_status td_rowtext_row(td_buf_t *b, td_stmt_t *st, const td_resource_t *r, const size_t *cols,
                         size_t n) {
    if (!cols)
        n = r->nfields;
    td_status rc = n ? TD_OK : td_buf_append(b, "{", 1);
    for (size_t i = 0; !rc && i < n; i++) {
        size_t k = cols ? cols[i] : i;
        const td_field_t *f = &r->fields[k];
        char key[72]; /* {"name": or ,"name": — names are identifiers of ≤ 63 bytes */
        size_t len = strlen(f->name);
        if (len > sizeof(key) - 4)
            return TD_E_INVALID;
        key[0] = i ? ',' : '{';
        key[1] = '"';
        memcpy(key + 2, f->name, len);
        memcpy(key + 2 + len, "\":", 2);
        rc = td_buf_append(b, key, len + 4);
        if (!rc)
            rc = td_rowtext_value(b, st, (int)k, f);
    }
    return rc ? rc : td_buf_append(b, "}", 1);
}
