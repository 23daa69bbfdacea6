/* res_admin_welders.h — what the welder handlers share with the CSV import. */
#ifndef WELDREG_SERVER_RES_ADMIN_WELDERS_H
#define WELDREG_SERVER_RES_ADMIN_WELDERS_H

#include <stdint.h>

#include "core/registry_rules.h"
#include "server/db/store_admin.h"

/* The keyed hashes of @p w's ID-card and licence numbers under the PII @p key. */
void welders_hash_pii(const uint8_t key[32], const rules_welder *w, admin_pii *pii);

#endif
