/* auth.c — the authentication of every request (td_api_authenticate) and
 * the routes of signing in and out: POST /v1/auth/login, /refresh,
 * /logout, /password, /register, GET /v1/auth/me.
 *
 * Each route parses its body, calls one operation of ops/sessions.c (or
 * tenancy's td_tenant_create, for a sign-up) and renders the tokens or
 * the problem (td_api_op_fail). Login without a tenant is a superadmin's;
 * with a tenant (X-Tenant header, the Host name, or the body's "tenant")
 * a tenant user's. Logins, password changes and sign-ups hash with
 * argon2id: they run on the HTTP layer's workers (td_req_offload). The
 * failed-login counters and the refusal record of a failed login are
 * here, around the operation. */
#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "auth/accounts.h"
#include "auth/tokens.h"
#include "common/json.h"
#include "common/timeutil.h"

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

/* Authenticates an API key: the claims come from its record (auth's
 * td_apikey_claims: sub = the key's id, so rows it writes are owned by the
 * key). 401 invalid_api_key for any failure. */
static int authenticate_key(td_req_t *req, td_app_t *app, const char *key, json_t **claims) {
    if (td_apikey_claims(app->platform, req->arena, key, claims) == TD_OK)
        return 0;
    td_resp_problem(req, 401, "invalid_api_key", "Invalid API key",
                    "unknown, revoked or expired API key");
    return -1;
}

/* A JWT's signature, issuer and times: it lives at most access_ttl, or up
 * to an hour when it is an impersonation's (claim act). */
static td_status verify(td_app_t *app, const char *tok, int64_t now, json_t **claims,
                        const char **why) {
    td_status st = td_jwt_verify(td_platform_keys(app->platform), tok, TD_ISSUER, now,
                                 TD_IMPERSONATION_TTL, claims, why);
    if (st || json_object_get(*claims, "act"))
        return st;
    json_int_t life = json_integer_value(json_object_get(*claims, "exp")) -
                      json_integer_value(json_object_get(*claims, "iat"));
    if (life <= app->platform->cfg->access_ttl)
        return TD_OK;
    json_decref(*claims);
    *claims = NULL;
    *why = "lifetime too long";
    return TD_E_AUTH;
}

/* Verifies the bearer token: 401 with a code when missing, invalid or
 * revoked. On success *claims is a new reference. A superadmin's token is
 * checked against the catalog on every request (td_admin_current):
 * superadmin requests are few, and a deleted or disabled operator must
 * lose access at once. */
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
        td_status vs = verify(app, h + 7, now, claims, &why);
        if (vs && why && !strcmp(why, "unknown key")) { /* rotated elsewhere? look once */
            td_platform_reload_keys(app->platform, 10);
            vs = verify(app, h + 7, now, claims, &why);
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
        current = td_admin_current(app->platform, req->arena, sub, gen);
    /* an account owner's token, or one it switched with: its account's
     * suspension ("sub:<account>") ends it */
    const char *acc = json_string_value(json_object_get(*claims, "acc"));
    if (current && acc && td_revocations_covers(app->revoked, NULL, acc, NULL, iat * 1000, iat))
        current = 0;
    json_t *act = json_object_get(*claims, "act");
    if (current > 0 && act) /* an impersonation lives only while its superadmin does */
        current = td_admin_current(app->platform, req->arena,
                                   json_string_value(json_object_get(act, "sub")), iat * 1000);
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

/* Answers a login, a sign-up, a refresh or an owner's switch: the tokens
 * (no refresh token for a switch), the principal, its tenant and its
 * account (acc: a sign-up's new account; else the token's claim), never
 * cached. */
void td_api_answer_tokens(td_req_t *req, int status, const td_signin_t *s,
                          const td_account_row_t *acc) {
    const td_principal_t *p = &s->who;
    json_t *o = json_pack("{s:s, s:s, s:i, s:{s:s, s:s, s:s}}", "access_token", s->access,
                          "token_type", "Bearer", "expires_in", (int)s->expires_in, "user", "id",
                          p->sub, "email", s->email, "role", p->role);
    if (s->refresh[0])
        json_object_set_new(o, "refresh_token", json_string(s->refresh));
    if (acc)
        json_object_set_new(o, "account", json_pack("{s:s, s:s, s:s}", "id", acc->id, "name",
                                                    acc->name, "status", acc->status));
    else if (p->acc)
        json_object_set_new(o, "account", json_pack("{s:s}", "id", p->acc));
    if (s->tenant)
        json_object_set_new(o, "tenant", json_pack("{s:s, s:s}", "id", s->tenant->row.id, "slug",
                                                   s->tenant->row.slug));
    json_object_set_new(o, "services", string_array(p->svc, p->nsvc));
    char *txt = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (!txt) {
        td_api_fail(req, TD_E_NOMEM, NULL);
        return;
    }
    td_resp_bytes(req, status, "application/json", txt, strlen(txt));
    td_resp_header(req, "Cache-Control", "no-store");
    sodium_memzero(txt, strlen(txt));
    free(txt);
}

/* Runs a login (td_op_login) as the request and answers it. */
static void sign_in(td_req_t *req, td_app_t *app, const char *tenant, const char *email,
                    const char *pw, int status, const td_account_row_t *acc) {
    td_op_t op = td_api_op(req, app); /* a public route: the server, until signed in */
    td_signin_t s;
    if (td_op_login(&op, tenant, email, pw, &s))
        td_api_op_fail(req, &op);
    else
        td_api_answer_tokens(req, status, &s, acc);
    td_signin_wipe(&s);
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
    sign_in(req, app, tenant, email, pw, 200, NULL);
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

void td_api_refresh(td_req_t *req, void *app_) {
    td_app_t *app = app_;
    json_t *body;
    if (td_api_json_body(req, &body))
        return;
    const char *token = json_string_value(json_object_get(body, "refresh_token"));
    char scope[33];
    if (json_object_size(body) != 1 || td_refresh_scope(token, scope)) {
        td_resp_problem(req, 400, "invalid_request", "Invalid refresh request",
                        "send {\"refresh_token\": \"tdr_…\"}");
        return;
    }
    td_op_t op = td_api_op(req, app);
    td_signin_t s;
    if (td_op_refresh(&op, token, &s))
        td_api_op_fail(req, &op);
    else
        td_api_answer_tokens(req, 200, &s, NULL);
    td_signin_wipe(&s);
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
    json_t *acc = json_object_get(c, "acc"); /* an account owner's, or a switch's */
    json_object_set(o, "account_id", acc ? acc : json_null());
    json_t *act = json_object_get(c, "act"); /* an impersonation: who acts, which one */
    json_object_set_new(o, "impersonation",
                        act ? json_pack("{s:O, s:O}", "id", json_object_get(c, "jti"), "by",
                                        json_object_get(act, "sub"))
                            : json_null());
    td_api_send_json(req, 200, o);
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
    td_op_t op = td_api_op(req, app);
    td_status st = all && !strcmp(all, "true")
                       ? td_op_logout_all(&op)
                       : td_op_logout(&op, json_string_value(json_object_get(c, "sid")),
                                      json_string_value(json_object_get(c, "jti")),
                                      json_integer_value(json_object_get(c, "exp")));
    if (st)
        td_api_op_fail(req, &op);
    else
        td_resp_static(req, 204, "application/json", "", 0);
}

/* POST /v1/auth/password, on a worker thread: checks the current password,
 * stores the new one, and ends every session and token of the caller (log
 * in again). */
static void password_work(td_req_t *req, void *arg) {
    login_job_t *job = arg;
    td_op_t op = td_api_op(req, job->app);
    if (op.actor.tenant_id) /* a user's row changes: the drain takes it */
        td_api_touch(req, job->app->platform, op.actor.tenant_id);
    const char *cur = json_string_value(json_object_get(job->body, "current_password"));
    const char *next = json_string_value(json_object_get(job->body, "new_password"));
    if (td_op_password_change(&op, cur, next))
        td_api_op_fail(req, &op);
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
    login_job_t *job = td_arena_alloc(req->arena, sizeof(*job));
    if (!job) {
        td_api_fail(req, TD_E_NOMEM, NULL);
        return;
    }
    *job = (login_job_t){app, body, NULL};
    td_req_offload(req, password_work, job);
}

/* POST /v1/auth/register, on a worker thread: a new account, its owner
 * and its first tenant whose first admin is the owner, in one call,
 * answered like the tenant admin's login (201) with the account. */
static void register_work(td_req_t *req, void *arg) {
    login_job_t *job = arg;
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
    td_account_row_t acc;
    td_op_t op = td_api_op(req, job->app); /* a public route: the server signs the caller up */
    if (td_op_account_register(&op, &spec, json_string_value(json_object_get(b, "account_name")),
                               &t, &acc))
        td_api_op_fail(req, &op);
    else
        sign_in(req, job->app, t.row.id, email, pw, 201, &acc);
}

/* GET /v1/auth/register: whether sign-up is open here, so a client (the
 * console's sign-in page) offers it only where it works. Public, and it
 * tells nothing a failed POST would not: the configuration flag alone. */
void td_api_register_status(td_req_t *req, void *app_) {
    td_app_t *app = app_;
    static const char open[] = "{\"open\":true}", closed[] = "{\"open\":false}";
    if (app->platform->cfg->registration)
        td_resp_static(req, 200, "application/json", open, sizeof(open) - 1);
    else
        td_resp_static(req, 200, "application/json", closed, sizeof(closed) - 1);
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
            strcmp(k, "services") && strcmp(k, "account_name")) {
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
        (json_object_get(b, "name") && !json_is_string(json_object_get(b, "name"))) ||
        (json_object_get(b, "account_name") &&
         (!json_is_string(json_object_get(b, "account_name")) ||
          td_name_check(json_string_value(json_object_get(b, "account_name")), NULL, 0)))) {
        td_resp_problem(req, 400, "invalid_request", "Invalid request",
                        "send {\"slug\", \"email\", \"password\"} and optionally \"name\","
                        " \"services\", \"account_name\"");
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
