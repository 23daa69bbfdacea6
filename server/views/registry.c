/* registry.c — sorted arrays searched by binary search: machines by chip id, welders by id,
 * codes by cti, permits grouped by enterprise. */
#include "server/views/registry.h"

#include <stdlib.h>
#include <string.h>

struct registry {
    registry_parts parts;
    uint8_t (*revoked)[TRUST_CTI_LEN];
    revocation_list revocations;
    permit_calendar calendar;
};

static int registry_cmp_machine(const void *a, const void *b)
{
    return strcmp(((const registry_machine *)a)->chip_id, ((const registry_machine *)b)->chip_id);
}

static int registry_cmp_id(int64_t a, int64_t b)
{
    return (a > b) - (a < b);
}

static int registry_cmp_welder(const void *a, const void *b)
{
    return registry_cmp_id(((const registry_welder *)a)->id, ((const registry_welder *)b)->id);
}

static int registry_cmp_code(const void *a, const void *b)
{
    return memcmp(((const registry_code *)a)->cti, ((const registry_code *)b)->cti, TRUST_CTI_LEN);
}

static int registry_cmp_permit(const void *a, const void *b)
{
    const permit *pa = a, *pb = b;
    int c = registry_cmp_id(pa->enterprise_id, pb->enterprise_id);
    return c ? c : registry_cmp_id(pa->id, pb->id);
}

static int registry_cmp_cti(const void *a, const void *b)
{
    return memcmp(a, b, TRUST_CTI_LEN);
}

void registry_parts_free(registry_parts *parts)
{
    free(parts->machines);
    free(parts->welders);
    free(parts->codes);
    free(parts->permits);
    free(parts->ids);
    free(parts->chip_ids);
    free(parts->holiday_days);
    free(parts->holiday_rest);
    free(parts->hazard_sites);
    memset(parts, 0, sizeof(*parts));
}

/* The revoked ctis as a sorted array, for code_verify()'s revocation list. */
static int registry_collect_revoked(registry *reg)
{
    const registry_parts *p = &reg->parts;
    size_t n = 0;
    for (size_t i = 0; i < p->code_count; i++)
        n += p->codes[i].revoked;
    reg->revoked = calloc(n ? n : 1, TRUST_CTI_LEN);
    if (!reg->revoked)
        return -1;
    size_t k = 0;
    for (size_t i = 0; i < p->code_count; i++)
        if (p->codes[i].revoked)
            memcpy(reg->revoked[k++], p->codes[i].cti, TRUST_CTI_LEN);
    qsort(reg->revoked, n, TRUST_CTI_LEN, registry_cmp_cti);
    reg->revocations.version = p->revocation_version;
    reg->revocations.ctis = reg->revoked;
    reg->revocations.count = n;
    return 0;
}

registry *registry_create(registry_parts *parts)
{
    registry *reg = calloc(1, sizeof(*reg));
    if (!reg) {
        registry_parts_free(parts);
        return NULL;
    }
    reg->parts = *parts;
    memset(parts, 0, sizeof(*parts));
    registry_parts *p = &reg->parts;
    if (p->machine_count)
        qsort(p->machines, p->machine_count, sizeof(*p->machines), registry_cmp_machine);
    if (p->welder_count)
        qsort(p->welders, p->welder_count, sizeof(*p->welders), registry_cmp_welder);
    if (p->code_count)
        qsort(p->codes, p->code_count, sizeof(*p->codes), registry_cmp_code);
    if (p->permit_count)
        qsort(p->permits, p->permit_count, sizeof(*p->permits), registry_cmp_permit);
    reg->calendar = (permit_calendar){
        .days = p->holiday_days, .rest = p->holiday_rest, .count = p->holiday_count};
    if (registry_collect_revoked(reg) != 0) {
        registry_destroy(reg);
        return NULL;
    }
    return reg;
}

void registry_destroy(registry *reg)
{
    if (!reg)
        return;
    registry_parts_free(&reg->parts);
    free(reg->revoked);
    free(reg);
}

const decision_site *registry_hazard_sites(const registry *reg, size_t *count)
{
    *count = reg->parts.hazard_site_count;
    return reg->parts.hazard_sites;
}

const registry_machine *registry_find_machine(const registry *reg, const char *chip_id)
{
    registry_machine key = {.chip_id = chip_id};
    if (!reg->parts.machine_count)
        return NULL;
    return bsearch(&key, reg->parts.machines, reg->parts.machine_count, sizeof(key),
                   registry_cmp_machine);
}

const registry_welder *registry_find_welder(const registry *reg, int64_t id)
{
    registry_welder key = {.id = id};
    if (!reg->parts.welder_count)
        return NULL;
    return bsearch(&key, reg->parts.welders, reg->parts.welder_count, sizeof(key),
                   registry_cmp_welder);
}

const registry_code *registry_find_code(const registry *reg, const uint8_t cti[TRUST_CTI_LEN])
{
    registry_code key;
    if (!reg->parts.code_count)
        return NULL;
    memcpy(key.cti, cti, TRUST_CTI_LEN);
    return bsearch(&key, reg->parts.codes, reg->parts.code_count, sizeof(key), registry_cmp_code);
}

const permit *registry_permits_of(const registry *reg, int64_t enterprise_id, size_t *count)
{
    const permit *all = reg->parts.permits;
    size_t lo = 0, hi = reg->parts.permit_count;
    while (lo < hi) { /* first permit of the enterprise */
        size_t mid = lo + (hi - lo) / 2;
        if (all[mid].enterprise_id < enterprise_id)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t end = lo;
    while (end < reg->parts.permit_count && all[end].enterprise_id == enterprise_id)
        end++;
    *count = end - lo;
    return *count ? &all[lo] : NULL;
}

const revocation_list *registry_revocations(const registry *reg)
{
    return &reg->revocations;
}

const permit_calendar *registry_calendar(const registry *reg)
{
    return &reg->calendar;
}

size_t registry_machine_count(const registry *reg)
{
    return reg->parts.machine_count;
}

size_t registry_welder_count(const registry *reg)
{
    return reg->parts.welder_count;
}

size_t registry_permit_count(const registry *reg)
{
    return reg->parts.permit_count;
}

int registry_machine_status_parse(const char *text, decision_machine_status *out)
{
    static const char *const names[] = {"active", "suspended", "scrapped"};
    static const decision_machine_status values[] = {
        DECISION_MACHINE_ACTIVE, DECISION_MACHINE_SUSPENDED, DECISION_MACHINE_SCRAPPED};
    for (int i = 0; i < 3; i++) {
        if (strcmp(text, names[i]) == 0) {
            *out = values[i];
            return 0;
        }
    }
    return -1;
}
