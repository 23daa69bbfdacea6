/* res_admin_machines.h — what the machine handlers share with the CSV survey. */
#ifndef WELDREG_SERVER_RES_ADMIN_MACHINES_H
#define WELDREG_SERVER_RES_ADMIN_MACHINES_H

#include <stddef.h>

#include "core/registry_rules.h"
#include "server/api/admin.h"

#define MACHINE_CODE_DAYS 1095 /* three years, under the format's limit of 1096 days */

#define MACHINES_UNCODABLE                                                                         \
    "field \"chip_id\": no machine code can carry it: a code takes 1-20 digits, or 1-20 of A-Z "   \
    "0-9 - that fit QR version 10-Q with code_issuer, and an enterprise_id below 2^32 "            \
    "(docs/codes.md)"
#define MACHINES_UNSIGNED "could not sign the machine code (check code_issuer and the signing key)"

/* Signs a code for machine @p m owned by m->enterprise_id (which the code carries) into @p text
 * and its record @p code. 0 signed, 1 no signing key (no code), -2 the chip id or enterprise
 * cannot be carried by a code, -1 signing failed. Answers nothing. */
int machines_sign_code(admin_request *r, const rules_machine *m, char *text, size_t cap,
                       admin_code *code);

/* Signs the code of machine @p m after checking that its enterprise is active: 0 with the text
 * and its record, 1 if there is no signing key, -1 after answering (4.00 for a chip id or an
 * enterprise no code can carry, 5.00 otherwise). */
int machines_issue_code(admin_request *r, store *st, const rules_machine *m, char *text, size_t cap,
                        admin_code *code);

#endif
