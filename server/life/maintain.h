/* maintain.h — the data life cycle (weldreg-server maintain, run daily by
 * weldreg-maintain.timer): the check-ins' partitions made ahead, the months of check-ins and of
 * work sessions past retention archived, read back, then dropped, expired web sessions deleted;
 * and an archived month restored into a table of its own for an audit. */
#ifndef WELDREG_SERVER_MAINTAIN_H
#define WELDREG_SERVER_MAINTAIN_H

#include <stdbool.h>
#include <stddef.h>

#include "server/db/store.h"

typedef struct maintain_options {
    unsigned ahead;          /* months ahead of this one that must have a partition */
    unsigned keep_months;    /* months before this one that are kept (check-ins, sessions) */
    const char *archive_dir; /* where archives go */
    bool archive_only;       /* archive what is past retention, drop nothing */
} maintain_options;

/* One pass: makes the partitions ahead, then archives and drops each month of check-ins past
 * retention, then each month of work sessions (the closed ones no check-in refers to), in the
 * order archive, read back, drop; then deletes the expired web sessions (not with
 * archive_only). A pass stopped anywhere (a crash, a failure) loses no row and the next pass
 * resumes: an archive with a manifest that reads back is used as it is, any other is written
 * again from the rows, which are only dropped after that. 0, or -1 with the first failure in
 * @p err (months after a failed one are not touched). */
int maintain_run(store *st, const maintain_options *o, char *err, size_t errlen);

/* Copies the archived month @p month ("YYYY-MM") of @p table ("checkins" or "work_sessions") in
 * @p archive_dir into a new table @p into (NULL: "restored_<table>_YYYYMM"), after checking the
 * archive against its manifest. */
int maintain_restore(store *st, const char *archive_dir, const char *table, const char *month,
                     const char *into, char *err, size_t errlen);

#endif
