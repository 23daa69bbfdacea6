/* sessions.c — machine states in a growable array, found by chip id through an
 * open-addressing index of positions (positions stay valid when the array grows). */
#include "server/checkin/sessions.h"

#include <stdlib.h>
#include <string.h>

struct sessions {
    machine_state *items;
    size_t count, capacity;
    uint32_t *slots; /* position + 1; 0 is empty */
    size_t slot_mask;
};

static uint64_t sessions_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

sessions *sessions_create(void)
{
    sessions *set = calloc(1, sizeof(*set));
    if (!set)
        return NULL;
    set->capacity = 64;
    set->items = calloc(set->capacity, sizeof(machine_state));
    set->slots = calloc(128, sizeof(uint32_t));
    set->slot_mask = 127;
    if (!set->items || !set->slots) {
        sessions_destroy(set);
        return NULL;
    }
    return set;
}

void sessions_destroy(sessions *set)
{
    if (!set)
        return;
    free(set->items);
    free(set->slots);
    free(set);
}

static uint32_t *sessions_slot(const sessions *set, const char *chip_id)
{
    size_t s = sessions_hash(chip_id) & set->slot_mask;
    while (set->slots[s] && strcmp(set->items[set->slots[s] - 1].chip_id, chip_id) != 0)
        s = (s + 1) & set->slot_mask;
    return &set->slots[s];
}

static int sessions_grow(sessions *set)
{
    if (set->count == set->capacity) {
        machine_state *items = realloc(set->items, set->capacity * 2 * sizeof(machine_state));
        if (!items)
            return -1;
        set->items = items;
        set->capacity *= 2;
    }
    if ((set->count + 1) * 2 <= set->slot_mask + 1)
        return 0;
    size_t nslots = (set->slot_mask + 1) * 2;
    uint32_t *slots = calloc(nslots, sizeof(uint32_t));
    if (!slots)
        return -1;
    free(set->slots);
    set->slots = slots;
    set->slot_mask = nslots - 1;
    for (size_t i = 0; i < set->count; i++)
        *sessions_slot(set, set->items[i].chip_id) = (uint32_t)(i + 1);
    return 0;
}

machine_state *sessions_get(sessions *set, const char *chip_id)
{
    if (strlen(chip_id) > PRINCIPAL_IDENTITY_MAX)
        return NULL;
    uint32_t *slot = sessions_slot(set, chip_id);
    if (*slot)
        return &set->items[*slot - 1];
    if (sessions_grow(set) != 0)
        return NULL;
    slot = sessions_slot(set, chip_id); /* the index may have been rebuilt */
    machine_state *st = &set->items[set->count];
    memset(st, 0, sizeof(*st));
    memcpy(st->chip_id, chip_id, strlen(chip_id) + 1);
    *slot = (uint32_t)(++set->count);
    return st;
}

const machine_state *sessions_find(const sessions *set, const char *chip_id)
{
    uint32_t slot = *sessions_slot(set, chip_id);
    return slot ? &set->items[slot - 1] : NULL;
}

const machine_state *sessions_of_welder(const sessions *set, int64_t welder_id)
{
    for (size_t i = 0; i < set->count; i++)
        if (set->items[i].session.open && set->items[i].welder_id == welder_id)
            return &set->items[i];
    return NULL;
}

void sessions_each_open(sessions *set, void (*fn)(machine_state *st, void *arg), void *arg)
{
    for (size_t i = 0; i < set->count; i++)
        if (set->items[i].session.open)
            fn(&set->items[i], arg);
}

int sessions_adopt(sessions *set, const machine_state *loaded)
{
    machine_state *st = sessions_get(set, loaded->chip_id);
    if (!st)
        return -1;
    st->lease_asked = false;
    if (st->lease_epoch >= loaded->lease_epoch)
        return 0;
    bool pending = st->pending;
    uint16_t pending_mid = st->pending_mid;
    int64_t pace_due_ms = st->pace_due_ms;
    *st = *loaded;
    st->pending = pending;
    st->pending_mid = pending_mid;
    st->pace_due_ms = pace_due_ms;
    return 0;
}

size_t sessions_count(const sessions *set)
{
    return set->count;
}
