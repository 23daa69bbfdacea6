/* judge.h — decides a check-in against the in-memory registry, filling the record that the
 * writer stores and the device is answered from. */
#ifndef WELDREG_SERVER_JUDGE_H
#define WELDREG_SERVER_JUDGE_H

#include <stdint.h>

#include "core/checkin.h"
#include "server/registry.h"
#include "server/store.h"

/* Fills the decision fields of @p rec (ok, reasons, unlock_until, late) for @p ev from the
 * machine @p rec->chip_id as @p reg knows it, at server time @p now. A chip clock further than
 * @p max_skew_s from @p now is recorded as clock_skew. */
void judge_checkin(const registry *reg, const checkin_event *ev, int64_t now, unsigned max_skew_s,
                   checkin_record *rec);

#endif
