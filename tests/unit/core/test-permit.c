/* test-permit.c — unit tests of hot-work permit rules (GB 30871-2022). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>

#include <cmocka.h>

#include "core/permit.h"

#define T_0900   1717376400 /* 2024-06-03 09:00 China time, a Monday */
#define T_2159   1717423140
#define T_2200   1717423200
#define T_0559   1717451940 /* 2024-06-04 05:59 */
#define T_0600   1717452000
#define HOUR     3600
#define SITE_LAT 36.0
#define SITE_LON 117.0
/* 0.00008 degrees of latitude is 8.9 m: inside the default radius. */
#define NEAR_DLAT 0.00008

static const int64_t welders[] = {101, 102};
static const int64_t machines[] = {7, 8};

static permit make_permit(void)
{
    permit p;
    permit_init(&p);
    p.id = 1;
    p.enterprise_id = 50;
    p.level = PERMIT_FIRST;
    p.start = T_0900;
    p.end = T_0900 + 8 * HOUR;
    p.has_site = true;
    p.lat = SITE_LAT;
    p.lon = SITE_LON;
    p.has_gas_analysis = true;
    p.gas_analysis_at = T_0900 - 600;
    p.welders = welders;
    p.welder_count = 2;
    p.machines = machines;
    p.machine_count = 2;
    return p;
}

static permit_scan make_scan(void)
{
    return (permit_scan){.welder_id = 102,
                         .machine_id = 8,
                         .time = T_0900 + 60,
                         .has_position = true,
                         .lat = SITE_LAT + NEAR_DLAT,
                         .lon = SITE_LON};
}

static void test_init_defaults(void **state)
{
    (void)state;
    permit p;
    permit_init(&p);
    assert_int_equal(p.status, PERMIT_APPROVED);
    assert_float_equal(p.radius_m, PERMIT_DEFAULT_RADIUS_M, 0);
    assert_false(p.has_site);
    assert_false(p.any_machine);
    assert_int_equal(p.welder_count, 0);
}

static void test_window(void **state)
{
    (void)state;
    assert_true(permit_window_ok(PERMIT_SPECIAL, T_0900, T_0900 + 8 * HOUR));
    assert_false(permit_window_ok(PERMIT_SPECIAL, T_0900, T_0900 + 8 * HOUR + 1));
    assert_true(permit_window_ok(PERMIT_FIRST, T_0900, T_0900 + 8 * HOUR));
    assert_false(permit_window_ok(PERMIT_FIRST, T_0900, T_0900 + 8 * HOUR + 1));
    assert_true(permit_window_ok(PERMIT_SECOND, T_0900, T_0900 + 72 * HOUR));
    assert_false(permit_window_ok(PERMIT_SECOND, T_0900, T_0900 + 72 * HOUR + 1));
    assert_false(permit_window_ok(PERMIT_SECOND, T_0900, T_0900));
    assert_false(permit_window_ok(PERMIT_SECOND, T_0900, T_0900 - 1));
    assert_false(permit_window_ok((permit_level)3, T_0900, T_0900 + 1));
    assert_false(permit_window_ok(PERMIT_SECOND, INT64_MIN, INT64_MAX));
    assert_true(permit_window_ok(PERMIT_SECOND, INT64_MAX - 1, INT64_MAX));
    /* an extension: later than the current end, the whole window within the level's limit */
    assert_true(permit_extension_ok(PERMIT_FIRST, T_0900, T_0900 + 4 * HOUR, T_0900 + 8 * HOUR));
    assert_false(
        permit_extension_ok(PERMIT_FIRST, T_0900, T_0900 + 4 * HOUR, T_0900 + 8 * HOUR + 1));
    assert_false(permit_extension_ok(PERMIT_SPECIAL, T_0900, T_0900 + 4 * HOUR, T_0900 + 9 * HOUR));
    assert_true(permit_extension_ok(PERMIT_SECOND, T_0900, T_0900 + 8 * HOUR, T_0900 + 72 * HOUR));
    assert_false(permit_extension_ok(PERMIT_SECOND, T_0900, T_0900 + 8 * HOUR, T_0900 + 8 * HOUR));
    assert_false(permit_extension_ok(PERMIT_SECOND, T_0900, T_0900 + 8 * HOUR, T_0900 + HOUR));
}

static void test_night_and_effective_level(void **state)
{
    (void)state;
    assert_false(permit_is_night(T_0900));
    assert_false(permit_is_night(T_2159));
    assert_true(permit_is_night(T_2200));
    assert_true(permit_is_night(T_0559));
    assert_false(permit_is_night(T_0600));
    assert_true(permit_is_night(-30600)); /* 1969-12-31 23:30 China time */
    assert_false(permit_is_night(INT64_MIN));
    assert_int_equal(permit_effective_level(PERMIT_SECOND, T_0900, false), PERMIT_SECOND);
    assert_int_equal(permit_effective_level(PERMIT_SECOND, T_0900, true), PERMIT_FIRST);
    assert_int_equal(permit_effective_level(PERMIT_SECOND, T_2200, false), PERMIT_FIRST);
    /* Night and rest day together still raise one step only. */
    assert_int_equal(permit_effective_level(PERMIT_FIRST, T_2200, true), PERMIT_SPECIAL);
    assert_int_equal(permit_effective_level(PERMIT_SPECIAL, T_2200, true), PERMIT_SPECIAL);
    /* A 72 h second-level window starting at night is too long once raised. */
    permit_level raised = permit_effective_level(PERMIT_SECOND, T_2200, false);
    assert_false(permit_window_ok(raised, T_2200, T_2200 + 72 * HOUR));
    assert_string_equal(permit_level_name(raised), "first");
    assert_string_equal(permit_level_name((permit_level)9), "unknown");
    /* names back to levels: the three, nothing else */
    permit_level l = PERMIT_SECOND;
    assert_true(permit_level_from_name("special", &l));
    assert_int_equal(l, PERMIT_SPECIAL);
    assert_true(permit_level_from_name("first", &l));
    assert_int_equal(l, PERMIT_FIRST);
    assert_false(permit_level_from_name("unknown", &l));
    assert_false(permit_level_from_name("First", &l));
    assert_false(permit_level_from_name(NULL, &l));
    assert_int_equal(l, PERMIT_FIRST);
}

/* Rest days: the calendar's list, else weekends, by the China day. */
static void test_rest_days(void **state)
{
    (void)state;
    /* T_0900 is Monday 2024-06-03, 09:00 China time */
    int64_t monday = permit_china_day(T_0900);
    assert_int_equal(monday, 19877);
    assert_int_equal(permit_china_day(T_0900 - 9 * HOUR), monday); /* 00:00 China */
    assert_int_equal(permit_china_day(T_0900 - 9 * HOUR - 1), monday - 1);
    assert_false(permit_is_rest_day(NULL, T_0900));
    assert_true(permit_is_rest_day(NULL, T_0900 - 2 * 24 * HOUR)); /* Saturday */
    assert_true(permit_is_rest_day(NULL, T_0900 - 24 * HOUR));     /* Sunday */
    assert_true(permit_is_rest_day(NULL, T_0900 - 9 * HOUR - 1));  /* Sunday 23:59:59 */
    /* Dragon Boat Festival 2024: Monday 06-10 a holiday; a Sunday listed as a working day */
    const int64_t days[] = {monday - 1, monday + 7};
    const bool rest[] = {false, true};
    const permit_calendar cal = {.days = days, .rest = rest, .count = 2};
    assert_false(permit_is_rest_day(&cal, T_0900 - 24 * HOUR));
    assert_true(permit_is_rest_day(&cal, T_0900 + 7 * 24 * HOUR));
    assert_false(permit_is_rest_day(&cal, T_0900));
    assert_true(permit_is_rest_day(&cal, T_0900 - 2 * 24 * HOUR));
    /* the raised level on a holiday by day: a second-level permit may last 8 h, not 72 */
    permit_level raised = permit_effective_level(PERMIT_SECOND, T_0900 + 7 * 24 * HOUR,
                                                 permit_is_rest_day(&cal, T_0900 + 7 * 24 * HOUR));
    assert_int_equal(raised, PERMIT_FIRST);
    assert_false(permit_window_ok(raised, T_0900, T_0900 + 9 * HOUR));
    assert_int_equal(permit_china_day(INT64_MAX), INT64_MAX / 86400);
    assert_int_equal(permit_china_day(INT64_MIN), INT64_MIN / 86400 - 1);
}

static void test_gas_freshness(void **state)
{
    (void)state;
    permit p = make_permit();
    p.gas_analysis_at = T_0900;
    assert_true(permit_gas_fresh(&p, T_0900));
    assert_true(permit_gas_fresh(&p, T_0900 + 30 * 60));
    assert_false(permit_gas_fresh(&p, T_0900 + 30 * 60 + 1));
    assert_false(permit_gas_fresh(&p, T_0900 - 1));
    p.has_gas_analysis = false;
    assert_false(permit_gas_fresh(&p, T_0900));
    p.has_gas_analysis = true;
    p.gas_analysis_at = INT64_MIN;
    assert_false(permit_gas_fresh(&p, INT64_MAX));
}

static void test_check_ok(void **state)
{
    (void)state;
    permit p = make_permit();
    permit_scan scan = make_scan();
    reason_list out;
    reason_list_init(&out);
    assert_true(permit_check(&p, &scan, &out));
    assert_int_equal(out.count, 0);
    /* Any machine of the enterprise; no site recorded, so no position needed. */
    p.any_machine = true;
    p.has_site = false;
    scan.machine_id = 999;
    scan.has_position = false;
    assert_true(permit_check(&p, &scan, &out));
}

static void expect_only(const permit *p, const permit_scan *scan, reason_code code)
{
    reason_list out;
    reason_list_init(&out);
    assert_false(permit_check(p, scan, &out));
    assert_int_equal(out.count, 1);
    assert_string_equal(reason_name(out.codes[0]), reason_name(code));
}

static void test_check_each_reason(void **state)
{
    (void)state;
    permit p = make_permit();
    permit_scan scan = make_scan();
    p.status = PERMIT_CANCELLED;
    expect_only(&p, &scan, REASON_PERMIT_NONE);
    p = make_permit();
    scan.time = T_0900 - 1;
    p.gas_analysis_at = T_0900 - 60;
    expect_only(&p, &scan, REASON_PERMIT_OUTSIDE_WINDOW);
    p = make_permit();
    scan = make_scan();
    scan.time = p.end; /* the end itself is outside */
    p.gas_analysis_at = p.end - 60;
    expect_only(&p, &scan, REASON_PERMIT_OUTSIDE_WINDOW);
    p = make_permit();
    scan = make_scan();
    scan.welder_id = 103;
    expect_only(&p, &scan, REASON_PERMIT_WELDER_NOT_LISTED);
    scan = make_scan();
    scan.machine_id = 9;
    expect_only(&p, &scan, REASON_PERMIT_MACHINE_NOT_LISTED);
    scan = make_scan();
    scan.time = p.gas_analysis_at + 30 * 60 + 1;
    expect_only(&p, &scan, REASON_GAS_ANALYSIS_STALE);
    scan = make_scan();
    scan.has_position = false;
    expect_only(&p, &scan, REASON_POSITION_MISSING);
    scan = make_scan();
    scan.lat = SITE_LAT + 0.00009; /* 10.008 m */
    expect_only(&p, &scan, REASON_PERMIT_OUTSIDE_RADIUS);
    p.radius_m = 50.0;
    reason_list out;
    reason_list_init(&out);
    assert_true(permit_check(&p, &scan, &out));
    /* A bad radius falls back to 10 m; a bad position is outside. */
    p.radius_m = NAN;
    expect_only(&p, &scan, REASON_PERMIT_OUTSIDE_RADIUS);
    p.radius_m = 0;
    expect_only(&p, &scan, REASON_PERMIT_OUTSIDE_RADIUS);
    p = make_permit();
    scan = make_scan();
    scan.lat = NAN;
    expect_only(&p, &scan, REASON_PERMIT_OUTSIDE_RADIUS);
}

static void test_check_reports_all(void **state)
{
    (void)state;
    permit p = make_permit();
    p.welders = NULL;
    p.machine_count = 0;
    p.has_gas_analysis = false;
    permit_scan scan = make_scan();
    scan.time = p.end + HOUR;
    scan.lat = SITE_LAT + 1;
    reason_list out;
    reason_list_init(&out);
    assert_false(permit_check(&p, &scan, &out));
    assert_int_equal(out.count, 5);
    assert_true(reason_list_has(&out, REASON_PERMIT_OUTSIDE_WINDOW));
    assert_true(reason_list_has(&out, REASON_PERMIT_WELDER_NOT_LISTED));
    assert_true(reason_list_has(&out, REASON_PERMIT_MACHINE_NOT_LISTED));
    assert_true(reason_list_has(&out, REASON_GAS_ANALYSIS_STALE));
    assert_true(reason_list_has(&out, REASON_PERMIT_OUTSIDE_RADIUS));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_defaults),
        cmocka_unit_test(test_window),
        cmocka_unit_test(test_night_and_effective_level),
        cmocka_unit_test(test_rest_days),
        cmocka_unit_test(test_gas_freshness),
        cmocka_unit_test(test_check_ok),
        cmocka_unit_test(test_check_each_reason),
        cmocka_unit_test(test_check_reports_all),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
