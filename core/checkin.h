/* checkin.h — the body a welding machine sends to check in: one CBOR map with text keys
 * (ev, seq, ts, lat, lon, code, amp), decoded strictly from untrusted bytes and encoded for
 * test tools and the CLI. */
#ifndef WELDREG_CORE_CHECKIN_H
#define WELDREG_CORE_CHECKIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

#define CHECKIN_CODE_MAX 1024 /* bytes of "code" at most */
#define CHECKIN_AMP_MAX  2000 /* amperes of "amp" at most */
/* Enough for every message of checkin_decode(), with a long key name quoted. */
#define CHECKIN_ERR_SIZE 128
/* Enough for any body checkin_encode() writes. */
#define CHECKIN_ENCODED_MAX (CHECKIN_CODE_MAX + 96)

typedef enum checkin_kind {
    CHECKIN_SCAN,   /* "scan": a welder's code was scanned, the machine asks to unlock */
    CHECKIN_ARC,    /* "arc": welding current flows */
    CHECKIN_HB,     /* "hb": heartbeat */
    CHECKIN_END,    /* "end": the welder ends the session */
    CHECKIN_TAMPER, /* "tamper": the chip reports tampering */
} checkin_kind;

/* One decoded event. code points into the buffer given to checkin_decode() (not
 * NUL-terminated, valid while that buffer is); the event owns nothing. */
typedef struct checkin_event {
    checkin_kind kind;
    uint64_t seq;      /* the device's sequence number, <= INT64_MAX */
    int64_t ts;        /* device time, Unix seconds, >= 0 */
    bool has_position; /* lat and lon came together */
    double lat;        /* WGS-84 degrees, [-90, 90] */
    double lon;        /* [-180, 180] */
    const char *code;  /* scan only: the scanned text, 1..CHECKIN_CODE_MAX bytes, no NUL */
    size_t code_len;
    bool has_amp;
    uint32_t amp; /* 0..CHECKIN_AMP_MAX */
} checkin_event;

/* Decodes the @p len bytes at @p buf. The body must be exactly one definite-length map with
 * text keys and nothing after it. Required: ev (text: scan|arc|hb|end|tamper), seq and ts
 * (unsigned integers up to INT64_MAX); optional: lat and lon (numbers, both or neither), amp
 * (unsigned); code (text) is required with ev "scan" and not allowed otherwise. Unknown or repeated
 * keys are errors. Returns WR_OK, or an error with a message for the person in @p err (PostgreSQL
 * style, e.g. `key "seq" must be an unsigned integer`; key names are quoted with anything
 * unprintable replaced, values never echoed): WR_ETYPE for a value of the wrong type,
 * WR_ERANGE for one out of range, WR_ETRUNC for a body that ends early, WR_EINVAL otherwise.
 * On failure @p out is zeroed. @p err may be NULL; on success it holds "". */
wr_status checkin_decode(const uint8_t *buf, size_t len, checkin_event *out, char *err,
                         size_t errlen);

/* Checks @p ev against the same rules as checkin_decode() (ranges, lat with lon, code only
 * with scan). Returns WR_OK, or WR_EINVAL or WR_ERANGE with a message in @p err. */
wr_status checkin_validate(const checkin_event *ev, char *err, size_t errlen);

/* Writes @p ev as the CBOR map checkin_decode() reads, keys in the order ev, seq, ts, lat,
 * lon, code, amp (absent ones left out), to @p buf of @p cap bytes and its length to @p len.
 * The caller guarantees that code is UTF-8 (a scanned code is ASCII).
 * Returns WR_OK; WR_EINVAL or WR_ERANGE if checkin_validate() fails; WR_ESPACE if @p cap is
 * too small (CHECKIN_ENCODED_MAX always suffices). */
wr_status checkin_encode(const checkin_event *ev, uint8_t *buf, size_t cap, size_t *len);

/* "scan", "arc", "hb", "end", "tamper"; "unknown" for other values. */
const char *checkin_kind_name(checkin_kind kind);

/* The kind named by the @p len bytes at @p name (exact); false if none. */
bool checkin_kind_from_name(const char *name, size_t len, checkin_kind *out);

#endif
