/* client.c — a libcoap client over DTLS: one session, one request at a time. */
#include "tag-reader/client.h"

#include <coap3/coap.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct client_state {
    client_response *out;
    bool done;
    bool failed;
    const char *failure;
    uint8_t token[8]; /* of the request whose answer this waits for */
    size_t token_len;
} client_state;

/* An observation: answers queue here until client_observe() hands them on. */
typedef struct client_queued {
    struct client_queued *next;
    client_response resp;
    bool last; /* no Observe option: the observation is over */
} client_queued;

typedef struct observe_state {
    client_state base; /* token, and failures of the session */
    client_queued *head, **tail;
} observe_state;

/* One DTLS session. libcoap's handlers find it as the session's app data, so nothing they
 * need lives outside it. */
struct client {
    coap_context_t *ctx;
    coap_session_t *session;
    unsigned timeout_s;
    client_state *current;    /* a request waiting for its answer */
    observe_state *observing; /* an observation, if any */
};

/* The client that owns @p session; NULL for a session it does not know. */
static client *client_of(const coap_session_t *session)
{
    return session ? coap_session_get_app_data(session) : NULL;
}

static bool client_token_is(const client_state *st, const coap_pdu_t *pdu)
{
    coap_bin_const_t token = coap_pdu_get_token(pdu);
    return st && token.length == st->token_len &&
           (token.length == 0 || memcmp(token.s, st->token, token.length) == 0);
}

/* Copies code, Content-Format, Max-Age and the (whole) body of @p received into @p out. */
static void client_copy_response(const coap_pdu_t *received, client_response *out)
{
    coap_pdu_code_t code = coap_pdu_get_code(received);
    out->code_class = (unsigned)code >> 5;
    out->code_detail = (unsigned)code & 0x1f;
    coap_opt_iterator_t it;
    coap_opt_t *opt = coap_check_option(received, COAP_OPTION_CONTENT_FORMAT, &it);
    out->content_format =
        opt ? (int)coap_decode_var_bytes(coap_opt_value(opt), coap_opt_length(opt)) : -1;
    opt = coap_check_option(received, COAP_OPTION_MAXAGE, &it);
    out->max_age = opt ? coap_decode_var_bytes(coap_opt_value(opt), coap_opt_length(opt)) : 0;
    size_t len = 0, offset, total;
    const uint8_t *data = NULL;
    coap_get_data_large(received, &len, &data, &offset, &total);
    out->body = malloc(len + 1);
    if (out->body) {
        if (len)
            memcpy(out->body, data, len);
        out->body[len] = '\0';
        out->body_len = len;
    }
}

static void client_queue(observe_state *obs, const coap_pdu_t *received)
{
    client_queued *q = calloc(1, sizeof(*q));
    if (!q)
        return;
    client_copy_response(received, &q->resp);
    coap_opt_iterator_t it;
    q->last = coap_check_option(received, COAP_OPTION_OBSERVE, &it) == NULL;
    *obs->tail = q;
    obs->tail = &q->next;
}

static coap_response_t client_on_response(coap_session_t *session, const coap_pdu_t *sent,
                                          const coap_pdu_t *received, const coap_mid_t mid)
{
    (void)sent;
    (void)mid;
    client *c = client_of(session);
    if (!c)
        return COAP_RESPONSE_OK;
    client_state *st = c->current;
    if (st && !st->done && client_token_is(st, received)) {
        client_copy_response(received, st->out);
        st->done = true;
    } else if (c->observing && client_token_is(&c->observing->base, received)) {
        client_queue(c->observing, received);
    }
    /* anything else: a late duplicate of an answer already taken */
    return COAP_RESPONSE_OK;
}

static int client_on_event(coap_session_t *session, const coap_event_t event)
{
    client *c = client_of(session);
    if (!c || (event != COAP_EVENT_DTLS_ERROR && event != COAP_EVENT_DTLS_CLOSED))
        return 0;
    client_state *states[] = {c->current, c->observing ? &c->observing->base : NULL};
    for (size_t i = 0; i < 2; i++) {
        if (!states[i])
            continue; /* e.g. the session closing after the last answer */
        states[i]->failed = true;
        states[i]->failure = "the DTLS session failed or was closed (wrong identity, key or "
                             "certificate, or the server went away)";
    }
    return 0;
}

static void client_on_nack(coap_session_t *session, const coap_pdu_t *sent,
                           const coap_nack_reason_t reason, const coap_mid_t mid)
{
    (void)mid;
    client *c = client_of(session);
    if (!c)
        return;
    client_state *st = c->current;
    if (!st || (sent && !client_token_is(st, sent)))
        st = c->observing && (!sent || client_token_is(&c->observing->base, sent))
                 ? &c->observing->base
                 : NULL;
    if (!st)
        return;
    st->failed = true;
    st->failure = reason == COAP_NACK_TOO_MANY_RETRIES ? "the server did not answer"
                                                       : "the request could not be delivered";
}

static int client_resolve(const char *server, coap_address_t *dst, char *err, size_t errlen)
{
    coap_uri_t uri;
    if (coap_split_uri((const uint8_t *)server, strlen(server), &uri) != 0 ||
        uri.scheme != COAP_URI_SCHEME_COAPS) {
        snprintf(err, errlen, "invalid server \"%s\": expected coaps://HOST[:PORT]", server);
        return -1;
    }
    char host[256], port[8];
    snprintf(host, sizeof(host), "%.*s", (int)uri.host.length, (const char *)uri.host.s);
    snprintf(port, sizeof(port), "%u", uri.port);
    struct addrinfo hints = {.ai_socktype = SOCK_DGRAM}, *res = NULL;
    if (getaddrinfo(host, port, &hints, &res) != 0) {
        snprintf(err, errlen, "could not resolve \"%s\"", host);
        return -1;
    }
    coap_address_init(dst);
    memcpy(&dst->addr, res->ai_addr, res->ai_addrlen);
    dst->size = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

static coap_session_t *client_session(coap_context_t *ctx, const client_options *opt,
                                      const coap_address_t *dst, char *err, size_t errlen)
{
    if (opt->identity && opt->psk) {
        coap_dtls_cpsk_t psk = {.version = COAP_DTLS_CPSK_SETUP_VERSION};
        psk.psk_info.identity.s = (const uint8_t *)opt->identity;
        psk.psk_info.identity.length = strlen(opt->identity);
        psk.psk_info.key.s = (const uint8_t *)opt->psk;
        psk.psk_info.key.length = strlen(opt->psk);
        return coap_new_client_session_psk2(ctx, NULL, dst, COAP_PROTO_DTLS, &psk);
    }
    if (opt->cert_file && opt->key_file && opt->ca_file) {
        coap_dtls_pki_t pki = {.version = COAP_DTLS_PKI_SETUP_VERSION,
                               .verify_peer_cert = 1,
                               .check_common_ca = 1,
                               .cert_chain_validation = 1,
                               .cert_chain_verify_depth = 2};
        pki.pki_key.key_type = COAP_PKI_KEY_PEM;
        pki.pki_key.key.pem.ca_file = opt->ca_file;
        pki.pki_key.key.pem.public_cert = opt->cert_file;
        pki.pki_key.key.pem.private_key = opt->key_file;
        return coap_new_client_session_pki(ctx, NULL, dst, COAP_PROTO_DTLS, &pki);
    }
    snprintf(err, errlen,
             "no credentials: give --identity and --psk-file, or --cert, --key "
             "and --ca");
    return NULL;
}

/* Adds one option per "/"-separated segment of @p text (up to @p end) to @p list. */
static void client_add_segments(coap_optlist_t **list, uint16_t number, const char *text,
                                const char *end, char sep)
{
    while (text < end) {
        const char *next = memchr(text, sep, (size_t)(end - text));
        if (!next)
            next = end;
        if (next > text)
            coap_insert_optlist(
                list, coap_new_optlist(number, (size_t)(next - text), (const uint8_t *)text));
        text = next + 1;
    }
}

static coap_pdu_t *client_build(coap_session_t *session, int method, const char *path, int format,
                                const uint8_t *body, size_t len, client_state *st, bool observe)
{
    coap_pdu_t *pdu =
        coap_pdu_init(COAP_MESSAGE_CON, (coap_pdu_code_t)method, coap_new_message_id(session),
                      coap_session_max_pdu_size(session));
    if (!pdu)
        return NULL;
    coap_session_new_token(session, &st->token_len, st->token);
    coap_add_token(pdu, st->token_len, st->token);
    coap_optlist_t *options = NULL;
    const char *query = strchr(path, '?');
    const char *path_end = query ? query : path + strlen(path);
    client_add_segments(&options, COAP_OPTION_URI_PATH, path, path_end, '/');
    if (query)
        client_add_segments(&options, COAP_OPTION_URI_QUERY, query + 1, query + strlen(query), '&');
    uint8_t buf[4];
    if (observe)
        coap_insert_optlist(
            &options,
            coap_new_optlist(COAP_OPTION_OBSERVE,
                             coap_encode_var_safe(buf, sizeof(buf), COAP_OBSERVE_ESTABLISH), buf));
    if (format >= 0)
        coap_insert_optlist(
            &options,
            coap_new_optlist(COAP_OPTION_CONTENT_FORMAT,
                             coap_encode_var_safe(buf, sizeof(buf), (unsigned)format), buf));
    int ok = coap_add_optlist_pdu(pdu, &options);
    coap_delete_optlist(options);
    if (ok && body && len)
        ok = coap_add_data_large_request(session, pdu, len, body, NULL, NULL);
    if (!ok) {
        coap_delete_pdu(pdu);
        return NULL;
    }
    return pdu;
}

static client_status client_wait(coap_context_t *ctx, client_state *st, unsigned timeout_s,
                                 char *err, size_t errlen)
{
    unsigned waited_ms = 0;
    while (!st->done && !st->failed && waited_ms < timeout_s * 1000) {
        int spent = coap_io_process(ctx, 200);
        if (spent < 0)
            break;
        waited_ms += spent > 0 ? (unsigned)spent : 1;
    }
    if (st->done)
        return CLIENT_OK;
    snprintf(err, errlen, "%s", st->failed ? st->failure : "no answer from the server in time");
    return CLIENT_ENETWORK;
}

client_status client_open(const client_options *opt, client **out, char *err, size_t errlen)
{
    *out = NULL;
    coap_address_t dst;
    if (client_resolve(opt->server, &dst, err, errlen) != 0)
        return CLIENT_EUSAGE;
    client *c = calloc(1, sizeof(*c));
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return CLIENT_EUSAGE;
    }
    coap_startup();
    coap_set_log_level(LOG_EMERG);
    coap_dtls_set_log_level(LOG_EMERG);
    c->timeout_s = opt->timeout_s ? opt->timeout_s : 10;
    c->ctx = coap_new_context(NULL);
    if (c->ctx) {
        coap_context_set_block_mode(c->ctx, COAP_BLOCK_USE_LIBCOAP | COAP_BLOCK_SINGLE_BODY);
        coap_register_response_handler(c->ctx, client_on_response);
        coap_register_event_handler(c->ctx, client_on_event);
        coap_register_nack_handler(c->ctx, client_on_nack);
        c->session = client_session(c->ctx, opt, &dst, err, errlen);
    }
    if (c->session)
        coap_session_set_app_data(c->session, c);
    if (!c->session) {
        client_close(c);
        return CLIENT_EUSAGE;
    }
    *out = c;
    return CLIENT_OK;
}

client_status client_call(client *c, int method, const char *path, int format, const uint8_t *body,
                          size_t len, client_response *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    out->content_format = -1;
    client_state st = {.out = out};
    c->current = &st;
    client_status status = CLIENT_EUSAGE;
    coap_pdu_t *pdu = client_build(c->session, method, path, format, body, len, &st, false);
    if (!pdu || coap_send(c->session, pdu) == COAP_INVALID_MID)
        snprintf(err, errlen, "could not build or send the request");
    else
        status = client_wait(c->ctx, &st, c->timeout_s, err, errlen);
    c->current = NULL;
    return status;
}

static void client_drop_queue(observe_state *obs)
{
    while (obs->head) {
        client_queued *q = obs->head;
        obs->head = q->next;
        client_response_deinit(&q->resp);
        free(q);
    }
    obs->tail = &obs->head;
}

/* Hands the queued answers to @p fn in order; false when it should stop (or the last came). */
static bool client_hand_on(observe_state *obs, client_notify_fn fn, void *arg, bool *ended)
{
    while (obs->head) {
        client_queued *q = obs->head;
        obs->head = q->next;
        if (!obs->head)
            obs->tail = &obs->head;
        /* fn may call client_call(): notifications arriving meanwhile join the queue */
        bool go_on = fn(&q->resp, arg);
        *ended = q->last;
        client_response_deinit(&q->resp);
        free(q);
        if (!go_on || *ended)
            return false;
    }
    return true;
}

client_status client_observe(client *c, const char *path, unsigned seconds,
                             const volatile sig_atomic_t *stop, client_notify_fn fn, void *arg,
                             char *err, size_t errlen)
{
    observe_state obs = {.tail = &obs.head};
    coap_pdu_t *pdu =
        client_build(c->session, COAP_REQUEST_CODE_GET, path, -1, NULL, 0, &obs.base, true);
    if (!pdu || coap_send(c->session, pdu) == COAP_INVALID_MID) {
        snprintf(err, errlen, "could not build or send the request");
        return CLIENT_EUSAGE;
    }
    c->observing = &obs;
    bool ended = false, first = true;
    uint64_t waited_ms = 0, limit_ms = (uint64_t)seconds * 1000;
    while (!obs.base.failed && !(stop && *stop) && (seconds == 0 || waited_ms < limit_ms)) {
        int spent = coap_io_process(c->ctx, 200);
        if (spent < 0)
            break;
        waited_ms += spent > 0 ? (unsigned)spent : 1;
        first = first && !obs.head;
        if (first && waited_ms >= (uint64_t)c->timeout_s * 1000u) {
            obs.base.failed = true;
            obs.base.failure = "no answer from the server in time";
        }
        if (!client_hand_on(&obs, fn, arg, &ended))
            break;
    }
    client_status status = CLIENT_OK;
    if (obs.base.failed || ended) {
        snprintf(err, errlen, "%s",
                 obs.base.failed ? obs.base.failure : "the server ended the observation");
        status = CLIENT_ENETWORK;
    } else {
        coap_binary_t token = {.length = obs.base.token_len, .s = obs.base.token};
        coap_cancel_observe(c->session, &token, COAP_MESSAGE_CON);
        coap_io_process(c->ctx, 100); /* let the deregistration leave */
    }
    c->observing = NULL;
    client_drop_queue(&obs);
    return status;
}

void client_close(client *c)
{
    if (!c)
        return;
    if (c->session)
        coap_session_release(c->session);
    coap_free_context(c->ctx);
    coap_cleanup();
    free(c);
}

client_status client_request(const client_options *opt, int method, const char *path, int format,
                             const uint8_t *body, size_t len, client_response *out, char *err,
                             size_t errlen)
{
    client *c;
    memset(out, 0, sizeof(*out));
    out->content_format = -1;
    client_status status = client_open(opt, &c, err, errlen);
    if (status != CLIENT_OK)
        return status;
    status = client_call(c, method, path, format, body, len, out, err, errlen);
    client_close(c);
    return status;
}

void client_response_deinit(client_response *resp)
{
    free(resp->body);
    resp->body = NULL;
}
