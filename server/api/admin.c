/* admin.c — the admin API's shared plumbing: its connection and keys, the caller's role, bodies
 * in CBOR or JSON, answers in either, and database outcomes turned into CoAP codes.
 *
 * The state lives in one object owned by the event-loop thread, made when the server starts
 * (admin_init) or on first use (the request fuzzer's offline server): struct server has no slot
 * for it and handlers reach only the server. It is freed at exit. */
#include "server/api/admin.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/jsoncbor.h"
#include "server/loop/log.h"
#include "server/loop/reply.h"

/* The admin API's statements run on the event loop, so its connection is never made there
 * while the loop waits: at start it is made before the loop runs; when it is lost, a new one is
 * made step by step (store_connect_start) with its socket in the loop's epoll set, and requests
 * meanwhile get 5.03 with Max-Age at once. A connection not made within ADMIN_CONNECT_TIMEOUT_MS
 * is given up and tried again ADMIN_RETRY_MS later. (Statements themselves still wait for the
 * database: a database that hangs mid-statement holds the loop until it answers.) */
#define ADMIN_CONNECT_TIMEOUT_MS 2000
#define ADMIN_RETRY_MS           1000

typedef struct admin_state {
    store *st;                /* what requests use; lost when store_socket() < 0 */
    store *connecting;        /* its successor being made in the background, or NULL */
    int64_t connect_deadline; /* monotonic ms: give the one being made up then */
    int64_t next_attempt;     /* monotonic ms: no new attempt before */
    bool unavailable_logged;  /* said once per outage */
    bool keys_loaded;
    uint8_t kek[SECRET_KEK_LEN];
    bool has_pii_key;
    uint8_t pii_key[32];
    EVP_PKEY *signing_key;
} admin_state;

static admin_state *admin_the_state;

static void admin_state_free(void)
{
    admin_state *a = admin_the_state;
    if (!a)
        return;
    store_destroy(a->st);
    store_destroy(a->connecting); /* the server and its epoll set are gone by now */
    EVP_PKEY_free(a->signing_key);
    OPENSSL_cleanse(a, sizeof(*a));
    free(a);
    admin_the_state = NULL;
}

static admin_state *admin_state_get(void)
{
    if (!admin_the_state) {
        admin_the_state = calloc(1, sizeof(*admin_the_state));
        if (admin_the_state)
            atexit(admin_state_free);
    }
    return admin_the_state;
}

/* Reads exactly @p len bytes of key from @p path. */
static int admin_read_key(const char *path, uint8_t *key, size_t len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    uint8_t extra;
    size_t n = fread(key, 1, len, f);
    bool too_long = fread(&extra, 1, 1, f) == 1;
    fclose(f);
    return n == len && !too_long ? 0 : -1;
}

static void admin_load_keys(admin_state *a, const server_config *cfg)
{
    if (a->keys_loaded)
        return;
    a->keys_loaded = true;
    if (admin_read_key(cfg->psk_kek_file, a->kek, sizeof(a->kek)) != 0)
        log_event(LOG_LEVEL_ERROR, "admin_key_unusable", "option=psk_kek_file");
    if (cfg->pii_key_file[0]) {
        a->has_pii_key = admin_read_key(cfg->pii_key_file, a->pii_key, sizeof(a->pii_key)) == 0;
        if (!a->has_pii_key)
            log_event(LOG_LEVEL_ERROR, "admin_key_unusable",
                      "option=pii_key_file reason=\"must hold exactly 32 bytes\"");
    }
    if (cfg->signing_key_file[0]) {
        FILE *f = fopen(cfg->signing_key_file, "r");
        a->signing_key = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
        if (f)
            fclose(f);
        if (!a->signing_key)
            log_event(LOG_LEVEL_ERROR, "admin_key_unusable", "option=signing_key_file");
    }
}

/* ---- the caller ---- */

bool admin_begin(admin_request *r, coap_resource_t *resource, coap_session_t *session,
                 const coap_pdu_t *request, const coap_string_t *query, coap_pdu_t *response,
                 admin_access access)
{
    memset(r, 0, sizeof(*r));
    r->srv = server_of_session(session);
    r->resource = resource;
    r->session = session;
    r->pdu = request;
    r->query = query;
    r->response = response;
    r->who = server_principal_of(r->srv, session);
    if (!r->who) {
        reply_error(response, COAP_RESPONSE_CODE_UNAUTHORIZED, "unknown or disabled identity");
        return false;
    }
    switch (r->who->role) {
    case ROLE_ADMIN: return true;
    case ROLE_INSPECTOR:
        if (access == ADMIN_READ || access == ADMIN_ENFORCE) {
            r->scope = r->who->id;
            return true;
        }
        reply_error(response, COAP_RESPONSE_CODE_FORBIDDEN,
                    access == ADMIN_WRITE ? "inspectors may read the registry but not change it"
                                          : "only administrators may use this resource");
        return false;
    case ROLE_MACHINE: break;
    }
    reply_error(response, COAP_RESPONSE_CODE_FORBIDDEN,
                "machines may not use the registry admin API");
    return false;
}

void admin_end(admin_request *r)
{
    free(r->json);
    free(r->tokens);
    free(r->merged);
    free(r->merged_tokens);
    free(r->base);
    free(r->base_tokens);
    r->json = r->merged = r->base = NULL;
    r->tokens = r->merged_tokens = r->base_tokens = NULL;
}

static int64_t admin_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Gives up the connection being made (if any) and puts the next attempt off. */
static void admin_connect_failed(server *srv, admin_state *a, const char *why)
{
    if (a->connecting) {
        server_watch_database(srv, -1, false);
        store_destroy(a->connecting);
        a->connecting = NULL;
    }
    a->next_attempt = admin_now_ms() + ADMIN_RETRY_MS;
    if (!a->unavailable_logged)
        log_event(LOG_LEVEL_WARN, "admin_database_unavailable", "reason=\"%s\"", why);
    a->unavailable_logged = true;
}

/* Starts making a connection in the background, unless one is under way or it is too soon. */
static void admin_connect_begin(server *srv, admin_state *a)
{
    int64_t now = admin_now_ms();
    if (a->connecting || now < a->next_attempt)
        return;
    char err[256] = "";
    a->connecting = store_connect_start(server_config_of(srv)->database_url, err, sizeof(err));
    if (!a->connecting) {
        admin_connect_failed(srv, a, err);
        return;
    }
    a->connect_deadline = now + ADMIN_CONNECT_TIMEOUT_MS;
    if (server_watch_database(srv, store_connect_socket(a->connecting), true) != 0)
        admin_connect_failed(srv, a, "could not watch the connection's socket");
}

void admin_database_ready(server *srv)
{
    admin_state *a = admin_the_state;
    if (!a || !a->connecting) {
        server_watch_database(srv, -1, false);
        return;
    }
    char err[256] = "";
    store_connecting step = store_connect_poll(a->connecting, err, sizeof(err));
    switch (step) {
    case STORE_WAIT_READ:
    case STORE_WAIT_WRITE:
        if (server_watch_database(srv, store_connect_socket(a->connecting),
                                  step == STORE_WAIT_WRITE) != 0)
            admin_connect_failed(srv, a, "could not watch the connection's socket");
        return;
    case STORE_CONNECTED:
        server_watch_database(srv, -1, false);
        store_destroy(a->st);
        a->st = a->connecting;
        a->connecting = NULL;
        log_event(LOG_LEVEL_INFO, "admin_database_connected", NULL);
        a->unavailable_logged = false;
        return;
    case STORE_CONNECT_FAILED: admin_connect_failed(srv, a, err); return;
    }
}

void admin_tick(server *srv)
{
    admin_state *a = admin_the_state;
    if (!a)
        return;
    if (a->connecting && admin_now_ms() >= a->connect_deadline)
        admin_connect_failed(srv, a, "no connection within 2 s");
    else if (!a->connecting && (!a->st || store_socket(a->st) < 0))
        admin_connect_begin(srv, a);
}

void admin_init(server *srv)
{
    admin_state *a = admin_state_get();
    if (!a)
        return;
    admin_load_keys(a, server_config_of(srv));
    char err[256] = "";
    a->st = store_connect(server_config_of(srv)->database_url, err, sizeof(err));
    if (!a->st)
        admin_connect_failed(srv, a, err); /* the loop tries again */
}

store *admin_store(admin_request *r)
{
    const server_config *cfg = server_config_of(r->srv);
    admin_state *a = admin_state_get();
    if (!a) {
        reply_error(r->response, COAP_RESPONSE_CODE_INTERNAL_ERROR, "out of memory");
        return NULL;
    }
    admin_load_keys(a, cfg);
    if (a->st && store_socket(a->st) >= 0)
        return a->st;
    admin_connect_begin(r->srv, a); /* in the background: nobody waits for it */
    reply_unavailable(r->response, cfg->retry_after_s);
    return NULL;
}

const uint8_t *admin_kek(admin_request *r)
{
    (void)r;
    return admin_the_state->kek;
}

const uint8_t *admin_pii_key(admin_request *r)
{
    (void)r;
    return admin_the_state->has_pii_key ? admin_the_state->pii_key : NULL;
}

EVP_PKEY *admin_signing_key(admin_request *r)
{
    (void)r;
    return admin_the_state->signing_key;
}

void admin_pii_hash(const uint8_t key[32], const char *domain, const char *text, size_t len,
                    uint8_t out[32])
{
    unsigned out_len = 32;
    uint8_t buf[128];
    size_t dlen = strlen(domain);
    if (dlen + 1 + len > sizeof(buf)) {
        memset(out, 0, 32);
        return;
    }
    /* NOLINTNEXTLINE(bugprone-not-null-terminated-result): bytes for the HMAC, not a string */
    memcpy(buf, domain, dlen);
    buf[dlen] = ':';
    memcpy(buf + dlen + 1, text, len);
    HMAC(EVP_sha256(), key, 32, buf, dlen + 1 + len, out, &out_len);
    OPENSSL_cleanse(buf, sizeof(buf));
}

/* ---- bodies ---- */

static bool admin_body(admin_request *r, size_t max, const uint8_t **body, size_t *len)
{
    size_t offset, total;
    if (!coap_get_data_large(r->pdu, len, body, &offset, &total) || *len == 0) {
        reply_error(r->response, COAP_RESPONSE_CODE_BAD_REQUEST, "the request has no body");
        return false;
    }
    if (total > max || *len > max) {
        reply_error(r->response, COAP_RESPONSE_CODE_REQUEST_TOO_LARGE,
                    "the body is %zu bytes; at most %zu are accepted", total, max);
        return false;
    }
    return true;
}

bool admin_raw_body(admin_request *r, int format, const uint8_t **body, size_t *len)
{
    if (reply_content_format(r->pdu) != format) {
        reply_error(r->response, COAP_RESPONSE_CODE_UNSUPPORTED_CONTENT_FORMAT,
                    "send the file as text/plain; charset=utf-8 (Content-Format %d)", format);
        return false;
    }
    return admin_body(r, ADMIN_BODY_MAX, body, len);
}

/* CBOR becomes JSON text, so one parser and one set of checks serve both formats. */
static bool admin_body_as_json(admin_request *r, int format, const uint8_t *body, size_t len)
{
    size_t cap = format == ADMIN_FORMAT_JSON ? len + 1 : 6 * len + 64; /* "\u0001" */
    r->json = malloc(cap);
    if (!r->json) {
        reply_error(r->response, COAP_RESPONSE_CODE_INTERNAL_ERROR, "out of memory");
        return false;
    }
    if (format == ADMIN_FORMAT_JSON) {
        if (memchr(body, '\0', len)) {
            reply_error(r->response, COAP_RESPONSE_CODE_BAD_REQUEST, "the JSON body holds a NUL");
            return false;
        }
        memcpy(r->json, body, len);
        r->json[len] = '\0';
        return true;
    }
    json_writer w;
    json_writer_init(&w, r->json, cap);
    wr_status st = jsoncbor_from_cbor(body, len, &w);
    if (st != WR_OK) {
        reply_error(r->response, COAP_RESPONSE_CODE_BAD_REQUEST,
                    "the CBOR body has no JSON form: %s", wr_status_str(st));
        return false;
    }
    return true;
}

bool admin_read_body(admin_request *r, size_t max)
{
    int format = reply_content_format(r->pdu);
    if (format != ADMIN_FORMAT_JSON && format != ADMIN_FORMAT_CBOR) {
        reply_error(r->response, COAP_RESPONSE_CODE_UNSUPPORTED_CONTENT_FORMAT,
                    "send application/cbor (60) or application/json (50)");
        return false;
    }
    const uint8_t *body;
    size_t len;
    if (!admin_body(r, max, &body, &len) || !admin_body_as_json(r, format, body, len))
        return false;
    size_t text_len = strlen(r->json);
    size_t cap = text_len / 2 + 8;
    r->tokens = malloc(cap * sizeof(*r->tokens));
    if (!r->tokens) {
        reply_error(r->response, COAP_RESPONSE_CODE_INTERNAL_ERROR, "out of memory");
        return false;
    }
    json_error err;
    wr_status st = json_parse(r->json, text_len, r->tokens, cap, &r->doc, &err);
    if (st != WR_OK) {
        reply_error(r->response, COAP_RESPONSE_CODE_BAD_REQUEST, "body: %u:%u: %s", err.line,
                    err.column, err.message);
        return false;
    }
    if (r->doc.tokens[0].type != JSON_OBJECT) {
        reply_error(r->response, COAP_RESPONSE_CODE_BAD_REQUEST, "the body must be an object");
        return false;
    }
    return true;
}

/* ---- query ---- */

bool admin_query_param(const admin_request *r, const char *key, char *out, size_t cap)
{
    out[0] = '\0';
    if (!r->query)
        return false;
    const char *p = (const char *)r->query->s, *end = p + r->query->length;
    size_t klen = strlen(key);
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *stop = amp ? amp : end;
        if ((size_t)(stop - p) > klen && memcmp(p, key, klen) == 0 && p[klen] == '=') {
            size_t vlen = (size_t)(stop - p) - klen - 1;
            if (vlen >= cap)
                vlen = cap - 1;
            memcpy(out, p + klen + 1, vlen);
            out[vlen] = '\0';
            return true;
        }
        p = stop + 1;
    }
    return false;
}

/* "a, b or c" of the NULL-terminated @p names into @p out. */
static void admin_join(const char *const *names, char *out, size_t cap)
{
    size_t used = 0;
    out[0] = '\0';
    for (const char *const *n = names; *n && used < cap; n++) {
        const char *sep = n == names ? "" : n[1] ? ", " : " or ";
        int k = snprintf(out + used, cap - used, "%s%s", sep, *n);
        used += k > 0 ? (size_t)k : 0;
    }
}

bool admin_query_known(admin_request *r, const char *const *known)
{
    const char *p = r->query ? (const char *)r->query->s : "";
    const char *end = p + (r->query ? r->query->length : 0);
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        size_t len = (size_t)((amp ? amp : end) - p), key = strcspn(p, "=&");
        key = key < len ? key : len;
        bool found = false;
        for (const char *const *k = known; *k && !found; k++)
            found = strlen(*k) == key && memcmp(*k, p, key) == 0;
        if (!found) {
            char names[256];
            admin_join(known, names, sizeof(names));
            reply_error(r->response, COAP_RESPONSE_CODE_BAD_REQUEST,
                        "query \"%.*s\": unknown; use %s", (int)(key < 32 ? key : 32), p, names);
            return false;
        }
        p += len + 1;
    }
    return true;
}

bool admin_query_enum(admin_request *r, const char *key, const char *const *values, char *out,
                      size_t cap)
{
    char text[64];
    out[0] = '\0';
    if (!admin_query_param(r, key, text, sizeof(text)))
        return true;
    for (const char *const *v = values; *v; v++) {
        if (strcmp(*v, text) == 0 && strlen(*v) < cap) {
            memcpy(out, *v, strlen(*v) + 1);
            return true;
        }
    }
    char names[640];
    admin_join(values, names, sizeof(names));
    reply_error(r->response, COAP_RESPONSE_CODE_BAD_REQUEST, "query \"%s\": expected %s", key,
                names);
    return false;
}

bool admin_query_id(admin_request *r, const char *key, int64_t *out)
{
    char text[32];
    *out = 0;
    if (!admin_query_param(r, key, text, sizeof(text)))
        return true;
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno || end == text || *end || v < 0) {
        reply_error(r->response, COAP_RESPONSE_CODE_BAD_REQUEST,
                    "query \"%s\": expected a whole number", key);
        return false;
    }
    *out = v;
    return true;
}

/* ---- answers ---- */

static void admin_release(coap_session_t *session, void *data)
{
    (void)session;
    free(data);
}

/* JSON text to CBOR in a new buffer; NULL if it cannot be converted. */
static uint8_t *admin_to_cbor(const char *json, size_t len, size_t *out_len)
{
    size_t cap = len / 2 + 16;
    json_token *tokens = malloc(cap * sizeof(*tokens));
    /* "0.1," is 4 bytes of JSON and 9 of CBOR; nothing grows more than that */
    size_t cbor_cap = 3 * len + 16;
    uint8_t *cbor = malloc(cbor_cap);
    json_doc doc;
    cbor_writer w;
    cbor_writer_init(&w, cbor, cbor ? cbor_cap : 0);
    if (!tokens || !cbor || json_parse(json, len, tokens, cap, &doc, NULL) != WR_OK ||
        jsoncbor_to_cbor(&doc, 0, &w) != WR_OK) {
        free(cbor);
        cbor = NULL;
    }
    free(tokens);
    *out_len = w.len;
    return cbor;
}

void admin_reply_json(admin_request *r, coap_pdu_code_t code, const char *json, size_t len)
{
    int accept = reply_accept(r->pdu);
    if (accept != -1 && accept != ADMIN_FORMAT_JSON && accept != ADMIN_FORMAT_CBOR) {
        reply_error(r->response, COAP_RESPONSE_CODE_NOT_ACCEPTABLE,
                    "answers are application/cbor (60) or application/json (50)");
        return;
    }
    uint8_t *data;
    size_t n;
    uint16_t format = accept == ADMIN_FORMAT_JSON ? ADMIN_FORMAT_JSON : ADMIN_FORMAT_CBOR;
    if (format == ADMIN_FORMAT_JSON) {
        data = malloc(len ? len : 1);
        if (data)
            memcpy(data, json, len);
        n = len;
    } else {
        data = admin_to_cbor(json, len, &n);
    }
    if (!data) {
        reply_error(r->response, COAP_RESPONSE_CODE_INTERNAL_ERROR, "could not encode the answer");
        return;
    }
    coap_pdu_set_code(r->response, code);
    if (!coap_add_data_large_response(r->resource, r->session, r->pdu, r->response, r->query,
                                      format, -1, 0, n, data, admin_release, data))
        free(data);
}

void admin_reply_invalid(admin_request *r, const char *why)
{
    reply_error(r->response, COAP_RESPONSE_CODE_BAD_REQUEST, "%s", why);
}

/* Unique constraints and foreign keys, and the API field they are about. */
static const struct {
    const char *constraint;
    const char *field;
} admin_constraint_fields[] = {
    {"communities_code_key", "code"},
    {"enterprises_uscc_key", "uscc"},
    {"enterprises_community_id_fkey", "community_id"},
    {"machines_chip_id_key", "chip_id"},
    {"machines_enterprise_id_fkey", "enterprise_id"},
    {"welders_idcard_hash_key", "idcard"},
    {"welders_licence_no_hash_key", "licence_no"},
    {"permits_permit_no_key", "permit_no"},
    {"permits_enterprise_id_fkey", "enterprise_id"},
    {"permit_welders_welder_id_fkey", "welders"},
    {"permit_machines_machine_id_fkey", "machines"},
    {"principals_identity_key", "identity"},
    {"principal_communities_community_id_fkey", "communities"},
};

static const char *admin_field_of(const char *constraint)
{
    for (size_t i = 0; i < sizeof(admin_constraint_fields) / sizeof(admin_constraint_fields[0]);
         i++)
        if (strcmp(admin_constraint_fields[i].constraint, constraint) == 0)
            return admin_constraint_fields[i].field;
    return NULL;
}

void admin_reply_outcome(admin_request *r, const admin_outcome *out, const char *what)
{
    if (out->status == STORE_EUNAVAILABLE) {
        reply_unavailable(r->response, server_config_of(r->srv)->retry_after_s);
        return;
    }
    if (out->status == STORE_OK && out->not_found) {
        reply_error(r->response, COAP_RESPONSE_CODE_NOT_FOUND, "no %s%s", what,
                    r->scope ? " in your communities" : "");
        return;
    }
    const char *field = admin_field_of(out->constraint);
    if (strcmp(out->sqlstate, "23505") == 0) {
        reply_error(r->response, COAP_RESPONSE_CODE_CONFLICT,
                    "field \"%s\": another record already has this value", field ? field : "?");
        return;
    }
    if (strcmp(out->sqlstate, "23503") == 0) {
        reply_error(r->response, COAP_RESPONSE_CODE_BAD_REQUEST,
                    "field \"%s\": refers to a record that does not exist", field ? field : "?");
        return;
    }
    if (strcmp(out->sqlstate, "23514") == 0 || strcmp(out->sqlstate, "22P02") == 0) {
        reply_error(r->response, COAP_RESPONSE_CODE_BAD_REQUEST,
                    "the database refused the %s (constraint \"%s\")", what, out->constraint);
        return;
    }
    log_event(LOG_LEVEL_ERROR, "admin_statement_failed", "what=\"%s\" sqlstate=%s", what,
              out->sqlstate);
    reply_error(r->response, COAP_RESPONSE_CODE_INTERNAL_ERROR, "could not store the %s", what);
}

void admin_reply_change(admin_request *r, admin_outcome *out, const char *action,
                        coap_pdu_code_t code, const char *what)
{
    if (out->status == STORE_OK && !out->not_found)
        admin_reply_done(r, out, action, code);
    else
        admin_reply_outcome(r, out, what);
    admin_outcome_deinit(out);
}
