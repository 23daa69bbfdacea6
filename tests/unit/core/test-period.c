/* test-period.c — unit tests of reporting periods: months, quarters, day ranges, and the
 * instants of China midnight they start and end at. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/period.h"
#include "core/registry_rules.h"

/* Checks that @p p runs from @p first to @p last (YYYY-MM-DD). */
static void assert_period(const period *p, const char *first, const char *last)
{
    char a[RULES_DATE_SIZE], b[RULES_DATE_SIZE];
    rules_format_date(p->first_day, a);
    rules_format_date(p->last_day, b);
    assert_string_equal(a, first);
    assert_string_equal(b, last);
}

static void test_month(void **state)
{
    (void)state;
    period p;
    char why[PERIOD_WHY_SIZE];
    assert_int_equal(period_month("2026-11", &p, why, sizeof(why)), WR_OK);
    assert_period(&p, "2026-11-01", "2026-11-30");
    assert_int_equal(period_month("2024-02", &p, why, sizeof(why)), WR_OK);
    assert_period(&p, "2024-02-01", "2024-02-29");
    assert_int_equal(period_month("2100-02", &p, why, sizeof(why)), WR_OK);
    assert_period(&p, "2100-02-01", "2100-02-28");
    assert_int_equal(period_month("2026-12", &p, why, sizeof(why)), WR_OK);
    assert_period(&p, "2026-12-01", "2026-12-31");
}

static void test_month_errors(void **state)
{
    (void)state;
    period p = {7, 8};
    char why[PERIOD_WHY_SIZE];
    assert_int_equal(period_month("2026-13", &p, why, sizeof(why)), WR_EINVAL);
    assert_string_equal(why, "month \"2026-13\": no such month");
    assert_int_equal(period_month("2026-00", &p, why, sizeof(why)), WR_EINVAL);
    assert_int_equal(period_month("2026-1", &p, why, sizeof(why)), WR_EINVAL);
    assert_string_equal(why, "month \"2026-1\": expected YYYY-MM");
    assert_int_equal(period_month("2026/11", &p, why, sizeof(why)), WR_EINVAL);
    assert_int_equal(period_month("1899-12", &p, why, sizeof(why)), WR_EINVAL);
    assert_int_equal(period_month("20x6-11", &p, why, sizeof(why)), WR_EINVAL);
    assert_int_equal(period_month(NULL, &p, why, sizeof(why)), WR_EINVAL);
    assert_int_equal(p.first_day, 7); /* untouched on error */
    assert_int_equal(p.last_day, 8);
}

static void test_quarter(void **state)
{
    (void)state;
    period p;
    char why[PERIOD_WHY_SIZE];
    assert_int_equal(period_quarter("2026-Q1", &p, why, sizeof(why)), WR_OK);
    assert_period(&p, "2026-01-01", "2026-03-31");
    assert_int_equal(period_quarter("2024-q1", &p, why, sizeof(why)), WR_OK);
    assert_period(&p, "2024-01-01", "2024-03-31");
    assert_int_equal(period_quarter("2026-Q3", &p, why, sizeof(why)), WR_OK);
    assert_period(&p, "2026-07-01", "2026-09-30");
    assert_int_equal(period_quarter("2026-Q4", &p, why, sizeof(why)), WR_OK);
    assert_period(&p, "2026-10-01", "2026-12-31");
    assert_int_equal(period_quarter("2026-Q5", &p, why, sizeof(why)), WR_EINVAL);
    assert_string_equal(why, "quarter \"2026-Q5\": expected YYYY-Qn with n from 1 to 4");
    assert_int_equal(period_quarter("2026-Q0", &p, why, sizeof(why)), WR_EINVAL);
    assert_int_equal(period_quarter("2026Q1", &p, why, sizeof(why)), WR_EINVAL);
    assert_int_equal(period_quarter("2026-Q12", &p, why, sizeof(why)), WR_EINVAL);
}

static void test_calendar_year(void **state)
{
    (void)state;
    period p;
    char why[PERIOD_WHY_SIZE];
    assert_int_equal(period_calendar_year("2025", &p, why, sizeof(why)), WR_OK);
    assert_period(&p, "2025-01-01", "2025-12-31");
    assert_int_equal(period_calendar_year("2024", &p, why, sizeof(why)), WR_OK);
    assert_int_equal(p.last_day - p.first_day, 365); /* a leap year */
    assert_int_equal(period_calendar_year("25", &p, why, sizeof(why)), WR_EINVAL);
    assert_string_equal(why, "year \"25\": expected YYYY");
    assert_int_equal(period_calendar_year("2025-01", &p, why, sizeof(why)), WR_EINVAL);
    assert_int_equal(period_calendar_year(NULL, &p, why, sizeof(why)), WR_EINVAL);
}

static void test_days(void **state)
{
    (void)state;
    period p = period_month_of(1795881600); /* 2026-11-28T16:00:00Z = 2026-11-29 00:00 +08 */
    char why[PERIOD_WHY_SIZE];
    assert_period(&p, "2026-11-01", "2026-11-30");
    assert_int_equal(period_days("2026-10-15", "", &p, why, sizeof(why)), WR_OK);
    assert_period(&p, "2026-10-15", "2026-11-30");
    assert_int_equal(period_days(NULL, "2026-10-20", &p, why, sizeof(why)), WR_OK);
    assert_period(&p, "2026-10-15", "2026-10-20");
    assert_int_equal(period_days("2026-10-20", "2026-10-20", &p, why, sizeof(why)), WR_OK);
    assert_period(&p, "2026-10-20", "2026-10-20");
    assert_int_equal(period_days("2026-10-21", "2026-10-20", &p, why, sizeof(why)), WR_EINVAL);
    assert_string_equal(why, "\"to\": the period ends before it starts");
    assert_int_equal(period_days("2026-02-30", NULL, &p, why, sizeof(why)), WR_EINVAL);
    assert_string_equal(why, "\"from\": expected a date YYYY-MM-DD, not \"2026-02-30\"");
    assert_int_equal(period_days(NULL, "tomorrow", &p, why, sizeof(why)), WR_EINVAL);
    assert_string_equal(why, "\"to\": expected a date YYYY-MM-DD, not \"tomorrow\"");
    assert_period(&p, "2026-10-20", "2026-10-20"); /* untouched on error */
}

static void test_month_of_china_calendar(void **state)
{
    (void)state;
    /* 2026-11-30T15:59:59Z is the last second of November in China, the next one December */
    period p = period_month_of(1796054399);
    assert_period(&p, "2026-11-01", "2026-11-30");
    p = period_month_of(1796054400);
    assert_period(&p, "2026-12-01", "2026-12-31");
    p = period_month_of(-1); /* 1970-01-01 07:59:59 in China */
    assert_period(&p, "1970-01-01", "1970-01-31");
}

static void test_instants(void **state)
{
    (void)state;
    period p;
    char why[PERIOD_WHY_SIZE];
    assert_int_equal(period_days("2026-11-01", "2026-11-30", &p, why, sizeof(why)), WR_OK);
    assert_int_equal(period_start(&p), 1793462400); /* 2026-10-31T16:00:00Z */
    assert_int_equal(period_end(&p), 1796054400);   /* 2026-11-30T16:00:00Z */
    assert_int_equal(period_end(&p) - period_start(&p), 30 * 86400);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_month),    cmocka_unit_test(test_month_errors),
        cmocka_unit_test(test_quarter),  cmocka_unit_test(test_calendar_year),
        cmocka_unit_test(test_days),     cmocka_unit_test(test_month_of_china_calendar),
        cmocka_unit_test(test_instants),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
