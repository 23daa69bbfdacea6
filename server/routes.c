/* routes.c — the table of resources: path, method, handler and link attributes. */
#include "server/routes.h"

#include <string.h>

#include "server/handlers.h"

typedef struct route {
    const char *path;
    coap_request_t method;
    coap_method_handler_t handler;
    const char *rt; /* resource type for /.well-known/core */
    const char *ct; /* content formats */
} route;

static const route routes[] = {
    {"v1/checkins", COAP_REQUEST_POST, hnd_post_checkins, "\"weldreg.checkin\"", "\"60 50\""},
    {"v1/codes/verify", COAP_REQUEST_POST, hnd_post_codes_verify, "\"weldreg.code-verify\"", "60"},
    {"v1/codes/revocations", COAP_REQUEST_GET, hnd_get_codes_revocations, "\"weldreg.revocations\"",
     "60"},
};

void routes_register(coap_context_t *ctx)
{
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        const route *r = &routes[i];
        coap_resource_t *res = coap_resource_init(coap_make_str_const(r->path), 0);
        coap_register_handler(res, r->method, r->handler);
        coap_add_attr(res, coap_make_str_const("rt"), coap_make_str_const(r->rt), 0);
        coap_add_attr(res, coap_make_str_const("ct"), coap_make_str_const(r->ct), 0);
        coap_add_resource(ctx, res);
    }
}
