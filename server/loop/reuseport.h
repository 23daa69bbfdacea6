/* reuseport.h — a libcoap DTLS endpoint whose UDP socket has SO_REUSEPORT, so that several
 * weldreg-server processes on one host share a port (option reuse_port; the kernel hashes each
 * client's address and port to one of the sockets, which stays the same while they do).
 *
 * libcoap 4.3.1 has no option for it: the endpoint is made on an ephemeral port, and its
 * socket is then replaced (dup2, same descriptor number) by one bound to the wanted port with
 * SO_REUSEPORT and the options libcoap sets itself (non-blocking, packet info), and registered
 * again in libcoap's epoll set with libcoap's own event data, read from /proc/self/fdinfo.
 * Like coapio.c, this relies on the libcoap version the build checks (WELDREG_LIBCOAP_VERSION). */
#ifndef WELDREG_SERVER_REUSEPORT_H
#define WELDREG_SERVER_REUSEPORT_H

#include <coap3/coap.h>
#include <stddef.h>

/* Adds a DTLS endpoint on @p addr to @p ctx sharing its port with other processes. 0, or -1
 * with a message in @p err. */
int reuseport_endpoint(coap_context_t *ctx, const coap_address_t *addr, char *err, size_t errlen);

#endif
