/* dtls_creds.c — the DTLS certificate, key and CA read once and given to libcoap from memory
 * (see dtls_creds.h for why). */
#include "server/loop/dtls_creds.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A certificate chain or key file larger than this is not one. */
#define DTLS_CREDS_FILE_MAX (1u << 20)

/* Reads @p path whole into a NUL-terminated heap copy. */
static char *dtls_creds_read(const char *name, const char *path, size_t *len, char *err,
                             size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "could not open %s \"%s\": %s", name, path, strerror(errno));
        return NULL;
    }
    char *buf = malloc(DTLS_CREDS_FILE_MAX + 1);
    size_t n = buf ? fread(buf, 1, DTLS_CREDS_FILE_MAX + 1, f) : 0;
    int failed = ferror(f);
    fclose(f);
    if (!buf || failed || n == 0 || n > DTLS_CREDS_FILE_MAX) {
        snprintf(err, errlen, "could not read %s \"%s\": %s", name, path,
                 !buf     ? "out of memory"
                 : failed ? "read error"
                 : n      ? "larger than 1 MiB"
                          : "empty");
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* The reason of OpenSSL's oldest queued error, for a message; empties the queue. */
static const char *dtls_creds_openssl_reason(void)
{
    const char *reason = ERR_reason_error_string(ERR_peek_error());
    ERR_clear_error();
    return reason ? reason : "not PEM";
}

/* Checks that the certificate parses and the key is its private key. */
static int dtls_creds_check_pair(const dtls_creds *c, const char *cert_file, const char *key_file,
                                 char *err, size_t errlen)
{
    BIO *cb = BIO_new_mem_buf(c->cert, (int)c->cert_len);
    X509 *cert = cb ? PEM_read_bio_X509(cb, NULL, NULL, NULL) : NULL;
    BIO *kb = BIO_new_mem_buf(c->key, (int)c->key_len);
    EVP_PKEY *key = kb ? PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL) : NULL;
    int rc = -1;
    if (!cert)
        snprintf(err, errlen, "could not read the certificate in cert_file \"%s\": %s", cert_file,
                 dtls_creds_openssl_reason());
    else if (!key)
        snprintf(err, errlen, "could not read the private key in key_file \"%s\": %s", key_file,
                 dtls_creds_openssl_reason());
    else if (X509_check_private_key(cert, key) != 1)
        snprintf(err, errlen, "key_file \"%s\" is not the key of cert_file \"%s\"", key_file,
                 cert_file);
    else
        rc = 0;
    EVP_PKEY_free(key);
    X509_free(cert);
    BIO_free(kb);
    BIO_free(cb);
    return rc;
}

/* Counts the certificates in the CA file; a file with none is refused. */
static int dtls_creds_check_ca(const dtls_creds *c, const char *ca_file, char *err, size_t errlen)
{
    BIO *b = BIO_new_mem_buf(c->ca, (int)c->ca_len);
    unsigned count = 0;
    X509 *x;
    while (b && (x = PEM_read_bio_X509(b, NULL, NULL, NULL))) {
        count++;
        X509_free(x);
    }
    BIO_free(b);
    if (count == 0) {
        snprintf(err, errlen, "no certificate in ca_file \"%s\": %s", ca_file,
                 dtls_creds_openssl_reason());
        return -1;
    }
    return 0;
}

int dtls_creds_load(dtls_creds *c, const char *cert_file, const char *key_file, const char *ca_file,
                    char *err, size_t errlen)
{
    memset(c, 0, sizeof(*c));
    int rc = -1;
    if (!(c->cert = dtls_creds_read("cert_file", cert_file, &c->cert_len, err, errlen)) ||
        !(c->key = dtls_creds_read("key_file", key_file, &c->key_len, err, errlen)) ||
        !(c->ca = dtls_creds_read("ca_file", ca_file, &c->ca_len, err, errlen)))
        goto done;
    if (dtls_creds_check_pair(c, cert_file, key_file, err, errlen) != 0 ||
        dtls_creds_check_ca(c, ca_file, err, errlen) != 0)
        goto done;
    rc = 0;
done:
    ERR_clear_error(); /* reading a PEM file to its end always leaves "no start line" */
    if (rc != 0)
        dtls_creds_deinit(c);
    return rc;
}

/* Runs at the end of libcoap's set-up of each handshake, after it parsed the PEM copies. */
static int dtls_creds_after_setup(void *tls_session, coap_dtls_pki_t *setup)
{
    (void)tls_session;
    (void)setup;
    dtls_creds_clear_errors();
    return 1;
}

void dtls_creds_apply(const dtls_creds *c, coap_dtls_pki_t *pki)
{
    pki->pki_key.key_type = COAP_PKI_KEY_PEM_BUF;
    pki->pki_key.key.pem_buf.public_cert = (const uint8_t *)c->cert;
    pki->pki_key.key.pem_buf.public_cert_len = c->cert_len;
    pki->pki_key.key.pem_buf.private_key = (const uint8_t *)c->key;
    pki->pki_key.key.pem_buf.private_key_len = c->key_len;
    pki->pki_key.key.pem_buf.ca_cert = (const uint8_t *)c->ca;
    pki->pki_key.key.pem_buf.ca_cert_len = c->ca_len;
    pki->additional_tls_setup_call_back = dtls_creds_after_setup;
}

void dtls_creds_deinit(dtls_creds *c)
{
    if (c->key)
        OPENSSL_cleanse(c->key, c->key_len);
    free(c->key);
    free(c->cert);
    free(c->ca);
    memset(c, 0, sizeof(*c));
}

void dtls_creds_clear_errors(void)
{
    ERR_clear_error();
}

unsigned dtls_creds_drop_errors(char *reason, size_t cap)
{
    unsigned dropped = 0;
    unsigned long e;
    reason[0] = '\0';
    while ((e = ERR_get_error()) != 0) {
        if (dropped++ == 0) {
            const char *text = ERR_reason_error_string(e);
            snprintf(reason, cap, "%s", text ? text : "unknown");
        }
    }
    return dropped;
}
