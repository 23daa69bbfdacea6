/* handlers.h — the CoAP request handlers, one file per resource (res_<resource>.c). */
#ifndef WELDREG_SERVER_HANDLERS_H
#define WELDREG_SERVER_HANDLERS_H

#include <coap3/coap.h>

/* POST /v1/checkins — a machine's chip reports an event (the device protocol). */
void hnd_post_checkins(coap_resource_t *resource, coap_session_t *session,
                       const coap_pdu_t *request, const coap_string_t *query, coap_pdu_t *response);

/* POST /v1/codes/verify — any principal: {"code": text} checked by the platform (res_codes.c). */
void hnd_post_codes_verify(coap_resource_t *resource, coap_session_t *session,
                           const coap_pdu_t *request, const coap_string_t *query,
                           coap_pdu_t *response);

/* GET /v1/codes/revocations?since=N — any principal: the codes revoked after version N. */
void hnd_get_codes_revocations(coap_resource_t *resource, coap_session_t *session,
                               const coap_pdu_t *request, const coap_string_t *query,
                               coap_pdu_t *response);

#endif
