/* webhook.h — one attempt to deliver a notice: an HTTPS POST of its JSON body with the
 * idempotency key and the signature in headers (docs/operator-guide.md, "Notices"). */
#ifndef WELDREG_SERVER_WEBHOOK_H
#define WELDREG_SERVER_WEBHOOK_H

#include <stddef.h>
#include <stdint.h>

/* Where and how notices are sent. */
typedef struct webhook {
    const char *url;     /* https:// only; redirects are not followed */
    const char *ca_file; /* CAs to check the receiver against; "" for the system's */
    const uint8_t *secret;
    size_t secret_len;
    unsigned timeout_s;
} webhook;

/* POSTs @p body with the headers Idempotency-Key: @p key, X-Weldreg-Notice: @p kind and
 * X-Weldreg-Signature. 0 when the receiver answered 2xx; -1 otherwise, with what happened in
 * @p why ("HTTP 503", or the transfer's error; never the URL or the secret). */
int webhook_post(const webhook *w, const char *key, const char *kind, const char *body, char *why,
                 size_t whylen);

#endif
