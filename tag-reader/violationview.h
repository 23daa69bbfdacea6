/* violationview.h — a violation of an API answer (the objects of GET /v1/violations "items") for
 * people: one aligned table row, or the object itself as one JSON line. Pure: reads an
 * answer_doc, writes to a FILE. */
#ifndef WELDREG_TAG_VIOLATIONVIEW_H
#define WELDREG_TAG_VIOLATIONVIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "tag-reader/answer.h"

/* The table's column names, for the rows violationview_print() writes. */
void violationview_header(FILE *out);

/* Writes violation @p v (an object token of @p a) to @p out: the object as written when
 * @p json, else a table row under violationview_header(). */
void violationview_print(FILE *out, const answer_doc *a, size_t v, bool json);

/* What violation kind @p kind means for a person, "中文 (English)", into @p buf (@p cap bytes):
 * @p buf, or NULL when @p kind is not a reason code (an on-site report's kind, say). */
const char *violationview_kind_text(const char *kind, char *buf, size_t cap);

#endif
