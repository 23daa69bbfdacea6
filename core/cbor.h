/* cbor.h — a small RFC 8949 CBOR encoder into a caller's buffer and a strict, allocation-free
 * decoder of untrusted bytes. */
#ifndef WELDREG_CORE_CBOR_H
#define WELDREG_CORE_CBOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

/* Nesting limit of cbor_skip(): arrays, maps and tags nested deeper than this give WR_EDEPTH. */
#define CBOR_MAX_DEPTH 16

/* ---- Encoder ---------------------------------------------------------------------------------
 * The writer appends to buf[0..cap). Errors are sticky: the first failure (WR_ESPACE when the
 * buffer is full, WR_EINVAL for a NULL pointer with a non-zero length) is kept in err, and every
 * later put does nothing, so a caller can emit a whole item and check cbor_writer_status() once.
 * After an error len and the buffer content are unspecified.
 * Integers, lengths and counts always use the shortest head (RFC 8949 preferred serialisation);
 * the caller is responsible for map key order. The writer never owns buf. */
typedef struct cbor_writer {
    uint8_t *buf;
    size_t cap;
    size_t len;
    wr_status err;
} cbor_writer;

void cbor_writer_init(cbor_writer *w, uint8_t *buf, size_t cap);
void cbor_put_uint(cbor_writer *w, uint64_t v);
void cbor_put_int(cbor_writer *w, int64_t v);
void cbor_put_bytes(cbor_writer *w, const uint8_t *p, size_t n);
/* Writes @p n bytes of @p s as a text string; the caller guarantees they are UTF-8. */
void cbor_put_text(cbor_writer *w, const char *s, size_t n);
void cbor_put_cstr(cbor_writer *w, const char *s);
/* Array and map heads: the caller then puts @p n items (a map: @p n key/value pairs). */
void cbor_put_array(cbor_writer *w, size_t n);
void cbor_put_map(cbor_writer *w, size_t n);
void cbor_put_tag(cbor_writer *w, uint64_t tag);
void cbor_put_bool(cbor_writer *w, bool b);
void cbor_put_null(cbor_writer *w);
/* The shortest of float16/32/64 that holds @p d exactly; NaN as the canonical f97e00. */
void cbor_put_double(cbor_writer *w, double d);
/* WR_OK, or the first error of the writer. */
wr_status cbor_writer_status(const cbor_writer *w);

/* ---- Decoder ---------------------------------------------------------------------------------
 * Accepts well-formed RFC 8949 items with these restrictions: definite lengths only (indefinite
 * lengths and the break code give WR_EINVAL), text strings must be valid UTF-8 (WR_EINVAL),
 * additional information 28-30 is WR_EINVAL, and so are simple values other than false, true,
 * null and undefined. Non-preferred (longer than necessary) heads are accepted: they are
 * well-formed, and the signatures we check cover the bytes, not a re-encoding.
 * Every length is checked against the remaining input first (WR_ETRUNC); an array or map whose
 * count could not possibly fit in the rest of the input is WR_ETRUNC too, so callers may loop
 * over a count without further checks. Nothing is allocated. On any error the reader is left
 * unchanged. */
typedef enum cbor_type {
    CBOR_UINT,
    CBOR_NEGINT,
    CBOR_BYTES,
    CBOR_TEXT,
    CBOR_ARRAY,
    CBOR_MAP,
    CBOR_TAG,
    CBOR_FALSE,
    CBOR_TRUE,
    CBOR_NULL,
    CBOR_UNDEFINED,
    CBOR_FLOAT
} cbor_type;

typedef struct cbor_item {
    cbor_type type;
    uint64_t val;       /* UINT value; NEGINT: n where value = -1 - n; BYTES/TEXT length;
                           ARRAY/MAP count; TAG number */
    const uint8_t *ptr; /* BYTES/TEXT content (points into the input) */
    double f;           /* FLOAT value */
} cbor_item;

/* The reader points into the caller's buffer, which must outlive it and every item read. */
typedef struct cbor_reader {
    const uint8_t *p;
    const uint8_t *end;
} cbor_reader;

void cbor_reader_init(cbor_reader *r, const uint8_t *buf, size_t len);
/* Reads one head; the content of a byte or text string is consumed too, the items of an array
 * or map and the item under a tag are not. */
wr_status cbor_read(cbor_reader *r, cbor_item *item);
/* Consumes one whole item with everything nested in it (at most CBOR_MAX_DEPTH deep). */
wr_status cbor_skip(cbor_reader *r);
bool cbor_reader_at_end(const cbor_reader *r);

/* What made a read at @p r fail with WR_EINVAL (a failing read consumes nothing, so the item is
 * still there), for a message to the person who sent it. */
typedef enum cbor_refusal {
    CBOR_REFUSED_MALFORMED,  /* not well-formed: a break with nothing to end, reserved additional
                                information, an unassigned simple value */
    CBOR_REFUSED_INDEFINITE, /* well-formed, but of indefinite length, which the reader does
                                not take; *what says "map", "array", "text string" or
                                "byte string" */
    CBOR_REFUSED_NOT_UTF8,   /* a text string that is not UTF-8 */
} cbor_refusal;
cbor_refusal cbor_refusal_at(const cbor_reader *r, const char **what);

/* Typed helpers: WR_ETYPE on the wrong type, WR_ERANGE if the value does not fit the output
 * (for cbor_read_uint() a negative integer is WR_ERANGE). Like cbor_read(), a failing helper
 * does not consume anything, so a caller can try another type. Strings are not NUL-terminated
 * and point into the input. */
wr_status cbor_read_uint(cbor_reader *r, uint64_t *out);
wr_status cbor_read_int(cbor_reader *r, int64_t *out);
wr_status cbor_read_text(cbor_reader *r, const char **s, size_t *len);
wr_status cbor_read_bytes(cbor_reader *r, const uint8_t **p, size_t *len);
/* float16/32/64, or an integer whose magnitude is at most 2^53 (exactly representable). */
wr_status cbor_read_double(cbor_reader *r, double *out);
wr_status cbor_read_bool(cbor_reader *r, bool *out);
wr_status cbor_read_array(cbor_reader *r, size_t *count);
wr_status cbor_read_map(cbor_reader *r, size_t *count);

#endif
