/* metrics.c — request counters by route and status and a latency
 * histogram, lock-free on the request path (C11 atomics), rendered as
 * Prometheus text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/timeutil.h"
#include "http/http_int.h"

static const int k_status_codes[] = {200, 201, 202, 204, 304, 400, 401, 403, 404, 405,
                                     409, 412, 413, 422, 429, 431, 500, 501, 503};
_Static_assert(NSTATUS == sizeof(k_status_codes) / sizeof(k_status_codes[0]) + 1, "NSTATUS");

static const int64_t k_bucket_ns[] = {500000,    1000000,   2500000,    5000000,
                                      10000000,  25000000,  50000000,   100000000,
                                      250000000, 500000000, 1000000000, 2500000000};
static const char *const k_bucket_le[] = {"0.0005", "0.001", "0.0025", "0.005",
                                          "0.01",   "0.025", "0.05",   "0.1",
                                          "0.25",   "0.5",   "1",      "2.5"};
_Static_assert(NBUCKETS == sizeof(k_bucket_ns) / sizeof(k_bucket_ns[0]) + 1, "NBUCKETS");


/* ---- metrics ------------------------------------------------------------ */

/* Sizes the counters from the route table. Routes that share a pattern
 * (GET and POST /v1/tenants as two rows) share a slot, so each
 * route/status series appears once in the exposition. */
td_status td_http_metrics_init(td_http_t *h) {
    metrics_t *m = &h->m;
    size_t n = h->o.nroutes;
    m->slot_name = calloc(n + 1, sizeof(*m->slot_name));
    m->route_slot = calloc(n + 1, sizeof(*m->route_slot));
    if (!m->slot_name || !m->route_slot)
        return TD_E_NOMEM;
    for (size_t i = 0; i < n; i++) {
        size_t s = 0;
        while (s < m->nslots && strcmp(m->slot_name[s], h->o.routes[i].pattern) != 0)
            s++;
        if (s == m->nslots)
            m->slot_name[m->nslots++] = h->o.routes[i].pattern;
        m->route_slot[i] = s;
    }
    m->slot_name[m->nslots++] = "unmatched";
    m->count = calloc(m->nslots * NSTATUS, sizeof(*m->count));
    if (!m->count)
        return TD_E_NOMEM;
    for (size_t i = 0; i < m->nslots * NSTATUS; i++)
        atomic_init(&m->count[i], 0);
    memset(m->status_idx, NSTATUS - 1, sizeof(m->status_idx));
    for (size_t i = 0; i < NSTATUS - 1; i++)
        m->status_idx[k_status_codes[i]] = (unsigned char)i;
    return TD_OK;
}

/* Lock-free: relaxed atomic increments only. */
void td_http_metrics_record(td_http_t *h, const rctx_t *x) {
    metrics_t *m = &h->m;
    const td_req_t *r = &x->req;
    size_t slot = r->route ? m->route_slot[r->route - h->o.routes] : m->nslots - 1;
    size_t col = r->status >= 0 && r->status < 600 ? m->status_idx[r->status] : NSTATUS - 1;
    atomic_fetch_add_explicit(&m->count[slot * NSTATUS + col], 1, memory_order_relaxed);
    int64_t ns = td_mono_ns() - x->t0;
    size_t b = 0;
    while (b < NBUCKETS - 1 && ns > k_bucket_ns[b])
        b++;
    atomic_fetch_add_explicit(&m->bucket[b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&m->sum_ns, (uint64_t)(ns > 0 ? ns : 0), memory_order_relaxed);
}

static void put_label(td_buf_t *out, const char *s) {
    for (; *s; s++) {
        if (*s == '\\' || *s == '"')
            td_buf_append(out, "\\", 1);
        if (*s == '\n')
            td_buf_puts(out, "\\n");
        else
            td_buf_append(out, s, 1);
    }
}

/* Label values of tenantd_http_connections_aborted_total, by AB_*. */
static const char *const k_abort_reason[NABORT] = {
    [AB_CLIENT] = "client",         [AB_IDLE_TIMEOUT] = "idle_timeout",
    [AB_HEADER_TIMEOUT] = "header_timeout", [AB_BODY_TOO_LARGE] = "body_too_large",
    [AB_REFUSED] = "refused",       [AB_MALFORMED] = "malformed",
};

/* Every reason is always present (zero included), so that a rate over it
 * exists before the first event. */
static void put_aborted(td_http_t *h, td_buf_t *out) {
    td_buf_puts(out, "# HELP tenantd_http_connections_aborted_total Connections that ended "
                     "without their request being answered normally, by reason.\n"
                     "# TYPE tenantd_http_connections_aborted_total counter\n");
    for (size_t i = 0; i < NABORT; i++)
        td_buf_printf(out, "tenantd_http_connections_aborted_total{reason=\"%s\"} %llu\n",
                      k_abort_reason[i],
                      (unsigned long long)atomic_load_explicit(&h->aborted[i],
                                                               memory_order_relaxed));
}

/* Prometheus text format. Counters are read one by one while requests
 * run, so _count may trail the buckets by a request or two: harmless. */
td_status td_http_metrics(td_http_t *h, td_buf_t *out) {
    metrics_t *m = &h->m;
    put_aborted(h, out);
    td_buf_puts(out, "# HELP tenantd_http_requests_total HTTP requests by route pattern and "
                     "status.\n# TYPE tenantd_http_requests_total counter\n");
    for (size_t s = 0; s < m->nslots; s++)
        for (size_t c = 0; c < NSTATUS; c++) {
            uint64_t v = atomic_load_explicit(&m->count[s * NSTATUS + c], memory_order_relaxed);
            if (!v)
                continue;
            td_buf_puts(out, "tenantd_http_requests_total{route=\"");
            put_label(out, m->slot_name[s]);
            if (c < NSTATUS - 1)
                td_buf_printf(out, "\",status=\"%d\"} %llu\n", k_status_codes[c],
                              (unsigned long long)v);
            else
                td_buf_printf(out, "\",status=\"other\"} %llu\n", (unsigned long long)v);
        }
    td_buf_puts(out, "# HELP tenantd_http_request_duration_seconds Time from request headers "
                     "to response sent.\n# TYPE tenantd_http_request_duration_seconds "
                     "histogram\n");
    uint64_t cum = 0;
    for (size_t b = 0; b < NBUCKETS; b++) {
        cum += atomic_load_explicit(&m->bucket[b], memory_order_relaxed);
        td_buf_printf(out, "tenantd_http_request_duration_seconds_bucket{le=\"%s\"} %llu\n",
                      b < NBUCKETS - 1 ? k_bucket_le[b] : "+Inf", (unsigned long long)cum);
    }
    uint64_t sum = atomic_load_explicit(&m->sum_ns, memory_order_relaxed);
    td_buf_printf(out, "tenantd_http_request_duration_seconds_sum %.9f\n", (double)sum / 1e9);
    return td_buf_printf(out, "tenantd_http_request_duration_seconds_count %llu\n",
                         (unsigned long long)cum);
}
