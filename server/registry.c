/* registry.c — a sorted array of machines, searched by chip id. */
#include "server/registry.h"

#include <stdlib.h>
#include <string.h>

struct registry {
    registry_machine *machines;
    size_t count;
};

static int registry_compare(const void *a, const void *b)
{
    return strcmp(((const registry_machine *)a)->chip_id, ((const registry_machine *)b)->chip_id);
}

registry *registry_create(registry_machine *machines, size_t count)
{
    registry *reg = calloc(1, sizeof(*reg));
    if (!reg) {
        free(machines);
        return NULL;
    }
    if (count)
        qsort(machines, count, sizeof(*machines), registry_compare);
    reg->machines = machines;
    reg->count = count;
    return reg;
}

void registry_destroy(registry *reg)
{
    if (!reg)
        return;
    free(reg->machines);
    free(reg);
}

const registry_machine *registry_find_machine(const registry *reg, const char *chip_id)
{
    registry_machine key;
    size_t len = strlen(chip_id);
    if (!reg->count || len > PRINCIPAL_IDENTITY_MAX)
        return NULL;
    memcpy(key.chip_id, chip_id, len + 1);
    return bsearch(&key, reg->machines, reg->count, sizeof(key), registry_compare);
}

size_t registry_machine_count(const registry *reg)
{
    return reg->count;
}

int registry_machine_status_parse(const char *text, machine_status *out)
{
    static const char *const names[] = {"active", "suspended", "scrapped"};
    for (int i = 0; i < 3; i++) {
        if (strcmp(text, names[i]) == 0) {
            *out = (machine_status)i;
            return 0;
        }
    }
    return -1;
}
