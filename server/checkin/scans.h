/* scans.h — the last scan of each welder code (by its cti): where, when and on which machine,
 * so that a scan of the same code farther away than travel allows is found (core/travel.h).
 * Owned by the event loop (the judge reads and notes); one entry per code ever scanned with a
 * position since the server started (48 bytes each, with its index). */
#ifndef WELDREG_SERVER_SCANS_H
#define WELDREG_SERVER_SCANS_H

#include <stddef.h>
#include <stdint.h>

#include "core/code.h"

typedef struct code_scan {
    uint8_t cti[CODE_CTI_LEN];
    double lat, lon;
    int64_t at; /* the event's time, Unix seconds */
    int64_t machine_id;
} code_scan;

typedef struct scans scans;

scans *scans_create(void);
void scans_destroy(scans *set);

/* The last scan of code @p cti, or NULL. Valid until the next scans_note(). */
const code_scan *scans_find(const scans *set, const uint8_t cti[CODE_CTI_LEN]);

/* Remembers @p scan as its code's last, unless the one remembered is later. -1 if out of
 * memory (nothing is remembered then). */
int scans_note(scans *set, const code_scan *scan);

size_t scans_count(const scans *set);

#endif
