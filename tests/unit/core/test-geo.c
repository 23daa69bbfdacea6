/* test-geo.c — unit tests of coordinate validity and haversine distance. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
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

static void test_outline(void **state)
{
    (void)state;
    char *ring, why[160];
    /* [lat, lon] pairs as they are */
    const char pairs[] = "[[34.5, 113.36], [34.5, 113.395], [34.53, 113.3951234]]";
    assert_int_equal(geo_outline_read(pairs, strlen(pairs), &ring, why, sizeof(why)), WR_OK);
    assert_string_equal(ring, "[[34.5,113.36],[34.5,113.395],[34.53,113.3951234]]");
    free(ring);
    /* GeoJSON: [lon, lat], altitude ignored, the closing point dropped, in a Feature */
    const char feature[] = "{\"type\": \"Feature\", \"geometry\": {\"type\": \"Polygon\", "
                           "\"coordinates\": [[[113.36, 34.5, 80], [113.395, 34.5], [113.395, "
                           "34.53], [113.36, 34.5, 80]]]}}";
    assert_int_equal(geo_outline_read(feature, strlen(feature), &ring, why, sizeof(why)), WR_OK);
    assert_string_equal(ring, "[[34.5,113.36],[34.5,113.395],[34.53,113.395]]");
    free(ring);
    static const char *const bad[] = {
        "[[34.5, 113.36], [34.5, 113.395]]",                 /* two points */
        "[[34.5, 113.36], [34.5, 200], [34.53, 113.395]]",   /* off the globe */
        "[[34.5, 113.36], [34.5], [34.53, 113.395]]",        /* not a pair */
        "[[34.5, 113.36], [34.5, \"1\"], [34.53, 113.395]]", /* not a number */
        "{\"type\": \"Point\", \"coordinates\": [113.36, 34.5]}",
        "{\"type\": \"Polygon\", \"coordinates\": []}",
        "[[1,1],[1,2],[1,1]]", /* closed: two points left */
        "[1, 2",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        why[0] = '\0';
        assert_int_equal(geo_outline_read(bad[i], strlen(bad[i]), &ring, why, sizeof(why)),
                         WR_EINVAL);
        assert_null(ring);
        assert_true(why[0] != '\0');
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_coords_valid),
        cmocka_unit_test(test_distance_known_values),
        cmocka_unit_test(test_distance_small_and_symmetric),
        cmocka_unit_test(test_distance_invalid_is_nan),
        cmocka_unit_test(test_outline),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
