/* kek.c — the PSKs' key-encryption keys read from their files (see kek.h). */
#include "server/views/kek.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
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

int kek_file_install(const char *path, const uint8_t key[SECRET_KEK_LEN], char *err, size_t errlen)
{
    char tmp[4096];
    if ((size_t)snprintf(tmp, sizeof(tmp), "%s.new", path) >= sizeof(tmp)) {
        snprintf(err, errlen, "path too long: \"%s\"", path);
        return -1;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    bool ok = fd >= 0 && fchmod(fd, 0600) == 0 &&
              write(fd, key, SECRET_KEK_LEN) == SECRET_KEK_LEN && fsync(fd) == 0;
    if (fd >= 0 && close(fd) != 0)
        ok = false;
    if (!ok || rename(tmp, path) != 0) {
        snprintf(err, errlen, "could not write \"%s\": %s", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

void kek_pair_wipe(kek_pair *k)
{
    OPENSSL_cleanse(k, sizeof(*k));
}
