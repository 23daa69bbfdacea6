/* registry.h — the in-memory view of the registry that check-ins are judged against, so that
 * a check-in never waits on a registry query. Rebuilt whole from the database when a NOTIFY
 * says it changed, then swapped in by the event loop. */
#ifndef WELDREG_SERVER_REGISTRY_H
#define WELDREG_SERVER_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include "server/principals.h"

typedef enum machine_status { MACHINE_ACTIVE, MACHINE_SUSPENDED, MACHINE_SCRAPPED } machine_status;

typedef struct registry_machine {
    char chip_id[PRINCIPAL_IDENTITY_MAX + 1];
    int64_t id;
    int64_t enterprise_id;
    machine_status status;
    char category[12]; /* fusion, pressure or brazing */
} registry_machine;

typedef struct registry registry;

/* Takes ownership of @p machines (@p count entries, malloc'd) and sorts them by chip id. NULL if
 * out of memory (the array is then freed). */
registry *registry_create(registry_machine *machines, size_t count);

void registry_destroy(registry *reg);

/* The machine whose chip id is @p chip_id, or NULL. */
const registry_machine *registry_find_machine(const registry *reg, const char *chip_id);

size_t registry_machine_count(const registry *reg);

/* Parses "active", "suspended" or "scrapped"; -1 otherwise. */
int registry_machine_status_parse(const char *text, machine_status *out);

#endif
