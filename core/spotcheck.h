/* spotcheck.h — random spot checks (双随机, 一公开): which enterprises or machines of a community
 * are checked, and by which inspectors, drawn at random and reproducibly: the same seed and the
 * same population give the same draw, so anyone holding the recorded seed can repeat it. Pure:
 * the caller reads the population and the inspectors and records the result. */
#ifndef WELDREG_CORE_SPOTCHECK_H
#define WELDREG_CORE_SPOTCHECK_H

#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

#define SPOTCHECK_PER_TARGET_MAX 4 /* inspectors sent to one target at most */
#define SPOTCHECK_SEED_HEX_LEN   16

/* The generator of a draw: SplitMix64, whose output sequence is fixed by the seed on every
 * platform. Plain value. */
typedef struct spotcheck_rng {
    uint64_t state;
} spotcheck_rng;

void spotcheck_rng_init(spotcheck_rng *rng, uint64_t seed);
uint64_t spotcheck_rng_next(spotcheck_rng *rng);
/* Uniform in [0, bound) without modulo bias; 0 when @p bound is 0. */
uint64_t spotcheck_rng_below(spotcheck_rng *rng, uint64_t bound);

/* One target drawn and the inspectors assigned to it. */
typedef struct spotcheck_pick {
    int64_t target; /* an enterprise or machine id of the population */
    int64_t inspectors[SPOTCHECK_PER_TARGET_MAX];
    size_t inspector_count;
} spotcheck_pick;

/* Draws min(@p n, @p population_count) targets of @p population (ids in ascending order: the
 * order is part of what makes a draw repeatable) into @p out (room for @p n), each target
 * equally likely (selection sampling), in ascending order; then assigns @p per_target distinct
 * inspectors to each, from @p inspectors (ids in ascending order, shuffled in place by the draw)
 * in turn, so that their loads differ by at most one. Sets @p drawn.
 * WR_EINVAL: NULL arrays with counts, @p n 0, @p per_target 0 or above SPOTCHECK_PER_TARGET_MAX
 * or above @p inspector_count, or ids not strictly ascending. */
wr_status spotcheck_draw(uint64_t seed, const int64_t *population, size_t population_count,
                         size_t n, int64_t *inspectors, size_t inspector_count, size_t per_target,
                         spotcheck_pick *out, size_t *drawn);

/* The seed as 16 lower-case hex digits and back (exactly 16 hex digits, either case). */
void spotcheck_seed_format(uint64_t seed, char out[SPOTCHECK_SEED_HEX_LEN + 1]);
wr_status spotcheck_seed_parse(const char *text, size_t len, uint64_t *seed);

#endif
