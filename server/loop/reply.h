/* reply.h — helpers that fill a CoAP response: errors with a diagnostic payload, and CBOR or
 * JSON bodies chosen by the request's Accept option. */
#ifndef WELDREG_SERVER_REPLY_H
#define WELDREG_SERVER_REPLY_H

#include <coap3/coap.h>
#include <stddef.h>
#include <stdint.h>

/* Sets @p code (e.g. COAP_RESPONSE_CODE_BAD_REQUEST) and a UTF-8 diagnostic payload
 * (RFC 7252 5.5.2) formatted from @p fmt. */
void reply_error(coap_pdu_t *response, coap_pdu_code_t code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* 5.03 with Max-Age @p retry_after_s: the database is away, try again later. */
void reply_unavailable(coap_pdu_t *response, unsigned retry_after_s);

/* Sets @p code, Content-Format @p format and the payload. */
void reply_body(coap_pdu_t *response, coap_pdu_code_t code, uint16_t format, const uint8_t *body,
                size_t len);

/* The request's Content-Format, or -1 when it has none. */
int reply_content_format(const coap_pdu_t *request);

/* The request's Accept option, or -1 when it has none. */
int reply_accept(const coap_pdu_t *request);

#endif
