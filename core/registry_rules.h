/* registry_rules.h — field validation of registry records (communities, enterprises, machines,
 * welders, hot-work permits) given as JSON objects: types, lengths, identifier check
 * characters, dates that fit together and the permit window against its level. Pure: no I/O.
 *
 * Every check fills a plain struct (no pointers into the document) or reports the first problem
 * as `field "<name>": <message>` in @p why, worded for the person. Messages never contain an
 * ID-card or licence number. Unknown fields are refused, so a misspelt field is not silently
 * dropped. */
#ifndef WELDREG_CORE_REGISTRY_RULES_H
#define WELDREG_CORE_REGISTRY_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/ident.h"
#include "core/json.h"
#include "core/permit.h"
#include "core/status.h"

#define RULES_WHY_SIZE    192
#define RULES_NAME_SIZE   401 /* 100 characters of up to 4 bytes, and a NUL */
#define RULES_LONG_SIZE   801 /* 200 characters */
#define RULES_PHONE_SIZE  24
#define RULES_DATE_SIZE   11 /* YYYY-MM-DD */
#define RULES_LIST_MAX    64 /* welders or machines named on one permit */
#define RULES_LICENCE_MAX 19 /* a capital letter and up to 18 digits or X */

typedef struct rules_community {
    char code[33];
    char name[RULES_NAME_SIZE];
    char district[RULES_NAME_SIZE];
} rules_community;

typedef struct rules_enterprise {
    char uscc[IDENT_USCC_LEN + 1];
    char name[RULES_LONG_SIZE];
    int64_t community_id;
    char address[RULES_LONG_SIZE];
    char contact_name[RULES_NAME_SIZE]; /* "" when absent */
    char contact_phone[RULES_PHONE_SIZE];
    char status[12];  /* active, suspended, closed */
    char industry[2]; /* a section of GB/T 4754-2017 (core/industry.h); "" when not recorded */
} rules_enterprise;

typedef struct rules_machine {
    char chip_id[21]; /* the code alphabet: 1-20 of [0-9A-Z-], so its machine code can be issued */
    char serial[65];
    char model[129];
    char process_category[12]; /* fusion, pressure, brazing */
    int32_t rated_current_a;   /* 0 when absent */
    int64_t enterprise_id;
    char keeper_name[RULES_NAME_SIZE];
    char keeper_phone[RULES_PHONE_SIZE];
    char status[12]; /* active, suspended (scrapping is an action of its own) */
} rules_machine;

typedef struct rules_welder {
    char name[RULES_NAME_SIZE];
    bool has_idcard;                   /* false only for an update that keeps the stored number */
    char idcard[IDENT_IDCARD_LEN + 1]; /* personal data: hash it, then wipe it */
    char idcard_masked[IDENT_IDCARD_MASK_SIZE]; /* safe to show */
    bool has_licence;
    char licence_no[RULES_LICENCE_MAX + 1]; /* personal data as well */
    char licence_masked[RULES_LICENCE_MAX + 2];
    char phone[RULES_PHONE_SIZE];
    unsigned categories; /* licence_category bits */
    char issued_on[RULES_DATE_SIZE];
    char valid_until[RULES_DATE_SIZE];
    char review_due[RULES_DATE_SIZE];
    bool long_record;
    char status[12]; /* active, suspended, retired */
    char licence_status[12];
} rules_welder;

typedef struct rules_permit {
    char permit_no[65];
    permit_level level;
    int64_t enterprise_id;
    char site_address[RULES_LONG_SIZE];
    double site_lat, site_lon;
    int32_t site_radius_m;
    int64_t starts_at, ends_at; /* Unix seconds */
    char approver[RULES_NAME_SIZE];
    char approver_level[12]; /* "" (not recorded), special, first, second */
    bool has_gas_analysis;
    int64_t gas_analysis_at;
    char fire_watch[RULES_NAME_SIZE];
    char status[12]; /* approved, cancelled, closed */
    bool all_machines;
    int64_t welders[RULES_LIST_MAX];
    size_t welder_count;
    int64_t machines[RULES_LIST_MAX];
    size_t machine_count;
} rules_permit;

/* A change of an approved permit while work goes on (POST v1/permits/change): any of a gas
 * re-test (its time and value), a later end, welders and machines added or removed, and a
 * note. */
typedef struct rules_permit_change {
    int64_t id;
    bool has_gas_test;
    int64_t gas_tested_at; /* Unix seconds */
    double gas_value;      /* the measured concentration, % LEL (0-100) */
    bool has_ends_at;
    int64_t ends_at;
    int64_t add_welders[RULES_LIST_MAX];
    size_t add_welder_count;
    int64_t remove_welders[RULES_LIST_MAX];
    size_t remove_welder_count;
    int64_t add_machines[RULES_LIST_MAX];
    size_t add_machine_count;
    int64_t remove_machines[RULES_LIST_MAX];
    size_t remove_machine_count;
    char note[RULES_LONG_SIZE];
} rules_permit_change;

/* Checks the body of a permit change: "id" (required), "gas_tested_at" with "gas_value"
 * (both or neither), "ends_at", "add_welders", "remove_welders", "add_machines",
 * "remove_machines" (arrays of ids; an id may not be both added and removed), "note"; at least
 * one change. Times as rules_check_permit() reads them. The permit's own rules (the extension
 * within the level's limit, a gas test not in the future) need the stored permit and the
 * clock: the caller applies them. WR_OK, or WR_EINVAL with @p why. */
wr_status rules_check_permit_change(const json_doc *doc, size_t obj, rules_permit_change *out,
                                    char *why, size_t whylen);

#define RULES_HOLIDAYS_MAX 120 /* days one year's official calendar lists */

/* One year of the official holiday calendar (POST v1/holidays/import). */
typedef struct rules_holidays {
    int32_t year;
    size_t count;
    struct {
        int64_t day; /* days since 1970-01-01 */
        bool rest;   /* true: a holiday or rest day; false: a working day (调休上班) */
        char name[RULES_NAME_SIZE];
    } days[RULES_HOLIDAYS_MAX];
} rules_holidays;

/* Checks {"year": 2000-2100, "days": [{"date": "YYYY-MM-DD" of that year, "rest": true or
 * false, "name": 1-50 characters}, ...]}: at most RULES_HOLIDAYS_MAX days, none twice. An
 * empty list clears the year. WR_OK, or WR_EINVAL with @p why (naming the item). */
wr_status rules_check_holidays(const json_doc *doc, size_t obj, rules_holidays *out, char *why,
                               size_t whylen);

/* Checks that token @p obj of @p doc is an object whose keys are all in @p allowed
 * (NULL-terminated). WR_OK, or WR_EINVAL naming the first unknown field in @p why. */
wr_status rules_check_fields(const json_doc *doc, size_t obj, const char *const *allowed, char *why,
                             size_t whylen);

/* The records an update (PUT) changes. */
typedef enum rules_record { RULES_ENTERPRISE, RULES_MACHINE, RULES_WELDER } rules_record;

/* The shape of an update of a @p record, checked before the stored record is read, so that a
 * malformed change is refused whatever the state of the database: an object of the record's
 * fields only, each of its JSON type (a string, an integer, true or false, an array) or null,
 * which removes an optional field and is refused for a required one. Values (lengths, check
 * characters, dates that fit together) are checked on the merged record by rules_check_*().
 * WR_OK, or WR_EINVAL with the reason in @p why. */
wr_status rules_check_change(rules_record record, const json_doc *doc, size_t obj, char *why,
                             size_t whylen);

/* Each checks the object at token @p obj of @p doc and fills @p out. With @p update the caller
 * has merged the stored record with the changes (rules_merge()) and fields the store keeps only
 * in hashed form (the ID-card and licence numbers) may be absent. WR_OK, or WR_EINVAL with the
 * reason in @p why. */
wr_status rules_check_community(const json_doc *doc, size_t obj, rules_community *out, char *why,
                                size_t whylen);
wr_status rules_check_enterprise(const json_doc *doc, size_t obj, rules_enterprise *out, char *why,
                                 size_t whylen);
wr_status rules_check_machine(const json_doc *doc, size_t obj, rules_machine *out, char *why,
                              size_t whylen);
wr_status rules_check_welder(const json_doc *doc, size_t obj, bool update, rules_welder *out,
                             char *why, size_t whylen);
wr_status rules_check_permit(const json_doc *doc, size_t obj, rules_permit *out, char *why,
                             size_t whylen);

/* Writes to @p w an object with every member of @p base (an object of @p base_doc) that
 * @p changes (an object of @p changes_doc) does not have, then every member of @p changes whose
 * value is not null (null removes an optional field). Returns the writer's status. */
wr_status rules_merge(const json_doc *base_doc, size_t base, const json_doc *changes_doc,
                      size_t changes, json_writer *w);

/* Copies the value at @p tok (any type, nested values included) to @p w. */
wr_status rules_copy_value(const json_doc *doc, size_t tok, json_writer *w);

/* Parses "YYYY-MM-DD" (a real date) into days since 1970-01-01. */
wr_status rules_parse_date(const char *s, size_t n, int64_t *days);

/* Parses RFC 3339 "YYYY-MM-DDTHH:MM[:SS][.frac](Z|+HH:MM|-HH:MM)" into Unix seconds. */
wr_status rules_parse_time(const char *s, size_t n, int64_t *out);

/* Writes "YYYY-MM-DD" for @p days since 1970-01-01 into @p out (RULES_DATE_SIZE bytes). */
void rules_format_date(int64_t days, char out[RULES_DATE_SIZE]);

/* Masks a licence number for display: the first character, '*' for all but the last four, the
 * last four ("T**************1234"). @p number must have 5 to RULES_LICENCE_MAX characters. */
wr_status rules_mask_licence(const char *number, char out[RULES_LICENCE_MAX + 2]);

#endif
