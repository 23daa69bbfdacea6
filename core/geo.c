/* geo.c — haversine distance on the WGS-84 mean sphere, and outlines read from JSON. */
#include "core/geo.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/json.h"

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

/* The outer ring of @p doc: the array itself ([lat, lon] pairs: @p lon_first false), or a
 * GeoJSON Polygon's first ring, of a Feature's geometry too ([lon, lat]). -1 when neither. */
static long geo_outline_ring(const json_doc *doc, bool *lon_first)
{
    *lon_first = false;
    long at = 0;
    if (doc->tokens[0].type == JSON_ARRAY)
        return 0;
    long type = json_find(doc, 0, "type");
    if (type >= 0 && json_string_is(doc, (size_t)type, "Feature")) {
        at = json_find(doc, 0, "geometry");
        type = at >= 0 ? json_find(doc, (size_t)at, "type") : -1;
    }
    if (type < 0 || !json_string_is(doc, (size_t)type, "Polygon"))
        return -1;
    long rings = json_find(doc, (size_t)at, "coordinates");
    if (rings < 0 || doc->tokens[rings].type != JSON_ARRAY || doc->tokens[rings].count == 0)
        return -1;
    *lon_first = true;
    return rings + 1;
}

/* The point at token @p at: two numbers or more (GeoJSON may add an altitude). */
static bool geo_outline_point(const json_doc *doc, size_t at, bool lon_first, double *lat,
                              double *lon)
{
    const json_token *t = &doc->tokens[at];
    if (t->type != JSON_ARRAY || t->count < 2 || t->count > 3)
        return false;
    for (size_t i = 1; i <= 2; i++)
        if (t[i].type != JSON_INT && t[i].type != JSON_DOUBLE)
            return false;
    *lat = lon_first ? t[2].d : t[1].d;
    *lon = lon_first ? t[1].d : t[2].d;
    return geo_coords_valid(*lat, *lon);
}

/* @p v to 7 decimals (about a centimetre), without trailing zeros: "34.5", "113.3951234". */
static void geo_degrees_text(double v, char out[24])
{
    int n = snprintf(out, 24, "%.7f", v);
    while (n > 1 && out[n - 1] == '0')
        out[--n] = '\0';
    if (out[n - 1] == '.')
        out[n - 1] = '\0';
}

/* Writes the ring at @p ring into *out. */
static wr_status geo_outline_write(const json_doc *doc, size_t ring, bool lon_first, char **out,
                                   char *why, size_t whylen)
{
    size_t n = doc->tokens[ring].count, cap = n * 32 + 3, used = 0;
    char *text = malloc(cap);
    if (!text)
        return WR_ENOMEM;
    text[used++] = '[';
    double first_lat = 0, first_lon = 0;
    size_t written = 0;
    for (size_t i = 0, k = ring + 1; i < n; i++, k = doc->tokens[k].next) {
        double lat, lon;
        if (!geo_outline_point(doc, k, lon_first, &lat, &lon)) {
            snprintf(why, whylen, "point %zu is not a valid %s pair", i + 1,
                     lon_first ? "[lon, lat]" : "[lat, lon]");
            free(text);
            return WR_EINVAL;
        }
        if (i == 0) {
            first_lat = lat;
            first_lon = lon;
        } else if (i == n - 1 && lat == first_lat && lon == first_lon) {
            break; /* the ring's closing point */
        }
        char la[24], lo[24];
        geo_degrees_text(lat, la);
        geo_degrees_text(lon, lo);
        used += (size_t)snprintf(text + used, cap - used, "%s[%s,%s]", i ? "," : "", la, lo);
        written++;
    }
    if (written < 3 || written > GEO_OUTLINE_MAX) {
        snprintf(why, whylen, "an outline has 3 to %d points, not %zu", GEO_OUTLINE_MAX, written);
        free(text);
        return WR_EINVAL;
    }
    text[used++] = ']';
    text[used] = '\0';
    *out = text;
    return WR_OK;
}

wr_status geo_outline_read(const char *json, size_t len, char **out, char *why, size_t whylen)
{
    *out = NULL;
    size_t cap = len / 2 + 8; /* every value but the first takes two bytes at least */
    json_token *tokens = malloc(cap * sizeof(*tokens));
    if (!tokens)
        return WR_ENOMEM;
    json_doc doc;
    json_error err;
    wr_status st = json_parse(json, len, tokens, cap, &doc, &err);
    bool lon_first = false;
    long ring = st == WR_OK ? geo_outline_ring(&doc, &lon_first) : -1;
    size_t n = ring >= 0 && doc.tokens[ring].type == JSON_ARRAY ? doc.tokens[ring].count : 0;
    if (st != WR_OK) {
        snprintf(why, whylen, "not JSON: %s at line %u, column %u", err.message, err.line,
                 err.column);
        st = WR_EINVAL;
    } else if (ring < 0 || doc.tokens[ring].type != JSON_ARRAY) {
        snprintf(why, whylen, "expected an array of [lat, lon] pairs or a GeoJSON Polygon");
        st = WR_EINVAL;
    } else if (n > GEO_OUTLINE_MAX + 1) {
        snprintf(why, whylen, "an outline has 3 to %d points, not %zu", GEO_OUTLINE_MAX, n);
        st = WR_EINVAL;
    } else {
        st = geo_outline_write(&doc, (size_t)ring, lon_first, out, why, whylen);
    }
    free(tokens);
    return st;
}
