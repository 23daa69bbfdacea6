/* decision.c — the scan decision: machine, code, welder, licence and permit rules together. */
#include "core/decision.h"

#include <math.h>

#include "core/geo.h"

bool decision_code_reason(wr_status code_status, reason_code *out)
{
    switch (code_status) {
    case WR_ESIG: *out = REASON_CODE_FORGED; return true;
    case WR_EKEY:
    case WR_ENOTFOUND: *out = REASON_CODE_UNKNOWN_KEY; return true;
    case WR_EEXPIRED: *out = REASON_CODE_EXPIRED; return true;
    case WR_ENOTYET: *out = REASON_CODE_NOT_YET_VALID; return true;
    case WR_EREVOKED: *out = REASON_CODE_REVOKED; return true;
    case WR_EINVAL:
    case WR_ETRUNC:
    case WR_ETYPE:
    case WR_ERANGE:
    case WR_EDEPTH: *out = REASON_CODE_MALFORMED; return true;
    case WR_OK:
    case WR_ENOMEM:
    case WR_ESPACE:
    case WR_ETOOBIG:
    case WR_ECRYPTO:
    case WR_EIO: return false;
    }
    return false;
}

void decision_check_machine(const decision_machine *machine, reason_list *out)
{
    if (!machine) {
        reason_list_add(out, REASON_MACHINE_UNKNOWN);
        return;
    }
    if (machine->status == DECISION_MACHINE_SUSPENDED)
        reason_list_add(out, REASON_MACHINE_SUSPENDED);
    else if (machine->status != DECISION_MACHINE_ACTIVE)
        reason_list_add(out, REASON_MACHINE_SCRAPPED);
    if (machine->enterprise_suspended)
        reason_list_add(out, REASON_ENTERPRISE_SUSPENDED);
    if (machine->major_hazard)
        reason_list_add(out, REASON_MAJOR_HAZARD);
}

bool decision_at_hazard_site(const decision_site *sites, size_t count, bool has_position,
                             double lat, double lon)
{
    if (!has_position || !sites)
        return false;
    for (size_t i = 0; i < count; i++) {
        if (geo_distance_m(lat, lon, sites[i].lat, sites[i].lon) <= sites[i].radius_m)
            return true;
    }
    return false;
}

bool decision_stops_work(const reason_list *reasons)
{
    return reason_list_has(reasons, REASON_ENTERPRISE_SUSPENDED) ||
           reason_list_has(reasons, REASON_MAJOR_HAZARD);
}

static void decision_check_busy(const decision_input *in, reason_list *out)
{
    if (in->busy_machine_id == 0 || (in->machine && in->busy_machine_id == in->machine->id))
        return;
    reason_list_add(out, REASON_WELDER_BUSY_ELSEWHERE);
    if (!in->has_position || !in->busy_has_position)
        return;
    double limit = isfinite(in->shared_code_m) && in->shared_code_m > 0
                       ? in->shared_code_m
                       : DECISION_DEFAULT_SHARED_CODE_M;
    double distance = geo_distance_m(in->lat, in->lon, in->busy_lat, in->busy_lon);
    if (distance > limit)
        reason_list_add(out, REASON_SHARED_CODE);
}

static void decision_check_welder(const decision_input *in, reason_list *out)
{
    const decision_welder *welder = in->welder;
    if (!welder) {
        reason_list_add(out, REASON_WELDER_UNKNOWN);
        return;
    }
    if (welder->status != DECISION_WELDER_ACTIVE)
        reason_list_add(out, REASON_WELDER_INACTIVE);
    unsigned category = in->machine ? in->machine->category : 0;
    licence_check(welder->licence, category, in->time, out);
    if (!welder->trained)
        reason_list_add(out, REASON_TRAINING_MISSING);
    else if (in->time >= welder->training_until)
        reason_list_add(out, REASON_TRAINING_EXPIRED);
    decision_check_busy(in, out);
}

static bool decision_permit_is_candidate(const permit *p, const decision_input *in)
{
    permit_level level =
        permit_effective_level(p->level, p->start, permit_is_rest_day(in->calendar, p->start));
    return p->status == PERMIT_APPROVED && p->enterprise_id == in->machine->enterprise_id &&
           permit_window_ok(level, p->start, p->end) && permit_approver_ok(p, level);
}

/* Picks the permit for the scan, or reports why none fits. Needs a known machine and welder. */
static void decision_check_permits(const decision_input *in, decision_result *out)
{
    const permit_scan scan = {
        .welder_id = in->welder->id,
        .machine_id = in->machine->id,
        .time = in->time,
        .has_position = in->has_position,
        .lat = in->lat,
        .lon = in->lon,
    };
    const permit *best_pass = NULL;
    const permit *closest = NULL;
    reason_list closest_reasons;
    reason_list_init(&closest_reasons);
    for (size_t i = 0; i < in->permit_count; i++) {
        const permit *p = &in->permits[i];
        if (!decision_permit_is_candidate(p, in))
            continue;
        reason_list failures;
        reason_list_init(&failures);
        if (permit_check(p, &scan, &failures)) {
            if (!best_pass || p->end > best_pass->end)
                best_pass = p;
        } else if (!closest || failures.count < closest_reasons.count) {
            closest = p;
            closest_reasons = failures;
        }
    }
    if (best_pass) {
        out->permit = best_pass;
        return;
    }
    if (!closest) {
        reason_list_add(&out->reasons, REASON_PERMIT_NONE);
        return;
    }
    out->closest = closest;
    for (size_t i = 0; i < closest_reasons.count; i++)
        reason_list_add(&out->reasons, closest_reasons.codes[i]);
}

static int64_t decision_until(const decision_input *in, int64_t permit_end)
{
    int64_t max_session =
        in->max_session_s > 0 ? in->max_session_s : DECISION_DEFAULT_MAX_SESSION_S;
    int64_t session_end = in->time > INT64_MAX - max_session ? INT64_MAX : in->time + max_session;
    return permit_end < session_end ? permit_end : session_end;
}

wr_status decision_scan(const decision_input *in, decision_result *out)
{
    if (!out)
        return WR_EINVAL;
    *out = (decision_result){0};
    reason_list_init(&out->reasons);
    if (!in || (in->permit_count > 0 && !in->permits) ||
        (in->hazard_site_count > 0 && !in->hazard_sites))
        return WR_EINVAL;
    reason_code code_reason;
    bool code_failed = decision_code_reason(in->code_status, &code_reason);
    if (!code_failed && in->code_status != WR_OK)
        return in->code_status;

    decision_check_machine(in->machine, &out->reasons);
    if (decision_at_hazard_site(in->hazard_sites, in->hazard_site_count, in->has_position, in->lat,
                                in->lon))
        reason_list_add(&out->reasons, REASON_MAJOR_HAZARD);
    if (code_failed)
        reason_list_add(&out->reasons, code_reason);
    else if (in->code_kind != DECISION_CODE_WELDER)
        reason_list_add(&out->reasons, REASON_CODE_WRONG_TYPE);
    else {
        decision_check_welder(in, &out->reasons);
        if (in->machine && in->welder)
            decision_check_permits(in, out);
    }
    if (out->reasons.count > 0) {
        /* A permit that fitted while other rules failed is kept for the record only. */
        if (out->permit)
            out->closest = out->permit;
        out->permit = NULL;
        return WR_OK;
    }
    out->ok = true;
    out->until = decision_until(in, out->permit->end);
    return WR_OK;
}

/* ---- Events after the scan ------------------------------------------------------------ */

/* True if @p a is more than @p d seconds after @p b, without overflow. */
static bool decision_later_by(int64_t a, int64_t b, int64_t d)
{
    return a > b && (uint64_t)a - (uint64_t)b > (uint64_t)d;
}

static int64_t decision_limit(int64_t value, int64_t fallback)
{
    return value > 0 ? value : fallback;
}

static bool decision_overrun(const decision_session *session, int64_t t)
{
    return t >= session->until ||
           decision_later_by(t, session->started_at, DECISION_MAX_SESSION_HARD_S);
}

static void decision_check_open_session(const decision_session *session, int64_t t, bool silent,
                                        reason_list *out)
{
    if (decision_overrun(session, t))
        reason_list_add(out, REASON_SESSION_OVERRUN);
    if (silent)
        reason_list_add(out, REASON_HEARTBEAT_LOST);
}

int64_t decision_event_time(int64_t ts, int64_t now, const decision_limits *lim)
{
    int64_t late = decision_limit(lim ? lim->late_s : 0, DECISION_DEFAULT_LATE_S);
    return decision_later_by(now, ts, late) ? ts : now;
}

static int64_t decision_heartbeat_timeout(const decision_limits *lim)
{
    return decision_limit(lim ? lim->heartbeat_timeout_s : 0, DECISION_DEFAULT_HEARTBEAT_TIMEOUT_S);
}

bool decision_silent(const decision_session *session, int64_t ts, int64_t t,
                     const decision_limits *lim)
{
    int64_t timeout = decision_heartbeat_timeout(lim);
    if (session->has_last_ts && ts >= session->last_ts)
        return decision_later_by(ts, session->last_ts, timeout);
    return decision_later_by(t, session->last_seen, timeout);
}

bool decision_resumes(const checkin_event *ev, const decision_session *lapsed, int64_t now,
                      const decision_limits *lim)
{
    if (ev->kind != CHECKIN_ARC && ev->kind != CHECKIN_HB)
        return false;
    if (lapsed->has_last_seq && ev->seq <= lapsed->last_seq)
        return false;
    int64_t t = decision_event_time(ev->ts, now, lim);
    return t >= lapsed->started_at && !decision_overrun(lapsed, t) &&
           !decision_silent(lapsed, ev->ts, t, lim);
}

bool decision_event(const checkin_event *ev, const decision_session *session, int64_t now,
                    const decision_limits *lim, reason_list *out)
{
    const decision_limits none = {0};
    if (!lim)
        lim = &none;
    size_t before = out->count;
    if (session->has_last_seq && ev->seq <= session->last_seq) {
        reason_list_add(out, REASON_REPLAY);
        return false;
    }
    if (decision_later_by(ev->ts, now,
                          decision_limit(lim->max_skew_s, DECISION_DEFAULT_MAX_SKEW_S)))
        reason_list_add(out, REASON_CLOCK_SKEW);
    if (decision_later_by(now, ev->ts, decision_limit(lim->late_s, DECISION_DEFAULT_LATE_S)))
        reason_list_add(out, REASON_LATE_EVENT);
    if (ev->kind == CHECKIN_TAMPER)
        reason_list_add(out, REASON_TAMPER);
    if (ev->kind == CHECKIN_ARC || ev->kind == CHECKIN_HB) {
        if (!session->open)
            reason_list_add(out, REASON_WORK_OUTSIDE_PLATFORM);
        else {
            int64_t t = decision_event_time(ev->ts, now, lim);
            decision_check_open_session(session, t, decision_silent(session, ev->ts, t, lim), out);
        }
    }
    return out->count == before;
}

bool decision_permit_holds(const permit *p, int64_t welder_id, int64_t machine_id, reason_list *out)
{
    if (p && p->status == PERMIT_APPROVED && permit_lists_welder(p, welder_id) &&
        permit_lists_machine(p, machine_id))
        return true;
    reason_list_add(out, REASON_PERMIT_WITHDRAWN);
    return false;
}

bool decision_sweep(const decision_session *session, int64_t now, const decision_limits *lim,
                    reason_list *out)
{
    size_t before = out->count;
    if (!session->open)
        return true;
    decision_check_open_session(
        session, now, decision_later_by(now, session->last_seen, decision_heartbeat_timeout(lim)),
        out);
    return out->count == before;
}
