/* fuzz-checkin.c — feeds arbitrary bytes to checkin_decode(); whatever decodes must encode
 * and decode again to the same event. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/checkin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_check_same(const checkin_event *a, const checkin_event *b)
{
    if (a->kind != b->kind || a->seq != b->seq || a->ts != b->ts ||
        a->has_position != b->has_position || a->has_amp != b->has_amp || a->amp != b->amp ||
        a->code_len != b->code_len)
        abort();
    if (a->has_position && (a->lat != b->lat || a->lon != b->lon))
        abort();
    if ((a->code == NULL) != (b->code == NULL))
        abort();
    if (a->code && memcmp(a->code, b->code, a->code_len) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    checkin_event ev;
    char err[CHECKIN_ERR_SIZE];
    if (checkin_decode(data, size, &ev, err, sizeof(err)) != WR_OK) {
        if (err[0] == '\0')
            abort(); /* every failure explains itself */
        return 0;
    }
    uint8_t again[CHECKIN_ENCODED_MAX];
    size_t len = 0;
    if (checkin_encode(&ev, again, sizeof(again), &len) != WR_OK)
        abort();
    checkin_event back;
    if (checkin_decode(again, len, &back, err, sizeof(err)) != WR_OK)
        abort();
    fuzz_check_same(&ev, &back);
    return 0;
}
