/* store.h — everything the server asks of PostgreSQL, behind one interface (libpq stays in
 * the store*.c files). A store is one connection and is used by one thread at a time. */
#ifndef WELDREG_SERVER_STORE_H
#define WELDREG_SERVER_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "server/checkin/record.h"
#include "server/checkin/sessions.h"
#include "server/db/store_status.h"
#include "server/views/kek.h"
#include "server/views/principals.h"
#include "server/views/registry.h"

typedef struct store store;

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

/* Asks the server a trivial question ("SELECT 1"), for a readiness probe. STORE_OK when it
 * answered; STORE_EUNAVAILABLE otherwise (the connection is then marked lost). */
store_status store_ping(store *st);

/* How far a standby's data is behind its primary, in whole seconds, into @p lag_s: 0 when it
 * has replayed all it received, -1 when the server is no standby (not in recovery).
 * STORE_EUNAVAILABLE when it did not answer (the connection is then marked lost). */
store_status store_standby_lag(store *st, int64_t *lag_s);

/* Applies every schema/NNN_name.sql in @p dir that is not recorded in schema_migrations, each in
 * its own transaction, in order, under an advisory lock. Sets @p applied to how many ran. */
int store_migrate(store *st, const char *dir, int *applied, char *err, size_t errlen);

/* Reads every enabled principal and decrypts its PSK with the current key of @p keys, or else
 * its previous one (a key rotation under way), into a new table. */
int store_load_principals(store *st, const kek_pair *keys, principal_table **out, char *err,
                          size_t errlen);

/* How store_reseal_psks went. */
typedef struct store_reseal_count {
    int64_t resealed; /* opened with the previous key and sealed again under the current one */
    int64_t current;  /* already under the current key: left as they were */
} store_reseal_count;

/* Seals every principal's PSK (disabled ones too) again under keys->current, in one
 * transaction that locks the rows: a PSK that opens with keys->previous is re-sealed with a new
 * nonce, one that opens with keys->current is left; an audit_log row (principal.psk_resealed)
 * counts them. Running servers reload through NOTIFY.
 * A PSK that opens with neither key rolls everything back: -1 naming the principal. */
int store_reseal_psks(store *st, const kek_pair *keys, store_reseal_count *count, char *err,
                      size_t errlen);

/* Called by store_rehash_pii() before it commits: 0 to commit, -1 (with @p err) to roll back. */
typedef int (*store_before_commit_fn)(void *arg, char *err, size_t errlen);

/* Wraps every welder's stored ID-card and licence hash in an HMAC under @p key (the next key of
 * the PII chain, server/views/kek.h) in one transaction that keeps other writers of welders
 * waiting, with an audit_log row (welder.pii_rehashed); @p before runs just before the commit
 * (it installs the new chain). Sets @p count to the welders re-hashed. 0, or -1 with nothing
 * changed. */
int store_rehash_pii(store *st, const uint8_t key[PII_KEY_LEN], store_before_commit_fn before,
                     void *arg, int64_t *count, char *err, size_t errlen);

/* Creates or updates the principal @p identity with @p role, sealing @p psk under @p kek
 * (@p psk NULL: no PSK). With @p allow_cert the principal may also authenticate with a client
 * certificate whose CN is @p identity. Takes effect in running servers through NOTIFY. */
int store_save_principal(store *st, principal_role role, const char *identity,
                         const uint8_t kek[SECRET_KEK_LEN], const char *psk, bool allow_cert,
                         char *err, size_t errlen);

/* Makes @p n records durable in one transaction (pipelined), filling in each record's out
 * fields. When the batch fails as a whole, each record is retried alone so one bad record
 * cannot fail the others. Returns STORE_EUNAVAILABLE if the connection was lost (no record is
 * then known to be stored), else STORE_OK. */
store_status store_write_checkins(store *st, checkin_record *const *records, size_t n);

/* Several servers: every later store_write_checkins() on @p st commits only the records whose
 * machine's lease @p owner holds at the record's lease_epoch; the others end STORE_ESTALE.
 * NULL or "": no fence (one server). -1 if @p owner is too long. */
int store_set_fence(store *st, const char *owner);

/* LISTEN on @p channel. */
int store_listen(store *st, const char *channel);

/* The socket to poll for notifications; -1 when not connected, or when a statement found the
 * server gone (the connection is then to be made again). */
int store_socket(const store *st);

/* Reads pending input; returns how many notifications arrived (and drops them), or -1 when the
 * connection is lost. Those on @p channel (may be NULL) are counted in *@p on_channel too. */
int store_drain_notifications(store *st, const char *channel, int *on_channel);

/* Reads pending input and calls @p each with every notification's channel and payload (valid
 * during the call); returns how many, or -1 when the connection is lost. */
typedef void (*store_notify_fn)(void *arg, const char *channel, const char *payload);
int store_take_notifications(store *st, store_notify_fn each, void *arg);

/* Reads machines, welders, current permits and codes into a new in-memory view
 * (store_registry.c). */
int store_load_registry(store *st, registry **out, char *err, size_t errlen);

/* Remembers each machine's last seq and open work session from the database (at start). */
int store_load_sessions(store *st, sessions *set, char *err, size_t errlen);

#endif
