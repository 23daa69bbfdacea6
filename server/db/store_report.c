/* store_report.c — public reports: stored with their photo, their violation and the audit rows
 * in one transaction under the rate limits' lock; listed within an inspector's scope. */
#include "server/db/store_report.h"
#include "server/db/store_internal.h"
#include "server/db/store_query.h"

#include "core/violation.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The limits' lock: two reports from one source at once must not both pass the count. */
#define REPORT_LOCK "SELECT pg_advisory_xact_lock(7470017)"

/* Runs @p sql with @p p; the rows, or NULL (cleared) when it failed. */
static PGresult *report_run(store *st, const char *sql, const query_params *p)
{
    PGresult *res = PQexecParams(st->conn, sql, p->n, NULL, p->values, p->lengths, p->formats, 0);
    if (PQresultStatus(res) == PGRES_TUPLES_OK)
        return res;
    PQclear(res);
    return NULL;
}

/* $1 source hash, $2 community, $3 description, $4 address, $5 lat, $6 lon, $7 phone, $8 photo
 * id, $9 per source, $10 global, $11 the violation's kind. Answers "<report id or 0> <this
 * source's in the hour> <the community exists: t/f>"; neither limit nor place refused:
 * everyone's limit. */
static const char REPORT_SQL_ADD[] =
    "WITH lim AS (SELECT (SELECT count(*) FROM public_reports WHERE source_hash = $1"
    "  AND reported_at > now() - interval '1 hour') AS mine,"
    " (SELECT count(*) FROM public_reports WHERE reported_at > now() - interval '1 hour') AS total,"
    " EXISTS (SELECT 1 FROM communities WHERE id = $2::bigint) AS place),"
    " v AS (INSERT INTO violations (kind, severity, community_id, occurred_at, lat, lon, details)"
    "  SELECT $11, 'warning', $2::bigint, now(), $5::double precision,"
    "  $6::double precision, jsonb_build_object('source', 'public') FROM lim"
    "  WHERE mine < $9::bigint AND total < $10::bigint AND place RETURNING id),"
    " p AS (INSERT INTO public_reports (violation_id, community_id, description, site_address,"
    "  lat, lon, contact_phone, photo_id, source_hash)"
    "  SELECT v.id, $2::bigint, $3, $4, $5::double precision, $6::double precision, $7,"
    "  $8::bigint, $1 FROM v RETURNING id, violation_id),"
    " a AS (" AUDIT_INSERT "SELECT weldreg_actor(), 'public_report.create', 'public_report',"
    "  p.id::text, NULL, jsonb_build_object('violation_id', p.violation_id, 'community_id',"
    "  $2::bigint, 'photo_id', $8::bigint, 'contact', $7 IS NOT NULL) FROM p)"
    " SELECT concat_ws(' ', coalesce((SELECT id FROM p), 0), mine, place) FROM lim";

int store_report_add(store *st, const store_public_report *r, unsigned per_source, unsigned global,
                     store_report_refusal *refusal, int64_t *id)
{
    admin_outcome out;
    query_begin(st, "public", &out);
    query_run(st, REPORT_LOCK, NULL, NULL, false, &out);
    int64_t photo_id = 0;
    if (out.status == STORE_OK && r->photo && store_photo_put(st, r->photo, &photo_id) != 0)
        out.status = STORE_EFAILED;
    query_params p = {0};
    qp_bytes(&p, r->source_hash, (int)sizeof(r->source_hash));
    qp_int(&p, r->community_id);
    qp_text(&p, r->description);
    qp_opt(&p, r->site_address);
    qp_position(&p, r->has_position, r->lat, r->lon);
    qp_opt(&p, r->contact_phone);
    qp_opt_int(&p, photo_id);
    qp_int(&p, per_source);
    qp_int(&p, global);
    qp_text(&p, VIOLATION_PUBLIC_REPORT);
    query_run(st, REPORT_SQL_ADD, &p, NULL, true, &out);
    long long got = 0, mine = 0;
    bool place = false;
    if (out.status == STORE_OK && !out.not_found) {
        char *cur = out.json;
        got = strtoll(cur, &cur, 10);
        mine = strtoll(cur, &cur, 10);
        place = strcmp(cur, " t") == 0;
        out.not_found = got == 0; /* refused: rolled back, the photo with it */
    }
    bool failed = out.status != STORE_OK;
    query_finish(st, &out);
    int rc = failed || out.status != STORE_OK ? -1 : 0;
    admin_outcome_deinit(&out);
    *id = got;
    *refusal = got > 0                         ? STORE_REPORT_STORED
               : !place                        ? STORE_REPORT_BAD_PLACE
               : mine >= (long long)per_source ? STORE_REPORT_LIMIT_SOURCE
                                               : STORE_REPORT_LIMIT_ALL;
    return rc;
}

int store_reports_in_scope(store *st, int64_t scope, int64_t only, store_report_fn each, void *arg)
{
    static const char sql[] =
        "SELECT r.id, r.violation_id, v.status,"
        " to_char(r.reported_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI'), c.name,"
        " r.description, coalesce(r.site_address, ''),"
        " coalesce(round(r.lat::numeric, 5) || ', ' || round(r.lon::numeric, 5), ''),"
        " coalesce(r.contact_phone, ''), coalesce(r.photo_id, 0)"
        " FROM public_reports r JOIN violations v ON v.id = r.violation_id"
        " JOIN communities c ON c.id = r.community_id"
        " WHERE " QUERY_SCOPE("r.community_id", "1") " AND ($2::bigint = 0 OR r.id = $2::bigint)"
                                                     " ORDER BY r.id DESC LIMIT $3::integer";
    query_params p = {0};
    qp_int(&p, scope);
    qp_int(&p, only);
    qp_int(&p, STORE_REPORTS_MAX);
    PGresult *res = report_run(st, sql, &p);
    if (!res)
        return -1;
    int n = PQntuples(res);
    for (int i = 0; i < n; i++) {
        store_report_row row = {
            .id = strtoll(PQgetvalue(res, i, 0), NULL, 10),
            .violation_id = strtoll(PQgetvalue(res, i, 1), NULL, 10),
            .status = PQgetvalue(res, i, 2),
            .reported_at = PQgetvalue(res, i, 3),
            .community = PQgetvalue(res, i, 4),
            .description = PQgetvalue(res, i, 5),
            .site_address = PQgetvalue(res, i, 6),
            .position = PQgetvalue(res, i, 7),
            .contact_phone = PQgetvalue(res, i, 8),
            .photo_id = strtoll(PQgetvalue(res, i, 9), NULL, 10),
        };
        each(arg, &row);
    }
    PQclear(res);
    return n;
}
