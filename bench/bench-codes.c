/* bench-codes.c — codes issued per second (claims, sign, Base45; no QR rendering) and verified
 * per second, with Ed25519 and ES256 keys, on one core. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/code.h"

#define BENCH_SECONDS 2.0
#define BENCH_NOW     1750000000u

static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static code_claims welder_claims(void)
{
    code_claims c;
    memset(&c, 0, sizeof(c));
    c.kind = CODE_WELDER;
    strcpy(c.iss, "jn");
    c.iat = BENCH_NOW;
    c.exp = BENCH_NOW + 180 * 86400u;
    strcpy(c.lic, "T**************1234");
    c.cats = CODE_CAT_FUSION;
    c.lvu = BENCH_NOW + 900 * 86400u;
    strcpy(c.nm, "\xe5\xbc\xa0*");
    return c;
}

/* Issues codes for BENCH_SECONDS; leaves the last one in @p text. Returns codes per second. */
static double bench_issue(EVP_PKEY *key, char *text, size_t cap)
{
    code_claims c = welder_claims();
    long count = 0;
    double start = seconds_now(), elapsed;
    do {
        if (code_new_cti(c.cti) != WR_OK || code_issue(&c, key, text, cap) != WR_OK) {
            fprintf(stderr, "bench-codes: could not issue a code\n");
            exit(1);
        }
        count++;
    } while ((elapsed = seconds_now() - start) < BENCH_SECONDS);
    return (double)count / elapsed;
}

static double bench_verify(const char *text, const trust_list *trust)
{
    long count = 0;
    size_t n = strlen(text);
    double start = seconds_now(), elapsed;
    do {
        code_claims out;
        if (code_verify(text, n, trust, NULL, BENCH_NOW, &out) != WR_OK) {
            fprintf(stderr, "bench-codes: could not verify a code\n");
            exit(1);
        }
        count++;
    } while ((elapsed = seconds_now() - start) < BENCH_SECONDS);
    return (double)count / elapsed;
}

static void bench_alg(int64_t alg, const char *name)
{
    EVP_PKEY *key = NULL;
    trust_list *trust = NULL;
    char line[256], text[CODE_TEXT_MAX + 1];
    if (cose_key_generate(alg, &key) != WR_OK ||
        trust_format_key(key, 0, CODE_TIME_MAX, TRUST_TYPE_WELDER, line, sizeof(line)) != WR_OK ||
        trust_list_parse(line, strlen(line), &trust, NULL) != WR_OK) {
        fprintf(stderr, "bench-codes: could not set up the %s key\n", name);
        exit(1);
    }
    double issued = bench_issue(key, text, sizeof(text));
    double verified = bench_verify(text, trust);
    printf("%-8s issue  %9.0f codes/s   (%zu characters)\n", name, issued, strlen(text));
    printf("%-8s verify %9.0f codes/s\n", name, verified);
    trust_list_destroy(trust);
    EVP_PKEY_free(key);
}

int main(void)
{
    bench_alg(COSE_ALG_EDDSA, "ed25519");
    bench_alg(COSE_ALG_ES256, "es256");
    return 0;
}
