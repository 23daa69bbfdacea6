/* violation.h — the life cycle of a violation (清单制, 销号) and the findings inspectors report on
 * site. Names are the ones stored in the database and sent to clients. */
#ifndef WELDREG_CORE_VIOLATION_H
#define WELDREG_CORE_VIOLATION_H

#include <stdbool.h>
#include <stddef.h>

#include "core/reason.h"

/* open -> acknowledged -> resolved, or open/acknowledged -> dismissed. */
typedef enum violation_status {
    VIOLATION_OPEN,
    VIOLATION_ACKNOWLEDGED,
    VIOLATION_RESOLVED,
    VIOLATION_DISMISSED,
    VIOLATION_STATUS_COUNT_
} violation_status;

/* "open", "acknowledged", "resolved", "dismissed"; NULL for anything else. */
const char *violation_status_name(violation_status status);

/* The status named by the @p len bytes at @p name; false if none. */
bool violation_status_from_name(const char *name, size_t len, violation_status *out);

/* Whether a violation in @p from may be moved to @p to. Resolved and dismissed are final;
 * nothing goes back to open; staying put is not a step. */
bool violation_step_allowed(violation_status from, violation_status to);

/* Whether moving to @p to needs a note from the person (resolving or dismissing must say
 * why; acknowledging need not). */
bool violation_step_needs_note(violation_status to);

/* What an inspector found on site. */
typedef enum onsite_kind {
    ONSITE_MACHINE_WITHOUT_CHIP, /* a machine working with no chip or no code on it */
    ONSITE_CODE_INVALID,         /* a code that does not verify: forged, expired, revoked... */
    ONSITE_OTHER,                /* anything else worth a violation, described in the note */
    ONSITE_KIND_COUNT_
} onsite_kind;

typedef struct onsite_kind_info {
    onsite_kind kind;
    const char *name;           /* stored in onsite_reports.kind */
    const char *violation_kind; /* the kind of the violation it raises */
    reason_severity severity;
    bool needs_note; /* the finding is only described by its note */
} onsite_kind_info;

/* The entry of @p kind; NULL when out of range. */
const onsite_kind_info *onsite_kind_find(onsite_kind kind);

/* The entry named by the @p len bytes at @p name; NULL if none. */
const onsite_kind_info *onsite_kind_from_name(const char *name, size_t len);

/* How many kinds of violation there are at most: the reasons that are violations and the kinds
 * on-site findings raise (the names of violations.kind). */
#define VIOLATION_KINDS_MAX ((size_t)REASON_COUNT_ + ONSITE_KIND_COUNT_)

/* Fills @p out with the name of every kind of violation, reasons first, then a NULL; @p cap
 * must be at least VIOLATION_KINDS_MAX + 1. Returns how many names there are. */
size_t violation_kinds(const char **out, size_t cap);

#endif
