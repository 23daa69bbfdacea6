/* hist.h — a fixed-size log-linear latency histogram (microseconds, about 3 % resolution) that
 * can live in memory shared between processes and be merged. */
#ifndef WELDREG_BENCH_HIST_H
#define WELDREG_BENCH_HIST_H

#include <stdint.h>

#define HIST_SUB_BITS 5                     /* 32 buckets per power of two */
#define HIST_EXACT    (2u << HIST_SUB_BITS) /* values below this have a bucket each */
#define HIST_OCTAVES  38                    /* up to 2^44 us, about 200 days */
#define HIST_BUCKETS  (HIST_EXACT + HIST_OCTAVES * (1u << HIST_SUB_BITS))

/* Plain data: zero it (memset or = {0}) to initialise; no pointers, so it may sit in shared
 * memory. */
typedef struct hist {
    uint64_t count;
    uint64_t max_us;
    uint64_t sum_us;
    uint64_t buckets[HIST_BUCKETS];
} hist;

/* Records one value of @p us microseconds (values beyond the range land in the last bucket;
 * max_us stays exact). */
void hist_add(hist *h, uint64_t us);

/* Adds every value of @p from to @p into. */
void hist_merge(hist *into, const hist *from);

/* The value at quantile @p q (0 < q <= 1) in microseconds: the middle of the bucket holding
 * the ceil(q * count)-th smallest value, never above max_us; max_us itself for the largest.
 * 0 for an empty histogram. */
uint64_t hist_quantile(const hist *h, double q);

#endif
