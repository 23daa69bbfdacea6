/* res_enforce.c — enforcement that closes (重患必停; docs/inspector-guide.md): major hazards
 * opened and lifted by inspectors (in their communities) and administrators. While one is open,
 * or while its enterprise is suspended (PUT /v1/enterprises status=suspended), every machine of
 * the enterprise is locked at its next event (core/decision.c). Machines have no access. */
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

/* ---- POST /v1/hazards {"enterprise_id", "description", "site_address"} ---- */

static void hazards_post(admin_request *r)
{
    static const char *const fields[] = {"enterprise_id", "description", "site_address", NULL};
    int64_t enterprise_id;
    char description[4 * ENFORCE_TEXT_MAX + 1], address[4 * ENFORCE_ADDRESS_MAX + 1];
    if (!admin_read_body(r, ENFORCE_BODY_MAX) || !admin_body_fields(r, fields) ||
        !admin_body_id(r, "enterprise_id", &enterprise_id) ||
        !admin_body_text(r, "description", ENFORCE_TEXT_MAX, description, sizeof(description)) ||
        !admin_body_text(r, "site_address", ENFORCE_ADDRESS_MAX, address, sizeof(address)))
        return;
    if (!description[0]) {
        admin_reply_invalid(r, "field \"description\": say what the major hazard is");
        return;
    }
    store *st = admin_store(r);
    if (!st)
        return;
    admin_outcome out;
    store_enforce_open_hazard(st, r->who->identity, r->scope, enterprise_id, address, description,
                              &out);
    if (out.status == STORE_OK && !out.not_found)
        log_event(LOG_LEVEL_INFO, "hazard_open", "enterprise=%lld actor=%s",
                  (long long)enterprise_id, r->who->identity);
    char what[96];
    snprintf(what, sizeof(what), "enterprise %lld", (long long)enterprise_id);
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
