/* res_admin_permits.c — /v1/permits: list and read, create (window checked against the level,
 * the welders and machines named), and end (cancelled or closed). A change of people means a
 * new permit (GB 30871 4.16), so there is no update. */
#include <stdio.h>
#include <string.h>

#include "core/registry_rules.h"
#include "server/api/admin.h"
#include "server/api/api.h"
#include "server/loop/handlers.h"
#include "server/loop/reply.h"

#define PERMIT_BODY_MAX (64u << 10)

static void permits_get(admin_request *r)
{
    admin_list(r, ADMIN_PERMIT, "permit");
}

static void permits_post(admin_request *r)
{
    rules_permit p;
    char why[RULES_WHY_SIZE];
    if (!admin_read_body(r, PERMIT_BODY_MAX))
        return;
    if (rules_check_permit(&r->doc, 0, &p, why, sizeof(why)) != WR_OK) {
        admin_reply_invalid(r, why);
        return;
    }
    store *st = admin_store(r);
    if (!st)
        return;
    admin_outcome out;
    store_admin_create_permit(st, r->who->identity, &p, &out);
    admin_reply_change(r, &out, "permit.create", COAP_RESPONSE_CODE_CREATED, "permit");
}

/* {"id", "status": "cancelled" (default) or "closed"} */
static void permits_end(admin_request *r)
{
    int64_t id;
    char status[16];
    if (!admin_read_body(r, PERMIT_BODY_MAX) || !admin_body_id(r, "id", &id) ||
        !admin_body_text(r, "status", 10, status, sizeof(status)))
        return;
    if (!status[0])
        snprintf(status, sizeof(status), "cancelled");
    if (strcmp(status, "cancelled") != 0 && strcmp(status, "closed") != 0) {
        admin_reply_invalid(r, "field \"status\": must be cancelled or closed");
        return;
    }
    store *st = admin_store(r);
    if (!st)
        return;
    admin_outcome out;
    store_admin_end_permit(st, r->who->identity, id, status, &out);
    admin_reply_change(r, &out, "permit.end", COAP_RESPONSE_CODE_CHANGED,
                       "approved permit with this id");
}

ADMIN_HANDLER(hnd_get_permits, ADMIN_READ, permits_get)
ADMIN_HANDLER(hnd_post_permits, ADMIN_WRITE, permits_post)
ADMIN_HANDLER(hnd_post_permits_end, ADMIN_WRITE, permits_end)
