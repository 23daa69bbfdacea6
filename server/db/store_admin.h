/* store_admin.h — the registry admin API's side of PostgreSQL: reads that return JSON built by
 * the database, and changes that run in one transaction each, together with their audit_log
 * rows, under `weldreg.actor` (libpq stays in store_admin.c). All SQL is parameterised. */
#ifndef WELDREG_SERVER_STORE_ADMIN_H
#define WELDREG_SERVER_STORE_ADMIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/registry_rules.h"
#include "core/secret.h"
#include "core/trust.h"
#include "server/db/store.h"
#include "server/db/store_outcome.h"

typedef enum admin_entity {
    ADMIN_COMMUNITY,
    ADMIN_ENTERPRISE,
    ADMIN_MACHINE,
    ADMIN_WELDER,
    ADMIN_PERMIT,
    ADMIN_PRINCIPAL,
    ADMIN_AUDIT,
} admin_entity;

/* A listing: filters that are 0 or "" are not applied. */
typedef struct admin_query {
    admin_entity entity;
    int64_t id;            /* one record; not_found when it does not exist or is out of scope */
    char chip[65];         /* machines: by chip id */
    int64_t community_id;  /* enterprises (and what hangs below them) of one community */
    int64_t enterprise_id; /* machines and permits of one enterprise */
    char status[16];       /* the status; for principals their role, for the audit log its entity */
    int64_t after;         /* pagination: records with an id above this */
    int limit;             /* at most this many (1-1000) */
    int64_t scope;         /* an inspector's principal id: only their communities; 0: all */
} admin_query;

/* Reads one page as {"items": [...], "next": id or null}, or with @p q->id / chip one record as
 * an object. Fields are named as in the API (docs/admin-guide.md). */
void store_admin_list(store *st, const admin_query *q, admin_outcome *out);

/* The stored editable fields of one record as a JSON object, for merging an update. */
void store_admin_editable(store *st, admin_entity entity, int64_t id, admin_outcome *out);

/* The USCC of enterprise @p enterprise_id (a machine code carries it); not_found if none. */
void store_admin_enterprise_uscc(store *st, int64_t enterprise_id, char uscc[19],
                                 admin_outcome *out);

/* A code to record with the subject it was issued for. */
typedef struct admin_code {
    uint8_t cti[TRUST_CTI_LEN];
    uint8_t kid[8];
    int64_t expires_at;
    const char *text; /* the code as printed (codes.text), borrowed; NULL: not kept */
} admin_code;

/* Keyed hashes of personal data (HMAC-SHA-256 under the PII key). */
typedef struct admin_pii {
    uint8_t idcard_hash[32];
    uint8_t licence_hash[32];
} admin_pii;

/* Creations: each answers {"id": N}. @p actor names the principal for weldreg.actor. */
void store_admin_create_community(store *st, const char *actor, const rules_community *c,
                                  admin_outcome *out);
void store_admin_create_enterprise(store *st, const char *actor, const rules_enterprise *e,
                                   admin_outcome *out);
/* The machine, its principal (with @p psk sealed under @p kek) and its code, in one
 * transaction. @p code NULL: no code (no signing key configured). */
void store_admin_create_machine(store *st, const char *actor, const rules_machine *m,
                                const uint8_t kek[SECRET_KEK_LEN], const char *psk,
                                const admin_code *code, admin_outcome *out);
void store_admin_create_welder(store *st, const char *actor, const rules_welder *w,
                               const admin_pii *pii, const admin_code *code, admin_outcome *out);
void store_admin_create_permit(store *st, const char *actor, const rules_permit *p,
                               admin_outcome *out);
/* An admin or inspector principal with a PSK and (inspectors) its communities. */
void store_admin_create_principal(store *st, const char *actor, const char *identity,
                                  const char *role, const int64_t *communities, size_t n,
                                  const uint8_t kek[SECRET_KEK_LEN], const char *psk,
                                  admin_outcome *out);

/* A principal an update names, as the database has it. */
typedef struct admin_principal {
    int64_t id;
    char identity[PRINCIPAL_IDENTITY_MAX + 1];
    principal_role role;
    int64_t unknown_community; /* the first of the communities asked for that does not exist */
} admin_principal;

/* Finds the principal with @p id, or with @p identity when @p id is 0 (not_found if none), and
 * checks @p n @p communities against the communities table. */
void store_admin_find_principal(store *st, int64_t id, const char *identity,
                                const int64_t *communities, size_t n, admin_principal *found,
                                admin_outcome *out);

/* Replaces the communities of inspector @p id with @p communities (not_found if @p id is no
 * inspector), before and after in the audit log. The principal's row is touched, so running
 * servers hear of it (NOTIFY weldreg_principals). Answers {"id": N}. */
void store_admin_set_communities(store *st, const char *actor, int64_t id,
                                 const int64_t *communities, size_t n, admin_outcome *out);

/* Updates: all editable fields of record @p id (merged by the caller), before and after in the
 * audit log. Welders: @p pii NULL keeps the stored hashes (w->has_idcard/has_licence false). */
void store_admin_update_enterprise(store *st, const char *actor, int64_t id,
                                   const rules_enterprise *e, admin_outcome *out);
void store_admin_update_machine(store *st, const char *actor, int64_t id, const rules_machine *m,
                                admin_outcome *out);
void store_admin_update_welder(store *st, const char *actor, int64_t id, const rules_welder *w,
                               const admin_pii *pii, admin_outcome *out);

/* Actions. */
void store_admin_transfer_machine(store *st, const char *actor, int64_t id, int64_t enterprise_id,
                                  const char *note, admin_outcome *out);
/* Scraps the machine, revokes its codes and disables its principal. */
void store_admin_scrap_machine(store *st, const char *actor, int64_t id, const char *note,
                               admin_outcome *out);
/* Retires the welder and revokes their codes. */
void store_admin_retire_welder(store *st, const char *actor, int64_t id, const char *note,
                               admin_outcome *out);
/* Cancels or closes an approved permit (@p status "cancelled" or "closed"). */
/* A training course as the API checked it: texts, dates YYYY-MM-DD; valid_until "" for the
 * re-training cycle's default (a year after completed_on, schema/008). */
typedef struct store_training {
    const char *course;
    const char *completed_on;
    const char *hours;
    const char *provider;
    const char *valid_until;
} store_training;

/* Records training @p t of welder @p welder_id (not retired), audited as welder.training. */
void store_admin_add_training(store *st, const char *actor, int64_t welder_id,
                              const store_training *t, admin_outcome *out);

/* The window of approved permit @p id: its level and times. False with @p out saying why
 * (not_found when there is no such approved permit); the caller then answers from @p out and
 * frees it. */
typedef struct store_permit_window {
    permit_level level;
    int64_t starts_at, ends_at; /* Unix seconds, the fraction dropped */
} store_permit_window;
bool store_admin_permit_window(store *st, int64_t id, store_permit_window *w, admin_outcome *out);

/* Applies change @p c to approved permit @p c->id in one transaction, audited as
 * permit.change (before, after, and the gas test, the welders and machines added and removed,
 * the note): a gas test is recorded (permit_gas_tests) and the permit's gas_analysis_at becomes
 * the latest test; ends_at moves to c->ends_at only if it is still @p expected_end (the window
 * the caller checked). not_found when there is no such approved permit. */
void store_admin_change_permit(store *st, const char *actor, const rules_permit_change *c,
                               int64_t expected_end, admin_outcome *out);

/* Replaces the holiday calendar of year @p h->year by @p h's days in one transaction, audited
 * as holidays.import (entity holidays, id the year; before and after the days). Answers
 * {"id": year}. */
void store_admin_import_holidays(store *st, const char *actor, const rules_holidays *h,
                                 admin_outcome *out);

/* An employment as the API checked it: kind "employee" or "dispatched" (with the agency's
 * name), dates YYYY-MM-DD, until "" while it lasts. */
typedef struct store_employment {
    int64_t welder_id;
    int64_t enterprise_id;
    const char *kind;
    const char *agency;
    const char *since;
    const char *until;
} store_employment;

/* Records that welder @p e->welder_id (not retired) works for @p e->enterprise_id, audited as
 * welder.employment. */
void store_admin_add_employment(store *st, const char *actor, const store_employment *e,
                                admin_outcome *out);

void store_admin_end_permit(store *st, const char *actor, int64_t id, const char *status,
                            admin_outcome *out);

/* ---- codes after issue (store_admin.c; docs/admin-guide.md "Codes") ---- */

/* What a code for machine or welder @p id is signed from, as JSON: a machine's chip_id,
 * enterprise_id and process_category (not scrapped; its enterprise active), a welder's name,
 * licence_no_masked, categories and valid_until (not retired, licence active). not_found when
 * there is no such subject. @p kind is "machine" or "welder". */
void store_admin_code_subject(store *st, const char *kind, int64_t id, admin_outcome *out);

/* Records @p code, issued again for @p kind @p id, in one transaction with its audit row
 * ("code.reissue", naming the codes it replaces): the subject's other live codes are revoked
 * with @p reason when @p revoke_old (a "code.revoke" row each), and otherwise left to expire.
 * Answers {"cti", "kind", "machine_id", "welder_id", "issued_at", "expires_at", "code",
 * "replaced": [cti...], "old_revoked"}. */
void store_admin_reissue_code(store *st, const char *actor, const char *kind, int64_t id,
                              const admin_code *code, bool revoke_old, const char *reason,
                              admin_outcome *out);

/* Revokes the code @p cti with @p reason, with its audit row; answers {"cti", "kind",
 * "machine_id", "welder_id", "revoked_at", "reason", "revocation_version"}. not_found when no
 * unrevoked code has this id; *already true when it is revoked already. */
void store_admin_revoke_code(store *st, const char *actor, const uint8_t cti[TRUST_CTI_LEN],
                             const char *reason, bool *already, admin_outcome *out);

/* A listing of codes: filters that are 0, "" or negative are not applied. */
typedef struct admin_code_query {
    bool has_cti; /* one code, as an object */
    uint8_t cti[TRUST_CTI_LEN];
    int64_t machine_id, welder_id;
    bool has_kid; /* only codes signed by this key (a signing key's re-issue campaign) */
    uint8_t kid[COSE_KID_LEN];
    int expiring_days; /* live codes expiring within this many days; -1: any */
    char status[12];   /* "active" (unrevoked, unexpired), "revoked", "expired" or "" (all) */
    int64_t offset;
    int limit;
} admin_code_query;

/* {"items": [...], "next": offset or null}, soonest expiry first, or one code as an object.
 * Each: cti, kind, status, machine_id, chip_id, welder_id, welder_name_masked (张**),
 * enterprise_id, enterprise_name, issued_at, expires_at, expires_in_days, revoked_at,
 * revoke_reason, replaces, kid, text (null for codes signed offline). */
void store_admin_list_codes(store *st, const admin_code_query *q, admin_outcome *out);

/* A line of an import that names a welder registered already. */
typedef struct admin_import_conflict {
    unsigned line;  /* the CSV line (0: none found) */
    char field[16]; /* "idcard" or "licence_no" */
    int64_t welder_id;
} admin_import_conflict;

/* Imports welders from COPY text (tab-separated, see store_admin.c; each row starts with its
 * CSV line) in one transaction, with an audit_log row per welder. Answers {"imported": N}.
 * When rows name registered welders nothing is written: STORE_EFAILED, ADMIN_REFUSAL_UNIQUE,
 * the first @p cap such rows (by line) in @p conflicts, @p n of them, and @p total in all.
 * With @p dry_run the conflicts are found and nothing is written (STORE_OK when none). */
void store_admin_import_welders(store *st, const char *actor, const char *copy, size_t len,
                                bool dry_run, admin_import_conflict *conflicts, size_t cap,
                                size_t *n, size_t *total, admin_outcome *out);

/* ---- the survey (res_admin_survey.c) ---- */

/* The registry's answer to the keys of a survey, as JSON {"keys": {KEY: id}, "own": {KEY:
 * [id, enterprise_id, status]}}. Enterprises (@p machines false): @p keys are community codes,
 * @p own the USCCs (enterprise_id 0). Machines: @p keys the owners' USCCs (active enterprises
 * only), @p own the chip ids. @p keys and @p own are JSON arrays of strings. */
void store_admin_survey_lookup(store *st, bool machines, const char *keys, const char *own,
                               admin_outcome *out);

/* Creates @p n enterprises in one transaction, each audited as enterprise.import. */
void store_admin_survey_enterprises(store *st, const char *actor, const rules_enterprise *rows,
                                    size_t n, admin_outcome *out);

/* One machine of a survey: created (with its principal, @p psk sealed, and its code) or, when
 * @p transfer_of names a machine of another enterprise, updated and moved to m->enterprise_id
 * (machine_transfers records it, noted "survey"; its codes are revoked and @p code recorded).
 * @p code NULL: none. @p id is set to the machine's id once written. */
typedef struct admin_survey_machine {
    const rules_machine *m;
    int64_t transfer_of;
    const char *psk;
    const admin_code *code;
    int64_t id;
} admin_survey_machine;

/* Writes the @p n machines of a survey in one transaction. */
void store_admin_survey_machines(store *st, const char *actor, admin_survey_machine *rows, size_t n,
                                 const uint8_t kek[SECRET_KEK_LEN], admin_outcome *out);

#endif
