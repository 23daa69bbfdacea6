/* store_life.c — the SQL of the data life cycle: the check-ins' monthly partitions, the months
 * of work sessions, expired web sessions. The months' names come from the database or are
 * checked against their pattern, and go into COPY and CREATE TABLE only through
 * PQescapeIdentifier or PQescapeLiteral (COPY takes no parameters). */
#include "server/db/store_life.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hex.h"
#include "server/db/store_internal.h"

/* A table whose months are archived, and the SQL of its months (schema/023, 029). */
typedef struct store_life_kind {
    const char *table;
    const char *expired_sql; /* $1: months kept; one name a row */
    const char *drop_sql;    /* $1 name, $2 file, $3 sha256, $4 rows; returns the rows kept */
    /* COPY of a month's rows: "<copy_prefix><name quoted><copy_suffix>" */
    const char *copy_prefix;
    bool name_as_literal; /* the name goes in as a string, not as a table's name */
} store_life_kind;

static const store_life_kind store_life_kinds[] = {
    {"checkins", "SELECT weldreg_checkins_expired($1)",
     "SELECT weldreg_checkins_drop($1, $2, $3::bytea, $4)", "COPY (SELECT * FROM ", false},
    {"work_sessions", "SELECT weldreg_work_sessions_expired($1)",
     "SELECT weldreg_work_sessions_drop($1, $2, $3::bytea, $4)",
     "COPY (SELECT * FROM weldreg_work_sessions_month(", true},
};

/* The kind of @p table, or NULL. */
static const store_life_kind *store_life_kind_of_table(const char *table)
{
    for (size_t i = 0; i < sizeof(store_life_kinds) / sizeof(store_life_kinds[0]); i++)
        if (strcmp(store_life_kinds[i].table, table) == 0)
            return &store_life_kinds[i];
    return NULL;
}

/* The kind of month @p name ("<table>_YYYYMM"), or NULL (with @p err). */
static const store_life_kind *store_life_kind_of_month(const char *name, char *err, size_t errlen)
{
    size_t len = strlen(name);
    char table[STORE_PARTITION_NAME_MAX] = "";
    if (len > 7 && len < sizeof(table) && name[len - 7] == '_' &&
        strspn(name + len - 6, "0123456789") == 6)
        snprintf(table, sizeof(table), "%.*s", (int)(len - 7), name);
    const store_life_kind *k = store_life_kind_of_table(table);
    if (!k)
        snprintf(err, errlen, "\"%s\" is not the month of an archived table", name);
    return k;
}

bool store_life_table_known(const char *table)
{
    return store_life_kind_of_table(table) != NULL;
}

/* The bigint of a one-row, one-column query with @p n text parameters (the result in binary)
 * into *@p out: 0, or -1 with the database's message after @p what. */
static int store_life_int(store *st, const char *sql, int n, const char *const *params,
                          int64_t *out, const char *what, char *err, size_t errlen)
{
    PGresult *res = PQexecParams(st->conn, sql, n, NULL, params, NULL, NULL, 1);
    int rc = -1;
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        store_copy_error(st->conn, what, err, errlen);
    else if (PQntuples(res) != 1 || PQgetisnull(res, 0, 0) || PQgetlength(res, 0, 0) != 8)
        snprintf(err, errlen, "%s: no answer", what);
    else {
        *out = store_get_int8(res, 0, 0);
        rc = 0;
    }
    PQclear(res);
    return rc;
}

int store_partitions_ahead(store *st, unsigned ahead, int *made, char *err, size_t errlen)
{
    char months[16];
    int64_t n;
    snprintf(months, sizeof(months), "%u", ahead);
    const char *params[] = {months};
    if (store_life_int(st, "SELECT weldreg_checkins_partitions_ahead($1)::int8", 1, params, &n,
                       "could not make the partitions ahead", err, errlen) != 0)
        return -1;
    *made = (int)n;
    return 0;
}

/* The months after this one with a partition, without a gap. */
static const char STORE_SQL_MONTHS_AHEAD[] =
    "SELECT coalesce(min(i) - 1, 24)::int8 FROM generate_series(1, 25) i WHERE to_regclass("
    "weldreg_checkins_partition_name(weldreg_month_start(now())"
    " + make_interval(months => i, days => 14))) IS NULL";

int store_partitions_months_ahead(store *st, int *months, char *err, size_t errlen)
{
    int64_t n;
    if (store_life_int(st, STORE_SQL_MONTHS_AHEAD, 0, NULL, &n,
                       "could not read the partitions ahead", err, errlen) != 0)
        return -1;
    *months = (int)n;
    return 0;
}

int store_partitions_expired(store *st, const char *table, unsigned keep_months,
                             char (*names)[STORE_PARTITION_NAME_MAX], size_t cap, size_t *n,
                             char *err, size_t errlen)
{
    const store_life_kind *k = store_life_kind_of_table(table);
    *n = 0;
    if (!k) {
        snprintf(err, errlen, "no life cycle for table \"%s\"", table);
        return -1;
    }
    char months[16];
    snprintf(months, sizeof(months), "%u", keep_months);
    const char *params[] = {months};
    PGresult *res = PQexecParams(st->conn, k->expired_sql, 1, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        store_copy_error(st->conn, "could not list the partitions past retention", err, errlen);
        PQclear(res);
        return -1;
    }
    for (int i = 0; i < PQntuples(res) && *n < cap; i++)
        snprintf(names[(*n)++], STORE_PARTITION_NAME_MAX, "%s", PQgetvalue(res, i, 0));
    PQclear(res);
    return 0;
}

int store_schema_version(store *st, int *version, char *err, size_t errlen)
{
    int64_t n;
    if (store_life_int(st, "SELECT max(version)::int8 FROM schema_migrations", 0, NULL, &n,
                       "could not read the schema version", err, errlen) != 0)
        return -1;
    *version = (int)n;
    return 0;
}

/* True if @p name is a table name this module may quote into a statement: lower-case letters,
 * digits and '_', starting with a letter, at most 48 bytes. */
static bool store_life_plain_name(const char *name)
{
    size_t len = strlen(name);
    if (len == 0 || len > 48 || name[0] < 'a' || name[0] > 'z')
        return false;
    return strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_") == len;
}

/* "<prefix><quoted name><suffix>" into a new string (the name quoted as a string if
 * @p literal, else as a table's name), or NULL (with @p err) when @p name is not a plain name. */
static char *store_life_statement(store *st, const char *prefix, const char *name, bool literal,
                                  const char *suffix, char *err, size_t errlen)
{
    if (!store_life_plain_name(name)) {
        snprintf(err, errlen, "\"%s\" is not a table name (a-z, 0-9 and _, at most 48)", name);
        return NULL;
    }
    char *quoted = literal ? PQescapeLiteral(st->conn, name, strlen(name))
                           : PQescapeIdentifier(st->conn, name, strlen(name));
    if (!quoted) {
        store_copy_error(st->conn, "could not quote a table name", err, errlen);
        return NULL;
    }
    size_t len = strlen(prefix) + strlen(quoted) + strlen(suffix) + 1;
    char *sql = malloc(len);
    if (sql)
        snprintf(sql, len, "%s%s%s", prefix, quoted, suffix);
    else
        snprintf(err, errlen, "out of memory");
    PQfreemem(quoted);
    return sql;
}

/* The rows of a finished COPY ("COPY 42") into *@p rows: 0, or -1 with a message. */
static int store_life_copy_end(store *st, const char *what, int64_t *rows, char *err, size_t errlen)
{
    int rc = 0;
    PGresult *res;
    while ((res = PQgetResult(st->conn)) != NULL) {
        if (PQresultStatus(res) != PGRES_COMMAND_OK && rc == 0) {
            store_copy_error(st->conn, what, err, errlen);
            rc = -1;
        } else if (rc == 0) {
            *rows = strtoll(PQcmdTuples(res), NULL, 10);
        }
        PQclear(res);
    }
    return rc;
}

int store_partition_copy_out(store *st, const char *name, store_copy_sink sink, void *ctx,
                             int64_t *rows, char *err, size_t errlen)
{
    const store_life_kind *k = store_life_kind_of_month(name, err, errlen);
    char *sql = k ? store_life_statement(st, k->copy_prefix, name, k->name_as_literal,
                                         k->name_as_literal ? ") ORDER BY id) TO STDOUT"
                                                            : " ORDER BY id) TO STDOUT",
                                         err, errlen)
                  : NULL;
    if (!sql)
        return -1;
    PGresult *res = PQexec(st->conn, sql);
    free(sql);
    bool started = PQresultStatus(res) == PGRES_COPY_OUT;
    PQclear(res);
    if (!started) {
        store_copy_error(st->conn, "could not copy the partition out", err, errlen);
        return -1;
    }
    int rc = 0;
    char *line;
    int len;
    while ((len = PQgetCopyData(st->conn, &line, 0)) > 0) {
        if (rc == 0 && sink(ctx, line, (size_t)len) != 0) {
            snprintf(err, errlen, "could not write the archive of %s", name);
            rc = -1; /* the rest is read and thrown away: the connection stays usable */
        }
        PQfreemem(line);
    }
    if (len == -2) {
        store_copy_error(st->conn, "the copy out failed", err, errlen);
        rc = -1;
    }
    if (store_life_copy_end(st, "the copy out failed", rows, err, errlen) != 0)
        rc = -1;
    return rc;
}

int store_partition_drop(store *st, const char *name, const char *file, const uint8_t sha256[32],
                         int64_t rows, int64_t *kept, char *err, size_t errlen)
{
    const store_life_kind *k = store_life_kind_of_month(name, err, errlen);
    if (!k)
        return -1;
    char hash[68] = "\\x", count[24];
    hex_encode(sha256, 32, hash + 2);
    snprintf(count, sizeof(count), "%lld", (long long)rows);
    const char *params[] = {name, file, hash, count};
    return store_life_int(st, k->drop_sql, 4, params, kept, "could not drop the month", err,
                          errlen);
}

/* Feeds @p source into the COPY FROM STDIN under way; 0, or -1 (the copy is then ended as
 * failed). */
static int store_life_copy_feed(store *st, store_copy_source source, void *ctx, char *err,
                                size_t errlen)
{
    char buf[65536];
    long got;
    while ((got = source(ctx, buf, sizeof(buf))) > 0)
        if (PQputCopyData(st->conn, buf, (int)got) != 1) {
            store_copy_error(st->conn, "the copy in failed", err, errlen);
            return -1;
        }
    if (got < 0) {
        snprintf(err, errlen, "could not read the archive");
        PQputCopyEnd(st->conn, "the archive could not be read");
        return -1;
    }
    return PQputCopyEnd(st->conn, NULL) == 1 ? 0 : -1;
}

int store_table_copy_in(store *st, const char *table, const char *like, store_copy_source source,
                        void *ctx, int64_t *rows, char *err, size_t errlen)
{
    if (!store_life_kind_of_table(like)) {
        snprintf(err, errlen, "no life cycle for table \"%s\"", like);
        return -1;
    }
    char suffix[64];
    snprintf(suffix, sizeof(suffix), " (LIKE %s)", like);
    char *create = store_life_statement(st, "CREATE TABLE ", table, false, suffix, err, errlen);
    if (!create)
        return -1;
    char *copy = store_life_statement(st, "COPY ", table, false, " FROM STDIN", err, errlen);
    int rc = copy ? store_exec(st, "BEGIN", err, errlen) : -1;
    if (rc == 0)
        rc = store_exec(st, create, err, errlen);
    if (rc == 0) {
        PGresult *res = PQexec(st->conn, copy);
        rc = PQresultStatus(res) == PGRES_COPY_IN ? 0 : -1;
        PQclear(res);
        if (rc != 0)
            store_copy_error(st->conn, "could not copy into the table", err, errlen);
        else {
            char feed_err[256] = "";
            int fed = store_life_copy_feed(st, source, ctx, feed_err, sizeof(feed_err));
            rc = store_life_copy_end(st, "the copy in failed", rows, err, errlen);
            if (fed != 0) {
                snprintf(err, errlen, "%s", feed_err);
                rc = -1;
            }
        }
    }
    if (rc == 0)
        rc = store_exec(st, "COMMIT", err, errlen);
    else if (copy) {
        char ignored[128];
        store_exec(st, "ROLLBACK", ignored, sizeof(ignored));
    }
    free(create);
    free(copy);
    return rc;
}

int store_web_sessions_expire(store *st, int64_t *deleted, char *err, size_t errlen)
{
    return store_life_int(st,
                          "WITH gone AS (DELETE FROM web_sessions WHERE expires_at < now()"
                          " RETURNING 1) SELECT count(*) FROM gone",
                          0, NULL, deleted, "could not delete the expired web sessions", err,
                          errlen);
}
