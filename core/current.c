/* current.c — the arc current rules; see current.h. */
#include "core/current.h"

static uint32_t current_baseline(const current_profile *p)
{
    uint32_t max = 0;
    if (!p || p->count < CURRENT_BASELINE_READINGS)
        return 0;
    for (unsigned i = 0; i < CURRENT_BASELINE_READINGS; i++)
        if (p->first[i] > max)
            max = p->first[i];
    return max;
}

current_finding current_check(const current_profile *p, uint32_t amp, int32_t rated_a,
                              uint32_t *baseline_a)
{
    uint32_t base = current_baseline(p);
    if (baseline_a)
        *baseline_a = base;
    if (rated_a > 0 && (uint64_t)amp * 100 > (uint64_t)rated_a * (100 + CURRENT_RATED_MARGIN_PCT))
        return CURRENT_OVER_RATED;
    if (base > 0 && amp >= base * CURRENT_JUMP_FACTOR && amp >= base + CURRENT_JUMP_MIN_A)
        return CURRENT_PROFILE_JUMP;
    return CURRENT_OK;
}

void current_note(current_profile *p, uint32_t amp)
{
    if (amp == 0 || p->count >= CURRENT_BASELINE_READINGS)
        return;
    p->first[p->count++] = (uint16_t)(amp > UINT16_MAX ? UINT16_MAX : amp);
}

const char *current_finding_name(current_finding f)
{
    switch (f) {
    case CURRENT_OVER_RATED: return "over_rated";
    case CURRENT_PROFILE_JUMP: return "profile_jump";
    case CURRENT_OK: break;
    }
    return "ok";
}
