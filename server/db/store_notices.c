/* store_notices.c — the notices' outbox (store_notices.h). */
#include "server/db/store_notices.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/db/store_internal.h"

static const char NOTICE_TAKE_SQL[] =
    "SELECT id, attempts, kind, idempotency_key::text, body::text FROM notices"
    " WHERE delivered_at IS NULL AND next_attempt_at <= now()"
    " ORDER BY next_attempt_at, id LIMIT 1 FOR UPDATE SKIP LOCKED";

/* $1 id, $2 delivered, $3 why, $4 seconds to the next attempt */
static const char NOTICE_RECORD_SQL[] =
    "UPDATE notices SET attempts = attempts + 1,"
    " delivered_at = CASE WHEN $2 THEN now() END, last_error = $3,"
    " next_attempt_at = now() + $4::int * interval '1 second' WHERE id = $1";

/* Ends the transaction on a failure (the lock goes with it); -1 with libpq's message. */
static int notice_fail(store *st, const char *what, char *err, size_t errlen)
{
    store_copy_error(st->conn, what, err, errlen);
    PGresult *res = PQexec(st->conn, "ROLLBACK");
    PQclear(res);
    return -1;
}

int store_notice_take(store *st, notice *n, char *err, size_t errlen)
{
    memset(n, 0, sizeof(*n));
    if (store_exec(st, "BEGIN", err, errlen) != 0)
        return -1;
    PGresult *res = PQexec(st->conn, NOTICE_TAKE_SQL);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        PQclear(res);
        return notice_fail(st, "could not take a notice", err, errlen);
    }
    if (PQntuples(res) == 0) {
        PQclear(res);
        return store_exec(st, "COMMIT", err, errlen) == 0 ? 0 : -1;
    }
    n->id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    n->attempts = (uint32_t)strtoul(PQgetvalue(res, 0, 1), NULL, 10);
    snprintf(n->kind, sizeof(n->kind), "%s", PQgetvalue(res, 0, 2));
    snprintf(n->key, sizeof(n->key), "%s", PQgetvalue(res, 0, 3));
    n->body = strdup(PQgetvalue(res, 0, 4));
    PQclear(res);
    if (!n->body) {
        res = PQexec(st->conn, "ROLLBACK");
        PQclear(res);
        snprintf(err, errlen, "out of memory for a notice's body");
        return -1;
    }
    return 1;
}

int store_notice_record(store *st, const notice *n, bool delivered, const char *why,
                        uint32_t retry_s, char *err, size_t errlen)
{
    char id[24], seconds[16];
    snprintf(id, sizeof(id), "%lld", (long long)n->id);
    snprintf(seconds, sizeof(seconds), "%u", retry_s);
    const char *values[] = {id, delivered ? "true" : "false", delivered ? NULL : why, seconds};
    PGresult *res = PQexecParams(st->conn, NOTICE_RECORD_SQL, 4, NULL, values, NULL, NULL, 0);
    bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    PQclear(res);
    if (!ok)
        return notice_fail(st, "could not record a notice's attempt", err, errlen);
    return store_exec(st, "COMMIT", err, errlen);
}

int64_t store_notice_queue_overdue(store *st, char *err, size_t errlen)
{
    PGresult *res = PQexec(st->conn, "SELECT weldreg_queue_overdue_notices()");
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
        store_copy_error(st->conn, "could not queue the overdue notices", err, errlen);
        PQclear(res);
        return -1;
    }
    int64_t queued = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    return queued;
}

void notice_deinit(notice *n)
{
    free(n->body);
    n->body = NULL;
}
