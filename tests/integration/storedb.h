/* storedb.h — what the C programs of the integration tests share: a store and a plain libpq
 * connection to DATABASE_URL (a migrated database their script made), and statements that must
 * succeed. */
#ifndef WELDREG_TESTS_STOREDB_H
#define WELDREG_TESTS_STOREDB_H

#include <libpq-fe.h>

#include "server/db/store.h"

/* Connects @p st and @p db to DATABASE_URL; -1 with a message naming @p script when it is not
 * set or a connection fails. */
int storedb_connect(store **st, PGconn **db, const char *script);

/* Closes both. */
void storedb_close(store *st, PGconn *db);

/* Runs @p sql on @p db; fails the current cmocka test on an error. */
void storedb_exec(PGconn *db, const char *sql);

#endif
