/* res_admin_permits.c — /v1/permits: list and read, create (window checked against the level,
 * the welders and machines named), end (cancelled or closed, also early), and change while
 * work goes on (a gas re-test, an extension within the level's limit, welders and machines
 * added or removed). There is no free update: each change is one of these, audited. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

/* A gas test may be dated at most this far ahead of the server's clock (clocks differ a little). */
#define PERMIT_GAS_AHEAD_S 60

/* The extension to c->ends_at of the stored window (core/permit.c: later than the current end,
 * the whole window within the level's limit); @p expected_end is the end it extends. False
 * after answering. */
static bool permits_extension_allowed(admin_request *r, store *st, const rules_permit_change *c,
                                      int64_t *expected_end)
{
    store_permit_window w;
    admin_outcome out;
    if (!store_admin_permit_window(st, c->id, &w, &out)) {
        admin_reply_change(r, &out, "permit.change", COAP_RESPONSE_CODE_CHANGED,
                           "approved permit with this id");
        return false;
    }
    permit_level level = w.level;
    if (!permit_extension_ok(level, w.starts_at, w.ends_at, c->ends_at)) {
        char why[RULES_WHY_SIZE];
        snprintf(why, sizeof(why),
                 "field \"ends_at\": an extension must end after the current end and keep a "
                 "%s-level permit within %d h of its start",
                 permit_level_name(level), level == PERMIT_SECOND ? 72 : 8);
        admin_reply_invalid(r, why);
        return false;
    }
    *expected_end = w.ends_at;
    return true;
}

/* {"id", "gas_tested_at" + "gas_value", "ends_at", "add_welders", "remove_welders",
 * "add_machines", "remove_machines", "note"}: rules_check_permit_change(). */
static void permits_change(admin_request *r)
{
    rules_permit_change c;
    char why[RULES_WHY_SIZE];
    if (!admin_read_body(r, PERMIT_BODY_MAX))
        return;
    if (rules_check_permit_change(&r->doc, 0, &c, why, sizeof(why)) != WR_OK) {
        admin_reply_invalid(r, why);
        return;
    }
    if (c.has_gas_test && c.gas_tested_at > (int64_t)time(NULL) + PERMIT_GAS_AHEAD_S) {
        admin_reply_invalid(r, "field \"gas_tested_at\": must not be in the future");
        return;
    }
    store *st = admin_store(r);
    if (!st)
        return;
    int64_t expected_end = 0;
    if (c.has_ends_at && !permits_extension_allowed(r, st, &c, &expected_end))
        return;
    admin_outcome out;
    store_admin_change_permit(st, r->who->identity, &c, expected_end, &out);
    admin_reply_change(r, &out, "permit.change", COAP_RESPONSE_CODE_CHANGED,
                       "approved permit with this id");
}

/* {"year", "days": [{"date", "rest", "name"}, ...]}: one year of the official holiday calendar
 * (rules_check_holidays()), replacing what that year had; the running servers reload it with
 * the registry and raise permits' levels by it at decision time. */
static void holidays_import(admin_request *r)
{
    rules_holidays *h = malloc(sizeof(*h));
    char why[RULES_WHY_SIZE];
    if (!h) {
        admin_error(r, COAP_RESPONSE_CODE_INTERNAL_ERROR, "out of memory");
        return;
    }
    if (admin_read_body(r, PERMIT_BODY_MAX)) {
        if (rules_check_holidays(&r->doc, 0, h, why, sizeof(why)) != WR_OK) {
            admin_reply_invalid(r, why);
        } else {
            store *st = admin_store(r);
            admin_outcome out;
            if (st) {
                store_admin_import_holidays(st, r->who->identity, h, &out);
                admin_reply_change(r, &out, "holidays.import", COAP_RESPONSE_CODE_CHANGED,
                                   "holiday calendar");
            }
        }
    }
    free(h);
}

ADMIN_HANDLER(hnd_get_permits, ADMIN_READ, permits_get)
ADMIN_HANDLER(hnd_post_permits, ADMIN_WRITE, permits_post)
ADMIN_HANDLER(hnd_post_permits_end, ADMIN_WRITE, permits_end)
ADMIN_HANDLER(hnd_post_permits_change, ADMIN_WRITE, permits_change)
ADMIN_HANDLER(hnd_post_holidays_import, ADMIN_WRITE, holidays_import)
