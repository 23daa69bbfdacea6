/* metrics.h — counters, gauges and histograms in Prometheus' text format (version 0.0.4).
 * Updated from any thread with relaxed atomics and no lock (the loop, the writer, the refresher),
 * read by whichever thread serves /metrics: a scrape may see one counter a step ahead of another,
 * never a torn value. Nothing here names a person, a chip or a code: only counts. */
#ifndef WELDREG_SERVER_METRICS_H
#define WELDREG_SERVER_METRICS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "server/db/textbuf.h"

#define METRICS_BUCKETS_MAX 16

/* The Content-Type of the text format. */
#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* A histogram with fixed upper bounds (+Inf implicit). Zero it, then metrics_histogram_init. */
typedef struct metrics_histogram {
    const double *bounds;                            /* increasing, static */
    size_t n_bounds;                                 /* at most METRICS_BUCKETS_MAX */
    atomic_ulong in_bucket[METRICS_BUCKETS_MAX + 1]; /* not cumulative; the last is +Inf */
    atomic_ullong sum_micro;                         /* the sum of the values, in millionths */
} metrics_histogram;

void metrics_histogram_init(metrics_histogram *h, const double *bounds, size_t n_bounds);

/* Counts @p value (>= 0) in its bucket. */
void metrics_observe(metrics_histogram *h, double value);

/* The "# HELP" and "# TYPE" lines of a family (@p type: counter, gauge, histogram). */
void metrics_family(textbuf *out, const char *name, const char *type, const char *help);

/* One sample line: @p name{@p labels} @p value; @p labels ("a=\"x\",b=\"y\"") may be NULL. */
void metrics_sample(textbuf *out, const char *name, const char *labels, double value);

/* One sample of @p name per value of its one label @p label: @p values[i] with @p counts[i]. */
void metrics_write_labelled(textbuf *out, const char *name, const char *label,
                            const char *const *values, atomic_ulong *counts, size_t n);

/* weldreg_build_info{version=...} 1: which release answers (after an upgrade, the new one). */
void metrics_write_build_info(textbuf *out);

/* A whole histogram family: its _bucket (cumulative), _sum and _count lines. */
void metrics_write_histogram(textbuf *out, const char *name, const char *help,
                             const metrics_histogram *h);

/* ---- the CoAP server's metrics ---- */

/* How a check-in ended, as counted in weldreg_checkins_total{decision=...}. */
typedef enum metrics_decision {
    METRICS_ALLOWED,      /* durable, and the platform said yes */
    METRICS_REFUSED,      /* durable, and the platform said no */
    METRICS_DUPLICATE,    /* a retransmission stored before: answered as then */
    METRICS_REPLAY,       /* a sequence number used before with other content */
    METRICS_UNAVAILABLE,  /* the database was away: 5.03 */
    METRICS_FAILED,       /* the store failed otherwise: 5.00 */
    METRICS_RATE_LIMITED, /* the machine sent faster than checkin_rate: 4.29 */
    METRICS_DECISION_COUNT
} metrics_decision;

#define METRICS_EVENT_COUNT 5 /* checkin_kind: scan, arc, hb, end, tamper */

/* The database connections counted apart in weldreg_database_* */
typedef enum metrics_conn {
    METRICS_CONN_WRITER,
    METRICS_CONN_VIEWS,
    METRICS_CONN_COUNT
} metrics_conn;

/* The kinds of weldreg_cluster notices (server/checkin/cluster.h, cluster_kind). */
#define METRICS_CLUSTER_KINDS 3

/* How a DTLS handshake ended, in weldreg_dtls_handshakes_total{result=...}. */
typedef enum metrics_handshake {
    METRICS_HANDSHAKE_COMPLETED,
    METRICS_HANDSHAKE_FAILED,  /* named a known identity, never completed (peers.h) */
    METRICS_HANDSHAKE_REFUSED, /* an unknown identity or certificate */
    METRICS_HANDSHAKE_COUNT
} metrics_handshake;

typedef struct server_metrics {
    atomic_ulong checkins[METRICS_EVENT_COUNT][METRICS_DECISION_COUNT];
    metrics_histogram batch_size;     /* check-ins per committed transaction */
    metrics_histogram commit_seconds; /* one batch's transaction, start to COMMIT */
    metrics_histogram view_reload_seconds;
    atomic_long queue_depth;   /* jobs waiting for the writer */
    atomic_long dtls_sessions; /* sessions libcoap holds now */
    atomic_long observers;     /* sessions observing GET /v1/violations/live */
    atomic_ulong handshakes[METRICS_HANDSHAKE_COUNT];
    atomic_ulong db_reconnects[METRICS_CONN_COUNT];
    atomic_ulong db_lost[METRICS_CONN_COUNT];
    atomic_bool db_up[METRICS_CONN_COUNT];
    /* several servers (server_id): leases taken for a check-in, adopted by the sweep leader,
     * records refused by the fence (the machine is another server's now), leadership */
    atomic_ulong leases_taken;
    atomic_ulong leases_adopted;
    atomic_ulong lease_fenced;
    atomic_bool sweep_leader;
    /* several servers: weldreg_cluster notices received, by kind (scan, open, close: the
     * order of cluster_kind), and snapshots of the cluster's scans and sessions read */
    atomic_ulong cluster_notices[METRICS_CLUSTER_KINDS];
    atomic_ulong cluster_snapshots;
    atomic_ulong reloads;         /* SIGHUP reloads done */
    atomic_ulong reload_failures; /* SIGHUP reloads refused (the old settings stay) */
    atomic_bool endpoints_bound;  /* every DTLS endpoint is listening */
    atomic_llong loop_beat_ms;    /* monotonic ms of the loop's last turn */
    atomic_bool stopping;
    /* months after this one whose check-in partition exists (views' connection, at each reload
     * and every REFRESHER_PARTITIONS_MS); -1 until read */
    atomic_int partitions_ahead;
} server_metrics;

/* Zeroes @p m and sets the histograms' buckets. */
void server_metrics_init(server_metrics *m);

/* Counts one check-in of event kind @p event (checkin_kind) that ended as @p decision. NULL
 * @p m does nothing (tests, the fuzzer). */
void server_metrics_checkin(server_metrics *m, unsigned event, metrics_decision decision);

/* Monotonic milliseconds, the clock of loop_beat_ms. */
int64_t metrics_monotonic_ms(void);

/* Monotonic seconds with their fraction, to time what a histogram counts. */
double metrics_now_s(void);

/* The loop turned within the last @p max_ms: the process is healthy. */
bool server_metrics_healthy(server_metrics *m, int64_t max_ms);

/* The ops_source functions of the CoAP server (server/ops_http.h), @p ctx its server_metrics:
 * unhealthy when the loop has not turned for 5 s (it wakes at least every second). */
void server_metrics_write_ctx(void *ctx, textbuf *out);
const char *server_metrics_unhealthy_ctx(void *ctx);
const char *server_metrics_not_ready_ctx(void *ctx);

/* Ready for devices: the endpoints are bound, both connections are up, and not stopping. */
bool server_metrics_ready(server_metrics *m);

/* NULL when ready, else what is missing (a line of static text). */
const char *server_metrics_not_ready(server_metrics *m);

/* Appends every metric of @p m in the text format. */
void server_metrics_write(server_metrics *m, textbuf *out);

/* ---- the notices' delivery (weldreg-server notices) ---- */

/* How a webhook attempt ended, in weldreg_notices_attempts_total{result=...}. */
typedef enum metrics_attempt {
    METRICS_DELIVERED,   /* the receiver answered 2xx */
    METRICS_UNDELIVERED, /* it could not be reached, or refused: tried again later */
    METRICS_ATTEMPT_COUNT
} metrics_attempt;

typedef struct notices_metrics {
    atomic_ulong attempts[METRICS_ATTEMPT_COUNT];
    metrics_histogram attempt_seconds;
    atomic_bool db_up;
    atomic_ulong db_lost;
} notices_metrics;

void notices_metrics_init(notices_metrics *m);

/* The ops_source functions of the notices' process, @p ctx its notices_metrics: always healthy
 * while it answers, ready while its database connection is up. */
void notices_metrics_write_ctx(void *ctx, textbuf *out);
const char *notices_metrics_unhealthy_ctx(void *ctx);
const char *notices_metrics_not_ready_ctx(void *ctx);

#endif
