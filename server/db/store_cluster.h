/* store_cluster.h — several servers: what a server that starts, or reconnects, reads of the
 * cluster's scans and open work sessions (server/checkin/cluster.h), the state that the
 * weldreg_cluster notices keep current from then on. Used by the refresher thread. */
#ifndef WELDREG_SERVER_DB_STORE_CLUSTER_H
#define WELDREG_SERVER_DB_STORE_CLUSTER_H

#include <stddef.h>
#include <stdint.h>

#include "server/checkin/cluster.h"
#include "server/db/store.h"

typedef int (*store_cluster_fn)(void *arg, const cluster_notice *n);

/* Calls @p each with a CLUSTER_OPEN notice for every open work session (its machine's last
 * position, when it has one), then with a CLUSTER_SCAN notice for the last scan of every welder
 * code scanned with a position within the last @p scans_window_s seconds. 0, or -1 with a
 * message in @p err (also when @p each returns non-zero). */
int store_load_cluster(store *st, int64_t scans_window_s, store_cluster_fn each, void *arg,
                       char *err, size_t errlen);

#endif
