/* dtls_creds.h — the server's DTLS certificate, key and CA, read and checked once at start-up and
 * handed to libcoap from memory.
 *
 * Why not libcoap's file names: libcoap 4.3.1 with OpenSSL 3 loads the PKI files inside every
 * handshake (its ClientHello callback), from disk, and reading a PEM file to its end leaves an
 * error ("no start line") in OpenSSL's per-thread error queue. Its glue empties that queue only
 * when its DTLS log level is LOG_WARNING or above, so at the default log level the next
 * SSL_get_error() in the same handshake saw the stale error and every handshake failed, PSK ones
 * included. Here the files are read once (a missing or broken file stops the start with a
 * message), libcoap parses the in-memory copies, and the callback it runs after its own set-up
 * empties the queue. */
#ifndef WELDREG_SERVER_DTLS_CREDS_H
#define WELDREG_SERVER_DTLS_CREDS_H

#include <coap3/coap.h>
#include <stddef.h>
#include <stdint.h>

/* PEM text of each file, NUL-terminated; the key is wiped when freed. */
typedef struct dtls_creds {
    char *cert;
    char *key;
    char *ca;
    size_t cert_len, key_len, ca_len;
} dtls_creds;

/* Reads @p cert_file (the server's certificate), @p key_file (its private key, which must match
 * the certificate) and @p ca_file (one or more CA certificates that client certificates must
 * chain to). 0, or -1 with a message naming the file in @p err (and @p c left empty). OpenSSL's
 * error queue is empty on return either way. */
int dtls_creds_load(dtls_creds *c, const char *cert_file, const char *key_file, const char *ca_file,
                    char *err, size_t errlen);

/* Points @p pki's key at the PEM copies in @p c (which must outlive the libcoap context) and sets
 * the callback that empties OpenSSL's error queue after libcoap's per-handshake set-up. */
void dtls_creds_apply(const dtls_creds *c, coap_dtls_pki_t *pki);

/* Wipes the key and frees every copy; @p c may be zeroed or half-loaded. */
void dtls_creds_deinit(dtls_creds *c);

/* Empties OpenSSL's error queue of this thread. For the callbacks the server gives libcoap, which
 * run inside a handshake: an error that another session's failed handshake left there must not
 * fail this one. */
void dtls_creds_clear_errors(void);

/* Empties the queue and returns how many errors were in it; the reason of the first goes to
 * @p reason (an empty string when none). For the loop after each piece of work, so that a stale
 * error can never fail a later handshake. */
unsigned dtls_creds_drop_errors(char *reason, size_t cap);

#endif
