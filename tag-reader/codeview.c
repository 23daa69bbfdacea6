/* codeview.c — code text from the command line or a photo, and the fields at a glance. */
#include "tag-reader/codeview.h"

#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "core/licence.h"
#include "core/registry_rules.h"
#include "tag-reader/image.h"
#include "tag-reader/scan.h"

/* The code worth reading among those found: the first weldreg code, else the first code. */
static const scan_code *codeview_pick(const scan_result *found)
{
    for (size_t i = 0; i < found->count; i++)
        if (found->codes[i].len >= CODE_PREFIX_LEN &&
            memcmp(found->codes[i].text, CODE_PREFIX, CODE_PREFIX_LEN) == 0)
            return &found->codes[i];
    return found->count ? &found->codes[0] : NULL;
}

static int codeview_copy(const char *text, size_t len, char *out, size_t cap, char *err,
                         size_t errlen)
{
    if (len >= cap || memchr(text, '\0', len)) {
        snprintf(err, errlen, "the code is %zu characters long; a weldreg code has at most %d", len,
                 CODE_TEXT_MAX);
        return -1;
    }
    memcpy(out, text, len);
    out[len] = '\0';
    return 0;
}

int codeview_get_text(const char *text, const char *image, char *out, size_t cap, char *err,
                      size_t errlen)
{
    if (text)
        return codeview_copy(text, strlen(text), out, cap, err, errlen);
    scan_result found;
    wr_status st = scan_file(image, &found);
    if (st != WR_OK) {
        snprintf(err, errlen, "could not read image \"%s\": %s", image, image_status_str(st));
        return -1;
    }
    const scan_code *code = codeview_pick(&found);
    int rc = -1;
    if (!code)
        snprintf(err, errlen, "no QR code found in \"%s\"", image);
    else
        rc = codeview_copy(code->text, code->len, out, cap, err, errlen);
    scan_result_deinit(&found);
    return rc;
}

void codeview_format_time(uint64_t t, char *out, size_t cap)
{
    time_t when = (time_t)t;
    struct tm tm;
    if (!localtime_r(&when, &tm) || strftime(out, cap, "%Y-%m-%d %H:%M:%S %Z", &tm) == 0)
        snprintf(out, cap, "%llu (unix time)", (unsigned long long)t);
}

void codeview_hex(const uint8_t *bytes, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 15];
    }
    out[2 * n] = '\0';
}

static void codeview_categories(unsigned cats, char *out, size_t cap)
{
    size_t used = 0;
    out[0] = '\0';
    for (unsigned bit = CODE_CAT_FUSION; bit <= CODE_CAT_BRAZING; bit <<= 1) {
        if (!(cats & bit))
            continue;
        int n = snprintf(out + used, cap - used, "%s%s", used ? ", " : "", code_category_name(bit));
        if (n < 0 || (size_t)n >= cap - used)
            return;
        used += (size_t)n;
    }
}

/* A licence's "valid until" as the day it names (licence_day_end()); an instant that ends no
 * day in China (a code made by hand) as the time it is no longer valid. */
static void codeview_valid_until(uint64_t lvu, char *out, size_t cap)
{
    int64_t day;
    char date[RULES_DATE_SIZE], when[64];
    if (lvu <= INT64_MAX && licence_day_of_end((int64_t)lvu, &day)) {
        rules_format_date(day, date);
        snprintf(out, cap, "%s (through the end of that day, China time)", date);
        return;
    }
    codeview_format_time(lvu, when, sizeof(when));
    snprintf(out, cap, "no longer valid from %s", when);
}

static void codeview_print_subject(FILE *out, const code_claims *c)
{
    char text[64], when[128];
    if (c->kind == CODE_MACHINE) {
        codeview_categories(c->cat, text, sizeof(text));
        fprintf(out,
                "type:        machine code\n"
                "chip:        %s\n"
                "enterprise:  %llu (registry number)\n"
                "process:     %s\n",
                c->chip, (unsigned long long)c->ent, text);
        return;
    }
    codeview_categories(c->cats, text, sizeof(text));
    codeview_valid_until(c->lvu, when, sizeof(when));
    fprintf(out,
            "type:        welder code\n"
            "licence:     %s (masked)\n"
            "name:        %s (masked)\n"
            "categories:  %s\n"
            "licence valid until: %s\n",
            c->lic, c->nm, text, when);
}

void codeview_print(FILE *out, const code_parsed *p)
{
    const code_claims *c = &p->claims;
    char issued[64], expires[64], kid[2 * COSE_KID_LEN + 1], cti[2 * CODE_CTI_LEN + 1];
    codeview_print_subject(out, c);
    codeview_format_time(c->iat, issued, sizeof(issued));
    codeview_format_time(c->exp, expires, sizeof(expires));
    codeview_hex(p->kid, sizeof(p->kid), kid);
    codeview_hex(c->cti, sizeof(c->cti), cti);
    fprintf(out,
            "issued:      %s\n"
            "expires:     %s\n"
            "issuer:      %s\n"
            "key id:      %s (%s)\n"
            "code id:     %s\n",
            issued, expires, c->iss, kid, p->alg == COSE_ALG_EDDSA ? "Ed25519" : "ES256", cti);
}

void codeview_qr_report(code_kind kind, size_t text_len, int version, char *out, size_t cap)
{
    snprintf(out, cap,
             "QR version %d-Q (%dx%d modules) for %zu characters; a %s code takes at most %d-Q",
             version, 17 + 4 * version, 17 + 4 * version, text_len,
             kind == CODE_MACHINE ? "machine" : "welder",
             kind == CODE_MACHINE ? CODE_MACHINE_QR_VERSION : CODE_WELDER_QR_VERSION);
}
