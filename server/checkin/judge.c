/* judge.c — the server's side of the decision: gather what the core's rules need from memory,
 * apply them, and turn the result into a record (reason names, violations, session change). */
#include "server/checkin/judge.h"

#include <string.h>

#include "core/hex.h"
#include "core/code.h"
#include "core/json.h"
#include "core/reason.h"

/* The core's view of a registered machine (NULL stays NULL: not registered). */
static decision_machine judge_machine(const registry_machine *m)
{
    return (decision_machine){.id = m->id,
                              .enterprise_id = m->enterprise_id,
                              .status = m->status,
                              .category = m->category,
                              .enterprise_suspended = m->enterprise_suspended,
                              .major_hazard = m->major_hazard};
}

/* The machine's own reasons, and major_hazard when it is at the site of an open one (at the
 * position given, if any). */
static void judge_machine_reasons(const judge_context *jc, const registry_machine *m,
                                  bool has_position, double lat, double lon, reason_list *reasons)
{
    decision_machine machine;
    if (m)
        machine = judge_machine(m);
    decision_check_machine(m ? &machine : NULL, reasons);
    size_t count;
    const decision_site *sites = registry_hazard_sites(jc->reg, &count);
    if (decision_at_hazard_site(sites, count, has_position, lat, lon))
        reason_list_add(reasons, REASON_MAJOR_HAZARD);
}

typedef struct judge_scan {
    decision_machine machine;
    decision_welder welder;
    decision_input in;
    decision_result out;
    bool copied; /* the code was scanned farther away than travel allows (code_copied) */
} judge_scan;

static void judge_put_fix(json_writer *w, const char *key, const code_scan *s)
{
    json_key(w, key);
    json_begin_object(w);
    json_key(w, "machine_id");
    json_put_int(w, s->machine_id);
    json_key(w, "lat");
    json_put_double(w, s->lat);
    json_key(w, "lon");
    json_put_double(w, s->lon);
    json_key(w, "at");
    json_put_int(w, s->at);
    json_end_object(w);
}

/* The evidence of code_copied: the code, both scans, the distance and what travel allows. */
static void judge_copied_details(const code_scan *first, const code_scan *second,
                                 const travel_check *c, checkin_record *rec)
{
    char cti[2 * CODE_CTI_LEN + 1];
    hex_encode(second->cti, CODE_CTI_LEN, cti);
    json_writer w;
    json_writer_init(&w, rec->details, sizeof(rec->details));
    json_begin_object(&w);
    json_key(&w, "code_copied");
    json_begin_object(&w);
    json_key(&w, "code_cti");
    json_put_cstr(&w, cti);
    judge_put_fix(&w, "first", first);
    judge_put_fix(&w, "second", second);
    json_key(&w, "distance_m");
    json_put_int(&w, (int64_t)c->distance_m);
    json_key(&w, "elapsed_s");
    json_put_int(&w, c->elapsed_s);
    json_key(&w, "allowed_m");
    json_put_int(&w, (int64_t)c->allowed_m);
    json_end_object(&w);
    json_end_object(&w);
    if (json_writer_status(&w) != WR_OK)
        rec->details[0] = '\0';
}

/* Compares this scan of a welder code with the code's last one and remembers it. */
static void judge_travel(const judge_context *jc, const checkin_event *ev, int64_t t,
                         const uint8_t cti[CODE_CTI_LEN], judge_scan *js, checkin_record *rec)
{
    if (!jc->scans || !ev->has_position)
        return;
    code_scan now = {.lat = ev->lat, .lon = ev->lon, .at = t, .machine_id = rec->machine_id};
    memcpy(now.cti, cti, sizeof(now.cti));
    const code_scan *last = scans_find(jc->scans, cti);
    travel_check c;
    if (last && travel_impossible(&(travel_fix){last->lat, last->lon, last->at},
                                  &(travel_fix){now.lat, now.lon, now.at}, &jc->travel, &c)) {
        js->copied = true;
        judge_copied_details(last, &now, &c, rec);
    }
    (void)scans_note(jc->scans, &now); /* out of memory: this scan is not remembered */
}

/* Verifies the scanned code and finds the welder it names through the platform's record of
 * issued codes (the cti), never through fields of the code alone. */
static void judge_code(const judge_context *jc, const checkin_event *ev, int64_t t, judge_scan *js,
                       checkin_record *rec)
{
    code_parsed parsed;
    if (code_decode(ev->code, ev->code_len, &parsed) == WR_OK) {
        rec->has_cti = true;
        memcpy(rec->cti, parsed.claims.cti, sizeof(rec->cti));
    }
    code_claims claims;
    js->in.code_status = code_verify_cached(jc->codes, ev->code, ev->code_len, jc->trust,
                                            registry_revocations(jc->reg), (uint64_t)t, &claims);
    if (js->in.code_status != WR_OK)
        return;
    js->in.code_kind = claims.kind == CODE_WELDER ? DECISION_CODE_WELDER : DECISION_CODE_MACHINE;
    if (claims.kind == CODE_WELDER)
        judge_travel(jc, ev, t, claims.cti, js, rec);
    const registry_code *issued = registry_find_code(jc->reg, claims.cti);
    const registry_welder *w =
        issued && issued->kind == 'w' ? registry_find_welder(jc->reg, issued->subject_id) : NULL;
    if (!w)
        return;
    js->welder = (decision_welder){.id = w->id,
                                   .status = w->status,
                                   .licence = &w->licence,
                                   .trained = w->trained,
                                   .training_until = w->training_until};
    js->in.welder = &js->welder;
    rec->welder_id = w->id;
    cluster_session busy;
    if (cluster_welder_busy(jc->sessions, jc->cluster, w->id, rec->chip_id, &busy)) {
        js->in.busy_machine_id = busy.machine_id ? busy.machine_id : -1;
        js->in.busy_has_position = busy.has_position;
        js->in.busy_lat = busy.lat;
        js->in.busy_lon = busy.lon;
    }
}

static void judge_scan_event(const judge_context *jc, const checkin_event *ev, int64_t t,
                             const registry_machine *m, reason_list *reasons, checkin_record *rec)
{
    judge_scan js;
    memset(&js, 0, sizeof(js));
    if (m) {
        js.machine = judge_machine(m);
        js.in.machine = &js.machine;
        js.in.permits = registry_permits_of(jc->reg, m->enterprise_id, &js.in.permit_count);
    }
    js.in.time = t;
    js.in.has_position = ev->has_position;
    js.in.lat = ev->lat;
    js.in.lon = ev->lon;
    js.in.calendar = registry_calendar(jc->reg);
    js.in.max_session_s = jc->max_session_s;
    js.in.shared_code_m = jc->shared_code_m;
    js.in.hazard_sites = registry_hazard_sites(jc->reg, &js.in.hazard_site_count);
    judge_code(jc, ev, t, &js, rec);
    if (decision_scan(&js.in, &js.out) != WR_OK) {
        reason_list_add(reasons, REASON_CODE_MALFORMED); /* the verifier itself failed */
        return;
    }
    for (size_t i = 0; i < js.out.reasons.count; i++)
        reason_list_add(reasons, js.out.reasons.codes[i]);
    if (js.copied)
        reason_list_add(reasons, REASON_CODE_COPIED);
    if (js.out.ok) {
        rec->ok = true;
        rec->unlock_until = js.out.until;
        rec->permit_id = js.out.permit->id;
    }
}

/* The evidence of suspected_modification: the rule, the reading, the rating, the session's
 * first readings and their baseline. */
static void judge_current_details(current_finding f, const checkin_event *ev,
                                  const registry_machine *m, const current_profile *p,
                                  uint32_t baseline, checkin_record *rec)
{
    json_writer w;
    json_writer_init(&w, rec->details, sizeof(rec->details));
    json_begin_object(&w);
    json_key(&w, "suspected_modification");
    json_begin_object(&w);
    json_key(&w, "rule");
    json_put_cstr(&w, current_finding_name(f));
    json_key(&w, "amp_a");
    json_put_int(&w, ev->amp);
    json_key(&w, "rated_current_a");
    if (m->rated_current_a > 0)
        json_put_int(&w, m->rated_current_a);
    else
        json_put_null(&w);
    json_key(&w, "first_readings_a");
    json_begin_array(&w);
    for (unsigned i = 0; p && i < p->count; i++)
        json_put_int(&w, p->first[i]);
    json_end_array(&w);
    json_key(&w, "baseline_a");
    json_put_int(&w, baseline);
    json_end_object(&w);
    json_end_object(&w);
    if (json_writer_status(&w) != WR_OK)
        rec->details[0] = '\0';
}

/* An arc's current against the machine's rating and, in a session, against how it began. */
static void judge_current(const checkin_event *ev, const registry_machine *m,
                          const machine_state *st, bool open, reason_list *reasons,
                          checkin_record *rec)
{
    if (ev->kind != CHECKIN_ARC || !ev->has_amp || !m)
        return;
    const current_profile *p = open && st ? &st->current : NULL;
    uint32_t baseline;
    current_finding f = current_check(p, ev->amp, m->rated_current_a, &baseline);
    if (f == CURRENT_OK)
        return;
    reason_list_add(reasons, REASON_SUSPECTED_MODIFICATION);
    judge_current_details(f, ev, m, p, baseline, rec);
}

/* Why a session closes that ran over, went silent, lost its permit or was stopped (重患必停: its
 * enterprise suspended or a major hazard opened), or NULL if none of these. */
static const char *judge_lapse(const reason_list *reasons)
{
    if (decision_stops_work(reasons))
        return "stopped";
    if (reason_list_has(reasons, REASON_PERMIT_WITHDRAWN))
        return "permit_withdrawn";
    if (reason_list_has(reasons, REASON_SESSION_OVERRUN))
        return "overrun";
    if (reason_list_has(reasons, REASON_HEARTBEAT_LOST))
        return "heartbeat_lost";
    return NULL;
}

/* True if nothing but screening notes (clock_skew, late_event) was found: an event in the
 * session keeps the machine unlocked. A chip that buffered its events while offline and sends
 * them late is still working inside its session; refusing them would lock it. */
static bool judge_only_screening(const reason_list *reasons)
{
    for (size_t i = 0; i < reasons->count; i++) {
        if (reasons->codes[i] != REASON_CLOCK_SKEW && reasons->codes[i] != REASON_LATE_EVENT)
            return false;
    }
    return true;
}

/* Events after the scan: inside an open session they keep the machine unlocked. "end" and
 * "tamper" close it, and so does an event that finds it run over or silent for too long: the
 * machine locks at that answer and the welder must scan again, whether or not the sweep has
 * come by yet. An event that resumes the session the sweep closed for silence
 * (decision_resumes()) reopens it. */
static void judge_session_event(const checkin_event *ev, const machine_state *st, bool open,
                                bool resumed, const reason_list *reasons, checkin_record *rec)
{
    if (!open)
        return;
    rec->session_id = resumed ? st->lapsed_session_id : st->session_id;
    rec->welder_id = resumed ? st->lapsed_welder_id : st->welder_id;
    const char *lapse = judge_lapse(reasons);
    if (!resumed && (ev->kind == CHECKIN_END || ev->kind == CHECKIN_TAMPER || lapse)) {
        rec->op = SESSION_CLOSE;
        rec->close_reason = ev->kind == CHECKIN_END      ? "ended"
                            : ev->kind == CHECKIN_TAMPER ? "tamper"
                                                         : lapse;
        return;
    }
    rec->op = resumed ? SESSION_RESUME : SESSION_TOUCH;
    rec->permit_id = resumed ? st->lapsed_permit_id : 0;
    if (judge_only_screening(reasons)) {
        rec->ok = true;
        rec->unlock_until = st->session.until;
    }
}

/* The permit @p permit_id as the registry has it now, or NULL if it is no longer approved and
 * current (closed early, cancelled). */
static const permit *judge_find_permit(const judge_context *jc, const registry_machine *m,
                                       int64_t permit_id)
{
    size_t count = 0;
    const permit *permits = registry_permits_of(jc->reg, m->enterprise_id, &count);
    for (size_t i = 0; i < count; i++) {
        if (permits[i].id == permit_id)
            return &permits[i];
    }
    return NULL;
}

/* A running session is re-judged against its permit as it is now: closed early or cancelled,
 * or no longer naming the session's welder or machine, the session ends at this arc or
 * heartbeat (permit_withdrawn; judge_session_event() closes it). A session with no permit (a
 * fixed hot-work area) has nothing to re-judge. */
static void judge_check_permit(const judge_context *jc, const checkin_event *ev,
                               const registry_machine *m, const machine_state *st,
                               reason_list *reasons)
{
    if (!m || st->permit_id == 0 || (ev->kind != CHECKIN_ARC && ev->kind != CHECKIN_HB))
        return;
    decision_permit_holds(judge_find_permit(jc, m, st->permit_id), st->welder_id, m->id, reasons);
}

/* True if @p ev shows that the session the sweep closed for silence was still running: the
 * machine was offline, and its welder has not started work elsewhere since. */
static bool judge_resumes(const judge_context *jc, const checkin_event *ev, int64_t now,
                          const machine_state *st)
{
    cluster_session busy;
    return st && !st->session.open && !st->close_pending && st->lapsed_session_id != 0 &&
           !cluster_welder_busy(jc->sessions, jc->cluster, st->lapsed_welder_id, st->chip_id,
                                &busy) &&
           decision_resumes(ev, &st->session, now, &jc->limits);
}

_Static_assert(REASON_COUNT_ <= UINT8_MAX + 1, "a reason code fits flagged_kind.code");

static bool judge_recently_flagged(const machine_state *st, reason_code code, int64_t t)
{
    for (size_t i = 0; st && i < SESSIONS_FLAGGED_MAX; i++) {
        const flagged_kind *f = &st->flagged[i];
        if (f->at && f->code == code) {
            int64_t gap = t - (int64_t)f->at;
            return gap < JUDGE_MERGE_S && gap > -JUDGE_MERGE_S;
        }
    }
    return false;
}

bool judge_flooded_recently(const machine_state *st, int64_t now)
{
    return judge_recently_flagged(st, REASON_CHECKIN_FLOOD, now);
}

/* Remembers that @p code was recorded at @p t, in its own slot, else an empty or the oldest. */
static void judge_remember_flagged(machine_state *st, reason_code code, uint32_t t)
{
    flagged_kind *slot = &st->flagged[0];
    for (size_t i = 0; i < SESSIONS_FLAGGED_MAX; i++) {
        flagged_kind *f = &st->flagged[i];
        if (f->at && f->code == code) {
            slot = f;
            break;
        }
        if (f->at < slot->at)
            slot = f;
    }
    slot->at = t;
    slot->code = (uint8_t)code;
}

static void judge_fill_reasons(const reason_list *reasons, const machine_state *st,
                               checkin_record *rec)
{
    rec->reason_count = 0;
    rec->flagged = 0;
    for (size_t i = 0; i < reasons->count && rec->reason_count < CHECKIN_REASONS_MAX; i++) {
        const reason_info *info = reason_get(reasons->codes[i]);
        if (info->violation && !judge_recently_flagged(st, info->code, rec->at))
            rec->flagged |= 1u << rec->reason_count;
        rec->reasons[rec->reason_count++] = info->code;
    }
}

static void judge_merge(reason_list *into, const reason_list *from)
{
    for (size_t i = 0; i < from->count; i++)
        reason_list_add(into, from->codes[i]);
}

/* Where the machine is for an event: the event's position, else the last one it sent. */
static bool judge_position(const checkin_event *ev, const machine_state *st, double *lat,
                           double *lon)
{
    *lat = ev->has_position ? ev->lat : st ? st->lat : 0;
    *lon = ev->has_position ? ev->lon : st ? st->lon : 0;
    return ev->has_position || (st && st->has_position);
}

void judge_checkin(const judge_context *jc, const checkin_event *ev, int64_t now,
                   checkin_record *rec)
{
    reason_list reasons, screening;
    reason_list_init(&reasons);
    reason_list_init(&screening);
    const registry_machine *m = registry_find_machine(jc->reg, rec->chip_id);
    const machine_state *st = sessions_find(jc->sessions, rec->chip_id);
    decision_session session;
    memset(&session, 0, sizeof(session));
    if (st)
        session = st->session;
    /* A session whose close is with the writer (the sweep's, or an event's that found it over)
     * is over: judged open again, it would be closed and flagged a second time. */
    if (st && st->close_pending)
        session.open = false;
    bool resumed = judge_resumes(jc, ev, now, st);
    if (resumed)
        session.open = true;
    decision_event(ev, &session, now, &jc->limits, &screening);
    rec->at = decision_event_time(ev->ts, now, &jc->limits);
    rec->late = reason_list_has(&screening, REASON_LATE_EVENT);
    if (m) {
        rec->machine_id = m->id;
        rec->enterprise_id = m->enterprise_id;
        rec->community_id = m->community_id;
    }
    if (reason_list_has(&screening, REASON_REPLAY)) {
        reason_list_add(&reasons, REASON_REPLAY); /* nothing else is judged for a replay */
    } else if (ev->kind == CHECKIN_SCAN) {
        judge_scan_event(jc, ev, rec->at, m, &reasons, rec);
        judge_merge(&reasons, &screening);
        rec->ok = rec->ok && !rec->late; /* a past scan cannot unlock the machine now */
        if (rec->ok) {
            rec->op = SESSION_OPEN;
            rec->close_session_id = session.open ? st->session_id : 0;
            rec->close_reason = "superseded";
        }
    } else {
        double lat, lon;
        bool placed = judge_position(ev, st, &lat, &lon);
        judge_machine_reasons(jc, m, placed, lat, lon, &reasons);
        if (session.open && !resumed)
            judge_check_permit(jc, ev, m, st, &reasons);
        judge_merge(&reasons, &screening);
        judge_session_event(ev, st, session.open, resumed, &reasons, rec);
        /* after the session's decision: flagged for inspectors, it does not lock the machine */
        judge_current(ev, m, st, session.open, &reasons, rec);
    }
    if (!rec->ok)
        rec->unlock_until = 0;
    judge_fill_reasons(&reasons, st, rec);
}

/* 重患必停 for a session with no new event: true, with the reasons added to @p reasons, when
 * the machine's enterprise is suspended or has a major hazard open, or the machine was last
 * seen at the site of one. */
static bool judge_stopped(const judge_context *jc, const machine_state *st,
                          const registry_machine *m, reason_list *reasons)
{
    reason_list machine;
    reason_list_init(&machine);
    judge_machine_reasons(jc, m, st->has_position, st->lat, st->lon, &machine);
    if (!m || !decision_stops_work(&machine))
        return false;
    judge_merge(reasons, &machine);
    return true;
}

bool judge_sweep(const judge_context *jc, const machine_state *st, int64_t now, checkin_record *rec)
{
    reason_list reasons;
    reason_list_init(&reasons);
    if (!st->session.open)
        return false;
    const registry_machine *m = registry_find_machine(jc->reg, st->chip_id);
    if (decision_sweep(&st->session, now, &jc->limits, &reasons) &&
        !judge_stopped(jc, st, m, &reasons))
        return false;
    memset(rec, 0, sizeof(*rec));
    rec->sweep = true;
    memcpy(rec->chip_id, st->chip_id, sizeof(rec->chip_id));
    rec->ev = "sweep";
    rec->at = now;
    rec->session_id = st->session_id;
    rec->machine_id = st->machine_id;
    rec->welder_id = st->welder_id;
    if (m) {
        rec->enterprise_id = m->enterprise_id;
        rec->community_id = m->community_id;
    }
    rec->op = SESSION_CLOSE;
    rec->close_reason = judge_lapse(&reasons);
    judge_fill_reasons(&reasons, NULL, rec);
    return true;
}

/* The evidence of checkin_flood: the limits the machine went past. */
static void judge_flood_details(unsigned rate_per_s, unsigned burst, checkin_record *rec)
{
    json_writer w;
    json_writer_init(&w, rec->details, sizeof(rec->details));
    json_begin_object(&w);
    json_key(&w, reason_name(REASON_CHECKIN_FLOOD));
    json_begin_object(&w);
    json_key(&w, "rate_per_s");
    json_put_int(&w, rate_per_s);
    json_key(&w, "burst");
    json_put_int(&w, burst);
    json_end_object(&w);
    json_end_object(&w);
    if (json_writer_status(&w) != WR_OK)
        rec->details[0] = '\0';
}

bool judge_flood(const judge_context *jc, const machine_state *st, int64_t now, unsigned rate_per_s,
                 unsigned burst, checkin_record *rec)
{
    if (st->flood_pending || judge_recently_flagged(st, REASON_CHECKIN_FLOOD, now))
        return false;
    memset(rec, 0, sizeof(*rec));
    rec->flood = true;
    memcpy(rec->chip_id, st->chip_id, sizeof(rec->chip_id));
    rec->ev = "flood";
    rec->at = now;
    const registry_machine *m = jc->reg ? registry_find_machine(jc->reg, st->chip_id) : NULL;
    if (m) {
        rec->machine_id = m->id;
        rec->enterprise_id = m->enterprise_id;
        rec->community_id = m->community_id;
    }
    reason_list reasons;
    reason_list_init(&reasons);
    reason_list_add(&reasons, REASON_CHECKIN_FLOOD);
    judge_fill_reasons(&reasons, NULL, rec);
    judge_flood_details(rate_per_s, burst, rec);
    return true;
}

int judge_apply(sessions *set, const checkin_record *rec)
{
    machine_state *st = sessions_get(set, rec->chip_id);
    if (!st)
        return -1;
    if (rec->flood) {
        st->flood_pending = false;
        if (rec->status == STORE_OK && rec->at > 0 && rec->at <= UINT32_MAX)
            judge_remember_flagged(st, REASON_CHECKIN_FLOOD, (uint32_t)rec->at);
        return 0;
    }
    if (rec->sweep || rec->op == SESSION_CLOSE)
        st->close_pending = false; /* stored or not, the close is no longer with the writer */
    if (rec->status == STORE_ESTALE && st->lease_epoch == rec->lease_epoch) {
        /* another server decides this machine now: its session is that server's (a welder
         * working there is not busy here), and its state is read again before it is decided */
        st->lease_epoch = 0;
        st->session.open = false;
        st->lapsed_session_id = 0;
    }
    if (rec->sweep) {
        if (rec->status == STORE_OK && st->session_id == rec->session_id) {
            bool silent = rec->close_reason && strcmp(rec->close_reason, "heartbeat_lost") == 0;
            st->lapsed_session_id = silent ? st->session_id : 0;
            st->lapsed_welder_id = st->welder_id;
            st->lapsed_permit_id = st->permit_id;
            st->session.open = false;
            st->session_id = st->welder_id = st->permit_id = 0;
        }
        return 0;
    }
    if (rec->status != STORE_OK || rec->duplicate || rec->replay)
        return 0;
    for (size_t i = 0; i < rec->reason_count; i++) {
        if (checkin_record_flagged(rec, i) && rec->at > 0 && rec->at <= UINT32_MAX)
            judge_remember_flagged(st, rec->reasons[i], (uint32_t)rec->at);
    }
    decision_session *s = &st->session;
    if (!s->has_last_seq || rec->seq > s->last_seq) {
        s->last_seq = rec->seq;
        s->has_last_ts = true; /* the chip's clock of its newest event (decision_silent()) */
        s->last_ts = rec->device_ts;
    }
    s->has_last_seq = true;
    if (rec->at > s->last_seen)
        s->last_seen = rec->at;
    if (rec->has_position) {
        st->has_position = true;
        st->lat = rec->lat;
        st->lon = rec->lon;
    }
    st->machine_id = rec->machine_id;
    /* Only the first event after the sweep's close may resume the session: any other shows the
     * machine doing something else since (a real silence, an end, a new scan). */
    st->lapsed_session_id = 0;
    if (rec->op == SESSION_TOUCH && rec->amp >= 0 && rec->ev && strcmp(rec->ev, "arc") == 0)
        current_note(&st->current, (uint32_t)rec->amp);
    if (rec->op == SESSION_RESUME) {
        s->open = true;
        st->session_id = rec->session_id;
        st->welder_id = rec->welder_id;
        st->permit_id = rec->permit_id;
    } else if (rec->op == SESSION_OPEN && rec->new_session_id) {
        memset(&st->current, 0, sizeof(st->current));
        s->open = true;
        s->started_at = rec->at;
        s->until = rec->unlock_until;
        s->last_seen = rec->at;
        st->session_id = rec->new_session_id;
        st->welder_id = rec->welder_id;
        st->permit_id = rec->permit_id;
    } else if (rec->op == SESSION_CLOSE) {
        memset(&st->current, 0, sizeof(st->current));
        s->open = false;
        st->session_id = st->welder_id = st->permit_id = 0;
    }
    return 0;
}
