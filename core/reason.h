/* reason.h — the one table of reason codes: why a check-in was refused or an alert raised.
 * Each code has a stable name (stored in the database and sent to clients), a Chinese text that
 * people read first, an English text beside it, a severity, and whether it is a violation lead
 * for inspectors. */
#ifndef WELDREG_CORE_REASON_H
#define WELDREG_CORE_REASON_H

#include <stdbool.h>
#include <stddef.h>

/* The numbers are stable too, but the name is the identifier outside this process. New codes
 * are added at the end, before REASON_COUNT_. 0 is not a reason. */
typedef enum reason_code {
    REASON_MACHINE_UNKNOWN = 1,
    REASON_MACHINE_SUSPENDED = 2,
    REASON_MACHINE_SCRAPPED = 3,
    REASON_CODE_MALFORMED = 4,
    REASON_CODE_FORGED = 5,
    REASON_CODE_UNKNOWN_KEY = 6,
    REASON_CODE_EXPIRED = 7,
    REASON_CODE_NOT_YET_VALID = 8,
    REASON_CODE_REVOKED = 9,
    REASON_CODE_WRONG_TYPE = 10,
    REASON_WELDER_UNKNOWN = 11,
    REASON_WELDER_INACTIVE = 12,
    REASON_LICENCE_MISSING_CATEGORY = 13,
    REASON_LICENCE_EXPIRED = 14,
    REASON_LICENCE_REVIEW_OVERDUE = 15,
    REASON_LICENCE_REVOKED = 16,
    REASON_TRAINING_MISSING = 17,
    REASON_PERMIT_NONE = 18,
    REASON_PERMIT_OUTSIDE_WINDOW = 19,
    REASON_PERMIT_WELDER_NOT_LISTED = 20,
    REASON_PERMIT_MACHINE_NOT_LISTED = 21,
    REASON_PERMIT_OUTSIDE_RADIUS = 22,
    REASON_POSITION_MISSING = 23,
    REASON_GAS_ANALYSIS_STALE = 24,
    REASON_WELDER_BUSY_ELSEWHERE = 25,
    REASON_WORK_OUTSIDE_PLATFORM = 26,
    REASON_HEARTBEAT_LOST = 27,
    REASON_SESSION_OVERRUN = 28,
    REASON_TAMPER = 29,
    REASON_SHARED_CODE = 30,
    REASON_CLOCK_SKEW = 31,
    REASON_LATE_EVENT = 32,
    REASON_REPLAY = 33,
    REASON_CODE_COPIED = 34,
    REASON_SUSPECTED_MODIFICATION = 35,
    REASON_ENTERPRISE_SUSPENDED = 36,
    REASON_MAJOR_HAZARD = 37,
    REASON_TRAINING_EXPIRED = 38,
    REASON_PERMIT_WITHDRAWN = 39,
    REASON_CHECKIN_FLOOD = 40,
    REASON_COUNT_ /* one past the last code; not a reason */
} reason_code;

typedef enum reason_severity {
    REASON_INFO,
    REASON_WARNING,
    REASON_CRITICAL,
} reason_severity;

typedef struct reason_info {
    reason_code code;
    const char *name; /* stable, lower-case snake case, e.g. "machine_unknown" */
    const char *zh;   /* what a welder or inspector reads first: short plain Chinese */
    const char *text; /* the same in English, one sentence, no trailing period */
    reason_severity severity;
    bool violation; /* a lead of unlicensed, unapproved or off-platform work, or tampering */
} reason_info;

/* The table entry of @p code, or NULL if @p code is not a reason. Static storage. */
const reason_info *reason_get(reason_code code);

/* The stable name of @p code, or "unknown" if it is not a reason. Never NULL. */
const char *reason_name(reason_code code);

/* The Chinese text of @p code, or "未知原因" if it is not a reason. Static storage, never NULL. */
const char *reason_zh(reason_code code);

/* The English text of @p code, or "unknown reason" if it is not a reason. Never NULL. */
const char *reason_text(reason_code code);

/* Writes "Chinese (English)" of @p code into @p buf of @p cap bytes (truncated, always
 * NUL-terminated when cap > 0): the form people see a reason in. Returns @p buf. */
char *reason_describe(reason_code code, char *buf, size_t cap);

/* Finds the code whose name is the @p len bytes at @p name (not NUL-terminated, exact and
 * case-sensitive). Returns true and sets @p out, or false if there is none. */
bool reason_from_name(const char *name, size_t len, reason_code *out);

/* "info", "warning" or "critical"; "unknown" for any other value. */
const char *reason_severity_name(reason_severity severity);

/* A set of reasons in the order first added, without duplicates. Its capacity is the number
 * of codes, so adding can never overflow. Caller-provided memory; plain value, no deinit. */
typedef struct reason_list {
    reason_code codes[REASON_COUNT_];
    size_t count;
} reason_list;

void reason_list_init(reason_list *list);
/* Adds @p code unless it is already there or is not a reason (then nothing happens). */
void reason_list_add(reason_list *list, reason_code code);
bool reason_list_has(const reason_list *list, reason_code code);
/* The highest severity in @p list; REASON_INFO for an empty list. */
reason_severity reason_list_severity(const reason_list *list);

#endif
