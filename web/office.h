/* office.h — what the district office's pages share (pages_office.c, pages_map.c,
 * office_pdf.c): the caller's scope, and the counts of store_counts.h read into a table
 * of a few measures. */
#ifndef WELDREG_WEB_OFFICE_H
#define WELDREG_WEB_OFFICE_H

#include <stddef.h>
#include <stdint.h>

#include "core/status.h"
#include "server/db/store_counts.h"
#include "web/call.h"

/* A column of the table: its words, and where the counts' JSON holds it (a member of a row,
 * or of that member's object when @c sub is set). */
typedef struct office_measure {
    const char *zh, *en;
    const char *key, *sub;
} office_measure;

#define OFFICE_MEASURES 8
extern const office_measure office_measures[OFFICE_MEASURES];

typedef struct office_row {
    char name[616]; /* the community's, enterprise's (200 characters) or industry's name */
    int64_t v[OFFICE_MEASURES];
} office_row;

/* A community the caller may count alone. */
typedef struct office_place {
    int64_t id;
    char name[404]; /* 100 characters of UTF-8 */
} office_place;

/* The counts for a period, a row per group and the total. */
typedef struct office_report {
    char from[16], to[16], as_of[16];
    counts_by by;
    int64_t community_id;  /* the one community counted; 0: all the caller's */
    const char *community; /* its name (in places), or NULL */
    size_t n_places;
    office_place *places; /* the caller's communities; malloc'd */
    size_t n;
    office_row *rows; /* n rows; malloc'd */
    office_row total;
} office_report;

void office_report_deinit(office_report *r);

/* A 200 answer of @p len bytes of @p body (malloc'd; the server frees it) of type @p type. */
void office_give(http_response *resp, const char *type, char *body, size_t len);

/* The caller's scope as store_inspect.h's statements take it: 0 for the district
 * (administrators, office staff), an inspector's account (store_inspect_account_scope()). The
 * routes' gate (ACCESS_DISTRICT) has refused everyone else. */
int64_t office_scope(const web_call *call);

/* The report @p r as a PDF of A4 pages (Chinese in the CJK font's embedded subset) into
 * *out (malloc'd, *len bytes). WR_ENOTFOUND when the font cannot be read, WR_ENOMEM. */
wr_status office_pdf(const office_report *r, char **out, size_t *len);

#endif
