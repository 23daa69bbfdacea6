/* testdb.h — a migrated PostgreSQL database of a unit test's own, on the server DATABASE_URL
 * names, for the server tests that need one; they skip when there is no server to use. */
#ifndef WELDREG_TEST_TESTDB_H
#define WELDREG_TEST_TESTDB_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct testdb {
    char name[64];       /* the database made: weldreg_unit_<what>_<pid> */
    char conninfo[2048]; /* DATABASE_URL with its dbname replaced by name */
    PGconn *conn;        /* a connection to it, for fixtures and checks */
} testdb;

/* Creates database "weldreg_unit_<what>_<pid>" on the server of DATABASE_URL and applies the
 * schema's migrations. 1 when there is no server to use (DATABASE_URL unset or unreachable:
 * the caller skips, reason printed), 0 when ready, -1 on a failure (message printed). */
int testdb_create(testdb *db, const char *what);

/* Drops the database; does nothing for one never created. */
void testdb_destroy(testdb *db);

/* Runs @p sql (several statements may follow each other); fails the test on an error. */
void testdb_exec(testdb *db, const char *sql);

/* The first column of the first row of @p sql as a number; 0 when NULL or no row. */
long long testdb_int(testdb *db, const char *sql);

#endif
