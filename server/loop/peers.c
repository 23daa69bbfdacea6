/* peers.c — the identities handshakes named and the deadlines of those under way (see peers.h). */
#include "server/loop/peers.h"

#include <stdlib.h>
#include <string.h>

typedef struct peer {
    struct peer *prev, *next;           /* every record */
    struct peer *wait_prev, *wait_next; /* the handshakes under way, by deadline */
    coap_session_t *session;
    int64_t deadline_ms;
    bool waiting;   /* on the list of handshakes under way */
    bool observing; /* an observer of the live violations (peers_mark_observing) */
    char identity[];
} peer;

struct peers {
    peer *all;
    peer *wait_head, *wait_tail;
    peers_failed_fn *failed;
    void *ctx;
};

peers *peers_new(peers_failed_fn *failed, void *ctx)
{
    peers *ps = calloc(1, sizeof(*ps));
    if (ps) {
        ps->failed = failed;
        ps->ctx = ctx;
    }
    return ps;
}

void peers_free(peers *ps)
{
    if (!ps)
        return;
    while (ps->all) {
        peer *next = ps->all->next;
        free(ps->all);
        ps->all = next;
    }
    free(ps);
}

static void peers_stop_waiting(peers *ps, peer *p)
{
    if (!p->waiting)
        return;
    if (p->wait_prev)
        p->wait_prev->wait_next = p->wait_next;
    else
        ps->wait_head = p->wait_next;
    if (p->wait_next)
        p->wait_next->wait_prev = p->wait_prev;
    else
        ps->wait_tail = p->wait_prev;
    p->wait_prev = p->wait_next = NULL;
    p->waiting = false;
}

/* Deadlines come in order when the time-out is the same: from the tail, the walk is short. */
static void peers_start_waiting(peers *ps, peer *p)
{
    peer *after = ps->wait_tail;
    while (after && after->deadline_ms > p->deadline_ms)
        after = after->wait_prev;
    p->wait_prev = after;
    p->wait_next = after ? after->wait_next : ps->wait_head;
    if (p->wait_next)
        p->wait_next->wait_prev = p;
    else
        ps->wait_tail = p;
    if (after)
        after->wait_next = p;
    else
        ps->wait_head = p;
    p->waiting = true;
}

void peers_forget(peers *ps, coap_session_t *session)
{
    peer *p = coap_session_get_app_data(session);
    if (!p)
        return;
    peers_stop_waiting(ps, p);
    if (p->prev)
        p->prev->next = p->next;
    else
        ps->all = p->next;
    if (p->next)
        p->next->prev = p->prev;
    free(p);
    coap_session_set_app_data(session, NULL);
}

int peers_name(peers *ps, coap_session_t *session, const char *identity, int64_t now_ms,
               int64_t timeout_ms)
{
    size_t len = strlen(identity);
    peer *p = calloc(1, sizeof(*p) + len + 1);
    if (!p)
        return -1;
    memcpy(p->identity, identity, len + 1);
    p->session = session;
    p->deadline_ms = now_ms + timeout_ms;
    peers_forget(ps, session);
    p->next = ps->all;
    if (ps->all)
        ps->all->prev = p;
    ps->all = p;
    peers_start_waiting(ps, p);
    coap_session_set_app_data(session, p);
    return 0;
}

const char *peers_identity(const coap_session_t *session)
{
    const peer *p = coap_session_get_app_data(session);
    return p ? p->identity : NULL;
}

bool peers_mark_observing(coap_session_t *session, bool on)
{
    peer *p = coap_session_get_app_data(session);
    if (!p || p->observing == on)
        return false;
    p->observing = on;
    return true;
}

void peers_connected(peers *ps, coap_session_t *session)
{
    peer *p = coap_session_get_app_data(session);
    if (p)
        peers_stop_waiting(ps, p);
}

/* Reports @p p's handshake as failed if it is still under way. */
static void peers_fail(peers *ps, peer *p)
{
    if (!p->waiting)
        return;
    peers_stop_waiting(ps, p);
    ps->failed(ps->ctx, p->session, p->identity);
}

void peers_ended(peers *ps, coap_session_t *session)
{
    peer *p = coap_session_get_app_data(session);
    if (p)
        peers_fail(ps, p);
}

unsigned peers_expire(peers *ps, int64_t now_ms)
{
    unsigned ended = 0;
    while (ps->wait_head && ps->wait_head->deadline_ms <= now_ms) {
        peer *p = ps->wait_head;
        peers_fail(ps, p);
        /* libcoap frees the DTLS state (DTLS_CLOSED: reported already) and, on its next pass,
         * the session (SESSION_DEL: the record goes) */
        coap_session_disconnected(p->session, COAP_NACK_TLS_FAILED);
        ended++;
    }
    return ended;
}
