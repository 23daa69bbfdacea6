/* travel.h — whether one person can have been at two places at two times: the rule that finds
 * a copied welder code (two scans of one code farther apart than travel allows). Pure. */
#ifndef WELDREG_CORE_TRAVEL_H
#define WELDREG_CORE_TRAVEL_H

#include <stdbool.h>
#include <stdint.h>

#define TRAVEL_DEFAULT_SPEED_KMH 120.0  /* faster than anyone drives between two sites in a city */
#define TRAVEL_DEFAULT_SLACK_M   1000.0 /* positions of two machines' receivers, scan delays */

/* Where and when something was seen: WGS-84 degrees, Unix seconds. */
typedef struct travel_fix {
    double lat, lon;
    int64_t at;
} travel_fix;

/* The plausible travel: at most speed_kmh, plus slack_m whatever the time. A speed that is not
 * finite and positive, or a slack that is not finite and at least 0, takes its default. */
typedef struct travel_limits {
    double speed_kmh;
    double slack_m;
} travel_limits;

/* What the rule found about two fixes. */
typedef struct travel_check {
    double distance_m; /* great-circle distance between them */
    double allowed_m;  /* slack_m + speed × |elapsed_s| */
    int64_t elapsed_s; /* b.at - a.at (may be negative: a fix may arrive late) */
} travel_check;

/* True when nobody could have gone from @p a to @p b in the time between them: the distance
 * is greater than the allowed one. False when either position is not valid. Fills @p out
 * (may be NULL). */
bool travel_impossible(const travel_fix *a, const travel_fix *b, const travel_limits *lim,
                       travel_check *out);

#endif
