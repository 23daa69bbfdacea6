/* test-geo.c — unit tests of coordinate validity and haversine distance. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>

#include <cmocka.h>

#include "core/geo.h"

static void test_coords_valid(void **state)
{
    (void)state;
    assert_true(geo_coords_valid(0, 0));
    assert_true(geo_coords_valid(90, 180));
    assert_true(geo_coords_valid(-90, -180));
    assert_true(geo_coords_valid(36.6512, 117.1201));
    assert_false(geo_coords_valid(90.0001, 0));
    assert_false(geo_coords_valid(-90.0001, 0));
    assert_false(geo_coords_valid(0, 180.0001));
    assert_false(geo_coords_valid(0, -180.0001));
    assert_false(geo_coords_valid(NAN, 0));
    assert_false(geo_coords_valid(0, INFINITY));
    assert_false(geo_coords_valid(-INFINITY, 0));
}

static void test_distance_known_values(void **state)
{
    (void)state;
    /* One degree of arc on the mean sphere is 2 * pi * R / 360 = 111195.08 m. */
    assert_float_equal(geo_distance_m(0, 0, 1, 0), 111195.08, 0.01);
    assert_float_equal(geo_distance_m(0, 0, 0, 1), 111195.08, 0.01);
    /* Along a parallel at 60 degrees a degree of longitude is about half as long (slightly
     * less: the great circle is a hair shorter than the parallel). */
    assert_float_equal(geo_distance_m(60, 0, 60, 1), 55597.54, 1.0);
    /* Antipodes: half the circumference, no NaN from rounding. */
    assert_float_equal(geo_distance_m(0, 0, 0, 180), geo_distance_m(90, 0, -90, 0), 1e-6);
    assert_float_equal(geo_distance_m(0, 0, 0, 180), 20015114.35, 0.1);
    assert_float_equal(geo_distance_m(36.6512, 117.1201, 36.6512, 117.1201), 0.0, 0.0);
    /* Jinan to Beijing (city centres) is about 365 km. */
    double d = geo_distance_m(36.6512, 117.1201, 39.9042, 116.4074);
    assert_true(d > 360000 && d < 370000);
}

static void test_distance_small_and_symmetric(void **state)
{
    (void)state;
    /* 0.00009 degrees of latitude is just over 10 m: the scale of a permit radius. */
    double d = geo_distance_m(36.0, 117.0, 36.00009, 117.0);
    assert_float_equal(d, 10.0076, 0.001);
    assert_float_equal(geo_distance_m(36.00009, 117.0, 36.0, 117.0), d, 1e-9);
    /* Across the antimeridian the short way round is taken. */
    assert_float_equal(geo_distance_m(0, 179.9995, 0, -179.9995), 111.195, 0.01);
}

static void test_distance_invalid_is_nan(void **state)
{
    (void)state;
    assert_true(isnan(geo_distance_m(91, 0, 0, 0)));
    assert_true(isnan(geo_distance_m(0, 0, 0, 181)));
    assert_true(isnan(geo_distance_m(NAN, 0, 0, 0)));
    assert_false(geo_distance_m(0, 0, NAN, 0) <= 10.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_coords_valid),
        cmocka_unit_test(test_distance_known_values),
        cmocka_unit_test(test_distance_small_and_symmetric),
        cmocka_unit_test(test_distance_invalid_is_nan),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
