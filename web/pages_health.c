/* pages_health.c — GET /healthz (the process serves), /readyz (and its database answers) for a
 * load balancer and systemd's checks, and /metrics in Prometheus' text format, which only a
 * loopback peer gets (docs/operations.md): the counts carry no personal data, but an outsider
 * has no business reading the load either. */
#include <stdatomic.h>
#include <stdlib.h>

#include "server/loop/metrics.h"
#include "web/call.h"
#include "web/health.h"
#include "web/routes.h"

/* Answers a request took, in seconds: most pages are a few ms, a photo upload longer. */
static const double web_request_bounds[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                            0.5,   1,    2.5,   5,    10};

static const char *const web_status_classes[] = {"1xx", "2xx", "3xx", "4xx", "5xx"};

#define WEB_STATUS_CLASSES (sizeof(web_status_classes) / sizeof(web_status_classes[0]))

struct web_metrics {
    atomic_ulong requests[WEB_STATUS_CLASSES];
    metrics_histogram request_seconds;
    atomic_ulong ready_failures; /* /readyz found the database away */
};

web_metrics *web_metrics_create(void)
{
    web_metrics *m = calloc(1, sizeof(*m));
    if (m)
        metrics_histogram_init(&m->request_seconds, web_request_bounds,
                               sizeof(web_request_bounds) / sizeof(web_request_bounds[0]));
    return m;
}

void web_metrics_destroy(web_metrics *m)
{
    free(m);
}

void web_metrics_count(web_metrics *m, unsigned status, double seconds)
{
    if (!m || status < 100 || status >= 600)
        return;
    atomic_fetch_add_explicit(&m->requests[status / 100 - 1], 1, memory_order_relaxed);
    metrics_observe(&m->request_seconds, seconds);
}

/* GET /healthz: answering at all is the proof. */
static void page_healthz_fn(web_call *call, http_response *resp)
{
    (void)call;
    http_text(resp, 200, "ok\n");
}

/* GET /readyz: a connection of the pool answers SELECT 1. */
static void page_readyz_fn(web_call *call, http_response *resp)
{
    store *db = web_db_get(call);
    bool up = store_ping(db) == STORE_OK;
    web_db_put(call, db, up ? 0 : -1); /* a failed ping reconnects it */
    if (!up)
        atomic_fetch_add(&web_app_metrics(call)->ready_failures, 1);
    http_text(resp, up ? 200 : 503, up ? "ok\n" : "database not available\n");
}

static void health_write(web_metrics *m, textbuf *out)
{
    metrics_write_build_info(out);
    metrics_family(out, "weldreg_web_requests_total", "counter",
                   "Requests answered, by class of status.");
    metrics_write_labelled(out, "weldreg_web_requests_total", "code", web_status_classes,
                           m->requests, WEB_STATUS_CLASSES);
    metrics_write_histogram(out, "weldreg_web_request_seconds", "Time to answer a request.",
                            &m->request_seconds);
    metrics_family(out, "weldreg_web_ready_failures_total", "counter",
                   "Readiness probes that found the database away.");
    metrics_sample(out, "weldreg_web_ready_failures_total", NULL,
                   (double)atomic_load(&m->ready_failures));
}

/* GET /metrics, for loopback peers only; others get the 404 of an unknown page. */
static void page_metrics_fn(web_call *call, http_response *resp)
{
    if (!http_from_loopback(call->req)) {
        http_text(resp, 404, "not found\n");
        return;
    }
    textbuf out = {0};
    health_write(web_app_metrics(call), &out);
    http_take_text(resp, 200, METRICS_CONTENT_TYPE, &out);
}

static const web_route web_health_table[] = {
    {"GET", "/healthz", GATE_PUBLIC, ACCESS_READ, page_healthz_fn},
    {"GET", "/readyz", GATE_PUBLIC, ACCESS_READ, page_readyz_fn},
    {"GET", "/metrics", GATE_PUBLIC, ACCESS_READ, page_metrics_fn},
};

const web_routes web_routes_health = WEB_ROUTES(web_health_table);
