/* notice.h — notices to an enterprise's responsible head (通知到主要负责人), delivered to a
 * webhook: how long to wait after a failed attempt, and the signature the receiver checks. */
#ifndef WELDREG_CORE_NOTICE_H
#define WELDREG_CORE_NOTICE_H

#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

/* "t=<unix seconds>,v1=<64 hex digits>" and a NUL */
#define NOTICE_SIGNATURE_SIZE 96
/* a shared secret shorter than this is refused */
#define NOTICE_SECRET_MIN 16

/* Seconds to wait after @p failures failed attempts (1 or more): @p first_s, doubled after
 * each further failure, at most @p max_s. */
uint32_t notice_backoff_s(uint32_t failures, uint32_t first_s, uint32_t max_s);

/* The value of the signature header of a notice sent at @p t with body @p body (@p len bytes):
 * HMAC-SHA256 under @p secret of "<t>.<body>", in hex, after the time. The time inside the
 * signed text lets a receiver refuse an old request replayed. WR_EINVAL for a secret shorter
 * than NOTICE_SECRET_MIN. */
wr_status notice_signature(const uint8_t *secret, size_t secret_len, int64_t t, const char *body,
                           size_t len, char out[NOTICE_SIGNATURE_SIZE]);

#endif
