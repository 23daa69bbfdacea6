/* fuzz-codemsg.c — the decoders of the code resources' bodies (verify request, verdict,
 * revocation delta) over arbitrary bytes; what decodes must encode back and decode the same. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/codemsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_request(const uint8_t *data, size_t size)
{
    const char *code;
    size_t len, n;
    char why[128];
    uint8_t again[CODEMSG_VERIFY_REQUEST_MAX];
    if (codemsg_decode_verify_request(data, size, &code, &len, why, sizeof(why)) != WR_OK)
        return;
    if (len == 0 || len > CODE_TEXT_MAX ||
        codemsg_encode_verify_request(code, len, again, sizeof(again), &n) != WR_OK)
        abort();
}

static void check_verdict(const uint8_t *data, size_t size)
{
    codemsg_verdict v, back;
    uint8_t again[CODEMSG_VERDICT_MAX];
    size_t n;
    if (codemsg_decode_verdict(data, size, &v) != WR_OK)
        return;
    if (codemsg_encode_verdict(&v, again, sizeof(again), &n) != WR_OK ||
        codemsg_decode_verdict(again, n, &back) != WR_OK || back.valid != v.valid ||
        back.check != v.check || strcmp(back.record, v.record) != 0 ||
        strcmp(back.subject, v.subject) != 0 || back.revocation_version != v.revocation_version)
        abort();
}

static void check_revocations(const uint8_t *data, size_t size)
{
    codemsg_revocations r, back;
    if (codemsg_decode_revocations(data, size, &r) != WR_OK)
        return;
    size_t cap = codemsg_revocations_size(r.count), n;
    uint8_t *again = malloc(cap);
    if (!again)
        return;
    if (codemsg_encode_revocations(&r, again, cap, &n) != WR_OK ||
        codemsg_decode_revocations(again, n, &back) != WR_OK || back.count != r.count ||
        back.version != r.version || back.full != r.full ||
        (r.count && memcmp(back.ctis, r.ctis, r.count * TRUST_CTI_LEN) != 0))
        abort();
    free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_request(data, size);
    check_verdict(data, size);
    check_revocations(data, size);
    return 0;
}
