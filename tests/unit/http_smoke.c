/* http_smoke.c — throwaway: a server with /health, POST /echo, /metrics,
 * /t/{a}/x/{b} for manual checks with curl, nc and wrk. */
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "http/http.h"

static td_http_t *g_h;

static void health(td_req_t *req, void *app) {
    static const char ok[] = "{\"status\":\"ok\"}";
    td_resp_static(req, 200, NULL, ok, sizeof(ok) - 1);
}

static void echo(td_req_t *req, void *app) {
    td_resp_bytes(req, 200, "application/octet-stream", req->body, req->body_len);
    td_resp_header(req, "X-Body-Len", td_arena_printf(req->arena, "%zu", req->body_len));
}

static void metrics(td_req_t *req, void *app) {
    td_buf_t b;
    td_buf_init(&b, 1 << 20);
    td_http_metrics(g_h, &b);
    td_resp_bytes(req, 200, "text/plain; version=0.0.4", b.data, b.len);
    td_buf_free(&b);
}

static void params(td_req_t *req, void *app) {
    const char *q = td_req_query(req, "q");
    const char *ua = td_req_header(req, "user-agent");
    char *s = td_arena_printf(req->arena, "a=[%s] b=[%s] n=%d q=[%s] ua=[%s] ip=[%s] m=%s\n",
                              req->params[0], req->params[1], req->nparams, q ? q : "(null)",
                              ua ? ua : "(null)", td_req_client_addr(req), req->method_name);
    td_resp_bytes(req, 200, "text/plain", s, strlen(s));
}

static void nothing(td_req_t *req, void *app) {}

static void bad_header(td_req_t *req, void *app) {
    td_resp_header(req, "X-Evil", "a\r\nSet-Cookie: x=1");
    td_resp_problem(req, 409, "some_conflict", "Conflict \"quoted\"", "line1\nline2");
}

static const td_route_t routes[] = {
    {TD_GET, "/health", health, "health", 0},
    {TD_POST, "/echo", echo, "echo", 0},
    {TD_PUT, "/echo", echo, "echo put", 0},
    {TD_GET, "/metrics", metrics, "metrics", 0},
    {TD_GET | TD_DELETE, "/t/{a}/x/{b}", params, "params", 0},
    {TD_GET, "/nothing", nothing, "no status", 0},
    {TD_GET, "/bad", bad_header, "bad header", 0},
};

int main(int argc, char **argv) {
    if (sodium_init() < 0)
        return 1;
    if (getenv("DEBUG"))
        td_log_set_level(TD_LOG_DEBUG);
    td_http_opts_t o = {
        .listen = argc > 1 ? argv[1] : "127.0.0.1:18080",
        .threads = argc > 2 ? (unsigned)atoi(argv[2]) : 0,
        .body_max = 1024,
        .header_max = 20,
        .timeout_s = 10,
        .routes = routes,
        .nroutes = sizeof(routes) / sizeof(routes[0]),
    };
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigprocmask(SIG_BLOCK, &set, NULL);
    char err[256];
    td_status st = td_http_start(&o, &g_h, err, sizeof(err));
    if (st) {
        fprintf(stderr, "start: %s (%s)\n", err, td_status_code(st));
        return 2;
    }
    fprintf(stderr, "listening on %s\n", o.listen);
    int sig;
    sigwait(&set, &sig);
    td_http_stop(g_h);
    fprintf(stderr, "stopped\n");
    return 0;
}
