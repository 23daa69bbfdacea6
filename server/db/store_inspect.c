/* store_inspect.c — the inspectors' SQL: status cards, violations with evidence, the life cycle,
 * on-site reports. All SQL is parameterised; JSON is built by PostgreSQL. */
#include "server/db/store_inspect.h"
#include "server/db/store_query.h"

#include <stdio.h>
#include <string.h>

#define INSPECT_SCOPE QUERY_SCOPE

#define INSPECT_MASKED_WELDER                                                                      \
    "json_build_object('id', w.id, 'name', weldreg_mask_name(w.name), 'licence_no',"               \
    " w.licence_no_masked, 'categories', w.licence_categories, 'valid_until',"                     \
    " w.licence_valid_until, 'review_due', w.licence_review_due, 'licence_state',"                 \
    " weldreg_licence_state(w.licence_status, w.licence_valid_until, w.licence_review_due,"        \
    " now()), 'status', w.status)"

/* $1 chip, $2 scope. '' (not NULL) when the machine is outside the scope. */
static const char INSPECT_SQL_CARD[] = "SELECT CASE WHEN NOT " INSPECT_SCOPE(
    "e.community_id",
    "2") " THEN '' ELSE"
         " json_build_object("
         "'machine', json_build_object('id', m.id, 'chip_id', m.chip_id, 'serial', m.serial,"
         " 'model', m.model, 'process_category', m.process_category, 'rated_current_a',"
         " m.rated_current_a, 'status', m.status, 'registered_at', m.registered_at, 'scrapped_at',"
         " m.scrapped_at, 'keeper_name', m.keeper_name, 'keeper_phone', m.keeper_phone),"
         " 'enterprise', json_build_object('id', e.id, 'name', e.name, 'uscc', e.uscc, 'status',"
         " e.status, 'address', e.address),"
         " 'hazards', (SELECT coalesce(json_agg(json_build_object('id', h.id, 'site_address',"
         " h.site_address, 'description', h.description, 'opened_at', h.opened_at, 'opened_by',"
         " h.opened_by) ORDER BY h.id), '[]') FROM major_hazards h WHERE h.enterprise_id = e.id"
         " AND h.lifted_at IS NULL),"
         " 'community', (SELECT json_build_object('id', c.id, 'code', c.code, 'name', c.name,"
         " 'district', c.district) FROM communities c WHERE c.id = e.community_id),"
         " 'session', (SELECT json_build_object('id', s.id, 'opened_at', s.opened_at, 'until',"
         " s.until, 'last_seen_at', s.last_seen_at, 'welder', " INSPECT_MASKED_WELDER ","
         " 'permit', (SELECT json_build_object('id', p.id, 'permit_no', p.permit_no, 'level',"
         " p.level, 'status', p.status, 'starts_at', p.starts_at, 'ends_at', p.ends_at,"
         " 'site_address', p.site_address) FROM permits p WHERE p.id = s.permit_id))"
         " FROM work_sessions s JOIN welders w ON w.id = s.welder_id"
         " WHERE s.machine_id = m.id AND s.closed_at IS NULL),"
         " 'last_contact', (SELECT json_build_object('at', k.received_at, 'device_ts', k.device_ts,"
         " 'ev', k.ev, 'ok', k.ok, 'reasons', k.reasons, 'lat', k.lat, 'lon', k.lon)"
         " FROM checkins k WHERE k.machine_id = m.id ORDER BY k.received_at DESC LIMIT 1),"
         " 'open_violations', (SELECT json_build_object('count', count(*), 'items',"
         " coalesce(json_agg(json_build_object('id', x.id, 'kind', x.kind, 'severity', x.severity,"
         " 'status', x.status, 'occurred_at', x.occurred_at) ORDER BY x.id DESC)"
         " FILTER (WHERE x.rn <= 10), '[]')) FROM (SELECT v.*, row_number() OVER"
         " (ORDER BY v.id DESC) AS rn FROM violations v WHERE v.machine_id = m.id"
         " AND v.status IN ('open', 'acknowledged')) x))::text END"
         " FROM machines m JOIN enterprises e ON e.id = m.enterprise_id WHERE m.chip_id = $1";

int64_t store_inspect_account_scope(int64_t account_id)
{
    return -account_id; /* principal ids are positive: QUERY_SCOPE tells them apart by sign */
}

void store_inspect_card(store *st, const char *chip, int64_t scope, admin_outcome *out,
                        bool *out_of_scope)
{
    memset(out, 0, sizeof(*out));
    query_params p = {0};
    qp_text(&p, chip);
    qp_int(&p, scope);
    static const Oid types[] = {QUERY_OID_TEXT, QUERY_OID_INT8};
    /* prepared: its last contact reads the check-ins, every monthly partition of them in a
     * plan made at each call (store_exec_named) */
    query_run_named(st, "machine_card", INSPECT_SQL_CARD, &p, types, true, out);
    *out_of_scope = out->status == STORE_OK && !out->not_found && out->json_len == 0;
}

static const char INSPECT_SQL_CODE[] =
    "SELECT json_build_object('revoked', c.revoked_at IS NOT NULL, 'reason', c.revoke_reason,"
    " 'chip_id', m.chip_id)::text FROM codes c JOIN machines m ON m.id = c.machine_id"
    " WHERE c.cti = $1 AND c.kind = 'machine'";

void store_inspect_code(store *st, const uint8_t *cti, size_t cti_len, admin_outcome *out)
{
    memset(out, 0, sizeof(*out));
    static const Oid types[] = {QUERY_OID_BYTEA};
    query_params p = {0};
    qp_bytes(&p, cti, (int)cti_len);
    query_run(st, INSPECT_SQL_CODE, &p, types, true, out);
}

/* The check-in k violation v refers to. checkins is partitioned by month (schema/022): the
 * received_at of its key (an InitPlan) prunes the look to the one partition that holds it, where
 * a join to checkin_keys was planned with the id alone, into every partition. */
#define INSPECT_EVIDENCE                                                                           \
    "checkins k WHERE k.id = v.checkin_id AND k.received_at = (SELECT ck.received_at"              \
    " FROM checkin_keys ck WHERE ck.checkin_id = v.checkin_id)"

/* Who made on-site report o: a principal's identity, or "web:" and a web account's login (the
 * actor the web writes to the audit log). */
#define INSPECT_REPORTER "coalesce(r.identity, 'web:' || ra.login)"
#define INSPECT_REPORTER_JOIN                                                                      \
    "LEFT JOIN principals r ON r.id = o.principal_id LEFT JOIN accounts ra ON ra.id = "            \
    "o.account_id"

/* One violation as the API shows it, with its evidence: the check-in that raised it, the work
 * session it happened in, the on-site report that recorded it. */
/* Still to be rectified after its deadline. */
#define INSPECT_OVERDUE "(v.status IN ('open', 'acknowledged') AND v.rectify_by < now())"

#define INSPECT_VIOLATION                                                                          \
    "json_build_object('id', v.id, 'kind', v.kind, 'severity', v.severity, 'status', v.status,"    \
    " 'community_id', v.community_id, 'enterprise_id', v.enterprise_id, 'machine_id',"             \
    " v.machine_id, 'chip_id', m.chip_id, 'welder_id', v.welder_id, 'welder', CASE WHEN w.id"      \
    " IS NOT NULL THEN weldreg_mask_name(w.name) END, 'occurred_at', v.occurred_at,"               \
    " 'detected_at', v.detected_at, 'updated_at', v.updated_at, 'rectify_by', v.rectify_by,"       \
    " 'overdue', " INSPECT_OVERDUE ", 'lat', v.lat, 'lon', v.lon,"                                 \
    " 'details', v.details, 'evidence', json_build_object("                                        \
    "'checkin', (SELECT json_build_object('id', k.id, 'seq', k.seq, 'ev', k.ev, 'device_ts',"      \
    " k.device_ts, 'received_at', k.received_at, 'lat', k.lat, 'lon', k.lon, 'amp', k.amp,"        \
    " 'ok', k.ok, 'reasons', k.reasons, 'late', k.late, 'skew_s', k.skew_s) "                      \
    "FROM " INSPECT_EVIDENCE "),"                                                                  \
    " 'session', (SELECT json_build_object('id', s.id, 'opened_at', s.opened_at,"                  \
    " 'last_seen_at', s.last_seen_at, 'closed_at', s.closed_at, 'close_reason',"                   \
    " s.close_reason) FROM work_sessions s WHERE s.id = coalesce((v.details ->>"                   \
    " 'session_id')::bigint, (SELECT k.session_id FROM " INSPECT_EVIDENCE "))),"                   \
    " 'report', (SELECT json_build_object('id', o.id, 'kind', o.kind, 'by', " INSPECT_REPORTER     \
    ", 'observed_at', o.observed_at, 'site_address', o.site_address, 'note', o.note, 'details',"   \
    " o.details) FROM onsite_reports o " INSPECT_REPORTER_JOIN                                     \
    " WHERE o.violation_id = v.id ORDER BY o.id LIMIT 1)))"

/* Every status a violation went through: `open` when it was recorded, then each step, with the
 * rectification's progress notes and evidence among them (entry). */
#define INSPECT_HISTORY                                                                            \
    "'history', (SELECT json_agg(json_build_object('entry', h.entry, 'status', h.status, 'actor'," \
    " h.actor, 'at', h.at, 'note', h.note, 'photos', h.photos) ORDER BY h.at, h.seq) FROM"         \
    " (SELECT 0 AS seq, 'status' AS entry, 'open' AS status,"                                      \
    " coalesce((SELECT " INSPECT_REPORTER " FROM onsite_reports o " INSPECT_REPORTER_JOIN          \
    " WHERE o.violation_id = v.id ORDER BY o.id LIMIT 1), 'platform') AS actor,"                   \
    " v.detected_at AS at, NULL AS note, (SELECT json_build_array(o.photo_id) FROM"                \
    " onsite_reports o WHERE o.violation_id = v.id AND o.photo_id IS NOT NULL ORDER BY o.id"       \
    " LIMIT 1) AS photos UNION ALL SELECT ve.id, ve.entry,"                                        \
    " ve.status, ve.actor, ve.at, ve.note, (SELECT json_agg(vp.photo_id ORDER BY vp.photo_id)"     \
    " FROM violation_event_photos vp WHERE vp.event_id = ve.id)"                                   \
    " FROM violation_events ve WHERE ve.violation_id = v.id) h)"

#define INSPECT_FROM                                                                               \
    " FROM violations v LEFT JOIN machines m ON m.id = v.machine_id"                               \
    " LEFT JOIN welders w ON w.id = v.welder_id"

/* $1 id, $2 community, $3 enterprise, $4 machine, $5 chip, $6 welder, $7 kind, $8 status,
 * $9 from day, $10 to day, $11 before, $12 after, $13 limit, $14 scope, $15 overdue only. */
#define INSPECT_WHERE                                                                              \
    " WHERE ($1 = 0 OR v.id = $1) AND ($2 = 0 OR v.community_id = $2)"                             \
    " AND ($3 = 0 OR v.enterprise_id = $3) AND ($4 = 0 OR v.machine_id = $4)"                      \
    " AND ($5 = '' OR m.chip_id = $5) AND ($6 = 0 OR v.welder_id = $6)"                            \
    " AND ($7 = '' OR v.kind = $7) AND ($8 = '' OR v.status = $8)"                                 \
    " AND ($9 = '' OR v.occurred_at >= ($9::date::timestamp AT TIME ZONE 'Asia/Shanghai'))"        \
    " AND ($10 = '' OR v.occurred_at < (($10::date + 1)::timestamp AT TIME ZONE"                   \
    " 'Asia/Shanghai')) AND ($11 = 0 OR v.id < $11) AND v.id > $12"                                \
    " AND " INSPECT_SCOPE("v.community_id", "14") " AND (NOT $15 OR " INSPECT_OVERDUE ")"

static const char INSPECT_SQL_ONE[] =
    "SELECT (jsonb_build_object(" INSPECT_HISTORY ") || " INSPECT_VIOLATION
    "::jsonb)::text" INSPECT_FROM INSPECT_WHERE;

static const char INSPECT_SQL_NEWEST[] =
    "SELECT json_build_object('items', coalesce(json_agg(x.j ORDER BY x.id DESC), '[]'),"
    " 'next', CASE WHEN count(*) = $13 THEN min(x.id) END)::text FROM (SELECT "
    "v.id, " INSPECT_VIOLATION " AS j" INSPECT_FROM INSPECT_WHERE
    " ORDER BY v.id DESC LIMIT $13) x";

static const char INSPECT_SQL_OLDEST[] =
    "SELECT json_build_object('items', coalesce(json_agg(x.j ORDER BY x.id), '[]'),"
    " 'next', CASE WHEN count(*) = $13 THEN max(x.id) END)::text FROM (SELECT "
    "v.id, " INSPECT_VIOLATION " AS j" INSPECT_FROM INSPECT_WHERE " ORDER BY v.id LIMIT $13) x";

void store_inspect_violations(store *st, const violation_query *q, admin_outcome *out)
{
    memset(out, 0, sizeof(*out));
    static const Oid types[] = {QUERY_OID_INT8, QUERY_OID_INT8, QUERY_OID_INT8, QUERY_OID_INT8,
                                QUERY_OID_TEXT, QUERY_OID_INT8, QUERY_OID_TEXT, QUERY_OID_TEXT,
                                QUERY_OID_TEXT, QUERY_OID_TEXT, QUERY_OID_INT8, QUERY_OID_INT8,
                                QUERY_OID_INT8, QUERY_OID_INT8, QUERY_OID_BOOL};
    query_params p = {0};
    qp_int(&p, q->id);
    qp_int(&p, q->community_id);
    qp_int(&p, q->enterprise_id);
    qp_int(&p, q->machine_id);
    qp_text(&p, q->chip);
    qp_int(&p, q->welder_id);
    qp_text(&p, q->kind);
    qp_text(&p, q->status);
    qp_text(&p, q->from);
    qp_text(&p, q->to);
    qp_int(&p, q->before);
    qp_int(&p, q->after);
    qp_int(&p, q->id ? 1 : q->limit);
    qp_int(&p, q->scope);
    qp_bool(&p, q->overdue);
    const char *sql = q->id          ? INSPECT_SQL_ONE
                      : q->ascending ? INSPECT_SQL_OLDEST
                                     : INSPECT_SQL_NEWEST;
    query_run(st, sql, &p, types, true, out);
}

/* $1 id, $2 new status, $3 the states it may come from, $4 note, $5 scope, $6 photo (0: none). */
static const char INSPECT_SQL_STEP[] =
    "WITH o AS (SELECT status FROM violations WHERE id = $1),"
    " u AS (UPDATE violations v SET status = $2 WHERE v.id = $1 AND v.status = ANY($3::text[])"
    "  AND ($2 <> 'resolved' OR EXISTS (SELECT 1 FROM violation_events x"
    "  WHERE x.violation_id = v.id AND x.entry = 'evidence'))"
    "  AND " INSPECT_SCOPE(
        "v.community_id",
        "5") " RETURNING v.id, v.status),"
             " e AS (INSERT INTO violation_events (violation_id, status, actor, note)"
             "  SELECT id, status, weldreg_actor(), nullif($4, '') FROM u RETURNING id),"
             " p AS (INSERT INTO violation_event_photos (event_id, photo_id)"
             "  SELECT e.id, $6::bigint FROM e WHERE $6::bigint <> 0),"
             " a AS (" AUDIT_INSERT "SELECT weldreg_actor(), 'violation.' || u.status,"
             "  'violation', u.id::text, jsonb_build_object('status', (SELECT status FROM o)),"
             "  jsonb_build_object('status', u.status, 'note', nullif($4, ''), 'photo_id',"
             "  nullif($6::bigint, 0)) FROM u)"
             " SELECT id::text FROM u";

static const char INSPECT_SQL_STATUS[] =
    "SELECT v.status FROM violations v WHERE v.id = $1 AND " INSPECT_SCOPE("v.community_id", "2");

/* After a change that found nothing: the status of violation @p id in scope into @p current
 * ("" when there is none), unless @p out failed. */
static void inspect_current_status(store *st, int64_t id, int64_t scope, admin_outcome *out,
                                   char current[16])
{
    if (out->status != STORE_OK)
        return;
    admin_outcome now = {0};
    query_params q = {0};
    qp_int(&q, id);
    qp_int(&q, scope);
    if (query_run(st, INSPECT_SQL_STATUS, &q, NULL, true, &now))
        snprintf(current, 16, "%s", now.json);
    out->status = now.status;
    admin_outcome_deinit(&now);
}

/* "{a,b}" of @p names (simple lower-case words: no quoting needed) into @p out. */
static void inspect_text_array(const char *const *names, int n, char *out, size_t cap)
{
    size_t used = (size_t)snprintf(out, cap, "{");
    for (int i = 0; i < n && used < cap; i++)
        used += (size_t)snprintf(out + used, cap - used, "%s%s", i ? "," : "", names[i]);
    if (used < cap)
        snprintf(out + used, cap - used, "}");
}

void store_inspect_step(store *st, const char *actor, int64_t scope, int64_t id, const char *to,
                        const char *const *from, int nfrom, const char *note, int64_t photo_id,
                        admin_outcome *out, char current[16])
{
    char states[128];
    inspect_text_array(from, nfrom, states, sizeof(states));
    query_params p = {0};
    qp_int(&p, id);
    qp_text(&p, to);
    qp_text(&p, states);
    qp_text(&p, note);
    qp_int(&p, scope);
    qp_int(&p, photo_id);
    current[0] = '\0';
    query_begin(st, actor, out);
    query_run(st, INSPECT_SQL_STEP, &p, NULL, true, out);
    if (out->status == STORE_OK && !out->not_found && out->json) {
        out->id = id;
        query_finish(st, out);
        return;
    }
    query_finish(st, out);
    inspect_current_status(st, id, scope, out, current);
}

/* $1 id, $2 entry, $3 note, $4 scope, $5 photo (0: none). */
static const char INSPECT_SQL_NOTE[] =
    "WITH e AS (INSERT INTO violation_events (violation_id, status, actor, note, entry)"
    "  SELECT v.id, v.status, weldreg_actor(), $3, $2 FROM violations v WHERE v.id = $1"
    "  AND v.status IN ('open', 'acknowledged') AND " INSPECT_SCOPE(
        "v.community_id", "4") "  RETURNING *),"
                               " p AS (INSERT INTO violation_event_photos (event_id, photo_id)"
                               "  SELECT e.id, $5::bigint FROM e WHERE $5::bigint <> 0),"
                               " a AS (" AUDIT_INSERT
                               "SELECT weldreg_actor(), 'violation.' || e.entry, 'violation',"
                               "  e.violation_id::text, NULL, jsonb_build_object('entry', e.entry, "
                               "'note', e.note, 'photo_id', nullif($5::bigint, 0)) FROM e)"
                               " SELECT violation_id::text FROM e";

void store_inspect_note(store *st, const char *actor, int64_t scope, int64_t id, const char *entry,
                        const char *note, int64_t photo_id, admin_outcome *out, char current[16])
{
    query_params p = {0};
    qp_int(&p, id);
    qp_text(&p, entry);
    qp_text(&p, note);
    qp_int(&p, scope);
    qp_int(&p, photo_id);
    current[0] = '\0';
    query_begin(st, actor, out);
    query_run(st, INSPECT_SQL_NOTE, &p, NULL, true, out);
    if (out->status == STORE_OK && !out->not_found && out->json) {
        out->id = id;
        query_finish(st, out);
        return;
    }
    query_finish(st, out);
    inspect_current_status(st, id, scope, out, current);
}

/* Overdue rectifications per community or per enterprise ($1 'community' or 'enterprise'),
 * of community $2 (0: all) within scope $3. A violation with no enterprise (an unregistered
 * machine, a finding without one) is a row of its own (id null) per enterprise. */
static const char INSPECT_SQL_OVERDUE[] =
    "SELECT json_build_object('by', $1, 'total', coalesce(sum(x.overdue), 0), 'items',"
    " coalesce(json_agg(json_build_object('id', x.id, 'name', x.name, 'community_id', x.cid,"
    " 'overdue', x.overdue, 'oldest_rectify_by', x.oldest) ORDER BY x.overdue DESC, x.id), '[]'))"
    "::text FROM (SELECT CASE WHEN $1 = 'enterprise' THEN e.id ELSE c.id END AS id,"
    " CASE WHEN $1 = 'enterprise' THEN e.name ELSE c.name END AS name,"
    " CASE WHEN $1 = 'enterprise' THEN e.community_id ELSE c.id END AS cid,"
    " count(*) AS overdue, min(v.rectify_by) AS oldest FROM violations v"
    " JOIN communities c ON c.id = v.community_id LEFT JOIN enterprises e ON e.id = v.enterprise_id"
    " WHERE " INSPECT_OVERDUE " AND ($2 = 0 OR v.community_id = $2)"
    " AND " INSPECT_SCOPE("v.community_id", "3") " GROUP BY 1, 2, 3) x";

void store_inspect_overdue(store *st, const char *by, int64_t community_id, int64_t scope,
                           admin_outcome *out)
{
    memset(out, 0, sizeof(*out));
    static const Oid types[] = {QUERY_OID_TEXT, QUERY_OID_INT8, QUERY_OID_INT8};
    query_params p = {0};
    qp_text(&p, by);
    qp_int(&p, community_id);
    qp_int(&p, scope);
    query_run(st, INSPECT_SQL_OVERDUE, &p, types, true, out);
}

/* $1 chip, $2 community, $3 scope. */
static const char INSPECT_SQL_PLACE[] =
    "SELECT concat_ws(' ', m.id, m.enterprise_id, c.id, " INSPECT_SCOPE(
        "c.id", "3") ")"
                     " FROM communities c LEFT JOIN machines m ON $1 <> '' AND m.chip_id = $1"
                     " LEFT JOIN enterprises e ON e.id = m.enterprise_id"
                     " WHERE c.id = coalesce(e.community_id, $2) ORDER BY m.id NULLS LAST LIMIT 1";

void store_inspect_place(store *st, const char *chip, int64_t community_id, int64_t scope,
                         onsite_place *place, admin_outcome *out)
{
    memset(out, 0, sizeof(*out));
    memset(place, 0, sizeof(*place));
    static const Oid types[] = {QUERY_OID_TEXT, QUERY_OID_INT8, QUERY_OID_INT8};
    query_params p = {0};
    qp_text(&p, chip);
    qp_int(&p, community_id);
    qp_int(&p, scope);
    if (!query_run(st, INSPECT_SQL_PLACE, &p, types, true, out))
        return;
    long long machine = 0, enterprise = 0, community = 0;
    char in_scope = 'f';
    /* "<machine> <enterprise> <community> <t|f>", or "<community> <t|f>" without a machine */
    /* NOLINTNEXTLINE(cert-err34-c): text that our own statement formatted */
    if (sscanf(out->json, "%lld %lld %lld %c", &machine, &enterprise, &community, &in_scope) != 4) {
        machine = enterprise = 0;
        /* NOLINTNEXTLINE(cert-err34-c): text that our own statement formatted */
        sscanf(out->json, "%lld %c", &community, &in_scope);
    }
    place->machine_id = machine;
    place->enterprise_id = enterprise;
    place->community_id = community;
    place->in_scope = in_scope == 't';
    admin_outcome_deinit(out);
}

static const char INSPECT_SQL_COMMUNITIES[] =
    "SELECT coalesce(json_agg(json_build_object('id', c.id, 'name', c.name, 'district',"
    " c.district) ORDER BY c.name, c.id), '[]')::text FROM communities c"
    " WHERE " INSPECT_SCOPE("c.id", "1");

void store_inspect_communities(store *st, int64_t scope, admin_outcome *out)
{
    memset(out, 0, sizeof(*out));
    static const Oid types[] = {QUERY_OID_INT8};
    query_params p = {0};
    qp_int(&p, scope);
    query_run(st, INSPECT_SQL_COMMUNITIES, &p, types, true, out);
}

/* $1 kind, $2 violation kind, $3 severity, $4 chip, $5 machine, $6 enterprise, $7 community,
 * $8 observed at, $9 lat, $10 lon, $11 site address, $12 note, $13 details, $14 principal,
 * $15 web account (0: none). */
static const char INSPECT_SQL_REPORT[] =
    "WITH v AS (INSERT INTO violations (kind, severity, community_id, enterprise_id, machine_id,"
    "  occurred_at, lat, lon, details) VALUES ($2, $3, $7, nullif($6, 0), nullif($5, 0),"
    "  coalesce(to_timestamp(nullif($8, 0)), now()), $9, $10, $13::jsonb ||"
    "  jsonb_strip_nulls(jsonb_build_object('chip_id', nullif($4, '')))) RETURNING *),"
    " r AS (INSERT INTO onsite_reports (principal_id, account_id, kind, community_id,"
    "  enterprise_id, machine_id, violation_id, observed_at, site_address, lat, lon, note, details,"
    "  photo_id) SELECT nullif($14, 0), nullif($15, 0), $1, community_id, enterprise_id,"
    "  machine_id, id, occurred_at, nullif($11, ''), lat, lon, $12, $13::jsonb, nullif($16, 0)"
    "  FROM v RETURNING *),"
    " a AS (" AUDIT_INSERT "SELECT weldreg_actor(), 'report.create', 'onsite_report',"
    "  r.id::text, NULL, to_jsonb(r) FROM r)"
    " SELECT json_build_object('id', r.id, 'violation_id', r.violation_id)::text FROM r";

void store_inspect_report(store *st, const char *actor, const onsite_report *r, admin_outcome *out)
{
    static const Oid types[] = {QUERY_OID_TEXT,
                                QUERY_OID_TEXT,
                                QUERY_OID_TEXT,
                                QUERY_OID_TEXT,
                                QUERY_OID_INT8,
                                QUERY_OID_INT8,
                                QUERY_OID_INT8,
                                QUERY_OID_INT8,
                                0,
                                0,
                                0,
                                0,
                                0,
                                QUERY_OID_INT8,
                                QUERY_OID_INT8,
                                QUERY_OID_INT8};
    query_params p = {0};
    qp_text(&p, r->kind);
    qp_text(&p, r->violation_kind);
    qp_text(&p, r->severity);
    qp_text(&p, r->chip);
    qp_int(&p, r->place.machine_id);
    qp_int(&p, r->place.enterprise_id);
    qp_int(&p, r->place.community_id);
    qp_int(&p, r->observed_at);
    qp_position(&p, r->has_position, r->lat, r->lon);
    qp_text(&p, r->site_address);
    qp_text(&p, r->note);
    qp_text(&p, r->details);
    qp_int(&p, r->principal_id);
    qp_int(&p, r->account_id);
    qp_int(&p, r->photo_id);
    query_begin(st, actor, out);
    long long id = 0;
    if (query_run(st, INSPECT_SQL_REPORT, &p, types, true, out) &&
        /* NOLINTNEXTLINE(cert-err34-c): text that our own statement formatted */
        sscanf(out->json, "{\"id\" : %lld", &id) == 1)
        out->id = id;
    query_finish(st, out);
}
