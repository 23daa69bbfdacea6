/* test-metrics.c — server/loop/metrics.c: histogram buckets, the text format, readiness. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "server/loop/metrics.h"

/* @p out as a NUL-terminated string (freed by the caller). */
static char *metrics_test_text(textbuf *out)
{
    textbuf_put(out, "", 1);
    assert_false(out->failed);
    return out->data;
}

static void test_histogram_is_cumulative(void **state)
{
    (void)state;
    static const double bounds[] = {0.1, 1};
    metrics_histogram h = {0};
    metrics_histogram_init(&h, bounds, 2);
    metrics_observe(&h, 0.05);
    metrics_observe(&h, 0.1); /* le is inclusive */
    metrics_observe(&h, 0.5);
    metrics_observe(&h, 7);
    textbuf out = {0};
    metrics_write_histogram(&out, "x_seconds", "Test.", &h);
    char *text = metrics_test_text(&out);
    assert_non_null(strstr(text, "# TYPE x_seconds histogram\n"));
    assert_non_null(strstr(text, "x_seconds_bucket{le=\"0.1\"} 2\n"));
    assert_non_null(strstr(text, "x_seconds_bucket{le=\"1\"} 3\n"));
    assert_non_null(strstr(text, "x_seconds_bucket{le=\"+Inf\"} 4\n"));
    assert_non_null(strstr(text, "x_seconds_sum 7.65\n"));
    assert_non_null(strstr(text, "x_seconds_count 4\n"));
    free(text);
}

static void test_checkins_by_event_and_decision(void **state)
{
    (void)state;
    server_metrics m;
    server_metrics_init(&m);
    server_metrics_checkin(&m, 0, METRICS_ALLOWED);
    server_metrics_checkin(&m, 0, METRICS_ALLOWED);
    server_metrics_checkin(&m, 4, METRICS_UNAVAILABLE);
    server_metrics_checkin(&m, 5, METRICS_ALLOWED); /* no such event: not counted */
    server_metrics_checkin(NULL, 0, METRICS_ALLOWED);
    textbuf out = {0};
    server_metrics_write(&m, &out);
    char *text = metrics_test_text(&out);
    assert_non_null(
        strstr(text, "weldreg_checkins_total{event=\"scan\",decision=\"allowed\"} 2\n"));
    assert_non_null(
        strstr(text, "weldreg_checkins_total{event=\"tamper\",decision=\"unavailable\"} 1\n"));
    assert_non_null(strstr(text, "weldreg_checkins_total{event=\"arc\",decision=\"refused\"} 0\n"));
    free(text);
}

static void test_ready_needs_endpoints_and_both_connections(void **state)
{
    (void)state;
    server_metrics m;
    server_metrics_init(&m);
    assert_false(server_metrics_ready(&m));
    atomic_store(&m.endpoints_bound, true);
    atomic_store(&m.db_up[METRICS_CONN_WRITER], true);
    assert_string_equal(server_metrics_not_ready(&m),
                        "database lost by the views' listener: changes are not seen\n");
    atomic_store(&m.db_up[METRICS_CONN_VIEWS], true);
    assert_true(server_metrics_ready(&m));
    atomic_store(&m.stopping, true);
    assert_string_equal(server_metrics_not_ready(&m), "stopping\n");
    assert_true(server_metrics_healthy(&m, 60000)); /* init set the beat */
    atomic_store(&m.loop_beat_ms, metrics_monotonic_ms() - 10000);
    assert_false(server_metrics_healthy(&m, 5000));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_histogram_is_cumulative),
        cmocka_unit_test(test_checkins_by_event_and_decision),
        cmocka_unit_test(test_ready_needs_endpoints_and_both_connections),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
