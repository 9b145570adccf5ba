/* api.h — the route table and the handlers that turn HTTP requests into
 * domain calls. One file per route group; the table is in routes.c. */
#ifndef TD_API_H
#define TD_API_H

#include <stdatomic.h>
#include <stddef.h>

#include <jansson.h>

#include "auth/policy.h"
#include "auth/ratelimit.h"
#include "auth/revoke.h"
#include "auth/tokencache.h"
#include "http/http.h"
#include "ops/credits.h"
#include "ops/ops.h"
#include "services/engine.h"
#include "tenancy/tenancy.h"

/* What every handler gets as its app pointer. Process state only. */
typedef struct {
    td_platform_t *platform;
    td_http_t *http;           /* set once the server runs; for /metrics */
    td_revocations_t *revoked; /* logged-out access tokens */
    td_limiter_t *login_limits; /* failed logins per account */
    td_limiter_t *ip_limits;    /* failed logins per client address */
    td_token_cache_t *tokens;   /* verified access tokens (NULL = none) */
    struct td_usage *usage;     /* request counts (usage/usage.h); NULL = not metered */
    struct td_throttle *throttle; /* request rate limits (throttle.h); NULL = none */
    atomic_uint_fast64_t limited[3]; /* 429s by tenant, API key, client address */
} td_app_t;

/* What a route needs (td_route_t.need), checked by td_api_before. */
enum { TD_NEED_PUBLIC = 0, TD_NEED_PRINCIPAL, TD_NEED_ACCESS, TD_NEED_OWNER };
typedef struct {
    int kind;            /* TD_NEED_* */
    const char *service; /* TD_NEED_ACCESS: "platform" or a service */
    td_action act;       /* TD_NEED_ACCESS: read or write */
    int tenant;          /* resolve the tenant from the token or X-Tenant */
    int path_tenant;     /* the first path parameter names the tenant */
    int all_tenants;     /* platform-wide: only a scope of every tenant will do */
    int resource;        /* a declared resource named by the path: {service}/{resource} */
    const char *rname;   /* a declared resource of .service, for routes with behaviour */
    td_op op;            /* with rname: what the route does to it */
} td_need_t;

/* The per-request result of the checks (req->ctx), arena-owned. */
typedef struct {
    json_t *claims;          /* the verified token */
    const char *sub, *role, *tid;
    const char **svc;        /* granted services from the token */
    size_t nsvc;
    int all;                 /* every service of the tenant (svc is no limit) */
    td_tenant_t *tenant;     /* the tenant the request is about, or NULL */
    td_scope scope;          /* what the policy allows */
    int api_key;             /* authenticated by an API key (sub = key id) */
    const td_resource_t *res; /* resource routes: the declared resource */
    td_op op;                /* resource routes: what the request does */
    td_platform_t *platform; /* the app's, for what the checks record */
} td_ctx_t;

/* op.c: the operation context of a checked request — the platform, the
 * caller as actor (superadmin, a tenant's user or API key, with its tenant,
 * role and services; on a public route the system), the request id, the
 * client address and the request's arena. Every handler builds one and
 * passes it to the domain operation it calls. */
td_op_t td_api_op(td_req_t *req, td_app_t *app);
/* Answers a failed operation: op->err's status, code and detail. */
void td_api_op_fail(td_req_t *req, const td_op_t *op);

/* The tenant named by the Host header (<slug>.<TENANTD_BASE_DOMAIN>), or
 * NULL; arena-owned. */
const char *td_api_host_tenant(td_req_t *req, td_app_t *app);
/* The http before-hook: authentication, tenant resolution, policy. */
int td_api_before(td_req_t *req, void *app);

/* The route table (static). */
const td_route_t *td_api_routes(size_t *n);

/* The HTTP status of a domain status (400 invalid, 404 not found…). */
int td_api_http_status(td_status st);
/* Maps a domain status to an HTTP status and answers with a problem. */
void td_api_fail(td_req_t *req, td_status st, const char *detail);
/* Answers status with the JSON value o (stolen: decref'd here). */
void td_api_send_json(td_req_t *req, int status, json_t *o);
/* 1 when every key of o is among allowed (NULL-terminated); otherwise
 * answers 400 unknown_field naming the first stranger and returns 0. */
int td_api_only_fields(td_req_t *req, json_t *o, const char *const *allowed);
/* For a route that takes no input: an empty body or {} is 0; anything
 * else is answered 400 invalid_request here, -1. */
int td_api_no_body(td_req_t *req);

/* usage.c: the http completed hook (meters the request) and the routes */
void td_api_usage_completed(td_req_t *req, int64_t duration_us, void *app);
void td_api_usage_admin(td_req_t *req, void *app);
void td_api_usage_own(td_req_t *req, void *app);

/* handlers (health.c) */
void td_api_health(td_req_t *req, void *app);
void td_api_ready(td_req_t *req, void *app);
void td_api_metrics(td_req_t *req, void *app);
void td_api_fleet_health(td_req_t *req, void *app);
/* data.c: the declarations of the services the caller may use */
void td_api_services(td_req_t *req, void *app);
/* accounts.c: an account's owners */
void td_api_account_owners(td_req_t *req, void *app);
void td_api_account_owner_add(td_req_t *req, void *app);
void td_api_account_owner_remove(td_req_t *req, void *app);
/* audit.c: the audit chains verified again */
void td_api_audit_verify(td_req_t *req, void *app);
/* Parses the request body as a JSON object; on failure answers 400 with
 * the parser's code and returns -1. *out belongs to the request (released
 * with its arena). */
int td_api_json_body(td_req_t *req, json_t **out);
/* Hands v (a reference) to the request: released with its arena. On
 * failure (out of memory: v is released at once) answers 500, returns -1. */
int td_api_json_keep(td_req_t *req, json_t *v);
/* Verifies the bearer token (signature, claims, revocation); on failure
 * answers 401 and returns -1. *claims is a new reference. */
int td_api_authenticate(td_req_t *req, td_app_t *app, json_t **claims);

/* auth.c */
void td_api_login(td_req_t *req, void *app);
void td_api_me(td_req_t *req, void *app);
void td_api_logout(td_req_t *req, void *app);
void td_api_refresh(td_req_t *req, void *app);
void td_api_password(td_req_t *req, void *app);
void td_api_register(td_req_t *req, void *app);
void td_api_register_status(td_req_t *req, void *app);
/* tenants.c */
void td_api_tenant_create(td_req_t *req, void *app);
/* jobs.c */
void td_api_job_list(td_req_t *req, void *app);
/* migrations.c */
void td_api_migrations_start(td_req_t *req, void *app);
void td_api_migrations_status(td_req_t *req, void *app);
void td_api_job_get(td_req_t *req, void *app);
void td_api_job_cancel(td_req_t *req, void *app);
void td_api_job_retry(td_req_t *req, void *app);
void td_api_cron_list(td_req_t *req, void *app);
void td_api_cron_create(td_req_t *req, void *app);
void td_api_cron_get(td_req_t *req, void *app);
void td_api_cron_update(td_req_t *req, void *app);
void td_api_cron_delete(td_req_t *req, void *app);
void td_api_tenant_list(td_req_t *req, void *app);
void td_api_tenant_get(td_req_t *req, void *app);
void td_api_tenant_patch(td_req_t *req, void *app);
void td_api_tenant_suspend(td_req_t *req, void *app);
void td_api_tenant_resume(td_req_t *req, void *app);
void td_api_tenant_retry(td_req_t *req, void *app);
void td_api_tenant_delete(td_req_t *req, void *app);
void td_api_tenant_services(td_req_t *req, void *app);
void td_api_tenant_service_enable(td_req_t *req, void *app);
void td_api_tenant_service_disable(td_req_t *req, void *app);
void td_api_tenant_database(td_req_t *req, void *app);
void td_api_tenant_move(td_req_t *req, void *app);
/* backups.c */
void td_api_backup_list(td_req_t *req, void *app);
void td_api_backup_create(td_req_t *req, void *app);
void td_api_backup_restore(td_req_t *req, void *app);
void td_api_backup_download(td_req_t *req, void *app);
void td_api_hostnames(td_req_t *req, void *app);
void td_api_hostname_add(td_req_t *req, void *app);
void td_api_hostname_remove(td_req_t *req, void *app);
/* users.c */
void td_api_user_create(td_req_t *req, void *app);
void td_api_user_list(td_req_t *req, void *app);
void td_api_user_get(td_req_t *req, void *app);
void td_api_user_patch(td_req_t *req, void *app);
void td_api_user_delete(td_req_t *req, void *app);
/* apikeys.c: tenant keys under /v1/auth, platform keys under /v1/admin */
void td_api_key_create(td_req_t *req, void *app);
void td_api_impersonate(td_req_t *req, void *app);
void td_api_impersonations(td_req_t *req, void *app);
void td_api_impersonation_revoke(td_req_t *req, void *app);
/* accounts that own tenants (accounts.c) */
void td_api_account_tenants(td_req_t *req, void *app);
void td_api_account_tenant_add(td_req_t *req, void *app);
void td_api_account_switch(td_req_t *req, void *app);
void td_api_account_list(td_req_t *req, void *app);
void td_api_account_get(td_req_t *req, void *app);
void td_api_account_suspend(td_req_t *req, void *app);
void td_api_account_resume(td_req_t *req, void *app);
/* Answers a login, sign-up, refresh or switch (auth.c): the tokens, the
 * principal, its tenant and account (acc: a sign-up's new one). */
void td_api_answer_tokens(td_req_t *req, int status, const td_signin_t *s,
                          const td_account_row_t *acc);
void td_api_key_list(td_req_t *req, void *app);
void td_api_key_revoke(td_req_t *req, void *app);
/* idempotency.c: the Idempotency-Key of a mutation route. fn does the
 * route's work and answers; key is the request's Idempotency-Key. */
typedef void (*td_api_idem_fn)(td_req_t *req, td_app_t *app, const char *key);
/* Requires the header (400 idempotency_key_required), then replays the
 * first answer made with it in scope (a tenant id; NULL: "platform"), or
 * refuses a reuse (422 idempotency_key_reused, 409
 * idempotency_key_in_use), or runs fn and keeps its answer. */
void td_api_idem_run(td_req_t *req, td_app_t *app, const char *scope, td_api_idem_fn fn);
/* credits.c: /v1/credits… and /v1/admin/credits… */
void td_api_credits_show(td_req_t *req, void *app);
void td_api_credits_spend(td_req_t *req, void *app);
void td_api_credits_purchase(td_req_t *req, void *app);
void td_api_checkout_get(td_req_t *req, void *app);
void td_api_checkout_complete(td_req_t *req, void *app);
void td_api_provider_secret(td_req_t *req, void *app);
void td_api_payment_webhook(td_req_t *req, void *app);
void td_api_credits_balances(td_req_t *req, void *app);
void td_api_credits_grant(td_req_t *req, void *app);
void td_api_credits_adjust(td_req_t *req, void *app);
void td_api_checkout_paid(td_req_t *req, void *app);
void td_api_credit_costs(td_req_t *req, void *app);
void td_api_credit_cost_put(td_req_t *req, void *app);
void td_api_credit_cost_delete(td_req_t *req, void *app);
/* Charges units of a metered action to the request's tenant
 * (td_credits_charge); on a refusal (402 insufficient_credits…) answers
 * and returns -1. *tx gets the charge (delta 0 when free). */
int td_api_credits_charge(td_req_t *req, td_app_t *app, const char *action, int64_t units,
                          td_credit_tx_t *tx);
/* data.c: declared resources through the engine */
void td_api_res_list(td_req_t *req, void *app);
void td_api_res_get(td_req_t *req, void *app);
void td_api_res_create(td_req_t *req, void *app);
void td_api_res_update(td_req_t *req, void *app);
void td_api_res_delete(td_req_t *req, void *app);
/* The engine context of a resource request, from its operation context
 * (td_api_op → td_op_res_open: leases the tenant database); on failure
 * answers (503 tenant_unavailable, 503 busy) and returns -1. */
int td_api_res_ctx(td_req_t *req, td_app_t *app, td_res_ctx_t *c);
/* audit.c: the audit log and the summaries */
void td_api_audit_admin(td_req_t *req, void *app);
void td_api_audit_tenant(td_req_t *req, void *app);
void td_api_summary_services(td_req_t *req, void *app);
void td_api_summary_tenants(td_req_t *req, void *app);
/* Marks tenant_id written to once the request ends (not for GET): the
 * drain tick drains it. */
void td_api_touch(td_req_t *req, td_platform_t *p, const char *tenant_id);
/* Buffers the audit record of a refused request (code: the problem's). */
void td_api_audit_refused(td_req_t *req, const char *code);
/* Buffers the audit record of a failed login (tenant as given, or NULL). */
void td_api_audit_login_failed(td_req_t *req, td_app_t *app, const char *tenant,
                               const char *email);
/* The actor kind of the request's caller ("user", "api_key",
 * "superadmin"), as audit records name it (audit.c). */
const char *td_api_actor_kind(const td_ctx_t *ctx);
/* Answers a failed operation on the tenant's database: 503
 * tenant_unavailable for TD_E_UNAVAILABLE, 503 tenant_busy with
 * Retry-After for TD_E_BUSY (the pool's wait in line ran out), else as
 * td_api_fail. */
#define TD_API_BUSY_RETRY_AFTER "1" /* seconds, on 503 tenant_busy */
void td_api_tenant_fail(td_req_t *req, td_status st, const char *detail);
/* Answers an engine failure (problem with its code, and "errors"). */
void td_api_res_fail(td_req_t *req, td_status st, td_res_err_t *e);
/* Answers a row with its ETag. */
void td_api_send_row(td_req_t *req, int status, json_t *row);
/* behaviour.c: service routes beyond CRUD */
void td_api_lead_convert(td_req_t *req, void *app);
void td_api_order_place(td_req_t *req, void *app);
void td_api_events_batch(td_req_t *req, void *app);
/* Hands a write to a SQLite tenant to the io threads (td_req_offload_io)
 * and returns 1; 0 for any other tenant (the caller writes at once). */
int td_api_write_offload(td_req_t *req, void *app, td_work_fn work);
void td_api_metric_series(td_req_t *req, void *app);
void td_api_media_put(td_req_t *req, void *app);
void td_api_media_get(td_req_t *req, void *app);
/* plans.c: plans and subscriptions */
void td_api_plan_list(td_req_t *req, void *app);
void td_api_plan_get(td_req_t *req, void *app);
void td_api_plan_create(td_req_t *req, void *app);
void td_api_plan_patch(td_req_t *req, void *app);
void td_api_plan_delete(td_req_t *req, void *app);
void td_api_subscription_get(td_req_t *req, void *app);
void td_api_subscription_put(td_req_t *req, void *app);
void td_api_subscription_history(td_req_t *req, void *app);
/* openapi.c: the document (new reference) and its route */
json_t *td_api_openapi(void);
void td_api_openapi_doc(td_req_t *req, void *app);
/* wellknown.c */
void td_api_jwks(td_req_t *req, void *app);
void td_api_rotate_signing(td_req_t *req, void *app);

/* audit.c: a read made while impersonating is audited (when the
 * answer is sent) */
void td_api_audit_impersonated_read(td_req_t *req, td_app_t *app);

/* onboarding.c */
void td_api_onboarding(td_req_t *req, void *app);
void td_api_onboarding_store(td_req_t *req, void *app);
void td_api_onboarding_database(td_req_t *req, void *app);
void td_api_onboarding_payments(td_req_t *req, void *app);
void td_api_onboarding_profile(td_req_t *req, void *app);
void td_api_onboarding_skip(td_req_t *req, void *app);

/* console.c: the admin console's files (public: they carry no data) */
void td_api_console(td_req_t *req, void *app);
void td_api_console_asset(td_req_t *req, void *app);

#endif
