/* period.h — reporting periods on the China calendar (UTC+8): a range of whole days given as
 * from/to dates, a month (YYYY-MM), a quarter (YYYY-Qn) or a year (YYYY), and the instants they
 * cover. */
#ifndef WELDREG_CORE_PERIOD_H
#define WELDREG_CORE_PERIOD_H

#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

#define PERIOD_WHY_SIZE 96

/* Days since 1970-01-01 on the China calendar, both ends included. */
typedef struct period {
    int64_t first_day;
    int64_t last_day;
} period;

/* The calendar month in China that contains Unix time @p now. */
period period_month_of(int64_t now);

/* "YYYY-MM": that month. WR_EINVAL with a message in @p why when malformed. */
wr_status period_month(const char *text, period *out, char *why, size_t cap);

/* "YYYY-Qn" (n 1-4, q accepted): that quarter. WR_EINVAL with a message when malformed. */
wr_status period_quarter(const char *text, period *out, char *why, size_t cap);

/* "YYYY": that calendar year (the annual summary, 年总结). WR_EINVAL with a message when
 * malformed. */
wr_status period_calendar_year(const char *text, period *out, char *why, size_t cap);

/* From and to dates "YYYY-MM-DD"; "" or NULL keeps that end of @p out as it is (the caller
 * puts the default there first). WR_EINVAL with a message naming "from" or "to" when a date is
 * malformed or the period would end before it starts. */
wr_status period_days(const char *from, const char *to, period *out, char *why, size_t cap);

/* The first instant of the period (midnight in China starting first_day) and the first instant
 * after it, as Unix seconds: the period is [start, end). */
int64_t period_start(const period *p);
int64_t period_end(const period *p);

#endif
