/* clock.h — the server's time: the wall clock read once at start, carried on by CLOCK_MONOTONIC.
 * Sessions, heartbeats and the chips' clocks are judged against it, so that the host's wall
 * clock stepped while the server runs (by hand, or by an NTP step) neither flags the machines
 * (late_event, clock_skew, heartbeat_lost) nor closes their sessions early. A clock set right on
 * purpose is taken at the next start; meanwhile the sweep logs wall_clock_step. */
#ifndef WELDREG_SERVER_CLOCK_H
#define WELDREG_SERVER_CLOCK_H

#include <stdint.h>

typedef struct server_clock {
    int64_t wall_at_start_ms; /* CLOCK_REALTIME when the server started */
    int64_t mono_at_start_ms; /* CLOCK_MONOTONIC at the same moment */
    int64_t logged_step_s;    /* the wall clock's step last logged (0: none) */
} server_clock;

/* Reads both clocks: the server's time starts at the wall clock's. */
void server_clock_init(server_clock *c);

/* The server's time in Unix seconds. */
int64_t server_clock_now(const server_clock *c);

/* How far the wall clock is now from the server's time, in whole seconds (positive: ahead). */
int64_t server_clock_step_s(const server_clock *c);

#endif
