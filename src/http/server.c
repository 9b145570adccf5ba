/* server.c — the libmicrohttpd glue: listener, limits, request lifecycle,
 * request accessors, responses and metrics.
 *
 * One request's life: libmicrohttpd calls on_uri when the request line is
 * in (arena, request state), on_request once when the headers are in
 * (first_call: id, head checks, method, header count, message framing),
 * once per piece of body (accumulated into a bounded buffer), and once at
 * the end (final_call: route, handler, send). The response body lives in
 * the request arena, which on_completed destroys once libmicrohttpd is done
 * with the response; metrics are recorded there too. Connections as such
 * (head deadline, lingering close, per-address cap) are conn.c's. */
#include "http/http_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/id.h"
#include "common/log.h"
#include "common/timeutil.h"

#define DEFAULT_BODY_MAX ((size_t)1 << 20)
#define DEFAULT_HEADER_MAX 100u
#define DEFAULT_TIMEOUT_S 30u
#define DEFAULT_IO_WORKERS 32u
#define LISTEN_BACKLOG 1024u
/* Per connection: request line + headers. libmicrohttpd zeroes it for every
 * request, so more costs /health time (32 KiB: ~4% of CPU in memset). */
#define CONN_MEMORY ((size_t)16 << 10)
#define CONN_LIMIT_MAX 4096u  /* poll() scans them all: keep it modest */
#define ARENA_EXTRA ((size_t)64 << 20) /* arena cap beyond the body */
#define DEFAULT_HEADER_TIMEOUT_S 10u
#define DEFAULT_CONN_PER_ADDR 256u
/* Our own limits on the head, so that tenantd, not libmicrohttpd, answers
 * the heads just past them. libmicrohttpd keeps the head in CONN_MEMORY
 * together with a record per header and query argument (56 bytes on
 * 64 bits) and, later, the response headers: a head may use HEAD_BUDGET of
 * it, counting HEADER_RECORD per header and argument, and the rest stays
 * for the response (without it the answer could not be built at all). */
#define URI_MAX ((size_t)8 << 10)
#define HEAD_BUDGET ((size_t)14 << 10)
#define HEADER_RECORD 64u

/* ---- listen address ----------------------------------------------------- */

/* Parses "ADDR:PORT" (IPv4) or "[ADDR]:PORT" (IPv6) into ss. Returns
 * TD_E_INVALID with a reason in err for anything else, including port 0. */
static td_status parse_listen(const char *s, struct sockaddr_storage *ss, bool *v6, char *err,
                              size_t errlen) {
    char host[64];
    const char *colon = s ? strrchr(s, ':') : NULL;
    const char *hs = s, *he = colon;
    memset(ss, 0, sizeof(*ss));
    *v6 = s && s[0] == '[';
    if (*v6) {
        hs = s + 1;
        he = strchr(s, ']');
        if (!he || he[1] != ':')
            colon = NULL;
    }
    char *end = NULL;
    unsigned long port = colon && colon[1] >= '0' && colon[1] <= '9' ? strtoul(colon + 1, &end, 10)
                                                                      : 0;
    if (!colon || !end || *end || port == 0 || port > 65535 || he <= hs ||
        (size_t)(he - hs) >= sizeof(host)) {
        snprintf(err, errlen, "listen \"%s\": expected IPV4:PORT or [IPV6]:PORT, port 1-65535",
                 s ? s : "");
        return TD_E_INVALID;
    }
    memcpy(host, hs, (size_t)(he - hs));
    host[he - hs] = '\0';
    struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
    int ok = *v6 ? inet_pton(AF_INET6, host, &in6->sin6_addr)
                 : inet_pton(AF_INET, host, &in4->sin_addr);
    if (ok != 1) {
        snprintf(err, errlen, "listen \"%s\": \"%s\" is not a numeric %s address%s", s, host,
                 *v6 ? "IPv6" : "IPv4", strchr(host, ':') ? " (write IPv6 as [ADDR]:PORT)" : "");
        return TD_E_INVALID;
    }
    if (*v6) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)port);
    } else {
        in4->sin_family = AF_INET;
        in4->sin_port = htons((uint16_t)port);
    }
    return TD_OK;
}

/* ---- small helpers ------------------------------------------------------ */

/* Keeps the path exactly as sent: the router decodes segment by segment so
 * that "%2F" can never become a separator. Query arguments are decoded by
 * td_req_query instead. */
static size_t keep_escaped(void *cls, struct MHD_Connection *c, char *s) {
    return strlen(s);
}

static const struct {
    const char *name;
    unsigned bit;
} k_method_names[] = {
    {"GET", TD_GET},       {"POST", TD_POST}, {"PUT", TD_PUT},         {"PATCH", TD_PATCH},
    {"DELETE", TD_DELETE}, {"HEAD", TD_HEAD}, {"OPTIONS", TD_OPTIONS},
};

static unsigned method_bit(const char *method, const char **name) {
    for (size_t i = 0; i < sizeof(k_method_names) / sizeof(k_method_names[0]); i++)
        if (strcmp(method, k_method_names[i].name) == 0) {
            *name = k_method_names[i].name;
            return k_method_names[i].bit;
        }
    *name = "OTHER"; /* never echo an arbitrary token into logs */
    return 0;
}

static enum MHD_Result scan_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value) {
    hscan_t *s = cls;
    s->n++;
    switch (key[0] | 0x20) {
    case 'c':
        if (strcasecmp(key, "Content-Length") == 0) {
            s->ncl++;
            s->cl = value;
        }
        break;
    case 't':
        if (strcasecmp(key, "Transfer-Encoding") == 0) {
            s->nte++;
            s->te = value;
        }
        break;
    case 'x':
        if (strcasecmp(key, "X-Request-Id") == 0)
            s->rid = value;
        break;
    }
    return MHD_YES;
}

/* SplitMix64's finaliser: a bijection on 64 bits, so distinct counters give
 * distinct ids without revealing how many requests came before. */
static uint64_t mix64(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* Uses the client's X-Request-Id when it is 1..(size-1) characters of
 * [A-Za-z0-9._-]; otherwise "<process prefix>-<16 hex>", unique within the
 * process and, thanks to the random prefix, across restarts. No syscall. */
static void set_request_id(td_http_t *h, td_req_t *r, const char *rid) {
    size_t n = rid ? strspn(rid, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                 "0123456789._-")
                   : 0;
    if (n > 0 && rid[n] == '\0' && n < sizeof(r->request_id)) {
        memcpy(r->request_id, rid, n + 1);
        return;
    }
    static const char hex[] = "0123456789abcdef";
    uint64_t k = atomic_fetch_add_explicit(&h->id_next, 1, memory_order_relaxed);
    uint64_t v = mix64(h->id_seed + k * 0x9e3779b97f4a7c15u);
    char *o = r->request_id;
    memcpy(o, h->id_prefix, 16);
    o[16] = '-';
    for (int i = 0; i < 16; i++)
        o[17 + i] = hex[(v >> (60 - 4 * i)) & 15];
    o[33] = '\0';
}

/* "chunked" alone is the only transfer coding accepted. Returns 0, 400
 * (chunked is not the final coding: the length is unknowable, RFC 9112
 * §6.3) or 501 (a coding we do not implement before a final chunked). */
static int check_te(const char *te) {
    size_t n = strlen(te);
    while (n && (te[n - 1] == ' ' || te[n - 1] == '\t'))
        n--;
    size_t start = n;
    while (start && te[start - 1] != ',' && te[start - 1] != ' ' && te[start - 1] != '\t')
        start--;
    if (n - start != 7 || strncasecmp(te + start, "chunked", 7) != 0)
        return 400;
    return strspn(te, " \t") == start ? 0 : 501;
}

/* ---- responses ---------------------------------------------------------- */

/* Queues what req's response fields say, plus Content-Type and
 * X-Request-Id. close adds "Connection: close": used for answers given
 * before the body was read, so that unread body bytes can never be taken
 * for a next request. The body is arena or static memory, alive until
 * on_completed. */
static enum MHD_Result send_response(rctx_t *x, bool close) {
    td_req_t *r = &x->req;
    x->responded = true;
    if (r->status < 100 || r->status > 599)
        td_resp_problem(r, 500, "internal", NULL, "the handler gave no response");
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        r->resp_len, (void *)(r->resp_body ? r->resp_body : ""), MHD_RESPMEM_PERSISTENT);
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                            r->content_type ? r->content_type : "application/json");
    for (int i = 0; i < r->nhdrs; i++)
        MHD_add_response_header(resp, r->hdr_names[i], r->hdr_values[i]);
    MHD_add_response_header(resp, "X-Request-Id", r->request_id);
    if (x->h->cors.on)
        td_cors_answer_headers(&x->h->cors, resp, td_req_header(r, "Origin"));
    if (close)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
    enum MHD_Result ret = MHD_queue_response(r->conn, (unsigned)r->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result reject(rctx_t *x, int status, const char *code, const char *detail) {
    td_resp_problem(&x->req, status, code, NULL, detail);
    if (x->conn)
        x->conn->linger = true; /* the body, if any, stays unread */
    return send_response(x, true);
}

/* The same answer written straight to the socket, then the connection is
 * closed: for a head so large that the connection's pool may have no room
 * left for response headers. */
static enum MHD_Result reject_direct(rctx_t *x, int status, const char *code,
                                     const char *detail) {
    td_resp_problem(&x->req, status, code, NULL, detail);
    x->direct = true;
    td_http_write_direct(x);
    return MHD_NO;
}

/* ---- the request lifecycle ---------------------------------------------- */

/* Message framing, checked before any body byte is read. libmicrohttpd
 * 0.9.75 takes the first of several Content-Length headers and prefers
 * Transfer-Encoding over Content-Length without complaint; a proxy in front
 * may pick the other one, which is how requests are smuggled. */
static enum MHD_Result check_framing(rctx_t *x, const hscan_t *s) {
    if (s->ncl > 1 || s->nte > 1 || (s->ncl && s->nte))
        return reject(x, 400, "ambiguous_length",
                      "conflicting Content-Length / Transfer-Encoding headers");
    if (s->nte) {
        int st = check_te(s->te);
        if (st)
            return reject(x, st,
                          st == 400 ? "ambiguous_length" : "transfer_encoding_not_implemented",
                          "only Transfer-Encoding: chunked is supported");
    }
    if (s->ncl) {
        size_t digits = strspn(s->cl, "0123456789");
        if (digits > 19)
            return reject(x, 413, "payload_too_large", "the request body exceeds the size limit");
        if (digits == 0 || s->cl[digits])
            return reject(x, 400, "bad_content_length", NULL);
        if (strtoull(s->cl, NULL, 10) > x->limit)
            return reject(x, 413, "payload_too_large", "the request body exceeds the size limit");
    }
    return MHD_YES;
}

/* A request's state, in a new arena of its own; NULL when out of memory. */
static rctx_t *request_new(td_http_t *h, struct MHD_Connection *c) {
    td_arena_t *a = td_arena_new(h->arena_max);
    rctx_t *x = a ? td_arena_alloc(a, sizeof(*x)) : NULL;
    if (!x) {
        td_arena_destroy(a);
        return NULL;
    }
    x->h = h;
    x->t0 = td_mono_ns();
    x->limit = h->o.body_max;
    td_buf_init(&x->body, x->limit);
    x->req.arena = a;
    x->req.conn = c;
    x->req.body = "";
    x->req.method_name = "OTHER";
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    x->conn = ci ? ci->socket_context : NULL;
    return x;
}

/* The request whose line this thread saw last and whose head is not
 * handed over yet (see td_http_refuse_length). */
static _Thread_local rctx_t *tl_head;

/* libmicrohttpd's URI callback: the request line is in, the headers are
 * not. The request state starts here, so that every request whose line
 * arrived reaches on_completed (counted, arena freed), and the target's
 * length is taken before libmicrohttpd cuts it at '?'. The result becomes
 * the request's *con_cls. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c) {
    rctx_t *x = request_new(cls, c);
    if (x) {
        x->uri = uri;
        x->uri_len = strlen(uri);
        td_http_conn_between(x->conn, false);
    }
    tl_head = x;
    return x;
}

/* libmicrohttpd 0.9.75 refuses a malformed or overflowing Content-Length
 * itself, before the first access-handler call, and sends its status line
 * twice (it builds the headers of its answer again after queueing it).
 * Its log line about it comes first, on the thread parsing that head, and
 * conn.c calls this then. The request whose line this thread saw last is
 * that one if its head is complete and was not handed to us (else there
 * is no verdict and libmicrohttpd's answer stands). Our answer is written
 * to the socket and the write side shut, so that libmicrohttpd's own
 * fails to send and it closes the connection. */
void td_http_refuse_length(td_http_t *h, int status) {
    rctx_t *x = tl_head;
    if (!x || x->h != h || x->started || x->direct)
        return;
    const union MHD_ConnectionInfo *hs =
        MHD_get_connection_info(x->req.conn, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
    const union MHD_ConnectionInfo *fd =
        MHD_get_connection_info(x->req.conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (!hs || !hs->header_size || !fd)
        return;
    hscan_t s = {0};
    MHD_get_connection_values(x->req.conn, MHD_HEADER_KIND, scan_header, &s);
    set_request_id(h, &x->req, s.rid);
    if (status == 413)
        td_resp_problem(&x->req, 413, "payload_too_large", NULL,
                        "the request body exceeds the size limit");
    else
        td_resp_problem(&x->req, 400, "bad_content_length", NULL,
                        "Content-Length must be decimal digits");
    x->direct = true;
    td_http_write_direct(x);
    shutdown(fd->connect_fd, SHUT_WR);
}

/* The first call for a request: headers are in, no body has been read.
 * The head is checked before anything else reads it. */
static enum MHD_Result first_call(td_http_t *h, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, void **con_cls) {
    rctx_t *x = *con_cls ? *con_cls : request_new(h, c);
    if (!x)
        return MHD_NO;
    *con_cls = x;
    x->started = true;
    if (tl_head == x)
        tl_head = NULL;
    td_http_conn_await_head(h, x->conn, false);
    td_req_t *r = &x->req;
    r->path = url;
    hscan_t s = {0};
    MHD_get_connection_values(c, MHD_HEADER_KIND, scan_header, &s);
    set_request_id(h, r, s.rid);
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
    int nargs = MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, NULL, NULL);
    size_t need = (ci ? ci->header_size : 0) + HEADER_RECORD * (s.n + (nargs > 0 ? nargs : 0));
    if (x->uri_len > URI_MAX)
        return reject_direct(x, 414, "uri_too_long", "the request target exceeds 8 KiB");
    if (need > HEAD_BUDGET)
        return reject_direct(x, 431, "headers_too_large",
                             "the request line and headers exceed the size limit");
    if (s.n > h->o.header_max)
        return reject_direct(x, 431, "too_many_headers", NULL);
    const char *code, *detail;
    int bad = td_http_check_nul(c, method, version, x, &code, &detail);
    if (bad)
        return reject(x, bad, code, detail);
    r->method = method_bit(method, &r->method_name);
    if (!r->method)
        return reject(x, 501, "method_not_implemented", NULL);
    if ((s.ncl || s.nte) && r->method != TD_HEAD) {
        /* a body comes: its route (kept for the final call) says how
         * large it may be */
        x->route_code = td_router_match(h->o.routes, h->o.nroutes, r->method, url, r->arena,
                                        &r->route, r->params, &r->nparams, &x->allowed);
        x->routed = true;
        if (x->route_code == 0 && (r->route->flags & TD_ROUTE_UPLOAD))
            x->limit = h->o.upload_max;
    }
    x->body.max = x->limit; /* nothing is buffered yet */
    return check_framing(x, &s);
}

/* One piece of the body. Past the limit (only possible with a chunked
 * body: a larger Content-Length was refused at the first call) the 413 is
 * written at once, straight to the socket since libmicrohttpd 0.9.75
 * queues no response in the middle of an upload, and the connection is
 * closed; what the client still sends is drained for a while (conn.c) so
 * that it reads the 413 rather than a reset. */
static enum MHD_Result body_call(rctx_t *x, const char *data, size_t *size) {
    size_t n = *size;
    *size = 0;
    if (x->responded)
        return MHD_YES;
    td_status st = td_buf_append(&x->body, data, n);
    if (st == TD_E_TOOBIG) {
        td_buf_free(&x->body);
        atomic_fetch_add_explicit(&x->h->aborted[AB_BODY_TOO_LARGE], 1, memory_order_relaxed);
        return reject_direct(x, 413, "payload_too_large",
                             "the request body exceeds the size limit");
    }
    return st == TD_OK ? MHD_YES : MHD_NO;
}

static void not_routed(rctx_t *x, int code, unsigned allowed) {
    td_req_t *r = &x->req;
    if (code == 404) {
        td_resp_problem(r, 404, "not_found", NULL, "no route for this path");
        return;
    }
    char allow[64];
    if (allowed & TD_GET)
        allowed |= TD_HEAD;
    td_http_methods_text(allowed, allow, sizeof(allow));
    td_resp_problem(r, 405, "method_not_allowed", NULL, NULL);
    td_resp_header(r, "Allow", allow);
}

/* The last call: the whole body is in. Routes, runs the handler, sends. */
void td_req_offload(td_req_t *req, td_work_fn work, void *arg) {
    rctx_t *x = (rctx_t *)req; /* req is the first member */
    x->work = work;
    x->work_arg = arg;
    x->pool = &x->h->slow;
}

void td_req_offload_io(td_req_t *req, td_work_fn work, void *arg) {
    td_req_offload(req, work, arg);
    ((rctx_t *)req)->pool = &((rctx_t *)req)->h->io;
}

/* Suspends x's connection and queues it on its pool; false (and a 503
 * in the response) when the queue is full. */
static bool enqueue(rctx_t *x) {
    work_pool_t *wp = x->pool;
    pthread_mutex_lock(&wp->mu);
    bool ok = wp->len < WORK_QUEUE_MAX && !wp->stop;
    if (ok) {
        MHD_suspend_connection(x->req.conn);
        wp->q[(wp->head + wp->len++) % WORK_QUEUE_MAX] = x;
        pthread_cond_signal(&wp->cv);
    }
    pthread_mutex_unlock(&wp->mu);
    if (!ok) {
        x->work = NULL;
        td_resp_problem(&x->req, 503, "busy", "Busy", "too much slow work queued; retry");
    }
    return ok;
}

static void *worker_main(void *arg) {
    work_pool_t *wp = arg;
    /* slow work yields the CPU to the HTTP threads: on Linux a thread's
     * nice value is its own (setpriority on its tid) */
    if (wp->nice)
        setpriority(PRIO_PROCESS, (id_t)gettid(), wp->nice);
    for (;;) {
        pthread_mutex_lock(&wp->mu);
        while (!wp->len && !wp->stop)
            pthread_cond_wait(&wp->cv, &wp->mu);
        if (!wp->len) { /* stopping and drained */
            pthread_mutex_unlock(&wp->mu);
            return NULL;
        }
        rctx_t *x = wp->q[wp->head];
        wp->head = (wp->head + 1) % WORK_QUEUE_MAX;
        wp->len--;
        pthread_mutex_unlock(&wp->mu);
        x->work(&x->req, x->work_arg);
        td_arena_release(x->req.arena); /* its connections go back before the answer does */
        atomic_store(&x->work_done, true);
        MHD_resume_connection(x->req.conn);
    }
}

/* Starts a pool of n threads (at least one); false when none started. */
static bool pool_start(td_http_t *h, work_pool_t *wp, unsigned n, int nice) {
    wp->h = h;
    wp->nice = nice;
    wp->q = calloc(WORK_QUEUE_MAX, sizeof(*wp->q));
    wp->threads = calloc(n ? n : 1, sizeof(*wp->threads));
    if (!wp->q || !wp->threads)
        return false;
    while (wp->n < n && pthread_create(&wp->threads[wp->n], NULL, worker_main, wp) == 0)
        wp->n++;
    return wp->n > 0;
}

/* Lets the pool finish what is queued (resuming those connections), then
 * joins its threads. */
static void pool_stop(work_pool_t *wp) {
    pthread_mutex_lock(&wp->mu);
    wp->stop = true;
    pthread_cond_broadcast(&wp->cv);
    pthread_mutex_unlock(&wp->mu);
    for (unsigned i = 0; i < wp->n; i++)
        pthread_join(wp->threads[i], NULL);
    wp->n = 0;
}

static void pool_free(work_pool_t *wp) {
    free(wp->q);
    free(wp->threads);
    pthread_mutex_destroy(&wp->mu);
    pthread_cond_destroy(&wp->cv);
}

static enum MHD_Result final_call(rctx_t *x) {
    td_req_t *r = &x->req;
    if (x->body.len) {
        char *b = td_arena_strndup(r->arena, x->body.data, x->body.len);
        if (!b)
            return MHD_NO;
        r->body = b;
        r->body_len = x->body.len;
        td_buf_free(&x->body);
    }
    unsigned allowed = x->allowed;
    unsigned want = r->method == TD_HEAD ? TD_HEAD | TD_GET : r->method;
    int code = x->routed ? x->route_code
                         : td_router_match(x->h->o.routes, x->h->o.nroutes, want, r->path,
                                           r->arena, &r->route, r->params, &r->nparams, &allowed);
    if (code == 405 && r->method == TD_OPTIONS)
        td_cors_preflight(r, &x->h->cors, allowed); /* before authentication */
    else if (code)
        not_routed(x, code, allowed);
    else if (!x->h->o.before || x->h->o.before(r, x->h->o.app) == 0)
        r->route->handler(r, x->h->o.app);
    if (x->work && enqueue(x))
        return MHD_YES; /* suspended until the worker is done */
    /* the handler is done with its databases: they go back now, not once
     * the answer has been sent (a slow reader would hold them) */
    td_arena_release(r->arena);
    return send_response(x, false);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_size, void **con_cls) {
    rctx_t *x = *con_cls;
    if (!x || !x->started)
        return first_call(cls, c, url, method, version, con_cls);
    if (*upload_size)
        return body_call(x, upload_data, upload_size);
    if (x->responded)
        return MHD_YES;
    if (x->work) /* resumed after offloaded work, or a spurious call meanwhile */
        return atomic_load(&x->work_done) ? send_response(x, false) : MHD_YES;
    return final_call(x);
}

/* Why a request that ended as toe says counts as aborted, or -1. Answers
 * written directly and those libmicrohttpd gave itself (counted from its
 * log, see conn.c) are not aborts; nor are those the reaper cut. */
static int abort_reason(const rctx_t *x, enum MHD_RequestTerminationCode toe) {
    if (x->direct || (x->conn && atomic_load(&x->conn->reaped)))
        return -1;
    switch (toe) {
    case MHD_REQUEST_TERMINATED_COMPLETED_OK:
    case MHD_REQUEST_TERMINATED_DAEMON_SHUTDOWN:
        return -1;
    case MHD_REQUEST_TERMINATED_TIMEOUT_REACHED:
        return AB_IDLE_TIMEOUT;
    default:
        return AB_CLIENT;
    }
}

/* Called by libmicrohttpd when it is done with a request, sent or not:
 * counts it, logs it at debug level, and frees everything it owned. The
 * connection's next head is awaited from now. */
static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
    rctx_t *x = *con_cls;
    if (!x)
        return;
    *con_cls = NULL;
    if (tl_head == x)
        tl_head = NULL;
    td_http_t *h = cls;
    int why = abort_reason(x, toe);
    if (why >= 0)
        atomic_fetch_add_explicit(&h->aborted[why], 1, memory_order_relaxed);
    if (!x->responded && toe == MHD_REQUEST_TERMINATED_COMPLETED_OK && x->conn)
        x->conn->linger = true; /* libmicrohttpd answered the head itself */
    td_http_conn_await_head(h, x->conn, true);
    td_http_conn_between(x->conn, true);
    if (x->responded) {
        td_http_metrics_record(h, x);
        if (h->o.completed)
            h->o.completed(&x->req, (td_mono_ns() - x->t0) / 1000, h->o.app);
        if (td_log_enabled(TD_LOG_DEBUG)) {
            char st[8], ms[32];
            snprintf(st, sizeof(st), "%d", x->req.status);
            snprintf(ms, sizeof(ms), "%.3f", (double)(td_mono_ns() - x->t0) / 1e6);
            td_log(TD_LOG_DEBUG, "request", "method", x->req.method_name, "route",
                   x->req.route ? x->req.route->pattern : "unmatched", "status", st,
                   "duration_ms", ms, "request_id", x->req.request_id, NULL);
        }
    }
    td_buf_free(&x->body);
    td_arena_destroy(x->req.arena);
}

/* ---- request accessors -------------------------------------------------- */

const char *td_req_header(td_req_t *req, const char *name) {
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

typedef struct {
    td_req_t *req;
    const char *name;
    const char *found;
} qfind_t;

/* Query keys and values arrive undecoded (see keep_escaped) apart from '+'
 * → ' ', which libmicrohttpd does first; decode into arena copies. */
static char *unescape_copy(td_arena_t *a, const char *s) {
    char *c = td_arena_strdup(a, s);
    if (c && strchr(c, '%'))
        MHD_http_unescape(c);
    return c;
}

static enum MHD_Result find_query(void *cls, enum MHD_ValueKind kind, const char *key,
                                  const char *value) {
    qfind_t *q = cls;
    const char *k = strchr(key, '%') ? unescape_copy(q->req->arena, key) : key;
    if (!k || strcmp(k, q->name) != 0)
        return MHD_YES;
    q->found = unescape_copy(q->req->arena, value ? value : "");
    return MHD_NO; /* first one wins */
}

const char *td_req_query(td_req_t *req, const char *name) {
    qfind_t q = {req, name, NULL};
    MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, find_query, &q);
    return q.found;
}

const char *td_req_client_addr(td_req_t *req) {
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    char *out = td_arena_alloc(req->arena, INET6_ADDRSTRLEN);
    if (!ci || !ci->client_addr || !out)
        return NULL;
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family != AF_INET && sa->sa_family != AF_INET6)
        return NULL;
    const void *src = sa->sa_family == AF_INET6
                          ? (const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr
                          : (const void *)&((const struct sockaddr_in *)sa)->sin_addr;
    return inet_ntop(sa->sa_family, src, out, INET6_ADDRSTRLEN) ? out : NULL;
}

/* ---- start and stop ----------------------------------------------------- */

static unsigned conn_limit(void) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
        return CONN_LIMIT_MAX;
    rlim_t lim = rl.rlim_cur > 256 ? rl.rlim_cur - rl.rlim_cur / 4 : 64;
    return lim < CONN_LIMIT_MAX ? (unsigned)lim : CONN_LIMIT_MAX;
}


static void http_free(td_http_t *h) {
    td_http_reaper_stop(h);
    pool_free(&h->slow);
    pool_free(&h->io);
    pthread_mutex_destroy(&h->conn_mu);
    free(h->m.slot_name);
    free(h->m.route_slot);
    free(h->m.count);
    free(h);
}

/* Starts the daemon; see http.h. The routes and app must outlive it.
 *
 * Why poll() and not epoll: in libmicrohttpd 0.9.75, MHD_epoll drains
 * events with `while (num_events == MAX_EVENTS (128)) epoll_wait(...,
 * timeout)`, so a worker that gets exactly 128 events calls epoll_wait again
 * with its blocking timeout before handling them, and sleeps while those
 * requests sit unread until some new event arrives. Measured here with a
 * 2-thread pool and wrk -c256: ~1 run in 30 froze every connection, one of
 * them for the whole 5 s (gdb: both workers in epoll_wait, 200+ sockets
 * with an unread request). The poll() pool never froze in 200+ such runs, costs
 * the same CPU per request as epoll and nginx at 64-1000 connections, and
 * scans its connections once per wakeup, which CONN_LIMIT_MAX keeps cheap. */
td_status td_http_start(const td_http_opts_t *o, td_http_t **out, char *err, size_t errlen) {
    struct sockaddr_storage ss;
    bool v6;
    *out = NULL;
    td_status st = parse_listen(o->listen, &ss, &v6, err, errlen);
    td_cors_t cors; /* checked before anything starts; copied into h */
    if (!st)
        st = td_cors_parse(o->cors_origins, &cors, err, errlen);
    td_http_t *h = st ? NULL : calloc(1, sizeof(*h));
    if (!h)
        return st ? st : TD_E_NOMEM;
    pthread_mutex_init(&h->slow.mu, NULL);
    pthread_cond_init(&h->slow.cv, NULL);
    pthread_mutex_init(&h->io.mu, NULL);
    pthread_cond_init(&h->io.cv, NULL);
    pthread_mutex_init(&h->conn_mu, NULL);
    h->o = *o;
    h->cors = cors;
    h->o.body_max = o->body_max ? o->body_max : DEFAULT_BODY_MAX;
    h->o.upload_max = o->upload_max > h->o.body_max ? o->upload_max : h->o.body_max;
    h->o.header_max = o->header_max ? o->header_max : DEFAULT_HEADER_MAX;
    h->o.timeout_s = o->timeout_s ? o->timeout_s : DEFAULT_TIMEOUT_S;
    h->o.header_timeout_s = o->header_timeout_s ? o->header_timeout_s : DEFAULT_HEADER_TIMEOUT_S;
    h->o.conn_per_addr = o->conn_per_addr ? o->conn_per_addr : DEFAULT_CONN_PER_ADDR;
    h->head_timeout_ns = (int64_t)h->o.header_timeout_s * 1000000000;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    h->o.threads = o->threads ? o->threads : (cores > 0 ? (unsigned)cores : 2);
    h->arena_max = h->o.upload_max + ARENA_EXTRA; /* a cap: arenas grow as used */
    td_random_hex(h->id_prefix, 8);
    char seed[17];
    td_random_hex(seed, 8);
    h->id_seed = strtoull(seed, NULL, 16);
    if (td_http_metrics_init(h) != TD_OK) {
        http_free(h);
        snprintf(err, errlen, "out of memory");
        return TD_E_NOMEM;
    }
    if (td_http_reaper_start(h) != TD_OK) {
        http_free(h);
        snprintf(err, errlen, "out of memory");
        return TD_E_NOMEM;
    }
    unsigned flags = MHD_USE_POLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG | MHD_USE_TURBO |
                     MHD_ALLOW_SUSPEND_RESUME | (v6 ? MHD_USE_IPv6 : 0);
    uint16_t port = ntohs(v6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                             : ((struct sockaddr_in *)&ss)->sin_port);
    errno = 0;
    h->d = MHD_start_daemon(
        flags, port, NULL, NULL, on_request, h, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
        MHD_OPTION_THREAD_POOL_SIZE, h->o.threads, MHD_OPTION_CONNECTION_TIMEOUT,
        h->o.timeout_s, MHD_OPTION_CONNECTION_LIMIT, conn_limit(),
        MHD_OPTION_LISTEN_BACKLOG_SIZE, LISTEN_BACKLOG, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        CONN_MEMORY, MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
        MHD_OPTION_UNESCAPE_CALLBACK, keep_escaped, h, MHD_OPTION_EXTERNAL_LOGGER,
        td_http_mhd_log, h, MHD_OPTION_URI_LOG_CALLBACK, on_uri, h,
        MHD_OPTION_NOTIFY_CONNECTION, td_http_conn_notify, h,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, h->o.conn_per_addr, MHD_OPTION_END);
    if (!h->d) {
        int e = errno;
        snprintf(err, errlen, "listen %s: %s", o->listen,
                 h->start_err[0] ? h->start_err
                                 : (e ? strerror(e) : "libmicrohttpd failed to start"));
        http_free(h);
        return TD_E_IO;
    }
    unsigned nslow = o->workers ? o->workers : (cores > 0 ? (unsigned)cores : 1);
    unsigned nio = o->io_workers ? o->io_workers : DEFAULT_IO_WORKERS;
    if (!pool_start(h, &h->slow, nslow, 10) || !pool_start(h, &h->io, nio, 0)) {
        pool_stop(&h->slow);
        pool_stop(&h->io);
        MHD_stop_daemon(h->d);
        http_free(h);
        snprintf(err, errlen, "cannot start worker threads");
        return TD_E_NOMEM;
    }
    atomic_store(&h->running, true);
    *out = h;
    return TD_OK;
}

/* Stops accepting, waits for the worker threads (in-flight requests are
 * completed or aborted, their arenas destroyed), frees h. NULL is ok. */
void td_http_stop(td_http_t *h) {
    if (!h)
        return;
    /* workers finish what is queued (resuming those connections) first:
     * libmicrohttpd must not stop with connections suspended */
    pool_stop(&h->io);
    pool_stop(&h->slow);
    MHD_stop_daemon(h->d);
    http_free(h); /* then the reaper: lingering sockets close */
}
