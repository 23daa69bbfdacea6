/* dtls-probe.c — unauthenticated traffic against a DTLS server on loopback, for the attack
 * tests. Two modes:
 *   dtls-probe flood --port P --count N [--spoofed M] [--duration S]
 *       N clients, each from its own source port, send a ClientHello, answer the
 *       HelloVerifyRequest with the cookie, then fall silent: N unfinished handshakes that
 *       each passed the cookie check. M more clients, each from its own address in
 *       127.1.0.0/16 and up, send one ClientHello and never answer: what a spoofed source
 *       looks like. All are started evenly over S seconds, mixed. Prints how many clients
 *       started and how many of the N the server answered with a cookie.
 *   dtls-probe amplify --port P
 *       sends unauthenticated datagrams (a ClientHello without cookie, garbage, plain CoAP)
 *       and prints, per kind, the bytes sent, the bytes received within 1 s and the ratio.
 *   dtls-probe replay --port P --file F
 *       sends the datagrams captured in F (lossy-relay --capture) again, all from one new
 *       source port, and prints how many were sent and the bytes that came back.
 * Only 127.0.0.1 is probed (spoofed clients send from other loopback addresses). Exit status 0,
 * or 1 when something could not be done. */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#define PROBE_DATAGRAM_MAX 4096
#define PROBE_WAIT_MS      1000 /* how long answers to one probe are collected */
#define PROBE_COUNT_MAX    100000

static double probe_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A PSK client: the probe never gets as far as using the key. */
static unsigned int probe_psk(SSL *ssl, const char *hint, char *identity, unsigned int max_id,
                              unsigned char *psk, unsigned int max_psk)
{
    (void)ssl;
    (void)hint;
    if (max_id < 8 || max_psk < 32)
        return 0;
    snprintf(identity, max_id, "probe");
    memset(psk, 0x5a, 32);
    return 32;
}

/* A UDP socket connected to 127.0.0.1:@p port, or -1. */
/* A UDP socket connected to 127.0.0.1:@p port, sending from the loopback address @p from (host
 * order; 0: the kernel's choice, 127.0.0.1). */
static int probe_socket_from(uint16_t port, uint32_t from)
{
    struct sockaddr_in to = {
        .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct sockaddr_in src = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(from)};
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd >= 0 && from && bind(fd, (const struct sockaddr *)&src, sizeof(src)) != 0) {
        close(fd);
        fd = -1;
    }
    if (fd >= 0 && connect(fd, (const struct sockaddr *)&to, sizeof(to)) != 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

static int probe_socket(uint16_t port)
{
    return probe_socket_from(port, 0);
}

/* One DTLS client over memory BIOs: what it would send is read from its write BIO. */
typedef struct probe_client {
    SSL *ssl;
    BIO *in, *out;
} probe_client;

static int probe_client_init(probe_client *c, SSL_CTX *ctx)
{
    c->ssl = SSL_new(ctx);
    c->in = BIO_new(BIO_s_mem());
    c->out = BIO_new(BIO_s_mem());
    if (!c->ssl || !c->in || !c->out) {
        SSL_free(c->ssl);
        BIO_free(c->in);
        BIO_free(c->out);
        return -1;
    }
    BIO_set_mem_eof_return(c->in, -1); /* "no data yet", not end of file */
    SSL_set_bio(c->ssl, c->in, c->out);
    SSL_set_options(c->ssl, SSL_OP_NO_QUERY_MTU);
    DTLS_set_link_mtu(c->ssl, 1280);
    SSL_set_connect_state(c->ssl);
    return 0;
}

/* Runs the handshake as far as it goes with what it has received, and sends what it wrote
 * (one flight) over @p fd. Returns the bytes sent. */
static size_t probe_client_step(probe_client *c, int fd)
{
    SSL_do_handshake(c->ssl);
    ERR_clear_error();
    char *data;
    long len = BIO_get_mem_data(c->out, &data);
    size_t sent = 0;
    if (len > 0 && send(fd, data, (size_t)len, 0) == len)
        sent = (size_t)len;
    (void)BIO_reset(c->out);
    return sent;
}

static void probe_client_deinit(probe_client *c)
{
    SSL_free(c->ssl); /* frees both BIOs */
}

/* Waits up to @p wait_ms for datagrams on @p fd and returns the bytes received. With @p first
 * (of @p cap bytes) it stops at the first datagram and stores it there, its length in
 * @p first_len. */
static size_t probe_collect(int fd, int wait_ms, uint8_t *first, size_t cap, size_t *first_len)
{
    uint8_t buf[PROBE_DATAGRAM_MAX];
    size_t total = 0;
    double end = probe_now() + wait_ms / 1000.0;
    for (;;) {
        int left = (int)((end - probe_now()) * 1000.0);
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (left <= 0 || poll(&p, 1, left) <= 0)
            return total;
        ssize_t n = recv(fd, buf, sizeof(buf), 0);
        if (n <= 0)
            continue; /* e.g. ICMP port unreachable */
        total += (size_t)n;
        if (first) {
            *first_len = (size_t)n <= cap ? (size_t)n : 0;
            memcpy(first, buf, *first_len);
            return total;
        }
    }
}

static SSL_CTX *probe_ssl_ctx(void)
{
    SSL_CTX *ctx = SSL_CTX_new(DTLS_client_method());
    if (!ctx)
        return NULL;
    SSL_CTX_set_psk_client_callback(ctx, probe_psk);
    if (SSL_CTX_set_cipher_list(ctx, "PSK") != 1) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

/* One flood client: its socket (kept open to the end, so the server gets no ICMP error to
 * clean up by) and its DTLS state until the cookie came back. */
typedef struct probe_flooder {
    int fd;
    probe_client client;
    bool waiting; /* sent the first ClientHello, no cookie yet */
} probe_flooder;

typedef struct probe_flood_counts {
    uint64_t clients, cookie_answers;
} probe_flood_counts;

/* Starts flood client @p i: from 127.0.0.1, or from address @p from when spoofed (its answers
 * are read and dropped, and its DTLS state goes at once). */
static int probe_flood_start(SSL_CTX *ctx, uint16_t port, int ep, probe_flooder *f, uint32_t i,
                             uint32_t from)
{
    f->fd = probe_socket_from(port, from);
    if (f->fd < 0)
        return -1;
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = i};
    if (probe_client_init(&f->client, ctx) != 0 || epoll_ctl(ep, EPOLL_CTL_ADD, f->fd, &ev) != 0)
        return -1;
    probe_client_step(&f->client, f->fd);
    f->waiting = !from;
    if (from)
        probe_client_deinit(&f->client);
    return 0;
}

/* The source of flood client @p i of @p total, @p spoofed of them spread evenly among the
 * others: 0 (127.0.0.1) for a real one, else an address of its own from 127.1.0.0 on. */
static uint32_t probe_flood_source(unsigned i, unsigned total, unsigned spoofed)
{
    uint64_t before = (uint64_t)i * spoofed / total, upto = (uint64_t)(i + 1) * spoofed / total;
    return upto > before ? (127u << 24) + (1u << 16) + (uint32_t)before : 0;
}

/* The server's HelloVerifyRequest reached @p f: answer with the cookie, then fall silent. */
static void probe_flood_answer(probe_flooder *f, probe_flood_counts *counts)
{
    uint8_t buf[PROBE_DATAGRAM_MAX];
    ssize_t n = recv(f->fd, buf, sizeof(buf), MSG_DONTWAIT);
    if (n <= 0 || !f->waiting)
        return; /* later flights (ServerHello...) are left unanswered */
    counts->cookie_answers++;
    BIO_write(f->client.in, buf, (int)n);
    probe_client_step(&f->client, f->fd);
    probe_client_deinit(&f->client);
    f->waiting = false;
}

static void probe_flood_poll(int ep, probe_flooder *fs, int wait_ms, probe_flood_counts *counts)
{
    struct epoll_event events[64];
    int n = epoll_wait(ep, events, 64, wait_ms);
    for (int i = 0; i < n; i++)
        probe_flood_answer(&fs[events[i].data.u32], counts);
}

static void probe_raise_file_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

/* Starts @p count clients evenly over @p duration_s, answering cookies as they come, then
 * waits one more second for the last ones. */
static int probe_flood(uint16_t port, unsigned real, unsigned spoofed, double duration_s)
{
    unsigned count = real + spoofed;
    SSL_CTX *ctx = probe_ssl_ctx();
    probe_flooder *fs = calloc(count ? count : 1, sizeof(*fs));
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (!ctx || !fs || ep < 0) {
        fprintf(stderr, "dtls-probe: could not set up the flood\n");
        SSL_CTX_free(ctx);
        free(fs);
        return 1;
    }
    probe_raise_file_limit();
    probe_flood_counts counts = {0};
    double start = probe_now();
    unsigned started = 0;
    while (started < count) {
        double due = start + duration_s * started / count;
        double now = probe_now();
        if (now >= due) {
            fs[started].fd = -1;
            uint32_t from = probe_flood_source(started, count, spoofed);
            if (probe_flood_start(ctx, port, ep, &fs[started], started, from) == 0)
                counts.clients++;
            started++;
            continue;
        }
        probe_flood_poll(ep, fs, (int)((due - now) * 1000.0) + 1, &counts);
    }
    for (double end = probe_now() + 1.0; probe_now() < end;) /* the last cookies */
        probe_flood_poll(ep, fs, 50, &counts);
    printf("clients=%" PRIu64 " spoofed=%u cookie_answers=%" PRIu64 " seconds=%.1f\n",
           counts.clients - spoofed, spoofed, counts.cookie_answers, probe_now() - start);
    for (unsigned i = 0; i < started; i++) {
        if (fs[i].waiting)
            probe_client_deinit(&fs[i].client);
        if (fs[i].fd >= 0)
            close(fs[i].fd);
    }
    close(ep);
    free(fs);
    SSL_CTX_free(ctx);
    return counts.clients == count ? 0 : 1;
}

static void probe_report(const char *kind, size_t sent, size_t received)
{
    printf("kind=%s request_bytes=%zu response_bytes=%zu ratio=%.2f\n", kind, sent, received,
           sent ? (double)received / (double)sent : 0.0);
}

/* Sends @p len bytes from a new source port and reports what came back. */
static int probe_raw(uint16_t port, const char *kind, const uint8_t *data, size_t len)
{
    int fd = probe_socket(port);
    if (fd < 0 || send(fd, data, len, 0) != (ssize_t)len) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    probe_report(kind, len, probe_collect(fd, PROBE_WAIT_MS, NULL, 0, NULL));
    close(fd);
    return 0;
}

static int probe_client_hello(uint16_t port)
{
    SSL_CTX *ctx = probe_ssl_ctx();
    int fd = probe_socket(port);
    probe_client c;
    int rc = -1;
    if (ctx && fd >= 0 && probe_client_init(&c, ctx) == 0) {
        size_t sent = probe_client_step(&c, fd);
        if (sent > 0) {
            probe_report("client-hello", sent, probe_collect(fd, PROBE_WAIT_MS, NULL, 0, NULL));
            rc = 0;
        }
        probe_client_deinit(&c);
    }
    if (fd >= 0)
        close(fd);
    SSL_CTX_free(ctx);
    return rc;
}

static int probe_amplify(uint16_t port)
{
    /* CoAP CON GET /.well-known/core, in clear, to the DTLS port */
    static const uint8_t coap_get[] = {0x40, 0x01, 0x12, 0x34, 0xbb, '.',  'w', 'e', 'l', 'l', '-',
                                       'k',  'n',  'o',  'w',  'n',  0x04, 'c', 'o', 'r', 'e'};
    /* a DTLS 1.2 handshake record header announcing more than it holds */
    static const uint8_t bad_record[] = {0x16, 0xfe, 0xfd, 0,    0,    0, 0, 0, 0,
                                         0,    0,    0xff, 0xff, 0x01, 0, 0, 0};
    uint8_t garbage[1200];
    uint64_t x = 0x9E3779B97F4A7C15ULL;
    for (size_t i = 0; i < sizeof(garbage); i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        garbage[i] = (uint8_t)x;
    }
    int rc = 0;
    rc |= probe_client_hello(port);
    rc |= probe_raw(port, "coap-plain", coap_get, sizeof(coap_get));
    rc |= probe_raw(port, "dtls-bad-record", bad_record, sizeof(bad_record));
    rc |= probe_raw(port, "garbage-16", garbage, 16);
    rc |= probe_raw(port, "garbage-1200", garbage, sizeof(garbage));
    rc |= probe_raw(port, "empty", garbage, 0);
    return rc == 0 ? 0 : 1;
}

/* Sends every datagram of the capture file @p path from one new source port. */
static int probe_replay(uint16_t port, const char *path)
{
    FILE *f = fopen(path, "rb");
    int fd = probe_socket(port);
    if (!f || fd < 0) {
        fprintf(stderr, "dtls-probe: could not replay \"%s\"\n", path);
        if (f)
            fclose(f);
        if (fd >= 0)
            close(fd);
        return 1;
    }
    uint8_t len[2], buf[PROBE_DATAGRAM_MAX];
    size_t count = 0, sent = 0;
    while (fread(len, 1, 2, f) == 2) {
        size_t n = (size_t)len[0] << 8 | len[1];
        if (n > sizeof(buf) || fread(buf, 1, n, f) != n)
            break;
        if (send(fd, buf, n, 0) == (ssize_t)n) {
            count++;
            sent += n;
        }
    }
    fclose(f);
    size_t received = probe_collect(fd, PROBE_WAIT_MS, NULL, 0, NULL);
    printf("replayed=%zu request_bytes=%zu response_bytes=%zu\n", count, sent, received);
    close(fd);
    return count > 0 ? 0 : 1;
}

static int probe_whole(const char *text, unsigned long max, unsigned long *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(text, &end, 10);
    if (!text || errno || end == text || *end || text[0] == '-' || v > max)
        return -1;
    *out = v;
    return 0;
}

int main(int argc, char **argv)
{
    unsigned long port = 0, count = 1000, spoofed = 0, duration = 10;
    const char *file = NULL;
    const char *mode = argc > 1 ? argv[1] : "";
    bool flood = strcmp(mode, "flood") == 0, amplify = strcmp(mode, "amplify") == 0;
    bool replay = strcmp(mode, "replay") == 0;
    int bad = !flood && !amplify && !replay;
    for (int i = 2; i + 1 < argc && !bad; i += 2) {
        if (strcmp(argv[i], "--port") == 0)
            bad = probe_whole(argv[i + 1], 65535, &port);
        else if (strcmp(argv[i], "--count") == 0)
            bad = probe_whole(argv[i + 1], PROBE_COUNT_MAX, &count);
        else if (strcmp(argv[i], "--spoofed") == 0)
            bad = probe_whole(argv[i + 1], PROBE_COUNT_MAX, &spoofed);
        else if (strcmp(argv[i], "--duration") == 0)
            bad = probe_whole(argv[i + 1], 3600, &duration);
        else if (strcmp(argv[i], "--file") == 0)
            file = argv[i + 1];
        else
            bad = 1;
    }
    if (bad || port == 0 || argc % 2 != 0 || replay != (file != NULL)) {
        fputs("usage: dtls-probe flood --port P [--count N] [--spoofed M] [--duration S]\n"
              "       dtls-probe amplify --port P\n"
              "       dtls-probe replay --port P --file CAPTURE\n",
              stderr);
        return 2;
    }
    if (replay)
        return probe_replay((uint16_t)port, file);
    if (flood)
        return probe_flood((uint16_t)port, (unsigned)count, (unsigned)spoofed, (double)duration);
    return probe_amplify((uint16_t)port);
}
