/* trust.h — the verifier's trust list (which keys may sign which codes, and when) and the
 * revocation list of code ids; both parsed strictly from text held in memory. */
#ifndef WELDREG_CORE_TRUST_H
#define WELDREG_CORE_TRUST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "core/cose.h"
#include "core/status.h"

#define TRUST_TYPE_MACHINE 1u /* "m": may sign machine codes */
#define TRUST_TYPE_WELDER  2u /* "w": may sign welder codes */
#define TRUST_CTI_LEN      8  /* a code id (CWT cti): 8 random bytes */
#define TRUST_MAX_ENTRIES  100000

/* One trusted public key. not_before and not_after bound the time at which the key may have
 * signed a code (the code's iat), inclusive; they do not bound when its codes may be checked:
 * to stop trusting a key's codes, drop it from the list. */
typedef struct trust_key {
    uint8_t kid[COSE_KID_LEN];
    int64_t alg; /* COSE_ALG_EDDSA or COSE_ALG_ES256 */
    uint64_t not_before;
    uint64_t not_after;
    unsigned types; /* TRUST_TYPE_* bits */
    EVP_PKEY *pkey; /* owned by the list */
} trust_key;

typedef struct trust_list {
    trust_key *keys;
    size_t count;
} trust_list;

/* The set of revoked code ids (CWT cti), sorted for binary search. */
typedef struct revocation_list {
    uint64_t version;
    uint8_t (*ctis)[TRUST_CTI_LEN];
    size_t count;
} revocation_list;

/* Where and why a list did not parse. message is for a person, e.g.
 * `line 3: unknown algorithm "rsa"`; line is 0 when the problem is not on one line. */
typedef struct trust_error {
    size_t line;
    char message[160];
} trust_error;

/* Parses a trust list (format in docs/codes.md): one key per line,
 *   <kid-hex16> <ed25519|es256> <not_before> <not_after> <m|w|mw> <base64 raw public key>
 * with blank lines and '#' comment lines allowed. The key id must be the one computed from the
 * key, and may appear only once. On success the caller owns *out (trust_list_destroy()); on
 * failure *out is NULL and @p err (may be NULL) says what is wrong. */
wr_status trust_list_parse(const char *text, size_t len, trust_list **out, trust_error *err);

/* Frees @p list and its keys; NULL does nothing. */
void trust_list_destroy(trust_list *list);

/* The key with id @p kid, or NULL. @p list may be NULL (an empty list). */
const trust_key *trust_list_find(const trust_list *list, const uint8_t *kid, size_t kid_len);

/* True if @p key may sign a code of @p type (TRUST_TYPE_*) issued at @p iat. */
bool trust_key_allows(const trust_key *key, unsigned type, uint64_t iat);

/* Writes the trust list line for the public half of @p key (with a '\n') to @p out.
 * WR_ESPACE if @p cap is too small, WR_EINVAL for an empty type set or not_before >
 * not_after. */
wr_status trust_format_key(EVP_PKEY *key, uint64_t not_before, uint64_t not_after, unsigned types,
                           char *out, size_t cap);

/* Parses a revocation list: a first line "version <N>", then one code id per line as 16 hex
 * digits (either case), in any order; duplicates are merged; blank and '#' lines allowed.
 * Ownership and errors as for trust_list_parse(); destroy with trust_revocations_destroy(). */
wr_status trust_revocations_parse(const char *text, size_t len, revocation_list **out,
                                  trust_error *err);

/* Frees @p list; NULL does nothing. */
void trust_revocations_destroy(revocation_list *list);

/* True if @p cti is in @p list (binary search). @p list may be NULL (nothing revoked). */
bool trust_revocations_contains(const revocation_list *list, const uint8_t cti[TRUST_CTI_LEN]);

#endif
