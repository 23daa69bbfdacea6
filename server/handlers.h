/* handlers.h — the CoAP request handlers, one file per resource (res_<resource>.c). */
#ifndef WELDREG_SERVER_HANDLERS_H
#define WELDREG_SERVER_HANDLERS_H

#include <coap3/coap.h>

/* POST /v1/checkins — a machine's chip reports an event (the device protocol). */
void hnd_post_checkins(coap_resource_t *resource, coap_session_t *session,
                       const coap_pdu_t *request, const coap_string_t *query, coap_pdu_t *response);

#endif
