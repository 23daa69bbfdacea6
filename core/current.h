/* current.h — suspected modification (疑似改装) from the arc current a machine reports: above
 * what the machine is rated for, or jumping within one work session far above what the session
 * began with (a limiter removed, another machine's output behind this chip). Pure.
 *
 * The rules, with the figures they use:
 *  - over rated: a reading above the machine's rated current (machines.rated_current_a) by more
 *    than CURRENT_RATED_MARGIN_PCT percent (a meter's error and a machine's tolerance);
 *  - profile jump: once a session has CURRENT_BASELINE_READINGS readings, its baseline is the
 *    highest of them; a later reading at least CURRENT_JUMP_FACTOR times the baseline and
 *    CURRENT_JUMP_MIN_A amperes above it (so that 20 A to 45 A on a thin sheet is no jump). */
#ifndef WELDREG_CORE_CURRENT_H
#define WELDREG_CORE_CURRENT_H

#include <stdint.h>

#define CURRENT_RATED_MARGIN_PCT  10
#define CURRENT_BASELINE_READINGS 3
#define CURRENT_JUMP_FACTOR       2
#define CURRENT_JUMP_MIN_A        50

/* The first readings of a work session; all zero when it opens. */
typedef struct current_profile {
    uint16_t first[CURRENT_BASELINE_READINGS]; /* amperes, in order */
    uint8_t count;
} current_profile;

typedef enum current_finding {
    CURRENT_OK,
    CURRENT_OVER_RATED,   /* above the rated current and its margin */
    CURRENT_PROFILE_JUMP, /* far above the session's first readings */
} current_finding;

/* Judges reading @p amp of a machine rated @p rated_a (0: not known, no rated rule) inside a
 * session whose first readings are @p p (NULL: no session, no profile rule). Over rated is
 * reported first. Sets @p baseline_a (may be NULL) to the session's baseline (0: none yet). */
current_finding current_check(const current_profile *p, uint32_t amp, int32_t rated_a,
                              uint32_t *baseline_a);

/* Adds @p amp to the session's first readings while there are fewer than
 * CURRENT_BASELINE_READINGS; readings of 0 A (no arc) are not counted. */
void current_note(current_profile *p, uint32_t amp);

/* "over_rated", "profile_jump" or "ok". */
const char *current_finding_name(current_finding f);

#endif
