/* sessions.h — what the server remembers of each machine between check-ins: the last sequence
 * number and the open work session. Owned by the event loop; updated only once a check-in is
 * durable, so a failed commit never advances it. */
#ifndef WELDREG_SERVER_SESSIONS_H
#define WELDREG_SERVER_SESSIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/current.h"
#include "core/decision.h"
#include "core/reason.h"
#include "server/views/principals.h"

#define SESSIONS_FLAGGED_MAX 4

typedef struct flagged_kind {
    uint32_t at;  /* event time, Unix seconds; 0: an empty slot */
    uint8_t code; /* reason_code */
} flagged_kind;

typedef struct machine_state {
    char chip_id[PRINCIPAL_IDENTITY_MAX + 1];
    decision_session session; /* open, started_at, until, last_seen, last_seq */
    int64_t session_id;       /* work_sessions.id while open */
    int64_t machine_id;
    int64_t welder_id;
    int64_t permit_id;
    /* the session the sweep closed for silence (heartbeat_lost), while nothing newer happened
     * to the machine: a backlog from the chip may show it was offline, not silent, and resume
     * it (decision_resumes()); its window is still in session. 0: none */
    int64_t lapsed_session_id;
    int64_t lapsed_welder_id;
    int64_t lapsed_permit_id;
    bool close_pending; /* a record that closes the session (sweep or event) is with the writer */
    bool pending;       /* a CON check-in (message id pending_mid) is being committed */
    bool flood_pending; /* a checkin_flood record (judge_flood()) is with the writer */
    uint16_t pending_mid;
    /* several servers (leases.h): the epoch of this machine's lease that this server holds,
     * 0 while it holds none (the state here may then be another server's past: not used to
     * decide); lease_asked while its takeover is with the lease thread */
    bool lease_asked;
    uint32_t lease_epoch;
    bool has_position; /* where the machine last said it was */
    /* its check-in pace (res_checkins.c): the monotonic ms its next check-in is due at the
     * allowed rate, at most checkin_burst intervals ahead of now; 0: none yet */
    int64_t pace_due_ms;
    /* the violations last recorded for this machine, by kind: the same violation again within
     * JUDGE_MERGE_S adds evidence, not a new violation. A few kinds at once are all a machine
     * shows in practice; an older kind that is pushed out is recorded again next time (one
     * row more), which keeps the state of a million machines small (bench-memory). */
    flagged_kind flagged[SESSIONS_FLAGGED_MAX];
    current_profile current; /* the open session's first arc readings (suspected_modification) */
    double lat, lon;
} machine_state;

typedef struct sessions sessions;

sessions *sessions_create(void);
void sessions_destroy(sessions *set);

/* The state of @p chip_id, created empty if there is none. NULL if out of memory. The pointer
 * is valid until the next sessions_get(). */
machine_state *sessions_get(sessions *set, const char *chip_id);

/* The state of @p chip_id, or NULL. */
const machine_state *sessions_find(const sessions *set, const char *chip_id);

/* The machine on which @p welder_id has an open session, or NULL. */
const machine_state *sessions_of_welder(const sessions *set, int64_t welder_id);

/* Calls @p fn for every machine with an open session. */
void sessions_each_open(sessions *set, void (*fn)(machine_state *st, void *arg), void *arg);

/* Several servers: puts @p loaded (a machine's state read from the database with its lease,
 * store_leases.h) in place of what this server remembered of the machine, keeping only what is
 * this server's own (the CON check-in being committed, the pace). Ignored when it is older than
 * the lease held already. -1 if out of memory. */
int sessions_adopt(sessions *set, const machine_state *loaded);

size_t sessions_count(const sessions *set);

#endif
