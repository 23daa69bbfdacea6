/* routes.h — the CoAP resources the server offers, in one table. */
#ifndef WELDREG_SERVER_ROUTES_H
#define WELDREG_SERVER_ROUTES_H

#include <coap3/coap.h>
#include <stddef.h>

/* Who serves a resource: routes_register() sets that object as the resource's user data, where
 * its handlers find it (coap_resource_get_userdata) instead of reaching for the server. */
typedef enum routes_owner {
    ROUTES_OWNER_CHECKINS, /* POST /v1/checkins (checkin/res_checkins.c) */
    ROUTES_OWNER_CODES,    /* /v1/codes/... (checkin/res_codes.c, memory only, on the loop) */
    ROUTES_OWNER_API,      /* the API for people: the api (api/api.h) */
    ROUTES_OWNER_COUNT
} routes_owner;

/* One method of one resource: what routes_register() gives libcoap. */
typedef struct routes_entry {
    const char *path; /* without a leading '/' */
    coap_request_t method;
    coap_method_handler_t handler;
    routes_owner owner; /* the same for every method of a path */
    const char *rt;     /* resource type for /.well-known/core */
    const char *ct;     /* content formats */
} routes_entry;

/* The table routes_register() registers: @p count entries, static. */
const routes_entry *routes_table(size_t *count);

/* The paths whose GET may be observed (RFC 7641): @p count of them, static. */
const char *const *routes_observable(size_t *count);

/* Registers every resource of the table with @p ctx (and so in /.well-known/core), each with
 * @p owners[its owner] as user data (borrowed: the owners must outlive the context). */
void routes_register(coap_context_t *ctx, void *const owners[ROUTES_OWNER_COUNT]);

#endif
