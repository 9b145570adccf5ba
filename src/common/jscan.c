/* jscan.c — a one-pass JSON reader that accepts only what jansson (as
 * td_json_parse calls it) accepts; see jscan.h. */
#include "common/jscan.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define KEYS_CHECKED 16 /* keys per object compared for duplicates */

void td_jscan_init(td_jscan_t *s, const char *text, size_t len) {
    s->p = text;
    s->end = text + len;
}

static int is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
static int is_digit(char c) { return c >= '0' && c <= '9'; }

int td_jscan_peek(td_jscan_t *s) {
    while (s->p < s->end && is_ws(*s->p))
        s->p++;
    return s->p < s->end ? (unsigned char)*s->p : -1;
}

int td_jscan_eat(td_jscan_t *s, char c) {
    if (td_jscan_peek(s) != (unsigned char)c)
        return 0;
    s->p++;
    return 1;
}

int td_jscan_at_end(td_jscan_t *s) { return td_jscan_peek(s) < 0; }

/* The length of the UTF-8 sequence at p (strict: no overlong forms,
 * surrogates or code points past U+10FFFF, as jansson checks), 0 if none. */
static size_t utf8_len(const unsigned char *p, const unsigned char *end) {
    unsigned c = p[0];
    size_t n;
    uint32_t v;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2, v = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF)
        n = 3, v = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4)
        n = 4, v = c & 0x07;
    else
        return 0;
    if ((size_t)(end - p) < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        v = v << 6 | (p[i] & 0x3F);
    }
    if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF) || (n == 3 && v < 0x800) ||
        (n == 4 && v < 0x10000))
        return 0;
    return n;
}

/* Four hex digits at p (end not passed): 0 with *v, else -1. */
static int hex4(const unsigned char *p, const unsigned char *end, uint32_t *v) {
    if (end - p < 4)
        return -1;
    *v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned c = p[i];
        unsigned d = c >= '0' && c <= '9'   ? c - '0'
                     : c >= 'a' && c <= 'f' ? c - 'a' + 10
                     : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                            : 16;
        if (d == 16)
            return -1;
        *v = *v << 4 | d;
    }
    return 0;
}

/* The length of the escape at p (p[0] is the backslash) and its code
 * point in *cp (a pair of surrogates makes one); 0 when jansson refuses
 * it: an unknown escape, \u0000, a lone or reversed surrogate. */
static size_t escape_len(const unsigned char *p, const unsigned char *end, uint32_t *cp) {
    static const char simple[] = "\"\\/bfnrt", value[] = "\"\\/\b\f\n\r\t";
    if (end - p < 2)
        return 0;
    const char *k = p[1] ? strchr(simple, p[1]) : NULL;
    if (k) {
        *cp = (unsigned char)value[k - simple];
        return 2;
    }
    uint32_t v, w;
    if (p[1] != 'u' || hex4(p + 2, end, &v) || v == 0 || (v >= 0xDC00 && v <= 0xDFFF))
        return 0;
    if (v < 0xD800 || v > 0xDBFF) {
        *cp = v;
        return 6;
    }
    if (end - p < 12 || p[6] != '\\' || p[7] != 'u' || hex4(p + 8, end, &w) || w < 0xDC00 ||
        w > 0xDFFF)
        return 0;
    *cp = 0x10000 + ((v - 0xD800) << 10) + (w - 0xDC00);
    return 12;
}

int td_jscan_string(td_jscan_t *s, td_jstr_t *out) {
    if (td_jscan_peek(s) != '"')
        return -1;
    const unsigned char *p = (const unsigned char *)s->p + 1;
    const unsigned char *end = (const unsigned char *)s->end;
    out->raw = (const char *)p;
    out->escaped = 0;
    while (p < end) {
        unsigned c = *p;
        size_t n = 1;
        uint32_t cp;
        if (c == '"') {
            out->len = (size_t)((const char *)p - out->raw);
            s->p = (const char *)p + 1;
            return 0;
        }
        if (c < 0x20)
            return -1;
        if (c == '\\')
            out->escaped = 1, n = escape_len(p, end, &cp);
        else if (c >= 0x80)
            n = utf8_len(p, end);
        if (!n)
            return -1;
        p += n;
    }
    return -1;
}

static size_t put_utf8(uint32_t cp, char *d) {
    if (cp < 0x80) {
        d[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        d[0] = (char)(0xC0 | cp >> 6);
        d[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        d[0] = (char)(0xE0 | cp >> 12);
        d[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        d[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    d[0] = (char)(0xF0 | cp >> 18);
    d[1] = (char)(0x80 | (cp >> 12 & 0x3F));
    d[2] = (char)(0x80 | (cp >> 6 & 0x3F));
    d[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

size_t td_jscan_unescape(const td_jstr_t *str, char *dst) {
    const unsigned char *p = (const unsigned char *)str->raw, *end = p + str->len;
    if (!str->escaped) {
        memcpy(dst, str->raw, str->len);
        return str->len;
    }
    char *d = dst;
    while (p < end) {
        const unsigned char *run = p;
        while (p < end && *p != '\\')
            p++;
        memcpy(d, run, (size_t)(p - run));
        d += p - run;
        if (p == end)
            break;
        uint32_t cp = 0;
        p += escape_len(p, end, &cp); /* checked by td_jscan_string */
        d += put_utf8(cp, d);
    }
    return (size_t)(d - dst);
}

/* The end of the digits from p. */
static const char *digits(const char *p, const char *end) {
    while (p < end && is_digit(*p))
        p++;
    return p;
}

int td_jscan_number(td_jscan_t *s, const char **tok, size_t *len, int *is_int, double *d) {
    td_jscan_peek(s);
    const char *b = s->p, *p = b, *end = s->end;
    int integer = 1;
    if (p < end && *p == '-')
        p++;
    if (p == end || !is_digit(*p))
        return -1;
    p = *p == '0' ? p + 1 : digits(p, end);
    if (p < end && *p == '.') {
        integer = 0;
        if (++p == end || !is_digit(*p))
            return -1;
        p = digits(p, end);
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        integer = 0;
        if (++p < end && (*p == '+' || *p == '-'))
            p++;
        if (p == end || !is_digit(*p))
            return -1;
        p = digits(p, end);
    }
    /* what follows ends the token for strtoll/strtod too */
    if (p == end || !(is_ws(*p) || *p == ',' || *p == ']' || *p == '}'))
        return -1;
    char *e;
    errno = 0;
    if (integer) { /* jansson: "too big integer" past int64 */
        long long v = strtoll(b, &e, 10);
        if (errno == ERANGE || e != p)
            return -1;
        *d = (double)v;
    } else { /* jansson: "real number overflow"; an underflow is taken */
        *d = strtod(b, &e);
        if (e != p || isinf(*d))
            return -1;
    }
    *tok = b;
    *len = (size_t)(p - b);
    *is_int = integer;
    s->p = p;
    return 0;
}

/* The next byte after white space; white space inside a value makes its
 * text other than the compact dump. */
static int next(td_jscan_t *s, int *canon) {
    const char *was = s->p;
    int c = td_jscan_peek(s);
    if (s->p != was)
        *canon = 0;
    return c;
}

static int value(td_jscan_t *s, int depth, int *canon);

static int object(td_jscan_t *s, int depth, int *canon) {
    td_jstr_t keys[KEYS_CHECKED];
    size_t nk = 0;
    s->p++;
    if (next(s, canon) == '}') {
        s->p++;
        return 0;
    }
    for (;;) {
        td_jstr_t k;
        if (next(s, canon) != '"' || td_jscan_string(s, &k))
            return -1;
        if (k.escaped || nk == KEYS_CHECKED) {
            *canon = 0; /* duplicates left to jansson */
        } else {
            for (size_t i = 0; i < nk; i++)
                if (keys[i].len == k.len && !memcmp(keys[i].raw, k.raw, k.len))
                    return -1;
            keys[nk++] = k;
        }
        if (next(s, canon) != ':')
            return -1;
        s->p++;
        if (value(s, depth - 1, canon))
            return -1;
        int c = next(s, canon);
        if (c != ',' && c != '}')
            return -1;
        s->p++;
        if (c == '}')
            return 0;
    }
}

static int array(td_jscan_t *s, int depth, int *canon) {
    s->p++;
    if (next(s, canon) == ']') {
        s->p++;
        return 0;
    }
    for (;;) {
        if (value(s, depth - 1, canon))
            return -1;
        int c = next(s, canon);
        if (c != ',' && c != ']')
            return -1;
        s->p++;
        if (c == ']')
            return 0;
    }
}

static int literal(td_jscan_t *s, const char *word) {
    size_t n = strlen(word);
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n))
        return -1;
    s->p += n;
    return 0;
}

static int value(td_jscan_t *s, int depth, int *canon) {
    int c = next(s, canon);
    td_jstr_t str;
    const char *tok;
    size_t len;
    int is_int;
    double d;
    switch (c) {
    case '"':
        if (td_jscan_string(s, &str))
            return -1;
        if (str.escaped) /* jansson writes its own escapes */
            *canon = 0;
        return 0;
    case '{': return depth < 1 ? -1 : object(s, depth, canon);
    case '[': return depth < 1 ? -1 : array(s, depth, canon);
    case 't': return literal(s, "true");
    case 'f': return literal(s, "false");
    case 'n': return literal(s, "null");
    default:
        if (td_jscan_number(s, &tok, &len, &is_int, &d))
            return -1;
        /* reals are written "%.17g"-style; "-0" is written 0 */
        if (!is_int || (len == 2 && tok[0] == '-' && tok[1] == '0'))
            *canon = 0;
        return 0;
    }
}

int td_jscan_value(td_jscan_t *s, int depth, const char **start, int *canonical) {
    td_jscan_peek(s);
    *start = s->p;
    *canonical = 1;
    return value(s, depth, canonical);
}
