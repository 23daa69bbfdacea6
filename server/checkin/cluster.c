/* cluster.c — the notices of weldreg_cluster, parsed and applied; the sessions open in the
 * cluster in an array (a scan looks its welder up once; removal swaps the last entry in). */
#include "server/checkin/cluster.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/hex.h"

#define CLUSTER_FIELDS_MAX 10

struct cluster_sessions {
    cluster_session *items;
    size_t count, capacity;
};

static const char *const cluster_kind_names[CLUSTER_KIND_COUNT] = {"scan", "open", "close"};

const char *cluster_kind_name(cluster_kind kind)
{
    return kind < CLUSTER_KIND_COUNT ? cluster_kind_names[kind] : "unknown";
}

/* Splits @p text (changed in place) at single spaces; returns the number of fields, or -1 if
 * there are more than @p max. */
static int cluster_split(char *text, char **fields, int max)
{
    int n = 0;
    for (char *p = text; p;) {
        if (n == max)
            return -1;
        fields[n++] = p;
        p = strchr(p, ' ');
        if (p)
            *p++ = '\0';
    }
    return n;
}

static bool cluster_int(const char *s, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < 0)
        return false;
    *out = v;
    return true;
}

static bool cluster_double(const char *s, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || !isfinite(v))
        return false;
    *out = v;
    return true;
}

static bool cluster_chip(const char *s, char *out)
{
    size_t len = strlen(s);
    if (len == 0 || len > PRINCIPAL_IDENTITY_MAX)
        return false;
    memcpy(out, s, len + 1);
    return true;
}

/* <lat> <lon>, or "- -" for none */
static bool cluster_position(const char *lat, const char *lon, cluster_notice *n)
{
    n->has_position = strcmp(lat, "-") != 0 && strcmp(lon, "-") != 0;
    return !n->has_position ||
           (cluster_double(lat, &n->scan.lat) && cluster_double(lon, &n->scan.lon));
}

/* s <cti> <lat> <lon> <at> <machine_id> <welder_id> <session_id> <chip_id> */
static int cluster_parse_scan(char **f, cluster_notice *n)
{
    n->kind = CLUSTER_SCAN;
    if (strlen(f[1]) != (size_t)2 * CODE_CTI_LEN ||
        !hex_decode_lower(f[1], n->scan.cti, CODE_CTI_LEN))
        return -1;
    if (!cluster_position(f[2], f[3], n))
        return -1;
    bool ok = cluster_int(f[4], &n->scan.at) && cluster_int(f[5], &n->machine_id) &&
              cluster_int(f[6], &n->welder_id) && cluster_int(f[7], &n->session_id) &&
              cluster_chip(f[8], n->chip_id);
    n->scan.machine_id = n->machine_id;
    return ok ? 0 : -1;
}

int cluster_notice_parse(const char *payload, cluster_notice *out)
{
    char text[256];
    char *f[CLUSTER_FIELDS_MAX];
    size_t len = strlen(payload);
    if (len >= sizeof(text))
        return -1;
    memcpy(text, payload, len + 1);
    memset(out, 0, sizeof(*out));
    int count = cluster_split(text, f, CLUSTER_FIELDS_MAX);
    if (count == 9 && strcmp(f[0], "s") == 0)
        return cluster_parse_scan(f, out);
    if (count == 7 &&
        strcmp(f[0], "o") == 0) { /* o <session> <welder> <machine> <chip> <lat> <lon> */
        out->kind = CLUSTER_OPEN;
        return cluster_int(f[1], &out->session_id) && cluster_int(f[2], &out->welder_id) &&
                       cluster_int(f[3], &out->machine_id) && cluster_chip(f[4], out->chip_id) &&
                       cluster_position(f[5], f[6], out)
                   ? 0
                   : -1;
    }
    if (count == 3 && strcmp(f[0], "c") == 0) {
        out->kind = CLUSTER_CLOSE;
        return cluster_int(f[1], &out->session_id) && cluster_int(f[2], &out->welder_id) ? 0 : -1;
    }
    return -1;
}

cluster_sessions *cluster_sessions_create(void)
{
    return calloc(1, sizeof(cluster_sessions));
}

void cluster_sessions_destroy(cluster_sessions *set)
{
    if (!set)
        return;
    free(set->items);
    free(set);
}

void cluster_sessions_clear(cluster_sessions *set)
{
    set->count = 0;
}

const cluster_session *cluster_sessions_of_welder(const cluster_sessions *set, int64_t welder_id)
{
    for (size_t i = 0; i < set->count; i++)
        if (set->items[i].welder_id == welder_id)
            return &set->items[i];
    return NULL;
}

size_t cluster_sessions_count(const cluster_sessions *set)
{
    return set->count;
}

static cluster_session *cluster_sessions_by_id(cluster_sessions *set, int64_t session_id)
{
    for (size_t i = 0; i < set->count; i++)
        if (set->items[i].session_id == session_id)
            return &set->items[i];
    return NULL;
}

static void cluster_sessions_remove(cluster_sessions *set, const cluster_session *s)
{
    size_t i = (size_t)(s - set->items);
    set->items[i] = set->items[--set->count];
}

/* A welder has one open session (the database's unique index): a newer one replaces any other
 * remembered for the welder or the machine, whose close may not have been heard yet. */
static int cluster_sessions_open(cluster_sessions *set, const cluster_session *s)
{
    for (size_t i = set->count; i-- > 0;) {
        const cluster_session *o = &set->items[i];
        if (o->welder_id == s->welder_id || o->machine_id == s->machine_id)
            cluster_sessions_remove(set, o);
    }
    if (set->count == set->capacity) {
        size_t capacity = set->capacity ? set->capacity * 2 : 64;
        cluster_session *items = realloc(set->items, capacity * sizeof(*items));
        if (!items)
            return -1;
        set->items = items;
        set->capacity = capacity;
    }
    set->items[set->count++] = *s;
    return 0;
}

int cluster_apply(scans *last_scans, cluster_sessions *open, const cluster_notice *n)
{
    if (n->kind == CLUSTER_CLOSE) {
        const cluster_session *s = cluster_sessions_by_id(open, n->session_id);
        if (s)
            cluster_sessions_remove(open, s);
        return 0;
    }
    if (n->kind == CLUSTER_SCAN && n->has_position && scans_note(last_scans, &n->scan) != 0)
        return -1;
    if (n->session_id == 0)
        return 0;
    cluster_session s = {.session_id = n->session_id,
                         .welder_id = n->welder_id,
                         .machine_id = n->machine_id,
                         .has_position = n->has_position,
                         .lat = n->scan.lat,
                         .lon = n->scan.lon};
    memcpy(s.chip_id, n->chip_id, sizeof(s.chip_id));
    return cluster_sessions_open(open, &s);
}

bool cluster_welder_busy(const sessions *local, const cluster_sessions *open, int64_t welder_id,
                         const char *chip_id, cluster_session *out)
{
    const machine_state *mine = sessions_of_welder(local, welder_id);
    if (mine) {
        if (strcmp(mine->chip_id, chip_id) == 0)
            return false;
        *out = (cluster_session){.session_id = mine->session_id,
                                 .welder_id = welder_id,
                                 .machine_id = mine->machine_id,
                                 .has_position = mine->has_position,
                                 .lat = mine->lat,
                                 .lon = mine->lon};
        memcpy(out->chip_id, mine->chip_id, sizeof(out->chip_id));
        return true;
    }
    const cluster_session *s = open ? cluster_sessions_of_welder(open, welder_id) : NULL;
    if (!s || strcmp(s->chip_id, chip_id) == 0)
        return false;
    const machine_state *held = sessions_find(local, s->chip_id);
    if (held && held->lease_epoch != 0)
        return false;
    *out = *s;
    return true;
}
