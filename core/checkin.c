/* checkin.c — strict decoding and encoding of the device check-in map. */
#include "core/checkin.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/cbor.h"
#include "core/geo.h"

#define CHECKIN_KEY_SHOWN_MAX 32 /* bytes of an unknown key quoted in a message */

/* Where messages go; buf may be NULL. start is the body, for offsets in messages. */
typedef struct checkin_err {
    char *buf;
    size_t len;
    const uint8_t *start;
} checkin_err;

__attribute__((format(printf, 3, 4))) static wr_status
checkin_fail(checkin_err *e, wr_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (e->buf && e->len > 0)
        (void)vsnprintf(e->buf, e->len, fmt, ap);
    va_end(ap);
    return status;
}

/* A message for a failure of the reader at @p r that is not about the value's type. */
static wr_status checkin_fail_cbor(checkin_err *e, const cbor_reader *r, wr_status status)
{
    if (status == WR_ETRUNC)
        return checkin_fail(e, WR_ETRUNC, "check-in body ended early");
    if (status == WR_EDEPTH)
        return checkin_fail(e, WR_EINVAL, "check-in body is nested too deeply");
    const char *what;
    size_t offset = (size_t)(r->p - e->start);
    switch (cbor_refusal_at(r, &what)) {
    case CBOR_REFUSED_INDEFINITE:
        return checkin_fail(e, WR_EINVAL,
                            "check-in body must use definite-length CBOR (indefinite-length %s at "
                            "offset %zu)",
                            what, offset);
    case CBOR_REFUSED_NOT_UTF8:
        return checkin_fail(e, WR_EINVAL,
                            "check-in body has a text string that is not UTF-8 at offset %zu",
                            offset);
    case CBOR_REFUSED_MALFORMED: break;
    }
    return checkin_fail(e, WR_EINVAL, "check-in body is not well-formed CBOR at offset %zu",
                        offset);
}

static const char *const checkin_kind_names[] = {
    [CHECKIN_SCAN] = "scan", [CHECKIN_ARC] = "arc",       [CHECKIN_HB] = "hb",
    [CHECKIN_END] = "end",   [CHECKIN_TAMPER] = "tamper",
};

#define CHECKIN_KIND_COUNT (sizeof(checkin_kind_names) / sizeof(checkin_kind_names[0]))

const char *checkin_kind_name(checkin_kind kind)
{
    if ((unsigned)kind >= CHECKIN_KIND_COUNT)
        return "unknown";
    return checkin_kind_names[kind];
}

bool checkin_kind_from_name(const char *name, size_t len, checkin_kind *out)
{
    if (!name)
        return false;
    for (size_t i = 0; i < CHECKIN_KIND_COUNT; i++) {
        if (strlen(checkin_kind_names[i]) == len && memcmp(checkin_kind_names[i], name, len) == 0) {
            *out = (checkin_kind)i;
            return true;
        }
    }
    return false;
}

/* ---- Values ---------------------------------------------------------------------------- */

static wr_status checkin_read_uint(cbor_reader *r, const char *key, uint64_t *out, checkin_err *e)
{
    wr_status st = cbor_read_uint(r, out);
    /* A negative integer is WR_ERANGE from the reader, but for the person it is a wrong type. */
    if (st == WR_ETYPE || st == WR_ERANGE)
        return checkin_fail(e, WR_ETYPE, "key \"%s\" must be an unsigned integer", key);
    return st == WR_OK ? WR_OK : checkin_fail_cbor(e, r, st);
}

static wr_status checkin_read_ev(cbor_reader *r, checkin_event *ev, checkin_err *e)
{
    const char *text;
    size_t len;
    wr_status st = cbor_read_text(r, &text, &len);
    if (st == WR_ETYPE)
        return checkin_fail(e, WR_ETYPE, "key \"ev\" must be a text string");
    if (st != WR_OK)
        return checkin_fail_cbor(e, r, st);
    if (!checkin_kind_from_name(text, len, &ev->kind))
        return checkin_fail(e, WR_EINVAL,
                            "key \"ev\" must be one of \"scan\", \"arc\", \"hb\", \"end\", "
                            "\"tamper\"");
    return WR_OK;
}

/* The platform stores seq as a signed 64-bit number (PostgreSQL bigint). */
static wr_status checkin_read_seq(cbor_reader *r, checkin_event *ev, checkin_err *e)
{
    wr_status st = checkin_read_uint(r, "seq", &ev->seq, e);
    if (st == WR_OK && ev->seq > INT64_MAX)
        return checkin_fail(e, WR_ERANGE, "key \"seq\" is out of range");
    return st;
}

static wr_status checkin_read_ts(cbor_reader *r, checkin_event *ev, checkin_err *e)
{
    uint64_t ts;
    wr_status st = checkin_read_uint(r, "ts", &ts, e);
    if (st != WR_OK)
        return st;
    if (ts > INT64_MAX)
        return checkin_fail(e, WR_ERANGE, "key \"ts\" is out of range");
    ev->ts = (int64_t)ts;
    return WR_OK;
}

static wr_status checkin_read_number(cbor_reader *r, const char *key, double *out, checkin_err *e)
{
    wr_status st = cbor_read_double(r, out);
    if (st == WR_ETYPE)
        return checkin_fail(e, WR_ETYPE, "key \"%s\" must be a number", key);
    if (st == WR_ERANGE)
        return checkin_fail(e, WR_ERANGE, "key \"%s\" is out of range", key);
    return st == WR_OK ? WR_OK : checkin_fail_cbor(e, r, st);
}

static wr_status checkin_read_lat(cbor_reader *r, checkin_event *ev, checkin_err *e)
{
    wr_status st = checkin_read_number(r, "lat", &ev->lat, e);
    if (st == WR_OK && !(ev->lat >= -90.0 && ev->lat <= 90.0))
        return checkin_fail(e, WR_ERANGE, "key \"lat\" must be between -90 and 90");
    return st;
}

static wr_status checkin_read_lon(cbor_reader *r, checkin_event *ev, checkin_err *e)
{
    wr_status st = checkin_read_number(r, "lon", &ev->lon, e);
    if (st == WR_OK && !(ev->lon >= -180.0 && ev->lon <= 180.0))
        return checkin_fail(e, WR_ERANGE, "key \"lon\" must be between -180 and 180");
    return st;
}

static wr_status checkin_check_code(const char *code, size_t len, checkin_err *e)
{
    if (len == 0)
        return checkin_fail(e, WR_EINVAL, "key \"code\" must not be empty");
    if (len > CHECKIN_CODE_MAX)
        return checkin_fail(e, WR_ERANGE, "key \"code\" must be at most %d bytes",
                            CHECKIN_CODE_MAX);
    if (memchr(code, '\0', len))
        return checkin_fail(e, WR_EINVAL, "key \"code\" must not contain a NUL character");
    return WR_OK;
}

static wr_status checkin_read_code(cbor_reader *r, checkin_event *ev, checkin_err *e)
{
    wr_status st = cbor_read_text(r, &ev->code, &ev->code_len);
    if (st == WR_ETYPE)
        return checkin_fail(e, WR_ETYPE, "key \"code\" must be a text string");
    if (st != WR_OK)
        return checkin_fail_cbor(e, r, st);
    return checkin_check_code(ev->code, ev->code_len, e);
}

static wr_status checkin_read_amp(cbor_reader *r, checkin_event *ev, checkin_err *e)
{
    uint64_t amp;
    wr_status st = checkin_read_uint(r, "amp", &amp, e);
    if (st != WR_OK)
        return st;
    if (amp > CHECKIN_AMP_MAX)
        return checkin_fail(e, WR_ERANGE, "key \"amp\" must be at most %d", CHECKIN_AMP_MAX);
    ev->amp = (uint32_t)amp;
    ev->has_amp = true;
    return WR_OK;
}

/* ---- Keys ------------------------------------------------------------------------------ */

enum {
    KEY_EV = 1u << 0,
    KEY_SEQ = 1u << 1,
    KEY_TS = 1u << 2,
    KEY_LAT = 1u << 3,
    KEY_LON = 1u << 4,
    KEY_CODE = 1u << 5,
    KEY_AMP = 1u << 6,
};

typedef wr_status (*checkin_value_fn)(cbor_reader *r, checkin_event *ev, checkin_err *e);

static const struct checkin_key {
    const char *name;
    unsigned bit;
    checkin_value_fn read;
} checkin_keys[] = {
    {"ev", KEY_EV, checkin_read_ev},    {"seq", KEY_SEQ, checkin_read_seq},
    {"ts", KEY_TS, checkin_read_ts},    {"lat", KEY_LAT, checkin_read_lat},
    {"lon", KEY_LON, checkin_read_lon}, {"code", KEY_CODE, checkin_read_code},
    {"amp", KEY_AMP, checkin_read_amp},
};

#define CHECKIN_KEY_COUNT (sizeof(checkin_keys) / sizeof(checkin_keys[0]))

static const struct checkin_key *checkin_find_key(const char *name, size_t len)
{
    for (size_t i = 0; i < CHECKIN_KEY_COUNT; i++) {
        if (strlen(checkin_keys[i].name) == len && memcmp(checkin_keys[i].name, name, len) == 0)
            return &checkin_keys[i];
    }
    return NULL;
}

/* Copies an untrusted key for a message: printable ASCII only, at most a few dozen bytes. */
static void checkin_shown_key(const char *key, size_t len, char out[CHECKIN_KEY_SHOWN_MAX + 4])
{
    size_t shown = len < CHECKIN_KEY_SHOWN_MAX ? len : CHECKIN_KEY_SHOWN_MAX;
    for (size_t i = 0; i < shown; i++) {
        unsigned char c = (unsigned char)key[i];
        bool plain = c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
        out[i] = '?';
        if (plain)
            out[i] = key[i];
    }
    if (len > shown) {
        memcpy(out + shown, "...", 3);
        shown += 3;
    }
    out[shown] = '\0';
}

static wr_status checkin_read_entry(cbor_reader *r, checkin_event *ev, unsigned *seen,
                                    checkin_err *e)
{
    const char *name;
    size_t len;
    wr_status st = cbor_read_text(r, &name, &len);
    if (st == WR_ETYPE)
        return checkin_fail(e, WR_EINVAL, "check-in map keys must be text strings");
    if (st != WR_OK)
        return checkin_fail_cbor(e, r, st);
    const struct checkin_key *key = checkin_find_key(name, len);
    if (!key) {
        char shown[CHECKIN_KEY_SHOWN_MAX + 4];
        checkin_shown_key(name, len, shown);
        return checkin_fail(e, WR_EINVAL, "unknown key \"%s\"", shown);
    }
    if (*seen & key->bit)
        return checkin_fail(e, WR_EINVAL, "duplicate key \"%s\"", key->name);
    *seen |= key->bit;
    return key->read(r, ev, e);
}

/* Rules across keys, once all are read. */
static wr_status checkin_check_keys(unsigned seen, const checkin_event *ev, checkin_err *e)
{
    static const struct {
        unsigned bit;
        const char *name;
    } required[] = {{KEY_EV, "ev"}, {KEY_SEQ, "seq"}, {KEY_TS, "ts"}};
    for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
        if (!(seen & required[i].bit))
            return checkin_fail(e, WR_EINVAL, "missing required key \"%s\"", required[i].name);
    }
    if (!(seen & KEY_LAT) != !(seen & KEY_LON))
        return checkin_fail(e, WR_EINVAL, "keys \"lat\" and \"lon\" must be given together");
    if (ev->kind == CHECKIN_SCAN && !(seen & KEY_CODE))
        return checkin_fail(e, WR_EINVAL, "key \"code\" is required when \"ev\" is \"scan\"");
    if (ev->kind != CHECKIN_SCAN && (seen & KEY_CODE))
        return checkin_fail(e, WR_EINVAL, "key \"code\" is allowed only when \"ev\" is \"scan\"");
    return WR_OK;
}

static wr_status checkin_decode_map(const uint8_t *buf, size_t len, checkin_event *out,
                                    checkin_err *e)
{
    cbor_reader r;
    cbor_reader_init(&r, buf, len);
    size_t count;
    wr_status st = cbor_read_map(&r, &count);
    if (st == WR_ETYPE)
        return checkin_fail(e, WR_EINVAL, "check-in body must be a CBOR map");
    if (st != WR_OK)
        return checkin_fail_cbor(e, &r, st);
    unsigned seen = 0;
    for (size_t i = 0; i < count; i++) {
        st = checkin_read_entry(&r, out, &seen, e);
        if (st != WR_OK)
            return st;
    }
    if (!cbor_reader_at_end(&r))
        return checkin_fail(e, WR_EINVAL, "check-in body has data after the map");
    out->has_position = (seen & KEY_LAT) != 0;
    return checkin_check_keys(seen, out, e);
}

wr_status checkin_decode(const uint8_t *buf, size_t len, checkin_event *out, char *err,
                         size_t errlen)
{
    checkin_err e = {err, errlen, buf ? buf : (const uint8_t *)""};
    if (err && errlen > 0)
        err[0] = '\0';
    if (!out)
        return checkin_fail(&e, WR_EINVAL, "no event to decode into");
    memset(out, 0, sizeof(*out));
    if (!buf && len > 0)
        return checkin_fail(&e, WR_EINVAL, "no check-in body");
    wr_status st = checkin_decode_map(e.start, len, out, &e);
    if (st != WR_OK)
        memset(out, 0, sizeof(*out));
    return st;
}

/* ---- Encoding -------------------------------------------------------------------------- */

wr_status checkin_validate(const checkin_event *ev, char *err, size_t errlen)
{
    checkin_err e = {err, errlen, NULL};
    if (err && errlen > 0)
        err[0] = '\0';
    if (!ev || (unsigned)ev->kind >= CHECKIN_KIND_COUNT)
        return checkin_fail(&e, WR_EINVAL, "event kind is not valid");
    if (ev->ts < 0)
        return checkin_fail(&e, WR_ERANGE, "key \"ts\" is out of range");
    if (ev->seq > INT64_MAX)
        return checkin_fail(&e, WR_ERANGE, "key \"seq\" is out of range");
    if (ev->has_position && !geo_coords_valid(ev->lat, ev->lon))
        return checkin_fail(&e, WR_ERANGE, "position is out of range");
    if (ev->has_amp && ev->amp > CHECKIN_AMP_MAX)
        return checkin_fail(&e, WR_ERANGE, "key \"amp\" must be at most %d", CHECKIN_AMP_MAX);
    bool has_code = ev->code != NULL;
    if (has_code != (ev->kind == CHECKIN_SCAN))
        return checkin_fail(&e, WR_EINVAL,
                            "key \"code\" is required when, and only when, "
                            "\"ev\" is \"scan\"");
    return has_code ? checkin_check_code(ev->code, ev->code_len, &e) : WR_OK;
}

wr_status checkin_encode(const checkin_event *ev, uint8_t *buf, size_t cap, size_t *len)
{
    wr_status st = checkin_validate(ev, NULL, 0);
    if (st != WR_OK)
        return st;
    size_t pairs = 3 + (ev->has_position ? 2 : 0) + (ev->code ? 1 : 0) + (ev->has_amp ? 1 : 0);
    cbor_writer w;
    cbor_writer_init(&w, buf, cap);
    cbor_put_map(&w, pairs);
    cbor_put_cstr(&w, "ev");
    cbor_put_cstr(&w, checkin_kind_name(ev->kind));
    cbor_put_cstr(&w, "seq");
    cbor_put_uint(&w, ev->seq);
    cbor_put_cstr(&w, "ts");
    cbor_put_uint(&w, (uint64_t)ev->ts);
    if (ev->has_position) {
        cbor_put_cstr(&w, "lat");
        cbor_put_double(&w, ev->lat);
        cbor_put_cstr(&w, "lon");
        cbor_put_double(&w, ev->lon);
    }
    if (ev->code) {
        cbor_put_cstr(&w, "code");
        cbor_put_text(&w, ev->code, ev->code_len);
    }
    if (ev->has_amp) {
        cbor_put_cstr(&w, "amp");
        cbor_put_uint(&w, ev->amp);
    }
    st = cbor_writer_status(&w);
    if (st == WR_OK && len)
        *len = w.len;
    return st;
}
