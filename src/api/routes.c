/* routes.c — every route of the server, as data. A route's summary feeds
 * the OpenAPI document; docs/api.md lists the same routes (a test checks). */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"

static const td_need_t public_ = {.kind = TD_NEED_PUBLIC};
static const td_need_t principal = {.kind = TD_NEED_PRINCIPAL};
static const td_need_t owner = {.kind = TD_NEED_OWNER};

/* platform: the catalog's tenants and platform-wide objects */
#define PLATFORM(a, ...) {.kind = TD_NEED_ACCESS, .service = TD_SVC_PLATFORM, .act = a, __VA_ARGS__}
static const td_need_t platform_read = PLATFORM(TD_ACT_READ);
static const td_need_t platform_write = PLATFORM(TD_ACT_WRITE);
static const td_need_t tenant_read = PLATFORM(TD_ACT_READ, .path_tenant = 1);
static const td_need_t tenant_write = PLATFORM(TD_ACT_WRITE, .path_tenant = 1);
static const td_need_t all_read = PLATFORM(TD_ACT_READ, .all_tenants = 1);
static const td_need_t all_write = PLATFORM(TD_ACT_WRITE, .all_tenants = 1);
/* a tenant named by the path, superadmins only */
static const td_need_t super_tenant_read = PLATFORM(TD_ACT_READ, .path_tenant = 1, .all_tenants = 1);
static const td_need_t super_tenant_write =
    PLATFORM(TD_ACT_WRITE, .path_tenant = 1, .all_tenants = 1);
/* the caller's own tenant's platform figures (admins; superadmins name one) */
static const td_need_t own_usage = PLATFORM(TD_ACT_READ, .tenant = 1);
/* a tenant's own record: its admins (and superadmins naming it) */
static const td_need_t own_audit = PLATFORM(TD_ACT_READ, .tenant = 1);

/* a tenant's auth service (users, API keys), tenant from token or X-Tenant */
static const td_need_t users_read = {.kind = TD_NEED_ACCESS, .service = "auth",
                                     .act = TD_ACT_READ, .tenant = 1};
static const td_need_t users_write = {.kind = TD_NEED_ACCESS, .service = "auth",
                                      .act = TD_ACT_WRITE, .tenant = 1};

/* credits (issue 13 part 3): a tenant's admins read and buy; any user or
 * key of the tenant spends (read-only keys are refused by the handler) */
static const td_need_t credits_read = PLATFORM(TD_ACT_READ, .tenant = 1);
static const td_need_t credits_admin = {.kind = TD_NEED_ACCESS, .service = "auth",
                                        .act = TD_ACT_WRITE, .tenant = 1};
static const td_need_t credits_spend = {.kind = TD_NEED_ACCESS, .service = "auth",
                                        .act = TD_ACT_READ, .tenant = 1};
static const td_need_t credits_tenant = PLATFORM(TD_ACT_WRITE, .path_tenant = 1,
                                                 .all_tenants = 1);

/* declared resources: /v1/{service}/{resource}[/{id}], access from the
 * declaration (access.c) */
static const td_need_t data = {.kind = TD_NEED_ACCESS, .tenant = 1, .resource = 1};

/* routes with behaviour: the declared resource and what they do to it */
#define ON(svc, res, o) {.kind = TD_NEED_ACCESS, .tenant = 1, .service = svc, .rname = res, .op = o}
static const td_need_t lead_convert = ON("crm", "leads", TD_OP_UPDATE);
static const td_need_t order_place = ON("commerce", "orders", TD_OP_CREATE);
static const td_need_t order_list = ON("commerce", "orders", TD_OP_READ);
static const td_need_t events_add = ON("analytics", "events", TD_OP_CREATE);
static const td_need_t events_read = ON("analytics", "events", TD_OP_READ);
static const td_need_t media_write = ON("cms", "media", TD_OP_UPDATE);
static const td_need_t media_read = ON("cms", "media", TD_OP_READ);

static const td_route_t routes[] = {
    {TD_GET, "/health", td_api_health, "Liveness: the process answers", 0, &public_},
    {TD_GET, "/ready", td_api_ready, "Readiness: the catalog database answers", 0, &public_},
    {TD_GET, "/metrics", td_api_metrics, "Prometheus metrics", 0, &public_},
    {TD_POST, "/v1/auth/login", td_api_login, "Log in: a superadmin, or a tenant's user", 0,
     &public_},
    {TD_POST, "/v1/auth/register", td_api_register,
     "Self-service sign-up: a new tenant and its first admin (when enabled)", 0, &public_},
    {TD_GET, "/v1/auth/register", td_api_register_status,
     "Whether self-service sign-up is open here: {\"open\":true|false}", 0, &public_},
    {TD_POST, "/v1/auth/refresh", td_api_refresh,
     "Trade a refresh token for new tokens (rotation; reuse revokes the family)", 0, &public_},
    {TD_POST, "/v1/auth/password", td_api_password,
     "Change your password; every token you hold stops working", 0, &principal},
    {TD_GET, "/v1/auth/me", td_api_me, "The caller, from its access token", 0, &principal},
    {TD_POST, "/v1/auth/logout", td_api_logout, "Revoke the caller's access token at once", 0,
     &principal},
    {TD_POST, "/v1/auth/users", td_api_user_create, "Add a user to the tenant", 0, &users_write},
    {TD_GET, "/v1/auth/users", td_api_user_list, "The tenant's users (yourself, unless admin)", 0,
     &users_read},
    {TD_GET, "/v1/auth/users/{id}", td_api_user_get, "One user", 0, &users_read},
    {TD_PATCH, "/v1/auth/users/{id}", td_api_user_patch,
     "Change a user's role, grants, name, disabled flag or password", 0, &users_write},
    {TD_DELETE, "/v1/auth/users/{id}", td_api_user_delete, "Remove a user", 0, &users_write},
    {TD_POST, "/v1/auth/api-keys", td_api_key_create,
     "Create a tenant API key (shown once)", 0, &users_write},
    {TD_GET, "/v1/auth/api-keys", td_api_key_list, "The tenant's API keys (never the secret)", 0,
     &users_write},
    {TD_DELETE, "/v1/auth/api-keys/{id}", td_api_key_revoke, "Revoke a tenant API key", 0,
     &users_write},
    {TD_GET, "/v1/auth/impersonations", td_api_impersonations,
     "Superadmins who acted as the tenant's users (admins)", 0, &users_read},
    {TD_DELETE, "/v1/auth/impersonations/{id}", td_api_impersonation_revoke,
     "End an impersonation of the tenant at once (admins)", 0, &users_write},
    {TD_GET, "/v1/account/tenants", td_api_account_tenants,
     "An account owner's tenants (the store dropdown): id, slug, name, status, plan, role", 0,
     &owner},
    {TD_POST, "/v1/account/tenants", td_api_account_tenant_add,
     "Add a tenant to the owner's account; the owner is its first admin", 0, &owner},
    {TD_GET, "/v1/account/owners", td_api_account_owners, "Your account's owners", 0, &owner},
    {TD_POST, "/v1/account/owners", td_api_account_owner_add,
     "Add an owner to your account (an admin of each of its tenants)", 0, &owner},
    {TD_DELETE, "/v1/account/owners/{id}", td_api_account_owner_remove,
     "Remove an owner of your account (its sessions end; one owner stays)", 0, &owner},
    {TD_POST, "/v1/account/tenants/{t}/session", td_api_account_switch,
     "Switch into one of the account's tenants: an admin access token, no second password", 0,
     &owner},
    {TD_GET, "/v1/admin/accounts", td_api_account_list,
     "Accounts that own tenants: search by name or email (q), cursor pages", 0, &all_read},
    {TD_GET, "/v1/admin/accounts/{id}", td_api_account_get, "One account with its tenants", 0,
     &all_read},
    {TD_POST, "/v1/admin/accounts/{id}/suspend", td_api_account_suspend,
     "Suspend an account: its owners cannot log in or switch, their tokens end at once", 0,
     &all_write},
    {TD_POST, "/v1/admin/accounts/{id}/resume", td_api_account_resume, "Resume a suspended account",
     0, &all_write},
    {TD_POST, "/v1/admin/api-keys", td_api_key_create, "Create a platform API key (shown once)", 0,
     &all_write},
    {TD_GET, "/v1/admin/api-keys", td_api_key_list, "Platform API keys (never the secret)", 0,
     &all_read},
    {TD_DELETE, "/v1/admin/api-keys/{id}", td_api_key_revoke, "Revoke a platform API key", 0,
     &all_write},
    {TD_GET, "/v1/services", td_api_services,
     "The declarations (resources, fields, filters, sorts, methods) of the services you may use"
     " in your tenant", 0, &credits_spend},
    {TD_GET, "/v1/admin/audit/verify", td_api_audit_verify,
     "Verify the audit chains again (every tenant's and the platform's, or ?tenant=): ok, or the"
     " first broken record", 0, &all_read},
    {TD_GET, "/v1/admin/fleet/health", td_api_fleet_health,
     "The fleet checked live: the catalog, every database server, a sample of tenant databases"
     " and every failed tenant, each with its latency (sample: 0-500, default 20)",
     0, &all_read},
    {TD_GET, "/v1/admin/jobs", td_api_job_list,
     "Background jobs, newest first: filter by kind, state, tenant; limit, cursor", 0, &all_read},
    {TD_GET, "/v1/admin/jobs/{id}", td_api_job_get, "One job with its progress", 0, &all_read},
    {TD_POST, "/v1/admin/jobs/{id}/cancel", td_api_job_cancel,
     "Cancel a queued or running job (a running one stops at its next step)", 0, &all_write},
    {TD_POST, "/v1/admin/jobs/{id}/retry", td_api_job_retry,
     "Queue a failed or cancelled job again with fresh attempts", 0, &all_write},
    {TD_POST, "/v1/admin/migrations", td_api_migrations_start,
     "Migrate tenants to the code's schemas in the background: a tenants.migrate job (202)", 0,
     &all_write},
    {TD_GET, "/v1/admin/migrations", td_api_migrations_status,
     "Tenant services behind the code, and tenants quarantined by a failed migration", 0,
     &all_read},
    {TD_GET, "/v1/admin/cron", td_api_cron_list, "Job schedules (5-field cron, UTC)", 0,
     &all_read},
    {TD_POST, "/v1/admin/cron", td_api_cron_create,
     "Create a schedule: name, schedule, kind, payload, enabled", 0, &all_write},
    {TD_GET, "/v1/admin/cron/{name}", td_api_cron_get, "One schedule with its next run", 0,
     &all_read},
    {TD_PATCH, "/v1/admin/cron/{name}", td_api_cron_update,
     "Change a schedule (its next run is computed again from now)", 0, &all_write},
    {TD_DELETE, "/v1/admin/cron/{name}", td_api_cron_delete, "Delete a schedule", 0, &all_write},
    {TD_GET, "/v1/admin/usage", td_api_usage_admin,
     "Usage per hour or day (requests, writes, bytes, storage): one tenant or all; from, to, "
     "bucket, service",
     0, &all_read},
    {TD_GET, "/v1/usage", td_api_usage_own,
     "Your tenant's usage per hour or day (tenant admins): from, to, bucket, service", 0,
     &own_usage},
    {TD_GET, "/v1/admin/audit", td_api_audit_admin,
     "The audit log of every tenant, newest first: filter by tenant, actor, action, resource,"
     " from, to; limit, cursor", 0, &all_read},
    {TD_GET, "/v1/audit", td_api_audit_tenant,
     "Your tenant's audit log (tenant admins), newest first: the same filters", 0, &own_audit},
    {TD_GET, "/v1/admin/summary/services", td_api_summary_services,
     "Per service: tenants using it, rows, bytes, writes in the last hour and day (from the"
     " catalog alone)", 0, &all_read},
    {TD_GET, "/v1/admin/summary/tenants", td_api_summary_tenants,
     "Per tenant: status, plan, services, users, rows, bytes, last activity; sort, limit,"
     " cursor (from the catalog alone)", 0, &all_read},
    {TD_POST, "/v1/tenants", td_api_tenant_create, "Create a tenant (with its first admin)", 0,
     &platform_write},
    {TD_GET, "/v1/tenants", td_api_tenant_list, "List tenants (cursor, limit, status)", 0,
     &platform_read},
    {TD_GET, "/v1/tenants/{tenant}", td_api_tenant_get, "A tenant by slug or id", 0, &tenant_read},
    {TD_PATCH, "/v1/tenants/{tenant}", td_api_tenant_patch, "Rename a tenant", 0, &tenant_write},
    {TD_DELETE, "/v1/tenants/{tenant}", td_api_tenant_delete,
     "Delete a tenant: databases, files, role and key; a tombstone stays", 0, &tenant_write},
    {TD_POST, "/v1/tenants/{tenant}/suspend", td_api_tenant_suspend, "Suspend a tenant", 0,
     &tenant_write},
    {TD_POST, "/v1/tenants/{tenant}/resume", td_api_tenant_resume, "Resume a suspended tenant", 0,
     &tenant_write},
    {TD_POST, "/v1/tenants/{tenant}/retry", td_api_tenant_retry,
     "Resume a tenant's interrupted or failed provisioning", 0, &tenant_write},
    {TD_GET, "/v1/tenants/{tenant}/services", td_api_tenant_services,
     "The tenant's enabled services", 0, &tenant_read},
    {TD_POST, "/v1/tenants/{tenant}/services", td_api_tenant_service_enable,
     "Enable a service (runs its migrations)", 0, &tenant_write},
    {TD_DELETE, "/v1/tenants/{tenant}/services/{service}", td_api_tenant_service_disable,
     "Disable a service (its data stays)", 0, &tenant_write},
    {TD_PUT, "/v1/tenants/{tenant}/database", td_api_tenant_database,
     "Place a provisioning or failed tenant on a PostgreSQL database you bring", 0, &tenant_write},
    {TD_POST, "/v1/tenants/{tenant}/move", td_api_tenant_move,
     "Move the tenant's data to another place while it serves (202: a tenant.move job)", 0,
     &tenant_write},
    {TD_GET, "/v1/tenants/{tenant}/backups", td_api_backup_list,
     "The tenant's backups, newest first: size, checksum, rows, age", 0, &tenant_read},
    {TD_POST, "/v1/tenants/{tenant}/backups", td_api_backup_create,
     "Take a backup now (202: a tenant.backup job writes it)", 0, &tenant_write},
    {TD_POST, "/v1/tenants/{tenant}/backups/{id}/restore", td_api_backup_restore,
     "Restore a backup into the tenant, or with {\"as\": slug} into a new tenant (202: a"
     " tenant.restore job)", 0, &tenant_write},
    {TD_GET, "/v1/tenants/{tenant}/backups/{id}/download", td_api_backup_download,
     "Download a backup file (superadmins; encrypted with the tenant's key)", 0, &tenant_write},
    {TD_POST, "/v1/tenants/{tenant}/impersonate", td_api_impersonate,
     "Act as one of the tenant's users for up to an hour, with a reason (superadmins)", 0,
     &super_tenant_write},
    {TD_GET, "/v1/tenants/{tenant}/impersonations", td_api_impersonations,
     "The tenant's impersonations", 0, &super_tenant_read},
    {TD_DELETE, "/v1/tenants/{tenant}/impersonations/{id}", td_api_impersonation_revoke,
     "End an impersonation at once", 0, &super_tenant_write},
    {TD_GET, "/v1/tenants/{tenant}/hostnames", td_api_hostnames, "The tenant's custom hostnames",
     0, &tenant_read},
    {TD_POST, "/v1/tenants/{tenant}/hostnames", td_api_hostname_add,
     "Register a custom hostname that names the tenant", 0, &tenant_write},
    {TD_DELETE, "/v1/tenants/{tenant}/hostnames/{hostname}", td_api_hostname_remove,
     "Remove a custom hostname", 0, &tenant_write},
    {TD_GET, "/v1/plans", td_api_plan_list, "Plans: prices and limits (any signed-in caller)", 0,
     &principal},
    {TD_POST, "/v1/plans", td_api_plan_create, "Create a plan", 0, &all_write},
    {TD_GET, "/v1/plans/{code}", td_api_plan_get, "One plan", 0, &principal},
    {TD_PATCH, "/v1/plans/{code}", td_api_plan_patch,
     "Change a plan's name, price or limits (its tenants get them at once)", 0, &all_write},
    {TD_DELETE, "/v1/plans/{code}", td_api_plan_delete,
     "Delete a plan no tenant is on (409 plan_in_use)", 0, &all_write},
    {TD_GET, "/v1/tenants/{tenant}/subscription", td_api_subscription_get,
     "The tenant's subscription: plan, status, current period", 0, &tenant_read},
    {TD_PUT, "/v1/tenants/{tenant}/subscription", td_api_subscription_put,
     "Change the tenant's plan or status (proration recorded, not charged)", 0, &tenant_write},
    {TD_GET, "/v1/tenants/{tenant}/subscription/history", td_api_subscription_history,
     "The subscription's changes, newest first (limit)", 0, &tenant_read},
    {TD_GET, "/v1/credits", td_api_credits_show,
     "Your tenant's credit balance and ledger, newest first (tenant admins): limit, cursor", 0,
     &credits_read},
    {TD_POST, "/v1/credits/spend", td_api_credits_spend,
     "Spend credits for metered use (any user or key of the tenant; Idempotency-Key; 402"
     " insufficient_credits)", 0, &credits_spend},
    {TD_POST, "/v1/credits/purchase", td_api_credits_purchase,
     "Buy credits through a payment provider (manual or test): a pending checkout"
     " (Idempotency-Key)", 0, &credits_admin},
    {TD_GET, "/v1/credits/checkouts/{id}", td_api_checkout_get, "One of your tenant's checkouts",
     0, &credits_admin},
    {TD_POST, "/v1/credits/checkouts/{id}/complete", td_api_checkout_complete,
     "Complete a test checkout with a test card: paid grants the credits (Idempotency-Key)", 0,
     &credits_admin},
    {TD_PUT, "/v1/credits/providers/{provider}/secret", td_api_provider_secret,
     "Store the tenant's webhook secret for a provider, sealed with the tenant key"
     " (Idempotency-Key)", 0, &credits_admin},
    {TD_POST, "/v1/credits/webhooks/{provider}/{tenant}", td_api_payment_webhook,
     "A payment provider's webhook: HMAC-signed (Webhook-Signature), pays or fails a checkout",
     0, &public_},
    {TD_GET, "/v1/onboarding", td_api_onboarding,
     "Your tenant's five onboarding steps: done, required or skippable (tenant admins;"
     " read-only keys read)", 0, &users_read},
    {TD_PUT, "/v1/onboarding/store", td_api_onboarding_store,
     "Onboarding step 1: rename the tenant (the slug is chosen at sign-up)", 0, &credits_admin},
    {TD_PUT, "/v1/onboarding/database", td_api_onboarding_database,
     "Onboarding step 2: keep the embedded database, or bring a PostgreSQL URL (the data moves"
     " there: 202 and a job)", 0, &credits_admin},
    {TD_PUT, "/v1/onboarding/payments", td_api_onboarding_payments,
     "Onboarding step 3: the tenant's payment provider keys, sealed", 0, &credits_admin},
    {TD_PUT, "/v1/onboarding/profile", td_api_onboarding_profile,
     "Onboarding step 5: company, phone and an avatar (a cms media row)", 0, &credits_admin},
    {TD_POST, "/v1/onboarding/{step}/skip", td_api_onboarding_skip,
     "Skip an onboarding step that may be skipped (payments, credits)", 0, &credits_admin},
    {TD_GET, "/v1/admin/credits", td_api_credits_balances,
     "Every tenant's credit balance: limit, cursor", 0, &all_read},
    {TD_GET, "/v1/admin/credits/costs", td_api_credit_costs,
     "The prices of metered actions (credits per per_units units)", 0, &all_read},
    {TD_PUT, "/v1/admin/credits/costs/{action}", td_api_credit_cost_put,
     "Set the price of a metered action (Idempotency-Key)", 0, &all_write},
    {TD_DELETE, "/v1/admin/credits/costs/{action}", td_api_credit_cost_delete,
     "Remove a price: the action is free (Idempotency-Key)", 0, &all_write},
    {TD_POST, "/v1/admin/credits/{tenant}/grant", td_api_credits_grant,
     "Grant credits to a tenant (manual provider; with a period: its included credits, once a"
     " month) (Idempotency-Key)", 0, &credits_tenant},
    {TD_POST, "/v1/admin/credits/{tenant}/adjust", td_api_credits_adjust,
     "Adjust a tenant's balance up or down with a note, never below zero (Idempotency-Key)", 0,
     &credits_tenant},
    {TD_POST, "/v1/admin/credits/checkouts/{id}/paid", td_api_checkout_paid,
     "Mark a manual checkout (an invoice) paid: its credits are granted (Idempotency-Key)", 0,
     &all_write},
    {TD_GET, "/openapi.json", td_api_openapi_doc, "This API's OpenAPI 3.1 document", 0, &public_},
    {TD_POST, "/v1/admin/signing-keys/rotate", td_api_rotate_signing,
     "Rotate the token signing key (old keys verify until their tokens expire)", 0, &all_write},
    {TD_GET, "/.well-known/jwks.json", td_api_jwks, "Public keys that verify access tokens", 0,
     &public_},
    {TD_POST, "/v1/crm/leads/{id}/convert", td_api_lead_convert,
     "Convert a lead into a customer and a deal (all or nothing)", 0, &lead_convert},
    {TD_POST, "/v1/commerce/orders", td_api_order_place,
     "Place an order: stock is taken atomically, never below zero (409 out_of_stock)", 0,
     &order_place},
    {TD_GET, "/v1/commerce/orders", td_api_res_list, "List orders", 0, &order_list},
    {TD_POST, "/v1/analytics/events:batch", td_api_events_batch,
     "Append up to 10,000 events in one request", TD_ROUTE_UPLOAD, &events_add},
    {TD_GET, "/v1/analytics/metrics:query", td_api_metric_series,
     "A metric (or event count) per hour or day over a time range", 0, &events_read},
    {TD_PUT, "/v1/cms/media/{id}/content", td_api_media_put,
     "Upload a media row's bytes (its declared content type; size capped)", TD_ROUTE_UPLOAD,
     &media_write},
    {TD_GET, "/v1/cms/media/{id}/content", td_api_media_get, "Download a media row's bytes", 0,
     &media_read},
    /* the engine: any declared resource (literal routes above win) */
    {TD_GET, "/v1/{service}/{resource}", td_api_res_list,
     "List a resource: filter, sort, cursor, limit, fields", 0, &data},
    {TD_POST, "/v1/{service}/{resource}", td_api_res_create, "Create a row", 0, &data},
    {TD_GET, "/v1/{service}/{resource}/{id}", td_api_res_get, "One row, with its ETag", 0, &data},
    {TD_PATCH, "/v1/{service}/{resource}/{id}", td_api_res_update,
     "Change some fields of a row (If-Match for optimistic concurrency)", 0, &data},
    {TD_DELETE, "/v1/{service}/{resource}/{id}", td_api_res_delete, "Delete a row", 0, &data},
    /* the admin console (console.c): static files, public */
    {TD_GET, "/console", td_api_console, "The admin console's page (HTML; data comes from the API)",
     0, &public_},
    {TD_GET, "/console/{path}", td_api_console_asset,
     "A file of the admin console (script, style sheet, image)", 0, &public_},
};

const td_route_t *td_api_routes(size_t *n) {
    *n = sizeof(routes) / sizeof(routes[0]);
    return routes;
}

int td_api_http_status(td_status st) { return td_op_http_status(st); }

void td_api_fail(td_req_t *req, td_status st, const char *detail) {
    td_resp_problem(req, td_api_http_status(st), td_status_code(st), td_status_msg(st), detail);
}

void td_api_send_json(td_req_t *req, int status, json_t *o) {
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (!s) {
        td_api_fail(req, TD_E_NOMEM, NULL);
        return;
    }
    td_resp_bytes(req, status, "application/json", s, strlen(s));
    sodium_memzero(s, strlen(s)); /* it may have held a secret shown once */
    free(s);
}

int td_api_no_body(td_req_t *req) {
    json_t *b;
    if (!req->body_len)
        return 0;
    if (td_api_json_body(req, &b))
        return -1;
    if (!json_is_object(b) || json_object_size(b)) {
        td_resp_problem(req, 400, "invalid_request", "Invalid request", "send no body or {}");
        return -1;
    }
    return 0;
}

int td_api_only_fields(td_req_t *req, json_t *o, const char *const *allowed) {
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v) {
        int ok = 0;
        for (size_t i = 0; allowed[i]; i++)
            ok |= strcmp(k, allowed[i]) == 0;
        if (!ok) {
            td_resp_problem(req, 400, "unknown_field", "Unknown field",
                            td_arena_printf(req->arena, "field '%.64s' cannot be set", k));
            return 0;
        }
    }
    return 1;
}
