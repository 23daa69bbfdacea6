/* routes.h — the CoAP resources the server offers, in one table. */
#ifndef WELDREG_SERVER_ROUTES_H
#define WELDREG_SERVER_ROUTES_H

#include <coap3/coap.h>

/* Registers every resource of the table with @p ctx (and so in /.well-known/core). */
void routes_register(coap_context_t *ctx);

#endif
