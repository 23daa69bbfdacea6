/* store_counts.h — the counts (底数) of the registry and its activity for a period, per community
 * or enterprise, built as JSON by PostgreSQL (libpq stays in store_counts.c). */
#ifndef WELDREG_SERVER_STORE_COUNTS_H
#define WELDREG_SERVER_STORE_COUNTS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/period.h"
#include "server/db/store.h"
#include "server/db/store_outcome.h"

/* What a row of the counts is: an area (community), an enterprise, or an industry (a section of
 * GB/T 4754-2017, with a row for enterprises whose industry is not recorded). */
typedef enum counts_by { COUNTS_BY_COMMUNITY, COUNTS_BY_ENTERPRISE, COUNTS_BY_INDUSTRY } counts_by;

/* What to count: filters that are 0 are not applied. */
typedef struct counts_query {
    period days;           /* China calendar days, both ends included */
    int64_t community_id;  /* one community */
    int64_t enterprise_id; /* one enterprise */
    int64_t scope;         /* an inspector's principal id: only their communities; 0: all */
    counts_by by;          /* one row per community, enterprise or industry */
    bool from_raw; /* the activity from the check-ins and violations, not their roll-ups: what
                      the roll-ups are tested and measured against (never set by the API) */
} counts_query;

/* Whether the filters of a query may be answered. */
typedef enum counts_access {
    COUNTS_ALLOWED,
    COUNTS_COMMUNITY_FORBIDDEN,  /* the community is outside the inspector's communities */
    COUNTS_ENTERPRISE_FORBIDDEN, /* the enterprise is outside them */
    COUNTS_NO_COMMUNITY,         /* no such community */
    COUNTS_NO_ENTERPRISE,        /* no such enterprise */
} counts_access;

/* Checks the community and enterprise of @p q against the scope, then that they exist. On
 * success out->json holds the caller's communities as an array literal ("{3,7}"; "{}" for an
 * administrator), for store_counts(). */
void store_counts_access(store *st, const counts_query *q, counts_access *access,
                         admin_outcome *out);

/* The counts as {"from", "to", "as_of", "by", "rows": [...], "total": {...}}
 * (docs/inspector-guide.md, "The counts"), for an inspector within @p scope_ids (from
 * store_counts_access()), in a read-only transaction that gives up after @p timeout_ms
 * (STORE_EFAILED with ADMIN_REFUSAL_TIMEOUT). */
void store_counts(store *st, const counts_query *q, const char *scope_ids, int timeout_ms,
                  admin_outcome *out);

#endif
