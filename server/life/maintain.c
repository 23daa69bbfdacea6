/* maintain.c — one pass of the data life cycle (check-ins, work sessions, web sessions), and the
 * restore of an archived month. */
#include "server/life/maintain.h"

#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "server/db/store_life.h"
#include "server/life/archive.h"
#include "server/loop/log.h"

/* More months past retention than this wait for the next pass. */
#define MAINTAIN_EXPIRED_MAX 240

/* An archive of @p partition that can be dropped on: the one already there if its manifest
 * reads back, else a new one. */
static int maintain_archive(store *st, const char *dir, const char *partition, int version,
                            archive_manifest *m, char *err, size_t errlen)
{
    char why[512];
    int found = archive_read_manifest(dir, partition, m, why, sizeof(why));
    if (found == 0 && archive_verify(dir, m, why, sizeof(why)) == 0) {
        log_event(LOG_LEVEL_INFO, "archive_found", "partition=%s rows=%lld", partition,
                  (long long)m->rows);
        return 0;
    }
    if (found != 1)
        log_event(LOG_LEVEL_WARN, "archive_rewritten", "partition=%s reason=\"%s\"", partition,
                  why);
    if (archive_write(st, dir, partition, version, m, err, errlen) != 0 ||
        archive_verify(dir, m, err, errlen) != 0)
        return -1;
    log_event(LOG_LEVEL_INFO, "partition_archived",
              "partition=%s rows=%lld bytes=%lld file_bytes=%lld dir=\"%s\"", partition,
              (long long)m->rows, (long long)m->bytes, (long long)m->file_bytes, dir);
    return 0;
}

/* A table whose months past retention are archived, and what its log says when one goes. */
typedef struct maintain_table {
    const char *table;
    const char *dropped_event;
} maintain_table;

/* Check-ins first: a month of work sessions is deleted only once no check-in of it refers to
 * them, so after the check-ins' month went. */
static const maintain_table maintain_tables[] = {
    {"checkins", "partition_dropped"},
    {"work_sessions", "sessions_deleted"},
};

static int maintain_expire(store *st, const maintain_options *o, const maintain_table *t,
                           int version, char *err, size_t errlen)
{
    char names[MAINTAIN_EXPIRED_MAX][STORE_PARTITION_NAME_MAX];
    size_t n;
    if (store_partitions_expired(st, t->table, o->keep_months, names, MAINTAIN_EXPIRED_MAX, &n, err,
                                 errlen) != 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        archive_manifest m;
        if (maintain_archive(st, o->archive_dir, names[i], version, &m, err, errlen) != 0)
            return -1;
        if (o->archive_only)
            continue;
        char file[1200];
        int64_t kept;
        snprintf(file, sizeof(file), "%s/%s", o->archive_dir, m.file);
        if (store_partition_drop(st, names[i], file, m.sha256, m.rows, &kept, err, errlen) != 0)
            return -1;
        log_event(LOG_LEVEL_INFO, t->dropped_event, "partition=%s rows=%lld kept=%lld", names[i],
                  (long long)m.rows, (long long)kept);
    }
    return 0;
}

/* The web sessions past their expiry (weldreg-web also deletes them at each login). */
static int maintain_web_sessions(store *st, char *err, size_t errlen)
{
    int64_t deleted;
    if (store_web_sessions_expire(st, &deleted, err, errlen) != 0)
        return -1;
    log_event(LOG_LEVEL_INFO, "web_sessions_expired", "deleted=%lld", (long long)deleted);
    return 0;
}

int maintain_run(store *st, const maintain_options *o, char *err, size_t errlen)
{
    int made, ahead, version;
    signal(SIGPIPE, SIG_IGN); /* a zstd that dies fails a write, not this process */
    if (store_partitions_ahead(st, o->ahead, &made, err, errlen) != 0 ||
        store_partitions_months_ahead(st, &ahead, err, errlen) != 0)
        return -1;
    log_event(LOG_LEVEL_INFO, "partitions_ahead", "made=%d months_ahead=%d", made, ahead);
    if (store_schema_version(st, &version, err, errlen) != 0)
        return -1;
    for (size_t i = 0; i < sizeof(maintain_tables) / sizeof(maintain_tables[0]); i++)
        if (maintain_expire(st, o, &maintain_tables[i], version, err, errlen) != 0)
            return -1;
    return o->archive_only ? 0 : maintain_web_sessions(st, err, errlen);
}

int maintain_restore(store *st, const char *archive_dir, const char *table, const char *month,
                     const char *into, char *err, size_t errlen)
{
    if (!store_life_table_known(table)) {
        snprintf(err, errlen, "--table wants checkins or work_sessions, not \"%s\"", table);
        return -1;
    }
    if (strlen(month) != 7 || month[4] != '-' || strspn(month, "0123456789-") != 7) {
        snprintf(err, errlen, "--month wants YYYY-MM, not \"%s\"", month);
        return -1;
    }
    char partition[STORE_PARTITION_NAME_MAX], name[64];
    snprintf(partition, sizeof(partition), "%s_%.4s%.2s", table, month, month + 5);
    snprintf(name, sizeof(name), "restored_%s", partition);
    archive_manifest m;
    int found = archive_read_manifest(archive_dir, partition, &m, err, errlen);
    if (found == 1)
        snprintf(err, errlen, "no archive of %s (%s) in \"%s\"", month, table, archive_dir);
    if (found != 0)
        return -1;
    int64_t rows;
    signal(SIGPIPE, SIG_IGN);
    if (archive_restore(st, archive_dir, &m, into ? into : name, table, &rows, err, errlen) != 0)
        return -1;
    log_event(LOG_LEVEL_INFO, "archive_restored", "partition=%s table=%s rows=%lld", partition,
              into ? into : name, (long long)rows);
    return 0;
}
