/* writer.h — the durable writer: a thread that owns a database connection and commits queued
 * check-ins in batches (group commit), handing each back to the event loop once it is durable
 * or has failed. Nothing is acknowledged to a device before the writer hands it back. */
#ifndef WELDREG_SERVER_WRITER_H
#define WELDREG_SERVER_WRITER_H

#include <stdbool.h>
#include <stddef.h>

#include "server/db/store.h"
#include "server/loop/metrics.h"

typedef struct writer_job writer_job;

/* What the submitter does with a job the writer finished (answer the device, apply a sweep): run
 * on the loop thread by whoever takes the job back (writer_take_done), which hands it ownership.
 * A submitter that needs more context embeds writer_job as the first member of its own
 * struct. */
typedef void writer_done_fn(writer_job *job);

struct writer_job {
    checkin_record rec;   /* filled by the submitter; out fields filled by the writer */
    writer_done_fn *done; /* set by the submitter; never called by the writer thread */
    struct writer_job *next;
};

typedef struct writer writer;

/* How much the writer takes on. */
typedef struct writer_limits {
    unsigned batch_max; /* check-ins committed in one transaction at most */
    unsigned queue_max; /* check-ins waiting at most before writer_accepts() says no; 0: no bound */
    /* several servers: this server's server_id; every batch is fenced by the leases of its
     * machines (store_set_fence), a record whose lease was lost comes back STORE_ESTALE.
     * NULL or "": one server, no fence */
    const char *fence_owner;
} writer_limits;

/* Connects to @p conninfo and starts the thread. NULL with a message in @p err on failure.
 * @p metrics (may be NULL) gets the batches, commit times, queue depth and connection state; it
 * must outlive the writer. */
writer *writer_create(const char *conninfo, const writer_limits *limits, server_metrics *metrics,
                      char *err, size_t errlen);

/* A writer that is never available, as while the database is away: check-ins are refused
 * with 5.03 before they are submitted. For a server without a database (the request fuzzer). */
writer *writer_create_offline(void);

/* Commits what is queued and stops the thread; finished jobs stay for writer_take_done().
 * Submitting after this is not allowed. Calling it twice is harmless. */
void writer_stop(writer *w);

/* Stops the writer if needed and closes the connection. Jobs not yet taken back with
 * writer_take_done() are freed. Does nothing for NULL. */
void writer_destroy(writer *w);

/* Queues @p job (ownership passes to the writer until it comes back from writer_take_done). */
void writer_submit(writer *w, writer_job *job);

/* A file descriptor that becomes readable when finished jobs are waiting. */
int writer_event_fd(const writer *w);

/* Takes every finished job, oldest first, as a list; clears the event. Ownership returns to the
 * caller, who frees each job with free(). */
writer_job *writer_take_done(writer *w);

/* False while the database is unreachable (new jobs then fail at once). */
bool writer_is_available(const writer *w);

/* True when a new check-in may be submitted: the database is reachable and fewer than
 * queue_max wait. Otherwise the device is answered 5.03 with Max-Age, so that a slow database
 * makes devices wait instead of growing the queue (and the server's memory) without bound.
 * Sweep records are always submitted: they are few, one per open session. */
bool writer_accepts(const writer *w);

/* Counters for the log: batches committed and jobs written so far. */
void writer_stats(const writer *w, unsigned long *batches, unsigned long *jobs);

#endif
