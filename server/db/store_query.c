/* store_query.c — parameterised statements of the API's reads and changes: parameters, one
 * statement answering JSON, transactions under weldreg.actor. */
#include "server/db/store_query.h"

#include <inttypes.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void qp_text(query_params *p, const char *s)
{
    p->values[p->n] = s;
    p->lengths[p->n] = 0;
    p->formats[p->n++] = 0;
}

/* "" becomes NULL: optional text fields are absent, not empty. */
void qp_opt(query_params *p, const char *s)
{
    qp_text(p, s && s[0] ? s : NULL);
}

void qp_int(query_params *p, int64_t v)
{
    snprintf(p->pool[p->n], sizeof(p->pool[0]), "%" PRId64, v);
    qp_text(p, p->pool[p->n]);
}

void qp_opt_int(query_params *p, int64_t v)
{
    if (v == 0)
        qp_text(p, NULL);
    else
        qp_int(p, v);
}

void qp_double(query_params *p, double v)
{
    snprintf(p->pool[p->n], sizeof(p->pool[0]), "%.17g", v);
    qp_text(p, p->pool[p->n]);
}

void qp_position(query_params *p, bool has, double lat, double lon)
{
    if (has) {
        qp_double(p, lat);
        qp_double(p, lon);
    } else {
        qp_text(p, NULL);
        qp_text(p, NULL);
    }
}

void qp_bool(query_params *p, bool v)
{
    qp_text(p, v ? "true" : "false");
}

void qp_bytes(query_params *p, const uint8_t *b, int len)
{
    p->values[p->n] = (const char *)b;
    p->lengths[p->n] = len;
    p->formats[p->n++] = 1;
}

void admin_outcome_deinit(admin_outcome *out)
{
    free(out->json);
    out->json = NULL;
    out->json_len = 0;
}

/* Unique constraints and foreign keys, and the API field they are about. */
static const struct {
    const char *constraint;
    const char *field;
} query_constraint_fields[] = {
    {"communities_code_key", "code"},
    {"enterprises_uscc_key", "uscc"},
    {"enterprises_community_id_fkey", "community_id"},
    {"machines_chip_id_key", "chip_id"},
    {"machines_enterprise_id_fkey", "enterprise_id"},
    {"welders_idcard_hash_key", "idcard"},
    {"welders_licence_no_hash_key", "licence_no"},
    {"permits_permit_no_key", "permit_no"},
    {"permits_enterprise_id_fkey", "enterprise_id"},
    {"permit_welders_welder_id_fkey", "welders"},
    {"permit_machines_machine_id_fkey", "machines"},
    {"principals_identity_key", "identity"},
    {"principal_communities_community_id_fkey", "communities"},
};

/* The API field @p constraint (may be NULL) is about; NULL when it is none of the table's. */
static const char *query_field_of(const char *constraint)
{
    if (!constraint)
        return NULL;
    for (size_t i = 0; i < sizeof(query_constraint_fields) / sizeof(query_constraint_fields[0]);
         i++)
        if (strcmp(query_constraint_fields[i].constraint, constraint) == 0)
            return query_constraint_fields[i].field;
    return NULL;
}

/* The refusal of SQLSTATE @p state: 23505 unique_violation, 23503 foreign_key_violation, 23514
 * check_violation and 22P02 invalid_text_representation (a value of the wrong shape for its
 * column), 57014 query_canceled (statement_timeout; the store cancels nothing else). */
static admin_refusal query_refusal_of(const char *state)
{
    if (strcmp(state, "23505") == 0)
        return ADMIN_REFUSAL_UNIQUE;
    if (strcmp(state, "23503") == 0)
        return ADMIN_REFUSAL_FOREIGN_KEY;
    if (strcmp(state, "23514") == 0 || strcmp(state, "22P02") == 0)
        return ADMIN_REFUSAL_CHECK;
    if (strcmp(state, "57014") == 0)
        return ADMIN_REFUSAL_TIMEOUT;
    return ADMIN_REFUSAL_OTHER;
}

void query_fail(store *st, const PGresult *res, admin_outcome *out)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = PQerrorMessage(st->conn);
    snprintf(out->message, sizeof(out->message), "%.*s", (int)strcspn(msg, "\n"), msg);
    out->status = PQstatus(st->conn) == CONNECTION_OK ? STORE_EFAILED : STORE_EUNAVAILABLE;
    /* A connection that broke during the statement reports class 08; one whose server was
     * shut down or crashed reports class 57P, or no SQLSTATE at all when libpq itself found
     * the connection gone (every error the server raises carries one). */
    if (!state || !state[0] || strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0)
        out->status = STORE_EUNAVAILABLE;
    if (out->status == STORE_EUNAVAILABLE)
        st->lost = true;
    if (out->status != STORE_EFAILED) {
        out->refusal = ADMIN_REFUSAL_NONE;
        out->field = NULL;
        return;
    }
    out->refusal = query_refusal_of(state);
    out->field = query_field_of(PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME));
}

/* Runs one statement. With @p want_json the first column of the first row becomes the answer
 * (no row: not_found). False when it failed (out says why). */
bool query_run(store *st, const char *sql, const query_params *p, const Oid *types, bool want_json,
               admin_outcome *out)
{
    return query_run_named(st, NULL, sql, p, types, want_json, out);
}

bool query_run_named(store *st, const char *name, const char *sql, const query_params *p,
                     const Oid *types, bool want_json, admin_outcome *out)
{
    if (out->status != STORE_OK || out->not_found)
        return false;
    int n = p ? p->n : 0;
    const char *const *values = p ? p->values : NULL;
    const int *lengths = p ? p->lengths : NULL;
    const int *formats = p ? p->formats : NULL;
    PGresult *res = name ? store_exec_named(st, name, sql, n, types, values, lengths, formats, 0)
                         : PQexecParams(st->conn, sql, n, types, values, lengths, formats, 0);
    ExecStatusType s = PQresultStatus(res);
    bool ok = s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK;
    if (!ok) {
        query_fail(st, res, out);
    } else if (want_json) {
        if (PQntuples(res) == 0 || PQgetisnull(res, 0, 0)) {
            out->not_found = true;
        } else {
            admin_outcome_deinit(out);
            out->json = strdup(PQgetvalue(res, 0, 0));
            out->json_len = out->json ? strlen(out->json) : 0;
            if (!out->json) {
                out->status = STORE_EFAILED;
                snprintf(out->message, sizeof(out->message), "out of memory");
            }
        }
    }
    PQclear(res);
    return out->status == STORE_OK && !out->not_found;
}

void query_begin(store *st, const char *actor, admin_outcome *out)
{
    memset(out, 0, sizeof(*out));
    query_params p = {0};
    qp_text(&p, actor);
    if (query_run(st, "BEGIN", NULL, NULL, false, out))
        query_run(st, "SELECT set_config('weldreg.actor', $1, true)", &p, NULL, false, out);
}

/* Commits what succeeded, rolls back anything else. */
void query_finish(store *st, admin_outcome *out)
{
    if (out->status == STORE_EUNAVAILABLE)
        return;
    if (out->status == STORE_OK && !out->not_found) {
        query_run(st, "COMMIT", NULL, NULL, false, out);
        return;
    }
    PQclear(PQexec(st->conn, "ROLLBACK"));
    admin_outcome_deinit(out);
}
