/* test-decision.c — unit tests of the scan decision: one case per reason it can give. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/decision.h"

#define T_0900   1717376400 /* 2024-06-03 09:00 China time */
#define HOUR     3600
#define DAY      86400
#define SITE_LAT 36.0
#define SITE_LON 117.0

static const int64_t permit_welders[] = {101};
/* Every reason some test below saw the decision produce; checked by the last test. */
static reason_list produced;
static const int64_t permit_machines[] = {7};

/* A scan that passes every rule; each test breaks one thing. */
typedef struct fixture {
    decision_machine machine;
    licence lic;
    decision_welder welder;
    permit permits[3];
    decision_input in;
} fixture;

static void fixture_init(fixture *f)
{
    memset(f, 0, sizeof(*f));
    f->machine = (decision_machine){.id = 7,
                                    .enterprise_id = 50,
                                    .status = DECISION_MACHINE_ACTIVE,
                                    .category = LICENCE_FUSION};
    licence_init(&f->lic, LICENCE_FUSION, T_0900 - 365 * DAY, false);
    f->welder = (decision_welder){.id = 101,
                                  .status = DECISION_WELDER_ACTIVE,
                                  .licence = &f->lic,
                                  .trained = true,
                                  .training_until = T_0900 + 30 * 24 * HOUR};
    permit *p = &f->permits[0];
    permit_init(p);
    p->id = 1;
    p->enterprise_id = 50;
    p->level = PERMIT_FIRST;
    p->start = T_0900 - HOUR;
    p->end = T_0900 + 4 * HOUR;
    p->has_site = true;
    p->lat = SITE_LAT;
    p->lon = SITE_LON;
    p->has_gas_analysis = true;
    p->gas_analysis_at = T_0900 - 600;
    p->welders = permit_welders;
    p->welder_count = 1;
    p->machines = permit_machines;
    p->machine_count = 1;
    f->in = (decision_input){
        .machine = &f->machine,
        .code_status = WR_OK,
        .code_kind = DECISION_CODE_WELDER,
        .welder = &f->welder,
        .permits = f->permits,
        .permit_count = 1,
        .time = T_0900,
        .has_position = true,
        .lat = SITE_LAT,
        .lon = SITE_LON + 0.00005,
    };
}

/* Runs the decision and checks that it refused with exactly the one reason @p expected. */
static void expect_only(const fixture *f, reason_code expected)
{
    decision_result out;
    assert_int_equal(decision_scan(&f->in, &out), WR_OK);
    assert_false(out.ok);
    assert_null(out.permit);
    assert_int_equal(out.until, 0);
    if (out.reasons.count != 1 || out.reasons.codes[0] != expected) {
        for (size_t i = 0; i < out.reasons.count; i++)
            print_error("got %s\n", reason_name(out.reasons.codes[i]));
        fail_msg("expected only %s", reason_name(expected));
    }
    reason_list_add(&produced, expected);
}

static void test_ok(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    decision_result out;
    assert_int_equal(decision_scan(&f.in, &out), WR_OK);
    assert_true(out.ok);
    assert_int_equal(out.reasons.count, 0);
    assert_ptr_equal(out.permit, &f.permits[0]);
    assert_null(out.closest);
    /* The permit ends in 4 h, before the 8 h session limit. */
    assert_int_equal(out.until, T_0900 + 4 * HOUR);
    f.in.max_session_s = 2 * HOUR;
    assert_int_equal(decision_scan(&f.in, &out), WR_OK);
    assert_int_equal(out.until, T_0900 + 2 * HOUR);
    /* The same machine as the open session is not "elsewhere". */
    f.in.busy_machine_id = 7;
    assert_int_equal(decision_scan(&f.in, &out), WR_OK);
    assert_true(out.ok);
}

static void test_chooses_latest_passing_permit(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    f.permits[1] = f.permits[0];
    f.permits[1].id = 2;
    f.permits[1].end = T_0900 + 6 * HOUR;
    f.permits[2] = f.permits[1];
    f.permits[2].id = 3;
    f.permits[2].enterprise_id = 51; /* another enterprise's permit never counts */
    f.permits[2].end = T_0900 + 7 * HOUR;
    f.in.permit_count = 3;
    decision_result out;
    assert_int_equal(decision_scan(&f.in, &out), WR_OK);
    assert_true(out.ok);
    assert_int_equal(out.permit->id, 2);
    assert_int_equal(out.until, T_0900 + 6 * HOUR);
}

static void test_ties_take_the_first(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    f.permits[1] = f.permits[0];
    f.permits[1].id = 2;
    f.in.permit_count = 2;
    decision_result out;
    assert_int_equal(decision_scan(&f.in, &out), WR_OK);
    assert_true(out.ok);
    assert_int_equal(out.permit->id, 1);
    /* Both fail once: the first is the closest. */
    f.permits[0].gas_analysis_at = T_0900 - HOUR;
    f.permits[1].gas_analysis_at = T_0900 - HOUR;
    assert_int_equal(decision_scan(&f.in, &out), WR_OK);
    assert_false(out.ok);
    assert_int_equal(out.closest->id, 1);
}

static void test_machine_reasons(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    f.in.machine = NULL;
    expect_only(&f, REASON_MACHINE_UNKNOWN);
    fixture_init(&f);
    f.machine.status = DECISION_MACHINE_SUSPENDED;
    expect_only(&f, REASON_MACHINE_SUSPENDED);
    f.machine.status = DECISION_MACHINE_SCRAPPED;
    expect_only(&f, REASON_MACHINE_SCRAPPED);
}

/* 重患必停: a suspended enterprise or an open major hazard locks a machine whose welder, licence
 * and permit are all in order, and stops a session already open. */
static void test_enforcement_stops_work(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    f.machine.enterprise_suspended = true;
    expect_only(&f, REASON_ENTERPRISE_SUSPENDED);
    f.machine.enterprise_suspended = false;
    f.machine.major_hazard = true;
    expect_only(&f, REASON_MAJOR_HAZARD);
    f.machine.enterprise_suspended = true;
    decision_result out;
    assert_int_equal(decision_scan(&f.in, &out), WR_OK);
    assert_false(out.ok);
    assert_int_equal(out.reasons.count, 2);
    assert_true(decision_stops_work(&out.reasons));

    reason_list machine_only;
    reason_list_init(&machine_only);
    fixture_init(&f);
    f.machine.status = DECISION_MACHINE_SUSPENDED;
    decision_check_machine(&f.machine, &machine_only);
    assert_false(decision_stops_work(&machine_only));
    f.machine.major_hazard = true;
    decision_check_machine(&f.machine, &machine_only);
    assert_true(decision_stops_work(&machine_only));
    reason_list_init(&machine_only);
    decision_check_machine(NULL, &machine_only);
    assert_true(reason_list_has(&machine_only, REASON_MACHINE_UNKNOWN));

    /* a hazard at the site: any machine within its radius is locked, one outside is not */
    fixture_init(&f);
    const decision_site sites[] = {{SITE_LAT + 1, SITE_LON, 50}, {SITE_LAT, SITE_LON, 50}};
    f.in.hazard_sites = sites;
    f.in.hazard_site_count = 2;
    expect_only(&f, REASON_MAJOR_HAZARD);
    f.in.hazard_site_count = 1; /* only the one 111 km away */
    assert_int_equal(decision_scan(&f.in, &out), WR_OK);
    assert_true(out.ok);
    assert_true(decision_at_hazard_site(sites, 2, true, SITE_LAT, SITE_LON + 0.0005));
    assert_false(decision_at_hazard_site(sites, 2, true, SITE_LAT, SITE_LON + 0.001)); /* 92 m */
    assert_false(decision_at_hazard_site(sites, 2, false, SITE_LAT, SITE_LON));
    f.in.hazard_sites = NULL;
    assert_int_equal(decision_scan(&f.in, &out), WR_EINVAL);
}

static void test_code_reasons(void **state)
{
    (void)state;
    static const struct {
        wr_status status;
        reason_code reason;
    } cases[] = {
        {WR_EINVAL, REASON_CODE_MALFORMED}, {WR_ETRUNC, REASON_CODE_MALFORMED},
        {WR_ETYPE, REASON_CODE_MALFORMED},  {WR_ERANGE, REASON_CODE_MALFORMED},
        {WR_EDEPTH, REASON_CODE_MALFORMED}, {WR_ESIG, REASON_CODE_FORGED},
        {WR_EKEY, REASON_CODE_UNKNOWN_KEY}, {WR_ENOTFOUND, REASON_CODE_UNKNOWN_KEY},
        {WR_EEXPIRED, REASON_CODE_EXPIRED}, {WR_ENOTYET, REASON_CODE_NOT_YET_VALID},
        {WR_EREVOKED, REASON_CODE_REVOKED},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        fixture f;
        fixture_init(&f);
        f.in.code_status = cases[i].status;
        /* The welder behind a bad code is not trusted, so its faults do not show. */
        f.in.welder = NULL;
        expect_only(&f, cases[i].reason);
    }
    fixture f;
    fixture_init(&f);
    f.in.code_kind = DECISION_CODE_MACHINE;
    expect_only(&f, REASON_CODE_WRONG_TYPE);
    f.in.code_kind = DECISION_CODE_OTHER;
    expect_only(&f, REASON_CODE_WRONG_TYPE);
}

static void test_verifier_failure_is_not_a_verdict(void **state)
{
    (void)state;
    const wr_status failures[] = {WR_ENOMEM, WR_ECRYPTO, WR_ESPACE, (wr_status)-99};
    for (size_t i = 0; i < 4; i++) {
        fixture f;
        fixture_init(&f);
        f.in.code_status = failures[i];
        decision_result out;
        assert_int_equal(decision_scan(&f.in, &out), failures[i]);
        assert_false(out.ok);
        assert_int_equal(out.reasons.count, 0);
    }
    reason_code r;
    assert_false(decision_code_reason(WR_OK, &r));
}

static void test_welder_reasons(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    f.in.welder = NULL;
    expect_only(&f, REASON_WELDER_UNKNOWN);
    fixture_init(&f);
    f.welder.status = DECISION_WELDER_INACTIVE;
    expect_only(&f, REASON_WELDER_INACTIVE);
    fixture_init(&f);
    f.welder.trained = false;
    expect_only(&f, REASON_TRAINING_MISSING);
    /* training whose validity ended before the scan refuses like none: re-training is due */
    fixture_init(&f);
    f.welder.training_until = f.in.time;
    expect_only(&f, REASON_TRAINING_EXPIRED);
    f.welder.training_until = f.in.time + 1;
    decision_result out;
    assert_int_equal(decision_scan(&f.in, &out), WR_OK);
    assert_true(out.ok);
    fixture_init(&f);
    f.in.busy_machine_id = 8;
    expect_only(&f, REASON_WELDER_BUSY_ELSEWHERE);
    /* The other machine 300 m away: busy, but not yet a shared code at 500 m. */
    f.in.busy_has_position = true;
    f.in.busy_lat = SITE_LAT + 0.0027;
    f.in.busy_lon = SITE_LON;
    expect_only(&f, REASON_WELDER_BUSY_ELSEWHERE);
}

static void test_shared_code(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    f.in.busy_machine_id = 8;
    f.in.busy_has_position = true;
    f.in.busy_lat = SITE_LAT + 0.1; /* about 11 km */
    f.in.busy_lon = SITE_LON;
    decision_result out;
    assert_int_equal(decision_scan(&f.in, &out), WR_OK);
    assert_false(out.ok);
    assert_int_equal(out.reasons.count, 2);
    assert_true(reason_list_has(&out.reasons, REASON_WELDER_BUSY_ELSEWHERE));
    assert_true(reason_list_has(&out.reasons, REASON_SHARED_CODE));
    reason_list_add(&produced, REASON_SHARED_CODE);
    /* The permit fitted; it is kept for the record only. */
    assert_ptr_equal(out.closest, &f.permits[0]);
    f.in.shared_code_m = 20000;
    expect_only(&f, REASON_WELDER_BUSY_ELSEWHERE);
}

static void test_licence_reasons(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    f.welder.licence = NULL;
    expect_only(&f, REASON_LICENCE_MISSING_CATEGORY);
    fixture_init(&f);
    f.machine.category = LICENCE_PRESSURE;
    expect_only(&f, REASON_LICENCE_MISSING_CATEGORY);
    fixture_init(&f);
    licence_init(&f.lic, LICENCE_FUSION, T_0900 - 6 * 366 * DAY, true);
    expect_only(&f, REASON_LICENCE_EXPIRED);
    fixture_init(&f);
    licence_init(&f.lic, LICENCE_FUSION, T_0900 - 4 * 365 * DAY, false);
    expect_only(&f, REASON_LICENCE_REVIEW_OVERDUE);
    fixture_init(&f);
    f.lic.status = LICENCE_REVOKED;
    expect_only(&f, REASON_LICENCE_REVOKED);
}

static void test_permit_reasons(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    f.in.permit_count = 0;
    expect_only(&f, REASON_PERMIT_NONE);
    f.in.permit_count = 1;
    f.permits[0].status = PERMIT_CANCELLED;
    expect_only(&f, REASON_PERMIT_NONE);
    fixture_init(&f);
    f.permits[0].enterprise_id = 51;
    expect_only(&f, REASON_PERMIT_NONE);
    fixture_init(&f);
    f.permits[0].end = f.permits[0].start + 9 * HOUR; /* too long for a first-level permit */
    expect_only(&f, REASON_PERMIT_NONE);
    fixture_init(&f);
    f.in.time = f.permits[0].end;
    f.permits[0].gas_analysis_at = f.in.time - 60;
    expect_only(&f, REASON_PERMIT_OUTSIDE_WINDOW);
    fixture_init(&f);
    f.welder.id = 102;
    expect_only(&f, REASON_PERMIT_WELDER_NOT_LISTED);
    fixture_init(&f);
    f.machine.id = 8;
    expect_only(&f, REASON_PERMIT_MACHINE_NOT_LISTED);
    fixture_init(&f);
    f.in.lon = SITE_LON + 0.001;
    expect_only(&f, REASON_PERMIT_OUTSIDE_RADIUS);
    fixture_init(&f);
    f.in.has_position = false;
    expect_only(&f, REASON_POSITION_MISSING);
    fixture_init(&f);
    f.permits[0].gas_analysis_at = T_0900 - 31 * 60;
    expect_only(&f, REASON_GAS_ANALYSIS_STALE);
}

static void test_closest_permit_reported(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    /* Permit 0 names another welder and has stale gas; permit 1 only has stale gas. */
    f.permits[0].welder_count = 0;
    f.permits[0].gas_analysis_at = T_0900 - HOUR;
    f.permits[1] = f.permits[0];
    f.permits[1].id = 2;
    f.permits[1].welder_count = 1;
    f.in.permit_count = 2;
    decision_result out;
    assert_int_equal(decision_scan(&f.in, &out), WR_OK);
    assert_false(out.ok);
    assert_ptr_equal(out.closest, &f.permits[1]);
    assert_int_equal(out.reasons.count, 1);
    assert_int_equal(out.reasons.codes[0], REASON_GAS_ANALYSIS_STALE);
}

static void test_all_failures_reported(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    f.machine.status = DECISION_MACHINE_SUSPENDED;
    f.welder.status = DECISION_WELDER_INACTIVE;
    f.welder.trained = false;
    f.lic.status = LICENCE_REVOKED;
    f.in.has_position = false;
    f.in.busy_machine_id = 9;
    decision_result out;
    assert_int_equal(decision_scan(&f.in, &out), WR_OK);
    assert_false(out.ok);
    const reason_code expected[] = {REASON_MACHINE_SUSPENDED,     REASON_WELDER_INACTIVE,
                                    REASON_LICENCE_REVOKED,       REASON_TRAINING_MISSING,
                                    REASON_WELDER_BUSY_ELSEWHERE, REASON_POSITION_MISSING};
    assert_int_equal(out.reasons.count, 6);
    for (size_t i = 0; i < 6; i++)
        assert_int_equal(out.reasons.codes[i], expected[i]);
    /* Same input, same output. */
    decision_result again;
    assert_int_equal(decision_scan(&f.in, &again), WR_OK);
    assert_memory_equal(&out.reasons, &again.reasons, sizeof(out.reasons));
}

static void test_bad_calls(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    decision_result out;
    assert_int_equal(decision_scan(NULL, &out), WR_EINVAL);
    assert_false(out.ok);
    assert_int_equal(decision_scan(&f.in, NULL), WR_EINVAL);
    f.in.permits = NULL;
    assert_int_equal(decision_scan(&f.in, &out), WR_EINVAL);
    /* Huge times saturate instead of overflowing. */
    fixture_init(&f);
    f.permits[0].start = INT64_MAX - 2 * HOUR;
    f.permits[0].end = INT64_MAX;
    f.permits[0].gas_analysis_at = INT64_MAX - HOUR;
    f.in.time = INT64_MAX - HOUR;
    f.lic.valid_until = INT64_MAX;
    f.lic.review_due = INT64_MAX;
    f.welder.training_until = INT64_MAX;
    assert_int_equal(decision_scan(&f.in, &out), WR_OK);
    assert_true(out.ok);
    assert_int_equal(out.until, INT64_MAX);
}

/* ---- Events after the scan ---- */

static decision_session open_session(void)
{
    return (decision_session){.open = true,
                              .started_at = T_0900,
                              .until = T_0900 + 4 * HOUR,
                              .last_seen = T_0900 + 60,
                              .has_last_seq = true,
                              .last_seq = 10};
}

static checkin_event heartbeat(int64_t ts, uint64_t seq)
{
    return (checkin_event){.kind = CHECKIN_HB, .seq = seq, .ts = ts};
}

static void expect_event_only(const checkin_event *ev, const decision_session *s, int64_t now,
                              reason_code expected)
{
    reason_list out;
    reason_list_init(&out);
    assert_false(decision_event(ev, s, now, NULL, &out));
    if (out.count != 1 || out.codes[0] != expected) {
        for (size_t i = 0; i < out.count; i++)
            print_error("got %s\n", reason_name(out.codes[i]));
        fail_msg("expected only %s", reason_name(expected));
    }
    reason_list_add(&produced, expected);
}

static void test_event_ok(void **state)
{
    (void)state;
    decision_session s = open_session();
    checkin_event ev = heartbeat(T_0900 + 120, 11);
    reason_list out;
    reason_list_init(&out);
    assert_true(decision_event(&ev, &s, T_0900 + 121, NULL, &out));
    /* End and scan events outside a session are normal. */
    s.open = false;
    ev.kind = CHECKIN_END;
    assert_true(decision_event(&ev, &s, T_0900 + 121, NULL, &out));
    s.has_last_seq = false;
    ev.seq = 0;
    assert_true(decision_event(&ev, &s, T_0900 + 121, NULL, &out));
    assert_int_equal(out.count, 0);
}

static void test_event_reasons(void **state)
{
    (void)state;
    decision_session s = open_session();
    checkin_event ev = heartbeat(T_0900 + 120, 10);
    expect_event_only(&ev, &s, T_0900 + 120, REASON_REPLAY);
    ev = heartbeat(T_0900 + 120, 11);
    expect_event_only(&ev, &s, T_0900 + 120 - DECISION_DEFAULT_MAX_SKEW_S - 1, REASON_CLOCK_SKEW);
    expect_event_only(&ev, &s, T_0900 + 120 + DECISION_DEFAULT_LATE_S + 1, REASON_LATE_EVENT);
    ev.kind = CHECKIN_TAMPER;
    expect_event_only(&ev, &s, T_0900 + 120, REASON_TAMPER);
    ev.kind = CHECKIN_ARC;
    s.open = false;
    expect_event_only(&ev, &s, T_0900 + 120, REASON_WORK_OUTSIDE_PLATFORM);
    s = open_session();
    ev = heartbeat(s.until, 11);
    s.last_seen = s.until - 60;
    expect_event_only(&ev, &s, s.until, REASON_SESSION_OVERRUN);
    ev = heartbeat(T_0900 + 60 + DECISION_DEFAULT_HEARTBEAT_TIMEOUT_S + 1, 11);
    s = open_session();
    expect_event_only(&ev, &s, ev.ts, REASON_HEARTBEAT_LOST);
    /* More than 24 h after the start is an overrun even if until was set later. */
    s = open_session();
    s.until = INT64_MAX;
    ev = heartbeat(T_0900 + 24 * HOUR + 1, 11);
    s.last_seen = ev.ts - 10;
    expect_event_only(&ev, &s, ev.ts, REASON_SESSION_OVERRUN);
}

/* An event counts at the server's time, whatever the chip's clock says, unless it arrives late
 * (buffered while offline): then at its own. */
static void test_event_time(void **state)
{
    (void)state;
    decision_session s = open_session();
    /* a chip clock 4 h ahead is flagged, but neither runs the session over nor loses it */
    checkin_event ev = heartbeat(T_0900 + 120 + 4 * HOUR, 11);
    expect_event_only(&ev, &s, T_0900 + 120, REASON_CLOCK_SKEW);
    /* silent by the server's clock, though not by the chip's, which is behind */
    ev = heartbeat(s.last_seen + 10, 11);
    expect_event_only(&ev, &s, s.last_seen + DECISION_DEFAULT_HEARTBEAT_TIMEOUT_S + 1,
                      REASON_HEARTBEAT_LOST);
    /* a buffered heartbeat from inside the session, sent much later */
    ev = heartbeat(T_0900 + 120, 11);
    expect_event_only(&ev, &s, T_0900 + 120 + DECISION_DEFAULT_LATE_S + 1, REASON_LATE_EVENT);
}

/* The silence before an event is measured by the chip's own clock when the session knows the
 * chip's time of its last event: a backlog sent after an outage has the gaps it really had. */
static void test_event_silence_by_chip_clock(void **state)
{
    (void)state;
    decision_session s = open_session();
    s.has_last_ts = true;
    s.last_ts = s.last_seen - 300; /* the chip's clock is 5 min behind */
    /* offline for almost 6 min; its buffered heartbeat of a minute later arrives now, not late:
     * judged at the server's clock, 350 s after the last event, but not silent */
    checkin_event ev = heartbeat(s.last_ts + 60, 11);
    reason_list out;
    reason_list_init(&out);
    assert_true(decision_event(&ev, &s, s.last_seen + 350, NULL, &out));
    assert_false(decision_silent(&s, ev.ts, s.last_seen + 350, NULL));
    s.has_last_ts = false; /* without the chip's time of the last event, it would be */
    assert_true(decision_silent(&s, ev.ts, s.last_seen + 350, NULL));
    s.has_last_ts = true;
    /* a real silence shows on the chip's clock, however far behind it is */
    ev = heartbeat(s.last_ts + DECISION_DEFAULT_HEARTBEAT_TIMEOUT_S + 1, 11);
    expect_event_only(&ev, &s, s.last_seen + DECISION_DEFAULT_HEARTBEAT_TIMEOUT_S + 1,
                      REASON_HEARTBEAT_LOST);
    /* a clock that went back (a reset chip) is not believed: the server's clock counts */
    ev = heartbeat(s.last_ts - 1, 11);
    assert_false(decision_silent(&s, ev.ts, s.last_seen + 10, NULL));
    assert_true(
        decision_silent(&s, ev.ts, s.last_seen + DECISION_DEFAULT_HEARTBEAT_TIMEOUT_S + 1, NULL));
}

/* A session the sweep closed for silence resumes when the chip's backlog shows it running. */
static void test_resumes(void **state)
{
    (void)state;
    decision_session s = open_session();
    s.open = false; /* closed by the sweep */
    s.has_last_ts = true;
    s.last_ts = s.last_seen;
    const decision_limits lim = {.late_s = 600, .heartbeat_timeout_s = 180};
    int64_t now = s.last_seen + 1800; /* back after 30 min */
    checkin_event ev = heartbeat(s.last_seen + 60, 11);
    assert_true(decision_resumes(&ev, &s, now, &lim)); /* late: judged at its ts */
    ev.kind = CHECKIN_ARC;
    assert_true(decision_resumes(&ev, &s, now, &lim));
    ev = heartbeat(s.last_seen + 60, 11);
    assert_true(decision_resumes(&ev, &s, s.last_seen + 400, &lim)); /* not late: now */
    /* with the session open again, the event is judged in it: only late_event */
    decision_session reopened = s;
    reopened.open = true;
    expect_event_only(&ev, &reopened, now, REASON_LATE_EVENT);
    /* a real silence, a replay, a time past the window or before it, an end: no */
    ev = heartbeat(s.last_seen + 181, 11);
    assert_false(decision_resumes(&ev, &s, now, &lim));
    ev = heartbeat(s.last_seen + 60, 10);
    assert_false(decision_resumes(&ev, &s, now, &lim));
    s.last_seen = s.last_ts = s.until - 30;
    ev = heartbeat(s.until, 11);
    assert_false(decision_resumes(&ev, &s, s.until + 1800, &lim));
    ev = heartbeat(s.started_at - 1, 11);
    s.last_seen = s.last_ts = s.started_at - 60;
    assert_false(decision_resumes(&ev, &s, now, &lim));
    ev = heartbeat(s.last_seen + 60, 11);
    ev.kind = CHECKIN_END;
    assert_false(decision_resumes(&ev, &s, now, &lim));
}

static void test_event_limits_and_extremes(void **state)
{
    (void)state;
    decision_session s = open_session();
    checkin_event ev = heartbeat(T_0900 + 200, 11);
    const decision_limits lim = {.max_skew_s = 10, .late_s = 10, .heartbeat_timeout_s = 100};
    reason_list out;
    reason_list_init(&out);
    assert_false(decision_event(&ev, &s, T_0900 + 170, &lim, &out));
    assert_int_equal(out.count, 2);
    assert_true(reason_list_has(&out, REASON_CLOCK_SKEW));
    assert_true(reason_list_has(&out, REASON_HEARTBEAT_LOST));
    assert_int_equal(decision_event_time(T_0900 + 200, T_0900 + 170, &lim), T_0900 + 170);
    assert_int_equal(decision_event_time(T_0900 + 159, T_0900 + 170, &lim), T_0900 + 159);
    assert_int_equal(decision_event_time(T_0900 + 160, T_0900 + 170, &lim), T_0900 + 170);
    /* Extreme times do not overflow. */
    s.started_at = INT64_MIN;
    s.last_seen = INT64_MIN;
    ev = heartbeat(INT64_MAX, 12);
    reason_list_init(&out);
    assert_false(decision_event(&ev, &s, INT64_MAX, NULL, &out));
    assert_int_equal(out.count, 2);
    assert_true(reason_list_has(&out, REASON_SESSION_OVERRUN));
    assert_true(reason_list_has(&out, REASON_HEARTBEAT_LOST));
    reason_list_init(&out);
    assert_false(decision_event(&ev, &s, INT64_MIN, NULL, &out));
    assert_int_equal(out.count, 1);
    assert_true(reason_list_has(&out, REASON_CLOCK_SKEW));
    ev = heartbeat(INT64_MIN, 13);
    assert_int_equal(decision_event_time(ev.ts, INT64_MAX, NULL), INT64_MIN);
    reason_list_init(&out);
    assert_false(decision_event(&ev, &s, INT64_MAX, NULL, &out));
    assert_int_equal(out.count, 1);
    assert_true(reason_list_has(&out, REASON_LATE_EVENT));
}

static void test_sweep(void **state)
{
    (void)state;
    decision_session s = open_session();
    reason_list out;
    reason_list_init(&out);
    assert_true(decision_sweep(&s, s.last_seen + DECISION_DEFAULT_HEARTBEAT_TIMEOUT_S, NULL, &out));
    assert_false(
        decision_sweep(&s, s.last_seen + DECISION_DEFAULT_HEARTBEAT_TIMEOUT_S + 1, NULL, &out));
    assert_int_equal(out.count, 1);
    assert_int_equal(out.codes[0], REASON_HEARTBEAT_LOST);
    reason_list_init(&out);
    s.last_seen = s.until - 1;
    assert_false(decision_sweep(&s, s.until, NULL, &out));
    assert_int_equal(out.count, 1);
    assert_int_equal(out.codes[0], REASON_SESSION_OVERRUN);
    s.open = false;
    reason_list_init(&out);
    assert_true(decision_sweep(&s, INT64_MAX, NULL, &out));
}

/* On a holiday the level goes up one: a second-level permit longer than 8 h is no candidate. */
static void test_holiday_raises_the_level(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    f.permits[0].level = PERMIT_SECOND;
    f.permits[0].end = f.permits[0].start + 10 * HOUR;
    decision_result out;
    assert_int_equal(decision_scan(&f.in, &out), WR_OK);
    assert_true(out.ok); /* a Monday by day: second level, 72 h */
    const int64_t days[] = {permit_china_day(f.permits[0].start)};
    const bool rest[] = {true};
    const permit_calendar cal = {.days = days, .rest = rest, .count = 1};
    f.in.calendar = &cal;
    expect_only(&f, REASON_PERMIT_NONE);
    f.permits[0].end = f.permits[0].start + 8 * HOUR; /* within the raised level's limit */
    assert_int_equal(decision_scan(&f.in, &out), WR_OK);
    assert_true(out.ok);
    /* the approver must be able to sign for the raised level (Table B.1) */
    f.permits[0].has_approver_level = true;
    f.permits[0].approver_level = PERMIT_SECOND;
    expect_only(&f, REASON_PERMIT_NONE);
    f.permits[0].approver_level = PERMIT_FIRST;
    assert_int_equal(decision_scan(&f.in, &out), WR_OK);
    assert_true(out.ok);
}

/* A running session's permit as it is now. */
static void test_permit_holds(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    reason_list out;
    reason_list_init(&out);
    permit *p = &f.permits[0];
    assert_true(decision_permit_holds(p, f.welder.id, f.machine.id, &out));
    p->end = p->start + HOUR; /* shortened or extended: the session keeps its own until */
    assert_true(decision_permit_holds(p, f.welder.id, f.machine.id, &out));
    assert_false(decision_permit_holds(p, f.welder.id + 1, f.machine.id, &out));
    assert_false(decision_permit_holds(p, f.welder.id, f.machine.id + 1, &out));
    p->status = PERMIT_CANCELLED;
    assert_false(decision_permit_holds(p, f.welder.id, f.machine.id, &out));
    assert_false(decision_permit_holds(NULL, f.welder.id, f.machine.id, &out));
    assert_int_equal(out.count, 1); /* one reason, however many times */
    assert_int_equal(out.codes[0], REASON_PERMIT_WITHDRAWN);
    reason_list_add(&produced, REASON_PERMIT_WITHDRAWN);
}

/* Every reason in the table was produced by one of the tests above (cmocka runs them in
 * order, so this one must stay last), except those that rules of their own decide, whose tests
 * are named here. */
static void test_every_reason_produced(void **state)
{
    (void)state;
    static const reason_code elsewhere[] = {
        REASON_CODE_COPIED,            /* core/travel.c: test-travel, test-judge */
        REASON_SUSPECTED_MODIFICATION, /* core/current.c: test-current, test-judge */
        REASON_CHECKIN_FLOOD,          /* server/checkin/judge.c: test-judge, attacks.sh */
    };
    for (size_t i = 0; i < sizeof(elsewhere) / sizeof(elsewhere[0]); i++)
        reason_list_add(&produced, elsewhere[i]);
    for (int c = 1; c < REASON_COUNT_; c++) {
        if (!reason_list_has(&produced, (reason_code)c))
            fail_msg("no test produces %s", reason_name((reason_code)c));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ok),
        cmocka_unit_test(test_chooses_latest_passing_permit),
        cmocka_unit_test(test_ties_take_the_first),
        cmocka_unit_test(test_machine_reasons),
        cmocka_unit_test(test_enforcement_stops_work),
        cmocka_unit_test(test_code_reasons),
        cmocka_unit_test(test_verifier_failure_is_not_a_verdict),
        cmocka_unit_test(test_welder_reasons),
        cmocka_unit_test(test_shared_code),
        cmocka_unit_test(test_licence_reasons),
        cmocka_unit_test(test_permit_reasons),
        cmocka_unit_test(test_closest_permit_reported),
        cmocka_unit_test(test_all_failures_reported),
        cmocka_unit_test(test_bad_calls),
        cmocka_unit_test(test_event_ok),
        cmocka_unit_test(test_event_reasons),
        cmocka_unit_test(test_event_time),
        cmocka_unit_test(test_event_limits_and_extremes),
        cmocka_unit_test(test_sweep),
        cmocka_unit_test(test_event_silence_by_chip_clock),
        cmocka_unit_test(test_resumes),
        cmocka_unit_test(test_permit_holds),
        cmocka_unit_test(test_holiday_raises_the_level),
        cmocka_unit_test(test_every_reason_produced),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
