/* test_throttle.c — request rate limits (api/throttle.h): a bucket bursts
 * to its limit, then refills at the limit's pace however often it is
 * asked (a slow limit loses no fraction), tells Retry-After and the reset;
 * a lower limit for the same key keeps no more than it allows; full
 * buckets make room for new keys, busy ones are never dropped. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <cmocka.h>

#include "api/throttle.h"

static void burst_then_pace(void **s) {
    (void)s;
    td_throttle_t *t = td_throttle_new(1000);
    td_throttle_state_t st;
    int64_t now = 5000;
    for (int i = 0; i < 60; i++)
        assert_true(td_throttle_take(t, "t:a", 60, now, 1, &st));
    assert_int_equal(st.remaining, 0);
    assert_int_equal(st.reset_s, 60);
    assert_false(td_throttle_take(t, "t:a", 60, now, 1, &st));
    assert_int_equal(st.retry_after, 1);
    assert_true(td_throttle_take(t, "t:b", 60, now, 1, &st)); /* keys apart */
    assert_false(td_throttle_take(t, "t:a", 60, now + 999, 1, &st));
    assert_true(td_throttle_take(t, "t:a", 60, now + 1000, 1, &st)); /* one a second */
    assert_false(td_throttle_take(t, "t:a", 60, now + 1000, 1, &st));
    td_throttle_free(t);
}

/* 1 a minute asked every millisecond: the minute's one comes on time. */
static void slow_limit_exact(void **s) {
    (void)s;
    td_throttle_t *t = td_throttle_new(1000);
    td_throttle_state_t st;
    assert_true(td_throttle_take(t, "k:slow", 1, 0, 1, &st));
    int64_t when = -1;
    for (int64_t ms = 1; ms <= 61000 && when < 0; ms++)
        if (td_throttle_take(t, "k:slow", 1, ms, 1, &st))
            when = ms;
    assert_int_equal(when, 60000);
    assert_false(td_throttle_take(t, "k:slow", 1, 60001, 1, &st));
    assert_int_equal(st.retry_after, 60);
    td_throttle_free(t);
}

static void lower_limit_keeps_less(void **s) {
    (void)s;
    td_throttle_t *t = td_throttle_new(1000);
    td_throttle_state_t st;
    assert_true(td_throttle_take(t, "t:p", 1000, 0, 1, &st));
    assert_true(td_throttle_take(t, "t:p", 10, 0, 1, &st)); /* the plan went down */
    assert_int_equal(st.remaining, 9);
    assert_int_equal(st.limit, 10);
    td_throttle_free(t);
}

/* 64 keys fit (one a stripe at this size); full buckets make room, and
 * when every bucket is busy a new key passes untracked. */
static void room(void **s) {
    (void)s;
    td_throttle_t *t = td_throttle_new(64);
    td_throttle_state_t st;
    char key[32];
    for (int i = 0; i < 5000; i++) { /* busy buckets: each took one of 1 */
        snprintf(key, sizeof(key), "a:%d", i);
        assert_true(td_throttle_take(t, key, 1, 0, 1, &st));
    }
    td_throttle_stats_t ts;
    td_throttle_stats(t, &ts);
    assert_true(ts.keys <= 64);
    assert_true(ts.untracked >= 5000 - 64);
    /* a minute later every bucket is full again: new keys find room */
    for (int i = 0; i < 5000; i++) {
        snprintf(key, sizeof(key), "b:%d", i);
        td_throttle_take(t, key, 1, 61000, 1, &st);
    }
    td_throttle_stats_t after;
    td_throttle_stats(t, &after);
    assert_true(after.keys <= 64);
    assert_true(after.untracked - ts.untracked < 5000); /* some were tracked */
    td_throttle_free(t);
}

/* Addresses (priority 0) filling every bucket never push a tenant's
 * (priority 1) out: the tenant's bucket takes an address's room and
 * limits; a new address meanwhile passes untracked. */
static void addresses_yield(void **s) {
    (void)s;
    td_throttle_t *t = td_throttle_new(64);
    td_throttle_state_t st;
    char key[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(key, sizeof(key), "a:%d", i);
        td_throttle_take(t, key, 1, 0, 0, &st);
    }
    assert_true(td_throttle_take(t, "t:tenant", 1, 0, 1, &st));
    assert_false(td_throttle_take(t, "t:tenant", 1, 0, 1, &st)); /* tracked: limited */
    td_throttle_stats_t a, b;
    td_throttle_stats(t, &a);
    assert_true(td_throttle_take(t, "a:new", 1, 0, 0, &st));
    td_throttle_stats(t, &b);
    assert_true(b.keys <= 64);
    td_throttle_free(t);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(burst_then_pace),
        cmocka_unit_test(slow_limit_exact),
        cmocka_unit_test(lower_limit_keeps_less),
        cmocka_unit_test(room),
        cmocka_unit_test(addresses_yield),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
