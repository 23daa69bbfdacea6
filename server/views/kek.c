/* kek.c — the PSKs' key-encryption keys read from their files (see kek.h). */
#include "server/views/kek.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int key_file_read(const char *path, uint8_t *key, size_t len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    uint8_t extra;
    size_t n = fread(key, 1, len, f);
    bool too_long = fread(&extra, 1, 1, f) == 1;
    fclose(f);
    if (n == len && !too_long)
        return 0;
    OPENSSL_cleanse(key, len);
    return -1;
}

int kek_pair_read(kek_pair *k, const char *kek_file, const char *previous_file)
{
    k->has_previous = false;
    if (key_file_read(kek_file, k->current, sizeof(k->current)) != 0)
        return -1;
    if (!previous_file || !previous_file[0] ||
        (access(previous_file, F_OK) != 0 && errno == ENOENT))
        return 0; /* no rotation under way */
    if (key_file_read(previous_file, k->previous, sizeof(k->previous)) != 0) {
        kek_pair_wipe(k);
        return -1;
    }
    k->has_previous = true;
    return 0;
}

/* Writes @p len bytes of @p data to @p path through "<path>.new" renamed over it, mode 0600. */
static int kek_write_atomically(const char *path, const void *data, size_t len, char *err,
                                size_t errlen)
{
    char tmp[4096];
    if ((size_t)snprintf(tmp, sizeof(tmp), "%s.new", path) >= sizeof(tmp)) {
        snprintf(err, errlen, "path too long: \"%s\"", path);
        return -1;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    bool ok =
        fd >= 0 && fchmod(fd, 0600) == 0 && write(fd, data, len) == (ssize_t)len && fsync(fd) == 0;
    if (fd >= 0 && close(fd) != 0)
        ok = false;
    if (!ok || rename(tmp, path) != 0) {
        snprintf(err, errlen, "could not write \"%s\": %s", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

int kek_file_install(const char *path, const uint8_t key[SECRET_KEK_LEN], char *err, size_t errlen)
{
    return kek_write_atomically(path, key, SECRET_KEK_LEN, err, errlen);
}

void kek_pair_wipe(kek_pair *k)
{
    OPENSSL_cleanse(k, sizeof(*k));
}

int pii_keys_read(const char *path, pii_keys *k)
{
    k->count = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    uint8_t extra;
    size_t n = fread(k->key, 1, sizeof(k->key), f);
    bool too_long = fread(&extra, 1, 1, f) == 1;
    fclose(f);
    if (too_long || n == 0 || n % PII_KEY_LEN != 0) {
        pii_keys_wipe(k);
        return -1;
    }
    k->count = (unsigned)(n / PII_KEY_LEN);
    return 0;
}

int pii_keys_install(const char *path, const pii_keys *k, char *err, size_t errlen)
{
    return kek_write_atomically(path, k->key, (size_t)k->count * PII_KEY_LEN, err, errlen);
}

bool pii_keys_marker(const char *pii_key_file, char *out, size_t cap)
{
    return (size_t)snprintf(out, cap, "%s.rotating", pii_key_file) < cap;
}

void pii_wrap(const uint8_t key[PII_KEY_LEN], const uint8_t in[32], uint8_t out[32])
{
    unsigned out_len = 32;
    HMAC(EVP_sha256(), key, PII_KEY_LEN, in, 32, out, &out_len);
}

void pii_keys_wipe(pii_keys *k)
{
    OPENSSL_cleanse(k, sizeof(*k));
}
