/* store_registry.c — reads the registry into the in-memory view the check-ins are judged by. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hex.h"
#include "core/licence.h"
#include "server/db/store.h"
#include "server/db/store_internal.h"

static const char STORE_SQL_MACHINES[] =
    "SELECT m.chip_id, m.id, m.enterprise_id, e.community_id, m.status, m.process_category,"
    " e.status = 'suspended', e.id IN (SELECT enterprise_id FROM major_hazards"
    " WHERE lifted_at IS NULL), coalesce(m.rated_current_a, 0)"
    " FROM machines m JOIN enterprises e ON e.id = m.enterprise_id";

/* Registry dates are days in China (UTC+8). A licence valid until a day, or reviewed by it, is
 * read as the day (days since 1970-01-01) and ends where licence_day_end() says; so is the
 * end of the welder's latest training (NULL: none on record). */
static const char STORE_SQL_WELDERS[] =
    "SELECT w.id, w.status, array_to_string(w.licence_categories, ','),"
    " extract(epoch FROM (w.licence_issued_on::timestamp AT TIME ZONE 'Asia/Shanghai'))::bigint,"
    " w.licence_valid_until - DATE '1970-01-01', w.licence_review_due - DATE '1970-01-01',"
    " w.licence_status, w.long_record,"
    " (SELECT max(t.valid_until) - DATE '1970-01-01' FROM welder_trainings t"
    "  WHERE t.welder_id = w.id)"
    " FROM welders w";

static const char STORE_SQL_CODES[] =
    "SELECT encode(cti, 'hex'), kind, coalesce(machine_id, welder_id), revoked_at IS NOT NULL,"
    " coalesce(revocation_version, 0) FROM codes";

/* Permits that can still matter: approved and not ended more than two days ago (late events
 * are judged at their own time). */
#define STORE_CURRENT_PERMITS "status = 'approved' AND ends_at > now() - interval '2 days'"

static const char STORE_SQL_PERMITS[] =
    "SELECT id, enterprise_id, level, extract(epoch FROM starts_at)::bigint,"
    " extract(epoch FROM ends_at)::bigint, site_lat, site_lon, site_radius_m,"
    " coalesce(extract(epoch FROM gas_analysis_at)::bigint, -1), all_machines,"
    " coalesce(approver_level, '')"
    " FROM permits WHERE " STORE_CURRENT_PERMITS " ORDER BY id";

static const char STORE_SQL_PERMIT_PEOPLE[] =
    "SELECT x.permit_id, x.welder_id, 0 FROM permit_welders x JOIN permits p ON p.id = x.permit_id"
    " WHERE p." STORE_CURRENT_PERMITS
    " UNION ALL SELECT x.permit_id, x.machine_id, 1 FROM permit_machines x"
    " JOIN permits p ON p.id = x.permit_id WHERE p." STORE_CURRENT_PERMITS " ORDER BY 1, 3, 2";

static PGresult *store_query(store *st, const char *sql, const char *what, char *err, size_t errlen)
{
    PGresult *res = PQexec(st->conn, sql);
    if (PQresultStatus(res) == PGRES_TUPLES_OK)
        return res;
    store_copy_error(st->conn, what, err, errlen);
    PQclear(res);
    return NULL;
}

static int64_t store_int(const PGresult *res, int row, int col)
{
    return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

static unsigned store_categories(const char *text)
{
    unsigned bits = 0;
    while (*text) {
        size_t len = strcspn(text, ",");
        licence_category cat;
        if (licence_category_from_name(text, len, &cat))
            bits |= (unsigned)cat;
        text += len + (text[len] == ',');
    }
    return bits;
}

typedef struct store_machines_load {
    registry_parts *parts;
    size_t expected;
    char *next_chip;      /* in parts->chip_ids */
    const char *chip_end; /* the end of parts->chip_ids */
} store_machines_load;

static int store_add_machines(const PGresult *res, void *arg, char *err, size_t errlen)
{
    store_machines_load *load = arg;
    registry_parts *p = load->parts;
    for (int i = 0; i < PQntuples(res); i++) {
        registry_machine *m = &p->machines[p->machine_count];
        const char *chip = PQgetvalue(res, i, 0);
        size_t len = strlen(chip);
        if (p->machine_count == load->expected ||
            len + 1 > (size_t)(load->chip_end - load->next_chip)) {
            snprintf(err, errlen, "the machines changed while they were read");
            return -1;
        }
        if (len > PRINCIPAL_IDENTITY_MAX ||
            registry_machine_status_parse(PQgetvalue(res, i, 4), &m->status) != 0) {
            snprintf(err, errlen, "machine %s has an unknown status", PQgetvalue(res, i, 1));
            return -1;
        }
        memcpy(load->next_chip, chip, len + 1);
        m->chip_id = load->next_chip;
        load->next_chip += len + 1;
        m->id = store_int(res, i, 1);
        m->enterprise_id = store_int(res, i, 2);
        m->community_id = store_int(res, i, 3);
        m->category = store_categories(PQgetvalue(res, i, 5));
        m->enterprise_suspended = PQgetvalue(res, i, 6)[0] == 't';
        m->major_hazard = PQgetvalue(res, i, 7)[0] == 't';
        m->rated_current_a = (int32_t)store_int(res, i, 8);
        p->machine_count++;
    }
    return 0;
}

/* The machines, a chunk at a time (a million of them in one result left its freed memory
 * resident in this thread's arena), their chip ids packed in one block sized beforehand. */
static int store_load_machines(store *st, registry_parts *p, char *err, size_t errlen)
{
    const char *what = "could not read machines";
    int64_t count[2];
    if (store_count_rows(st, STORE_SQL_MACHINES, "chip_id", count, what, err, errlen) != 0)
        return -1;
    store_machines_load load = {.parts = p, .expected = (size_t)count[0]};
    size_t chip_bytes = (size_t)(count[1] + count[0]); /* each id and its NUL */
    p->machines = calloc(load.expected + 1, sizeof(*p->machines));
    p->chip_ids = malloc(chip_bytes + 1);
    if (!p->machines || !p->chip_ids) {
        snprintf(err, errlen, "out of memory for %zu machines", load.expected);
        return -1;
    }
    load.next_chip = p->chip_ids;
    load.chip_end = p->chip_ids + chip_bytes;
    return store_read_chunked(st, STORE_SQL_MACHINES, what, false, store_add_machines, &load, err,
                              errlen);
}

static int store_load_welders(store *st, registry_parts *p, char *err, size_t errlen)
{
    PGresult *res = store_query(st, STORE_SQL_WELDERS, "could not read welders", err, errlen);
    if (!res)
        return -1;
    int rows = PQntuples(res);
    p->welders = calloc((size_t)rows + 1, sizeof(*p->welders));
    if (!p->welders) {
        PQclear(res);
        return -1;
    }
    for (int i = 0; i < rows; i++) {
        registry_welder *w = &p->welders[i];
        w->id = store_int(res, i, 0);
        w->status = strcmp(PQgetvalue(res, i, 1), "active") == 0 ? DECISION_WELDER_ACTIVE
                                                                 : DECISION_WELDER_INACTIVE;
        w->licence.categories = store_categories(PQgetvalue(res, i, 2));
        w->licence.issued = store_int(res, i, 3);
        w->licence.valid_until = licence_day_end(store_int(res, i, 4));
        w->licence.review_due = licence_day_end(store_int(res, i, 5));
        w->licence.status =
            strcmp(PQgetvalue(res, i, 6), "active") == 0 ? LICENCE_ACTIVE : LICENCE_REVOKED;
        w->licence.long_review = PQgetvalue(res, i, 7)[0] == 't';
        w->trained = !PQgetisnull(res, i, 8);
        w->training_until = w->trained ? licence_day_end(store_int(res, i, 8)) : 0;
        p->welder_count++;
    }
    PQclear(res);
    return 0;
}

typedef struct store_codes_load {
    registry_parts *parts;
    size_t expected;
} store_codes_load;

static int store_add_codes(const PGresult *res, void *arg, char *err, size_t errlen)
{
    store_codes_load *load = arg;
    registry_parts *p = load->parts;
    for (int i = 0; i < PQntuples(res); i++) {
        if (p->code_count == load->expected) {
            snprintf(err, errlen, "the codes changed while they were read");
            return -1;
        }
        registry_code *c = &p->codes[p->code_count];
        if (!hex_decode_lower(PQgetvalue(res, i, 0), c->cti, TRUST_CTI_LEN)) {
            snprintf(err, errlen, "a code id is not %d bytes", TRUST_CTI_LEN);
            return -1;
        }
        c->kind = PQgetvalue(res, i, 1)[0] == 'm' ? 'm' : 'w';
        c->subject_id = store_int(res, i, 2);
        c->revoked = PQgetvalue(res, i, 3)[0] == 't';
        c->revocation_version = (uint64_t)store_int(res, i, 4);
        p->code_count++;
    }
    return 0;
}

/* The issued codes (one per machine and welder: as many as the machines), a chunk at a time,
 * then the revocation list's version. */
static int store_load_codes(store *st, registry_parts *p, char *err, size_t errlen)
{
    const char *what = "could not read codes";
    int64_t count[2];
    if (store_count_rows(st, STORE_SQL_CODES, NULL, count, what, err, errlen) != 0)
        return -1;
    store_codes_load load = {.parts = p, .expected = (size_t)count[0]};
    p->codes = calloc(load.expected + 1, sizeof(*p->codes));
    if (!p->codes) {
        snprintf(err, errlen, "out of memory for %zu codes", load.expected);
        return -1;
    }
    int rc =
        store_read_chunked(st, STORE_SQL_CODES, what, false, store_add_codes, &load, err, errlen);
    if (rc == 0) {
        PGresult *res = store_query(st, "SELECT version FROM revocation_list",
                                    "could not read the revocation list", err, errlen);
        rc = res ? 0 : -1;
        if (res && PQntuples(res) == 1)
            p->revocation_version = (uint64_t)store_int(res, 0, 0);
        PQclear(res);
    }
    return rc;
}

/* The level named @p text; the schema's CHECK leaves only the three names. */
static permit_level store_permit_level(const char *text)
{
    permit_level level = PERMIT_SECOND;
    permit_level_from_name(text, &level);
    return level;
}

static void store_permit_from_row(const PGresult *res, int i, permit *pm)
{
    permit_init(pm);
    pm->id = store_int(res, i, 0);
    pm->enterprise_id = store_int(res, i, 1);
    pm->level = store_permit_level(PQgetvalue(res, i, 2));
    pm->status = PERMIT_APPROVED;
    pm->start = store_int(res, i, 3);
    pm->end = store_int(res, i, 4);
    pm->has_site = true;
    pm->lat = strtod(PQgetvalue(res, i, 5), NULL);
    pm->lon = strtod(PQgetvalue(res, i, 6), NULL);
    pm->radius_m = strtod(PQgetvalue(res, i, 7), NULL);
    int64_t gas = store_int(res, i, 8);
    pm->has_gas_analysis = gas >= 0;
    pm->gas_analysis_at = gas;
    pm->any_machine = PQgetvalue(res, i, 9)[0] == 't';
    pm->has_approver_level = PQgetvalue(res, i, 10)[0] != '\0';
    pm->approver_level = store_permit_level(PQgetvalue(res, i, 10));
}

/* Points each permit's welder and machine lists into one pool of ids. Both results are
 * ordered by permit id, so one merge pass assigns them. */
static int store_attach_people(registry_parts *p, const PGresult *people)
{
    int rows = PQntuples(people);
    p->ids = calloc((size_t)rows + 1, sizeof(int64_t));
    if (!p->ids)
        return -1;
    int r = 0;
    for (size_t k = 0; k < p->permit_count; k++) {
        permit *pm = &p->permits[k];
        while (r < rows && store_int(people, r, 0) < pm->id)
            r++;
        pm->welders = &p->ids[r];
        while (r < rows && store_int(people, r, 0) == pm->id && store_int(people, r, 2) == 0) {
            p->ids[r] = store_int(people, r, 1);
            pm->welder_count++;
            r++;
        }
        pm->machines = &p->ids[r];
        while (r < rows && store_int(people, r, 0) == pm->id) {
            p->ids[r] = store_int(people, r, 1);
            pm->machine_count++;
            r++;
        }
    }
    return 0;
}

static int store_load_permits(store *st, registry_parts *p, char *err, size_t errlen)
{
    PGresult *res = store_query(st, STORE_SQL_PERMITS, "could not read permits", err, errlen);
    if (!res)
        return -1;
    int rows = PQntuples(res);
    p->permits = calloc((size_t)rows + 1, sizeof(*p->permits));
    for (int i = 0; p->permits && i < rows; i++)
        store_permit_from_row(res, i, &p->permits[p->permit_count++]);
    PQclear(res);
    if (!p->permits)
        return -1;
    res = store_query(st, STORE_SQL_PERMIT_PEOPLE, "could not read permit lists", err, errlen);
    int rc = res ? store_attach_people(p, res) : -1;
    PQclear(res);
    return rc;
}

/* The holiday calendar, in day order (permit_calendar). */
static int store_load_holidays(store *st, registry_parts *p, char *err, size_t errlen)
{
    PGresult *res =
        store_query(st, "SELECT day - DATE '1970-01-01', rest FROM holidays ORDER BY day",
                    "could not read the holiday calendar", err, errlen);
    if (!res)
        return -1;
    int rows = PQntuples(res);
    p->holiday_days = calloc(rows ? (size_t)rows : 1, sizeof(*p->holiday_days));
    p->holiday_rest = calloc(rows ? (size_t)rows : 1, sizeof(*p->holiday_rest));
    if (!p->holiday_days || !p->holiday_rest) {
        PQclear(res);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (int i = 0; i < rows; i++) {
        p->holiday_days[i] = store_int(res, i, 0);
        p->holiday_rest[i] = PQgetvalue(res, i, 1)[0] == 't';
    }
    p->holiday_count = (size_t)rows;
    PQclear(res);
    return 0;
}

static const char STORE_SQL_HAZARD_SITES[] =
    "SELECT site_lat, site_lon, site_radius_m FROM major_hazards"
    " WHERE lifted_at IS NULL AND site_lat IS NOT NULL ORDER BY id";

/* The sites of the open major hazards (few: they are open until an inspector lifts them). */
static int store_load_hazard_sites(store *st, registry_parts *p, char *err, size_t errlen)
{
    PGresult *res =
        store_query(st, STORE_SQL_HAZARD_SITES, "could not read major hazards", err, errlen);
    if (!res)
        return -1;
    int rows = PQntuples(res);
    p->hazard_sites = calloc((size_t)rows + 1, sizeof(*p->hazard_sites));
    if (!p->hazard_sites) {
        PQclear(res);
        snprintf(err, errlen, "out of memory for %d major hazards", rows);
        return -1;
    }
    for (int i = 0; i < rows; i++) {
        p->hazard_sites[i] = (decision_site){.lat = strtod(PQgetvalue(res, i, 0), NULL),
                                             .lon = strtod(PQgetvalue(res, i, 1), NULL),
                                             .radius_m = strtod(PQgetvalue(res, i, 2), NULL)};
    }
    p->hazard_site_count = (size_t)rows;
    PQclear(res);
    return 0;
}

int store_load_registry(store *st, registry **out, char *err, size_t errlen)
{
    registry_parts parts;
    memset(&parts, 0, sizeof(parts));
    *out = NULL;
    /* One snapshot for all the reads, so the view is consistent. */
    if (store_exec(st, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", err, errlen) != 0)
        return -1;
    int rc = store_load_machines(st, &parts, err, errlen);
    if (rc == 0)
        rc = store_load_welders(st, &parts, err, errlen);
    if (rc == 0)
        rc = store_load_codes(st, &parts, err, errlen);
    if (rc == 0)
        rc = store_load_permits(st, &parts, err, errlen);
    if (rc == 0)
        rc = store_load_holidays(st, &parts, err, errlen);
    if (rc == 0)
        rc = store_load_hazard_sites(st, &parts, err, errlen);
    char msg[128];
    store_exec(st, "COMMIT", msg, sizeof(msg));
    if (rc != 0) {
        registry_parts_free(&parts);
        return -1;
    }
    *out = registry_create(&parts);
    if (!*out) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

/* ---- machine states at start ---- */

/* From the keys (schema/022): one index, where checkins would be read partition by partition;
 * and from the floors of the months dropped (schema/029), for a chip whose keys all went. */
static const char STORE_SQL_LAST_SEQ[] =
    "SELECT chip_id, max(seq) FROM (SELECT chip_id, seq FROM checkin_keys"
    " UNION ALL SELECT chip_id, seq FROM checkin_seq_floors) k GROUP BY chip_id";

static const char STORE_SQL_OPEN_SESSIONS[] =
    "SELECT m.chip_id, ws.id, ws.machine_id, ws.welder_id, coalesce(ws.permit_id, 0),"
    " extract(epoch FROM ws.opened_at)::bigint, extract(epoch FROM ws.until)::bigint,"
    " extract(epoch FROM ws.last_seen_at)::bigint"
    " FROM work_sessions ws JOIN machines m ON m.id = ws.machine_id WHERE ws.closed_at IS NULL";

static int store_apply_last_seqs(const PGresult *res, sessions *set)
{
    for (int i = 0; i < PQntuples(res); i++) {
        machine_state *st = sessions_get(set, PQgetvalue(res, i, 0));
        if (!st)
            return -1;
        st->session.has_last_seq = true;
        st->session.last_seq = (uint64_t)store_int(res, i, 1);
    }
    return 0;
}

static int store_apply_open_sessions(const PGresult *res, sessions *set)
{
    for (int i = 0; i < PQntuples(res); i++) {
        machine_state *st = sessions_get(set, PQgetvalue(res, i, 0));
        if (!st)
            return -1;
        st->session_id = store_int(res, i, 1);
        st->machine_id = store_int(res, i, 2);
        st->welder_id = store_int(res, i, 3);
        st->permit_id = store_int(res, i, 4);
        st->session.open = true;
        st->session.started_at = store_int(res, i, 5);
        st->session.until = store_int(res, i, 6);
        st->session.last_seen = store_int(res, i, 7);
    }
    return 0;
}

int store_load_sessions(store *st, sessions *set, char *err, size_t errlen)
{
    PGresult *res =
        store_query(st, STORE_SQL_LAST_SEQ, "could not read the last check-ins", err, errlen);
    int rc = res ? store_apply_last_seqs(res, set) : -1;
    PQclear(res);
    if (rc != 0)
        return -1;
    res =
        store_query(st, STORE_SQL_OPEN_SESSIONS, "could not read open work sessions", err, errlen);
    rc = res ? store_apply_open_sessions(res, set) : -1;
    PQclear(res);
    return rc;
}
