/* testdb.c — a test's own database, made and dropped through DATABASE_URL's server. The
 * connection string is rebuilt from libpq's parse of DATABASE_URL so that both the key=value
 * and the URI forms work. */
#include "testdb.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "server/db/store.h"

/* Appends " key='value'" to @p out, quoting as libpq reads it. */
static void testdb_append(char *out, size_t cap, const char *key, const char *value)
{
    size_t n = strlen(out);
    n += (size_t)snprintf(out + n, n < cap ? cap - n : 0, "%s%s='", n ? " " : "", key);
    for (const char *p = value; *p && n + 3 < cap; p++) {
        if (*p == '\'' || *p == '\\')
            out[n++] = '\\';
        out[n++] = *p;
    }
    if (n + 2 < cap) {
        out[n++] = '\'';
        out[n] = '\0';
    }
}

/* @p url with its dbname replaced by @p dbname; -1 when libpq cannot parse it. */
static int testdb_conninfo(const char *url, const char *dbname, char *out, size_t cap)
{
    char *err = NULL;
    PQconninfoOption *opts = PQconninfoParse(url, &err);
    if (!opts) {
        fprintf(stderr, "testdb: DATABASE_URL: %s\n", err ? err : "out of memory");
        PQfreemem(err);
        return -1;
    }
    out[0] = '\0';
    for (PQconninfoOption *o = opts; o->keyword; o++)
        if (o->val && o->val[0] && strcmp(o->keyword, "dbname") != 0)
            testdb_append(out, cap, o->keyword, o->val);
    testdb_append(out, cap, "dbname", dbname);
    PQconninfoFree(opts);
    return 0;
}

/* Runs @p sql on a connection to DATABASE_URL itself (to create or drop the test's database). */
static int testdb_admin(const char *url, const char *sql)
{
    PGconn *conn = PQconnectdb(url);
    int rc = -1;
    if (PQstatus(conn) == CONNECTION_OK) {
        PQclear(PQexec(conn, "SET client_min_messages TO warning")); /* no NOTICE of IF EXISTS */
        PGresult *res = PQexec(conn, sql);
        rc = PQresultStatus(res) == PGRES_COMMAND_OK ? 0 : -1;
        if (rc != 0)
            fprintf(stderr, "testdb: %s: %s", sql, PQerrorMessage(conn));
        PQclear(res);
    }
    PQfinish(conn);
    return rc;
}

static int testdb_migrate(testdb *db)
{
    char err[512];
    store *st = store_connect(db->conninfo, err, sizeof(err));
    int applied = 0;
    int rc = st ? store_migrate(st, WELDREG_SCHEMA_DIR, &applied, err, sizeof(err)) : -1;
    store_destroy(st);
    if (rc != 0) {
        fprintf(stderr, "testdb: could not migrate %s: %s\n", db->name, err);
        return -1;
    }
    db->conn = PQconnectdb(db->conninfo);
    PQclear(PQexec(db->conn, "SET client_min_messages TO warning"));
    return PQstatus(db->conn) == CONNECTION_OK ? 0 : -1;
}

int testdb_create(testdb *db, const char *what)
{
    memset(db, 0, sizeof(*db));
    const char *url = getenv("DATABASE_URL");
    if (!url || !*url) {
        fprintf(stderr, "testdb: DATABASE_URL is not set: the database tests are skipped\n");
        return 1;
    }
    PGconn *probe = PQconnectdb(url);
    bool reachable = PQstatus(probe) == CONNECTION_OK;
    if (!reachable)
        fprintf(stderr, "testdb: the database tests are skipped: %s", PQerrorMessage(probe));
    PQfinish(probe);
    if (!reachable)
        return 1;
    char sql[160];
    snprintf(db->name, sizeof(db->name), "weldreg_unit_%s_%ld", what, (long)getpid());
    snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s", db->name);
    if (testdb_admin(url, sql) != 0)
        return -1;
    snprintf(sql, sizeof(sql), "CREATE DATABASE %s", db->name);
    if (testdb_conninfo(url, db->name, db->conninfo, sizeof(db->conninfo)) != 0 ||
        testdb_admin(url, sql) != 0) {
        db->name[0] = '\0';
        return -1;
    }
    return testdb_migrate(db);
}

void testdb_destroy(testdb *db)
{
    PQfinish(db->conn);
    db->conn = NULL;
    if (!db->name[0])
        return;
    char sql[160];
    snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", db->name);
    testdb_admin(getenv("DATABASE_URL"), sql);
    db->name[0] = '\0';
}

void testdb_exec(testdb *db, const char *sql)
{
    PGresult *res = PQexec(db->conn, sql);
    ExecStatusType s = PQresultStatus(res);
    PQclear(res);
    if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK)
        fail_msg("%s: %s", sql, PQerrorMessage(db->conn));
}

long long testdb_int(testdb *db, const char *sql)
{
    PGresult *res = PQexec(db->conn, sql);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        PQclear(res);
        fail_msg("%s: %s", sql, PQerrorMessage(db->conn));
    }
    long long v = PQntuples(res) && !PQgetisnull(res, 0, 0) ? atoll(PQgetvalue(res, 0, 0)) : 0;
    PQclear(res);
    return v;
}
