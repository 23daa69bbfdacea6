/* store_enforce.h — enforcement that closes (重患必停) in PostgreSQL: major hazards opened and
 * lifted by inspectors and administrators, each change in one transaction with its audit_log row
 * (the registry trigger tells running servers, which then lock or unlock the machines). An
 * inspector's @p scope (their principal id) limits everything to their communities; 0 is all. */
#ifndef WELDREG_SERVER_STORE_ENFORCE_H
#define WELDREG_SERVER_STORE_ENFORCE_H

#include <stdbool.h>
#include <stdint.h>

#include "server/db/store.h"
#include "server/db/store_outcome.h"

/* A major hazard to open. */
typedef struct hazard_new {
    int64_t enterprise_id;
    const char *site_address; /* "" for none */
    const char *description;
    bool located; /* at a site: lat, lon and radius_m given */
    double lat, lon;
    int64_t radius_m;
} hazard_new;

/* Opens major hazard @p h, recorded as opened by @p actor. Answers the hazard as JSON;
 * not_found when the enterprise does not exist or lies outside the scope. */
void store_enforce_open_hazard(store *st, const char *actor, int64_t scope, const hazard_new *h,
                               admin_outcome *out);

/* Lifts open hazard @p id with @p note. Answers the hazard as JSON; not_found when there is no
 * such open hazard in scope, and then @p *lifted_already says whether it exists but was lifted
 * before. */
void store_enforce_lift_hazard(store *st, const char *actor, int64_t scope, int64_t id,
                               const char *note, admin_outcome *out, bool *lifted_already);

/* A listing of hazards, newest first: filters that are 0 are not applied. */
typedef struct hazard_query {
    int64_t id; /* one hazard; not_found if none in scope */
    int64_t enterprise_id;
    int64_t community_id;
    bool open_only;
    int limit;
    int64_t scope;
} hazard_query;

/* Answers {"items": [...]} or, with q->id, one hazard. */
void store_enforce_hazards(store *st, const hazard_query *q, admin_outcome *out);

#endif
