/* store_notices.h — the outbox of notices to enterprises' responsible heads
 * (schema/010_notices_rollups.sql): a deliverer takes the oldest due notice, tries it, and
 * records the attempt; several deliverers never take the same notice at once. */
#ifndef WELDREG_SERVER_STORE_NOTICES_H
#define WELDREG_SERVER_STORE_NOTICES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "server/db/store.h"

/* One notice taken for delivery. */
typedef struct notice {
    int64_t id;
    uint32_t attempts; /* made before this one */
    char kind[72];
    char key[40]; /* the idempotency key (a UUID), the same for every attempt */
    char *body;   /* malloc'd JSON, the request body */
} notice;

/* Begins a transaction and takes the oldest notice that is due and not being tried by another
 * deliverer (its row stays locked until store_notice_record()). 1 with @p n filled, 0 when none
 * is due (no transaction left open), -1 with a message in @p err. */
int store_notice_take(store *st, notice *n, char *err, size_t errlen);

/* Records the attempt on the notice taken and commits: delivered now, or failed with @p why
 * (no personal data, no secret) and tried again in @p retry_s seconds. 0, or -1 with a
 * message in @p err. */
int store_notice_record(store *st, const notice *n, bool delivered, const char *why,
                        uint32_t retry_s, char *err, size_t errlen);

/* Queues a violation_overdue notice for each violation past its rectification deadline and
 * still open or acknowledged that has none yet (schema/012_overdue_notices.sql); safe to run
 * from several deliverers at once. The number queued, or -1 with a message in @p err. */
int64_t store_notice_queue_overdue(store *st, char *err, size_t errlen);

/* Frees the body. */
void notice_deinit(notice *n);

#endif
