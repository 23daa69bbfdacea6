/* res_admin_survey.c — the survey (摸清底数) by CSV: POST /v1/enterprises/import and
 * POST /v1/machines/import. The whole file is checked (core/survey.c: the rules of one record of
 * the API, cell by cell; then the registry: community codes, owners, records registered
 * already) and EVERY problem is found: answered 4.00 with as many as one datagram holds, and all
 * of them (up to SURVEY_ERRORS_KEPT) as the 2.05 answer of ?check=true, which writes nothing.
 * Nothing is written unless the file is clean, and then all of it in one transaction. A machine
 * registered with another enterprise is a transfer: it moves to the row's enterprise
 * (machine_transfers records it) and gets a new code carrying its new owner's number; its old codes
 * are revoked. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "core/code.h"
#include "core/secret.h"
#include "core/survey.h"
#include "server/api/admin.h"
#include "server/api/api.h"
#include "server/api/res_admin_machines.h"
#include "server/api/res_admin_survey.h"
#include "server/loop/handlers.h"

#define SURVEY_REFUSAL_MAX 900 /* bytes of JSON: its CBOR fits one block of 1024 */

/* One survey under way: the file, the registry's answer, and for machines what is written. */
typedef struct survey_job {
    admin_request *r;
    survey_file file;
    char *lookup; /* the registry's JSON answer */
    json_token *tokens;
    json_doc doc;
    int64_t *transfer_of; /* machines: per row, the machine moved (0: a new one) */
} survey_job;

static void survey_job_deinit(survey_job *job)
{
    survey_file_deinit(&job->file);
    free(job->lookup);
    free(job->tokens);
    free(job->transfer_of);
}

/* The rows' registry keys, or their own keys, as a JSON array of strings (malloc'd): those of
 * a valid form only. */
static char *survey_keys_json(const survey_job *job, bool own)
{
    size_t cap = job->file.n_rows * (2 * SURVEY_KEY_SIZE + 8) + 8;
    char *text = malloc(cap);
    if (!text)
        return NULL;
    json_writer w;
    json_writer_init(&w, text, cap);
    json_begin_array(&w);
    for (size_t i = 0; i < job->file.n_rows; i++) {
        const survey_row *row = &job->file.rows[i];
        if (own ? row->own_ok : row->key_ok)
            json_put_cstr(&w, own ? row->own : row->key);
    }
    json_end_array(&w);
    if (json_writer_status(&w) != WR_OK) {
        free(text);
        return NULL;
    }
    return text;
}

/* Asks the registry about every row's keys; false after answering. */
static bool survey_lookup(survey_job *job, store *st)
{
    char *keys = survey_keys_json(job, false), *own = survey_keys_json(job, true);
    admin_outcome out = {0};
    if (keys && own)
        store_admin_survey_lookup(st, job->file.kind == SURVEY_MACHINES, keys, own, &out);
    free(keys);
    free(own);
    if (!keys || !own || out.status != STORE_OK || !out.json) {
        if (!keys || !own)
            admin_error(job->r, COAP_RESPONSE_CODE_INTERNAL_ERROR, "out of memory");
        else
            admin_reply_outcome(job->r, &out, "survey");
        admin_outcome_deinit(&out);
        return false;
    }
    job->lookup = out.json; /* taken over */
    size_t cap = out.json_len / 2 + 16;
    job->tokens = malloc(cap * sizeof(*job->tokens));
    if (!job->tokens ||
        json_parse(job->lookup, out.json_len, job->tokens, cap, &job->doc, NULL) != WR_OK) {
        admin_error(job->r, COAP_RESPONSE_CODE_INTERNAL_ERROR, "could not read the registry");
        return false;
    }
    return true;
}

/* The row's registry key resolved to an id (community, owner); 0 after recording a problem. */
static int64_t survey_resolve(survey_job *job, const survey_row *row)
{
    long keys = json_find(&job->doc, 0, "keys");
    long t = keys >= 0 ? json_find(&job->doc, (size_t)keys, row->key) : -1;
    if (t >= 0)
        return job->doc.tokens[t].i;
    if (job->file.kind == SURVEY_ENTERPRISES)
        survey_errors_add(&job->file.errors, row->line, row->key_column, "community", "社区不存在",
                          "no community has the code \"%s\"", row->key);
    else
        survey_errors_add(&job->file.errors, row->line, row->key_column, "enterprise_uscc",
                          "企业未登记或不在用",
                          "no active enterprise is registered with this USCC");
    return 0;
}

/* A machine registered already: a transfer when another enterprise has it, else a problem. */
static void survey_machine_known(survey_job *job, size_t i, long t)
{
    const survey_row *row = &job->file.rows[i];
    const json_token *tok = job->doc.tokens;
    size_t id_tok = (size_t)t + 1, ent_tok = tok[id_tok].next, status_tok = tok[ent_tok].next;
    int64_t id = tok[id_tok].i;
    if (json_string_is(&job->doc, status_tok, "scrapped"))
        survey_errors_add(&job->file.errors, row->line, row->id_column, "chip_id", "设备已报废",
                          "machine %lld with this chip id is scrapped", (long long)id);
    else if (tok[ent_tok].i == row->u.machine.enterprise_id)
        survey_errors_add(&job->file.errors, row->line, row->id_column, "chip_id",
                          "设备已在该企业登记",
                          "machine %lld is registered with this enterprise already", (long long)id);
    else
        job->transfer_of[i] = id;
}

/* Checks every row against the registry, adding its problems to the file's. */
static void survey_check_registry(survey_job *job)
{
    long own = json_find(&job->doc, 0, "own");
    for (size_t i = 0; i < job->file.n_rows; i++) {
        survey_row *row = &job->file.rows[i];
        int64_t id = row->key_ok ? survey_resolve(job, row) : 0;
        long t = own >= 0 && row->own_ok ? json_find(&job->doc, (size_t)own, row->own) : -1;
        if (job->file.kind == SURVEY_ENTERPRISES) {
            row->u.enterprise.community_id = id;
            if (t >= 0)
                survey_errors_add(&job->file.errors, row->line, row->id_column, "uscc",
                                  "企业已登记",
                                  "enterprise %lld is registered with this USCC already",
                                  (long long)job->doc.tokens[t + 1].i);
        } else {
            row->u.machine.enterprise_id = id;
            if (t >= 0 && id)
                survey_machine_known(job, i, t);
        }
    }
}

/* The JSON of the first @p shown problems of @p e into @p w. */
static void survey_problems_json(json_writer *w, bool check, const survey_errors *e, size_t shown)
{
    json_begin_object(w);
    if (check) {
        json_key(w, "valid");
        json_put_bool(w, e->total == 0);
    } else {
        json_key(w, "error");
        json_put_cstr(w, "文件有误，未写入任何记录 (the file has problems; nothing was written)");
    }
    json_key(w, "total");
    json_put_int(w, (int64_t)e->total);
    json_key(w, "shown");
    json_put_int(w, (int64_t)shown);
    json_key(w, "errors");
    json_begin_array(w);
    for (size_t i = 0; i < shown; i++) {
        const survey_error *it = &e->items[i];
        json_begin_object(w);
        json_key(w, "line");
        json_put_int(w, it->line);
        json_key(w, "column");
        json_put_int(w, it->column);
        json_key(w, "field");
        json_put_cstr(w, it->field);
        json_key(w, "zh");
        json_put_cstr(w, it->zh);
        json_key(w, "en");
        json_put_cstr(w, it->en);
        json_end_object(w);
    }
    json_end_array(w);
    json_end_object(w);
}

void survey_reply_problems(admin_request *r, coap_pdu_code_t code, survey_errors *e)
{
    bool check = code == COAP_RESPONSE_CODE_CONTENT;
    survey_errors_sort(e);
    size_t cap = e->kept * (sizeof(survey_error) * 2 + 64) + 512, shown = e->kept;
    char *text = malloc(cap);
    json_writer w;
    for (;;) {
        json_writer_init(&w, text, text ? cap : 0);
        survey_problems_json(&w, check, e, shown);
        /* a refusal goes in one datagram: libcoap's client fetches the further blocks of a
         * 2.xx answer only; the whole list is the answer of ?check=true */
        if (check || !text || w.len <= SURVEY_REFUSAL_MAX || shown == 0)
            break;
        size_t fit = shown * SURVEY_REFUSAL_MAX / w.len;
        shown = fit < shown ? fit : shown - 1;
    }
    if (text && json_writer_status(&w) == WR_OK)
        admin_reply_json(r, code, text, w.len);
    else
        admin_error(r, code, "%zu problems in the file", e->total);
    free(text);
}

static void survey_write_enterprises(survey_job *job, store *st)
{
    size_t n = job->file.n_rows;
    rules_enterprise *rows = calloc(n ? n : 1, sizeof(*rows));
    if (!rows) {
        admin_error(job->r, COAP_RESPONSE_CODE_INTERNAL_ERROR, "out of memory");
        return;
    }
    for (size_t i = 0; i < n; i++)
        rows[i] = job->file.rows[i].u.enterprise;
    admin_outcome out;
    store_admin_survey_enterprises(st, job->r->who->identity, rows, n, &out);
    free(rows);
    if (out.status == STORE_OK) {
        char answer[64];
        snprintf(answer, sizeof(answer), "{\"imported\":%zu}", n);
        out.json = strdup(answer);
        out.json_len = out.json ? strlen(out.json) : 0;
        admin_reply_done(job->r, &out, "enterprise.import", COAP_RESPONSE_CODE_CREATED);
    } else {
        admin_reply_outcome(job->r, &out, "enterprise");
    }
    admin_outcome_deinit(&out);
}

/* What is written for one machine, and its secrets until they are answered. */
typedef struct survey_machine {
    admin_survey_machine s;
    admin_code code;
    char text[CODE_TEXT_MAX + 1];
    char psk[SECRET_PSK_LEN + 1];
} survey_machine;

/* Signs each machine's code (with its owner's number) and makes each new one's PSK; false
 * after answering. */
static bool survey_prepare_machines(survey_job *job, survey_machine *ms)
{
    for (size_t i = 0; i < job->file.n_rows; i++) {
        survey_machine *m = &ms[i];
        m->s.m = &job->file.rows[i].u.machine;
        m->s.transfer_of = job->transfer_of[i];
        int signed_ = machines_sign_code(job->r, m->s.m, m->text, sizeof(m->text), &m->code);
        if (signed_ < 0) {
            admin_error(job->r,
                        signed_ == -2 ? COAP_RESPONSE_CODE_BAD_REQUEST
                                      : COAP_RESPONSE_CODE_INTERNAL_ERROR,
                        "line %u: %s", job->file.rows[i].line,
                        signed_ == -2 ? MACHINES_UNCODABLE : MACHINES_UNSIGNED);
            return false;
        }
        m->s.code = signed_ == 0 ? &m->code : NULL;
        if (!m->s.transfer_of && secret_new_psk(m->psk) != WR_OK) {
            admin_error(job->r, COAP_RESPONSE_CODE_INTERNAL_ERROR, "could not make a PSK");
            return false;
        }
        m->s.psk = m->s.transfer_of ? NULL : m->psk;
    }
    return true;
}

/* {"created", "transferred", "machines": [{"line", "id", "chip_id", "enterprise_id",
 * "transferred", "psk" (new machines: shown this once), "code"}]} */
static char *survey_machines_answer(const survey_job *job, const survey_machine *ms, size_t *len)
{
    size_t n = job->file.n_rows, cap = n * (CODE_TEXT_MAX + 256) + 64, moved = 0;
    char *text = malloc(cap);
    json_writer w;
    json_writer_init(&w, text, text ? cap : 0);
    for (size_t i = 0; i < n; i++)
        moved += ms[i].s.transfer_of != 0;
    json_begin_object(&w);
    json_key(&w, "created");
    json_put_int(&w, (int64_t)(n - moved));
    json_key(&w, "transferred");
    json_put_int(&w, (int64_t)moved);
    json_key(&w, "machines");
    json_begin_array(&w);
    for (size_t i = 0; i < n; i++) {
        const survey_machine *m = &ms[i];
        json_begin_object(&w);
        json_key(&w, "line");
        json_put_int(&w, job->file.rows[i].line);
        json_key(&w, "id");
        json_put_int(&w, m->s.id);
        json_key(&w, "chip_id");
        json_put_cstr(&w, m->s.m->chip_id);
        json_key(&w, "enterprise_id");
        json_put_int(&w, m->s.m->enterprise_id);
        json_key(&w, "transferred");
        json_put_bool(&w, m->s.transfer_of != 0);
        json_key(&w, "psk");
        m->s.psk ? json_put_cstr(&w, m->s.psk) : json_put_null(&w);
        json_key(&w, "code");
        m->s.code ? json_put_cstr(&w, m->text) : json_put_null(&w);
        json_end_object(&w);
    }
    json_end_array(&w);
    json_end_object(&w);
    if (text && json_writer_status(&w) != WR_OK) {
        OPENSSL_cleanse(text, cap);
        free(text);
        text = NULL;
    }
    *len = text ? w.len : 0;
    return text;
}

static void survey_write_machines(survey_job *job, store *st)
{
    size_t n = job->file.n_rows;
    survey_machine *ms = calloc(n ? n : 1, sizeof(*ms));
    admin_survey_machine *rows = NULL;
    admin_outcome out = {0};
    if (!ms)
        admin_error(job->r, COAP_RESPONSE_CODE_INTERNAL_ERROR, "out of memory");
    if (!ms || !survey_prepare_machines(job, ms))
        goto cleanup;
    rows = calloc(n ? n : 1, sizeof(*rows));
    for (size_t i = 0; rows && i < n; i++)
        rows[i] = ms[i].s;
    if (rows)
        store_admin_survey_machines(st, job->r->who->identity, rows, n, admin_kek(job->r), &out);
    for (size_t i = 0; rows && i < n; i++)
        ms[i].s.id = rows[i].id;
    free(rows);
    if (!rows)
        admin_error(job->r, COAP_RESPONSE_CODE_INTERNAL_ERROR, "out of memory");
    else if (out.status != STORE_OK)
        admin_reply_outcome(job->r, &out, "machine");
    else if ((out.json = survey_machines_answer(job, ms, &out.json_len)) == NULL)
        admin_error(job->r, COAP_RESPONSE_CODE_INTERNAL_ERROR, "could not encode the answer");
    else
        admin_reply_done(job->r, &out, "machine.import", COAP_RESPONSE_CODE_CREATED);
    if (out.json)
        OPENSSL_cleanse(out.json, out.json_len);
cleanup:
    admin_outcome_deinit(&out);
    if (ms)
        OPENSSL_cleanse(ms, n * sizeof(*ms));
    free(ms);
}

bool survey_check_param(admin_request *r, bool *check)
{
    static const char *const known[] = {"check", NULL};
    static const char *const values[] = {"true", "false", NULL};
    char value[8];
    if (!admin_query_known(r, known) || !admin_query_enum(r, "check", values, value, sizeof(value)))
        return false;
    *check = strcmp(value, "true") == 0;
    return true;
}

static void survey_post(admin_request *r, survey_kind kind)
{
    const uint8_t *body;
    size_t len;
    bool check;
    if (!survey_check_param(r, &check) || !admin_raw_body(r, ADMIN_FORMAT_TEXT, &body, &len))
        return;
    store *st = admin_store(r);
    if (!st)
        return;
    survey_job job = {.r = r};
    if (survey_read(kind, (const char *)body, len, &job.file) != WR_OK) {
        admin_error(r, COAP_RESPONSE_CODE_INTERNAL_ERROR, "out of memory");
        goto cleanup;
    }
    job.transfer_of = calloc(job.file.n_rows ? job.file.n_rows : 1, sizeof(*job.transfer_of));
    if (!job.transfer_of) {
        admin_error(r, COAP_RESPONSE_CODE_INTERNAL_ERROR, "out of memory");
        goto cleanup;
    }
    if (job.file.n_rows) {
        if (!survey_lookup(&job, st))
            goto cleanup;
        survey_check_registry(&job);
    }
    if (check || job.file.errors.total)
        survey_reply_problems(r,
                              check ? COAP_RESPONSE_CODE_CONTENT : COAP_RESPONSE_CODE_BAD_REQUEST,
                              &job.file.errors);
    else if (kind == SURVEY_ENTERPRISES)
        survey_write_enterprises(&job, st);
    else
        survey_write_machines(&job, st);
cleanup:
    survey_job_deinit(&job);
}

static void survey_enterprises(admin_request *r)
{
    survey_post(r, SURVEY_ENTERPRISES);
}

static void survey_machines(admin_request *r)
{
    survey_post(r, SURVEY_MACHINES);
}

ADMIN_HANDLER(hnd_post_enterprises_import, ADMIN_WRITE, survey_enterprises)
ADMIN_HANDLER(hnd_post_machines_import, ADMIN_WRITE, survey_machines)
