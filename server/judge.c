/* judge.c — the server's side of the decision: look the machine up, apply the rules, and keep
 * the reasons as the stable names stored with the check-in. */
#include "server/judge.h"

#include "core/reason.h"

static void judge_machine(const registry_machine *m, reason_list *reasons)
{
    if (!m)
        reason_list_add(reasons, REASON_MACHINE_UNKNOWN);
    else if (m->status == MACHINE_SUSPENDED)
        reason_list_add(reasons, REASON_MACHINE_SUSPENDED);
    else if (m->status == MACHINE_SCRAPPED)
        reason_list_add(reasons, REASON_MACHINE_SCRAPPED);
}

/* What an event says beyond the machine itself. Scans need a verified welder code, a licence
 * and a permit; until the welder and permit registry is loaded here (the check-in decision
 * issue) no scan can be approved, and arc or heartbeat events cannot belong to an approved
 * session, so they are work outside the platform. */
static void judge_event(const checkin_event *ev, reason_list *reasons)
{
    switch (ev->kind) {
    case CHECKIN_SCAN: reason_list_add(reasons, REASON_WELDER_UNKNOWN); break;
    case CHECKIN_ARC:
    case CHECKIN_HB: reason_list_add(reasons, REASON_WORK_OUTSIDE_PLATFORM); break;
    case CHECKIN_TAMPER: reason_list_add(reasons, REASON_TAMPER); break;
    case CHECKIN_END: break;
    }
}

void judge_checkin(const registry *reg, const checkin_event *ev, int64_t now, unsigned max_skew_s,
                   checkin_record *rec)
{
    reason_list reasons;
    reason_list_init(&reasons);
    judge_machine(registry_find_machine(reg, rec->chip_id), &reasons);
    judge_event(ev, &reasons);
    int64_t skew = ev->ts - now;
    if (skew > (int64_t)max_skew_s || -skew > (int64_t)max_skew_s) {
        reason_list_add(&reasons, REASON_CLOCK_SKEW);
        rec->late = skew < 0;
    }
    rec->ok = false;
    rec->unlock_until = 0;
    rec->reason_count = 0;
    for (size_t i = 0; i < reasons.count && i < CHECKIN_REASONS_MAX; i++)
        rec->reasons[rec->reason_count++] = reason_name(reasons.codes[i]);
}
