/* codemsg.h — what a code check found, named once for the CLI and the server, and the CBOR
 * bodies of the code resources (POST /v1/codes/verify, GET /v1/codes/revocations). */
#ifndef WELDREG_CORE_CODEMSG_H
#define WELDREG_CORE_CODEMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/code.h"
#include "core/status.h"
#include "core/trust.h"

/* The first check a code failed, in code_verify()'s order, plus the platform's own checks. */
typedef enum codemsg_check {
    CODEMSG_OK,
    CODEMSG_MALFORMED,     /* not a weldreg code, or damaged (a changed character) */
    CODEMSG_UNKNOWN_KEY,   /* signed by a key the trust list does not hold */
    CODEMSG_BAD_SIGNATURE, /* the signature does not verify: tampered or forged */
    CODEMSG_WRONG_TYPE,    /* the key may not sign this kind of code */
    CODEMSG_KEY_WINDOW,    /* issued outside the signing key's validity window */
    CODEMSG_REVOKED,
    CODEMSG_EXPIRED,
    CODEMSG_NOT_YET_VALID,
    CODEMSG_UNKNOWN_CODE, /* online only: the platform has no record of the code */
    CODEMSG_ERROR,        /* the check itself failed (out of memory, crypto library) */
} codemsg_check;

/* The stable name of @p check ("ok", "malformed", "unknown_key", "bad_signature", "wrong_type",
 * "key_window", "revoked", "expired", "not_yet_valid", "unknown_code", "error"). Never NULL. */
const char *codemsg_check_name(codemsg_check check);

/* A sentence for a person saying what the failed check means. Never NULL. */
const char *codemsg_check_text(codemsg_check check);

/* True when @p check is reached only after a trusted key's signature over the code verified, as
 * a key allowed to sign its kind at its time (ok, revoked, expired, not_yet_valid,
 * unknown_code): only then is the code genuine, and do its claims, and the platform's record of
 * the code id they hold, say anything about it. A forgery may copy a genuine code's id. */
bool codemsg_check_genuine(codemsg_check check);

/* The check for @p name; false if the name is not one of codemsg_check_name()'s. */
bool codemsg_check_parse(const char *name, size_t len, codemsg_check *out);

/* Names the check that code_verify() failed with @p status for @p text (@p n bytes) against
 * @p trust. code_verify() answers WR_EKEY both for a key it does not know and for a known key
 * that may not sign this code; this tells them apart by decoding the code again. */
codemsg_check codemsg_classify(wr_status status, const char *text, size_t n,
                               const trust_list *trust);

/* ---- POST /v1/codes/verify ----------------------------------------------------------------- */

/* Request body: {"code": text}. */
#define CODEMSG_VERIFY_REQUEST_MAX (CODE_TEXT_MAX + 16)

wr_status codemsg_encode_verify_request(const char *code, size_t n, uint8_t *out, size_t cap,
                                        size_t *len);

/* Decodes a request strictly: a map with the one key "code", a text of 1 to CODE_TEXT_MAX bytes;
 * @p code points into @p in. WR_EINVAL (or another decoder error) with a message for the person
 * in @p why (may be NULL). */
wr_status codemsg_decode_verify_request(const uint8_t *in, size_t n, const char **code,
                                        size_t *code_len, char *why, size_t whylen);

#define CODEMSG_WORD_MAX 15

/* The server's answer: {"valid": bool, "check": text, "record": text, "subject": text,
 * "rev": uint}. Unknown keys are skipped by the decoder, so the server may add some. */
typedef struct codemsg_verdict {
    bool valid;          /* the platform accepts the code now */
    codemsg_check check; /* CODEMSG_OK, or the first check that failed */
    /* the platform's record of the cti: "active", "revoked" or "unknown" */
    char record[CODEMSG_WORD_MAX + 1];
    /* the subject's current status: "active", "suspended", "scrapped", "inactive", "unknown" */
    char subject[CODEMSG_WORD_MAX + 1];
    uint64_t revocation_version; /* the revocation list the server checked against */
} codemsg_verdict;

#define CODEMSG_VERDICT_MAX 96

wr_status codemsg_encode_verdict(const codemsg_verdict *v, uint8_t *out, size_t cap, size_t *len);

/* Decodes an answer; the words must be 1 to CODEMSG_WORD_MAX of [a-z_] and check a known name.
 * WR_EINVAL for a missing key or a bad value. */
wr_status codemsg_decode_verdict(const uint8_t *in, size_t n, codemsg_verdict *out);

/* ---- GET /v1/codes/revocations?since=N ----------------------------------------------------- */

/* The answer: {"version": uint, "full": bool, "ctis": bstr} where ctis is the concatenation of
 * the 16-byte code ids revoked after version N (full: false), or of every revoked code id (full:
 * true: the reader replaces its list instead of adding to it). */
typedef struct codemsg_revocations {
    uint64_t version;
    bool full;
    const uint8_t *ctis; /* count * TRUST_CTI_LEN bytes, borrowed (points into the input) */
    size_t count;
} codemsg_revocations;

/* Bytes codemsg_encode_revocations() needs at most for @p count code ids. */
size_t codemsg_revocations_size(size_t count);

wr_status codemsg_encode_revocations(const codemsg_revocations *r, uint8_t *out, size_t cap,
                                     size_t *len);

#define CODEMSG_REVOCATIONS_MAX 4000000 /* code ids in one answer (64 MB) */

/* Decodes an answer; WR_EINVAL for a missing key, a ctis length that is not a multiple of 16 or
 * more than CODEMSG_REVOCATIONS_MAX code ids. */
wr_status codemsg_decode_revocations(const uint8_t *in, size_t n, codemsg_revocations *out);

#endif
