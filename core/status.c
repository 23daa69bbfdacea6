/* status.c — names for the core's status codes. */
#include "core/status.h"

const char *wr_status_str(wr_status status)
{
    switch (status) {
    case WR_OK: return "ok";
    case WR_EINVAL: return "malformed input";
    case WR_ENOMEM: return "out of memory";
    case WR_ETRUNC: return "input ended early";
    case WR_ERANGE: return "value out of range";
    case WR_ETYPE: return "wrong type";
    case WR_EDEPTH: return "nesting too deep";
    case WR_ESPACE: return "output buffer too small";
    case WR_ESIG: return "signature does not verify";
    case WR_EKEY: return "unknown or unusable key";
    case WR_EEXPIRED: return "expired";
    case WR_ENOTYET: return "not valid yet";
    case WR_EREVOKED: return "revoked";
    case WR_ECRYPTO: return "cryptographic failure";
    case WR_ENOTFOUND: return "not found";
    case WR_EIO: return "input/output error";
    case WR_ETOOBIG: return "too big";
    }
    return "unknown status";
}
