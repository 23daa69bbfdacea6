/* store_checkins.c — makes check-ins durable: one pipelined transaction per batch, all or
 * nothing. The common records go into one multi-row statement (store_checkins_bulk.c); a record
 * that opens or closes a work session, and a sweep, is one statement of its own that also
 * opens, touches or closes the session and records its violations, only if the (chip, seq) is
 * new. */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/db/store.h"
#include "server/db/store_internal.h"

/* A session of the machine is closed before a new one opens (a new approved scan). */
static const char STORE_SQL_CLOSE_SESSION[] =
    "UPDATE work_sessions SET closed_at = greatest(opened_at, to_timestamp($2)),"
    " close_reason = $3 WHERE id = $1 AND closed_at IS NULL"
    " AND NOT EXISTS (SELECT 1 FROM checkin_keys WHERE chip_id = $4 AND seq = $5)";

/* $1 chip, $2 seq, $3 ev, $4 the chip's ts, $5 lat, $6 lon, $7 amp, $8 body hash, $9 ok,
 * $10 reasons, $11 unlock until, $12 late, $13 skew, $14 machine, $15 welder, $16 permit,
 * $17 session op, $18 session, $19 community, $20 enterprise, $21 violation kinds,
 * $22 severities, $23 cti, $24 close reason, $25 the event's time (sessions, violations),
 * $26 the violations' details by kind (a JSON object, or NULL). */
static const char STORE_SQL_CHECKIN[] =
    "WITH fresh AS (SELECT NOT EXISTS (SELECT 1 FROM checkin_keys WHERE chip_id = $1 AND seq = $2)"
    "  AS yes),"
    " s AS (INSERT INTO work_sessions (machine_id, welder_id, permit_id, opened_at, until,"
    "  last_seen_at) SELECT $14, $15, $16, to_timestamp($25), to_timestamp($11), to_timestamp($25)"
    "  FROM fresh WHERE yes AND $17 = 'open' RETURNING id),"
    " ins AS (INSERT INTO checkins (chip_id, machine_id, seq, ev, device_ts, lat, lon, amp,"
    "  body_hash, ok, reasons, unlock_until, late, skew_s, welder_id, session_id, code_cti)"
    "  SELECT $1, $14, $2, $3, to_timestamp($4), $5, $6, $7, $8, $9, $10::text[],"
    "  to_timestamp($11), $12, $13, $15, coalesce((SELECT id FROM s), $18), $23"
    "  FROM fresh WHERE yes RETURNING id, session_id),"
    " t AS (UPDATE work_sessions SET last_seen_at = greatest(last_seen_at, to_timestamp($25)),"
    "  closed_at = CASE WHEN $17 = 'close' THEN greatest(opened_at, to_timestamp($25)) END,"
    "  close_reason = CASE WHEN $17 = 'close' THEN $24 END"
    "  WHERE id = $18 AND $17 IN ('touch', 'close', 'resume') AND EXISTS (SELECT 1 FROM ins)"
    "  AND (closed_at IS NULL OR ($17 = 'resume' AND close_reason = 'heartbeat_lost'"
    "  AND NOT EXISTS (SELECT 1 FROM work_sessions o WHERE o.closed_at IS NULL"
    "  AND (o.machine_id = $14 OR o.welder_id = $15)))) RETURNING id),"
    " d AS (UPDATE violations SET status = 'dismissed' WHERE $17 = 'resume'"
    "  AND kind = 'heartbeat_lost' AND checkin_id IS NULL AND status = 'open'"
    "  AND details->>'session_id' = $18::text AND EXISTS (SELECT 1 FROM t) RETURNING id),"
    " de AS (INSERT INTO violation_events (violation_id, status, actor, note)"
    "  SELECT id, 'dismissed', 'platform', 'the chip was offline, not silent: its backlog"
    " shows the session running (设备离线补传, 会话未中断)' FROM d),"
    " v AS (INSERT INTO violations (kind, severity, community_id, enterprise_id, machine_id,"
    "  welder_id, checkin_id, occurred_at, lat, lon, details)"
    "  SELECT k.kind, k.sev, $19, $20, $14, $15, ins.id, to_timestamp($25), $5, $6,"
    "  coalesce($26::jsonb -> k.kind, '{}')"
    "  FROM ins, unnest($21::text[], $22::text[]) AS k(kind, sev)"
    "  RETURNING id)"
    " SELECT ins.id, $8::bytea, $9::bool, array_to_string($10::text[], ','),"
    "  coalesce($11::bigint, 0), true, coalesce(ins.session_id, 0),"
    "  (SELECT count(*) FROM t) + (SELECT count(*) FROM v) FROM ins"
    " UNION ALL SELECT id, body_hash, ok, array_to_string(reasons, ','),"
    "  coalesce(extract(epoch FROM unlock_until)::bigint, 0), false, 0, 0"
    " FROM " STORE_SQL_CHECKIN_BY_KEY " WHERE k.chip_id = $1 AND k.seq = $2"
    " AND NOT EXISTS (SELECT 1 FROM ins)";

#define CHECKIN_PARAMS 26

/* The sweep closes a session that went silent or ran over, with its violations. */
static const char STORE_SQL_SWEEP[] =
    "WITH c AS (UPDATE work_sessions SET closed_at = greatest(opened_at, to_timestamp($2)),"
    "  close_reason = $3 WHERE id = $1 AND closed_at IS NULL RETURNING id),"
    " v AS (INSERT INTO violations (kind, severity, community_id, enterprise_id, machine_id,"
    "  welder_id, occurred_at, details)"
    "  SELECT k.kind, k.sev, $4, $5, $6, $7, to_timestamp($2),"
    "  jsonb_build_object('session_id', $1::bigint)"
    "  FROM c, unnest($8::text[], $9::text[]) AS k(kind, sev) RETURNING id)"
    " SELECT (SELECT count(*) FROM c), (SELECT count(*) FROM v)";

/* A machine's check-in flood: its violation alone (no check-in is stored: the refused ones are
 * sent again later). $1 community, $2 enterprise, $3 machine, $4 time, $5 kinds, $6 severities,
 * $7 details by kind. */
static const char STORE_SQL_FLOOD[] =
    "WITH v AS (INSERT INTO violations (kind, severity, community_id, enterprise_id, machine_id,"
    "  occurred_at, details)"
    "  SELECT k.kind, k.sev, $1, $2, $3, to_timestamp($4), coalesce($7::jsonb -> k.kind, '{}')"
    "  FROM unnest($5::text[], $6::text[]) AS k(kind, sev) RETURNING id)"
    " SELECT count(*) FROM v";

/* Sends what libpq has buffered, reading input meanwhile so that neither side can block the
 * other. -1 when the connection fails. */
static int store_flush(store *st)
{
    int pending;
    while ((pending = PQflush(st->conn)) == 1) {
        struct pollfd pfd = {.fd = PQsocket(st->conn), .events = POLLIN | POLLOUT};
        if (poll(&pfd, 1, 10000) <= 0)
            return -1;
        if ((pfd.revents & POLLIN) && PQconsumeInput(st->conn) != 1)
            return -1;
    }
    return pending == 0 ? 0 : -1;
}

static int store_prepare_one(store *st, const char *name, const char *sql, int nparams)
{
    PGresult *res = PQprepare(st->conn, name, sql, nparams, NULL);
    int rc = PQresultStatus(res) == PGRES_COMMAND_OK ? 0 : -1;
    PQclear(res);
    return rc;
}

/* SQLSTATE of weldreg_lease_fence() when a record's lease is another server's. */
#define STORE_STALE_STATE "WRL01"

int store_set_fence(store *st, const char *owner)
{
    if (!owner)
        owner = "";
    if (strlen(owner) >= sizeof(st->fence_owner))
        return -1;
    memcpy(st->fence_owner, owner, strlen(owner) + 1);
    return 0;
}

static int store_prepare(store *st)
{
    if (st->prepared)
        return 0;
    if (store_prepare_one(st, "checkin", STORE_SQL_CHECKIN, CHECKIN_PARAMS) != 0 ||
        store_prepare_one(st, "close_session", STORE_SQL_CLOSE_SESSION, 5) != 0 ||
        store_prepare_one(st, "sweep", STORE_SQL_SWEEP, 9) != 0 ||
        store_prepare_one(st, "flood", STORE_SQL_FLOOD, 7) != 0 || store_bulk_prepare(st) != 0 ||
        PQsetnonblocking(st->conn, 1) != 0)
        return -1;
    st->prepared = true;
    return 0;
}

typedef struct checkin_params {
    char seq[24], ts[24], at[24], lat[32], lon[32], amp[16], until[24], skew[16];
    char machine[24], welder[24], permit[24], session[24], community[24], enterprise[24];
    char reasons[CHECKIN_REASONS_MAX * 40 + 4];
    char kinds[CHECKIN_REASONS_MAX * 40 + 4];
    char severities[CHECKIN_REASONS_MAX * 12 + 4];
    const char *values[CHECKIN_PARAMS];
    int lengths[CHECKIN_PARAMS];
    int formats[CHECKIN_PARAMS];
} checkin_params;

/* Writes a PostgreSQL array literal of @p names (reason and severity names: [a-z_] only). */
const char *store_reason_text_of(reason_code code, store_reason_text what)
{
    const reason_info *info = reason_get(code);
    return what == STORE_VIOLATION_SEVERITIES ? reason_severity_name(info->severity) : info->name;
}

void store_reasons_from_names(const char *joined, checkin_record *r)
{
    r->first_reason_count = 0;
    while (*joined && r->first_reason_count < CHECKIN_REASONS_MAX) {
        size_t len = strcspn(joined, ",");
        reason_code code;
        if (reason_from_name(joined, len, &code))
            r->first_reasons[r->first_reason_count++] = code;
        joined += len + (joined[len] == ',');
    }
}

/* @p r's reasons as a PostgreSQL array literal of the texts @p what stores. */
static void store_reason_array(const checkin_record *r, store_reason_text what, char *out,
                               size_t cap)
{
    size_t k = (size_t)snprintf(out, cap, "{");
    bool first = true;
    for (size_t i = 0; i < r->reason_count && k < cap; i++) {
        if (what != STORE_REASON_NAMES && !checkin_record_flagged(r, i))
            continue;
        k += (size_t)snprintf(out + k, cap - k, "%s%s", first ? "" : ",",
                              store_reason_text_of(r->reasons[i], what));
        first = false;
    }
    if (k < cap)
        snprintf(out + k, cap - k, "}");
}

/* The decimal text of @p v in @p buf, or NULL (SQL NULL) when @p v is 0. */
static const char *store_id_or_null(int64_t v, char *buf, size_t cap)
{
    if (!v)
        return NULL;
    snprintf(buf, cap, "%lld", (long long)v);
    return buf;
}

static const char *const store_session_ops[] = {"none", "open", "touch", "close", "resume"};

static void store_checkin_params(const checkin_record *r, checkin_params *p)
{
    memset(p, 0, sizeof(*p));
    snprintf(p->seq, sizeof(p->seq), "%llu", (unsigned long long)r->seq);
    snprintf(p->ts, sizeof(p->ts), "%lld", (long long)r->device_ts);
    snprintf(p->at, sizeof(p->at), "%lld", (long long)r->at);
    snprintf(p->lat, sizeof(p->lat), "%.7f", r->lat);
    snprintf(p->lon, sizeof(p->lon), "%.7f", r->lon);
    snprintf(p->amp, sizeof(p->amp), "%d", (int)r->amp);
    snprintf(p->skew, sizeof(p->skew), "%d", (int)r->skew_s);
    store_reason_array(r, STORE_REASON_NAMES, p->reasons, sizeof(p->reasons));
    store_reason_array(r, STORE_VIOLATION_KINDS, p->kinds, sizeof(p->kinds));
    store_reason_array(r, STORE_VIOLATION_SEVERITIES, p->severities, sizeof(p->severities));
    const char *v[CHECKIN_PARAMS] = {
        r->chip_id,
        p->seq,
        r->ev,
        p->ts,
        r->has_position ? p->lat : NULL,
        r->has_position ? p->lon : NULL,
        r->amp >= 0 ? p->amp : NULL,
        (const char *)r->body_hash,
        r->ok ? "t" : "f",
        p->reasons,
        store_id_or_null(r->unlock_until, p->until, sizeof(p->until)),
        r->late ? "t" : "f",
        p->skew,
        store_id_or_null(r->machine_id, p->machine, sizeof(p->machine)),
        store_id_or_null(r->welder_id, p->welder, sizeof(p->welder)),
        store_id_or_null(r->permit_id, p->permit, sizeof(p->permit)),
        store_session_ops[r->op],
        store_id_or_null(r->session_id, p->session, sizeof(p->session)),
        store_id_or_null(r->community_id, p->community, sizeof(p->community)),
        store_id_or_null(r->enterprise_id, p->enterprise, sizeof(p->enterprise)),
        p->kinds,
        p->severities,
        r->has_cti ? (const char *)r->cti : NULL,
        r->close_reason ? r->close_reason : "ended",
        p->at,
        r->details[0] ? r->details : NULL};
    memcpy(p->values, v, sizeof(v));
    p->lengths[7] = (int)sizeof(r->body_hash);
    p->formats[7] = 1;
    p->lengths[22] = (int)sizeof(r->cti);
    p->formats[22] = 1;
}

static int store_send_close(store *st, const checkin_record *r)
{
    char id[24], ts[24], seq[24];
    snprintf(id, sizeof(id), "%lld", (long long)r->close_session_id);
    snprintf(ts, sizeof(ts), "%lld", (long long)r->at);
    snprintf(seq, sizeof(seq), "%llu", (unsigned long long)r->seq);
    const char *values[] = {id, ts, r->close_reason ? r->close_reason : "superseded", r->chip_id,
                            seq};
    return PQsendQueryPrepared(st->conn, "close_session", 5, values, NULL, NULL, 0) == 1 ? 0 : -1;
}

static int store_send_sweep(store *st, const checkin_record *r)
{
    char id[24], ts[24], community[24], enterprise[24], machine[24], welder[24];
    char kinds[CHECKIN_REASONS_MAX * 40 + 4], severities[CHECKIN_REASONS_MAX * 12 + 4];
    snprintf(id, sizeof(id), "%lld", (long long)r->session_id);
    snprintf(ts, sizeof(ts), "%lld", (long long)r->at);
    store_reason_array(r, STORE_VIOLATION_KINDS, kinds, sizeof(kinds));
    store_reason_array(r, STORE_VIOLATION_SEVERITIES, severities, sizeof(severities));
    const char *values[] = {id,
                            ts,
                            r->close_reason ? r->close_reason : "heartbeat_lost",
                            store_id_or_null(r->community_id, community, sizeof(community)),
                            store_id_or_null(r->enterprise_id, enterprise, sizeof(enterprise)),
                            store_id_or_null(r->machine_id, machine, sizeof(machine)),
                            store_id_or_null(r->welder_id, welder, sizeof(welder)),
                            kinds,
                            severities};
    return PQsendQueryPrepared(st->conn, "sweep", 9, values, NULL, NULL, 0) == 1 ? 0 : -1;
}

static int store_send_flood(store *st, const checkin_record *r)
{
    char ts[24], community[24], enterprise[24], machine[24];
    char kinds[CHECKIN_REASONS_MAX * 40 + 4], severities[CHECKIN_REASONS_MAX * 12 + 4];
    snprintf(ts, sizeof(ts), "%lld", (long long)r->at);
    store_reason_array(r, STORE_VIOLATION_KINDS, kinds, sizeof(kinds));
    store_reason_array(r, STORE_VIOLATION_SEVERITIES, severities, sizeof(severities));
    const char *values[] = {store_id_or_null(r->community_id, community, sizeof(community)),
                            store_id_or_null(r->enterprise_id, enterprise, sizeof(enterprise)),
                            store_id_or_null(r->machine_id, machine, sizeof(machine)),
                            ts,
                            kinds,
                            severities,
                            r->details[0] ? r->details : NULL};
    return PQsendQueryPrepared(st->conn, "flood", 7, values, NULL, NULL, 0) == 1 ? 0 : -1;
}

/* Queues the statements of one record. */
static int store_send_record(store *st, const checkin_record *r)
{
    if (r->sweep)
        return store_send_sweep(st, r);
    if (r->flood)
        return store_send_flood(st, r);
    if (r->op == SESSION_OPEN && r->close_session_id && store_send_close(st, r) != 0)
        return -1;
    checkin_params p;
    store_checkin_params(r, &p);
    return PQsendQueryPrepared(st->conn, "checkin", CHECKIN_PARAMS, p.values, p.lengths, p.formats,
                               1) == 1
               ? 0
               : -1;
}

/* How a batch is sent: the bulk statement first, then the records that need a statement of
 * their own, in batch order.
 *
 * That reorders the batch, and the result stays that of storing the records one by one in
 * order because records of different chips never meet in the database: a record names only its
 * chip's (chip, seq) keys, its machine, and the work session its machine's state holds
 * (judge.c), and bulk records neither open nor close a session, so they cannot change what an
 * open or close of another machine finds (such as the one-open-session-per-welder index). The
 * records of one chip must keep their order: the judge decides a whole batch on the state from
 * before it, so one batch can hold an "end" and then a heartbeat of the same session (that
 * heartbeat must not move the closed session's last_seen_at), or an approved scan and then a
 * resend of it (which must find the scan's row). So once a chip has a record with a statement
 * of its own, its later records of the batch get their own statements too, after it; those
 * before it are in the bulk statement, which runs first. Inside the bulk statement the first
 * record of a (chip, seq) wins, and the touches of one session commute (greatest()).
 *
 * What does change: ids of check-ins and violations rise in batch order within each part, not
 * across the parts (a batch commits at once, so no reader sees the difference except in id
 * order), and the per-statement trigger on violations fires once for the bulk rows. */
typedef struct store_plan {
    checkin_record *const *records; /* the whole batch, as given (the lease fence's) */
    size_t n;
    checkin_record **bulk, **alone;
    size_t nbulk, nalone;
    bool stale; /* the fence failed: a machine's lease is another server's */
} store_plan;

/* The bulk statement stores no details: a record with evidence goes alone. */
static bool store_needs_own_statement(const checkin_record *r)
{
    return r->sweep || r->flood || r->close_session_id || r->details[0] ||
           (r->op != SESSION_NONE && r->op != SESSION_TOUCH);
}

static bool store_chip_listed(checkin_record *const *list, size_t n, const char *chip_id)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(list[i]->chip_id, chip_id) == 0)
            return true;
    }
    return false;
}

static int store_plan_make(store_plan *p, checkin_record *const *records, size_t n)
{
    memset(p, 0, sizeof(*p));
    p->records = records;
    p->n = n;
    /* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers, as meant */
    p->bulk = malloc((2 * n + 1) * sizeof(*p->bulk));
    if (!p->bulk)
        return -1;
    p->alone = p->bulk + n;
    for (size_t i = 0; i < n; i++) {
        checkin_record *r = records[i];
        if (store_needs_own_statement(r) || store_chip_listed(p->alone, p->nalone, r->chip_id))
            p->alone[p->nalone++] = r;
        else
            p->bulk[p->nbulk++] = r;
    }
    return 0;
}

static int store_send_batch(store *st, const store_plan *p)
{
    if (PQenterPipelineMode(st->conn) != 1 ||
        PQsendQueryParams(st->conn, "BEGIN", 0, NULL, NULL, NULL, NULL, 0) != 1)
        return -1;
    if (st->fence_owner[0] && store_fence_send(st, p->records, p->n) != 0)
        return -1;
    if (p->nbulk && (store_bulk_send(st, p->bulk, p->nbulk) != 0 || store_flush(st) != 0))
        return -1;
    for (size_t i = 0; i < p->nalone; i++) {
        if (store_send_record(st, p->alone[i]) != 0)
            return -1;
        if (i % 64 == 63 && store_flush(st) != 0)
            return -1;
    }
    if (PQsendQueryParams(st->conn, "COMMIT", 0, NULL, NULL, NULL, NULL, 0) != 1 ||
        PQpipelineSync(st->conn) != 1)
        return -1;
    return store_flush(st);
}

/* Reads the one result of a command and the NULL that ends it. */
static ExecStatusType store_take_result(store *st, PGresult **out)
{
    PGresult *res = PQgetResult(st->conn);
    ExecStatusType s = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (s != PGRES_PIPELINE_SYNC) {
        PGresult *end = PQgetResult(st->conn);
        PQclear(end);
    }
    if (out)
        *out = res;
    else
        PQclear(res);
    return s;
}

void store_read_checkin_row(const PGresult *res, int row, checkin_record *r)
{
    r->id = store_get_int8(res, row, 0);
    bool fresh = PQgetvalue(res, row, 5)[0] != 0;
    if (fresh) {
        r->new_session_id = r->op == SESSION_OPEN ? store_get_int8(res, row, 6) : 0;
        return;
    }
    bool same = PQgetlength(res, row, 1) == (int)sizeof(r->body_hash) &&
                memcmp(PQgetvalue(res, row, 1), r->body_hash, sizeof(r->body_hash)) == 0;
    r->duplicate = same;
    r->replay = !same;
    r->first_ok = PQgetvalue(res, row, 2)[0] != 0;
    store_reasons_from_names(PQgetvalue(res, row, 3), r);
    r->first_until = store_get_int8(res, row, 4);
}

/* Reads the lease fence's result: false, with p->stale when a lease was lost. */
static bool store_read_fence(store *st, store_plan *p)
{
    PGresult *res;
    bool ok = store_take_result(st, &res) == PGRES_TUPLES_OK;
    const char *state = ok ? NULL : PQresultErrorField(res, PG_DIAG_SQLSTATE);
    p->stale = state && strcmp(state, STORE_STALE_STATE) == 0;
    PQclear(res);
    return ok;
}

/* Reads the batch's results. Returns 0 if everything committed, -1 otherwise. */
static int store_read_batch(store *st, store_plan *p)
{
    int ok = store_take_result(st, NULL) == PGRES_COMMAND_OK;
    if (st->fence_owner[0] && !store_read_fence(st, p))
        ok = 0;
    PGresult *res;
    if (p->nbulk) {
        store_take_result(st, &res);
        if (store_bulk_read(res, p->bulk, p->nbulk) != 0)
            ok = 0;
        PQclear(res);
    }
    for (size_t i = 0; i < p->nalone; i++) {
        checkin_record *r = p->alone[i];
        bool checkin = !r->sweep && !r->flood;
        if (checkin && r->op == SESSION_OPEN && r->close_session_id &&
            store_take_result(st, NULL) != PGRES_COMMAND_OK)
            ok = 0;
        ExecStatusType s = store_take_result(st, &res);
        if (s != PGRES_TUPLES_OK || PQntuples(res) != 1)
            ok = 0;
        else if (checkin)
            store_read_checkin_row(res, 0, r);
        PQclear(res);
    }
    if (store_take_result(st, NULL) != PGRES_COMMAND_OK)
        ok = 0;
    while (store_take_result(st, NULL) != PGRES_PIPELINE_SYNC) {
        if (PQstatus(st->conn) != CONNECTION_OK)
            return -1;
    }
    return ok ? 0 : -1;
}

static store_status store_write_once(store *st, checkin_record *const *records, size_t n)
{
    if (PQstatus(st->conn) != CONNECTION_OK || store_prepare(st) != 0)
        return STORE_EUNAVAILABLE;
    store_plan plan;
    if (store_plan_make(&plan, records, n) != 0)
        return STORE_EFAILED;
    int rc = store_send_batch(st, &plan);
    if (rc == 0)
        rc = store_read_batch(st, &plan);
    free(plan.bulk);
    PQexitPipelineMode(st->conn);
    if (PQstatus(st->conn) != CONNECTION_OK)
        return STORE_EUNAVAILABLE;
    if (PQtransactionStatus(st->conn) != PQTRANS_IDLE) {
        PGresult *res = PQexec(st->conn, "ROLLBACK");
        PQclear(res);
    }
    if (rc == 0)
        return STORE_OK;
    return plan.stale ? STORE_ESTALE : STORE_EFAILED;
}

static void store_reset_out(checkin_record *r)
{
    r->status = STORE_EUNAVAILABLE;
    r->id = 0;
    r->duplicate = r->replay = false;
    r->new_session_id = 0;
}

store_status store_write_checkins(store *st, checkin_record *const *records, size_t n)
{
    for (size_t i = 0; i < n; i++)
        store_reset_out(records[i]);
    store_status status = store_write_once(st, records, n);
    if (status == STORE_EUNAVAILABLE)
        return status;
    if (status == STORE_OK) {
        for (size_t i = 0; i < n; i++)
            records[i]->status = STORE_OK;
        return STORE_OK;
    }
    /* Something in the batch broke the transaction, or a machine's lease is another server's
     * now: store each alone, so that only that record fails (STORE_EFAILED, STORE_ESTALE). */
    for (size_t i = 0; i < n; i++) {
        store_reset_out(records[i]);
        status = store_write_once(st, &records[i], 1);
        if (status == STORE_EUNAVAILABLE) {
            for (size_t k = i; k < n; k++)
                records[k]->status = STORE_EUNAVAILABLE;
            return status;
        }
        records[i]->status = status;
    }
    return STORE_OK;
}
