/* test-cluster.c — unit tests of the cluster notices: parsing, applying, and who is busy. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "server/checkin/cluster.h"

static void test_parse(void **state)
{
    (void)state;
    cluster_notice n;
    assert_int_equal(
        cluster_notice_parse("s 0011223344556677 34.52 113.38 1796454679 3 2 7 WR-C-3", &n), 0);
    assert_int_equal(n.kind, CLUSTER_SCAN);
    assert_true(n.has_position);
    assert_int_equal(n.scan.cti[1], 0x11);
    assert_true(n.scan.lat == 34.52 && n.scan.lon == 113.38);
    assert_int_equal(n.scan.at, 1796454679);
    assert_int_equal(n.scan.machine_id, 3);
    assert_int_equal(n.welder_id, 2);
    assert_int_equal(n.session_id, 7);
    assert_string_equal(n.chip_id, "WR-C-3");
    assert_int_equal(cluster_notice_parse("s 0011223344556677 - - 5 3 2 7 WR-C-3", &n), 0);
    assert_false(n.has_position);
    assert_int_equal(cluster_notice_parse("o 9 2 3 WR-C-3 - -", &n), 0);
    assert_int_equal(n.kind, CLUSTER_OPEN);
    assert_int_equal(n.session_id, 9);
    assert_false(n.has_position);
    assert_int_equal(cluster_notice_parse("o 9 2 3 WR-C-3 34.5 113.4", &n), 0);
    assert_true(n.has_position && n.scan.lat == 34.5 && n.scan.lon == 113.4);
    assert_int_equal(cluster_notice_parse("c 9 2", &n), 0);
    assert_int_equal(n.kind, CLUSTER_CLOSE);
    const char *bad[] = {"",
                         "x 1 2",
                         "c 9",
                         "c 9 2 1",
                         "c -9 2",
                         "c 9x 2",
                         "s 00112233 34 113 5 3 2 7 C",
                         "s 0011223344556677 nan 113 5 3 2 7 C",
                         "o 9 2 3 WR-C-3",
                         "o 9 2 3 WR-C-3 34.5 x",
                         "s 0011223344556677 34 113 5 3 2 7 C extra"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(cluster_notice_parse(bad[i], &n), -1);
}

static cluster_notice scan_opening(int64_t session, int64_t welder, int64_t machine,
                                   const char *chip)
{
    cluster_notice n;
    char text[128];
    snprintf(text, sizeof(text), "s 0011223344556677 34.5 113.4 100 %lld %lld %lld %s",
             (long long)machine, (long long)welder, (long long)session, chip);
    assert_int_equal(cluster_notice_parse(text, &n), 0);
    return n;
}

static void test_apply_and_busy(void **state)
{
    (void)state;
    scans *last = scans_create();
    cluster_sessions *open = cluster_sessions_create();
    sessions *local = sessions_create();
    cluster_notice n = scan_opening(7, 2, 3, "M3");
    assert_int_equal(cluster_apply(last, open, &n), 0);
    assert_non_null(scans_find(last, n.scan.cti));
    cluster_session busy;
    assert_true(cluster_welder_busy(local, open, 2, "M4", &busy));
    assert_int_equal(busy.machine_id, 3);
    assert_true(busy.has_position && busy.lat == 34.5);
    assert_false(cluster_welder_busy(local, open, 2, "M3", &busy)); /* the same machine */
    assert_false(cluster_welder_busy(local, NULL, 2, "M4", &busy)); /* one server alone */
    /* a machine this server holds is known better here: no session of the welder on it */
    sessions_get(local, "M3")->lease_epoch = 4;
    assert_false(cluster_welder_busy(local, open, 2, "M4", &busy));
    sessions_get(local, "M3")->lease_epoch = 0;
    /* a newer session of the welder replaces the one whose close was not heard */
    n = scan_opening(8, 2, 5, "M5");
    assert_int_equal(cluster_apply(last, open, &n), 0);
    assert_int_equal(cluster_sessions_count(open), 1);
    assert_true(cluster_welder_busy(local, open, 2, "M4", &busy));
    assert_int_equal(busy.machine_id, 5);
    assert_int_equal(cluster_notice_parse("c 7 2", &n), 0); /* the old one's close: nothing */
    assert_int_equal(cluster_apply(last, open, &n), 0);
    assert_int_equal(cluster_sessions_count(open), 1);
    assert_int_equal(cluster_notice_parse("c 8 2", &n), 0);
    assert_int_equal(cluster_apply(last, open, &n), 0);
    assert_int_equal(cluster_sessions_count(open), 0);
    assert_false(cluster_welder_busy(local, open, 2, "M4", &busy));
    /* this server's own session of the welder, on another machine */
    machine_state *st = sessions_get(local, "M6");
    st->session.open = true;
    st->welder_id = 2;
    st->machine_id = 6;
    assert_true(cluster_welder_busy(local, open, 2, "M4", &busy));
    assert_int_equal(busy.machine_id, 6);
    cluster_sessions_clear(open);
    sessions_destroy(local);
    cluster_sessions_destroy(open);
    cluster_sessions_destroy(NULL);
    scans_destroy(last);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_apply_and_busy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
