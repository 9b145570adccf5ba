/* api.h — the route table and the handlers that turn HTTP requests into
 * domain calls. One file per route group; the table is in routes.c. */
#ifndef TD_API_H
#define TD_API_H

#include <stddef.h>

#include "http/http.h"
#include "tenancy/tenancy.h"

/* What every handler gets as its app pointer. Process state only. */
typedef struct {
    td_platform_t *platform;
    td_http_t *http; /* set once the server runs; for /metrics */
} td_app_t;

/* The route table (static). */
const td_route_t *td_api_routes(size_t *n);

/* Maps a domain status to an HTTP status and answers with a problem. */
void td_api_fail(td_req_t *req, td_status st, const char *detail);

/* handlers (health.c) */
void td_api_health(td_req_t *req, void *app);
void td_api_ready(td_req_t *req, void *app);
void td_api_metrics(td_req_t *req, void *app);
/* wellknown.c */
void td_api_jwks(td_req_t *req, void *app);

#endif
