/* store_inspect.h — the inspectors' side of PostgreSQL: machine status cards, violations with
 * their evidence and history, the violation life cycle and on-site reports. Reads answer JSON
 * built by the database; changes run in one transaction with their audit_log rows. An
 * inspector's @p scope limits everything to their communities: their principal id (CoAP), or
 * store_inspect_account_scope() of their web account; 0 is all. */
#ifndef WELDREG_SERVER_STORE_INSPECT_H
#define WELDREG_SERVER_STORE_INSPECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "server/db/store.h"
#include "server/db/store_outcome.h"

/* The scope of the inspector with web account @p account_id (its account_communities). */
int64_t store_inspect_account_scope(int64_t account_id);

/* The status card of the machine with chip @p chip: registration, enterprise, community,
 * current work session (welder masked, licence state, permit), last contact, open violations.
 * not_found when no such machine; @p *out_of_scope when it lies outside the scope. */
void store_inspect_card(store *st, const char *chip, int64_t scope, admin_outcome *out,
                        bool *out_of_scope);

/* The registry's record of the machine code with id @p cti (@p cti_len bytes), as {"revoked",
 * "reason", "chip_id"}: whether and why it was revoked, and the chip of the machine it was issued
 * for. not_found when the registry never issued it for a machine. */
void store_inspect_code(store *st, const uint8_t *cti, size_t cti_len, admin_outcome *out);

/* A listing of violations: filters that are 0 or "" are not applied. */
typedef struct violation_query {
    int64_t id; /* one violation, with its history; not_found if none in scope */
    int64_t community_id;
    int64_t enterprise_id;
    int64_t machine_id;
    char chip[65];
    int64_t welder_id;
    char kind[65];
    char status[16];
    char from[11], to[11]; /* occurred on these China calendar days (YYYY-MM-DD), inclusive */
    int64_t before;        /* newest first: ids below this (the previous page's "next") */
    int64_t after;         /* ids above this */
    bool ascending;        /* oldest first (catching up from @p after) */
    bool overdue;          /* only those still to be rectified after their deadline */
    int limit;
    int64_t scope;
} violation_query;

/* Reads one page as {"items": [...], "next": id or null} (next: the cursor of the following
 * page, "before" newest first or "after" oldest first), or with q->id one violation with its
 * "history". */
void store_inspect_violations(store *st, const violation_query *q, admin_outcome *out);

/* Moves violation @p id to status @p to, if its status is one of @p from (@p nfrom names) and,
 * for "resolved" (销号), evidence of the fix is on record (store_inspect_note),
 * recording who (@p actor), when, @p note and photo @p photo_id (0: none; the caller has
 * checked it is the actor's) in violation_events, violation_event_photos and the audit log.
 * Answers {"id": N}. not_found when no violation in scope is in one of those states; then
 * @p current holds its status ("" when there is no such violation in scope). */
void store_inspect_step(store *st, const char *actor, int64_t scope, int64_t id, const char *to,
                        const char *const *from, int nfrom, const char *note, int64_t photo_id,
                        admin_outcome *out, char current[16]);

/* Adds a rectification entry to violation @p id's history: @p entry "progress" (a progress
 * note) or "evidence" (of the fix), with @p note and photo @p photo_id (0: none), by @p actor,
 * audited. Answers {"id": N}.
 * not_found when no violation in scope is open or acknowledged; then @p current holds its
 * status ("" when there is no such violation in scope). A 销号 (store_inspect_step to
 * "resolved") finds nothing until evidence is on record. */
void store_inspect_note(store *st, const char *actor, int64_t scope, int64_t id, const char *entry,
                        const char *note, int64_t photo_id, admin_outcome *out, char current[16]);

/* The overdue rectifications (open or acknowledged after their deadline) counted per community
 * or per enterprise (@p by "community" or "enterprise"), of @p community_id (0: all):
 * {"by", "total", "items": [{"id", "name", "community_id", "overdue", "oldest_rectify_by"}]},
 * most overdue first. */
void store_inspect_overdue(store *st, const char *by, int64_t community_id, int64_t scope,
                           admin_outcome *out);

/* Where an on-site finding belongs. */
typedef struct onsite_place {
    int64_t machine_id; /* 0: the chip names no registered machine (or none was given) */
    int64_t enterprise_id;
    int64_t community_id;
    bool in_scope;
} onsite_place;

/* The registered machine with chip @p chip (if any), else community @p community_id. not_found
 * when neither names a record. */
void store_inspect_place(store *st, const char *chip, int64_t community_id, int64_t scope,
                         onsite_place *place, admin_outcome *out);

/* The communities of @p scope as [{"id", "name", "district"}], by name (where an on-site
 * finding without a registered machine may be placed). */
void store_inspect_communities(store *st, int64_t scope, admin_outcome *out);

/* An on-site report and the violation it raises. */
typedef struct onsite_report {
    const char *kind;           /* onsite_kind_info.name */
    const char *violation_kind; /* and its violation */
    const char *severity;
    const char *chip; /* as read on site ("" when the machine carries none) */
    onsite_place place;
    int64_t observed_at; /* Unix seconds; 0: now */
    bool has_position;
    double lat, lon;
    const char *site_address;
    const char *note;
    const char *details;  /* a JSON object: what the tool found (the code text, the failed check) */
    int64_t principal_id; /* who reported it: a principal (CoAP), or */
    int64_t account_id;   /* a web account; the other is 0 */
    int64_t photo_id;     /* a photo the reporter uploaded (the web's form); 0: none */
} onsite_report;

/* Records @p r and its violation in one transaction; answers {"id": report, "violation_id": N}. */
void store_inspect_report(store *st, const char *actor, const onsite_report *r, admin_outcome *out);

#endif
