/* keys.c — reading the signing key, trust list and revocation list files, and writing the
 * revocation list cache. */
#include "tag-reader/keys.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cose.h"

/* Reads the rest of @p f into *@p buf (grown as needed, at most @p max bytes). */
static int keys_slurp(FILE *f, size_t max, char **buf, size_t *used)
{
    size_t cap = 0;
    *buf = NULL;
    *used = 0;
    for (;;) {
        if (*used == cap) {
            if (cap >= max)
                return fgetc(f) == EOF && !ferror(f) ? 0 : -1;
            size_t next = cap == 0 ? (max < 4096 ? max : 4096) : cap > max / 2 ? max : cap * 2;
            char *grown = realloc(*buf, next + 1);
            if (!grown)
                return -1;
            *buf = grown;
            cap = next;
        }
        size_t n = fread(*buf + *used, 1, cap - *used, f);
        *used += n;
        if (n == 0)
            return ferror(f) ? -1 : 0;
    }
}

int keys_read_file(const char *path, size_t max, char **out, size_t *len, char *err, size_t errlen)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "could not open \"%s\": %s", path, strerror(errno));
        return -1;
    }
    char *buf;
    size_t used;
    int rc = keys_slurp(f, max, &buf, &used);
    if (rc != 0)
        snprintf(err, errlen, "could not read \"%s\" (larger than %zu bytes, or a read error)",
                 path, max);
    fclose(f);
    if (rc != 0) {
        free(buf);
        return -1;
    }
    buf[used] = '\0';
    *out = buf;
    *len = used;
    return 0;
}

int keys_load_signing_key(const char *path, EVP_PKEY **out, char *err, size_t errlen)
{
    *out = NULL;
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "could not open signing key \"%s\": %s", path, strerror(errno));
        return -1;
    }
    EVP_PKEY *key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    int64_t alg;
    if (!key) {
        snprintf(err, errlen, "\"%s\" is not an unencrypted PEM private key", path);
        return -1;
    }
    if (cose_key_alg(key, &alg) != WR_OK) {
        snprintf(err, errlen, "signing key \"%s\" is neither Ed25519 nor P-256", path);
        EVP_PKEY_free(key);
        return -1;
    }
    *out = key;
    return 0;
}

int keys_load_trust_list(const char *path, trust_list **out, char *err, size_t errlen)
{
    char *text;
    size_t len;
    *out = NULL;
    if (keys_read_file(path, KEYS_FILE_MAX, &text, &len, err, errlen) != 0)
        return -1;
    trust_error why = {0};
    wr_status st = trust_list_parse(text, len, out, &why);
    free(text);
    if (st != WR_OK) {
        snprintf(err, errlen, "trust list \"%s\": %s", path,
                 why.message[0] ? why.message : wr_status_str(st));
        return -1;
    }
    return 0;
}

int keys_load_revocations(const char *path, revocation_list **out, char *err, size_t errlen)
{
    char *text;
    size_t len;
    *out = NULL;
    if (keys_read_file(path, KEYS_FILE_MAX, &text, &len, err, errlen) != 0)
        return -1;
    trust_error why = {0};
    wr_status st = trust_revocations_parse(text, len, out, &why);
    free(text);
    if (st != WR_OK) {
        snprintf(err, errlen, "revocation list \"%s\": %s", path,
                 why.message[0] ? why.message : wr_status_str(st));
        return -1;
    }
    return 0;
}

static void keys_put_cti(FILE *f, const uint8_t *cti)
{
    for (size_t i = 0; i < TRUST_CTI_LEN; i++)
        fprintf(f, "%02x", cti[i]);
    fputc('\n', f);
}

/* Writes the list; duplicates between @p cached and @p delta are merged when it is read. */
static int keys_write_list(FILE *f, const revocation_list *cached, const codemsg_revocations *delta,
                           size_t *count)
{
    fprintf(f, "version %llu\n# weldreg revocation list, written by weldtag revocations pull\n",
            (unsigned long long)delta->version);
    *count = 0;
    if (cached && !delta->full) {
        for (size_t i = 0; i < cached->count; i++, ++*count)
            keys_put_cti(f, cached->ctis[i]);
    }
    for (size_t i = 0; i < delta->count; i++) {
        const uint8_t *cti = delta->ctis + i * TRUST_CTI_LEN;
        if (delta->full || !trust_revocations_contains(cached, cti)) {
            keys_put_cti(f, cti);
            ++*count;
        }
    }
    return ferror(f) ? -1 : 0;
}

int keys_save_revocations(const char *path, const revocation_list *cached,
                          const codemsg_revocations *delta, size_t *count, char *err, size_t errlen)
{
    char tmp[4096];
    int n = snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    if (n < 0 || (size_t)n >= sizeof(tmp)) {
        snprintf(err, errlen, "path \"%s\" is too long", path);
        return -1;
    }
    FILE *f = fopen(tmp, "w");
    if (!f) {
        snprintf(err, errlen, "could not create \"%s\": %s", tmp, strerror(errno));
        return -1;
    }
    int rc = keys_write_list(f, cached, delta, count);
    if (fclose(f) != 0)
        rc = -1;
    if (rc == 0 && rename(tmp, path) != 0)
        rc = -1;
    if (rc != 0) {
        snprintf(err, errlen, "could not write \"%s\": %s", path, strerror(errno));
        remove(tmp);
    }
    return rc;
}
