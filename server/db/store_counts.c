/* store_counts.c — the counts' SQL: one statement that groups the registry and the period's
 * check-ins and violations by community or enterprise, with a total row from the same pass
 * (GROUPING SETS), so that a welder in two groups is counted once in the total.
 *
 * Parameters: $1 period start and $2 period end ([start, end)), $3 community, $4 enterprise,
 * $5 scope (an inspector's communities as an array, so that the planner sees how few; NULL for
 * all), $6 grouping ('community', 'enterprise' or 'industry'), $7 and $8 the period's first and
 * last day as text, $9 the instant registry states are taken at: the period's last second, or
 * now if it has not ended, $10 the industries' names by code (core/industry.c) as JSON.
 *
 * By industry a group is the section letter's code point, or -1 for enterprises whose industry
 * is not recorded. */
#include "server/db/store_counts.h"
#include "server/db/store_query.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/industry.h"
#include "core/registry_rules.h"

#define COUNTS_OID_TIMESTAMPTZ 1184
#define COUNTS_OID_INT8_ARRAY  1016

/* The SQL below is laid out by hand, one clause per line: clang-format cannot indent string
 * literals joined with the macros that build them. */
// clang-format off

/* The group of an enterprise @p e by industry. */
#define COUNTS_INDUSTRY_GROUP(e) "coalesce(ascii(" e ".industry), -1)"
/* The group of violation @p v's enterprise by industry. */
#define COUNTS_VIOLATION_INDUSTRY(v) \
    "(SELECT " COUNTS_INDUSTRY_GROUP("e") " FROM enterprises e WHERE e.id = " v ".enterprise_id)"
/* The group of violation @p v: its enterprise, its enterprise's industry or its community. */
#define COUNTS_VIOLATION_GROUP(v) \
    "CASE WHEN $6 = 'enterprise' THEN " v ".enterprise_id" \
    " WHEN $6 = 'industry' THEN " COUNTS_VIOLATION_INDUSTRY(v) \
    " ELSE " v ".community_id END"
/* Violation rows @p v of the filters: community, enterprise, an inspector's communities. */
#define COUNTS_VIOLATION_FILTER(v) \
    " ($3 = 0 OR " v ".community_id = $3) AND ($4 = 0 OR " v ".enterprise_id = $4)" \
    " AND ($5 IS NULL OR " v ".community_id = ANY ($5))"

/* The enterprises counted (ent), the groups rows are made for (grp, with 0 for the total row),
 * then each measure grouped by GROUPING SETS ((g), ()), and the rows put together: the registry
 * measures (COUNTS_SQL_REGISTRY), the activity of the period (from the roll-ups, or from the
 * check-ins and violations themselves), the rows (COUNTS_SQL_ROWS). */
#define COUNTS_SQL_REGISTRY \
    "WITH ent AS (SELECT e.id, e.industry," \
    "  CASE WHEN $6 = 'enterprise' THEN e.id" \
    "   WHEN $6 = 'industry' THEN " COUNTS_INDUSTRY_GROUP("e") \
    "   ELSE e.community_id END AS g" \
    "  FROM enterprises e WHERE ($3 = 0 OR e.community_id = $3) AND ($4 = 0 OR e.id = $4)" \
    "  AND ($5 IS NULL OR e.community_id = ANY ($5)))," \
    " grp AS (SELECT e.id AS g, json_build_object('id', e.id, 'name', e.name, 'uscc', e.uscc," \
    "   'community_id', e.community_id) AS label, e.name AS sort" \
    "  FROM enterprises e WHERE $6 = 'enterprise' AND e.id IN (SELECT id FROM ent)" \
    "  UNION ALL SELECT c.id, json_build_object('id', c.id, 'code', c.code, 'name', c.name," \
    "   'district', c.district), c.code FROM communities c WHERE $6 = 'community'" \
    "  AND ($3 = 0 OR c.id = $3) AND ($5 IS NULL OR c.id = ANY ($5))" \
    "  AND ($4 = 0 OR c.id IN (SELECT e.community_id FROM enterprises e WHERE e.id = $4))" \
    "  UNION ALL SELECT i.g, json_build_object('id', i.industry, 'code', i.industry, 'name'," \
    "   coalesce($10::jsonb ->> i.industry, '行业未登记 (industry not recorded)'))," \
    "   coalesce(i.industry, '~') FROM (SELECT DISTINCT g, industry FROM ent) i" \
    "  WHERE $6 = 'industry'" \
    "  UNION ALL SELECT 0, NULL, NULL)," \
    /* machines registered by the end and not scrapped before the start, by their status then: \
     * one scrapped after the end counts as active (suspensions are not dated) */ \
    " mach AS (SELECT coalesce(g, 0) AS g, count(*) FILTER (WHERE st = 'active') AS active," \
    "  count(*) FILTER (WHERE st = 'suspended') AS suspended," \
    "  count(*) FILTER (WHERE st = 'scrapped') AS scrapped" \
    "  FROM (SELECT ent.g, CASE WHEN m.scrapped_at < $2 THEN 'scrapped'" \
    "   WHEN m.status = 'scrapped' THEN 'active' ELSE m.status END AS st" \
    "   FROM machines m JOIN ent ON ent.id = m.enterprise_id WHERE m.registered_at < $2" \
    "   AND (m.scrapped_at IS NULL OR m.scrapped_at >= $1)) x" \
    "  GROUP BY GROUPING SETS ((g), ()))," \
    /* welders belong to the enterprises that employ them at the as-of day (their own staff and \
     * dispatched workers 劳务派遣, counted where they work: welder_employments) and to those \
     * whose permits (made by the end) name them, as in the admin API; the licence state is \
     * weldreg_licence_state() at the as-of instant: the rules of core/licence.c that the \
     * check-in decision applies. Certified: valid or expiring; trained: a training valid on the \
     * as-of day. */ \
    " wg AS (SELECT pw.welder_id, ent.g FROM permit_welders pw" \
    "  JOIN permits p ON p.id = pw.permit_id JOIN ent ON ent.id = p.enterprise_id" \
    "  WHERE p.created_at < $2" \
    "  UNION SELECT em.welder_id, ent.g FROM welder_employments em" \
    "  JOIN ent ON ent.id = em.enterprise_id" \
    "  WHERE em.since <= ($9 AT TIME ZONE 'Asia/Shanghai')::date" \
    "  AND (em.until IS NULL OR em.until >= ($9 AT TIME ZONE 'Asia/Shanghai')::date))," \
    " trained AS (SELECT DISTINCT welder_id FROM welder_trainings" \
    "  WHERE completed_on <= ($9 AT TIME ZONE 'Asia/Shanghai')::date" \
    "  AND valid_until >= ($9 AT TIME ZONE 'Asia/Shanghai')::date)," \
    " ws AS (SELECT wg.g, w.id, weldreg_licence_state(w.licence_status, w.licence_valid_until," \
    "   w.licence_review_due, $9) AS state, t.welder_id IS NOT NULL AS trained" \
    "  FROM wg JOIN welders w ON w.id = wg.welder_id" \
    "  LEFT JOIN trained t ON t.welder_id = w.id" \
    "  WHERE w.status <> 'retired' AND w.created_at < $2)," \
    " wel AS (SELECT coalesce(ws.g, 0) AS g," \
    "  count(DISTINCT ws.id) FILTER (WHERE ws.state = 'valid') AS valid," \
    "  count(DISTINCT ws.id) FILTER (WHERE ws.state = 'expiring') AS expiring," \
    "  count(DISTINCT ws.id) FILTER (WHERE ws.state = 'expired') AS expired," \
    "  count(DISTINCT ws.id) FILTER (WHERE ws.state = 'review_overdue') AS review_overdue," \
    "  count(DISTINCT ws.id) FILTER (WHERE ws.state = 'revoked') AS revoked," \
    "  count(DISTINCT ws.id) FILTER (WHERE ws.state IN ('valid', 'expiring')) AS certified," \
    "  count(DISTINCT ws.id) FILTER (WHERE ws.state IN ('valid', 'expiring') AND ws.trained)" \
    "   AS trained" \
    "  FROM ws GROUP BY GROUPING SETS ((ws.g), ())),"

/* The activity from the check-ins and violations themselves: what the roll-ups must equal
 * (tests/integration/counts-rollups.c) and what bench-violations compares them with. */
#define COUNTS_SQL_RAW_ACTIVITY \
    /* scans received in the period on the machines counted, and the reasons of the refused */ \
    " sc AS (SELECT ent.g, c.ok, c.reasons FROM checkins c" \
    "  JOIN machines m ON m.id = c.machine_id JOIN ent ON ent.id = m.enterprise_id" \
    "  WHERE c.ev = 'scan' AND c.received_at >= $1 AND c.received_at < $2)," \
    " scn AS (SELECT coalesce(g, 0) AS g, count(*) AS scans," \
    "  count(*) FILTER (WHERE ok) AS approvals, count(*) FILTER (WHERE NOT ok) AS denials" \
    "  FROM sc GROUP BY GROUPING SETS ((g), ()))," \
    " den AS (SELECT g, json_object_agg(reason, n ORDER BY reason) AS reasons" \
    "  FROM (SELECT coalesce(sc.g, 0) AS g, r.reason, count(*) AS n" \
    "   FROM sc, unnest(sc.reasons) AS r(reason) WHERE NOT sc.ok" \
    "   GROUP BY GROUPING SETS ((sc.g, r.reason), (r.reason))) x GROUP BY g)," \
    /* violations that occurred in the period, by kind and by their status now */ \
    " vi AS (SELECT g, kind, status FROM (SELECT " COUNTS_VIOLATION_GROUP("v") " AS g," \
    "   v.kind, v.status FROM violations v" \
    "   WHERE v.occurred_at >= $1 AND v.occurred_at < $2 AND" COUNTS_VIOLATION_FILTER("v") ") x" \
    "  WHERE g IN (SELECT g FROM grp WHERE g <> 0))," \
    " vst AS (SELECT coalesce(g, 0) AS g, count(*) AS total," \
    "  count(*) FILTER (WHERE status = 'open') AS open," \
    "  count(*) FILTER (WHERE status = 'acknowledged') AS acknowledged," \
    "  count(*) FILTER (WHERE status = 'resolved') AS resolved," \
    "  count(*) FILTER (WHERE status = 'dismissed') AS dismissed" \
    "  FROM vi GROUP BY GROUPING SETS ((g), ()))," \
    " vkd AS (SELECT g, json_object_agg(kind, n ORDER BY kind) AS kinds" \
    "  FROM (SELECT coalesce(g, 0) AS g, kind, count(*) AS n FROM vi" \
    "   GROUP BY GROUPING SETS ((g, kind), (kind))) x GROUP BY g),"

/* The activity from the roll-ups (schema/010_notices_rollups.sql): the months that lie whole in
 * the period from their month rows, the days before and after them from their day rows. The
 * first whole month starts on the first day, or on the first of the next month; the whole
 * months end where the month of the day after the last begins (none are whole when that is not
 * after the first). The days before run from the first day up to the first whole month (or
 * through the last day), the days after from the end of the whole months through the last day:
 * three ranges of the primary key, so that a year that starts and ends within months reads
 * some weeks of day rows, not the year's. */
#define COUNTS_MONTHS_FROM "(date_trunc('month', ($7::date - 1)::timestamp) + interval '1 month')::date"
#define COUNTS_MONTHS_TO "date_trunc('month', ($8::date + 1)::timestamp)::date"
#define COUNTS_ROLLUP_ROWS(r) \
    " ((" r ".grain = 'month' AND " r ".starts >= " COUNTS_MONTHS_FROM \
    "   AND " r ".starts < " COUNTS_MONTHS_TO ")" \
    "  OR (" r ".grain = 'day' AND " r ".starts >= $7::date" \
    "   AND " r ".starts < least(" COUNTS_MONTHS_FROM ", $8::date + 1))" \
    "  OR (" r ".grain = 'day' AND " r ".starts >= greatest(" COUNTS_MONTHS_TO ", " COUNTS_MONTHS_FROM ")" \
    "   AND " r ".starts <= $8::date))"
/* Each measure is first summed per group (a year's day and month rows come down to a few
 * hundred), and only those sums are grouped into the rows and the total. */
#define COUNTS_SQL_ROLLUP_ACTIVITY \
    " scn AS (SELECT coalesce(g, 0) AS g, sum(scans) AS scans, sum(approvals) AS approvals," \
    "  sum(denials) AS denials FROM (SELECT ent.g, sum(s.scans) AS scans," \
    "   sum(s.approvals) AS approvals, sum(s.denials) AS denials" \
    "   FROM scan_rollups s JOIN ent ON ent.id = s.enterprise_id" \
    "   WHERE" COUNTS_ROLLUP_ROWS("s") \
    "   GROUP BY ent.g) x GROUP BY GROUPING SETS ((g), ()))," \
    " den AS (SELECT g, json_object_agg(reason, n ORDER BY reason) AS reasons" \
    "  FROM (SELECT coalesce(g, 0) AS g, reason, sum(n) AS n" \
    "   FROM (SELECT ent.g, d.reason, sum(d.n) AS n" \
    "    FROM denial_rollups d JOIN ent ON ent.id = d.enterprise_id" \
    "    WHERE" COUNTS_ROLLUP_ROWS("d") " GROUP BY ent.g, d.reason) y" \
    "   GROUP BY GROUPING SETS ((g, reason), (reason)) HAVING sum(n) > 0) x GROUP BY g)," \
    " vi AS (SELECT * FROM (SELECT " COUNTS_VIOLATION_GROUP("v") " AS g, v.kind," \
    "   sum(v.open) AS open, sum(v.acknowledged) AS acknowledged, sum(v.resolved) AS resolved," \
    "   sum(v.dismissed) AS dismissed," \
    "   sum(v.open + v.acknowledged + v.resolved + v.dismissed) AS total" \
    "   FROM violation_rollups v WHERE" COUNTS_ROLLUP_ROWS("v") \
    "   AND" COUNTS_VIOLATION_FILTER("v") " GROUP BY 1, 2) x" \
    "  WHERE g IN (SELECT g FROM grp WHERE g <> 0))," \
    " vst AS (SELECT coalesce(g, 0) AS g, sum(total) AS total, sum(open) AS open," \
    "  sum(acknowledged) AS acknowledged, sum(resolved) AS resolved," \
    "  sum(dismissed) AS dismissed FROM vi GROUP BY GROUPING SETS ((g), ()))," \
    " vkd AS (SELECT g, json_object_agg(kind, n ORDER BY kind) AS kinds" \
    "  FROM (SELECT coalesce(g, 0) AS g, kind, sum(total) AS n FROM vi" \
    "   GROUP BY GROUPING SETS ((g, kind), (kind)) HAVING sum(total) > 0) x GROUP BY g),"

#define COUNTS_SQL_ROWS \
    " rows AS (SELECT grp.g, grp.sort, json_build_object('group', grp.label," \
    "  'machines', json_build_object('active', coalesce(mach.active, 0)," \
    "   'suspended', coalesce(mach.suspended, 0), 'scrapped', coalesce(mach.scrapped, 0))," \
    "  'welders', json_build_object('valid', coalesce(wel.valid, 0)," \
    "   'expiring', coalesce(wel.expiring, 0), 'expired', coalesce(wel.expired, 0)," \
    "   'review_overdue', coalesce(wel.review_overdue, 0), 'revoked', coalesce(wel.revoked, 0))," \
    "  'certified', coalesce(wel.certified, 0), 'trained', coalesce(wel.trained, 0)," \
    "  'trained_share', round(wel.trained::numeric / nullif(wel.certified, 0), 4)," \
    "  'scans', coalesce(scn.scans, 0), 'approvals', coalesce(scn.approvals, 0)," \
    "  'denials', coalesce(scn.denials, 0), 'denial_reasons', coalesce(den.reasons, '{}')," \
    "  'violations', json_build_object('total', coalesce(vst.total, 0)," \
    "   'open', coalesce(vst.open, 0), 'acknowledged', coalesce(vst.acknowledged, 0)," \
    "   'resolved', coalesce(vst.resolved, 0), 'dismissed', coalesce(vst.dismissed, 0)," \
    "   'kinds', coalesce(vkd.kinds, '{}'))) AS j" \
    "  FROM grp LEFT JOIN mach USING (g) LEFT JOIN wel USING (g) LEFT JOIN scn USING (g)" \
    "  LEFT JOIN den USING (g) LEFT JOIN vst USING (g) LEFT JOIN vkd USING (g))" \
    " SELECT json_build_object('from', $7::text, 'to', $8::text," \
    "  'as_of', to_char($9 AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD'), 'by', $6::text," \
    "  'rows', (SELECT coalesce(json_agg(j ORDER BY sort, g), '[]') FROM rows WHERE g <> 0)," \
    "  'total', (SELECT j FROM rows WHERE g = 0))::text"

static const char COUNTS_SQL[] = COUNTS_SQL_REGISTRY COUNTS_SQL_ROLLUP_ACTIVITY COUNTS_SQL_ROWS;
static const char COUNTS_SQL_RAW[] = COUNTS_SQL_REGISTRY COUNTS_SQL_RAW_ACTIVITY COUNTS_SQL_ROWS;

// clang-format on

/* $1 community, $2 enterprise, $3 scope. Scope first: an inspector learns nothing about
 * communities that are not theirs, not even whether they exist. After the verdict digit, an
 * inspector's communities as an array literal. */
static const char COUNTS_SQL_ACCESS[] =
    "SELECT CASE"
    " WHEN $3 <> 0 AND $1 <> 0 AND $1 NOT IN (SELECT community_id FROM principal_communities"
    " WHERE principal_id = $3) THEN 1"
    " WHEN $3 <> 0 AND $2 <> 0 AND NOT EXISTS (SELECT 1 FROM enterprises e"
    " JOIN principal_communities pc ON pc.community_id = e.community_id"
    " WHERE e.id = $2 AND pc.principal_id = $3) THEN 2"
    " WHEN $1 <> 0 AND NOT EXISTS (SELECT 1 FROM communities WHERE id = $1) THEN 3"
    " WHEN $2 <> 0 AND NOT EXISTS (SELECT 1 FROM enterprises WHERE id = $2) THEN 4"
    " ELSE 0 END::text || coalesce((SELECT array_agg(community_id ORDER BY community_id)::text"
    " FROM principal_communities WHERE principal_id = $3), '{}')";

void store_counts_access(store *st, const counts_query *q, counts_access *access,
                         admin_outcome *out)
{
    static const Oid types[] = {QUERY_OID_INT8, QUERY_OID_INT8, QUERY_OID_INT8};
    memset(out, 0, sizeof(*out));
    query_params p = {0};
    qp_int(&p, q->community_id);
    qp_int(&p, q->enterprise_id);
    qp_int(&p, q->scope);
    *access = COUNTS_ALLOWED;
    if (query_run(st, COUNTS_SQL_ACCESS, &p, types, true, out)) {
        *access = (counts_access)(out->json[0] - '0');
        memmove(out->json, out->json + 1, out->json_len--);
    }
}

/* Unix seconds as a timestamptz literal in UTC. */
static void counts_instant(int64_t t, char out[32])
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm) || !strftime(out, 32, "%Y-%m-%d %H:%M:%S+00", &tm))
        snprintf(out, 32, "infinity");
}

void store_counts(store *st, const counts_query *q, const char *scope_ids, int timeout_ms,
                  admin_outcome *out)
{
    static const Oid types[] = {
        COUNTS_OID_TIMESTAMPTZ, COUNTS_OID_TIMESTAMPTZ, QUERY_OID_INT8, QUERY_OID_INT8,
        COUNTS_OID_INT8_ARRAY,  QUERY_OID_TEXT,         QUERY_OID_TEXT, QUERY_OID_TEXT,
        COUNTS_OID_TIMESTAMPTZ, QUERY_OID_TEXT};
    static const char *const by_names[] = {
        [COUNTS_BY_COMMUNITY] = "community",
        [COUNTS_BY_ENTERPRISE] = "enterprise",
        [COUNTS_BY_INDUSTRY] = "industry",
    };
    char industries[2048];
    if (!industry_names_json(industries, sizeof(industries)))
        snprintf(industries, sizeof(industries), "{}");
    char from[RULES_DATE_SIZE], to[RULES_DATE_SIZE], start[32], end[32], as_of[32], ms[32];
    rules_format_date(q->days.first_day, from);
    rules_format_date(q->days.last_day, to);
    int64_t now = (int64_t)time(NULL), last = period_end(&q->days) - 1;
    counts_instant(period_start(&q->days), start);
    counts_instant(period_end(&q->days), end);
    counts_instant(last < now ? last : now, as_of);
    snprintf(ms, sizeof(ms), "%d", timeout_ms);
    query_params p = {0};
    qp_text(&p, start);
    qp_text(&p, end);
    qp_int(&p, q->community_id);
    qp_int(&p, q->enterprise_id);
    qp_text(&p, q->scope ? scope_ids : NULL);
    qp_text(&p, by_names[q->by]);
    qp_text(&p, from);
    qp_text(&p, to);
    qp_text(&p, as_of);
    qp_text(&p, industries);
    query_params limit = {0};
    qp_text(&limit, ms);
    memset(out, 0, sizeof(*out));
    if (query_run(st, "BEGIN READ ONLY", NULL, NULL, false, out) &&
        query_run(st, "SELECT set_config('statement_timeout', $1, true)", &limit, NULL, false, out))
        query_run(st, q->from_raw ? COUNTS_SQL_RAW : COUNTS_SQL, &p, types, true, out);
    query_finish(st, out);
}
