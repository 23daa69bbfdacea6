/* countsview.h — the answer of GET /v1/counts for people and spreadsheets: aligned tables, and
 * CSV with one record per group then the total, denial reasons and violation kinds as columns.
 * Pure: reads an answer_doc, writes to a FILE or a csv_writer. */
#ifndef WELDREG_TAG_COUNTSVIEW_H
#define WELDREG_TAG_COUNTSVIEW_H

#include <stdio.h>

#include "core/csv.h"
#include "tag-reader/answer.h"

#define COUNTSVIEW_COLUMNS_MAX 128

typedef enum countsview_kind {
    COUNTSVIEW_TEXT,  /* as written; "" when absent */
    COUNTSVIEW_COUNT, /* a whole number; 0 when absent */
    COUNTSVIEW_RATIO, /* a share, printed with 4 decimals; "" when absent (nothing to share) */
    COUNTSVIEW_NAME,  /* the group's name; "total" on the total row */
} countsview_kind;

typedef struct countsview_column {
    char title[64];
    char path[96]; /* JSON path below a row, or below the answer for the period columns */
    countsview_kind kind;
    bool of_answer; /* the path is below the answer, not the row (from, to) */
} countsview_column;

typedef struct countsview_columns {
    countsview_column items[COUNTSVIEW_COLUMNS_MAX];
    size_t n;
} countsview_columns;

/* The tokens of the rows of @p a (each group, then the total) into @p rows; how many. */
size_t countsview_rows(const answer_doc *a, size_t *rows, size_t cap);

/* The CSV columns for @p a: from, to, the group (id, code or uscc, name, and community_id when
 * by enterprise), machines by status, welders by licence state, certified, trained, share,
 * scans, approvals, denials, denied_<reason> for every reason of the core's table and any other
 * the answer holds, violations by status, and kind_<kind> for every reason the core counts as a
 * violation and any other kind the answer holds. The same columns every month. */
void countsview_csv_columns(const answer_doc *a, countsview_columns *out);

/* The header record. */
void countsview_csv_header(const countsview_columns *c, csv_writer *w);

/* The record of the row at token @p row. */
void countsview_csv_row(const answer_doc *a, size_t row, const countsview_columns *c,
                        csv_writer *w);

/* Prints the period and three tables (registry, scans, violations), one line per group and the
 * total; reasons and kinds that occur get a column each. Chinese names stay aligned. */
void countsview_print(FILE *out, const answer_doc *a);

#endif
