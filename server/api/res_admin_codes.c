/* res_admin_codes.c — /v1/codes: the life of a code after issue (admins only; docs/admin-guide.md
 * "Codes"): list codes by subject or status, or those expiring within N days, and read one with
 * its text to print its label again; issue a machine's or a welder's code again (lost label,
 * expiry near, data changed), the old codes revoked at once or left to expire, as the admin
 * chooses; revoke one code with a reason. Every change is in the audit log. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/code.h"
#include "core/json.h"
#include "core/registry_rules.h"
#include "server/api/admin.h"
#include "server/api/api.h"
#include "server/api/res_admin_machines.h"
#include "server/api/res_admin_welders.h"
#include "server/loop/handlers.h"
#include "server/loop/reply.h"

#define CODES_BODY_MAX     (16u << 10)
#define CODES_REASON_MAX   200
#define CODES_LIMIT_MAX    1000
#define CODES_EXPIRING_MAX 3660 /* days: ten years, beyond any code's life */

/* 16 hex digits, either case. */
_Static_assert(COSE_KID_LEN == TRUST_CTI_LEN, "code ids and key ids are both 16 hex digits");

/* A code id or a key id: 16 hex digits, either case. */
static bool codes_parse_cti(const char *hex, uint8_t cti[TRUST_CTI_LEN])
{
    if (strlen(hex) != (size_t)2 * TRUST_CTI_LEN ||
        strspn(hex, "0123456789abcdefABCDEF") != strlen(hex))
        return false;
    for (size_t i = 0; i < TRUST_CTI_LEN; i++) {
        char pair[3] = {hex[2 * i], hex[2 * i + 1], '\0'};
        cti[i] = (uint8_t)strtoul(pair, NULL, 16);
    }
    return true;
}

/* Query parameter @p key as a number in [lo, hi]; @p *out untouched when absent. */
static bool codes_query_number(admin_request *r, const char *key, int64_t lo, int64_t hi,
                               int64_t *out)
{
    char text[24];
    if (!admin_query_param(r, key, text, sizeof(text)) || !text[0])
        return true; /* absent */
    char *end;
    long long v = strtoll(text, &end, 10);
    if (*end || end == text || v < lo || v > hi) {
        admin_error(r, COAP_RESPONSE_CODE_BAD_REQUEST, "query \"%s\": expected %lld to %lld", key,
                    (long long)lo, (long long)hi);
        return false;
    }
    *out = v;
    return true;
}

/* The ids of the query: cti (one code) and kid (the codes one key signed); false when one is
 * given and is not 16 hex digits (answered). */
static bool codes_query_ids(admin_request *r, admin_code_query *q)
{
    char cti[40], kid[40];
    admin_query_param(r, "cti", cti, sizeof(cti));
    admin_query_param(r, "kid", kid, sizeof(kid));
    if (cti[0] && !(q->has_cti = codes_parse_cti(cti, q->cti))) {
        admin_reply_invalid(r, "query \"cti\": expected a code id of 16 hex digits");
        return false;
    }
    if (kid[0] && !(q->has_kid = codes_parse_cti(kid, q->kid))) {
        admin_reply_invalid(r, "query \"kid\": expected a key id of 16 hex digits");
        return false;
    }
    return true;
}

/* GET ?cti=HEX (one code, with its text) or a page of codes filtered by machine_id, welder_id,
 * kid (the signing key: a rotation's re-issue campaign), status (active, revoked, expired) and
 * expiring_within (days: live codes that expire by then), soonest expiry first; offset and
 * limit page through it. */
static void codes_get(admin_request *r)
{
    static const char *const known[] = {"cti",    "machine_id", "welder_id",
                                        "kid",    "status",     "expiring_within",
                                        "offset", "limit",      NULL};
    static const char *const statuses[] = {"active", "revoked", "expired", NULL};
    admin_code_query q = {.expiring_days = -1, .limit = 100};
    int64_t days = -1, limit = q.limit;
    if (!admin_query_known(r, known) || !codes_query_ids(r, &q) ||
        !admin_query_id(r, "machine_id", &q.machine_id) ||
        !admin_query_id(r, "welder_id", &q.welder_id) ||
        !admin_query_enum(r, "status", statuses, q.status, sizeof(q.status)) ||
        !codes_query_number(r, "expiring_within", 0, CODES_EXPIRING_MAX, &days) ||
        !codes_query_number(r, "offset", 0, INT32_MAX, &q.offset) ||
        !codes_query_number(r, "limit", 1, CODES_LIMIT_MAX, &limit))
        return;
    q.expiring_days = (int)days;
    q.limit = (int)limit;
    store *st = admin_store(r);
    if (!st)
        return;
    admin_outcome out;
    store_admin_list_codes(st, &q, &out);
    if (out.status == STORE_OK && !out.not_found)
        admin_reply_json(r, COAP_RESPONSE_CODE_CONTENT, out.json, out.json_len);
    else
        admin_reply_outcome(r, &out, "code with this id");
    admin_outcome_deinit(&out);
}

/* Text member @p key of the subject record into @p out; false if absent or too long. */
static bool codes_subject_text(const json_doc *d, const char *key, char *out, size_t cap)
{
    long t = json_find(d, 0, key);
    return t >= 0 && json_string(d, (size_t)t, out, cap, NULL) == WR_OK;
}

/* The licence categories of a welder record (an array of names) as CODE_CAT_* bits. */
static unsigned codes_subject_categories(const json_doc *d)
{
    long t = json_find(d, 0, "categories");
    unsigned bits = 0;
    if (t < 0 || d->tokens[t].type != JSON_ARRAY)
        return 0;
    for (size_t k = (size_t)t + 1; k < d->tokens[t].next; k = d->tokens[k].next)
        for (unsigned bit = CODE_CAT_FUSION; bit <= CODE_CAT_BRAZING; bit <<= 1)
            if (json_string_is(d, k, code_category_name(bit)))
                bits |= bit;
    return bits;
}

/* Signs the new code from the stored record @p json of the subject: 0 done, 1 nothing can be
 * signed (no key, licence over), -1 after answering. */
static int codes_sign(admin_request *r, store *st, bool machine, const char *json, char *text,
                      size_t cap, admin_code *code)
{
    json_token tokens[32];
    json_doc d;
    if (json_parse(json, strlen(json), tokens, 32, &d, NULL) != WR_OK) {
        admin_error(r, COAP_RESPONSE_CODE_INTERNAL_ERROR, "could not read the record");
        return -1;
    }
    if (machine) {
        rules_machine m;
        memset(&m, 0, sizeof(m));
        long ent = json_find(&d, 0, "enterprise_id");
        m.enterprise_id = ent >= 0 ? d.tokens[ent].i : 0;
        if (!codes_subject_text(&d, "process_category", m.process_category,
                                sizeof(m.process_category)) ||
            !codes_subject_text(&d, "chip_id", m.chip_id, sizeof(m.chip_id))) {
            admin_reply_invalid(r, "the machine's chip id is longer than a code can carry "
                                   "(1-20 of A-Z 0-9 -)");
            return -1;
        }
        return machines_issue_code(r, st, &m, text, cap, code);
    }
    rules_welder w;
    memset(&w, 0, sizeof(w));
    w.categories = codes_subject_categories(&d);
    if (!codes_subject_text(&d, "name", w.name, sizeof(w.name)) ||
        !codes_subject_text(&d, "licence_no_masked", w.licence_masked, sizeof(w.licence_masked)) ||
        !codes_subject_text(&d, "valid_until", w.valid_until, sizeof(w.valid_until))) {
        admin_error(r, COAP_RESPONSE_CODE_INTERNAL_ERROR, "could not read the welder's record");
        return -1;
    }
    int issued = welders_issue_code(r, &w, text, cap, code);
    if (issued < 0)
        admin_error(r, COAP_RESPONSE_CODE_INTERNAL_ERROR,
                    "could not sign the welder code (check code_issuer and the signing key)");
    return issued;
}

/* The body of a re-issue: {"machine_id": N} or {"welder_id": N}, "revoke_old" (true: the old
 * codes are revoked now; false, the default: they stay valid until they expire) and "reason"
 * (for the revocation; "re-issued" by default). False after answering. */
static bool codes_reissue_read(admin_request *r, bool *machine, int64_t *id, bool *revoke_old,
                               char *reason, size_t cap)
{
    static const char *const fields[] = {"machine_id", "welder_id", "revoke_old", "reason", NULL};
    if (!admin_read_body(r, CODES_BODY_MAX) || !admin_body_fields(r, fields) ||
        !admin_body_text(r, "reason", CODES_REASON_MAX, reason, cap))
        return false;
    bool has_machine = json_find(&r->doc, 0, "machine_id") >= 0;
    bool has_welder = json_find(&r->doc, 0, "welder_id") >= 0;
    if (has_machine == has_welder) {
        admin_reply_invalid(r, "say whose code to issue again: field \"machine_id\" or "
                               "\"welder_id\" (one of them)");
        return false;
    }
    *machine = has_machine;
    if (!admin_body_id(r, has_machine ? "machine_id" : "welder_id", id))
        return false;
    long t = json_find(&r->doc, 0, "revoke_old");
    if (t >= 0 && r->doc.tokens[t].type != JSON_TRUE && r->doc.tokens[t].type != JSON_FALSE) {
        admin_reply_invalid(r, "field \"revoke_old\": expected true (revoke the old codes now) "
                               "or false (leave them to expire)");
        return false;
    }
    *revoke_old = t >= 0 && r->doc.tokens[t].type == JSON_TRUE;
    if (!reason[0])
        snprintf(reason, cap, "re-issued");
    return true;
}

/* POST /v1/codes/reissue: a new code for a machine (not scrapped) or a welder (not retired,
 * licence active), from the registry's current data. 2.01 with the new code's text. */
static void codes_reissue(admin_request *r)
{
    bool machine, revoke_old;
    int64_t id;
    char reason[CODES_REASON_MAX * 4 + 1];
    if (!codes_reissue_read(r, &machine, &id, &revoke_old, reason, sizeof(reason)))
        return;
    store *st = admin_store(r);
    if (!st)
        return;
    const char *kind = machine ? "machine" : "welder";
    admin_outcome out;
    store_admin_code_subject(st, kind, id, &out);
    if (out.status != STORE_OK || out.not_found) {
        char what[160];
        snprintf(what, sizeof(what), "%s %lld that can hold a code (%s)", kind, (long long)id,
                 machine ? "not scrapped, its enterprise active"
                         : "not retired, its licence active");
        admin_reply_outcome(r, &out, what);
        admin_outcome_deinit(&out);
        return;
    }
    char text[CODE_TEXT_MAX + 1];
    admin_code code;
    int issued = codes_sign(r, st, machine, out.json, text, sizeof(text), &code);
    admin_outcome_deinit(&out);
    if (issued != 0) {
        if (issued > 0)
            admin_error(r, COAP_RESPONSE_CODE_CONFLICT,
                        "no code can be issued: the server has no signing key, or the welder's "
                        "licence ends within a day");
        return;
    }
    store_admin_reissue_code(st, r->who->identity, kind, id, &code, revoke_old, reason, &out);
    admin_reply_change(r, &out, "code.reissue", COAP_RESPONSE_CODE_CREATED, kind);
}

/* POST /v1/codes/revoke {"cti": HEX, "reason": TEXT}: revokes one code now; machines refuse it
 * at their next scan and /v1/codes/verify calls it revoked within about a second. */
static void codes_revoke(admin_request *r)
{
    static const char *const fields[] = {"cti", "reason", NULL};
    char hex[40], reason[CODES_REASON_MAX * 4 + 1];
    uint8_t cti[TRUST_CTI_LEN];
    if (!admin_read_body(r, CODES_BODY_MAX) || !admin_body_fields(r, fields) ||
        !admin_body_text(r, "cti", 32, hex, sizeof(hex)) ||
        !admin_body_text(r, "reason", CODES_REASON_MAX, reason, sizeof(reason)))
        return;
    if (!codes_parse_cti(hex, cti)) {
        admin_reply_invalid(r, "field \"cti\": expected a code id of 16 hex digits");
        return;
    }
    if (!reason[0]) {
        admin_reply_invalid(r, "field \"reason\": say why the code is revoked (e.g. \"label "
                               "lost\")");
        return;
    }
    store *st = admin_store(r);
    if (!st)
        return;
    admin_outcome out;
    bool already;
    store_admin_revoke_code(st, r->who->identity, cti, reason, &already, &out);
    if (out.status == STORE_OK && out.not_found && already) {
        admin_error(r, COAP_RESPONSE_CODE_CONFLICT, "code %s is revoked already", hex);
        admin_outcome_deinit(&out);
        return;
    }
    admin_reply_change(r, &out, "code.revoke", COAP_RESPONSE_CODE_CHANGED, "code with this id");
}

ADMIN_HANDLER(hnd_get_codes, ADMIN_ADMIN_ONLY, codes_get)
ADMIN_HANDLER(hnd_post_codes_reissue, ADMIN_ADMIN_ONLY, codes_reissue)
ADMIN_HANDLER(hnd_post_codes_revoke, ADMIN_ADMIN_ONLY, codes_revoke)
