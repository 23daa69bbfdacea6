/* pdfdoc.c — the PDF writer of pdfdoc.h: objects written in order with their byte offsets kept
 * for the cross-reference table; the CJK font's objects follow the pages, once every page has
 * added the glyphs it shows to the subset. */
#include "tag-reader/pdfdoc.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---- text: UTF-8, Helvetica and the CJK font ---- */

/* The code point at @p s and its length in *n; 0 for a malformed or overlong sequence, a
 * surrogate or a code point above U+10FFFF. */
uint32_t pdf_utf8(const unsigned char *s, size_t *n)
{
    uint32_t cp;
    size_t len = s[0] < 0x80                   ? 1
                 : s[0] >= 0xc2 && s[0] < 0xe0 ? 2
                 : s[0] >= 0xe0 && s[0] < 0xf0 ? 3
                 : s[0] >= 0xf0 && s[0] < 0xf5 ? 4
                                               : 0;
    *n = len ? len : 1;
    if (len <= 1)
        return len ? s[0] : 0;
    cp = s[0] & (0x7f >> len);
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    static const uint32_t least[] = {0, 0, 0x80, 0x800, 0x10000};
    return cp < least[len] || cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000) ? 0 : cp;
}

/* Helvetica advance widths in thousandths of an em, by rough class of character; erring wide so
 * that a caption judged to fit does fit. Bold runs about 8% wider. */
static int pdf_char_width(char c)
{
    if (c >= '0' && c <= '9')
        return 556;
    if (strchr("Iijl.,:;!' ", c))
        return 278;
    if (strchr("ftr-()/[]", c))
        return 333;
    if (strchr("MmW", c))
        return c == 'W' ? 944 : 833;
    if (c >= 'A' && c <= 'Z')
        return 722;
    return c >= 'a' && c <= 'z' ? 556 : 600;
}

/* Latin characters at Helvetica's widths, others at the advance widths of @p cjk (NULL: 1 em;
 * only a caption that needs no CJK font is measured without one). */
double pdf_text_width(const ttf_font *cjk, const char *text, double size, bool bold)
{
    long units = 0;
    size_t n;
    for (const unsigned char *c = (const unsigned char *)text; *c; c += n) {
        uint32_t cp = pdf_utf8(c, &n);
        units += cp < 0x80 ? pdf_char_width((char)cp)
                 : cjk     ? (long)ttf_advance_milli(cjk, ttf_glyph(cjk, cp))
                           : 1000;
    }
    return (double)units * size / 1000.0 * (bold ? 1.08 : 1.0);
}

/* Runs of Latin text in Helvetica (F1, bold F2), runs of other text in the
 * CJK font (F3, by CID, Identity-H; bold by stroking the outline too). */
void pdf_show_text(FILE *out, const pdf_fonts *fonts, const char *text, double size, bool bold)
{
    size_t n;
    const unsigned char *c = (const unsigned char *)text;
    while (*c) {
        bool latin = *c < 0x80;
        if (latin) {
            fprintf(out, "/F%d %.2f Tf (", bold ? 2 : 1, size);
            for (; *c && *c < 0x80; c++) {
                if (*c == '(' || *c == ')' || *c == '\\')
                    fputc('\\', out);
                fputc(*c, out);
            }
            fputs(") Tj ", out);
            continue;
        }
        fprintf(out, "/F3 %.2f Tf %s<", size, bold ? "2 Tr 0.25 w " : "");
        for (; *c && *c >= 0x80; c += n) {
            unsigned cid = 0;
            uint32_t cp = pdf_utf8(c, &n);
            if (fonts->cids && ttf_subset_add(fonts->cids, fonts->cjk, cp, &cid) != WR_OK)
                cid = 0;
            fprintf(out, "%04X", cid);
        }
        fprintf(out, "> Tj %s", bold ? "0 Tr " : "");
    }
}

/* ---- the document ---- */

/* The document's shape and where its pages come from. */
typedef struct pdf_layout {
    size_t pages;
    int width, height;
    pdf_page_fn emit;
    void *ctx;
} pdf_layout;

/* Writes to the document stream, keeping the byte offset the cross-reference table needs. */
typedef struct pdf_writer {
    FILE *out;
    long offset;
    bool failed;
    long *object_offsets; /* by object number; [0] unused */
} pdf_writer;

static void pdf_printf(pdf_writer *pdf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void pdf_printf(pdf_writer *pdf, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vfprintf(pdf->out, fmt, ap);
    va_end(ap);
    if (n < 0)
        pdf->failed = true;
    else
        pdf->offset += n;
}

static void pdf_put(pdf_writer *pdf, const char *data, size_t len)
{
    if (fwrite(data, 1, len, pdf->out) != len)
        pdf->failed = true;
    pdf->offset += (long)len;
}

static void pdf_object(pdf_writer *pdf, size_t id, const char *body)
{
    pdf->object_offsets[id] = pdf->offset;
    pdf_printf(pdf, "%zu 0 obj\n%s\nendobj\n", id, body);
}

/* Objects: 1 catalog, 2 page tree, 3 and 4 fonts, then per page k a page (5 + 2k) and its
 * content stream (6 + 2k); then, when a caption needs it, the CJK font (pdf_cjk). */
static void pdf_head(pdf_writer *pdf, size_t pages)
{
    pdf_printf(pdf, "%%PDF-1.4\n%%\xe2\xe3\xcf\xd3\n");
    pdf_object(pdf, 1, "<< /Type /Catalog /Pages 2 0 R >>");
    pdf->object_offsets[2] = pdf->offset;
    pdf_printf(pdf, "2 0 obj\n<< /Type /Pages /Count %zu /Kids [", pages);
    for (size_t k = 0; k < pages; k++)
        pdf_printf(pdf, "%s%zu 0 R", k ? " " : "", 5 + 2 * k);
    pdf_printf(pdf, "] >>\nendobj\n");
    pdf_object(pdf, 3,
               "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica "
               "/Encoding /WinAnsiEncoding >>");
    pdf_object(pdf, 4,
               "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold "
               "/Encoding /WinAnsiEncoding >>");
}

/* A stream object of @p len bytes of @p data, with @p dict's entries besides /Length. */
static void pdf_stream(pdf_writer *pdf, size_t id, const char *dict, const void *data, size_t len)
{
    pdf->object_offsets[id] = pdf->offset;
    pdf_printf(pdf, "%zu 0 obj\n<< /Length %zu%s >>\nstream\n", id, len, dict);
    pdf_put(pdf, data, len);
    pdf_printf(pdf, "\nendstream\nendobj\n");
}

/* Page @p page of @p pages (object 5 + 2 page) and its content stream (6 + 2 page), the content
 * written by @p emit. */
static wr_status pdf_page(pdf_writer *pdf, const pdf_layout *lay, const pdf_fonts *fonts,
                          size_t page)
{
    char *content = NULL;
    size_t length = 0;
    FILE *mem = open_memstream(&content, &length);
    if (!mem)
        return WR_ENOMEM;
    wr_status status = lay->emit(lay->ctx, page, fonts, mem);
    if (fclose(mem) != 0 && status == WR_OK)
        status = WR_ENOMEM;
    if (status == WR_OK) {
        size_t id = 5 + 2 * page;
        pdf->object_offsets[id] = pdf->offset;
        pdf_printf(pdf,
                   "%zu 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] "
                   "/Resources << /Font << /F1 3 0 R /F2 4 0 R",
                   id, lay->width, lay->height);
        if (fonts->cids)
            pdf_printf(pdf, " /F3 %zu 0 R", 5 + 2 * lay->pages);
        pdf_printf(pdf, " >> >> /Contents %zu 0 R >>\nendobj\n", id + 1);
        pdf_stream(pdf, id + 1, "", content, length);
    }
    free(content);
    return status;
}

/* The ToUnicode CMap of @p cids as stream object @p id, so that text extraction finds the
 * characters (the components of composites have none). */
static wr_status pdf_tounicode(pdf_writer *pdf, const ttf_subset *cids, size_t id)
{
    char *cmap = NULL;
    size_t cmap_len = 0;
    FILE *mem = open_memstream(&cmap, &cmap_len);
    if (!mem)
        return WR_ENOMEM;
    fputs("/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
          "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
          "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
          "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n",
          mem);
    for (size_t i = 1; i < cids->count; i += 100) {
        size_t k = 0;
        for (size_t j = i; j < cids->count && j < i + 100; j++)
            k += cids->unicode[j] != 0;
        fprintf(mem, "%zu beginbfchar\n", k);
        for (size_t j = i; j < cids->count && j < i + 100; j++) {
            uint32_t u = cids->unicode[j];
            if (!u)
                continue;
            if (u < 0x10000)
                fprintf(mem, "<%04zX> <%04X>\n", j, (unsigned)u);
            else
                fprintf(mem, "<%04zX> <%04X%04X>\n", j, (unsigned)(0xd800 + ((u - 0x10000) >> 10)),
                        (unsigned)(0xdc00 + ((u - 0x10000) & 0x3ff)));
        }
        fputs("endbfchar\n", mem);
    }
    fputs("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n", mem);
    if (fclose(mem) != 0) {
        free(cmap);
        return WR_ENOMEM;
    }
    pdf_stream(pdf, id, "", cmap, cmap_len);
    free(cmap);
    return WR_OK;
}

/* The CJK font as objects @p id to @p id + 4: the Type0 font (Identity-H), its CIDFontType2
 * with the widths of the CIDs used, the descriptor, the subset font file and the ToUnicode CMap
 * (so text extraction finds the characters). */
static wr_status pdf_cjk(pdf_writer *pdf, const pdf_fonts *fonts, size_t id)
{
    const ttf_subset *cids = fonts->cids;
    uint8_t *file;
    size_t len;
    wr_status st = ttf_subset_build(fonts->cjk, fonts->cids, &file, &len);
    if (st != WR_OK)
        return st;
    /* a subset is named by a tag of six capitals derived from its glyphs */
    unsigned long h = 5381;
    for (size_t i = 0; i < cids->count; i++)
        h = h * 33 + cids->gids[i];
    char name[64] = "AAAAAA+DroidSansFallback";
    for (int i = 0; i < 6; i++, h /= 26)
        name[i] = (char)('A' + h % 26);
    int ascent, descent, bbox[4];
    ttf_metrics(fonts->cjk, &ascent, &descent, bbox);
    pdf->object_offsets[id] = pdf->offset;
    pdf_printf(pdf,
               "%zu 0 obj\n<< /Type /Font /Subtype /Type0 /BaseFont /%s /Encoding "
               "/Identity-H /DescendantFonts [%zu 0 R] /ToUnicode %zu 0 R >>\nendobj\n",
               id, name, id + 1, id + 4);
    pdf->object_offsets[id + 1] = pdf->offset;
    pdf_printf(pdf,
               "%zu 0 obj\n<< /Type /Font /Subtype /CIDFontType2 /BaseFont /%s "
               "/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> "
               "/FontDescriptor %zu 0 R /CIDToGIDMap /Identity /DW 1000 /W [0 [",
               id + 1, name, id + 2);
    for (size_t i = 0; i < cids->count; i++)
        pdf_printf(pdf, "%s%u", i ? " " : "", ttf_advance_milli(fonts->cjk, cids->gids[i]));
    pdf_printf(pdf, "]] >>\nendobj\n");
    pdf->object_offsets[id + 2] = pdf->offset;
    pdf_printf(pdf,
               "%zu 0 obj\n<< /Type /FontDescriptor /FontName /%s /Flags 4 /FontBBox [%d "
               "%d %d %d] /ItalicAngle 0 /Ascent %d /Descent %d /CapHeight %d /StemV 80 "
               "/FontFile2 %zu 0 R >>\nendobj\n",
               id + 2, name, bbox[0], bbox[1], bbox[2], bbox[3], ascent, descent, ascent, id + 3);
    char extra[48];
    snprintf(extra, sizeof(extra), " /Length1 %zu", len);
    pdf_stream(pdf, id + 3, extra, file, len);
    free(file);
    return pdf_tounicode(pdf, cids, id + 4);
}

static void pdf_tail(pdf_writer *pdf, size_t objects)
{
    long xref = pdf->offset;
    pdf_printf(pdf, "xref\n0 %zu\n0000000000 65535 f \n", objects + 1);
    for (size_t id = 1; id <= objects; id++)
        pdf_printf(pdf, "%010ld 00000 n \n", pdf->object_offsets[id]);
    pdf_printf(pdf, "trailer\n<< /Size %zu /Root 1 0 R >>\nstartxref\n%ld\n%%%%EOF\n", objects + 1,
               xref);
}

wr_status pdf_write(FILE *out, size_t pages, int width, int height, const ttf_font *cjk,
                    pdf_page_fn emit, void *ctx)
{
    pdf_layout lay = {pages, width, height, emit, ctx};
    pdf_writer pdf = {.out = out};
    pdf_fonts fonts = {.cjk = cjk};
    size_t objects = 4 + 2 * pages + (cjk ? 5 : 0);
    wr_status status = WR_OK;
    pdf.object_offsets = calloc(objects + 1, sizeof(long));
    fonts.cids = cjk ? malloc(sizeof(*fonts.cids)) : NULL;
    if (!pdf.object_offsets || (cjk && !fonts.cids)) {
        status = WR_ENOMEM;
        goto cleanup;
    }
    if (fonts.cids)
        ttf_subset_init(fonts.cids);
    pdf_head(&pdf, pages);
    for (size_t page = 0; page < pages && status == WR_OK; page++)
        status = pdf_page(&pdf, &lay, &fonts, page);
    if (status == WR_OK && fonts.cids)
        status = pdf_cjk(&pdf, &fonts, 5 + 2 * pages);
    if (status == WR_OK) {
        pdf_tail(&pdf, objects);
        if (pdf.failed || fflush(out) != 0 || ferror(out))
            status = WR_EIO;
    }
cleanup:
    free(fonts.cids);
    free(pdf.object_offsets);
    return status;
}
