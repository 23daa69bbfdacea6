/* store_enterprise.c — an enterprise's own reads and changes for the web (issue 17). Every
 * statement names the enterprise as $1, so a row of another enterprise is never read or
 * written, whatever id a form carries. */
#include "server/db/store_enterprise.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/db/store_query.h"

/* The welders of enterprise $1: employed today (welder_employments) or named on one of its
 * approved permits, as the counts see them (store_counts.c). */
#define ENT_WELDER_IDS                                                                             \
    "(SELECT em.welder_id FROM welder_employments em WHERE em.enterprise_id = $1::bigint"          \
    " AND em.since <= (now() AT TIME ZONE 'Asia/Shanghai')::date AND (em.until IS NULL"            \
    " OR em.until >= (now() AT TIME ZONE 'Asia/Shanghai')::date)"                                  \
    " UNION SELECT pw.welder_id FROM permit_welders pw JOIN permits p ON p.id = pw.permit_id"      \
    " WHERE p.enterprise_id = $1::bigint AND p.status = 'approved')"

/* Runs @p sql and hands each row to @p each; the number of rows, or -1. */
static int ent_rows(store *st, const char *sql, const query_params *p, store_ent_row_fn each,
                    void *arg)
{
    PGresult *res = PQexecParams(st->conn, sql, p->n, NULL, p->values, p->lengths, p->formats, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        PQclear(res);
        return -1;
    }
    int rows = PQntuples(res), cols = PQnfields(res);
    const char *cell[16];
    if (cols > 16)
        cols = 16;
    for (int i = 0; i < rows; i++) {
        for (int c = 0; c < cols; c++)
            cell[c] = PQgetvalue(res, i, c);
        each(arg, cell, cols);
    }
    PQclear(res);
    return rows;
}

/* The rows of @p sql for enterprise $1, at most STORE_ENT_ROWS_MAX ($2). */
static int ent_list(store *st, const char *sql, int64_t enterprise_id, store_ent_row_fn each,
                    void *arg)
{
    query_params p = {0};
    qp_int(&p, enterprise_id);
    qp_int(&p, STORE_ENT_ROWS_MAX);
    return ent_rows(st, sql, &p, each, arg);
}

/* "{1,2,3}" */
static void ent_id_array(const int64_t *ids, size_t n, char *out, size_t cap)
{
    size_t len = (size_t)snprintf(out, cap, "{");
    for (size_t i = 0; i < n && len + 24 < cap; i++)
        len += (size_t)snprintf(out + len, cap - len, "%s%" PRId64, i ? "," : "", ids[i]);
    snprintf(out + len, cap - len, "}");
}

/* The first cell of the first row of @p sql (its arg the destination buffer). */
typedef struct ent_first_cell {
    char *out;
    size_t cap;
} ent_first_cell;

static void ent_copy_first(void *arg, const char *const *cell, int n)
{
    ent_first_cell *f = arg;
    if (n > 0 && f->out)
        snprintf(f->out, f->cap, "%s", cell[0]);
    f->out = NULL; /* the first row only */
}

/* Whether @p sql finds a row (its first cell into @p out when not NULL): 1, 0, -1. */
static int ent_first(store *st, const char *sql, const query_params *p, char *out, size_t cap)
{
    ent_first_cell f = {out, cap};
    int n = ent_rows(st, sql, p, ent_copy_first, &f);
    return n < 0 ? -1 : n > 0;
}

int store_ent_name(store *st, int64_t enterprise_id, char *name, size_t cap)
{
    query_params p = {0};
    qp_int(&p, enterprise_id);
    return ent_first(st, "SELECT name FROM enterprises WHERE id = $1::bigint", &p, name, cap);
}

int store_ent_welders(store *st, int64_t enterprise_id, store_ent_row_fn each, void *arg)
{
    static const char sql[] =
        "WITH d AS (SELECT (now() AT TIME ZONE 'Asia/Shanghai')::date AS today)"
        " SELECT w.id, weldreg_mask_name(w.name), w.licence_no_masked,"
        " weldreg_licence_state(w.licence_status, w.licence_valid_until, w.licence_review_due,"
        " now()), w.licence_valid_until, w.licence_review_due,"
        " EXISTS (SELECT 1 FROM welder_trainings t WHERE t.welder_id = w.id"
        " AND t.completed_on <= d.today AND t.valid_until >= d.today),"
        " EXISTS (SELECT 1 FROM codes c WHERE c.welder_id = w.id AND c.revoked_at IS NULL"
        " AND c.expires_at > now() AND c.text IS NOT NULL)"
        " FROM welders w, d WHERE w.status = 'active' AND w.id IN " ENT_WELDER_IDS
        " ORDER BY w.id LIMIT $2::integer";
    return ent_list(st, sql, enterprise_id, each, arg);
}

int store_ent_codes(store *st, int64_t enterprise_id, store_ent_row_fn each, void *arg)
{
    static const char sql[] =
        "SELECT c.kind, coalesce(c.machine_id, c.welder_id), coalesce(m.chip_id,"
        " weldreg_mask_name(w.name)), CASE WHEN c.revoked_at IS NOT NULL THEN 'revoked'"
        " WHEN c.expires_at <= now() THEN 'expired' ELSE 'active' END,"
        " to_char(c.issued_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD'),"
        " to_char(c.expires_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD'), c.text IS NOT NULL"
        " FROM codes c LEFT JOIN machines m ON m.id = c.machine_id"
        " LEFT JOIN welders w ON w.id = c.welder_id"
        " WHERE m.enterprise_id = $1::bigint OR c.welder_id IN " ENT_WELDER_IDS
        " ORDER BY c.expires_at, c.issued_at LIMIT $2::integer";
    return ent_list(st, sql, enterprise_id, each, arg);
}

int store_ent_label_codes(store *st, int64_t enterprise_id, const int64_t *machines, size_t nm,
                          const int64_t *welders, size_t nw, store_ent_row_fn each, void *arg)
{
    static const char sql[] =
        "SELECT DISTINCT ON (c.kind, coalesce(c.machine_id, c.welder_id)) c.kind, c.text"
        " FROM codes c LEFT JOIN machines m ON m.id = c.machine_id"
        " WHERE c.revoked_at IS NULL AND c.expires_at > now() AND c.text IS NOT NULL"
        " AND ((c.machine_id = ANY ($2::bigint[]) AND m.enterprise_id = $1::bigint)"
        " OR (c.welder_id = ANY ($3::bigint[]) AND c.welder_id IN " ENT_WELDER_IDS "))"
        " ORDER BY c.kind, coalesce(c.machine_id, c.welder_id), c.issued_at DESC";
    char ms[STORE_ENT_PICK_MAX * 22 + 4], ws[STORE_ENT_PICK_MAX * 22 + 4];
    ent_id_array(machines, nm, ms, sizeof(ms));
    ent_id_array(welders, nw, ws, sizeof(ws));
    query_params p = {0};
    qp_int(&p, enterprise_id);
    qp_text(&p, ms);
    qp_text(&p, ws);
    return ent_rows(st, sql, &p, each, arg);
}

int store_ent_permits(store *st, int64_t enterprise_id, store_ent_row_fn each, void *arg)
{
    static const char sql[] =
        "SELECT p.id, p.permit_no, p.level, p.site_address,"
        " to_char(p.starts_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI'),"
        " to_char(p.ends_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI'),"
        " p.status, p.fire_watch, coalesce(ap.login, ''), coalesce(dp.login, ''),"
        " coalesce(p.decision_note, ''),"
        " (SELECT string_agg(weldreg_mask_name(w.name), ', ' ORDER BY w.id) FROM permit_welders"
        " pw JOIN welders w ON w.id = pw.welder_id WHERE pw.permit_id = p.id),"
        " coalesce(p.applied_by, 0)"
        " FROM permits p LEFT JOIN accounts ap ON ap.id = p.applied_by"
        " LEFT JOIN accounts dp ON dp.id = p.decided_by"
        " WHERE p.enterprise_id = $1::bigint ORDER BY p.id DESC LIMIT $2::integer";
    return ent_list(st, sql, enterprise_id, each, arg);
}

/* Runs the change @p sql answering an id as the whole transaction of @p actor: 1 with the id,
 * 0 when it changed nothing, -1. */
static int ent_change(store *st, const char *actor, const char *sql, const query_params *p,
                      int64_t *id)
{
    admin_outcome out;
    query_begin(st, actor, &out);
    query_run(st, sql, p, NULL, true, &out);
    int rc = out.status != STORE_OK ? -1 : out.not_found ? 0 : 1;
    if (rc == 1 && id)
        *id = strtoll(out.json, NULL, 10);
    query_finish(st, &out);
    admin_outcome_deinit(&out);
    return rc;
}

int store_ent_apply(store *st, const char *actor, int64_t account_id, int64_t enterprise_id,
                    const store_permit_application *a, int64_t *id)
{
    static const char sql[] =
        "WITH n AS (SELECT nextval(pg_get_serial_sequence('permits', 'id')) AS id),"
        " ok AS (SELECT (SELECT count(*) FROM welders w WHERE w.id = ANY ($8::bigint[])"
        "  AND w.status = 'active' AND weldreg_licence_state(w.licence_status,"
        "  w.licence_valid_until, w.licence_review_due, to_timestamp($6::bigint))"
        "  IN ('valid', 'expiring') AND w.id IN " ENT_WELDER_IDS ") = cardinality($8::bigint[])"
        "  AND (SELECT count(*) FROM machines m WHERE m.id = ANY ($9::bigint[])"
        "  AND m.enterprise_id = $1::bigint AND m.status <> 'scrapped')"
        "  = cardinality($9::bigint[]) AS yes),"
        " new AS (INSERT INTO permits (id, permit_no, level, enterprise_id, site_address,"
        "  site_lat, site_lon, starts_at, ends_at, fire_watch, status, all_machines, applied_by)"
        "  SELECT n.id, 'DH-' || $1::bigint || '-' || n.id, $2::text, $1::bigint, $3::text,"
        "  $4::double precision, $5::double precision, to_timestamp($6::bigint),"
        "  to_timestamp($7::bigint), $10::text, 'applied', cardinality($9::bigint[]) = 0,"
        "  $11::bigint FROM n, ok WHERE ok.yes RETURNING *),"
        " w AS (INSERT INTO permit_welders (permit_id, welder_id)"
        "  SELECT new.id, unnest($8::bigint[]) FROM new),"
        " m AS (INSERT INTO permit_machines (permit_id, machine_id)"
        "  SELECT new.id, unnest($9::bigint[]) FROM new),"
        " a AS (" AUDIT_INSERT "SELECT weldreg_actor(), 'permit.apply', 'permit', id::text,"
        "  NULL, to_jsonb(new) || jsonb_build_object('welders', $8::bigint[], 'machines',"
        "  $9::bigint[]) FROM new)"
        " SELECT id::text FROM new";
    char ws[STORE_ENT_PICK_MAX * 22 + 4], ms[STORE_ENT_PICK_MAX * 22 + 4];
    if (a->welder_count > STORE_ENT_PICK_MAX || a->machine_count > STORE_ENT_PICK_MAX)
        return 0;
    ent_id_array(a->welders, a->welder_count, ws, sizeof(ws));
    ent_id_array(a->machines, a->machine_count, ms, sizeof(ms));
    query_params p = {0};
    qp_int(&p, enterprise_id);
    qp_text(&p, permit_level_name(a->level));
    qp_text(&p, a->site_address);
    qp_double(&p, a->lat);
    qp_double(&p, a->lon);
    qp_int(&p, a->starts_at);
    qp_int(&p, a->ends_at);
    qp_text(&p, ws);
    qp_text(&p, ms);
    qp_text(&p, a->fire_watch);
    qp_int(&p, account_id);
    return ent_change(st, actor, sql, &p, id);
}

/* Fills a store_ent_approval from its row. */
static void ent_copy_approval(void *arg, const char *const *cell, int n)
{
    store_ent_approval *out = arg;
    if (n < 5)
        return;
    snprintf(out->level, sizeof(out->level), "%s", cell[0]);
    out->starts_at = strtoll(cell[1], NULL, 10);
    out->day_listed = cell[2][0] == 't';
    out->day_rest = cell[3][0] == 't';
    snprintf(out->signing_level, sizeof(out->signing_level), "%s", cell[4]);
}

int store_ent_holiday(store *st, int64_t t, bool *rest)
{
    query_params p = {0};
    qp_int(&p, t);
    char cell[8] = "";
    int rc = ent_first(st,
                       "SELECT rest FROM holidays WHERE day ="
                       " (to_timestamp($1::bigint) AT TIME ZONE 'Asia/Shanghai')::date",
                       &p, cell, sizeof(cell));
    *rest = cell[0] == 't';
    return rc;
}

int store_ent_approval_get(store *st, int64_t enterprise_id, int64_t id, int64_t account_id,
                           store_ent_approval *out)
{
    static const char sql[] =
        "SELECT p.level, extract(epoch FROM p.starts_at)::bigint, h.day IS NOT NULL,"
        " coalesce(h.rest, false), coalesce(a.signing_level, '')"
        " FROM permits p JOIN accounts a ON a.id = $3::bigint"
        " LEFT JOIN holidays h ON h.day = (p.starts_at AT TIME ZONE 'Asia/Shanghai')::date"
        " WHERE p.id = $2::bigint AND p.enterprise_id = $1::bigint AND p.status = 'applied'";
    query_params p = {0};
    qp_int(&p, enterprise_id);
    qp_int(&p, id);
    qp_int(&p, account_id);
    memset(out, 0, sizeof(*out));
    int n = ent_rows(st, sql, &p, ent_copy_approval, out);
    return n < 0 ? -1 : n > 0;
}

int store_ent_decide(store *st, const char *actor, int64_t account_id, const char *approver,
                     int64_t enterprise_id, const store_ent_decision *d)
{
    /* an approval stands only for the level and start the approver's level was checked for */
    static const char sql[] =
        "WITH d AS (UPDATE permits SET status = CASE WHEN $4::boolean THEN 'approved'"
        "  ELSE 'rejected' END, approver = CASE WHEN $4::boolean THEN $5::text ELSE approver"
        "  END, approver_level = CASE WHEN $4::boolean THEN NULLIF($7, '') ELSE approver_level"
        "  END, decided_by = $3::bigint, decided_at = now(), decision_note = NULLIF($6::text, '')"
        "  WHERE id = $2::bigint AND enterprise_id = $1::bigint AND status = 'applied'"
        "  AND applied_by IS DISTINCT FROM $3::bigint AND (NOT $4::boolean OR (level = $8"
        "  AND extract(epoch FROM starts_at)::bigint = $9::bigint)) RETURNING *),"
        " a AS (" AUDIT_INSERT "SELECT weldreg_actor(), CASE WHEN $4::boolean THEN"
        "  'permit.approve' ELSE 'permit.reject' END, 'permit', id::text,"
        "  jsonb_build_object('status', 'applied'), jsonb_build_object('status', d.status,"
        "  'approver', d.approver, 'approver_level', d.approver_level, 'decided_by',"
        "  d.decided_by, 'note', d.decision_note) FROM d)"
        " SELECT id::text FROM d";
    const store_ent_approval *ap = d->approval;
    query_params p = {0};
    qp_int(&p, enterprise_id);
    qp_int(&p, d->id);
    qp_int(&p, account_id);
    qp_bool(&p, ap != NULL);
    qp_text(&p, approver);
    qp_text(&p, d->note ? d->note : "");
    qp_text(&p, ap ? ap->signing_level : "");
    qp_text(&p, ap ? ap->level : "");
    qp_int(&p, ap ? ap->starts_at : 0);
    return ent_change(st, actor, sql, &p, NULL);
}

int store_ent_permit_approved(store *st, int64_t enterprise_id, int64_t id)
{
    query_params p = {0};
    qp_int(&p, enterprise_id);
    qp_int(&p, id);
    return ent_first(st,
                     "SELECT id FROM permits WHERE enterprise_id = $1::bigint AND id = $2::bigint"
                     " AND status = 'approved'",
                     &p, NULL, 0);
}

int store_ent_violations(store *st, int64_t enterprise_id, store_ent_row_fn each, void *arg)
{
    static const char sql[] =
        "SELECT v.id, v.kind, v.severity, v.status,"
        " to_char(v.occurred_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI'),"
        " coalesce(to_char(v.rectify_by AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD'), ''),"
        " (v.status IN ('open', 'acknowledged') AND v.rectify_by < now()),"
        " coalesce(m.chip_id, ''), coalesce((SELECT e.note FROM violation_events e"
        " WHERE e.violation_id = v.id AND e.entry = 'evidence' ORDER BY e.id DESC LIMIT 1), ''),"
        " coalesce((SELECT p.photo_id FROM violation_events e JOIN violation_event_photos p"
        " ON p.event_id = e.id WHERE e.violation_id = v.id ORDER BY e.id DESC LIMIT 1), 0)"
        " FROM violations v LEFT JOIN machines m ON m.id = v.machine_id"
        " WHERE v.enterprise_id = $1::bigint ORDER BY v.id DESC LIMIT $2::integer";
    return ent_list(st, sql, enterprise_id, each, arg);
}

int store_ent_submit_fix(store *st, const char *actor, int64_t account_id, int64_t enterprise_id,
                         int64_t id, const char *note, int64_t photo_id)
{
    static const char sql[] =
        "WITH ph AS (SELECT id FROM photos WHERE id = $4::bigint AND account_id = $3::bigint),"
        " e AS (INSERT INTO violation_events (violation_id, status, actor, note, entry)"
        "  SELECT v.id, v.status, weldreg_actor(), $5::text, 'evidence' FROM violations v, ph"
        "  WHERE v.id = $2::bigint AND v.enterprise_id = $1::bigint"
        "  AND v.status IN ('open', 'acknowledged') RETURNING *),"
        " l AS (INSERT INTO violation_event_photos (event_id, photo_id) SELECT e.id, ph.id"
        "  FROM e, ph),"
        " a AS (" AUDIT_INSERT "SELECT weldreg_actor(), 'violation.evidence', 'violation',"
        "  e.violation_id::text, NULL, jsonb_build_object('entry', e.entry, 'note', e.note,"
        "  'photo_id', $4::bigint) FROM e)"
        " SELECT violation_id::text FROM e";
    query_params p = {0};
    qp_int(&p, enterprise_id);
    qp_int(&p, id);
    qp_int(&p, account_id);
    qp_int(&p, photo_id);
    qp_text(&p, note);
    return ent_change(st, actor, sql, &p, NULL);
}
