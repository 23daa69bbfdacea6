/* fuzz-csv.c — the CSV reader over arbitrary bytes; every field read is copied out, written
 * back with the CSV writer and must read back the same. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void rewrite_field(const char *value, size_t n)
{
    static char buf[1 << 14];
    csv_writer w;
    csv_writer_init(&w, buf, sizeof(buf));
    csv_put_field(&w, value, n);
    csv_end_record(&w);
    if (w.err != WR_OK)
        return;
    csv_reader r;
    csv_field f[2];
    size_t count;
    static char again[1 << 14];
    csv_reader_init(&r, buf, w.len);
    if (csv_next(&r, f, 2, &count, NULL) != WR_OK || count != 1 ||
        csv_field_value(&f[0], again, sizeof(again)) != WR_OK || strcmp(again, value) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    csv_reader r;
    csv_field fields[32];
    size_t count;
    csv_error err;
    static char value[1 << 13];
    csv_reader_init(&r, (const char *)data, size);
    wr_status st;
    while ((st = csv_next(&r, fields, 32, &count, &err)) == WR_OK) {
        for (size_t i = 0; i < count; i++) {
            if (fields[i].raw < (const char *)data ||
                fields[i].raw + fields[i].raw_len > (const char *)data + size)
                abort();
            if (csv_field_value(&fields[i], value, sizeof(value)) == WR_OK &&
                !memchr(value, '\0', strlen(value)) && strlen(value) == strnlen(value, 8000))
                rewrite_field(value, strlen(value));
        }
    }
    if (st != WR_ENOTFOUND && (err.line == 0 || err.column == 0))
        abort();
    return 0;
}
