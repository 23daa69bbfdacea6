/* store_leases.h — per-machine leases for several servers (schema/024_machine_leases.sql):
 * take one over and read the machine's state, renew a server's leases, find the machines whose
 * owner died, and the sweep leader's advisory lock. Used by the lease thread (leases.h). */
#ifndef WELDREG_SERVER_DB_STORE_LEASES_H
#define WELDREG_SERVER_DB_STORE_LEASES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "server/checkin/sessions.h"
#include "server/db/store.h"

/* Takes the lease of @p out->chip_id for @p owner (its epoch raised by one, expiring in
 * @p lease_s) and then reads the machine's state into @p out (last seq and the chip's clock,
 * last position, open or lapsed work session, violation kinds recorded in the last minutes, the
 * open session's first arc readings), with out->lease_epoch set. The read comes after the lease
 * is taken, so it sees every batch the previous owner committed under it. With
 * @p only_if_expired the lease is taken only from an owner that stopped renewing it (the sweep
 * leader's adoption); *@p taken says whether it was. STORE_OK, or STORE_EUNAVAILABLE /
 * STORE_EFAILED with a message in @p err. */
store_status store_lease_take(store *st, const char *owner, unsigned lease_s, bool only_if_expired,
                              machine_state *out, bool *taken, char *err, size_t errlen);

/* Moves the expiry of every lease of @p owner to @p lease_s from now (0: lets them go): one
 * statement however many machines. The number renewed, or -1 with a message in @p err. */
int64_t store_leases_renew(store *st, const char *owner, unsigned lease_s, char *err,
                           size_t errlen);

/* Up to @p max chips (PRINCIPAL_IDENTITY_MAX + 1 bytes each, in @p chips) of machines with an
 * open work session silent for @p silent_s or longer whose lease expired or was never taken:
 * their server died. The number found, or -1 with a message in @p err. */
int store_leases_orphans(store *st, unsigned silent_s, char *chips, size_t max, char *err,
                         size_t errlen);

/* Tries once to take the session-level advisory lock @p key (pg_try_advisory_lock): held until
 * this connection ends. 0 with *@p held, or -1 with a message in @p err. */
int store_try_advisory_lock(store *st, int64_t key, bool *held, char *err, size_t errlen);

#endif
