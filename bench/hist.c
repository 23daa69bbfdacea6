/* hist.c — bucket arithmetic of the latency histogram. */
#include "bench/hist.h"

#include <math.h>

static unsigned hist_index(uint64_t us)
{
    if (us < HIST_EXACT)
        return (unsigned)us;
    unsigned msb = 63u - (unsigned)__builtin_clzll(us); /* >= HIST_SUB_BITS + 1 */
    unsigned shift = msb - HIST_SUB_BITS;
    unsigned octave = msb - (HIST_SUB_BITS + 1);
    if (octave >= HIST_OCTAVES)
        return HIST_BUCKETS - 1;
    unsigned sub = (unsigned)(us >> shift) - (1u << HIST_SUB_BITS);
    return HIST_EXACT + octave * (1u << HIST_SUB_BITS) + sub;
}

/* The smallest value of bucket @p i and the bucket's width. */
static void hist_bucket_range(unsigned i, uint64_t *low, uint64_t *width)
{
    if (i < HIST_EXACT) {
        *low = i;
        *width = 1;
        return;
    }
    unsigned octave = (i - HIST_EXACT) >> HIST_SUB_BITS;
    unsigned sub = (i - HIST_EXACT) & ((1u << HIST_SUB_BITS) - 1);
    unsigned shift = octave + 1;
    *low = ((uint64_t)(sub + (1u << HIST_SUB_BITS))) << shift;
    *width = (uint64_t)1 << shift;
}

void hist_add(hist *h, uint64_t us)
{
    h->buckets[hist_index(us)]++;
    h->count++;
    h->sum_us += us;
    if (us > h->max_us)
        h->max_us = us;
}

void hist_merge(hist *into, const hist *from)
{
    for (unsigned i = 0; i < HIST_BUCKETS; i++)
        into->buckets[i] += from->buckets[i];
    into->count += from->count;
    into->sum_us += from->sum_us;
    if (from->max_us > into->max_us)
        into->max_us = from->max_us;
}

uint64_t hist_quantile(const hist *h, double q)
{
    if (h->count == 0 || !(q > 0.0))
        return 0;
    if (q > 1.0)
        q = 1.0;
    uint64_t rank = (uint64_t)ceil(q * (double)h->count);
    if (rank == 0)
        rank = 1;
    if (rank >= h->count)
        return h->max_us; /* the largest value is known exactly */
    uint64_t seen = 0;
    for (unsigned i = 0; i < HIST_BUCKETS; i++) {
        seen += h->buckets[i];
        if (seen >= rank) {
            uint64_t low, width;
            hist_bucket_range(i, &low, &width);
            uint64_t mid = low + width / 2;
            return mid > h->max_us ? h->max_us : mid;
        }
    }
    return h->max_us;
}
