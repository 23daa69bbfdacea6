/* permit.h — the hot-work permit (动火作业许可, GB 30871-2022): level, time window, site,
 * gas analysis, the welders and machines it names, and the check of one scan against it. */
#ifndef WELDREG_CORE_PERMIT_H
#define WELDREG_CORE_PERMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/reason.h"

/* Ordered: a higher value is a stricter level. */
typedef enum permit_level {
    PERMIT_SECOND = 0,  /* 二级 */
    PERMIT_FIRST = 1,   /* 一级 */
    PERMIT_SPECIAL = 2, /* 特级 */
} permit_level;

typedef enum permit_status {
    PERMIT_APPROVED,
    PERMIT_CANCELLED,
} permit_status;

#define PERMIT_DEFAULT_RADIUS_M 10.0                 /* machine within 10 m of the point (5.2.12) */
#define PERMIT_SHORT_MAX_S      (INT64_C(8) * 3600)  /* special and first: at most 8 h (5.1.5) */
#define PERMIT_SECOND_MAX_S     (INT64_C(72) * 3600) /* second: at most 72 h (5.1.5) */
#define PERMIT_GAS_MAX_AGE_S                                                                       \
    (INT64_C(30) * 60) /* gas analysis at most 30 min before work (5.3.1) */

/* Times are Unix seconds (UTC). The id arrays are borrowed: the caller owns them and keeps
 * them alive while the permit is used; nothing here frees or copies them. */
typedef struct permit {
    int64_t id;
    int64_t enterprise_id;
    permit_level level;
    permit_status status;
    int64_t start; /* valid while start <= t < end */
    int64_t end;
    bool has_site; /* false: no hot-work point recorded, the position is not checked */
    double lat;    /* WGS-84 degrees of the hot-work point */
    double lon;
    double radius_m; /* <= 0 or not finite means PERMIT_DEFAULT_RADIUS_M */
    bool has_gas_analysis;
    int64_t gas_analysis_at;
    /* the highest level the approver may sign for (Table B.1: special senior management,
     * first the safety department, second the local unit); unknown: not checked */
    bool has_approver_level;
    permit_level approver_level;
    const int64_t *welders;
    size_t welder_count;
    bool any_machine; /* any machine of the enterprise; machines[] is then ignored */
    const int64_t *machines;
    size_t machine_count;
} permit;

/* One scan as seen by a permit: who, on which machine, when, and where (optional). */
typedef struct permit_scan {
    int64_t welder_id;
    int64_t machine_id;
    int64_t time;
    bool has_position;
    double lat;
    double lon;
} permit_scan;

/* An approved second-level permit with no window, site, gas analysis, welders or machines,
 * and the default radius. */
void permit_init(permit *p);

/* True if @p level is a level, end > start and the window is at most 8 h (special, first) or
 * 72 h (second). Apply it to the effective level. */
bool permit_window_ok(permit_level level, int64_t start, int64_t end);

/* True if the window of a permit may be extended from @p end to @p new_end: later than the
 * current end, and the whole window, from @p start, allowed for @p level (permit_window_ok()).
 * Apply it to the effective level. */
bool permit_extension_ok(permit_level level, int64_t start, int64_t end, int64_t new_end);

/* The official holiday calendar (国务院办公厅 节假日安排, imported per year): the days it
 * lists, each a public holiday or rest day (rest) or a working day moved onto a weekend
 * (调休上班, not rest). Days are China days: days since 1970-01-01 in UTC+8, ascending. Borrowed.
 */
typedef struct permit_calendar {
    const int64_t *days;
    const bool *rest;
    size_t count;
} permit_calendar;

/* The China day (UTC+8) of @p t, as days since 1970-01-01. */
int64_t permit_china_day(int64_t t);

/* True if the China day of @p t is a rest day: as @p cal lists it, else a Saturday or a
 * Sunday. @p cal may be NULL (weekends only). */
bool permit_is_rest_day(const permit_calendar *cal, int64_t t);

/* True if @p t falls at night, 22:00-06:00 China time (UTC+8). */
bool permit_is_night(int64_t t);

/* The level after GB 30871 5.1: one step up (at most special) if the work starts at night or
 * on a rest day or holiday. Only the start of the window counts; @p is_rest_day says whether
 * the day of @p start is a rest day or holiday, which the caller's calendar knows. */
permit_level permit_effective_level(permit_level level, int64_t start, bool is_rest_day);

/* True if the permit's approver may sign for @p effective, the level after the raise of 5.1
 * (permit_effective_level()); true when the approver's level is not recorded. */
bool permit_approver_ok(const permit *p, permit_level effective);

/* Work starts at the scan that unlocks the machine, so the gas analysis must have been taken
 * at most 30 min before @p scan_time (and not after it). False if there is none. */
bool permit_gas_fresh(const permit *p, int64_t scan_time);

bool permit_lists_welder(const permit *p, int64_t welder_id);
/* True if @p p names @p machine_id or covers any machine of its enterprise. */
bool permit_lists_machine(const permit *p, int64_t machine_id);

/* Adds to @p out every reason why @p p does not cover @p scan: permit_none (cancelled),
 * permit_outside_window, permit_welder_not_listed, permit_machine_not_listed,
 * gas_analysis_stale, and with a site position_missing or permit_outside_radius.
 * Does not compare enterprises (the caller picks the enterprise's permits). Returns true if
 * nothing was added. */
bool permit_check(const permit *p, const permit_scan *scan, reason_list *out);

/* "special", "first", "second"; "unknown" for other values. */
const char *permit_level_name(permit_level level);

/* The level named @p name ("special", "first", "second"); false for anything else (NULL too). */
bool permit_level_from_name(const char *name, permit_level *out);

#endif
