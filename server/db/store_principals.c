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

/* Opens the sealed PSK of @p row into p->psk with the current key, or else the previous one. */
static int store_open_psk(const PGresult *res, int row, const kek_pair *keys, principal *p)
{
    const uint8_t *nonce = (const uint8_t *)PQgetvalue(res, row, 3);
    const uint8_t *sealed = (const uint8_t *)PQgetvalue(res, row, 4);
    size_t sealed_len = (size_t)PQgetlength(res, row, 4);
    const uint8_t *aad = (const uint8_t *)p->identity;
    if (secret_open(keys->current, nonce, sealed, sealed_len, aad, p->identity_len, p->psk) ==
        WR_OK)
        return 0;
    return keys->has_previous && secret_open(keys->previous, nonce, sealed, sealed_len, aad,
                                             p->identity_len, p->psk) == WR_OK
               ? 0
               : -1;
}

static int store_principal_from_row(const PGresult *res, int row, const kek_pair *keys,
                                    principal *p)
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
    if (store_open_psk(res, row, keys, p) != 0)
        return -1;
    p->has_psk = true;
    return 0;
}

typedef struct store_principals_load {
    principal_table *table;
    const kek_pair *keys;
    size_t expected;
} store_principals_load;

static int store_add_principals(const PGresult *res, void *arg, char *err, size_t errlen)
{
    store_principals_load *load = arg;
    for (int i = 0; i < PQntuples(res); i++) {
        principal p;
        int rc = 0;
        if (store_principal_from_row(res, i, load->keys, &p) != 0) {
            snprintf(err, errlen,
                     "could not load principal %lld: bad identity, role or sealed key "
                     "(is psk_kek_file, or psk_kek_previous_file, the key it was sealed with?)",
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

int store_load_principals(store *st, const kek_pair *keys, principal_table **out, char *err,
                          size_t errlen)
{
    *out = NULL;
    const char *what = "could not read principals";
    int64_t count[2];
    store_principals_load load = {.keys = keys};
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
    int rc = store_command(
        st,
        "INSERT INTO principals (identity, role, psk_nonce, psk_ciphertext, cert_cn)"
        " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (identity) DO UPDATE SET role = excluded.role,"
        " psk_nonce = excluded.psk_nonce, psk_ciphertext = excluded.psk_ciphertext,"
        " cert_cn = excluded.cert_cn, disabled_at = NULL",
        5, params, lengths, formats, "could not save the principal", err, errlen);
    OPENSSL_cleanse(sealed, sizeof(sealed));
    return rc;
}

/* Seals @p psk (opened from a row) for @p identity under @p kek and writes it to principal @p id.
 */
static int store_write_sealed(store *st, int64_t id, const char *identity,
                              const uint8_t psk[SECRET_PSK_LEN], const uint8_t kek[SECRET_KEK_LEN],
                              char *err, size_t errlen)
{
    uint8_t nonce[SECRET_NONCE_LEN];
    uint8_t sealed[SECRET_PSK_LEN + SECRET_TAG_LEN];
    if (secret_seal(kek, psk, SECRET_PSK_LEN, (const uint8_t *)identity, strlen(identity), nonce,
                    sealed) != WR_OK) {
        snprintf(err, errlen, "could not seal the PSK of principal %lld", (long long)id);
        return -1;
    }
    char id_text[24];
    snprintf(id_text, sizeof(id_text), "%lld", (long long)id);
    const char *params[] = {id_text, (const char *)nonce, (const char *)sealed};
    const int lengths[] = {0, SECRET_NONCE_LEN, (int)sizeof(sealed)};
    const int formats[] = {0, 1, 1};
    int rc =
        store_command(st, "UPDATE principals SET psk_nonce = $2, psk_ciphertext = $3 WHERE id = $1",
                      3, params, lengths, formats, "could not write a re-sealed PSK", err, errlen);
    OPENSSL_cleanse(sealed, sizeof(sealed));
    return rc;
}

/* Re-seals the PSK of row @p row of @p res (id, identity, psk_nonce, psk_ciphertext). */
static int store_reseal_row(store *st, const PGresult *res, int row, const kek_pair *keys,
                            store_reseal_count *count, char *err, size_t errlen)
{
    principal p;
    memset(&p, 0, sizeof(p));
    p.id = store_get_int8(res, row, 0);
    p.identity = PQgetvalue(res, row, 1);
    p.identity_len = (uint8_t)PQgetlength(res, row, 1);
    kek_pair current_only = *keys;
    current_only.has_previous = false;
    int rc = 0;
    bool well_formed = PQgetlength(res, row, 3) == SECRET_NONCE_LEN &&
                       PQgetlength(res, row, 4) == SECRET_PSK_LEN + SECRET_TAG_LEN;
    if (well_formed && store_open_psk(res, row, &current_only, &p) == 0) {
        count->current++;
    } else if (well_formed && store_open_psk(res, row, keys, &p) == 0) {
        rc = store_write_sealed(st, p.id, p.identity, p.psk, keys->current, err, errlen);
        count->resealed += rc == 0;
    } else {
        snprintf(err, errlen,
                 "the PSK of principal %lld (\"%s\") opens with neither key: nothing was changed",
                 (long long)p.id, p.identity);
        rc = -1;
    }
    OPENSSL_cleanse(&current_only, sizeof(current_only));
    OPENSSL_cleanse(&p, sizeof(p));
    return rc;
}

/* The audit row of a re-seal, in its transaction: how many PSKs, never which key. */
static int store_audit_reseal(store *st, const store_reseal_count *count, char *err, size_t errlen)
{
    char resealed[24], unchanged[24];
    snprintf(resealed, sizeof(resealed), "%lld", (long long)count->resealed);
    snprintf(unchanged, sizeof(unchanged), "%lld", (long long)count->current);
    const char *params[] = {resealed, unchanged};
    return store_command(
        st,
        "INSERT INTO audit_log (actor, action, entity, after) VALUES ('weldreg-server rekey',"
        " 'principal.psk_resealed', 'principals', jsonb_build_object('resealed', $1::bigint,"
        " 'unchanged', $2::bigint))",
        2, params, NULL, NULL, "could not write the audit row", err, errlen);
}

int store_reseal_psks(store *st, const kek_pair *keys, store_reseal_count *count, char *err,
                      size_t errlen)
{
    memset(count, 0, sizeof(*count));
    if (store_exec(st, "BEGIN", err, errlen) != 0)
        return -1;
    PGresult *res = PQexecParams(st->conn,
                                 "SELECT id, identity, role, psk_nonce, psk_ciphertext FROM"
                                 " principals WHERE psk_ciphertext IS NOT NULL ORDER BY id"
                                 " FOR UPDATE",
                                 0, NULL, NULL, NULL, NULL, 1);
    int rc = PQresultStatus(res) == PGRES_TUPLES_OK ? 0 : -1;
    if (rc != 0)
        store_copy_error(st->conn, "could not read the sealed PSKs", err, errlen);
    for (int i = 0; rc == 0 && i < PQntuples(res); i++)
        rc = store_reseal_row(st, res, i, keys, count, err, errlen);
    PQclear(res);
    if (rc == 0 && count->resealed > 0)
        rc = store_audit_reseal(st, count, err, errlen);
    char msg[128];
    if (rc == 0)
        return store_exec(st, "COMMIT", err, errlen);
    store_exec(st, "ROLLBACK", msg, sizeof(msg));
    memset(count, 0, sizeof(*count));
    return -1;
}
