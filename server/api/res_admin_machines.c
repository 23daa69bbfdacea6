/* res_admin_machines.c — /v1/machines: list and read (admins; inspectors in their communities),
 * enrol (a machine, its principal with a new PSK shown once, and its signed machine code),
 * update, transfer to another enterprise, and retire (scrap: codes revoked, principal off). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "core/code.h"
#include "core/cose.h"
#include "core/registry_rules.h"
#include "core/secret.h"
#include "server/api/admin.h"
#include "server/api/api.h"
#include "server/api/res_admin_machines.h"
#include "server/loop/handlers.h"
#include "server/loop/reply.h"

#define MACHINE_BODY_MAX (64u << 10)

static void machines_get(admin_request *r)
{
    admin_list(r, ADMIN_MACHINE, "machine");
}

static unsigned machines_category(const char *name)
{
    return strcmp(name, "pressure") == 0  ? CODE_CAT_PRESSURE
           : strcmp(name, "brazing") == 0 ? CODE_CAT_BRAZING
                                          : CODE_CAT_FUSION;
}

int machines_sign_code(admin_request *r, const rules_machine *m, char *text, size_t cap,
                       admin_code *code)
{
    EVP_PKEY *key = admin_signing_key(r);
    if (!key)
        return 1;
    code_claims c = {.kind = CODE_MACHINE};
    snprintf(c.iss, sizeof(c.iss), "%.*s", CODE_ISS_MAX, r->cfg->code_issuer);
    c.iat = (uint64_t)time(NULL);
    c.exp = c.iat + (uint64_t)MACHINE_CODE_DAYS * 86400;
    snprintf(c.chip, sizeof(c.chip), "%s", m->chip_id);
    c.ent = (uint64_t)m->enterprise_id;
    c.cat = machines_category(m->process_category);
    wr_status issued = code_new_cti(c.cti);
    if (issued == WR_OK)
        issued = code_issue(&c, key, text, cap);
    if (issued == WR_EINVAL || issued == WR_ETOOBIG)
        return -2;
    if (issued != WR_OK || cose_key_id(key, code->kid) != WR_OK)
        return -1;
    memcpy(code->cti, c.cti, sizeof(code->cti));
    code->expires_at = (int64_t)c.exp;
    code->text = text;
    return 0;
}

int machines_issue_code(admin_request *r, store *st, const rules_machine *m, char *text, size_t cap,
                        admin_code *code)
{
    char uscc[19] = "";
    admin_outcome out;
    store_admin_enterprise_uscc(st, m->enterprise_id, uscc, &out);
    if (out.status != STORE_OK || out.not_found) {
        if (out.not_found)
            admin_reply_invalid(r, "field \"enterprise_id\": no active enterprise has this id");
        else
            admin_reply_outcome(r, &out, "machine");
        return -1;
    }
    int signed_ = machines_sign_code(r, m, text, cap, code);
    if (signed_ == -2)
        admin_reply_invalid(r, MACHINES_UNCODABLE);
    else if (signed_ < 0)
        admin_error(r, COAP_RESPONSE_CODE_INTERNAL_ERROR, MACHINES_UNSIGNED);
    return signed_ < 0 ? -1 : signed_;
}

/* {"id", "chip_id", "psk", "code"}: the PSK is shown this once. */
static void machines_answer(admin_request *r, admin_outcome *out, const char *chip, const char *psk,
                            const char *code)
{
    char answer[1024];
    json_writer w;
    json_writer_init(&w, answer, sizeof(answer));
    json_begin_object(&w);
    json_key(&w, "id");
    json_put_int(&w, out->id);
    json_key(&w, "chip_id");
    json_put_cstr(&w, chip);
    json_key(&w, "psk");
    json_put_cstr(&w, psk);
    json_key(&w, "code");
    if (code)
        json_put_cstr(&w, code);
    else
        json_put_null(&w);
    json_end_object(&w);
    free(out->json);
    out->json = json_writer_status(&w) == WR_OK ? strdup(answer) : NULL;
    out->json_len = out->json ? strlen(out->json) : 0;
    OPENSSL_cleanse(answer, sizeof(answer));
    admin_reply_done(r, out, "machine.create", COAP_RESPONSE_CODE_CREATED);
    if (out->json)
        OPENSSL_cleanse(out->json, out->json_len);
}

static void machines_post(admin_request *r)
{
    rules_machine m;
    char why[RULES_WHY_SIZE];
    if (!admin_read_body(r, MACHINE_BODY_MAX))
        return;
    if (rules_check_machine(&r->doc, 0, &m, why, sizeof(why)) != WR_OK) {
        admin_reply_invalid(r, why);
        return;
    }
    store *st = admin_store(r);
    if (!st)
        return;
    char text[CODE_TEXT_MAX + 1];
    admin_code code;
    int issued = machines_issue_code(r, st, &m, text, sizeof(text), &code);
    if (issued < 0)
        return;
    char psk[SECRET_PSK_LEN + 1];
    if (secret_new_psk(psk) != WR_OK) {
        admin_error(r, COAP_RESPONSE_CODE_INTERNAL_ERROR, "could not make a PSK");
        return;
    }
    admin_outcome out;
    store_admin_create_machine(st, r->who->identity, &m, admin_kek(r), psk,
                               issued == 0 ? &code : NULL, &out);
    if (out.status == STORE_OK)
        machines_answer(r, &out, m.chip_id, psk, issued == 0 ? text : NULL);
    else
        admin_reply_outcome(r, &out, "machine");
    OPENSSL_cleanse(psk, sizeof(psk));
    admin_outcome_deinit(&out);
}

static void machines_put(admin_request *r)
{
    int64_t id;
    rules_machine m;
    char why[RULES_WHY_SIZE];
    json_doc merged;
    if (!admin_put_begin(r, RULES_MACHINE, MACHINE_BODY_MAX, &id))
        return;
    store *st = admin_store(r);
    if (!st || !admin_merged(r, st, ADMIN_MACHINE, id, "active machine", &merged))
        return;
    if (rules_check_machine(&merged, 0, &m, why, sizeof(why)) != WR_OK) {
        admin_reply_invalid(r, why);
        return;
    }
    admin_outcome out;
    store_admin_update_machine(st, r->who->identity, id, &m, &out);
    admin_reply_change(r, &out, "machine.update", COAP_RESPONSE_CODE_CHANGED,
                       "active machine with this id");
}

/* {"id", "enterprise_id", "note"} */
static void machines_transfer(admin_request *r)
{
    int64_t id, enterprise_id;
    char note[RULES_LONG_SIZE];
    if (!admin_read_body(r, MACHINE_BODY_MAX) || !admin_body_id(r, "id", &id) ||
        !admin_body_id(r, "enterprise_id", &enterprise_id) ||
        !admin_body_text(r, "note", 200, note, sizeof(note)))
        return;
    store *st = admin_store(r);
    if (!st)
        return;
    admin_outcome out;
    store_admin_transfer_machine(st, r->who->identity, id, enterprise_id, note, &out);
    admin_reply_change(r, &out, "machine.transfer", COAP_RESPONSE_CODE_CHANGED,
                       "active machine with this id in another enterprise");
}

/* {"id", "note"}: scraps the machine. */
static void machines_retire(admin_request *r)
{
    int64_t id;
    char note[RULES_LONG_SIZE];
    if (!admin_read_body(r, MACHINE_BODY_MAX) || !admin_body_id(r, "id", &id) ||
        !admin_body_text(r, "note", 200, note, sizeof(note)))
        return;
    store *st = admin_store(r);
    if (!st)
        return;
    admin_outcome out;
    store_admin_scrap_machine(st, r->who->identity, id, note, &out);
    admin_reply_change(r, &out, "machine.scrap", COAP_RESPONSE_CODE_CHANGED,
                       "machine with this id that is not scrapped already");
}

ADMIN_HANDLER(hnd_get_machines, ADMIN_READ, machines_get)
ADMIN_HANDLER(hnd_post_machines, ADMIN_WRITE, machines_post)
ADMIN_HANDLER(hnd_put_machines, ADMIN_WRITE, machines_put)
ADMIN_HANDLER(hnd_post_machines_transfer, ADMIN_WRITE, machines_transfer)
ADMIN_HANDLER(hnd_post_machines_retire, ADMIN_WRITE, machines_retire)
