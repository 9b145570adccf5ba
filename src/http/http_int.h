/* http_int.h — what server.c and metrics.c share: the server's and a
 * request's state. Private to http/. */
#ifndef TD_HTTP_INT_H
#define TD_HTTP_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "http/http.h"

struct MHD_Daemon;

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

/* ---- server and request state ------------------------------------------- */

struct td_http {
    struct MHD_Daemon *d;
    td_http_opts_t o;          /* copy; routes and app stay owned by the caller */
    size_t arena_max;
    size_t discard_max;        /* see body_call */
    uint64_t id_seed;          /* per-process random, mixes the id counter */
    char id_prefix[17];        /* per-process random hex */
    atomic_uint_fast64_t id_next;
    atomic_bool running;       /* false while starting: MHD messages go to start_err */
    char start_err[256];       /* last libmicrohttpd message while starting */
    metrics_t m;
    /* offloaded work: a bounded queue served by worker threads */
    pthread_mutex_t wq_mu;
    pthread_cond_t wq_cv;
    struct rctx **wq;          /* ring of WORK_QUEUE_MAX suspended requests */
    size_t wq_head, wq_len;
    bool wq_stop;
    pthread_t *workers;
    unsigned nworkers;
};

/* Per-request state, allocated first in the request's own arena. */
typedef struct rctx {
    td_req_t req;
    td_http_t *h;
    td_buf_t body;             /* accumulates the upload; freed at the final call */
    int64_t t0;                /* td_mono_ns at the first call */
    bool responded;            /* a response is queued: ignore further calls */
    bool too_big;              /* upload passed its limit after the first call */
    size_t limit;              /* body_max, or upload_max for upload routes */
    bool routed;               /* matched at the first call (a body was coming) */
    int route_code;            /* its td_router_match result */
    unsigned allowed;          /* and its Allow mask on 405 */
    size_t discarded;          /* body bytes thrown away since then */
    td_work_fn work;           /* set by td_req_offload */
    void *work_arg;
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

#endif
