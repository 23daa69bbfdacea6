/* status.h — the one status code used across the domain core (0 ok, negative errors). */
#ifndef WELDREG_CORE_STATUS_H
#define WELDREG_CORE_STATUS_H

typedef enum wr_status {
    WR_OK = 0,
    WR_EINVAL = -1,    /* input is malformed */
    WR_ENOMEM = -2,    /* allocation failed */
    WR_ETRUNC = -3,    /* input ended early */
    WR_ERANGE = -4,    /* a value is out of its allowed range */
    WR_ETYPE = -5,     /* a value has the wrong type */
    WR_EDEPTH = -6,    /* nesting too deep */
    WR_ESPACE = -7,    /* output buffer too small */
    WR_ESIG = -8,      /* signature does not verify */
    WR_EKEY = -9,      /* key unknown or unusable */
    WR_EEXPIRED = -10, /* not valid any more */
    WR_ENOTYET = -11,  /* not valid yet */
    WR_EREVOKED = -12, /* revoked */
    WR_ECRYPTO = -13,  /* the crypto library failed */
    WR_ENOTFOUND = -14,
    WR_EIO = -15,     /* reading or writing a file or stream failed */
    WR_ETOOBIG = -16, /* the result would exceed its size limit */
} wr_status;

/* A short, lower-case, static description of @p status. Never NULL. */
const char *wr_status_str(wr_status status);

#endif
