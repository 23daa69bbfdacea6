/* cluster.h — several servers: what this server hears of the scans and work sessions the other
 * servers commit (schema/028_cluster_notices.sql, channel weldreg_cluster), so that a scan is
 * judged the same whichever server receives it: code_copied against the code's last scan on
 * any server, welder_busy_elsewhere against a session open on a machine another server holds.
 * The refresher thread receives and parses the notices; the event loop, which owns the scans
 * and the sessions, applies them (cluster_apply()). */
#ifndef WELDREG_SERVER_CLUSTER_H
#define WELDREG_SERVER_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "server/checkin/scans.h"
#include "server/checkin/sessions.h"

#define CLUSTER_CHANNEL "weldreg_cluster"

typedef enum cluster_kind {
    CLUSTER_SCAN,  /* a welder code's scan, and the session it opened if any */
    CLUSTER_OPEN,  /* a session open again (resumed), or open when the server (re)connected */
    CLUSTER_CLOSE, /* a session closed */
    CLUSTER_KIND_COUNT
} cluster_kind;

/* One notice. A scan's position is in scan (has_position), its session in session_id. */
typedef struct cluster_notice {
    cluster_kind kind;
    bool has_position;
    code_scan scan; /* CLUSTER_SCAN: cti, lat, lon, at, machine_id */
    int64_t session_id;
    int64_t welder_id;
    int64_t machine_id;
    char chip_id[PRINCIPAL_IDENTITY_MAX + 1];
} cluster_notice;

/* The metric label of @p kind: "scan", "open", "close". */
const char *cluster_kind_name(cluster_kind kind);

/* Parses a weldreg_cluster payload; 0, or -1 if it is not one (then @p out is unspecified). */
int cluster_notice_parse(const char *payload, cluster_notice *out);

/* A work session open on some server: its welder, machine and where that machine was. */
typedef struct cluster_session {
    int64_t session_id;
    int64_t welder_id;
    int64_t machine_id;
    bool has_position;
    double lat, lon;
    char chip_id[PRINCIPAL_IDENTITY_MAX + 1];
} cluster_session;

/* The sessions open in the whole cluster, as announced: one entry per open session. */
typedef struct cluster_sessions cluster_sessions;

cluster_sessions *cluster_sessions_create(void);
void cluster_sessions_destroy(cluster_sessions *set);

/* Forgets every session: a snapshot read from the database follows. */
void cluster_sessions_clear(cluster_sessions *set);

/* The session open for @p welder_id, or NULL. Valid until the next change of @p set. */
const cluster_session *cluster_sessions_of_welder(const cluster_sessions *set, int64_t welder_id);

size_t cluster_sessions_count(const cluster_sessions *set);

/* Applies @p n to the code's last scan (@p last_scans) and the open sessions (@p open). -1 if out
 * of memory (that notice is then lost: a scan not remembered, a session not seen). */
int cluster_apply(scans *last_scans, cluster_sessions *open, const cluster_notice *n);

/* The machine on which @p welder_id works, seen from the machine @p chip_id: this server's own
 * open session of that welder on another machine (@p local), else a session another server
 * announced on a machine this server does not hold (a machine held here is known better by
 * @p local, which has no session of the welder on it). The position is that machine's. False if
 * the welder is not busy elsewhere. @p open may be NULL (one server alone). */
bool cluster_welder_busy(const sessions *local, const cluster_sessions *open, int64_t welder_id,
                         const char *chip_id, cluster_session *out);

#endif
