/* jsoncbor.c — JSON <-> CBOR over the shared data model. */
#include "core/jsoncbor.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define JSONCBOR_STACK_TEXT 512

static wr_status jsoncbor_put_string(const json_doc *doc, size_t tok, cbor_writer *w)
{
    char small[JSONCBOR_STACK_TEXT];
    size_t cap = (size_t)doc->tokens[tok].len + 1; /* decoding never makes a string longer */
    char *buf = cap <= sizeof(small) ? small : malloc(cap);
    if (!buf)
        return WR_ENOMEM;
    size_t n = 0;
    wr_status st = json_string(doc, tok, buf, cap, &n);
    if (st == WR_OK)
        cbor_put_text(w, buf, n);
    if (buf != small)
        free(buf);
    return st;
}

wr_status jsoncbor_to_cbor(const json_doc *doc, size_t tok, cbor_writer *w)
{
    const json_token *t = &doc->tokens[tok];
    wr_status st = WR_OK;
    switch (t->type) {
    case JSON_NULL: cbor_put_null(w); break;
    case JSON_FALSE: cbor_put_bool(w, false); break;
    case JSON_TRUE: cbor_put_bool(w, true); break;
    case JSON_INT: cbor_put_int(w, t->i); break;
    case JSON_DOUBLE: cbor_put_double(w, t->d); break;
    case JSON_STRING: st = jsoncbor_put_string(doc, tok, w); break;
    case JSON_ARRAY:
    case JSON_OBJECT:
        if (t->type == JSON_ARRAY)
            cbor_put_array(w, t->count);
        else
            cbor_put_map(w, t->count);
        for (size_t k = tok + 1; st == WR_OK && k < t->next; k = doc->tokens[k].next)
            st = jsoncbor_to_cbor(doc, k, w);
        break;
    }
    return st != WR_OK ? st : cbor_writer_status(w);
}

static wr_status jsoncbor_item(cbor_reader *r, json_writer *w, unsigned depth);

static wr_status jsoncbor_container(cbor_reader *r, const cbor_item *head, json_writer *w,
                                    unsigned depth)
{
    if (depth >= JSON_MAX_DEPTH)
        return WR_EDEPTH;
    bool map = head->type == CBOR_MAP;
    if (map)
        json_begin_object(w);
    else
        json_begin_array(w);
    for (uint64_t i = 0; i < head->val; i++) {
        if (map) {
            cbor_item key;
            wr_status st = cbor_read(r, &key);
            if (st != WR_OK)
                return st;
            if (key.type != CBOR_TEXT)
                return WR_ETYPE;
            json_key_text(w, (const char *)key.ptr, (size_t)key.val);
        }
        wr_status st = jsoncbor_item(r, w, depth + 1);
        if (st != WR_OK)
            return st;
    }
    if (map)
        json_end_object(w);
    else
        json_end_array(w);
    return w->err;
}

static wr_status jsoncbor_item(cbor_reader *r, json_writer *w, unsigned depth)
{
    cbor_item item;
    wr_status st = cbor_read(r, &item);
    if (st != WR_OK)
        return st;
    switch (item.type) {
    case CBOR_UINT:
        if (item.val > INT64_MAX)
            return WR_ERANGE;
        json_put_int(w, (int64_t)item.val);
        break;
    case CBOR_NEGINT:
        if (item.val > INT64_MAX)
            return WR_ERANGE;
        json_put_int(w, -1 - (int64_t)item.val);
        break;
    case CBOR_TEXT: json_put_text(w, (const char *)item.ptr, (size_t)item.val); break;
    case CBOR_FLOAT:
        if (!isfinite(item.f))
            return WR_ERANGE;
        json_put_double(w, item.f);
        break;
    case CBOR_FALSE:
    case CBOR_TRUE: json_put_bool(w, item.type == CBOR_TRUE); break;
    case CBOR_NULL: json_put_null(w); break;
    case CBOR_ARRAY:
    case CBOR_MAP: return jsoncbor_container(r, &item, w, depth);
    case CBOR_BYTES:
    case CBOR_TAG:
    case CBOR_UNDEFINED: return WR_ETYPE;
    }
    return w->err;
}

wr_status jsoncbor_from_cbor(const uint8_t *cbor, size_t len, json_writer *w)
{
    cbor_reader r;
    cbor_reader_init(&r, cbor, len);
    wr_status st = jsoncbor_item(&r, w, 0);
    if (st == WR_OK && !cbor_reader_at_end(&r))
        st = WR_EINVAL;
    return st != WR_OK ? st : json_writer_status(w);
}
