/* test-server-log.c — the log's rate limit: at most one line a second, the rest counted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "server/loop/log.h"

static void test_limit_first_line_passes(void **state)
{
    (void)state;
    log_limit limit = {0};
    unsigned long held = 99;
    assert_true(log_limit_pass(&limit, 5000, &held));
    assert_int_equal(held, 0);
}

static void test_limit_holds_back_and_counts(void **state)
{
    (void)state;
    log_limit limit = {0};
    unsigned long held;
    assert_true(log_limit_pass(&limit, 1000, &held));
    /* a flood within the second: held back, counted */
    for (int i = 0; i < 500; i++)
        assert_false(log_limit_pass(&limit, 1000 + i, &held));
    assert_false(log_limit_pass(&limit, 1999, &held));
    /* a second later: the next line says how many were held back, and the count restarts */
    assert_true(log_limit_pass(&limit, 2000, &held));
    assert_int_equal(held, 501);
    assert_false(log_limit_pass(&limit, 2500, &held));
    assert_true(log_limit_pass(&limit, 60000, &held));
    assert_int_equal(held, 1);
    assert_true(log_limit_pass(&limit, 61000, &held));
    assert_int_equal(held, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_limit_first_line_passes),
        cmocka_unit_test(test_limit_holds_back_and_counts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
