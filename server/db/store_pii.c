/* store_pii.c — the stored hashes of ID-card and licence numbers wrapped under a new PII key
 * (weldreg-server rekey-pii; the chain is described in server/views/kek.h). */
#include "server/db/store.h"
#include "server/db/store_internal.h"

#include <libpq-fe.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

/* Writes the wrapped hashes of row @p row of @p res (id, idcard_hash, licence_no_hash). */
static int store_pii_rehash_row(store *st, const PGresult *res, int row,
                                const uint8_t key[PII_KEY_LEN], char *err, size_t errlen)
{
    if (PQgetlength(res, row, 1) != 32 || PQgetlength(res, row, 2) != 32) {
        snprintf(err, errlen, "welder %lld has a hash that is not 32 bytes",
                 (long long)store_get_int8(res, row, 0));
        return -1;
    }
    uint8_t idcard[32], licence_no[32];
    pii_wrap(key, (const uint8_t *)PQgetvalue(res, row, 1), idcard);
    pii_wrap(key, (const uint8_t *)PQgetvalue(res, row, 2), licence_no);
    char id[24];
    snprintf(id, sizeof(id), "%lld", (long long)store_get_int8(res, row, 0));
    const char *params[] = {id, (const char *)idcard, (const char *)licence_no};
    const int lengths[] = {0, 32, 32};
    const int formats[] = {0, 1, 1};
    int rc = store_command(
        st, "UPDATE welders SET idcard_hash = $2, licence_no_hash = $3 WHERE id = $1", 3, params,
        lengths, formats, "could not write a re-hashed welder", err, errlen);
    OPENSSL_cleanse(idcard, sizeof(idcard));
    OPENSSL_cleanse(licence_no, sizeof(licence_no));
    return rc;
}

/* The audit row: how many welders, never which key. */
static int store_pii_audit(store *st, int64_t count, char *err, size_t errlen)
{
    char n[24];
    snprintf(n, sizeof(n), "%lld", (long long)count);
    const char *params[] = {n};
    return store_command(
        st,
        "INSERT INTO audit_log (actor, action, entity, after) VALUES ('weldreg-server"
        " rekey-pii', 'welder.pii_rehashed', 'welder', jsonb_build_object('welders', $1::bigint))",
        1, params, NULL, NULL, "could not write the audit row", err, errlen);
}

int store_rehash_pii(store *st, const uint8_t key[PII_KEY_LEN], store_before_commit_fn before,
                     void *arg, int64_t *count, char *err, size_t errlen)
{
    *count = 0;
    /* writers of welders wait until the commit; readers do not */
    if (store_exec(st, "BEGIN", err, errlen) != 0 ||
        store_exec(st, "LOCK TABLE welders IN SHARE ROW EXCLUSIVE MODE", err, errlen) != 0)
        return -1;
    PGresult *res =
        PQexecParams(st->conn, "SELECT id, idcard_hash, licence_no_hash FROM welders ORDER BY id",
                     0, NULL, NULL, NULL, NULL, 1);
    int rc = PQresultStatus(res) == PGRES_TUPLES_OK ? 0 : -1;
    if (rc != 0)
        store_copy_error(st->conn, "could not read the welders' hashes", err, errlen);
    for (int i = 0; rc == 0 && i < PQntuples(res); i++)
        rc = store_pii_rehash_row(st, res, i, key, err, errlen);
    if (rc == 0)
        *count = PQntuples(res);
    PQclear(res);
    if (rc == 0)
        rc = store_pii_audit(st, *count, err, errlen);
    if (rc == 0)
        rc = before(arg, err, errlen);
    char msg[128];
    if (rc == 0)
        return store_exec(st, "COMMIT", err, errlen);
    store_exec(st, "ROLLBACK", msg, sizeof(msg));
    *count = 0;
    return -1;
}
