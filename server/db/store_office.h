/* store_office.h — what the district office's pages read (web/pages_office.c, web/pages_map.c):
 * the communities a caller may see, and the map's machines, live work sessions and open
 * violations. The counts and the overdue rectifications are store_counts.h's and
 * store_inspect.h's. */
#ifndef WELDREG_SERVER_STORE_OFFICE_H
#define WELDREG_SERVER_STORE_OFFICE_H

#include <stdint.h>

#include "server/db/store.h"
#include "server/db/store_outcome.h"

/* The communities of @p scope (0: all; else an inspector's, as store_inspect.h's scopes:
 * store_inspect_account_scope() for a web account) as [{"id", "code", "name"}, ...] by code:
 * what the office's form offers to count alone, and the scope of its counts. */
void store_office_community_list(store *st, int64_t scope, admin_outcome *out);

/* The map within @p scope (as store_office_community_list()'s) as
 * {"communities": [{"id", "code", "name", "outline": [[lat, lon], ...] or null}],
 *  "machines": [{"id", "chip", "enterprise", "community_id", "lat", "lon", "live"}],
 *  "violations": [{"id", "kind", "severity", "community_id", "chip", "lat", "lon"}],
 *  "unplaced": n}: machines not scrapped at their last known position (the last check-in that
 * had one, else the site of their live session's permit, else of the newest permit naming
 * them; "unplaced" counts those with none), "live" when a work session is open now; open and
 * acknowledged violations at their position, else their machine's. */
void store_office_map(store *st, int64_t scope, admin_outcome *out);

/* Sets the outline of the community with code @p code to @p ring (a JSON array of [lat, lon]
 * pairs, core/geo.h's geo_outline_read(); NULL: none), audited as @p actor. out->not_found
 * when there is no such community. */
void store_office_set_outline(store *st, const char *actor, const char *code, const char *ring,
                              admin_outcome *out);

#endif
