/* test_policy.c — SPEC §6 as a table: every role × service × action gives
 * the scope the specification's matrix says; unknown roles and services get
 * nothing. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "auth/policy.h"

typedef struct {
    const char *role, *service;
    td_scope read, write;
} row_t;

#define N TD_SCOPE_NONE
#define O TD_SCOPE_OWN
#define T TD_SCOPE_TENANT
#define A TD_SCOPE_ALL

static const row_t matrix[] = {
    {"superadmin", "platform", A, A}, {"superadmin", "auth", A, A},
    {"superadmin", "crm", A, A},      {"superadmin", "billing", A, A},
    {"superadmin", "analytics", A, A},
    {"admin", "platform", T, N},      {"admin", "auth", T, T},
    {"admin", "crm", T, T},           {"admin", "cms", T, T},
    {"admin", "projects", T, T},      {"admin", "commerce", T, T},
    {"admin", "billing", T, N},       {"admin", "analytics", T, N},
    {"manager", "platform", N, N},    {"manager", "auth", O, N},
    {"manager", "crm", T, T},         {"manager", "commerce", T, T},
    {"manager", "billing", T, N},     {"manager", "analytics", T, N},
    {"client", "platform", N, N},     {"client", "auth", O, N},
    {"client", "crm", O, O},          {"client", "cms", O, O},
    {"client", "billing", O, N},      {"client", "analytics", O, N},
    {"owner", "crm", N, N},           {"", "crm", N, N},
};

static void matrix_holds(void **s) {
    (void)s;
    for (size_t i = 0; i < sizeof(matrix) / sizeof(matrix[0]); i++) {
        const row_t *r = &matrix[i];
        if (td_policy(r->role, r->service, TD_ACT_READ) != r->read ||
            td_policy(r->role, r->service, TD_ACT_WRITE) != r->write)
            fail_msg("%s on %s: read %d write %d, want %d %d", r->role, r->service,
                     td_policy(r->role, r->service, TD_ACT_READ),
                     td_policy(r->role, r->service, TD_ACT_WRITE), r->read, r->write);
    }
    assert_int_equal(td_policy(NULL, "crm", TD_ACT_READ), N);
    assert_int_equal(td_policy("admin", NULL, TD_ACT_READ), N);
}

static void grants(void **s) {
    (void)s;
    const char *crm_only[] = {"crm"};
    assert_true(td_policy_granted("crm", crm_only, 1));
    assert_false(td_policy_granted("billing", crm_only, 1)); /* a crm client on billing */
    assert_true(td_policy_granted("billing", NULL, 0));      /* admins need no grant */
    assert_true(td_role_valid_tenant("client"));
    assert_false(td_role_valid_tenant("superadmin"));
    assert_false(td_role_valid_tenant(NULL));
}

/* No escalation by delegation: a scoped holder hands out only a role no
 * higher than its own and services it holds, always as an explicit list. */
static void delegation_never_escalates(void **s) {
    (void)s;
    const char *crm[] = {"crm"}, *crm_cms[] = {"crm", "cms"};
    td_grant_t root = {"superadmin", 1, NULL, 0}, admin = {"admin", 1, NULL, 0};
    td_grant_t crm_admin = {"admin", 0, crm, 1}, crm_manager = {"manager", 0, crm, 1};
    td_grant_t want_all_admin = {"admin", 1, NULL, 0}, want_crm_cms = {"manager", 0, crm_cms, 2};
    td_grant_t want_crm_client = {"client", 0, crm, 1}, want_none = {"client", 0, NULL, 0};
    assert_true(td_policy_covers(&root, &want_all_admin));
    assert_true(td_policy_covers(&admin, &want_all_admin));
    assert_true(td_policy_covers(&admin, &want_crm_cms));
    assert_false(td_policy_covers(&crm_admin, &want_all_admin)); /* unscoped: more services */
    assert_false(td_policy_covers(&crm_admin, &want_crm_cms));   /* cms not held */
    assert_true(td_policy_covers(&crm_admin, &crm_admin));       /* its equal */
    assert_true(td_policy_covers(&crm_admin, &want_crm_client));
    assert_true(td_policy_covers(&crm_admin, &want_none));
    assert_false(td_policy_covers(&crm_manager, &crm_admin));    /* a higher role */
    assert_false(td_policy_covers(&crm_admin, &root));
    td_grant_t nobody = {"owner", 1, NULL, 0};
    assert_false(td_policy_covers(&nobody, &want_none)); /* an unknown role holds nothing */
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(matrix_holds), cmocka_unit_test(grants),
                                       cmocka_unit_test(delegation_never_escalates)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
