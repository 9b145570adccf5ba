/* auth.c — POST /v1/auth/login, GET /v1/auth/me, POST /v1/auth/logout.
 *
 * Login without a tenant is a superadmin login against the catalog; with a
 * tenant (X-Tenant header, or the body's "tenant") it is a tenant user's
 * login against that tenant's auth.users. An unknown account costs the same
 * argon2id verification as a wrong password (a dummy hash), and both answer
 * the same 401 invalid_credentials. */
#include <jansson.h>
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "auth/accounts.h"
#include "auth/apikey.h"
#include "auth/password.h"
#include "auth/tokens.h"
#include "auth/users.h"
#include "common/id.h"
#include "common/json.h"
#include "common/timeutil.h"

/* Verifies pw against hash, or against a dummy when there is no account. */
static int password_ok(const char *hash, const char *pw) { return td_password_matches(hash, pw); }

static void drop_json(void *j) { json_decref(j); }

int td_api_json_keep(td_req_t *req, json_t *v) {
    if (td_arena_defer(req->arena, drop_json, v)) { /* ran at once: gone */
        td_api_fail(req, TD_E_NOMEM, NULL);
        return -1;
    }
    return 0;
}

int td_api_json_body(td_req_t *req, json_t **out) {
    td_json_error_t e;
    if (td_json_parse(req->body, req->body_len, TD_JSON_MAX_DEPTH, out, &e)) {
        td_resp_problem(req, 400, e.code, "Bad request body", e.message);
        return -1;
    }
    if (td_api_json_keep(req, *out)) {
        *out = NULL;
        return -1;
    }
    return 0;
}

/* Verifies the bearer token: 401 with a code when missing, invalid or
 * revoked. On success *claims is a new reference. */
/* Authenticates an API key: the claims are synthesised from its record
 * (sub = the key's id, so rows it writes are owned by the key). */
static int authenticate_key(td_req_t *req, td_app_t *app, const char *key, json_t **claims) {
    td_apikey_row_t k;
    td_db_t *db;
    if (td_catalog_lease(app->platform->catalog, req->arena, &db) ||
        td_apikey_authenticate(db, req->arena, key, &k)) {
        td_resp_problem(req, 401, "invalid_api_key", "Invalid API key",
                        "unknown, revoked or expired API key");
        return -1;
    }
    json_error_t e;
    json_t *svc = k.services ? json_loads(k.services, 0, &e) : NULL;
    int64_t until = 0;
    if (k.expires_at && td_time_parse(k.expires_at, &until))
        until = 0;
    /* exp bounds the claims' life in the request only; key_exp is the
     * key's own end (null: it never expires) */
    *claims = json_pack("{s:s, s:s, s:s, s:I, s:I, s:b, s:b, s:o}", "sub", k.id, "role", k.role,
                        "jti", k.id, "iat", (json_int_t)0, "exp",
                        (json_int_t)(td_now_ms() / 1000 + 60), "api_key", 1, "read_only",
                        k.read_only, "key_exp",
                        k.expires_at ? json_integer((json_int_t)(until / 1000)) : json_null());
    json_object_set_new(*claims, "svc", json_is_array(svc) ? svc : json_array());
    if (!json_is_array(svc)) {
        json_decref(svc);
        json_object_set_new(*claims, "svc_all", json_true());
    }
    if (k.tenant_id)
        json_object_set_new(*claims, "tid", json_string(k.tenant_id));
    return 0;
}

/* 1 when the superadmin a token names still exists, is enabled, and the
 * token is of its current generation (a password change raises it). Read
 * from the catalog on every request: superadmin requests are few, and a
 * deleted or disabled operator must lose access at once. */
static int superadmin_current(td_req_t *req, td_app_t *app, const char *sub, int64_t gen) {
    td_db_t *db;
    if (td_catalog_lease(app->platform->catalog, req->arena, &db))
        return -1;
    return td_admin_current(db, req->arena, sub, gen);
}

int td_api_authenticate(td_req_t *req, td_app_t *app, json_t **claims) {
    const char *h = td_req_header(req, "Authorization");
    const char *xkey = td_req_header(req, "X-API-Key");
    *claims = NULL;
    if (xkey)
        return authenticate_key(req, app, xkey, claims);
    if (h && strncasecmp(h, "Bearer tdk_", 11) == 0)
        return authenticate_key(req, app, h + 7, claims);
    if (!h || strncasecmp(h, "Bearer ", 7) != 0) {
        td_resp_header(req, "WWW-Authenticate", "Bearer");
        td_resp_problem(req, 401, "unauthorized", "Authentication required",
                        "send Authorization: Bearer <access token or API key>, or X-API-Key");
        return -1;
    }
    const char *why = NULL;
    int64_t now = td_now_ms() / 1000;
    *claims = app->tokens ? td_token_cache_get(app->tokens, h + 7, now) : NULL;
    if (!*claims) {
        td_status vs = td_jwt_verify(td_platform_keys(app->platform), h + 7, TD_ISSUER, now,
                                     app->platform->cfg->access_ttl, claims, &why);
        if (vs && why && !strcmp(why, "unknown key")) { /* rotated elsewhere? look once */
            td_platform_reload_keys(app->platform, 10);
            vs = td_jwt_verify(td_platform_keys(app->platform), h + 7, TD_ISSUER, now,
                               app->platform->cfg->access_ttl, claims, &why);
        }
        if (vs) {
            td_resp_header(req, "WWW-Authenticate", "Bearer error=\"invalid_token\"");
            td_resp_problem(req, 401, "invalid_token", "Invalid token", why);
            return -1;
        }
        if (app->tokens)
            td_token_cache_put(app->tokens, h + 7, *claims);
    }
    td_revocations_sync(app->revoked, app->platform->catalog, now, 2);
    const char *jti = json_string_value(json_object_get(*claims, "jti"));
    const char *sub = json_string_value(json_object_get(*claims, "sub"));
    const char *tid = json_string_value(json_object_get(*claims, "tid"));
    int64_t iat = json_integer_value(json_object_get(*claims, "iat"));
    json_t *g = json_object_get(*claims, "gen");
    int64_t gen = g ? json_integer_value(g) : iat * 1000;
    const char *role = json_string_value(json_object_get(*claims, "role"));
    int current = td_revocations_covers(app->revoked, jti, sub, tid, gen, iat) ? 0 : 1;
    if (current && !tid && !strcmp(role, "superadmin"))
        current = superadmin_current(req, app, sub, gen);
    if (current <= 0) {
        json_decref(*claims);
        *claims = NULL;
        if (current < 0)
            td_api_fail(req, TD_E_UNAVAILABLE, "the catalog does not answer");
        else
            td_resp_problem(req, 401, "token_revoked", "Token revoked",
                            "this token was revoked: log in again");
        return -1;
    }
    return 0;
}

static json_t *string_array(const char *const *v, size_t n) {
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}

static void answer_tokens(td_req_t *req, td_app_t *app, const td_principal_t *p, const char *email,
                          const td_tenant_t *t, const char *refresh) {
    char *access = NULL, jti[33];
    td_platform_reload_keys(app->platform, 60); /* sign with the newest key */
    int64_t ttl = app->platform->cfg->access_ttl;
    if (td_token_issue(td_platform_keys(app->platform), p, td_now_ms() / 1000, ttl, &access, jti)) {
        td_api_fail(req, TD_E_INTERNAL, "cannot sign the token");
        return;
    }
    json_t *o = json_pack("{s:s, s:s, s:s, s:i, s:{s:s, s:s, s:s}}", "access_token", access,
                          "refresh_token", refresh, "token_type", "Bearer", "expires_in",
                          (int)ttl, "user", "id", p->sub, "email", email, "role", p->role);
    if (t)
        json_object_set_new(o, "tenant", json_pack("{s:s, s:s}", "id", t->row.id, "slug", t->row.slug));
    json_object_set_new(o, "services", string_array(p->svc, p->nsvc));
    char *s = json_dumps(o, JSON_COMPACT);
    td_resp_bytes(req, 200, "application/json", s, strlen(s));
    td_resp_header(req, "Cache-Control", "no-store");
    sodium_memzero(s, strlen(s));
    free(s);
    free(access);
    json_decref(o);
}

static void bad_credentials(td_req_t *req) {
    td_resp_problem(req, 401, "invalid_credentials", "Invalid credentials",
                    "wrong email or password");
}

static void login_superadmin(td_req_t *req, td_app_t *app, const char *email, const char *pw) {
    td_db_t *db;
    td_admin_row_t adm = {0};
    td_status st = td_catalog_lease(app->platform->catalog, req->arena, &db);
    if (!st)
        st = td_admin_login(db, req->arena, email, pw, &adm);
    if (st == TD_E_AUTH) {
        bad_credentials(req);
        return;
    }
    if (st) {
        td_api_fail(req, st, "the catalog does not answer");
        return;
    }
    char refresh[TD_REFRESH_LEN + 1], sid[TD_ID_LEN + 1];
    td_sessions_t ss = {db, 1, "p"};
    if ((st = td_session_start(&ss, adm.id, NULL, td_req_client_addr(req), refresh, sid))) {
        td_api_fail(req, st, "cannot record the session");
        return;
    }
    td_principal_t p = {.sub = adm.id, .role = "superadmin", .gen = adm.gen, .sid = sid};
    answer_tokens(req, app, &p, adm.email, NULL, refresh);
    sodium_memzero(refresh, sizeof(refresh));
}

/* The tenant of a login or refresh, active, with its database leased.
 * Answers and returns -1 when it cannot be used. */
static int usable_tenant(td_req_t *req, td_app_t *app, const char *key, td_tenant_t *t,
                         td_db_t **tdb, const char *pw) {
    td_status st = td_tenant_find(app->platform, req->arena, key, t);
    if (st == TD_E_NOTFOUND || (!st && strcmp(t->row.status, "deleted") == 0)) {
        if (pw)
            password_ok(NULL, pw); /* same cost as a real attempt */
        bad_credentials(req);
        return -1;
    }
    if (!st && strcmp(t->row.status, "suspended") == 0) {
        td_resp_problem(req, 403, "tenant_suspended", "Tenant suspended",
                        "this tenant is suspended");
        return -1;
    }
    char err[256];
    if (!st && strcmp(t->row.status, "active"))
        st = TD_E_UNAVAILABLE;
    if (!st)
        st = td_tenant_lease(app->platform, req->arena, t->row.id, "auth", tdb, err, sizeof(err));
    if (st) {
        td_api_tenant_fail(req, TD_E_UNAVAILABLE, NULL);
        return -1;
    }
    return 0;
}

static void answer_user(td_req_t *req, td_app_t *app, const td_tenant_t *t, const td_user_t *u,
                        const char *sid, const char *refresh) {
    const char **svc;
    size_t nsvc;
    td_user_effective_services(u, t->services, t->nsvc, req->arena, &svc, &nsvc);
    td_principal_t pr = {.sub = u->id, .role = u->role, .tid = t->row.id, .svc = svc,
                         .nsvc = nsvc, .svc_all = td_user_unscoped(u), .gen = u->gen, .sid = sid};
    answer_tokens(req, app, &pr, u->email, t, refresh);
}

static void login_tenant(td_req_t *req, td_app_t *app, const char *key, const char *email,
                         const char *pw) {
    td_tenant_t t;
    td_db_t *tdb;
    if (usable_tenant(req, app, key, &t, &tdb, pw))
        return;
    td_user_t u;
    td_status st = td_user_find(tdb, req->arena, email, 1, &u);
    if (st && st != TD_E_NOTFOUND) {
        td_api_fail(req, st, NULL);
        return;
    }
    if (!password_ok(st ? NULL : u.password_hash, pw) || u.disabled) {
        if (!st) /* a known account: its owner can see the attempt */
            td_user_event(tdb, u.id, "login_failed", td_req_client_addr(req),
                          u.disabled ? "disabled" : "wrong password");
        bad_credentials(req);
        return;
    }
    td_user_logged_in(tdb, u.id, td_req_client_addr(req));
    if (td_password_needs_rehash(u.password_hash)) { /* parameters rose since */
        td_user_patch_t p = {.password = pw, .rehash = 1};
        td_op_t op = td_api_op(req, app); /* a public route: the user acts on itself */
        op.actor = (td_actor_t){.kind = TD_ACTOR_USER, .id = u.id, .tenant_id = t.row.id,
                                .role = u.role};
        td_who_t who = td_who_of(&op);
        td_user_update(tdb, u.id, &p, &who, NULL);
    }
    char refresh[TD_REFRESH_LEN + 1], scope[33], sid[TD_ID_LEN + 1];
    td_id_compact(t.row.id, scope);
    td_sessions_t ss = {tdb, 0, scope};
    if ((st = td_session_start(&ss, u.id, NULL, td_req_client_addr(req), refresh, sid))) {
        td_api_fail(req, st, "cannot record the session");
        return;
    }
    answer_user(req, app, &t, &u, sid, refresh);
    sodium_memzero(refresh, sizeof(refresh));
}

typedef struct {
    td_app_t *app;
    json_t *body;       /* owned by the request arena's cleanup */
    const char *tenant; /* NULL for a superadmin */
} login_job_t;

/* The login itself, on a worker thread (td_req_offload): argon2id takes
 * ≈11 ms of CPU and must not hold an HTTP thread. */
static void login_work(td_req_t *req, void *arg) {
    login_job_t *job = arg;
    td_app_t *app = job->app;
    const char *email = json_string_value(json_object_get(job->body, "email"));
    const char *pw = json_string_value(json_object_get(job->body, "password"));
    const char *tenant = job->tenant;
    /* brute force: refuse a locked account or address before any hash */
    int64_t now = td_now_ms() / 1000;
    const char *acct = td_arena_printf(req->arena, "acct:%s:%s", tenant ? tenant : "-", email);
    const char *ip = td_arena_printf(req->arena, "ip:%s", td_req_client_addr(req));
    int64_t wait = td_limiter_wait(app->login_limits, acct, now);
    int64_t wip = td_limiter_wait(app->ip_limits, ip, now);
    if (wip > wait)
        wait = wip;
    if (wait > 0) {
        td_resp_header(req, "Retry-After", td_arena_printf(req->arena, "%lld", (long long)wait));
        td_resp_problem(req, 429, "too_many_attempts", "Too many failed logins",
                        "wait before trying again (see Retry-After)");
        return;
    }
    if (tenant)
        login_tenant(req, app, tenant, email, pw);
    else
        login_superadmin(req, app, email, pw);
    if (req->status == 401) { /* delays count from the answer, not the question */
        now = td_now_ms() / 1000;
        td_limiter_fail(app->login_limits, acct, now);
        td_limiter_fail(app->ip_limits, ip, now);
        td_api_audit_login_failed(req, app, tenant, email);
    } else if (req->status == 200) {
        td_limiter_reset(app->login_limits, acct);
    }
}

void td_api_login(td_req_t *req, void *app_) {
    td_app_t *app = app_;
    json_t *body;
    if (td_api_json_body(req, &body))
        return;
    const char *email = json_string_value(json_object_get(body, "email"));
    const char *pw = json_string_value(json_object_get(body, "password"));
    /* the tenant: X-Tenant, then the Host name, then the body */
    const char *tenant = td_req_header(req, "X-Tenant");
    if (!tenant)
        tenant = td_api_host_tenant(req, app);
    if (!tenant)
        tenant = json_string_value(json_object_get(body, "tenant"));
    const char *k;
    json_t *v;
    int unknown = 0;
    json_object_foreach(body, k, v) unknown |= strcmp(k, "email") && strcmp(k, "password") &&
                                                strcmp(k, "tenant");
    if (!email || !pw || unknown || strlen(email) > 254 ||
        (json_object_get(body, "tenant") && !json_is_string(json_object_get(body, "tenant")))) {
        td_resp_problem(req, 400, "invalid_request", "Invalid login request",
                        "send {\"email\", \"password\"} and, for a tenant user, \"tenant\"");
        return;
    }
    login_job_t *job = td_arena_alloc(req->arena, sizeof(*job));
    if (!job) {
        td_api_fail(req, TD_E_NOMEM, NULL);
        return;
    }
    *job = (login_job_t){app, body, tenant};
    td_req_offload(req, login_work, job);
}

/* Ends every session and access token of a superadmin (sub) or of a
 * tenant user (sub in the auth database tdb): a reused refresh token, a
 * logout everywhere. 0, or answers 503 and returns -1. */
static int end_everything(td_req_t *req, td_app_t *app, td_db_t *tdb, const char *sub) {
    int64_t gen = 0;
    td_status st;
    if (tdb) {
        st = td_user_end_sessions(tdb, sub, &gen);
    } else {
        td_db_t *cat;
        st = td_catalog_lease(app->platform->catalog, req->arena, &cat);
        if (!st)
            st = td_admin_end_all(cat, req->arena, sub, &gen);
    }
    if (!st)
        st = td_revoke_principal(app->revoked, app->platform->catalog, sub, gen);
    if (st) {
        td_api_fail(req, st, "cannot end the sessions");
        return -1;
    }
    return 0;
}

/* Spends a refresh token: 0 with *owner, *family and the next token, or
 * answers 401 (a reused token ends every session of its owner). */
static int rotate(td_req_t *req, td_app_t *app, const td_sessions_t *ss, const char *token,
                  const char **owner, const char **family, char refresh[TD_REFRESH_LEN + 1]) {
    td_status st = td_session_rotate(ss, req->arena, token, td_req_client_addr(req), owner, family,
                                     refresh);
    if (st == TD_E_CONFLICT) {
        if (!ss->platform)
            td_user_event(ss->db, *owner, "refresh_reused", td_req_client_addr(req),
                          "every session ended");
        if (end_everything(req, app, ss->platform ? NULL : ss->db, *owner) == 0)
            td_resp_problem(req, 401, "refresh_reused", "Refresh token reused",
                            "this refresh token was already used: every session of its user"
                            " is ended");
        return -1;
    }
    if (st) {
        td_resp_problem(req, 401, "invalid_grant", "Invalid refresh token",
                        "unknown, expired or ended refresh token");
        return -1;
    }
    return 0;
}

static void refresh_platform(td_req_t *req, td_app_t *app, const char *token) {
    td_db_t *db;
    const char *owner, *family;
    char refresh[TD_REFRESH_LEN + 1];
    td_admin_row_t adm;
    if (td_catalog_lease(app->platform->catalog, req->arena, &db)) {
        td_api_fail(req, TD_E_UNAVAILABLE, "the catalog does not answer");
        return;
    }
    td_sessions_t ss = {db, 1, "p"};
    if (rotate(req, app, &ss, token, &owner, &family, refresh))
        return;
    if (td_admin_active(db, req->arena, owner, &adm)) {
        bad_credentials(req);
        return;
    }
    td_principal_t p = {.sub = adm.id, .role = "superadmin", .gen = adm.gen, .sid = family};
    answer_tokens(req, app, &p, adm.email, NULL, refresh);
    sodium_memzero(refresh, sizeof(refresh));
}

static void refresh_tenant(td_req_t *req, td_app_t *app, const char *scope, const char *token) {
    char id[TD_ID_LEN + 1], refresh[TD_REFRESH_LEN + 1];
    snprintf(id, sizeof(id), "%.8s-%.4s-%.4s-%.4s-%.12s", scope, scope + 8, scope + 12,
             scope + 16, scope + 20);
    td_tenant_t t;
    td_db_t *tdb;
    if (strlen(scope) != 32 || !td_id_valid(id)) {
        td_resp_problem(req, 401, "invalid_grant", "Invalid refresh token",
                        "unknown, expired or ended refresh token");
        return;
    }
    if (usable_tenant(req, app, id, &t, &tdb, NULL))
        return;
    td_sessions_t ss = {tdb, 0, scope};
    const char *uid, *family;
    if (rotate(req, app, &ss, token, &uid, &family, refresh))
        return;
    td_user_t u;
    if (td_user_find(tdb, req->arena, uid, 0, &u) || u.disabled)
        bad_credentials(req);
    else
        answer_user(req, app, &t, &u, family, refresh);
    sodium_memzero(refresh, sizeof(refresh));
}

void td_api_refresh(td_req_t *req, void *app_) {
    td_app_t *app = app_;
    json_t *body;
    if (td_api_json_body(req, &body))
        return;
    const char *token = json_string_value(json_object_get(body, "refresh_token"));
    char scope[33];
    if (json_object_size(body) != 1 || td_refresh_scope(token, scope))
        td_resp_problem(req, 400, "invalid_request", "Invalid refresh request",
                        "send {\"refresh_token\": \"tdr_…\"}");
    else if (strcmp(scope, "p") == 0)
        refresh_platform(req, app, token);
    else
        refresh_tenant(req, app, scope, token);
}

void td_api_me(td_req_t *req, void *app_) {
    (void)app_;
    td_ctx_t *ctx = req->ctx;
    json_t *c = ctx->claims;
    json_t *o = json_pack("{s:O, s:O, s:O}", "id", json_object_get(c, "sub"), "role",
                          json_object_get(c, "role"), "services", json_object_get(c, "svc"));
    json_t *tid = json_object_get(c, "tid");
    json_object_set(o, "tenant_id", tid ? tid : json_null());
    /* a token's end, or an API key's own (null: it never expires) */
    json_object_set(o, "expires_at", ctx->api_key ? json_object_get(c, "key_exp")
                                                  : json_object_get(c, "exp"));
    json_object_set_new(o, "api_key", json_boolean(ctx->api_key));
    td_api_send_json(req, 200, o);
}

/* The sessions of the caller: its tenant's auth database, or the catalog
 * for a superadmin. 0, or answers and returns -1. */
static int caller_sessions(td_req_t *req, td_app_t *app, td_sessions_t *ss) {
    td_ctx_t *ctx = req->ctx;
    char err[256];
    memset(ss, 0, sizeof(*ss));
    if (!ctx->tid) {
        ss->platform = 1;
        if (!td_catalog_lease(app->platform->catalog, req->arena, &ss->db))
            return 0;
        td_api_fail(req, TD_E_UNAVAILABLE, "the catalog does not answer");
        return -1;
    }
    if (!td_tenant_lease(app->platform, req->arena, ctx->tid, "auth", &ss->db, err, sizeof(err)))
        return 0;
    td_api_tenant_fail(req, TD_E_UNAVAILABLE, NULL);
    return -1;
}

/* POST /v1/auth/logout[?all=true]: the access token stops working at once
 * and its session ends (its refresh token no longer refreshes); with
 * all=true every session and access token of the caller ends. */
void td_api_logout(td_req_t *req, void *app_) {
    td_app_t *app = app_;
    td_ctx_t *ctx = req->ctx;
    json_t *c = ctx->claims;
    const char *all = td_req_query(req, "all");
    if (ctx->api_key) {
        td_resp_problem(req, 403, "forbidden", "Forbidden",
                        "an API key has no session: revoke the key instead");
        return;
    }
    if (all && strcmp(all, "true") && strcmp(all, "false")) {
        td_resp_problem(req, 400, "invalid_request", "Invalid request", "all must be true or false");
        return;
    }
    td_sessions_t ss;
    if (caller_sessions(req, app, &ss))
        return;
    if (all && !strcmp(all, "true")) {
        if (end_everything(req, app, ss.platform ? NULL : ss.db, ctx->sub) == 0)
            td_resp_static(req, 204, "application/json", "", 0);
        return;
    }
    const char *sid = json_string_value(json_object_get(c, "sid"));
    td_db_t *cat;
    td_status st = sid ? td_session_end(&ss, ctx->sub, sid) : TD_OK;
    if (!st)
        st = td_catalog_lease(app->platform->catalog, req->arena, &cat);
    if (!st)
        st = td_revocations_add(app->revoked, cat,
                                td_arena_printf(req->arena, "jti:%s",
                                                json_string_value(json_object_get(c, "jti"))),
                                td_now_ms(), json_integer_value(json_object_get(c, "exp")));
    if (st)
        td_api_fail(req, st, "cannot record the logout");
    else
        td_resp_static(req, 204, "application/json", "", 0);
}

/* POST /v1/auth/password, on a worker thread: checks the current password,
 * stores the new one, and ends every session and token of the caller (log
 * in again). */
static void password_work(td_req_t *req, void *arg) {
    td_app_t *app = ((login_job_t *)arg)->app;
    json_t *body = ((login_job_t *)arg)->body;
    td_ctx_t *ctx = req->ctx;
    const char *cur = json_string_value(json_object_get(body, "current_password"));
    const char *next = json_string_value(json_object_get(body, "new_password"));
    td_sessions_t ss;
    int64_t gen = 0;
    td_status st;
    if (caller_sessions(req, app, &ss))
        return;
    td_op_t op = td_api_op(req, app);
    if (ss.platform) {
        st = td_admin_set_password(&op, ss.db, cur, next, &gen);
    } else {
        td_user_t u;
        st = td_user_find(ss.db, req->arena, ctx->sub, 0, &u);
        if (!st && !password_ok(u.password_hash, cur))
            st = TD_E_AUTH;
        td_user_patch_t p = {.password = next};
        td_who_t who = td_who_of(&op);
        if (!st)
            st = td_user_update(ss.db, u.id, &p, &who, &gen);
        if (!st)
            td_user_event(ss.db, ctx->sub, "password_changed", td_req_client_addr(req), NULL);
    }
    if (st == TD_E_AUTH) {
        td_resp_problem(req, 403, "wrong_password", "Wrong password",
                        "the current password does not match");
        return;
    }
    if (!st)
        st = td_revoke_principal(app->revoked, app->platform->catalog, ctx->sub, gen);
    if (st)
        td_api_fail(req, st, NULL);
    else
        td_resp_static(req, 204, "application/json", "", 0);
}

void td_api_password(td_req_t *req, void *app_) {
    td_app_t *app = app_;
    td_ctx_t *ctx = req->ctx;
    json_t *body;
    if (ctx->api_key) {
        td_resp_problem(req, 403, "forbidden", "Forbidden", "API keys have no password");
        return;
    }
    if (td_api_json_body(req, &body))
        return;
    const char *cur = json_string_value(json_object_get(body, "current_password"));
    const char *next = json_string_value(json_object_get(body, "new_password"));
    if (json_object_size(body) != 2 || !cur || !next) {
        td_resp_problem(req, 400, "invalid_request", "Invalid request",
                        "send {\"current_password\", \"new_password\"}");
        return;
    }
    if (td_password_check(next)) {
        td_resp_problem(req, 400, "weak_password", "Weak password", td_password_problem(next));
        return;
    }
    login_job_t *job = td_arena_alloc(req->arena, sizeof(*job));
    if (!job) {
        td_api_fail(req, TD_E_NOMEM, NULL);
        return;
    }
    *job = (login_job_t){app, body, NULL};
    td_req_offload(req, password_work, job);
}

/* POST /v1/auth/register, on a worker thread: a new tenant and its first
 * admin in one call, answered like a login. */
static void register_work(td_req_t *req, void *arg) {
    login_job_t *job = arg;
    td_app_t *app = job->app;
    json_t *b = job->body;
    const char *email = json_string_value(json_object_get(b, "email"));
    const char *pw = json_string_value(json_object_get(b, "password"));
    json_t *svc = json_object_get(b, "services");
    td_tenant_spec_t spec = {
        .slug = json_string_value(json_object_get(b, "slug")),
        .name = json_string_value(json_object_get(b, "name")),
        .admin_email = email,
        .admin_password = pw,
    };
    spec.nsvc = json_array_size(svc);
    const char **names = td_arena_alloc(req->arena, sizeof(char *) * (spec.nsvc + 1));
    for (size_t i = 0; names && i < spec.nsvc; i++)
        names[i] = json_string_value(json_array_get(svc, i));
    spec.services = names;
    td_tenant_t t;
    td_op_t op = td_api_op(req, app); /* a public route: the server signs the caller up */
    if (td_tenant_create(&op, &spec, &t)) {
        td_api_op_fail(req, &op);
        return;
    }
    login_tenant(req, app, t.row.id, email, pw);
    if (req->status == 200)
        req->status = 201;
}

void td_api_register(td_req_t *req, void *app_) {
    td_app_t *app = app_;
    if (!app->platform->cfg->registration) {
        td_resp_problem(req, 404, "registration_closed", "Registration closed",
                        "self-service sign-up is not enabled here");
        return;
    }
    json_t *b;
    if (td_api_json_body(req, &b))
        return;
    const char *k;
    json_t *v;
    json_object_foreach(b, k, v) {
        if (strcmp(k, "slug") && strcmp(k, "name") && strcmp(k, "email") && strcmp(k, "password") &&
            strcmp(k, "services")) {
            td_resp_problem(req, 400, "unknown_field", "Unknown field",
                            td_arena_printf(req->arena, "field '%.64s' cannot be set", k));
            return;
        }
    }
    json_t *svc = json_object_get(b, "services");
    int svc_ok = !svc || (json_is_array(svc) && json_array_size(svc) <= 16);
    for (size_t i = 0; svc_ok && svc && i < json_array_size(svc); i++)
        svc_ok = json_is_string(json_array_get(svc, i));
    if (!json_is_string(json_object_get(b, "slug")) || !json_is_string(json_object_get(b, "email")) ||
        !json_is_string(json_object_get(b, "password")) || !svc_ok ||
        (json_object_get(b, "name") && !json_is_string(json_object_get(b, "name")))) {
        td_resp_problem(req, 400, "invalid_request", "Invalid request",
                        "send {\"slug\", \"email\", \"password\"} and optionally \"name\", \"services\"");
        return;
    }
    /* sign-ups count against the caller's address like failed logins */
    int64_t now = td_now_ms() / 1000;
    const char *ip = td_arena_printf(req->arena, "signup:%s", td_req_client_addr(req));
    int64_t wait = td_limiter_wait(app->ip_limits, ip, now);
    if (wait > 0) {
        td_resp_header(req, "Retry-After", td_arena_printf(req->arena, "%lld", (long long)wait));
        td_resp_problem(req, 429, "too_many_signups", "Too many sign-ups",
                        "wait before creating another tenant");
        return;
    }
    td_limiter_fail(app->ip_limits, ip, now);
    login_job_t *job = td_arena_alloc(req->arena, sizeof(*job));
    if (!job) {
        td_api_fail(req, TD_E_NOMEM, NULL);
        return;
    }
    *job = (login_job_t){app, b, NULL};
    td_req_offload(req, register_work, job);
}
