/* labels.c — A4 label sheets: one layout, emitted either as a hand-written PDF (standard Helvetica
 * for Latin text, a subset of a TrueType CJK font for Chinese, codes as filled rectangles) or as
 * one SVG document a page. */
#include "tag-reader/labels.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/code.h"
#include "core/licence.h"
#include "core/registry_rules.h"
#include "tag-reader/pdfdoc.h"
#include "tag-reader/ttfsubset.h"

#define LABELS_PAD_PT     6.0  /* space between a label's edge and its content */
#define LABELS_LEADING    1.25 /* line height over font size */
#define LABELS_MIN_FONT   5.0  /* smallest font a caption is shrunk to before giving up */
#define LABELS_MIN_MODULE 0.6  /* pt (0.2 mm): smaller modules do not print or scan reliably */
#define LABELS_LINES      3

/* Nominal sizes of caption 1 (bold), caption 2 and the hotline. */
static const double labels_font_pt[LABELS_LINES] = {9.0, 8.0, 8.0};

/* A rectangle in points, measured from the page's top-left corner. */
typedef struct labels_box {
    double x, y, w, h;
} labels_box;

typedef struct labels_line {
    const char *text; /* NULL: nothing on this line */
    double size;
    double baseline; /* from the top of the page */
    bool bold;
} labels_line;

/* Where everything of one label goes. Owns @c qr. */
typedef struct labels_layout {
    labels_box cell;
    qr_matrix qr;
    double qr_x, qr_y; /* top-left corner of the symbol, inside its quiet zone */
    double module;     /* module size, pt */
    double text_center;
    labels_line lines[LABELS_LINES];
} labels_layout;

/* What writing one document needs besides the options: the CJK font, read when the first
 * caption needs it, and for a PDF the glyphs of it used so far. Lives for one call of
 * labels_write_pdf() or labels_write_svg_page(), which owns what it holds (labels_doc_deinit()). */
typedef struct labels_doc {
    const labels_options *opt;
    ttf_font *cjk;    /* NULL until a caption needs it */
    ttf_subset *cids; /* PDF with text in the CJK font: its glyphs used (pdf_write's); else NULL */
} labels_doc;

static void labels_doc_deinit(labels_doc *doc)
{
    ttf_free(doc->cjk);
    *doc = (labels_doc){0};
}

typedef void (*labels_emit_fn)(FILE *out, const labels_layout *layout, const labels_doc *doc);

/* 监督举报热线 ("supervision and reporting hotline") 12345 */
static const char labels_default_hotline[] =
    "\xe7\x9b\x91\xe7\x9d\xa3\xe4\xb8\xbe\xe6\x8a\xa5\xe7\x83\xad\xe7\xba\xbf 12345";

void labels_options_init(labels_options *opt)
{
    *opt = (labels_options){
        .columns = 3,
        .rows = 5,
        .margin_pt = 28.35,
        .hotline = labels_default_hotline,
        .cjk_font = LABELS_CJK_FONT,
        .level = QR_LEVEL_Q,
        .cut_lines = 1,
    };
}

static bool labels_options_valid(const labels_options *opt)
{
    return opt && opt->columns >= 1 && opt->columns <= 8 && opt->rows >= 1 && opt->rows <= 12 &&
           opt->margin_pt >= 0 && opt->margin_pt <= 144;
}

size_t labels_page_count(size_t count, const labels_options *opt)
{
    if (!labels_options_valid(opt))
        return 0;
    size_t per_page = (size_t)opt->columns * (size_t)opt->rows;
    return (count + per_page - 1) / per_page;
}

/* ---- text: UTF-8, Helvetica and the CJK font ---- */

/* The CJK font of the options, read once for the document. */
static wr_status labels_cjk_load(labels_doc *doc)
{
    const labels_options *opt = doc->opt;
    const char *path = opt->cjk_font && *opt->cjk_font ? opt->cjk_font : LABELS_CJK_FONT;
    if (doc->cjk)
        return WR_OK;
    return ttf_load(path, &doc->cjk) == WR_OK ? WR_OK : WR_ENOTFOUND;
}

/* A caption: NULL or printable UTF-8 of at most LABELS_MAX_TEXT characters, each in Helvetica
 * (printable ASCII) or in the CJK font (loaded when the first non-ASCII character needs it). */
static wr_status labels_text_valid(labels_doc *doc, const char *text)
{
    if (!text)
        return WR_OK;
    size_t len = 0, n;
    for (const unsigned char *c = (const unsigned char *)text; *c; c += n, len++) {
        uint32_t cp = pdf_utf8(c, &n);
        if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0))
            return WR_EINVAL;
        if (cp < 0x80)
            continue;
        wr_status st = labels_cjk_load(doc);
        if (st != WR_OK)
            return st;
        if (!ttf_glyph(doc->cjk, cp))
            return WR_EINVAL;
    }
    return len <= LABELS_MAX_TEXT ? WR_OK : WR_ERANGE;
}

static wr_status labels_entry_valid(labels_doc *doc, const labels_entry *entry)
{
    if (!qr_text_is_alphanumeric(entry->code))
        return WR_EINVAL;
    if (strlen(entry->code) > LABELS_MAX_CODE)
        return WR_ERANGE;
    wr_status status = labels_text_valid(doc, entry->line1);
    return status != WR_OK ? status : labels_text_valid(doc, entry->line2);
}

/* ---- captions against their code ---- */

static bool labels_is_chip_word(const char *w, size_t n)
{
    bool letter = false, digit = false, dash = false;
    for (size_t i = 0; i < n; i++) {
        letter |= w[i] >= 'A' && w[i] <= 'Z';
        digit |= w[i] >= '0' && w[i] <= '9';
        dash |= w[i] == '-';
        if (!(w[i] >= 'A' && w[i] <= 'Z') && !(w[i] >= '0' && w[i] <= '9') && w[i] != '-')
            return false;
    }
    return n <= CODE_CHIP_MAX && letter && digit && dash;
}

/* A capital, one or more '*', four of 0-9 or X (code_mask_licence()). */
static bool labels_is_licence_word(const char *w, size_t n)
{
    if (n < 6 || n > CODE_LIC_MAX || w[0] < 'A' || w[0] > 'Z')
        return false;
    for (size_t i = 1; i < n; i++)
        if (i < n - 4 ? w[i] != '*' : !strchr("0123456789X", w[i]))
            return false;
    return true;
}

/* The last China day @p c is valid on: the code's own, or (@p licence) its licence's. */
static bool labels_last_day(const code_claims *c, int64_t day)
{
    int64_t lvu_day;
    if (day == licence_china_day((int64_t)c->exp - 1))
        return true;
    return c->kind == CODE_WELDER && licence_day_of_end((int64_t)c->lvu, &lvu_day) &&
           day == lvu_day;
}

static wr_status labels_refuse(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static wr_status labels_refuse(char *why, size_t whylen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, whylen, fmt, ap);
    va_end(ap);
    return WR_EINVAL;
}

/* What a word names, by the word before it ("Chip WR-C-0001", "Valid until 2027-06-30") or by
 * its shape. A chip id without "Chip" only counts as the whole caption: "Model ZX7-400" is free. */
typedef enum labels_named {
    NAMES_NOTHING,
    NAMES_NAME,
    NAMES_CHIP,
    NAMES_LICENCE,
    NAMES_ENTERPRISE,
    NAMES_LAST_DAY,
    NAMES_ISSUED_DAY
} labels_named;

static labels_named labels_named_by(const char *prev, const char *w, bool whole)
{
    static const struct {
        const char *keyword;
        labels_named named;
        const char *alphabet; /* what the word must be made of; NULL: anything */
    } keywords[] = {
        {"chip", NAMES_CHIP, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-"},
        {"enterprise", NAMES_ENTERPRISE, "0123456789"},
        {"until", NAMES_LAST_DAY, NULL},
        {"expires", NAMES_LAST_DAY, NULL},
        {"issued", NAMES_ISSUED_DAY, NULL},
        {"\xe8\x8a\xaf\xe7\x89\x87", NAMES_CHIP,
         "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-"},                                  /* 芯片 */
        {"\xe4\xbc\x81\xe4\xb8\x9a", NAMES_ENTERPRISE, "0123456789"},               /* 企业 */
        {"\xe6\x9c\x89\xe6\x95\x88\xe6\x9c\x9f\xe8\x87\xb3", NAMES_LAST_DAY, NULL}, /* 有效期至 */
        {"\xe7\xad\xbe\xe5\x8f\x91", NAMES_ISSUED_DAY, NULL},                       /* 签发 */
    };
    size_t n = strlen(w), first;
    if (labels_is_licence_word(w, n))
        return NAMES_LICENCE;
    /* a masked name: one character other than ASCII, then only '*' */
    if ((unsigned char)w[0] >= 0x80 && pdf_utf8((const unsigned char *)w, &first) && first < n &&
        strspn(w + first, "*") == n - first)
        return NAMES_NAME;
    for (size_t i = 0; prev && i < sizeof(keywords) / sizeof(keywords[0]); i++)
        if (strcasecmp(prev, keywords[i].keyword) == 0 &&
            (!keywords[i].alphabet || strspn(w, keywords[i].alphabet) == n))
            return keywords[i].named;
    return whole && labels_is_chip_word(w, n) ? NAMES_CHIP : NAMES_NOTHING;
}

/* Whether @p w, named as @p named, is what @p c carries. */
static bool labels_word_matches(const code_claims *c, labels_named named, const char *w)
{
    bool machine = c->kind == CODE_MACHINE;
    int64_t day;
    char ent[24];
    snprintf(ent, sizeof(ent), "%llu", (unsigned long long)c->ent);
    switch (named) {
    case NAMES_NOTHING: return true;
    case NAMES_NAME: {
        size_t first;
        pdf_utf8((const unsigned char *)w, &first);
        return !machine && strncmp(w, c->nm, first) == 0 && c->nm[first] == '*';
    }
    case NAMES_CHIP: return machine && strcmp(w, c->chip) == 0;
    case NAMES_LICENCE: return !machine && strcmp(w, c->lic) == 0;
    case NAMES_ENTERPRISE: return machine && strcmp(w, ent) == 0;
    case NAMES_LAST_DAY:
        return rules_parse_date(w, strlen(w), &day) != WR_OK || labels_last_day(c, day);
    case NAMES_ISSUED_DAY:
        return rules_parse_date(w, strlen(w), &day) != WR_OK ||
               day == licence_china_day((int64_t)c->iat);
    }
    return true;
}

/* One word @p w of @p caption, after the word @p prev (NULL at the start). */
static wr_status labels_check_word(const code_claims *c, const char *caption, const char *prev,
                                   const char *w, bool whole, char *why, size_t whylen)
{
    static const char *const names[] = {[NAMES_NAME] = "the masked name",
                                        [NAMES_CHIP] = "chip",
                                        [NAMES_LICENCE] = "licence",
                                        [NAMES_ENTERPRISE] = "enterprise",
                                        [NAMES_LAST_DAY] = "the last valid day",
                                        [NAMES_ISSUED_DAY] = "the issue day"};
    labels_named named = labels_named_by(prev, w, whole);
    if (labels_word_matches(c, named, w))
        return WR_OK;
    char carried[64];
    if (named == NAMES_LAST_DAY || named == NAMES_ISSUED_DAY)
        snprintf(carried, sizeof(carried), "does not carry it");
    else if (c->kind == CODE_MACHINE && named == NAMES_ENTERPRISE)
        snprintf(carried, sizeof(carried), "is for enterprise %llu", (unsigned long long)c->ent);
    else if (c->kind == CODE_MACHINE)
        snprintf(carried, sizeof(carried), "is for chip %s", c->chip);
    else if (named == NAMES_NAME)
        snprintf(carried, sizeof(carried), "carries the masked name %s", c->nm);
    else
        snprintf(carried, sizeof(carried), "%s licence %s",
                 named == NAMES_LICENCE ? "carries" : "is a welder's,", c->lic);
    return labels_refuse(why, whylen, "caption \"%s\" names %s %s, but the code %s", caption,
                         names[named], w, carried);
}

static wr_status labels_check_caption(const code_claims *c, const char *caption, char *why,
                                      size_t whylen)
{
    static const char separators[] = " ,;:()[]";
    char words[LABELS_MAX_TEXT + 1], prev[LABELS_MAX_TEXT + 1] = "";
    if (!caption)
        return WR_OK;
    if (strlen(caption) >= sizeof(words))
        return labels_refuse(why, whylen, "caption \"%.24s...\" is longer than %d characters",
                             caption, LABELS_MAX_TEXT);
    memcpy(words, caption, strlen(caption) + 1);
    size_t count = 0;
    for (const char *p = caption + strspn(caption, separators); *p;
         p += strcspn(p, separators), p += strspn(p, separators))
        count++;
    bool whole = count == 1; /* the caption is one word */
    wr_status st = WR_OK;
    for (char *save = NULL, *w = strtok_r(words, separators, &save); w && st == WR_OK;
         w = strtok_r(NULL, separators, &save)) {
        st = labels_check_word(c, caption, prev[0] ? prev : NULL, w, whole, why, whylen);
        memcpy(prev, w, strlen(w) + 1);
    }
    return st;
}

wr_status labels_check_captions(const labels_entry *entry, char *why, size_t whylen)
{
    code_parsed parsed;
    if (code_decode(entry->code, strlen(entry->code), &parsed) != WR_OK)
        return labels_refuse(why, whylen,
                             "the code is not a weldreg code: its captions cannot be checked");
    wr_status st = labels_check_caption(&parsed.claims, entry->line1, why, whylen);
    return st == WR_OK ? labels_check_caption(&parsed.claims, entry->line2, why, whylen) : st;
}

/* Shrinks @p line until it fits @p width; WR_ERANGE if even LABELS_MIN_FONT is too wide. */
static wr_status labels_fit_line(const ttf_font *cjk, labels_line *line, double width)
{
    double natural = pdf_text_width(cjk, line->text, line->size, line->bold);
    if (natural <= width)
        return WR_OK;
    line->size *= width / natural;
    return line->size >= LABELS_MIN_FONT ? WR_OK : WR_ERANGE;
}

static labels_box labels_cell(const labels_options *opt, size_t slot)
{
    double w = (LABELS_PAGE_WIDTH_PT - 2 * opt->margin_pt) / opt->columns;
    double h = (LABELS_PAGE_HEIGHT_PT - 2 * opt->margin_pt) / opt->rows;
    size_t column = slot % (size_t)opt->columns, row = slot / (size_t)opt->columns;
    return (labels_box){opt->margin_pt + w * (double)column, opt->margin_pt + h * (double)row, w,
                        h};
}

/* The three text lines sit under the code, each on a fixed baseline so that labels line up. */
static wr_status labels_place_text(labels_layout *layout, const labels_entry *entry,
                                   const labels_doc *doc, double top)
{
    const char *texts[LABELS_LINES] = {entry->line1, entry->line2, doc->opt->hotline};
    double cursor = top;
    for (int i = 0; i < LABELS_LINES; i++) {
        labels_line *line = &layout->lines[i];
        cursor += labels_font_pt[i] * LABELS_LEADING;
        *line = (labels_line){texts[i] && *texts[i] ? texts[i] : NULL, labels_font_pt[i],
                              cursor - labels_font_pt[i] * 0.25, i == 0};
        if (line->text &&
            labels_fit_line(doc->cjk, line, layout->cell.w - 2 * LABELS_PAD_PT) != WR_OK)
            return WR_ERANGE;
    }
    return WR_OK;
}

/* The side of the square the code takes, quiet zone included: the cell less padding and text. */
static double labels_code_side(const labels_box *cell)
{
    double text_height = 0;
    for (int i = 0; i < LABELS_LINES; i++)
        text_height += labels_font_pt[i] * LABELS_LEADING;
    double side = cell->w - 2 * LABELS_PAD_PT;
    if (cell->h - 2 * LABELS_PAD_PT - text_height < side)
        side = cell->h - 2 * LABELS_PAD_PT - text_height;
    return side;
}

static double labels_module_pt(const labels_box *cell, int qr_width)
{
    return labels_code_side(cell) / (qr_width + 2 * QR_QUIET_MODULES);
}

static wr_status labels_lay_out(const labels_entry *entry, const labels_doc *doc, size_t slot,
                                labels_layout *layout)
{
    *layout = (labels_layout){.cell = labels_cell(doc->opt, slot)};
    wr_status status = qr_encode(entry->code, doc->opt->level, &layout->qr);
    if (status != WR_OK)
        return status;
    const labels_box *cell = &layout->cell;
    double side = labels_code_side(cell);
    layout->module = labels_module_pt(cell, layout->qr.width);
    if (layout->module < LABELS_MIN_MODULE)
        return WR_ERANGE;
    layout->qr_x = cell->x + (cell->w - side) / 2 + QR_QUIET_MODULES * layout->module;
    layout->qr_y = cell->y + LABELS_PAD_PT + QR_QUIET_MODULES * layout->module;
    layout->text_center = cell->x + cell->w / 2;
    return labels_place_text(layout, entry, doc, cell->y + LABELS_PAD_PT + side);
}

/* Checks that everything fits before a byte is written: every caption, and the largest code
 * (in alphanumeric mode the longest text needs the largest symbol). */
static wr_status labels_check_fit(const labels_doc *doc, const labels_entry *labels, size_t count)
{
    labels_layout layout = {.cell = labels_cell(doc->opt, 0)};
    size_t longest = 0;
    for (size_t i = 0; i < count; i++) {
        if (labels_place_text(&layout, &labels[i], doc, 0) != WR_OK)
            return WR_ERANGE;
        if (strlen(labels[i].code) > strlen(labels[longest].code))
            longest = i;
    }
    wr_status status = qr_encode(labels[longest].code, doc->opt->level, &layout.qr);
    if (status == WR_OK && labels_module_pt(&layout.cell, layout.qr.width) < LABELS_MIN_MODULE)
        status = WR_ERANGE;
    qr_matrix_deinit(&layout.qr);
    return status;
}

/* Loads the CJK font into @p doc when a caption needs it. */
static wr_status labels_validate(labels_doc *doc, const labels_entry *labels, size_t count)
{
    if (!labels || count == 0 || !labels_options_valid(doc->opt))
        return WR_EINVAL;
    wr_status status = labels_text_valid(doc, doc->opt->hotline);
    for (size_t i = 0; i < count && status == WR_OK; i++)
        status = labels_entry_valid(doc, &labels[i]);
    return status == WR_OK ? labels_check_fit(doc, labels, count) : status;
}

/* Lays out and emits every label of page @p page. */
static wr_status labels_emit_page(FILE *out, const labels_entry *labels, size_t count,
                                  const labels_doc *doc, size_t page, labels_emit_fn emit)
{
    size_t per_page = (size_t)doc->opt->columns * (size_t)doc->opt->rows;
    for (size_t slot = 0; slot < per_page && page * per_page + slot < count; slot++) {
        labels_layout layout;
        wr_status status = labels_lay_out(&labels[page * per_page + slot], doc, slot, &layout);
        if (status == WR_OK)
            emit(out, &layout, doc);
        qr_matrix_deinit(&layout.qr);
        if (status != WR_OK)
            return status;
    }
    return WR_OK;
}

/* Calls @p fn(context, x, y, length) for every horizontal run of dark modules in row @p y. */
static void labels_for_each_run(const qr_matrix *qr, int y, void *context,
                                void (*fn)(void *context, int x, int y, int length))
{
    int x = 0;
    while (x < qr->width) {
        if (!qr_matrix_dark(qr, x, y)) {
            x++;
            continue;
        }
        int start = x;
        while (x < qr->width && qr_matrix_dark(qr, x, y))
            x++;
        fn(context, start, y, x - start);
    }
}

/* ---- PDF ---- */

static void labels_pdf_run(void *out, int x, int y, int length)
{
    fprintf(out, "%d %d %d 1 re\n", x, y, length);
}

static void labels_pdf_label(FILE *out, const labels_layout *layout, const labels_doc *doc)
{
    const labels_box *cell = &layout->cell;
    if (doc->opt->cut_lines)
        fprintf(out, "0.75 G 0.3 w %.2f %.2f %.2f %.2f re S\n", cell->x,
                LABELS_PAGE_HEIGHT_PT - cell->y - cell->h, cell->w, cell->h);
    /* Module units with y pointing down, so that a run is simply "x y length 1 re". */
    fprintf(out, "q 0 g %.4f 0 0 %.4f %.3f %.3f cm\n", layout->module, -layout->module,
            layout->qr_x, LABELS_PAGE_HEIGHT_PT - layout->qr_y);
    for (int y = 0; y < layout->qr.width; y++)
        labels_for_each_run(&layout->qr, y, out, labels_pdf_run);
    fputs("f Q\n", out);
    for (int i = 0; i < LABELS_LINES; i++) {
        const labels_line *line = &layout->lines[i];
        if (!line->text)
            continue;
        double width = pdf_text_width(doc->cjk, line->text, line->size, line->bold);
        fprintf(out, "BT %.2f %.2f Td ", layout->text_center - width / 2,
                LABELS_PAGE_HEIGHT_PT - line->baseline);
        pdf_show_text(out, &(pdf_fonts){doc->cjk, doc->cids}, line->text, line->size, line->bold);
        fputs("ET\n", out);
    }
}

/* The labels of one document and how to lay them out, for pdf_write()'s pages. */
typedef struct labels_pdf_pages {
    const labels_entry *labels;
    size_t count;
    labels_doc *doc;
} labels_pdf_pages;

static wr_status labels_pdf_page(void *ctx, size_t page, const pdf_fonts *fonts, FILE *content)
{
    labels_pdf_pages *pages = ctx;
    pages->doc->cids = fonts->cids;
    return labels_emit_page(content, pages->labels, pages->count, pages->doc, page,
                            labels_pdf_label);
}

/* labels_validate() loads the CJK font when a caption or the hotline needs it; its objects then
 * follow the pages'. */
wr_status labels_write_pdf(const labels_entry *labels, size_t count, const labels_options *opt,
                           FILE *out)
{
    labels_doc doc = {.opt = opt};
    wr_status status = labels_validate(&doc, labels, count);
    if (status == WR_OK && !out)
        status = WR_EINVAL;
    if (status == WR_OK) {
        labels_pdf_pages pages = {labels, count, &doc};
        status = pdf_write(out, labels_page_count(count, opt), LABELS_PAGE_WIDTH_PT,
                           LABELS_PAGE_HEIGHT_PT, doc.cjk, labels_pdf_page, &pages);
    }
    labels_doc_deinit(&doc);
    return status;
}

/* ---- SVG ---- */

/* Absolute coordinates rather than a scaling transform: renderers disagree about transformed
 * paths (ImageMagick's own SVG renderer fills them solid), never about plain ones. */
typedef struct labels_svg_pen {
    FILE *out;
    const labels_layout *layout;
} labels_svg_pen;

static void labels_svg_run(void *context, int x, int y, int length)
{
    const labels_svg_pen *pen = context;
    double m = pen->layout->module;
    fprintf(pen->out, "M%.2f %.2fh%.2fv%.2fh-%.2fz", pen->layout->qr_x + x * m,
            pen->layout->qr_y + y * m, length * m, m, length * m);
}

static void labels_svg_text(FILE *out, const char *text)
{
    for (const char *c = text; *c; c++) {
        switch (*c) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        default: fputc(*c, out);
        }
    }
}

static void labels_svg_label(FILE *out, const labels_layout *layout, const labels_doc *doc)
{
    const labels_box *cell = &layout->cell;
    if (doc->opt->cut_lines)
        fprintf(out,
                "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"none\" "
                "stroke=\"#bfbfbf\" stroke-width=\"0.3\"/>\n",
                cell->x, cell->y, cell->w, cell->h);
    labels_svg_pen pen = {out, layout};
    fputs("<path d=\"", out);
    for (int y = 0; y < layout->qr.width; y++)
        labels_for_each_run(&layout->qr, y, &pen, labels_svg_run);
    fputs("\"/>\n", out);
    for (int i = 0; i < LABELS_LINES; i++) {
        const labels_line *line = &layout->lines[i];
        if (!line->text)
            continue;
        fprintf(out, "<text x=\"%.2f\" y=\"%.2f\" font-size=\"%.2f\"%s>", layout->text_center,
                line->baseline, line->size, line->bold ? " font-weight=\"bold\"" : "");
        labels_svg_text(out, line->text);
        fputs("</text>\n", out);
    }
}

static wr_status labels_svg_page(FILE *out, const labels_entry *labels, size_t count,
                                 const labels_doc *doc, size_t page)
{
    fprintf(
        out,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"210mm\" height=\"297mm\" "
        "viewBox=\"0 0 %d %d\">\n"
        "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>\n"
        "<g fill=\"#000\" stroke=\"none\" shape-rendering=\"crispEdges\" "
        "font-family=\"Helvetica, Arial, 'Droid Sans Fallback', 'Noto Sans CJK SC', sans-serif\" "
        "text-anchor=\"middle\">\n",
        LABELS_PAGE_WIDTH_PT, LABELS_PAGE_HEIGHT_PT, LABELS_PAGE_WIDTH_PT, LABELS_PAGE_HEIGHT_PT);
    wr_status status = labels_emit_page(out, labels, count, doc, page, labels_svg_label);
    fputs("</g>\n</svg>\n", out);
    if (status == WR_OK && (fflush(out) != 0 || ferror(out)))
        status = WR_EIO;
    return status;
}

wr_status labels_write_svg_page(const labels_entry *labels, size_t count, size_t page,
                                const labels_options *opt, FILE *out)
{
    labels_doc doc = {.opt = opt};
    wr_status status = labels_validate(&doc, labels, count);
    if (status == WR_OK && !out)
        status = WR_EINVAL;
    else if (status == WR_OK && page >= labels_page_count(count, opt))
        status = WR_ERANGE;
    if (status == WR_OK)
        status = labels_svg_page(out, labels, count, &doc, page);
    labels_doc_deinit(&doc);
    return status;
}
