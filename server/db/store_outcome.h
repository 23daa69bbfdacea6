/* store_outcome.h — what a read or change of the API's statements came to (store_admin.h,
 * store_inspect.h, store_counts.h), typed: PostgreSQL's SQLSTATEs and constraint names are
 * classified inside server/db/ (store_query.c) and do not leave it. */
#ifndef WELDREG_SERVER_DB_STORE_OUTCOME_H
#define WELDREG_SERVER_DB_STORE_OUTCOME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "server/db/store_status.h"

/* Why a statement failed (STORE_EFAILED), classified by the store: PostgreSQL's SQLSTATEs and
 * constraint names do not leave server/db/. */
typedef enum admin_refusal {
    ADMIN_REFUSAL_NONE,        /* not refused (STORE_OK, or the database is unavailable) */
    ADMIN_REFUSAL_UNIQUE,      /* another record already has this value (field says which) */
    ADMIN_REFUSAL_FOREIGN_KEY, /* the value refers to a record that does not exist */
    ADMIN_REFUSAL_CHECK,       /* a rule of the schema refused the values (field when known) */
    ADMIN_REFUSAL_TIMEOUT,     /* the statement ran past its statement_timeout and was cancelled */
    ADMIN_REFUSAL_OTHER,       /* anything else: a fault, message says what for the log */
} admin_refusal;

/* What a read or change came to. */
typedef struct admin_outcome {
    store_status status;   /* STORE_OK, STORE_EUNAVAILABLE (retry later) or STORE_EFAILED */
    admin_refusal refusal; /* for STORE_EFAILED: why */
    const char *field;     /* the API field the refusal is about (a static string), or NULL */
    char message[256];     /* the database's first line, for the log, not for the client */
    char *json;            /* malloc'd JSON text of the answer (NULL when none) */
    size_t json_len;
    bool not_found; /* a read or change of one record found no such record */
    int64_t id;     /* a creation or change: the record's id */
} admin_outcome;

/* Frees the JSON (store_query.c). */
void admin_outcome_deinit(admin_outcome *out);

#endif
