/* welder.h — the welder page, GET /w/<code text>: what a welder's own code proves (its signature
 * checked against the trust list, core/code.c) and what the platform says of them today, in
 * plain Chinese, with no personal data beyond the code's own (masked name and licence). */
#ifndef WELDREG_WEB_WELDER_H
#define WELDREG_WEB_WELDER_H

#include <stddef.h>

#include "core/code.h"
#include "server/db/store_accounts.h"
#include "server/loop/config.h"
#include "web/http.h"

typedef struct welder_verifier welder_verifier; /* also declared in web/call.h */

/* Reads the trust list of @p cfg (none configured: every code is refused as of an unknown
 * key). NULL with a message in @p err. */
welder_verifier *welder_verifier_create(const server_config *cfg, char *err, size_t errlen);
void welder_verifier_destroy(welder_verifier *v);

/* Verifies @p text (NUL-terminated) now as a code of @p kind: WR_OK with the claims in @p out,
 * WR_ETYPE for a valid code of the other kind, or why not. */
wr_status welder_verify(const welder_verifier *v, const char *text, code_kind kind,
                        code_claims *out);

/* The trust list codes are verified against (NULL when none is configured). */
const trust_list *welder_trust(const welder_verifier *v);

/* Why a code of @p kind was refused with @p status, as a person reads it in Chinese. */
const char *welder_refusal_zh(wr_status status, code_kind kind);

/* The page: @p status the verification's result, @p claims its claims when WR_OK, @p db the
 * platform's status when @p found is 1 (0: code unknown to the platform, -1: database away). */
void welder_render(wr_status status, const code_claims *claims, const store_welder_status *db,
                   int found, http_response *resp);

#endif
