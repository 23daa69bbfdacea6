/* res_inspect.c — what enforcement squads use on site (docs/inspector-guide.md): a machine's
 * status card, violations with their evidence, the violation life cycle, on-site reports, and
 * live alerts (Observe). Admins see everything; inspectors their communities; machines none. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/registry_rules.h"
#include "core/violation.h"
#include "server/api/admin.h"
#include "server/api/api.h"
#include "server/loop/handlers.h"
#include "server/loop/log.h"
#include "server/loop/reply.h"
#include "server/db/store_inspect.h"

#define INSPECT_BODY_MAX     (16u << 10)
#define INSPECT_PAGE_DEFAULT 50
#define INSPECT_PAGE_MAX     500
#define INSPECT_LIVE_WINDOW  50
#define INSPECT_NOTE_MAX     1000 /* characters */
#define INSPECT_CODE_MAX     1024 /* bytes of a code's text kept as evidence */
/* an on-site finding may be recorded up to a week late, never in the future */
#define INSPECT_REPORT_PAST_S   (7 * 86400)
#define INSPECT_REPORT_FUTURE_S 300

/* Query parameter @p key into @p out; 4.00 if longer than @p cap - 1 bytes. */
static bool inspect_query_text(admin_request *r, const char *key, char *out, size_t cap)
{
    char text[256];
    admin_query_param(r, key, text, sizeof(text));
    if (strlen(text) >= cap) {
        admin_error(r, COAP_RESPONSE_CODE_BAD_REQUEST, "query \"%s\": at most %zu characters", key,
                    cap - 1);
        return false;
    }
    snprintf(out, cap, "%s", text);
    return true;
}

/* Query parameter @p key as a China calendar day YYYY-MM-DD ("" when absent). */
static bool inspect_query_day(admin_request *r, const char *key, char out[11])
{
    int64_t days;
    if (!inspect_query_text(r, key, out, 11))
        return false;
    if (out[0] && rules_parse_date(out, strlen(out), &days) != WR_OK) {
        admin_error(r, COAP_RESPONSE_CODE_BAD_REQUEST, "query \"%s\": expected a date YYYY-MM-DD",
                    key);
        return false;
    }
    return true;
}

/* ---- GET /v1/machines/card?chip=ID ---- */

static void card_get(admin_request *r)
{
    static const char *const params[] = {"chip", NULL};
    char chip[65];
    if (!admin_query_known(r, params) || !inspect_query_text(r, "chip", chip, sizeof(chip)))
        return;
    if (!chip[0]) {
        admin_reply_invalid(r, "query \"chip\": say which machine (?chip=CHIP-ID)");
        return;
    }
    store *st = admin_store(r);
    if (!st)
        return;
    admin_outcome out;
    bool out_of_scope;
    store_inspect_card(st, chip, r->scope, &out, &out_of_scope);
    if (out_of_scope) {
        admin_error(r, COAP_RESPONSE_CODE_FORBIDDEN,
                    "machine %s is registered outside your communities", chip);
        admin_outcome_deinit(&out);
        return;
    }
    char what[96];
    snprintf(what, sizeof(what), "machine with chip %s", chip);
    admin_reply_found(r, &out, COAP_RESPONSE_CODE_CONTENT, what);
}
ADMIN_HANDLER(hnd_get_machine_card, ADMIN_ENFORCE, card_get)

/* ---- GET /v1/violations ---- */

/* The closed sets a listing of violations is filtered by: its status and its kind. */
static bool violations_query_enums(admin_request *r, violation_query *q)
{
    static const char *const booleans[] = {"true", "false", NULL};
    const char *statuses[VIOLATION_STATUS_COUNT_ + 1], *kinds[VIOLATION_KINDS_MAX + 1];
    char overdue[8];
    for (int s = 0; s < VIOLATION_STATUS_COUNT_; s++)
        statuses[s] = violation_status_name((violation_status)s);
    statuses[VIOLATION_STATUS_COUNT_] = NULL;
    violation_kinds(kinds, sizeof(kinds) / sizeof(kinds[0]));
    if (!admin_query_enum(r, "status", statuses, q->status, sizeof(q->status)) ||
        !admin_query_enum(r, "kind", kinds, q->kind, sizeof(q->kind)) ||
        !admin_query_enum(r, "overdue", booleans, overdue, sizeof(overdue)))
        return false;
    q->overdue = strcmp(overdue, "true") == 0;
    return true;
}

static bool violations_query(admin_request *r, violation_query *q)
{
    static const char *const params[] = {
        "id",    "community_id", "enterprise_id", "machine_id", "welder_id", "before", "after",
        "limit", "chip",         "kind",          "status",     "from",      "to",     "overdue",
        NULL};
    int64_t limit = 0;
    memset(q, 0, sizeof(*q));
    q->scope = r->scope;
    if (!admin_query_known(r, params) || !admin_query_id(r, "id", &q->id) ||
        !admin_query_id(r, "community_id", &q->community_id) ||
        !admin_query_id(r, "enterprise_id", &q->enterprise_id) ||
        !admin_query_id(r, "machine_id", &q->machine_id) ||
        !admin_query_id(r, "welder_id", &q->welder_id) ||
        !admin_query_id(r, "before", &q->before) || !admin_query_id(r, "after", &q->after) ||
        !admin_query_id(r, "limit", &limit) || !inspect_query_text(r, "chip", q->chip, 65) ||
        !violations_query_enums(r, q) || !inspect_query_day(r, "from", q->from) ||
        !inspect_query_day(r, "to", q->to))
        return false;
    if (limit > INSPECT_PAGE_MAX) {
        admin_error(r, COAP_RESPONSE_CODE_BAD_REQUEST,
                    "query \"limit\": at most %d violations per page", INSPECT_PAGE_MAX);
        return false;
    }
    if (q->before && q->after) {
        admin_reply_invalid(r, "query: give \"before\" (newest first) or \"after\" (oldest "
                               "first), not both");
        return false;
    }
    q->limit = limit ? (int)limit : INSPECT_PAGE_DEFAULT;
    q->ascending = q->after != 0;
    return true;
}

/* Reads the violations @p q asks for and answers them. */
static void violations_answer(admin_request *r, const violation_query *q, const char *what)
{
    store *st = admin_store(r);
    if (!st)
        return;
    admin_outcome out;
    store_inspect_violations(st, q, &out);
    admin_reply_found(r, &out, COAP_RESPONSE_CODE_CONTENT, what);
}

static void violations_get(admin_request *r)
{
    violation_query q;
    if (violations_query(r, &q))
        violations_answer(r, &q, "violation with this id");
}
ADMIN_HANDLER(hnd_get_violations, ADMIN_ENFORCE, violations_get)

/* ---- GET /v1/violations/live?after=ID (observable) ---- */

/* The newest violations in the caller's communities above "after", newest first. An observer
 * gets this again whenever violations are recorded; when "next" is not null the window did not
 * reach back to "after", and the client catches up with GET /v1/violations?after=ID. */
static void live_get(admin_request *r)
{
    static const char *const params[] = {"after", NULL};
    violation_query q = {.scope = r->scope, .limit = INSPECT_LIVE_WINDOW};
    if (admin_query_known(r, params) && admin_query_id(r, "after", &q.after))
        violations_answer(r, &q, "violation");
}
ADMIN_HANDLER_ON_LOOP(hnd_get_violations_live, ADMIN_ENFORCE, live_get)

/* ---- POST /v1/violations/{acknowledge,resolve,dismiss} {"id", "note"} ---- */

/* Answers 2.04 with violation @p id as it is now, history included. */
static void violation_answer_changed(admin_request *r, store *st, int64_t id)
{
    admin_outcome out;
    violation_query q = {.id = id, .scope = r->scope};
    store_inspect_violations(st, &q, &out);
    admin_reply_found(r, &out, COAP_RESPONSE_CODE_CHANGED, "violation");
}

/* Answers 4.09 for a step violation @p id in @p current cannot take. */
static void violation_step_refused(admin_request *r, int64_t id, const char *current,
                                   violation_status to)
{
    violation_status from;
    bool known = violation_status_from_name(current, strlen(current), &from);
    if (known && violation_step_allowed(from, to) && violation_step_is_closing(to)) {
        admin_error(r, COAP_RESPONSE_CODE_CONFLICT,
                    "violation %lld has no evidence of the fix on record: add it first "
                    "(POST /v1/violations/evidence)",
                    (long long)id);
        return;
    }
    admin_error(r, COAP_RESPONSE_CODE_CONFLICT, "violation %lld is %s and cannot become %s%s",
                (long long)id, current, violation_status_name(to),
                strcmp(current, "resolved") == 0 || strcmp(current, "dismissed") == 0
                    ? " (resolved and dismissed are final)"
                    : "");
}

/* Answers a change of violation @p id (@p out, which it frees): the violation as it is now, or
 * the refusal. One in scope in a state the change does not take (@p current set) is 4.09: for
 * a step to @p to, or (@p to NULL) for a note once the rectification is over. True when the
 * change went through. */
static bool violation_answer(admin_request *r, store *st, admin_outcome *out, int64_t id,
                             const char *current, const char *action, const violation_status *to)
{
    if (out->status == STORE_OK && out->not_found && current[0]) {
        if (to)
            violation_step_refused(r, id, current, *to);
        else
            admin_error(r, COAP_RESPONSE_CODE_CONFLICT,
                        "violation %lld is %s: its rectification is over", (long long)id, current);
        admin_outcome_deinit(out);
        return false;
    }
    if (out->status != STORE_OK || out->not_found) {
        char what[64];
        snprintf(what, sizeof(what), "violation %lld", (long long)id);
        admin_reply_change(r, out, action, COAP_RESPONSE_CODE_CHANGED, what);
        return false;
    }
    admin_outcome_deinit(out);
    violation_answer_changed(r, st, id);
    return true;
}

/* The body {"id", "note"} of a change of a violation. False after answering. */
static bool violation_read_body(admin_request *r, int64_t *id, char *note, size_t cap)
{
    static const char *const fields[] = {"id", "note", NULL};
    return admin_read_body(r, INSPECT_BODY_MAX) && admin_body_fields(r, fields) &&
           admin_body_id(r, "id", id) && admin_body_text(r, "note", INSPECT_NOTE_MAX, note, cap);
}

static void violation_step(admin_request *r, violation_status to)
{
    int64_t id;
    char note[4 * INSPECT_NOTE_MAX + 1];
    if (!violation_read_body(r, &id, note, sizeof(note)))
        return;
    const char *to_name = violation_status_name(to);
    if (violation_step_is_closing(to) && r->who->role != ROLE_INSPECTOR) {
        admin_error(r, COAP_RESPONSE_CODE_FORBIDDEN,
                    "only an inspector closes (销号) a violation, after checking the fix");
        return;
    }
    if (violation_step_needs_note(to) && !note[0]) {
        admin_error(r, COAP_RESPONSE_CODE_BAD_REQUEST,
                    "field \"note\": say why the violation is %s", to_name);
        return;
    }
    const char *from[VIOLATION_STATUS_COUNT_];
    int nfrom = 0;
    for (int s = 0; s < VIOLATION_STATUS_COUNT_; s++)
        if (violation_step_allowed((violation_status)s, to))
            from[nfrom++] = violation_status_name((violation_status)s);
    store *st = admin_store(r);
    if (!st)
        return;
    admin_outcome out;
    char current[16];
    store_inspect_step(st, r->who->identity, r->scope, id, to_name, from, nfrom, note, 0, &out,
                       current);
    if (violation_answer(r, st, &out, id, current, to_name, &to))
        log_event(LOG_LEVEL_INFO, "violation_step", "id=%lld status=%s actor=%s", (long long)id,
                  to_name, r->who->identity);
}

static void violation_acknowledge(admin_request *r)
{
    violation_step(r, VIOLATION_ACKNOWLEDGED);
}

static void violation_resolve(admin_request *r)
{
    violation_step(r, VIOLATION_RESOLVED);
}

static void violation_dismiss(admin_request *r)
{
    violation_step(r, VIOLATION_DISMISSED);
}
ADMIN_HANDLER(hnd_post_violations_acknowledge, ADMIN_ENFORCE, violation_acknowledge)
ADMIN_HANDLER(hnd_post_violations_resolve, ADMIN_ENFORCE, violation_resolve)
ADMIN_HANDLER(hnd_post_violations_dismiss, ADMIN_ENFORCE, violation_dismiss)

/* ---- POST /v1/violations/{progress,evidence} {"id", "note"}: the rectification (整改) ---- */

static void violation_note(admin_request *r, violation_entry entry)
{
    int64_t id;
    char note[4 * INSPECT_NOTE_MAX + 1];
    if (!violation_read_body(r, &id, note, sizeof(note)))
        return;
    if (!note[0]) {
        admin_reply_invalid(r, entry == VIOLATION_ENTRY_EVIDENCE
                                   ? "field \"note\": describe the fix, or give the reference of "
                                     "the document that shows it"
                                   : "field \"note\": say how the rectification stands");
        return;
    }
    store *st = admin_store(r);
    if (!st)
        return;
    admin_outcome out;
    char current[16];
    store_inspect_note(st, r->who->identity, r->scope, id, violation_entry_name(entry), note, 0,
                       &out, current);
    violation_answer(r, st, &out, id, current, violation_entry_name(entry), NULL);
}

static void violation_progress(admin_request *r)
{
    violation_note(r, VIOLATION_ENTRY_PROGRESS);
}

static void violation_evidence(admin_request *r)
{
    violation_note(r, VIOLATION_ENTRY_EVIDENCE);
}
ADMIN_HANDLER(hnd_post_violations_progress, ADMIN_ENFORCE, violation_progress)
ADMIN_HANDLER(hnd_post_violations_evidence, ADMIN_ENFORCE, violation_evidence)

/* ---- GET /v1/violations/overdue?by=community|enterprise&community_id=N ---- */

static void overdue_get(admin_request *r)
{
    static const char *const params[] = {"by", "community_id", NULL};
    static const char *const bys[] = {"community", "enterprise", NULL};
    char by[16];
    int64_t community = 0;
    if (!admin_query_known(r, params) || !admin_query_enum(r, "by", bys, by, sizeof(by)) ||
        !admin_query_id(r, "community_id", &community))
        return;
    store *st = admin_store(r);
    if (!st)
        return;
    admin_outcome out;
    store_inspect_overdue(st, by[0] ? by : "community", community, r->scope, &out);
    admin_reply_found(r, &out, COAP_RESPONSE_CODE_CONTENT, "overdue rectifications");
}
ADMIN_HANDLER(hnd_get_violations_overdue, ADMIN_ENFORCE, overdue_get)

/* ---- POST /v1/reports ---- */

static bool report_position(admin_request *r, onsite_report *rep)
{
    bool has_lat, has_lon;
    if (!admin_body_number(r, "lat", &rep->lat, &has_lat) ||
        !admin_body_number(r, "lon", &rep->lon, &has_lon))
        return false;
    if (has_lat != has_lon || (has_lat && (!isfinite(rep->lat) || fabs(rep->lat) > 90 ||
                                           !isfinite(rep->lon) || fabs(rep->lon) > 180))) {
        admin_reply_invalid(r, "fields \"lat\" and \"lon\": give both, in degrees (WGS-84)");
        return false;
    }
    rep->has_position = has_lat;
    return true;
}

static bool report_time(admin_request *r, onsite_report *rep)
{
    double at;
    bool present;
    if (!admin_body_number(r, "observed_at", &at, &present))
        return false;
    if (!present)
        return true;
    double now = (double)time(NULL);
    if (at != floor(at) || at < now - INSPECT_REPORT_PAST_S || at > now + INSPECT_REPORT_FUTURE_S) {
        admin_reply_invalid(r, "field \"observed_at\": Unix seconds within the last 7 days");
        return false;
    }
    rep->observed_at = (int64_t)at;
    return true;
}

/* Where the finding belongs: the registered machine the chip names, else the community. */
static bool report_place(admin_request *r, store *st, onsite_report *rep)
{
    int64_t community = 0;
    long t = json_find(&r->doc, 0, "community_id");
    if (t >= 0 && !admin_body_id(r, "community_id", &community))
        return false;
    admin_outcome out;
    store_inspect_place(st, rep->chip, community, r->scope, &rep->place, &out);
    if (out.status == STORE_OK && out.not_found) {
        admin_reply_invalid(r, community ? "field \"community_id\": no such community"
                                         : "field \"community_id\": required when \"chip_id\" "
                                           "names no registered machine");
        return false;
    }
    if (out.status != STORE_OK) {
        admin_reply_outcome(r, &out, "report");
        return false;
    }
    if (!rep->place.in_scope) {
        admin_error(r, COAP_RESPONSE_CODE_FORBIDDEN, "community %lld is not one of yours",
                    (long long)rep->place.community_id);
        return false;
    }
    return true;
}

/* {"code": text, "check": name} of a code that did not verify, as a JSON object. */
static bool report_details(admin_request *r, char *out, size_t cap)
{
    char code[INSPECT_CODE_MAX + 1], check[65];
    if (!admin_body_text(r, "code", INSPECT_CODE_MAX, code, sizeof(code)) ||
        !admin_body_text(r, "check", 64, check, sizeof(check)))
        return false;
    json_writer w;
    json_writer_init(&w, out, cap);
    json_begin_object(&w);
    if (code[0]) {
        json_key(&w, "code");
        json_put_cstr(&w, code);
    }
    if (check[0]) {
        json_key(&w, "check");
        json_put_cstr(&w, check);
    }
    json_end_object(&w);
    return json_writer_status(&w) == WR_OK;
}

static void report_post(admin_request *r)
{
    char kind[33], chip[65], address[4 * 200 + 1], note[4 * INSPECT_NOTE_MAX + 1];
    char details[2 * INSPECT_CODE_MAX + 256];
    onsite_report rep = {.chip = chip, .site_address = address, .note = note, .details = details};
    static const char *const fields[] = {
        "kind", "chip_id", "community_id", "lat",         "lon", "site_address",
        "note", "code",    "check",        "observed_at", NULL};
    if (!admin_read_body(r, INSPECT_BODY_MAX) || !admin_body_fields(r, fields) ||
        !admin_body_text(r, "kind", 32, kind, sizeof(kind)) ||
        !admin_body_text(r, "chip_id", 64, chip, sizeof(chip)) ||
        !admin_body_text(r, "site_address", 200, address, sizeof(address)) ||
        !admin_body_text(r, "note", INSPECT_NOTE_MAX, note, sizeof(note)) ||
        !report_position(r, &rep) || !report_time(r, &rep) ||
        !report_details(r, details, sizeof(details)))
        return;
    const onsite_kind_info *info = onsite_kind_from_name(kind, strlen(kind));
    if (!info) {
        admin_reply_invalid(r, "field \"kind\": expected machine_without_chip, code_invalid or "
                               "other");
        return;
    }
    if (info->needs_note && !note[0]) {
        admin_reply_invalid(r, "field \"note\": describe what was found");
        return;
    }
    rep.kind = info->name;
    rep.violation_kind = info->violation_kind;
    rep.severity = reason_severity_name(info->severity);
    rep.principal_id = r->who->id;
    store *st = admin_store(r);
    if (!st || !report_place(r, st, &rep))
        return;
    admin_outcome out;
    store_inspect_report(st, r->who->identity, &rep, &out);
    admin_reply_change(r, &out, "report", COAP_RESPONSE_CODE_CREATED, "report");
}
ADMIN_HANDLER(hnd_post_reports, ADMIN_ENFORCE, report_post)
