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

static const onsite_kind_info onsite_kinds[ONSITE_KIND_COUNT_] = {
    {ONSITE_MACHINE_WITHOUT_CHIP, "machine_without_chip", "onsite_machine_without_chip",
     REASON_CRITICAL, false},
    {ONSITE_CODE_INVALID, "code_invalid", "onsite_code_invalid", REASON_CRITICAL, false},
    {ONSITE_OTHER, "other", "onsite_other", REASON_WARNING, true},
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
    if (cap)
        out[n < cap ? n : cap - 1] = NULL;
    return n;
}
