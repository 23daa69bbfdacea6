/* test-coapio.c — the burst reader over a real libcoap context and a loopback socket:
 * every queued datagram is handled, bursts grow while datagrams wait and shrink when the
 * socket runs dry, and libcoap's empty-read warnings are recognised (and only they). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "server/loop/coapio.h"

typedef struct fixture {
    coap_context_t *ctx;
    coapio io;
    int client;
    struct sockaddr_in server;
} fixture;

static unsigned handled;

static void hnd_ping(coap_resource_t *resource, coap_session_t *session, const coap_pdu_t *request,
                     const coap_string_t *query, coap_pdu_t *response)
{
    (void)resource;
    (void)session;
    (void)request;
    (void)query;
    handled++;
    coap_pdu_set_code(response, COAP_RESPONSE_CODE_CHANGED);
}

/* A UDP port of 127.0.0.1 that was free a moment ago (libcoap 4.3.1 cannot say which port an
 * endpoint bound to port 0 got). */
static uint16_t free_port(void)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0)
        a.sin_port = 0;
    if (fd >= 0)
        close(fd);
    return ntohs(a.sin_port);
}

static int setup(void **state)
{
    static fixture f;
    memset(&f, 0, sizeof(f));
    coap_startup();
    coap_set_log_level(LOG_ERR);
    f.ctx = coap_new_context(NULL);
    coap_address_t addr;
    coap_address_init(&addr);
    addr.addr.sin.sin_family = AF_INET;
    addr.addr.sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.addr.sin.sin_port = htons(free_port());
    addr.size = sizeof(addr.addr.sin);
    coap_endpoint_t *ep = coap_new_endpoint(f.ctx, &addr, COAP_PROTO_UDP);
    if (!f.ctx || !ep)
        return -1;
    coap_resource_t *r = coap_resource_init(coap_make_str_const("ping"), 0);
    coap_register_handler(r, COAP_REQUEST_POST, hnd_ping);
    coap_add_resource(f.ctx, r);
    f.server.sin_family = AF_INET;
    f.server.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    f.server.sin_port = addr.addr.sin.sin_port;
    f.client = socket(AF_INET, SOCK_DGRAM, 0);
    if (f.client < 0 || coapio_init(&f.io, f.ctx, false) != 0)
        return -1;
    handled = 0;
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    close(f->client);
    coap_free_context(f->ctx);
    coap_cleanup();
    return 0;
}

/* A NON POST /ping with message id @p mid. */
static void send_ping(fixture *f, uint16_t mid)
{
    uint8_t pdu[] = {0x50, 0x02, (uint8_t)(mid >> 8), (uint8_t)mid, 0xb4, 'p', 'i', 'n', 'g'};
    ssize_t n =
        sendto(f->client, pdu, sizeof(pdu), 0, (struct sockaddr *)&f->server, sizeof(f->server));
    assert_int_equal(n, (ssize_t)sizeof(pdu));
}

static void test_reads_everything_queued(void **state)
{
    fixture *f = *state;
    enum { QUEUED = 150 };
    for (unsigned i = 0; i < QUEUED; i++)
        send_ping(f, (uint16_t)(i + 1));
    usleep(20000); /* loopback delivers at once; this only makes the test independent of it */
    for (int call = 0; call < 20 && handled < QUEUED; call++)
        coapio_process(&f->io);
    assert_int_equal(handled, QUEUED);
}

static void test_burst_grows_then_shrinks(void **state)
{
    fixture *f = *state;
    /* fewer than a default receive buffer holds (about 270 small datagrams) */
    enum { QUEUED = 150 };
    for (unsigned i = 0; i < QUEUED; i++)
        send_ping(f, (uint16_t)(1000 + i));
    usleep(20000);
    coapio_process(&f->io);
    unsigned grown = f->io.burst;
    assert_true(grown > 1);
    for (int call = 0; call < 20 && handled < QUEUED; call++)
        coapio_process(&f->io);
    assert_int_equal(handled, QUEUED);
    for (int i = 0; i < 10; i++) {
        send_ping(f, (uint16_t)(2000 + i));
        usleep(2000);
        coapio_process(&f->io);
    }
    assert_int_equal(handled, QUEUED + 10);
    assert_true(f->io.burst < grown);
}

/* Opens @p n sessions (one client socket each, one NON ping each) and serves them. */
static void open_sessions(fixture *f, unsigned n)
{
    struct rlimit lim;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &lim), 0);
    if (lim.rlim_cur < lim.rlim_max) {
        lim.rlim_cur = lim.rlim_max;
        assert_int_equal(setrlimit(RLIMIT_NOFILE, &lim), 0);
    }
    int *fds = calloc(n, sizeof(*fds));
    assert_non_null(fds);
    unsigned base = handled;
    for (unsigned i = 0; i < n; i++) {
        fds[i] = socket(AF_INET, SOCK_DGRAM, 0); /* open until the end: each its own port */
        assert_true(fds[i] >= 0);
        uint8_t pdu[] = {0x50, 0x02, 0x40, (uint8_t)i, 0xb4, 'p', 'i', 'n', 'g'};
        assert_int_equal(
            sendto(fds[i], pdu, sizeof(pdu), 0, (struct sockaddr *)&f->server, sizeof(f->server)),
            (ssize_t)sizeof(pdu));
        if (i % 100 == 99) /* fewer than a receive buffer holds */
            for (int call = 0; call < 20 && handled < base + i + 1; call++)
                coapio_process(&f->io);
    }
    for (int call = 0; call < 50 && handled < base + n; call++) {
        usleep(1000);
        coapio_process(&f->io);
    }
    assert_int_equal(handled, base + n);
    for (unsigned i = 0; i < n; i++)
        close(fds[i]);
    free(fds);
}

/* The floor of a burst follows the time of a pass over the sessions: timed anew, with a read
 * worth 1 us, a pass over 2,000 sessions is worth many reads, a pass over one session none. */
static unsigned floor_after_timing(fixture *f)
{
    f->io.ns_per_read = 1000;
    f->io.next_timing = 0;
    coapio_process(&f->io);
    assert_true(f->io.burst >= f->io.floor);
    return f->io.floor;
}

static void test_floor_follows_the_pass(void **state)
{
    fixture *f = *state;
    open_sessions(f, 1);
    unsigned few = floor_after_timing(f);
    open_sessions(f, 2000);
    unsigned many = floor_after_timing(f);
    assert_true(few < many);
    assert_true(many >= 8);
    assert_true(f->io.pass_ns > 0);
}

static void test_stock_mode_reads_one_per_call(void **state)
{
    fixture *f = *state;
    f->io.stock = true;
    send_ping(f, 3000);
    send_ping(f, 3001);
    usleep(20000);
    coapio_process(&f->io);
    assert_int_equal(handled, 1);
    coapio_process(&f->io);
    assert_int_equal(handled, 2);
}

static void test_empty_read_logs(void **state)
{
    (void)state;
    char empty[128];
    snprintf(empty, sizeof(empty), "coap_network_read: %s\n", strerror(EAGAIN));
    assert_true(coapio_is_empty_read_log(LOG_WARNING, empty));
    assert_true(coapio_is_empty_read_log(LOG_WARNING, "*  127.0.0.1:5684 (DTLS): read failed\n"));
    assert_false(coapio_is_empty_read_log(LOG_ERR, empty));
    char refused[128];
    snprintf(refused, sizeof(refused), "coap_network_read: %s\n", strerror(ENOBUFS));
    assert_false(coapio_is_empty_read_log(LOG_WARNING, refused));
    assert_false(coapio_is_empty_read_log(LOG_WARNING, "discard malformed PDU\n"));
    assert_false(coapio_is_empty_read_log(LOG_WARNING, "read failed\n"));
}

/* What libcoap logged at warning and above during a test. */
static char logged[16][256];
static unsigned logged_count;

static void capture_log(coap_log_t level, const char *message)
{
    if (level <= LOG_WARNING && logged_count < sizeof(logged) / sizeof(logged[0]))
        snprintf(logged[logged_count++], sizeof(logged[0]), "%s", message);
}

/* libcoap's own wording of an empty read, as this libcoap writes it: a burst longer than what is
 * queued makes libcoap read a socket with nothing in it. If a libcoap ever words these
 * differently, the server's log would fill with them: this fails first. */
static void test_empty_reads_as_libcoap_logs_them(void **state)
{
    fixture *f = *state;
    logged_count = 0;
    coap_set_log_handler(capture_log);
    coap_set_log_level(LOG_WARNING);
    f->io.burst = f->io.floor = 4; /* one datagram queued, four reads */
    f->io.next_timing = UINT64_MAX;
    send_ping(f, 4000);
    usleep(20000);
    coapio_process(&f->io);
    coap_set_log_level(LOG_ERR);
    coap_set_log_handler(NULL);
    assert_int_equal(handled, 1);
    assert_true(logged_count >= 2); /* three empty reads, each logged */
    for (unsigned i = 0; i < logged_count; i++) {
        if (!coapio_is_empty_read_log(LOG_WARNING, logged[i]))
            fail_msg("libcoap logged an empty read as \"%s\", which coapio does not recognise",
                     logged[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_reads_everything_queued, setup, teardown),
        cmocka_unit_test_setup_teardown(test_burst_grows_then_shrinks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_floor_follows_the_pass, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stock_mode_reads_one_per_call, setup, teardown),
        cmocka_unit_test(test_empty_read_logs),
        cmocka_unit_test_setup_teardown(test_empty_reads_as_libcoap_logs_them, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
