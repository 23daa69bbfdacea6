/* api_pool.h — the threads that run people's requests (api/): a queue of jobs, a few workers
 * each with a PostgreSQL connection of its own, and a list of finished jobs that wakes the event
 * loop through an eventfd. It knows nothing of CoAP: a job is a function to run. */
#ifndef WELDREG_SERVER_API_POOL_H
#define WELDREG_SERVER_API_POOL_H

#include <stdbool.h>
#include <stddef.h>

#include "server/db/store.h"

typedef struct api_job api_job;
struct api_job {
    api_job *next; /* the pool's */
    /* Runs on a worker with that worker's connection, NULL while it has none (the job then
     * answers 5.03). The job belongs to the pool from api_pool_submit() until
     * api_pool_take_done() hands it back. */
    void (*run)(api_job *job, store *st);
};

typedef struct api_pool api_pool;

/* Starts @p workers threads; each connects to @p conninfo on its own thread, and again with
 * back-off (0.5 s doubling to 8 s) whenever its connection is lost or cannot be made, so a
 * database that is away never holds the loop; a worker never connects with a job in hand (the job
 * gets no connection). Returns once every worker has tried to connect once. NULL with a message in
 * @p err when a thread could not start. */
api_pool *api_pool_create(const char *conninfo, unsigned workers, char *err, size_t errlen);

/* True while at least one worker has a connection (any thread). Without one the caller answers
 * by itself: a job would wait for a worker that is making its connection. */
bool api_pool_connected(api_pool *p);

/* Queues @p job for the next free worker (loop thread). */
void api_pool_submit(api_pool *p, api_job *job);

/* Readable when finished jobs wait; api_pool_take_done() drains it. */
int api_pool_event_fd(const api_pool *p);

/* The finished jobs, oldest first, linked by next; ownership passes to the caller. */
api_job *api_pool_take_done(api_pool *p);

/* Stops the workers after the jobs they run and joins them; queued jobs that never ran are put
 * on the done list unrun, for the caller to take and free. */
void api_pool_stop(api_pool *p);

/* Stops the pool if needed and frees it; jobs not taken are the caller's to have freed before.
 * NULL does nothing. */
void api_pool_destroy(api_pool *p);

#endif
