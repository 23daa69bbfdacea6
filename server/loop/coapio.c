/* coapio.c — libcoap's I/O, a burst of reads per pass over the sessions (see coapio.h). */
#include "server/loop/coapio.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>

#define COAPIO_EVENTS    8
#define COAPIO_BURST_MAX 256
/* Bursts per coapio_process() call, so that the writer and the timers get their turn. */
#define COAPIO_ROUNDS 8
/* An empty read costs 3-5 us on the development machine (a recvmsg() and libcoap's two
 * warnings): a burst may spend about a fifth of a pass's time on reads that find nothing. */
#define COAPIO_NS_PER_READ 20000u
#define COAPIO_TIMING_NS   1000000000u

int coapio_init(coapio *io, coap_context_t *ctx, bool stock)
{
    io->ctx = ctx;
    io->fd = coap_context_get_coap_fd(ctx);
    io->burst = 1;
    io->floor = 1;
    io->pass_ns = 0;
    io->next_timing = 0;
    io->ns_per_read = COAPIO_NS_PER_READ;
    io->stock = stock;
    io->clock_rebased = false;
    return io->fd < 0 ? -1 : 0;
}

int coapio_fd(const coapio *io)
{
    return io->fd;
}

/* Moves libcoap's start to now when the wall clock has been stepped back before it (coapio.h). */
static void coapio_keep_clock(coapio *io)
{
    struct timespec wall;
    clock_gettime(CLOCK_REALTIME, &wall);
    if ((uint64_t)wall.tv_sec >= (uint64_t)coap_ticks_to_rt(0))
        return;
    coap_clock_init();
    io->clock_rebased = true;
}

bool coapio_clock_rebased(coapio *io)
{
    bool rebased = io->clock_rebased;
    io->clock_rebased = false;
    return rebased;
}

void coapio_flush(coapio *io)
{
    coapio_keep_clock(io);
    coap_tick_t now;
    coap_ticks(&now);
    coap_io_prepare_epoll(io->ctx, now);
}

static uint64_t coapio_clock_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Once a second, runs libcoap's pass over the sessions on its own and sets the shortest burst
 * from what it took: a pass worth n reads makes every burst at least n reads long. */
static void coapio_time_pass(coapio *io)
{
    uint64_t start = coapio_clock_ns();
    if (start < io->next_timing)
        return;
    coapio_flush(io);
    uint64_t end = coapio_clock_ns();
    io->pass_ns = end - start;
    uint64_t reads = io->pass_ns / io->ns_per_read;
    io->floor = reads < 1 ? 1 : reads > COAPIO_BURST_MAX ? COAPIO_BURST_MAX : (unsigned)reads;
    if (io->burst < io->floor)
        io->burst = io->floor;
    io->next_timing = end + COAPIO_TIMING_NS;
}

/* Copies @p n ready events into @p out, each readable socket's io->burst times (libcoap reads
 * one datagram per copy); the timer's event (no socket) once. Returns the count. */
static size_t coapio_expand(const coapio *io, const struct epoll_event *ready, int n,
                            struct epoll_event *out)
{
    size_t count = 0;
    for (int i = 0; i < n; i++) {
        unsigned copies = ready[i].data.ptr && (ready[i].events & EPOLLIN) ? io->burst : 1;
        for (unsigned c = 0; c < copies; c++)
            out[count++] = ready[i];
    }
    return count;
}

void coapio_process(coapio *io)
{
    coapio_keep_clock(io);
    if (io->stock) {
        coap_io_process(io->ctx, COAP_IO_NO_WAIT);
        return;
    }
    coapio_time_pass(io);
    struct epoll_event batch[COAPIO_EVENTS * COAPIO_BURST_MAX];
    for (int round = 0; round < COAPIO_ROUNDS; round++) {
        struct epoll_event ready[COAPIO_EVENTS];
        int n = epoll_wait(io->fd, ready, COAPIO_EVENTS, 0);
        if (n <= 0) {
            /* drained: the last burst was long enough, perhaps too long. It shrinks slowly:
             * requests come in waves (answers leave a batch at a time and devices send their
             * next), and a burst that starts small costs a walk per doubling of every wave. */
            if (round > 0 && io->burst > io->floor) {
                unsigned shrunk = io->burst > 4 ? io->burst - io->burst / 4 : 1;
                io->burst = shrunk > io->floor ? shrunk : io->floor;
            }
            return;
        }
        if (round > 0 && io->burst < COAPIO_BURST_MAX) /* still queued: read more per walk */
            io->burst = io->burst * 2 < COAPIO_BURST_MAX ? io->burst * 2 : COAPIO_BURST_MAX;
        size_t count = coapio_expand(io, ready, n, batch);
        /* reads each copy, then walks the sessions once and re-arms the timer */
        coap_io_do_epoll(io->ctx, batch, count);
    }
}

bool coapio_is_empty_read_log(coap_log_t level, const char *message)
{
    static const char read_prefix[] = "coap_network_read: ";
    static const char failed_suffix[] = ": read failed";
    if (level != LOG_WARNING)
        return false;
    if (strncmp(message, read_prefix, sizeof(read_prefix) - 1) == 0) {
        const char *reason = message + sizeof(read_prefix) - 1;
        const char *empty = strerror(EAGAIN);
        size_t len = strlen(empty);
        return strncmp(reason, empty, len) == 0 && (reason[len] == '\n' || !reason[len]);
    }
    /* "*  <endpoint>: read failed", which follows every failed read; the failure itself was
     * logged just before it (and kept, unless it was an empty read) */
    size_t len = strcspn(message, "\n");
    size_t suffix = sizeof(failed_suffix) - 1;
    return len > suffix && strncmp(message, "*  ", 3) == 0 &&
           strncmp(message + len - suffix, failed_suffix, suffix) == 0;
}
