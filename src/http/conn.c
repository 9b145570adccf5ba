/* conn.c — connections, outside any one request: the head deadline
 * (slowloris), lingering close, answers written straight to the socket,
 * and what libmicrohttpd says about connections (counted, not logged).
 *
 * libmicrohttpd 0.9.75 times a connection out only when nothing moves, so
 * a client sending one header byte every few seconds keeps it forever;
 * and it closes a connection it answered early with the client's bytes
 * unread, which makes the kernel send a reset that can destroy the answer
 * before the client reads it. A reaper thread handles both: it shuts down
 * connections whose request head is late, and drains the input of
 * connections closed early for a short while before closing them. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common/log.h"
#include "common/timeutil.h"
#include "http/http_int.h"

#define REAPER_TICK_MS 200
#define LINGER_NS ((int64_t)2000000000)     /* drain a closed connection this long */
#define LINGER_BYTES ((size_t)4 << 20)      /* or until this much was thrown away */

/* ---- connection list ---------------------------------------------------- */

void td_http_conn_await_head(td_http_t *h, conn_t *c, bool await) {
    if (c)
        atomic_store_explicit(&c->head_deadline, await ? td_mono_ns() + h->head_timeout_ns : 0,
                              memory_order_relaxed);
}

void td_http_conn_between(conn_t *c, bool between) {
    if (c)
        atomic_store_explicit(&c->between, between, memory_order_relaxed);
}

/* Keeps a dup of a closing connection's socket, write side shut (the
 * answer is followed by FIN), for the reaper to drain. Caller holds
 * conn_mu. Without a free slot the socket simply closes. */
static void linger_add(td_http_t *h, int fd) {
    if (h->nlinger == LINGER_MAX || atomic_load(&h->stopping))
        return;
    int d = dup(fd);
    if (d < 0)
        return;
    shutdown(d, SHUT_WR);
    h->linger[h->nlinger++] = (linger_t){d, td_mono_ns() + LINGER_NS, 0};
}

/* libmicrohttpd's connection notifications: STARTED on the worker thread
 * that accepted it, CLOSED on the same thread before the socket is
 * closed (so the fd is still this connection's while it is listed). */
void td_http_conn_notify(void *cls, struct MHD_Connection *mc, void **socket_context,
                         enum MHD_ConnectionNotificationCode code) {
    td_http_t *h = cls;
    conn_t *c = *socket_context;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CONNECTION_FD);
        c = ci ? calloc(1, sizeof(*c)) : NULL;
        if (!c)
            return; /* untracked: no head deadline, closes as libmicrohttpd does */
        c->fd = ci->connect_fd;
        td_http_conn_await_head(h, c, true);
        pthread_mutex_lock(&h->conn_mu);
        c->next = h->conns;
        if (h->conns)
            h->conns->prev = c;
        h->conns = c;
        pthread_mutex_unlock(&h->conn_mu);
        *socket_context = c;
        return;
    }
    if (!c)
        return;
    int unread = 0;
    if (!c->linger && ioctl(c->fd, FIONREAD, &unread) != 0)
        unread = 0;
    pthread_mutex_lock(&h->conn_mu);
    if (c->prev)
        c->prev->next = c->next;
    else
        h->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    if ((c->linger || unread > 0) && !atomic_load(&c->reaped))
        linger_add(h, c->fd);
    pthread_mutex_unlock(&h->conn_mu);
    *socket_context = NULL;
    free(c);
}

/* ---- the reaper --------------------------------------------------------- */

/* Reads and throws away what is waiting on slot i; true when the slot is
 * done (end of input, error, too much, or its time is up). */
static bool linger_drain(linger_t *l, int64_t now) {
    char buf[16384];
    for (;;) {
        ssize_t n = recv(l->fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (n > 0) {
            l->drained += (size_t)n;
            if (l->drained > LINGER_BYTES)
                return true;
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            return now >= l->until;
        return true;
    }
}

/* Shuts down every connection whose request head is overdue: its poll()
 * wakes up, the read finds the end, and libmicrohttpd closes it. Counted
 * as aborted unless it was only an idle keep-alive (no request line since
 * its last answer). Caller holds conn_mu (so each fd is still its
 * connection's). */
static void reap_heads(td_http_t *h, int64_t now) {
    for (conn_t *c = h->conns; c; c = c->next) {
        int64_t d = atomic_load_explicit(&c->head_deadline, memory_order_relaxed);
        if (!d || now < d || atomic_load(&c->reaped))
            continue;
        atomic_store(&c->reaped, true);
        atomic_store_explicit(&c->head_deadline, 0, memory_order_relaxed);
        shutdown(c->fd, SHUT_RDWR);
        if (!atomic_load_explicit(&c->between, memory_order_relaxed))
            atomic_fetch_add_explicit(&h->aborted[AB_HEADER_TIMEOUT], 1, memory_order_relaxed);
    }
}

static void *reaper_main(void *arg) {
    td_http_t *h = arg;
    struct pollfd pf[LINGER_MAX];
    while (!atomic_load(&h->stopping)) {
        pthread_mutex_lock(&h->conn_mu);
        size_t n = h->nlinger;
        for (size_t i = 0; i < n; i++)
            pf[i] = (struct pollfd){.fd = h->linger[i].fd, .events = POLLIN};
        pthread_mutex_unlock(&h->conn_mu);
        if (n)
            poll(pf, n, REAPER_TICK_MS); /* slots are only removed here: pf stays valid */
        else
            usleep(REAPER_TICK_MS * 1000);
        int64_t now = td_mono_ns();
        pthread_mutex_lock(&h->conn_mu);
        for (size_t i = 0; i < h->nlinger;) {
            if (linger_drain(&h->linger[i], now)) {
                close(h->linger[i].fd);
                h->linger[i] = h->linger[--h->nlinger];
            } else {
                i++;
            }
        }
        reap_heads(h, now);
        pthread_mutex_unlock(&h->conn_mu);
    }
    return NULL;
}

td_status td_http_reaper_start(td_http_t *h) {
    if (pthread_create(&h->reaper, NULL, reaper_main, h) != 0)
        return TD_E_NOMEM;
    h->reaper_started = true;
    return TD_OK;
}

/* After MHD_stop_daemon: every connection is closed; lingering sockets
 * are closed now. */
void td_http_reaper_stop(td_http_t *h) {
    atomic_store(&h->stopping, true);
    if (h->reaper_started)
        pthread_join(h->reaper, NULL);
    h->reaper_started = false;
    for (size_t i = 0; i < h->nlinger; i++)
        close(h->linger[i].fd);
    h->nlinger = 0;
}

/* ---- answers written directly ------------------------------------------- */

/* libmicrohttpd 0.9.75 queues no response in the middle of an upload, and
 * builds response headers in the connection's 16 KiB pool, which a head
 * near that size leaves no room for. In both cases the answer (small, in
 * the arena) is written to the socket here: nothing else is being written
 * on it at that point, and the socket's send buffer is empty. A short
 * write leaves the rest unsent; the connection closes either way. */
void td_http_write_direct(rctx_t *x) {
    td_req_t *r = &x->req;
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    x->responded = true;
    if (x->conn)
        x->conn->linger = true;
    if (!ci)
        return;
    const char *reason = MHD_get_reason_phrase_for((unsigned)r->status);
    char head[512];
    int n = snprintf(head, sizeof(head),
                     "HTTP/1.1 %d %s\r\nConnection: close\r\nContent-Type: %s\r\n"
                     "X-Request-Id: %s\r\nContent-Length: %zu\r\n\r\n",
                     r->status, reason && *reason ? reason : "Error",
                     r->content_type ? r->content_type : "application/json", r->request_id,
                     r->resp_len);
    if (n < 0 || (size_t)n >= sizeof(head))
        return;
    struct iovec iov[2] = {{head, (size_t)n}, {(void *)r->resp_body, r->resp_len}};
    struct msghdr m = {.msg_iov = iov, .msg_iovlen = r->resp_body ? 2 : 1};
    (void)sendmsg(ci->connect_fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT);
}

/* ---- libmicrohttpd's messages ------------------------------------------- */

/* What libmicrohttpd says about single connections: a line each would let
 * any client fill the log (and some quote the request path), so they are
 * counted or dropped. reason -1: dropped, because the request's completion
 * or the reaper already counts the event. refuse: the status libmicrohttpd
 * is about to send for a bad Content-Length, which tenantd answers itself
 * when it can (td_http_refuse_length). */
static const struct {
    const char *prefix;
    int reason;
    int refuse;
} k_conn_msgs[] = {
    {"Server reached connection limit", AB_REFUSED, 0},
    {"Error processing request", AB_MALFORMED, 0},
    {"Too large value of 'Content-Length'", -1, 413},
    {"Failed to parse `Content-Length'", -1, 400},
    {"Socket has been disconnected", -1, 0},
    {"Connection socket is closed", -1, 0},
    {"Connection was closed by remote side", -1, 0},
    {"Failed to send", -1, 0},
    {"Application reported internal error", -1, 0},
    {"Received HTTP/1.1 request without", -1, 0},
    {"Closing connection (", -1, 0},
    {"Too late", -1, 0},
    {"Not enough memory in pool", -1, 0},
};

/* libmicrohttpd's error log. While starting, the last message is kept for
 * td_http_start's err ("Failed to bind to port 8080: Address already in
 * use"); afterwards per-connection messages are counted, and any other
 * becomes a warn line cut before its first quote (quoted parts can be
 * request text). */
void td_http_mhd_log(void *cls, const char *fmt, va_list ap) {
    td_http_t *h = cls;
    char msg[256];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    msg[strcspn(msg, "\r\n")] = '\0';
    if (!atomic_load_explicit(&h->running, memory_order_relaxed)) {
        memcpy(h->start_err, msg, sizeof(msg));
        return;
    }
    for (size_t i = 0; i < sizeof(k_conn_msgs) / sizeof(k_conn_msgs[0]); i++)
        if (strncmp(msg, k_conn_msgs[i].prefix, strlen(k_conn_msgs[i].prefix)) == 0) {
            if (k_conn_msgs[i].reason >= 0)
                atomic_fetch_add_explicit(&h->aborted[k_conn_msgs[i].reason], 1,
                                          memory_order_relaxed);
            if (k_conn_msgs[i].refuse)
                td_http_refuse_length(h, k_conn_msgs[i].refuse);
            return;
        }
    msg[strcspn(msg, "`'\"")] = '\0';
    td_log(TD_LOG_WARN, "libmicrohttpd", "detail", msg, NULL);
}
