/* test-licence.c — unit tests of licence validity, reviews and calendar arithmetic. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/licence.h"

/* Times in China time (UTC+8), as Unix seconds. */
#define T_2019_01_01 1546272000 /* 2019-01-01 00:00 */
#define T_2022_01_01 1640966400
#define T_2025_01_01 1735660800
#define T_2020_02_29 1582943400 /* 2020-02-29 10:30 */
#define T_2023_02_28 1677551400 /* 2023-02-28 10:30 */
#define T_2026_02_28 1772245800 /* 2026-02-28 10:30 */

static void test_add_years(void **state)
{
    (void)state;
    assert_int_equal(licence_add_years(T_2019_01_01, 3), T_2022_01_01);
    assert_int_equal(licence_add_years(T_2019_01_01, 6), T_2025_01_01);
    assert_int_equal(licence_add_years(T_2025_01_01, -6), T_2019_01_01);
    /* A leap day moves to 28 February. */
    assert_int_equal(licence_add_years(T_2020_02_29, 3), T_2023_02_28);
    assert_int_equal(licence_add_years(T_2020_02_29, 6), T_2026_02_28);
    assert_int_equal(licence_add_years(T_2020_02_29, 4), T_2020_02_29 + 1461LL * 86400);
    /* The date is the China date: 1969-12-31 23:00 in China is 15:00 UTC the same day. */
    assert_int_equal(licence_add_years(-32400, 6), 189270000);
    /* Out of range: unchanged, so that a licence built on it is expired at once. */
    assert_int_equal(licence_add_years(INT64_MAX, 6), INT64_MAX);
    assert_int_equal(licence_add_years(INT64_MIN, 6), INT64_MIN);
    assert_int_equal(licence_add_years(253402300799 - 8 * 3600, 1), 253402300799 - 8 * 3600);
}

static void test_init(void **state)
{
    (void)state;
    licence lic;
    licence_init(&lic, LICENCE_FUSION, T_2019_01_01, false);
    assert_int_equal(lic.valid_until, T_2025_01_01);
    assert_int_equal(lic.review_due, T_2022_01_01);
    assert_int_equal(lic.status, LICENCE_ACTIVE);
    licence_init(&lic, LICENCE_FUSION, T_2019_01_01, true);
    assert_int_equal(lic.review_due, T_2025_01_01);
}

static void test_check_valid(void **state)
{
    (void)state;
    licence lic;
    licence_init(&lic, LICENCE_FUSION | LICENCE_BRAZING, T_2019_01_01, false);
    reason_list out;
    reason_list_init(&out);
    assert_true(licence_check(&lic, LICENCE_FUSION, T_2019_01_01, &out));
    assert_true(licence_check(&lic, LICENCE_BRAZING, T_2022_01_01 - 1, &out));
    assert_true(licence_check(&lic, 0, T_2022_01_01 - 1, &out));
    assert_int_equal(out.count, 0);
}

static void test_check_missing_category(void **state)
{
    (void)state;
    licence lic;
    licence_init(&lic, LICENCE_FUSION, T_2019_01_01, false);
    reason_list out;
    reason_list_init(&out);
    assert_false(licence_check(&lic, LICENCE_PRESSURE, T_2019_01_01, &out));
    assert_int_equal(out.count, 1);
    assert_int_equal(out.codes[0], REASON_LICENCE_MISSING_CATEGORY);
    reason_list_init(&out);
    assert_false(licence_check(NULL, LICENCE_FUSION, T_2019_01_01, &out));
    assert_true(reason_list_has(&out, REASON_LICENCE_MISSING_CATEGORY));
}

static void test_check_review_overdue_then_reviewed(void **state)
{
    (void)state;
    licence lic;
    licence_init(&lic, LICENCE_FUSION, T_2019_01_01, false);
    reason_list out;
    reason_list_init(&out);
    assert_false(licence_check(&lic, LICENCE_FUSION, T_2022_01_01, &out));
    assert_int_equal(out.count, 1);
    assert_int_equal(out.codes[0], REASON_LICENCE_REVIEW_OVERDUE);
    licence_mark_reviewed(&lic);
    assert_int_equal(lic.review_due, T_2025_01_01);
    reason_list_init(&out);
    assert_true(licence_check(&lic, LICENCE_FUSION, T_2022_01_01, &out));
    /* A second review never moves past the expiry. */
    licence_mark_reviewed(&lic);
    assert_int_equal(lic.review_due, T_2025_01_01);
}

static void test_check_long_review(void **state)
{
    (void)state;
    licence lic;
    licence_init(&lic, LICENCE_FUSION, T_2019_01_01, true);
    reason_list out;
    reason_list_init(&out);
    assert_true(licence_check(&lic, LICENCE_FUSION, T_2025_01_01 - 1, &out));
}

static void test_check_expired_and_revoked(void **state)
{
    (void)state;
    licence lic;
    licence_init(&lic, LICENCE_FUSION, T_2019_01_01, true);
    reason_list out;
    reason_list_init(&out);
    assert_false(licence_check(&lic, LICENCE_FUSION, T_2025_01_01, &out));
    assert_int_equal(out.count, 1);
    assert_int_equal(out.codes[0], REASON_LICENCE_EXPIRED);
    /* Every failure is reported, not only the first. */
    lic.status = LICENCE_REVOKED;
    reason_list_init(&out);
    assert_false(licence_check(&lic, LICENCE_PRESSURE, T_2025_01_01, &out));
    assert_int_equal(out.count, 3);
    assert_true(reason_list_has(&out, REASON_LICENCE_MISSING_CATEGORY));
    assert_true(reason_list_has(&out, REASON_LICENCE_REVOKED));
    assert_true(reason_list_has(&out, REASON_LICENCE_EXPIRED));
    reason_list_init(&out);
    assert_false(licence_check(&lic, LICENCE_FUSION, T_2019_01_01, &out));
    assert_int_equal(out.codes[0], REASON_LICENCE_REVOKED);
}

/* "Valid until 2027-06-30" is valid through the last second of that day in China, and no
 * longer at the next one, whatever the time zone of the machine that checks it. */
#define DAY_2027_06_30    20999      /* days since 1970-01-01 */
#define T_2027_06_30_LAST 1814371199 /* 2027-06-30 23:59:59 China time */

static void test_valid_until_day(void **state)
{
    (void)state;
    assert_int_equal(licence_day_end(DAY_2027_06_30), T_2027_06_30_LAST + 1);
    licence lic;
    licence_init(&lic, LICENCE_FUSION, T_2025_01_01, true);
    lic.valid_until = licence_day_end(DAY_2027_06_30);
    reason_list out;
    reason_list_init(&out);
    assert_true(licence_check(&lic, LICENCE_FUSION, T_2027_06_30_LAST, &out));
    assert_false(licence_check(&lic, LICENCE_FUSION, T_2027_06_30_LAST + 1, &out));
    assert_int_equal(out.count, 1);
    assert_int_equal(out.codes[0], REASON_LICENCE_EXPIRED);
    /* and back: the day an end belongs to; an instant that ends no day has none */
    int64_t day = 0;
    assert_true(licence_day_of_end(T_2027_06_30_LAST + 1, &day));
    assert_int_equal(day, DAY_2027_06_30);
    assert_false(licence_day_of_end(T_2027_06_30_LAST, &day));
    assert_false(licence_day_of_end(T_2027_06_30_LAST + 1 + 8 * 3600, &day));
    assert_int_equal(day, DAY_2027_06_30);
    /* before 1970 too: 1969-12-31 ends at 1969-12-31T16:00:00Z */
    assert_int_equal(licence_day_end(-1), -28800);
    assert_true(licence_day_of_end(-28800, &day));
    assert_int_equal(day, -1);
}

static void test_category_names(void **state)
{
    (void)state;
    licence_category c = 0;
    assert_string_equal(licence_category_name(LICENCE_PRESSURE), "pressure");
    assert_string_equal(licence_category_name(LICENCE_CATEGORIES_ALL), "unknown");
    assert_true(licence_category_from_name("brazing", 7, &c));
    assert_int_equal(c, LICENCE_BRAZING);
    assert_false(licence_category_from_name("braz", 4, &c));
    assert_false(licence_category_from_name(NULL, 0, &c));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_years),
        cmocka_unit_test(test_init),
        cmocka_unit_test(test_check_valid),
        cmocka_unit_test(test_check_missing_category),
        cmocka_unit_test(test_check_review_overdue_then_reviewed),
        cmocka_unit_test(test_check_long_review),
        cmocka_unit_test(test_check_expired_and_revoked),
        cmocka_unit_test(test_valid_until_day),
        cmocka_unit_test(test_category_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
