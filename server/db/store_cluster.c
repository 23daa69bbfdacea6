/* store_cluster.c — the open work sessions and the recent scans, as cluster notices. */
#include "server/db/store_cluster.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hex.h"
#include "server/db/store_internal.h"

/* Open sessions with their machine's chip and last position (the index checkins_machine). */
static const char STORE_SQL_CLUSTER_SESSIONS[] =
    "SELECT w.id, w.welder_id, w.machine_id, m.chip_id, p.lat, p.lon"
    " FROM work_sessions w JOIN machines m ON m.id = w.machine_id"
    " LEFT JOIN LATERAL (SELECT c.lat, c.lon FROM checkins c WHERE c.machine_id = w.machine_id"
    "  AND c.lat IS NOT NULL ORDER BY c.received_at DESC LIMIT 1) p ON true"
    " WHERE w.closed_at IS NULL";

/* The last scan of each welder code within the window, dated as the judge dates an event (the
 * chip's clock for a late one); the same rows as schema/028's notices. */
static const char STORE_SQL_CLUSTER_SCANS[] =
    "SELECT DISTINCT ON (code_cti) encode(code_cti, 'hex'), lat, lon,"
    " floor(extract(epoch FROM CASE WHEN late AND device_ts IS NOT NULL THEN device_ts"
    "  ELSE received_at END))::bigint AS at, coalesce(machine_id, 0)"
    " FROM checkins WHERE ev = 'scan' AND welder_id IS NOT NULL AND code_cti IS NOT NULL"
    " AND octet_length(code_cti) = 8 AND lat IS NOT NULL"
    " AND received_at > now() - make_interval(secs => $1::bigint)"
    " ORDER BY code_cti, received_at DESC";

_Static_assert(CODE_CTI_LEN == 8, "STORE_SQL_CLUSTER_SCANS reads codes of 8-byte ctis");

static int store_cluster_sessions(store *st, store_cluster_fn each, void *arg, char *err,
                                  size_t errlen)
{
    PGresult *res = store_run(st, STORE_SQL_CLUSTER_SESSIONS, 0, NULL,
                              "could not read the open work sessions", err, errlen);
    if (!res)
        return -1;
    int rc = 0;
    for (int i = 0; i < PQntuples(res) && rc == 0; i++) {
        cluster_notice n = {.kind = CLUSTER_OPEN};
        n.session_id = strtoll(PQgetvalue(res, i, 0), NULL, 10);
        n.welder_id = strtoll(PQgetvalue(res, i, 1), NULL, 10);
        n.machine_id = strtoll(PQgetvalue(res, i, 2), NULL, 10);
        snprintf(n.chip_id, sizeof(n.chip_id), "%s", PQgetvalue(res, i, 3));
        n.has_position = !PQgetisnull(res, i, 4) && !PQgetisnull(res, i, 5);
        if (n.has_position) {
            n.scan.lat = strtod(PQgetvalue(res, i, 4), NULL);
            n.scan.lon = strtod(PQgetvalue(res, i, 5), NULL);
        }
        rc = each(arg, &n);
    }
    PQclear(res);
    if (rc != 0)
        snprintf(err, errlen, "out of memory for the open work sessions");
    return rc;
}

static int store_cluster_scans(store *st, int64_t window_s, store_cluster_fn each, void *arg,
                               char *err, size_t errlen)
{
    char window[24];
    snprintf(window, sizeof(window), "%" PRId64, window_s);
    const char *params[] = {window};
    PGresult *res = store_run(st, STORE_SQL_CLUSTER_SCANS, 1, params,
                              "could not read the recent scans", err, errlen);
    if (!res)
        return -1;
    int rc = 0;
    for (int i = 0; i < PQntuples(res) && rc == 0; i++) {
        cluster_notice n = {.kind = CLUSTER_SCAN, .has_position = true};
        if (!hex_decode_lower(PQgetvalue(res, i, 0), n.scan.cti, CODE_CTI_LEN))
            continue;
        n.scan.lat = strtod(PQgetvalue(res, i, 1), NULL);
        n.scan.lon = strtod(PQgetvalue(res, i, 2), NULL);
        n.scan.at = strtoll(PQgetvalue(res, i, 3), NULL, 10);
        n.scan.machine_id = n.machine_id = strtoll(PQgetvalue(res, i, 4), NULL, 10);
        rc = each(arg, &n);
    }
    PQclear(res);
    if (rc != 0)
        snprintf(err, errlen, "out of memory for the recent scans");
    return rc;
}

int store_load_cluster(store *st, int64_t scans_window_s, store_cluster_fn each, void *arg,
                       char *err, size_t errlen)
{
    if (store_cluster_sessions(st, each, arg, err, errlen) != 0)
        return -1;
    return scans_window_s > 0 ? store_cluster_scans(st, scans_window_s, each, arg, err, errlen) : 0;
}
