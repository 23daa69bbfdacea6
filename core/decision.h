/* decision.h — the scan decision: may this welder unlock this machine now, and if not, every
 * reason why. Pure: the caller looks everything up first and passes it in. */
#ifndef WELDREG_CORE_DECISION_H
#define WELDREG_CORE_DECISION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/checkin.h"
#include "core/licence.h"
#include "core/permit.h"
#include "core/reason.h"
#include "core/status.h"

#define DECISION_DEFAULT_MAX_SESSION_S (INT64_C(8) * 3600)
/* A scan this far from the machine the welder is already working on is a shared code. */
#define DECISION_DEFAULT_SHARED_CODE_M 500.0

typedef enum decision_machine_status {
    DECISION_MACHINE_ACTIVE,
    DECISION_MACHINE_SUSPENDED,
    DECISION_MACHINE_SCRAPPED,
} decision_machine_status;

typedef struct decision_machine {
    int64_t id;
    int64_t enterprise_id;
    decision_machine_status status;
    unsigned category; /* the licence_category its process needs; 0 = not recorded */
    /* 重患必停: the machine's enterprise is suspended (ordered to stop), or it or one of its
     * sites has a major hazard (重大事故隐患) open; either locks every machine it has. */
    bool enterprise_suspended;
    bool major_hazard;
} decision_machine;

/* Where an open major hazard is (重大事故隐患 at a site): a machine within radius_m of it is
 * locked whatever its enterprise (a contractor's machine at the site too). */
typedef struct decision_site {
    double lat;
    double lon;
    double radius_m;
} decision_site;

typedef enum decision_welder_status {
    DECISION_WELDER_ACTIVE,
    DECISION_WELDER_INACTIVE,
} decision_welder_status;

typedef struct decision_welder {
    int64_t id;
    decision_welder_status status;
    const licence *licence; /* NULL: no licence on record; borrowed */
    bool trained;           /* training on record */
    int64_t training_until; /* trained: the training is valid while the time is before this */
} decision_welder;

/* What the verified code says it identifies. */
typedef enum decision_code_kind {
    DECISION_CODE_WELDER,
    DECISION_CODE_MACHINE,
    DECISION_CODE_OTHER,
} decision_code_kind;

/* Everything the decision needs, looked up by the caller; all pointers are borrowed and only
 * read. A NULL machine or welder means "not found". */
typedef struct decision_input {
    const decision_machine *machine; /* the machine that sent the scan */
    /* The result of verifying the scanned code: WR_OK, or WR_ESIG (forged), WR_EKEY or
     * WR_ENOTFOUND (unknown key), WR_EEXPIRED, WR_ENOTYET, WR_EREVOKED, or a parse failure
     * (WR_EINVAL, WR_ETRUNC, WR_ETYPE, WR_ERANGE, WR_EDEPTH: malformed). Any other status is
     * a failure of the verifier, not a verdict on the code: see decision_scan(). */
    wr_status code_status;
    decision_code_kind code_kind;  /* the claims' type; read only when code_status is WR_OK */
    const decision_welder *welder; /* the welder the code names; read only for a good code */
    const permit *permits;         /* candidate permits, e.g. the enterprise's current ones */
    size_t permit_count;
    int64_t time; /* the event time, Unix seconds */
    bool has_position;
    double lat;
    double lon;
    /* The machine on which the welder already has an open session (0: none) and, if known,
     * where that machine is. */
    int64_t busy_machine_id;
    bool busy_has_position;
    double busy_lat;
    double busy_lon;
    /* the holiday calendar for the level raise of GB 30871 5.1; NULL: weekends only */
    const permit_calendar *calendar;
    int64_t max_session_s; /* <= 0: DECISION_DEFAULT_MAX_SESSION_S */
    double shared_code_m;  /* <= 0 or not finite: DECISION_DEFAULT_SHARED_CODE_M */
    /* the sites of the open major hazards (重患必停), any enterprise's */
    const decision_site *hazard_sites;
    size_t hazard_site_count;
} decision_input;

typedef struct decision_result {
    bool ok;              /* the machine may be unlocked */
    reason_list reasons;  /* empty when ok; otherwise every failure found */
    const permit *permit; /* ok: the permit chosen (points into input permits); else NULL */
    /* not ok: for the record, the candidate permit that fitted (other rules failed) or failed
     * least; NULL if there was none or the permit rules were not reached. */
    const permit *closest;
    int64_t until; /* ok: min(permit end, time + max session); else 0 */
} decision_result;

/* The machine's own rules, which every event is judged by (the scan, and the events of a session
 * already open): unknown, suspended or scrapped, and 重患必停 (enterprise_suspended,
 * major_hazard). Adds to @p out; a NULL @p machine is "not registered". */
void decision_check_machine(const decision_machine *machine, reason_list *out);

/* Whether a machine at (@p lat, @p lon) is within the radius of one of the @p count hazard
 * @p sites (false without a position: the rule needs one). */
bool decision_at_hazard_site(const decision_site *sites, size_t count, bool has_position,
                             double lat, double lon);

/* Whether @p reasons holds a reason that stops work at once (重患必停): a session open on the
 * machine is closed, not only refused. */
bool decision_stops_work(const reason_list *reasons);

/* Decides a scan. Rules, all applied so that every failure is reported:
 *  - the machine must be registered and active (decision_check_machine(), 重患必停 included),
 *    and not at the site of an open major hazard (decision_at_hazard_site(): major_hazard);
 *  - the code must verify and be a welder code; the welder rules below apply only then;
 *  - the welder must be registered and active, with a licence for the machine's category
 *    (licence_check()), training on record (training_missing) and still valid at the time
 *    (training_expired: the re-training is due), and no open session on another machine
 *    (welder_busy_elsewhere; also shared_code if that machine is farther than shared_code_m);
 *  - with a known machine and welder, a permit: a candidate counts only if approved, of the
 *    machine's enterprise and with a window allowed for its effective level and an approver
 *    who may sign for it (permit_approver_ok(); else permit_none): one level up when its
 *    work starts at night or on a rest day or holiday (permit_effective_level(),
 *    permit_is_rest_day() with the calendar); the
 *    first candidate with no failures and the latest end is chosen; if none passes, the
 *    failures of the candidate with fewest (first on a tie) are reported.
 * Deterministic, allocation-free. Returns WR_OK with @p out filled; WR_EINVAL if @p in or
 * @p out is NULL or permits or hazard_sites is NULL with a count; or, when code_status is not a
 * verdict (e.g. WR_ENOMEM, WR_ECRYPTO), that status with out->ok false and no reasons: the caller
 * answers with a server error and the device retries. */
wr_status decision_scan(const decision_input *in, decision_result *out);

/* The reason for a code verification status: true and @p out set for a verdict on the code,
 * false for WR_OK and for failures of the verifier itself. */
bool decision_code_reason(wr_status code_status, reason_code *out);

/* ---- Events after the scan ------------------------------------------------------------ */

#define DECISION_DEFAULT_MAX_SKEW_S          300 /* device clock ahead of the server */
#define DECISION_DEFAULT_LATE_S              600 /* an event older than this arrives late */
#define DECISION_DEFAULT_HEARTBEAT_TIMEOUT_S 180 /* silence during work that counts as lost */
#define DECISION_MAX_SESSION_HARD_S          (INT64_C(24) * 3600) /* machine on for more than 24 h */

/* What the server knows of a machine's session. Times are event times (decision_event_time()),
 * Unix seconds. */
typedef struct decision_session {
    bool open;          /* an approved session is open (a scan was allowed and not ended) */
    int64_t started_at; /* when it was allowed */
    int64_t until;      /* decision_result.until of that scan */
    int64_t last_seen;  /* time of the last event in the session */
    bool has_last_ts;   /* last_ts is known */
    int64_t last_ts;    /* the chip's own ts of that event */
    bool has_last_seq;  /* a sequence number was received from this machine before */
    uint64_t last_seq;
} decision_session;

/* Limits of event screening; a field <= 0 takes its DECISION_DEFAULT_ value. */
typedef struct decision_limits {
    int64_t max_skew_s;
    int64_t late_s;
    int64_t heartbeat_timeout_s;
} decision_limits;

/* The time an event with the chip's time @p ts, received at server time @p now, counts at: @p ts
 * when the event arrives late (more than late_s before now: the chip buffered it while
 * offline), else @p now, whatever the chip's clock says (it is not trusted, and one running
 * ahead or behind must not end or lose a session). @p lim may be NULL for the defaults. */
int64_t decision_event_time(int64_t ts, int64_t now, const decision_limits *lim);

/* True if the machine was silent for more than heartbeat_timeout_s before an event with the
 * chip's time @p ts, counted at @p t (decision_event_time()). The chip's own clock measures
 * the interval when the session knows the chip's time of its last event (has_last_ts) and the
 * clock did not go back: a backlog the chip sends after an outage carries the times its events
 * happened, and those that arrive within late_s count at the server's clock, so measuring them
 * by it would find a gap the chip never had; a clock that is off by a constant amount measures
 * intervals right. Otherwise the server's clock: from last_seen to @p t. */
bool decision_silent(const decision_session *session, int64_t ts, int64_t t,
                     const decision_limits *lim);

/* Screens one device event against its machine's session and the server clock @p now, adding
 * to @p out: replay (seq not above last_seq; nothing else is checked then), clock_skew (ts
 * more than max_skew_s after now), late_event (ts more than late_s before now), tamper, and for
 * arc and hb: work_outside_platform without an open session; in one, at the event's time
 * (decision_event_time()): session_overrun (at or past until, or 24 h after started_at) and
 * heartbeat_lost (decision_silent()). @p lim
 * may be NULL for the defaults. Returns true if nothing was added. */
bool decision_event(const checkin_event *ev, const decision_session *session, int64_t now,
                    const decision_limits *lim, reason_list *out);

/* True if an arc or hb shows that a session the server closed for silence (@p lapsed: its
 * started_at, until and last_seen, open or not) was in fact still running: the chip was
 * offline, not silent, and now sends what it buffered. That is, at the event's time
 * (decision_event_time()) the session's window still holds (no session_overrun) and it was
 * not silent (decision_silent()). The caller then judges the event in the session, reopened,
 * instead of as work outside the platform. A seq not above last_seq (a replay) never resumes. */
bool decision_resumes(const checkin_event *ev, const decision_session *lapsed, int64_t now,
                      const decision_limits *lim);

/* Re-judges a running session against its permit @p p as it is now (NULL: no longer approved
 * and current, e.g. closed early): adds permit_withdrawn if it is gone, not approved, or no
 * longer names the session's @p welder_id or @p machine_id. A later end or a newer gas test
 * changes nothing for a session already running. Returns true if nothing was added. */
bool decision_permit_holds(const permit *p, int64_t welder_id, int64_t machine_id,
                           reason_list *out);

/* The server's periodic sweep of an open session with no new event: heartbeat_lost if nothing
 * came for heartbeat_timeout_s before @p now, session_overrun as in decision_event(). Returns
 * true if nothing was added (also for a session that is not open). */
bool decision_sweep(const decision_session *session, int64_t now, const decision_limits *lim,
                    reason_list *out);

#endif
