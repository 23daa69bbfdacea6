/* json.h — a strict RFC 8259 JSON parser of untrusted text into a caller's token array (no
 * allocation), and a JSON writer into a caller's buffer. */
#ifndef WELDREG_CORE_JSON_H
#define WELDREG_CORE_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

/* Arrays and objects nested deeper than this give WR_EDEPTH. */
#define JSON_MAX_DEPTH 32
/* A number literal longer than this is refused (no real value needs more). */
#define JSON_NUMBER_MAX 40

typedef enum json_type {
    JSON_NULL,
    JSON_FALSE,
    JSON_TRUE,
    JSON_INT,    /* a number without fraction or exponent that fits int64 */
    JSON_DOUBLE, /* any other number */
    JSON_STRING,
    JSON_ARRAY,
    JSON_OBJECT,
} json_type;

/* One value. Tokens are stored in document order: an object's members follow it as key
 * (a JSON_STRING) then value, an array's items follow it; `next` is the index of the first token
 * after the value and everything nested in it. */
typedef struct json_token {
    json_type type;
    uint32_t start; /* byte offset of the value in the text; a string's content after '"' */
    uint32_t len;   /* a string: bytes of its escaped content; other values: bytes of the value */
    uint32_t count; /* ARRAY: items; OBJECT: members */
    uint32_t next;
    int64_t i; /* JSON_INT */
    double d;  /* JSON_INT and JSON_DOUBLE */
} json_token;

/* A parsed document. Borrows the text and the token array, which must outlive it. */
typedef struct json_doc {
    const char *text;
    size_t len;
    json_token *tokens;
    size_t count;
} json_doc;

/* Where and why parsing failed: 1-based line and column (in bytes) and a lower-case message. */
typedef struct json_error {
    unsigned line, column;
    char message[96];
} json_error;

/* Parses exactly one JSON value (surrounding whitespace allowed) of @p len bytes of @p text
 * (no NUL needed) into @p tokens (at most @p cap). Accepts RFC 8259 only: no comments, no
 * trailing commas, no leading zeros, no control characters or invalid UTF-8 (overlong forms,
 * surrogates) in strings, \u escapes must pair surrogates, and an object may not repeat a key.
 * Returns WR_OK, WR_EINVAL (malformed), WR_EDEPTH, WR_ESPACE (more than @p cap values) or
 * WR_ERANGE (a text longer than 4 GiB); @p err (may be NULL) says where. */
wr_status json_parse(const char *text, size_t len, json_token *tokens, size_t cap, json_doc *doc,
                     json_error *err);

/* The index of the value of member @p key of the object at @p obj, or -1 if absent (or
 * @p obj is not an object). */
long json_find(const json_doc *doc, size_t obj, const char *key);

/* Decodes the string at @p tok (escapes resolved, valid UTF-8) into @p out with a NUL. Sets
 * @p len (may be NULL) to the decoded length. WR_ETYPE if it is not a string, WR_ESPACE if it
 * does not fit (@p out then holds ""). A string holding U+0000 decodes, the NUL included. */
wr_status json_string(const json_doc *doc, size_t tok, char *out, size_t cap, size_t *len);

/* True if the string at @p tok decodes to exactly @p s. */
bool json_string_is(const json_doc *doc, size_t tok, const char *s);

/* A static lower-case name of @p type ("string", "number", ...) for messages. */
const char *json_type_name(json_type type);

/* ---- Writer ------------------------------------------------------------------------------------
 * Appends to buf[0..cap) and keeps a NUL after the text. Commas and colons are inserted by the
 * writer. Errors are sticky as for cbor_writer: WR_ESPACE when full, WR_EDEPTH past
 * JSON_MAX_DEPTH, WR_EINVAL for a key outside an object, a value where a key is due, text
 * that is not valid UTF-8, or a double that is not finite. */
typedef struct json_writer {
    char *buf;
    size_t cap;
    size_t len;
    wr_status err;
    unsigned depth;
    bool first[JSON_MAX_DEPTH + 1];     /* nothing written yet at this level */
    bool in_object[JSON_MAX_DEPTH + 1]; /* the level is an object */
    bool want_value;                    /* a key was written; its value is next */
} json_writer;

void json_writer_init(json_writer *w, char *buf, size_t cap);
void json_begin_object(json_writer *w);
void json_end_object(json_writer *w);
void json_begin_array(json_writer *w);
void json_end_array(json_writer *w);
/* A member key (inside an object), then exactly one value. */
void json_key(json_writer *w, const char *key);
/* A member key of @p n bytes (may hold U+0000). */
void json_key_text(json_writer *w, const char *key, size_t n);
void json_put_text(json_writer *w, const char *s, size_t n);
void json_put_cstr(json_writer *w, const char *s);
void json_put_int(json_writer *w, int64_t v);
void json_put_double(json_writer *w, double d);
void json_put_bool(json_writer *w, bool b);
void json_put_null(json_writer *w);
/* WR_OK once one complete value has been written; the first error, or WR_EINVAL while a
 * container is still open. */
wr_status json_writer_status(const json_writer *w);

/* True if @p n bytes at @p s are valid UTF-8 (no overlong forms, surrogates or values past
 * U+10FFFF). */
bool json_utf8_valid(const char *s, size_t n);

#endif
