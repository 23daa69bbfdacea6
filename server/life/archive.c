/* archive.c — the archive files of a month of check-ins or of work sessions. Compressed by the zstd
 * program (a child process fed through a pipe): no compression library is linked, zstd is in every
 * Debian and reads the files by hand too (`zstd -dc FILE | psql -c "COPY t FROM STDIN"`). */
#include "server/life/archive.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/hex.h"
#include "core/json.h"

#define ARCHIVE_DATA_SUFFIX     ".copy.zst"
#define ARCHIVE_MANIFEST_SUFFIX ".manifest.json"
#define ARCHIVE_PATH_MAX        1200

static void archive_path(const char *dir, const char *name, const char *suffix, char *out,
                         size_t cap)
{
    snprintf(out, cap, "%s/%s%s", dir, name, suffix);
}

/* Runs zstd with @p args (after "zstd"), its stdin and stdout on @p in and @p out: the child's
 * pid, or -1. */
static pid_t archive_spawn_zstd(const char *const *args, int in, int out)
{
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    if ((in != STDIN_FILENO && dup2(in, STDIN_FILENO) < 0) ||
        (out != STDOUT_FILENO && dup2(out, STDOUT_FILENO) < 0))
        _exit(127);
    char *argv[8] = {"zstd"};
    for (size_t i = 0; args[i] && i < 6; i++)
        argv[i + 1] = (char *)args[i];
    execvp("zstd", argv);
    _exit(127);
}

/* Waits for zstd @p pid; 0 when it exited with 0, else -1 with a message in @p err unless
 * @p failed (an earlier error is the one to report). */
static int archive_wait(pid_t pid, bool failed, char *err, size_t errlen)
{
    int status = -1;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    if (!failed)
        snprintf(err, errlen, "zstd failed (status %d): is the zstd program installed?", status);
    return -1;
}

/* The COPY text on its way to zstd: written to the pipe, hashed and counted. */
typedef struct archive_out {
    int fd;
    EVP_MD_CTX *hash;
    int64_t bytes;
} archive_out;

static int archive_sink(void *ctx, const char *data, size_t len)
{
    archive_out *o = ctx;
    EVP_DigestUpdate(o->hash, data, len);
    o->bytes += (int64_t)len;
    while (len > 0) {
        ssize_t n = write(o->fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

/* fsync of the directory holding @p path, so that a rename into it survives a crash. */
static int archive_sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

/* SHA-256 and size of file @p path. */
static int archive_file_sha256(const char *path, uint8_t digest[32], int64_t *size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int rc = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 ? 0 : -1;
    char buf[65536];
    ssize_t n;
    *size = 0;
    while (rc == 0 && (n = read(fd, buf, sizeof(buf))) != 0) {
        if (n < 0) {
            rc = errno == EINTR ? 0 : -1;
            continue;
        }
        EVP_DigestUpdate(ctx, buf, (size_t)n);
        *size += n;
    }
    if (rc == 0 && EVP_DigestFinal_ex(ctx, digest, NULL) != 1)
        rc = -1;
    EVP_MD_CTX_free(ctx);
    close(fd);
    return rc;
}

/* Copies the partition through zstd into @p part (flushed to disk); fills the manifest's rows,
 * bytes and data_sha256. */
static int archive_write_data(store *st, const char *part, archive_manifest *m, char *err,
                              size_t errlen)
{
    int file = open(part, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    int pipefd[2] = {-1, -1};
    if (file < 0 || pipe2(pipefd, O_CLOEXEC) != 0) {
        snprintf(err, errlen, "could not create %s: %s", part, strerror(errno));
        if (file >= 0)
            close(file);
        return -1;
    }
    static const char *const args[] = {"-q", "-c", NULL};
    pid_t pid = archive_spawn_zstd(args, pipefd[0], file);
    close(pipefd[0]);
    archive_out out = {.fd = pipefd[1], .hash = EVP_MD_CTX_new()};
    int rc = pid > 0 && out.hash && EVP_DigestInit_ex(out.hash, EVP_sha256(), NULL) == 1 ? 0 : -1;
    if (rc != 0)
        snprintf(err, errlen, "could not start zstd");
    if (rc == 0)
        rc = store_partition_copy_out(st, m->partition, archive_sink, &out, &m->rows, err, errlen);
    close(pipefd[1]); /* zstd sees the end */
    if (pid > 0 && archive_wait(pid, rc != 0, err, errlen) != 0)
        rc = -1;
    if (rc == 0 && (EVP_DigestFinal_ex(out.hash, m->data_sha256, NULL) != 1 || fsync(file) != 0)) {
        snprintf(err, errlen, "could not finish %s: %s", part, strerror(errno));
        rc = -1;
    }
    m->bytes = out.bytes;
    EVP_MD_CTX_free(out.hash);
    close(file);
    return rc;
}

/* The manifest of @p m as JSON into @p buf. */
static int archive_manifest_json(const archive_manifest *m, char *buf, size_t cap)
{
    char sha[65], data_sha[65], table[STORE_PARTITION_NAME_MAX], month[8], at[32];
    hex_encode(m->sha256, 32, sha);
    hex_encode(m->data_sha256, 32, data_sha);
    size_t len = strlen(m->partition); /* "<table>_YYYYMM" (store_life.h) */
    snprintf(table, sizeof(table), "%.*s", (int)(len - 7), m->partition);
    snprintf(month, sizeof(month), "%.4s-%.2s", m->partition + len - 6, m->partition + len - 2);
    time_t now = time(NULL);
    struct tm tm;
    strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
    json_writer w;
    json_writer_init(&w, buf, cap);
    json_begin_object(&w);
    json_key(&w, "table");
    json_put_cstr(&w, table);
    json_key(&w, "partition");
    json_put_cstr(&w, m->partition);
    json_key(&w, "month");
    json_put_cstr(&w, month);
    json_key(&w, "file");
    json_put_cstr(&w, m->file);
    json_key(&w, "format");
    json_put_cstr(&w, "PostgreSQL COPY text, rows in id order, zstd");
    json_key(&w, "rows");
    json_put_int(&w, m->rows);
    json_key(&w, "bytes");
    json_put_int(&w, m->bytes);
    json_key(&w, "file_bytes");
    json_put_int(&w, m->file_bytes);
    json_key(&w, "sha256");
    json_put_cstr(&w, sha);
    json_key(&w, "data_sha256");
    json_put_cstr(&w, data_sha);
    json_key(&w, "schema_version");
    json_put_int(&w, m->schema_version);
    json_key(&w, "archived_at");
    json_put_cstr(&w, at);
    json_end_object(&w);
    return json_writer_status(&w) == WR_OK ? 0 : -1;
}

/* Writes @p len bytes of @p text to @p path through "<path>.part", flushed, then renamed. */
static int archive_write_file(const char *path, const char *text, size_t len, char *err,
                              size_t errlen)
{
    char part[ARCHIVE_PATH_MAX + 8];
    snprintf(part, sizeof(part), "%s.part", path);
    int fd = open(part, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    int rc = fd >= 0 && write(fd, text, len) == (ssize_t)len && fsync(fd) == 0 ? 0 : -1;
    if (fd >= 0)
        close(fd);
    if (rc == 0)
        rc = rename(part, path);
    if (rc != 0)
        snprintf(err, errlen, "could not write %s: %s", path, strerror(errno));
    return rc;
}

int archive_write(store *st, const char *dir, const char *partition, int schema_version,
                  archive_manifest *m, char *err, size_t errlen)
{
    memset(m, 0, sizeof(*m));
    snprintf(m->partition, sizeof(m->partition), "%s", partition);
    snprintf(m->file, sizeof(m->file), "%s%s", partition, ARCHIVE_DATA_SUFFIX);
    m->schema_version = schema_version;
    if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "could not make %s: %s", dir, strerror(errno));
        return -1;
    }
    char path[ARCHIVE_PATH_MAX], part[ARCHIVE_PATH_MAX + 8];
    archive_path(dir, partition, ARCHIVE_DATA_SUFFIX, path, sizeof(path));
    snprintf(part, sizeof(part), "%s.part", path);
    if (archive_write_data(st, part, m, err, errlen) != 0)
        return -1;
    if (rename(part, path) != 0 || archive_file_sha256(path, m->sha256, &m->file_bytes) != 0) {
        snprintf(err, errlen, "could not read back %s: %s", path, strerror(errno));
        return -1;
    }
    char json[2048];
    archive_path(dir, partition, ARCHIVE_MANIFEST_SUFFIX, path, sizeof(path));
    if (archive_manifest_json(m, json, sizeof(json)) != 0) {
        snprintf(err, errlen, "could not write the manifest of %s", partition);
        return -1;
    }
    if (archive_write_file(path, json, strlen(json), err, errlen) != 0)
        return -1;
    if (archive_sync_dir(dir) != 0) {
        snprintf(err, errlen, "could not flush %s: %s", dir, strerror(errno));
        return -1;
    }
    return 0;
}

/* Member @p key of the manifest's object: a string into @p out (hex for the checksums) or an
 * integer into *@p i. */
static bool archive_json_text(const json_doc *doc, const char *key, char *out, size_t cap)
{
    long t = json_find(doc, 0, key);
    size_t len;
    return t >= 0 && doc->tokens[t].type == JSON_STRING &&
           json_string(doc, (size_t)t, out, cap, &len) == WR_OK;
}

static bool archive_json_int(const json_doc *doc, const char *key, int64_t *i)
{
    long t = json_find(doc, 0, key);
    if (t < 0 || doc->tokens[t].type != JSON_INT)
        return false;
    *i = doc->tokens[t].i;
    return true;
}

static bool archive_json_sha256(const json_doc *doc, const char *key, uint8_t out[32])
{
    char hex[80];
    return archive_json_text(doc, key, hex, sizeof(hex)) && strlen(hex) == 64 &&
           hex_decode_lower(hex, out, 32);
}

static bool archive_manifest_parse(const char *text, size_t len, const char *partition,
                                   archive_manifest *m)
{
    json_token tokens[64];
    json_doc doc;
    int64_t version = 0;
    memset(m, 0, sizeof(*m));
    bool ok =
        json_parse(text, len, tokens, 64, &doc, NULL) == WR_OK && tokens[0].type == JSON_OBJECT &&
        archive_json_text(&doc, "partition", m->partition, sizeof(m->partition)) &&
        strcmp(m->partition, partition) == 0 &&
        archive_json_text(&doc, "file", m->file, sizeof(m->file)) && strchr(m->file, '/') == NULL &&
        archive_json_int(&doc, "rows", &m->rows) && archive_json_int(&doc, "bytes", &m->bytes) &&
        archive_json_int(&doc, "file_bytes", &m->file_bytes) &&
        archive_json_sha256(&doc, "sha256", m->sha256) &&
        archive_json_sha256(&doc, "data_sha256", m->data_sha256) &&
        archive_json_int(&doc, "schema_version", &version);
    m->schema_version = (int)version;
    return ok;
}

int archive_read_manifest(const char *dir, const char *partition, archive_manifest *m, char *err,
                          size_t errlen)
{
    char path[ARCHIVE_PATH_MAX], text[4096];
    archive_path(dir, partition, ARCHIVE_MANIFEST_SUFFIX, path, sizeof(path));
    FILE *f = fopen(path, "re");
    if (!f) {
        if (errno == ENOENT)
            return 1;
        snprintf(err, errlen, "could not open %s: %s", path, strerror(errno));
        return -1;
    }
    size_t len = fread(text, 1, sizeof(text), f);
    fclose(f);
    if (len == sizeof(text) || !archive_manifest_parse(text, len, partition, m)) {
        snprintf(err, errlen, "%s is not a manifest of %s", path, partition);
        return -1;
    }
    return 0;
}

/* The decompressed text of an archive, read through a pipe from zstd -dc. */
typedef struct archive_in {
    int fd;
    pid_t pid;
    EVP_MD_CTX *hash;
    int64_t bytes, rows;
} archive_in;

static int archive_in_open(const char *dir, const archive_manifest *m, archive_in *in, char *err,
                           size_t errlen)
{
    char path[ARCHIVE_PATH_MAX];
    int pipefd[2];
    memset(in, 0, sizeof(*in));
    in->fd = -1;
    snprintf(path, sizeof(path), "%s/%s", dir, m->file);
    if (pipe2(pipefd, O_CLOEXEC) != 0) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        return -1;
    }
    const char *const args[] = {"-q", "-d", "-c", path, NULL};
    in->pid = archive_spawn_zstd(args, STDIN_FILENO, pipefd[1]);
    close(pipefd[1]);
    in->fd = pipefd[0];
    in->hash = EVP_MD_CTX_new();
    if (in->pid < 0 || !in->hash || EVP_DigestInit_ex(in->hash, EVP_sha256(), NULL) != 1) {
        snprintf(err, errlen, "could not start zstd");
        return -1;
    }
    return 0;
}

static long archive_source(void *ctx, char *buf, size_t cap)
{
    archive_in *in = ctx;
    ssize_t n;
    while ((n = read(in->fd, buf, cap)) < 0 && errno == EINTR)
        ;
    if (n <= 0)
        return n < 0 ? -1 : 0;
    EVP_DigestUpdate(in->hash, buf, (size_t)n);
    in->bytes += n;
    for (const char *p = buf; (p = memchr(p, '\n', (size_t)(buf + n - p))) != NULL; p++)
        in->rows++;
    return n;
}

/* Closes the stream, waits for zstd, and checks what came through against @p m. */
static int archive_in_close(archive_in *in, const archive_manifest *m, int rc, char *err,
                            size_t errlen)
{
    uint8_t digest[32];
    if (in->fd >= 0)
        close(in->fd);
    if (in->pid > 0 && archive_wait(in->pid, rc != 0, err, errlen) != 0)
        rc = -1;
    if (rc == 0 && (EVP_DigestFinal_ex(in->hash, digest, NULL) != 1 || in->bytes != m->bytes ||
                    in->rows != m->rows || memcmp(digest, m->data_sha256, 32) != 0)) {
        snprintf(err, errlen,
                 "the archive of %s does not read back as written (%lld rows, %lld bytes; "
                 "the manifest: %lld rows, %lld bytes, or the checksum differs)",
                 m->partition, (long long)in->rows, (long long)in->bytes, (long long)m->rows,
                 (long long)m->bytes);
        rc = -1;
    }
    EVP_MD_CTX_free(in->hash);
    return rc;
}

int archive_verify(const char *dir, const archive_manifest *m, char *err, size_t errlen)
{
    char path[ARCHIVE_PATH_MAX];
    uint8_t digest[32];
    int64_t size;
    snprintf(path, sizeof(path), "%s/%s", dir, m->file);
    if (archive_file_sha256(path, digest, &size) != 0 || size != m->file_bytes ||
        memcmp(digest, m->sha256, 32) != 0) {
        snprintf(err, errlen, "%s is missing or does not match its manifest's SHA-256", path);
        return -1;
    }
    archive_in in;
    int rc = archive_in_open(dir, m, &in, err, errlen);
    char buf[65536];
    long n = 0;
    while (rc == 0 && (n = archive_source(&in, buf, sizeof(buf))) > 0)
        ;
    if (n < 0)
        rc = -1;
    return archive_in_close(&in, m, rc, err, errlen);
}

int archive_restore(store *st, const char *dir, const archive_manifest *m, const char *table,
                    const char *like, int64_t *rows, char *err, size_t errlen)
{
    if (archive_verify(dir, m, err, errlen) != 0)
        return -1;
    archive_in in;
    int rc = archive_in_open(dir, m, &in, err, errlen);
    if (rc == 0)
        rc = store_table_copy_in(st, table, like, archive_source, &in, rows, err, errlen);
    return archive_in_close(&in, m, rc, err, errlen);
}
