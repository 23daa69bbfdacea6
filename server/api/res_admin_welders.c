/* res_admin_welders.c — /v1/welders: list and read, enrol (ID-card and licence numbers checked,
 * stored only as keyed hashes and masked forms, a signed welder code issued), update, retire
 * (codes revoked). The bulk import of a CSV survey is in res_admin_import.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "core/code.h"
#include "core/cose.h"
#include "core/licence.h"
#include "core/registry_rules.h"
#include "server/api/admin.h"
#include "server/api/api.h"
#include "server/loop/handlers.h"
#include "server/loop/reply.h"
#include "server/api/res_admin_welders.h"

#define WELDER_BODY_MAX  (64u << 10)
#define WELDER_CODE_DAYS 365

static void welders_get(admin_request *r)
{
    admin_list(r, ADMIN_WELDER, "welder");
}

void welders_hash_pii(const pii_keys *keys, const rules_welder *w, admin_pii *pii)
{
    admin_pii_hash(keys, "idcard", w->idcard, strlen(w->idcard), pii->idcard_hash);
    admin_pii_hash(keys, "licence", w->licence_no, strlen(w->licence_no), pii->licence_hash);
}

int welders_issue_code(admin_request *r, const rules_welder *w, char *text, size_t cap,
                       admin_code *code)
{
    EVP_PKEY *key = admin_signing_key(r);
    int64_t until_days;
    if (!key || rules_parse_date(w->valid_until, strlen(w->valid_until), &until_days) != WR_OK)
        return 1;
    code_claims c = {.kind = CODE_WELDER};
    snprintf(c.iss, sizeof(c.iss), "%.*s", CODE_ISS_MAX, r->cfg->code_issuer);
    c.iat = (uint64_t)time(NULL);
    int64_t lvu = licence_day_end(until_days); /* the first instant it is not valid */
    if (lvu <= (int64_t)c.iat + 86400)
        return 1;
    c.lvu = (uint64_t)lvu;
    c.exp = c.iat + (uint64_t)WELDER_CODE_DAYS * 86400;
    if (c.exp > c.lvu)
        c.exp = c.lvu;
    snprintf(c.lic, sizeof(c.lic), "%s", w->licence_masked);
    c.cats = w->categories;
    if (code_mask_name(w->name, c.nm) != WR_OK || code_new_cti(c.cti) != WR_OK ||
        code_issue(&c, key, text, cap) != WR_OK || cose_key_id(key, code->kid) != WR_OK)
        return -1;
    memcpy(code->cti, c.cti, sizeof(code->cti));
    code->expires_at = (int64_t)c.exp;
    code->text = text;
    return 0;
}

static void welders_answer(admin_request *r, admin_outcome *out, const rules_welder *w,
                           const char *code)
{
    char answer[1024];
    json_writer jw;
    json_writer_init(&jw, answer, sizeof(answer));
    json_begin_object(&jw);
    json_key(&jw, "id");
    json_put_int(&jw, out->id);
    json_key(&jw, "idcard_masked");
    json_put_cstr(&jw, w->idcard_masked);
    json_key(&jw, "licence_no_masked");
    json_put_cstr(&jw, w->licence_masked);
    json_key(&jw, "valid_until");
    json_put_cstr(&jw, w->valid_until);
    json_key(&jw, "review_due");
    json_put_cstr(&jw, w->review_due);
    json_key(&jw, "code");
    if (code)
        json_put_cstr(&jw, code);
    else
        json_put_null(&jw);
    json_end_object(&jw);
    free(out->json);
    out->json = json_writer_status(&jw) == WR_OK ? strdup(answer) : NULL;
    out->json_len = out->json ? strlen(out->json) : 0;
    admin_reply_done(r, out, "welder.create", COAP_RESPONSE_CODE_CREATED);
}

static void welders_create(admin_request *r, store *st, rules_welder *w)
{
    admin_pii pii;
    welders_hash_pii(admin_pii_key(r), w, &pii);
    char text[CODE_TEXT_MAX + 1];
    admin_code code;
    int issued = welders_issue_code(r, w, text, sizeof(text), &code);
    if (issued < 0) {
        admin_error(r, COAP_RESPONSE_CODE_INTERNAL_ERROR,
                    "could not sign the welder code (check code_issuer and the signing key)");
        return;
    }
    admin_outcome out;
    store_admin_create_welder(st, r->who->identity, w, &pii, issued == 0 ? &code : NULL, &out);
    if (out.status == STORE_OK)
        welders_answer(r, &out, w, issued == 0 ? text : NULL);
    else
        admin_reply_outcome(r, &out, "welder");
    admin_outcome_deinit(&out);
}

/* The PII key is needed to store a welder at all; its absence is a server setting. */
static bool welders_have_key(admin_request *r)
{
    if (admin_pii_key(r))
        return true;
    admin_error(r, COAP_RESPONSE_CODE_INTERNAL_ERROR,
                "the server has no usable pii_key_file, or its key is being rotated; welders "
                "cannot be stored");
    return false;
}

static void welders_post(admin_request *r)
{
    rules_welder w;
    char why[RULES_WHY_SIZE];
    if (!admin_read_body(r, WELDER_BODY_MAX))
        return;
    if (rules_check_welder(&r->doc, 0, false, &w, why, sizeof(why)) != WR_OK) {
        admin_reply_invalid(r, why);
        OPENSSL_cleanse(&w, sizeof(w));
        return;
    }
    store *st = admin_store(r);
    if (st && welders_have_key(r))
        welders_create(r, st, &w);
    OPENSSL_cleanse(&w, sizeof(w));
}

static void welders_update(admin_request *r, store *st, int64_t id, rules_welder *w)
{
    admin_pii pii;
    welders_hash_pii(admin_pii_key(r), w, &pii);
    admin_outcome out;
    store_admin_update_welder(st, r->who->identity, id, w, &pii, &out);
    admin_reply_change(r, &out, "welder.update", COAP_RESPONSE_CODE_CHANGED, "welder with this id");
}

static void welders_put(admin_request *r)
{
    int64_t id;
    rules_welder w;
    char why[RULES_WHY_SIZE];
    json_doc merged;
    if (!admin_put_begin(r, RULES_WELDER, WELDER_BODY_MAX, &id))
        return;
    store *st = admin_store(r); /* loads the keys welders_have_key() asks for */
    if (!st || !welders_have_key(r) || !admin_merged(r, st, ADMIN_WELDER, id, "welder", &merged))
        return;
    if (rules_check_welder(&merged, 0, true, &w, why, sizeof(why)) != WR_OK)
        admin_reply_invalid(r, why);
    else
        welders_update(r, st, id, &w);
    OPENSSL_cleanse(&w, sizeof(w));
    if (r->merged)
        OPENSSL_cleanse(r->merged, strlen(r->merged));
}

/* {"id", "note"} */
static void welders_retire(admin_request *r)
{
    int64_t id;
    char note[RULES_LONG_SIZE];
    if (!admin_read_body(r, WELDER_BODY_MAX) || !admin_body_id(r, "id", &id) ||
        !admin_body_text(r, "note", 200, note, sizeof(note)))
        return;
    store *st = admin_store(r);
    if (!st)
        return;
    admin_outcome out;
    store_admin_retire_welder(st, r->who->identity, id, note, &out);
    admin_reply_change(r, &out, "welder.retire", COAP_RESPONSE_CODE_CHANGED,
                       "welder with this id who is not retired already");
}

/* The optional "valid_until" of a training: "" (the re-training cycle sets it: a year after
 * completion, schema/008) or a date YYYY-MM-DD not before @p completed_day. False after
 * answering. */
static bool welders_training_validity(admin_request *r, int64_t completed_day, char *date,
                                      size_t cap)
{
    int64_t days;
    if (!admin_body_text(r, "valid_until", 10, date, cap))
        return false;
    if (!date[0] || (rules_parse_date(date, strlen(date), &days) == WR_OK && days >= completed_day))
        return true;
    admin_reply_invalid(r, "field \"valid_until\": expected a date YYYY-MM-DD, not before "
                           "\"completed_on\"");
    return false;
}

/* {"id", "course", "completed_on" (YYYY-MM-DD, not in the future), "hours", "provider",
 * optional "valid_until"}: the training on record that every certified welder needs before a
 * scan can unlock, valid until the end of valid_until (China time). */
static void welders_training(admin_request *r)
{
    int64_t id, days;
    char course[RULES_LONG_SIZE], provider[RULES_LONG_SIZE], date[16], hours[16], until[16];
    if (!admin_read_body(r, WELDER_BODY_MAX) || !admin_body_id(r, "id", &id) ||
        !admin_body_text(r, "course", 200, course, sizeof(course)) ||
        !admin_body_text(r, "completed_on", 10, date, sizeof(date)) ||
        !admin_body_text(r, "hours", 6, hours, sizeof(hours)) ||
        !admin_body_text(r, "provider", 200, provider, sizeof(provider)))
        return;
    char *end;
    double h = strtod(hours, &end);
    if (!course[0] || !provider[0]) {
        admin_reply_invalid(r, "fields \"course\" and \"provider\" are required");
        return;
    }
    if (rules_parse_date(date, strlen(date), &days) != WR_OK ||
        days * 86400 > (int64_t)time(NULL)) {
        admin_reply_invalid(
            r, "field \"completed_on\": expected a date YYYY-MM-DD, not in the future");
        return;
    }
    if (end == hours || *end || !(h > 0 && h <= 1000)) {
        admin_reply_invalid(r, "field \"hours\": expected a number above 0 and at most 1000");
        return;
    }
    if (!welders_training_validity(r, days, until, sizeof(until)))
        return;
    store *st = admin_store(r);
    if (!st)
        return;
    admin_outcome out;
    const store_training training = {.course = course,
                                     .completed_on = date,
                                     .hours = hours,
                                     .provider = provider,
                                     .valid_until = until};
    store_admin_add_training(st, r->who->identity, id, &training, &out);
    admin_reply_change(r, &out, "welder.training", COAP_RESPONSE_CODE_CREATED,
                       "welder with this id who is not retired");
}

/* The kind of an employment and its agency: "employee" (default, no agency) or "dispatched"
 * (劳务派遣, with the dispatch agency's name). False after answering. */
static bool welders_employment_kind(admin_request *r, char *kind, size_t kind_cap, char *agency,
                                    size_t agency_cap)
{
    if (!admin_body_text(r, "kind", 10, kind, kind_cap) ||
        !admin_body_text(r, "agency", 200, agency, agency_cap))
        return false;
    if (!kind[0])
        snprintf(kind, kind_cap, "employee");
    bool dispatched = strcmp(kind, "dispatched") == 0;
    if (!dispatched && strcmp(kind, "employee") != 0) {
        admin_reply_invalid(r, "field \"kind\": must be employee or dispatched");
        return false;
    }
    if (dispatched != (agency[0] != '\0')) {
        admin_reply_invalid(r, "field \"agency\": required for a dispatched worker (the "
                               "dispatch agency), and only for one");
        return false;
    }
    return true;
}

/* {"id", "enterprise_id", "kind", "agency", "since" (YYYY-MM-DD), "until" (optional, not before
 * since)}: the welder works for the enterprise (their own staff, or dispatched to it), so they
 * count in its community whether or not a permit names them. */
static void welders_employment(admin_request *r)
{
    int64_t id, enterprise, since_day, until_day;
    char kind[16], agency[RULES_LONG_SIZE], since[16], until[16];
    if (!admin_read_body(r, WELDER_BODY_MAX) || !admin_body_id(r, "id", &id) ||
        !admin_body_id(r, "enterprise_id", &enterprise) ||
        !welders_employment_kind(r, kind, sizeof(kind), agency, sizeof(agency)) ||
        !admin_body_text(r, "since", 10, since, sizeof(since)) ||
        !admin_body_text(r, "until", 10, until, sizeof(until)))
        return;
    if (rules_parse_date(since, strlen(since), &since_day) != WR_OK) {
        admin_reply_invalid(r, "field \"since\": expected a date YYYY-MM-DD");
        return;
    }
    if (until[0] &&
        (rules_parse_date(until, strlen(until), &until_day) != WR_OK || until_day < since_day)) {
        admin_reply_invalid(r, "field \"until\": expected a date YYYY-MM-DD, not before "
                               "\"since\"");
        return;
    }
    store *st = admin_store(r);
    if (!st)
        return;
    admin_outcome out;
    const store_employment e = {.welder_id = id,
                                .enterprise_id = enterprise,
                                .kind = kind,
                                .agency = agency,
                                .since = since,
                                .until = until};
    store_admin_add_employment(st, r->who->identity, &e, &out);
    admin_reply_change(r, &out, "welder.employment", COAP_RESPONSE_CODE_CREATED,
                       "welder with this id who is not retired");
}

ADMIN_HANDLER(hnd_get_welders, ADMIN_READ, welders_get)
ADMIN_HANDLER(hnd_post_welders, ADMIN_WRITE, welders_post)
ADMIN_HANDLER(hnd_put_welders, ADMIN_WRITE, welders_put)
ADMIN_HANDLER(hnd_post_welders_retire, ADMIN_WRITE, welders_retire)
ADMIN_HANDLER(hnd_post_welders_training, ADMIN_WRITE, welders_training)
ADMIN_HANDLER(hnd_post_welders_employment, ADMIN_WRITE, welders_employment)
