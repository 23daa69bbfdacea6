/* reply.c — response helpers over libcoap's PDU API. */
#include "server/loop/reply.h"

#include <stdarg.h>
#include <stdio.h>

void reply_error(coap_pdu_t *response, coap_pdu_code_t code, const char *fmt, ...)
{
    char text[768]; /* a list of allowed values; still well inside one datagram */
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    if ((size_t)n >= sizeof(text))
        n = sizeof(text) - 1;
    coap_pdu_set_code(response, code);
    coap_add_data(response, (size_t)n, (const uint8_t *)text);
}

void reply_unavailable(coap_pdu_t *response, unsigned retry_after_s)
{
    uint8_t buf[4];
    coap_pdu_set_code(response, COAP_RESPONSE_CODE_SERVICE_UNAVAILABLE);
    coap_add_option(response, COAP_OPTION_MAXAGE,
                    coap_encode_var_safe(buf, sizeof(buf), retry_after_s), buf);
    static const char text[] = "database unavailable, retry later";
    coap_add_data(response, sizeof(text) - 1, (const uint8_t *)text);
}

void reply_body(coap_pdu_t *response, coap_pdu_code_t code, uint16_t format, const uint8_t *body,
                size_t len)
{
    uint8_t buf[4];
    coap_pdu_set_code(response, code);
    coap_add_option(response, COAP_OPTION_CONTENT_FORMAT,
                    coap_encode_var_safe(buf, sizeof(buf), format), buf);
    coap_add_data(response, len, body);
}

static int reply_uint_option(const coap_pdu_t *pdu, coap_option_num_t number)
{
    coap_opt_iterator_t it;
    coap_opt_t *opt = coap_check_option(pdu, number, &it);
    if (!opt)
        return -1;
    return (int)coap_decode_var_bytes(coap_opt_value(opt), coap_opt_length(opt));
}

int reply_content_format(const coap_pdu_t *request)
{
    return reply_uint_option(request, COAP_OPTION_CONTENT_FORMAT);
}

int reply_accept(const coap_pdu_t *request)
{
    return reply_uint_option(request, COAP_OPTION_ACCEPT);
}
