/* store_accounts.c — the web's accounts and sessions, each write in one statement with its
 * audit_log row (data-modifying CTEs), so an entry is there exactly when the change is. */
#include "server/db/store_accounts.h"
#include "server/db/store_internal.h"

#include "core/hex.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Runs @p sql with text parameters; the result, or NULL (cleared) when it failed. */
static PGresult *store_acc_run(store *st, const char *sql, int n, const char *const *params)
{
    PGresult *res = PQexecParams(st->conn, sql, n, NULL, params, NULL, NULL, 0);
    ExecStatusType s = PQresultStatus(res);
    if (s == PGRES_TUPLES_OK || s == PGRES_COMMAND_OK)
        return res;
    PQclear(res);
    return NULL;
}

static void store_acc_copy(char *dst, size_t cap, const PGresult *res, int col)
{
    snprintf(dst, cap, "%s", PQgetvalue(res, 0, col));
}

/* "{1,2,3}": the communities as a PostgreSQL array literal. */
static int store_acc_array(const int64_t *ids, size_t n, char *out, size_t cap)
{
    size_t len = (size_t)snprintf(out, cap, "{");
    for (size_t i = 0; i < n && len < cap; i++)
        len += (size_t)snprintf(out + len, cap - len, "%s%lld", i ? "," : "", (long long)ids[i]);
    if (len + 2 > cap)
        return -1;
    memcpy(out + len, "}", 2);
    return 0;
}

int store_account_add(store *st, const store_account_new *a, bool replace, const char *actor,
                      char *err, size_t errlen)
{
    static const char sql[] =
        "WITH a AS (INSERT INTO accounts (login, role, enterprise_id, password_hash, signing_level)"
        " VALUES ($1, $2, NULLIF($3::bigint, 0), $4, NULLIF($8, '')) ON CONFLICT (login) DO UPDATE"
        " SET role = EXCLUDED.role, enterprise_id = EXCLUDED.enterprise_id,"
        " password_hash = EXCLUDED.password_hash, signing_level = EXCLUDED.signing_level,"
        " failed_logins = 0, failed_since = NULL, locked_until = NULL WHERE $7::boolean"
        " RETURNING id, login, role, enterprise_id, signing_level),"
        " d AS (DELETE FROM account_communities c USING a WHERE c.account_id = a.id"
        " AND c.community_id <> ALL ($6::bigint[])),"
        " c AS (INSERT INTO account_communities SELECT a.id, unnest($6::bigint[]) FROM a"
        " ON CONFLICT DO NOTHING)"
        " INSERT INTO audit_log (actor, action, entity, entity_id, after)"
        " SELECT $5, 'account.add', 'accounts', a.id::text, jsonb_build_object('login', a.login,"
        " 'role', a.role, 'enterprise_id', a.enterprise_id, 'communities', $6::bigint[],"
        " 'signing_level', a.signing_level)"
        " FROM a RETURNING entity_id";
    char ent[24], arr[1024];
    snprintf(ent, sizeof(ent), "%lld", (long long)a->enterprise_id);
    if (store_acc_array(a->communities, a->n_communities, arr, sizeof(arr)) != 0) {
        snprintf(err, errlen, "too many communities");
        return -1;
    }
    const char *params[] = {a->login,
                            a->role,
                            ent,
                            a->hash,
                            actor,
                            arr,
                            replace ? "true" : "false",
                            a->signing_level ? a->signing_level : ""};
    PGresult *res = PQexecParams(st->conn, sql, 8, NULL, params, NULL, NULL, 0);
    int rc = -1;
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        store_copy_error(st->conn, "could not add the account", err, errlen);
    else if (PQntuples(res) != 1)
        snprintf(err, errlen, "account \"%s\" exists (--replace to change it)", a->login);
    else
        rc = 0;
    PQclear(res);
    return rc;
}

int store_account_get(store *st, const char *login, store_account *out)
{
    static const char sql[] = "SELECT id, login, role, coalesce(enterprise_id, 0), password_hash,"
                              " coalesce(locked_until > now(), false), disabled_at IS NOT NULL"
                              " FROM accounts WHERE login = $1";
    const char *params[] = {login};
    PGresult *res = store_acc_run(st, sql, 1, params);
    if (!res)
        return -1;
    int found = PQntuples(res) == 1;
    if (found) {
        memset(out, 0, sizeof(*out));
        out->id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
        store_acc_copy(out->login, sizeof(out->login), res, 1);
        store_acc_copy(out->role, sizeof(out->role), res, 2);
        out->enterprise_id = strtoll(PQgetvalue(res, 0, 3), NULL, 10);
        store_acc_copy(out->password_hash, sizeof(out->password_hash), res, 4);
        out->locked = PQgetvalue(res, 0, 5)[0] == 't';
        out->disabled = PQgetvalue(res, 0, 6)[0] == 't';
    }
    PQclear(res);
    return found;
}

int store_account_failed(store *st, int64_t id, unsigned max, unsigned window_s, bool *locked)
{
    static const char sql[] =
        "WITH f AS (SELECT id, login, CASE WHEN failed_since IS NULL OR failed_since < now() -"
        " make_interval(secs => $3::integer) THEN 1 ELSE failed_logins + 1 END AS n,"
        " CASE WHEN failed_since IS NULL OR failed_since < now() - make_interval(secs =>"
        " $3::integer) THEN now() ELSE failed_since END AS since FROM accounts WHERE id = $1"
        " FOR UPDATE),"
        " u AS (UPDATE accounts a SET failed_logins = f.n, failed_since = f.since,"
        " locked_until = CASE WHEN f.n >= $2::integer THEN now() + make_interval(secs =>"
        " $3::integer) ELSE a.locked_until END FROM f WHERE a.id = f.id"
        " RETURNING a.id, a.login, f.n, f.n >= $2::integer AS locked)"
        " INSERT INTO audit_log (actor, action, entity, entity_id, after)"
        " SELECT 'web:' || login, CASE WHEN locked THEN 'account.locked'"
        " ELSE 'account.login_failed' END, 'accounts', id::text,"
        " jsonb_build_object('failures', n) FROM u RETURNING action";
    char sid[24], smax[16], swin[16];
    snprintf(sid, sizeof(sid), "%lld", (long long)id);
    snprintf(smax, sizeof(smax), "%u", max);
    snprintf(swin, sizeof(swin), "%u", window_s);
    const char *params[] = {sid, smax, swin};
    PGresult *res = store_acc_run(st, sql, 3, params);
    if (!res)
        return -1;
    *locked = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "account.locked") == 0;
    PQclear(res);
    return 0;
}

int store_account_refused(store *st, const char *login, int64_t id, const char *why)
{
    static const char sql[] =
        "INSERT INTO audit_log (actor, action, entity, entity_id, after)"
        " VALUES ('web', 'account.login_refused', 'accounts', NULLIF($2, '0'),"
        " jsonb_build_object('login', $1::text, 'why', $3::text))";
    char sid[24];
    snprintf(sid, sizeof(sid), "%lld", (long long)id);
    const char *params[] = {login, sid, why};
    PGresult *res = store_acc_run(st, sql, 3, params);
    PQclear(res);
    return res ? 0 : -1;
}

int store_session_open(store *st, int64_t id, const uint8_t id_hash[STORE_ID_HASH_LEN],
                       const char *csrf, unsigned ttl_s)
{
    static const char sql[] =
        "WITH x AS (DELETE FROM web_sessions WHERE expires_at < now()),"
        " u AS (UPDATE accounts SET failed_logins = 0, failed_since = NULL, locked_until = NULL"
        " WHERE id = $1 RETURNING id, login),"
        " s AS (INSERT INTO web_sessions (id_hash, account_id, csrf_token, expires_at)"
        " SELECT decode($2, 'hex'), id, $3, now() + make_interval(secs => $4::integer) FROM u"
        " RETURNING account_id)"
        " INSERT INTO audit_log (actor, action, entity, entity_id)"
        " SELECT 'web:' || u.login, 'account.login', 'accounts', u.id::text FROM u, s"
        " RETURNING id";
    char sid[24], hex[2 * STORE_ID_HASH_LEN + 1], ttl[16];
    snprintf(sid, sizeof(sid), "%lld", (long long)id);
    hex_encode(id_hash, STORE_ID_HASH_LEN, hex);
    snprintf(ttl, sizeof(ttl), "%u", ttl_s);
    const char *params[] = {sid, hex, csrf, ttl};
    PGresult *res = store_acc_run(st, sql, 4, params);
    int rc = res && PQntuples(res) == 1 ? 0 : -1;
    PQclear(res);
    return rc;
}

int store_session_find(store *st, const uint8_t id_hash[STORE_ID_HASH_LEN], store_web_session *out)
{
    static const char sql[] =
        "SELECT a.id, a.login, a.role, coalesce(a.enterprise_id, 0), s.csrf_token"
        " FROM web_sessions s JOIN accounts a ON a.id = s.account_id"
        " WHERE s.id_hash = decode($1, 'hex') AND s.expires_at > now()"
        " AND a.disabled_at IS NULL";
    char hex[2 * STORE_ID_HASH_LEN + 1];
    hex_encode(id_hash, STORE_ID_HASH_LEN, hex);
    const char *params[] = {hex};
    PGresult *res = store_acc_run(st, sql, 1, params);
    if (!res)
        return -1;
    int found = PQntuples(res) == 1;
    if (found) {
        memset(out, 0, sizeof(*out));
        out->account_id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
        store_acc_copy(out->login, sizeof(out->login), res, 1);
        store_acc_copy(out->role, sizeof(out->role), res, 2);
        out->enterprise_id = strtoll(PQgetvalue(res, 0, 3), NULL, 10);
        store_acc_copy(out->csrf, sizeof(out->csrf), res, 4);
    }
    PQclear(res);
    return found;
}

int store_session_close(store *st, const uint8_t id_hash[STORE_ID_HASH_LEN])
{
    static const char sql[] =
        "WITH s AS (DELETE FROM web_sessions WHERE id_hash = decode($1, 'hex')"
        " RETURNING account_id)"
        " INSERT INTO audit_log (actor, action, entity, entity_id)"
        " SELECT 'web:' || a.login, 'account.logout', 'accounts', a.id::text"
        " FROM s JOIN accounts a ON a.id = s.account_id";
    char hex[2 * STORE_ID_HASH_LEN + 1];
    hex_encode(id_hash, STORE_ID_HASH_LEN, hex);
    const char *params[] = {hex};
    PGresult *res = store_acc_run(st, sql, 1, params);
    PQclear(res);
    return res ? 0 : -1;
}

int store_welder_status_get(store *st, const uint8_t *cti, size_t cti_len, store_welder_status *out)
{
    static const char sql[] =
        "WITH d AS (SELECT (now() AT TIME ZONE 'Asia/Shanghai')::date AS today)"
        " SELECT c.revoked_at IS NOT NULL, w.status = 'active',"
        " weldreg_licence_state(w.licence_status, w.licence_valid_until, w.licence_review_due,"
        " now()) IN ('valid', 'expiring'),"
        " EXISTS (SELECT 1 FROM welder_trainings t WHERE t.welder_id = w.id"
        " AND t.completed_on <= d.today AND t.valid_until >= d.today),"
        " EXISTS (SELECT 1 FROM permit_welders pw JOIN permits p ON p.id = pw.permit_id"
        " WHERE pw.welder_id = w.id AND p.status = 'approved'"
        " AND p.starts_at < (d.today + 1)::timestamp AT TIME ZONE 'Asia/Shanghai'"
        " AND p.ends_at > d.today::timestamp AT TIME ZONE 'Asia/Shanghai'),"
        " r.received_at IS NOT NULL,"
        " coalesce(to_char(r.received_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI'), ''),"
        " coalesce(array_to_string(r.reasons, ','), '')"
        " FROM codes c JOIN welders w ON w.id = c.welder_id CROSS JOIN d"
        " LEFT JOIN LATERAL (SELECT k.received_at, k.reasons FROM checkins k"
        " WHERE k.welder_id = w.id AND k.ev = 'scan' AND NOT k.ok"
        " ORDER BY k.received_at DESC LIMIT 1) r ON true"
        " WHERE c.cti = decode($1, 'hex') AND c.kind = 'welder'";
    char hex[2 * 16 + 1];
    if (cti_len > 16)
        return 0;
    hex_encode(cti, cti_len, hex);
    const char *params[] = {hex};
    PGresult *res = store_acc_run(st, sql, 1, params);
    if (!res)
        return -1;
    int found = PQntuples(res) == 1;
    if (found) {
        out->revoked = PQgetvalue(res, 0, 0)[0] == 't';
        out->active = PQgetvalue(res, 0, 1)[0] == 't';
        out->licence_valid = PQgetvalue(res, 0, 2)[0] == 't';
        out->trained = PQgetvalue(res, 0, 3)[0] == 't';
        out->permit_today = PQgetvalue(res, 0, 4)[0] == 't';
        out->refused = PQgetvalue(res, 0, 5)[0] == 't';
        store_acc_copy(out->refused_at, sizeof(out->refused_at), res, 6);
        store_acc_copy(out->refused_reasons, sizeof(out->refused_reasons), res, 7);
    }
    PQclear(res);
    return found;
}

int store_machines_in_scope(store *st, access_scope scope, int64_t account_id,
                            int64_t enterprise_id, store_machine_fn each, void *arg)
{
    static const char sql[] =
        "SELECT m.chip_id, e.name, c.name, m.process_category, m.status, m.id"
        " FROM machines m JOIN enterprises e ON e.id = m.enterprise_id"
        " JOIN communities c ON c.id = e.community_id"
        " WHERE CASE $1::integer WHEN 1 THEN true"
        " WHEN 2 THEN e.community_id IN (SELECT community_id FROM account_communities"
        " WHERE account_id = $2::bigint)"
        " WHEN 3 THEN m.enterprise_id = $3::bigint ELSE false END"
        " ORDER BY m.chip_id LIMIT $4::integer";
    int kind = scope == ACCESS_ALL           ? 1
               : scope == ACCESS_COMMUNITIES ? 2
               : scope == ACCESS_ENTERPRISE  ? 3
                                             : 0;
    if (!kind)
        return 0;
    char skind[4], sacc[24], sent[24], slim[12];
    snprintf(skind, sizeof(skind), "%d", kind);
    snprintf(sacc, sizeof(sacc), "%lld", (long long)account_id);
    snprintf(sent, sizeof(sent), "%lld", (long long)enterprise_id);
    snprintf(slim, sizeof(slim), "%d", STORE_MACHINES_MAX);
    const char *params[] = {skind, sacc, sent, slim};
    PGresult *res = store_acc_run(st, sql, 4, params);
    if (!res)
        return -1;
    int n = PQntuples(res);
    for (int i = 0; i < n; i++) {
        store_machine_row row = {PQgetvalue(res, i, 0), PQgetvalue(res, i, 1),
                                 PQgetvalue(res, i, 2), PQgetvalue(res, i, 3),
                                 PQgetvalue(res, i, 4), PQgetvalue(res, i, 5)};
        each(arg, &row);
    }
    PQclear(res);
    return n;
}
