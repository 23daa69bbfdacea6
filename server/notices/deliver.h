/* deliver.h — `weldreg-server notices`: delivers the outbox of notices to the configured
 * webhook, off the server's event loop (a process of its own; several may run). */
#ifndef WELDREG_SERVER_DELIVER_H
#define WELDREG_SERVER_DELIVER_H

#include <signal.h>

#include "server/loop/config.h"
#include "server/loop/metrics.h"

/* Delivers due notices until @p stop is set: each notice is POSTed until the receiver answers
 * 2xx, with waits that double after each failure (notice_retry_first_s up to
 * notice_retry_max_s); a lost database is connected again. @p cfg passed
 * config_validate_notices(). Attempts and the connection are counted in @p metrics (may be
 * NULL). 0 when stopped, 2 when the secret cannot be read. */
int notices_run(const server_config *cfg, volatile sig_atomic_t *stop, notices_metrics *metrics);

#endif
