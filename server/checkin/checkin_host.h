/* checkin_host.h — what the handlers that answer from the loop's memory (POST /v1/checkins, and
 * the codes of checkin/res_codes.c, judged as a check-in would be) need of the loop. The loop owns
 * one, keeps it as long as its libcoap context, and gives it to routes_register() as their
 * resources' user data, where the handlers find it; they never reach for the server. */
#ifndef WELDREG_SERVER_CHECKIN_HOST_H
#define WELDREG_SERVER_CHECKIN_HOST_H

#include <coap3/coap.h>

#include "server/checkin/judge.h"
#include "server/checkin/leases.h"
#include "server/checkin/sessions.h"
#include "server/checkin/writer.h"
#include "server/loop/clock.h"
#include "server/loop/log.h"
#include "server/loop/metrics.h"
#include "server/views/principals.h"

typedef struct checkin_host {
    void *ctx; /* given back to the functions below */
    /* The authenticated principal of @p session, or NULL. */
    const principal *(*principal_of)(void *ctx, const coap_session_t *session);
    /* What check-ins are judged by, as it is now (the registry view changes on reload); its
     * registry is NULL while there is none. */
    const judge_context *(*judge)(void *ctx);
    const server_clock *clock; /* the time check-ins are judged at (not the wall clock) */
    sessions *sessions;        /* the machines' sessions, the loop's */
    writer *writer;            /* the check-ins go there to be made durable */
    leases *leases;            /* several servers: machine leases; NULL for the only server */
    unsigned retry_after_s;    /* Max-Age sent with 5.03 while the database is away */
    unsigned rate_per_s;       /* check-ins a second one machine may keep up; 0: no limit */
    unsigned rate_burst;       /* and how many it may send at once above that */
    log_limit *rate_log;       /* checkin_rate_limited lines: a flood cannot fill the log */
    server_metrics *metrics;   /* check-ins are counted there; may be NULL */
} checkin_host;

/* A machine taken over from another server (leases.h) that was flooding there starts its pace
 * here with the whole burst spent, as it had it there: moving between servers (from another
 * address, hashed to another server) must not give a flooding machine a new burst each time.
 * In res_checkins.c, which owns the pace. */
void checkin_pace_adopted(const checkin_host *host, machine_state *st);

#endif
