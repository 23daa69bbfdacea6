/* loadgen.h — what the load generator's processes share: the options, and the results each
 * worker writes into memory shared with the parent (no pointers, so it survives fork()). */
#ifndef WELDREG_BENCH_LOADGEN_H
#define WELDREG_BENCH_LOADGEN_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <coap3/coap.h>

#include "bench/hist.h"
#include "bench/psklist.h"

/* Relative weights of the events a machine sends. */
typedef struct loadgen_mix {
    unsigned hb, arc, scan;
} loadgen_mix;

typedef struct loadgen_options {
    const char *server;   /* coaps://127.0.0.1:PORT (loopback only) */
    const char *psk_file; /* "identity psk" lines */
    const char *code_file;
    const char *ack_log; /* "CHIP SEQ 2.01 ID TIME" per acknowledged check-in */
    const char *label;
    unsigned machines;        /* active machines, each its own DTLS session */
    unsigned idle;            /* extra sessions opened and left idle */
    unsigned workers;         /* processes driving the active machines */
    double duration_s;        /* stop sending after this long (0: no limit) */
    uint64_t count;           /* stop after this many requests in all (0: no limit) */
    double rate;              /* requests per second in all (0: closed loop) */
    double timeout_s;         /* a request unanswered this long counts as a time-out */
    double connect_timeout_s; /* the connect phase gives up after this long */
    unsigned connect_window;  /* handshakes in flight at once per process */
    bool connect_only;        /* measure the handshakes, send nothing */
    bool allow_private;       /* accept a server on a private IPv4 network (--allow-private) */
    loadgen_mix mix;
    uint64_t seq_base;     /* first seq of every machine */
    bool code_per_machine; /* --codes-file: "IDENTITY CODE" lines, not one code for all */
    bool has_site;         /* --site: every machine at (site_lat, site_lon), not spread around */
    double site_lat, site_lon;
} loadgen_options;

/* One worker's results, written by the worker only. */
typedef struct loadgen_result {
    atomic_int ready;   /* connect phase over */
    atomic_int done;    /* results final */
    unsigned sessions;  /* sessions this process opened */
    uint64_t connected; /* handshakes completed */
    uint64_t connect_failed;
    double connect_start, connect_end; /* CLOCK_MONOTONIC seconds */
    double run_start, run_end;
    double cpu_s; /* user + system CPU of the process during the run */
    uint64_t sent;
    uint64_t answered;
    uint64_t answered_in_run; /* answered before run_end: the throughput's numerator */
    uint64_t class2, class4, class5;
    uint64_t timeouts;   /* no answer within timeout_s */
    uint64_t nacks;      /* libcoap gave up (retransmits, RST, DTLS failure) */
    uint64_t unfinished; /* still in flight when the run ended */
    uint64_t skipped;    /* fixed rate: no machine free when a request was due */
    uint64_t acked;      /* 2.01 answers: check-ins the server stored */
    uint64_t retries;    /* requests that resent a check-in (same body, same seq) */
    uint64_t reconnects; /* new DTLS sessions opened during the run */
    double max_age_s;    /* the largest Max-Age of a 5.xx answer */
    uint64_t codes[256]; /* answers by CoAP code byte */
    hist latency;
} loadgen_result;

/* Memory shared by the parent and every worker. */
typedef struct loadgen_shared {
    atomic_int go;   /* set by the parent when every session is connected */
    atomic_int stop; /* set by the parent (or a signal) to end every process */
    loadgen_result results[];
} loadgen_shared;

/* What one process drives: @p count credentials from @p creds, as active machines or as idle
 * sessions. */
typedef struct loadgen_slice {
    const psklist_entry *creds;
    size_t count;
    bool idle;
    unsigned index; /* which worker: its result slot and its ack-log suffix */
    uint64_t count_limit;
    double rate;
} loadgen_slice;

/* Runs one worker process's part to the end and fills @p out. @p code (may be NULL) is the
 * --code-file's text, the welder code scans carry (its first line: a code may hold spaces), or
 * the --codes-file's "IDENTITY CODE" lines (each machine scans the code of its own line; a
 * machine with none does not scan). Returns 0, or -1 if the
 * worker could not start. */
int loadgen_worker_run(const loadgen_options *opt, const coap_address_t *server,
                       const loadgen_slice *slice, const char *code, loadgen_shared *shared,
                       loadgen_result *out);

/* CLOCK_MONOTONIC in seconds. */
double loadgen_now(void);

#endif
