/* res_checkins.c — POST /v1/checkins: decode, decide, make durable, then answer.
 *
 * The answer waits for the commit, and is piggybacked: the handler sends nothing, the writer
 * thread commits the check-in with its batch (a few milliseconds), and checkin_done()
 * sends the answer in the ACK of the device's request (a NON request gets a NON answer). One
 * datagram each way, as for a bare server; the device's CoAP layer retransmits its request if
 * the answer takes longer than its ACK time-out (2 s or more), and a retransmission of a
 * request still being committed is dropped, since the answer to the first one answers it too.
 * libcoap's async support would answer with an empty ACK and a separate CON response (four
 * datagrams a check-in) and walks its list of parked requests on every pass of the loop. */
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cbor.h"
#include "core/checkin.h"
#include "core/json.h"
#include "core/jsoncbor.h"
#include "core/reason.h"
#include "server/checkin/checkin_host.h"
#include "server/loop/handlers.h"
#include "server/loop/log.h"
#include "server/loop/reply.h"

#define CHECKIN_BODY_MAX 2048
#define FORMAT_JSON      50
#define FORMAT_CBOR      60
/* Max-Age of the 5.03 a machine hears while this server takes its lease over: the takeover is
 * one or two statements, so the machine's next try finds it done. */
#define CHECKIN_LEASE_RETRY_S 1

/* A check-in waiting for the writer. The writer job comes first so the writer can free it. */
typedef struct checkin_job {
    writer_job job;
    const checkin_host *host; /* the resource's, the loop's */
    coap_session_t *session;  /* referenced while the job is out */
    reply_deferred reply;     /* how it is answered once committed */
    int accept;
} checkin_job;

static void checkin_done(writer_job *job);

/* The answer: {"ok": bool, "reasons": [text...], "until": uint (when ok), "id": uint}. */
static size_t checkin_encode_answer(const checkin_record *rec, uint8_t *buf, size_t cap)
{
    bool ok = rec->duplicate ? rec->first_ok : rec->ok;
    int64_t until = rec->duplicate ? rec->first_until : rec->unlock_until;
    cbor_writer w;
    cbor_writer_init(&w, buf, cap);
    cbor_put_map(&w, ok ? 4 : 3);
    cbor_put_cstr(&w, "ok");
    cbor_put_bool(&w, ok);
    cbor_put_cstr(&w, "reasons");
    const reason_code *reasons = rec->duplicate ? rec->first_reasons : rec->reasons;
    size_t count = rec->duplicate ? rec->first_reason_count : rec->reason_count;
    cbor_put_array(&w, count);
    for (size_t i = 0; i < count; i++)
        cbor_put_cstr(&w, reason_name(reasons[i]));
    if (ok) {
        cbor_put_cstr(&w, "until");
        cbor_put_uint(&w, (uint64_t)until);
    }
    cbor_put_cstr(&w, "id");
    cbor_put_uint(&w, (uint64_t)rec->id);
    return cbor_writer_status(&w) == WR_OK ? w.len : 0;
}

static void checkin_answer(const checkin_job *cj, coap_pdu_t *response)
{
    const checkin_record *rec = &cj->job.rec;
    if (rec->status == STORE_EUNAVAILABLE) {
        reply_unavailable(response, cj->host->retry_after_s);
        return;
    }
    if (rec->status == STORE_ESTALE) { /* another server took the machine meanwhile */
        reply_unavailable(response, CHECKIN_LEASE_RETRY_S);
        return;
    }
    if (rec->status != STORE_OK) {
        reply_error(response, COAP_RESPONSE_CODE_INTERNAL_ERROR, "could not store the check-in");
        return;
    }
    if (rec->replay) {
        reply_error(response, COAP_RESPONSE_CODE_CONFLICT,
                    "seq %llu was already used with different content (replay refused)",
                    (unsigned long long)rec->seq);
        return;
    }
    uint8_t body[512];
    size_t len = checkin_encode_answer(rec, body, sizeof(body));
    if (cj->accept == FORMAT_JSON) {
        char json[1024];
        json_writer w;
        json_writer_init(&w, json, sizeof(json));
        if (jsoncbor_from_cbor(body, len, &w) == WR_OK) {
            reply_body(response, COAP_RESPONSE_CODE_CREATED, FORMAT_JSON, (const uint8_t *)json,
                       w.len);
            return;
        }
    }
    reply_body(response, COAP_RESPONSE_CODE_CREATED, FORMAT_CBOR, body, len);
}

/* Fills @p rec from the decoded event and the platform's decision. */
static void checkin_fill_record(const checkin_host *host, const principal *who,
                                const checkin_event *ev, const uint8_t *body, size_t len,
                                checkin_record *rec)
{
    memset(rec, 0, sizeof(*rec));
    memcpy(rec->chip_id, who->identity, who->identity_len);
    rec->seq = ev->seq;
    rec->ev = checkin_kind_name(ev->kind);
    rec->device_ts = ev->ts;
    rec->has_position = ev->has_position;
    rec->lat = ev->lat;
    rec->lon = ev->lon;
    rec->amp = ev->has_amp ? (int32_t)ev->amp : -1;
    SHA256(body, len, rec->body_hash);
    int64_t now = server_clock_now(host->clock);
    int64_t skew = ev->ts - now;
    rec->skew_s = (int32_t)(skew > INT32_MAX ? INT32_MAX : skew < INT32_MIN ? INT32_MIN : skew);
    judge_checkin(host->judge(host->ctx), ev, now, rec);
}

static bool checkin_refuse_caller(const principal *who, coap_pdu_t *response)
{
    if (!who) {
        reply_error(response, COAP_RESPONSE_CODE_UNAUTHORIZED, "unknown or disabled identity");
        return true;
    }
    if (who->role != ROLE_MACHINE) {
        reply_error(response, COAP_RESPONSE_CODE_FORBIDDEN,
                    "only machines check in; this identity is %s", principal_role_noun(who->role));
        return true;
    }
    return false;
}

/* Reads the body and its Content-Format (60 CBOR or 50 JSON); false after answering. */
static bool checkin_read_body(const coap_pdu_t *request, coap_pdu_t *response, const uint8_t **body,
                              size_t *len, int *format)
{
    *format = reply_content_format(request);
    if (*format != FORMAT_CBOR && *format != FORMAT_JSON) {
        reply_error(response, COAP_RESPONSE_CODE_UNSUPPORTED_CONTENT_FORMAT,
                    "send the check-in as application/cbor (60) or application/json (50)");
        return false;
    }
    int accept = reply_accept(request);
    if (accept >= 0 && accept != FORMAT_CBOR && accept != FORMAT_JSON) {
        reply_error(response, COAP_RESPONSE_CODE_NOT_ACCEPTABLE,
                    "answers come as application/cbor (60) or application/json (50)");
        return false;
    }
    size_t offset, total;
    if (!coap_get_data_large(request, len, body, &offset, &total) || *len == 0) {
        reply_error(response, COAP_RESPONSE_CODE_BAD_REQUEST, "the check-in has no body");
        return false;
    }
    if (total > CHECKIN_BODY_MAX) {
        reply_error(response, COAP_RESPONSE_CODE_REQUEST_TOO_LARGE,
                    "the check-in body is %zu bytes; at most %d are accepted", total,
                    CHECKIN_BODY_MAX);
        return false;
    }
    return true;
}

/* A JSON body is turned into the same CBOR map first, so one decoder applies one set of
 * rules to both. @p cbor must outlive @p ev (the code points into it). */
static wr_status checkin_decode_json(const uint8_t *body, size_t len, uint8_t *cbor, size_t cap,
                                     checkin_event *ev, char *why, size_t whylen)
{
    json_token tokens[32];
    json_doc doc;
    json_error jerr;
    if (json_parse((const char *)body, len, tokens, sizeof(tokens) / sizeof(tokens[0]), &doc,
                   &jerr) != WR_OK) {
        snprintf(why, whylen, "check-in body is not valid JSON: %s at line %u, column %u",
                 jerr.message, jerr.line, jerr.column);
        return WR_EINVAL;
    }
    cbor_writer w;
    cbor_writer_init(&w, cbor, cap);
    if (jsoncbor_to_cbor(&doc, 0, &w) != WR_OK) {
        snprintf(why, whylen, "check-in body is too large");
        return WR_ERANGE;
    }
    return checkin_decode(cbor, w.len, ev, why, whylen);
}

/* Remembers what the answer needs of @p request: its message id, type, token and Block1. */
/* Hands the job to the writer; nothing is sent now (the answer rides on the ACK later). */
static void checkin_submit(const checkin_host *host, coap_session_t *session,
                           const coap_pdu_t *request, checkin_job *cj, coap_pdu_t *response)
{
    reply_defer(&cj->reply, request);
    machine_state *st = sessions_get(host->sessions, cj->job.rec.chip_id);
    if (st && cj->reply.confirmable) {
        st->pending = true;
        st->pending_mid = (uint16_t)cj->reply.mid;
    }
    cj->job.rec.lease_epoch = st ? st->lease_epoch : 0; /* fences the commit (several servers) */
    if (st && cj->job.rec.op == SESSION_CLOSE)
        st->close_pending = true; /* until judge_apply(): the sweep leaves the session alone */
    cj->host = host;
    cj->session = coap_session_reference(session);
    cj->job.done = checkin_done;
    writer_submit(host->writer, &cj->job);
    coap_pdu_set_type(response, COAP_MESSAGE_NON); /* an empty NON response is not sent */
}

/* True (and the request left unanswered) for a retransmission of a check-in of this machine
 * that is still being committed: the answer to the first one answers this one too. */
static bool checkin_is_pending(const checkin_host *host, const principal *who,
                               const coap_pdu_t *request, coap_pdu_t *response)
{
    if (coap_pdu_get_type(request) != COAP_MESSAGE_CON)
        return false;
    const machine_state *st = sessions_find(host->sessions, who->identity);
    if (!st || !st->pending || st->pending_mid != (uint16_t)coap_pdu_get_mid(request))
        return false;
    coap_pdu_set_type(response, COAP_MESSAGE_NON);
    return true;
}

/* The seconds until @p st may check in again (GCRA, a token bucket kept as one time): each
 * check-in moves its due time on by one interval of the rate, and one that would put it more
 * than the burst's intervals ahead of now is refused. 0: this check-in may go, and counts. */
/* The pace's interval: one check-in every this many ms (host->rate_per_s > 0). */
static int64_t checkin_interval_ms(const checkin_host *host)
{
    int64_t interval_ms = 1000 / (int64_t)host->rate_per_s;
    return interval_ms < 1 ? 1 : interval_ms;
}

static unsigned checkin_pace(const checkin_host *host, machine_state *st, int64_t now_ms)
{
    int64_t interval_ms = checkin_interval_ms(host);
    int64_t due = st->pace_due_ms > now_ms ? st->pace_due_ms : now_ms;
    int64_t ahead = due + interval_ms - now_ms;
    int64_t allowed = (int64_t)host->rate_burst * interval_ms;
    if (ahead > allowed)
        return (unsigned)((ahead - allowed + 999) / 1000);
    st->pace_due_ms = due + interval_ms;
    return 0;
}

void checkin_pace_adopted(const checkin_host *host, machine_state *st)
{
    if (!st || !host->rate_per_s || !judge_flooded_recently(st, server_clock_now(host->clock)))
        return;
    int64_t spent = metrics_monotonic_ms() + (int64_t)host->rate_burst * checkin_interval_ms(host);
    if (st->pace_due_ms < spent)
        st->pace_due_ms = spent;
}

/* A flood record the writer made durable (or could not): the machine's merge window follows. */
typedef struct flood_job {
    writer_job job; /* first: the writer sees only this */
    const checkin_host *host;
} flood_job;

static void checkin_flood_done(writer_job *job)
{
    flood_job *fj = (flood_job *)job;
    if (judge_apply(fj->host->sessions, &job->rec) != 0)
        log_event(LOG_LEVEL_ERROR, "session_state_lost", "chip=%s reason=\"out of memory\"",
                  job->rec.chip_id);
    free(fj);
}

/* Records the flood of @p st's machine as a checkin_flood violation (raising the live alert):
 * once a merge window (judge.c), through the writer like every record, so that a refused
 * check-in costs no database round trip. While the database is away it waits for the next
 * refused check-in after it is back. Several servers: only under the machine's lease, which
 * fences the record's commit as it does a check-in's (a server that does not hold the lease
 * takes it over at the machine's next check-in within its pace). */
static void checkin_flag_flood(const checkin_host *host, machine_state *st)
{
    if (st->flood_pending || !writer_accepts(host->writer) || (host->leases && !st->lease_epoch))
        return;
    flood_job *fj = calloc(1, sizeof(*fj));
    if (!fj)
        return;
    if (!judge_flood(host->judge(host->ctx), st, server_clock_now(host->clock), host->rate_per_s,
                     host->rate_burst, &fj->job.rec)) {
        free(fj);
        return;
    }
    fj->job.rec.lease_epoch = st->lease_epoch;
    fj->host = host;
    fj->job.done = checkin_flood_done;
    st->flood_pending = true;
    log_event(LOG_LEVEL_WARN, "checkin_flood_flagged", "chip=%s rate_per_s=%u burst=%u",
              st->chip_id, host->rate_per_s, host->rate_burst);
    writer_submit(host->writer, &fj->job);
}

/* True (and 4.29 with Max-Age answered) when @p who sends check-ins faster than checkin_rate:
 * one machine cannot take the writer's batches from the others. Counted as rate_limited in
 * weldreg_checkins_total, logged as checkin_rate_limited (at most a line a second) and flagged:
 * the checkin_flood violation, once a merge window. */
static bool checkin_too_fast(const checkin_host *host, const principal *who, checkin_kind kind,
                             coap_pdu_t *response)
{
    if (!host->rate_per_s)
        return false;
    machine_state *st = sessions_get(host->sessions, who->identity);
    if (!st)
        return false; /* out of memory: the check-in itself will say so */
    int64_t now_ms = metrics_monotonic_ms();
    unsigned wait_s = checkin_pace(host, st, now_ms);
    if (!wait_s)
        return false;
    server_metrics_checkin(host->metrics, kind, METRICS_RATE_LIMITED);
    checkin_flag_flood(host, st);
    unsigned long held;
    if (log_limit_pass(host->rate_log, now_ms, &held))
        log_event(LOG_LEVEL_WARN, "checkin_rate_limited",
                  "chip=%s rate_per_s=%u burst=%u retry_after_s=%u held=%lu", who->identity,
                  host->rate_per_s, host->rate_burst, wait_s, held);
    reply_too_many(response, wait_s);
    return true;
}

/* Several servers: true (and 5.03 with Max-Age answered) while this server does not hold the
 * machine's lease. The lease thread takes it over and reads the machine's state; the machine's
 * next try is decided on that state, never on what this server remembered from before. */
static bool checkin_without_lease(const checkin_host *host, const principal *who, checkin_kind kind,
                                  coap_pdu_t *response)
{
    if (!host->leases)
        return false;
    machine_state *st = sessions_get(host->sessions, who->identity);
    if (!st || st->lease_epoch)
        return false; /* out of memory: its record carries no lease, and the fence refuses it */
    if (!st->lease_asked && leases_request(host->leases, who->identity) == 0)
        st->lease_asked = true;
    server_metrics_checkin(host->metrics, kind, METRICS_UNAVAILABLE);
    reply_unavailable(response, CHECKIN_LEASE_RETRY_S);
    return true;
}

void hnd_post_checkins(coap_resource_t *resource, coap_session_t *session,
                       const coap_pdu_t *request, const coap_string_t *query, coap_pdu_t *response)
{
    (void)query;
    const checkin_host *host = coap_resource_get_userdata(resource);
    const principal *who = host->principal_of(host->ctx, session);
    const uint8_t *body;
    size_t len;
    int format;
    if (checkin_refuse_caller(who, response) || checkin_is_pending(host, who, request, response) ||
        !checkin_read_body(request, response, &body, &len, &format))
        return;
    checkin_event ev;
    char why[CHECKIN_ERR_SIZE + 64];
    uint8_t cbor[CHECKIN_BODY_MAX * 2];
    wr_status decoded = format == FORMAT_JSON ? checkin_decode_json(body, len, cbor, sizeof(cbor),
                                                                    &ev, why, sizeof(why))
                                              : checkin_decode(body, len, &ev, why, sizeof(why));
    if (decoded != WR_OK) {
        reply_error(response, COAP_RESPONSE_CODE_BAD_REQUEST, "%s", why);
        return;
    }
    if (checkin_too_fast(host, who, ev.kind, response))
        return;
    if (!writer_accepts(host->writer)) {
        server_metrics_checkin(host->metrics, ev.kind, METRICS_UNAVAILABLE);
        reply_unavailable(response, host->retry_after_s);
        return;
    }
    if (checkin_without_lease(host, who, ev.kind, response))
        return;
    checkin_job *cj = calloc(1, sizeof(*cj));
    if (!cj) {
        reply_error(response, COAP_RESPONSE_CODE_SERVICE_UNAVAILABLE, "server busy, retry");
        return;
    }
    checkin_fill_record(host, who, &ev, body, len, &cj->job.rec);
    cj->accept = reply_accept(request) == FORMAT_JSON ? FORMAT_JSON : FORMAT_CBOR;
    checkin_submit(host, session, request, cj, response);
}

/* Sends the answer of a finished job: the ACK of a CON request, else a NON message. */
static void checkin_send_answer(const checkin_job *cj)
{
    coap_session_t *session = cj->session;
    coap_pdu_t *pdu = reply_deferred_pdu(&cj->reply, session);
    if (!pdu) {
        log_event(LOG_LEVEL_ERROR, "answer_lost", "chip=%s reason=\"out of memory\"",
                  cj->job.rec.chip_id);
        return;
    }
    checkin_answer(cj, pdu);
    coap_send(session, pdu); /* takes the PDU; a lost session just drops it */
}

/* How the check-in of @p rec ended, for weldreg_checkins_total. */
static metrics_decision checkin_outcome(const checkin_record *rec)
{
    if (rec->status == STORE_EUNAVAILABLE || rec->status == STORE_ESTALE)
        return METRICS_UNAVAILABLE;
    if (rec->status != STORE_OK)
        return METRICS_FAILED;
    if (rec->replay)
        return METRICS_REPLAY;
    if (rec->duplicate)
        return METRICS_DUPLICATE;
    return rec->ok ? METRICS_ALLOWED : METRICS_REFUSED;
}

/* The writer finished the check-in: wakes its request so that it is answered (writer_done_fn). */
static void checkin_done(writer_job *job)
{
    checkin_job *cj = (checkin_job *)job;
    checkin_kind kind;
    if (checkin_kind_from_name(job->rec.ev, strlen(job->rec.ev), &kind))
        server_metrics_checkin(cj->host->metrics, kind, checkin_outcome(&job->rec));
    if (job->rec.status == STORE_ESTALE && cj->host->metrics)
        atomic_fetch_add(&cj->host->metrics->lease_fenced, 1);
    sessions *set = cj->host->sessions;
    if (judge_apply(set, &job->rec) != 0)
        log_event(LOG_LEVEL_ERROR, "session_state_lost", "chip=%s reason=\"out of memory\"",
                  job->rec.chip_id);
    machine_state *st = sessions_get(set, job->rec.chip_id);
    if (st && cj->reply.confirmable && st->pending_mid == (uint16_t)cj->reply.mid)
        st->pending = false;
    checkin_send_answer(cj);
    coap_session_release(cj->session); /* held since the job went to the writer */
    free(cj);
}
