/* store_migrate.c — applies the schema: every schema/NNN_name.sql not yet recorded, in order,
 * each in its own transaction, under an advisory lock; then the core's tables the database
 * needs a copy of (the rectification deadlines). */
#include "core/violation.h"
#include "server/db/store.h"
#include "server/db/store_internal.h"

#include <dirent.h>
#include <errno.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int store_is_migration(const struct dirent *entry)
{
    const char *n = entry->d_name;
    size_t len = strlen(n);
    return len > 8 && n[0] >= '0' && n[0] <= '9' && n[1] >= '0' && n[1] <= '9' && n[2] >= '0' &&
           n[2] <= '9' && n[3] == '_' && strcmp(n + len - 4, ".sql") == 0;
}

/* The version of a migration's file name, NNN_name.sql (store_is_migration checked the digits). */
static int store_migration_version(const char *name)
{
    return (name[0] - '0') * 100 + (name[1] - '0') * 10 + (name[2] - '0');
}

static char *store_read_file(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "could not open \"%s\": %s", path, strerror(errno));
        return NULL;
    }
    char *buf = NULL;
    long size = -1;
    if (fseek(f, 0, SEEK_END) == 0)
        size = ftell(f);
    if (size >= 0 && size < (1L << 24) && fseek(f, 0, SEEK_SET) == 0)
        buf = malloc((size_t)size + 1);
    if (buf && fread(buf, 1, (size_t)size, f) == (size_t)size) {
        buf[size] = '\0';
    } else {
        snprintf(err, errlen, "could not read \"%s\"", path);
        free(buf);
        buf = NULL;
    }
    fclose(f);
    return buf;
}

static int store_migration_applied(store *st, int version, bool *applied, char *err, size_t errlen)
{
    char v[16];
    snprintf(v, sizeof(v), "%d", version);
    const char *params[] = {v};
    PGresult *res = PQexecParams(st->conn, "SELECT 1 FROM schema_migrations WHERE version = $1", 1,
                                 NULL, params, NULL, NULL, 0);
    int rc = PQresultStatus(res) == PGRES_TUPLES_OK ? 0 : -1;
    if (rc != 0)
        store_copy_error(st->conn, "could not read schema_migrations", err, errlen);
    *applied = rc == 0 && PQntuples(res) > 0;
    PQclear(res);
    return rc;
}

static int store_apply_migration(store *st, const char *dir, const char *name, char *err,
                                 size_t errlen)
{
    char path[2048];
    char msg[512];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    char *sql = store_read_file(path, err, errlen);
    if (!sql)
        return -1;
    char version[16];
    snprintf(version, sizeof(version), "%d", store_migration_version(name));
    const char *params[] = {version, name};
    int rc = store_exec(st, "BEGIN", err, errlen);
    if (rc == 0 && store_exec(st, sql, msg, sizeof(msg)) != 0) {
        snprintf(err, errlen, "migration \"%s\" failed: %s", name, msg);
        rc = -1;
    }
    if (rc == 0) {
        PGresult *res = PQexecParams(st->conn,
                                     "INSERT INTO schema_migrations (version, name) "
                                     "VALUES ($1, $2)",
                                     2, NULL, params, NULL, NULL, 0);
        if (PQresultStatus(res) != PGRES_COMMAND_OK) {
            store_copy_error(st->conn, "could not record the migration", err, errlen);
            rc = -1;
        }
        PQclear(res);
    }
    if (rc == 0)
        rc = store_exec(st, "COMMIT", err, errlen);
    else
        store_exec(st, "ROLLBACK", msg, sizeof(msg));
    free(sql);
    return rc;
}

/* $1 kinds, $2 days (arrays): the core's table of rectification deadlines into the database's
 * copy, then a deadline for the violations recorded before there was one. */
static const char STORE_SQL_DEADLINES[] =
    "WITH t AS (INSERT INTO violation_deadlines (kind, days)"
    "  SELECT * FROM unnest($1::text[], $2::int[])"
    "  ON CONFLICT (kind) DO UPDATE SET days = EXCLUDED.days"
    "  WHERE violation_deadlines.days <> EXCLUDED.days)"
    " UPDATE violations v SET rectify_by = v.detected_at + make_interval(days => coalesce("
    " (SELECT d.days FROM unnest($1::text[], $2::int[]) d(kind, days) WHERE d.kind = v.kind),"
    " 15)) WHERE v.rectify_by IS NULL";

/* "{a,b,...}" of @p n names (lower-case words: no quoting), or of @p n numbers when @p names is
 * NULL, into @p out. False if it does not fit. */
static bool store_array_text(const char *const *names, const int *days, size_t n, char *out,
                             size_t cap)
{
    size_t used = 0;
    out[used++] = '{';
    for (size_t i = 0; i < n; i++) {
        const char *sep = i ? "," : "";
        int w = names ? snprintf(out + used, cap - used, "%s%s", sep, names[i])
                      : snprintf(out + used, cap - used, "%s%d", sep, days[i]);
        if (w < 0 || (size_t)w >= cap - used)
            return false;
        used += (size_t)w;
    }
    if (used + 2 > cap)
        return false;
    out[used++] = '}';
    out[used] = '\0';
    return true;
}

/* Writes the core's rectification deadlines (core/violation.c) into violation_deadlines. */
static int store_write_deadlines(store *st, char *err, size_t errlen)
{
    const char *kinds[VIOLATION_KINDS_MAX];
    int days[VIOLATION_KINDS_MAX];
    size_t n = violation_deadlines(kinds, days, VIOLATION_KINDS_MAX);
    char kind_text[VIOLATION_KINDS_MAX * 66 + 3], day_text[VIOLATION_KINDS_MAX * 5 + 3];
    if (!store_array_text(kinds, NULL, n, kind_text, sizeof(kind_text)) ||
        !store_array_text(NULL, days, n, day_text, sizeof(day_text))) {
        snprintf(err, errlen, "could not write the rectification deadlines: too many kinds");
        return -1;
    }
    const char *values[] = {kind_text, day_text};
    PGresult *res = PQexecParams(st->conn, STORE_SQL_DEADLINES, 2, NULL, values, NULL, NULL, 0);
    int rc = PQresultStatus(res) == PGRES_COMMAND_OK ? 0 : -1;
    if (rc != 0)
        store_copy_error(st->conn, "could not write the rectification deadlines", err, errlen);
    PQclear(res);
    return rc;
}

int store_migrate(store *st, const char *dir, int *applied, char *err, size_t errlen)
{
    *applied = 0;
    if (store_exec(st, "SET client_min_messages TO warning", err, errlen) != 0 ||
        store_exec(st,
                   "CREATE TABLE IF NOT EXISTS schema_migrations ("
                   " version int PRIMARY KEY, name text NOT NULL,"
                   " applied_at timestamptz NOT NULL DEFAULT now())",
                   err, errlen) != 0 ||
        store_exec(st, "SELECT pg_advisory_lock(7470001)", err, errlen) != 0)
        return -1;
    struct dirent **entries = NULL;
    int n = scandir(dir, &entries, store_is_migration, alphasort);
    int rc = 0;
    if (n < 0) {
        snprintf(err, errlen, "could not list migrations in \"%s\": %s", dir, strerror(errno));
        rc = -1;
    }
    for (int i = 0; i < n; i++) {
        bool done = false;
        if (rc == 0)
            rc = store_migration_applied(st, store_migration_version(entries[i]->d_name), &done,
                                         err, errlen);
        if (rc == 0 && !done) {
            rc = store_apply_migration(st, dir, entries[i]->d_name, err, errlen);
            if (rc == 0)
                (*applied)++;
        }
        free(entries[i]);
    }
    free(entries);
    if (rc == 0)
        rc = store_write_deadlines(st, err, errlen);
    char msg[256];
    store_exec(st, "SELECT pg_advisory_unlock(7470001)", msg, sizeof(msg));
    return rc;
}
