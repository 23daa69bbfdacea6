/* test-peers.c — the identities handshakes name and their deadlines, over real libcoap sessions:
 * a handshake that never completes is reported exactly once, at its deadline or when libcoap
 * ends it first, in deadline order; one that completes, or is forgotten, is never reported. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "server/loop/peers.h"

#define N_SESSIONS 4

typedef struct fixture {
    coap_context_t *ctx;
    coap_session_t *session[N_SESSIONS];
    peers *ps;
    char reported[16][32]; /* the identities reported, in order */
    unsigned count;
} fixture;

static void on_failed(void *ctx, coap_session_t *session, const char *identity)
{
    fixture *f = ctx;
    assert_non_null(session);
    assert_true(f->count < 16);
    snprintf(f->reported[f->count++], sizeof(f->reported[0]), "%s", identity);
}

/* Client sessions toward a port nobody listens on: UDP sends nothing until asked, and a session
 * carries app data as a server's does. */
static int setup(void **state)
{
    static fixture f;
    memset(&f, 0, sizeof(f));
    f.ctx = coap_new_context(NULL);
    assert_non_null(f.ctx);
    for (int i = 0; i < N_SESSIONS; i++) {
        coap_address_t dst;
        coap_address_init(&dst);
        dst.addr.sin.sin_family = AF_INET;
        dst.addr.sin.sin_port = htons((uint16_t)(9 + i));
        dst.addr.sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        dst.size = sizeof(dst.addr.sin);
        f.session[i] = coap_new_client_session(f.ctx, NULL, &dst, COAP_PROTO_UDP);
        assert_non_null(f.session[i]);
    }
    f.ps = peers_new(on_failed, &f);
    assert_non_null(f.ps);
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    for (int i = 0; i < N_SESSIONS; i++)
        peers_forget(f->ps, f->session[i]);
    coap_free_context(f->ctx);
    peers_free(f->ps);
    return 0;
}

static void test_named_identity_is_kept(void **state)
{
    fixture *f = *state;
    assert_null(peers_identity(f->session[0]));
    assert_int_equal(peers_name(f->ps, f->session[0], "WR-P-0001", 1000, 30000), 0);
    assert_string_equal(peers_identity(f->session[0]), "WR-P-0001");
    /* naming again replaces the first */
    assert_int_equal(peers_name(f->ps, f->session[0], "WR-P-0002", 2000, 30000), 0);
    assert_string_equal(peers_identity(f->session[0]), "WR-P-0002");
    peers_forget(f->ps, f->session[0]);
    assert_null(peers_identity(f->session[0]));
    assert_int_equal(peers_expire(f->ps, 1000000), 0);
    assert_int_equal(f->count, 0);
}

static void test_deadlines_expire_in_order_once(void **state)
{
    fixture *f = *state;
    /* named out of order, with different time-outs */
    assert_int_equal(peers_name(f->ps, f->session[0], "late", 1000, 50000), 0);
    assert_int_equal(peers_name(f->ps, f->session[1], "early", 2000, 10000), 0);
    assert_int_equal(peers_name(f->ps, f->session[2], "middle", 3000, 20000), 0);
    assert_int_equal(peers_expire(f->ps, 11999), 0);
    assert_int_equal(peers_expire(f->ps, 12000), 1);
    assert_int_equal(peers_expire(f->ps, 12000), 0);
    assert_int_equal(peers_expire(f->ps, 100000), 2);
    assert_int_equal(f->count, 3);
    assert_string_equal(f->reported[0], "early");
    assert_string_equal(f->reported[1], "middle");
    assert_string_equal(f->reported[2], "late");
    /* libcoap's events after the deadline report nothing more; the identity stays until freed */
    peers_ended(f->ps, f->session[0]);
    assert_int_equal(f->count, 3);
    assert_string_equal(peers_identity(f->session[0]), "late");
}

static void test_connected_is_never_reported(void **state)
{
    fixture *f = *state;
    assert_int_equal(peers_name(f->ps, f->session[0], "good", 1000, 30000), 0);
    peers_connected(f->ps, f->session[0]);
    peers_ended(f->ps, f->session[0]); /* a completed session's DTLS closing */
    assert_int_equal(peers_expire(f->ps, 1000000), 0);
    assert_int_equal(f->count, 0);
    assert_string_equal(peers_identity(f->session[0]), "good");
}

static void test_ended_by_libcoap_reported_once(void **state)
{
    fixture *f = *state;
    assert_int_equal(peers_name(f->ps, f->session[0], "gave-up", 1000, 30000), 0);
    assert_int_equal(peers_name(f->ps, f->session[1], "waiting", 1000, 30000), 0);
    peers_ended(f->ps, f->session[0]); /* DTLS_CLOSED */
    peers_ended(f->ps, f->session[0]); /* then SESSION_DEL */
    peers_forget(f->ps, f->session[0]);
    assert_int_equal(f->count, 1);
    assert_string_equal(f->reported[0], "gave-up");
    assert_int_equal(peers_expire(f->ps, 31000), 1);
    assert_int_equal(f->count, 2);
    assert_string_equal(f->reported[1], "waiting");
}

static void test_forgotten_is_not_reported(void **state)
{
    fixture *f = *state;
    for (int i = 0; i < N_SESSIONS; i++)
        assert_int_equal(peers_name(f->ps, f->session[i], "x", 1000 + i, 30000), 0);
    peers_forget(f->ps, f->session[1]);
    peers_forget(f->ps, f->session[3]);
    assert_int_equal(peers_expire(f->ps, 1000000), 2);
    assert_int_equal(f->count, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_named_identity_is_kept, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deadlines_expire_in_order_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_connected_is_never_reported, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ended_by_libcoap_reported_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_forgotten_is_not_reported, setup, teardown),
    };
    coap_startup();
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    coap_cleanup();
    return failed;
}
