/* travel.c — the impossible-travel rule; see travel.h. */
#include "core/travel.h"

#include <math.h>
#include <string.h>

#include "core/geo.h"

static double travel_or_default(double v, double dflt, bool zero_ok)
{
    return isfinite(v) && (v > 0 || (zero_ok && v == 0)) ? v : dflt;
}

bool travel_impossible(const travel_fix *a, const travel_fix *b, const travel_limits *lim,
                       travel_check *out)
{
    travel_check c;
    memset(&c, 0, sizeof(c));
    double speed = travel_or_default(lim ? lim->speed_kmh : 0, TRAVEL_DEFAULT_SPEED_KMH, false);
    double slack = travel_or_default(lim ? lim->slack_m : -1, TRAVEL_DEFAULT_SLACK_M, true);
    c.distance_m = geo_distance_m(a->lat, a->lon, b->lat, b->lon);
    c.elapsed_s = b->at - a->at;
    double seconds = fabs((double)c.elapsed_s);
    c.allowed_m = slack + speed / 3.6 * seconds;
    if (out)
        *out = c;
    return isfinite(c.distance_m) && c.distance_m > c.allowed_m;
}
