/* fuzz-survey.c — the survey reader (core/survey.c) over arbitrary bytes, as enterprises and as
 * machines: every problem it keeps is placed on a line of the file, and every row it accepts
 * passes the record's rules. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/survey.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void survey_one(survey_kind kind, const uint8_t *data, size_t size)
{
    survey_file f;
    if (survey_read(kind, (const char *)data, size, &f) != WR_OK) {
        survey_file_deinit(&f);
        return;
    }
    unsigned lines = 1;
    for (size_t i = 0; i < size; i++)
        lines += data[i] == '\n';
    for (size_t i = 0; i < f.errors.kept; i++)
        if (f.errors.items[i].line == 0 || f.errors.items[i].line > lines + 1)
            abort();
    if (f.errors.kept > f.errors.total || f.errors.kept > SURVEY_ERRORS_KEPT)
        abort();
    for (size_t i = 0; i < f.n_rows; i++)
        if (f.rows[i].line < 2 || f.rows[i].line > lines)
            abort();
    survey_file_deinit(&f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    survey_one(SURVEY_ENTERPRISES, data, size);
    survey_one(SURVEY_MACHINES, data, size);
    return 0;
}
