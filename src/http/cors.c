/* cors.c — Cross-Origin Resource Sharing (the Fetch standard's CORS
 * protocol) for the origins the operator lists (TENANTD_CORS_ORIGINS;
 * none by default, so a browser page of another origin cannot read any
 * answer). The API's credentials are bearer tokens and API keys in
 * headers, never cookies: Access-Control-Allow-Credentials is never sent,
 * so "*" allows any origin to call with a token it holds, and no origin
 * ever rides on a browser's ambient credentials.
 *
 * A preflight (OPTIONS with Origin and Access-Control-Request-Method) is
 * answered here, before authentication (it carries no credentials): 204
 * with the path's methods and the request headers the API reads, or 403
 * cors_origin_not_allowed for an origin not listed. Every other answer to
 * a listed origin carries Access-Control-Allow-Origin and exposes the
 * response headers a client needs (ETag, Location, Retry-After, the
 * request id, the rate-limit headers). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http_int.h"

/* the request headers the API reads, for Access-Control-Allow-Headers */
static const char allow_headers[] =
    "Authorization, Content-Type, X-API-Key, X-Tenant, X-Request-Id, Idempotency-Key, If-Match, "
    "If-None-Match";
static const char expose_headers[] =
    "ETag, Location, Retry-After, X-Request-Id, RateLimit-Limit, RateLimit-Remaining, "
    "RateLimit-Reset, Content-Disposition, X-Checksum-Blake2b, Idempotent-Replayed, "
    "WWW-Authenticate";

/* "https://app.example.com[:port]" or "http://[::1]:8080": a scheme, a
 * lower-case host name or address (an IPv6 one in brackets), maybe a
 * port; no path, query, user or trailing slash (a browser's Origin never
 * has them). */
static int origin_valid(const char *o, size_t n) {
    size_t i = !strncmp(o, "https://", 8) ? 8 : !strncmp(o, "http://", 7) ? 7 : 0;
    if (!i || n <= i || n > TD_CORS_ORIGIN_MAX)
        return 0;
    size_t host;
    if (o[i] == '[') { /* [IPv6] */
        host = 1 + strspn(o + i + 1, "0123456789abcdef:.");
        if (i + host >= n || o[i + host] != ']')
            return 0;
        host++;
    } else {
        host = strspn(o + i, "abcdefghijklmnopqrstuvwxyz0123456789.-");
    }
    if (!host || o[i] == '.' || o[i] == '-')
        return 0;
    i += host;
    if (i == n)
        return 1;
    size_t port = o[i] == ':' ? strspn(o + i + 1, "0123456789") : 0;
    return port >= 1 && port <= 5 && i + 1 + port == n;
}

td_status td_cors_parse(const char *list, td_cors_t *c, char *err, size_t errlen) {
    memset(c, 0, sizeof(*c));
    for (const char *p = list ? list : ""; *p;) {
        p += strspn(p, " ,");
        size_t n = strcspn(p, " ,");
        if (!n)
            break;
        if (n == 1 && *p == '*') {
            c->any = 1;
        } else if (!origin_valid(p, n) || c->n == TD_CORS_ORIGINS_MAX) {
            snprintf(err, errlen,
                     "TENANTD_CORS_ORIGINS: '%.*s' is not an origin (scheme://host[:port] in lower"
                     " case, no path; at most %d, or *)",
                     (int)(n > 80 ? 80 : n), p, TD_CORS_ORIGINS_MAX);
            return TD_E_INVALID;
        } else {
            memcpy(c->origins[c->n], p, n);
            c->origins[c->n++][n] = 0;
        }
        p += n;
    }
    c->on = c->any || c->n > 0;
    return TD_OK;
}

int td_cors_allowed(const td_cors_t *c, const char *origin) {
    if (!c->on || !origin)
        return 0;
    if (c->any)
        return 1;
    for (int i = 0; i < c->n; i++)
        if (!strcmp(c->origins[i], origin))
            return 1;
    return 0;
}

void td_cors_answer_headers(const td_cors_t *c, struct MHD_Response *resp, const char *origin) {
    if (!c->on)
        return;
    MHD_add_response_header(resp, "Vary", "Origin"); /* the answer depends on it */
    if (!td_cors_allowed(c, origin))
        return;
    MHD_add_response_header(resp, "Access-Control-Allow-Origin", c->any ? "*" : origin);
    MHD_add_response_header(resp, "Access-Control-Expose-Headers", expose_headers);
}

void td_cors_preflight(td_req_t *r, const td_cors_t *c, unsigned allowed) {
    char methods[64];
    if (allowed & TD_GET)
        allowed |= TD_HEAD;
    td_http_methods_text(allowed, methods, sizeof(methods));
    const char *origin = td_req_header(r, "Origin");
    if (!origin || !td_req_header(r, "Access-Control-Request-Method")) {
        /* a plain OPTIONS: what the path offers */
        td_resp_static(r, 204, "text/plain", "", 0);
        td_resp_header(r, "Allow", td_arena_strdup(r->arena, methods));
        return;
    }
    if (!td_cors_allowed(c, origin)) {
        td_resp_problem(r, 403, "cors_origin_not_allowed", "Origin not allowed",
                        "this origin may not call the API from a browser (TENANTD_CORS_ORIGINS)");
        return;
    }
    td_resp_static(r, 204, "text/plain", "", 0);
    td_resp_header(r, "Access-Control-Allow-Methods", td_arena_strdup(r->arena, methods));
    td_resp_header(r, "Access-Control-Allow-Headers", allow_headers);
    td_resp_header(r, "Access-Control-Max-Age", "600");
}
