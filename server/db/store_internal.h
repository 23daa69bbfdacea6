/* store_internal.h — what the store_*.c files share: the connection, small libpq helpers
 * (store.c) and the check-in helpers (store_checkins*.c). Only store files include this; libpq
 * does not leak past them. The API's statement helpers are in store_query.h. */
#ifndef WELDREG_SERVER_STORE_INTERNAL_H
#define WELDREG_SERVER_STORE_INTERNAL_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/reason.h"
#include "server/checkin/record.h"

typedef struct store store; /* as in store.h, which this header does not need */

#define STORE_NAMED_MAX 8 /* statements store_exec_named() prepares per connection */

struct store {
    PGconn *conn;
    bool prepared; /* the check-in statements are prepared on this connection */
    /* a statement found the server gone (query_fail): libpq may still call the connection OK
     * until it is used once more, so store_socket() says lost from now on */
    bool lost;
    /* several servers: the server_id whose leases fence every batch of check-ins written on
     * this connection (store_set_fence); "" when there is one server and no fence */
    char fence_owner[64];
    /* the statements store_exec_named() prepared on this connection, by name (a reset
     * connection has none) */
    const char *named[STORE_NAMED_MAX];
    size_t named_count;
};

/* A stored check-in found by its (chip, seq): checkins has no index of that key (partitioned by
 * month, schema/022), checkin_keys does, and its received_at prunes the look to one partition.
 * The key's columns are k.*, the check-in's c.*. */
#define STORE_SQL_CHECKIN_BY_KEY                                                                   \
    "checkin_keys k JOIN checkins c ON c.id = k.checkin_id AND c.received_at = k.received_at"

/* Writes "<what>: <first line of libpq's message>" to @p err. */
void store_copy_error(const PGconn *conn, const char *what, char *err, size_t errlen);

/* Runs @p sql (no parameters, no rows wanted); 0, or -1 with a message in @p err. */
int store_exec(store *st, const char *sql, char *err, size_t errlen);

/* Runs @p sql with @p n text parameters; the result when it returned rows or a command status,
 * else NULL with a message naming @p what (the connection is marked lost if it went). */
PGresult *store_run(store *st, const char *sql, int n, const char *const *params, const char *what,
                    char *err, size_t errlen);

/* @p res (a statement's result, consumed) when it holds rows or a command status, else NULL
 * with a message naming @p what (the connection is marked lost if it went). */
PGresult *store_checked(store *st, PGresult *res, const char *what, char *err, size_t errlen);

/* Runs the statement @p sql with @p n parameters (text, or binary where @p formats says 1;
 * @p lengths and @p formats may be NULL for text only). 0, or -1 with the database's message
 * after @p what. */
int store_command(store *st, const char *sql, int n, const char *const *params, const int *lengths,
                  const int *formats, const char *what, char *err, size_t errlen);

/* Runs @p sql as PQexecParams() would (parameters in text, or binary where @p formats says 1;
 * @p types, @p lengths and @p formats may be NULL), as the statement @p name (a string
 * literal) that it prepares on this connection at its first use. For reads of the check-ins:
 * planned at each call, a read whose month is not known plans over every monthly partition
 * (schema/022), several times its own run; prepared, PostgreSQL plans it once for its generic
 * plan and prunes the partitions as it runs. Only for statements with the same plan whatever
 * their parameters (no "$1 = 0 OR ..." filters, where a generic plan may be worse). When it
 * cannot be prepared, or its plan went stale (a migration changed its result, SQLSTATE 0A000),
 * it runs as PQexecParams() does and is prepared again at its next use. */
PGresult *store_exec_named(store *st, const char *name, const char *sql, int n, const Oid *types,
                           const char *const *values, const int *lengths, const int *formats,
                           int result_format);

/* The number of rows of @p sql (no parameters) in count[0] and the sum of
 * octet_length(@p sum_column) over them in count[1] (0 when @p sum_column is NULL). In the
 * caller's transaction, so that a read that follows sees the same rows. 0, or -1 with a message
 * in @p err naming @p what. */
int store_count_rows(store *st, const char *sql, const char *sum_column, int64_t count[2],
                     const char *what, char *err, size_t errlen);

/* Reads the rows of @p sql (no parameters; inside the caller's transaction) through a cursor
 * and hands @p each one chunk of rows at a time (binary format when @p binary). A million rows
 * read in one result left ~170 MB of libpq's freed blocks resident in the reading thread's
 * malloc arena after every reload; the blocks of a chunk are reused by the next. 0, or -1 with
 * a message in @p err (from @p each, or naming @p what). */
typedef int (*store_chunk_fn)(const PGresult *res, void *arg, char *err, size_t errlen);
int store_read_chunked(store *st, const char *sql, const char *what, bool binary,
                       store_chunk_fn each, void *arg, char *err, size_t errlen);

/* The int8 at (@p row, @p col) of a binary-format result. */
int64_t store_get_int8(const PGresult *res, int row, int col);

/* ---- check-ins (store_checkins.c, store_checkins_bulk.c) ---- */

/* Fills @p r's out fields from row @p row of a check-in result (binary format; columns: id,
 * body hash, ok, reasons, unlock until, fresh, new session). */
void store_read_checkin_row(const PGresult *res, int row, checkin_record *r);

/* The texts stored for a check-in's reasons: names of all (checkins.reasons), or of those
 * recorded as violations and their severities (violations.kind, severity). Reasons are codes
 * (core/reason.h) up to here: only the store writes and reads their names. */
typedef enum store_reason_text {
    STORE_REASON_NAMES,
    STORE_VIOLATION_KINDS,
    STORE_VIOLATION_SEVERITIES,
} store_reason_text;

/* The text of @p code that @p what stores. */
const char *store_reason_text_of(reason_code code, store_reason_text what);

/* A stored check-in's reasons (names joined by commas, as the duplicate lookup returns them)
 * into @p r->first_reasons; a name this build does not know is skipped. */
void store_reasons_from_names(const char *joined, checkin_record *r);

/* Prepares the bulk statement on this connection. */
int store_bulk_prepare(store *st);

/* Queues the bulk statement for @p records (op NONE or TOUCH, no sweep) in the pipeline. */
int store_bulk_send(store *st, checkin_record *const *records, size_t n);

/* Queues the lease fence of @p records (schema/024_machine_leases.sql) in the pipeline: the
 * batch fails with SQLSTATE WRL01 unless st->fence_owner holds every record's lease at its
 * lease_epoch. */
int store_fence_send(store *st, checkin_record *const *records, size_t n);

/* Reads the bulk statement's result into @p records (whose ids must be 0); -1 unless every
 * record got exactly one row. */
int store_bulk_read(const PGresult *res, checkin_record *const *records, size_t n);

#endif
