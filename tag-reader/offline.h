/* offline.h — checking a code without the server, shared by weldtag verify and weldtag card. */
#ifndef WELDREG_TAG_OFFLINE_H
#define WELDREG_TAG_OFFLINE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/code.h"
#include "core/codemsg.h"

/* Checks @p code against the trust list in @p trust_file and (if not NULL) the cached
 * revocation list, as of Unix time @p at (0: now); prints the fields and the verdict, saying
 * that the check is offline. Returns the exit code: OK valid, REFUSED invalid, USAGE. */
int offline_verify(const char *trust_file, const char *revocations_file, uint64_t at,
                   const char *code);

/* Prints the verdict line for @p check ("result: VALID" or which check failed, with the expiry
 * of @p parsed when it was @p decoded and expired). Returns the exit code: OK, REFUSED, or USAGE
 * for CODEMSG_ERROR. */
int offline_print_result(codemsg_check check, const code_parsed *parsed, bool decoded);

#endif
