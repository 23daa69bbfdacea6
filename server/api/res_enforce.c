/* res_enforce.c — enforcement that closes (重患必停; docs/inspector-guide.md): major hazards
 * opened and lifted by inspectors (in their communities) and administrators. While one is open,
 * or while its enterprise is suspended (PUT /v1/enterprises status=suspended), every machine of
 * the enterprise is locked at its next event (core/decision.c). Machines have no access. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "server/api/admin.h"
#include "server/api/api.h"
#include "server/loop/handlers.h"
#include "server/loop/log.h"
#include "server/db/store_enforce.h"

#define ENFORCE_BODY_MAX     (16u << 10)
#define ENFORCE_TEXT_MAX     1000 /* characters of a description or a note */
#define ENFORCE_ADDRESS_MAX  200
#define ENFORCE_PAGE_DEFAULT 100
#define ENFORCE_PAGE_MAX     500
#define ENFORCE_RADIUS_MAX   5000 /* metres around a hazard's site */

/* ---- GET /v1/hazards[?id=N&enterprise_id=N&community_id=N&status=open&limit=N] ---- */

static bool hazards_query(admin_request *r, hazard_query *q)
{
    static const char *const params[] = {"id",     "enterprise_id", "community_id",
                                         "status", "limit",         NULL};
    static const char *const statuses[] = {"open", "all", NULL};
    char status[8];
    int64_t limit = 0;
    memset(q, 0, sizeof(*q));
    q->scope = r->scope;
    if (!admin_query_known(r, params) || !admin_query_id(r, "id", &q->id) ||
        !admin_query_id(r, "enterprise_id", &q->enterprise_id) ||
        !admin_query_id(r, "community_id", &q->community_id) ||
        !admin_query_enum(r, "status", statuses, status, sizeof(status)) ||
        !admin_query_id(r, "limit", &limit))
        return false;
    if (limit > ENFORCE_PAGE_MAX) {
        admin_error(r, COAP_RESPONSE_CODE_BAD_REQUEST,
                    "query \"limit\": at most %d hazards per page", ENFORCE_PAGE_MAX);
        return false;
    }
    q->open_only = strcmp(status, "open") == 0;
    q->limit = limit ? (int)limit : ENFORCE_PAGE_DEFAULT;
    return true;
}

static void hazards_get(admin_request *r)
{
    hazard_query q;
    if (!hazards_query(r, &q))
        return;
    store *st = admin_store(r);
    if (!st)
        return;
    admin_outcome out;
    store_enforce_hazards(st, &q, &out);
    admin_reply_found(r, &out, COAP_RESPONSE_CODE_CONTENT, "major hazard with this id");
}
ADMIN_HANDLER(hnd_get_hazards, ADMIN_ENFORCE, hazards_get)

/* The site of a hazard: "lat", "lon" and "radius_m" (metres, 1-5000), all or none. */
static bool hazards_site(admin_request *r, hazard_new *h)
{
    bool has_lat, has_lon, has_radius;
    double radius = 0;
    if (!admin_body_number(r, "lat", &h->lat, &has_lat) ||
        !admin_body_number(r, "lon", &h->lon, &has_lon) ||
        !admin_body_number(r, "radius_m", &radius, &has_radius))
        return false;
    h->located = has_lat;
    if (has_lat != has_lon || has_lat != has_radius ||
        (has_lat &&
         (!isfinite(h->lat) || fabs(h->lat) > 90 || !isfinite(h->lon) || fabs(h->lon) > 180 ||
          radius != floor(radius) || radius < 1 || radius > ENFORCE_RADIUS_MAX))) {
        admin_error(r, COAP_RESPONSE_CODE_BAD_REQUEST,
                    "fields \"lat\", \"lon\" and \"radius_m\": give all three (degrees, WGS-84, "
                    "and whole metres from 1 to %d) to lock every machine at the site",
                    ENFORCE_RADIUS_MAX);
        return false;
    }
    h->radius_m = (int64_t)radius;
    return true;
}

/* ---- POST /v1/hazards {"enterprise_id", "description", "site_address"?, "lat"?, "lon"?,
 * "radius_m"?} ---- */

static void hazards_post(admin_request *r)
{
    static const char *const fields[] = {
        "enterprise_id", "description", "site_address", "lat", "lon", "radius_m", NULL};
    char description[4 * ENFORCE_TEXT_MAX + 1], address[4 * ENFORCE_ADDRESS_MAX + 1];
    hazard_new h = {.description = description, .site_address = address};
    if (!admin_read_body(r, ENFORCE_BODY_MAX) || !admin_body_fields(r, fields) ||
        !admin_body_id(r, "enterprise_id", &h.enterprise_id) ||
        !admin_body_text(r, "description", ENFORCE_TEXT_MAX, description, sizeof(description)) ||
        !admin_body_text(r, "site_address", ENFORCE_ADDRESS_MAX, address, sizeof(address)) ||
        !hazards_site(r, &h))
        return;
    if (!description[0]) {
        admin_reply_invalid(r, "field \"description\": say what the major hazard is");
        return;
    }
    store *st = admin_store(r);
    if (!st)
        return;
    admin_outcome out;
    store_enforce_open_hazard(st, r->who->identity, r->scope, &h, &out);
    if (out.status == STORE_OK && !out.not_found)
        log_event(LOG_LEVEL_INFO, "hazard_open", "enterprise=%lld located=%d actor=%s",
                  (long long)h.enterprise_id, h.located, r->who->identity);
    char what[96];
    snprintf(what, sizeof(what), "enterprise %lld", (long long)h.enterprise_id);
    admin_reply_found(r, &out, COAP_RESPONSE_CODE_CREATED, what);
}
ADMIN_HANDLER(hnd_post_hazards, ADMIN_ENFORCE, hazards_post)

/* ---- POST /v1/hazards/lift {"id", "note"} ---- */

static void hazards_lift(admin_request *r)
{
    static const char *const fields[] = {"id", "note", NULL};
    int64_t id;
    char note[4 * ENFORCE_TEXT_MAX + 1];
    if (!admin_read_body(r, ENFORCE_BODY_MAX) || !admin_body_fields(r, fields) ||
        !admin_body_id(r, "id", &id) ||
        !admin_body_text(r, "note", ENFORCE_TEXT_MAX, note, sizeof(note)))
        return;
    if (!note[0]) {
        admin_reply_invalid(r, "field \"note\": say how the major hazard was removed");
        return;
    }
    store *st = admin_store(r);
    if (!st)
        return;
    admin_outcome out;
    bool lifted_already;
    store_enforce_lift_hazard(st, r->who->identity, r->scope, id, note, &out, &lifted_already);
    if (out.status == STORE_OK && out.not_found && lifted_already) {
        admin_error(r, COAP_RESPONSE_CODE_CONFLICT, "major hazard %lld was lifted already",
                    (long long)id);
        admin_outcome_deinit(&out);
        return;
    }
    if (out.status == STORE_OK && !out.not_found)
        log_event(LOG_LEVEL_INFO, "hazard_lift", "id=%lld actor=%s", (long long)id,
                  r->who->identity);
    char what[64];
    snprintf(what, sizeof(what), "major hazard %lld", (long long)id);
    admin_reply_found(r, &out, COAP_RESPONSE_CODE_CHANGED, what);
}
ADMIN_HANDLER(hnd_post_hazards_lift, ADMIN_ENFORCE, hazards_lift)
