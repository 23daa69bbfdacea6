/* baseline-server.c — the benchmark's yardstick: bare libcoap 4.3.1 over DTLS-PSK answering
 * POST /v1/checkins with 2.01 and a small fixed CBOR body, no database and no decision. It uses
 * the same libcoap session settings and I/O driver (server/loop/coapio.c) as weldreg-server, so the
 * difference between the two is weldreg's own work; --stock-io drives libcoap with
 * coap_io_process() instead, as a plain libcoap server does. */
#include <coap3/coap.h>
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "bench/psklist.h"
#include "server/loop/coapio.h"

/* {"ok": true, "reasons": [], "id": 1}: the shape of weldreg's answer to an approved event. */
static const uint8_t baseline_answer[] = {0xa3, 0x62, 'o', 'k', 0xf5, 0x67, 'r', 'e', 'a',
                                          's',  'o',  'n', 's', 0x80, 0x62, 'i', 'd', 0x01};

static volatile sig_atomic_t baseline_stop;

typedef struct baseline_options {
    const char *listen;
    const char *psk_file;
    unsigned max_sessions;
    unsigned session_idle_s;
    bool stock_io;
} baseline_options;

typedef struct baseline {
    psklist keys;
    coap_bin_const_t psk_reply;
    coap_dtls_spsk_t psk_setup;
    coap_context_t *ctx;
    coapio io;
    int epoll_fd;
} baseline;

static void baseline_on_signal(int sig)
{
    (void)sig;
    baseline_stop = 1;
}

static void baseline_usage(FILE *out)
{
    fputs("usage: baseline-server --psk-file FILE [--listen 127.0.0.1:PORT]\n"
          "                       [--max-sessions N] [--session-idle S] [--stock-io]\n"
          "Answers POST /v1/checkins over DTLS-PSK with 2.01 and a fixed body. FILE holds\n"
          "\"identity psk\" lines. Defaults as weldreg-server: 127.0.0.1:5684, 50000 sessions,\n"
          "300 s idle. --stock-io: one coap_io_process() per datagram, as stock libcoap.\n",
          out);
}

static void hnd_post_checkins(coap_resource_t *resource, coap_session_t *session,
                              const coap_pdu_t *request, const coap_string_t *query,
                              coap_pdu_t *response)
{
    (void)resource;
    (void)session;
    (void)request;
    (void)query;
    uint8_t buf[4];
    coap_pdu_set_code(response, COAP_RESPONSE_CODE_CREATED);
    coap_add_option(response, COAP_OPTION_CONTENT_FORMAT,
                    coap_encode_var_safe(buf, sizeof(buf), COAP_MEDIATYPE_APPLICATION_CBOR), buf);
    coap_add_data(response, sizeof(baseline_answer), baseline_answer);
}

/* Runs inside the handshake; answers from the sorted in-memory list. */
static const coap_bin_const_t *baseline_psk_for_identity(coap_bin_const_t *identity,
                                                         coap_session_t *session, void *arg)
{
    (void)session;
    baseline *b = arg;
    const psklist_entry *e = psklist_find(&b->keys, (const char *)identity->s, identity->length);
    if (!e)
        return NULL;
    b->psk_reply.s = (const uint8_t *)e->key;
    b->psk_reply.length = e->key_len;
    return &b->psk_reply;
}

static int baseline_listen(baseline *b, const char *spec)
{
    char host[64], port[16];
    const char *colon = strrchr(spec, ':');
    if (!colon || (size_t)(colon - spec) >= sizeof(host) || strlen(colon + 1) >= sizeof(port) ||
        strchr(spec, '[')) {
        fprintf(stderr, "baseline-server: invalid listen address \"%s\": expected IPV4:PORT\n",
                spec);
        return -1;
    }
    snprintf(host, sizeof(host), "%.*s", (int)(colon - spec), spec);
    snprintf(port, sizeof(port), "%s", colon + 1);
    struct addrinfo hints = {.ai_family = AF_INET,
                             .ai_socktype = SOCK_DGRAM,
                             .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE};
    struct addrinfo *res = NULL;
    if (getaddrinfo(host, port, &hints, &res) != 0) {
        fprintf(stderr, "baseline-server: invalid listen address \"%s\"\n", spec);
        return -1;
    }
    coap_address_t addr;
    coap_address_init(&addr);
    memcpy(&addr.addr, res->ai_addr, res->ai_addrlen);
    addr.size = res->ai_addrlen;
    freeaddrinfo(res);
    if (!coap_new_endpoint(b->ctx, &addr, COAP_PROTO_DTLS)) {
        fprintf(stderr, "baseline-server: could not listen on \"%s\"\n", spec);
        return -1;
    }
    return 0;
}

static int baseline_setup(baseline *b, const baseline_options *opt)
{
    b->ctx = coap_new_context(NULL);
    if (!b->ctx)
        return -1;
    coap_context_set_block_mode(b->ctx, COAP_BLOCK_USE_LIBCOAP | COAP_BLOCK_SINGLE_BODY);
    coap_context_set_max_idle_sessions(b->ctx, opt->max_sessions);
    coap_context_set_session_timeout(b->ctx, opt->session_idle_s);
    b->psk_setup.version = COAP_DTLS_SPSK_SETUP_VERSION;
    b->psk_setup.validate_id_call_back = baseline_psk_for_identity;
    b->psk_setup.id_call_back_arg = b;
    if (!coap_context_set_psk2(b->ctx, &b->psk_setup)) {
        fprintf(stderr, "baseline-server: could not set up DTLS-PSK\n");
        return -1;
    }
    if (baseline_listen(b, opt->listen) != 0)
        return -1;
    coap_str_const_t *path = coap_make_str_const("v1/checkins");
    coap_resource_t *r = coap_resource_init(path, 0);
    if (!r)
        return -1;
    coap_register_handler(r, COAP_REQUEST_POST, hnd_post_checkins);
    coap_add_resource(b->ctx, r);
    b->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN};
    if (coapio_init(&b->io, b->ctx, opt->stock_io) != 0 || b->epoll_fd < 0 ||
        epoll_ctl(b->epoll_fd, EPOLL_CTL_ADD, coapio_fd(&b->io), &ev) != 0) {
        fprintf(stderr, "baseline-server: could not set up the event loop\n");
        return -1;
    }
    return 0;
}

/* The loop of server_run() in server/loop/server.c, without the writer and refresher. */
static int baseline_run(baseline *b)
{
    coapio_flush(&b->io);
    while (!baseline_stop) {
        struct epoll_event events[16];
        int n = epoll_wait(b->epoll_fd, events, 16, 1000);
        if (n < 0 && errno != EINTR) {
            fprintf(stderr, "baseline-server: epoll_wait: %s\n", strerror(errno));
            return 1;
        }
        if (n > 0)
            coapio_process(&b->io);
    }
    return 0;
}

static int baseline_parse_uint(const char *text, unsigned *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(text, &end, 10);
    if (errno || end == text || *end || text[0] == '-' || v == 0 || v > 10000000)
        return -1;
    *out = (unsigned)v;
    return 0;
}

static int baseline_parse(int argc, char **argv, baseline_options *opt)
{
    static const struct option longs[] = {{"listen", required_argument, NULL, 'l'},
                                          {"psk-file", required_argument, NULL, 'p'},
                                          {"max-sessions", required_argument, NULL, 'm'},
                                          {"session-idle", required_argument, NULL, 'i'},
                                          {"stock-io", no_argument, NULL, 's'},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
    *opt = (baseline_options){"127.0.0.1:5684", NULL, 50000, 300, false};
    int c;
    while ((c = getopt_long(argc, argv, "l:p:m:i:sh", longs, NULL)) != -1) {
        switch (c) {
        case 'l': opt->listen = optarg; break;
        case 'p': opt->psk_file = optarg; break;
        case 'm':
            if (baseline_parse_uint(optarg, &opt->max_sessions) != 0)
                return -1;
            break;
        case 'i':
            if (baseline_parse_uint(optarg, &opt->session_idle_s) != 0)
                return -1;
            break;
        case 's': opt->stock_io = true; break;
        case 'h': baseline_usage(stdout); exit(0);
        default: return -1;
        }
    }
    return optind == argc && opt->psk_file ? 0 : -1;
}

int main(int argc, char **argv)
{
    baseline_options opt;
    if (baseline_parse(argc, argv, &opt) != 0) {
        baseline_usage(stderr);
        return 2;
    }
    baseline b;
    memset(&b, 0, sizeof(b));
    b.epoll_fd = -1;
    char err[512];
    if (psklist_load(&b.keys, opt.psk_file, err, sizeof(err)) != 0 ||
        psklist_sort(&b.keys, err, sizeof(err)) != 0) {
        fprintf(stderr, "baseline-server: %s\n", err);
        return 2;
    }
    signal(SIGINT, baseline_on_signal);
    signal(SIGTERM, baseline_on_signal);
    coap_startup();
    coap_set_log_level(LOG_ERR);
    coap_dtls_set_log_level(LOG_ERR);
    int rc = 2;
    if (baseline_setup(&b, &opt) == 0) {
        fprintf(stderr, "baseline-server: ready on coaps://%s (%zu identities)\n", opt.listen,
                b.keys.count);
        rc = baseline_run(&b);
    }
    if (b.ctx)
        coap_free_context(b.ctx);
    if (b.epoll_fd >= 0)
        close(b.epoll_fd);
    coap_cleanup();
    psklist_deinit(&b.keys);
    return rc;
}
