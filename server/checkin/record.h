/* record.h — what the check-in path decides about one event (or one sweep of a silent
 * session): filled by the judge, made durable by the writer, answered by the handler. */
#ifndef WELDREG_SERVER_CHECKIN_RECORD_H
#define WELDREG_SERVER_CHECKIN_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/reason.h"
#include "core/trust.h"
#include "server/db/store_status.h"
#include "server/views/principals.h"

#define CHECKIN_REASONS_MAX 16
#define CHECKIN_DETAILS_MAX 768

/* What a check-in does to its machine's work session. */
typedef enum session_op {
    SESSION_NONE,
    SESSION_OPEN,   /* an approved scan: a new session (closing @p close_session_id first) */
    SESSION_TOUCH,  /* an event inside the open session */
    SESSION_CLOSE,  /* "end": the session is over */
    SESSION_RESUME, /* an event showing that a session the sweep closed for silence was still
                     * running (the chip was offline): reopened, and the sweep's heartbeat_lost
                     * dismissed */
} session_op;

/* One check-in as decided (judge.c), to be made durable by the writer, and what the database
 * says about it. Reasons stay codes until the store writes their names. */
typedef struct checkin_record {
    /* in: the event */
    bool sweep; /* not a check-in: the server closes a silent or overrun session (session_id)
                 * and records violations, dated by at; only the decision fields are used */
    bool flood; /* not a check-in: the machine sent check-ins faster than checkin_rate allows
                 * (res_checkins.c); its checkin_flood violation is recorded alone, dated by at,
                 * with the limits in details */
    char chip_id[PRINCIPAL_IDENTITY_MAX + 1];
    uint64_t seq;
    const char *ev;    /* static string */
    int64_t device_ts; /* the chip's ts as sent: evidence (checkins.device_ts), dates nothing */
    bool has_position;
    double lat, lon;
    int32_t amp; /* -1 when absent */
    uint8_t body_hash[32];
    bool has_cti;
    uint8_t cti[TRUST_CTI_LEN]; /* the scanned code's id, when it could be read */
    /* in: the decision */
    int64_t at; /* the event's time (decision_event_time()): when the work session it opens,
                 * touches or closes does so, and when its violations occurred */
    int64_t machine_id, enterprise_id, community_id, welder_id; /* 0: unknown */
    bool ok;
    reason_code reasons[CHECKIN_REASONS_MAX]; /* the decision's, in its order; names and
                                               * severities: core/reason.c */
    size_t reason_count;
    uint32_t flagged;     /* bit i: reasons[i] is recorded as a violation (a violation kind this
                           * machine has not had recorded in the last minutes: judge.c) */
    int64_t unlock_until; /* 0 when none */
    bool late;
    int32_t skew_s;
    session_op op;
    int64_t session_id;       /* TOUCH/CLOSE: the open session; RESUME: the one to reopen */
    int64_t close_session_id; /* OPEN: a session of this machine to close first (0: none) */
    int64_t permit_id;        /* OPEN, RESUME */
    const char *close_reason; /* CLOSE or close_session_id: static string */
    uint32_t lease_epoch;     /* the machine's lease it was decided under (several servers) */
    /* the evidence of some violations: a JSON object by violation kind, each value the details
     * of that kind's violation ({"code_copied": {...}}); "" when none */
    char details[CHECKIN_DETAILS_MAX];
    /* out */
    store_status status;
    int64_t id;
    int64_t new_session_id; /* OPEN, when stored fresh */
    bool duplicate;         /* stored before with the same content: answer as then */
    bool replay;            /* stored before with other content */
    bool first_ok;          /* for a duplicate: the first answer */
    int64_t first_until;
    reason_code first_reasons[CHECKIN_REASONS_MAX]; /* for a duplicate: the first answer's */
    size_t first_reason_count;
} checkin_record;

/* Whether reasons[@p i] of @p r is recorded as a violation. */
static inline bool checkin_record_flagged(const checkin_record *r, size_t i)
{
    return i < CHECKIN_REASONS_MAX && ((r->flagged >> i) & 1u) != 0;
}

#endif
