/* console.c — GET /console (the app shell) and GET /console/{path} (its
 * files): static bytes compiled into the binary (api/console.h). The pages
 * carry no data, so the routes are public; the console's scripts call the
 * API with the user's token. Every answer, 404 and 304 included, carries a
 * strict Content-Security-Policy: the console runs no inline script or
 * style and talks to no other origin. */
#include <string.h>

#include "api/api.h"
#include "api/console.h"

static const char csp[] =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

const td_console_asset_t *td_console_asset(const char *name) {
    for (size_t i = 0; i < td_console_asset_count; i++)
        if (!strcmp(td_console_assets[i].name, name))
            return &td_console_assets[i];
    return NULL;
}

static void security_headers(td_req_t *req) {
    td_resp_header(req, "Content-Security-Policy", csp);
    td_resp_header(req, "X-Content-Type-Options", "nosniff");
    td_resp_header(req, "Referrer-Policy", "no-referrer");
}

/* If-None-Match (RFC 9110 §13.1.2): "*" or a list of entity tags, compared
 * weakly (a W/ prefix is ignored). Returns 1 when etag is among them. */
static int none_match(const char *inm, const char *etag) {
    size_t n = strlen(etag);
    for (const char *p = inm; p && *p;) {
        p += strspn(p, " \t,");
        if (!strncmp(p, "W/", 2))
            p += 2;
        if (*p == '*' || (!strncmp(p, etag, n) && strchr(" \t,", p[n])))
            return 1;
        p = strchr(p, ',');
    }
    return 0;
}

/* Answers one asset: 304 for a matching If-None-Match, else its bytes
 * (static memory, not copied). Every file is revalidated at each use
 * (no-cache, a 304 when unchanged): the modules import each other by
 * unversioned names, so a file kept past an upgrade could meet newer
 * neighbours. */
static void send_asset(td_req_t *req, const td_console_asset_t *a) {
    security_headers(req);
    td_resp_header(req, "ETag", a->etag);
    td_resp_header(req, "Cache-Control", "no-cache");
    const char *inm = td_req_header(req, "If-None-Match");
    if (inm && none_match(inm, a->etag))
        td_resp_static(req, 304, a->content_type, "", 0);
    else
        td_resp_static(req, 200, a->content_type, (const char *)a->data, a->len);
}

void td_api_console(td_req_t *req, void *app) {
    (void)app;
    const td_console_asset_t *a = td_console_asset("index.html");
    if (!a) {
        security_headers(req);
        td_resp_problem(req, 404, "not_found", NULL, "the console is not built in");
        return;
    }
    send_asset(req, a);
}

/* The router hands over one decoded segment that is never "", "." or
 * ".." and holds no '/': a name is looked up as it is, never opened. */
void td_api_console_asset(td_req_t *req, void *app) {
    (void)app;
    const td_console_asset_t *a = td_console_asset(req->params[0]);
    if (!a) {
        security_headers(req);
        td_resp_problem(req, 404, "not_found", NULL, "no such console file");
        return;
    }
    send_asset(req, a);
}
