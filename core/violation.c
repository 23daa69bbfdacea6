/* violation.c — the violation life cycle and on-site findings: tables and rules, no I/O. */
#include "core/violation.h"

#include <string.h>

static const char *const violation_status_names[VIOLATION_STATUS_COUNT_] = {
    [VIOLATION_OPEN] = "open",
    [VIOLATION_ACKNOWLEDGED] = "acknowledged",
    [VIOLATION_RESOLVED] = "resolved",
    [VIOLATION_DISMISSED] = "dismissed",
};

static bool name_is(const char *known, const char *name, size_t len)
{
    return strlen(known) == len && memcmp(known, name, len) == 0;
}

const char *violation_status_name(violation_status status)
{
    return (unsigned)status < VIOLATION_STATUS_COUNT_ ? violation_status_names[status] : NULL;
}

bool violation_status_from_name(const char *name, size_t len, violation_status *out)
{
    for (int s = 0; s < VIOLATION_STATUS_COUNT_; s++) {
        if (name_is(violation_status_names[s], name, len)) {
            *out = (violation_status)s;
            return true;
        }
    }
    return false;
}

bool violation_step_allowed(violation_status from, violation_status to)
{
    switch (from) {
    case VIOLATION_OPEN:
        return to == VIOLATION_ACKNOWLEDGED || to == VIOLATION_RESOLVED ||
               to == VIOLATION_DISMISSED;
    case VIOLATION_ACKNOWLEDGED: return to == VIOLATION_RESOLVED || to == VIOLATION_DISMISSED;
    default: return false;
    }
}

bool violation_step_needs_note(violation_status to)
{
    return to == VIOLATION_RESOLVED || to == VIOLATION_DISMISSED;
}

bool violation_step_is_closing(violation_status to)
{
    return to == VIOLATION_RESOLVED;
}

const char *violation_entry_name(violation_entry entry)
{
    static const char *const names[VIOLATION_ENTRY_COUNT_] = {
        [VIOLATION_ENTRY_STATUS] = "status",
        [VIOLATION_ENTRY_PROGRESS] = "progress",
        [VIOLATION_ENTRY_EVIDENCE] = "evidence",
    };
    return (unsigned)entry < VIOLATION_ENTRY_COUNT_ ? names[entry] : NULL;
}

static const onsite_kind_info onsite_kinds[ONSITE_KIND_COUNT_] = {
    {ONSITE_MACHINE_WITHOUT_CHIP, "machine_without_chip", "onsite_machine_without_chip",
     REASON_CRITICAL, false, "现场发现无芯焊机", "a machine without a chip found on site"},
    {ONSITE_CODE_INVALID, "code_invalid", "onsite_code_invalid", REASON_CRITICAL, false,
     "现场发现无效二维码", "a code that does not verify found on site"},
    {ONSITE_OTHER, "other", "onsite_other", REASON_WARNING, true, "现场发现的其他违规",
     "another finding on site"},
};

const onsite_kind_info *onsite_kind_find(onsite_kind kind)
{
    return (unsigned)kind < ONSITE_KIND_COUNT_ ? &onsite_kinds[kind] : NULL;
}

const onsite_kind_info *onsite_kind_from_name(const char *name, size_t len)
{
    for (int k = 0; k < ONSITE_KIND_COUNT_; k++)
        if (name_is(onsite_kinds[k].name, name, len))
            return &onsite_kinds[k];
    return NULL;
}

const char *violation_kind_zh(const char *kind, size_t len)
{
    reason_code code;
    if (reason_from_name(kind, len, &code))
        return reason_zh(code);
    for (int k = 0; k < ONSITE_KIND_COUNT_; k++)
        if (name_is(onsite_kinds[k].violation_kind, kind, len))
            return onsite_kinds[k].zh;
    if (name_is(VIOLATION_PUBLIC_REPORT, kind, len))
        return "群众举报：待核实的违规动火线索";
    return "未知违规";
}

const char *violation_kind_en(const char *kind, size_t len)
{
    reason_code code;
    if (reason_from_name(kind, len, &code))
        return reason_text(code);
    for (int k = 0; k < ONSITE_KIND_COUNT_; k++)
        if (name_is(onsite_kinds[k].violation_kind, kind, len))
            return onsite_kinds[k].en;
    if (name_is(VIOLATION_PUBLIC_REPORT, kind, len))
        return "a public report of unsafe hot work, to be checked";
    return "unknown violation";
}

size_t violation_kinds(const char **out, size_t cap)
{
    size_t n = 0;
    for (int c = 1; c < REASON_COUNT_ && n + 1 < cap; c++) {
        const reason_info *info = reason_get((reason_code)c);
        if (info && info->violation)
            out[n++] = info->name;
    }
    for (int k = 0; k < ONSITE_KIND_COUNT_ && n + 1 < cap; k++)
        out[n++] = onsite_kinds[k].violation_kind;
    if (n + 1 < cap)
        out[n++] = VIOLATION_PUBLIC_REPORT;
    if (cap)
        out[n < cap ? n : cap - 1] = NULL;
    return n;
}

/* ---- Rectification (整改) ---- */

/* Kinds whose deadline is not the one their severity gives. */
static const struct {
    const char *kind;
    int days;
} violation_deadline_table[] = {
    /* a forged or revoked code, tampering, a scrapped machine or one without a chip: the
     * equipment is taken out of use or fixed at once */
    {"code_forged", 3},
    {"code_revoked", 3},
    {"tamper", 3},
    {"machine_scrapped", 3},
    {"onsite_machine_without_chip", 3},
    {"onsite_code_invalid", 3},
    /* a review is arranged with the licensing authority, which takes longer */
    {"licence_review_overdue", 30},
    /* 重患必停: the hazard, or the cause of the suspension, is removed and checked */
    {"major_hazard", 30},
    {"enterprise_suspended", 30},
};

/* The severity of a violation kind: a reason's, an on-site finding's, or a public report's. */
static bool violation_kind_severity(const char *kind, size_t len, reason_severity *out)
{
    reason_code code;
    if (name_is(VIOLATION_PUBLIC_REPORT, kind, len)) {
        *out = REASON_WARNING;
        return true;
    }
    if (reason_from_name(kind, len, &code)) {
        *out = reason_get(code)->severity;
        return true;
    }
    for (int k = 0; k < ONSITE_KIND_COUNT_; k++) {
        if (name_is(onsite_kinds[k].violation_kind, kind, len)) {
            *out = onsite_kinds[k].severity;
            return true;
        }
    }
    return false;
}

int violation_deadline_days(const char *kind, size_t len)
{
    if (!kind)
        return VIOLATION_DEADLINE_DEFAULT_DAYS;
    for (size_t i = 0; i < sizeof(violation_deadline_table) / sizeof(violation_deadline_table[0]);
         i++) {
        if (name_is(violation_deadline_table[i].kind, kind, len))
            return violation_deadline_table[i].days;
    }
    reason_severity severity;
    if (!violation_kind_severity(kind, len, &severity))
        return VIOLATION_DEADLINE_DEFAULT_DAYS;
    switch (severity) {
    case REASON_CRITICAL: return 7;
    case REASON_WARNING: return 15;
    case REASON_INFO: return 30;
    }
    return VIOLATION_DEADLINE_DEFAULT_DAYS;
}

size_t violation_deadlines(const char **kinds, int *days, size_t cap)
{
    const char *names[VIOLATION_KINDS_MAX + 1];
    size_t n = violation_kinds(names, sizeof(names) / sizeof(names[0]));
    if (n > cap)
        n = cap;
    for (size_t i = 0; i < n; i++) {
        kinds[i] = names[i];
        days[i] = violation_deadline_days(names[i], strlen(names[i]));
    }
    return n;
}
