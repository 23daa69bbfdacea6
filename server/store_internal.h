/* store_internal.h — what the store_*.c files share: the connection and small libpq helpers.
 * Only store files include this; libpq does not leak past them. */
#ifndef WELDREG_SERVER_STORE_INTERNAL_H
#define WELDREG_SERVER_STORE_INTERNAL_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "server/store.h"

struct store {
    PGconn *conn;
    bool prepared; /* the check-in statements are prepared on this connection */
};

/* Writes "<what>: <first line of libpq's message>" to @p err. */
void store_copy_error(const PGconn *conn, const char *what, char *err, size_t errlen);

/* Runs @p sql (no parameters, no rows wanted); 0, or -1 with a message in @p err. */
int store_exec(store *st, const char *sql, char *err, size_t errlen);

/* The int8 at (@p row, @p col) of a binary-format result. */
int64_t store_get_int8(const PGresult *res, int row, int col);

#endif
