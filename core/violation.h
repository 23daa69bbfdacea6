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

/* Whether moving to @p to closes the rectification (销号): only an inspector, who checked the
 * fix, may do it (not an administrator, nor the enterprise), and only once evidence of the fix
 * is on record. Dismissing a lead that was no violation is not a 销号. */
bool violation_step_is_closing(violation_status to);

/* What is added to a violation's history besides its steps (violation_events.entry). */
typedef enum violation_entry {
    VIOLATION_ENTRY_STATUS,   /* a step of the life cycle */
    VIOLATION_ENTRY_PROGRESS, /* a progress note of the rectification (整改进展) */
    VIOLATION_ENTRY_EVIDENCE, /* evidence of the fix: what was done, a document's reference */
    VIOLATION_ENTRY_COUNT_
} violation_entry;

/* "status", "progress", "evidence"; NULL for anything else. */
const char *violation_entry_name(violation_entry entry);

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
    const char *zh;  /* its violation as an inspector reads it */
    const char *en;
} onsite_kind_info;

/* The entry of @p kind; NULL when out of range. */
const onsite_kind_info *onsite_kind_find(onsite_kind kind);

/* The entry named by the @p len bytes at @p name; NULL if none. */
const onsite_kind_info *onsite_kind_from_name(const char *name, size_t len);

/* The kind of the violation a public report (群众举报, web/pages_report.c) raises: a lead for the
 * community's inspectors to check, a warning. */
#define VIOLATION_PUBLIC_REPORT "public_report"

/* A kind of violation (the @p len bytes at @p kind, a name of violation_kinds()) as people read
 * it: the reason's text (core/reason.c), the on-site finding's or the public report's;
 * "未知违规" / "unknown violation" for any other name. Static storage, never NULL. */
const char *violation_kind_zh(const char *kind, size_t len);
const char *violation_kind_en(const char *kind, size_t len);

/* How many kinds of violation there are at most: the reasons that are violations, the kinds
 * on-site findings raise and the public report's (the names of violations.kind). */
#define VIOLATION_KINDS_MAX ((size_t)REASON_COUNT_ + ONSITE_KIND_COUNT_ + 1)

/* Fills @p out with the name of every kind of violation, reasons first, then the on-site
 * findings', then the public report's, then a NULL; @p cap
 * must be at least VIOLATION_KINDS_MAX + 1. Returns how many names there are. */
size_t violation_kinds(const char **out, size_t cap);

/* ---- Rectification (整改) ----------------------------------------------------------------- */

/* The days an enterprise has to rectify a violation, counted from its detection, when its kind
 * is in no row of the table and its severity is unknown. */
#define VIOLATION_DEADLINE_DEFAULT_DAYS 15

/* The days the enterprise has to rectify a violation of kind @p kind (the @p len bytes, a name
 * of violation_kinds()): the table's row for the kind, else by its severity (critical 7,
 * warning 15, info 30), else VIOLATION_DEADLINE_DEFAULT_DAYS. Always 1..365. */
int violation_deadline_days(const char *kind, size_t len);

/* Each kind of violation_kinds() and its deadline into @p kinds and @p days (room for @p cap
 * each; cap VIOLATION_KINDS_MAX holds all). Returns how many were written. */
size_t violation_deadlines(const char **kinds, int *days, size_t cap);

#endif
