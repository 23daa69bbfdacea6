/* reply.h — helpers that fill a CoAP response: errors with a diagnostic payload, and CBOR or
 * JSON bodies chosen by the request's Accept option. */
#ifndef WELDREG_SERVER_REPLY_H
#define WELDREG_SERVER_REPLY_H

#include <coap3/coap.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Sets @p code (e.g. COAP_RESPONSE_CODE_BAD_REQUEST) and a UTF-8 diagnostic payload
 * (RFC 7252 5.5.2) formatted from @p fmt. */
void reply_error(coap_pdu_t *response, coap_pdu_code_t code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* 5.03 with Max-Age @p retry_after_s: the database is away, try again later. */
void reply_unavailable(coap_pdu_t *response, unsigned retry_after_s);

/* 4.29 with Max-Age @p retry_after_s: this client sends faster than it may. */
void reply_too_many(coap_pdu_t *response, unsigned retry_after_s);

/* Sets @p code, Content-Format @p format and the payload. */
void reply_body(coap_pdu_t *response, coap_pdu_code_t code, uint16_t format, const uint8_t *body,
                size_t len);

/* The request's Content-Format, or -1 when it has none. */
int reply_content_format(const coap_pdu_t *request);

/* The request's Accept option, or -1 when it has none. */
int reply_accept(const coap_pdu_t *request);

/* ---- answers sent later, piggybacked ----
 * A request answered after its handler returned (a check-in, once committed), without libcoap's
 * async support (an empty ACK and a separate CON answer, four datagrams): the answer goes in the
 * ACK of a CON request, or as a NON message to a NON one. */

/* What must be kept of a request to answer it later. */
typedef struct reply_deferred {
    uint8_t token[8];
    size_t token_len;
    coap_mid_t mid;
    bool confirmable;
    bool has_block1; /* the body came in blocks: the answer carries the last Block1 */
    uint32_t block1;
} reply_deferred;

/* Notes @p request's token, message id, type and Block1 option in @p d. */
void reply_defer(reply_deferred *d, const coap_pdu_t *request);

/* The answer's PDU for @p d on @p session (the ACK with its message id, or a NON message; the
 * token and Block1 of the request), for the caller to fill and coap_send(); NULL when out of
 * memory. */
coap_pdu_t *reply_deferred_pdu(const reply_deferred *d, coap_session_t *session);

#endif
