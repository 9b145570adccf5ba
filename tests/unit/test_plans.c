/* test_plans.c — the calendar of a subscription's period
 * (catalog/plans.h: td_plan_period_end), as a data table: a month later is
 * the same day of the next month, or its last day when it has fewer
 * (Jan 31 → Feb 28, or 29 in a leap year), December rolls into January,
 * and a year later of Feb 29 is Feb 28. The time of day and its
 * milliseconds stay. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "catalog/plans.h"
#include "common/timeutil.h"

static void test_period_end(void **state) {
    (void)state;
    static const char *const cases[][3] = {
        {"2026-01-15T10:20:30.123Z", "month", "2026-02-15T10:20:30.123Z"},
        {"2026-01-31T10:00:00.000Z", "month", "2026-02-28T10:00:00.000Z"},
        {"2024-01-31T10:00:00.000Z", "month", "2024-02-29T10:00:00.000Z"},
        {"2026-03-31T23:59:59.999Z", "month", "2026-04-30T23:59:59.999Z"},
        {"2026-12-15T00:00:00.000Z", "month", "2027-01-15T00:00:00.000Z"},
        {"2026-12-31T12:00:00.000Z", "month", "2027-01-31T12:00:00.000Z"},
        {"2024-02-29T08:00:00.000Z", "year", "2025-02-28T08:00:00.000Z"},
        {"2026-07-04T08:00:00.500Z", "year", "2027-07-04T08:00:00.500Z"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int64_t start;
        char got[32];
        assert_int_equal(td_time_parse(cases[i][0], &start), 0);
        td_time_iso(td_plan_period_end(start, cases[i][1]), got, sizeof(got));
        if (strcmp(got, cases[i][2]))
            fail_msg("%s + 1 %s: expected %s, got %s", cases[i][0], cases[i][1], cases[i][2], got);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_period_end)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
