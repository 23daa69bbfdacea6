/* routes.c — the table of resources: path, method, handler and link attributes. */
#include "server/loop/routes.h"

#include <string.h>

#include "server/loop/handlers.h"

typedef routes_entry route;

static const route routes[] = {
    {"v1/checkins", COAP_REQUEST_POST, hnd_post_checkins, ROUTES_OWNER_CHECKINS,
     "\"weldreg.checkin\"", "\"60 50\""},
    {"v1/codes/verify", COAP_REQUEST_POST, hnd_post_codes_verify, ROUTES_OWNER_CODES,
     "\"weldreg.code-verify\"", "60"},
    {"v1/codes/revocations", COAP_REQUEST_GET, hnd_get_codes_revocations, ROUTES_OWNER_CODES,
     "\"weldreg.revocations\"", "60"},
    {"v1/codes", COAP_REQUEST_GET, hnd_get_codes, ROUTES_OWNER_API, "\"weldreg.codes\"",
     "\"60 50\""},
    {"v1/codes/reissue", COAP_REQUEST_POST, hnd_post_codes_reissue, ROUTES_OWNER_API,
     "\"weldreg.code-reissue\"", "\"60 50\""},
    {"v1/codes/revoke", COAP_REQUEST_POST, hnd_post_codes_revoke, ROUTES_OWNER_API,
     "\"weldreg.code-revoke\"", "\"60 50\""},
    {"v1/communities", COAP_REQUEST_GET, hnd_get_communities, ROUTES_OWNER_API,
     "\"weldreg.communities\"", "\"60 50\""},
    {"v1/communities", COAP_REQUEST_POST, hnd_post_communities, ROUTES_OWNER_API,
     "\"weldreg.communities\"", "\"60 50\""},
    {"v1/enterprises", COAP_REQUEST_GET, hnd_get_enterprises, ROUTES_OWNER_API,
     "\"weldreg.enterprises\"", "\"60 50\""},
    {"v1/enterprises", COAP_REQUEST_POST, hnd_post_enterprises, ROUTES_OWNER_API,
     "\"weldreg.enterprises\"", "\"60 50\""},
    {"v1/enterprises", COAP_REQUEST_PUT, hnd_put_enterprises, ROUTES_OWNER_API,
     "\"weldreg.enterprises\"", "\"60 50\""},
    {"v1/machines", COAP_REQUEST_GET, hnd_get_machines, ROUTES_OWNER_API, "\"weldreg.machines\"",
     "\"60 50\""},
    {"v1/machines", COAP_REQUEST_POST, hnd_post_machines, ROUTES_OWNER_API, "\"weldreg.machines\"",
     "\"60 50\""},
    {"v1/machines", COAP_REQUEST_PUT, hnd_put_machines, ROUTES_OWNER_API, "\"weldreg.machines\"",
     "\"60 50\""},
    {"v1/machines/transfer", COAP_REQUEST_POST, hnd_post_machines_transfer, ROUTES_OWNER_API,
     "\"weldreg.machine-transfer\"", "\"60 50\""},
    {"v1/machines/retire", COAP_REQUEST_POST, hnd_post_machines_retire, ROUTES_OWNER_API,
     "\"weldreg.machine-retire\"", "\"60 50\""},
    {"v1/welders", COAP_REQUEST_GET, hnd_get_welders, ROUTES_OWNER_API, "\"weldreg.welders\"",
     "\"60 50\""},
    {"v1/welders", COAP_REQUEST_POST, hnd_post_welders, ROUTES_OWNER_API, "\"weldreg.welders\"",
     "\"60 50\""},
    {"v1/welders", COAP_REQUEST_PUT, hnd_put_welders, ROUTES_OWNER_API, "\"weldreg.welders\"",
     "\"60 50\""},
    {"v1/welders/retire", COAP_REQUEST_POST, hnd_post_welders_retire, ROUTES_OWNER_API,
     "\"weldreg.welder-retire\"", "\"60 50\""},
    {"v1/welders/training", COAP_REQUEST_POST, hnd_post_welders_training, ROUTES_OWNER_API,
     "\"weldreg.welder-training\"", "\"60 50\""},
    {"v1/welders/employment", COAP_REQUEST_POST, hnd_post_welders_employment, ROUTES_OWNER_API,
     "\"weldreg.welder-employment\"", "\"60 50\""},
    {"v1/welders/import", COAP_REQUEST_POST, hnd_post_welders_import, ROUTES_OWNER_API,
     "\"weldreg.welder-import\"", "0"},
    {"v1/enterprises/import", COAP_REQUEST_POST, hnd_post_enterprises_import, ROUTES_OWNER_API,
     "\"weldreg.enterprise-import\"", "0"},
    {"v1/machines/import", COAP_REQUEST_POST, hnd_post_machines_import, ROUTES_OWNER_API,
     "\"weldreg.machine-import\"", "0"},
    {"v1/permits", COAP_REQUEST_GET, hnd_get_permits, ROUTES_OWNER_API, "\"weldreg.permits\"",
     "\"60 50\""},
    {"v1/permits", COAP_REQUEST_POST, hnd_post_permits, ROUTES_OWNER_API, "\"weldreg.permits\"",
     "\"60 50\""},
    {"v1/permits/end", COAP_REQUEST_POST, hnd_post_permits_end, ROUTES_OWNER_API,
     "\"weldreg.permit-end\"", "\"60 50\""},
    {"v1/permits/change", COAP_REQUEST_POST, hnd_post_permits_change, ROUTES_OWNER_API,
     "\"weldreg.permit-change\"", "\"60 50\""},
    {"v1/holidays/import", COAP_REQUEST_POST, hnd_post_holidays_import, ROUTES_OWNER_API,
     "\"weldreg.holidays-import\"", "\"60 50\""},
    {"v1/principals", COAP_REQUEST_GET, hnd_get_principals, ROUTES_OWNER_API,
     "\"weldreg.principals\"", "\"60 50\""},
    {"v1/principals", COAP_REQUEST_POST, hnd_post_principals, ROUTES_OWNER_API,
     "\"weldreg.principals\"", "\"60 50\""},
    {"v1/principals", COAP_REQUEST_PUT, hnd_put_principals, ROUTES_OWNER_API,
     "\"weldreg.principals\"", "\"60 50\""},
    {"v1/audit", COAP_REQUEST_GET, hnd_get_audit, ROUTES_OWNER_API, "\"weldreg.audit\"",
     "\"60 50\""},
    {"v1/machines/card", COAP_REQUEST_GET, hnd_get_machine_card, ROUTES_OWNER_API,
     "\"weldreg.machine-card\"", "\"60 50\""},
    {"v1/violations", COAP_REQUEST_GET, hnd_get_violations, ROUTES_OWNER_API,
     "\"weldreg.violations\"", "\"60 50\""},
    {"v1/violations/live", COAP_REQUEST_GET, hnd_get_violations_live, ROUTES_OWNER_API,
     "\"weldreg.violations-live\"", "\"60 50\""},
    {"v1/violations/acknowledge", COAP_REQUEST_POST, hnd_post_violations_acknowledge,
     ROUTES_OWNER_API, "\"weldreg.violation-step\"", "\"60 50\""},
    {"v1/violations/resolve", COAP_REQUEST_POST, hnd_post_violations_resolve, ROUTES_OWNER_API,
     "\"weldreg.violation-step\"", "\"60 50\""},
    {"v1/violations/dismiss", COAP_REQUEST_POST, hnd_post_violations_dismiss, ROUTES_OWNER_API,
     "\"weldreg.violation-step\"", "\"60 50\""},
    {"v1/violations/progress", COAP_REQUEST_POST, hnd_post_violations_progress, ROUTES_OWNER_API,
     "\"weldreg.violation-note\"", "\"60 50\""},
    {"v1/violations/evidence", COAP_REQUEST_POST, hnd_post_violations_evidence, ROUTES_OWNER_API,
     "\"weldreg.violation-note\"", "\"60 50\""},
    {"v1/violations/overdue", COAP_REQUEST_GET, hnd_get_violations_overdue, ROUTES_OWNER_API,
     "\"weldreg.violations-overdue\"", "\"60 50\""},
    {"v1/reports", COAP_REQUEST_POST, hnd_post_reports, ROUTES_OWNER_API, "\"weldreg.reports\"",
     "\"60 50\""},
    {"v1/counts", COAP_REQUEST_GET, hnd_get_counts, ROUTES_OWNER_API, "\"weldreg.counts\"",
     "\"60 50\""},
    {"v1/hazards", COAP_REQUEST_GET, hnd_get_hazards, ROUTES_OWNER_API, "\"weldreg.hazards\"",
     "\"60 50\""},
    {"v1/hazards", COAP_REQUEST_POST, hnd_post_hazards, ROUTES_OWNER_API, "\"weldreg.hazards\"",
     "\"60 50\""},
    {"v1/hazards/lift", COAP_REQUEST_POST, hnd_post_hazards_lift, ROUTES_OWNER_API,
     "\"weldreg.hazard-lift\"", "\"60 50\""},
    {"v1/spotchecks", COAP_REQUEST_GET, hnd_get_spotchecks, ROUTES_OWNER_API,
     "\"weldreg.spotchecks\"", "\"60 50\""},
    {"v1/spotchecks", COAP_REQUEST_POST, hnd_post_spotchecks, ROUTES_OWNER_API,
     "\"weldreg.spotchecks\"", "\"60 50\""},
};

/* Resources whose GET may be observed (RFC 7641): notified by the loop (server.c)
 * when the database announces new violations. */
static const char *const observable[] = {"v1/violations/live"};

const routes_entry *routes_table(size_t *count)
{
    *count = sizeof(routes) / sizeof(routes[0]);
    return routes;
}

const char *const *routes_observable(size_t *count)
{
    *count = sizeof(observable) / sizeof(observable[0]);
    return observable;
}

void routes_register(coap_context_t *ctx, void *const owners[ROUTES_OWNER_COUNT])
{
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        const route *r = &routes[i];
        /* several methods of one path share its resource: a second resource of the same path
         * would replace the first */
        coap_resource_t *res = coap_get_resource_from_uri_path(ctx, coap_make_str_const(r->path));
        if (!res) {
            res = coap_resource_init(coap_make_str_const(r->path), 0);
            coap_add_attr(res, coap_make_str_const("rt"), coap_make_str_const(r->rt), 0);
            coap_add_attr(res, coap_make_str_const("ct"), coap_make_str_const(r->ct), 0);
            coap_resource_set_userdata(res, owners[r->owner]);
            coap_add_resource(ctx, res);
        }
        coap_register_handler(res, r->method, r->handler);
    }
    for (size_t i = 0; i < sizeof(observable) / sizeof(observable[0]); i++) {
        coap_resource_t *res =
            coap_get_resource_from_uri_path(ctx, coap_make_str_const(observable[i]));
        coap_add_attr(res, coap_make_str_const("obs"), NULL, 0);
        coap_resource_set_get_observable(res, 1);
    }
}
