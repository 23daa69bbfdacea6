/* code_cache.h — remembers the code texts whose signature verified, so that a code scanned
 * again is not verified again (an Ed25519 verification costs about 100 us, most of a scan).
 *
 * A text is remembered by its SHA-256 in a direct-mapped table: a slot holds the digest of the
 * last verified text that hashed to it, and only the byte-identical text matches it. The
 * signature is all a cache hit skips: the caller still checks the key's rights, revocation,
 * expiry and the platform's record of the code at every use. The table belongs to one trust
 * list (a text checked under another list is checked again) and to one thread. */
#ifndef WELDREG_CORE_CODE_CACHE_H
#define WELDREG_CORE_CODE_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CODE_CACHE_DIGEST_LEN 32

typedef struct code_cache code_cache;

/* What a look-up computed, for code_cache_add() when the text then verifies. */
typedef struct code_cache_key {
    uint8_t digest[CODE_CACHE_DIGEST_LEN];
} code_cache_key;

/* A table of @p slots entries (rounded up to a power of two, at most 2^24), or NULL when out
 * of memory or @p slots is 0. */
code_cache *code_cache_new(size_t slots);

void code_cache_free(code_cache *cache);

/* True if @p text (@p n bytes) verified before under @p trust. Lists are told apart by their
 * address (another list empties the table), so a table must not outlive its list. Fills @p key
 * either way. */
bool code_cache_seen(code_cache *cache, const void *trust, const char *text, size_t n,
                     code_cache_key *key);

/* Remembers the text of @p key as verified, in place of whatever shared its slot. */
void code_cache_add(code_cache *cache, const code_cache_key *key);

/* Look-ups answered from the table and not, since it was made. */
void code_cache_counts(const code_cache *cache, uint64_t *hits, uint64_t *misses);

#endif
