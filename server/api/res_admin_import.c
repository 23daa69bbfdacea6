/* res_admin_import.c — POST /v1/welders/import: a CSV survey of welders (UTF-8, a header row
 * naming the columns), checked whole by core/survey.c with EVERY problem placed by line and
 * column (4.00), then written in one transaction through COPY; welders registered already are
 * all named (4.09); nothing is written unless the whole file is clean. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "core/code.h"
#include "core/hex.h"
#include "core/registry_rules.h"
#include "core/survey.h"
#include "server/api/admin.h"
#include "server/api/api.h"
#include "server/loop/handlers.h"
#include "server/loop/log.h"
#include "server/loop/reply.h"
#include "server/api/res_admin_survey.h"
#include "server/api/res_admin_welders.h"
#include "server/db/textbuf.h"

/* A text field of COPY's text format: backslash, tab, LF and CR escaped; "" is \N (NULL). */
static void import_put_field(textbuf *b, const char *s, bool last)
{
    if (!s[0])
        textbuf_put(b, "\\N", 2);
    for (; *s; s++) {
        const char *esc = *s == '\\'   ? "\\\\"
                          : *s == '\t' ? "\\t"
                          : *s == '\n' ? "\\n"
                          : *s == '\r' ? "\\r"
                                       : NULL;
        textbuf_put(b, esc ? esc : s, esc ? 2 : 1);
    }
    textbuf_put(b, last ? "\n" : "\t", 1);
}

static void import_put_bytes(textbuf *b, const uint8_t *p, size_t n)
{
    char hex[2 * 32 + 4] = "\\\\x";
    hex_encode(p, n < 32 ? n : 32, hex + 3);
    textbuf_put(b, hex, strlen(hex));
    textbuf_put(b, "\t", 1);
}

static void import_put_hash(textbuf *b, const uint8_t h[32])
{
    import_put_bytes(b, h, 32);
}

static void import_put_welder(textbuf *b, unsigned line, const rules_welder *w,
                              const admin_pii *pii)
{
    static const char *const names[] = {"fusion", "pressure", "brazing"};
    char cats[48] = "{";
    for (unsigned i = 0; i < 3; i++)
        if (w->categories & (1u << i))
            snprintf(cats + strlen(cats), sizeof(cats) - strlen(cats), "%s%s",
                     strlen(cats) > 1 ? "," : "", names[i]);
    snprintf(cats + strlen(cats), sizeof(cats) - strlen(cats), "}");
    char number[16];
    snprintf(number, sizeof(number), "%u", line);
    import_put_field(b, number, false);
    import_put_field(b, w->name, false);
    import_put_hash(b, pii->idcard_hash);
    import_put_field(b, w->idcard_masked, false);
    import_put_field(b, w->phone, false);
    import_put_hash(b, pii->licence_hash);
    import_put_field(b, w->licence_masked, false);
    import_put_field(b, cats, false);
    import_put_field(b, w->issued_on, false);
    import_put_field(b, w->valid_until, false);
    import_put_field(b, w->review_due, false);
    import_put_field(b, w->long_record ? "t" : "f", false);
}

/* The welder's code, or four NULLs when none could be issued (no signing key, licence over). */
static void import_put_code(textbuf *b, const admin_code *code)
{
    char expires[24];
    if (!code) {
        textbuf_put(b, "\\N\t\\N\t\\N\t\\N\n", 12);
        return;
    }
    snprintf(expires, sizeof(expires), "%lld", (long long)code->expires_at);
    import_put_bytes(b, code->cti, sizeof(code->cti));
    import_put_bytes(b, code->kid, sizeof(code->kid));
    import_put_field(b, expires, false);
    import_put_field(b, code->text, true);
}

/* COPY text of every welder of @p f (all valid), hashed under the PII key, each with the code
 * the API signs for it like for any other welder. 0, or -1 when a code could not be signed
 * (answered) or out of memory (not answered). */
static int import_copy(admin_request *r, const survey_file *f, textbuf *copy)
{
    for (size_t i = 0; i < f->n_rows && !copy->failed; i++) {
        const rules_welder *w = &f->rows[i].u.welder;
        admin_pii pii;
        char text[CODE_TEXT_MAX + 1];
        admin_code code;
        welders_hash_pii(admin_pii_key(r), w, &pii);
        int issued = welders_issue_code(r, w, text, sizeof(text), &code);
        if (issued < 0) {
            admin_error(r, COAP_RESPONSE_CODE_INTERNAL_ERROR,
                        "line %u: could not sign the welder code (check code_issuer and the "
                        "signing key)",
                        f->rows[i].line);
            return -1;
        }
        import_put_welder(copy, f->rows[i].line, w, &pii);
        import_put_code(copy, issued == 0 ? &code : NULL);
    }
    if (copy->failed)
        admin_error(r, COAP_RESPONSE_CODE_INTERNAL_ERROR, "out of memory");
    return copy->failed ? -1 : 0;
}

/* The column of @p field ("idcard", "licence_no") on @p line. */
static unsigned import_column(const survey_file *f, unsigned line, const char *field)
{
    for (size_t i = 0; i < f->n_rows; i++)
        if (f->rows[i].line == line)
            return strcmp(field, "idcard") == 0 ? f->rows[i].id_column : f->rows[i].id2_column;
    return 0;
}

/* Answers @p code (4.09, or 2.05 for a check) naming every line whose number a registered
 * welder has (@p total in all, the first @p n in @p c). */
static void import_conflicts(admin_request *r, survey_file *f, const admin_import_conflict *c,
                             size_t n, size_t total, coap_pdu_code_t code)
{
    f->errors.total += total > n ? total - n : 0;
    for (size_t i = 0; i < n; i++)
        survey_errors_add(&f->errors, c[i].line, import_column(f, c[i].line, c[i].field),
                          c[i].field, "焊工已登记",
                          "welder %lld is registered with this number already",
                          (long long)c[i].welder_id);
    survey_reply_problems(r, code, &f->errors);
}

/* Imports the welders, or with @p check only finds those registered already. */
static void import_write(admin_request *r, store *st, survey_file *f, textbuf *copy, bool check)
{
    admin_outcome out;
    admin_import_conflict conflicts[SURVEY_ERRORS_KEPT];
    size_t n_conflicts = 0, total = 0;
    store_admin_import_welders(st, r->who->identity, copy->data, copy->len, check, conflicts,
                               SURVEY_ERRORS_KEPT, &n_conflicts, &total, &out);
    if (check && (out.status == STORE_OK || n_conflicts)) {
        import_conflicts(r, f, conflicts, n_conflicts, total, COAP_RESPONSE_CODE_CONTENT);
    } else if (out.status == STORE_OK) {
        out.id = (int64_t)f->n_rows;
        admin_reply_done(r, &out, "welder.import", COAP_RESPONSE_CODE_CREATED);
    } else if (n_conflicts) {
        import_conflicts(r, f, conflicts, n_conflicts, total, COAP_RESPONSE_CODE_CONFLICT);
    } else {
        admin_reply_outcome(r, &out, "welders");
    }
    admin_outcome_deinit(&out);
}

static void welders_import(admin_request *r)
{
    const uint8_t *body;
    size_t len;
    bool check;
    if (!survey_check_param(r, &check) || !admin_raw_body(r, ADMIN_FORMAT_TEXT, &body, &len))
        return;
    store *st = admin_store(r);
    if (!st)
        return;
    if (!admin_pii_key(r)) {
        admin_error(r, COAP_RESPONSE_CODE_INTERNAL_ERROR,
                    "the server has no usable pii_key_file, or its key is being rotated; welders "
                    "cannot be stored");
        return;
    }
    survey_file f;
    textbuf copy = {0};
    bool read = survey_read(SURVEY_WELDERS, (const char *)body, len, &f) == WR_OK;
    if (!read)
        admin_error(r, COAP_RESPONSE_CODE_INTERNAL_ERROR, "out of memory");
    else if (f.errors.total)
        survey_reply_problems(
            r, check ? COAP_RESPONSE_CODE_CONTENT : COAP_RESPONSE_CODE_BAD_REQUEST, &f.errors);
    else if (import_copy(r, &f, &copy) == 0)
        import_write(r, st, &f, &copy, check);
    if (copy.data)
        OPENSSL_cleanse(copy.data, copy.len);
    free(copy.data);
    survey_file_deinit(&f);
}

ADMIN_HANDLER(hnd_post_welders_import, ADMIN_WRITE, welders_import)
