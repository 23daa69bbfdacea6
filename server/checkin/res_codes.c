/* res_codes.c — POST /v1/codes/verify (a code checked by the platform) and GET
 * /v1/codes/revocations?since=N (the revocation list delta for offline caches).
 *
 * Both answer from the in-memory registry view, the same one check-ins are judged against, so
 * the loop never waits on the database and "valid online" means what a check-in would see. The
 * view follows the codes table through NOTIFY within a fraction of a second. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/code.h"
#include "core/codemsg.h"
#include "server/checkin/checkin_host.h"
#include "server/loop/handlers.h"
#include "server/loop/reply.h"

#define CODES_FORMAT_CBOR 60

/* Every authenticated principal may verify codes and read the revocation list (chips cache it
 * too); unknown or disabled identities may not. */
static bool codes_refuse_caller(const principal *who, coap_pdu_t *response)
{
    if (!who) {
        reply_error(response, COAP_RESPONSE_CODE_UNAUTHORIZED, "unknown or disabled identity");
        return true;
    }
    switch (who->role) {
    case ROLE_ADMIN:
    case ROLE_INSPECTOR:
    case ROLE_MACHINE: return false;
    }
    reply_error(response, COAP_RESPONSE_CODE_FORBIDDEN, "this identity may not read codes");
    return true;
}

static const char *codes_machine_status(const registry *reg, const char *chip)
{
    const registry_machine *m = registry_find_machine(reg, chip);
    if (!m)
        return "unknown";
    switch (m->status) {
    case DECISION_MACHINE_ACTIVE: return "active";
    case DECISION_MACHINE_SUSPENDED: return "suspended";
    case DECISION_MACHINE_SCRAPPED: return "scrapped";
    }
    return "unknown";
}

static const char *codes_subject_status(const registry *reg, const code_parsed *parsed,
                                        const registry_code *issued)
{
    if (parsed->claims.kind == CODE_MACHINE)
        return codes_machine_status(reg, parsed->claims.chip);
    const registry_welder *w =
        issued && issued->kind == 'w' ? registry_find_welder(reg, issued->subject_id) : NULL;
    if (!w)
        return "unknown";
    return w->status == DECISION_WELDER_ACTIVE ? "active" : "inactive";
}

/* Checks @p text as the platform does: signature and validity against the server's trust list
 * and current revocations, then, for a genuine code, the record of the code and the status of
 * its subject ("unknown" otherwise). */
static void codes_judge(const judge_context *jc, const char *text, size_t n, codemsg_verdict *v)
{
    const revocation_list *revoked = registry_revocations(jc->reg);
    memset(v, 0, sizeof(*v));
    v->revocation_version = revoked ? revoked->version : 0;
    wr_status st =
        code_verify_cached(jc->codes, text, n, jc->trust, revoked, (uint64_t)time(NULL), NULL);
    v->check = codemsg_classify(st, text, n, jc->trust);
    code_parsed parsed;
    const registry_code *issued = NULL;
    strcpy(v->record, "unknown");
    strcpy(v->subject, "unknown");
    /* the claims of a code that is not genuine are anyone's: a forgery may copy a real code's
     * id, whose record must not then read as the forgery's */
    if (codemsg_check_genuine(v->check) && code_decode(text, n, &parsed) == WR_OK) {
        issued = registry_find_code(jc->reg, parsed.claims.cti);
        if (issued && issued->kind != (char)parsed.claims.kind)
            issued = NULL; /* the record is of another kind of code: not this one */
        if (issued)
            snprintf(v->record, sizeof(v->record), "%s", issued->revoked ? "revoked" : "active");
        snprintf(v->subject, sizeof(v->subject), "%s",
                 codes_subject_status(jc->reg, &parsed, issued));
    }
    if (v->check == CODEMSG_OK && !issued)
        v->check = CODEMSG_UNKNOWN_CODE;
    else if (v->check == CODEMSG_OK && issued->revoked)
        v->check = CODEMSG_REVOKED;
    v->valid = v->check == CODEMSG_OK;
}

void hnd_post_codes_verify(coap_resource_t *resource, coap_session_t *session,
                           const coap_pdu_t *request, const coap_string_t *query,
                           coap_pdu_t *response)
{
    (void)query;
    const checkin_host *host = coap_resource_get_userdata(resource);
    if (codes_refuse_caller(host->principal_of(host->ctx, session), response))
        return;
    if (reply_content_format(request) != CODES_FORMAT_CBOR) {
        reply_error(response, COAP_RESPONSE_CODE_UNSUPPORTED_CONTENT_FORMAT,
                    "send {\"code\": text} as application/cbor (Content-Format 60)");
        return;
    }
    const uint8_t *body;
    size_t len, offset, total;
    if (!coap_get_data_large(request, &len, &body, &offset, &total) || len == 0) {
        reply_error(response, COAP_RESPONSE_CODE_BAD_REQUEST, "the body must be {\"code\": text}");
        return;
    }
    if (total > CODEMSG_VERIFY_REQUEST_MAX) {
        reply_error(response, COAP_RESPONSE_CODE_REQUEST_TOO_LARGE,
                    "the body is %zu bytes; at most %d are accepted", total,
                    CODEMSG_VERIFY_REQUEST_MAX);
        return;
    }
    const char *code;
    size_t code_len;
    char why[128];
    if (codemsg_decode_verify_request(body, len, &code, &code_len, why, sizeof(why)) != WR_OK) {
        reply_error(response, COAP_RESPONSE_CODE_BAD_REQUEST, "%s", why);
        return;
    }
    const judge_context *jc = host->judge(host->ctx);
    if (!jc->reg) {
        reply_unavailable(response, host->retry_after_s);
        return;
    }
    codemsg_verdict verdict;
    codes_judge(jc, code, code_len, &verdict);
    uint8_t answer[CODEMSG_VERDICT_MAX];
    size_t answer_len;
    if (codemsg_encode_verdict(&verdict, answer, sizeof(answer), &answer_len) != WR_OK) {
        reply_error(response, COAP_RESPONSE_CODE_INTERNAL_ERROR, "could not encode the answer");
        return;
    }
    reply_body(response, COAP_RESPONSE_CODE_CONTENT, CODES_FORMAT_CBOR, answer, answer_len);
}

/* Reads "since=N" from the query; N is 0 when there is no query. */
static bool codes_parse_since(const coap_string_t *query, uint64_t *since)
{
    *since = 0;
    if (!query || query->length == 0)
        return true;
    static const char key[] = "since=";
    size_t key_len = sizeof(key) - 1;
    if (query->length <= key_len || query->length > key_len + 20 ||
        memcmp(query->s, key, key_len) != 0)
        return false;
    uint64_t v = 0;
    for (size_t i = key_len; i < query->length; i++) {
        uint8_t c = query->s[i];
        if (c < '0' || c > '9' || v > (UINT64_MAX - (c - '0')) / 10)
            return false;
        v = v * 10 + (c - '0');
    }
    *since = v;
    return true;
}

/* Gathers the ids revoked after @p since (all of them when @p full) into a new array. */
static uint8_t *codes_collect(const registry *reg, uint64_t since, bool full, size_t *count)
{
    const revocation_list *list = registry_revocations(reg);
    size_t total = list ? list->count : 0;
    uint8_t *ctis = malloc(total * TRUST_CTI_LEN + 1);
    *count = 0;
    for (size_t i = 0; ctis && i < total; i++) {
        const registry_code *c = registry_find_code(reg, list->ctis[i]);
        if (full || !c || c->revocation_version > since)
            memcpy(ctis + (*count)++ * TRUST_CTI_LEN, list->ctis[i], TRUST_CTI_LEN);
    }
    return ctis;
}

static void codes_release(coap_session_t *session, void *app_ptr)
{
    (void)session;
    free(app_ptr);
}

void hnd_get_codes_revocations(coap_resource_t *resource, coap_session_t *session,
                               const coap_pdu_t *request, const coap_string_t *query,
                               coap_pdu_t *response)
{
    const checkin_host *host = coap_resource_get_userdata(resource);
    if (codes_refuse_caller(host->principal_of(host->ctx, session), response))
        return;
    uint64_t since;
    if (!codes_parse_since(query, &since)) {
        reply_error(response, COAP_RESPONSE_CODE_BAD_REQUEST,
                    "expected the query since=N, N the version the cache holds");
        return;
    }
    const registry *reg = host->judge(host->ctx)->reg;
    if (!reg) {
        reply_unavailable(response, host->retry_after_s);
        return;
    }
    const revocation_list *list = registry_revocations(reg);
    codemsg_revocations delta = {.version = list ? list->version : 0};
    /* a cache newer than the server (a restored database): start again from the whole list */
    delta.full = since == 0 || since > delta.version;
    uint8_t *ctis = codes_collect(reg, since, delta.full, &delta.count);
    delta.ctis = ctis;
    size_t cap = codemsg_revocations_size(delta.count), len;
    uint8_t *body = ctis ? malloc(cap) : NULL;
    wr_status st = body ? codemsg_encode_revocations(&delta, body, cap, &len) : WR_ENOMEM;
    free(ctis);
    if (st != WR_OK) {
        free(body);
        reply_error(response, COAP_RESPONSE_CODE_INTERNAL_ERROR, "could not build the list");
        return;
    }
    coap_pdu_set_code(response, COAP_RESPONSE_CODE_CONTENT);
    if (!coap_add_data_large_response(resource, session, request, response, query,
                                      CODES_FORMAT_CBOR, -1, delta.version, len, body,
                                      codes_release, body))
        reply_error(response, COAP_RESPONSE_CODE_INTERNAL_ERROR, "could not send the list");
}
