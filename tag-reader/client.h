/* client.h — weldtag's side of CoAP over DTLS (libcoap stays in client.c): requests and their
 * answers, one at a time, with PSK or a client certificate. */
#ifndef WELDREG_TAG_CLIENT_H
#define WELDREG_TAG_CLIENT_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct client_options {
    const char *server;                         /* coaps://HOST[:PORT] */
    const char *identity;                       /* PSK identity */
    const char *psk;                            /* PSK text (43 characters) */
    const char *cert_file, *key_file, *ca_file; /* instead of a PSK */
    unsigned timeout_s;
} client_options;

/* Request methods, as CoAP numbers them. */
enum { CLIENT_GET = 1, CLIENT_POST = 2, CLIENT_PUT = 3, CLIENT_DELETE = 4 };

/* Content-Format application/cbor (RFC 7049), the API's wire format. */
#define CLIENT_FORMAT_CBOR 60

typedef enum client_status {
    CLIENT_OK = 0,
    CLIENT_EUSAGE = -1,   /* bad options: message says which */
    CLIENT_ENETWORK = -2, /* no answer, or the DTLS handshake failed */
} client_status;

typedef struct client_response {
    unsigned code_class;  /* 2, 4 or 5 */
    unsigned code_detail; /* e.g. 1 for 2.01 */
    int content_format;   /* -1 when absent */
    unsigned max_age;     /* 0 when absent */
    uint8_t *body;        /* malloc'd, NUL-terminated; free with client_response_deinit */
    size_t body_len;
} client_response;

/* Sends @p method (CLIENT_GET, CLIENT_POST, ...) to @p path (e.g. "v1/checkins", may carry
 * "?query") with @p body in @p format (-1: no body) and waits for the answer. On failure writes
 * a message for the person to @p err. */
client_status client_request(const client_options *opt, int method, const char *path, int format,
                             const uint8_t *body, size_t len, client_response *out, char *err,
                             size_t errlen);

void client_response_deinit(client_response *resp);

/* For several requests over one DTLS session: open, call as often as needed, close. */
typedef struct client client;

client_status client_open(const client_options *opt, client **out, char *err, size_t errlen);

/* As client_request(), over the open session. */
client_status client_call(client *c, int method, const char *path, int format, const uint8_t *body,
                          size_t len, client_response *out, char *err, size_t errlen);

/* One answer of an observation (the first, then each notification), and its receiver: return
 * false to stop observing. */
typedef bool (*client_notify_fn)(const client_response *resp, void *arg);

/* Observes @p path (GET with Observe, RFC 7641) over the open session for @p seconds (0: until
 * @p fn stops it, or *@p stop becomes non-zero). @p fn gets every answer in order, outside
 * libcoap's handlers, so it may use client_call() on @p c meanwhile. Deregisters at the end.
 * CLIENT_OK when stopped by @p fn or the time; CLIENT_ENETWORK, with a message, when the session
 * failed or the server ended the observation (an error answer is handed to @p fn first). */
client_status client_observe(client *c, const char *path, unsigned seconds,
                             const volatile sig_atomic_t *stop, client_notify_fn fn, void *arg,
                             char *err, size_t errlen);

/* Ends the session; NULL does nothing. */
void client_close(client *c);

#endif
