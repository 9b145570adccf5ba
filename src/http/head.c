/* head.c — NUL bytes in the request head.
 *
 * libmicrohttpd hands the request line and the headers over as C strings,
 * so a NUL byte sent inside one silently cuts it short ("/health\0junk" is
 * "/health", "X: a\0b" is "a"): what a proxy in front checked is then not
 * what tenantd acts on. The strings still point into the head as it was
 * received, which libmicrohttpd parsed in place (one buffer, from the
 * method to the empty line, REQUEST_HEADER_SIZE bytes long), putting a NUL
 * where each separator was: the space after the method and before the
 * version, the colon of each header, and each line end (one NUL for LF,
 * two for CRLF). So walking the strings in order, the bytes between the
 * end of one and the start of the next must be exactly such a separator;
 * a NUL from the client leaves the rest of its string there instead.
 *
 * One case cannot be seen: a NUL just before a bare LF line end reads as
 * a CRLF (two NULs). It cuts nothing off. When the layout is not the one
 * expected (a folded header is moved elsewhere by libmicrohttpd), the
 * check passes rather than refusing a request it cannot judge. */
#include <string.h>

#include "http/http_int.h"

typedef struct {
    const char *lo, *hi;  /* the head */
    const char *cur;      /* end of the last string walked */
    bool bad;             /* a client NUL was found */
    bool unknown;         /* the layout is not as expected: no verdict */
} walk_t;

static bool inside(const walk_t *w, const char *p) {
    return p >= w->lo && p < w->hi;
}

/* The gap [from, to) holds only NULs, between min and max of them. */
static bool nul_run(const char *from, const char *to, size_t min, size_t max) {
    if (to < from || (size_t)(to - from) < min || (size_t)(to - from) > max)
        return false;
    for (const char *p = from; p < to; p++)
        if (*p)
            return false;
    return true;
}

/* The gap [from, to) is one NUL (a separator) followed by blanks. */
static bool nul_then_blanks(const char *from, const char *to) {
    if (to <= from || *from)
        return false;
    for (const char *p = from + 1; p < to; p++)
        if (*p != ' ' && *p != '\t')
            return false;
    return true;
}

/* One header, in the order received: the previous line's end, then
 * "name NUL blanks value". */
static enum MHD_Result walk_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value) {
    walk_t *w = cls;
    if (!value || !inside(w, key) || !inside(w, value) || key < w->cur || value < key) {
        w->unknown = true;
        return MHD_NO;
    }
    const char *kend = key + strlen(key);
    if (!nul_run(w->cur, key, 1, 2) || !nul_then_blanks(kend, value)) {
        w->bad = true;
        return MHD_NO;
    }
    w->cur = value + strlen(value);
    return MHD_YES;
}

/* Returns 400 when the request line or a header carried a NUL byte. The
 * request target's length was taken by the URI callback (x->uri_len),
 * before libmicrohttpd split off the query. */
int td_http_check_nul(struct MHD_Connection *c, const char *method, const char *version,
                      const rctx_t *x, const char **code, const char **detail) {
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
    if (!ci || !x->uri || !method || !version || !*version)
        return 0;
    walk_t w = {.lo = method, .hi = method + ci->header_size};
    const char *mend = method + strlen(method);
    const char *uend = x->uri + x->uri_len;
    if (!inside(&w, x->uri) || !inside(&w, version) || uend >= version)
        return 0;
    if (!nul_then_blanks(mend, x->uri) || uend + 1 != version) {
        w.bad = true;
    } else {
        w.cur = version + strlen(version);
        MHD_get_connection_values(c, MHD_HEADER_KIND, walk_header, &w);
        /* the last line's end and the empty line's */
        if (!w.bad && !w.unknown && !nul_run(w.cur, w.hi, 2, 4))
            w.bad = true;
    }
    if (!w.bad || w.unknown)
        return 0;
    *code = "nul_byte";
    *detail = "a NUL byte in the request line or a header";
    return 400;
}
