/* audit.c — recomputes the audit log's hash chain. */
#include "core/audit.h"

#include <inttypes.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

static int audit_update(EVP_MD_CTX *md, const char *s, bool separator)
{
    return EVP_DigestUpdate(md, s, strlen(s)) == 1 &&
           (!separator || EVP_DigestUpdate(md, "|", 1) == 1);
}

wr_status audit_entry_hash(const uint8_t *prev, const audit_entry *e, uint8_t out[AUDIT_HASH_LEN])
{
    char id[24];
    snprintf(id, sizeof(id), "%" PRId64, e->id);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned len = 0;
    bool ok = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
              (!prev || EVP_DigestUpdate(md, prev, AUDIT_HASH_LEN) == 1) &&
              audit_update(md, id, true) && audit_update(md, e->at_epoch, true) &&
              audit_update(md, e->actor, true) && audit_update(md, e->action, true) &&
              audit_update(md, e->entity, true) && audit_update(md, e->entity_id, true) &&
              audit_update(md, e->before, true) && audit_update(md, e->after, false) &&
              EVP_DigestFinal_ex(md, out, &len) == 1 && len == AUDIT_HASH_LEN;
    EVP_MD_CTX_free(md);
    return ok ? WR_OK : WR_ECRYPTO;
}

wr_status audit_hash_from_hex(const char *hex, uint8_t out[AUDIT_HASH_LEN])
{
    if (strlen(hex) != (size_t)2 * AUDIT_HASH_LEN)
        return WR_EINVAL;
    for (size_t i = 0; i < AUDIT_HASH_LEN; i++) {
        unsigned v = 0;
        for (size_t k = 0; k < 2; k++) {
            char c = hex[2 * i + k];
            int d = c >= '0' && c <= '9'   ? c - '0'
                    : c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                           : -1;
            if (d < 0)
                return WR_EINVAL;
            v = v * 16 + (unsigned)d;
        }
        out[i] = (uint8_t)v;
    }
    return WR_OK;
}
