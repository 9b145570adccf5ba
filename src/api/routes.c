/* routes.c — every route of the server, as data. A route's summary feeds
 * the OpenAPI document; docs/api.md lists the same routes (a test checks). */
#include "api/api.h"

static const td_route_t routes[] = {
    {TD_GET, "/health", td_api_health, "Liveness: the process answers", 0},
    {TD_GET, "/ready", td_api_ready, "Readiness: the catalog database answers", 0},
    {TD_GET, "/metrics", td_api_metrics, "Prometheus metrics", 0},
    {TD_POST, "/v1/auth/login", td_api_login, "Log in: a superadmin, or a tenant's user", 0},
    {TD_GET, "/v1/auth/me", td_api_me, "The caller, from its access token", TD_ROUTE_AUTH},
    {TD_POST, "/v1/auth/logout", td_api_logout, "Revoke the caller's access token at once",
     TD_ROUTE_AUTH},
    {TD_GET, "/.well-known/jwks.json", td_api_jwks, "Public keys that verify access tokens", 0},
};

const td_route_t *td_api_routes(size_t *n) {
    *n = sizeof(routes) / sizeof(routes[0]);
    return routes;
}

void td_api_fail(td_req_t *req, td_status st, const char *detail) {
    int code;
    switch (st) {
    case TD_E_INVALID: code = 400; break;
    case TD_E_AUTH: code = 401; break;
    case TD_E_FORBIDDEN: code = 403; break;
    case TD_E_NOTFOUND: code = 404; break;
    case TD_E_EXISTS:
    case TD_E_CONFLICT:
    case TD_E_STATE: code = 409; break;
    case TD_E_TOOBIG: code = 413; break;
    case TD_E_BUSY:
    case TD_E_UNAVAILABLE: code = 503; break;
    default: code = 500; break;
    }
    td_resp_problem(req, code, td_status_code(st), td_status_msg(st), detail);
}
