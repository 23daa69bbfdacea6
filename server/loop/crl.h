/* crl.h — the certificate revocation list of the device certificates (option crl_file): a PEM
 * CRL signed by a CA of ca_file, consulted for the leaf of every certificate handshake.
 *
 * Why not OpenSSL's own CRL check: libcoap 4.3.1 makes the SSL_CTX inside every handshake and
 * exposes no X509_STORE, so X509_V_FLAG_CRL_CHECK cannot be set from outside. Its CN callback
 * gets the DER of each certificate of the chain after OpenSSL has verified it; the leaf's serial
 * is looked up here. The file is read again when its modification time or size changes (checked
 * at each certificate handshake): `certs/mkcerts.sh revoke` takes effect without a restart. */
#ifndef WELDREG_SERVER_CRL_H
#define WELDREG_SERVER_CRL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/x509.h>

typedef struct crl_state {
    const char *path;    /* the config's crl_file; "" or NULL: nothing is revoked */
    const char *ca_file; /* the CAs one of which must have signed the CRL */
    X509_CRL *crl;       /* the last good one; NULL when none is configured */
    struct timespec mtime;
    off_t size;
} crl_state;

/* Reads and checks @p path (signature by a CA of @p ca_file). 0, or -1 with a message naming
 * the file in @p err. An empty @p path is not an error: nothing is revoked. */
int crl_load(crl_state *c, const char *path, const char *ca_file, char *err, size_t errlen);

/* True if the certificate @p der (@p len bytes) is on the CRL, or cannot be parsed. Re-reads the
 * file first when it changed; a changed file that does not check keeps the last good CRL and
 * logs a warning. */
bool crl_is_revoked(crl_state *c, const uint8_t *der, size_t len);

/* Frees the CRL; @p c may be zeroed. */
void crl_deinit(crl_state *c);

#endif
