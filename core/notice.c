/* notice.c — back-off and signatures of the notices' webhook (notice.h). */
#include "core/notice.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint32_t notice_backoff_s(uint32_t failures, uint32_t first_s, uint32_t max_s)
{
    uint64_t wait = first_s;
    for (uint32_t i = 1; i < failures && wait < max_s; i++)
        wait *= 2;
    return wait < max_s ? (uint32_t)wait : max_s;
}

wr_status notice_signature(const uint8_t *secret, size_t secret_len, int64_t t, const char *body,
                           size_t len, char out[NOTICE_SIGNATURE_SIZE])
{
    if (secret_len < NOTICE_SECRET_MIN)
        return WR_EINVAL;
    char stamp[24];
    size_t stamp_len = (size_t)snprintf(stamp, sizeof(stamp), "%lld.", (long long)t);
    uint8_t *signed_text = malloc(stamp_len + len + 1);
    if (!signed_text)
        return WR_ENOMEM;
    memcpy(signed_text, stamp, stamp_len);
    memcpy(signed_text + stamp_len, body, len);
    uint8_t mac[EVP_MAX_MD_SIZE];
    unsigned mac_len = 0;
    const uint8_t *done =
        HMAC(EVP_sha256(), secret, (int)secret_len, signed_text, stamp_len + len, mac, &mac_len);
    free(signed_text);
    if (!done || mac_len != 32)
        return WR_EKEY;
    int n = snprintf(out, NOTICE_SIGNATURE_SIZE, "t=%lld,v1=", (long long)t);
    for (unsigned i = 0; i < mac_len; i++)
        n += snprintf(out + n, NOTICE_SIGNATURE_SIZE - (size_t)n, "%02x", mac[i]);
    return WR_OK;
}
