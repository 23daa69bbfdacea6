/* clock.c — the server's time, immune to steps of the wall clock. */
#include "server/loop/clock.h"

#include <time.h>

static int64_t clock_ms(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void server_clock_init(server_clock *c)
{
    c->wall_at_start_ms = clock_ms(CLOCK_REALTIME);
    c->mono_at_start_ms = clock_ms(CLOCK_MONOTONIC);
    c->logged_step_s = 0;
}

static int64_t server_clock_now_ms(const server_clock *c)
{
    return c->wall_at_start_ms + (clock_ms(CLOCK_MONOTONIC) - c->mono_at_start_ms);
}

int64_t server_clock_now(const server_clock *c)
{
    return server_clock_now_ms(c) / 1000;
}

int64_t server_clock_step_s(const server_clock *c)
{
    return (clock_ms(CLOCK_REALTIME) - server_clock_now_ms(c)) / 1000;
}
