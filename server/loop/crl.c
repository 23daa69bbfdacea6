/* crl.c — the device certificates' revocation list (see crl.h for why it is checked here). */
#include "server/loop/crl.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "server/loop/log.h"

/* True if a CA certificate in @p ca_file signed @p crl. */
static bool crl_signed_by_ca(X509_CRL *crl, const char *ca_file)
{
    FILE *f = fopen(ca_file, "r");
    bool ok = false;
    X509 *ca;
    while (f && !ok && (ca = PEM_read_X509(f, NULL, NULL, NULL))) {
        ok = X509_NAME_cmp(X509_get_subject_name(ca), X509_CRL_get_issuer(crl)) == 0 &&
             X509_CRL_verify(crl, X509_get0_pubkey(ca)) == 1;
        X509_free(ca);
    }
    if (f)
        fclose(f);
    ERR_clear_error(); /* the end of the file leaves "no start line" queued */
    return ok;
}

/* Reads the CRL at c->path into *out after checking its signature. */
static int crl_read(const crl_state *c, X509_CRL **out, struct stat *st, char *err, size_t errlen)
{
    FILE *f = fopen(c->path, "r");
    if (!f || fstat(fileno(f), st) != 0) {
        snprintf(err, errlen, "could not open crl_file \"%s\": %s", c->path, strerror(errno));
        if (f)
            fclose(f);
        return -1;
    }
    X509_CRL *crl = PEM_read_X509_CRL(f, NULL, NULL, NULL);
    fclose(f);
    ERR_clear_error();
    if (!crl) {
        snprintf(err, errlen, "crl_file \"%s\" holds no PEM CRL", c->path);
        return -1;
    }
    if (!c->ca_file || !c->ca_file[0] || !crl_signed_by_ca(crl, c->ca_file)) {
        snprintf(err, errlen, "crl_file \"%s\" is not signed by a CA of ca_file", c->path);
        X509_CRL_free(crl);
        return -1;
    }
    *out = crl;
    return 0;
}

/* Replaces the CRL by the one on disk; keeps the old one when the new one does not check. */
static int crl_refresh(crl_state *c, char *err, size_t errlen)
{
    X509_CRL *crl = NULL;
    struct stat st;
    if (crl_read(c, &crl, &st, err, errlen) != 0)
        return -1;
    X509_CRL_free(c->crl);
    c->crl = crl;
    c->mtime = st.st_mtim;
    c->size = st.st_size;
    STACK_OF(X509_REVOKED) *entries = X509_CRL_get_REVOKED(crl); /* NULL when empty */
    log_event(LOG_LEVEL_INFO, "crl_loaded", "file=\"%s\" revoked=%d", c->path,
              entries ? sk_X509_REVOKED_num(entries) : 0);
    return 0;
}

int crl_load(crl_state *c, const char *path, const char *ca_file, char *err, size_t errlen)
{
    memset(c, 0, sizeof(*c));
    c->path = path;
    c->ca_file = ca_file;
    if (!path || !path[0])
        return 0;
    return crl_refresh(c, err, errlen);
}

/* True if the file at c->path is no longer the one loaded. */
static bool crl_changed(const crl_state *c)
{
    struct stat st;
    if (stat(c->path, &st) != 0)
        return false; /* gone for a moment (being replaced): keep what was loaded */
    return st.st_size != c->size || st.st_mtim.tv_sec != c->mtime.tv_sec ||
           st.st_mtim.tv_nsec != c->mtime.tv_nsec;
}

bool crl_is_revoked(crl_state *c, const uint8_t *der, size_t len)
{
    if (!c->crl)
        return false;
    char err[512];
    if (crl_changed(c) && crl_refresh(c, err, sizeof(err)) != 0) {
        log_event(LOG_LEVEL_WARN, "crl_not_reloaded", "reason=\"%s\" effect=\"the last CRL stays\"",
                  err);
        struct stat st;
        if (stat(c->path, &st) == 0) { /* warn once per bad file, not at every handshake */
            c->mtime = st.st_mtim;
            c->size = st.st_size;
        }
    }
    const unsigned char *p = der;
    X509 *cert = d2i_X509(NULL, &p, (long)len);
    if (!cert) {
        ERR_clear_error();
        return true;
    }
    X509_REVOKED *entry = NULL;
    bool revoked = X509_CRL_get0_by_cert(c->crl, &entry, cert) == 1;
    X509_free(cert);
    return revoked;
}

void crl_deinit(crl_state *c)
{
    X509_CRL_free(c->crl);
    c->crl = NULL;
}
