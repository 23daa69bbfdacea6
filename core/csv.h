/* csv.h — RFC 4180 CSV for UTF-8 text: a strict reader that reports line and column, and a
 * writer that quotes what needs quoting. */
#ifndef WELDREG_CORE_CSV_H
#define WELDREG_CORE_CSV_H

#include <stdbool.h>
#include <stddef.h>

#include "core/status.h"

/* One field as found in the text; it points into the reader's text. A quoted field's raw bytes
 * are those between the quotes, with each "" still doubled: use csv_field_value(). */
typedef struct csv_field {
    const char *raw;
    size_t raw_len;
    bool quoted;
    unsigned line, column; /* where the field starts, 1-based; columns count characters */
} csv_field;

/* Where and why reading failed; 1-based line and column (in characters). */
typedef struct csv_error {
    unsigned line, column;
    char message[96];
} csv_error;

/* Reads records from @p len bytes of @p text, which it borrows. A UTF-8 byte order mark at the
 * start is skipped. */
typedef struct csv_reader {
    const char *text;
    size_t len;
    size_t pos;
    unsigned line, column;
    bool checked; /* the whole text was found to be valid UTF-8 */
} csv_reader;

void csv_reader_init(csv_reader *r, const char *text, size_t len);

/* Reads the next record into @p fields (at most @p cap) and sets @p count. Records end with
 * CRLF or LF (the last one may end at the end of the text). Returns WR_OK, WR_ENOTFOUND at the
 * end of the text (an empty final line is no record), or WR_EINVAL with @p err filled: the text
 * is not UTF-8, a field has a quote in the middle, a bare CR, text after a closing quote, an
 * unterminated quoted field, or the record has more than @p cap fields (WR_ESPACE). */
wr_status csv_next(csv_reader *r, csv_field *fields, size_t cap, size_t *count, csv_error *err);

/* Copies the value of @p f (quotes undoubled) with a NUL into @p out. WR_ESPACE if it does not
 * fit (out then holds ""). */
wr_status csv_field_value(const csv_field *f, char *out, size_t cap);

/* Appends fields to buf[0..cap) with a NUL after them; sticky WR_ESPACE when full. */
typedef struct csv_writer {
    char *buf;
    size_t cap;
    size_t len;
    bool first; /* no field yet in this record */
    wr_status err;
} csv_writer;

void csv_writer_init(csv_writer *w, char *buf, size_t cap);
/* Adds one field, quoted if it holds a comma, quote, CR or LF or starts or ends with a space. */
void csv_put_field(csv_writer *w, const char *s, size_t n);
void csv_put_cstr(csv_writer *w, const char *s);
/* Adds text a spreadsheet will open (a name from the registry): one that starts with =, +, -, @,
 * a tab or a CR, which Excel would take for a formula (CSV injection), gets a leading
 * apostrophe first. */
void csv_put_sheet_text(csv_writer *w, const char *s);
/* Ends the record with CRLF. */
void csv_end_record(csv_writer *w);

#endif
