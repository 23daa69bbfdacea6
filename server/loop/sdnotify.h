/* sdnotify.h — systemd's readiness and watchdog protocol (sd_notify(3)), written by hand: one
 * datagram of "KEY=VALUE" lines to the unix socket named by $NOTIFY_SOCKET. Without systemd
 * (no $NOTIFY_SOCKET) every call does nothing. libsystemd is not linked for this: the protocol is
 * one sendto(), and the development machines and containers have no libsystemd-dev. */
#ifndef WELDREG_SERVER_SDNOTIFY_H
#define WELDREG_SERVER_SDNOTIFY_H

#include <stdint.h>

/* Sends @p state ("READY=1", "WATCHDOG=1", "STOPPING=1", "RELOADING=1", "STATUS=..."). 1 when
 * sent, 0 when there is no $NOTIFY_SOCKET, -1 when sending failed. */
int sdnotify_send(const char *state);

/* How often to send WATCHDOG=1: half of $WATCHDOG_USEC, in milliseconds, when the watchdog is
 * meant for this process ($WATCHDOG_PID absent or ours); 0 when there is no watchdog. */
int64_t sdnotify_watchdog_interval_ms(void);

#endif
