/* test-judge.c — the server's decision glue end to end in memory: a real signed code,
 * the registry view, the machines' sessions, and the record the writer would store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/code.h"
#include "core/cose.h"
#include "server/checkin/judge.h"

#define NOW INT64_C(1795900000)

typedef struct fixture {
    EVP_PKEY *key;
    trust_list *trust;
    registry *reg;
    sessions *set;
    judge_context jc;
    char code[CODE_TEXT_MAX + 1];
    uint8_t cti[TRUST_CTI_LEN];
} fixture;

/* How many of @p r's reasons are recorded as violations. */
static size_t violation_count(const checkin_record *r)
{
    size_t n = 0;
    for (size_t i = 0; i < r->reason_count; i++)
        n += checkin_record_flagged(r, i);
    return n;
}

/* The @p k-th reason of @p r recorded as a violation (its code); fails the test if none. */
static reason_code violation_code(const checkin_record *r, size_t k)
{
    for (size_t i = 0; i < r->reason_count; i++)
        if (checkin_record_flagged(r, i) && k-- == 0)
            return r->reasons[i];
    fail_msg("no violation %zu", k);
    return r->reasons[0];
}

static const char *violation_name(const checkin_record *r, size_t k)
{
    return reason_name(violation_code(r, k));
}

static const char *violation_severity(const checkin_record *r, size_t k)
{
    return reason_severity_name(reason_get(violation_code(r, k))->severity);
}

static void make_trust(fixture *f)
{
    char line[256];
    trust_error err;
    assert_int_equal(cose_key_generate(COSE_ALG_EDDSA, &f->key), WR_OK);
    assert_int_equal(trust_format_key(f->key, 0, 4102444800u,
                                      TRUST_TYPE_MACHINE | TRUST_TYPE_WELDER, line, sizeof(line)),
                     WR_OK);
    assert_int_equal(trust_list_parse(line, strlen(line), &f->trust, &err), WR_OK);
}

static void make_code(fixture *f)
{
    code_claims c;
    memset(&c, 0, sizeof(c));
    c.kind = CODE_WELDER;
    strcpy(c.iss, "test");
    c.iat = NOW - 86400;
    c.exp = NOW + 86400 * 30;
    assert_int_equal(code_new_cti(c.cti), WR_OK);
    memcpy(f->cti, c.cti, TRUST_CTI_LEN);
    assert_int_equal(code_mask_licence("T410102199001011234", c.lic), WR_OK);
    c.cats = CODE_CAT_FUSION;
    c.lvu = NOW + 86400 * 365;
    strcpy(c.nm, "Z*");
    assert_int_equal(code_issue(&c, f->key, f->code, sizeof(f->code)), WR_OK);
}

/* One machine (id 10, enterprise 20, community 30), one welder (id 40) with a fusion licence
 * and training, the code above recorded for the welder, and one permit (id 50) for both; with
 * @p hazard the enterprise has a major hazard open (重患必停), with @p site one is open 50 m
 * around the permit's site (another enterprise's). */
static void make_registry_with(fixture *f, bool revoked, bool hazard, bool site)
{
    registry_parts p;
    memset(&p, 0, sizeof(p));
    p.machines = calloc(1, sizeof(*p.machines));
    p.machines[0] = (registry_machine){.id = 10,
                                       .enterprise_id = 20,
                                       .community_id = 30,
                                       .status = DECISION_MACHINE_ACTIVE,
                                       .category = LICENCE_FUSION,
                                       .major_hazard = hazard,
                                       .rated_current_a = 250};
    p.machines[0].chip_id = "WR-J-1";
    p.machine_count = 1;
    p.welders = calloc(1, sizeof(*p.welders));
    p.welders[0].id = 40;
    p.welders[0].status = DECISION_WELDER_ACTIVE;
    p.welders[0].trained = true;
    p.welders[0].training_until = NOW + 365 * 86400;
    licence_init(&p.welders[0].licence, LICENCE_FUSION, NOW - 86400 * 100, false);
    p.welder_count = 1;
    p.codes = calloc(1, sizeof(*p.codes));
    memcpy(p.codes[0].cti, f->cti, TRUST_CTI_LEN);
    p.codes[0].kind = 'w';
    p.codes[0].subject_id = 40;
    p.codes[0].revoked = revoked;
    p.code_count = 1;
    p.ids = calloc(2, sizeof(int64_t));
    p.ids[0] = 40;
    p.ids[1] = 10;
    p.permits = calloc(1, sizeof(*p.permits));
    permit_init(&p.permits[0]);
    p.permits[0].id = 50;
    p.permits[0].enterprise_id = 20;
    p.permits[0].start = NOW - 3600;
    p.permits[0].end = NOW + 3600;
    p.permits[0].has_site = true;
    p.permits[0].lat = 34.5;
    p.permits[0].lon = 113.4;
    p.permits[0].has_gas_analysis = true;
    p.permits[0].gas_analysis_at = NOW - 600;
    p.permits[0].welders = &p.ids[0];
    p.permits[0].welder_count = 1;
    p.permits[0].machines = &p.ids[1];
    p.permits[0].machine_count = 1;
    p.permit_count = 1;
    if (site) {
        p.hazard_sites = calloc(1, sizeof(*p.hazard_sites));
        p.hazard_sites[0] = (decision_site){.lat = 34.5, .lon = 113.4, .radius_m = 50};
        p.hazard_site_count = 1;
    }
    f->reg = registry_create(&p);
    assert_non_null(f->reg);
}

static void make_registry(fixture *f, bool revoked)
{
    make_registry_with(f, revoked, false, false);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    make_trust(f);
    make_code(f);
    make_registry(f, false);
    f->set = sessions_create();
    f->jc = (judge_context){.reg = f->reg, .sessions = f->set, .trust = f->trust};
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    registry_destroy(f->reg);
    sessions_destroy(f->set);
    scans_destroy(f->jc.scans);
    trust_list_destroy(f->trust);
    EVP_PKEY_free(f->key);
    free(f);
    return 0;
}

/* The record for @p ev of machine WR-J-1, received at server time @p now. */
static checkin_record judge_event_at(fixture *f, const checkin_event *ev, int64_t now)
{
    checkin_record rec;
    memset(&rec, 0, sizeof(rec));
    strcpy(rec.chip_id, "WR-J-1");
    rec.seq = ev->seq;
    rec.device_ts = ev->ts;
    rec.has_position = ev->has_position; /* as res_checkins.c fills it */
    rec.lat = ev->lat;
    rec.lon = ev->lon;
    judge_checkin(&f->jc, ev, now, &rec);
    return rec;
}

/* The same, received when the chip says it happened. */
static checkin_record judge_event(fixture *f, const checkin_event *ev)
{
    return judge_event_at(f, ev, ev->ts);
}

static checkin_record judge(fixture *f, checkin_kind kind, uint64_t seq, const char *code,
                            double lat)
{
    checkin_event ev = {.kind = kind,
                        .seq = seq,
                        .ts = NOW,
                        .has_position = true,
                        .lat = lat,
                        .lon = 113.4,
                        .code = code,
                        .code_len = code ? strlen(code) : 0};
    return judge_event(f, &ev);
}

/* What the writer reports for a fresh record, applied as the loop does. */
static void store_fresh(fixture *f, checkin_record *rec, int64_t session_id)
{
    rec->status = STORE_OK;
    rec->new_session_id = rec->op == SESSION_OPEN ? session_id : 0;
    assert_int_equal(judge_apply(f->set, rec), 0);
}

static void test_approved_scan_opens_a_session(void **state)
{
    fixture *f = *state;
    checkin_record rec = judge(f, CHECKIN_SCAN, 1, f->code, 34.5);
    assert_true(rec.ok);
    assert_int_equal(rec.reason_count, 0);
    assert_int_equal(rec.op, SESSION_OPEN);
    assert_int_equal(rec.permit_id, 50);
    assert_int_equal(rec.welder_id, 40);
    assert_int_equal(rec.unlock_until, NOW + 3600); /* the permit ends first */
    assert_true(rec.has_cti);
    assert_memory_equal(rec.cti, f->cti, TRUST_CTI_LEN);
    store_fresh(f, &rec, 99);
    checkin_record hb = judge(f, CHECKIN_HB, 2, NULL, 34.5);
    assert_true(hb.ok);
    assert_int_equal(hb.op, SESSION_TOUCH);
    assert_int_equal(hb.session_id, 99);
    store_fresh(f, &hb, 0);
    checkin_record end = judge(f, CHECKIN_END, 3, NULL, 34.5);
    assert_false(end.ok);
    assert_int_equal(end.op, SESSION_CLOSE);
    assert_string_equal(end.close_reason, "ended");
    store_fresh(f, &end, 0);
    checkin_record arc = judge(f, CHECKIN_ARC, 4, NULL, 34.5);
    assert_false(arc.ok);
    assert_string_equal(reason_name(arc.reasons[0]), "work_outside_platform");
    assert_int_equal(violation_count(&arc), 1);
    assert_string_equal(violation_severity(&arc, 0), "critical");
}

static void test_denials_name_their_reasons(void **state)
{
    fixture *f = *state;
    checkin_record far = judge(f, CHECKIN_SCAN, 1, f->code, 34.6); /* about 11 km north */
    assert_false(far.ok);
    assert_int_equal(far.op, SESSION_NONE);
    assert_string_equal(reason_name(far.reasons[0]), "permit_outside_radius");
    char forged[sizeof(f->code)];
    strcpy(forged, f->code);
    forged[40] = forged[40] == 'A' ? 'B' : 'A';
    checkin_record bad = judge(f, CHECKIN_SCAN, 2, forged, 34.5);
    assert_false(bad.ok);
    assert_true(strcmp(reason_name(bad.reasons[0]), "code_forged") == 0 ||
                strcmp(reason_name(bad.reasons[0]), "code_malformed") == 0);
    /* a replay: a seq at or below the last stored one is judged no further */
    checkin_record hb = judge(f, CHECKIN_HB, 10, NULL, 34.5);
    store_fresh(f, &hb, 0);
    checkin_record old = judge(f, CHECKIN_SCAN, 9, f->code, 34.5);
    assert_false(old.ok);
    assert_int_equal(old.reason_count, 1);
    assert_string_equal(reason_name(old.reasons[0]), "replay");
}

static void test_revoked_code_is_refused(void **state)
{
    fixture *f = *state;
    registry_destroy(f->reg);
    make_registry(f, true);
    f->jc.reg = f->reg;
    checkin_record rec = judge(f, CHECKIN_SCAN, 1, f->code, 34.5);
    assert_false(rec.ok);
    assert_string_equal(reason_name(rec.reasons[0]), "code_revoked");
    assert_int_equal(violation_count(&rec), 1);
}

static void test_unknown_machine_and_failed_commit(void **state)
{
    fixture *f = *state;
    checkin_record rec = judge(f, CHECKIN_HB, 5, NULL, 34.5);
    strcpy(rec.chip_id, "WR-J-1");
    /* not stored: nothing remembered, so the same seq is judged afresh next time */
    rec.status = STORE_EUNAVAILABLE;
    assert_int_equal(judge_apply(f->set, &rec), 0);
    checkin_record again = judge(f, CHECKIN_HB, 5, NULL, 34.5);
    assert_false(again.ok);
    assert_string_equal(reason_name(again.reasons[0]), "work_outside_platform");
}

/* A heartbeat of the locked machine at @p ts, judged and stored. */
static checkin_record heartbeat_at(fixture *f, uint64_t seq, int64_t ts)
{
    checkin_event ev = {.kind = CHECKIN_HB, .seq = seq, .ts = ts};
    checkin_record rec = judge_event(f, &ev);
    store_fresh(f, &rec, 0);
    return rec;
}

static void test_repeated_violation_is_merged(void **state)
{
    fixture *f = *state;
    checkin_record first = heartbeat_at(f, 1, NOW);
    assert_string_equal(reason_name(first.reasons[0]), "work_outside_platform");
    assert_int_equal(violation_count(&first), 1);
    /* the same thing a minute later: evidence (the reason), not a new violation */
    checkin_record again = heartbeat_at(f, 2, NOW + 60);
    assert_string_equal(reason_name(again.reasons[0]), "work_outside_platform");
    assert_int_equal(violation_count(&again), 0);
    /* after the merge window it is a violation again */
    checkin_record later = heartbeat_at(f, 3, NOW + 60 + 600);
    assert_int_equal(violation_count(&later), 1);
    assert_string_equal(violation_name(&later, 0), "work_outside_platform");
}

/* A check-in flood (4.29 answers) is one checkin_flood violation per merge window: none while
 * one is with the writer, none after it is stored until the window is over, and one again if
 * the first could not be stored. */
static void test_flood_is_flagged_once_a_window(void **state)
{
    fixture *f = *state;
    machine_state *st = sessions_get(f->set, "WR-J-1");
    assert_non_null(st);
    checkin_record rec;
    assert_true(judge_flood(&f->jc, st, NOW, 20, 200, &rec));
    assert_true(rec.flood);
    assert_int_equal(rec.at, NOW);
    assert_int_equal(rec.machine_id, 10);
    assert_int_equal(rec.reason_count, 1);
    assert_int_equal(violation_count(&rec), 1);
    assert_string_equal(violation_name(&rec, 0), "checkin_flood");
    assert_string_equal(violation_severity(&rec, 0), "warning");
    assert_string_equal(rec.details, "{\"checkin_flood\":{\"rate_per_s\":20,\"burst\":200}}");
    st->flood_pending = true; /* as the handler does when it submits the record */
    checkin_record again;
    assert_false(judge_flood(&f->jc, st, NOW + 1, 20, 200, &again));
    rec.status = STORE_EUNAVAILABLE; /* not stored: the next refusal records it */
    assert_int_equal(judge_apply(f->set, &rec), 0);
    st = sessions_get(f->set, "WR-J-1");
    assert_false(st->flood_pending);
    assert_true(judge_flood(&f->jc, st, NOW + 2, 20, 200, &rec));
    rec.status = STORE_OK;
    assert_int_equal(judge_apply(f->set, &rec), 0);
    st = sessions_get(f->set, "WR-J-1");
    assert_false(st->session.has_last_seq); /* a flood record is no check-in */
    assert_false(judge_flood(&f->jc, st, NOW + 2 + 599, 20, 200, &again));
    assert_true(judge_flood(&f->jc, st, NOW + 2 + 600, 20, 200, &again));
    /* a machine the registry does not know is flagged all the same, without ids */
    machine_state *unknown = sessions_get(f->set, "WR-NOT-LISTED");
    assert_non_null(unknown);
    assert_true(judge_flood(&f->jc, unknown, NOW, 20, 200, &again));
    assert_int_equal(again.machine_id, 0);
}

/* An approved scan with sequence number @p seq at NOW, stored as session 99. */
static void open_session_seq(fixture *f, uint64_t seq)
{
    checkin_record scan = judge(f, CHECKIN_SCAN, seq, f->code, 34.5);
    assert_true(scan.ok);
    store_fresh(f, &scan, 99);
}

static void open_session(fixture *f)
{
    open_session_seq(f, 1);
}

static void test_silent_session_closes_at_the_next_heartbeat(void **state)
{
    fixture *f = *state;
    open_session(f);
    /* silent for longer than the heartbeat time-out (180 s), and no sweep came by */
    checkin_record late = heartbeat_at(f, 2, NOW + 181);
    assert_false(late.ok);
    assert_int_equal(late.unlock_until, 0);
    assert_int_equal(late.reason_count, 1);
    assert_string_equal(reason_name(late.reasons[0]), "heartbeat_lost");
    assert_int_equal(violation_count(&late), 1);
    assert_int_equal(late.op, SESSION_CLOSE);
    assert_int_equal(late.session_id, 99);
    assert_string_equal(late.close_reason, "heartbeat_lost");
    /* the welder must scan again: until then the machine works outside the platform */
    checkin_record next = heartbeat_at(f, 3, NOW + 200);
    assert_false(next.ok);
    assert_string_equal(reason_name(next.reasons[0]), "work_outside_platform");
    assert_int_equal(next.op, SESSION_NONE);
}

/* 重患必停: a session open when a major hazard is opened at the enterprise is closed by the
 * sweep, or at the machine's next heartbeat if that comes first, and the machine locks. */
static void test_stop_order_closes_the_session(void **state)
{
    fixture *f = *state;
    open_session(f);
    registry_destroy(f->reg);
    make_registry_with(f, false, true, false);
    f->jc.reg = f->reg;
    checkin_record sweep;
    assert_true(judge_sweep(&f->jc, sessions_find(f->set, "WR-J-1"), NOW + 5, &sweep));
    assert_int_equal(sweep.op, SESSION_CLOSE);
    assert_int_equal(sweep.session_id, 99);
    assert_string_equal(sweep.close_reason, "stopped");
    assert_int_equal(sweep.reason_count, 1);
    assert_string_equal(reason_name(sweep.reasons[0]), "major_hazard");
    checkin_record hb = heartbeat_at(f, 2, NOW + 10);
    assert_false(hb.ok);
    assert_int_equal(hb.unlock_until, 0);
    assert_int_equal(hb.op, SESSION_CLOSE);
    assert_string_equal(hb.close_reason, "stopped");
    assert_string_equal(reason_name(hb.reasons[0]), "major_hazard");
}

/* A major hazard opened at the site where the machine works (another enterprise's) stops it:
 * the sweep by its last position, a heartbeat by its own; a scan there is refused. */
static void test_hazard_site_stops_the_session(void **state)
{
    fixture *f = *state;
    open_session(f);
    registry_destroy(f->reg);
    make_registry_with(f, false, false, true);
    f->jc.reg = f->reg;
    checkin_record sweep;
    assert_true(judge_sweep(&f->jc, sessions_find(f->set, "WR-J-1"), NOW + 5, &sweep));
    assert_string_equal(sweep.close_reason, "stopped");
    assert_string_equal(reason_name(sweep.reasons[0]), "major_hazard");
    checkin_record hb = heartbeat_at(f, 2, NOW + 10);
    assert_int_equal(hb.op, SESSION_CLOSE);
    assert_string_equal(hb.close_reason, "stopped");
    store_fresh(f, &hb, 0);
    checkin_record scan = judge(f, CHECKIN_SCAN, 3, f->code, 34.5);
    assert_false(scan.ok);
    assert_string_equal(reason_name(scan.reasons[0]), "major_hazard");
    checkin_record away = judge(f, CHECKIN_SCAN, 4, f->code, 34.6); /* 11 km north */
    bool hazard = false;
    for (size_t i = 0; i < away.reason_count; i++)
        hazard = hazard || away.reasons[i] == REASON_MAJOR_HAZARD;
    assert_false(hazard);
}

static void test_overrun_session_closes_at_the_next_heartbeat(void **state)
{
    fixture *f = *state;
    open_session(f);
    /* heartbeats every 150 s until the end of the permit (NOW + 3600): it runs over then */
    for (uint64_t seq = 2; seq <= 24; seq++)
        assert_true(heartbeat_at(f, seq, NOW + 150 * (int64_t)(seq - 1)).ok);
    checkin_record hb = heartbeat_at(f, 25, NOW + 3600);
    assert_false(hb.ok);
    assert_int_equal(hb.reason_count, 1);
    assert_string_equal(reason_name(hb.reasons[0]), "session_overrun");
    assert_int_equal(hb.op, SESSION_CLOSE);
    assert_string_equal(hb.close_reason, "overrun");
}

/* The sweep closes a silent session and a heartbeat comes before its record is stored: the
 * session is over, and the violation is the sweep's alone. */
static void test_closing_session_is_flagged_once(void **state)
{
    fixture *f = *state;
    open_session(f);
    checkin_record sweep;
    assert_true(judge_sweep(&f->jc, sessions_find(f->set, "WR-J-1"), NOW + 181, &sweep));
    assert_string_equal(violation_name(&sweep, 0), "heartbeat_lost");
    sessions_get(f->set, "WR-J-1")->close_pending = true; /* as the loop does */
    checkin_event ev = {.kind = CHECKIN_HB, .seq = 2, .ts = NOW + 182};
    checkin_record hb = judge_event(f, &ev);
    assert_false(hb.ok);
    assert_int_equal(hb.op, SESSION_NONE);
    assert_int_equal(hb.reason_count, 1);
    assert_string_equal(reason_name(hb.reasons[0]), "work_outside_platform");
    assert_int_equal(violation_count(&hb), 1);
    assert_string_equal(violation_name(&hb, 0), "work_outside_platform");
    sweep.status = STORE_OK;
    assert_int_equal(judge_apply(f->set, &sweep), 0);
    const machine_state *st = sessions_find(f->set, "WR-J-1");
    assert_false(st->close_pending);
    assert_false(st->session.open);
}

/* Seq 1: the fixture's code scanned at the permit's site when the chip's clock says @p ts. */
static checkin_event scan_event(const fixture *f, int64_t ts)
{
    return (checkin_event){.kind = CHECKIN_SCAN,
                           .seq = 1,
                           .ts = ts,
                           .has_position = true,
                           .lat = 34.5,
                           .lon = 113.4,
                           .code = f->code,
                           .code_len = strlen(f->code)};
}

/* A chip clock an hour ahead: the session and the violation are dated by the server's clock,
 * so the heartbeat time-out still counts from the server's time. */
static void test_chip_clock_ahead_dates_nothing(void **state)
{
    fixture *f = *state;
    checkin_event ev = scan_event(f, NOW + 3600);
    checkin_record scan = judge_event_at(f, &ev, NOW);
    assert_true(scan.ok);
    assert_int_equal(scan.op, SESSION_OPEN);
    assert_string_equal(violation_name(&scan, 0), "clock_skew");
    assert_int_equal(scan.device_ts, NOW + 3600); /* the chip's time, kept as evidence */
    store_fresh(f, &scan, 99);
    const machine_state *st = sessions_find(f->set, "WR-J-1");
    assert_int_equal(st->session.started_at, NOW);
    assert_int_equal(st->session.last_seen, NOW);
    /* silent for the time-out by the server's clock: the sweep closes it */
    checkin_record sweep;
    assert_false(judge_sweep(&f->jc, st, NOW + 180, &sweep));
    assert_true(judge_sweep(&f->jc, st, NOW + 181, &sweep));
    assert_string_equal(sweep.close_reason, "heartbeat_lost");
}

/* A chip clock 5 minutes behind (not late) does not make a fresh session look silent. */
static void test_chip_clock_behind_keeps_the_session(void **state)
{
    fixture *f = *state;
    checkin_event ev = scan_event(f, NOW - 300);
    checkin_record scan = judge_event_at(f, &ev, NOW);
    assert_true(scan.ok);
    assert_int_equal(scan.reason_count, 0);
    store_fresh(f, &scan, 99);
    checkin_record sweep;
    assert_false(judge_sweep(&f->jc, sessions_find(f->set, "WR-J-1"), NOW + 5, &sweep));
    ev = (checkin_event){.kind = CHECKIN_HB, .seq = 2, .ts = NOW - 300 + 60};
    checkin_record hb = judge_event_at(f, &ev, NOW + 60);
    assert_true(hb.ok);
    assert_int_equal(hb.op, SESSION_TOUCH);
}

/* A heartbeat the chip buffered while offline and sends late, from inside its open session:
 * the machine stays unlocked (late_event is a note, not a refusal). */
static void test_late_heartbeat_keeps_the_session(void **state)
{
    fixture *f = *state;
    open_session(f);
    checkin_event ev = {.kind = CHECKIN_HB, .seq = 2, .ts = NOW + 60};
    checkin_record hb = judge_event_at(f, &ev, NOW + 60 + 700);
    assert_true(hb.ok);
    assert_int_equal(hb.reason_count, 1);
    assert_string_equal(reason_name(hb.reasons[0]), "late_event");
    assert_int_equal(violation_count(&hb), 0);
    assert_int_equal(hb.op, SESSION_TOUCH);
    assert_int_equal(hb.at, NOW + 60);
}

/* Session 99 opened at NOW, closed by the sweep for silence at NOW + 181 and stored. */
static void swept_session(fixture *f)
{
    open_session(f);
    checkin_record sweep;
    assert_true(judge_sweep(&f->jc, sessions_find(f->set, "WR-J-1"), NOW + 181, &sweep));
    sweep.status = STORE_OK;
    assert_int_equal(judge_apply(f->set, &sweep), 0);
}

/* Offline for 20 min while working: the sweep closed the session for silence; the backlog the
 * chip sends when it is back shows it running, so it resumes, nothing is flagged, and the
 * machine stays unlocked. */
static void test_backlog_resumes_a_swept_session(void **state)
{
    fixture *f = *state;
    swept_session(f);
    assert_int_equal(sessions_find(f->set, "WR-J-1")->lapsed_session_id, 99);
    int64_t back = NOW + 1200;
    for (uint64_t seq = 2; seq <= 21; seq++) {
        checkin_event ev = {.kind = CHECKIN_HB, .seq = seq, .ts = NOW + 60 * (int64_t)(seq - 1)};
        checkin_record hb = judge_event_at(f, &ev, back);
        assert_true(hb.ok);
        assert_int_equal(violation_count(&hb), 0);
        assert_int_equal(hb.session_id, 99);
        assert_int_equal(hb.op, seq == 2 ? SESSION_RESUME : SESSION_TOUCH);
        assert_int_equal(hb.unlock_until, NOW + 3600);
        store_fresh(f, &hb, 0);
    }
    const machine_state *st = sessions_find(f->set, "WR-J-1");
    assert_true(st->session.open);
    assert_int_equal(st->session_id, 99);
    assert_int_equal(st->lapsed_session_id, 0);
}

/* A machine that really went silent (its own clock shows the gap) does not resume. */
static void test_real_silence_does_not_resume(void **state)
{
    fixture *f = *state;
    swept_session(f);
    checkin_event ev = {.kind = CHECKIN_HB, .seq = 2, .ts = NOW + 400};
    checkin_record hb = judge_event_at(f, &ev, NOW + 400);
    assert_false(hb.ok);
    assert_int_equal(hb.op, SESSION_NONE);
    assert_string_equal(violation_name(&hb, 0), "work_outside_platform");
    store_fresh(f, &hb, 0);
    /* the next heartbeat is a minute after that one, but the silence was real: no resume */
    ev = (checkin_event){.kind = CHECKIN_HB, .seq = 3, .ts = NOW + 460};
    hb = judge_event_at(f, &ev, NOW + 460);
    assert_false(hb.ok);
    assert_int_equal(hb.op, SESSION_NONE);
    assert_string_equal(reason_name(hb.reasons[0]), "work_outside_platform");
}

/* The fixture's permit as a reload of the registry after a change would leave it. */
static permit *changed_permit(fixture *f)
{
    size_t count = 0;
    return (permit *)registry_permits_of(f->reg, 20, &count); /* test only: edited in place */
}

/* The welder is removed from the permit while working: the next heartbeat ends the session. */
static void test_welder_removed_from_permit_closes_the_session(void **state)
{
    fixture *f = *state;
    open_session(f);
    assert_true(heartbeat_at(f, 2, NOW + 60).ok);
    changed_permit(f)->welder_count = 0;
    checkin_record hb = heartbeat_at(f, 3, NOW + 120);
    assert_false(hb.ok);
    assert_int_equal(hb.reason_count, 1);
    assert_string_equal(reason_name(hb.reasons[0]), "permit_withdrawn");
    assert_int_equal(violation_count(&hb), 0); /* not the welder's fault: the machine locks */
    assert_int_equal(hb.op, SESSION_CLOSE);
    assert_string_equal(hb.close_reason, "permit_withdrawn");
    /* working on is work outside the platform */
    checkin_record next = heartbeat_at(f, 4, NOW + 180);
    assert_string_equal(violation_name(&next, 0), "work_outside_platform");
}

/* The permit is closed early (it leaves the registry view), or its machine is removed. */
static void test_permit_closed_early_closes_the_session(void **state)
{
    fixture *f = *state;
    open_session(f);
    changed_permit(f)->status = PERMIT_CANCELLED;
    checkin_record hb = heartbeat_at(f, 2, NOW + 60);
    assert_false(hb.ok);
    assert_string_equal(hb.close_reason, "permit_withdrawn");
    changed_permit(f)->status = PERMIT_APPROVED;
    open_session_seq(f, 3);
    changed_permit(f)->machine_count = 0;
    hb = heartbeat_at(f, 4, NOW + 120);
    assert_string_equal(hb.close_reason, "permit_withdrawn");
    changed_permit(f)->machine_count = 1;
    open_session_seq(f, 5);
    changed_permit(f)->id = 51; /* no longer in the view: closed early */
    hb = heartbeat_at(f, 6, NOW + 180);
    assert_string_equal(hb.close_reason, "permit_withdrawn");
}

/* An extended permit and a gas re-test change nothing for the running session. */
static void test_permit_extended_keeps_the_session(void **state)
{
    fixture *f = *state;
    open_session(f);
    changed_permit(f)->end = NOW + 7200;
    changed_permit(f)->gas_analysis_at = NOW + 30;
    checkin_record hb = heartbeat_at(f, 2, NOW + 60);
    assert_true(hb.ok);
    assert_int_equal(hb.op, SESSION_TOUCH);
}

/* The fixture's code scanned on WR-J-1 at (@p lat, 113.4) at @p t; seq @p seq. */
static checkin_record scan_at(fixture *f, uint64_t seq, double lat, int64_t t)
{
    checkin_event ev = scan_event(f, t);
    ev.seq = seq;
    ev.lat = lat;
    return judge_event(f, &ev);
}

/* Two scans of one code 33 km apart: a copy when 10 minutes apart (20 km at the default
 * 120 km/h; the fixture's context gives no slack), not when an hour apart; whether the first
 * unlocked or not. */
static void test_copied_code(void **state)
{
    fixture *f = *state;
    f->jc.scans = scans_create();
    checkin_record first = scan_at(f, 1, 34.5, NOW);
    assert_true(first.ok);
    assert_int_equal(first.reason_count, 0);
    assert_string_equal(first.details, "");
    checkin_record copy = scan_at(f, 2, 34.8, NOW + 600);
    bool flagged = false;
    for (size_t i = 0; i < copy.reason_count; i++)
        flagged |= copy.reasons[i] == REASON_CODE_COPIED && checkin_record_flagged(&copy, i);
    assert_true(flagged);
    assert_non_null(strstr(copy.details, "{\"code_copied\":{\"code_cti\":\""));
    assert_non_null(strstr(copy.details, "\"first\":{\"machine_id\":10,\"lat\":34.5,"));
    assert_non_null(strstr(copy.details, "\"elapsed_s\":600,\"allowed_m\":20000}"));
    checkin_record later = scan_at(f, 3, 34.5, NOW + 600 + 3600);
    for (size_t i = 0; i < later.reason_count; i++)
        assert_int_not_equal(later.reasons[i], REASON_CODE_COPIED);
    f->jc.travel = (travel_limits){.speed_kmh = 10, .slack_m = 0};
    checkin_record slow = scan_at(f, 4, 34.8, NOW + 600 + 7200); /* 33 km in 2 h at 10 km/h */
    assert_non_null(strstr(slow.details, "code_copied"));
}

/* An arc of @p amp amperes at NOW + @p seq, stored and applied as the loop does. */
static checkin_record arc(fixture *f, uint64_t seq, uint32_t amp)
{
    checkin_event ev = {
        .kind = CHECKIN_ARC, .seq = seq, .ts = NOW + (int64_t)seq, .has_amp = true, .amp = amp};
    checkin_record rec = judge_event(f, &ev);
    rec.ev = "arc";
    rec.amp = (int32_t)amp;
    store_fresh(f, &rec, 0);
    return rec;
}

static bool has_reason(const checkin_record *r, reason_code code)
{
    for (size_t i = 0; i < r->reason_count; i++)
        if (r->reasons[i] == code)
            return true;
    return false;
}

/* Within a session: 100, 110, 105 A, then 230 A (over twice the first readings' 110 and 50 A
 * more) is a jump; 280 A is above the rating (250 A and 10 %). Neither locks the machine. */
static void test_suspected_modification(void **state)
{
    fixture *f = *state;
    open_session(f);
    assert_int_equal(arc(f, 2, 100).reason_count, 0);
    arc(f, 3, 110);
    arc(f, 4, 105);
    assert_int_equal(arc(f, 5, 219).reason_count, 0);
    checkin_record jump = arc(f, 6, 230);
    assert_true(jump.ok);
    assert_string_equal(violation_name(&jump, 0), "suspected_modification");
    assert_string_equal(jump.details,
                        "{\"suspected_modification\":{\"rule\":\"profile_jump\",\"amp_a\":230,"
                        "\"rated_current_a\":250,\"first_readings_a\":[100,110,105],"
                        "\"baseline_a\":110}}");
    checkin_record over = arc(f, 7, 280);
    assert_true(has_reason(&over, REASON_SUSPECTED_MODIFICATION));
    assert_non_null(strstr(over.details, "\"rule\":\"over_rated\""));
    checkin_record end = judge(f, CHECKIN_END, 8, NULL, 34.5);
    store_fresh(f, &end, 0);
    assert_int_equal(sessions_find(f->set, "WR-J-1")->current.count, 0);
    /* outside any session only the rating counts */
    checkin_record outside = arc(f, 9, 240);
    assert_false(has_reason(&outside, REASON_SUSPECTED_MODIFICATION));
    outside = arc(f, 10, 300);
    assert_true(has_reason(&outside, REASON_SUSPECTED_MODIFICATION));
    assert_true(has_reason(&outside, REASON_WORK_OUTSIDE_PLATFORM));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_approved_scan_opens_a_session, setup, teardown),
        cmocka_unit_test_setup_teardown(test_denials_name_their_reasons, setup, teardown),
        cmocka_unit_test_setup_teardown(test_revoked_code_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_machine_and_failed_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_repeated_violation_is_merged, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flood_is_flagged_once_a_window, setup, teardown),
        cmocka_unit_test_setup_teardown(test_silent_session_closes_at_the_next_heartbeat, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_overrun_session_closes_at_the_next_heartbeat, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_closing_session_is_flagged_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stop_order_closes_the_session, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hazard_site_stops_the_session, setup, teardown),
        cmocka_unit_test_setup_teardown(test_chip_clock_ahead_dates_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_chip_clock_behind_keeps_the_session, setup, teardown),
        cmocka_unit_test_setup_teardown(test_late_heartbeat_keeps_the_session, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backlog_resumes_a_swept_session, setup, teardown),
        cmocka_unit_test_setup_teardown(test_real_silence_does_not_resume, setup, teardown),
        cmocka_unit_test_setup_teardown(test_welder_removed_from_permit_closes_the_session, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_permit_closed_early_closes_the_session, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_permit_extended_keeps_the_session, setup, teardown),
        cmocka_unit_test_setup_teardown(test_copied_code, setup, teardown),
        cmocka_unit_test_setup_teardown(test_suspected_modification, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
