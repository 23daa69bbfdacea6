/* code.h — the weldreg code ("one code"): "WR3:" + Base45(COSE_Sign1(CWT claims)), issued for a
 * machine or a welder, decoded for display, and verified against a trust list. Format in
 * docs/codes.md. */
#ifndef WELDREG_CORE_CODE_H
#define WELDREG_CORE_CODE_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "core/code_cache.h"
#include "core/cose.h"
#include "core/status.h"
#include "core/trust.h"

#define CODE_PREFIX     "WR3:"
#define CODE_PREFIX_LEN 4
/* CWT claim key of our private claim (RFC 8392 keys below -65536 are for private use). */
#define CODE_CLAIM_WELDREG (-70001)

#define CODE_ISS_MAX  12         /* issuer: the deployment's name, 1-12 of [a-z0-9-] */
#define CODE_CHIP_MAX 20         /* chip id: 1-20 of [0-9A-Z-]; all digits (IMEI, ICCID) packed */
#define CODE_ENT_MAX  UINT32_MAX /* enterprise: the registry's number (enterprises.id) */
#define CODE_LIC_MAX  20         /* masked licence number, see code_mask_licence() */
#define CODE_NAME_MAX 5          /* masked name: one UTF-8 character (<= 4 bytes) and '*' */
#define CODE_CTI_LEN  TRUST_CTI_LEN
#define CODE_TIME_MAX UINT32_MAX /* times are unix seconds that fit in 32 bits (to 2106) */

#define CODE_CLOCK_SKEW           300                     /* seconds an iat may lie in the future */
#define CODE_WELDER_MAX_LIFETIME  ((uint64_t)366 * 86400) /* one year, leap or not */
#define CODE_MACHINE_MAX_LIFETIME ((uint64_t)1096 * 86400) /* three years */

/* The QR symbols codes must fit at error correction level Q (alphanumeric mode), their
 * capacities in characters (ISO/IEC 18004, as libqrencode computes them), and the COSE_Sign1
 * sizes that fill them: 4 prefix characters and 3 Base45 characters per 2 bytes. */
#define CODE_MACHINE_QR_VERSION  10
#define CODE_MACHINE_QR_CAPACITY 221
#define CODE_WELDER_QR_VERSION   11
#define CODE_WELDER_QR_CAPACITY  259
#define CODE_COSE_FITTING(chars) (((chars)-CODE_PREFIX_LEN) / 3 * 2)
#define CODE_MACHINE_COSE_MAX    CODE_COSE_FITTING(CODE_MACHINE_QR_CAPACITY) /* 144 bytes */
#define CODE_WELDER_COSE_MAX     CODE_COSE_FITTING(CODE_WELDER_QR_CAPACITY)  /* 170 bytes */

/* Size limits: every valid code fits; anything longer is refused as malformed. The payload
 * buffer is generous: code_issue() measures the COSE_Sign1, then refuses one too big. */
#define CODE_COSE_MAX    CODE_WELDER_COSE_MAX
#define CODE_PAYLOAD_MAX CODE_COSE_MAX
#define CODE_TEXT_MAX    (CODE_PREFIX_LEN + CODE_COSE_MAX / 2 * 3)

typedef enum code_kind { CODE_MACHINE = 'm', CODE_WELDER = 'w' } code_kind;

/* Process categories and licence operation items (bits; also their values in the code). */
#define CODE_CAT_FUSION   1u /* "fusion": fusion welding and thermal cutting */
#define CODE_CAT_PRESSURE 2u /* "pressure": pressure welding */
#define CODE_CAT_BRAZING  4u /* "brazing" */
#define CODE_CAT_ALL      7u

/* The claims of one code. Strings are NUL-terminated. sub (claim 2) is not a field: a welder
 * code's is lic; a machine code has none (chip is in the private claim). Only the fields of the
 * code's kind are used; the others are ignored when issuing and zeroed when decoding. No field may
 * hold a raw ID-card number or a full name: lic and nm must already be masked. */
typedef struct code_claims {
    code_kind kind;
    char iss[CODE_ISS_MAX + 1];
    uint64_t iat;              /* issued at, unix seconds */
    uint64_t exp;              /* expires at (first instant it is no longer valid) */
    uint8_t cti[CODE_CTI_LEN]; /* random code id, the revocation handle; not all zero */
    /* machine codes */
    char chip[CODE_CHIP_MAX + 1];
    uint64_t ent; /* the owner's number in the registry (enterprises.id), 1 to CODE_ENT_MAX */
    unsigned cat; /* exactly one CODE_CAT_* */
    /* welder codes */
    char lic[CODE_LIC_MAX + 1]; /* masked licence number, e.g. "T**************1234" */
    unsigned cats;              /* one or more CODE_CAT_* */
    uint64_t lvu;               /* licence valid until, unix seconds */
    char nm[CODE_NAME_MAX + 1]; /* masked name, e.g. "张*" */
} code_claims;

/* A decoded but unverified code. */
typedef struct code_parsed {
    code_claims claims;
    int64_t alg;               /* COSE_ALG_EDDSA or COSE_ALG_ES256 */
    uint8_t kid[COSE_KID_LEN]; /* which key claims to have signed it */
    size_t cose_len;
    uint8_t cose[CODE_COSE_MAX]; /* the COSE_Sign1 bytes under the Base45 */
} code_parsed;

/* Fills @p cti with fresh random bytes. */
wr_status code_new_cti(uint8_t cti[CODE_CTI_LEN]);

/* Masks a licence number for a code: keeps the leading letter and the last 4 characters and
 * replaces the rest by '*', so "T410102199001011234" becomes "T**************1234". The input
 * is a capital letter and 5 to CODE_LIC_MAX - 1 digits or 'X' (WR_EINVAL otherwise). */
wr_status code_mask_licence(const char *licence, char out[CODE_LIC_MAX + 1]);

/* Masks a name: its first character (UTF-8) and '*', so "张三丰" becomes "张*". */
wr_status code_mask_name(const char *name, char out[CODE_NAME_MAX + 1]);

/* The text of one CODE_CAT_* bit ("fusion", "pressure", "brazing"), or NULL. */
const char *code_category_name(unsigned cat);

/* Checks @p claims, builds the CWT, signs it with @p signing_key (Ed25519 or P-256) and writes
 * the NUL-terminated code text to @p out. WR_EINVAL for a malformed or unmasked field, WR_ERANGE
 * if exp is not after iat, a welder code outlives the licence or one year, or a machine code
 * three years; WR_ETOOBIG if the code would not fit its QR symbol (CODE_*_COSE_MAX: the issuer
 * and a chip id that is not all digits together are too long; docs/codes.md section 1); WR_ESPACE
 * if @p cap is too small (CODE_TEXT_MAX + 1 always suffices). Does not look at the clock: iat is
 * the caller's. */
wr_status code_issue(const code_claims *claims, EVP_PKEY *signing_key, char *out, size_t cap);

/* Decodes @p text (@p n bytes, no NUL needed) without verifying the signature, for display.
 * WR_EINVAL for anything that is not a well-formed code. */
wr_status code_decode(const char *text, size_t n, code_parsed *out);

/* Decodes and verifies @p text at time @p now. Checked in this order, first failure wins:
 *   WR_EINVAL    malformed
 *   WR_EKEY      the key id is not in @p trust
 *   WR_ESIG      the signature does not verify
 *   WR_EKEY      the key may not sign this kind of code, or iat is outside its window
 *   WR_EREVOKED  the cti is in @p revoked (may be NULL)
 *   WR_EEXPIRED  now >= exp
 *   WR_ENOTYET   iat > now + CODE_CLOCK_SKEW
 * @p out (may be NULL) is written only when the result is WR_OK. */
wr_status code_verify(const char *text, size_t n, const trust_list *trust,
                      const revocation_list *revoked, uint64_t now, code_claims *out);

/* code_verify() that skips the signature of a text @p cache (may be NULL) saw verify under
 * @p trust, and remembers a text whose signature verifies. Same results, same order. */
wr_status code_verify_cached(code_cache *cache, const char *text, size_t n, const trust_list *trust,
                             const revocation_list *revoked, uint64_t now, code_claims *out);

#endif
