/* res_admin_welders.h — what the welder handlers share with the CSV import. */
#ifndef WELDREG_SERVER_RES_ADMIN_WELDERS_H
#define WELDREG_SERVER_RES_ADMIN_WELDERS_H

#include <stdint.h>

#include "core/registry_rules.h"
#include "server/api/admin.h"
#include "server/db/store_admin.h"

/* The keyed hashes of @p w's ID-card and licence numbers under the PII @p key. */
void welders_hash_pii(const pii_keys *keys, const rules_welder *w, admin_pii *pii);

/* Signs a welder code for @p w (name, licence_masked, categories and valid_until are used),
 * valid one year, or until the licence ends if sooner, into @p text (@p cap >= CODE_TEXT_MAX +
 * 1) and its record @p code (whose text is @p text). 0 done, 1 when none can be issued (no
 * signing key, licence over within a day), -1 on failure. */
int welders_issue_code(admin_request *r, const rules_welder *w, char *text, size_t cap,
                       admin_code *code);

#endif
