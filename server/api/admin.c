/* admin.c — the shared plumbing of the API's steps: the caller's role, bodies in CBOR or JSON,
 * queries, answers kept in a buffer in either format, and database outcomes turned into CoAP
 * codes. Everything here but admin_authorize() and admin_answer_send() runs on whichever thread
 * runs the step, and touches only the request it is given. */
#include "server/api/admin.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/access.h"
#include "core/jsoncbor.h"
#include "server/loop/log.h"
#include "server/loop/reply.h"
#include "server/views/kek.h"

/* ---- the caller and the request ---- */

_Static_assert((int)ADMIN_READ == (int)ACCESS_READ && (int)ADMIN_ENFORCE == (int)ACCESS_ENFORCE &&
                   (int)ADMIN_WRITE == (int)ACCESS_WRITE &&
                   (int)ADMIN_ADMIN_ONLY == (int)ACCESS_ADMIN_ONLY,
               "admin_access is core/access.h's access_need");

bool admin_authorize(const principal *p, admin_access access, admin_caller *who, int64_t *scope,
                     admin_answer *answer)
{
    memset(who, 0, sizeof(*who));
    *scope = 0;
    if (!p) {
        admin_answer_error(answer, COAP_RESPONSE_CODE_UNAUTHORIZED, "unknown or disabled identity");
        return false;
    }
    who->id = p->id;
    who->role = p->role;
    snprintf(who->identity, sizeof(who->identity), "%s", p->identity);
    switch (access_decide((access_role)p->role, (access_need)access)) {
    case ACCESS_ALL: return true;
    case ACCESS_COMMUNITIES: *scope = p->id; return true;
    case ACCESS_ENTERPRISE: /* no principal has this role */
    case ACCESS_DENIED: break;
    }
    if (p->role == ROLE_MACHINE)
        admin_answer_error(answer, COAP_RESPONSE_CODE_FORBIDDEN,
                           "machines may not use the registry admin API");
    else
        admin_answer_error(answer, COAP_RESPONSE_CODE_FORBIDDEN,
                           access == ADMIN_WRITE
                               ? "inspectors may read the registry but not change it"
                               : "only administrators may use this resource");
    return false;
}

void admin_request_init(admin_request *r, const server_config *cfg, const admin_keys *keys,
                        const admin_caller *who, const coap_pdu_t *request,
                        const coap_string_t *query)
{
    memset(r, 0, sizeof(*r));
    r->cfg = cfg;
    r->keys = keys;
    r->who = who;
    if (query) {
        r->query = (const char *)query->s;
        r->query_len = query->length;
    }
    r->content_format = reply_content_format(request);
    r->accept = reply_accept(request);
    size_t offset;
    if (!coap_get_data_large(request, &r->body_len, &r->body, &offset, &r->body_total)) {
        r->body = NULL;
        r->body_len = r->body_total = 0;
    }
    r->answer.format = r->answer.max_age = -1;
}

bool admin_request_own(admin_request *r)
{
    if (r->query_len) {
        /* NUL-terminated too, as libcoap's own copy is, though every reader keeps to query_len */
        if (!(r->owned_query = malloc(r->query_len + 1)))
            return false;
        memcpy(r->owned_query, r->query, r->query_len);
        r->owned_query[r->query_len] = '\0';
        r->query = r->owned_query;
    }
    if (r->body && (r->body_len > ADMIN_BODY_MAX || r->body_total > ADMIN_BODY_MAX)) {
        r->body = NULL; /* its size is enough for the 4.13 */
    } else if (r->body && r->body_len) {
        if (!(r->owned_body = malloc(r->body_len)))
            return false;
        memcpy(r->owned_body, r->body, r->body_len);
        r->body = r->owned_body;
    }
    return true;
}

void admin_end(admin_request *r)
{
    free(r->json);
    free(r->tokens);
    free(r->merged);
    free(r->merged_tokens);
    free(r->base);
    free(r->base_tokens);
    free(r->owned_query);
    free(r->owned_body);
    OPENSSL_cleanse(r->kek_now, sizeof(r->kek_now));
    pii_keys_wipe(&r->pii_now);
    r->json = r->merged = r->base = r->owned_query = NULL;
    r->tokens = r->merged_tokens = r->base_tokens = NULL;
    r->owned_body = NULL;
    admin_answer_deinit(&r->answer);
}

store *admin_store(admin_request *r)
{
    if (r->st && store_socket(r->st) >= 0)
        return r->st;
    admin_unavailable(r);
    return NULL;
}

const uint8_t *admin_kek(admin_request *r)
{
    /* the file as it is now: after a rotation (docs/keys.md) new PSKs are sealed under the new
     * key without a restart */
    if (key_file_read(r->cfg->psk_kek_file, r->kek_now, sizeof(r->kek_now)) == 0)
        return r->kek_now;
    log_event(LOG_LEVEL_WARN, "kek_unreadable",
              "file=\"%s\" effect=\"the key read at start is used\"", r->cfg->psk_kek_file);
    return r->keys->kek;
}

const pii_keys *admin_pii_key(admin_request *r)
{
    /* the file as it is now, as for admin_kek(); none while a rotation re-hashes (kek.h); read
     * once per request, so that all its hashes are made with the same keys */
    if (r->pii_now.count)
        return &r->pii_now;
    char marker[CONFIG_PATH_MAX + 16];
    if (!r->cfg->pii_key_file[0] ||
        !pii_keys_marker(r->cfg->pii_key_file, marker, sizeof(marker)) || access(marker, F_OK) == 0)
        return NULL;
    if (pii_keys_read(r->cfg->pii_key_file, &r->pii_now) == 0)
        return &r->pii_now;
    return r->keys->pii.count ? &r->keys->pii : NULL;
}

EVP_PKEY *admin_signing_key(admin_request *r)
{
    return r->keys->signing_key;
}

void admin_pii_hash(const pii_keys *keys, const char *domain, const char *text, size_t len,
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
    HMAC(EVP_sha256(), keys->key[0], PII_KEY_LEN, buf, dlen + 1 + len, out, &out_len);
    OPENSSL_cleanse(buf, sizeof(buf));
    for (unsigned i = 1; i < keys->count; i++) /* the keys of later rotations (kek.h) */
        pii_wrap(keys->key[i], out, out);
}

/* ---- bodies ---- */

static bool admin_body(admin_request *r, size_t max, const uint8_t **body, size_t *len)
{
    size_t total = r->body_total > r->body_len ? r->body_total : r->body_len;
    if (total > max) {
        admin_error(r, COAP_RESPONSE_CODE_REQUEST_TOO_LARGE,
                    "the body is %zu bytes; at most %zu are accepted", total, max);
        return false;
    }
    if (!r->body || r->body_len == 0) {
        admin_error(r, COAP_RESPONSE_CODE_BAD_REQUEST, "the request has no body");
        return false;
    }
    *body = r->body;
    *len = r->body_len;
    return true;
}

bool admin_raw_body(admin_request *r, int format, const uint8_t **body, size_t *len)
{
    if (r->content_format != format) {
        admin_error(r, COAP_RESPONSE_CODE_UNSUPPORTED_CONTENT_FORMAT,
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
        admin_error(r, COAP_RESPONSE_CODE_INTERNAL_ERROR, "out of memory");
        return false;
    }
    if (format == ADMIN_FORMAT_JSON) {
        if (memchr(body, '\0', len)) {
            admin_error(r, COAP_RESPONSE_CODE_BAD_REQUEST, "the JSON body holds a NUL");
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
        admin_error(r, COAP_RESPONSE_CODE_BAD_REQUEST, "the CBOR body has no JSON form: %s",
                    wr_status_str(st));
        return false;
    }
    return true;
}

bool admin_read_body(admin_request *r, size_t max)
{
    int format = r->content_format;
    if (format != ADMIN_FORMAT_JSON && format != ADMIN_FORMAT_CBOR) {
        admin_error(r, COAP_RESPONSE_CODE_UNSUPPORTED_CONTENT_FORMAT,
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
        admin_error(r, COAP_RESPONSE_CODE_INTERNAL_ERROR, "out of memory");
        return false;
    }
    json_error err;
    wr_status st = json_parse(r->json, text_len, r->tokens, cap, &r->doc, &err);
    if (st != WR_OK) {
        admin_error(r, COAP_RESPONSE_CODE_BAD_REQUEST, "body: %u:%u: %s", err.line, err.column,
                    err.message);
        return false;
    }
    if (r->doc.tokens[0].type != JSON_OBJECT) {
        admin_error(r, COAP_RESPONSE_CODE_BAD_REQUEST, "the body must be an object");
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
    const char *p = r->query, *end = p + r->query_len;
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
    const char *p = r->query ? r->query : "";
    const char *end = p + (r->query ? r->query_len : 0);
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        size_t len = (size_t)((amp ? amp : end) - p);
        const char *eq = memchr(p, '=', len);
        size_t key = eq ? (size_t)(eq - p) : len;
        bool found = false;
        for (const char *const *k = known; *k && !found; k++)
            found = strlen(*k) == key && memcmp(*k, p, key) == 0;
        if (!found) {
            char names[256];
            admin_join(known, names, sizeof(names));
            admin_error(r, COAP_RESPONSE_CODE_BAD_REQUEST, "query \"%.*s\": unknown; use %s",
                        (int)(key < 32 ? key : 32), p, names);
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
    admin_error(r, COAP_RESPONSE_CODE_BAD_REQUEST, "query \"%s\": expected %s", key, names);
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
        admin_error(r, COAP_RESPONSE_CODE_BAD_REQUEST, "query \"%s\": expected a whole number",
                    key);
        return false;
    }
    *out = v;
    return true;
}

/* ---- answers ---- */

void admin_answer_deinit(admin_answer *answer)
{
    free(answer->body);
    answer->body = NULL;
    answer->len = 0;
}

static void admin_answer_verror(admin_answer *answer, coap_pdu_code_t code, const char *fmt,
                                va_list ap) __attribute__((format(printf, 3, 0)));

static void admin_answer_verror(admin_answer *answer, coap_pdu_code_t code, const char *fmt,
                                va_list ap)
{
    char text[768]; /* a list of allowed values; still well inside one datagram */
    int n = vsnprintf(text, sizeof(text), fmt, ap);
    n = n < 0 ? 0 : (size_t)n >= sizeof(text) ? (int)sizeof(text) - 1 : n;
    admin_answer_deinit(answer);
    answer->code = code;
    answer->format = -1;
    answer->max_age = -1;
    answer->body = malloc((size_t)n + 1);
    if (answer->body) {
        memcpy(answer->body, text, (size_t)n);
        answer->len = (size_t)n;
    }
}

void admin_answer_error(admin_answer *answer, coap_pdu_code_t code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    admin_answer_verror(answer, code, fmt, ap);
    va_end(ap);
}

void admin_error(admin_request *r, coap_pdu_code_t code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    admin_answer_verror(&r->answer, code, fmt, ap);
    va_end(ap);
}

void admin_unavailable(admin_request *r)
{
    admin_error(r, COAP_RESPONSE_CODE_SERVICE_UNAVAILABLE, "database unavailable, retry later");
    r->answer.max_age = (int)r->cfg->retry_after_s;
}

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

void admin_answer_send(admin_answer *answer, coap_resource_t *resource, coap_session_t *session,
                       const coap_pdu_t *request, const coap_string_t *query, coap_pdu_t *response)
{
    uint8_t buf[4];
    if (!answer->code)
        admin_answer_error(answer, COAP_RESPONSE_CODE_INTERNAL_ERROR,
                           "the request was not answered");
    coap_pdu_set_code(response, answer->code);
    if (answer->max_age >= 0)
        coap_add_option(response, COAP_OPTION_MAXAGE,
                        coap_encode_var_safe(buf, sizeof(buf), (unsigned)answer->max_age), buf);
    if (answer->format < 0) {
        if (answer->len)
            coap_add_data(response, answer->len, answer->body);
        return;
    }
    uint8_t *data = answer->body;
    size_t len = answer->len;
    answer->body = NULL; /* libcoap's now: it calls admin_release, also when it fails */
    answer->len = 0;
    coap_add_data_large_response(resource, session, request, response, query,
                                 (uint16_t)answer->format, -1, 0, len, data, admin_release, data);
}

void admin_reply_json(admin_request *r, coap_pdu_code_t code, const char *json, size_t len)
{
    int accept = r->accept;
    if (accept != -1 && accept != ADMIN_FORMAT_JSON && accept != ADMIN_FORMAT_CBOR) {
        admin_error(r, COAP_RESPONSE_CODE_NOT_ACCEPTABLE,
                    "answers are application/cbor (60) or application/json (50)");
        return;
    }
    uint8_t *data;
    size_t n;
    int format = accept == ADMIN_FORMAT_JSON ? ADMIN_FORMAT_JSON : ADMIN_FORMAT_CBOR;
    if (format == ADMIN_FORMAT_JSON) {
        data = malloc(len ? len : 1);
        if (data)
            memcpy(data, json, len);
        n = len;
    } else {
        data = admin_to_cbor(json, len, &n);
    }
    if (!data) {
        admin_error(r, COAP_RESPONSE_CODE_INTERNAL_ERROR, "could not encode the answer");
        return;
    }
    admin_answer_deinit(&r->answer);
    r->answer.code = code;
    r->answer.format = format;
    r->answer.body = data;
    r->answer.len = n;
}

void admin_reply_invalid(admin_request *r, const char *why)
{
    admin_error(r, COAP_RESPONSE_CODE_BAD_REQUEST, "%s", why);
}

/* Answers a refused statement from its typed outcome (the store classified it). */
static void admin_reply_refusal(admin_request *r, const admin_outcome *out, const char *what)
{
    const char *field = out->field ? out->field : "?";
    switch (out->refusal) {
    case ADMIN_REFUSAL_UNIQUE:
        admin_error(r, COAP_RESPONSE_CODE_CONFLICT,
                    "field \"%s\": another record already has this value", field);
        return;
    case ADMIN_REFUSAL_FOREIGN_KEY:
        admin_error(r, COAP_RESPONSE_CODE_BAD_REQUEST,
                    "field \"%s\": refers to a record that does not exist", field);
        return;
    case ADMIN_REFUSAL_CHECK:
        if (out->field)
            admin_error(r, COAP_RESPONSE_CODE_BAD_REQUEST,
                        "field \"%s\": the database refused this value", out->field);
        else
            admin_error(r, COAP_RESPONSE_CODE_BAD_REQUEST, "the database refused the %s", what);
        return;
    case ADMIN_REFUSAL_NONE:
    case ADMIN_REFUSAL_TIMEOUT:
    case ADMIN_REFUSAL_OTHER: break;
    }
    log_event(LOG_LEVEL_ERROR, "admin_statement_failed", "what=\"%s\" error=\"%s\"", what,
              out->message);
    admin_error(r, COAP_RESPONSE_CODE_INTERNAL_ERROR, "could not store the %s", what);
}

void admin_reply_outcome(admin_request *r, const admin_outcome *out, const char *what)
{
    if (out->status == STORE_EUNAVAILABLE) {
        admin_unavailable(r);
        return;
    }
    if (out->status == STORE_OK && out->not_found) {
        admin_error(r, COAP_RESPONSE_CODE_NOT_FOUND, "no %s%s", what,
                    r->scope ? " in your communities" : "");
        return;
    }
    admin_reply_refusal(r, out, what);
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
