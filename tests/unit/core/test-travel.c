/* test-travel.c — unit tests of the impossible-travel rule (a copied welder code). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/travel.h"

/* Xinmi and Zhengzhou, about 35 km apart. */
static const travel_fix xinmi = {34.539, 113.387, 1000000};

static travel_fix zhengzhou_after(int64_t seconds)
{
    return (travel_fix){34.747, 113.625, xinmi.at + seconds};
}

static void test_too_far_too_soon(void **state)
{
    (void)state;
    travel_check c;
    travel_fix b = zhengzhou_after(600); /* 10 minutes: 20 km at 120 km/h, plus 1 km */
    assert_true(travel_impossible(&xinmi, &b, NULL, &c));
    assert_true(c.distance_m > 30000 && c.distance_m < 33000);
    assert_int_equal(c.elapsed_s, 600);
    assert_true(fabs(c.allowed_m - 21000) < 1);
}

static void test_time_enough(void **state)
{
    (void)state;
    travel_fix b = zhengzhou_after(3600); /* an hour: 121 km allowed */
    assert_false(travel_impossible(&xinmi, &b, NULL, NULL));
    travel_fix late = zhengzhou_after(-3600); /* the order of the fixes does not matter */
    assert_false(travel_impossible(&xinmi, &late, NULL, NULL));
}

static void test_limits_and_slack(void **state)
{
    (void)state;
    travel_fix near = {xinmi.lat + 0.005, xinmi.lon, xinmi.at}; /* about 556 m, same second */
    assert_false(travel_impossible(&xinmi, &near, NULL, NULL)); /* within the default slack */
    travel_limits strict = {.speed_kmh = 120, .slack_m = 0};
    assert_true(travel_impossible(&xinmi, &near, &strict, NULL));
    travel_limits slow = {.speed_kmh = 30, .slack_m = 1000};
    travel_fix b = zhengzhou_after(3600);
    assert_true(travel_impossible(&xinmi, &b, &slow, NULL)); /* 31 km allowed */
    travel_limits bad = {.speed_kmh = NAN, .slack_m = -5};
    assert_false(travel_impossible(&xinmi, &near, &bad, NULL)); /* defaults */
}

static void test_invalid_positions(void **state)
{
    (void)state;
    travel_fix nowhere = {91, 0, xinmi.at};
    assert_false(travel_impossible(&xinmi, &nowhere, NULL, NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_too_far_too_soon),
        cmocka_unit_test(test_time_enough),
        cmocka_unit_test(test_limits_and_slack),
        cmocka_unit_test(test_invalid_positions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
