/* routes.h — the CoAP resources the server offers, in one table. */
#ifndef WELDREG_SERVER_ROUTES_H
#define WELDREG_SERVER_ROUTES_H

#include <coap3/coap.h>
#include <stddef.h>

/* One method of one resource: what routes_register() gives libcoap. */
typedef struct routes_entry {
    const char *path; /* without a leading '/' */
    coap_request_t method;
    coap_method_handler_t handler;
    const char *rt; /* resource type for /.well-known/core */
    const char *ct; /* content formats */
} routes_entry;

/* The table routes_register() registers: @p count entries, static. */
const routes_entry *routes_table(size_t *count);

/* The paths whose GET may be observed (RFC 7641): @p count of them, static. */
const char *const *routes_observable(size_t *count);

/* Registers every resource of the table with @p ctx (and so in /.well-known/core). */
void routes_register(coap_context_t *ctx);

#endif
