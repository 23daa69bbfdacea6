/* licence.h — the welder's special-operation licence (特种作业操作证, order No. 30): categories,
 * six-year validity, reviews every three (or six) years, revocation. */
#ifndef WELDREG_CORE_LICENCE_H
#define WELDREG_CORE_LICENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/reason.h"

/* Operation items of 焊接与热切割作业, as bits of licence.categories. */
typedef enum licence_category {
    LICENCE_FUSION = 1u << 0,   /* 熔化焊接与热切割作业 */
    LICENCE_PRESSURE = 1u << 1, /* 压力焊作业 */
    LICENCE_BRAZING = 1u << 2,  /* 钎焊作业 */
} licence_category;

#define LICENCE_CATEGORIES_ALL (LICENCE_FUSION | LICENCE_PRESSURE | LICENCE_BRAZING)
#define LICENCE_VALID_YEARS    6
#define LICENCE_REVIEW_YEARS   3
/* Holders with 10+ years in the trade and a clean record, with the issuer's consent. */
#define LICENCE_LONG_REVIEW_YEARS 6

typedef enum licence_status {
    LICENCE_ACTIVE,
    LICENCE_REVOKED,
} licence_status;

/* Times are Unix seconds (UTC). A plain value: no pointers, nothing to free. */
typedef struct licence {
    unsigned categories; /* licence_category bits */
    int64_t issued;
    int64_t valid_until; /* the first instant it is no longer valid: valid while now < this */
    int64_t review_due;  /* the next review (复审) must be recorded before this */
    bool long_review;    /* reviews every 6 years instead of 3 */
    licence_status status;
} licence;

/* Sets up an active licence issued at @p issued: valid_until is issued + 6 years and
 * review_due issued + 3 years (+ 6 with @p long_review, which is then the expiry). */
void licence_init(licence *lic, unsigned categories, int64_t issued, bool long_review);

/* Records that the review due at review_due took place: the next one is due one interval
 * later, but never after valid_until (after that the licence must be renewed). */
void licence_mark_reviewed(licence *lic);

/* Adds to @p out every reason why @p lic does not allow work of @p category at @p now:
 * licence_missing_category (also for a NULL @p lic, i.e. no licence at all), licence_revoked,
 * licence_expired, licence_review_overdue (review_due passed before the expiry).
 * @p category 0 skips the category test (the machine's process is not known).
 * Returns true if nothing was added. */
bool licence_check(const licence *lic, unsigned category, int64_t now, reason_list *out);

/* @p t plus @p years calendar years, on the China calendar date (UTC+8) at the same time of
 * day; 29 February becomes 28 February in a year that is not leap. For @p t outside the years
 * 1-9999 (or a result outside them) returns @p t unchanged, which makes a licence built from
 * it expire at once instead of never. */
int64_t licence_add_years(int64_t t, int years);

/* A licence "valid until" day D (as the registry stores it, printed on the certificate and read
 * by a person) is valid through the end of D in China (UTC+8). The one conversion everything
 * uses, server, weldtag and codes alike: @p day (days since 1970-01-01) to the first instant at
 * which the licence is no longer valid, D + 1 at 00:00 China time, as Unix seconds. This is
 * what licence.valid_until and a welder code's "licence valid until" (lvu) hold; a review due
 * on a day is due by its end the same way. */
int64_t licence_day_end(int64_t day);

/* The inverse of licence_day_end(): the day @p end ends, in @p day. False (and @p day
 * untouched) when @p end is not a midnight in China, i.e. not the end of a day. */
bool licence_day_of_end(int64_t end, int64_t *day);

/* The day (days since 1970-01-01) in China that instant @p t falls on. */
int64_t licence_china_day(int64_t t);

/* "fusion", "pressure" or "brazing" for a single bit; "unknown" otherwise. */
const char *licence_category_name(licence_category category);

/* The category named by the @p len bytes at @p name; false if none. */
bool licence_category_from_name(const char *name, size_t len, licence_category *out);

#endif
