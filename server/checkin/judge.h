/* judge.h — decides a check-in against the in-memory registry and the machine's remembered
 * session, filling the record that the writer stores and the device is answered from; and,
 * once the record is durable, moves the remembered session on. */
#ifndef WELDREG_SERVER_JUDGE_H
#define WELDREG_SERVER_JUDGE_H

#include <stdint.h>

#include "core/checkin.h"
#include "core/code_cache.h"
#include "core/decision.h"
#include "core/travel.h"
#include "core/trust.h"
#include "server/views/registry.h"
#include "server/checkin/cluster.h"
#include "server/checkin/scans.h"
#include "server/checkin/sessions.h"
#include "server/db/store.h"

/* A machine that keeps doing the same wrong thing (a heartbeat a minute outside the platform)
 * is one violation per this window, not one per event: the check-ins, which keep their
 * reasons, are its evidence. */
#define JUDGE_MERGE_S 600

typedef struct judge_context {
    const registry *reg;
    const sessions *sessions;
    const trust_list *trust; /* NULL: no code can verify (unknown key) */
    code_cache *codes;       /* texts already verified under trust; NULL: verify every time */
    decision_limits limits;
    int64_t max_session_s;
    double shared_code_m;
    scans *scans;         /* each welder code's last scan; NULL: copied codes are not looked for */
    travel_limits travel; /* how far apart two scans of one code may be (code_copied) */
    /* several servers: the sessions open on the other servers' machines (a welder working
     * there is busy elsewhere); NULL for one server alone */
    const cluster_sessions *cluster;
} judge_context;

/* Fills the decision fields of @p rec (the event's time at, ids, ok, reasons, violations, session
 * operation, unlock_until, late, details) for @p ev from machine @p rec->chip_id received at
 * server time @p now. A scan of a welder code with a position is compared with that code's last
 * scan and noted in jc->scans (at once, not once durable: a scan sent again compares equal): two
 * scans farther apart than jc->travel allows add code_copied, with both positions and times in
 * rec->details, whether the scan unlocks or not. The event is judged at its time
 * (decision_event_time()): the chip's clock counts only for an event that arrived late. An arc or
 * heartbeat that finds the open session run over or silent closes it (SESSION_CLOSE, not ok). A
 * session whose machine_state.close_pending is set counts as closed already: the caller sets it
 * when it hands a closing record to the writer. */
void judge_checkin(const judge_context *jc, const checkin_event *ev, int64_t now,
                   checkin_record *rec);

/* The periodic sweep of one open session at server time @p now: fills @p rec as a sweep record
 * (close the session, record heartbeat_lost or session_overrun, or enterprise_suspended and
 * major_hazard for a machine that must stop) and returns true when the session must close;
 * false when it is fine. */
bool judge_sweep(const judge_context *jc, const machine_state *st, int64_t now,
                 checkin_record *rec);

/* True when the machine of @p st was recorded as flooding (checkin_flood) within the merge
 * window before server time @p now: by this server, or by the one it took the machine over
 * from (the lease state read from the database carries the kind, leases.h). */
bool judge_flooded_recently(const machine_state *st, int64_t now);

/* The machine of @p st sends check-ins faster than @p rate_per_s with a burst of @p burst (they
 * are refused with 4.29) at server time @p now: fills @p rec as a flood record (rec->flood: the
 * checkin_flood violation alone, with its machine's ids and the limits as its details) and
 * returns true, unless that violation was recorded for the machine in the merge window of
 * judge.c or a flood record of it is with the writer (false: nothing to record). */
bool judge_flood(const judge_context *jc, const machine_state *st, int64_t now, unsigned rate_per_s,
                 unsigned burst, checkin_record *rec);

/* Applies a record the writer stored fresh to the machine's remembered state: its last seq,
 * position and open session. Records that were duplicates, replays or not stored change
 * nothing, except that any record that closes a session clears close_pending, a flood record
 * clears flood_pending (and, stored, starts its merge window), and one that found the
 * machine's lease lost (STORE_ESTALE) forgets that lease and the session remembered with it.
 * Returns -1 only if out of memory. */
int judge_apply(sessions *set, const checkin_record *rec);

#endif
