/* jscan.h — reading JSON text in one pass, without building a tree.
 *
 * For request bodies too large to turn into a jansson value per item (an
 * event batch of 10 000 events): a cursor that checks what it reads as
 * td_json_parse would — strict UTF-8, only JSON's escapes, no \u0000
 * (jansson refuses it without JSON_ALLOW_NUL), surrogates in pairs,
 * integers within int64, reals that do not overflow — and hands back
 * slices of the text. It never explains a refusal: a caller keeps
 * td_json_parse for any text this reader does not take, and that path
 * says what is wrong. So whatever is taken here must be taken there too,
 * with the same value; the converse need not hold (a value this reader
 * cannot judge cheaply, such as an object with many or escaped keys, is
 * reported as "not canonical" for the caller to hand to jansson). */
#ifndef TD_JSCAN_H
#define TD_JSCAN_H

#include <stddef.h>

typedef struct {
    const char *p;   /* next byte */
    const char *end; /* one past the last byte */
} td_jscan_t;

/* A string token as written, between its quotes. */
typedef struct {
    const char *raw;
    size_t len;
    int escaped; /* raw holds a backslash: decode with td_jscan_unescape */
} td_jstr_t;

void td_jscan_init(td_jscan_t *s, const char *text, size_t len);
/* Skips white space; the next byte, or -1 at the end. */
int td_jscan_peek(td_jscan_t *s);
/* 1 when the next byte after white space is c (then consumed), else 0. */
int td_jscan_eat(td_jscan_t *s, char c);
/* 1 when only white space is left. */
int td_jscan_at_end(td_jscan_t *s);
/* Reads a string token (after white space): 0, or -1 when there is none
 * or it is not one jansson would take. */
int td_jscan_string(td_jscan_t *s, td_jstr_t *out);
/* Writes the decoded bytes of a string td_jscan_string took into dst (at
 * least str->len bytes: decoding never lengthens) and returns their
 * number. */
size_t td_jscan_unescape(const td_jstr_t *str, char *dst);
/* Reads a number token (after white space) followed by white space, ',',
 * ']' or '}': 0 with its text (*tok, *len), whether it is an integer
 * (*is_int) and its value as a double (*d, as jansson's
 * json_number_value gives it); -1 when not a number jansson would take. */
int td_jscan_number(td_jscan_t *s, const char **tok, size_t *len, int *is_int, double *d);
/* Reads any value (after white space) nested at most depth levels (an
 * object or array counts one): 0 with its text from *start to s->p and
 * *canonical = 1 when that text is byte for byte what jansson's compact
 * dump (JSON_COMPACT) of the value is; -1 when the text is not a value
 * jansson would take (or is deeper). *canonical = 0 when the reader could
 * not tell (escaped or many keys, reals, white space inside, "-0"). */
int td_jscan_value(td_jscan_t *s, int depth, const char **start, int *canonical);

#endif
