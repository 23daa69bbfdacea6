/* maintain.h — the data life cycle of the check-ins (weldreg-server maintain, run daily by
 * weldreg-maintain.timer): partitions made ahead, months past retention archived, read back,
 * then dropped; and an archived month restored into a table of its own for an audit. */
#ifndef WELDREG_SERVER_MAINTAIN_H
#define WELDREG_SERVER_MAINTAIN_H

#include <stdbool.h>
#include <stddef.h>

#include "server/db/store.h"

typedef struct maintain_options {
    unsigned ahead;          /* months ahead of this one that must have a partition */
    unsigned keep_months;    /* months before this one that are kept */
    const char *archive_dir; /* where archives go */
    bool archive_only;       /* archive what is past retention, drop nothing */
} maintain_options;

/* One pass: makes the partitions ahead, then archives and drops each month past retention, in
 * the order archive, read back, drop. A pass stopped anywhere (a crash, a failure) loses no row
 * and the next pass resumes: an archive with a manifest that reads back is used as it is, any
 * other is written again from the partition, which is only dropped after that. 0, or -1 with
 * the first failure in @p err (months after a failed one are not touched). */
int maintain_run(store *st, const maintain_options *o, char *err, size_t errlen);

/* Copies the archived month @p month ("YYYY-MM") of @p archive_dir into a new table @p into
 * (NULL: "restored_checkins_YYYYMM"), after checking the archive against its manifest. */
int maintain_restore(store *st, const char *archive_dir, const char *month, const char *into,
                     char *err, size_t errlen);

#endif
