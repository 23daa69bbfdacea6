/* office_pdf.c — the counts as a PDF table on landscape A4 pages (GET /office/counts.pdf): the
 * document is tag-reader's (pdfdoc.c), Chinese set in Droid Sans Fallback's subset as on the
 * label sheets. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tag-reader/labels.h"
#include "tag-reader/pdfdoc.h"
#include "tag-reader/ttfsubset.h"
#include "web/office.h"

#define PDF_W      842 /* A4 landscape, pt */
#define PDF_H      595
#define PDF_MARGIN 36.0
#define PDF_ROW    16.0                        /* a table row */
#define PDF_TOP    (PDF_H - PDF_MARGIN - 52.0) /* the baseline of the first row */
#define PDF_NAME_W 230.0                       /* the name column */
#define PDF_SIZE   9.0

typedef struct office_pdf_doc {
    const office_report *r;
    size_t per_page; /* table rows on a page */
    size_t pages;
} office_pdf_doc;

static void office_pdf_text(FILE *out, const pdf_fonts *fonts, double x, double y, const char *text,
                            double size, bool bold)
{
    fprintf(out, "BT %.2f %.2f Td ", x, y);
    pdf_show_text(out, fonts, text, size, bold);
    fputs("ET\n", out);
}

/* @p text cut, at a character's end, to fit @p width (a long enterprise name). */
static void office_pdf_fit(const pdf_fonts *fonts, const char *text, double width, char *out,
                           size_t cap)
{
    snprintf(out, cap, "%s", text);
    size_t len = strlen(out), n;
    while (len > 0 && pdf_text_width(fonts->cjk, out, PDF_SIZE, false) > width) {
        size_t last = 0;
        for (size_t i = 0; i < len; i += n) {
            pdf_utf8((const unsigned char *)out + i, &n);
            last = i;
        }
        out[len = last] = '\0';
    }
}

static void office_pdf_row(FILE *out, const pdf_fonts *fonts, const office_row *row, double y,
                           bool bold)
{
    char name[sizeof(row->name)];
    office_pdf_fit(fonts, row->name, PDF_NAME_W - 6, name, sizeof(name));
    office_pdf_text(out, fonts, PDF_MARGIN, y, name, PDF_SIZE, bold);
    double col = (PDF_W - 2 * PDF_MARGIN - PDF_NAME_W) / OFFICE_MEASURES;
    for (size_t m = 0; m < OFFICE_MEASURES; m++) {
        char v[24];
        snprintf(v, sizeof(v), "%lld", (long long)row->v[m]);
        double right = PDF_MARGIN + PDF_NAME_W + col * (double)(m + 1) - 4;
        office_pdf_text(out, fonts, right - pdf_text_width(fonts->cjk, v, PDF_SIZE, bold), y, v,
                        PDF_SIZE, bold);
    }
}

static void office_pdf_head(FILE *out, const pdf_fonts *fonts, const office_pdf_doc *doc,
                            size_t page)
{
    const office_report *r = doc->r;
    char title[sizeof(r->places->name) + 96];
    snprintf(title, sizeof(title), "焊机监管统计报表 Counts %s%s%s - %s",
             r->community ? r->community : "", r->community ? " " : "", r->from, r->to);
    office_pdf_text(out, fonts, PDF_MARGIN, PDF_H - PDF_MARGIN - 14, title, 14, true);
    snprintf(title, sizeof(title), "登记状态截至 registry as of %s    %zu / %zu", r->as_of,
             page + 1, doc->pages);
    office_pdf_text(out, fonts, PDF_MARGIN, PDF_H - PDF_MARGIN - 30, title, PDF_SIZE, false);
    double col = (PDF_W - 2 * PDF_MARGIN - PDF_NAME_W) / OFFICE_MEASURES;
    double y = PDF_TOP + PDF_ROW;
    for (size_t m = 0; m < OFFICE_MEASURES; m++) {
        double right = PDF_MARGIN + PDF_NAME_W + col * (double)(m + 1) - 4;
        const char *zh = office_measures[m].zh;
        office_pdf_text(out, fonts, right - pdf_text_width(fonts->cjk, zh, PDF_SIZE, true), y, zh,
                        PDF_SIZE, true);
    }
    fprintf(out, "0.5 G 0.5 w %.2f %.2f m %.2f %.2f l S 0 G\n", PDF_MARGIN, y - 5,
            PDF_W - PDF_MARGIN, y - 5);
}

static wr_status office_pdf_page(void *ctx, size_t page, const pdf_fonts *fonts, FILE *out)
{
    const office_pdf_doc *doc = ctx;
    const office_report *r = doc->r;
    office_pdf_head(out, fonts, doc, page);
    double y = PDF_TOP;
    /* the rows, then the total as one row more */
    for (size_t i = page * doc->per_page; i <= r->n && i < (page + 1) * doc->per_page; i++) {
        office_pdf_row(out, fonts, i < r->n ? &r->rows[i] : &r->total, y, i == r->n);
        y -= PDF_ROW;
    }
    return ferror(out) ? WR_ENOMEM : WR_OK;
}

wr_status office_pdf(const office_report *r, char **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    ttf_font *cjk = NULL;
    if (ttf_load(LABELS_CJK_FONT, &cjk) != WR_OK)
        return WR_ENOTFOUND;
    office_pdf_doc doc = {r, (size_t)((PDF_TOP - PDF_MARGIN) / PDF_ROW) + 1, 0};
    doc.pages = (r->n + 1 + doc.per_page - 1) / doc.per_page;
    FILE *mem = open_memstream(out, len);
    wr_status st =
        mem ? pdf_write(mem, doc.pages, PDF_W, PDF_H, cjk, office_pdf_page, &doc) : WR_ENOMEM;
    if (mem && fclose(mem) != 0 && st == WR_OK)
        st = WR_ENOMEM;
    ttf_free(cjk);
    if (st != WR_OK) {
        free(*out);
        *out = NULL;
    }
    return st;
}
