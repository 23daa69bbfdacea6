/* store_report.h — public reports (群众举报, schema/017_public_reports.sql): a report and the
 * violation that puts it in the inspectors' queue, written with its audit_log row in one
 * transaction under the rate limits; the reports of an inspector's scope. Their violations move
 * through store_inspect_step() like any other. */
#ifndef WELDREG_SERVER_STORE_REPORT_H
#define WELDREG_SERVER_STORE_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "server/db/store.h"
#include "server/db/store_photos.h"

#define STORE_REPORT_TEXT_MAX    300 /* characters of a description */
#define STORE_REPORT_ADDRESS_MAX 100 /* characters of an address */
#define STORE_REPORTS_MAX        100 /* reports listed at most */

/* A report as the reporter gave it. Texts are "" when not given. */
typedef struct store_public_report {
    int64_t community_id;
    const char *description;
    const char *site_address;
    bool has_position;
    double lat, lon;
    const char *contact_phone;
    const store_photo_new *photo; /* cleaned (web/photos.c); NULL: none */
    uint8_t source_hash[32];      /* keyed hash of the reporter's address */
} store_public_report;

/* Why a report was not stored. */
typedef enum store_report_refusal {
    STORE_REPORT_STORED,
    STORE_REPORT_LIMIT_SOURCE, /* @p per_source reports from this source in the last hour */
    STORE_REPORT_LIMIT_ALL,    /* @p global reports from anyone in the last hour */
    STORE_REPORT_BAD_PLACE,    /* no such community */
} store_report_refusal;

/* Stores @p r, its photo (store_photo_put) and its violation (kind public_report, open) unless
 * a limit is reached, in one transaction that holds the limits' lock: a refused report leaves
 * no photo behind. 0 with @p refusal and, when stored, @p id; -1 on a database error. */
int store_report_add(store *st, const store_public_report *r, unsigned per_source, unsigned global,
                     store_report_refusal *refusal, int64_t *id);

/* A listed report; texts valid during the call ("" when absent). */
typedef struct store_report_row {
    int64_t id;
    int64_t violation_id;
    const char *status; /* of its violation */
    const char *reported_at, *community, *description, *site_address, *position, *contact_phone;
    int64_t photo_id; /* 0: none */
} store_report_row;

typedef void (*store_report_fn)(void *arg, const store_report_row *row);

/* Calls @p each for the newest STORE_REPORTS_MAX reports in @p scope (store_inspect.h's: 0 all,
 * else an inspector's communities), or only report @p only when it is not 0. The number of
 * rows, or -1 on a database error. */
int store_reports_in_scope(store *st, int64_t scope, int64_t only, store_report_fn each, void *arg);

#endif
