/* permit.c — hot-work permit rules of GB 30871-2022 applied to one scan. */
#include "core/permit.h"

#include <math.h>
#include <string.h>

#include "core/geo.h"

#define PERMIT_CHINA_OFFSET_S (INT64_C(8) * 3600)
#define PERMIT_NIGHT_START_H  22
#define PERMIT_NIGHT_END_H    6

void permit_init(permit *p)
{
    *p = (permit){
        .level = PERMIT_SECOND,
        .status = PERMIT_APPROVED,
        .radius_m = PERMIT_DEFAULT_RADIUS_M,
    };
}

static bool permit_level_valid(permit_level level)
{
    return level == PERMIT_SECOND || level == PERMIT_FIRST || level == PERMIT_SPECIAL;
}

bool permit_window_ok(permit_level level, int64_t start, int64_t end)
{
    if (!permit_level_valid(level) || end <= start)
        return false;
    /* end > start, so the difference fits in uint64 even for extreme values. */
    uint64_t length = (uint64_t)end - (uint64_t)start;
    uint64_t limit = level == PERMIT_SECOND ? PERMIT_SECOND_MAX_S : PERMIT_SHORT_MAX_S;
    return length <= limit;
}

bool permit_extension_ok(permit_level level, int64_t start, int64_t end, int64_t new_end)
{
    return new_end > end && permit_window_ok(level, start, new_end);
}

int64_t permit_china_day(int64_t t)
{
    int64_t local = t > INT64_MAX - PERMIT_CHINA_OFFSET_S ? INT64_MAX : t + PERMIT_CHINA_OFFSET_S;
    int64_t day = local / 86400;
    return local % 86400 < 0 ? day - 1 : day;
}

static const bool *permit_calendar_find(const permit_calendar *cal, int64_t day)
{
    size_t lo = 0, hi = cal && cal->days ? cal->count : 0;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cal->days[mid] == day)
            return &cal->rest[mid];
        if (cal->days[mid] < day)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

bool permit_is_rest_day(const permit_calendar *cal, int64_t t)
{
    int64_t day = permit_china_day(t);
    const bool *listed = permit_calendar_find(cal, day);
    if (listed)
        return *listed;
    int64_t weekday = (day % 7 + 7 + 3) % 7; /* 1970-01-01 was a Thursday: 0 = Monday */
    return weekday >= 5;
}

bool permit_is_night(int64_t t)
{
    /* Shift to China time without overflow, then take the floor remainder of a day. */
    int64_t second_of_day = t % 86400;
    if (second_of_day < 0)
        second_of_day += 86400;
    int64_t hour = ((second_of_day + PERMIT_CHINA_OFFSET_S) % 86400) / 3600;
    return hour >= PERMIT_NIGHT_START_H || hour < PERMIT_NIGHT_END_H;
}

permit_level permit_effective_level(permit_level level, int64_t start, bool is_rest_day)
{
    if (!permit_level_valid(level))
        return level;
    if ((is_rest_day || permit_is_night(start)) && level != PERMIT_SPECIAL)
        return (permit_level)(level + 1);
    return level;
}

bool permit_approver_ok(const permit *p, permit_level effective)
{
    return !p->has_approver_level || p->approver_level >= effective;
}

bool permit_gas_fresh(const permit *p, int64_t scan_time)
{
    if (!p->has_gas_analysis || p->gas_analysis_at > scan_time)
        return false;
    /* gas_analysis_at <= scan_time: the difference fits in uint64. */
    return (uint64_t)scan_time - (uint64_t)p->gas_analysis_at <= PERMIT_GAS_MAX_AGE_S;
}

static bool permit_ids_contain(const int64_t *ids, size_t count, int64_t id)
{
    for (size_t i = 0; ids && i < count; i++) {
        if (ids[i] == id)
            return true;
    }
    return false;
}

bool permit_lists_welder(const permit *p, int64_t welder_id)
{
    return permit_ids_contain(p->welders, p->welder_count, welder_id);
}

bool permit_lists_machine(const permit *p, int64_t machine_id)
{
    return p->any_machine || permit_ids_contain(p->machines, p->machine_count, machine_id);
}

static void permit_check_site(const permit *p, const permit_scan *scan, reason_list *out)
{
    if (!p->has_site)
        return;
    if (!scan->has_position) {
        reason_list_add(out, REASON_POSITION_MISSING);
        return;
    }
    double radius =
        isfinite(p->radius_m) && p->radius_m > 0 ? p->radius_m : PERMIT_DEFAULT_RADIUS_M;
    double distance = geo_distance_m(p->lat, p->lon, scan->lat, scan->lon);
    /* A NaN distance (a bad coordinate) fails the comparison: outside. */
    if (!(distance <= radius))
        reason_list_add(out, REASON_PERMIT_OUTSIDE_RADIUS);
}

bool permit_check(const permit *p, const permit_scan *scan, reason_list *out)
{
    size_t before = out->count;
    if (p->status != PERMIT_APPROVED)
        reason_list_add(out, REASON_PERMIT_NONE);
    if (scan->time < p->start || scan->time >= p->end)
        reason_list_add(out, REASON_PERMIT_OUTSIDE_WINDOW);
    if (!permit_lists_welder(p, scan->welder_id))
        reason_list_add(out, REASON_PERMIT_WELDER_NOT_LISTED);
    if (!permit_lists_machine(p, scan->machine_id))
        reason_list_add(out, REASON_PERMIT_MACHINE_NOT_LISTED);
    if (!permit_gas_fresh(p, scan->time))
        reason_list_add(out, REASON_GAS_ANALYSIS_STALE);
    permit_check_site(p, scan, out);
    return out->count == before;
}

bool permit_level_from_name(const char *name, permit_level *out)
{
    for (permit_level l = PERMIT_SECOND; l <= PERMIT_SPECIAL; l++)
        if (name && strcmp(name, permit_level_name(l)) == 0) {
            *out = l;
            return true;
        }
    return false;
}

const char *permit_level_name(permit_level level)
{
    switch (level) {
    case PERMIT_SECOND: return "second";
    case PERMIT_FIRST: return "first";
    case PERMIT_SPECIAL: return "special";
    }
    return "unknown";
}
