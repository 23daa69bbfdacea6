/* survey.h — the survey (摸清底数) by CSV: each row of a file of enterprises or machines checked
 * against the same rules as one record of the API (registry_rules.h), with EVERY problem of the
 * file collected and placed by line and column, not only the first. Pure: no I/O; what needs
 * the registry (community codes, owners, duplicates against stored records) is checked by the
 * caller, who adds its problems to the same list.
 *
 * A row's cells are checked one rule after another; when a rule names a cell, the problem is
 * recorded and the cell is replaced by a valid stand-in (or left out when optional) so that the
 * rules after it still run: a row with three bad cells yields three problems.
 *
 * Welders' files hold personal data (ID-card and licence numbers): the rows keep them for the
 * caller to hash, and survey_file_deinit() wipes them; no problem's text contains them. */
#ifndef WELDREG_CORE_SURVEY_H
#define WELDREG_CORE_SURVEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/csv.h"
#include "core/registry_rules.h"
#include "core/status.h"

#define SURVEY_ERRORS_KEPT 200 /* problems kept for the answer; all are counted */
#define SURVEY_COLUMNS_MAX 16
#define SURVEY_CELL_SIZE   RULES_LONG_SIZE
#define SURVEY_KEY_SIZE    40 /* a USCC, a chip id or a community code: kept for look-ups */

/* One problem: where (the line of the file, and the column as a spreadsheet counts it: the
 * 1-based field number; 0 for the whole row or file), the column's name ("" if none), a short
 * Chinese statement and the English detail. */
typedef struct survey_error {
    unsigned line, column;
    char field[32];
    char zh[64];
    char en[RULES_WHY_SIZE + 64];
} survey_error;

/* Every problem of a file, in the order found; survey_errors_sort() orders them by place. */
typedef struct survey_errors {
    survey_error *items; /* malloc'd, at most SURVEY_ERRORS_KEPT */
    size_t kept, cap;
    size_t total; /* every problem found, kept or not */
    bool failed;  /* out of memory: some problems were dropped (total still counts them) */
} survey_errors;

void survey_errors_deinit(survey_errors *e);
void survey_errors_add(survey_errors *e, unsigned line, unsigned column, const char *field,
                       const char *zh, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
void survey_errors_sort(survey_errors *e);

/* What a file holds. */
typedef enum survey_kind { SURVEY_ENTERPRISES, SURVEY_MACHINES, SURVEY_WELDERS } survey_kind;

/* One row of the file: whether it passed the core's checks, the record (its community_id or
 * enterprise_id is 0: the caller resolves @p key from the registry; valid only when @p ok), the
 * keys as written in its cells, whether each has a valid form (so the registry can be asked
 * about it even when other cells of the row are wrong), and where they are. */
typedef struct survey_row {
    unsigned line;
    bool ok, key_ok, own_ok;
    union {
        rules_enterprise enterprise;
        rules_machine machine;
        rules_welder welder; /* personal data: survey_file_deinit() wipes it */
    } u;
    char key[SURVEY_KEY_SIZE]; /* enterprises: the community code; machines: the owner's USCC */
    unsigned key_column;       /* the column of that cell */
    char own[SURVEY_KEY_SIZE]; /* the record's own key: the USCC, the chip id, the ID card */
    unsigned id_column;        /* the column of that cell */
    bool own2_ok;
    char own2[SURVEY_KEY_SIZE]; /* welders: the licence number, unique as well */
    unsigned id2_column;
} survey_row;

/* A file being read: the kind, the header's columns, its rows (those with the header's number
 * of cells) and every problem. */
typedef struct survey_file {
    survey_kind kind;
    int column_of[SURVEY_COLUMNS_MAX]; /* CSV column (0-based) of each known column, -1: absent */
    size_t n_columns;                  /* columns in the header */
    survey_row *rows;                  /* malloc'd */
    size_t n_rows, cap;
    size_t n_lines; /* data rows read, good or bad */
    survey_errors errors;
} survey_file;

/* Reads and checks the whole of @p text (@p len bytes, borrowed). Fills @p f (free it with
 * survey_file_deinit()) with the rows and every problem; an own key (USCC, chip id, ID-card or
 * licence number) that appears again in the file is a problem on every later line (its
 * message never contains the number). WR_OK when the file was read to its end
 * (problems or not), WR_ENOMEM when memory ran out. */
wr_status survey_read(survey_kind kind, const char *text, size_t len, survey_file *f);

/* Frees and wipes (welders' rows hold personal data) what survey_read() filled. */
void survey_file_deinit(survey_file *f);

/* The names of the columns of @p kind, required ones first, NULL-terminated; @p n_required
 * (may be NULL) is how many are required. */
const char *const *survey_columns(survey_kind kind, size_t *n_required);

#endif
