/* archive.h — a month of check-ins (or of work sessions) archived to files before its partition
 * is dropped (its rows deleted): "<partition>.copy.zst", the month's rows in id order as
 * PostgreSQL's COPY text,
 * compressed by the zstd program, and "<partition>.manifest.json", what the archive holds and
 * its checksums, written last (an archive without its manifest is unfinished). */
#ifndef WELDREG_SERVER_ARCHIVE_H
#define WELDREG_SERVER_ARCHIVE_H

#include <stdint.h>

#include "server/db/store_life.h"

typedef struct archive_manifest {
    char partition[STORE_PARTITION_NAME_MAX]; /* <table>_YYYYMM: checkins_, work_sessions_ */
    char file[STORE_PARTITION_NAME_MAX + 16]; /* the data file's name, in the same directory */
    int64_t rows;                             /* rows of the COPY text */
    int64_t bytes;                            /* bytes of the COPY text (uncompressed) */
    int64_t file_bytes;                       /* bytes of the compressed file */
    uint8_t sha256[32];                       /* SHA-256 of the compressed file */
    uint8_t data_sha256[32];                  /* SHA-256 of the COPY text */
    int schema_version;                       /* the schema the rows were copied from */
} archive_manifest;

/* Copies month @p partition out of @p st into @p dir (made if missing) and writes its
 * manifest, each file through a temporary name, flushed to disk, then renamed. */
int archive_write(store *st, const char *dir, const char *partition, int schema_version,
                  archive_manifest *m, char *err, size_t errlen);

/* Reads the manifest of @p partition in @p dir: 0, 1 when there is none, -1 when it does not
 * parse. */
int archive_read_manifest(const char *dir, const char *partition, archive_manifest *m, char *err,
                          size_t errlen);

/* Reads the archive back: the file's size and SHA-256, then its decompressed text's size,
 * SHA-256 and rows, each against @p m. 0 when all match. */
int archive_verify(const char *dir, const archive_manifest *m, char *err, size_t errlen);

/* Creates table @p table with the columns of @p like and copies the archive of @p m into it
 * (verified first); *@p rows gets the rows copied. */
int archive_restore(store *st, const char *dir, const archive_manifest *m, const char *table,
                    const char *like, int64_t *rows, char *err, size_t errlen);

#endif
