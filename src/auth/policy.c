/* policy.c — SPEC §6 as data.
 *
 * Rows are (role, service, read scope, write scope); "*" stands for the
 * data services (crm, cms, projects, commerce and any operator-added
 * service). The first matching row wins; no row means no access. */
#include "auth/policy.h"

#include <string.h>

typedef struct {
    const char *role, *service;
    td_scope read, write;
} rule_t;

static const rule_t rules[] = {
    {"superadmin", NULL, TD_SCOPE_ALL, TD_SCOPE_ALL}, /* every service, any tenant */
    {"admin", TD_SVC_PLATFORM, TD_SCOPE_TENANT, TD_SCOPE_NONE},
    {"admin", "auth", TD_SCOPE_TENANT, TD_SCOPE_TENANT},
    {"admin", "billing", TD_SCOPE_TENANT, TD_SCOPE_NONE},
    {"admin", "analytics", TD_SCOPE_TENANT, TD_SCOPE_NONE},
    {"admin", "*", TD_SCOPE_TENANT, TD_SCOPE_TENANT},
    {"manager", TD_SVC_PLATFORM, TD_SCOPE_NONE, TD_SCOPE_NONE},
    {"manager", "auth", TD_SCOPE_OWN, TD_SCOPE_NONE},
    {"manager", "billing", TD_SCOPE_TENANT, TD_SCOPE_NONE},
    {"manager", "analytics", TD_SCOPE_TENANT, TD_SCOPE_NONE},
    {"manager", "*", TD_SCOPE_TENANT, TD_SCOPE_TENANT},
    {"client", TD_SVC_PLATFORM, TD_SCOPE_NONE, TD_SCOPE_NONE},
    {"client", "auth", TD_SCOPE_OWN, TD_SCOPE_NONE},
    {"client", "billing", TD_SCOPE_OWN, TD_SCOPE_NONE},
    {"client", "analytics", TD_SCOPE_OWN, TD_SCOPE_NONE},
    {"client", "*", TD_SCOPE_OWN, TD_SCOPE_OWN},
};

td_scope td_policy(const char *role, const char *service, td_action act) {
    if (!role || !service)
        return TD_SCOPE_NONE;
    for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
        const rule_t *r = &rules[i];
        if (strcmp(r->role, role))
            continue;
        int match = !r->service || strcmp(r->service, service) == 0 ||
                    (strcmp(r->service, "*") == 0 && strcmp(service, TD_SVC_PLATFORM));
        if (match)
            return act == TD_ACT_READ ? r->read : r->write;
    }
    return TD_SCOPE_NONE;
}

int td_policy_granted(const char *service, const char *const *granted, size_t n) {
    if (!granted)
        return 1;
    for (size_t i = 0; i < n; i++)
        if (strcmp(granted[i], service) == 0)
            return 1;
    return 0;
}

static int rank(const char *role) {
    static const char *const order[] = {"client", "manager", "admin", "superadmin"};
    for (int i = 0; role && i < 4; i++)
        if (strcmp(role, order[i]) == 0)
            return i + 1;
    return 0;
}

int td_policy_covers(const td_grant_t *holder, const td_grant_t *want) {
    if (!rank(holder->role) || rank(want->role) > rank(holder->role))
        return 0;
    if (holder->all)
        return 1;
    if (want->all)
        return 0;
    for (size_t i = 0; i < want->nsvc; i++) {
        int held = 0;
        for (size_t j = 0; !held && j < holder->nsvc; j++)
            held = strcmp(want->svc[i], holder->svc[j]) == 0;
        if (!held)
            return 0;
    }
    return 1;
}

int td_role_valid_tenant(const char *role) {
    return role && (!strcmp(role, "admin") || !strcmp(role, "manager") || !strcmp(role, "client"));
}
