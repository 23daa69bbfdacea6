/* store_leases.c — the statements of per-machine leases (store_leases.h). Parameters only;
 * results in text. */
#include "server/db/store_leases.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/current.h"
#include "core/reason.h"
#include "server/checkin/judge.h"
#include "server/db/store_internal.h"

/* $1 chip, $2 owner, $3 lease seconds, $4 only from an owner that stopped renewing it
 * (schema/024_machine_leases.sql). One row: the new epoch, NULL when not taken. */
static const char STORE_SQL_LEASE_TAKE[] = "SELECT weldreg_lease_take($1, $2, $3::int, $4::bool)";

/* A machine's state as judge.c keeps it, read after its lease was taken. $1 chip, $2 the
 * merge window of violations (JUDGE_MERGE_S), $3 the arc readings a session's baseline needs.
 * Columns: machine, last seq, the chip's ts of it, last lat, lon, then the machine's latest
 * work session (id, welder, permit, opened, until, last seen, open, lapsed: closed by the sweep
 * for silence with nothing received from the chip since), the violation kinds recorded by its
 * check-ins (or its checkin_flood: checkin_pace_adopted()) within the window ("kind:at,..."), the
 * open session's first arc readings. The check-ins are partitioned by month (schema 022): the last
 * one is found through checkin_keys (chip, seq), or, when all its keys went with their months, the
 * chip's floor (schema 029); the last position through the machine's index of placed check-ins. The
 * last key is taken first and its check-in read by a subquery, into the one partition its
 * received_at names: as a join ordered by seq, PostgreSQL hashed every check-in of every month
 * against the chip's keys (85 ms on 240,000 check-ins, growing with the history). */
static const char STORE_SQL_LEASE_STATE[] =
    "WITH m AS (SELECT id FROM machines WHERE chip_id = $1),"
    " last AS (SELECT k.seq, k.received_at, (SELECT extract(epoch FROM c.device_ts)::bigint"
    "  FROM checkins c WHERE c.id = k.checkin_id AND c.received_at = k.received_at) AS ts"
    "  FROM checkin_keys k WHERE k.chip_id = $1 ORDER BY k.seq DESC LIMIT 1),"
    " pos AS (SELECT lat, lon FROM checkins WHERE machine_id = (SELECT id FROM m)"
    "  AND lat IS NOT NULL ORDER BY received_at DESC LIMIT 1),"
    " s AS (SELECT * FROM work_sessions WHERE machine_id = (SELECT id FROM m)"
    "  ORDER BY opened_at DESC, id DESC LIMIT 1)"
    " SELECT coalesce((SELECT id FROM m), 0),"
    "  coalesce(last.seq, (SELECT seq FROM checkin_seq_floors WHERE chip_id = $1)), last.ts,"
    "  pos.lat, pos.lon,"
    "  coalesce(s.id, 0), s.welder_id, coalesce(s.permit_id, 0),"
    "  extract(epoch FROM s.opened_at)::bigint, extract(epoch FROM s.until)::bigint,"
    "  extract(epoch FROM s.last_seen_at)::bigint, s.id IS NOT NULL AND s.closed_at IS NULL,"
    "  coalesce(s.close_reason = 'heartbeat_lost'"
    "  AND (last.received_at IS NULL OR last.received_at <= s.closed_at), false),"
    "  (SELECT string_agg(f.kind || ':' || f.at, ',') FROM (SELECT kind,"
    "  extract(epoch FROM max(occurred_at))::bigint AS at FROM violations"
    "  WHERE machine_id = (SELECT id FROM m) AND (checkin_id IS NOT NULL OR kind = 'checkin_flood')"
    "  AND occurred_at > now() - make_interval(secs => $2::int) GROUP BY kind"
    "  ORDER BY 2 DESC LIMIT 4) f),"
    "  (SELECT string_agg(a.amp::text, ',' ORDER BY a.id) FROM (SELECT id, amp FROM checkins"
    "  WHERE session_id = s.id AND s.closed_at IS NULL AND ev = 'arc' AND amp > 0"
    "  ORDER BY id LIMIT $3::int) a)"
    " FROM (SELECT 1) one LEFT JOIN last ON true LEFT JOIN pos ON true LEFT JOIN s ON true";

_Static_assert(SESSIONS_FLAGGED_MAX == 4, "the state statement reads 4 flagged kinds");

static const char STORE_SQL_LEASES_RENEW[] =
    "UPDATE machine_leases SET expires_at = now() + make_interval(secs => $2::int)"
    " WHERE owner = $1";

static const char STORE_SQL_LEASES_ORPHANS[] =
    "SELECT m.chip_id FROM work_sessions ws JOIN machines m ON m.id = ws.machine_id"
    " LEFT JOIN machine_leases l ON l.chip_id = m.chip_id"
    " WHERE ws.closed_at IS NULL AND ws.last_seen_at < now() - make_interval(secs => $1::int)"
    " AND (l.chip_id IS NULL OR l.expires_at < now()) ORDER BY ws.last_seen_at LIMIT $2::int";

static store_status store_lease_failed(const store *st)
{
    return st->lost || PQstatus(st->conn) != CONNECTION_OK ? STORE_EUNAVAILABLE : STORE_EFAILED;
}

static int64_t store_lease_int(const PGresult *res, int col)
{
    return strtoll(PQgetvalue(res, 0, col), NULL, 10);
}

/* "kind:at,kind:at" into the machine's recently flagged kinds. */
static void store_lease_flagged(const char *text, machine_state *out)
{
    for (size_t i = 0; *text && i < SESSIONS_FLAGGED_MAX;) {
        size_t len = strcspn(text, ":");
        reason_code code;
        bool known = text[len] == ':' && reason_from_name(text, len, &code);
        long long at = text[len] == ':' ? strtoll(text + len + 1, NULL, 10) : 0;
        if (known && at > 0 && at <= UINT32_MAX)
            out->flagged[i++] = (flagged_kind){.at = (uint32_t)at, .code = (uint8_t)code};
        text += strcspn(text, ",");
        text += *text == ',';
    }
}

/* "amp,amp" into the open session's first readings. */
static void store_lease_current(const char *text, machine_state *out)
{
    while (*text) {
        current_note(&out->current, (uint32_t)strtoul(text, NULL, 10));
        text += strcspn(text, ",");
        text += *text == ',';
    }
}

/* The latest work session of the machine: open, lapsed (resumable), or nothing to keep. */
static void store_lease_session(const PGresult *res, machine_state *out)
{
    bool open = PQgetvalue(res, 0, 11)[0] == 't';
    bool lapsed = PQgetvalue(res, 0, 12)[0] == 't';
    if (!open && !lapsed)
        return;
    decision_session *s = &out->session;
    s->started_at = store_lease_int(res, 8);
    s->until = store_lease_int(res, 9);
    s->last_seen = store_lease_int(res, 10);
    int64_t id = store_lease_int(res, 5), welder = store_lease_int(res, 6);
    int64_t permit_id = store_lease_int(res, 7);
    if (open) {
        s->open = true;
        out->session_id = id;
        out->welder_id = welder;
        out->permit_id = permit_id;
        store_lease_current(PQgetvalue(res, 0, 14), out);
    } else {
        out->lapsed_session_id = id;
        out->lapsed_welder_id = welder;
        out->lapsed_permit_id = permit_id;
    }
}

static void store_lease_apply_state(const PGresult *res, machine_state *out)
{
    out->machine_id = store_lease_int(res, 0);
    if (!PQgetisnull(res, 0, 1)) {
        out->session.has_last_seq = true;
        out->session.last_seq = (uint64_t)strtoull(PQgetvalue(res, 0, 1), NULL, 10);
        out->session.has_last_ts = !PQgetisnull(res, 0, 2);
        out->session.last_ts = store_lease_int(res, 2);
    }
    if (!PQgetisnull(res, 0, 3)) {
        out->has_position = true;
        out->lat = strtod(PQgetvalue(res, 0, 3), NULL);
        out->lon = strtod(PQgetvalue(res, 0, 4), NULL);
    }
    store_lease_session(res, out);
    store_lease_flagged(PQgetvalue(res, 0, 13), out);
}

static store_status store_lease_read_state(store *st, machine_state *out, char *err, size_t errlen)
{
    char window[16], readings[16];
    snprintf(window, sizeof(window), "%d", JUDGE_MERGE_S);
    snprintf(readings, sizeof(readings), "%d", CURRENT_BASELINE_READINGS);
    const char *params[] = {out->chip_id, window, readings};
    /* prepared: it reads the check-ins, whose monthly partitions a plan made at each
     * takeover would cover one by one (store_exec_named) */
    PGresult *res = store_checked(
        st,
        store_exec_named(st, "lease_state", STORE_SQL_LEASE_STATE, 3, NULL, params, NULL, NULL, 0),
        "could not read the machine's state", err, errlen);
    if (!res)
        return store_lease_failed(st);
    if (PQntuples(res) == 1)
        store_lease_apply_state(res, out);
    PQclear(res);
    return STORE_OK;
}

store_status store_lease_take(store *st, const char *owner, unsigned lease_s, bool only_if_expired,
                              machine_state *out, bool *taken, char *err, size_t errlen)
{
    char chip[sizeof(out->chip_id)], seconds[16];
    memcpy(chip, out->chip_id, sizeof(chip));
    memset(out, 0, sizeof(*out));
    memcpy(out->chip_id, chip, sizeof(chip));
    *taken = false;
    snprintf(seconds, sizeof(seconds), "%u", lease_s);
    const char *params[] = {chip, owner, seconds, only_if_expired ? "t" : "f"};
    PGresult *res = store_run(st, STORE_SQL_LEASE_TAKE, 4, params,
                              "could not take the machine's lease", err, errlen);
    if (!res)
        return store_lease_failed(st);
    if (PQntuples(res) == 1 && !PQgetisnull(res, 0, 0)) {
        *taken = true;
        out->lease_epoch = (uint32_t)store_lease_int(res, 0);
    }
    PQclear(res);
    return *taken ? store_lease_read_state(st, out, err, errlen) : STORE_OK;
}

int64_t store_leases_renew(store *st, const char *owner, unsigned lease_s, char *err, size_t errlen)
{
    char seconds[16];
    snprintf(seconds, sizeof(seconds), "%u", lease_s);
    const char *params[] = {owner, seconds};
    PGresult *res =
        store_run(st, STORE_SQL_LEASES_RENEW, 2, params, "could not renew the leases", err, errlen);
    if (!res)
        return -1;
    int64_t renewed = strtoll(PQcmdTuples(res), NULL, 10);
    PQclear(res);
    return renewed;
}

int store_leases_orphans(store *st, unsigned silent_s, char *chips, size_t max, char *err,
                         size_t errlen)
{
    char seconds[16], limit[24];
    snprintf(seconds, sizeof(seconds), "%u", silent_s);
    snprintf(limit, sizeof(limit), "%zu", max);
    const char *params[] = {seconds, limit};
    PGresult *res = store_run(st, STORE_SQL_LEASES_ORPHANS, 2, params,
                              "could not find the machines of servers gone", err, errlen);
    if (!res)
        return -1;
    int rows = PQntuples(res);
    for (int i = 0; i < rows && (size_t)i < max; i++)
        snprintf(chips + (size_t)i * (PRINCIPAL_IDENTITY_MAX + 1), PRINCIPAL_IDENTITY_MAX + 1, "%s",
                 PQgetvalue(res, i, 0));
    PQclear(res);
    return rows;
}

int store_try_advisory_lock(store *st, int64_t key, bool *held, char *err, size_t errlen)
{
    char text[24];
    snprintf(text, sizeof(text), "%lld", (long long)key);
    const char *params[] = {text};
    PGresult *res = store_run(st, "SELECT pg_try_advisory_lock($1::int8)", 1, params,
                              "could not try the sweep leader's lock", err, errlen);
    if (!res)
        return -1;
    *held = PQntuples(res) == 1 && PQgetvalue(res, 0, 0)[0] == 't';
    PQclear(res);
    return 0;
}
