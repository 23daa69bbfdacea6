/* answer.h — the server's JSON answers read for people (core/answer.h) and shown on a terminal:
 * columns that stay aligned with Chinese text. */
#ifndef WELDREG_TAG_ANSWER_H
#define WELDREG_TAG_ANSWER_H

#include <stdio.h>

#include "core/answer.h"

/* The terminal columns @p text takes (CJK characters take two). */
int answer_columns(const char *text);

/* Prints @p text left-aligned in @p width terminal columns (CJK characters take two). */
void answer_cell(FILE *out, const char *text, int width);

#endif
