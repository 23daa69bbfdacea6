/* reuseport.c — see reuseport.h. */
#include "server/loop/reuseport.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* Descriptors are looked for below this; a server opens a few dozen. */
#define REUSEPORT_FD_MAX 4096

/* A UDP socket bound to @p addr with SO_REUSEPORT and what libcoap sets on its own sockets. */
static int reuseport_socket(const coap_address_t *addr)
{
    int family = addr->addr.sa.sa_family;
    int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int on = 1, off = 0;
    if (fd < 0)
        return -1;
    bool ok = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == 0 &&
              setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) == 0;
    if (ok && family == AF_INET6)
        ok = setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off)) == 0 &&
             setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof(on)) == 0;
    if (ok)
        ok = setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on)) == 0 || family == AF_INET6;
    if (!ok || bind(fd, &addr->addr.sa, addr->size) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

/* Marks in @p open the sockets this process has open. */
static void reuseport_sockets(bool *open)
{
    memset(open, 0, REUSEPORT_FD_MAX * sizeof(*open));
    for (int fd = 0; fd < REUSEPORT_FD_MAX; fd++) {
        struct stat sb;
        open[fd] = fstat(fd, &sb) == 0 && S_ISSOCK(sb.st_mode);
    }
}

/* The one socket open now that was not in @p before, or -1. */
static int reuseport_new_socket(const bool *before)
{
    bool *now = calloc(REUSEPORT_FD_MAX, sizeof(*now));
    int found = -1, count = 0;
    if (!now)
        return -1;
    reuseport_sockets(now);
    for (int fd = 0; fd < REUSEPORT_FD_MAX; fd++) {
        if (now[fd] && !before[fd]) {
            found = fd;
            count++;
        }
    }
    free(now);
    return count == 1 ? found : -1;
}

/* The number after @p key in @p line (base @p base), in *@p out; false if there is none. */
static bool reuseport_field(const char *line, const char *key, int base, unsigned long long *out)
{
    const char *p = strstr(line, key);
    if (!p)
        return false;
    p += strlen(key);
    char *end;
    errno = 0;
    *out = strtoull(p, &end, base);
    return errno == 0 && end != p;
}

/* The events and data libcoap registered @p fd with in epoll set @p epfd: a line of
 * /proc/self/fdinfo/EPFD reads "tfd: FD events: HEX data: HEX pos: ...". */
static int reuseport_epoll_entry(int epfd, int fd, struct epoll_event *ev)
{
    char path[64], line[256];
    snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", epfd);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    int rc = -1;
    while (rc != 0 && fgets(line, sizeof(line), f)) {
        unsigned long long tfd, events, data;
        if (reuseport_field(line, "tfd:", 10, &tfd) && tfd == (unsigned long long)fd &&
            reuseport_field(line, "events:", 16, &events) &&
            reuseport_field(line, "data:", 16, &data)) {
            ev->events = (uint32_t)events;
            ev->data.u64 = data;
            rc = 0;
        }
    }
    fclose(f);
    return rc;
}

/* Puts @p shared in place of libcoap's socket @p fd, registered as libcoap registered it. */
static int reuseport_swap(int epfd, int fd, int shared)
{
    struct epoll_event ev;
    if (reuseport_epoll_entry(epfd, fd, &ev) != 0 || dup3(shared, fd, O_CLOEXEC) < 0)
        return -1;
    /* closing the old socket took it out of the set; the new one goes in with its data */
    return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

int reuseport_endpoint(coap_context_t *ctx, const coap_address_t *addr, char *err, size_t errlen)
{
    int shared = reuseport_socket(addr);
    if (shared < 0) {
        snprintf(err, errlen, "%s", strerror(errno));
        return -1;
    }
    bool *before = calloc(REUSEPORT_FD_MAX, sizeof(*before));
    coap_address_t any = *addr;
    coap_address_set_port(&any, 0);
    int rc = -1;
    if (before) {
        reuseport_sockets(before);
        int fd = coap_new_endpoint(ctx, &any, COAP_PROTO_DTLS) ? reuseport_new_socket(before) : -1;
        rc = fd >= 0 ? reuseport_swap(coap_context_get_coap_fd(ctx), fd, shared) : -1;
    }
    free(before);
    close(shared);
    if (rc != 0)
        snprintf(err, errlen, "could not give libcoap's endpoint the shared socket");
    return rc;
}
