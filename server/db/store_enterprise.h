/* store_enterprise.h — an enterprise's own side of PostgreSQL for the web (issue 17): its
 * welders, codes and label texts, the hot-work permits it applies for and approves, and its
 * violations to rectify. Everything takes the caller's enterprise and never reaches past it.
 * Lists hand each row to a callback as text cells (valid during the call); changes run in one
 * transaction with their audit_log rows, under weldreg.actor. */
#ifndef WELDREG_SERVER_STORE_ENTERPRISE_H
#define WELDREG_SERVER_STORE_ENTERPRISE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/permit.h"
#include "server/db/store.h"

#define STORE_ENT_ROWS_MAX 500 /* rows listed at most */
#define STORE_ENT_PICK_MAX 30  /* welders, machines or labels picked in one form */

/* One row: @p cell[0..n-1], never NULL ("" for SQL NULL). */
typedef void (*store_ent_row_fn)(void *arg, const char *const *cell, int n);

/* The enterprise's name into @p name: 1, 0 when there is none, -1 on a database error. */
int store_ent_name(store *st, int64_t enterprise_id, char *name, size_t cap);

/* The enterprise's active welders (employed today, or named on one of its approved permits), by
 * id: id, masked name, masked licence number, licence state (weldreg_licence_state(), the rules
 * of core/licence.c: valid, expiring, expired, review_overdue, revoked), valid until, review
 * due, valid training today ("t"/"f"), a live code with its text ("t"/"f"). The number of rows,
 * or -1. */
int store_ent_welders(store *st, int64_t enterprise_id, store_ent_row_fn each, void *arg);

/* The codes of its machines and welders, soonest expiry first: kind, subject id, subject (chip
 * or masked name), state (active, revoked, expired), issued day, expiry day, text kept ("t"/"f").
 * The number of rows, or -1. */
int store_ent_codes(store *st, int64_t enterprise_id, store_ent_row_fn each, void *arg);

/* For labels: the newest live code with its text of each of @p machines and @p welders that
 * belong to the enterprise: kind, code text. Others are skipped. The number of rows, or -1. */
int store_ent_label_codes(store *st, int64_t enterprise_id, const int64_t *machines, size_t nm,
                          const int64_t *welders, size_t nw, store_ent_row_fn each, void *arg);

/* Its permits, newest first: id, permit number, level, site, starts, ends (China time,
 * "YYYY-MM-DD HH:MI"), status, fire watch, applicant's login, decider's login, decision note,
 * the welders' masked names (comma-separated), applicant account id. The number of rows, or
 * -1. */
int store_ent_permits(store *st, int64_t enterprise_id, store_ent_row_fn each, void *arg);

/* A hot-work permit applied for, as the page checked it (core/permit.c's window rules). */
typedef struct store_permit_application {
    permit_level level;
    const char *site_address;
    double lat, lon;
    int64_t starts_at, ends_at; /* Unix seconds */
    const char *fire_watch;
    const int64_t *welders; /* the enterprise's welders (store_ent_welders), distinct */
    size_t welder_count;
    const int64_t *machines; /* none: any machine of the enterprise */
    size_t machine_count;
} store_permit_application;

/* Records application @p a of account @p account_id as status 'applied', with its welders and
 * machines and the audit row permit.apply, in one transaction. 1 with the permit's id in
 * @p id; 0 when a welder or machine is not the enterprise's, or a welder's licence is not valid
 * when the window starts (nothing written); -1 on a database error or a rule of the schema. */
int store_ent_apply(store *st, const char *actor, int64_t account_id, int64_t enterprise_id,
                    const store_permit_application *a, int64_t *id);

/* What approving an application takes (GB 30871 Table B.1 and 5.1): its level and start,
 * whether the holiday calendar lists the China day it starts on (and as a rest day), and the
 * signing level of the approver's account ("" when none is recorded). */
typedef struct store_ent_approval {
    char level[12];
    int64_t starts_at;
    bool day_listed;
    bool day_rest;
    char signing_level[12];
} store_ent_approval;

/* Reads what approving application @p id of the enterprise as account @p account_id takes:
 * 1 found, 0 when no application of the enterprise with this id is pending, -1 on an error. */
int store_ent_approval_get(store *st, int64_t enterprise_id, int64_t id, int64_t account_id,
                           store_ent_approval *out);

/* Whether the platform's holiday calendar lists the China day of @p t: 1 listed (whether it is
 * a rest day in @p rest), 0 not listed, -1 on a database error. */
int store_ent_holiday(store *st, int64_t t, bool *rest);

/* A decision on an application: approve (as read in @p approval, whose level and start must
 * still be the application's, and whose signing level is recorded on the permit) or reject
 * (@p approval NULL, with @p note, required). */
typedef struct store_ent_decision {
    int64_t id;
    const store_ent_approval *approval; /* NULL: a rejection */
    const char *note;
} store_ent_decision;

/* Takes decision @p d on an application of the enterprise as account @p account_id, whose
 * login @p approver is named on an approved permit; audited as permit.approve or
 * permit.reject. 1 done; 0 when no application of the enterprise with this id is pending (or it
 * changed since it was read), or the account applied for it itself; -1 on an error. */
int store_ent_decide(store *st, const char *actor, int64_t account_id, const char *approver,
                     int64_t enterprise_id, const store_ent_decision *d);

/* Whether @p id is an approved permit of the enterprise: 1, 0, -1 on a database error. (A
 * permit's enterprise never changes, so the caller may then change it through
 * store_admin_change_permit().) */
int store_ent_permit_approved(store *st, int64_t enterprise_id, int64_t id);

/* Its violations, newest first: id, kind, severity, status, occurred (China time), rectify by
 * (China day), overdue ("t"/"f"), chip, the latest evidence note and its photo's id ("0":
 * none). The number of rows, or -1. */
int store_ent_violations(store *st, int64_t enterprise_id, store_ent_row_fn each, void *arg);

/* Submits the fix of violation @p id of the enterprise (open or acknowledged): @p note as
 * evidence in its history (violation_events, entry 'evidence', as store_inspect_note() records
 * it), with photo @p photo_id that account @p account_id uploaded, audited as
 * violation.evidence. The violation stays open: only an inspector closes it (销号). 1 done, 0
 * when there is no such violation to rectify or the photo is not the account's, -1. */
int store_ent_submit_fix(store *st, const char *actor, int64_t account_id, int64_t enterprise_id,
                         int64_t id, const char *note, int64_t photo_id);

#endif
