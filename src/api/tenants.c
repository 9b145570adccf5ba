/* tenants.c — the platform's tenant routes (superadmins; a tenant admin may
 * read its own tenant's record):
 *   POST /v1/tenants, GET /v1/tenants, GET|PATCH|DELETE /v1/tenants/{tenant},
 *   POST /v1/tenants/{tenant}/suspend|resume|retry. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "auth/tokens.h"
#include "common/id.h"
#include "common/timeutil.h"

#define LIST_DEFAULT 50
#define LIST_MAX 200

/* Answers a domain failure with the message the domain wrote. */
static void fail_with(td_req_t *req, td_status st, const char *err) {
    if (st == TD_E_EXISTS)
        td_resp_problem(req, 409, "slug_taken", "Slug taken", err);
    else if (st == TD_E_INVALID)
        td_resp_problem(req, 400, "invalid_request", "Invalid request", err);
    else if (st == TD_E_STATE)
        td_resp_problem(req, 409, "invalid_state", "Not in this state", err);
    else if (st == TD_E_NOTFOUND)
        td_resp_problem(req, 404, "tenant_not_found", "Tenant not found", "no such tenant");
    else
        td_api_fail(req, st, err && err[0] ? err : NULL);
}

static const char *opt_string(td_req_t *req, json_t *o, const char *key, int *bad) {
    json_t *v = json_object_get(o, key);
    if (v && !json_is_string(v)) {
        *bad = 1;
        td_resp_problem(req, 400, "invalid_request", "Invalid request",
                        td_arena_printf(req->arena, "'%s' must be a string", key));
    }
    return json_string_value(v);
}

void td_api_tenant_create(td_req_t *req, void *app_) {
    td_app_t *app = app_;
    static const char *const fields[] = {"slug",    "name", "services",     "admin",
                                         "backend", "plan", "database_url", NULL};
    static const char *const admin_fields[] = {"email", "password", NULL};
    json_t *b;
    if (td_api_json_body(req, &b))
        return;
    if (!td_api_only_fields(req, b, fields))
        return;
    int bad = 0;
    td_tenant_spec_t spec = {0};
    spec.slug = opt_string(req, b, "slug", &bad);
    spec.name = bad ? NULL : opt_string(req, b, "name", &bad);
    spec.backend = bad ? NULL : opt_string(req, b, "backend", &bad);
    spec.plan = bad ? NULL : opt_string(req, b, "plan", &bad);
    spec.database_url = bad ? NULL : opt_string(req, b, "database_url", &bad);
    if (bad)
        return;
    if (!spec.slug) {
        td_resp_problem(req, 400, "invalid_request", "Invalid request", "'slug' is required");
        return;
    }
    json_t *svc = json_object_get(b, "services");
    if (svc && (!json_is_array(svc) || json_array_size(svc) > 16)) {
        td_resp_problem(req, 400, "invalid_request", "Invalid request",
                        "'services' must be an array of service names");
        return;
    }
    spec.nsvc = json_array_size(svc);
    const char **names = td_arena_alloc(req->arena, sizeof(char *) * (spec.nsvc + 1));
    for (size_t i = 0; i < spec.nsvc; i++)
        if (!(names[i] = json_string_value(json_array_get(svc, i)))) {
            td_resp_problem(req, 400, "invalid_request", "Invalid request",
                            "'services' must be an array of service names");
            return;
        }
    spec.services = names;
    json_t *adm = json_object_get(b, "admin");
    if (adm) {
        if (!json_is_object(adm)) {
            td_resp_problem(req, 400, "invalid_request", "Invalid request",
                            "'admin' must be {\"email\", \"password\"}");
            return;
        }
        if (!td_api_only_fields(req, adm, admin_fields))
            return;
        spec.admin_email = opt_string(req, adm, "email", &bad);
        spec.admin_password = bad ? NULL : opt_string(req, adm, "password", &bad);
        if (bad)
            return;
        if (!spec.admin_email || !spec.admin_password) {
            td_resp_problem(req, 400, "invalid_request", "Invalid request",
                            "'admin' needs both email and password");
            return;
        }
    }
    td_tenant_t t;
    char err[512] = "";
    td_status st = td_tenant_create(app->platform, req->arena, &spec, &t, err, sizeof(err));
    if (st) {
        fail_with(req, st, err);
        return;
    }
    td_resp_header(req, "Location", td_arena_printf(req->arena, "/v1/tenants/%s", t.row.id));
    td_api_send_json(req, 201, td_tenant_json(&t));
}

void td_api_tenant_list(td_req_t *req, void *app_) {
    td_app_t *app = app_;
    td_ctx_t *ctx = req->ctx;
    if (ctx->scope != TD_SCOPE_ALL) { /* a tenant admin sees its own tenant */
        td_tenant_t t;
        td_status st = td_tenant_find(app->platform, req->arena, ctx->tid, &t);
        json_t *items = json_array();
        if (!st)
            json_array_append_new(items, td_tenant_json(&t));
        td_api_send_json(req, 200, json_pack("{s:o, s:n}", "items", items, "next_cursor"));
        return;
    }
    const char *status = td_req_query(req, "status");
    const char *cursor = td_req_query(req, "cursor");
    const char *lim = td_req_query(req, "limit");
    char *end = NULL;
    long limit = lim ? strtol(lim, &end, 10) : LIST_DEFAULT;
    static const char *const statuses[] = {"provisioning", "active", "suspended", "deleting",
                                           "deleted", "failed"};
    int status_ok = !status;
    for (size_t i = 0; status && i < 6; i++)
        status_ok |= strcmp(status, statuses[i]) == 0;
    if ((lim && (*end || limit < 1 || limit > LIST_MAX)) || !status_ok ||
        (cursor && !td_id_valid(cursor))) {
        td_resp_problem(req, 400, "invalid_request", "Invalid request",
                        "limit is 1..200, status a tenant status, cursor a next_cursor value");
        return;
    }
    td_tenant_t *ts;
    size_t n;
    td_status st = td_tenant_list(app->platform, req->arena, status, cursor, (int)limit, &ts, &n);
    if (st) {
        td_api_fail(req, st, NULL);
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, td_tenant_json(&ts[i]));
    json_t *o = json_pack("{s:o}", "items", items);
    json_object_set_new(o, "next_cursor",
                        n == (size_t)limit ? json_string(ts[n - 1].row.id) : json_null());
    td_api_send_json(req, 200, o);
}

void td_api_tenant_get(td_req_t *req, void *app_) {
    (void)app_;
    td_api_send_json(req, 200, td_tenant_json(((td_ctx_t *)req->ctx)->tenant));
}

void td_api_tenant_patch(td_req_t *req, void *app_) {
    td_app_t *app = app_;
    static const char *const fields[] = {"name", NULL};
    json_t *b;
    if (td_api_json_body(req, &b))
        return;
    int bad = 0;
    if (!td_api_only_fields(req, b, fields))
        return;
    const char *name = opt_string(req, b, "name", &bad);
    if (bad)
        return;
    td_tenant_t *t = ((td_ctx_t *)req->ctx)->tenant, out;
    char err[256] = "";
    td_status st = name ? td_tenant_rename(app->platform, req->arena, t->row.id, name, &out, err,
                                           sizeof(err))
                        : td_tenant_find(app->platform, req->arena, t->row.id, &out);
    if (st)
        fail_with(req, st, err);
    else
        td_api_send_json(req, 200, td_tenant_json(&out));
}

typedef td_status (*transition_fn)(td_platform_t *, td_arena_t *, const char *, td_tenant_t *,
                                   char *, size_t);

static void transition(td_req_t *req, td_app_t *app, transition_fn fn) {
    td_tenant_t *t = ((td_ctx_t *)req->ctx)->tenant, out;
    char err[512] = "";
    td_status st = fn(app->platform, req->arena, t->row.id, &out, err, sizeof(err));
    if (st)
        fail_with(req, st, err);
    else
        td_api_send_json(req, 200, td_tenant_json(&out));
}

void td_api_tenant_suspend(td_req_t *req, void *app) { transition(req, app, td_tenant_suspend); }
void td_api_tenant_resume(td_req_t *req, void *app) { transition(req, app, td_tenant_resume); }
void td_api_tenant_retry(td_req_t *req, void *app) { transition(req, app, td_tenant_retry); }

void td_api_tenant_delete(td_req_t *req, void *app_) {
    td_app_t *app = app_;
    td_tenant_t *t = ((td_ctx_t *)req->ctx)->tenant;
    char err[512] = "";
    td_status st = td_tenant_delete(app->platform, req->arena, t->row.id, err, sizeof(err));
    td_db_t *cat;
    if (!st && td_catalog_lease(app->platform->catalog, req->arena, &cat) == TD_OK)
        /* every token of the tenant's users stops working now */
        td_revocations_add(app->revoked, cat, td_arena_printf(req->arena, "tid:%s", t->row.id),
                           td_now_ms(), td_now_ms() / 1000 + TD_ACCESS_TTL);
    if (st)
        fail_with(req, st, err);
    else
        td_resp_static(req, 204, "application/json", "", 0);
}

void td_api_tenant_services(td_req_t *req, void *app_) {
    (void)app_;
    td_tenant_t *t = ((td_ctx_t *)req->ctx)->tenant;
    json_t *items = json_array();
    for (size_t i = 0; i < t->nsvc; i++)
        json_array_append_new(items, json_pack("{s:s, s:b}", "name", t->services[i], "enabled", 1));
    td_api_send_json(req, 200, json_pack("{s:o}", "items", items));
}

void td_api_tenant_service_enable(td_req_t *req, void *app_) {
    td_app_t *app = app_;
    json_t *b;
    if (td_api_json_body(req, &b))
        return;
    static const char *const fields[] = {"service", NULL};
    if (!td_api_only_fields(req, b, fields))
        return;
    const char *svc = json_string_value(json_object_get(b, "service"));
    if (!svc) {
        td_resp_problem(req, 400, "invalid_request", "Invalid request", "'service' is required");
        return;
    }
    td_tenant_t *t = ((td_ctx_t *)req->ctx)->tenant, out;
    char err[512] = "";
    td_status st = td_tenant_enable_service(app->platform, req->arena, t->row.id, svc, &out, err,
                                            sizeof(err));
    if (st)
        fail_with(req, st, err);
    else
        td_api_send_json(req, 200, td_tenant_json(&out));
}

void td_api_tenant_service_disable(td_req_t *req, void *app_) {
    td_app_t *app = app_;
    td_tenant_t *t = ((td_ctx_t *)req->ctx)->tenant, out;
    char err[512] = "";
    td_status st = td_tenant_disable_service(app->platform, req->arena, t->row.id, req->params[1],
                                             &out, err, sizeof(err));
    if (st)
        fail_with(req, st, err);
    else
        td_api_send_json(req, 200, td_tenant_json(&out));
}

/* A hostname a tenant may claim: lowercase labels of [a-z0-9-], at least
 * two of them, at most 253 characters. */
static int hostname_ok(const char *h) {
    size_t n = h ? strlen(h) : 0, label = 0;
    int dots = 0;
    if (n < 3 || n > 253 || h[0] == '.' || h[n - 1] == '.')
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = h[i];
        if (c == '.') {
            if (!label || h[i - 1] == '-')
                return 0;
            dots++;
            label = 0;
        } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c == '-' && label)) {
            if (++label > 63)
                return 0;
        } else
            return 0;
    }
    return dots > 0;
}

/* 1 when h is name or a name under it (…".name"). */
static int at_or_under(const char *h, const char *name) {
    size_t hn = strlen(h), nn = name ? strlen(name) : 0;
    return nn && (strcmp(h, name) == 0 ||
                  (hn > nn && h[hn - nn - 1] == '.' && strcmp(h + hn - nn, name) == 0));
}

/* Why a well-formed hostname cannot name a tenant, or NULL. A name must
 * not be an address (its last label all digits: no top-level domain is),
 * a loopback name, the server's own listen host, or a name under
 * TENANTD_BASE_DOMAIN, whose one-label names are the tenants' slugs
 * (<slug>.<base>, resolved before custom hostnames). */
static const char *hostname_refused(td_app_t *app, const char *h) {
    const char *last = strrchr(h, '.') + 1;
    if (strspn(last, "0123456789") == strlen(last))
        return "an IP address cannot name a tenant";
    if (at_or_under(h, "localhost"))
        return "a loopback name cannot name a tenant";
    const char *listen = app->platform->cfg->listen;
    size_t ln = listen ? strcspn(listen, ":") : 0;
    if (ln && strlen(h) == ln && strncasecmp(h, listen, ln) == 0)
        return "the server's own listen address cannot name a tenant";
    if (at_or_under(h, app->platform->cfg->base_domain))
        return "names under the base domain are the tenants' own <slug> names";
    return NULL;
}

void td_api_hostnames(td_req_t *req, void *app_) {
    td_app_t *app = app_;
    td_tenant_t *t = ((td_ctx_t *)req->ctx)->tenant;
    td_db_t *db;
    const char **names;
    size_t n = 0;
    td_status st = td_catalog_lease(app->platform->catalog, req->arena, &db);
    if (!st)
        st = td_cat_hostname_list(db, req->arena, t->row.id, &names, &n);
    if (st) {
        td_api_fail(req, st, NULL);
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, json_pack("{s:s}", "hostname", names[i]));
    td_api_send_json(req, 200, json_pack("{s:o}", "items", items));
}

void td_api_hostname_add(td_req_t *req, void *app_) {
    td_app_t *app = app_;
    td_tenant_t *t = ((td_ctx_t *)req->ctx)->tenant;
    json_t *b;
    if (td_api_json_body(req, &b))
        return;
    static const char *const fields[] = {"hostname", NULL};
    if (!td_api_only_fields(req, b, fields))
        return;
    const char *h = json_string_value(json_object_get(b, "hostname"));
    if (!hostname_ok(h)) {
        td_resp_problem(req, 400, "invalid_hostname", "Invalid hostname",
                        "a lowercase DNS name like app.example.com");
        return;
    }
    const char *why = hostname_refused(app, h);
    if (why) {
        td_resp_problem(req, 400, "hostname_reserved", "Hostname reserved", why);
        return;
    }
    td_db_t *db;
    td_status st = td_catalog_lease(app->platform->catalog, req->arena, &db);
    if (!st)
        st = td_cat_hostname_add(db, t->row.id, h);
    if (st == TD_E_EXISTS)
        td_resp_problem(req, 409, "hostname_taken", "Hostname taken",
                        "this hostname already names a tenant");
    else if (st)
        td_api_fail(req, st, NULL);
    else
        td_api_send_json(req, 201, json_pack("{s:s, s:s}", "hostname", h, "tenant_id", t->row.id));
}

void td_api_hostname_remove(td_req_t *req, void *app_) {
    td_app_t *app = app_;
    td_tenant_t *t = ((td_ctx_t *)req->ctx)->tenant;
    td_db_t *db;
    td_status st = td_catalog_lease(app->platform->catalog, req->arena, &db);
    if (!st)
        st = td_cat_hostname_remove(db, t->row.id, req->params[1]);
    if (st == TD_E_NOTFOUND)
        td_resp_problem(req, 404, "hostname_not_found", "Hostname not found",
                        "this tenant has no such hostname");
    else if (st)
        td_api_fail(req, st, NULL);
    else
        td_resp_static(req, 204, "application/json", "", 0);
}

void td_api_tenant_database(td_req_t *req, void *app_) {
    td_app_t *app = app_;
    td_tenant_t *t = ((td_ctx_t *)req->ctx)->tenant, out;
    json_t *b;
    if (td_api_json_body(req, &b))
        return;
    static const char *const fields[] = {"url", NULL};
    if (!td_api_only_fields(req, b, fields))
        return;
    const char *url = json_string_value(json_object_get(b, "url"));
    if (!url) {
        td_resp_problem(req, 400, "invalid_request", "Invalid request", "'url' is required");
        return;
    }
    char err[512] = "";
    td_status st = td_tenant_set_database(app->platform, req->arena, t->row.id, url, &out, err,
                                          sizeof(err));
    if (st)
        fail_with(req, st, err);
    else
        td_api_send_json(req, 200, td_tenant_json(&out));
}
