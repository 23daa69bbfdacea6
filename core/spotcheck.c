/* spotcheck.c — the draw of random spot checks: SplitMix64, selection sampling, inspectors in
 * turn after a Fisher-Yates shuffle. */
#include "core/spotcheck.h"

#include <stdbool.h>
#include <stdio.h>

void spotcheck_rng_init(spotcheck_rng *rng, uint64_t seed)
{
    rng->state = seed;
}

uint64_t spotcheck_rng_next(spotcheck_rng *rng)
{
    uint64_t z = (rng->state += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

uint64_t spotcheck_rng_below(spotcheck_rng *rng, uint64_t bound)
{
    if (bound == 0)
        return 0;
    /* values at or above the largest multiple of bound would favour the low remainders */
    uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
    uint64_t x;
    do
        x = spotcheck_rng_next(rng);
    while (x >= limit);
    return x % bound;
}

static bool spotcheck_ascending(const int64_t *ids, size_t count)
{
    for (size_t i = 1; i < count; i++)
        if (ids[i] <= ids[i - 1])
            return false;
    return true;
}

/* Knuth's selection sampling: each of the population_count ids is taken with probability
 * (still needed) / (still left), which gives every subset of size n the same chance. */
static size_t spotcheck_select(spotcheck_rng *rng, const int64_t *population,
                               size_t population_count, size_t n, spotcheck_pick *out)
{
    size_t taken = 0;
    for (size_t i = 0; i < population_count && taken < n; i++) {
        if (spotcheck_rng_below(rng, population_count - i) < n - taken)
            out[taken++] = (spotcheck_pick){.target = population[i]};
    }
    return taken;
}

static void spotcheck_shuffle(spotcheck_rng *rng, int64_t *ids, size_t count)
{
    for (size_t i = count; i > 1; i--) {
        size_t j = (size_t)spotcheck_rng_below(rng, i);
        int64_t t = ids[i - 1];
        ids[i - 1] = ids[j];
        ids[j] = t;
    }
}

wr_status spotcheck_draw(uint64_t seed, const int64_t *population, size_t population_count,
                         size_t n, int64_t *inspectors, size_t inspector_count, size_t per_target,
                         spotcheck_pick *out, size_t *drawn)
{
    if (!drawn || !out || n == 0 || (population_count && !population) ||
        (inspector_count && !inspectors) || per_target == 0 ||
        per_target > SPOTCHECK_PER_TARGET_MAX || per_target > inspector_count ||
        !spotcheck_ascending(population, population_count) ||
        !spotcheck_ascending(inspectors, inspector_count))
        return WR_EINVAL;
    spotcheck_rng rng;
    spotcheck_rng_init(&rng, seed);
    *drawn = spotcheck_select(&rng, population, population_count, n, out);
    spotcheck_shuffle(&rng, inspectors, inspector_count);
    size_t next = 0;
    for (size_t i = 0; i < *drawn; i++) {
        for (size_t k = 0; k < per_target; k++) {
            out[i].inspectors[k] = inspectors[next];
            next = (next + 1) % inspector_count;
        }
        out[i].inspector_count = per_target;
    }
    return WR_OK;
}

void spotcheck_seed_format(uint64_t seed, char out[SPOTCHECK_SEED_HEX_LEN + 1])
{
    snprintf(out, SPOTCHECK_SEED_HEX_LEN + 1, "%016llx", (unsigned long long)seed);
}

wr_status spotcheck_seed_parse(const char *text, size_t len, uint64_t *seed)
{
    if (!text || len != SPOTCHECK_SEED_HEX_LEN)
        return WR_EINVAL;
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        unsigned d;
        if (c >= '0' && c <= '9')
            d = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            d = (unsigned)(c - 'A' + 10);
        else
            return WR_EINVAL;
        v = v << 4 | d;
    }
    *seed = v;
    return WR_OK;
}
