/* access.c — what runs between routing and every handler.
 *
 * Each route declares its need (td_need_t, in routes.c). This hook turns
 * the need into checks, in order: authenticate the caller (access token);
 * resolve the tenant (token claim, X-Tenant for superadmins, or the
 * route's {tenant} path parameter); refuse a tenant user's X-Tenant
 * pointing elsewhere; apply the tenant's status (suspended → 403
 * tenant_suspended, reads still allowed to superadmins); ask the policy
 * table (auth/policy.h) for the role × service × action scope; check the
 * service is granted and enabled. Handlers receive the result in req->ctx
 * and never decide access themselves. Rate limits (throttle.h) are taken
 * here too: the client address's before anything else, the tenant's and
 * the API key's once the caller is known. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "api/api.h"
#include "api/throttle.h"
#include "common/timeutil.h"
#include "auth/policy.h"
#include "services/services.h"


static int forbid(td_req_t *req, const char *code, const char *title, const char *detail) {
    td_api_audit_refused(req, code);
    td_resp_problem(req, 403, code, title, detail);
    return -1;
}

/* 402 storage_limit: the tenant stores what its plan allows (a write that
 * adds data; reads and deletes go on). Figures from the cached tenant. */
static int storage_full(td_req_t *req, const td_tenant_t *t) {
    td_api_audit_refused(req, "storage_limit");
    td_resp_problem_ext(req, 402, "storage_limit", "Storage limit reached",
                        "the tenant stores as much as its plan allows: delete data or change the"
                        " plan",
                        td_arena_printf(req->arena,
                                        "\"limit\":\"storage_bytes\",\"allowed\":%lld,"
                                        "\"used\":%lld",
                                        (long long)t->limits.storage_bytes,
                                        (long long)t->storage_used));
    return -1;
}

/* Resolves key (slug or id) to a live tenant; answers 404 when none. */
static int find_tenant(td_req_t *req, td_app_t *app, const char *key, td_tenant_t **out) {
    td_tenant_t *t = td_arena_alloc(req->arena, sizeof(*t));
    td_status st = t ? td_tenant_find_cached(app->platform, req->arena, key, t) : TD_E_NOMEM;
    if (!st && !strcmp(t->row.status, "deleted"))
        st = TD_E_NOTFOUND;
    if (st == TD_E_NOTFOUND) {
        td_resp_problem(req, 404, "tenant_not_found", "Tenant not found", "no such tenant");
        return -1;
    }
    if (st) {
        td_api_fail(req, st, "the catalog does not answer");
        return -1;
    }
    *out = t;
    return 0;
}

static int same_tenant(const td_tenant_t *t, const char *tid) {
    return tid && t && strcmp(t->row.id, tid) == 0;
}

/* A tenant principal's X-Tenant (slug or id) must name its own tenant:
 * 403 tenant_mismatch otherwise — the same answer whether the name is
 * another tenant's or nobody's, so the header reveals no slug. */
static int own_tenant(td_req_t *req, td_app_t *app, const char *xt, const char *tid) {
    td_tenant_t named;
    td_status st = td_tenant_find_cached(app->platform, req->arena, xt, &named);
    if (!st && same_tenant(&named, tid))
        return 0;
    if (st && st != TD_E_NOTFOUND) {
        td_api_fail(req, st, "the catalog does not answer");
        return -1;
    }
    return forbid(req, "tenant_mismatch", "Forbidden", "X-Tenant names another tenant than the token");
}

const char *td_api_host_tenant(td_req_t *req, td_app_t *app) {
    const char *base = app->platform->cfg->base_domain;
    const char *host = td_req_header(req, "Host");
    if (!host)
        return NULL;
    size_t hl = strcspn(host, ":"), bl = base ? strlen(base) : 0;
    char *name = td_arena_strndup(req->arena, host, hl);
    for (char *c = name; c && *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c - 'A' + 'a');
    if (!name)
        return NULL;
    if (bl && hl > bl + 1 && name[hl - bl - 1] == '.' && !strcmp(name + hl - bl, base)) {
        name[hl - bl - 1] = '\0';
        return strchr(name, '.') ? NULL : name; /* one label only */
    }
    /* a custom hostname registered for a tenant */
    return strchr(name, '.') ? td_hostname_tenant(app->platform, req->arena, name) : NULL;
}

/* A request that may write waits here while the tenant's writes are held
 * (a move's switch), before it leases the tenant's database. One that
 * waited reads its tenant again (*t, when given): its placement — where
 * its files are — may have changed meanwhile. */
static int write_gate(td_req_t *req, td_app_t *app, const char *tenant_id, td_tenant_t **t) {
    int waited = 0;
    if (!tenant_id || (req->method & (TD_GET | TD_HEAD)))
        return 0;
    if (td_tenant_write_enter(app->platform, req->arena, tenant_id, TD_WRITE_WAIT_MS, &waited)) {
        td_resp_problem(req, 503, "tenant_moving", "Tenant moving",
                        "the tenant's writes are held longer than expected; retry");
        return -1;
    }
    return waited && t ? find_tenant(req, app, tenant_id, t) : 0;
}

/* The declared resource a route is about, and what the request does to
 * it; answers 404/405 and returns -1 when there is none. */
static int find_resource(td_req_t *req, const td_need_t *need, td_ctx_t *ctx) {
    if (need->rname) {
        ctx->res = td_service_resource(need->service, need->rname);
        ctx->op = need->op;
    } else {
        ctx->res = td_service_resource(req->params[0], req->params[1]);
        int one = req->nparams > 2;
        unsigned m = req->method == TD_POST     ? TD_M_CREATE
                     : req->method == TD_PATCH  ? TD_M_UPDATE
                     : req->method == TD_DELETE ? TD_M_DELETE
                     : one                      ? TD_M_GET
                                                : TD_M_LIST;
        ctx->op = m == TD_M_CREATE   ? TD_OP_CREATE
                  : m == TD_M_UPDATE ? TD_OP_UPDATE
                  : m == TD_M_DELETE ? TD_OP_DELETE
                                     : TD_OP_READ;
        if (ctx->res && !(ctx->res->methods & m)) {
            td_resp_problem(req, 405, "method_not_allowed", NULL,
                            "this resource does not offer that method");
            return -1;
        }
    }
    if (!ctx->res) {
        td_resp_problem(req, 404, "not_found", NULL, "no such service or resource");
        return -1;
    }
    return 0;
}

/* ---- rate limits ---- */

/* The buckets a request took from; the headers tell the tightest. */
typedef struct {
    int any;
    td_throttle_state_t s;
} limits_t;

static void limit_headers(td_req_t *req, const td_throttle_state_t *s) {
    char v[32];
    snprintf(v, sizeof(v), "%lld", (long long)s->limit);
    td_resp_header(req, "RateLimit-Limit", v);
    snprintf(v, sizeof(v), "%lld", (long long)s->remaining);
    td_resp_header(req, "RateLimit-Remaining", v);
    snprintf(v, sizeof(v), "%lld", (long long)s->reset_s);
    td_resp_header(req, "RateLimit-Reset", v);
}

/* Takes one request from the bucket of kind ('t' tenant, 'k' API key, 'a'
 * client address) and id, rpm a minute (≤ 0: no limit). A refusal answers
 * 429 rate_limited with Retry-After and returns -1. */
static int take(td_req_t *req, td_app_t *app, limits_t *l, char kind, const char *id,
                int64_t rpm) {
    if (rpm <= 0 || !id || !app->throttle || !app->platform->cfg->rate_limits)
        return 0;
    char key[96];
    snprintf(key, sizeof(key), "%c:%s", kind, id);
    td_throttle_state_t s;
    int ok = td_throttle_take(app->throttle, key, rpm, td_mono_ns() / 1000000, kind != 'a', &s);
    if (!l->any || s.remaining < l->s.remaining)
        l->s = s, l->any = 1;
    if (ok)
        return 0;
    atomic_fetch_add(&app->limited[kind == 't' ? 0 : kind == 'k' ? 1 : 2], 1);
    char v[32], detail[160];
    snprintf(v, sizeof(v), "%lld", (long long)s.retry_after);
    td_resp_header(req, "Retry-After", v);
    limit_headers(req, &s);
    snprintf(detail, sizeof(detail), "more than %lld requests a minute %s; retry in %lld s",
             (long long)rpm,
             kind == 't' ? "to this tenant" : kind == 'k' ? "with this API key" : "from your address",
             (long long)s.retry_after);
    td_resp_problem(req, 429, "rate_limited", "Too many requests", detail);
    return -1;
}

/* The requests a minute tenant tid may receive: its plan's, else (a plan
 * without that limit) the configured default (0: none). Asked of the
 * tenant cache: the request's own tenant is resolved only after this. */
static int64_t tenant_rpm(td_req_t *req, td_app_t *app, const char *tid) {
    td_tenant_t t;
    if (td_tenant_find_cached(app->platform, req->arena, tid, &t) == TD_OK &&
        t.limits.requests_per_minute >= 0)
        return t.limits.requests_per_minute;
    return app->platform->cfg->rate_limit_tenant_rpm;
}

/* A tenant principal's request counts against its tenant and, made with
 * an API key of a limit of its own, against the key too. Superadmins
 * (operators, platform keys without a limit) are not limited here. */
static int take_principal(td_req_t *req, td_app_t *app, limits_t *l, const td_ctx_t *ctx) {
    json_t *rpm = json_object_get(ctx->claims, "rpm");
    if (ctx->api_key && rpm && take(req, app, l, 'k', ctx->sub, json_integer_value(rpm)))
        return -1;
    if (!ctx->tid || !app->platform->cfg->rate_limits)
        return 0;
    return take(req, app, l, 't', ctx->tid, tenant_rpm(req, app, ctx->tid));
}

static int before(td_req_t *req, td_app_t *app, limits_t *lim);

/* The client address a request counts against: an IPv4 address whole, an
 * IPv6 one by its /64 (one host holds a whole /64: counting its addresses
 * one by one would let it rotate past the limit). */
static const char *address_key(td_req_t *req) {
    const char *addr = td_req_client_addr(req);
    unsigned char b[16];
    if (!addr || !strchr(addr, ':') || inet_pton(AF_INET6, addr, b) != 1)
        return addr;
    memset(b + 8, 0, 8);
    char *out = td_arena_alloc(req->arena, INET6_ADDRSTRLEN + 4);
    if (!out || !inet_ntop(AF_INET6, b, out, INET6_ADDRSTRLEN))
        return addr;
    strcat(out, "/64");
    return out;
}

int td_api_before(td_req_t *req, void *app_) {
    td_app_t *app = app_;
    limits_t lim = {0};
    long per_address = app->platform->cfg->rate_limit_address_rpm;
    if (per_address > 0 && !strncmp(req->path, "/v1/", 4) &&
        take(req, app, &lim, 'a', address_key(req), per_address))
        return -1;
    int rc = before(req, app, &lim);
    if (!rc && lim.any)
        limit_headers(req, &lim.s);
    return rc;
}

static int before(td_req_t *req, td_app_t *app, limits_t *lim) {
    const td_need_t *need = req->route->need;
    if (!need || need->kind == TD_NEED_PUBLIC)
        return 0;
    td_ctx_t *ctx = td_arena_alloc(req->arena, sizeof(*ctx));
    if (!ctx) {
        td_api_fail(req, TD_E_NOMEM, NULL);
        return -1;
    }
    memset(ctx, 0, sizeof(*ctx));
    ctx->platform = app->platform;
    req->ctx = ctx;
    if ((need->resource || need->rname) && find_resource(req, need, ctx))
        return -1;
    if (td_api_authenticate(req, app, &ctx->claims))
        return -1;
    if (td_api_json_keep(req, ctx->claims))
        return -1;
    ctx->sub = json_string_value(json_object_get(ctx->claims, "sub"));
    ctx->role = json_string_value(json_object_get(ctx->claims, "role"));
    ctx->tid = json_string_value(json_object_get(ctx->claims, "tid"));
    json_t *svc = json_object_get(ctx->claims, "svc");
    ctx->nsvc = json_array_size(svc);
    ctx->svc = td_arena_alloc(req->arena, sizeof(char *) * (ctx->nsvc + 1));
    for (size_t i = 0; ctx->svc && i < ctx->nsvc; i++)
        ctx->svc[i] = json_string_value(json_array_get(svc, i));
    ctx->api_key = json_is_true(json_object_get(ctx->claims, "api_key"));
    /* a superadmin's token carries no tenant; a token with both (a role a
     * tenant's own database claims) is no superadmin's */
    int super = !ctx->tid && strcmp(ctx->role, "superadmin") == 0;
    if (ctx->tid && !td_role_valid_tenant(ctx->role))
        return forbid(req, "forbidden", "Forbidden", "this token's role is not a tenant's");
    ctx->all = super || json_is_true(json_object_get(ctx->claims, "svc_all"));
    /* an account owner's token (no tenant) opens its own routes and the
     * caller's (me, logout); everything else wants a tenant's token */
    int owner = !ctx->tid && !ctx->api_key && !strcmp(ctx->role, "owner");
    if (need->kind == TD_NEED_OWNER && !owner)
        return forbid(req, "forbidden", "Forbidden", "an account owner's token is needed");
    if (owner && need->kind != TD_NEED_PRINCIPAL && need->kind != TD_NEED_OWNER)
        return forbid(req, "forbidden", "Forbidden",
                      "an account owner's token: switch into a tenant first");
    if (owner)
        return 0;
    if (!super && !ctx->tid) /* a tenant role must carry its tenant */
        return forbid(req, "forbidden", "Forbidden", "token without a tenant");
    if ((!super || ctx->api_key) && take_principal(req, app, lim, ctx))
        return -1;

    /* the tenant the request is about: X-Tenant, else the Host name */
    const char *xt = td_req_header(req, "X-Tenant");
    if (need->kind == TD_NEED_PRINCIPAL) { /* about the caller: an X-Tenant must be its own */
        if (!super && xt && own_tenant(req, app, xt, ctx->tid))
            return -1;
        /* a tenant user's password change or logout writes its tenant */
        return super ? 0 : write_gate(req, app, ctx->tid, NULL);
    }
    if (!xt && super) /* a tenant user's token names its tenant already */
        xt = td_api_host_tenant(req, app);
    const char *key = need->path_tenant && req->nparams ? req->params[0] : NULL;
    if (key && find_tenant(req, app, key, &ctx->tenant))
        return -1;
    if (!key && need->tenant) {
        if (super && !xt) {
            td_resp_problem(req, 400, "tenant_required", "Tenant required",
                            "name the tenant with the X-Tenant header");
            return -1;
        }
        if (find_tenant(req, app, super ? xt : ctx->tid, &ctx->tenant))
            return -1;
    }
    if (!super && ctx->tenant && !same_tenant(ctx->tenant, ctx->tid)) {
        if (key) { /* do not reveal that another tenant exists */
            td_resp_problem(req, 404, "tenant_not_found", "Tenant not found", "no such tenant");
            return -1;
        }
        return forbid(req, "forbidden", "Forbidden", "not your tenant");
    }
    if (!super && xt && own_tenant(req, app, xt, ctx->tid)) /* on every route */
        return -1;

    /* the policy: the resource's declared access, else the SPEC table */
    const char *service = ctx->res ? ctx->res->service : need->service;
    td_action act = ctx->res ? (ctx->op == TD_OP_READ ? TD_ACT_READ : TD_ACT_WRITE) : need->act;
    ctx->scope = ctx->res ? td_resource_scope(ctx->res, ctx->role, ctx->op)
                          : td_policy(ctx->role, service, act);
    if (ctx->scope == TD_SCOPE_NONE || (need->all_tenants && ctx->scope != TD_SCOPE_ALL))
        return forbid(req, "forbidden", "Forbidden", "your role may not do this");
    if (act == TD_ACT_WRITE && json_is_true(json_object_get(ctx->claims, "read_only")))
        return forbid(req, "read_only_key", "Forbidden", "this API key is read-only");
    int data = strcmp(service, TD_SVC_PLATFORM) != 0;
    if (data && ctx->tenant) {
        if (!strcmp(ctx->tenant->row.status, "suspended") && !(super && act == TD_ACT_READ))
            return forbid(req, "tenant_suspended", "Tenant suspended", "this tenant is suspended");
        if (strcmp(ctx->tenant->row.status, "active") && strcmp(ctx->tenant->row.status, "suspended")) {
            td_resp_problem(req, 503, "tenant_unavailable", "Tenant unavailable",
                            "the tenant is not active");
            return -1;
        }
        int enabled = 0;
        for (size_t i = 0; i < ctx->tenant->nsvc; i++)
            enabled |= strcmp(ctx->tenant->services[i], service) == 0;
        if (!enabled)
            return forbid(req, "service_not_enabled", "Service not enabled",
                          "this tenant does not use this service");
        /* a principal held to a list of services (managers, clients, and
         * admins or keys created with one) uses only those; auth (users,
         * keys) is governed by the role and by delegation checks */
        if (!ctx->all && strcmp(service, "auth") && !td_policy_granted(service, ctx->svc, ctx->nsvc))
            return forbid(req, "service_not_granted", "Forbidden",
                          "this service was not granted to you");
        if (ctx->res && ctx->op != TD_OP_READ && ctx->op != TD_OP_DELETE &&
            td_tenant_storage_full(ctx->tenant))
            return storage_full(req, ctx->tenant);
    }
    return ctx->tenant ? write_gate(req, app, ctx->tenant->row.id, &ctx->tenant) : 0;
}
