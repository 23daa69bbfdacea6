/* audit.h — the audit log's hash chain, recomputed outside the database: each entry's hash is
 * SHA-256(previous hash || "id|epoch|actor|action|entity|entity_id|before|after"), exactly as
 * the audit_log_chain() trigger of schema/001_initial.sql computes it. */
#ifndef WELDREG_CORE_AUDIT_H
#define WELDREG_CORE_AUDIT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/status.h"

#define AUDIT_HASH_LEN 32

/* One entry as the database renders it: at_epoch is extract(epoch FROM at)::text, before and
 * after the jsonb values as text ("" when NULL), entity_id "" when NULL. */
typedef struct audit_entry {
    int64_t id;
    const char *at_epoch;
    const char *actor;
    const char *action;
    const char *entity;
    const char *entity_id;
    const char *before;
    const char *after;
} audit_entry;

/* The hash of @p e chained to @p prev (NULL for the first entry). */
wr_status audit_entry_hash(const uint8_t *prev, const audit_entry *e, uint8_t out[AUDIT_HASH_LEN]);

/* Parses @p hex (64 lower- or upper-case hex digits) into @p out. */
wr_status audit_hash_from_hex(const char *hex, uint8_t out[AUDIT_HASH_LEN]);

#endif
