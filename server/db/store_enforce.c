/* store_enforce.c — the SQL of major hazards (重患必停): open, lift, list. All SQL is
 * parameterised; JSON is built by PostgreSQL. */
#include "server/db/store_enforce.h"
#include "server/db/store_query.h"

#include <string.h>

/* One hazard as the API shows it; h is the hazard, e its enterprise. */
#define ENFORCE_HAZARD                                                                             \
    "json_build_object('id', h.id, 'status', CASE WHEN h.lifted_at IS NULL THEN 'open' ELSE"       \
    " 'lifted' END, 'enterprise_id', e.id, 'enterprise', e.name, 'community_id', e.community_id,"  \
    " 'site_address', h.site_address, 'site_lat', h.site_lat, 'site_lon', h.site_lon,"             \
    " 'site_radius_m', h.site_radius_m, 'description', h.description, 'opened_by', h.opened_by,"   \
    " 'opened_at', h.opened_at, 'lifted_by', h.lifted_by, 'lifted_at', h.lifted_at, 'lift_note',"  \
    " h.lift_note)"

/* $1 enterprise, $2 site address, $3 description, $4 scope, $5 site lat, $6 lon, $7 radius. */
static const char ENFORCE_SQL_OPEN[] =
    "WITH h AS (INSERT INTO major_hazards (enterprise_id, site_address, description, opened_by,"
    "  site_lat, site_lon, site_radius_m)"
    "  SELECT e.id, nullif($2, ''), $3, weldreg_actor(), $5::float8, $6::float8, $7::int"
    "  FROM enterprises e WHERE e.id = $1"
    "  AND " QUERY_SCOPE("e.community_id",
                         "4") " RETURNING *),"
                              " a AS (" AUDIT_INSERT
                              "SELECT weldreg_actor(), 'hazard.open', 'major_hazard', h.id::text,"
                              "  NULL, to_jsonb(h) FROM h)"
                              " SELECT " ENFORCE_HAZARD
                              "::text FROM h JOIN enterprises e ON e.id = h.enterprise_id";

void store_enforce_open_hazard(store *st, const char *actor, int64_t scope, const hazard_new *h,
                               admin_outcome *out)
{
    static const Oid types[] = {QUERY_OID_INT8, QUERY_OID_TEXT, QUERY_OID_TEXT, QUERY_OID_INT8};
    query_params p = {0};
    qp_int(&p, h->enterprise_id);
    qp_text(&p, h->site_address);
    qp_text(&p, h->description);
    qp_int(&p, scope);
    if (h->located) {
        qp_double(&p, h->lat);
        qp_double(&p, h->lon);
        qp_int(&p, h->radius_m);
    } else {
        qp_text(&p, NULL);
        qp_text(&p, NULL);
        qp_text(&p, NULL);
    }
    query_begin(st, actor, out);
    query_run(st, ENFORCE_SQL_OPEN, &p, types, true, out);
    query_finish(st, out);
}

/* $1 id, $2 note, $3 scope. */
static const char ENFORCE_SQL_LIFT[] =
    "WITH o AS (SELECT h.* FROM major_hazards h JOIN enterprises e ON e.id = h.enterprise_id"
    "  WHERE h.id = $1 AND h.lifted_at IS NULL AND " QUERY_SCOPE(
        "e.community_id",
        "3") "),"
             " h AS (UPDATE major_hazards x SET lifted_at = now(), lifted_by = weldreg_actor(),"
             "  lift_note = $2 FROM o WHERE x.id = o.id RETURNING x.*),"
             " a AS (" AUDIT_INSERT
             "SELECT weldreg_actor(), 'hazard.lift', 'major_hazard', h.id::text,"
             "  (SELECT to_jsonb(o) FROM o), to_jsonb(h) FROM h)"
             " SELECT " ENFORCE_HAZARD "::text FROM h JOIN enterprises e ON e.id = h.enterprise_id";

/* $1 id, $2 scope: whether the hazard in scope was lifted ('t'), or is open ('f'). */
static const char ENFORCE_SQL_LIFTED[] =
    "SELECT (h.lifted_at IS NOT NULL)::text FROM major_hazards h JOIN enterprises e"
    " ON e.id = h.enterprise_id WHERE h.id = $1 AND " QUERY_SCOPE("e.community_id", "2");

void store_enforce_lift_hazard(store *st, const char *actor, int64_t scope, int64_t id,
                               const char *note, admin_outcome *out, bool *lifted_already)
{
    static const Oid types[] = {QUERY_OID_INT8, QUERY_OID_TEXT, QUERY_OID_INT8};
    query_params p = {0};
    qp_int(&p, id);
    qp_text(&p, note);
    qp_int(&p, scope);
    *lifted_already = false;
    query_begin(st, actor, out);
    query_run(st, ENFORCE_SQL_LIFT, &p, types, true, out);
    query_finish(st, out);
    if (out->status != STORE_OK || !out->not_found)
        return;
    admin_outcome now = {0};
    query_params q = {0};
    qp_int(&q, id);
    qp_int(&q, scope);
    if (query_run(st, ENFORCE_SQL_LIFTED, &q, NULL, true, &now))
        *lifted_already = strcmp(now.json, "true") == 0;
    out->status = now.status;
    admin_outcome_deinit(&now);
}

/* $1 id, $2 enterprise, $3 community, $4 open only, $5 limit, $6 scope. */
#define ENFORCE_WHERE                                                                              \
    " FROM major_hazards h JOIN enterprises e ON e.id = h.enterprise_id"                           \
    " WHERE ($1 = 0 OR h.id = $1) AND ($2 = 0 OR h.enterprise_id = $2)"                            \
    " AND ($3 = 0 OR e.community_id = $3) AND (NOT $4 OR h.lifted_at IS NULL)"                     \
    " AND " QUERY_SCOPE("e.community_id", "6")

static const char ENFORCE_SQL_ONE[] = "SELECT " ENFORCE_HAZARD "::text" ENFORCE_WHERE " AND $5 > 0";

static const char ENFORCE_SQL_LIST[] =
    "SELECT json_build_object('items', coalesce(json_agg(x.j ORDER BY x.id DESC), '[]'))::text"
    " FROM (SELECT h.id, " ENFORCE_HAZARD " AS j" ENFORCE_WHERE " ORDER BY h.id DESC LIMIT $5) x";

void store_enforce_hazards(store *st, const hazard_query *q, admin_outcome *out)
{
    memset(out, 0, sizeof(*out));
    static const Oid types[] = {QUERY_OID_INT8, QUERY_OID_INT8, QUERY_OID_INT8,
                                QUERY_OID_BOOL, QUERY_OID_INT8, QUERY_OID_INT8};
    query_params p = {0};
    qp_int(&p, q->id);
    qp_int(&p, q->enterprise_id);
    qp_int(&p, q->community_id);
    qp_bool(&p, q->open_only);
    qp_int(&p, q->limit);
    qp_int(&p, q->scope);
    query_run(st, q->id ? ENFORCE_SQL_ONE : ENFORCE_SQL_LIST, &p, types, true, out);
}
