/* loadgen_worker.c — one load-generator process: a libcoap context with one DTLS-PSK client
 * session per simulated machine, a windowed connect phase, then closed-loop or fixed-rate
 * check-ins (CoAP NSTART = 1: one request in flight per machine). Each machine behaves as a
 * real device must: a check-in is resent with the same body and seq until it gets a final
 * answer; after 5.03 it waits Max-Age, after a time-out or a broken session it opens a new
 * DTLS session first. */
#include "bench/loadgen.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "core/cbor.h"
#include "core/checkin.h"

#define LG_TICK_MS        20  /* longest wait in the loop: time-outs and the clock */
#define LG_DRAIN_MAX_S    3.0 /* after the run, wait this long at most for answers */
#define LG_TOKEN_MAX      8
#define LG_TIMEOUT_SCAN_S 0.05 /* how often in-flight requests are checked for time-outs */
#define LG_RECONNECT_S    0.5  /* pause before a lost session is opened again */
#define LG_RETRY_S        1.0  /* pause after a 5.xx answer without Max-Age */

typedef struct lg_machine {
    const psklist_entry *cred;
    coap_session_t *session;
    uint64_t next_seq;
    uint64_t pending_seq;              /* seq of the check-in being delivered */
    uint8_t body[CHECKIN_ENCODED_MAX]; /* its body, resent unchanged */
    size_t body_len;                   /* 0: none pending, the next send makes a new one */
    double sent_at;                    /* 0: nothing in flight */
    double handshake_at;               /* run phase: 0, or when a new session was opened */
    double wait_until;                 /* when parked: the time it may go on */
    uint8_t token[LG_TOKEN_MAX];
    size_t token_len;
    bool connected;
    bool failed;    /* connect phase: the session could not be set up */
    bool parked;    /* waiting for wait_until (Max-Age or reconnect back-off) */
    bool reconnect; /* the session is lost: open a new one when the wait is over */
    bool queued;    /* in the closed loop's ring */
    double lat, lon;
    const char *code; /* the welder code its scans carry (in the worker's text); NULL: none */
    size_t code_len;
} lg_machine;

typedef struct lg_worker {
    const loadgen_options *opt;
    const loadgen_slice *slice;
    loadgen_shared *shared;
    loadgen_result *res;
    const char *code;
    coap_context_t *ctx;
    lg_machine *machines;
    size_t count;
    size_t *queue; /* ring of machines ready to send (closed loop) */
    size_t queue_head, queue_len;
    size_t connecting;
    size_t cursor; /* fixed rate: where the search for a free machine starts */
    uint64_t rng;
    FILE *ack;
    bool closed_loop;
    bool running; /* past the connect phase: lost sessions are opened again */
} lg_worker;

double loadgen_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t lg_random(lg_worker *w)
{
    /* xorshift64*: plenty for picking events */
    w->rng ^= w->rng >> 12;
    w->rng ^= w->rng << 25;
    w->rng ^= w->rng >> 27;
    return w->rng * 0x2545F4914F6CDD1DULL;
}

static void lg_enqueue(lg_worker *w, lg_machine *m)
{
    if (!w->closed_loop || m->failed || m->parked || m->queued || w->queue_len == w->count)
        return;
    w->queue[(w->queue_head + w->queue_len) % w->count] = (size_t)(m - w->machines);
    w->queue_len++;
    m->queued = true;
}

/* Holds @p m back for @p delay_s seconds, then (lg_unpark) sends or reconnects it. */
static void lg_park(lg_machine *m, double delay_s, bool reconnect)
{
    m->parked = true;
    m->wait_until = loadgen_now() + delay_s;
    m->reconnect = m->reconnect || reconnect;
    if (reconnect)
        m->connected = false;
}

static lg_worker *lg_worker_of(const coap_session_t *session)
{
    return coap_get_app_data(coap_session_get_context(session));
}

/* The "id" of a CBOR answer map, or 0. */
static uint64_t lg_answer_id(const coap_pdu_t *pdu)
{
    size_t len;
    const uint8_t *data;
    if (!coap_get_data(pdu, &len, &data))
        return 0;
    cbor_reader r;
    cbor_reader_init(&r, data, len);
    size_t pairs;
    if (cbor_read_map(&r, &pairs) != WR_OK)
        return 0;
    for (size_t i = 0; i < pairs; i++) {
        const char *key;
        size_t key_len;
        uint64_t id;
        if (cbor_read_text(&r, &key, &key_len) != WR_OK)
            return 0;
        if (key_len == 2 && memcmp(key, "id", 2) == 0 && cbor_read_uint(&r, &id) == WR_OK)
            return id;
        if (cbor_skip(&r) != WR_OK)
            return 0;
    }
    return 0;
}

/* The Max-Age option of @p pdu in seconds, or @p otherwise. */
static double lg_max_age(const coap_pdu_t *pdu, double otherwise)
{
    coap_opt_iterator_t it;
    coap_opt_t *opt = coap_check_option(pdu, COAP_OPTION_MAXAGE, &it);
    if (!opt)
        return otherwise;
    return (double)coap_decode_var_bytes(coap_opt_value(opt), coap_opt_length(opt));
}

/* "CHIP SEQ CODE ID TIME MS": the check-in the server acknowledged, when (Unix seconds) and
 * @p latency_s after it was sent (milliseconds: a soak plots it over time). */
static void lg_log_ack(lg_worker *w, const lg_machine *m, const coap_pdu_t *answer,
                       double latency_s)
{
    uint64_t id = lg_answer_id(answer);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    fprintf(w->ack, "%s %" PRIu64 " 2.01 %" PRIu64 " %lld.%03ld %.3f\n", m->cred->identity,
            m->pending_seq, id, (long long)ts.tv_sec, ts.tv_nsec / 1000000, latency_s * 1e3);
}

static void lg_count_answer(loadgen_result *res, coap_pdu_code_t code)
{
    unsigned cls = (unsigned)code >> 5;
    res->answered++;
    res->codes[(unsigned)code & 0xff]++;
    if (cls == 2)
        res->class2++;
    else if (cls == 4)
        res->class4++;
    else if (cls == 5)
        res->class5++;
}

/* A 2.xx or 4.xx answer is final: the check-in is done with. A 5.xx one asks to resend the
 * same check-in after Max-Age. */
static void lg_finish(lg_worker *w, lg_machine *m, const coap_pdu_t *answer)
{
    double now = loadgen_now();
    coap_pdu_code_t code = coap_pdu_get_code(answer);
    loadgen_result *res = w->res;
    lg_count_answer(res, code);
    double latency_s = now - m->sent_at;
    hist_add(&res->latency, (uint64_t)(latency_s * 1e6));
    m->sent_at = 0;
    if (((unsigned)code >> 5) == 5) {
        double max_age = lg_max_age(answer, LG_RETRY_S);
        if (max_age > res->max_age_s)
            res->max_age_s = max_age;
        lg_park(m, max_age, false);
        return;
    }
    if (code == COAP_RESPONSE_CODE_CREATED) {
        res->acked++;
        if (w->ack)
            lg_log_ack(w, m, answer, latency_s);
    }
    m->body_len = 0;
    lg_enqueue(w, m);
}

/* The session of @p m is lost (time-out, DTLS error): resend over a new one. */
static void lg_lost(lg_worker *w, lg_machine *m)
{
    m->sent_at = 0;
    m->handshake_at = 0;
    if (w->running)
        lg_park(m, LG_RECONNECT_S, true);
}

static coap_response_t lg_on_response(coap_session_t *session, const coap_pdu_t *sent,
                                      const coap_pdu_t *received, const coap_mid_t mid)
{
    (void)sent;
    (void)mid;
    lg_worker *w = lg_worker_of(session);
    lg_machine *m = coap_session_get_app_data(session);
    if (!w || !m || m->sent_at == 0)
        return COAP_RESPONSE_OK; /* late: already counted as a time-out */
    coap_bin_const_t token = coap_pdu_get_token(received);
    if (token.length != m->token_len || memcmp(token.s, m->token, token.length) != 0)
        return COAP_RESPONSE_OK;
    lg_finish(w, m, received);
    return COAP_RESPONSE_OK;
}

static void lg_on_nack(coap_session_t *session, const coap_pdu_t *sent,
                       const coap_nack_reason_t reason, const coap_mid_t mid)
{
    (void)sent;
    (void)mid;
    lg_worker *w = lg_worker_of(session);
    lg_machine *m = coap_session_get_app_data(session);
    if (!w || !m || m->sent_at == 0)
        return;
    w->res->nacks++;
    if (reason == COAP_NACK_TLS_FAILED && !w->running)
        m->failed = true;
    lg_lost(w, m);
    lg_enqueue(w, m);
}

static int lg_on_event(coap_session_t *session, const coap_event_t event)
{
    lg_worker *w = lg_worker_of(session);
    lg_machine *m = coap_session_get_app_data(session);
    if (!w || !m)
        return 0;
    bool lost = event == COAP_EVENT_DTLS_ERROR || event == COAP_EVENT_DTLS_CLOSED;
    if (w->running) {
        if (event == COAP_EVENT_DTLS_CONNECTED && !m->connected && !m->parked) {
            m->connected = true;
            m->handshake_at = 0;
            lg_enqueue(w, m);
        } else if (lost && !m->parked) {
            lg_lost(w, m);
        }
        return 0;
    }
    if (event == COAP_EVENT_DTLS_CONNECTED && !m->connected && !m->failed) {
        m->connected = true;
        w->connecting--;
        w->res->connected++;
        w->res->connect_end = loadgen_now();
    } else if (lost) {
        if (!m->connected && !m->failed) {
            w->connecting--;
            w->res->connect_failed++;
        }
        m->failed = true;
    }
    return 0;
}

static int lg_open_session(lg_worker *w, const coap_address_t *server, lg_machine *m)
{
    coap_dtls_cpsk_t psk = {.version = COAP_DTLS_CPSK_SETUP_VERSION};
    psk.psk_info.identity.s = (const uint8_t *)m->cred->identity;
    psk.psk_info.identity.length = m->cred->identity_len;
    psk.psk_info.key.s = (const uint8_t *)m->cred->key;
    psk.psk_info.key.length = m->cred->key_len;
    m->session = coap_new_client_session_psk2(w->ctx, NULL, server, COAP_PROTO_DTLS, &psk);
    if (!m->session) {
        m->failed = true;
        w->res->connect_failed++;
        return -1;
    }
    coap_session_set_app_data(m->session, m);
    w->connecting++;
    return 0;
}

/* Run phase: drops the lost session of @p m and opens a new one; lg_on_event() puts the
 * machine back to work when the handshake is done. */
static void lg_reopen(lg_worker *w, const coap_address_t *server, lg_machine *m)
{
    if (m->session) {
        coap_session_set_app_data(m->session, NULL); /* its late events are not ours */
        coap_session_release(m->session);
        m->session = NULL;
    }
    m->reconnect = false;
    m->connected = false;
    w->res->reconnects++;
    if (lg_open_session(w, server, m) != 0) {
        m->failed = false; /* try again later */
        lg_park(m, LG_RECONNECT_S, true);
        return;
    }
    w->connecting--; /* counted by the connect phase only */
    m->handshake_at = loadgen_now();
}

/* Opens every session, at most connect_window handshakes at a time. */
static void lg_connect_all(lg_worker *w, const coap_address_t *server)
{
    const loadgen_options *opt = w->opt;
    size_t next = 0;
    w->res->connect_start = loadgen_now();
    w->res->connect_end = w->res->connect_start;
    double deadline = w->res->connect_start + opt->connect_timeout_s;
    while ((next < w->count || w->connecting > 0) && !atomic_load(&w->shared->stop)) {
        while (next < w->count && w->connecting < opt->connect_window)
            lg_open_session(w, server, &w->machines[next++]);
        if (loadgen_now() > deadline)
            break;
        coap_io_process(w->ctx, 5);
    }
    w->res->connect_failed += w->connecting; /* still shaking hands at the deadline */
}

static const char *lg_pick_event(lg_worker *w, checkin_event *ev, lg_machine *m)
{
    const loadgen_mix *mix = &w->opt->mix;
    unsigned scan = m->code ? mix->scan : 0;
    unsigned total = mix->hb + mix->arc + scan;
    unsigned pick = total ? (unsigned)(lg_random(w) % total) : 0;
    ev->kind = CHECKIN_HB;
    if (pick >= mix->hb && pick < mix->hb + mix->arc) {
        ev->kind = CHECKIN_ARC;
        ev->has_amp = true;
        ev->amp = 80 + (uint32_t)(lg_random(w) % 170);
    } else if (pick >= mix->hb + mix->arc) {
        ev->kind = CHECKIN_SCAN;
        ev->code = m->code;
        ev->code_len = m->code_len;
    }
    if (ev->kind != CHECKIN_HB) {
        ev->has_position = true;
        ev->lat = m->lat;
        ev->lon = m->lon;
    }
    return checkin_kind_name(ev->kind);
}

/* Sets the code @p m scans from @p text: its first line, or with @p per_machine the code of
 * the "IDENTITY CODE" line that names the machine. */
static void lg_find_code(const char *text, bool per_machine, lg_machine *m)
{
    m->code = NULL;
    if (text && !per_machine) {
        m->code = text;
        m->code_len = strcspn(text, "\n");
        return;
    }
    const char *id = m->cred->identity;
    size_t id_len = m->cred->identity_len;
    for (const char *line = text; line && *line;) {
        size_t len = strcspn(line, "\n");
        if (len > id_len && strncmp(line, id, id_len) == 0 && line[id_len] == ' ') {
            m->code = line + id_len + 1;
            m->code_len = len - id_len - 1;
            return;
        }
        line += len + (line[len] == '\n');
    }
}

/* Makes the next check-in of @p m its pending one. */
static int lg_new_checkin(lg_worker *w, lg_machine *m)
{
    checkin_event ev;
    memset(&ev, 0, sizeof(ev));
    lg_pick_event(w, &ev, m);
    ev.seq = m->next_seq;
    ev.ts = (int64_t)time(NULL);
    if (checkin_encode(&ev, m->body, sizeof(m->body), &m->body_len) != WR_OK) {
        m->body_len = 0;
        return -1;
    }
    m->pending_seq = m->next_seq++;
    return 0;
}

/* A request carrying the pending check-in of @p m, with a new token. */
static coap_pdu_t *lg_build(lg_machine *m)
{
    coap_session_t *s = m->session;
    coap_pdu_t *pdu = coap_pdu_init(COAP_MESSAGE_CON, COAP_REQUEST_CODE_POST,
                                    coap_new_message_id(s), coap_session_max_pdu_size(s));
    if (!pdu)
        return NULL;
    uint8_t fmt[4];
    coap_session_new_token(s, &m->token_len, m->token);
    if (!coap_add_token(pdu, m->token_len, m->token) ||
        !coap_add_option(pdu, COAP_OPTION_URI_PATH, 2, (const uint8_t *)"v1") ||
        !coap_add_option(pdu, COAP_OPTION_URI_PATH, 8, (const uint8_t *)"checkins") ||
        !coap_add_option(pdu, COAP_OPTION_CONTENT_FORMAT,
                         coap_encode_var_safe(fmt, sizeof(fmt), COAP_MEDIATYPE_APPLICATION_CBOR),
                         fmt) ||
        !coap_add_data(pdu, m->body_len, m->body)) {
        coap_delete_pdu(pdu);
        return NULL;
    }
    return pdu;
}

/* Sends the pending check-in of @p m again, or a new one. */
static void lg_send(lg_worker *w, lg_machine *m)
{
    if (m->failed || m->parked || !m->connected || m->sent_at != 0)
        return;
    if (m->body_len > 0)
        w->res->retries++;
    else if (lg_new_checkin(w, m) != 0)
        return;
    coap_pdu_t *pdu = lg_build(m);
    w->res->sent++;
    m->sent_at = loadgen_now();
    if (!pdu || coap_send(m->session, pdu) == COAP_INVALID_MID) {
        w->res->nacks++;
        lg_lost(w, m);
        if (!w->running)
            m->failed = true;
    }
}

/* Fixed rate: the next machine with nothing in flight, round robin, or NULL. */
static lg_machine *lg_free_machine(lg_worker *w)
{
    for (size_t i = 0; i < w->count; i++) {
        lg_machine *m = &w->machines[(w->cursor + i) % w->count];
        if (m->connected && !m->failed && !m->parked && m->sent_at == 0) {
            w->cursor = (size_t)(m - w->machines) + 1;
            return m;
        }
    }
    return NULL;
}

/* Moves a parked machine on once its wait is over, and gives up on a handshake that takes
 * longer than a request may. */
static void lg_unpark(lg_worker *w, const coap_address_t *server, lg_machine *m, double now)
{
    if (m->handshake_at != 0 && now - m->handshake_at > w->opt->timeout_s) {
        m->handshake_at = 0;
        lg_park(m, 0, true);
    }
    if (!m->parked || now < m->wait_until)
        return;
    m->parked = false;
    if (m->reconnect)
        lg_reopen(w, server, m);
    else
        lg_enqueue(w, m);
}

/* Counts the requests in flight; one unanswered after timeout_s is a time-out, and its
 * machine reconnects. @p server NULL: the run is over, nothing is sent or reopened. */
static size_t lg_expire(lg_worker *w, const coap_address_t *server, double now)
{
    size_t inflight = 0;
    for (size_t i = 0; i < w->count; i++) {
        lg_machine *m = &w->machines[i];
        if (server)
            lg_unpark(w, server, m, now);
        if (m->sent_at == 0)
            continue;
        if (now - m->sent_at > w->opt->timeout_s) {
            w->res->timeouts++;
            lg_lost(w, m);
        } else {
            inflight++;
        }
    }
    return inflight;
}

static bool lg_limit_reached(const lg_worker *w, double now)
{
    const loadgen_options *opt = w->opt;
    if (opt->duration_s > 0 && now - w->res->run_start >= opt->duration_s)
        return true;
    return w->slice->count_limit && w->res->sent >= w->slice->count_limit;
}

/* Sends what is due now; returns how long the loop may wait, in ms. */
static unsigned lg_send_due(lg_worker *w, double now, double *next_due)
{
    if (w->closed_loop) {
        while (w->queue_len && !lg_limit_reached(w, now)) {
            lg_machine *m = &w->machines[w->queue[w->queue_head]];
            w->queue_head = (w->queue_head + 1) % w->count;
            w->queue_len--;
            m->queued = false;
            lg_send(w, m);
        }
        return LG_TICK_MS;
    }
    double interval = 1.0 / w->slice->rate;
    while (*next_due <= now && !lg_limit_reached(w, now)) {
        lg_machine *m = lg_free_machine(w);
        if (m)
            lg_send(w, m);
        else
            w->res->skipped++;
        *next_due += interval;
    }
    double wait_ms = (*next_due - now) * 1000.0;
    return wait_ms < 1.0 ? 1 : wait_ms > LG_TICK_MS ? LG_TICK_MS : (unsigned)wait_ms;
}

static double lg_cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static void lg_run(lg_worker *w, const coap_address_t *server)
{
    loadgen_result *res = w->res;
    double cpu_start = lg_cpu_seconds();
    w->running = true;
    res->run_start = loadgen_now();
    for (size_t i = 0; i < w->count; i++)
        lg_enqueue(w, &w->machines[i]);
    double next_due = res->run_start, next_scan = res->run_start;
    double now = res->run_start;
    while (!atomic_load(&w->shared->stop) && !lg_limit_reached(w, now)) {
        unsigned wait_ms = lg_send_due(w, now, &next_due);
        coap_io_process(w->ctx, wait_ms);
        now = loadgen_now();
        if (now >= next_scan) {
            lg_expire(w, server, now);
            next_scan = now + LG_TIMEOUT_SCAN_S;
        }
    }
    res->run_end = loadgen_now();
    res->cpu_s = lg_cpu_seconds() - cpu_start;
    res->answered_in_run = res->answered;
    double drain_end =
        res->run_end + (w->opt->timeout_s < LG_DRAIN_MAX_S ? w->opt->timeout_s : LG_DRAIN_MAX_S);
    w->closed_loop = false; /* nothing more is queued for sending */
    while (lg_expire(w, NULL, 0.0) > 0 && loadgen_now() < drain_end)
        coap_io_process(w->ctx, 10);
    for (size_t i = 0; i < w->count; i++)
        res->unfinished += w->machines[i].body_len > 0; /* in flight or waiting to be resent */
}

static int lg_setup(lg_worker *w, const loadgen_options *opt, const loadgen_slice *slice)
{
    w->count = slice->count;
    w->machines = calloc(w->count ? w->count : 1, sizeof(*w->machines));
    w->queue = calloc(w->count ? w->count : 1, sizeof(*w->queue));
    w->ctx = coap_new_context(NULL);
    if (!w->machines || !w->queue || !w->ctx)
        return -1;
    coap_set_app_data(w->ctx, w);
    coap_register_response_handler(w->ctx, lg_on_response);
    coap_register_nack_handler(w->ctx, lg_on_nack);
    coap_register_event_handler(w->ctx, lg_on_event);
    w->rng = 0x9E3779B97F4A7C15ULL ^ ((uint64_t)slice->index + 1) * 0xBF58476D1CE4E5B9ULL;
    for (size_t i = 0; i < w->count; i++) {
        lg_machine *m = &w->machines[i];
        m->cred = &slice->creds[i];
        m->next_seq = opt->seq_base;
        /* spread the machines over about 10 km around Jinan */
        m->lat = opt->has_site ? opt->site_lat : 36.65 + (double)(lg_random(w) % 1000) / 10000.0;
        m->lon = opt->has_site ? opt->site_lon : 117.00 + (double)(lg_random(w) % 1000) / 10000.0;
        lg_find_code(w->code, opt->code_per_machine, m);
    }
    if (opt->ack_log && !slice->idle) {
        char path[4096];
        snprintf(path, sizeof(path), "%s.w%u", opt->ack_log, slice->index);
        w->ack = fopen(path, "w");
        if (!w->ack) {
            fprintf(stderr, "loadgen: could not open \"%s\"\n", path);
            return -1;
        }
        setvbuf(w->ack, NULL, _IOLBF, 0); /* readable while the run goes on */
    }
    return 0;
}

static void lg_teardown(lg_worker *w)
{
    for (size_t i = 0; w->machines && i < w->count; i++)
        if (w->machines[i].session)
            coap_session_release(w->machines[i].session);
    if (w->ctx)
        coap_free_context(w->ctx);
    if (w->ack)
        fclose(w->ack);
    free(w->machines);
    free(w->queue);
}

/* Serves the sessions until @p flag or the stop flag is set, looking every @p poll_ms. Each
 * look walks all of libcoap's sessions: a holder of 10,000 idle sessions looking every 50 ms
 * took a fifth of a core from the server it measured. */
static void lg_wait_flag(lg_worker *w, atomic_int *flag, int poll_ms)
{
    while (!atomic_load(flag) && !atomic_load(&w->shared->stop))
        coap_io_process(w->ctx, poll_ms);
}

int loadgen_worker_run(const loadgen_options *opt, const coap_address_t *server,
                       const loadgen_slice *slice, const char *code, loadgen_shared *shared,
                       loadgen_result *out)
{
    lg_worker w = {.opt = opt, .slice = slice, .shared = shared, .res = out, .code = code};
    w.closed_loop = slice->rate <= 0;
    coap_startup();
    coap_set_log_level(LOG_EMERG);
    coap_dtls_set_log_level(LOG_EMERG);
    int rc = lg_setup(&w, opt, slice);
    out->sessions = (unsigned)slice->count;
    if (rc == 0)
        lg_connect_all(&w, server);
    atomic_store(&out->ready, 1);
    if (rc == 0 && !slice->idle && !opt->connect_only) {
        lg_wait_flag(&w, &shared->go, 50);
        if (!atomic_load(&shared->stop))
            lg_run(&w, server);
    }
    if (rc == 0 && (slice->idle || opt->connect_only))
        lg_wait_flag(&w, &shared->stop, 1000); /* hold the sessions until the run is over */
    lg_teardown(&w);
    coap_cleanup();
    atomic_store(&out->done, 1);
    return rc;
}
