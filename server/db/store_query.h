/* store_query.h — the parameterised statements of the API's reads and changes (store_query.c),
 * shared by store_admin.c, store_inspect.c and store_counts.c: parameters, one statement
 * answering JSON, transactions under weldreg.actor, and failures classified into the typed
 * outcome. Only store files include this. */
#ifndef WELDREG_SERVER_DB_STORE_QUERY_H
#define WELDREG_SERVER_DB_STORE_QUERY_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "server/db/store_internal.h"
#include "server/db/store_outcome.h"

#define QUERY_PARAMS_MAX 24
#define QUERY_OID_BYTEA  17
#define QUERY_OID_INT8   20
#define QUERY_OID_TEXT   25
#define QUERY_OID_BOOL   16

/* The start of an audit_log row (the chain trigger fills id, at and the hashes). */
#define AUDIT_INSERT "INSERT INTO audit_log (actor, action, entity, entity_id, before, after) "

/* An inspector's communities: "$N = 0 OR <col> IN (...)" with $N their principal id (> 0), or
 * minus their web account's id (< 0, store_inspect_account_scope()); 0: all. */
#define QUERY_SCOPE(col, n)                                                                        \
    "($" n " = 0 OR " col " IN (SELECT community_id FROM principal_communities"                    \
    " WHERE principal_id = $" n " UNION ALL SELECT community_id FROM account_communities"          \
    " WHERE account_id = -$" n "))"

/* Parameters of one statement; numbers are formatted into the pool. */
typedef struct query_params {
    int n;
    const char *values[QUERY_PARAMS_MAX];
    int lengths[QUERY_PARAMS_MAX];
    int formats[QUERY_PARAMS_MAX];
    char pool[QUERY_PARAMS_MAX][32];
} query_params;

void qp_text(query_params *p, const char *s);
/* "" becomes NULL: optional text fields are absent, not empty. */
void qp_opt(query_params *p, const char *s);
void qp_int(query_params *p, int64_t v);
/* 0 becomes NULL. */
void qp_opt_int(query_params *p, int64_t v);
void qp_double(query_params *p, double v);
/* A position as two parameters, latitude and longitude, or two NULLs when there is none. */
void qp_position(query_params *p, bool has, double lat, double lon);
void qp_bool(query_params *p, bool v);
void qp_bytes(query_params *p, const uint8_t *b, int len);

/* Runs one statement unless @p out already failed. With @p want_json the first column of the
 * first row becomes out->json (no row, or NULL: not_found). False when it failed or found
 * nothing (out says which). */
bool query_run(store *st, const char *sql, const query_params *p, const Oid *types, bool want_json,
               admin_outcome *out);

/* query_run() as the statement @p name prepared on this connection at its first use
 * (store_exec_named(): for reads of the partitioned check-ins whose plan does not depend on
 * their parameters). */
bool query_run_named(store *st, const char *name, const char *sql, const query_params *p,
                     const Oid *types, bool want_json, admin_outcome *out);

/* Records in @p out why a statement failed (@p res may be NULL): unavailable when the connection
 * is gone, failed otherwise, with the refusal and field classified from the result's SQLSTATE
 * and constraint, and libpq's message. */
void query_fail(store *st, const PGresult *res, admin_outcome *out);

/* Clears @p out and begins a transaction whose changes are made by @p actor (weldreg.actor). */
void query_begin(store *st, const char *actor, admin_outcome *out);

/* Commits what succeeded, rolls back anything else. */
void query_finish(store *st, admin_outcome *out);

#endif
