/* coapio.h — drives a libcoap 4.3.1 context from an outside epoll loop, reading many datagrams
 * for each of libcoap's passes over its sessions.
 *
 * libcoap 4.3.1 walks every session of every endpoint (time-outs, idle sessions) each time it
 * prepares for I/O, and reads one datagram per readiness event, so coap_io_process() costs a
 * walk of all sessions per datagram (three walks in the loop weldreg first had). With 20,000
 * sessions that walk is the whole cost of a request. coapio hands coap_io_do_epoll() the
 * endpoint's readiness event several times in one call (one read each) and lets libcoap walk
 * once at the end; the number of reads per call adapts to how much is queued. A read that
 * finds the socket empty costs one recvmsg(); libcoap reports it as two warnings, which
 * coapio_is_empty_read_log() recognises so that log handlers can drop them.
 *
 * Requests arrive in waves (devices send their next check-in when the previous one is
 * answered, and answers leave a database batch at a time), so a call often starts with only a
 * few datagrams queued. When a pass over the sessions is expensive, a short burst then costs a
 * whole pass for a few requests; coapio times one pass a second and keeps every burst at least
 * as long as that pass is worth in empty reads (a few microseconds each).
 *
 * libcoap 4.3.1 counts its ticks from the wall clock (CLOCK_REALTIME) it read at start. Once
 * the wall clock is stepped back past that moment, its ticks wrap around, and the deadline
 * OpenSSL gives a handshake (a wall-clock time, turned into ticks by coap_ticks_from_rt_us())
 * lands far behind them: every new DTLS session that takes longer than libcoap's four 100 ms
 * time-outs (a cellular link) is dropped. Before libcoap runs, coapio moves libcoap's start to
 * now whenever the wall clock is behind it. Tick values libcoap holds then lie ahead of its
 * clock, which only delays their time-outs (idle sessions stay bounded by max_sessions). */
#ifndef WELDREG_SERVER_COAPIO_H
#define WELDREG_SERVER_COAPIO_H

#include <coap3/coap.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct coapio {
    coap_context_t *ctx;
    int fd;               /* libcoap's epoll descriptor: readable when libcoap has work */
    unsigned burst;       /* reads handed to libcoap per readable endpoint and call */
    unsigned floor;       /* the shortest burst: a pass over the sessions in reads */
    uint64_t pass_ns;     /* what the last timed pass took */
    uint64_t next_timing; /* CLOCK_MONOTONIC ns of the next timed pass */
    unsigned ns_per_read; /* pass time that is worth one more read in a burst */
    bool stock;           /* one read per walk, as coap_io_process() does (for measurements) */
    bool clock_rebased;   /* libcoap's clock was moved to now since coapio_clock_rebased() */
} coapio;

/* Sets @p io up for @p ctx; with @p stock, coapio_process() behaves like coap_io_process().
 * -1 when libcoap was built without epoll. */
int coapio_init(coapio *io, coap_context_t *ctx, bool stock);

/* The descriptor to watch for readability in the caller's epoll set. */
int coapio_fd(const coapio *io);

/* Reads what is waiting on the context's sockets and timer, a burst at a time, then runs
 * libcoap's deferred work once. Call when coapio_fd() is readable. */
void coapio_process(coapio *io);

/* Runs libcoap's deferred work now: observe notifications, retransmissions, idle sessions,
 * triggered asyncs; re-arms libcoap's timer. Call after notifying observers. */
void coapio_flush(coapio *io);

/* True once after libcoap's clock was moved because the wall clock was stepped back before the
 * moment libcoap started (see above), so that the caller can say so. */
bool coapio_clock_rebased(coapio *io);

/* True for the warnings libcoap 4.3.1 logs when a read finds the socket empty. */
bool coapio_is_empty_read_log(coap_log_t level, const char *message);

#endif
