/* peers.h — the identity each DTLS session's handshake named, and the deadline of the handshakes
 * under way.
 *
 * A handshake names its identity part-way: the PSK callback finds a known identity, or the
 * certificate callback accepts a CN. From then it has handshake_timeout to complete. With
 * libcoap 4.3.1 and OpenSSL, one with a wrong PSK may otherwise never end: DTLS drops the
 * client's Finished that does not verify and, having had the client's flight, keeps no timer,
 * so the session sat half-open until its idle time-out or until later ClientHellos made libcoap
 * clear it. peers_expire ends it at its deadline; every handshake that named an identity and
 * never completed is reported exactly once, whichever way it ended.
 *
 * The record is the session's app data. Owned by the loop thread. */
#ifndef WELDREG_SERVER_PEERS_H
#define WELDREG_SERVER_PEERS_H

#include <coap3/coap.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct peers peers;

/* Called once for each handshake that named @p identity and failed: at its deadline, or when
 * libcoap ended it first. */
typedef void peers_failed_fn(void *ctx, coap_session_t *session, const char *identity);

peers *peers_new(peers_failed_fn *failed, void *ctx);

/* Frees every record left. libcoap frees the sessions of a context it frees without an event:
 * call after coap_free_context(). NULL does nothing. */
void peers_free(peers *ps);

/* @p session's handshake named @p identity at @p now_ms (monotonic milliseconds); its deadline
 * is now_ms + @p timeout_ms. Naming again starts again. 0, or -1 if out of memory. */
int peers_name(peers *ps, coap_session_t *session, const char *identity, int64_t now_ms,
               int64_t timeout_ms);

/* The identity @p session's handshake named, or NULL. */
const char *peers_identity(const coap_session_t *session);

/* Marks @p session as observing the live violations (@p on) or not, beside its identity. True
 * if the mark changed; false if it was so already or the session has no record. */
bool peers_mark_observing(coap_session_t *session, bool on);

/* @p session's handshake completed: it has no deadline any more. */
void peers_connected(peers *ps, coap_session_t *session);

/* libcoap ended @p session's DTLS (COAP_EVENT_DTLS_CLOSED) or is freeing it
 * (COAP_EVENT_SERVER_SESSION_DEL): an unfinished handshake is reported, once. */
void peers_ended(peers *ps, coap_session_t *session);

/* libcoap is freeing @p session: its record goes (after peers_ended). */
void peers_forget(peers *ps, coap_session_t *session);

/* Ends every handshake whose deadline is at or before @p now_ms: each is reported and its
 * session disconnected (libcoap frees it on its next pass). Returns how many. */
unsigned peers_expire(peers *ps, int64_t now_ms);

#endif
