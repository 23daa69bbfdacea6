/* jsoncbor.h — conversion between JSON and CBOR for the data model they share (maps with text
 * keys, arrays, text, integers, floats, booleans, null), so the admin API can speak both. */
#ifndef WELDREG_CORE_JSONCBOR_H
#define WELDREG_CORE_JSONCBOR_H

#include <stddef.h>
#include <stdint.h>

#include "core/cbor.h"
#include "core/json.h"

/* Writes the value at token @p tok of @p doc (and everything in it) as CBOR: objects become
 * maps, JSON_INT integers, JSON_DOUBLE floats (shortest exact form). Returns the writer's
 * status (WR_ESPACE when @p w is full). */
wr_status jsoncbor_to_cbor(const json_doc *doc, size_t tok, cbor_writer *w);

/* Reads exactly one CBOR item of @p len bytes and writes it as JSON to @p w. Map keys must be
 * text (WR_ETYPE otherwise); byte strings, tags and undefined have no JSON form (WR_ETYPE);
 * integers beyond int64 are WR_ERANGE, non-finite floats WR_ERANGE; bytes after the item are
 * WR_EINVAL; nesting deeper than JSON_MAX_DEPTH is WR_EDEPTH. Duplicate keys pass through: the
 * JSON parser refuses them. */
wr_status jsoncbor_from_cbor(const uint8_t *cbor, size_t len, json_writer *w);

#endif
