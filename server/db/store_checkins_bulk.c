/* store_checkins_bulk.c — the common check-ins of a batch (heartbeats, arc events, refused
 * scans: records that neither open nor close a work session) in one multi-row statement. With
 * one CTE per record the writer's PostgreSQL backend was the bottleneck (~80 % of a core at
 * 5,000-7,000 check-ins/s), mostly per-statement overhead (parse of the bind, executor start-up
 * and shutdown of five nodes, a trigger call); here a batch pays that once. The records travel
 * as parallel arrays (text literals built here, always parameters, never SQL text), their
 * violations as flattened arrays keyed by the record's ordinal. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hex.h"
#include "server/db/store.h"
#include "server/db/store_internal.h"
#include "server/db/textbuf.h"

/* Params $1..$21 are one element per record, $22..$24 one per violation. ts is the chip's time,
 * kept in the check-in; at is the event's time, which dates its session touch and violations.
 *
 * uniq keeps the first record of each (chip, seq) of the batch, so that the INSERT never
 * meets its own rows and each inserted row joins back to exactly one ordinal; a later record
 * with the same (chip, seq) is then answered like any resend. The rows are inserted in batch
 * order, so ids still rise in the order the check-ins arrived. Sessions are touched once each
 * with the latest time of the records that were stored fresh, which is what one statement per
 * record did (greatest() is order-independent and none of these records closes a session).
 *
 * The result has one row per record, in the column order of STORE_SQL_CHECKIN's plus the
 * ordinal: stored fresh; else a resend of an earlier record of this batch (answered from that
 * record, whose row this statement's snapshot cannot see); else the row stored before this
 * statement. Only the records in rest (not stored fresh: usually none) are looked up. The three
 * parts exclude each other. A (chip, seq) that another transaction committed after this
 * statement started fails it in checkin_keys (schema/022): the caller fails the batch and the
 * retry alone sees that row. */
static const char STORE_SQL_CHECKIN_BULK[] =
    "WITH k AS (SELECT * FROM unnest($1::text[], $2::int8[], $3::text[], $4::int8[],"
    "  $5::float8[], $6::float8[], $7::int4[], $8::text[], $9::bool[], $10::text[], $11::int8[],"
    "  $12::bool[], $13::int4[], $14::int8[], $15::int8[], $16::int8[], $17::bool[], $18::int8[],"
    "  $19::int8[], $20::text[], $21::int8[]) WITH ORDINALITY AS k(chip, seq, ev, ts, lat, lon,"
    "  amp, hash, ok, reasons, until, late, skew, machine, welder, session, touch, community,"
    "  enterprise, cti, at, ord)),"
    " uniq AS (SELECT DISTINCT ON (chip, seq) * FROM k ORDER BY chip, seq, ord),"
    " ins AS (INSERT INTO checkins (chip_id, machine_id, seq, ev, device_ts, lat, lon, amp,"
    "  body_hash, ok, reasons, unlock_until, late, skew_s, welder_id, session_id, code_cti)"
    "  SELECT chip, machine, seq, ev, to_timestamp(ts), lat, lon, amp, decode(hash, 'hex'), ok,"
    "  string_to_array(reasons, ','), to_timestamp(until), late, skew, welder, session,"
    "  decode(cti, 'hex') FROM uniq WHERE NOT EXISTS (SELECT 1 FROM checkin_keys s"
    "  WHERE s.chip_id = uniq.chip AND s.seq = uniq.seq) ORDER BY ord RETURNING id, chip_id, seq),"
    " fresh AS (SELECT u.*, ins.id FROM ins JOIN uniq u ON u.chip = ins.chip_id"
    "  AND u.seq = ins.seq),"
    " t AS (UPDATE work_sessions w SET last_seen_at = greatest(w.last_seen_at, to_timestamp(m.at))"
    "  FROM (SELECT session, max(at) AS at FROM fresh WHERE touch GROUP BY session) m"
    "  WHERE w.id = m.session AND w.closed_at IS NULL),"
    " v AS (INSERT INTO violations (kind, severity, community_id, enterprise_id, machine_id,"
    "  welder_id, checkin_id, occurred_at, lat, lon)"
    "  SELECT x.kind, x.sev, f.community, f.enterprise, f.machine, f.welder, f.id,"
    "  to_timestamp(f.at), f.lat, f.lon"
    "  FROM unnest($22::int8[], $23::text[], $24::text[]) WITH ORDINALITY AS x(ord, kind, sev, n)"
    "  JOIN fresh f ON f.ord = x.ord ORDER BY x.n),"
    " rest AS MATERIALIZED (SELECT * FROM k WHERE ord NOT IN (SELECT ord FROM fresh))"
    " SELECT id, NULL::bytea, NULL::bool, NULL::text, 0::int8, true, 0::int8, ord FROM fresh"
    " UNION ALL SELECT f.id, decode(f.hash, 'hex'), f.ok, f.reasons, coalesce(f.until, 0), false,"
    "  0, r.ord FROM rest r JOIN fresh f ON f.chip = r.chip AND f.seq = r.seq"
    " UNION ALL SELECT c.id, c.body_hash, c.ok, array_to_string(c.reasons, ','),"
    "  coalesce(extract(epoch FROM c.unlock_until)::bigint, 0), false, 0, r.ord"
    "  FROM rest r JOIN " STORE_SQL_CHECKIN_BY_KEY " ON k.chip_id = r.chip AND k.seq = r.seq"
    "  WHERE NOT EXISTS (SELECT 1 FROM fresh f WHERE f.chip = r.chip AND f.seq = r.seq)";

enum {
    BULK_CHIP,
    BULK_SEQ,
    BULK_EV,
    BULK_TS,
    BULK_LAT,
    BULK_LON,
    BULK_AMP,
    BULK_HASH,
    BULK_OK,
    BULK_REASONS,
    BULK_UNTIL,
    BULK_LATE,
    BULK_SKEW,
    BULK_MACHINE,
    BULK_WELDER,
    BULK_SESSION,
    BULK_TOUCH,
    BULK_COMMUNITY,
    BULK_ENTERPRISE,
    BULK_CTI,
    BULK_AT,
    BULK_V_ORD,
    BULK_V_KIND,
    BULK_V_SEV,
    BULK_PARAMS
};

/* Each parameter is an array literal ("{\"a\",NULL,1}") written into a textbuf; one that ran
 * out of memory ends as NULL and the batch is not sent. */

/* Starts the next element: "{" before the first, "," before the others. */
static void arr_next(textbuf *a)
{
    textbuf_put(a, a->len ? "," : "{", 1);
}

static void arr_null(textbuf *a)
{
    arr_next(a);
    textbuf_put(a, "NULL", 4);
}

/* A text element, always quoted: inside quotes only '"' and '\' need a backslash. */
static void arr_text(textbuf *a, const char *s)
{
    arr_next(a);
    textbuf_put(a, "\"", 1);
    for (const char *p = s; *p; p++) {
        size_t run = strcspn(p, "\"\\");
        textbuf_put(a, p, run);
        p += run;
        if (!*p)
            break;
        textbuf_put(a, "\\", 1);
        textbuf_put(a, p, 1);
    }
    textbuf_put(a, "\"", 1);
}

/* A number or a boolean, written with printf (no quoting needed). */
__attribute__((format(printf, 2, 3))) static void arr_fmt(textbuf *a, const char *fmt, ...)
{
    char buf[48];
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    arr_next(a);
    textbuf_put(a, buf, len > 0 ? (size_t)len : 0);
}

/* An id, or NULL when 0 (unknown), as the per-record statement passes them. */
static void arr_id(textbuf *a, int64_t v)
{
    if (v)
        arr_fmt(a, "%lld", (long long)v);
    else
        arr_null(a);
}

static void arr_bool(textbuf *a, bool v)
{
    arr_next(a);
    textbuf_put(a, v ? "t" : "f", 1);
}

static void arr_hex(textbuf *a, const uint8_t *b, size_t n)
{
    char hex[65];
    hex_encode(b, n < sizeof(hex) / 2 ? n : sizeof(hex) / 2, hex);
    arr_text(a, hex);
}

/* Closes the literal; NULL if memory ran out (an empty array when nothing was added). */
static const char *arr_end(textbuf *a)
{
    if (!a->len)
        textbuf_put(a, "{", 1);
    textbuf_put(a, "}", 2); /* with the terminating NUL */
    return a->failed ? NULL : a->data;
}

/* The reason names joined by commas (names are [a-z_], see core/reason.c), split in SQL. */
static void arr_reasons(textbuf *a, const checkin_record *r)
{
    char joined[CHECKIN_REASONS_MAX * 40 + 4];
    size_t k = 0;
    joined[0] = '\0';
    for (size_t i = 0; i < r->reason_count && k < sizeof(joined); i++)
        k += (size_t)snprintf(joined + k, sizeof(joined) - k, "%s%s", i ? "," : "",
                              store_reason_text_of(r->reasons[i], STORE_REASON_NAMES));
    arr_text(a, joined);
}

/* Adds record @p r, the @p ord-th (from 1) of the statement, to every array. Numbers are
 * formatted as store_checkin_params() formats them, so both paths store the same values. */
static void store_bulk_add(textbuf *a, const checkin_record *r, size_t ord)
{
    arr_text(&a[BULK_CHIP], r->chip_id);
    arr_fmt(&a[BULK_SEQ], "%llu", (unsigned long long)r->seq);
    arr_text(&a[BULK_EV], r->ev);
    arr_fmt(&a[BULK_TS], "%lld", (long long)r->device_ts);
    if (r->has_position) {
        arr_fmt(&a[BULK_LAT], "%.7f", r->lat);
        arr_fmt(&a[BULK_LON], "%.7f", r->lon);
    } else {
        arr_null(&a[BULK_LAT]);
        arr_null(&a[BULK_LON]);
    }
    if (r->amp >= 0)
        arr_fmt(&a[BULK_AMP], "%d", (int)r->amp);
    else
        arr_null(&a[BULK_AMP]);
    arr_hex(&a[BULK_HASH], r->body_hash, sizeof(r->body_hash));
    arr_bool(&a[BULK_OK], r->ok);
    arr_reasons(&a[BULK_REASONS], r);
    arr_id(&a[BULK_UNTIL], r->unlock_until);
    arr_bool(&a[BULK_LATE], r->late);
    arr_fmt(&a[BULK_SKEW], "%d", (int)r->skew_s);
    arr_id(&a[BULK_MACHINE], r->machine_id);
    arr_id(&a[BULK_WELDER], r->welder_id);
    arr_id(&a[BULK_SESSION], r->session_id);
    arr_bool(&a[BULK_TOUCH], r->op == SESSION_TOUCH);
    arr_id(&a[BULK_COMMUNITY], r->community_id);
    arr_id(&a[BULK_ENTERPRISE], r->enterprise_id);
    if (r->has_cti)
        arr_hex(&a[BULK_CTI], r->cti, sizeof(r->cti));
    else
        arr_null(&a[BULK_CTI]);
    arr_fmt(&a[BULK_AT], "%lld", (long long)r->at);
    for (size_t i = 0; i < r->reason_count; i++) {
        if (!checkin_record_flagged(r, i))
            continue;
        arr_fmt(&a[BULK_V_ORD], "%zu", ord);
        arr_text(&a[BULK_V_KIND], store_reason_text_of(r->reasons[i], STORE_VIOLATION_KINDS));
        arr_text(&a[BULK_V_SEV], store_reason_text_of(r->reasons[i], STORE_VIOLATION_SEVERITIES));
    }
}

static const char STORE_SQL_FENCE[] = "SELECT weldreg_lease_fence($1::text[], $2::int8[], $3)";

int store_fence_send(store *st, checkin_record *const *records, size_t n)
{
    textbuf arrays[2];
    memset(arrays, 0, sizeof(arrays));
    for (size_t i = 0; i < n; i++) {
        arr_text(&arrays[0], records[i]->chip_id);
        arr_fmt(&arrays[1], "%u", (unsigned)records[i]->lease_epoch);
    }
    const char *values[] = {arr_end(&arrays[0]), arr_end(&arrays[1]), st->fence_owner};
    /* not prepared: the fence can be set on a connection whose statements are (tests) */
    int rc =
        values[0] && values[1] &&
                PQsendQueryParams(st->conn, STORE_SQL_FENCE, 3, NULL, values, NULL, NULL, 0) == 1
            ? 0
            : -1;
    free(arrays[0].data);
    free(arrays[1].data);
    return rc;
}

int store_bulk_prepare(store *st)
{
    PGresult *res = PQprepare(st->conn, "checkin_bulk", STORE_SQL_CHECKIN_BULK, BULK_PARAMS, NULL);
    int rc = PQresultStatus(res) == PGRES_COMMAND_OK ? 0 : -1;
    PQclear(res);
    return rc;
}

int store_bulk_send(store *st, checkin_record *const *records, size_t n)
{
    textbuf arrays[BULK_PARAMS];
    memset(arrays, 0, sizeof(arrays));
    for (size_t i = 0; i < n; i++)
        store_bulk_add(arrays, records[i], i + 1);
    const char *values[BULK_PARAMS];
    int rc = 0;
    for (int p = 0; p < BULK_PARAMS; p++) {
        values[p] = arr_end(&arrays[p]);
        if (!values[p])
            rc = -1;
    }
    /* text parameters, binary results (as the per-record statement's) */
    if (rc == 0 &&
        PQsendQueryPrepared(st->conn, "checkin_bulk", BULK_PARAMS, values, NULL, NULL, 1) != 1)
        rc = -1;
    for (int p = 0; p < BULK_PARAMS; p++)
        free(arrays[p].data);
    return rc;
}

int store_bulk_read(const PGresult *res, checkin_record *const *records, size_t n)
{
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != (int)n)
        return -1;
    for (int row = 0; row < (int)n; row++) {
        int64_t ord = store_get_int8(res, row, 7);
        if (ord < 1 || ord > (int64_t)n || records[ord - 1]->id != 0)
            return -1; /* the caller cleared every id: a second row for one record */
        store_read_checkin_row(res, row, records[ord - 1]);
    }
    return 0;
}
