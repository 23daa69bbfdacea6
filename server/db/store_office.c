/* store_office.c — the district office's reads (store_office.h): the caller's communities and
 * the map, each one statement answering JSON. $1 is always the scope (QUERY_SCOPE: 0 all, a
 * principal's id, or minus a web account's). */
#include "server/db/store_office.h"
#include "server/db/store_query.h"

#include <string.h>

#define OFFICE_MAP_MAX "5000" /* points of each kind at most: the map stays readable */

void store_office_community_list(store *st, int64_t scope, admin_outcome *out)
{
    static const char sql[] =
        "SELECT coalesce(json_agg(json_build_object('id', id, 'code', code, 'name', name)"
        " ORDER BY code), '[]')::text FROM communities WHERE " QUERY_SCOPE("id", "1");
    static const Oid types[] = {QUERY_OID_INT8};
    memset(out, 0, sizeof(*out));
    query_params p = {0};
    qp_int(&p, scope);
    query_run(st, sql, &p, types, true, out);
}

/* The SQL below is laid out by hand, one clause per line. */
// clang-format off

/* The communities of the scope, and the machines in them that are not scrapped, with an open
 * work session and their last known position: the last check-in with one, the site of the
 * session's permit, the newest permit naming the machine, in that order. */
#define OFFICE_SQL_MACHINES \
    "WITH c AS (SELECT id, code, name, outline FROM communities" \
    "  WHERE " QUERY_SCOPE("id", "1") ")," \
    " m AS (SELECT m.id, m.chip_id, e.name AS enterprise, e.community_id," \
    "  s.id IS NOT NULL AS live, pos.lat, pos.lon" \
    "  FROM machines m JOIN enterprises e ON e.id = m.enterprise_id" \
    "  JOIN c ON c.id = e.community_id" \
    "  LEFT JOIN work_sessions s ON s.machine_id = m.id AND s.closed_at IS NULL" \
    "   AND s.until > now()" \
    "  LEFT JOIN LATERAL (SELECT x.lat, x.lon FROM (" \
    "   (SELECT k.lat, k.lon, 1 AS pref FROM checkins k WHERE k.machine_id = m.id" \
    "    AND k.lat IS NOT NULL ORDER BY k.received_at DESC LIMIT 1)" \
    "   UNION ALL SELECT p.site_lat, p.site_lon, 2 FROM permits p WHERE p.id = s.permit_id" \
    "   UNION ALL (SELECT p.site_lat, p.site_lon, 3 FROM permits p" \
    "    JOIN permit_machines pm ON pm.permit_id = p.id WHERE pm.machine_id = m.id" \
    "    ORDER BY p.created_at DESC LIMIT 1)) x ORDER BY x.pref LIMIT 1) pos ON true" \
    "  WHERE m.status <> 'scrapped')," \
    /* open and acknowledged violations, at their own position or their machine's */ \
    " v AS (SELECT v.id, v.kind, v.severity, v.community_id, mm.chip_id," \
    "  coalesce(v.lat, m.lat) AS lat, coalesce(v.lon, m.lon) AS lon" \
    "  FROM violations v JOIN c ON c.id = v.community_id" \
    "  LEFT JOIN machines mm ON mm.id = v.machine_id LEFT JOIN m ON m.id = v.machine_id" \
    "  WHERE v.status IN ('open', 'acknowledged'))"

static const char OFFICE_SQL_MAP[] =
    OFFICE_SQL_MACHINES
    " SELECT json_build_object("
    "  'communities', (SELECT coalesce(json_agg(json_build_object('id', id, 'code', code,"
    "   'name', name, 'outline', outline) ORDER BY code), '[]') FROM c),"
    "  'machines', (SELECT coalesce(json_agg(json_build_object('id', id, 'chip', chip_id,"
    "   'enterprise', enterprise, 'community_id', community_id, 'lat', lat, 'lon', lon,"
    "   'live', live) ORDER BY chip_id), '[]') FROM (SELECT * FROM m WHERE lat IS NOT NULL"
    "   ORDER BY chip_id LIMIT " OFFICE_MAP_MAX ") mp),"
    "  'violations', (SELECT coalesce(json_agg(json_build_object('id', id, 'kind', kind,"
    "   'severity', severity, 'community_id', community_id, 'chip', chip_id, 'lat', lat,"
    "   'lon', lon) ORDER BY id), '[]') FROM (SELECT * FROM v WHERE lat IS NOT NULL"
    "   ORDER BY id DESC LIMIT " OFFICE_MAP_MAX ") vp),"
    "  'unplaced', (SELECT count(*) FROM m WHERE lat IS NULL))::text";

// clang-format on

void store_office_map(store *st, int64_t scope, admin_outcome *out)
{
    static const Oid types[] = {QUERY_OID_INT8};
    memset(out, 0, sizeof(*out));
    query_params p = {0};
    qp_int(&p, scope);
    query_run(st, OFFICE_SQL_MAP, &p, types, true, out);
}

void store_office_set_outline(store *st, const char *actor, const char *code, const char *ring,
                              admin_outcome *out)
{
    static const char sql[] =
        "WITH c AS (UPDATE communities SET outline = $2::jsonb WHERE code = $1"
        " RETURNING id, outline) " AUDIT_INSERT
        "SELECT weldreg_actor(), 'community.outline', 'community', c.id::text, NULL,"
        " jsonb_build_object('points', coalesce(jsonb_array_length(c.outline), 0)) FROM c"
        " RETURNING entity_id";
    query_params p = {0};
    qp_text(&p, code);
    qp_text(&p, ring);
    query_begin(st, actor, out);
    query_run(st, sql, &p, NULL, true, out);
    query_finish(st, out);
}
