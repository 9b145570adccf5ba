/* behaviour.c — routes of service behaviour beyond CRUD: lead conversion,
 * order placement, event batches and metric series, media bytes. Access
 * was decided from each route's declared resource and operation
 * (routes.c); these handlers call services/modules.h. An event batch is
 * a metered action (analytics.events, td_api_credits_charge). */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "services/analytics/batch.h"
#include "services/modules.h"

void td_api_lead_convert(td_req_t *req, void *app) {
    json_t *body = NULL, *out = NULL;
    td_res_ctx_t c;
    if (req->body_len == 0) { /* no options: an empty body will do */
        if (td_api_json_keep(req, body = json_object()))
            return;
    } else if (td_api_json_body(req, &body)) {
        return;
    }
    if (td_api_res_ctx(req, app, &c))
        return;
    td_res_err_t e = {0};
    td_status st = td_crm_convert_lead(&c, req->params[0], body, &out, &e);
    if (st)
        td_api_res_fail(req, st, &e);
    else
        td_api_send_json(req, 201, out);
}

void td_api_order_place(td_req_t *req, void *app) {
    json_t *body, *out = NULL;
    td_res_ctx_t c;
    if (td_api_json_body(req, &body) || td_api_res_ctx(req, app, &c))
        return;
    td_res_err_t e = {0};
    td_status st = td_commerce_place_order(&c, body, &out, &e);
    if (st)
        td_api_res_fail(req, st, &e);
    else
        td_api_send_row(req, 201, out);
}

/* A batch is read in one pass from its text when every event is valid
 * (td_event_batch_scan); any other body is parsed and validated by the
 * general path, which answers bad JSON, a bad batch or bad events exactly
 * as it names them. */
static void events_now(td_req_t *req, void *app) {
    json_t *body = NULL;
    td_event_batch_t *b = NULL;
    td_res_ctx_t c;
    if (td_event_batch_scan(req->arena, req->body, req->body_len, &b) &&
        td_api_json_body(req, &body))
        return;
    if (td_api_res_ctx(req, app, &c))
        return;
    /* metered: charged before the write (402 insufficient_credits writes
     * nothing), given back when the write fails */
    td_credit_tx_t charge;
    int64_t units = b ? (int64_t)b->n : (int64_t)json_array_size(json_object_get(body, "events"));
    if (td_api_credits_charge(req, app, "analytics.events", units, &charge))
        return;
    td_res_err_t e = {0};
    size_t n = 0;
    td_status st = b ? td_event_batch_write(&c, b, &n, &e) : td_analytics_ingest(&c, body, &n, &e);
    if (st && charge.delta) {
        td_op_t op = td_api_op(req, app);
        td_credits_refund(&op, &charge);
    }
    if (st)
        td_api_res_fail(req, st, &e);
    else
        td_api_send_json(req, 202, json_pack("{s:I}", "accepted", (json_int_t)n));
}

void td_api_events_batch(td_req_t *req, void *app) {
    if (!td_api_write_offload(req, app, events_now))
        events_now(req, app);
}

void td_api_metric_series(td_req_t *req, void *app) {
    td_res_ctx_t c;
    if (td_api_res_ctx(req, app, &c))
        return;
    td_res_err_t e = {0};
    json_t *out = NULL;
    td_status st = td_analytics_series(&c, td_req_query(req, "name"), td_req_query(req, "bucket"),
                                       td_req_query(req, "from"), td_req_query(req, "to"), &out,
                                       &e);
    if (st)
        td_api_res_fail(req, st, &e);
    else
        td_api_send_json(req, 200, out);
}

void td_api_media_put(td_req_t *req, void *app) {
    td_res_ctx_t c;
    if (td_api_res_ctx(req, app, &c))
        return;
    td_app_t *a = app;
    td_res_err_t e = {0};
    json_t *row = NULL;
    td_status st = td_cms_media_put(&c, req->params[0], td_req_header(req, "Content-Type"),
                                    req->body, req->body_len,
                                    (size_t)a->platform->cfg->media_max, &row, &e);
    if (st)
        td_api_res_fail(req, st, &e);
    else
        td_api_send_row(req, 200, row);
}

void td_api_media_get(td_req_t *req, void *app) {
    td_res_ctx_t c;
    if (td_api_res_ctx(req, app, &c))
        return;
    td_res_err_t e = {0};
    void *bytes = NULL;
    size_t len = 0;
    const char *type = NULL;
    td_status st = td_cms_media_get(&c, req->params[0], &bytes, &len, &type, &e);
    if (st) {
        td_api_res_fail(req, st, &e);
        return;
    }
    td_resp_header(req, "X-Content-Type-Options", "nosniff");
    td_resp_header(req, "Content-Disposition", "attachment");
    td_resp_bytes(req, 200, type, bytes, len);
    free(bytes);
}
