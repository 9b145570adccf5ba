/* plans.h — plans and subscriptions as operations (issue 13 part 2):
 * superadmins manage plans (/v1/plans, `tenantd plan`); a tenant's
 * subscription (its plan and status) is read by its admins and changed by
 * platform actors (/v1/tenants/{t}/subscription, `tenantd tenant plan`),
 * each change recorded with the proration it works out (not charged) and
 * audited. The limits a plan sets are enforced where they bite:
 * td_op_plan_limit (users, API keys), tenancy/plan.c (services, storage).
 *
 * Stable codes: 400 invalid_plan, unknown_field, unknown_plan,
 * invalid_status; 402 plan_limit (op->err.limit names the limit); 403
 * forbidden, service_not_in_plan; 404 plan_not_found, tenant_not_found;
 * 409 plan_exists, plan_in_use. */
#ifndef TD_OPS_PLANS_H
#define TD_OPS_PLANS_H

#include <jansson.h>

#include "catalog/plans.h"
#include "ops/op.h"

/* Every plan (any signed-in caller: a pricing page). */
td_status td_op_plan_list(td_op_t *op, td_plan_row_t **out, size_t *n);
td_status td_op_plan_get(td_op_t *op, const char *code, td_plan_row_t *out);
/* Creates a plan from a JSON object of its fields (code and name
 * required; a limit left out or null is unlimited). Platform actors. */
td_status td_op_plan_create(td_op_t *op, json_t *fields, td_plan_row_t *out);
/* Changes the fields given (code and times cannot change). Tenants on the
 * plan see the new limits at once in this process, within a second in
 * others. Platform actors. */
td_status td_op_plan_update(td_op_t *op, const char *code, json_t *fields, td_plan_row_t *out);
/* 409 plan_in_use while a live tenant is on it. Platform actors. */
td_status td_op_plan_delete(td_op_t *op, const char *code);
/* The plan as the API answers it (new reference). */
json_t *td_plan_json(const td_plan_row_t *p);

/* A tenant's subscription: platform actors and the tenant's admins. */
td_status td_op_subscription_get(td_op_t *op, const char *tenant, td_subscription_row_t *out);
/* Changes a tenant's plan and/or status (NULL: unchanged). A real change
 * is recorded in its history with the proration for the rest of the
 * period (new plan's share minus the old one's, minor units; negative is
 * owed to the tenant) and audited (subscription.change); *change (may be
 * NULL) is it, or zeroed when nothing changed. Platform actors. */
td_status td_op_subscription_change(td_op_t *op, const char *tenant, const char *plan,
                                    const char *status, td_subscription_row_t *out,
                                    td_subscription_change_t *change);
/* Its changes, newest first (at most limit). Platform actors, admins. */
td_status td_op_subscription_history(td_op_t *op, const char *tenant, int limit,
                                     td_subscription_change_t **out, size_t *n);
json_t *td_subscription_json(const td_subscription_row_t *s);
json_t *td_subscription_change_json(const td_subscription_change_t *c);

/* 402 plan_limit unless `have` more of what `name` counts fits under
 * limit (-1: unlimited): the creation that would make have + 1. */
td_status td_op_plan_limit(td_op_t *op, const char *plan, const char *name, int64_t limit,
                           int64_t have);

#endif
