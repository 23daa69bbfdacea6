/* routes.h — the CoAP resources the server offers, in one table. */
#ifndef WELDREG_SERVER_ROUTES_H
#define WELDREG_SERVER_ROUTES_H

#include <coap3/coap.h>

#include "server/checkin/writer.h"

/* Registers every resource of the table with @p ctx (and so in /.well-known/core). */
void routes_register(coap_context_t *ctx);

/* The writer finished @p job (a check-in): wakes its request so that it is answered. Takes
 * ownership of @p job. */
void routes_checkin_done(writer_job *job);

#endif
