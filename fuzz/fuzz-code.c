/* fuzz-code.c — code_decode() and code_verify() of arbitrary text against a fixed trust list
 * (one Ed25519 key from RFC 8032 TEST 1, allowed for both kinds of code). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/code.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_NOW 1750000000u

static const uint8_t fuzz_seed[COSE_ED25519_SEED_LEN] = {
    0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60, 0xba, 0x84, 0x4a, 0xf4, 0x92, 0xec, 0x2c, 0xc4,
    0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32, 0x69, 0x19, 0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae, 0x7f, 0x60,
};

static trust_list *fuzz_trust(void)
{
    static trust_list *trust;
    if (trust)
        return trust;
    EVP_PKEY *key = NULL;
    char line[256];
    if (cose_key_from_ed25519_seed(fuzz_seed, &key) != WR_OK ||
        trust_format_key(key, 0, CODE_TIME_MAX, TRUST_TYPE_MACHINE | TRUST_TYPE_WELDER, line,
                         sizeof(line)) != WR_OK ||
        trust_list_parse(line, strlen(line), &trust, NULL) != WR_OK)
        abort();
    EVP_PKEY_free(key);
    return trust;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static code_parsed parsed;
    const char *text = (const char *)data;
    code_claims claims;
    wr_status decoded = code_decode(text, size, &parsed);
    wr_status verified = code_verify(text, size, fuzz_trust(), NULL, FUZZ_NOW, &claims);
    /* Whatever verifies must decode. */
    if (verified == WR_OK && decoded != WR_OK)
        abort();
    return 0;
}
