/* store.h — everything the server asks of PostgreSQL, behind one interface (libpq stays in
 * the store*.c files). A store is one connection and is used by one thread at a time. */
#ifndef WELDREG_SERVER_STORE_H
#define WELDREG_SERVER_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "server/views/principals.h"
#include "server/views/registry.h"
#include "server/checkin/sessions.h"

typedef struct store store;

typedef enum store_status {
    STORE_OK = 0,
    STORE_EUNAVAILABLE = -1, /* the connection is lost; try again after store_reconnect() */
    STORE_EFAILED = -2,      /* the statement failed (constraint, bad data): do not retry */
} store_status;

/* Connects to @p conninfo (a libpq connection string or URI). NULL with a message in @p err if
 * the database cannot be reached. */
store *store_connect(const char *conninfo, char *err, size_t errlen);

/* Starts connecting to @p conninfo without waiting (PQconnectStartParams), for a thread that
 * must not block: NULL with a message in @p err if that failed at once. Then, each time its
 * socket (store_connect_socket) is ready the way the last step asked, store_connect_poll()
 * until STORE_CONNECTED or STORE_CONNECT_FAILED; the first wait is for writing. No time-out of
 * its own: the caller gives up (store_destroy) when it has waited long enough. A host name is
 * still resolved synchronously when the connection starts (libpq); an address or a Unix socket
 * is not. */
store *store_connect_start(const char *conninfo, char *err, size_t errlen);

typedef enum store_connecting {
    STORE_WAIT_READ,      /* call again once the socket is readable */
    STORE_WAIT_WRITE,     /* call again once the socket is writable */
    STORE_CONNECTED,      /* ready for statements */
    STORE_CONNECT_FAILED, /* with a message in err: store_destroy() it */
} store_connecting;

/* One step of a connection started by store_connect_start(). */
store_connecting store_connect_poll(store *st, char *err, size_t errlen);

/* The socket of a connection being made (it may change from one step to the next). */
int store_connect_socket(const store *st);

/* Closes the connection. Does nothing for NULL. */
void store_destroy(store *st);

/* Tries once to reconnect a lost connection. STORE_OK when connected again. */
store_status store_reconnect(store *st);

/* Applies every schema/NNN_name.sql in @p dir that is not recorded in schema_migrations, each in
 * its own transaction, in order, under an advisory lock. Sets @p applied to how many ran. */
int store_migrate(store *st, const char *dir, int *applied, char *err, size_t errlen);

/* Reads every enabled principal and decrypts its PSK with @p kek into a new table. */
int store_load_principals(store *st, const uint8_t kek[SECRET_KEK_LEN], principal_table **out,
                          char *err, size_t errlen);

/* Creates or updates the principal @p identity with @p role, sealing @p psk under @p kek
 * (@p psk NULL: no PSK). With @p allow_cert the principal may also authenticate with a client
 * certificate whose CN is @p identity. Takes effect in running servers through NOTIFY. */
int store_save_principal(store *st, principal_role role, const char *identity,
                         const uint8_t kek[SECRET_KEK_LEN], const char *psk, bool allow_cert,
                         char *err, size_t errlen);

#define CHECKIN_REASONS_MAX 16

/* What a check-in does to its machine's work session. */
typedef enum session_op {
    SESSION_NONE,
    SESSION_OPEN,  /* an approved scan: a new session (closing @p close_session_id first) */
    SESSION_TOUCH, /* an event inside the open session */
    SESSION_CLOSE, /* "end": the session is over */
} session_op;

/* One check-in to be made durable, and what the database says about it. */
typedef struct checkin_record {
    /* in: the event */
    bool sweep; /* not a check-in: the server closes a silent or overrun session (session_id)
                 * and records violations, dated by at; only the decision fields are used */
    char chip_id[PRINCIPAL_IDENTITY_MAX + 1];
    uint64_t seq;
    const char *ev;    /* static string */
    int64_t device_ts; /* the chip's ts as sent: evidence (checkins.device_ts), dates nothing */
    bool has_position;
    double lat, lon;
    int32_t amp; /* -1 when absent */
    uint8_t body_hash[32];
    bool has_cti;
    uint8_t cti[16]; /* the scanned code's id, when it could be read */
    /* in: the decision */
    int64_t at; /* the event's time (decision_event_time()): when the work session it opens,
                 * touches or closes does so, and when its violations occurred */
    int64_t machine_id, enterprise_id, community_id, welder_id; /* 0: unknown */
    bool ok;
    const char *reasons[CHECKIN_REASONS_MAX]; /* static strings */
    size_t reason_count;
    const char *violations[CHECKIN_REASONS_MAX]; /* the reasons that are violations */
    const char *severities[CHECKIN_REASONS_MAX]; /* and their severity names */
    size_t violation_count;
    int64_t unlock_until; /* 0 when none */
    bool late;
    int32_t skew_s;
    session_op op;
    int64_t session_id;       /* TOUCH/CLOSE: the open session */
    int64_t close_session_id; /* OPEN: a session of this machine to close first (0: none) */
    int64_t permit_id;        /* OPEN */
    const char *close_reason; /* CLOSE or close_session_id: static string */
    /* out */
    store_status status;
    int64_t id;
    int64_t new_session_id; /* OPEN, when stored fresh */
    bool duplicate;         /* stored before with the same content: answer as then */
    bool replay;            /* stored before with other content */
    bool first_ok;          /* for a duplicate: the first answer */
    int64_t first_until;
    char first_reasons[256]; /* for a duplicate: the first answer's reasons, comma-separated */
} checkin_record;

/* Makes @p n records durable in one transaction (pipelined), filling in each record's out
 * fields. When the batch fails as a whole, each record is retried alone so one bad record
 * cannot fail the others. Returns STORE_EUNAVAILABLE if the connection was lost (no record is
 * then known to be stored), else STORE_OK. */
store_status store_write_checkins(store *st, checkin_record *const *records, size_t n);

/* LISTEN on @p channel. */
int store_listen(store *st, const char *channel);

/* The socket to poll for notifications; -1 when not connected. */
int store_socket(const store *st);

/* Reads pending input; returns how many notifications arrived (and drops them), or -1 when the
 * connection is lost. Those on @p channel (may be NULL) are counted in *@p on_channel too. */
int store_drain_notifications(store *st, const char *channel, int *on_channel);

/* Reads machines, welders, current permits and codes into a new in-memory view
 * (store_registry.c). */
int store_load_registry(store *st, registry **out, char *err, size_t errlen);

/* Remembers each machine's last seq and open work session from the database (at start). */
int store_load_sessions(store *st, sessions *set, char *err, size_t errlen);

#endif
