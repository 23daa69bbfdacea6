/* fuzz-trust.c — the trust list and revocation list parsers over arbitrary text. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/trust.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    trust_error err;
    trust_list *trust = NULL;
    if (trust_list_parse(text, size, &trust, &err) == WR_OK) {
        for (size_t i = 0; i < trust->count; i++)
            if (trust_list_find(trust, trust->keys[i].kid, COSE_KID_LEN) != &trust->keys[i])
                abort(); /* key ids are unique */
        trust_list_destroy(trust);
    } else if (strnlen(err.message, sizeof(err.message)) == sizeof(err.message)) {
        abort();
    }
    revocation_list *revoked = NULL;
    if (trust_revocations_parse(text, size, &revoked, &err) == WR_OK) {
        for (size_t i = 0; i < revoked->count; i++)
            if (!trust_revocations_contains(revoked, revoked->ctis[i]))
                abort();
        trust_revocations_destroy(revoked);
    }
    return 0;
}
