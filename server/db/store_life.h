/* store_life.h — the data life cycle's SQL: the check-ins' monthly partitions (schema/022, 023)
 * made ahead; the months of check-ins and of work sessions (schema/029) found past retention,
 * copied out to an archive, dropped, and an archived month copied back in; expired web sessions
 * deleted. A month of a table is named "<table>_YYYYMM" (for checkins, its partition). */
#ifndef WELDREG_SERVER_STORE_LIFE_H
#define WELDREG_SERVER_STORE_LIFE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "server/db/store.h"

/* "work_sessions_YYYYMM" and its NUL, the longest month's name */
#define STORE_PARTITION_NAME_MAX 24

/* The tables whose months are archived: "checkins" (a month is its partition, dropped) and
 * "work_sessions" (the closed sessions of a month no check-in refers to, deleted). True if
 * @p table is one of them. */
bool store_life_table_known(const char *table);

/* Receives a COPY's data in pieces; 0, or -1 to stop (the copy then fails). */
typedef int (*store_copy_sink)(void *ctx, const char *data, size_t len);

/* Fills @p buf (@p cap bytes) with the next piece of a COPY's input: the bytes written, 0 at
 * the end, -1 on failure (the copy then fails). */
typedef long (*store_copy_source)(void *ctx, char *buf, size_t cap);

/* Makes the partitions of this month and the @p ahead months after it that are missing;
 * *@p made gets how many. 0, or -1 with a message in @p err. */
int store_partitions_ahead(store *st, unsigned ahead, int *made, char *err, size_t errlen);

/* How many months after this one have their partition, counted from the next one without a
 * gap (0: next month's is missing), up to 24, into *@p months. */
int store_partitions_months_ahead(store *st, int *months, char *err, size_t errlen);

/* The months of @p table past retention (this month and the @p keep_months before it are kept)
 * not archived yet, oldest first: at most @p cap names into @p names, their number in *@p n. */
int store_partitions_expired(store *st, const char *table, unsigned keep_months,
                             char (*names)[STORE_PARTITION_NAME_MAX], size_t cap, size_t *n,
                             char *err, size_t errlen);

/* The highest schema version applied, into *@p version. */
int store_schema_version(store *st, int *version, char *err, size_t errlen);

/* COPY of month @p name's rows in id order (text format) to @p sink: a partition's rows, or the
 * work sessions that may leave; *@p rows gets the rows the server says it sent. */
int store_partition_copy_out(store *st, const char *name, store_copy_sink sink, void *ctx,
                             int64_t *rows, char *err, size_t errlen);

/* Drops month @p name, archived in @p file (@p sha256 of the file, @p rows rows), in one
 * transaction that keeps the rows still referred to and records the drop
 * (weldreg_checkins_drop, schema/023 and 029, or weldreg_work_sessions_drop, 029); *@p kept gets
 * how many were kept. */
int store_partition_drop(store *st, const char *name, const char *file, const uint8_t sha256[32],
                         int64_t rows, int64_t *kept, char *err, size_t errlen);

/* Creates table @p table (a new one, with the columns of @p like, a table of
 * store_life_table_known) and fills it with the COPY text of @p source, in one transaction;
 * *@p rows gets the rows copied in. */
int store_table_copy_in(store *st, const char *table, const char *like, store_copy_source source,
                        void *ctx, int64_t *rows, char *err, size_t errlen);

/* Deletes the web sessions that expired (a live one is never touched); *@p deleted gets how
 * many. */
int store_web_sessions_expire(store *st, int64_t *deleted, char *err, size_t errlen);

#endif
