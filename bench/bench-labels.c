/* bench-labels.c — what an issuing station does per code, timed on one core: sign and render
 * as PNG (codes/s), sign and lay out A4 label sheets as PDF (labels/s), and verify with the
 * failed check named, as `weldtag verify` does (verifications/s). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/code.h"
#include "core/codemsg.h"
#include "tag-reader/labels.h"
#include "tag-reader/qr.h"

#define BENCH_SECONDS 2.0
#define BENCH_NOW     1750000000u
#define BENCH_SHEET   150 /* labels in one PDF: 10 pages of 15 */

static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
    fprintf(stderr, "bench-labels: could not %s\n", what);
    exit(1);
}

static code_claims machine_claims(void)
{
    code_claims c;
    memset(&c, 0, sizeof(c));
    c.kind = CODE_MACHINE;
    strcpy(c.iss, "jn");
    c.iat = BENCH_NOW;
    c.exp = BENCH_NOW + 365 * 86400u;
    strcpy(c.chip, "WR-3701-0001");
    c.ent = 4217;
    c.cat = CODE_CAT_FUSION;
    return c;
}

static void sign(EVP_PKEY *key, code_claims *c, char *text)
{
    if (code_new_cti(c->cti) != WR_OK || code_issue(c, key, text, CODE_TEXT_MAX + 1) != WR_OK)
        die("issue a code");
}

/* Signs and renders one PNG per code into /dev/null; returns codes per second. */
static double bench_issue_png(EVP_PKEY *key, char *text)
{
    FILE *sink = fopen("/dev/null", "wb");
    if (!sink)
        die("open /dev/null");
    code_claims c = machine_claims();
    long count = 0;
    double start = seconds_now(), elapsed;
    do {
        qr_matrix m;
        sign(key, &c, text);
        if (qr_encode(text, QR_LEVEL_Q, &m) != WR_OK || qr_write_png(&m, 4, 4, sink) != WR_OK)
            die("render a PNG");
        qr_matrix_deinit(&m);
        count++;
    } while ((elapsed = seconds_now() - start) < BENCH_SECONDS);
    fclose(sink);
    return (double)count / elapsed;
}

/* Signs BENCH_SHEET codes and writes them as one PDF, repeatedly; returns labels per second. */
static double bench_sheet(EVP_PKEY *key)
{
    static char texts[BENCH_SHEET][CODE_TEXT_MAX + 1];
    labels_entry entries[BENCH_SHEET];
    labels_options opt;
    labels_options_init(&opt);
    FILE *sink = fopen("/dev/null", "wb");
    if (!sink)
        die("open /dev/null");
    code_claims c = machine_claims();
    long count = 0;
    double start = seconds_now(), elapsed;
    do {
        for (size_t i = 0; i < BENCH_SHEET; i++) {
            sign(key, &c, texts[i]);
            entries[i] = (labels_entry){texts[i], "Chip WR-3701-0001", "Enterprise 4217"};
        }
        if (labels_write_pdf(entries, BENCH_SHEET, &opt, sink) != WR_OK)
            die("write a label sheet");
        count += BENCH_SHEET;
    } while ((elapsed = seconds_now() - start) < BENCH_SECONDS);
    fclose(sink);
    return (double)count / elapsed;
}

static double bench_verify(const char *text, const trust_list *trust)
{
    long count = 0;
    size_t n = strlen(text);
    double start = seconds_now(), elapsed;
    do {
        wr_status st = code_verify(text, n, trust, NULL, BENCH_NOW, NULL);
        if (codemsg_classify(st, text, n, trust) != CODEMSG_OK)
            die("verify a code");
        count++;
    } while ((elapsed = seconds_now() - start) < BENCH_SECONDS);
    return (double)count / elapsed;
}

int main(void)
{
    EVP_PKEY *key = NULL;
    trust_list *trust = NULL;
    char line[256], text[CODE_TEXT_MAX + 1];
    if (cose_key_generate(COSE_ALG_EDDSA, &key) != WR_OK ||
        trust_format_key(key, 0, BENCH_NOW, TRUST_TYPE_MACHINE, line, sizeof(line)) != WR_OK ||
        trust_list_parse(line, strlen(line), &trust, NULL) != WR_OK)
        die("make a key");
    printf("issue + PNG (Ed25519, 4 px a module):  %8.0f codes/s\n", bench_issue_png(key, text));
    printf("issue + A4 PDF label sheets:           %8.0f labels/s\n", bench_sheet(key));
    printf("verify + name the check (Ed25519):     %8.0f verifications/s\n",
           bench_verify(text, trust));
    trust_list_destroy(trust);
    EVP_PKEY_free(key);
    return 0;
}
