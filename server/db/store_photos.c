/* store_photos.c — the photos table: bytes go in and out in binary, never as text. */
#include "server/db/store_photos.h"

#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/db/store_internal.h"

int store_photo_put(store *st, const store_photo_new *p, int64_t *id)
{
    static const char sql[] =
        "WITH p AS (INSERT INTO photos (media_type, bytes, sha256, width, height, account_id)"
        " VALUES ($1, $2, $3, $4::integer, $5::integer, NULLIF($6::bigint, 0))"
        " RETURNING id, media_type, octet_length(bytes) AS len, sha256, width, height)"
        " INSERT INTO audit_log (actor, action, entity, entity_id, after)"
        " SELECT $7, 'photo.upload', 'photos', p.id::text, jsonb_build_object('media_type',"
        " p.media_type, 'bytes', p.len, 'sha256', encode(p.sha256, 'hex'), 'width', p.width,"
        " 'height', p.height) FROM p RETURNING entity_id";
    uint8_t digest[SHA256_DIGEST_LENGTH];
    SHA256(p->bytes, p->len, digest);
    char w[16], h[16], acc[24];
    snprintf(w, sizeof(w), "%u", p->width);
    snprintf(h, sizeof(h), "%u", p->height);
    snprintf(acc, sizeof(acc), "%lld", (long long)p->account_id);
    const char *params[] = {p->media_type, (const char *)p->bytes, (const char *)digest, w, h, acc,
                            p->actor};
    const int lengths[] = {0, (int)p->len, (int)sizeof(digest), 0, 0, 0, 0};
    const int formats[] = {0, 1, 1, 0, 0, 0, 0};
    PGresult *res = PQexecParams(st->conn, sql, 7, NULL, params, lengths, formats, 0);
    int rc = -1;
    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
        *id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
        rc = 0;
    }
    PQclear(res);
    return rc;
}

int store_photo_get(store *st, int64_t id, store_photo *out)
{
    static const char sql[] =
        "SELECT media_type, bytes, coalesce(account_id, 0)::text FROM photos WHERE id = $1";
    char idtext[24];
    snprintf(idtext, sizeof(idtext), "%lld", (long long)id);
    const char *params[] = {idtext};
    /* binary results: the bytes as they are; the texts are the same in both formats */
    PGresult *res = PQexecParams(st->conn, sql, 1, NULL, params, NULL, NULL, 1);
    int rc = -1;
    if (PQresultStatus(res) == PGRES_TUPLES_OK) {
        rc = PQntuples(res);
        if (rc == 1) {
            memset(out, 0, sizeof(*out));
            out->id = id;
            snprintf(out->media_type, sizeof(out->media_type), "%.*s", PQgetlength(res, 0, 0),
                     PQgetvalue(res, 0, 0));
            out->len = (size_t)PQgetlength(res, 0, 1);
            out->bytes = malloc(out->len ? out->len : 1);
            char acc[24];
            snprintf(acc, sizeof(acc), "%.*s", PQgetlength(res, 0, 2), PQgetvalue(res, 0, 2));
            out->account_id = strtoll(acc, NULL, 10);
            if (out->bytes)
                memcpy(out->bytes, PQgetvalue(res, 0, 1), out->len);
            else
                rc = -1;
        }
    }
    PQclear(res);
    return rc;
}

int store_photo_in_communities(store *st, int64_t id, int64_t account_id)
{
    static const char sql[] =
        "SELECT EXISTS (SELECT 1 FROM account_communities WHERE account_id = $2 AND community_id IN"
        " (SELECT v.community_id FROM violation_event_photos p"
        "   JOIN violation_events e ON e.id = p.event_id JOIN violations v ON v.id = e.violation_id"
        "   WHERE p.photo_id = $1"
        "  UNION ALL SELECT community_id FROM onsite_reports WHERE photo_id = $1"
        "  UNION ALL SELECT community_id FROM public_reports WHERE photo_id = $1))";
    char idtext[24], acc[24];
    snprintf(idtext, sizeof(idtext), "%lld", (long long)id);
    snprintf(acc, sizeof(acc), "%lld", (long long)account_id);
    const char *params[] = {idtext, acc};
    PGresult *res = PQexecParams(st->conn, sql, 2, NULL, params, NULL, NULL, 0);
    int rc = -1;
    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
        rc = PQgetvalue(res, 0, 0)[0] == 't';
    PQclear(res);
    return rc;
}
