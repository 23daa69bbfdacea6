/* reply.c — response helpers over libcoap's PDU API. */
#include "server/loop/reply.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

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

/* @p code with Max-Age @p retry_after_s and the diagnostic @p text. */
static void reply_retry_later(coap_pdu_t *response, coap_pdu_code_t code, unsigned retry_after_s,
                              const char *text)
{
    uint8_t buf[4];
    coap_pdu_set_code(response, code);
    coap_add_option(response, COAP_OPTION_MAXAGE,
                    coap_encode_var_safe(buf, sizeof(buf), retry_after_s), buf);
    coap_add_data(response, strlen(text), (const uint8_t *)text);
}

void reply_unavailable(coap_pdu_t *response, unsigned retry_after_s)
{
    reply_retry_later(response, COAP_RESPONSE_CODE_SERVICE_UNAVAILABLE, retry_after_s,
                      "database unavailable, retry later");
}

void reply_too_many(coap_pdu_t *response, unsigned retry_after_s)
{
    reply_retry_later(response, COAP_RESPONSE_CODE_TOO_MANY_REQUESTS, retry_after_s,
                      "too many check-ins from this machine, retry later");
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

void reply_defer(reply_deferred *d, const coap_pdu_t *request)
{
    coap_bin_const_t token = coap_pdu_get_token(request);
    d->token_len = token.length < sizeof(d->token) ? token.length : sizeof(d->token);
    memcpy(d->token, token.s, d->token_len);
    d->mid = coap_pdu_get_mid(request);
    d->confirmable = coap_pdu_get_type(request) == COAP_MESSAGE_CON;
    coap_opt_iterator_t it;
    coap_opt_t *block1 = coap_check_option(request, COAP_OPTION_BLOCK1, &it);
    d->has_block1 = block1 != NULL;
    d->block1 = block1 ? coap_decode_var_bytes(coap_opt_value(block1), coap_opt_length(block1)) : 0;
}

coap_pdu_t *reply_deferred_pdu(const reply_deferred *d, coap_session_t *session)
{
    coap_pdu_t *pdu = coap_pdu_init(d->confirmable ? COAP_MESSAGE_ACK : COAP_MESSAGE_NON, 0,
                                    d->confirmable ? d->mid : coap_new_message_id(session),
                                    coap_session_max_pdu_size(session));
    if (!pdu || !coap_add_token(pdu, d->token_len, d->token)) {
        coap_delete_pdu(pdu);
        return NULL;
    }
    if (d->has_block1) {
        uint8_t buf[4];
        coap_add_option(pdu, COAP_OPTION_BLOCK1, coap_encode_var_safe(buf, sizeof(buf), d->block1),
                        buf);
    }
    return pdu;
}
