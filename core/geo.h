/* geo.h — WGS-84 coordinates: validity and great-circle distance. */
#ifndef WELDREG_CORE_GEO_H
#define WELDREG_CORE_GEO_H

#include <stdbool.h>
#include <stddef.h>

#include "core/status.h"

/* Mean radius of the WGS-84 ellipsoid, R1 = (2a + b) / 3, in metres. */
#define GEO_EARTH_RADIUS_M 6371008.7714

/* True if @p lat is finite and in [-90, 90] and @p lon finite and in [-180, 180] (degrees). */
bool geo_coords_valid(double lat, double lon);

/* Haversine distance in metres between two points given in degrees, on a sphere of
 * GEO_EARTH_RADIUS_M (error against the ellipsoid below 0.5 %, far below GPS error at the
 * 10 m scale of a hot-work site). Returns NaN if either point fails geo_coords_valid(), so a
 * comparison "distance <= radius" is then false. */
double geo_distance_m(double lat1, double lon1, double lat2, double lon2);

/* Points of an outline at most (schema/016_community_outlines.sql's check). */
#define GEO_OUTLINE_MAX 2000

/* Reads an outline (a community's, for the map) from @p len bytes of JSON: an array of
 * [lat, lon] pairs, or a GeoJSON Polygon (or a Feature holding one) whose outer ring is
 * [lon, lat] pairs (GeoJSON's order; a ring's closing point, equal to its first, is dropped).
 * 3 to GEO_OUTLINE_MAX valid points. On WR_OK *out is the ring as "[[lat,lon],...]" (malloc'd,
 * 7 decimals); WR_EINVAL with a message for the person in @p why; WR_ENOMEM. */
wr_status geo_outline_read(const char *json, size_t len, char **out, char *why, size_t whylen);

#endif
