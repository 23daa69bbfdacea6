/* geo.h — WGS-84 coordinates: validity and great-circle distance. */
#ifndef WELDREG_CORE_GEO_H
#define WELDREG_CORE_GEO_H

#include <stdbool.h>

/* Mean radius of the WGS-84 ellipsoid, R1 = (2a + b) / 3, in metres. */
#define GEO_EARTH_RADIUS_M 6371008.7714

/* True if @p lat is finite and in [-90, 90] and @p lon finite and in [-180, 180] (degrees). */
bool geo_coords_valid(double lat, double lon);

/* Haversine distance in metres between two points given in degrees, on a sphere of
 * GEO_EARTH_RADIUS_M (error against the ellipsoid below 0.5 %, far below GPS error at the
 * 10 m scale of a hot-work site). Returns NaN if either point fails geo_coords_valid(), so a
 * comparison "distance <= radius" is then false. */
double geo_distance_m(double lat1, double lon1, double lat2, double lon2);

#endif
