/* metrics.c — the Prometheus text format, and the CoAP server's metrics (metrics.h). */
#include "server/loop/metrics.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* Rows per committed transaction: batch_max is 512 by default, at most 10000. */
static const double metrics_batch_bounds[] = {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000};
/* A commit is a few milliseconds with fsync on local disks; seconds mean trouble. */
static const double metrics_commit_bounds[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                               0.1,   0.25,   0.5,   1,    2.5,   5};
/* A webhook attempt: the receiver's answer, at most notice_timeout_s (300 s). */
static const double metrics_attempt_bounds[] = {0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300};
/* A reload reads every principal and the whole registry: tens of ms to seconds. */
static const double metrics_reload_bounds[] = {0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};

static const char *const metrics_event_names[METRICS_EVENT_COUNT] = {"scan", "arc", "hb", "end",
                                                                     "tamper"};
static const char *const metrics_decision_names[METRICS_DECISION_COUNT] = {
    "allowed", "refused", "duplicate", "replay", "unavailable", "failed", "rate_limited"};
static const char *const metrics_conn_names[METRICS_CONN_COUNT] = {"writer", "views"};
static const char *const metrics_handshake_names[METRICS_HANDSHAKE_COUNT] = {"completed", "failed",
                                                                             "refused"};

#define METRICS_COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

void metrics_histogram_init(metrics_histogram *h, const double *bounds, size_t n_bounds)
{
    h->bounds = bounds;
    h->n_bounds = n_bounds < METRICS_BUCKETS_MAX ? n_bounds : METRICS_BUCKETS_MAX;
}

void metrics_observe(metrics_histogram *h, double value)
{
    size_t i = 0;
    while (i < h->n_bounds && value > h->bounds[i])
        i++;
    atomic_fetch_add_explicit(&h->in_bucket[i], 1, memory_order_relaxed);
    if (value > 0)
        atomic_fetch_add_explicit(&h->sum_micro, (unsigned long long)(value * 1e6 + 0.5),
                                  memory_order_relaxed);
}

void metrics_family(textbuf *out, const char *name, const char *type, const char *help)
{
    textbuf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void metrics_sample(textbuf *out, const char *name, const char *labels, double value)
{
    if (labels)
        textbuf_printf(out, "%s{%s} %.17g\n", name, labels, value);
    else
        textbuf_printf(out, "%s %.17g\n", name, value);
}

void metrics_write_build_info(textbuf *out)
{
    metrics_family(out, "weldreg_build_info", "gauge", "The release of this process, as a label.");
    metrics_sample(out, "weldreg_build_info", "version=\"" WELDREG_VERSION "\"", 1);
}

void metrics_write_histogram(textbuf *out, const char *name, const char *help,
                             const metrics_histogram *h)
{
    metrics_family(out, name, "histogram", help);
    unsigned long cumulative = 0;
    for (size_t i = 0; i <= h->n_bounds; i++) {
        cumulative += atomic_load_explicit(&h->in_bucket[i], memory_order_relaxed);
        if (i < h->n_bounds)
            textbuf_printf(out, "%s_bucket{le=\"%g\"} %lu\n", name, h->bounds[i], cumulative);
        else
            textbuf_printf(out, "%s_bucket{le=\"+Inf\"} %lu\n", name, cumulative);
    }
    double sum = (double)atomic_load_explicit(&h->sum_micro, memory_order_relaxed) / 1e6;
    /* kept in millionths: more digits would only show the double's rounding */
    textbuf_printf(out, "%s_sum %.15g\n%s_count %lu\n", name, sum, name, cumulative);
}

/* ---- the CoAP server's ---- */

void server_metrics_init(server_metrics *m)
{
    memset(m, 0, sizeof(*m));
    metrics_histogram_init(&m->batch_size, metrics_batch_bounds,
                           METRICS_COUNT_OF(metrics_batch_bounds));
    metrics_histogram_init(&m->commit_seconds, metrics_commit_bounds,
                           METRICS_COUNT_OF(metrics_commit_bounds));
    metrics_histogram_init(&m->view_reload_seconds, metrics_reload_bounds,
                           METRICS_COUNT_OF(metrics_reload_bounds));
    atomic_store(&m->loop_beat_ms, metrics_monotonic_ms());
    atomic_store(&m->partitions_ahead, -1);
}

void server_metrics_checkin(server_metrics *m, unsigned event, metrics_decision decision)
{
    if (m && event < METRICS_EVENT_COUNT && decision < METRICS_DECISION_COUNT)
        atomic_fetch_add_explicit(&m->checkins[event][decision], 1, memory_order_relaxed);
}

int64_t metrics_monotonic_ms(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

double metrics_now_s(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

bool server_metrics_healthy(server_metrics *m, int64_t max_ms)
{
    return metrics_monotonic_ms() - atomic_load(&m->loop_beat_ms) <= max_ms;
}

const char *server_metrics_not_ready(server_metrics *m)
{
    if (atomic_load(&m->stopping))
        return "stopping\n";
    if (!atomic_load(&m->endpoints_bound))
        return "DTLS endpoints not bound yet\n";
    if (!atomic_load(&m->db_up[METRICS_CONN_WRITER]))
        return "database lost by the writer: check-ins get 5.03\n";
    if (!atomic_load(&m->db_up[METRICS_CONN_VIEWS]))
        return "database lost by the views' listener: changes are not seen\n";
    return NULL;
}

bool server_metrics_ready(server_metrics *m)
{
    return server_metrics_not_ready(m) == NULL;
}

static double metrics_load(atomic_ulong *v)
{
    return (double)atomic_load_explicit(v, memory_order_relaxed);
}

static void server_metrics_write_checkins(server_metrics *m, textbuf *out)
{
    metrics_family(out, "weldreg_checkins_total", "counter",
                   "Check-ins answered, by event and by how they ended.");
    for (int e = 0; e < METRICS_EVENT_COUNT; e++)
        for (int d = 0; d < METRICS_DECISION_COUNT; d++) {
            char labels[64];
            snprintf(labels, sizeof(labels), "event=\"%s\",decision=\"%s\"", metrics_event_names[e],
                     metrics_decision_names[d]);
            metrics_sample(out, "weldreg_checkins_total", labels, metrics_load(&m->checkins[e][d]));
        }
}

void metrics_write_labelled(textbuf *out, const char *name, const char *label,
                            const char *const *values, atomic_ulong *counts, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char labels[64];
        snprintf(labels, sizeof(labels), "%s=\"%s\"", label, values[i]);
        metrics_sample(out, name, labels, metrics_load(&counts[i]));
    }
}

static void server_metrics_write_database(server_metrics *m, textbuf *out)
{
    metrics_family(out, "weldreg_database_up", "gauge",
                   "1 while the connection is usable, by connection.");
    for (int c = 0; c < METRICS_CONN_COUNT; c++) {
        char labels[32];
        snprintf(labels, sizeof(labels), "connection=\"%s\"", metrics_conn_names[c]);
        metrics_sample(out, "weldreg_database_up", labels, atomic_load(&m->db_up[c]) ? 1 : 0);
    }
    metrics_family(out, "weldreg_database_lost_total", "counter",
                   "Times a connection was found lost, by connection.");
    metrics_write_labelled(out, "weldreg_database_lost_total", "connection", metrics_conn_names,
                           m->db_lost, METRICS_CONN_COUNT);
    metrics_family(out, "weldreg_database_reconnects_total", "counter",
                   "Successful reconnections after a loss, by connection.");
    metrics_write_labelled(out, "weldreg_database_reconnects_total", "connection",
                           metrics_conn_names, m->db_reconnects, METRICS_CONN_COUNT);
}

static void server_metrics_write_gauge(textbuf *out, const char *name, const char *help,
                                       double value)
{
    metrics_family(out, name, "gauge", help);
    metrics_sample(out, name, NULL, value);
}

static void server_metrics_write_counter(textbuf *out, const char *name, const char *help,
                                         atomic_ulong *value)
{
    metrics_family(out, name, "counter", help);
    metrics_sample(out, name, NULL, metrics_load(value));
}

/* Several servers (docs/architecture.md): all 0 for the only server. */
static void server_metrics_write_leases(server_metrics *m, textbuf *out)
{
    server_metrics_write_counter(out, "weldreg_leases_taken_total",
                                 "Machines' leases taken over for a check-in (several servers).",
                                 &m->leases_taken);
    server_metrics_write_counter(out, "weldreg_leases_adopted_total",
                                 "Silent machines of dead servers adopted as sweep leader.",
                                 &m->leases_adopted);
    server_metrics_write_counter(out, "weldreg_lease_fenced_total",
                                 "Check-ins and sweeps refused: the machine's lease had moved.",
                                 &m->lease_fenced);
    server_metrics_write_gauge(out, "weldreg_sweep_leader",
                               "1 while this server is the cluster's sweep leader.",
                               atomic_load(&m->sweep_leader) ? 1 : 0);
    static const char *const kinds[METRICS_CLUSTER_KINDS] = {"scan", "open", "close"};
    metrics_family(out, "weldreg_cluster_notices_total", "counter",
                   "Scans and work sessions other servers committed, heard by kind.");
    metrics_write_labelled(out, "weldreg_cluster_notices_total", "kind", kinds, m->cluster_notices,
                           METRICS_CLUSTER_KINDS);
    server_metrics_write_counter(out, "weldreg_cluster_snapshots_total",
                                 "Open sessions and recent scans read at start, on reconnecting "
                                 "or after an overflow.",
                                 &m->cluster_snapshots);
}

void server_metrics_write(server_metrics *m, textbuf *out)
{
    metrics_write_build_info(out);
    server_metrics_write_checkins(m, out);
    metrics_write_histogram(out, "weldreg_writer_batch_size", "Check-ins per committed batch.",
                            &m->batch_size);
    metrics_write_histogram(out, "weldreg_commit_seconds",
                            "Time to write and commit one batch of check-ins.", &m->commit_seconds);
    server_metrics_write_gauge(out, "weldreg_writer_queue_depth",
                               "Check-ins waiting for the writer.",
                               (double)atomic_load(&m->queue_depth));
    server_metrics_write_gauge(out, "weldreg_dtls_sessions", "DTLS sessions held now.",
                               (double)atomic_load(&m->dtls_sessions));
    server_metrics_write_gauge(out, "weldreg_observers",
                               "Sessions observing the live violations (Observe).",
                               (double)atomic_load(&m->observers));
    metrics_family(out, "weldreg_dtls_handshakes_total", "counter",
                   "DTLS handshakes, by how they ended.");
    metrics_write_labelled(out, "weldreg_dtls_handshakes_total", "result", metrics_handshake_names,
                           m->handshakes, METRICS_HANDSHAKE_COUNT);
    server_metrics_write_database(m, out);
    metrics_write_histogram(out, "weldreg_view_reload_seconds",
                            "Time to read the principals and the registry into memory.",
                            &m->view_reload_seconds);
    server_metrics_write_leases(m, out);
    server_metrics_write_counter(out, "weldreg_config_reloads_total",
                                 "SIGHUP reloads that took effect.", &m->reloads);
    server_metrics_write_counter(out, "weldreg_config_reload_failures_total",
                                 "SIGHUP reloads refused (the previous settings stay).",
                                 &m->reload_failures);
    server_metrics_write_gauge(out, "weldreg_checkins_partitions_ahead_months",
                               "Months after this one whose check-in partition exists (0: next "
                               "month's is missing, weldreg-server maintain makes it); -1 unread.",
                               (double)atomic_load(&m->partitions_ahead));
    server_metrics_write_gauge(out, "weldreg_ready", "1 while ready for devices (/readyz).",
                               server_metrics_ready(m) ? 1 : 0);
}

/* The loop wakes at least every second: five without a turn is a stuck loop. */
#define METRICS_STUCK_MS 5000

void server_metrics_write_ctx(void *ctx, textbuf *out)
{
    server_metrics_write(ctx, out);
}

const char *server_metrics_unhealthy_ctx(void *ctx)
{
    return server_metrics_healthy(ctx, METRICS_STUCK_MS) ? NULL : "loop stuck\n";
}

const char *server_metrics_not_ready_ctx(void *ctx)
{
    return server_metrics_not_ready(ctx);
}

/* ---- the notices' ---- */

void notices_metrics_init(notices_metrics *m)
{
    memset(m, 0, sizeof(*m));
    metrics_histogram_init(&m->attempt_seconds, metrics_attempt_bounds,
                           METRICS_COUNT_OF(metrics_attempt_bounds));
}

void notices_metrics_write_ctx(void *ctx, textbuf *out)
{
    notices_metrics *m = ctx;
    static const char *const results[METRICS_ATTEMPT_COUNT] = {"delivered", "failed"};
    metrics_write_build_info(out);
    metrics_family(out, "weldreg_notices_attempts_total", "counter",
                   "Webhook attempts of notices, by result.");
    metrics_write_labelled(out, "weldreg_notices_attempts_total", "result", results, m->attempts,
                           METRICS_ATTEMPT_COUNT);
    metrics_write_histogram(out, "weldreg_notices_attempt_seconds", "Time of one webhook attempt.",
                            &m->attempt_seconds);
    server_metrics_write_gauge(out, "weldreg_notices_database_up",
                               "1 while the delivery's database connection is usable.",
                               atomic_load(&m->db_up) ? 1 : 0);
    server_metrics_write_counter(out, "weldreg_notices_database_lost_total",
                                 "Times the delivery lost its database connection.", &m->db_lost);
}

const char *notices_metrics_unhealthy_ctx(void *ctx)
{
    (void)ctx;
    return NULL;
}

const char *notices_metrics_not_ready_ctx(void *ctx)
{
    notices_metrics *m = ctx;
    return atomic_load(&m->db_up) ? NULL : "database not connected\n";
}
