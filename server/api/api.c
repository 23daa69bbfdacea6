/* api.c — the API for people off the event loop: its keys, the requests parked while a worker
 * runs them (api_pool.c), their answers sent by the loop, and the loop's own connection for the
 * observable resource. */
#include "server/api/api.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/api/api_pool.h"
#include "server/loop/log.h"
#include "server/loop/reply.h"

/* The loop's connection is never made while the loop waits: when it is lost, a new one is made
 * step by step (store_connect_start) with its socket in the loop's epoll set, and requests
 * meanwhile get 5.03 with Max-Age at once. One not made within API_CONNECT_TIMEOUT_MS is given
 * up and tried again API_RETRY_MS later. */
#define API_CONNECT_TIMEOUT_MS 2000
#define API_RETRY_MS           1000
/* Requests waiting for or held by a worker at most; more get 5.03 with Max-Age at once, so a
 * burst of slow requests cannot pile up without bound behind the workers. */
#define API_PARKED_MAX 256

/* A request parked while a worker runs its step. The loop owns it but for the request and
 * answer (r), which the worker owns from api_pool_submit() until the pool hands the job back. */
typedef struct api_parked api_parked;
struct api_parked {
    api_job job; /* first: the pool sees only this */
    admin_step step;
    admin_caller who;
    admin_request r;
    /* what the loop needs to answer: the session (referenced), the resource, the request's
     * message id, type and token, and a copy of its options and query for block-wise answers */
    coap_session_t *session;
    coap_resource_t *resource;
    coap_pdu_t *request;
    coap_string_t *query;
    coap_mid_t mid;
    bool confirmable;
    char resource_name[96];  /* "GET v1/counts", for the log */
    api_parked *prev, *next; /* api.parked, the loop's */
};

struct api {
    const server_config *cfg;
    api_host host; /* the loop: the caller's principal, the connection's socket watched */
    admin_keys keys;
    api_pool *pool; /* NULL: steps run on the loop */
    api_parked *parked;
    unsigned parked_count;
    /* the loop's connection */
    store *st;                /* lost when store_socket() < 0 */
    store *connecting;        /* its successor being made in the background, or NULL */
    int64_t connect_deadline; /* monotonic ms: give the one being made up then */
    int64_t next_attempt;     /* monotonic ms: no new attempt before */
    bool unavailable_logged;  /* said once per outage */
};

static int64_t api_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- keys ---- */

static void api_load_keys(admin_keys *keys, const server_config *cfg, const uint8_t *kek)
{
    keys->kek = kek;
    if (cfg->pii_key_file[0] && pii_keys_read(cfg->pii_key_file, &keys->pii) != 0)
        log_event(LOG_LEVEL_ERROR, "admin_key_unusable",
                  "option=pii_key_file reason=\"must hold 1 to 8 keys of 32 bytes\"");
    if (cfg->signing_key_file[0]) {
        FILE *f = fopen(cfg->signing_key_file, "r");
        keys->signing_key = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
        if (f)
            fclose(f);
        if (!keys->signing_key)
            log_event(LOG_LEVEL_ERROR, "admin_key_unusable", "option=signing_key_file");
    }
    ERR_clear_error(); /* a PEM read leaves errors that the next handshake would take for its own */
}

/* ---- the loop's connection ---- */

/* Has the loop watch @p fd (see api_host.watch_database). */
static int api_watch(api *a, int fd, bool want_write)
{
    return a->host.watch_database(a->host.ctx, fd, want_write);
}

/* Gives up the connection being made (if any) and puts the next attempt off. */
static void api_connect_failed(api *a, const char *why)
{
    if (a->connecting) {
        api_watch(a, -1, false);
        store_destroy(a->connecting);
        a->connecting = NULL;
    }
    a->next_attempt = api_now_ms() + API_RETRY_MS;
    if (!a->unavailable_logged)
        log_event(LOG_LEVEL_WARN, "admin_database_unavailable", "reason=\"%s\"", why);
    a->unavailable_logged = true;
}

/* Starts making a connection in the background, unless one is under way or it is too soon. */
static void api_connect_begin(api *a)
{
    int64_t now = api_now_ms();
    if (a->connecting || now < a->next_attempt)
        return;
    char err[256] = "";
    a->connecting = store_connect_start(a->cfg->database_url, err, sizeof(err));
    if (!a->connecting) {
        api_connect_failed(a, err);
        return;
    }
    a->connect_deadline = now + API_CONNECT_TIMEOUT_MS;
    if (api_watch(a, store_connect_socket(a->connecting), true) != 0)
        api_connect_failed(a, "could not watch the connection's socket");
}

void api_database_ready(api *a)
{
    if (!a)
        return;
    if (!a->connecting) {
        api_watch(a, -1, false);
        return;
    }
    char err[256] = "";
    store_connecting step = store_connect_poll(a->connecting, err, sizeof(err));
    switch (step) {
    case STORE_WAIT_READ:
    case STORE_WAIT_WRITE:
        if (api_watch(a, store_connect_socket(a->connecting), step == STORE_WAIT_WRITE) != 0)
            api_connect_failed(a, "could not watch the connection's socket");
        return;
    case STORE_CONNECTED:
        api_watch(a, -1, false);
        store_destroy(a->st);
        a->st = a->connecting;
        a->connecting = NULL;
        log_event(LOG_LEVEL_INFO, "admin_database_connected", NULL);
        a->unavailable_logged = false;
        return;
    case STORE_CONNECT_FAILED: api_connect_failed(a, err); return;
    }
}

void api_tick(api *a)
{
    if (!a)
        return;
    if (a->connecting && api_now_ms() >= a->connect_deadline)
        api_connect_failed(a, "no connection within 2 s");
    else if (!a->connecting && (!a->st || store_socket(a->st) < 0))
        api_connect_begin(a);
}

/* The loop's connection, or NULL while it has none (one is then being made). */
static store *api_loop_store(api *a)
{
    if (a->st && store_socket(a->st) >= 0)
        return a->st;
    api_connect_begin(a);
    return NULL;
}

/* ---- requests ---- */

/* Logs a request run: one line each, so that operators see what people asked and how long it
 * took (and a test can count runs). */
static void api_log_run(const char *resource, const admin_request *r, int64_t started_ms)
{
    log_event(LOG_LEVEL_INFO, "api_request", "resource=\"%s\" caller=%s code=%d.%02d ms=%lld",
              resource, r->who->identity, r->answer.code >> 5, r->answer.code & 31,
              (long long)(api_now_ms() - started_ms));
}

/* "GET v1/counts" of @p request to @p resource into @p out. */
static void api_name(const coap_resource_t *resource, const coap_pdu_t *request, char *out,
                     size_t cap)
{
    static const char *const methods[] = {"?", "GET", "POST", "PUT", "DELETE"};
    coap_pdu_code_t code = coap_pdu_get_code(request);
    coap_str_const_t *path = coap_resource_get_uri_path((coap_resource_t *)resource);
    snprintf(out, cap, "%s %.*s", code < 5 ? methods[code] : "?", path ? (int)path->length : 0,
             path ? (const char *)path->s : "");
}

/* On a worker: the step, with the worker's connection. */
static void api_run_parked(api_job *job, store *st)
{
    api_parked *p = (api_parked *)job;
    int64_t started = api_now_ms();
    p->r.st = st;
    p->step(&p->r);
    api_log_run(p->resource_name, &p->r, started);
}

static void api_parked_free(api_parked *p)
{
    admin_end(&p->r);
    coap_delete_pdu(p->request);
    coap_delete_string(p->query);
    if (p->session)
        coap_session_release(p->session);
    free(p);
}

static void api_unpark(api *a, api_parked *p)
{
    a->parked_count--;
    if (p->prev)
        p->prev->next = p->next;
    else
        a->parked = p->next;
    if (p->next)
        p->next->prev = p->prev;
}

/* True for a retransmission of a request still parked: it is dropped (nothing is sent), since
 * the answer to the first one answers it too. A step runs once however often a client asks. */
static bool api_is_parked(const api *a, const coap_session_t *session, const coap_pdu_t *request)
{
    if (coap_pdu_get_type(request) != COAP_MESSAGE_CON)
        return false;
    coap_mid_t mid = coap_pdu_get_mid(request);
    for (const api_parked *p = a->parked; p; p = p->next)
        if (p->session == session && p->confirmable && p->mid == mid)
            return true;
    return false;
}

/* Keeps what the loop needs to answer @p request later, outside the handler. */
static bool api_note_request(api_parked *p, coap_resource_t *resource, coap_session_t *session,
                             const coap_pdu_t *request, const coap_string_t *query)
{
    coap_bin_const_t token = coap_pdu_get_token(request);
    p->request = coap_pdu_duplicate(request, session, token.length, token.s, NULL);
    p->query = query ? coap_new_string(query->length) : NULL;
    if (!p->request || (query && !p->query))
        return false;
    if (query)
        memcpy(p->query->s, query->s, query->length);
    p->resource = resource;
    p->mid = coap_pdu_get_mid(request);
    p->confirmable = coap_pdu_get_type(request) == COAP_MESSAGE_CON;
    p->session = coap_session_reference(session);
    api_name(resource, request, p->resource_name, sizeof(p->resource_name));
    return true;
}

/* The request, checked and copied, goes to a worker; nothing is sent now: the answer rides on
 * the ACK later (api_answer_parked), as a check-in's does (res_checkins.c). libcoap's separate
 * responses (coap_register_async) are not used: a libcoap 4.3.1 client drops a separate
 * response that is block-wise (it rebuilds the transfer only from a request still awaiting its
 * ACK), and most answers of this API are. */
static void api_park(api *a, api_parked *p, coap_resource_t *resource, coap_session_t *session,
                     const coap_pdu_t *request, const coap_string_t *query, coap_pdu_t *response)
{
    if (!admin_request_own(&p->r) || !api_note_request(p, resource, session, request, query)) {
        reply_error(response, COAP_RESPONSE_CODE_INTERNAL_ERROR, "out of memory");
        api_parked_free(p);
        return;
    }
    p->job.run = api_run_parked;
    a->parked_count++;
    p->next = a->parked;
    if (a->parked)
        a->parked->prev = p;
    a->parked = p;
    api_pool_submit(a->pool, &p->job);
    coap_pdu_set_type(response, COAP_MESSAGE_NON); /* an empty NON response is not sent */
}

/* Sends the answer of a finished job: the ACK of a CON request, else a NON message. */
static void api_answer_parked(api *a, api_parked *p)
{
    coap_session_t *session = p->session;
    coap_bin_const_t token = coap_pdu_get_token(p->request);
    coap_pdu_t *pdu = coap_pdu_init(p->confirmable ? COAP_MESSAGE_ACK : COAP_MESSAGE_NON, 0,
                                    p->confirmable ? p->mid : coap_new_message_id(session),
                                    coap_session_max_pdu_size(session));
    api_unpark(a, p);
    if (!pdu || !coap_add_token(pdu, token.length, token.s)) {
        coap_delete_pdu(pdu);
        log_event(LOG_LEVEL_ERROR, "answer_lost", "resource=\"%s\" reason=\"out of memory\"",
                  p->resource_name);
    } else {
        admin_answer_send(&p->r.answer, p->resource, session, p->request, p->query, pdu);
        coap_send(session, pdu); /* takes the PDU; a lost session just drops it */
    }
    api_parked_free(p);
}

/* Observable resources, every resource of a server without workers, and every request while
 * no worker has a connection (a change's shape is still checked; the rest is 5.03 at once). */
static void api_run_now(api *a, api_parked *p, coap_resource_t *resource, coap_session_t *session,
                        const coap_pdu_t *request, const coap_string_t *query, coap_pdu_t *response,
                        bool on_loop)
{
    int64_t started = api_now_ms();
    p->r.st = on_loop || !a->pool ? api_loop_store(a) : NULL;
    p->step(&p->r);
    if (!on_loop) { /* an observer's notifications are not requests */
        api_name(resource, request, p->resource_name, sizeof(p->resource_name));
        api_log_run(p->resource_name, &p->r, started);
    }
    admin_answer_send(&p->r.answer, resource, session, request, query, response);
    api_parked_free(p);
}

/* Tells the loop of an observer registered or cancelled by @p request (api_host.observing). */
static void api_note_observer(const api *a, coap_session_t *session, const coap_pdu_t *request,
                              const coap_pdu_t *response)
{
    coap_opt_iterator_t it;
    coap_opt_t *opt = coap_check_option(request, COAP_OPTION_OBSERVE, &it);
    if (!opt || !a->host.observing)
        return;
    unsigned value = coap_decode_var_bytes(coap_opt_value(opt), coap_opt_length(opt));
    /* libcoap keeps an observer whose answer is 2.xx and drops it otherwise, a notification's
     * answer included */
    bool answered = COAP_RESPONSE_CLASS(coap_pdu_get_code(response)) == 2;
    if (value == COAP_OBSERVE_ESTABLISH)
        a->host.observing(a->host.ctx, session, answered);
    else if (value == COAP_OBSERVE_CANCEL)
        a->host.observing(a->host.ctx, session, false);
}

void api_handle(coap_resource_t *resource, coap_session_t *session, const coap_pdu_t *request,
                const coap_string_t *query, coap_pdu_t *response, admin_access access,
                admin_step step, bool on_loop)
{
    api *a = coap_resource_get_userdata(resource);
    if (!on_loop && api_is_parked(a, session, request)) {
        coap_pdu_set_type(response, COAP_MESSAGE_NON); /* dropped: nothing is sent */
        log_event(LOG_LEVEL_DEBUG, "api_retransmission_dropped", "mid=%d",
                  (int)coap_pdu_get_mid(request));
        return;
    }
    api_parked *p = calloc(1, sizeof(*p));
    if (!p) {
        reply_error(response, COAP_RESPONSE_CODE_INTERNAL_ERROR, "out of memory");
        return;
    }
    admin_request_init(&p->r, a->cfg, &a->keys, &p->who, request, query);
    p->step = step;
    const principal *who = a->host.principal_of(a->host.ctx, session);
    if (!admin_authorize(who, access, &p->who, &p->r.scope, &p->r.answer)) {
        admin_answer_send(&p->r.answer, resource, session, request, query, response);
        api_parked_free(p);
    } else if (on_loop || !a->pool || !api_pool_connected(a->pool)) {
        api_run_now(a, p, resource, session, request, query, response, on_loop);
        if (on_loop)
            api_note_observer(a, session, request, response);
    } else if (a->parked_count >= API_PARKED_MAX) {
        admin_answer_error(&p->r.answer, COAP_RESPONSE_CODE_SERVICE_UNAVAILABLE,
                           "%u requests are running, retry later", a->parked_count);
        p->r.answer.max_age = (int)a->cfg->retry_after_s;
        admin_answer_send(&p->r.answer, resource, session, request, query, response);
        api_parked_free(p);
    } else {
        api_park(a, p, resource, session, request, query, response);
    }
}

/* ---- life cycle ---- */

int api_event_fd(const api *a)
{
    return a->pool ? api_pool_event_fd(a->pool) : -1;
}

void api_finish_jobs(api *a)
{
    if (!a->pool)
        return;
    api_job *job = api_pool_take_done(a->pool);
    while (job) {
        api_job *next = job->next;
        api_answer_parked(a, (api_parked *)job);
        job = next;
    }
}

api *api_create(const server_config *cfg, const api_host *host, const uint8_t *kek,
                unsigned workers, char *err, size_t errlen)
{
    api *a = calloc(1, sizeof(*a));
    if (!a) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    a->cfg = cfg;
    a->host = *host;
    api_load_keys(&a->keys, cfg, kek);
    if (workers == 0)
        return a;
    a->pool = api_pool_create(cfg->database_url, workers, err, errlen);
    if (!a->pool) {
        api_destroy(a);
        return NULL;
    }
    /* the observable resource's connection, made before the loop runs; if the database is
     * away the loop makes it later */
    a->st = store_connect(cfg->database_url, err, errlen);
    if (!a->st)
        api_connect_failed(a, err);
    err[0] = '\0';
    return a;
}

void api_destroy(api *a)
{
    if (!a)
        return;
    if (a->pool) {
        api_pool_stop(a->pool);
        api_pool_take_done(a->pool); /* all of them are parked too */
        api_pool_destroy(a->pool);
    }
    while (a->parked) {
        api_parked *next = a->parked->next;
        api_parked_free(a->parked);
        a->parked = next;
    }
    store_destroy(a->st);
    store_destroy(a->connecting); /* the server and its epoll set are gone by now */
    EVP_PKEY_free(a->keys.signing_key);
    OPENSSL_cleanse(&a->keys, sizeof(a->keys));
    free(a);
}
