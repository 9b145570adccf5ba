/* plans.h — the plans family of catalog tables (migration 0015): plans,
 * subscriptions and subscription_changes. SQL only: the rules (who may,
 * what a plan allows, proration) are ops/plans.c's and tenancy/plan.c's.
 *
 * A limit of -1 is unlimited (SQL NULL). Strings handed back belong to
 * the given arena. */
#ifndef TD_CATALOG_PLANS_H
#define TD_CATALOG_PLANS_H

#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "store/store.h"

#define TD_PLAN_UNLIMITED (-1)
/* The plan of a tenant created without one. */
#define TD_PLAN_DEFAULT "free"

/* What a plan allows; carried on every cached tenant (td_tenant_t.limits),
 * so the request path checks it without a catalog query. */
typedef struct {
    int64_t max_users;             /* users of the tenant (-1: unlimited) */
    int64_t max_api_keys;          /* live API keys of the tenant */
    int64_t requests_per_minute;   /* read by the rate limiter */
    int64_t storage_bytes;         /* writes stop at this figure (tenant_stats.bytes) */
    int64_t max_rows_per_resource; /* rows one resource's table may hold (creates: 402) */
    int64_t included_credits;      /* granted each month by the credits part */
    const char **services;         /* allowed services; NULL = every service */
    size_t nservices;
} td_plan_limits_t;

typedef struct {
    const char *code, *name, *currency, *period; /* period: month | year */
    int64_t price_amount;                        /* minor units per period */
    td_plan_limits_t limits;
    const char *created_at, *updated_at;
} td_plan_row_t;

typedef struct {
    const char *tenant_id, *plan, *status; /* trialing|active|past_due|cancelled */
    const char *current_period_start, *current_period_end;
    const char *created_at, *updated_at;
} td_subscription_row_t;

typedef struct {
    const char *id, *tenant_id, *from_plan, *to_plan, *from_status, *to_status;
    int64_t proration_amount; /* minor units of currency; negative: owed to the tenant */
    const char *currency, *actor_kind, *actor_id, *at;
} td_subscription_change_t;

/* Limits with nothing limited (a tenant whose plan row is gone). */
td_plan_limits_t td_plan_unlimited(void);

/* TD_E_NOTFOUND when there is no such plan. */
td_status td_cat_plan_get(td_db_t *db, td_arena_t *a, const char *code, td_plan_row_t *out);
/* Every plan, by price then code. */
td_status td_cat_plan_list(td_db_t *db, td_arena_t *a, td_plan_row_t **out, size_t *n);
/* TD_E_EXISTS when the code is taken. */
td_status td_cat_plan_insert(td_db_t *db, const td_plan_row_t *p);
/* Replaces every column but code and created_at. TD_E_NOTFOUND. */
td_status td_cat_plan_update(td_db_t *db, const td_plan_row_t *p);
/* TD_E_NOTFOUND when absent. */
td_status td_cat_plan_delete(td_db_t *db, const char *code);
/* Tenants (not deleted) on the plan. */
td_status td_cat_plan_tenants(td_db_t *db, const char *code, int64_t *n);

/* A tenant's subscription. TD_E_NOTFOUND when it has none. */
td_status td_cat_subscription_get(td_db_t *db, td_arena_t *a, const char *tenant_id,
                                  td_subscription_row_t *out);
/* Writes the subscription (upsert) and tenants.plan, and appends the
 * change c (its id and at filled by the caller), in the caller's
 * transaction. */
td_status td_cat_subscription_set(td_db_t *db, const td_subscription_row_t *s,
                                  const td_subscription_change_t *c);
/* A tenant's changes, newest first, at most limit. */
td_status td_cat_subscription_changes(td_db_t *db, td_arena_t *a, const char *tenant_id,
                                      int limit, td_subscription_change_t **out, size_t *n);

/* The end of a period of period ("month" | "year") that starts at start_ms
 * (UTC calendar: Jan 31 + 1 month = Feb 28 or 29). */
int64_t td_plan_period_end(int64_t start_ms, const char *period);
/* A new tenant's subscription: plan, active, this month (nothing when it
 * has one). In the caller's transaction (td_cat_tenant_insert). */
td_status td_cat_subscription_start(td_db_t *db, const char *tenant_id, const char *plan);

/* Live (not revoked, not expired) API keys of a tenant. */
td_status td_cat_apikey_count_live(td_db_t *db, const char *tenant_id, int64_t *n);
/* The bytes a tenant stores, as the outbox drain keeps them
 * (tenant_stats.bytes; 0 when it has none yet). */
td_status td_cat_tenant_storage(td_db_t *db, const char *tenant_id, int64_t *bytes);

#endif
