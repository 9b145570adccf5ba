/* api.h — the route table and the handlers that turn HTTP requests into
 * domain calls. One file per route group; the table is in routes.c. */
#ifndef TD_API_H
#define TD_API_H

#include <stddef.h>

#include <jansson.h>

#include "auth/revoke.h"
#include "http/http.h"
#include "tenancy/tenancy.h"

/* What every handler gets as its app pointer. Process state only. */
typedef struct {
    td_platform_t *platform;
    td_http_t *http;           /* set once the server runs; for /metrics */
    td_revocations_t *revoked; /* logged-out access tokens */
} td_app_t;

/* Route flags (td_route_t.flags). */
#define TD_ROUTE_AUTH 0x1 /* needs a valid access token */

/* The route table (static). */
const td_route_t *td_api_routes(size_t *n);

/* Maps a domain status to an HTTP status and answers with a problem. */
void td_api_fail(td_req_t *req, td_status st, const char *detail);

/* handlers (health.c) */
void td_api_health(td_req_t *req, void *app);
void td_api_ready(td_req_t *req, void *app);
void td_api_metrics(td_req_t *req, void *app);
/* Parses the request body as a JSON object; on failure answers 400 with
 * the parser's code and returns -1. *out is a new reference. */
int td_api_json_body(td_req_t *req, json_t **out);
/* Verifies the bearer token (signature, claims, revocation); on failure
 * answers 401 and returns -1. *claims is a new reference. */
int td_api_authenticate(td_req_t *req, td_app_t *app, json_t **claims);

/* auth.c */
void td_api_login(td_req_t *req, void *app);
void td_api_me(td_req_t *req, void *app);
void td_api_logout(td_req_t *req, void *app);
/* wellknown.c */
void td_api_jwks(td_req_t *req, void *app);

#endif
