/* registry.h — the in-memory view of the registry that check-ins are judged against, so that
 * a check-in never waits on a registry query. Built whole from the database (store.c) when a
 * NOTIFY says something changed, then swapped in by the event loop; read-only once built. */
#ifndef WELDREG_SERVER_REGISTRY_H
#define WELDREG_SERVER_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/decision.h"
#include "core/licence.h"
#include "core/permit.h"
#include "core/trust.h"
#include "server/views/principals.h"

typedef struct registry_machine {
    const char *chip_id; /* NUL-terminated: in registry_parts.chip_ids, or memory that lives on */
    int64_t id;
    int64_t enterprise_id;
    int64_t community_id;
    decision_machine_status status;
    unsigned category;         /* licence_category bit its process needs */
    bool enterprise_suspended; /* its enterprise is suspended (重患必停) */
    bool major_hazard;         /* its enterprise has a major hazard open */
    int32_t rated_current_a;   /* machines.rated_current_a; 0 when not recorded */
} registry_machine;

typedef struct registry_welder {
    int64_t id;
    decision_welder_status status;
    bool trained;           /* training on record */
    int64_t training_until; /* trained: valid while before this (the latest training's end) */
    licence licence;
} registry_welder;

typedef struct registry_code {
    uint8_t cti[TRUST_CTI_LEN];
    char kind; /* 'm' or 'w' */
    bool revoked;
    int64_t subject_id;          /* machine or welder id */
    uint64_t revocation_version; /* the revocation list version that first lists it; 0: none */
} registry_code;

/* What store.c hands over; registry_create() takes ownership of every array. Permits are
 * sorted by enterprise (registry_create sorts), their welders/machines point into @p ids. */
typedef struct registry_parts {
    registry_machine *machines;
    size_t machine_count;
    registry_welder *welders;
    size_t welder_count;
    registry_code *codes;
    size_t code_count;
    permit *permits;
    size_t permit_count;
    int64_t *ids;
    char *chip_ids; /* the machines' chip ids, one after another (NUL-terminated); may be NULL */
    int64_t *holiday_days; /* the holiday calendar: China days, ascending (permit_calendar) */
    bool *holiday_rest;
    size_t holiday_count;
    uint64_t revocation_version;
    decision_site *hazard_sites; /* the open major hazards located at a site (重患必停) */
    size_t hazard_site_count;
} registry_parts;

typedef struct registry registry;

/* Builds the view from @p parts (ownership passes, also on failure). NULL if out of memory. */
registry *registry_create(registry_parts *parts);

void registry_destroy(registry *reg);

/* Frees the arrays of @p parts (for a builder that fails before registry_create). */
void registry_parts_free(registry_parts *parts);

const registry_machine *registry_find_machine(const registry *reg, const char *chip_id);
const registry_welder *registry_find_welder(const registry *reg, int64_t id);
const registry_code *registry_find_code(const registry *reg, const uint8_t cti[TRUST_CTI_LEN]);

/* The approved permits of @p enterprise_id, contiguous; sets @p count (0: none). */
const permit *registry_permits_of(const registry *reg, int64_t enterprise_id, size_t *count);

/* The sites of the open major hazards; sets @p count (0: none). */
const decision_site *registry_hazard_sites(const registry *reg, size_t *count);

/* The revoked codes, in the form code_verify() takes. */
const revocation_list *registry_revocations(const registry *reg);

/* The holiday calendar the level raise of GB 30871 5.1 reads (core/permit.h). */
const permit_calendar *registry_calendar(const registry *reg);

size_t registry_machine_count(const registry *reg);
size_t registry_welder_count(const registry *reg);
size_t registry_permit_count(const registry *reg);

/* Parses "active", "suspended" or "scrapped"; -1 otherwise. */
int registry_machine_status_parse(const char *text, decision_machine_status *out);

#endif
