/* test_ratelimit.c — login limits: free failures, doubling delays capped at
 * 15 minutes, at most 100 failures an hour, reset on success, keys apart. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "auth/ratelimit.h"

static void delays_double(void **s) {
    (void)s;
    td_limiter_t *l = td_limiter_new(5, 100);
    int64_t t = 1000;
    for (int i = 0; i < 5; i++)
        td_limiter_fail(l, "acct:a", t);
    assert_int_equal(td_limiter_wait(l, "acct:a", t), 0); /* five are free */
    td_limiter_fail(l, "acct:a", t);
    assert_int_equal(td_limiter_wait(l, "acct:a", t), 1);
    td_limiter_fail(l, "acct:a", t += 1);
    assert_int_equal(td_limiter_wait(l, "acct:a", t), 2);
    td_limiter_fail(l, "acct:a", t += 2);
    assert_int_equal(td_limiter_wait(l, "acct:a", t), 4);
    for (int i = 0; i < 20; i++)
        td_limiter_fail(l, "acct:a", t);
    assert_int_equal(td_limiter_wait(l, "acct:a", t), 900); /* capped */
    assert_int_equal(td_limiter_wait(l, "acct:b", t), 0);   /* keys apart */
    td_limiter_reset(l, "acct:a");
    assert_int_equal(td_limiter_wait(l, "acct:a", t), 0);
    td_limiter_free(l);
}

static void hourly_cap(void **s) {
    (void)s;
    td_limiter_t *l = td_limiter_new(1000, 100); /* no delays: only the cap */
    int64_t t = 5000;
    for (int i = 0; i < 99; i++)
        td_limiter_fail(l, "acct:x", t + i);
    assert_int_equal(td_limiter_wait(l, "acct:x", t + 99), 0);
    td_limiter_fail(l, "acct:x", t + 99);
    /* the 100th failure closes the account until the hour is over */
    assert_int_equal(td_limiter_wait(l, "acct:x", t + 100), 3600 - 100);
    assert_int_equal(td_limiter_wait(l, "acct:x", t + 3600), 0);
    td_limiter_free(l);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(delays_double), cmocka_unit_test(hourly_cap)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
