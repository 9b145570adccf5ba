/* data.c — /v1/{service}/{resource}[/{id}]: every declared resource,
 * served by the engine (services/engine.h). Access was decided before the
 * handler runs (access.c, from the declaration); a handler only leases the
 * tenant's database, calls the engine and turns its answer into HTTP. */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "services/engine.h"
#include "services/services.h"

/* TD_E_UNAVAILABLE from a tenant's database (a corrupt, emptied or
 * missing file; a server down; a database dropped) has one answer, and
 * TD_E_BUSY from the pool (every connection of the tenant's database
 * server stayed leased for the whole wait) another. */
void td_api_tenant_fail(td_req_t *req, td_status st, const char *detail) {
    if (st == TD_E_UNAVAILABLE) {
        td_resp_problem(req, 503, "tenant_unavailable", "Tenant unavailable",
                        "the tenant's database does not answer");
    } else if (st == TD_E_BUSY) {
        td_resp_header(req, "Retry-After", TD_API_BUSY_RETRY_AFTER);
        td_resp_problem(req, 503, "tenant_busy", "Tenant busy",
                        "every connection to the tenant's database server is in use; retry");
    } else
        td_api_fail(req, st, detail);
}

/* The engine's context for the route's resource, from the request's
 * operation context (td_api_op → td_op_res_open): the caller as the
 * actor, the tenant's database leased for the request. */
int td_api_res_ctx(td_req_t *req, td_app_t *app, td_res_ctx_t *c) {
    td_ctx_t *ctx = req->ctx;
    td_op_t op = td_api_op(req, app);
    if (td_op_res_open(&op, ctx->tenant, ctx->res->service, ctx->scope, c)) {
        td_api_op_fail(req, &op);
        return -1;
    }
    td_api_touch(req, app->platform, ctx->tenant->row.id); /* a write: the drain takes it */
    return 0;
}

void td_api_res_fail(td_req_t *req, td_status st, td_res_err_t *e) {
    if (st == TD_E_UNAVAILABLE) { /* whatever the operation was doing */
        td_res_err_free(e);
        td_api_tenant_fail(req, st, NULL);
        return;
    }
    const char *code = e->code ? e->code : td_status_code(st);
    int status = !strcmp(code, "precondition_failed")      ? 412
                 : !strcmp(code, "unsupported_media_type") ? 415
                 : !strcmp(code, "plan_limit")             ? 402
                 : st == TD_E_RANGE                        ? 422 /* valid values, result too large */
                                                           : td_api_http_status(st);
    char *members = NULL;
    if (e->errors) {
        json_t *o = json_pack("{s:O}", "errors", e->errors);
        char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
        json_decref(o);
        if (s && strlen(s) > 2) { /* strip the braces: members only */
            s[strlen(s) - 1] = '\0';
            members = td_arena_strdup(req->arena, s + 1);
        }
        free(s);
    }
    if (!strcmp(code, "plan_limit")) /* the limit named, as the other plan limits' */
        members = td_arena_printf(req->arena, "\"limit\":\"max_rows_per_resource\",\"allowed\":%lld",
                                  (long long)e->allowed);
    td_resp_problem_ext(req, status, code, NULL, e->detail[0] ? e->detail : NULL, members);
    td_res_err_free(e);
}

/* Answers a row with its ETag (one serialisation serves both). */
void td_api_send_row(td_req_t *req, int status, json_t *row) {
    char tag[24], *s = json_dumps(row, JSON_COMPACT);
    json_decref(row);
    if (!s) {
        td_api_fail(req, TD_E_NOMEM, NULL);
        return;
    }
    td_res_etag_text(s, tag);
    td_resp_header(req, "ETag", td_arena_strdup(req->arena, tag));
    const char *inm = status == 200 ? td_req_header(req, "If-None-Match") : NULL;
    if (inm && !strcmp(inm, tag) && req->method == TD_GET)
        td_resp_static(req, 304, "application/json", "", 0);
    else
        td_resp_bytes(req, status, "application/json", s, strlen(s));
    free(s);
}

static const td_resource_t *res_of(td_req_t *req) { return ((td_ctx_t *)req->ctx)->res; }

/* Answers an engine result: the failure, or out (a row with its ETag
 * when row is set). */
static void answer(td_req_t *req, td_status st, td_res_err_t *e, int status, json_t *out,
                   int row) {
    if (st)
        td_api_res_fail(req, st, e);
    else if (row)
        td_api_send_row(req, status, out);
    else
        td_api_send_json(req, status, out);
}

void td_api_res_list(td_req_t *req, void *app) {
    td_res_ctx_t c;
    if (td_api_res_ctx(req, app, &c))
        return;
    td_list_req_t q = {
        .filter = td_req_query(req, "filter"),
        .sort = td_req_query(req, "sort"),
        .cursor = td_req_query(req, "cursor"),
        .fields = td_req_query(req, "fields"),
        .limit = td_req_query(req, "limit"),
    };
    td_res_err_t e = {0};
    td_buf_t body;
    td_status st = td_res_list(&c, res_of(req), &q, &body, &e);
    if (st)
        td_api_res_fail(req, st, &e);
    else
        td_resp_bytes(req, 200, "application/json", td_buf_str(&body), body.len);
    td_buf_free(&body);
}

void td_api_res_get(td_req_t *req, void *app) {
    td_res_ctx_t c;
    if (td_api_res_ctx(req, app, &c))
        return;
    td_res_err_t e = {0};
    json_t *row = NULL;
    td_status st = td_res_get(&c, res_of(req), req->params[2], &row, &e);
    if (st) {
        td_api_res_fail(req, st, &e);
        return;
    }
    td_api_send_row(req, 200, row);
}

/* A write to a SQLite tenant runs on the server's io threads: it waits
 * there for its turn among the tenant's writers and for the fsync it
 * shares with them (store/sqlite_writers.c), without holding an HTTP
 * thread. A PostgreSQL tenant's write stays here, as its reads do: the
 * server syncs, and more threads would only hold more of the server's
 * connection budget. 1 when handed on. */
int td_api_write_offload(td_req_t *req, void *app, td_work_fn work) {
    const td_ctx_t *ctx = req->ctx;
    const char *backend = ctx && ctx->tenant ? ctx->tenant->row.backend : NULL;
    if (!backend || strcmp(backend, "sqlite"))
        return 0;
    td_req_offload_io(req, work, app);
    return 1;
}

static void create_now(td_req_t *req, void *app) {
    json_t *body;
    td_res_ctx_t c;
    if (td_api_json_body(req, &body) || td_api_res_ctx(req, app, &c))
        return;
    td_res_err_t e = {0};
    json_t *row = NULL;
    const td_resource_t *r = res_of(req);
    td_status st = td_res_create(&c, r, body, &row, &e);
    if (st) {
        td_api_res_fail(req, st, &e);
        return;
    }
    td_resp_header(req, "Location",
                   td_arena_printf(req->arena, "/v1/%s/%s/%s", r->service, r->name,
                                   json_string_value(json_object_get(row, "id"))));
    td_api_send_row(req, 201, row);
}

void td_api_res_create(td_req_t *req, void *app) {
    if (!td_api_write_offload(req, app, create_now))
        create_now(req, app);
}

static void update_now(td_req_t *req, void *app) {
    json_t *body;
    td_res_ctx_t c;
    if (td_api_json_body(req, &body) || td_api_res_ctx(req, app, &c))
        return;
    td_res_err_t e = {0};
    json_t *row = NULL;
    td_status st = td_res_update(&c, res_of(req), req->params[2], body,
                                 td_req_header(req, "If-Match"), &row, &e);
    answer(req, st, &e, 200, row, 1);
}

void td_api_res_update(td_req_t *req, void *app) {
    if (!td_api_write_offload(req, app, update_now))
        update_now(req, app);
}

static void delete_now(td_req_t *req, void *app) {
    td_res_ctx_t c;
    if (td_api_res_ctx(req, app, &c))
        return;
    td_res_err_t e = {0};
    td_status st = td_res_delete(&c, res_of(req), req->params[2], td_req_header(req, "If-Match"),
                                 &e);
    if (st)
        td_api_res_fail(req, st, &e);
    else
        td_resp_static(req, 204, "application/json", "", 0);
}

void td_api_res_delete(td_req_t *req, void *app) {
    if (!td_api_write_offload(req, app, delete_now))
        delete_now(req, app);
}

/* 1 when the caller's grant includes service (auth: every caller). */
static int granted(const td_ctx_t *ctx, const char *service) {
    if (ctx->all || !strcmp(service, "auth"))
        return 1;
    for (size_t i = 0; i < ctx->nsvc; i++)
        if (!strcmp(ctx->svc[i], service))
            return 1;
    return 0;
}

/* GET /v1/services: the declarations of the tenant's enabled services the
 * caller may use — what a console's data browser draws its tables, filters
 * and forms from (tables' names are the server's own: left out). */
void td_api_services(td_req_t *req, void *app) {
    (void)app;
    const td_ctx_t *ctx = req->ctx;
    const td_tenant_t *t = ctx->tenant;
    json_t *items = json_array();
    for (size_t i = 0; t && i < t->nsvc; i++) {
        const td_service_decl_t *d = td_service_decl(t->services[i]);
        if (!d || !granted(ctx, d->name))
            continue;
        json_t *o = json_deep_copy(d->root);
        json_t *r;
        size_t k;
        json_array_foreach(json_object_get(o, "resources"), k, r)
            json_object_del(r, "table");
        json_array_append_new(items, o);
    }
    td_api_send_json(req, 200, json_pack("{s:o}", "items", items));
}
