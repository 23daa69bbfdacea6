/* store.c — the connection: made at once or step by step, re-made when lost, LISTEN/NOTIFY, and
 * the small libpq helpers the store_*.c files share (store_internal.h). Migrations are in
 * store_migrate.c, principals in store_principals.c, check-ins in store_checkins*.c. */
#include "server/db/store.h"
#include "server/db/store_internal.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void store_copy_error(const PGconn *conn, const char *what, char *err, size_t errlen)
{
    const char *msg = conn ? PQerrorMessage(conn) : "out of memory";
    size_t len = strcspn(msg, "\n");
    snprintf(err, errlen, "%s: %.*s", what, (int)len, msg);
}

/* Every connection: named in pg_stat_activity, and times in answers in China time (the
 * platform's calendar): "2026-11-28T16:40:12+08:00". connect_timeout bounds a connection made
 * in one call (PQconnectdbParams); one made step by step is bounded by its caller. libpq lets a
 * later keyword win, so the name and the time-out come before database_url (which may set its
 * own) and the time zone after it. */
static const char *const store_keys[] = {"application_name", "connect_timeout", "dbname", "options",
                                         NULL};

static store *store_open(const char *conninfo, bool wait, char *err, size_t errlen)
{
    const char *values[] = {"weldreg-server", "5", conninfo, "-c TimeZone=Asia/Shanghai", NULL};
    store *st = calloc(1, sizeof(*st));
    if (!st) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    st->conn = wait ? PQconnectdbParams(store_keys, values, 1)
                    : PQconnectStartParams(store_keys, values, 1);
    ConnStatusType status = st->conn ? PQstatus(st->conn) : CONNECTION_BAD;
    if (status == CONNECTION_BAD || (wait && status != CONNECTION_OK)) {
        store_copy_error(st->conn, "could not connect to the database", err, errlen);
        store_destroy(st);
        return NULL;
    }
    return st;
}

store *store_connect(const char *conninfo, char *err, size_t errlen)
{
    return store_open(conninfo, true, err, errlen);
}

store *store_connect_start(const char *conninfo, char *err, size_t errlen)
{
    return store_open(conninfo, false, err, errlen);
}

store_connecting store_connect_poll(store *st, char *err, size_t errlen)
{
    switch (PQconnectPoll(st->conn)) {
    case PGRES_POLLING_READING: return STORE_WAIT_READ;
    case PGRES_POLLING_WRITING: return STORE_WAIT_WRITE;
    case PGRES_POLLING_OK: return STORE_CONNECTED;
    default: break;
    }
    store_copy_error(st->conn, "could not connect to the database", err, errlen);
    return STORE_CONNECT_FAILED;
}

int store_connect_socket(const store *st)
{
    return PQsocket(st->conn);
}

void store_destroy(store *st)
{
    if (!st)
        return;
    PQfinish(st->conn);
    free(st);
}

store_status store_reconnect(store *st)
{
    if (PQstatus(st->conn) == CONNECTION_OK && !st->lost)
        return STORE_OK;
    PQreset(st->conn);
    st->prepared = false;
    st->named_count = 0;
    st->lost = false;
    return PQstatus(st->conn) == CONNECTION_OK ? STORE_OK : STORE_EUNAVAILABLE;
}

store_status store_ping(store *st)
{
    PGresult *res = PQexec(st->conn, "SELECT 1");
    bool ok = PQresultStatus(res) == PGRES_TUPLES_OK;
    PQclear(res);
    if (!ok)
        st->lost = true;
    return ok ? STORE_OK : STORE_EUNAVAILABLE;
}

store_status store_standby_lag(store *st, int64_t *lag_s)
{
    /* a standby that has replayed all it received is current whatever the age of its last
     * transaction (a quiet primary writes nothing to replay) */
    PGresult *res = PQexec(st->conn, "SELECT CASE WHEN NOT pg_is_in_recovery() THEN -1"
                                     " WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn()"
                                     " THEN 0 ELSE GREATEST(0, COALESCE(round(extract(epoch FROM"
                                     " now() - pg_last_xact_replay_timestamp())), 0)) END::int8");
    bool ok = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1;
    if (ok)
        *lag_s = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    if (!ok)
        st->lost = true;
    return ok ? STORE_OK : STORE_EUNAVAILABLE;
}

/* Runs @p sql with text parameters; the result when it returned rows or a command status,
 * else NULL with a message (the connection is marked lost if it went). */
PGresult *store_run(store *st, const char *sql, int n, const char *const *params, const char *what,
                    char *err, size_t errlen)
{
    return store_checked(st, PQexecParams(st->conn, sql, n, NULL, params, NULL, NULL, 0), what, err,
                         errlen);
}

PGresult *store_checked(store *st, PGresult *res, const char *what, char *err, size_t errlen)
{
    ExecStatusType s = PQresultStatus(res);
    if (s == PGRES_TUPLES_OK || s == PGRES_COMMAND_OK)
        return res;
    store_copy_error(st->conn, what, err, errlen);
    if (PQstatus(st->conn) != CONNECTION_OK)
        st->lost = true;
    PQclear(res);
    return NULL;
}

/* Runs a statement that returns no rows; 0 or -1 with a message. */
int store_exec(store *st, const char *sql, char *err, size_t errlen)
{
    PGresult *res = PQexec(st->conn, sql);
    ExecStatusType s = PQresultStatus(res);
    int rc = (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK) ? 0 : -1;
    if (rc != 0)
        store_copy_error(st->conn, "database statement failed", err, errlen);
    PQclear(res);
    return rc;
}

int64_t store_get_int8(const PGresult *res, int row, int col)
{
    uint64_t v;
    memcpy(&v, PQgetvalue(res, row, col), sizeof(v));
    return (int64_t)be64toh(v);
}

#define STORE_CHUNK_ROWS       10000
#define STORE_STRINGIFY(x)     #x
#define STORE_FETCH_ROWS(rows) "FETCH " STORE_STRINGIFY(rows) " FROM weldreg_chunks"

int store_count_rows(store *st, const char *sql, const char *sum_column, int64_t count[2],
                     const char *what, char *err, size_t errlen)
{
    char query[2048];
    int n = snprintf(query, sizeof(query),
                     "SELECT count(*)::int8, coalesce(sum(octet_length(%s)), 0)::int8"
                     " FROM (%s) q",
                     sum_column ? sum_column : "NULL::text", sql);
    if (n < 0 || (size_t)n >= sizeof(query)) {
        snprintf(err, errlen, "%s: the query is too long to count", what);
        return -1;
    }
    PGresult *res = PQexecParams(st->conn, query, 0, NULL, NULL, NULL, NULL, 1);
    int rc = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 ? 0 : -1;
    if (rc == 0) {
        count[0] = store_get_int8(res, 0, 0);
        count[1] = store_get_int8(res, 0, 1);
    } else {
        store_copy_error(st->conn, what, err, errlen);
    }
    PQclear(res);
    return rc;
}

int store_read_chunked(store *st, const char *sql, const char *what, bool binary,
                       store_chunk_fn each, void *arg, char *err, size_t errlen)
{
    char declare[2048];
    int n = snprintf(declare, sizeof(declare), "DECLARE weldreg_chunks%s NO SCROLL CURSOR FOR %s",
                     binary ? " BINARY" : "", sql);
    if (n < 0 || (size_t)n >= sizeof(declare)) {
        snprintf(err, errlen, "%s: the query is too long for a cursor", what);
        return -1;
    }
    if (store_exec(st, declare, err, errlen) != 0)
        return -1;
    int rc = 0, rows;
    do {
        PGresult *res = PQexecParams(st->conn, STORE_FETCH_ROWS(STORE_CHUNK_ROWS), 0, NULL, NULL,
                                     NULL, NULL, binary ? 1 : 0);
        rows = PQresultStatus(res) == PGRES_TUPLES_OK ? PQntuples(res) : -1;
        if (rows < 0) {
            store_copy_error(st->conn, what, err, errlen);
            rc = -1;
        } else if (rows > 0) {
            rc = each(res, arg, err, errlen);
        }
        PQclear(res);
    } while (rc == 0 && rows == STORE_CHUNK_ROWS);
    char msg[128];
    if (store_exec(st, "CLOSE weldreg_chunks", msg, sizeof(msg)) != 0 && rc == 0) {
        snprintf(err, errlen, "%s", msg);
        rc = -1;
    }
    return rc;
}

/* ---- notifications ---- */

int store_listen(store *st, const char *channel)
{
    char *quoted = PQescapeIdentifier(st->conn, channel, strlen(channel));
    if (!quoted)
        return -1;
    char sql[256];
    char err[256];
    snprintf(sql, sizeof(sql), "LISTEN %s", quoted);
    PQfreemem(quoted);
    return store_exec(st, sql, err, sizeof(err));
}

int store_socket(const store *st)
{
    return PQstatus(st->conn) == CONNECTION_OK && !st->lost ? PQsocket(st->conn) : -1;
}

int store_take_notifications(store *st, store_notify_fn each, void *arg)
{
    if (PQconsumeInput(st->conn) != 1)
        return -1;
    int count = 0;
    PGnotify *note;
    while ((note = PQnotifies(st->conn)) != NULL) {
        count++;
        each(arg, note->relname, note->extra);
        PQfreemem(note);
    }
    return count;
}

typedef struct store_channel_count {
    const char *channel;
    int *count;
} store_channel_count;

static void store_count_channel(void *arg, const char *channel, const char *payload)
{
    (void)payload;
    const store_channel_count *c = arg;
    if (c->channel && strcmp(channel, c->channel) == 0)
        (*c->count)++;
}

int store_drain_notifications(store *st, const char *channel, int *on_channel)
{
    store_channel_count c = {channel, on_channel};
    return store_take_notifications(st, store_count_channel, &c);
}

int store_command(store *st, const char *sql, int n, const char *const *params, const int *lengths,
                  const int *formats, const char *what, char *err, size_t errlen)
{
    PGresult *res = PQexecParams(st->conn, sql, n, NULL, params, lengths, formats, 0);
    int rc = PQresultStatus(res) == PGRES_COMMAND_OK ? 0 : -1;
    if (rc != 0)
        store_copy_error(st->conn, what, err, errlen);
    PQclear(res);
    return rc;
}

/* The index of @p name among the statements prepared on @p st, or -1. */
static int store_named_find(const store *st, const char *name)
{
    for (size_t i = 0; i < st->named_count; i++)
        if (strcmp(st->named[i], name) == 0)
            return (int)i;
    return -1;
}

/* Prepares @p sql as @p name on @p st unless it is; false when it is not (then the caller runs
 * it unprepared: the same answer, and the same error if the statement has one). */
static bool store_named_ready(store *st, const char *name, const char *sql, int n, const Oid *types)
{
    if (store_named_find(st, name) >= 0)
        return true;
    if (st->named_count == STORE_NAMED_MAX)
        return false;
    PGresult *res = PQprepare(st->conn, name, sql, n, types);
    bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    PQclear(res);
    if (ok)
        st->named[st->named_count++] = name;
    return ok;
}

/* Forgets statement @p name of @p st and drops it from the connection. */
static void store_named_drop(store *st, const char *name)
{
    int i = store_named_find(st, name);
    if (i < 0)
        return;
    st->named[i] = st->named[--st->named_count];
    char sql[96];
    snprintf(sql, sizeof(sql), "DEALLOCATE \"%s\"", name);
    PQclear(PQexec(st->conn, sql));
}

/* True for the error of a prepared statement whose plan no longer fits its tables (its result's
 * columns changed: "cached plan must not change result type"), or that the server forgot. */
static bool store_named_stale(const PGresult *res)
{
    const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    return state && (strcmp(state, "0A000") == 0 || strcmp(state, "26000") == 0);
}

PGresult *store_exec_named(store *st, const char *name, const char *sql, int n, const Oid *types,
                           const char *const *values, const int *lengths, const int *formats,
                           int result_format)
{
    if (store_named_ready(st, name, sql, n, types)) {
        PGresult *res = PQexecPrepared(st->conn, name, n, values, lengths, formats, result_format);
        if (!store_named_stale(res))
            return res;
        PQclear(res);
        store_named_drop(st, name);
    }
    return PQexecParams(st->conn, sql, n, types, values, lengths, formats, result_format);
}
