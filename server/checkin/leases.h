/* leases.h — the lease thread of a server among several (docs/architecture.md, "Several
 * servers"): it owns a database connection of its own and
 *   - takes over the lease of a machine whose check-in reached this server while another
 *     server (or none) held it, and reads the machine's state for the loop to decide with;
 *   - renews all of this server's leases with one statement every lease_s / 3;
 *   - holds, when it can, the cluster's sweep leader lock (a session-level advisory lock:
 *     losing the connection loses it), and as leader adopts the machines whose server died
 *     (lease expired) and whose work session has been silent for the heartbeat time-out, so
 *     that this server's sweep closes each of them once for the whole cluster.
 * Results go back to the loop as a list, with an eventfd, as the writer's do. */
#ifndef WELDREG_SERVER_LEASES_H
#define WELDREG_SERVER_LEASES_H

#include <stdbool.h>
#include <stddef.h>

#include "server/checkin/sessions.h"
#include "server/loop/metrics.h"

/* The advisory lock key of the cluster's sweep leader ("weldreg sweep"). */
#define LEASES_LEADER_KEY 0x77656c6473776570LL

typedef struct lease_result {
    machine_state state; /* as read from the database, lease_epoch set; chip_id always set */
    bool taken;          /* false: the lease could not be taken (database away) */
    bool adopted;        /* taken by the sweep leader for a machine whose server died */
    struct lease_result *next;
} lease_result;

typedef struct leases leases;

typedef struct leases_config {
    const char *conninfo;
    const char *owner;       /* this server's server_id */
    unsigned lease_s;        /* a lease not renewed for this long is a dead server's */
    unsigned silent_s;       /* the heartbeat time-out: an orphan silent this long is adopted */
    server_metrics *metrics; /* takeovers, adoptions, leadership; may be NULL */
} leases_config;

/* Connects and starts the thread. NULL with a message in @p err on failure. */
leases *leases_create(const leases_config *cfg, char *err, size_t errlen);

/* Stops the thread, lets this server's leases go (they expire now: call it after the writer
 * committed what it held) and closes the connection; results not taken are freed. NULL:
 * nothing. */
void leases_destroy(leases *ls);

/* Asks for the lease of @p chip_id (taken over from whoever holds it). The result comes back
 * through leases_take_done(). Out of memory: nothing happens, and -1. */
int leases_request(leases *ls, const char *chip_id);

/* Readable when results are waiting. */
int leases_event_fd(const leases *ls);

/* Takes every result, oldest first; the caller frees each with free(). */
lease_result *leases_take_done(leases *ls);

/* True while this server is the sweep leader. */
bool leases_is_leader(const leases *ls);

#endif
