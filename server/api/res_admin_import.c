/* res_admin_import.c — POST /v1/welders/import: a CSV survey of welders (UTF-8, a header row
 * naming the columns), validated as a whole with every error placed by line and column, then
 * written in one transaction through COPY; nothing is written unless the whole file is clean. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "core/code.h"
#include "core/csv.h"
#include "core/registry_rules.h"
#include "server/api/admin.h"
#include "server/api/api.h"
#include "server/loop/handlers.h"
#include "server/loop/log.h"
#include "server/loop/reply.h"
#include "server/api/res_admin_welders.h"
#include "server/db/textbuf.h"

#define IMPORT_COLUMNS_MAX 16
#define IMPORT_ROW_JSON    4096

static const char *const import_columns[] = {"name",        "idcard",     "licence_no",
                                             "phone",       "categories", "issued_on",
                                             "valid_until", "review_due", "long_record"};
#define IMPORT_N_COLUMNS (sizeof(import_columns) / sizeof(import_columns[0]))
static const char *const import_required[] = {"name", "idcard", "licence_no", "categories",
                                              "issued_on"};

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

static void import_put_hash(textbuf *b, const uint8_t h[32])
{
    char hex[2 * 32 + 4] = "\\\\x";
    for (size_t i = 0; i < 32; i++)
        snprintf(hex + 3 + 2 * i, 3, "%02x", h[i]);
    textbuf_put(b, hex, strlen(hex));
    textbuf_put(b, "\t", 1);
}

static void import_put_bytes(textbuf *b, const uint8_t *p, size_t n)
{
    char hex[2 * 32 + 4] = "\\\\x";
    for (size_t i = 0; i < n && i < 32; i++)
        snprintf(hex + 3 + 2 * i, 3, "%02x", p[i]);
    textbuf_put(b, hex, strlen(hex));
    textbuf_put(b, "\t", 1);
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

/* Hashes seen so far, to name the two lines of a duplicate within the file. */
typedef struct import_seen {
    uint8_t hash[32];
    unsigned line;
} import_seen;

static int import_seen_cmp(const void *a, const void *b)
{
    const import_seen *x = a, *y = b;
    int c = memcmp(x->hash, y->hash, 32);
    return c ? c : (x->line > y->line) - (x->line < y->line);
}

/* The first duplicate in @p seen (sorted here); 0 if none, else its later line. */
static unsigned import_duplicate(import_seen *seen, size_t n, unsigned *first)
{
    qsort(seen, n, sizeof(*seen), import_seen_cmp);
    unsigned found = 0;
    for (size_t i = 1; i < n; i++)
        if (memcmp(seen[i].hash, seen[i - 1].hash, 32) == 0 && (!found || seen[i].line < found)) {
            found = seen[i].line;
            *first = seen[i - 1].line;
        }
    return found;
}

/* The import of one file. */
typedef struct import_job {
    admin_request *r;
    int column_of[IMPORT_N_COLUMNS]; /* CSV column of each known column, -1 if absent */
    size_t n_columns;
    textbuf copy;
    import_seen *idcards, *licences;
    size_t rows, cap;
    char why[RULES_WHY_SIZE + 64];
} import_job;

static void import_job_deinit(import_job *job)
{
    if (job->copy.data)
        OPENSSL_cleanse(job->copy.data, job->copy.len);
    free(job->copy.data);
    free(job->idcards);
    free(job->licences);
}

static int import_known_column(const char *name)
{
    for (size_t i = 0; i < IMPORT_N_COLUMNS; i++)
        if (strcmp(import_columns[i], name) == 0)
            return (int)i;
    return -1;
}

static bool import_header(import_job *job, const csv_field *f, size_t n)
{
    for (size_t i = 0; i < IMPORT_N_COLUMNS; i++)
        job->column_of[i] = -1;
    job->n_columns = n;
    for (size_t i = 0; i < n; i++) {
        char name[64];
        int k =
            csv_field_value(&f[i], name, sizeof(name)) == WR_OK ? import_known_column(name) : -1;
        if (k < 0 || job->column_of[k] >= 0) {
            snprintf(job->why, sizeof(job->why), "line %u, column %u: %s column", f[i].line,
                     f[i].column, k < 0 ? "unknown" : "repeated");
            return false;
        }
        job->column_of[k] = (int)i;
    }
    for (size_t i = 0; i < sizeof(import_required) / sizeof(import_required[0]); i++)
        if (job->column_of[import_known_column(import_required[i])] < 0) {
            snprintf(job->why, sizeof(job->why), "line 1: the header lacks column \"%s\"",
                     import_required[i]);
            return false;
        }
    return true;
}

/* One row as the JSON object the API takes: empty cells are absent, categories are split at
 * ';' or '|', long_record is true/false (or 1/0, 是/否). */
static bool import_row_json(const import_job *job, const csv_field *f, json_writer *w)
{
    json_begin_object(w);
    for (size_t k = 0; k < IMPORT_N_COLUMNS; k++) {
        char value[1024];
        if (job->column_of[k] < 0 ||
            csv_field_value(&f[job->column_of[k]], value, sizeof(value)) != WR_OK || !value[0])
            continue;
        json_key(w, import_columns[k]);
        if (strcmp(import_columns[k], "categories") == 0) {
            json_begin_array(w);
            for (char *save = NULL, *tok = strtok_r(value, ";|", &save); tok;
                 tok = strtok_r(NULL, ";|", &save))
                json_put_cstr(w, tok);
            json_end_array(w);
        } else if (strcmp(import_columns[k], "long_record") == 0) {
            bool yes =
                strcmp(value, "true") == 0 || strcmp(value, "1") == 0 || strcmp(value, "是") == 0;
            bool no =
                strcmp(value, "false") == 0 || strcmp(value, "0") == 0 || strcmp(value, "否") == 0;
            if (yes || no)
                json_put_bool(w, yes);
            else
                json_put_cstr(w, value); /* refused by the rules with the field's name */
        } else {
            json_put_cstr(w, value);
        }
    }
    json_end_object(w);
    return json_writer_status(w) == WR_OK;
}

/* Places a rules message ("field \"x\": ...") at the cell of x. */
static void import_place(import_job *job, const csv_field *f, unsigned line, const char *why)
{
    char field[32] = "";
    sscanf(why, "field \"%31[^\"]\"", field);
    int k = import_known_column(field);
    if (k >= 0 && job->column_of[k] >= 0)
        snprintf(job->why, sizeof(job->why), "line %u, column %u: %s", f[job->column_of[k]].line,
                 f[job->column_of[k]].column, why);
    else
        snprintf(job->why, sizeof(job->why), "line %u: %s", line, why);
}

static bool import_remember(import_job *job, const admin_pii *pii, unsigned line)
{
    if (job->rows == job->cap) {
        size_t cap = job->cap ? job->cap * 2 : 1024;
        import_seen *a = realloc(job->idcards, cap * sizeof(*a));
        if (a)
            job->idcards = a;
        import_seen *b = a ? realloc(job->licences, cap * sizeof(*b)) : NULL;
        if (b)
            job->licences = b;
        if (!a || !b)
            return false;
        job->cap = cap;
    }
    memcpy(job->idcards[job->rows].hash, pii->idcard_hash, 32);
    memcpy(job->licences[job->rows].hash, pii->licence_hash, 32);
    job->idcards[job->rows].line = job->licences[job->rows].line = line;
    job->rows++;
    return true;
}

static bool import_row(import_job *job, const csv_field *f, size_t n)
{
    unsigned line = f[0].line;
    if (n != job->n_columns) {
        snprintf(job->why, sizeof(job->why), "line %u: expected %zu fields, found %zu", line,
                 job->n_columns, n);
        return false;
    }
    char text[IMPORT_ROW_JSON];
    json_token tokens[64];
    json_doc doc;
    json_writer w;
    json_writer_init(&w, text, sizeof(text));
    rules_welder welder;
    char why[RULES_WHY_SIZE];
    bool ok =
        import_row_json(job, f, &w) && json_parse(text, w.len, tokens, 64, &doc, NULL) == WR_OK;
    if (!ok)
        snprintf(job->why, sizeof(job->why), "line %u: the row is too long", line);
    else if (rules_check_welder(&doc, 0, false, &welder, why, sizeof(why)) != WR_OK)
        import_place(job, f, line, why);
    if (ok && job->why[0] == '\0') {
        admin_pii pii;
        welders_hash_pii(admin_pii_key(job->r), &welder, &pii);
        char code_text[CODE_TEXT_MAX + 1];
        admin_code code;
        int issued = welders_issue_code(job->r, &welder, code_text, sizeof(code_text), &code);
        import_put_welder(&job->copy, line, &welder, &pii);
        import_put_code(&job->copy, issued == 0 ? &code : NULL);
        if (issued < 0)
            snprintf(job->why, sizeof(job->why),
                     "line %u: could not sign the welder code (check code_issuer and the "
                     "signing key)",
                     line);
        else if (!import_remember(job, &pii, line) || job->copy.failed)
            snprintf(job->why, sizeof(job->why), "out of memory");
    }
    OPENSSL_cleanse(&welder, sizeof(welder));
    OPENSSL_cleanse(text, sizeof(text));
    return job->why[0] == '\0';
}

/* Reads and checks the whole file; false with the first problem in job->why. */
static bool import_read(import_job *job, const char *text, size_t len)
{
    csv_reader reader;
    csv_field f[IMPORT_COLUMNS_MAX];
    size_t n;
    csv_error err;
    csv_reader_init(&reader, text, len);
    wr_status st = csv_next(&reader, f, IMPORT_COLUMNS_MAX, &n, &err);
    if (st == WR_ENOTFOUND) {
        snprintf(job->why, sizeof(job->why), "the file is empty");
        return false;
    }
    if (st == WR_OK && !import_header(job, f, n))
        return false;
    while (st == WR_OK && (st = csv_next(&reader, f, IMPORT_COLUMNS_MAX, &n, &err)) == WR_OK)
        if (!import_row(job, f, n))
            return false;
    if (st != WR_ENOTFOUND) {
        snprintf(job->why, sizeof(job->why), "line %u, column %u: %s", err.line, err.column,
                 err.message);
        return false;
    }
    unsigned first = 0, again = import_duplicate(job->idcards, job->rows, &first);
    const char *field = "idcard";
    if (!again) {
        again = import_duplicate(job->licences, job->rows, &first);
        field = "licence_no";
    }
    if (again) {
        snprintf(job->why, sizeof(job->why), "line %u: field \"%s\": the same number as on line %u",
                 again, field, first);
        return false;
    }
    if (job->rows == 0)
        snprintf(job->why, sizeof(job->why), "the file has a header but no welders");
    return job->rows > 0;
}

static void welders_import(admin_request *r)
{
    const uint8_t *body;
    size_t len;
    if (!admin_raw_body(r, ADMIN_FORMAT_TEXT, &body, &len))
        return;
    store *st = admin_store(r);
    if (!st)
        return;
    if (!admin_pii_key(r)) {
        admin_error(r, COAP_RESPONSE_CODE_INTERNAL_ERROR,
                    "the server has no usable pii_key_file; welders cannot be stored");
        return;
    }
    import_job job = {.r = r};
    if (!import_read(&job, (const char *)body, len)) {
        admin_reply_invalid(r, job.why);
        import_job_deinit(&job);
        return;
    }
    admin_outcome out;
    admin_import_conflict conflict;
    store_admin_import_welders(st, r->who->identity, job.copy.data, job.copy.len, &conflict, &out);
    if (out.status == STORE_OK) {
        out.id = (int64_t)job.rows;
        admin_reply_done(r, &out, "welder.import", COAP_RESPONSE_CODE_CREATED);
    } else if (conflict.line) {
        admin_error(r, COAP_RESPONSE_CODE_CONFLICT,
                    "line %u: field \"%s\": welder %lld is already registered with this number "
                    "(nothing was imported)",
                    conflict.line, conflict.field, (long long)conflict.welder_id);
    } else {
        admin_reply_outcome(r, &out, "welders");
    }
    admin_outcome_deinit(&out);
    import_job_deinit(&job);
}

ADMIN_HANDLER(hnd_post_welders_import, ADMIN_WRITE, welders_import)
