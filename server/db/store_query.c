/* store_query.c — parameterised statements of the API's reads and changes: parameters, one
 * statement answering JSON, transactions under weldreg.actor. */
#include "server/db/store_internal.h"

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

static void query_copy_field(const PGresult *res, int field, char *dst, size_t cap)
{
    const char *v = res ? PQresultErrorField(res, field) : NULL;
    snprintf(dst, cap, "%s", v ? v : "");
}

void query_fail(store *st, const PGresult *res, admin_outcome *out)
{
    out->status = PQstatus(st->conn) == CONNECTION_OK ? STORE_EFAILED : STORE_EUNAVAILABLE;
    query_copy_field(res, PG_DIAG_SQLSTATE, out->sqlstate, sizeof(out->sqlstate));
    query_copy_field(res, PG_DIAG_CONSTRAINT_NAME, out->constraint, sizeof(out->constraint));
    const char *msg = PQerrorMessage(st->conn);
    snprintf(out->message, sizeof(out->message), "%.*s", (int)strcspn(msg, "\n"), msg);
    /* A connection that broke during the statement reports class 08; one whose server was
     * shut down or crashed reports class 57P, or no SQLSTATE at all when libpq itself found
     * the connection gone (every error the server raises carries one). */
    if (strncmp(out->sqlstate, "08", 2) == 0 || strncmp(out->sqlstate, "57P", 3) == 0 ||
        out->sqlstate[0] == '\0')
        out->status = STORE_EUNAVAILABLE;
}

/* Runs one statement. With @p want_json the first column of the first row becomes the answer
 * (no row: not_found). False when it failed (out says why). */
bool query_run(store *st, const char *sql, const query_params *p, const Oid *types, bool want_json,
               admin_outcome *out)
{
    if (out->status != STORE_OK || out->not_found)
        return false;
    PGresult *res = PQexecParams(st->conn, sql, p ? p->n : 0, types, p ? p->values : NULL,
                                 p ? p->lengths : NULL, p ? p->formats : NULL, 0);
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
