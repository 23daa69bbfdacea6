/* store_principals.c — the principals: read with their PSKs unsealed for the in-memory table,
 * and created or updated with the PSK sealed (the server's `provision`). */
#include "server/db/store.h"
#include "server/db/store_internal.h"

#include <endian.h>
#include <libpq-fe.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
