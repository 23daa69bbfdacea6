/* code_cache.c — the table of verified code texts (see code_cache.h). */
#include "core/code_cache.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#define CODE_CACHE_MAX_SLOTS ((size_t)1 << 24)

typedef struct code_cache_slot {
    bool used;
    uint8_t digest[CODE_CACHE_DIGEST_LEN];
} code_cache_slot;

struct code_cache {
    const void *trust; /* the list the remembered texts verified under */
    size_t mask;
    uint64_t hits, misses;
    code_cache_slot *slots;
};

code_cache *code_cache_new(size_t slots)
{
    if (slots == 0 || slots > CODE_CACHE_MAX_SLOTS)
        return NULL;
    size_t size = 1;
    while (size < slots)
        size <<= 1;
    code_cache *cache = calloc(1, sizeof(*cache));
    if (!cache)
        return NULL;
    cache->slots = calloc(size, sizeof(*cache->slots));
    if (!cache->slots) {
        free(cache);
        return NULL;
    }
    cache->mask = size - 1;
    return cache;
}

void code_cache_free(code_cache *cache)
{
    if (!cache)
        return;
    free(cache->slots);
    free(cache);
}

static size_t code_cache_index(const code_cache *cache, const code_cache_key *key)
{
    uint64_t h;
    memcpy(&h, key->digest, sizeof(h)); /* the digest is uniform: its first bytes will do */
    return (size_t)h & cache->mask;
}

bool code_cache_seen(code_cache *cache, const void *trust, const char *text, size_t n,
                     code_cache_key *key)
{
    SHA256((const unsigned char *)text, n, key->digest);
    if (cache->trust != trust) {
        memset(cache->slots, 0, (cache->mask + 1) * sizeof(*cache->slots));
        cache->trust = trust;
    }
    const code_cache_slot *slot = &cache->slots[code_cache_index(cache, key)];
    bool seen = slot->used && memcmp(slot->digest, key->digest, sizeof(key->digest)) == 0;
    if (seen)
        cache->hits++;
    else
        cache->misses++;
    return seen;
}

void code_cache_add(code_cache *cache, const code_cache_key *key)
{
    code_cache_slot *slot = &cache->slots[code_cache_index(cache, key)];
    slot->used = true;
    memcpy(slot->digest, key->digest, sizeof(key->digest));
}

void code_cache_counts(const code_cache *cache, uint64_t *hits, uint64_t *misses)
{
    *hits = cache->hits;
    *misses = cache->misses;
}
