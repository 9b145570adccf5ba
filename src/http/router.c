/* router.c — matches method + path against a static route table.
 *
 * Patterns are absolute paths made of literal segments and "{name}"
 * segments; a "{name}" segment matches exactly one non-empty path segment.
 * The request path is split once into segments, each percent-decoded in an
 * arena copy; then every route is tried in table order (a linear scan: the
 * tables are tens of rows). Decoding happens before comparison, so
 * "/v1/ten%61nts" is "/v1/tenants", but a segment that decodes to something
 * containing '/' or NUL, or that is not valid percent-encoding, matches
 * nothing: "/a%2Fb" is never "/a/b", and a parameter can never smuggle a
 * slash into a handler. "." and ".." are literal text to the router and are
 * refused as parameter values, so a handler never receives a path-traversal
 * segment. Nothing is normalised: "//", a trailing slash or ".." simply fail
 * to match patterns that do not spell them out. */
#include "http/http.h"

#include <stdbool.h>
#include <string.h>

typedef struct {
    const char *s; /* decoded, NUL-terminated, inside the arena copy */
    size_t len;
    bool bad;      /* invalid %-escape, or decoded '/' or NUL: matches nothing */
} seg_t;

static int hexval(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes s[0..len) in place (the result is never longer), NUL-terminates
 * it and returns the decoded length; *bad is set when the segment must not
 * match anything. '+' stays '+': form encoding does not apply to paths. */
static size_t decode_segment(char *s, size_t len, bool *bad) {
    size_t o = 0;
    *bad = false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '%') {
            int hi = i + 2 < len ? hexval(s[i + 1]) : -1;
            int lo = hi >= 0 ? hexval(s[i + 2]) : -1;
            if (hi < 0 || lo < 0) {
                *bad = true;
                break;
            }
            c = (char)(hi * 16 + lo);
            i += 2;
            if (c == '/' || c == '\0')
                *bad = true;
        }
        s[o++] = c;
    }
    s[o] = '\0';
    return o;
}

/* Splits path (which must start with '/') into decoded segments allocated
 * in the arena. Returns the segment count, or -1 when the path cannot match
 * any pattern (not absolute, or out of arena memory). "/" is one empty
 * segment, "/a/" is "a" and "". */
static int split_path(const char *path, td_arena_t *arena, seg_t **out) {
    if (!path || path[0] != '/')
        return -1;
    size_t n = 1;
    for (const char *p = path + 1; *p; p++)
        n += *p == '/';
    char *copy = td_arena_strdup(arena, path + 1);
    seg_t *segs = copy ? td_arena_alloc(arena, n * sizeof(*segs)) : NULL;
    if (!segs || n > (size_t)1 << 30)
        return -1;
    char *p = copy;
    for (size_t i = 0; i < n; i++) {
        char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p);
        segs[i].len = decode_segment(p, len, &segs[i].bad);
        segs[i].s = p;
        p += len + 1;
    }
    *out = segs;
    return (int)n;
}

static bool is_param(const char *seg, size_t len) {
    return len >= 2 && seg[0] == '{' && seg[len - 1] == '}';
}

static bool param_ok(const seg_t *s) {
    if (s->bad || s->len == 0)
        return false;
    return strcmp(s->s, ".") != 0 && strcmp(s->s, "..") != 0;
}

/* Returns true when pattern matches the segments; params receive the
 * {x} values in order (at most TD_MAX_PATH_PARAMS are recorded). */
static bool match_pattern(const char *pattern, const seg_t *segs, int nseg,
                          const char **params, int *nparams) {
    if (!pattern || pattern[0] != '/')
        return false;
    const char *p = pattern + 1;
    int i = 0;
    *nparams = 0;
    for (;; i++) {
        const char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p);
        if (i >= nseg)
            return false;
        const seg_t *s = &segs[i];
        if (is_param(p, len)) {
            if (!param_ok(s))
                return false;
            if (*nparams < TD_MAX_PATH_PARAMS)
                params[(*nparams)++] = s->s;
        } else if (s->bad || s->len != len || memcmp(s->s, p, len) != 0) {
            return false;
        }
        if (!slash)
            break;
        p = slash + 1;
    }
    return i + 1 == nseg;
}

/* See http.h. The arena receives the decoded copy of the path that params
 * point into. The most literal patterns win: only the patterns that match
 * the path with the fewest parameters are considered, so that
 * "/v1/auth/users/{id}" answers 405 for a method it lacks instead of
 * falling through to "/v1/{service}/{resource}/{id}". Among those, a
 * method may be a mask (the server passes TD_HEAD|TD_GET for HEAD): the
 * first route whose methods intersect it wins. On 405, *allowed is the
 * union of their methods. */
int td_router_match(const td_route_t *routes, size_t n, unsigned method, const char *path,
                    td_arena_t *arena, const td_route_t **route, const char **params,
                    int *nparams, unsigned *allowed) {
    seg_t *segs = NULL;
    int nseg = split_path(path, arena, &segs);
    unsigned mask = 0;
    int best = -1; /* fewest parameters among the patterns that match the path */
    if (allowed)
        *allowed = 0;
    if (nseg < 0)
        return 404;
    for (size_t i = 0; i < n; i++) {
        const char *tmp[TD_MAX_PATH_PARAMS];
        int ntmp = 0;
        if (match_pattern(routes[i].pattern, segs, nseg, tmp, &ntmp) && (best < 0 || ntmp < best))
            best = ntmp;
    }
    if (best < 0)
        return 404;
    for (size_t i = 0; i < n; i++) {
        const char *tmp[TD_MAX_PATH_PARAMS];
        int ntmp = 0;
        if (!match_pattern(routes[i].pattern, segs, nseg, tmp, &ntmp) || ntmp != best)
            continue;
        if (!(routes[i].methods & method)) {
            mask |= routes[i].methods;
            continue;
        }
        if (route)
            *route = &routes[i];
        if (params)
            memcpy(params, tmp, (size_t)ntmp * sizeof(*tmp));
        if (nparams)
            *nparams = ntmp;
        return 0;
    }
    if (allowed)
        *allowed = mask;
    return 405;
}

/* Method names in the order of the TD_* bits. */
static const struct {
    unsigned bit;
    const char *name;
} k_methods[] = {
    {TD_GET, "GET"},       {TD_POST, "POST"}, {TD_PUT, "PUT"},         {TD_PATCH, "PATCH"},
    {TD_DELETE, "DELETE"}, {TD_HEAD, "HEAD"}, {TD_OPTIONS, "OPTIONS"},
};

/* Writes "GET, POST" for mask into out (always NUL-terminated when n > 0;
 * truncated at a method boundary if out is too small). */
void td_http_methods_text(unsigned mask, char *out, size_t n) {
    size_t len = 0;
    if (n == 0)
        return;
    out[0] = '\0';
    for (size_t i = 0; i < sizeof(k_methods) / sizeof(k_methods[0]); i++) {
        if (!(mask & k_methods[i].bit))
            continue;
        const char *sep = len ? ", " : "";
        size_t add = strlen(sep) + strlen(k_methods[i].name);
        if (len + add + 1 > n)
            break;
        memcpy(out + len, sep, strlen(sep));
        memcpy(out + len + strlen(sep), k_methods[i].name, strlen(k_methods[i].name) + 1);
        len += add;
    }
}
