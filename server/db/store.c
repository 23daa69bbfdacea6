/* store.c — the libpq side of the server: connections, migrations, principals, check-ins. */
#include "server/db/store.h"
#include "server/db/store_internal.h"

#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <libpq-fe.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void store_copy_error(const PGconn *conn, const char *what, char *err, size_t errlen)
{
    const char *msg = conn ? PQerrorMessage(conn) : "out of memory";
    size_t len = strcspn(msg, "\n");
    snprintf(err, errlen, "%s: %.*s", what, (int)len, msg);
}

/* Every connection: named in pg_stat_activity, and times in answers in China time (the
 * platform's calendar): "2026-11-28T16:40:12+08:00". connect_timeout bounds a connection made
 * in one call (PQconnectdbParams); one made step by step is bounded by its caller. libpq lets a
 * later keyword win, so the name and the time-out come before database_url (which may set its
 * own) and the time zone after it. */
static const char *const store_keys[] = {"application_name", "connect_timeout", "dbname", "options",
                                         NULL};

static store *store_open(const char *conninfo, bool wait, char *err, size_t errlen)
{
    const char *values[] = {"weldreg-server", "5", conninfo, "-c TimeZone=Asia/Shanghai", NULL};
    store *st = calloc(1, sizeof(*st));
    if (!st) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    st->conn = wait ? PQconnectdbParams(store_keys, values, 1)
                    : PQconnectStartParams(store_keys, values, 1);
    ConnStatusType status = st->conn ? PQstatus(st->conn) : CONNECTION_BAD;
    if (status == CONNECTION_BAD || (wait && status != CONNECTION_OK)) {
        store_copy_error(st->conn, "could not connect to the database", err, errlen);
        store_destroy(st);
        return NULL;
    }
    return st;
}

store *store_connect(const char *conninfo, char *err, size_t errlen)
{
    return store_open(conninfo, true, err, errlen);
}

store *store_connect_start(const char *conninfo, char *err, size_t errlen)
{
    return store_open(conninfo, false, err, errlen);
}

store_connecting store_connect_poll(store *st, char *err, size_t errlen)
{
    switch (PQconnectPoll(st->conn)) {
    case PGRES_POLLING_READING: return STORE_WAIT_READ;
    case PGRES_POLLING_WRITING: return STORE_WAIT_WRITE;
    case PGRES_POLLING_OK: return STORE_CONNECTED;
    default: break;
    }
    store_copy_error(st->conn, "could not connect to the database", err, errlen);
    return STORE_CONNECT_FAILED;
}

int store_connect_socket(const store *st)
{
    return PQsocket(st->conn);
}

void store_destroy(store *st)
{
    if (!st)
        return;
    PQfinish(st->conn);
    free(st);
}

store_status store_reconnect(store *st)
{
    if (PQstatus(st->conn) == CONNECTION_OK)
        return STORE_OK;
    PQreset(st->conn);
    st->prepared = false;
    return PQstatus(st->conn) == CONNECTION_OK ? STORE_OK : STORE_EUNAVAILABLE;
}

/* Runs a statement that returns no rows; 0 or -1 with a message. */
int store_exec(store *st, const char *sql, char *err, size_t errlen)
{
    PGresult *res = PQexec(st->conn, sql);
    ExecStatusType s = PQresultStatus(res);
    int rc = (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK) ? 0 : -1;
    if (rc != 0)
        store_copy_error(st->conn, "database statement failed", err, errlen);
    PQclear(res);
    return rc;
}

/* ---- migrations ---- */

static int store_is_migration(const struct dirent *entry)
{
    const char *n = entry->d_name;
    size_t len = strlen(n);
    return len > 8 && n[0] >= '0' && n[0] <= '9' && n[1] >= '0' && n[1] <= '9' && n[2] >= '0' &&
           n[2] <= '9' && n[3] == '_' && strcmp(n + len - 4, ".sql") == 0;
}

static char *store_read_file(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "could not open \"%s\": %s", path, strerror(errno));
        return NULL;
    }
    char *buf = NULL;
    long size = -1;
    if (fseek(f, 0, SEEK_END) == 0)
        size = ftell(f);
    if (size >= 0 && size < (1L << 24) && fseek(f, 0, SEEK_SET) == 0)
        buf = malloc((size_t)size + 1);
    if (buf && fread(buf, 1, (size_t)size, f) == (size_t)size) {
        buf[size] = '\0';
    } else {
        snprintf(err, errlen, "could not read \"%s\"", path);
        free(buf);
        buf = NULL;
    }
    fclose(f);
    return buf;
}

static int store_migration_applied(store *st, int version, bool *applied, char *err, size_t errlen)
{
    char v[16];
    snprintf(v, sizeof(v), "%d", version);
    const char *params[] = {v};
    PGresult *res = PQexecParams(st->conn, "SELECT 1 FROM schema_migrations WHERE version = $1", 1,
                                 NULL, params, NULL, NULL, 0);
    int rc = PQresultStatus(res) == PGRES_TUPLES_OK ? 0 : -1;
    if (rc != 0)
        store_copy_error(st->conn, "could not read schema_migrations", err, errlen);
    *applied = rc == 0 && PQntuples(res) > 0;
    PQclear(res);
    return rc;
}

static int store_apply_migration(store *st, const char *dir, const char *name, char *err,
                                 size_t errlen)
{
    char path[2048];
    char msg[512];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    char *sql = store_read_file(path, err, errlen);
    if (!sql)
        return -1;
    char version[16];
    snprintf(version, sizeof(version), "%d", atoi(name));
    const char *params[] = {version, name};
    int rc = store_exec(st, "BEGIN", err, errlen);
    if (rc == 0 && store_exec(st, sql, msg, sizeof(msg)) != 0) {
        snprintf(err, errlen, "migration \"%s\" failed: %s", name, msg);
        rc = -1;
    }
    if (rc == 0) {
        PGresult *res = PQexecParams(st->conn,
                                     "INSERT INTO schema_migrations (version, name) "
                                     "VALUES ($1, $2)",
                                     2, NULL, params, NULL, NULL, 0);
        if (PQresultStatus(res) != PGRES_COMMAND_OK) {
            store_copy_error(st->conn, "could not record the migration", err, errlen);
            rc = -1;
        }
        PQclear(res);
    }
    if (rc == 0)
        rc = store_exec(st, "COMMIT", err, errlen);
    else
        store_exec(st, "ROLLBACK", msg, sizeof(msg));
    free(sql);
    return rc;
}

int store_migrate(store *st, const char *dir, int *applied, char *err, size_t errlen)
{
    *applied = 0;
    if (store_exec(st, "SET client_min_messages TO warning", err, errlen) != 0 ||
        store_exec(st,
                   "CREATE TABLE IF NOT EXISTS schema_migrations ("
                   " version int PRIMARY KEY, name text NOT NULL,"
                   " applied_at timestamptz NOT NULL DEFAULT now())",
                   err, errlen) != 0 ||
        store_exec(st, "SELECT pg_advisory_lock(7470001)", err, errlen) != 0)
        return -1;
    struct dirent **entries = NULL;
    int n = scandir(dir, &entries, store_is_migration, alphasort);
    int rc = 0;
    if (n < 0) {
        snprintf(err, errlen, "could not list migrations in \"%s\": %s", dir, strerror(errno));
        rc = -1;
    }
    for (int i = 0; i < n; i++) {
        bool done = false;
        if (rc == 0)
            rc = store_migration_applied(st, atoi(entries[i]->d_name), &done, err, errlen);
        if (rc == 0 && !done) {
            rc = store_apply_migration(st, dir, entries[i]->d_name, err, errlen);
            if (rc == 0)
                (*applied)++;
        }
        free(entries[i]);
    }
    free(entries);
    char msg[256];
    store_exec(st, "SELECT pg_advisory_unlock(7470001)", msg, sizeof(msg));
    return rc;
}

/* ---- principals ---- */

int64_t store_get_int8(const PGresult *res, int row, int col)
{
    uint64_t v;
    memcpy(&v, PQgetvalue(res, row, col), sizeof(v));
    return (int64_t)be64toh(v);
}

static int store_principal_from_row(const PGresult *res, int row, const uint8_t *kek, principal *p)
{
    memset(p, 0, sizeof(*p));
    p->id = store_get_int8(res, row, 0);
    size_t id_len = (size_t)PQgetlength(res, row, 1);
    const char *identity = PQgetvalue(res, row, 1);
    if (!principal_identity_is_valid(identity, id_len) ||
        principal_role_parse(PQgetvalue(res, row, 2), &p->role) != 0)
        return -1;
    p->identity = identity; /* libpq ends every value with a NUL; the table keeps a copy */
    p->identity_len = (uint8_t)id_len;
    p->allow_cert = PQgetvalue(res, row, 5)[0] != 0;
    if (PQgetisnull(res, row, 3) || PQgetisnull(res, row, 4))
        return 0;
    if (PQgetlength(res, row, 3) != SECRET_NONCE_LEN ||
        PQgetlength(res, row, 4) != SECRET_PSK_LEN + SECRET_TAG_LEN)
        return -1;
    if (secret_open(kek, (const uint8_t *)PQgetvalue(res, row, 3),
                    (const uint8_t *)PQgetvalue(res, row, 4), (size_t)PQgetlength(res, row, 4),
                    (const uint8_t *)identity, id_len, p->psk) != WR_OK)
        return -1;
    p->has_psk = true;
    return 0;
}

#define STORE_CHUNK_ROWS       10000
#define STORE_STRINGIFY(x)     #x
#define STORE_FETCH_ROWS(rows) "FETCH " STORE_STRINGIFY(rows) " FROM weldreg_chunks"

int store_count_rows(store *st, const char *sql, const char *sum_column, int64_t count[2],
                     const char *what, char *err, size_t errlen)
{
    char query[2048];
    int n = snprintf(query, sizeof(query),
                     "SELECT count(*)::int8, coalesce(sum(octet_length(%s)), 0)::int8"
                     " FROM (%s) q",
                     sum_column ? sum_column : "NULL::text", sql);
    if (n < 0 || (size_t)n >= sizeof(query)) {
        snprintf(err, errlen, "%s: the query is too long to count", what);
        return -1;
    }
    PGresult *res = PQexecParams(st->conn, query, 0, NULL, NULL, NULL, NULL, 1);
    int rc = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 ? 0 : -1;
    if (rc == 0) {
        count[0] = store_get_int8(res, 0, 0);
        count[1] = store_get_int8(res, 0, 1);
    } else {
        store_copy_error(st->conn, what, err, errlen);
    }
    PQclear(res);
    return rc;
}

int store_read_chunked(store *st, const char *sql, const char *what, bool binary,
                       store_chunk_fn each, void *arg, char *err, size_t errlen)
{
    char declare[2048];
    int n = snprintf(declare, sizeof(declare), "DECLARE weldreg_chunks%s NO SCROLL CURSOR FOR %s",
                     binary ? " BINARY" : "", sql);
    if (n < 0 || (size_t)n >= sizeof(declare)) {
        snprintf(err, errlen, "%s: the query is too long for a cursor", what);
        return -1;
    }
    if (store_exec(st, declare, err, errlen) != 0)
        return -1;
    int rc = 0, rows;
    do {
        PGresult *res = PQexecParams(st->conn, STORE_FETCH_ROWS(STORE_CHUNK_ROWS), 0, NULL, NULL,
                                     NULL, NULL, binary ? 1 : 0);
        rows = PQresultStatus(res) == PGRES_TUPLES_OK ? PQntuples(res) : -1;
        if (rows < 0) {
            store_copy_error(st->conn, what, err, errlen);
            rc = -1;
        } else if (rows > 0) {
            rc = each(res, arg, err, errlen);
        }
        PQclear(res);
    } while (rc == 0 && rows == STORE_CHUNK_ROWS);
    char msg[128];
    if (store_exec(st, "CLOSE weldreg_chunks", msg, sizeof(msg)) != 0 && rc == 0) {
        snprintf(err, errlen, "%s", msg);
        rc = -1;
    }
    return rc;
}

typedef struct store_principals_load {
    principal_table *table;
    const uint8_t *kek;
    size_t expected;
} store_principals_load;

static int store_add_principals(const PGresult *res, void *arg, char *err, size_t errlen)
{
    store_principals_load *load = arg;
    for (int i = 0; i < PQntuples(res); i++) {
        principal p;
        int rc = 0;
        if (store_principal_from_row(res, i, load->kek, &p) != 0) {
            snprintf(err, errlen,
                     "could not load principal %lld: bad identity, role or sealed key "
                     "(is psk_kek_file the key it was sealed with?)",
                     (long long)store_get_int8(res, i, 0));
            rc = -1;
        } else if (principal_table_count(load->table) == load->expected ||
                   principal_table_add(load->table, &p) != 0) {
            snprintf(err, errlen, "could not add principal %lld", (long long)p.id);
            rc = -1;
        }
        OPENSSL_cleanse(&p, sizeof(p));
        if (rc != 0)
            return -1;
    }
    return 0;
}

static const char STORE_SQL_PRINCIPALS[] =
    "SELECT id, identity, role, psk_nonce, psk_ciphertext, cert_cn IS NOT NULL FROM principals"
    " WHERE disabled_at IS NULL";

int store_load_principals(store *st, const uint8_t kek[SECRET_KEK_LEN], principal_table **out,
                          char *err, size_t errlen)
{
    *out = NULL;
    const char *what = "could not read principals";
    int64_t count[2];
    store_principals_load load = {.kek = kek};
    if (store_exec(st, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", err, errlen) != 0)
        return -1;
    int rc = store_count_rows(st, STORE_SQL_PRINCIPALS, NULL, count, what, err, errlen);
    if (rc == 0) {
        load.expected = (size_t)count[0];
        load.table = principal_table_create(load.expected);
        if (!load.table) {
            snprintf(err, errlen, "out of memory for %zu principals", load.expected);
            rc = -1;
        }
    }
    if (rc == 0)
        rc = store_read_chunked(st, STORE_SQL_PRINCIPALS, what, true, store_add_principals, &load,
                                err, errlen);
    char msg[128];
    store_exec(st, "COMMIT", msg, sizeof(msg));
    if (rc != 0) {
        principal_table_destroy(load.table);
        return -1;
    }
    *out = load.table;
    return 0;
}

int store_save_principal(store *st, principal_role role, const char *identity,
                         const uint8_t kek[SECRET_KEK_LEN], const char *psk, bool allow_cert,
                         char *err, size_t errlen)
{
    uint8_t nonce[SECRET_NONCE_LEN];
    uint8_t sealed[SECRET_PSK_LEN + SECRET_TAG_LEN];
    if (psk && secret_seal(kek, (const uint8_t *)psk, SECRET_PSK_LEN, (const uint8_t *)identity,
                           strlen(identity), nonce, sealed) != WR_OK) {
        snprintf(err, errlen, "could not seal the PSK");
        return -1;
    }
    const char *params[] = {identity, principal_role_name(role), psk ? (const char *)nonce : NULL,
                            psk ? (const char *)sealed : NULL, allow_cert ? identity : NULL};
    const int lengths[] = {0, 0, SECRET_NONCE_LEN, (int)sizeof(sealed), 0};
    const int formats[] = {0, 0, 1, 1, 0};
    PGresult *res = PQexecParams(
        st->conn,
        "INSERT INTO principals (identity, role, psk_nonce, psk_ciphertext, cert_cn)"
        " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (identity) DO UPDATE SET role = excluded.role,"
        " psk_nonce = excluded.psk_nonce, psk_ciphertext = excluded.psk_ciphertext,"
        " cert_cn = excluded.cert_cn, disabled_at = NULL",
        5, NULL, params, lengths, formats, 0);
    int rc = PQresultStatus(res) == PGRES_COMMAND_OK ? 0 : -1;
    if (rc != 0)
        store_copy_error(st->conn, "could not save the principal", err, errlen);
    PQclear(res);
    OPENSSL_cleanse(sealed, sizeof(sealed));
    return rc;
}

/* ---- notifications ---- */

int store_listen(store *st, const char *channel)
{
    char *quoted = PQescapeIdentifier(st->conn, channel, strlen(channel));
    if (!quoted)
        return -1;
    char sql[256];
    char err[256];
    snprintf(sql, sizeof(sql), "LISTEN %s", quoted);
    PQfreemem(quoted);
    return store_exec(st, sql, err, sizeof(err));
}

int store_socket(const store *st)
{
    return PQstatus(st->conn) == CONNECTION_OK ? PQsocket(st->conn) : -1;
}

int store_drain_notifications(store *st, const char *channel, int *on_channel)
{
    if (PQconsumeInput(st->conn) != 1)
        return -1;
    int count = 0;
    PGnotify *note;
    while ((note = PQnotifies(st->conn)) != NULL) {
        count++;
        if (channel && strcmp(note->relname, channel) == 0)
            (*on_channel)++;
        PQfreemem(note);
    }
    return count;
}
