/* geo.c — haversine distance on the WGS-84 mean sphere. */
#include "core/geo.h"

#include <math.h>

static const double geo_pi = 3.14159265358979323846;

static double geo_radians(double degrees)
{
    return degrees * geo_pi / 180.0;
}

bool geo_coords_valid(double lat, double lon)
{
    return isfinite(lat) && isfinite(lon) && lat >= -90.0 && lat <= 90.0 && lon >= -180.0 &&
           lon <= 180.0;
}

double geo_distance_m(double lat1, double lon1, double lat2, double lon2)
{
    if (!geo_coords_valid(lat1, lon1) || !geo_coords_valid(lat2, lon2))
        return NAN;
    double phi1 = geo_radians(lat1);
    double phi2 = geo_radians(lat2);
    double half_dphi = sin((phi2 - phi1) / 2.0);
    double half_dlambda = sin(geo_radians(lon2 - lon1) / 2.0);
    double h = half_dphi * half_dphi + cos(phi1) * cos(phi2) * half_dlambda * half_dlambda;
    /* Rounding can push h a hair outside [0, 1] for antipodal points. */
    if (h > 1.0)
        h = 1.0;
    return 2.0 * GEO_EARTH_RADIUS_M * asin(sqrt(h));
}
