/* lossy-relay.c — a UDP relay on loopback that loses, duplicates, reorders and delays
 * datagrams with given probabilities, for fault tests on kernels without sch_netem. Each
 * client address gets its own upstream socket, so the server still sees one peer per client.
 *   lossy-relay --listen PORT --server PORT [--loss P] [--dup P] [--reorder P]
 *               [--delay-ms N] [--seed N] [--duration S] [--capture FILE]
 * --capture writes each datagram from the clients to FILE (2-byte big-endian length, then the
 * bytes), for replay tests. It runs until SIGTERM/SIGINT or --duration, then prints one line
 * of counts on stdout. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define RELAY_PEERS_MAX    8192 /* client addresses followed at once; the oldest is reused */
#define RELAY_HELD_MAX     4096 /* datagrams held back (reordered or delayed) at once */
#define RELAY_DATAGRAM_MAX 65536
#define RELAY_REORDER_MS   30 /* a reordered datagram is held this long: later ones overtake */

typedef struct relay_options {
    uint16_t listen_port, server_port;
    double loss, dup, reorder; /* probabilities, 0..1 */
    unsigned delay_ms;         /* added to every datagram */
    uint64_t seed;
    double duration_s;   /* 0: until a signal */
    const char *capture; /* NULL: nothing captured */
} relay_options;

typedef struct relay_peer {
    struct sockaddr_in client;
    int upstream; /* connected to the server; -1: slot free */
    double last_used;
} relay_peer;

typedef struct relay_held {
    int fd;
    struct sockaddr_in to; /* sin_port 0: fd is connected */
    double due;
    size_t len;
    uint8_t *data;
} relay_held;

typedef struct relay_counts {
    uint64_t datagrams, dropped, duplicated, reordered, overflow;
} relay_counts;

typedef struct relay {
    relay_options opt;
    int listener, epoll;
    struct sockaddr_in server;
    relay_peer peers[RELAY_PEERS_MAX];
    relay_held held[RELAY_HELD_MAX];
    size_t held_count;
    uint64_t rng;
    relay_counts counts;
    FILE *capture;
} relay;

static volatile sig_atomic_t relay_stop;

static void relay_on_signal(int sig)
{
    (void)sig;
    relay_stop = 1;
}

static double relay_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A uniform number in [0, 1) from a seeded xorshift64*: the same seed, the same faults. */
static double relay_random(relay *r)
{
    r->rng ^= r->rng >> 12;
    r->rng ^= r->rng << 25;
    r->rng ^= r->rng >> 27;
    return (double)((r->rng * 0x2545F4914F6CDD1DULL) >> 11) / 9007199254740992.0;
}

static void relay_transmit(int fd, const struct sockaddr_in *to, const uint8_t *data, size_t len)
{
    if (to->sin_port)
        sendto(fd, data, len, 0, (const struct sockaddr *)to, sizeof(*to));
    else
        send(fd, data, len, 0);
}

static void relay_hold(relay *r, int fd, const struct sockaddr_in *to, const uint8_t *data,
                       size_t len, double delay_s)
{
    uint8_t *copy = malloc(len);
    if (r->held_count == RELAY_HELD_MAX || !copy) {
        free(copy);
        r->counts.overflow++; /* full: sent at once rather than held */
        relay_transmit(fd, to, data, len);
        return;
    }
    memcpy(copy, data, len);
    r->held[r->held_count++] =
        (relay_held){.fd = fd, .to = *to, .due = relay_now() + delay_s, .len = len, .data = copy};
}

/* Sends the held datagrams that are due; returns the milliseconds until the next one. */
static int relay_release(relay *r)
{
    double now = relay_now(), next = 1.0;
    for (size_t i = 0; i < r->held_count;) {
        relay_held *h = &r->held[i];
        if (h->due <= now) {
            relay_transmit(h->fd, &h->to, h->data, h->len);
            free(h->data);
            *h = r->held[--r->held_count];
            continue;
        }
        if (h->due - now < next)
            next = h->due - now;
        i++;
    }
    return (int)(next * 1000.0) + 1;
}

/* Passes one datagram on, through the faults. */
static void relay_forward(relay *r, int fd, const struct sockaddr_in *to, const uint8_t *data,
                          size_t len)
{
    r->counts.datagrams++;
    if (relay_random(r) < r->opt.loss) {
        r->counts.dropped++;
        return;
    }
    int copies = 1;
    if (relay_random(r) < r->opt.dup) {
        r->counts.duplicated++;
        copies = 2;
    }
    for (int i = 0; i < copies; i++) {
        double delay_s = r->opt.delay_ms / 1000.0;
        if (relay_random(r) < r->opt.reorder) {
            r->counts.reordered++;
            delay_s += RELAY_REORDER_MS / 1000.0;
        }
        if (delay_s > 0)
            relay_hold(r, fd, to, data, len, delay_s);
        else
            relay_transmit(fd, to, data, len);
    }
}

static relay_peer *relay_peer_of(relay *r, const struct sockaddr_in *client)
{
    relay_peer *oldest = &r->peers[0];
    for (size_t i = 0; i < RELAY_PEERS_MAX; i++) {
        relay_peer *p = &r->peers[i];
        if (p->upstream >= 0 && p->client.sin_port == client->sin_port &&
            p->client.sin_addr.s_addr == client->sin_addr.s_addr)
            return p;
        if (p->upstream < 0 || p->last_used < oldest->last_used)
            oldest = p;
    }
    if (oldest->upstream >= 0)
        close(oldest->upstream); /* epoll forgets a closed descriptor by itself */
    oldest->upstream = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (oldest->upstream < 0)
        return NULL;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = oldest};
    if (connect(oldest->upstream, (const struct sockaddr *)&r->server, sizeof(r->server)) != 0 ||
        epoll_ctl(r->epoll, EPOLL_CTL_ADD, oldest->upstream, &ev) != 0) {
        close(oldest->upstream);
        oldest->upstream = -1;
        return NULL;
    }
    oldest->client = *client;
    return oldest;
}

/* Reads every waiting datagram of @p peer (NULL: the listener) and forwards it. */
static void relay_drain(relay *r, relay_peer *peer, uint8_t *buf)
{
    static const struct sockaddr_in connected = {.sin_port = 0};
    for (;;) {
        struct sockaddr_in from;
        socklen_t fromlen = sizeof(from);
        int fd = peer ? peer->upstream : r->listener;
        ssize_t n = recvfrom(fd, buf, RELAY_DATAGRAM_MAX, 0, (struct sockaddr *)&from, &fromlen);
        if (n < 0)
            return;
        if (peer) { /* the server's answer goes back to the client through the listener */
            peer->last_used = relay_now();
            relay_forward(r, r->listener, &peer->client, buf, (size_t)n);
            continue;
        }
        relay_peer *p = relay_peer_of(r, &from);
        if (!p)
            continue;
        if (r->capture) {
            uint8_t len[2] = {(uint8_t)(n >> 8), (uint8_t)n};
            fwrite(len, 1, 2, r->capture);
            fwrite(buf, 1, (size_t)n, r->capture);
        }
        p->last_used = relay_now();
        relay_forward(r, p->upstream, &connected, buf, (size_t)n);
    }
}

static int relay_open(relay *r)
{
    for (size_t i = 0; i < RELAY_PEERS_MAX; i++)
        r->peers[i].upstream = -1;
    r->rng = r->opt.seed ? r->opt.seed : 1;
    r->server = (struct sockaddr_in){.sin_family = AF_INET,
                                     .sin_port = htons(r->opt.server_port),
                                     .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct sockaddr_in local = r->server;
    local.sin_port = htons(r->opt.listen_port);
    r->listener = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    r->epoll = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    if (r->listener < 0 || r->epoll < 0 ||
        bind(r->listener, (const struct sockaddr *)&local, sizeof(local)) != 0 ||
        epoll_ctl(r->epoll, EPOLL_CTL_ADD, r->listener, &ev) != 0) {
        fprintf(stderr, "lossy-relay: could not listen on 127.0.0.1:%u: %s\n", r->opt.listen_port,
                strerror(errno));
        return -1;
    }
    if (r->opt.capture && !(r->capture = fopen(r->opt.capture, "wb"))) {
        fprintf(stderr, "lossy-relay: could not write \"%s\": %s\n", r->opt.capture,
                strerror(errno));
        return -1;
    }
    return 0;
}

static void relay_run(relay *r)
{
    static uint8_t buf[RELAY_DATAGRAM_MAX];
    double end = r->opt.duration_s > 0 ? relay_now() + r->opt.duration_s : 0;
    while (!relay_stop && (end == 0 || relay_now() < end)) {
        struct epoll_event events[64];
        int n = epoll_wait(r->epoll, events, 64, relay_release(r));
        for (int i = 0; i < n; i++)
            relay_drain(r, events[i].data.ptr, buf);
    }
}

static void relay_close(relay *r)
{
    for (size_t i = 0; i < RELAY_PEERS_MAX; i++)
        if (r->peers[i].upstream >= 0)
            close(r->peers[i].upstream);
    for (size_t i = 0; i < r->held_count; i++)
        free(r->held[i].data);
    if (r->listener >= 0)
        close(r->listener);
    if (r->epoll >= 0)
        close(r->epoll);
    if (r->capture)
        fclose(r->capture);
}

static int relay_probability(const char *text, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno || end == text || *end || !(v >= 0 && v <= 1))
        return -1;
    *out = v;
    return 0;
}

static int relay_whole(const char *text, uint64_t max, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno || end == text || *end || text[0] == '-' || v > max)
        return -1;
    *out = v;
    return 0;
}

static int relay_parse(int argc, char **argv, relay_options *opt)
{
    static const struct option longs[] = {
        {"listen", required_argument, NULL, 'l'},  {"server", required_argument, NULL, 's'},
        {"loss", required_argument, NULL, 'x'},    {"dup", required_argument, NULL, 'd'},
        {"reorder", required_argument, NULL, 'r'}, {"delay-ms", required_argument, NULL, 'D'},
        {"seed", required_argument, NULL, 'S'},    {"duration", required_argument, NULL, 't'},
        {"capture", required_argument, NULL, 'c'}, {NULL, 0, NULL, 0}};
    *opt = (relay_options){.seed = 1};
    int c;
    uint64_t v = 0;
    while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        int bad = 0;
        switch (c) {
        case 'l': bad = relay_whole(optarg, 65535, &v) || !v, opt->listen_port = (uint16_t)v; break;
        case 's': bad = relay_whole(optarg, 65535, &v) || !v, opt->server_port = (uint16_t)v; break;
        case 'x': bad = relay_probability(optarg, &opt->loss); break;
        case 'd': bad = relay_probability(optarg, &opt->dup); break;
        case 'r': bad = relay_probability(optarg, &opt->reorder); break;
        case 'D': bad = relay_whole(optarg, 10000, &v), opt->delay_ms = (unsigned)v; break;
        case 'S': bad = relay_whole(optarg, UINT64_MAX, &opt->seed); break;
        case 't': bad = relay_whole(optarg, 86400, &v), opt->duration_s = (double)v; break;
        case 'c': opt->capture = optarg; break;
        default: return -1;
        }
        if (bad) {
            fprintf(stderr, "lossy-relay: invalid value \"%s\"\n", optarg);
            return -1;
        }
    }
    return optind == argc && opt->listen_port && opt->server_port ? 0 : -1;
}

int main(int argc, char **argv)
{
    static relay r; /* large: not on the stack */
    if (relay_parse(argc, argv, &r.opt) != 0) {
        fputs("usage: lossy-relay --listen PORT --server PORT [--loss P] [--dup P] "
              "[--reorder P] [--delay-ms N] [--seed N] [--duration S] [--capture FILE]\n",
              stderr);
        return 2;
    }
    struct sigaction sa = {.sa_handler = relay_on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    r.listener = r.epoll = -1;
    int rc = relay_open(&r);
    if (rc == 0)
        relay_run(&r);
    relay_close(&r);
    printf("datagrams=%" PRIu64 " dropped=%" PRIu64 " duplicated=%" PRIu64 " reordered=%" PRIu64
           " overflow=%" PRIu64 "\n",
           r.counts.datagrams, r.counts.dropped, r.counts.duplicated, r.counts.reordered,
           r.counts.overflow);
    return rc == 0 ? 0 : 1;
}
