/* scans.c — the last scan of each welder code in an open-addressing table keyed by the cti,
 * which is random (code_new_cti()): its first bytes are the hash. */
#include "server/checkin/scans.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct scans {
    code_scan *items;
    bool *used;
    size_t count, mask;
};

scans *scans_create(void)
{
    scans *set = calloc(1, sizeof(*set));
    if (!set)
        return NULL;
    set->mask = 255;
    set->items = calloc(set->mask + 1, sizeof(*set->items));
    set->used = calloc(set->mask + 1, sizeof(*set->used));
    if (!set->items || !set->used) {
        scans_destroy(set);
        return NULL;
    }
    return set;
}

void scans_destroy(scans *set)
{
    if (!set)
        return;
    free(set->items);
    free(set->used);
    free(set);
}

static size_t scans_slot(const code_scan *items, const bool *used, size_t mask,
                         const uint8_t cti[CODE_CTI_LEN])
{
    uint64_t h;
    memcpy(&h, cti, sizeof(h));
    size_t s = (size_t)h & mask;
    while (used[s] && memcmp(items[s].cti, cti, CODE_CTI_LEN) != 0)
        s = (s + 1) & mask;
    return s;
}

const code_scan *scans_find(const scans *set, const uint8_t cti[CODE_CTI_LEN])
{
    size_t s = scans_slot(set->items, set->used, set->mask, cti);
    return set->used[s] ? &set->items[s] : NULL;
}

/* Doubles the table when it is half full. */
static int scans_grow(scans *set)
{
    if ((set->count + 1) * 2 <= set->mask + 1)
        return 0;
    size_t mask = set->mask * 2 + 1;
    code_scan *items = calloc(mask + 1, sizeof(*items));
    bool *used = calloc(mask + 1, sizeof(*used));
    if (!items || !used) {
        free(items);
        free(used);
        return -1;
    }
    for (size_t i = 0; i <= set->mask; i++) {
        if (!set->used[i])
            continue;
        size_t s = scans_slot(items, used, mask, set->items[i].cti);
        items[s] = set->items[i];
        used[s] = true;
    }
    free(set->items);
    free(set->used);
    set->items = items;
    set->used = used;
    set->mask = mask;
    return 0;
}

int scans_note(scans *set, const code_scan *scan)
{
    size_t s = scans_slot(set->items, set->used, set->mask, scan->cti);
    if (set->used[s]) {
        if (scan->at >= set->items[s].at)
            set->items[s] = *scan;
        return 0;
    }
    if (scans_grow(set) != 0)
        return -1;
    s = scans_slot(set->items, set->used, set->mask, scan->cti);
    set->items[s] = *scan;
    set->used[s] = true;
    set->count++;
    return 0;
}

size_t scans_count(const scans *set)
{
    return set->count;
}
