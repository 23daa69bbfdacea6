/* test-labels.c — label sheets: the PDF is rendered by poppler (pdftoppm) and every code on
 * the page must scan; its structure, text and the SVG pages are checked too. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/code.h"
#include "core/cose.h"
#include "core/licence.h"
#include "tag-reader/labels.h"
#include "tag-reader/scan.h"

#define N_LABELS 40 /* three pages of the default 3 x 5 */

static const char base45_alphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

typedef struct fixture {
    char dir[64];
    char *codes[N_LABELS];
    char captions[N_LABELS][2][40];
    labels_entry labels[N_LABELS];
} fixture;

static char *make_code(size_t len, unsigned seed)
{
    char *code = malloc(len + 1);
    assert_non_null(code);
    memcpy(code, "WR2:", 4);
    uint32_t state = seed * 2654435761u + 1;
    for (size_t i = 4; i < len; i++) {
        state = state * 1103515245u + 12345u;
        code[i] = base45_alphabet[(state >> 16) % 45];
    }
    code[len] = '\0';
    return code;
}

static int run_command(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run_command(const char *fmt, ...)
{
    char command[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(command, sizeof(command), fmt, ap);
    va_end(ap);
    assert_true(n > 0 && (size_t)n < sizeof(command));
    return system(command);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    snprintf(f->dir, sizeof(f->dir), "/tmp/test-tag-labels-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    for (unsigned i = 0; i < N_LABELS; i++) {
        f->codes[i] = make_code(380 + i % 41, 100 + i); /* 380..420 characters */
        snprintf(f->captions[i][0], sizeof(f->captions[i][0]), "WM-3301-%06u", 1000 + i);
        snprintf(f->captions[i][1], sizeof(f->captions[i][1]), "Keeper: Zhang (%u) \\", i);
        f->labels[i] = (labels_entry){f->codes[i], f->captions[i][0], f->captions[i][1]};
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    run_command("rm -rf '%s'", f->dir);
    for (int i = 0; i < N_LABELS; i++)
        free(f->codes[i]);
    free(f);
    return 0;
}

static char *read_text(const char *path, size_t *len)
{
    FILE *in = fopen(path, "rb");
    assert_non_null(in);
    assert_int_equal(fseek(in, 0, SEEK_END), 0);
    long size = ftell(in);
    rewind(in);
    char *text = malloc((size_t)size + 1);
    assert_non_null(text);
    assert_int_equal(fread(text, 1, (size_t)size, in), (size_t)size);
    text[size] = '\0';
    fclose(in);
    *len = (size_t)size;
    return text;
}

static void write_pdf(const fixture *f, size_t count, const labels_options *opt, const char *path)
{
    FILE *out = fopen(path, "wb");
    assert_non_null(out);
    assert_int_equal(labels_write_pdf(f->labels, count, opt, out), WR_OK);
    assert_int_equal(fclose(out), 0);
}

/* Every label from @p first to @p last (exclusive) must be among the codes scanned in @p png. */
static void assert_page_scans(const fixture *f, const char *png, size_t first, size_t last)
{
    scan_result result;
    assert_int_equal(scan_file(png, &result), WR_OK);
    printf("# %s: %zu codes found\n", strrchr(png, '/') + 1, result.count);
    assert_int_equal(result.count, last - first);
    for (size_t i = first; i < last; i++) {
        bool found = false;
        for (size_t r = 0; r < result.count && !found; r++)
            found = strcmp(result.codes[r].text, f->codes[i]) == 0;
        if (!found)
            fail_msg("label %zu not found on the page", i);
    }
    scan_result_deinit(&result);
}

static void test_options_and_page_count(void **state)
{
    (void)state;
    labels_options opt;
    labels_options_init(&opt);
    assert_int_equal(opt.columns * opt.rows, 15);
    assert_string_equal(opt.hotline, "\xe7\x9b\x91\xe7\x9d\xa3\xe4\xb8\xbe\xe6\x8a\xa5\xe7\x83\xad"
                                     "\xe7\xba\xbf 12345"); /* 监督举报热线 */
    assert_string_equal(opt.cjk_font, LABELS_CJK_FONT);
    assert_int_equal(opt.level, QR_LEVEL_Q);
    assert_int_equal(labels_page_count(0, &opt), 0);
    assert_int_equal(labels_page_count(1, &opt), 1);
    assert_int_equal(labels_page_count(15, &opt), 1);
    assert_int_equal(labels_page_count(16, &opt), 2);
    assert_int_equal(labels_page_count(500, &opt), 34);
    opt.columns = 0;
    assert_int_equal(labels_page_count(5, &opt), 0);
    assert_int_equal(labels_page_count(5, NULL), 0);
}

/* The cross-reference table must point at each object's "N 0 obj" line, and startxref at it;
 * @p cjk: the five objects of the CJK font follow the pages. */
static void assert_pdf_structure_of(const char *pdf, size_t len, size_t pages, bool cjk)
{
    assert_memory_equal(pdf, "%PDF-1.4\n", 9);
    assert_non_null(strstr(pdf, "/BaseFont /Helvetica "));
    char count[32];
    snprintf(count, sizeof(count), "/Count %zu ", pages);
    assert_non_null(strstr(pdf, count));
    const char *startxref = memmem(pdf, len, "startxref\n", 10); /* the font file holds NULs */
    assert_non_null(startxref);
    long xref = strtol(startxref + 10, NULL, 10);
    assert_true(xref > 0 && (size_t)xref < len);
    assert_memory_equal(pdf + xref, "xref\n0 ", 7);
    size_t objects = strtoul(pdf + xref + 7, NULL, 10);
    assert_int_equal(objects, 5 + 2 * pages + (cjk ? 5 : 0));
    const char *entry = strchr(pdf + xref + 5, '\n') + 1 + 20; /* past the free entry */
    for (size_t id = 1; id < objects; id++, entry += 20) {
        long offset = strtol(entry, NULL, 10);
        char expected[32];
        int n = snprintf(expected, sizeof(expected), "%zu 0 obj\n", id);
        assert_true(offset > 0 && (size_t)offset < len);
        assert_memory_equal(pdf + offset, expected, (size_t)n);
    }
    assert_memory_equal(pdf + len - 6, "%%EOF\n", 6);
}

static void assert_pdf_structure(const char *pdf, size_t len, size_t pages)
{
    assert_pdf_structure_of(pdf, len, pages, true); /* the default hotline is Chinese */
}

static void test_pdf_pages_scan(void **state)
{
    fixture *f = *state;
    labels_options opt;
    labels_options_init(&opt);
    char pdf_path[128], png_prefix[128], png_path[160];
    snprintf(pdf_path, sizeof(pdf_path), "%s/labels.pdf", f->dir);
    write_pdf(f, N_LABELS, &opt, pdf_path);

    size_t len;
    char *pdf = read_text(pdf_path, &len);
    assert_pdf_structure(pdf, len, 3);
    free(pdf);

    /* Page 1 (full) and page 3 (ten labels) at 300 dpi, as a printer would. */
    const struct {
        int page;
        size_t first, last;
    } pages[] = {{1, 0, 15}, {3, 30, 40}};
    for (size_t i = 0; i < 2; i++) {
        snprintf(png_prefix, sizeof(png_prefix), "%s/page%d", f->dir, pages[i].page);
        snprintf(png_path, sizeof(png_path), "%s.png", png_prefix);
        assert_int_equal(run_command("pdftoppm -q -r 300 -gray -png -singlefile -f %d -l %d "
                                     "'%s' '%s'",
                                     pages[i].page, pages[i].page, pdf_path, png_prefix),
                         0);
        assert_page_scans(f, png_path, pages[i].first, pages[i].last);
    }
}

static void test_pdf_text(void **state)
{
    fixture *f = *state;
    labels_options opt;
    labels_options_init(&opt);
    opt.hotline = "Hotline 0571-12345 (24h)";
    char pdf_path[128], txt_path[128];
    snprintf(pdf_path, sizeof(pdf_path), "%s/text.pdf", f->dir);
    snprintf(txt_path, sizeof(txt_path), "%s/text.txt", f->dir);
    write_pdf(f, 3, &opt, pdf_path);
    assert_int_equal(run_command("pdfinfo '%s' | grep -q 'Page size: *595 x 842 pts'", pdf_path),
                     0);
    assert_int_equal(run_command("pdftotext -q '%s' '%s'", pdf_path, txt_path), 0);
    size_t len;
    char *text = read_text(txt_path, &len);
    assert_non_null(strstr(text, "WM-3301-001000"));
    assert_non_null(strstr(text, "WM-3301-001002"));
    assert_non_null(strstr(text, "Keeper: Zhang (1) \\")); /* escaped in the PDF string */
    assert_non_null(strstr(text, "Hotline 0571-12345 (24h)"));
    free(text);
}

/* A denser custom layout still scans, and a long caption is shrunk rather than cut. */
/* Chinese captions: set in a subset of the CJK font, extracted back by pdftotext, every code on
 * the rendered page decodes, and the file stays small (a subset, not the 4 MB font). */
static void test_pdf_chinese(void **state)
{
    fixture *f = *state;
    labels_options opt;
    labels_options_init(&opt);
    labels_entry entries[3];
    memcpy(entries, f->labels, sizeof(entries));
    entries[0].line1 = "\xe8\x8a\xaf\xe7\x89\x87 89860312345678901234"; /* 芯片 */
    entries[0].line2 =
        "\xe6\x96\xb0\xe5\xaf\x86\xe7\x84\x8a\xe6\x8e\xa5\xe5\x8e\x82"; /* 新密焊接厂 */
    entries[1].line1 = "\xe7\x84\x8a\xe5\xb7\xa5 \xe5\xbc\xa0**";       /* 焊工 张** */
    entries[1].line2 = "\xe6\x9c\x89\xe6\x95\x88\xe6\x9c\x9f\xe8\x87\xb3 2027-06-30"; /* 有效期至 */
    char pdf_path[128], txt_path[128], png_prefix[128], png_path[160];
    snprintf(pdf_path, sizeof(pdf_path), "%s/chinese.pdf", f->dir);
    snprintf(txt_path, sizeof(txt_path), "%s/chinese.txt", f->dir);
    FILE *out = fopen(pdf_path, "wb");
    assert_non_null(out);
    assert_int_equal(labels_write_pdf(entries, 3, &opt, out), WR_OK);
    assert_int_equal(fclose(out), 0);
    size_t len;
    char *pdf = read_text(pdf_path, &len);
    assert_pdf_structure_of(pdf, len, 1, true);
    assert_non_null(memmem(pdf, len, "/Subtype /CIDFontType2", 22));
    assert_non_null(memmem(pdf, len, "/Encoding /Identity-H", 21));
    assert_non_null(memmem(pdf, len, "/ToUnicode", 10));
    assert_non_null(memmem(pdf, len, "/FontFile2", 10));
    assert_true(len < 64 * 1024); /* 18 characters' glyphs, not the whole font */
    free(pdf);
    /* pdffonts: embedded, a subset, with a Unicode map */
    assert_int_equal(
        run_command("pdffonts '%s' 2>/dev/null | grep -Eq '^[A-Z]{6}\\+DroidSansFallback"
                    " +CID TrueType +Identity-H +yes +yes +yes '",
                    pdf_path),
        0);
    assert_int_equal(run_command("pdftotext -q '%s' '%s'", pdf_path, txt_path), 0);
    char *text = read_text(txt_path, &len);
    const char *expected[] = {
        "\xe8\x8a\xaf\xe7\x89\x87 89860312345678901234",
        "\xe6\x96\xb0\xe5\xaf\x86\xe7\x84\x8a\xe6\x8e\xa5\xe5\x8e\x82",
        "\xe7\x84\x8a\xe5\xb7\xa5 \xe5\xbc\xa0**",
        "\xe6\x9c\x89\xe6\x95\x88\xe6\x9c\x9f\xe8\x87\xb3 2027-06-30",
        "\xe7\x9b\x91\xe7\x9d\xa3\xe4\xb8\xbe\xe6\x8a\xa5\xe7\x83\xad\xe7\xba\xbf 12345"};
    for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++)
        assert_non_null(strstr(text, expected[i]));
    free(text);
    snprintf(png_prefix, sizeof(png_prefix), "%s/chinese", f->dir);
    snprintf(png_path, sizeof(png_path), "%s.png", png_prefix);
    assert_int_equal(
        run_command("pdftoppm -q -r 300 -gray -png -singlefile '%s' '%s'", pdf_path, png_prefix),
        0);
    assert_page_scans(f, png_path, 0, 3);
}

static void test_pdf_custom_layout(void **state)
{
    fixture *f = *state;
    labels_options opt;
    labels_options_init(&opt);
    opt.columns = 4;
    opt.rows = 6;
    opt.margin_pt = 20;
    opt.hotline = NULL;
    opt.cut_lines = 0;
    labels_entry entries[24];
    memcpy(entries, f->labels, sizeof(entries));
    entries[5].line2 = "T110101199003071234 / fusion welding";
    entries[6].line1 = NULL;
    labels_entry *saved = malloc(sizeof(f->labels));
    assert_non_null(saved);
    memcpy(saved, f->labels, sizeof(f->labels));
    memcpy(f->labels, entries, sizeof(entries));
    char pdf_path[128], png_prefix[128], png_path[160];
    snprintf(pdf_path, sizeof(pdf_path), "%s/dense.pdf", f->dir);
    write_pdf(f, 24, &opt, pdf_path);
    memcpy(f->labels, saved, sizeof(f->labels));
    free(saved);
    snprintf(png_prefix, sizeof(png_prefix), "%s/dense", f->dir);
    snprintf(png_path, sizeof(png_path), "%s.png", png_prefix);
    assert_int_equal(
        run_command("pdftoppm -q -r 300 -gray -png -singlefile '%s' '%s'", pdf_path, png_prefix),
        0);
    assert_page_scans(f, png_path, 0, 24);
}

static void test_svg_page_scans(void **state)
{
    fixture *f = *state;
    labels_options opt;
    labels_options_init(&opt);
    char svg_path[128], png_path[128];
    snprintf(svg_path, sizeof(svg_path), "%s/page2.svg", f->dir);
    snprintf(png_path, sizeof(png_path), "%s/page2-svg.png", f->dir);
    FILE *out = fopen(svg_path, "w");
    assert_non_null(out);
    assert_int_equal(labels_write_svg_page(f->labels, N_LABELS, 1, &opt, out), WR_OK);
    assert_int_equal(fclose(out), 0);
    size_t len;
    char *svg = read_text(svg_path, &len);
    assert_non_null(strstr(svg, "viewBox=\"0 0 595 842\""));
    assert_non_null(strstr(svg, ">Keeper: Zhang (15) \\</text>"));
    assert_null(strstr(svg, "(14)")); /* page 2 starts at label 15 */
    free(svg);
    assert_int_equal(
        run_command("convert -density 216 '%s' -colorspace Gray '%s'", svg_path, png_path), 0);
    assert_page_scans(f, png_path, 15, 30);
}

static void assert_refused(const labels_entry *labels, size_t count, const labels_options *opt,
                           wr_status expected)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    assert_non_null(mem);
    assert_int_equal(labels_write_pdf(labels, count, opt, mem), expected);
    assert_int_equal(labels_write_svg_page(labels, count, 0, opt, mem), expected);
    assert_int_equal(fclose(mem), 0);
    assert_int_equal(len, 0); /* nothing written before the error */
    free(buf);
}

static void test_bad_input(void **state)
{
    fixture *f = *state;
    labels_options opt;
    labels_options_init(&opt);
    labels_entry bad = f->labels[0];
    assert_refused(f->labels, 0, &opt, WR_EINVAL);
    assert_refused(NULL, 3, &opt, WR_EINVAL);
    bad.code = "wr1:lower case";
    assert_refused(&bad, 1, &opt, WR_EINVAL);
    bad = f->labels[0];
    bad.line1 = "\xee\x80\x80 0001"; /* U+E000: in neither Helvetica nor the CJK font */
    assert_refused(&bad, 1, &opt, WR_EINVAL);
    bad.line1 = "\xe7\x84 0001"; /* not UTF-8 */
    assert_refused(&bad, 1, &opt, WR_EINVAL);
    bad.line1 = "\xe7\x84\x8a\xe6\x9c\xba 0001"; /* 焊机 */
    opt.cjk_font = "/nonexistent/font.ttf";
    assert_refused(&bad, 1, &opt, WR_ENOTFOUND);
    labels_options_init(&opt);
    bad.line1 = "tab\there";
    assert_refused(&bad, 1, &opt, WR_EINVAL);
    bad.line1 = "WELDING MACHINE WM-3301-000001, WUYI COUNTY, JINHUA, ZHEJIANG"; /* < 5 pt */
    assert_refused(&bad, 1, &opt, WR_ERANGE);
    bad.line1 = NULL;
    char *huge = make_code(LABELS_MAX_CODE + 1, 5);
    bad.code = huge;
    assert_refused(&bad, 1, &opt, WR_ERANGE);
    free(huge);
    /* 12 rows of 8 leave modules too small for a 420-character code. */
    opt.columns = 8;
    opt.rows = 12;
    assert_refused(&f->labels[40 - 1], 1, &opt, WR_ERANGE);
    labels_options_init(&opt);
    opt.hotline = "Hotline \xe2\x98\x8e";
    assert_refused(f->labels, 1, &opt, WR_EINVAL);
    labels_options_init(&opt);
    opt.margin_pt = -1;
    assert_refused(f->labels, 1, &opt, WR_EINVAL);
    labels_options_init(&opt);
    assert_int_equal(labels_write_svg_page(f->labels, 15, 1, &opt, stdout), WR_ERANGE);
    FILE *full = fopen("/dev/full", "wb");
    assert_non_null(full);
    assert_int_equal(labels_write_pdf(f->labels, 2, &opt, full), WR_EIO);
    fclose(full);
}

/* A caption must belong to the code it sits under: a label must not show one machine's
 * number, or another licence, over a code. */
/* 2026-01-01 00:00 UTC, 08:00 in China; the codes' last valid day is 2026-12-31 */
#define ISSUED  1767225600
#define DAY_LVU 20999 /* 2027-06-30, the licence's valid-until day */

static void issue(EVP_PKEY *key, code_kind kind, char text[CODE_TEXT_MAX + 1])
{
    code_claims c;
    memset(&c, 0, sizeof(c));
    c.kind = kind;
    strcpy(c.iss, "test");
    assert_int_equal(code_new_cti(c.cti), WR_OK);
    c.iat = ISSUED;
    c.exp = ISSUED + 364 * 86400;
    if (kind == CODE_MACHINE) {
        strcpy(c.chip, "WR-C-0001");
        c.ent = 7;
        c.cat = CODE_CAT_FUSION;
    } else {
        strcpy(c.lic, "T**************1234");
        strcpy(c.nm, "\xe5\xbc\xa0*");
        c.cats = CODE_CAT_FUSION;
        c.lvu = (uint64_t)licence_day_end(DAY_LVU);
    }
    assert_int_equal(code_issue(&c, key, text, CODE_TEXT_MAX + 1), WR_OK);
}

static void assert_captions(const char *code, const char *line1, const char *line2,
                            const char *refusal)
{
    labels_entry e = {code, line1, line2};
    char why[256] = "";
    wr_status st = labels_check_captions(&e, why, sizeof(why));
    if (!refusal) {
        if (st != WR_OK)
            fail_msg("\"%s\" / \"%s\" refused: %s", line1 ? line1 : "", line2 ? line2 : "", why);
        return;
    }
    assert_int_equal(st, WR_EINVAL);
    if (!strstr(why, refusal))
        fail_msg("\"%s\" / \"%s\": \"%s\" lacks \"%s\"", line1 ? line1 : "", line2 ? line2 : "",
                 why, refusal);
}

static void test_captions_belong_to_the_code(void **state)
{
    (void)state;
    EVP_PKEY *key = NULL;
    assert_int_equal(cose_key_generate(COSE_ALG_EDDSA, &key), WR_OK);
    char machine[CODE_TEXT_MAX + 1], welder[CODE_TEXT_MAX + 1];
    issue(key, CODE_MACHINE, machine);
    issue(key, CODE_WELDER, welder);
    EVP_PKEY_free(key);
    /* what the code carries, in any words; free text; no captions */
    assert_captions(machine, "Chip WR-C-0001", "Enterprise 7", NULL);
    assert_captions(machine, "WR-C-0001", "Valid until 2026-12-31", NULL);
    assert_captions(machine, "Keeper: Wang (workshop 3)", "Issued 2026-01-01", NULL);
    assert_captions(machine, NULL, NULL, NULL);
    assert_captions(machine, "Model ZX7-400", "Installed 2025-03-01", NULL);
    assert_captions(welder, "Licence T**************1234", "Valid until 2027-06-30", NULL);
    assert_captions(welder, "T**************1234", "Code valid until 2026-12-31", NULL);
    /* in Chinese: the chip, the enterprise's name (free text), the welder's masked name */
    assert_captions(machine, "\xe8\x8a\xaf\xe7\x89\x87 WR-C-0001",                  /* 芯片 */
                    "\xe6\x96\xb0\xe5\xaf\x86\xe7\x84\x8a\xe6\x8e\xa5\xe5\x8e\x82", /* 新密焊接厂 */
                    NULL);
    assert_captions(welder, "\xe7\x84\x8a\xe5\xb7\xa5 \xe5\xbc\xa0** T**************1234", NULL,
                    NULL); /* 焊工 张** */
    assert_captions(welder, "\xe5\xbc\xa0*",
                    "\xe6\x9c\x89\xe6\x95\x88\xe6\x9c\x9f\xe8\x87\xb3 2027-06-30",
                    NULL);                          /* 张*, 有效期至 */
    assert_captions(welder, "\xe6\x9d\x8e**", NULL, /* 李** */
                    "caption \"\xe6\x9d\x8e**\" names the masked name \xe6\x9d\x8e**, but the code "
                    "carries the masked name \xe5\xbc\xa0*");
    assert_captions(machine, "\xe5\xbc\xa0**", NULL,
                    "names the masked name \xe5\xbc\xa0**, but the code is for chip WR-C-0001");
    assert_captions(machine, "\xe8\x8a\xaf\xe7\x89\x87 WR-C-0002", NULL,
                    "names chip WR-C-0002, but the code is for chip WR-C-0001");
    assert_captions(welder, "\xe6\x9c\x89\xe6\x95\x88\xe6\x9c\x9f\xe8\x87\xb3 2027-06-29", NULL,
                    "names the last valid day 2027-06-29");
    /* another machine's number, enterprise, a day the code does not carry */
    assert_captions(machine, "Chip WR-C-0002", NULL,
                    "caption \"Chip WR-C-0002\" names chip WR-C-0002, but the code is for chip "
                    "WR-C-0001");
    assert_captions(machine, "Chip WR-C-0001", "WR-C-0009",
                    "names chip WR-C-0009, but the code is for chip WR-C-0001");
    assert_captions(machine, "Enterprise 8", NULL,
                    "names enterprise 8, but the code is for enterprise 7");
    assert_captions(machine, "Valid until 2027-01-31", NULL,
                    "names the last valid day 2027-01-31, but the code does not carry it");
    assert_captions(machine, "Licence T**************1234", NULL,
                    "names licence T**************1234, but the code is for chip WR-C-0001");
    /* another licence; a chip on a welder's code */
    assert_captions(welder, "Licence T**************9999", NULL,
                    "names licence T**************9999, but the code carries licence "
                    "T**************1234");
    assert_captions(welder, "Chip WR-C-0001", NULL,
                    "names chip WR-C-0001, but the code is a welder's");
    /* captions need a code to belong to */
    assert_captions(welder, "Licence valid until 2027-06-29", NULL,
                    "names the last valid day 2027-06-29, but the code does not carry it");
    assert_captions(machine, "Issued 2026-01-02", NULL,
                    "names the issue day 2026-01-02, but the code does not carry it");
    assert_captions("WR2:ABC", "Chip WR-C-0001", NULL, "is not a weldreg code");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_options_and_page_count),
        cmocka_unit_test(test_pdf_pages_scan),
        cmocka_unit_test(test_pdf_text),
        cmocka_unit_test(test_pdf_chinese),
        cmocka_unit_test(test_pdf_custom_layout),
        cmocka_unit_test(test_svg_page_scans),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_captions_belong_to_the_code),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
