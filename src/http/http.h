/* http.h — the HTTP layer: listener, limits, router, responses, metrics.
 *
 * http/ knows nothing of tenants, SQL or JSON schemas: it accepts a
 * connection (libmicrohttpd, a poll() thread pool), enforces limits
 * (connections per address, head size and deadline, header count, NUL
 * bytes, body size, idle time, ambiguous message length), gives the
 * request an id and an arena, matches method and path against a route table
 * (404 when no pattern matches, 405 with Allow when the pattern matches but
 * the method does not), calls the route's handler, and sends what the
 * handler put in the request's response fields. It counts requests by
 * route and status and keeps a latency histogram for /metrics.
 *
 * Route tables are data, owned by the caller (api/routes.c) and static. */
#ifndef TD_HTTP_H
#define TD_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/buf.h"
#include "common/status.h"

enum {
    TD_GET = 1 << 0,
    TD_POST = 1 << 1,
    TD_PUT = 1 << 2,
    TD_PATCH = 1 << 3,
    TD_DELETE = 1 << 4,
    TD_HEAD = 1 << 5,
    TD_OPTIONS = 1 << 6,
};

#define TD_MAX_PATH_PARAMS 4
#define TD_MAX_RESP_HEADERS 8

typedef struct td_req td_req_t;
typedef struct td_http td_http_t;

/* A handler fills req->status, req->body… (usually through td_resp_*). It
 * returns nothing: every outcome is a response. app is the pointer given to
 * td_http_start. */
typedef void (*td_handler_fn)(td_req_t *req, void *app);

typedef struct {
    unsigned methods;     /* TD_GET | TD_POST … */
    const char *pattern;  /* "/v1/tenants/{tenant}/suspend"; {x} = one segment */
    td_handler_fn handler;
    const char *summary;  /* one line, for the OpenAPI document */
    unsigned flags;       /* TD_ROUTE_* below; other bits are api/'s */
    const void *need;     /* api/'s declaration of what the route requires */
} td_route_t;

/* Route flags http/ understands. */
#define TD_ROUTE_UPLOAD 0x10000u /* a large body is expected: upload_max applies, not body_max */

struct td_req {
    td_arena_t *arena;        /* dies when the response has been sent */
    unsigned method;          /* one TD_* bit */
    const char *method_name;  /* "GET" */
    const char *path;         /* without the query string */
    const char *body;         /* NUL-terminated; "" when none */
    size_t body_len;
    char request_id[65];      /* from a sane X-Request-Id (≤ 64), or generated */
    const td_route_t *route;  /* the matched route */
    const char *params[TD_MAX_PATH_PARAMS]; /* {x} segments in order, decoded */
    int nparams;
    void *conn;               /* private to http/ */
    void *ctx;                /* the application's per-request state (arena) */

    /* the response */
    int status;
    const char *content_type;  /* default application/json */
    const char *resp_body;     /* arena or static memory */
    size_t resp_len;
    const char *hdr_names[TD_MAX_RESP_HEADERS];
    const char *hdr_values[TD_MAX_RESP_HEADERS];
    int nhdrs;
};

typedef struct {
    const char *listen;      /* "127.0.0.1:8080" */
    unsigned threads;        /* 0 = one per core */
    size_t body_max;         /* 413 above */
    size_t upload_max;       /* 413 above, for TD_ROUTE_UPLOAD routes (0 = body_max) */
    unsigned header_max;     /* 431 above */
    unsigned timeout_s;      /* idle connection timeout */
    unsigned header_timeout_s; /* whole request head within this (slowloris); 0 = 10 s */
    unsigned conn_per_addr;  /* concurrent connections per client address; 0 = 256 */
    const td_route_t *routes;
    size_t nroutes;
    void *app;               /* passed to every handler */
    /* Called after routing, before the handler; returns 0 to go on, or
     * non-zero when it has answered (e.g. 401) and the handler must not
     * run. NULL = none. */
    int (*before)(td_req_t *req, void *app);
    /* Called once per answered request when libmicrohttpd is done with it
     * (sent, or the client left after the answer was queued), before its
     * arena is freed: req->ctx, route, status and lengths are still
     * there; duration_us counts from its first byte. It runs on the HTTP
     * thread: it must be quick and must not block. NULL = none. */
    void (*completed)(td_req_t *req, int64_t duration_us, void *app);
    unsigned workers;        /* threads for td_req_offload (nice 10); 0 = one per core */
    unsigned io_workers;     /* threads for td_req_offload_io; 0 = 32 */
    const char *cors_origins; /* origins a browser may call from: "a,b", "*", or NULL/"" = none */
} td_http_opts_t;

/* Starts listening; returns TD_OK and a server the caller stops with
 * td_http_stop. err receives a reason on failure (e.g. port in use). */
td_status td_http_start(const td_http_opts_t *o, td_http_t **out, char *err, size_t errlen);
void td_http_stop(td_http_t *h);

/* Request accessors. Values are owned by the request; NULL when absent. */
const char *td_req_header(td_req_t *req, const char *name);
const char *td_req_query(td_req_t *req, const char *name);
/* The client's address as text ("127.0.0.1"), arena-owned. */
const char *td_req_client_addr(td_req_t *req);

/* Responses. Bodies are copied into the request arena unless noted. */
void td_resp_bytes(td_req_t *req, int status, const char *content_type, const char *body,
                   size_t len);
/* body must outlive the request (a string literal or static buffer). */
void td_resp_static(td_req_t *req, int status, const char *content_type, const char *body,
                    size_t len);
void td_resp_header(td_req_t *req, const char *name, const char *value);
/* RFC 9457 problem+json: {"type":"/problems/<code with dashes>","title",
 * "status","code","detail","request_id"}. detail NULL: the title (the
 * answer's detail is never null). */
void td_resp_problem(td_req_t *req, int status, const char *code, const char *title,
                     const char *detail);
/* The same with extra members: members is JSON text of object members
 * ("\"errors\":[…]"), appended as given. */
void td_resp_problem_ext(td_req_t *req, int status, const char *code, const char *title,
                         const char *detail, const char *members);

/* Slow, CPU-bound work (password hashing) must not hold an HTTP thread:
 * a handler calls td_req_offload as its last act and returns; the
 * connection is suspended, work(req, arg) runs on the server's small pool
 * of worker threads and fills the response, and the connection resumes to
 * send it. When the pool's queue is full the request is answered 503
 * (code "busy") without running work. */
typedef void (*td_work_fn)(td_req_t *req, void *arg);
void td_req_offload(td_req_t *req, td_work_fn work, void *arg);
/* The same on the io pool (io_workers threads, normal priority), for work
 * that waits on a disk: a write that must be synced before its answer.
 * Many writers waiting there at once share their fsync (group commit). */
void td_req_offload_io(td_req_t *req, td_work_fn work, void *arg);

/* Appends the Prometheus text of the HTTP metrics (requests by route and
 * status, latency histogram, connections aborted by reason) to out. */
td_status td_http_metrics(td_http_t *h, td_buf_t *out);

/* Router, exposed for tests and for the OpenAPI generator: finds the route
 * for method+path. Returns 0 and sets *route/params, 404 when no pattern
 * matches, 405 when a pattern matches but not the method (then *allowed
 * receives the allowed method mask). */
int td_router_match(const td_route_t *routes, size_t n, unsigned method, const char *path,
                    td_arena_t *arena, const td_route_t **route, const char **params,
                    int *nparams, unsigned *allowed);
/* "GET, POST" for a mask, into out. */
void td_http_methods_text(unsigned mask, char *out, size_t n);

#endif
