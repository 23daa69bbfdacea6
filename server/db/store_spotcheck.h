/* store_spotcheck.h — random spot checks (双随机) in PostgreSQL: a community's population and
 * inspectors read, the draw made (core/spotcheck.c) and recorded with its audit_log row, all in
 * one transaction; draws read back. */
#ifndef WELDREG_SERVER_STORE_SPOTCHECK_H
#define WELDREG_SERVER_STORE_SPOTCHECK_H

#include <stdbool.h>
#include <stdint.h>

#include "server/db/store.h"
#include "server/db/store_outcome.h"

/* What a draw asks for. */
typedef struct spotcheck_request {
    int64_t community_id;
    const char *target; /* "enterprise" or "machine" */
    int count;          /* targets to draw, 1..1000 */
    int per_target;     /* inspectors per target, 1..SPOTCHECK_PER_TARGET_MAX */
    uint64_t seed;
} spotcheck_request;

/* Why a draw could not be made although the request was well formed. */
typedef enum spotcheck_refusal {
    SPOTCHECK_DRAWN,
    SPOTCHECK_NO_POPULATION, /* the community has no enterprise (machine) to check */
    SPOTCHECK_FEW_INSPECTORS /* fewer inspectors serve the community than per_target */
} spotcheck_refusal;

/* Draws and records; answers the draw as store_spotcheck_get() does. not_found when there is no
 * community @p req->community_id. @p refusal says why nothing was drawn (out not failed then);
 * @p inspectors is how many inspectors serve the community. */
void store_spotcheck_draw(store *st, const char *actor, const spotcheck_request *req,
                          admin_outcome *out, spotcheck_refusal *refusal, int64_t *inspectors);

/* A draw with its items ({"id", "community_id", "target", "requested", "drawn", "per_target",
 * "seed", "population", "inspectors" (counts), "drawn_by", "drawn_at", "items": [{"position",
 * "target_id", "name", "inspectors": [identity...]}]}), or with @p id 0 the newest 50 of
 * community @p community_id (0: all) as {"items": [...]}, within @p scope (0: all). */
void store_spotcheck_get(store *st, int64_t id, int64_t community_id, int64_t scope,
                         admin_outcome *out);

#endif
