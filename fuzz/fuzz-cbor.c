/* fuzz-cbor.c — the CBOR decoder over arbitrary bytes: item by item, and whole items skipped. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/cbor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Reads every head and touches every string byte, so ASan sees any read past the input. */
static void read_heads(const uint8_t *data, size_t size)
{
    cbor_reader r;
    cbor_item item;
    unsigned sum = 0;
    cbor_reader_init(&r, data, size);
    while (cbor_read(&r, &item) == WR_OK) {
        if (item.type == CBOR_TEXT || item.type == CBOR_BYTES)
            for (uint64_t i = 0; i < item.val; i++)
                sum += item.ptr[i];
    }
    if (r.p < data || r.p > data + size)
        abort();
    (void)sum;
}

static void skip_items(const uint8_t *data, size_t size)
{
    cbor_reader r;
    cbor_reader_init(&r, data, size);
    while (!cbor_reader_at_end(&r)) {
        const uint8_t *before = r.p;
        if (cbor_skip(&r) != WR_OK) {
            if (r.p != before) /* a failure must not move the reader */
                abort();
            break;
        }
    }
}

/* The typed helpers on whatever comes first. */
static void typed_helpers(const uint8_t *data, size_t size)
{
    cbor_reader r;
    uint64_t u;
    int64_t i;
    double d;
    bool b;
    size_t n;
    const char *s;
    const uint8_t *p;
    cbor_reader_init(&r, data, size);
    (void)cbor_read_uint(&r, &u);
    (void)cbor_read_int(&r, &i);
    (void)cbor_read_double(&r, &d);
    (void)cbor_read_bool(&r, &b);
    (void)cbor_read_text(&r, &s, &n);
    (void)cbor_read_bytes(&r, &p, &n);
    (void)cbor_read_array(&r, &n);
    (void)cbor_read_map(&r, &n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    read_heads(data, size);
    skip_items(data, size);
    typed_helpers(data, size);
    return 0;
}
