/* policy.h — the access policy: one table of role × service × action
 * (SPEC §6), deny by default. Every route declares its service and action;
 * the api layer asks this table before any handler runs. */
#ifndef TD_POLICY_H
#define TD_POLICY_H

#include <stddef.h>

typedef enum { TD_ACT_READ, TD_ACT_WRITE } td_action;

typedef enum {
    TD_SCOPE_NONE = 0, /* refused */
    TD_SCOPE_OWN,      /* only rows the caller owns (owner_id = caller) */
    TD_SCOPE_TENANT,   /* every row of the caller's tenant */
    TD_SCOPE_ALL,      /* any tenant (superadmins) */
} td_scope;

/* "platform" names the catalog (tenants, plans…); the others are services. */
#define TD_SVC_PLATFORM "platform"

/* The rows role may touch for action on service; TD_SCOPE_NONE when the
 * role, service or action is unknown. */
td_scope td_policy(const char *role, const char *service, td_action act);
/* 1 when service is in the granted list (admins and superadmins need no
 * grant: pass granted = NULL for them). */
int td_policy_granted(const char *service, const char *const *granted, size_t n);
/* The roles a tenant user may hold. */
int td_role_valid_tenant(const char *role);

/* What a principal (user, API key, token) holds: its role, and either
 * every service of its tenant (all) or the listed ones. */
typedef struct {
    const char *role;
    int all;
    const char *const *svc;
    size_t nsvc;
} td_grant_t;
/* 1 when holder may create, change or remove a principal holding want:
 * no escalation by delegation — want's role is no higher than holder's
 * (superadmin > admin > manager > client) and, unless holder has every
 * service, want is held to a list of services that holder all has. */
int td_policy_covers(const td_grant_t *holder, const td_grant_t *want);

#endif
