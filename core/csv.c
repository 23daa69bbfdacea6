/* csv.c — RFC 4180 reading with positions in errors, and writing. */
#include "core/csv.h"

#include <stdio.h>
#include <string.h>

#include "core/json.h"

void csv_reader_init(csv_reader *r, const char *text, size_t len)
{
    memset(r, 0, sizeof(*r));
    r->text = text;
    r->len = len;
    r->line = 1;
    r->column = 1;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        r->pos = 3;
}

static wr_status csv_fail(csv_error *err, unsigned line, unsigned column, wr_status st,
                          const char *message)
{
    if (err) {
        err->line = line;
        err->column = column;
        snprintf(err->message, sizeof(err->message), "%s", message);
    }
    return st;
}

/* Moves past one byte; continuation bytes of UTF-8 do not count as a column. */
static void csv_advance(csv_reader *r)
{
    char c = r->text[r->pos++];
    if (c == '\n') {
        r->line++;
        r->column = 1;
    } else if (((unsigned char)c & 0xC0) != 0x80) {
        r->column++;
    }
}

/* Finds the first invalid UTF-8 sequence and reports its position. */
static wr_status csv_check_utf8(csv_reader *r, csv_error *err)
{
    if (json_utf8_valid(r->text + r->pos, r->len - r->pos)) {
        r->checked = true;
        return WR_OK;
    }
    csv_reader probe = *r;
    /* walk whole sequences (1 to 4 bytes) to the first byte that starts none */
    size_t good = r->pos;
    for (;;) {
        size_t k = 1;
        while (k <= 4 && good + k <= r->len && !json_utf8_valid(r->text + good, k))
            k++;
        if (k > 4 || good + k > r->len)
            break;
        good += k;
    }
    while (probe.pos < good)
        csv_advance(&probe);
    return csv_fail(err, probe.line, probe.column, WR_EINVAL, "invalid UTF-8");
}

static bool csv_at_eol(const csv_reader *r)
{
    return r->pos >= r->len || r->text[r->pos] == '\n' ||
           (r->text[r->pos] == '\r' && r->pos + 1 < r->len && r->text[r->pos + 1] == '\n');
}

static wr_status csv_quoted(csv_reader *r, csv_field *f, csv_error *err)
{
    csv_advance(r); /* the opening quote */
    f->raw = r->text + r->pos;
    for (;;) {
        if (r->pos >= r->len)
            return csv_fail(err, f->line, f->column, WR_EINVAL, "unterminated quoted field");
        if (r->text[r->pos] == '"') {
            if (r->pos + 1 < r->len && r->text[r->pos + 1] == '"') {
                csv_advance(r);
                csv_advance(r);
                continue;
            }
            f->raw_len = (size_t)(r->text + r->pos - f->raw);
            csv_advance(r);
            if (!csv_at_eol(r) && r->text[r->pos] != ',')
                return csv_fail(err, r->line, r->column, WR_EINVAL,
                                "unexpected text after a closing quote");
            return WR_OK;
        }
        csv_advance(r);
    }
}

static wr_status csv_plain(csv_reader *r, csv_field *f, csv_error *err)
{
    f->raw = r->text + r->pos;
    while (!csv_at_eol(r) && r->text[r->pos] != ',') {
        char c = r->text[r->pos];
        if (c == '"')
            return csv_fail(err, r->line, r->column, WR_EINVAL,
                            "quote inside an unquoted field (quote the whole field)");
        if (c == '\r')
            return csv_fail(err, r->line, r->column, WR_EINVAL, "carriage return without LF");
        csv_advance(r);
    }
    f->raw_len = (size_t)(r->text + r->pos - f->raw);
    return WR_OK;
}

static wr_status csv_field_at(csv_reader *r, csv_field *f, csv_error *err)
{
    memset(f, 0, sizeof(*f));
    f->line = r->line;
    f->column = r->column;
    if (r->pos < r->len && r->text[r->pos] == '"') {
        f->quoted = true;
        return csv_quoted(r, f, err);
    }
    return csv_plain(r, f, err);
}

wr_status csv_next(csv_reader *r, csv_field *fields, size_t cap, size_t *count, csv_error *err)
{
    *count = 0;
    if (!r->checked && csv_check_utf8(r, err) != WR_OK)
        return WR_EINVAL;
    if (r->pos >= r->len)
        return WR_ENOTFOUND;
    for (;;) {
        if (*count == cap)
            return csv_fail(err, r->line, r->column, WR_ESPACE, "too many fields in the record");
        wr_status st = csv_field_at(r, &fields[*count], err);
        if (st != WR_OK)
            return st;
        (*count)++;
        if (r->pos < r->len && r->text[r->pos] == ',') {
            csv_advance(r);
            continue;
        }
        if (r->pos < r->len && r->text[r->pos] == '\r')
            csv_advance(r);
        if (r->pos < r->len)
            csv_advance(r); /* the LF */
        return WR_OK;
    }
}

wr_status csv_field_value(const csv_field *f, char *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < f->raw_len; i++) {
        if (n + 1 >= cap) {
            if (cap > 0)
                out[0] = '\0';
            return WR_ESPACE;
        }
        out[n++] = f->raw[i];
        if (f->quoted && f->raw[i] == '"')
            i++; /* the doubled quote */
    }
    if (cap == 0)
        return WR_ESPACE;
    out[n] = '\0';
    return WR_OK;
}

/* ---- writer ---- */

void csv_writer_init(csv_writer *w, char *buf, size_t cap)
{
    memset(w, 0, sizeof(*w));
    w->buf = buf;
    w->cap = cap;
    w->first = true;
    if (cap > 0)
        buf[0] = '\0';
    else
        w->err = WR_ESPACE;
}

static void csv_raw(csv_writer *w, const char *s, size_t n)
{
    if (w->err != WR_OK)
        return;
    if (n >= w->cap - w->len) {
        w->err = WR_ESPACE;
        return;
    }
    memcpy(w->buf + w->len, s, n);
    w->len += n;
    w->buf[w->len] = '\0';
}

/* A field that starts with a byte order mark is quoted too: first in a file, a reader would
 * take the mark for the file's and drop it. */
static bool csv_needs_quotes(const char *s, size_t n)
{
    if (n > 0 && (s[0] == ' ' || s[n - 1] == ' '))
        return true;
    if (n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
        return true;
    for (size_t i = 0; i < n; i++)
        if (s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n')
            return true;
    return false;
}

/* One field: @p prefix (never needing quotes itself) then @p n bytes of @p s, quoted as a whole
 * when @p s needs it. */
static void csv_put_prefixed(csv_writer *w, const char *prefix, const char *s, size_t n)
{
    if (!w->first)
        csv_raw(w, ",", 1);
    w->first = false;
    bool quoted = csv_needs_quotes(s, n);
    if (quoted)
        csv_raw(w, "\"", 1);
    csv_raw(w, prefix, strlen(prefix));
    for (size_t i = 0; i < n; i++) {
        csv_raw(w, s + i, 1);
        if (s[i] == '"')
            csv_raw(w, "\"", 1);
    }
    if (quoted)
        csv_raw(w, "\"", 1);
}

void csv_put_field(csv_writer *w, const char *s, size_t n)
{
    csv_put_prefixed(w, "", s, n);
}

void csv_put_sheet_text(csv_writer *w, const char *s)
{
    size_t n = strlen(s);
    bool formula = n > 0 && strchr("=+-@\t\r", s[0]) != NULL;
    csv_put_prefixed(w, formula ? "'" : "", s, n);
}

void csv_put_cstr(csv_writer *w, const char *s)
{
    csv_put_field(w, s, strlen(s));
}

void csv_end_record(csv_writer *w)
{
    csv_raw(w, "\r\n", 2);
    w->first = true;
}
