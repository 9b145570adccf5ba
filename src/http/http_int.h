/* http_int.h — what server.c and metrics.c share: the server's and a
 * request's state. Private to http/. */
#ifndef TD_HTTP_INT_H
#define TD_HTTP_INT_H

#include <microhttpd.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "http/http.h"

#define NSTATUS 20  /* k_status_codes (metrics.c) + "other" */
#define NBUCKETS 13 /* k_bucket_ns (metrics.c) + "+Inf" */

/* ---- metrics state ------------------------------------------------------ */

typedef struct {
    size_t nslots;                    /* distinct route patterns + 1 ("unmatched", last) */
    const char **slot_name;           /* pattern text per slot */
    size_t *route_slot;               /* route index → slot (routes sharing a pattern share it) */
    atomic_uint_fast64_t *count;      /* nslots × NSTATUS request counters */
    atomic_uint_fast64_t bucket[NBUCKETS]; /* per bucket, not cumulative */
    atomic_uint_fast64_t sum_ns;
    unsigned char status_idx[600];    /* HTTP status → column; NSTATUS-1 = other */
} metrics_t;

/* ---- connections (conn.c) ---------------------------------------------- */

/* Why a connection ended before its request was answered (or was never
 * taken), for tenantd_http_connections_aborted_total{reason}. */
enum {
    AB_CLIENT,          /* the client closed or reset it mid-request */
    AB_IDLE_TIMEOUT,    /* timeout_s passed with nothing moving mid-request */
    AB_HEADER_TIMEOUT,  /* the request head was not in by the head deadline */
    AB_BODY_TOO_LARGE,  /* a chunked upload went on past its 413 */
    AB_REFUSED,         /* refused at accept: per-address or total cap */
    AB_MALFORMED,       /* libmicrohttpd refused the head itself (see README) */
    NABORT
};

/* One TCP connection, accept to close: libmicrohttpd's socket context.
 * Listed in h->conns (under h->conn_mu) so that the reaper thread finds
 * connections whose request head is late. */
typedef struct conn {
    struct conn *prev, *next;
    int fd;
    atomic_int_fast64_t head_deadline; /* td_mono_ns by which the next head must be in;
                                        * 0 = none awaited */
    atomic_bool reaped;        /* the reaper shut it down (head too late) */
    atomic_bool between;       /* a request was served and no next line came yet:
                                * a deadline then closes an idle keep-alive, no abort */
    bool linger;               /* closed by us with input maybe unread: drain it first */
} conn_t;

/* A closed connection whose input is drained (and thrown away) for a
 * while, so that the kernel does not answer the client's last bytes with
 * a reset that could destroy the answer it has not read yet. */
typedef struct {
    int fd;                    /* a dup of the connection's socket, write side shut */
    int64_t until;             /* td_mono_ns */
    size_t drained;
} linger_t;

#define LINGER_MAX 256

/* ---- server and request state ------------------------------------------- */

/* A bounded queue of suspended requests served by its own threads. */
typedef struct work_pool {
    struct td_http *h;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct rctx **q;           /* ring of WORK_QUEUE_MAX suspended requests */
    size_t head, len;
    bool stop;
    pthread_t *threads;
    unsigned n;
    int nice;                  /* of its threads */
} work_pool_t;

/* The origins a browser may call from (cors.c). */
#define TD_CORS_ORIGINS_MAX 32
#define TD_CORS_ORIGIN_MAX 255
typedef struct {
    int on, any, n;
    char origins[TD_CORS_ORIGINS_MAX][TD_CORS_ORIGIN_MAX + 1];
} td_cors_t;

/* Parses a comma- or space-separated list of origins, or "*"; err says
 * which entry is not an origin. */
td_status td_cors_parse(const char *list, td_cors_t *c, char *err, size_t errlen);
int td_cors_allowed(const td_cors_t *c, const char *origin);
/* Vary, and for a listed origin Access-Control-Allow-Origin and -Expose-Headers. */
void td_cors_answer_headers(const td_cors_t *c, struct MHD_Response *resp, const char *origin);
/* Answers an OPTIONS request for a path offering `allowed`. */
void td_cors_preflight(td_req_t *r, const td_cors_t *c, unsigned allowed);

struct td_http {
    struct MHD_Daemon *d;
    td_http_opts_t o;          /* copy; routes and app stay owned by the caller */
    td_cors_t cors;
    size_t arena_max;
    uint64_t id_seed;          /* per-process random, mixes the id counter */
    char id_prefix[17];        /* per-process random hex */
    atomic_uint_fast64_t id_next;
    atomic_bool running;       /* false while starting: MHD messages go to start_err */
    char start_err[256];       /* last libmicrohttpd message while starting */
    metrics_t m;
    /* offloaded work: slow CPU work (td_req_offload, nice 10) and
     * writes that wait for their fsync (td_req_offload_io) */
    work_pool_t slow, io;
    /* connections (conn.c) */
    int64_t head_timeout_ns;   /* header_timeout_s */
    pthread_mutex_t conn_mu;   /* conns and linger */
    conn_t *conns;
    linger_t linger[LINGER_MAX];
    size_t nlinger;
    pthread_t reaper;
    bool reaper_started;
    atomic_bool stopping;      /* td_http_stop began: no lingering, reaper ends */
    atomic_uint_fast64_t aborted[NABORT];
};

/* Per-request state, allocated first in the request's own arena. */
typedef struct rctx {
    td_req_t req;
    td_http_t *h;
    conn_t *conn;              /* its connection (NULL if libmicrohttpd gave none) */
    const char *uri;           /* the request target as received (path?query) */
    size_t uri_len;            /* its length, measured before libmicrohttpd splits it */
    bool started;              /* the first access-handler call happened */
    bool direct;               /* answered straight to the socket, then closed */
    td_buf_t body;             /* accumulates the upload; freed at the final call */
    int64_t t0;                /* td_mono_ns at the first call */
    bool responded;            /* a response is queued: ignore further calls */
    size_t limit;              /* body_max, or upload_max for upload routes */
    bool routed;               /* matched at the first call (a body was coming) */
    int route_code;            /* its td_router_match result */
    unsigned allowed;          /* and its Allow mask on 405 */
    td_work_fn work;           /* set by td_req_offload */
    void *work_arg;
    work_pool_t *pool;         /* where work runs */
    atomic_bool work_done;     /* the worker filled the response */
} rctx_t;

#define WORK_QUEUE_MAX 256

/* What first_call learns from one pass over the request headers. */
typedef struct {
    unsigned n;                /* header lines */
    unsigned ncl, nte;         /* Content-Length / Transfer-Encoding lines */
    const char *cl, *te, *rid;
} hscan_t;

/* metrics.c */
td_status td_http_metrics_init(td_http_t *h);
void td_http_metrics_record(td_http_t *h, const rctx_t *x);

/* conn.c */
void td_http_conn_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                         enum MHD_ConnectionNotificationCode code);
void td_http_mhd_log(void *cls, const char *fmt, va_list ap);
td_status td_http_reaper_start(td_http_t *h);
void td_http_reaper_stop(td_http_t *h);
/* Writes x's response straight to the socket (for answers libmicrohttpd
 * cannot queue at this point) and marks the connection to linger; the
 * caller then returns MHD_NO so libmicrohttpd closes it. */
void td_http_write_direct(rctx_t *x);
/* server.c: answers the head libmicrohttpd is refusing for its
 * Content-Length (status 400 or 413) in its place, when it can tell
 * which one it is. */
void td_http_refuse_length(td_http_t *h, int status);
/* The connection's next request head is awaited from now (0: no more). */
void td_http_conn_await_head(td_http_t *h, conn_t *c, bool await);
/* Whether the connection sits between requests (see conn_t.between). */
void td_http_conn_between(conn_t *c, bool between);

/* head.c: checks of the request head libmicrohttpd parsed. Each returns
 * 0, or an HTTP status with *code and *detail set. */
int td_http_check_nul(struct MHD_Connection *c, const char *method, const char *version,
                      const rctx_t *x, const char **code, const char **detail);

#endif
