/* loadgen.c — the load generator: thousands of simulated welding machines, each its own
 * DTLS-PSK session, sending check-ins (mostly heartbeats, some arc events and scans) to a
 * server on a loopback address, closed loop or at a fixed rate, bounded by time and count.
 * The parent forks worker processes (libcoap is not thread-safe, and one process cannot hold
 * 20,000 sockets under a 20,000 file limit), shares their results through anonymous shared
 * memory and prints throughput, latency percentiles, errors and handshakes per second. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench/loadgen.h"
#include "core/checkin.h"

#define LOADGEN_FD_RESERVE 200 /* descriptors a process keeps for other than sessions */
#define LOADGEN_MAX_PROCS  64

static loadgen_shared *loadgen_signal_target;

static void loadgen_on_signal(int sig)
{
    (void)sig;
    if (loadgen_signal_target)
        atomic_store(&loadgen_signal_target->stop, 1);
}

static void loadgen_usage(FILE *out)
{
    fputs("usage: loadgen --server coaps://127.0.0.1:PORT --psk-file FILE [options]\n"
          "\n"
          "  --machines N         active machines, one DTLS session each (default 16)\n"
          "  --idle N             extra sessions opened first and left idle (default 0)\n"
          "  --workers N          processes driving the active machines (default 1)\n"
          "  --duration S         stop sending after S seconds (default 10; 0: no limit)\n"
          "  --count N            stop after N requests in all (default 0: no limit)\n"
          "  --rate R             R requests/s in all (default 0: closed loop)\n"
          "  --mix HB,ARC,SCAN    weights of the events (default 90,8,2)\n"
          "  --code-file FILE     a welder code (first line) for scans; no scans without it\n"
          "  --codes-file FILE    \"IDENTITY CODE\" lines instead: a code of its own per machine\n"
          "  --site LAT,LON       every machine at this position (default: spread over 10 km)\n"
          "  --ack-log FILE       write \"CHIP SEQ 2.01 ID TIME MS\" for every acknowledged\n"
          "                       check-in (TIME: Unix seconds, MS: its latency)\n"
          "  --timeout S          a request unanswered after S s is a time-out (default 10)\n"
          "  --connect-window N   handshakes in flight per process (default 64)\n"
          "  --connect-timeout S  give up the connect phase after S s (default 120)\n"
          "  --connect-only       measure the handshakes only\n"
          "  --seq-base N         first seq of every machine (default: now in microseconds)\n"
          "  --label TEXT         name of this run in the summary line\n"
          "  --allow-private      accept a server on a private IPv4 network too (10/8,\n"
          "                       172.16/12, 192.168/16: ./dev cluster's namespaces)\n"
          "\n"
          "FILE holds \"identity psk\" lines; the first N identities are the active machines,\n"
          "the next ones the idle sessions. Only loopback servers are accepted (see\n"
          "--allow-private). The last line\n"
          "on stdout is the summary as key=value pairs.\n",
          out);
}

static int loadgen_number(const char *text, double max, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno || end == text || *end || !(v >= 0) || v > max)
        return -1;
    *out = v;
    return 0;
}

/* --site LAT,LON: a position on Earth. */
static bool loadgen_parse_site(const char *text, loadgen_options *opt)
{
    char *end;
    opt->site_lat = strtod(text, &end);
    if (end == text || *end != ',')
        return false;
    const char *lon = end + 1;
    opt->site_lon = strtod(lon, &end);
    return end != lon && *end == '\0' && opt->site_lat >= -90 && opt->site_lat <= 90 &&
           opt->site_lon >= -180 && opt->site_lon <= 180;
}

static int loadgen_parse_mix(const char *text, loadgen_mix *mix)
{
    unsigned long w[3];
    const char *p = text;
    for (int i = 0; i < 3; i++) {
        char *end;
        if (*p < '0' || *p > '9')
            return -1;
        w[i] = strtoul(p, &end, 10);
        if (w[i] > 1000000 || *end != (i < 2 ? ',' : '\0'))
            return -1;
        p = end + 1;
    }
    if (w[0] + w[1] + w[2] == 0)
        return -1;
    *mix = (loadgen_mix){(unsigned)w[0], (unsigned)w[1], (unsigned)w[2]};
    return 0;
}

static uint64_t loadgen_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Numeric options: name, where, upper bound, whether it must be a whole number. */
static int loadgen_set_number(loadgen_options *opt, int c, const char *arg)
{
    double v;
    if (loadgen_number(arg, 1e15, &v) != 0)
        return -1;
    switch (c) {
    case 'n': opt->machines = (unsigned)v; return v <= 1000000 ? 0 : -1;
    case 'i': opt->idle = (unsigned)v; return v <= 1000000 ? 0 : -1;
    case 'w': opt->workers = (unsigned)v; return v >= 1 && v * 2 <= LOADGEN_MAX_PROCS ? 0 : -1;
    case 'd': opt->duration_s = v; return 0;
    case 'c': opt->count = (uint64_t)v; return 0;
    case 'r': opt->rate = v; return 0;
    case 't': opt->timeout_s = v; return v > 0 ? 0 : -1;
    case 'W': opt->connect_window = (unsigned)v; return v >= 1 ? 0 : -1;
    case 'T': opt->connect_timeout_s = v; return v > 0 ? 0 : -1;
    case 'q': opt->seq_base = (uint64_t)v; return 0;
    default: return -1;
    }
}

static int loadgen_parse(int argc, char **argv, loadgen_options *opt)
{
    static const struct option longs[] = {{"server", required_argument, NULL, 's'},
                                          {"psk-file", required_argument, NULL, 'p'},
                                          {"machines", required_argument, NULL, 'n'},
                                          {"idle", required_argument, NULL, 'i'},
                                          {"workers", required_argument, NULL, 'w'},
                                          {"duration", required_argument, NULL, 'd'},
                                          {"count", required_argument, NULL, 'c'},
                                          {"rate", required_argument, NULL, 'r'},
                                          {"mix", required_argument, NULL, 'm'},
                                          {"code-file", required_argument, NULL, 'C'},
                                          {"codes-file", required_argument, NULL, 'D'},
                                          {"site", required_argument, NULL, 'S'},
                                          {"ack-log", required_argument, NULL, 'a'},
                                          {"timeout", required_argument, NULL, 't'},
                                          {"connect-window", required_argument, NULL, 'W'},
                                          {"connect-timeout", required_argument, NULL, 'T'},
                                          {"connect-only", no_argument, NULL, 'o'},
                                          {"seq-base", required_argument, NULL, 'q'},
                                          {"label", required_argument, NULL, 'l'},
                                          {"allow-private", no_argument, NULL, 'P'},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
    *opt = (loadgen_options){.label = "run",
                             .machines = 16,
                             .workers = 1,
                             .duration_s = 10,
                             .timeout_s = 10,
                             .connect_timeout_s = 120,
                             .connect_window = 64,
                             .mix = {90, 8, 2},
                             .seq_base = loadgen_now_us()};
    int c;
    while ((c = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
        const char *bad = NULL;
        switch (c) {
        case 's': opt->server = optarg; break;
        case 'p': opt->psk_file = optarg; break;
        case 'C': opt->code_file = optarg; break;
        case 'D':
            opt->code_file = optarg;
            opt->code_per_machine = true;
            break;
        case 'S':
            opt->has_site = loadgen_parse_site(optarg, opt);
            if (!opt->has_site)
                bad = "--site expects LAT,LON";
            break;
        case 'a': opt->ack_log = optarg; break;
        case 'l': opt->label = optarg; break;
        case 'o': opt->connect_only = true; break;
        case 'P': opt->allow_private = true; break;
        case 'm':
            if (loadgen_parse_mix(optarg, &opt->mix) != 0)
                bad = "--mix expects three weights HB,ARC,SCAN, e.g. 90,8,2";
            break;
        case 'h': loadgen_usage(stdout); exit(0);
        case '?': return -1;
        default:
            if (loadgen_set_number(opt, c, optarg) != 0)
                bad = "invalid number";
            break;
        }
        if (bad) {
            fprintf(stderr, "loadgen: %s (\"%s\")\n", bad, optarg);
            return -1;
        }
    }
    if (optind != argc || !opt->server || !opt->psk_file) {
        fprintf(stderr, "loadgen: --server and --psk-file are required\n");
        return -1;
    }
    if (opt->workers > opt->machines && opt->machines > 0)
        opt->workers = opt->machines;
    return 0;
}

static bool loadgen_is_loopback(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
    }
    return false;
}

/* An RFC 1918 address: a network of this site, such as the namespaces of ./dev cluster, never a
 * server on the Internet. */
static bool loadgen_is_private(const struct sockaddr *sa)
{
    if (sa->sa_family != AF_INET)
        return false;
    uint32_t a = ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr);
    return (a >> 24) == 10 || (a >> 20) == 0xac1 || (a >> 16) == 0xc0a8;
}

/* Accepts coaps://IPV4:PORT or coaps://[IPV6]:PORT naming a loopback address, or a private
 * IPv4 address when @p allow_private. */
static int loadgen_resolve(const char *url, bool allow_private, coap_address_t *out)
{
    static const char scheme[] = "coaps://";
    char host[64], port[8] = "5684";
    const char *p = url + strlen(scheme);
    if (strncmp(url, scheme, strlen(scheme)) != 0)
        goto bad;
    const char *host_end = *p == '[' ? strchr(p, ']') : strrchr(p, ':');
    if (*p == '[')
        p++;
    if (!host_end)
        host_end = p + strlen(p);
    if ((size_t)(host_end - p) >= sizeof(host) || host_end == p)
        goto bad;
    snprintf(host, sizeof(host), "%.*s", (int)(host_end - p), p);
    const char *colon = *host_end == ']' ? host_end + 1 : host_end;
    if (*colon == ':' && snprintf(port, sizeof(port), "%s", colon + 1) >= (int)sizeof(port))
        goto bad;
    if (*colon && *colon != ':')
        goto bad;
    struct addrinfo hints = {.ai_socktype = SOCK_DGRAM,
                             .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    if (getaddrinfo(host, port, &hints, &res) != 0)
        goto bad;
    bool loopback =
        loadgen_is_loopback(res->ai_addr) || (allow_private && loadgen_is_private(res->ai_addr));
    coap_address_init(out);
    memcpy(&out->addr, res->ai_addr, res->ai_addrlen);
    out->size = res->ai_addrlen;
    freeaddrinfo(res);
    if (!loopback) {
        fprintf(stderr,
                "loadgen: refusing \"%s\": only loopback addresses (127.0.0.0/8, ::1) "
                "may be loaded (--allow-private: 10/8, 172.16/12, 192.168/16 too)\n",
                url);
        return -1;
    }
    return 0;
bad:
    fprintf(stderr,
            "loadgen: invalid server \"%s\": expected coaps://127.0.0.1:PORT or "
            "coaps://[::1]:PORT\n",
            url);
    return -1;
}

/* The longest --code-file: one "IDENTITY CODE" line for each of many machines. */
#define LOADGEN_CODES_MAX (1 << 22)

/* Reads @p path (a code, or "IDENTITY CODE" lines) into a new string, without its last newline. */
static char *loadgen_read_code(const char *path)
{
    FILE *f = fopen(path, "r");
    char *text = calloc(1, LOADGEN_CODES_MAX + 1);
    size_t n = f && text ? fread(text, 1, LOADGEN_CODES_MAX + 1, f) : 0;
    if (f)
        fclose(f);
    while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r'))
        text[--n] = '\0';
    size_t first = text ? strcspn(text, "\r\n") : 0;
    if (n == 0 || n > LOADGEN_CODES_MAX || first > PSKLIST_IDENTITY_MAX + 1 + CHECKIN_CODE_MAX) {
        fprintf(stderr,
                "loadgen: \"%s\" must hold a code of 1 to %d bytes, or lines of "
                "\"IDENTITY CODE\"\n",
                path, CHECKIN_CODE_MAX);
        free(text);
        return NULL;
    }
    return text;
}

/* Raises the open-file limit to its hard limit; returns how many sessions one process may hold. */
static size_t loadgen_sessions_per_process(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 1000;
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
    return rl.rlim_cur > 2 * (rlim_t)LOADGEN_FD_RESERVE ? (size_t)rl.rlim_cur - LOADGEN_FD_RESERVE
                                                        : 100;
}

typedef struct loadgen_plan {
    loadgen_slice slices[LOADGEN_MAX_PROCS];
    pid_t pids[LOADGEN_MAX_PROCS];
    size_t count;
    size_t active; /* slices [0, active) drive machines, the rest hold idle sessions */
} loadgen_plan;

static int loadgen_make_plan(const loadgen_options *opt, const psklist *keys, loadgen_plan *plan)
{
    size_t per_process = loadgen_sessions_per_process();
    size_t need = (size_t)opt->machines + opt->idle;
    if (keys->count < need) {
        fprintf(stderr, "loadgen: the PSK file has %zu identities, %zu are needed\n", keys->count,
                need);
        return -1;
    }
    size_t workers = opt->machines ? opt->workers : 0;
    size_t holders = (opt->idle + per_process - 1) / per_process;
    if (workers + holders > LOADGEN_MAX_PROCS ||
        (workers && (opt->machines + workers - 1) / workers > per_process)) {
        fprintf(stderr, "loadgen: too many sessions for the open-file limit (%zu per process)\n",
                per_process);
        return -1;
    }
    memset(plan, 0, sizeof(*plan));
    size_t at = 0;
    for (size_t i = 0; i < workers + holders; i++) {
        loadgen_slice *s = &plan->slices[i];
        bool idle = i >= workers;
        size_t total = idle ? opt->idle : opt->machines;
        size_t parts = idle ? holders : workers, k = idle ? i - workers : i;
        s->count = total / parts + (k < total % parts ? 1 : 0);
        s->creds = &keys->entries[at];
        s->idle = idle;
        s->index = (unsigned)i;
        s->count_limit =
            idle || !opt->count ? 0 : opt->count / workers + (k < opt->count % workers);
        s->rate = idle ? 0 : opt->rate / (double)workers;
        at += s->count;
    }
    plan->count = workers + holders;
    plan->active = workers;
    return 0;
}

static int loadgen_spawn(const loadgen_options *opt, const coap_address_t *server,
                         loadgen_plan *plan, const char *code, loadgen_shared *shared)
{
    fflush(NULL);
    for (size_t i = 0; i < plan->count; i++) {
        pid_t pid = fork();
        if (pid < 0) {
            fprintf(stderr, "loadgen: fork: %s\n", strerror(errno));
            atomic_store(&shared->stop, 1);
            return -1;
        }
        if (pid == 0) {
            int rc = loadgen_worker_run(opt, server, &plan->slices[i], code, shared,
                                        &shared->results[i]);
            _exit(rc == 0 ? 0 : 1);
        }
        plan->pids[i] = pid;
    }
    return 0;
}

/* Waits until every process finished connecting (or exited). */
static void loadgen_wait_ready(const loadgen_plan *plan, loadgen_shared *shared)
{
    for (;;) {
        size_t ready = 0;
        for (size_t i = 0; i < plan->count; i++) {
            int status;
            if (atomic_load(&shared->results[i].ready) ||
                waitpid(plan->pids[i], &status, WNOHANG) != 0)
                ready++;
        }
        if (ready == plan->count || atomic_load(&shared->stop))
            return;
        usleep(10000);
    }
}

static void loadgen_reap(const loadgen_plan *plan, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++)
        while (waitpid(plan->pids[i], NULL, 0) < 0 && errno == EINTR)
            ;
}

static int loadgen_merge_ack_logs(const char *path, size_t workers)
{
    FILE *out = fopen(path, "w");
    if (!out) {
        fprintf(stderr, "loadgen: could not write \"%s\": %s\n", path, strerror(errno));
        return -1;
    }
    char part[4096], buf[1 << 16];
    for (size_t i = 0; i < workers; i++) {
        snprintf(part, sizeof(part), "%s.w%zu", path, i);
        FILE *in = fopen(part, "r");
        if (!in)
            continue;
        size_t n;
        while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
            fwrite(buf, 1, n, out);
        fclose(in);
        remove(part);
    }
    return fclose(out) == 0 ? 0 : -1;
}

typedef struct loadgen_total {
    loadgen_result sum;
    double connect_start, connect_end;
    double run_start, run_end;
} loadgen_total;

static void loadgen_add(loadgen_total *t, const loadgen_result *r, bool active)
{
    loadgen_result *s = &t->sum;
    s->sessions += r->sessions;
    s->connected += r->connected;
    s->connect_failed += r->connect_failed;
    if (r->connect_start > 0 && (t->connect_start == 0 || r->connect_start < t->connect_start))
        t->connect_start = r->connect_start;
    if (r->connect_end > t->connect_end)
        t->connect_end = r->connect_end;
    if (!active)
        return;
    if (r->run_start > 0 && (t->run_start == 0 || r->run_start < t->run_start))
        t->run_start = r->run_start;
    if (r->run_end > t->run_end)
        t->run_end = r->run_end;
    s->cpu_s += r->cpu_s;
    s->sent += r->sent;
    s->answered += r->answered;
    s->answered_in_run += r->answered_in_run;
    s->class2 += r->class2;
    s->class4 += r->class4;
    s->class5 += r->class5;
    s->timeouts += r->timeouts;
    s->nacks += r->nacks;
    s->unfinished += r->unfinished;
    s->skipped += r->skipped;
    s->acked += r->acked;
    s->retries += r->retries;
    s->reconnects += r->reconnects;
    if (r->max_age_s > s->max_age_s)
        s->max_age_s = r->max_age_s;
    for (size_t i = 0; i < 256; i++)
        s->codes[i] += r->codes[i];
    hist_merge(&s->latency, &r->latency);
}

static void loadgen_print_codes(const loadgen_result *s)
{
    fputs("  answers by code:", stderr);
    for (unsigned i = 0; i < 256; i++)
        if (s->codes[i])
            fprintf(stderr, " %u.%02u=%" PRIu64, i >> 5, i & 0x1f, s->codes[i]);
    fputc('\n', stderr);
}

static void loadgen_report(const loadgen_options *opt, const loadgen_total *t)
{
    const loadgen_result *s = &t->sum;
    double connect_s = t->connect_end - t->connect_start;
    double hps = connect_s > 0 ? (double)s->connected / connect_s : 0;
    double run_s = t->run_end - t->run_start;
    double rps = run_s > 0 ? (double)s->answered_in_run / run_s : 0;
    double cpu_pct = run_s > 0 ? 100.0 * s->cpu_s / run_s : 0;
    const hist *h = &s->latency;
    double p50 = (double)hist_quantile(h, 0.50) / 1000.0;
    double p95 = (double)hist_quantile(h, 0.95) / 1000.0;
    double p99 = (double)hist_quantile(h, 0.99) / 1000.0;
    double max = (double)h->max_us / 1000.0;
    fprintf(stderr, "loadgen %s: %u machines + %u idle sessions, %u worker(s), %s\n", opt->label,
            opt->machines, opt->idle, opt->workers, opt->rate > 0 ? "fixed rate" : "closed loop");
    fprintf(stderr,
            "  connect: %" PRIu64 " of %u sessions in %.2f s = %.0f handshakes/s, %" PRIu64
            " failed\n",
            s->connected, s->sessions, connect_s, hps, s->connect_failed);
    if (!opt->connect_only) {
        fprintf(stderr,
                "  requests: sent %" PRIu64 ", answered %" PRIu64 " (2.xx %" PRIu64
                ", 4.xx %" PRIu64 ", 5.xx %" PRIu64 "), time-outs %" PRIu64 ", nacks %" PRIu64
                ", unfinished %" PRIu64 ", skipped %" PRIu64 "\n",
                s->sent, s->answered, s->class2, s->class4, s->class5, s->timeouts, s->nacks,
                s->unfinished, s->skipped);
        fprintf(stderr,
                "  delivery: acknowledged %" PRIu64 ", resent %" PRIu64 ", reconnects %" PRIu64
                ", largest Max-Age %.0f s\n",
                s->acked, s->retries, s->reconnects, s->max_age_s);
        fprintf(stderr, "  throughput: %.0f answers/s over %.2f s; load generator CPU %.0f %%\n",
                rps, run_s, cpu_pct);
        fprintf(stderr, "  latency ms: p50 %.3f  p95 %.3f  p99 %.3f  max %.3f\n", p50, p95, p99,
                max);
        loadgen_print_codes(s);
    }
    printf("label=%s machines=%u idle=%u sent=%" PRIu64 " answered=%" PRIu64 " ok=%" PRIu64
           " c4xx=%" PRIu64 " c5xx=%" PRIu64 " timeouts=%" PRIu64 " nacks=%" PRIu64
           " unfinished=%" PRIu64 " skipped=%" PRIu64 " elapsed_s=%.3f rps=%.1f p50_ms=%.3f"
           " p95_ms=%.3f p99_ms=%.3f max_ms=%.3f sessions=%u connected=%" PRIu64
           " connect_failed=%" PRIu64 " connect_s=%.3f hps=%.1f cpu_pct=%.0f acked=%" PRIu64
           " retries=%" PRIu64 " reconnects=%" PRIu64 " max_age_s=%.0f\n",
           opt->label, opt->machines, opt->idle, s->sent, s->answered, s->class2, s->class4,
           s->class5, s->timeouts, s->nacks, s->unfinished, s->skipped, run_s, rps, p50, p95, p99,
           max, s->sessions, s->connected, s->connect_failed, connect_s, hps, cpu_pct, s->acked,
           s->retries, s->reconnects, s->max_age_s);
    fflush(stdout);
}

/* Forks the workers, runs them through connect, run and stop, and adds up their results. */
static int loadgen_execute(const loadgen_options *opt, const coap_address_t *server,
                           loadgen_plan *plan, const char *code, loadgen_total *total)
{
    size_t size = sizeof(loadgen_shared) + plan->count * sizeof(loadgen_result);
    loadgen_shared *shared =
        mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (shared == MAP_FAILED) {
        fprintf(stderr, "loadgen: mmap: %s\n", strerror(errno));
        return -1;
    }
    loadgen_signal_target = shared;
    int rc = loadgen_spawn(opt, server, plan, code, shared);
    if (rc == 0) {
        loadgen_wait_ready(plan, shared);
        if (opt->connect_only)
            atomic_store(&shared->stop, 1);
        atomic_store(&shared->go, 1);
        loadgen_reap(plan, 0, plan->active);
        atomic_store(&shared->stop, 1);
        loadgen_reap(plan, plan->active, plan->count);
    }
    memset(total, 0, sizeof(*total));
    for (size_t i = 0; i < plan->count; i++) {
        if (!atomic_load(&shared->results[i].done))
            rc = -1; /* a worker died: its figures are missing */
        loadgen_add(total, &shared->results[i], i < plan->active);
    }
    loadgen_signal_target = NULL;
    munmap(shared, size);
    return rc;
}

int main(int argc, char **argv)
{
    loadgen_options opt;
    if (loadgen_parse(argc, argv, &opt) != 0) {
        loadgen_usage(stderr);
        return 2;
    }
    coap_address_t server;
    psklist keys;
    char err[512];
    if (loadgen_resolve(opt.server, opt.allow_private, &server) != 0)
        return 2;
    if (psklist_load(&keys, opt.psk_file, err, sizeof(err)) != 0) {
        fprintf(stderr, "loadgen: %s\n", err);
        return 2;
    }
    char *code = opt.code_file ? loadgen_read_code(opt.code_file) : NULL;
    loadgen_plan plan;
    int rc = 2;
    if ((!opt.code_file || code) && loadgen_make_plan(&opt, &keys, &plan) == 0) {
        struct sigaction sa = {.sa_handler = loadgen_on_signal};
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        loadgen_total total;
        memset(&total, 0, sizeof(total)); /* a run that cannot start reports zeros */
        rc = loadgen_execute(&opt, &server, &plan, code, &total) == 0 ? 0 : 1;
        loadgen_report(&opt, &total);
        if (opt.ack_log && loadgen_merge_ack_logs(opt.ack_log, plan.active) != 0)
            rc = 1;
        if (total.sum.connect_failed > 0 || (!opt.connect_only && total.sum.answered == 0))
            rc = 1;
    }
    free(code);
    psklist_deinit(&keys);
    return rc;
}
