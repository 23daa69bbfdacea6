/* keys.h — the files weldtag's code commands read and write: the PEM signing key of an issuing
 * station, the trust list and the cached revocation list. OpenSSL's PEM reading lives here. */
#ifndef WELDREG_TAG_KEYS_H
#define WELDREG_TAG_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "core/codemsg.h"
#include "core/trust.h"

/* Largest trust list or revocation list file read (a list of 4 million code ids). */
#define KEYS_FILE_MAX ((size_t)160 * 1024 * 1024)

/* Reads the whole file at @p path (at most @p max bytes) into a new NUL-terminated buffer that
 * the caller frees. 0, or -1 with a message for the person in @p err. */
int keys_read_file(const char *path, size_t max, char **out, size_t *len, char *err, size_t errlen);

/* Loads an Ed25519 or P-256 private key from the PEM file at @p path (PKCS#8 or traditional,
 * unencrypted). The caller owns *out (EVP_PKEY_free). 0, or -1 with a message in @p err. */
int keys_load_signing_key(const char *path, EVP_PKEY **out, char *err, size_t errlen);

/* Loads and parses the trust list at @p path; the caller owns *out (trust_list_destroy()). */
int keys_load_trust_list(const char *path, trust_list **out, char *err, size_t errlen);

/* Loads and parses a revocation list file; the caller owns *out (trust_revocations_destroy()). */
int keys_load_revocations(const char *path, revocation_list **out, char *err, size_t errlen);

/* Writes the revocation list that results from applying @p delta to @p cached (may be NULL:
 * nothing cached) to @p path, through a temporary file renamed over it, so a reader never sees
 * half a list. A full delta replaces the cached ids. Sets @p count to the ids written. */
int keys_save_revocations(const char *path, const revocation_list *cached,
                          const codemsg_revocations *delta, size_t *count, char *err,
                          size_t errlen);

#endif
