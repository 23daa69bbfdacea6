/* storedb.c — see storedb.h. */
#include "storedb.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

int storedb_connect(store **st, PGconn **db, const char *script)
{
    const char *url = getenv("DATABASE_URL");
    if (!url) {
        fprintf(stderr, "DATABASE_URL is not set (run through %s)\n", script);
        return -1;
    }
    char err[256];
    *st = store_connect(url, err, sizeof(err));
    *db = PQconnectdb(url);
    if (!*st || PQstatus(*db) != CONNECTION_OK) {
        fprintf(stderr, "%s\n", *st ? PQerrorMessage(*db) : err);
        return -1;
    }
    return 0;
}

void storedb_close(store *st, PGconn *db)
{
    store_destroy(st);
    PQfinish(db);
}

void storedb_exec(PGconn *db, const char *sql)
{
    PGresult *res = PQexec(db, sql);
    ExecStatusType s = PQresultStatus(res);
    PQclear(res);
    if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK)
        fail_msg("%s: %s", sql, PQerrorMessage(db));
}
