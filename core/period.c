/* period.c — reporting periods: months, quarters and day ranges on the China calendar. */
#include "core/period.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/registry_rules.h"

#define PERIOD_CHINA_OFFSET_S (INT64_C(8) * 3600)
#define PERIOD_DAY_S          INT64_C(86400)

static int64_t period_floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* The months [@p year-@p month, + @p count) as a period; -1 if a date is out of range. */
static int period_months(unsigned year, unsigned month, unsigned count, period *out)
{
    char first[16], next[16];
    unsigned after = month - 1 + count;
    snprintf(first, sizeof(first), "%04u-%02u-01", year, month);
    snprintf(next, sizeof(next), "%04u-%02u-01", year + after / 12, after % 12 + 1);
    int64_t first_day, next_day;
    if (rules_parse_date(first, strlen(first), &first_day) != WR_OK ||
        rules_parse_date(next, strlen(next), &next_day) != WR_OK)
        return -1;
    out->first_day = first_day;
    out->last_day = next_day - 1;
    return 0;
}

period period_month_of(int64_t now)
{
    char date[RULES_DATE_SIZE];
    rules_format_date(period_floor_div(now + PERIOD_CHINA_OFFSET_S, PERIOD_DAY_S), date);
    period p = {0, 0};
    /* "YYYY-MM-DD", as rules_format_date() writes it */
    unsigned year = (unsigned)strtoul(date, NULL, 10);
    unsigned month = (unsigned)strtoul(date + 5, NULL, 10);
    period_months(year, month, 1, &p);
    return p;
}

/* Four digits of a year (1900-9998: the period's end must be a date too). */
static int period_year(const char *s, unsigned *year)
{
    *year = 0;
    for (int i = 0; i < 4; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        *year = *year * 10 + (unsigned)(s[i] - '0');
    }
    return *year >= 1900 && *year <= 9998 ? 0 : -1;
}

static wr_status period_bad(char *why, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static wr_status period_bad(char *why, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, cap, fmt, ap);
    va_end(ap);
    return WR_EINVAL;
}

wr_status period_month(const char *text, period *out, char *why, size_t cap)
{
    unsigned year, month;
    if (!text || strlen(text) != 7 || text[4] != '-' || period_year(text, &year) != 0 ||
        text[5] < '0' || text[5] > '1' || text[6] < '0' || text[6] > '9')
        return period_bad(why, cap, "month \"%.16s\": expected YYYY-MM", text ? text : "");
    month = (unsigned)(text[5] - '0') * 10 + (unsigned)(text[6] - '0');
    if (month < 1 || month > 12 || period_months(year, month, 1, out) != 0)
        return period_bad(why, cap, "month \"%.16s\": no such month", text);
    return WR_OK;
}

wr_status period_quarter(const char *text, period *out, char *why, size_t cap)
{
    unsigned year;
    if (!text || strlen(text) != 7 || text[4] != '-' || (text[5] != 'Q' && text[5] != 'q') ||
        period_year(text, &year) != 0 || text[6] < '1' || text[6] > '4')
        return period_bad(why, cap, "quarter \"%.16s\": expected YYYY-Qn with n from 1 to 4",
                          text ? text : "");
    unsigned first_month = (unsigned)(text[6] - '1') * 3 + 1;
    if (period_months(year, first_month, 3, out) != 0)
        return period_bad(why, cap, "quarter \"%.16s\": no such quarter", text);
    return WR_OK;
}

wr_status period_calendar_year(const char *text, period *out, char *why, size_t cap)
{
    unsigned year;
    if (!text || strlen(text) != 4 || period_year(text, &year) != 0)
        return period_bad(why, cap, "year \"%.16s\": expected YYYY", text ? text : "");
    if (period_months(year, 1, 12, out) != 0)
        return period_bad(why, cap, "year \"%.16s\": no such year", text);
    return WR_OK;
}

wr_status period_days(const char *from, const char *to, period *out, char *why, size_t cap)
{
    period p = *out;
    if (from && from[0] && rules_parse_date(from, strlen(from), &p.first_day) != WR_OK)
        return period_bad(why, cap, "\"from\": expected a date YYYY-MM-DD, not \"%.16s\"", from);
    if (to && to[0] && rules_parse_date(to, strlen(to), &p.last_day) != WR_OK)
        return period_bad(why, cap, "\"to\": expected a date YYYY-MM-DD, not \"%.16s\"", to);
    if (p.last_day < p.first_day)
        return period_bad(why, cap, "\"to\": the period ends before it starts");
    *out = p;
    return WR_OK;
}

int64_t period_start(const period *p)
{
    return p->first_day * PERIOD_DAY_S - PERIOD_CHINA_OFFSET_S;
}

int64_t period_end(const period *p)
{
    return (p->last_day + 1) * PERIOD_DAY_S - PERIOD_CHINA_OFFSET_S;
}
