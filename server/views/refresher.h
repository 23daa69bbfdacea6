/* refresher.h — keeps the in-memory principals and registry current: a thread that LISTENs
 * for the database's change notifications, rebuilds both (coalescing bursts of changes), and
 * hands the new snapshot to the event loop, which swaps it in. The loop never waits on these
 * queries. */
#ifndef WELDREG_SERVER_REFRESHER_H
#define WELDREG_SERVER_REFRESHER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/secret.h"
#include "server/checkin/cluster.h"
#include "server/views/principals.h"
#include "server/loop/metrics.h"
#include "server/views/registry.h"

typedef struct refresher refresher;

/* Where the key-encryption keys are read again at every reload (server/views/kek.h), so that a
 * key rotation reaches the running server; the strings must outlive the refresher. */
typedef struct refresher_kek_files {
    const char *current;  /* psk_kek_file */
    const char *previous; /* psk_kek_previous_file; "" or NULL: none */
} refresher_kek_files;

/* Connects to @p conninfo, LISTENs, loads the first snapshot (so a start with a broken
 * database fails here, clearly) and starts the thread. The PSKs are opened with the keys in
 * @p files as they are at each reload, or with @p kek when @p files is NULL or cannot be read;
 * @p kek is the server's and must outlive the refresher (not copied: the key is held once).
 * @p metrics (may be NULL) gets the reload times and the connection's state; it must outlive
 * the refresher. NULL with a message in @p err on failure. */
typedef struct refresher_cluster {
    int64_t scans_window_s; /* how far back the scans are read (a code's scans farther apart
                               in time can no longer be too far apart in space); 0: none */
} refresher_cluster;

/* With @p cluster (several servers; NULL: one server alone), the thread also LISTENs to
 * weldreg_cluster (server/checkin/cluster.h) and passes its notices to the loop
 * (refresher_take_cluster()), after a snapshot of the open work sessions and the recent scans
 * read here, again at every reconnection, and again if the loop falls so far behind that the
 * notices waiting for it would exceed REFRESHER_CLUSTER_MAX. */
refresher *refresher_create(const char *conninfo, const uint8_t kek[SECRET_KEK_LEN],
                            const refresher_kek_files *files, const refresher_cluster *cluster,
                            server_metrics *metrics, char *err, size_t errlen);

/* Asks the thread to reload both views now, as a change notification would (SIGHUP: the
 * revocations and everything else the views hold). */
void refresher_request_reload(refresher *r);

/* Stops the thread and frees everything, including a snapshot not taken. NULL does nothing. */
void refresher_destroy(refresher *r);

/* Readable when a new snapshot is waiting, or violations were recorded. */
int refresher_event_fd(const refresher *r);

/* Takes the newest snapshot, if any: true and both set (ownership passes to the caller). */
bool refresher_take(refresher *r, principal_table **principals, registry **reg);

/* Whether violations were recorded (by any process) since the last call. */
bool refresher_take_violations(refresher *r);

/* The cluster notices received since the last call, in the order they were committed: NULL if
 * none, else *@p count of them, to be freed by the caller. *@p reset is true when they begin
 * with a snapshot: the caller forgets the cluster's sessions it remembers before applying them. */
cluster_notice *refresher_take_cluster(refresher *r, size_t *count, bool *reset);

#endif
