/* fuzz-base45.c — the Base45 decoder over arbitrary text; what decodes must encode back to the
 * same text (each value has one spelling). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/base45.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    uint8_t decoded[4096];
    char encoded[4096 + 1];
    size_t len = 0, enc_len = 0;
    if (base45_decode((const char *)data, size, decoded, sizeof(decoded), &len) != WR_OK)
        return 0;
    if (base45_encode(decoded, len, encoded, sizeof(encoded), &enc_len) != WR_OK ||
        enc_len != size || memcmp(encoded, data, size) != 0)
        abort();
    return 0;
}
