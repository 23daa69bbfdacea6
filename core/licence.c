/* licence.c — licence validity, review schedule and calendar-year arithmetic in China time. */
#include "core/licence.h"

#include <string.h>

#define LICENCE_CHINA_OFFSET_S (INT64_C(8) * 3600)
#define LICENCE_DAY_S          INT64_C(86400)
/* 0001-01-01T00:00:00 and 9999-12-31T23:59:59 in China time, as Unix seconds. */
#define LICENCE_MIN_T (-62135596800 - LICENCE_CHINA_OFFSET_S)
#define LICENCE_MAX_T (253402300799 - LICENCE_CHINA_OFFSET_S)

typedef struct licence_civil {
    int64_t year;
    int month; /* 1-12 */
    int day;   /* 1-31 */
} licence_civil;

static bool licence_is_leap(int64_t year)
{
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date, counting in 400-year eras that start
 * on 1 March so that the leap day is the last day of a year. */
static int64_t licence_days_from_civil(licence_civil d)
{
    int64_t y = d.month <= 2 ? d.year - 1 : d.year;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t year_of_era = y - era * 400;
    int64_t month_from_march = d.month > 2 ? d.month - 3 : d.month + 9;
    int64_t day_of_year = (153 * month_from_march + 2) / 5 + d.day - 1;
    int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return era * 146097 + day_of_era - 719468;
}

static licence_civil licence_civil_from_days(int64_t days)
{
    days += 719468;
    int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    int64_t day_of_era = days - era * 146097;
    int64_t year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
    int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    int64_t month_from_march = (5 * day_of_year + 2) / 153;
    licence_civil d;
    d.day = (int)(day_of_year - (153 * month_from_march + 2) / 5 + 1);
    d.month = (int)(month_from_march < 10 ? month_from_march + 3 : month_from_march - 9);
    d.year = year_of_era + era * 400 + (d.month <= 2 ? 1 : 0);
    return d;
}

static int64_t licence_floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

int64_t licence_add_years(int64_t t, int years)
{
    if (t < LICENCE_MIN_T || t > LICENCE_MAX_T || years < -9999 || years > 9999)
        return t;
    int64_t local = t + LICENCE_CHINA_OFFSET_S;
    int64_t days = licence_floor_div(local, LICENCE_DAY_S);
    int64_t second_of_day = local - days * LICENCE_DAY_S;
    licence_civil d = licence_civil_from_days(days);
    d.year += years;
    if (d.year < 1 || d.year > 9999)
        return t;
    if (d.month == 2 && d.day == 29 && !licence_is_leap(d.year))
        d.day = 28;
    return licence_days_from_civil(d) * LICENCE_DAY_S + second_of_day - LICENCE_CHINA_OFFSET_S;
}

int64_t licence_day_end(int64_t day)
{
    return (day + 1) * LICENCE_DAY_S - LICENCE_CHINA_OFFSET_S;
}

bool licence_day_of_end(int64_t end, int64_t *day)
{
    int64_t local = end + LICENCE_CHINA_OFFSET_S;
    if (local % LICENCE_DAY_S != 0)
        return false;
    *day = licence_floor_div(local, LICENCE_DAY_S) - 1;
    return true;
}

int64_t licence_china_day(int64_t t)
{
    return licence_floor_div(t + LICENCE_CHINA_OFFSET_S, LICENCE_DAY_S);
}

void licence_init(licence *lic, unsigned categories, int64_t issued, bool long_review)
{
    lic->categories = categories;
    lic->issued = issued;
    lic->valid_until = licence_add_years(issued, LICENCE_VALID_YEARS);
    lic->long_review = long_review;
    lic->review_due =
        licence_add_years(issued, long_review ? LICENCE_LONG_REVIEW_YEARS : LICENCE_REVIEW_YEARS);
    lic->status = LICENCE_ACTIVE;
}

void licence_mark_reviewed(licence *lic)
{
    int interval = lic->long_review ? LICENCE_LONG_REVIEW_YEARS : LICENCE_REVIEW_YEARS;
    int64_t next = licence_add_years(lic->review_due, interval);
    lic->review_due = next < lic->valid_until ? next : lic->valid_until;
}

bool licence_check(const licence *lic, unsigned category, int64_t now, reason_list *out)
{
    size_t before = out->count;
    if (!lic) {
        reason_list_add(out, REASON_LICENCE_MISSING_CATEGORY);
        return false;
    }
    if (category != 0 && (lic->categories & category) != category)
        reason_list_add(out, REASON_LICENCE_MISSING_CATEGORY);
    if (lic->status != LICENCE_ACTIVE)
        reason_list_add(out, REASON_LICENCE_REVOKED);
    if (now >= lic->valid_until)
        reason_list_add(out, REASON_LICENCE_EXPIRED);
    else if (now >= lic->review_due)
        reason_list_add(out, REASON_LICENCE_REVIEW_OVERDUE);
    return out->count == before;
}

static const struct {
    licence_category category;
    const char *name;
} licence_category_names[] = {
    {LICENCE_FUSION, "fusion"},
    {LICENCE_PRESSURE, "pressure"},
    {LICENCE_BRAZING, "brazing"},
};

#define LICENCE_CATEGORY_COUNT (sizeof(licence_category_names) / sizeof(licence_category_names[0]))

const char *licence_category_name(licence_category category)
{
    for (size_t i = 0; i < LICENCE_CATEGORY_COUNT; i++) {
        if (licence_category_names[i].category == category)
            return licence_category_names[i].name;
    }
    return "unknown";
}

bool licence_category_from_name(const char *name, size_t len, licence_category *out)
{
    if (!name)
        return false;
    for (size_t i = 0; i < LICENCE_CATEGORY_COUNT; i++) {
        const char *candidate = licence_category_names[i].name;
        if (strlen(candidate) == len && memcmp(candidate, name, len) == 0) {
            *out = licence_category_names[i].category;
            return true;
        }
    }
    return false;
}
