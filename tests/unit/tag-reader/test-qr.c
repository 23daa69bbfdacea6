/* test-qr.c — QR encoding (alphanumeric mode, level Q) and the PNG, SVG and terminal
 * renderers, each checked by reading the result back with zbar. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tag-reader/image.h"
#include "tag-reader/qr.h"
#include "tag-reader/scan.h"

static const char base45_alphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

/* "WR2:" and Base45 characters, @p len in all, the same for the same @p seed. */
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

static void assert_scans_to(const grey_image *img, const char *expected)
{
    scan_result result;
    assert_int_equal(scan_image(img, &result), WR_OK);
    assert_int_equal(result.count, 1);
    assert_int_equal(result.codes[0].len, strlen(expected));
    assert_memory_equal(result.codes[0].text, expected, strlen(expected));
    scan_result_deinit(&result);
}

static void test_alphanumeric_set(void **state)
{
    (void)state;
    assert_true(qr_text_is_alphanumeric("WR2:0AZ $%*+-./:"));
    assert_false(qr_text_is_alphanumeric(""));
    assert_false(qr_text_is_alphanumeric(NULL));
    assert_false(qr_text_is_alphanumeric("WR2:abc"));
    assert_false(qr_text_is_alphanumeric("WR2:A_B"));
    assert_false(qr_text_is_alphanumeric("WR2:\xe7\x84\x8a"));
}

/* What weldreg codes need at level Q in alphanumeric mode (ISO/IEC 18004 capacities: version 14
 * holds 376 characters, version 15 holds 426): 380 and 420 characters both take version 15. */
static void test_versions_for_weldreg_codes(void **state)
{
    (void)state;
    const struct {
        size_t len;
        int version;
    } cases[] = {{376, 14}, {377, 15}, {380, 15}, {420, 15}, {426, 15}, {427, 16}, {2420, 40}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *code = make_code(cases[i].len, 7);
        qr_matrix m;
        assert_int_equal(qr_encode(code, QR_LEVEL_Q, &m), WR_OK);
        printf("# %zu alphanumeric characters at level Q: version %d (%d x %d modules)\n",
               cases[i].len, m.version, m.width, m.width);
        assert_int_equal(m.version, cases[i].version);
        assert_int_equal(m.width, 17 + 4 * m.version);
        qr_matrix_deinit(&m);
        free(code);
    }
}

/* Alphanumeric mode takes 5.5 bits a character, byte mode 8: a byte-mode encoder would need a
 * larger version for the same text. Version 1 at level Q holds 16 alphanumeric characters but
 * only 11 bytes. */
static void test_alphanumeric_mode_is_used(void **state)
{
    (void)state;
    qr_matrix m;
    assert_int_equal(qr_encode("WR2:0123456789AB", QR_LEVEL_Q, &m), WR_OK);
    assert_int_equal(m.version, 1);
    qr_matrix_deinit(&m);
    assert_int_equal(qr_encode("WR2:0123456789ABC", QR_LEVEL_Q, &m), WR_OK);
    assert_int_equal(m.version, 2);
    qr_matrix_deinit(&m);
}

static void test_encode_rejects_bad_input(void **state)
{
    (void)state;
    qr_matrix m = {.version = 99};
    assert_int_equal(qr_encode("wr1:lower", QR_LEVEL_Q, &m), WR_EINVAL);
    assert_null(m.modules);
    assert_int_equal(m.version, 0);
    assert_int_equal(qr_encode("", QR_LEVEL_Q, &m), WR_EINVAL);
    assert_int_equal(qr_encode("WR2:ABC", (qr_level)42, &m), WR_EINVAL);
    char *huge = make_code(2421, 1); /* level Q, version 40 holds 2420 */
    assert_int_equal(qr_encode(huge, QR_LEVEL_Q, &m), WR_ERANGE);
    assert_null(m.modules);
    free(huge);
    huge = make_code(5000, 1);
    assert_int_equal(qr_encode(huge, QR_LEVEL_L, &m), WR_ERANGE);
    free(huge);
    qr_matrix_deinit(&m);
    qr_matrix_deinit(NULL);
}

static void test_png_round_trip(void **state)
{
    (void)state;
    char *code = make_code(380, 1);
    qr_matrix m;
    assert_int_equal(qr_encode(code, QR_LEVEL_Q, &m), WR_OK);
    char *png = NULL;
    size_t png_len = 0;
    FILE *mem = open_memstream(&png, &png_len);
    assert_non_null(mem);
    assert_int_equal(qr_write_png(&m, 3, QR_QUIET_MODULES, mem), WR_OK);
    assert_int_equal(fclose(mem), 0);
    assert_int_equal(image_detect((const uint8_t *)png, png_len), IMAGE_FORMAT_PNG);

    grey_image img;
    assert_int_equal(image_load((const uint8_t *)png, png_len, NULL, &img), WR_OK);
    assert_int_equal(img.width, (m.width + 2 * QR_QUIET_MODULES) * 3);
    assert_int_equal(img.height, img.width);
    assert_int_equal(img.pixels[0], 255);                         /* quiet zone */
    assert_int_equal(img.pixels[(size_t)12 * img.width + 12], 0); /* finder pattern corner */
    assert_scans_to(&img, code);
    image_deinit(&img);
    free(png);
    qr_matrix_deinit(&m);
    free(code);
}

static void test_rasterize_matches_matrix(void **state)
{
    (void)state;
    qr_matrix m;
    assert_int_equal(qr_encode("WR2:RASTER TEST", QR_LEVEL_Q, &m), WR_OK);
    grey_image img;
    assert_int_equal(qr_rasterize(&m, 2, 1, &img), WR_OK);
    for (int y = 0; y < m.width; y++)
        for (int x = 0; x < m.width; x++) {
            uint8_t px = img.pixels[(size_t)(2 * y + 3) * img.width + (size_t)(2 * x + 3)];
            assert_int_equal(px, qr_matrix_dark(&m, x, y) ? 0 : 255);
        }
    image_deinit(&img);
    assert_int_equal(qr_rasterize(&m, 0, 4, &img), WR_EINVAL);
    assert_int_equal(qr_rasterize(&m, 2, -1, &img), WR_EINVAL);
    assert_int_equal(qr_write_png(&m, 65, 4, stdout), WR_EINVAL);
    qr_matrix_deinit(&m);
    assert_int_equal(qr_write_png(&m, 4, 4, stdout), WR_EINVAL); /* empty matrix */
}

static void test_png_write_failure_is_reported(void **state)
{
    (void)state;
    qr_matrix m;
    assert_int_equal(qr_encode("WR2:DISK FULL", QR_LEVEL_Q, &m), WR_OK);
    FILE *full = fopen("/dev/full", "wb");
    assert_non_null(full);
    assert_int_equal(qr_write_png(&m, 8, 4, full), WR_EIO);
    clearerr(full);
    assert_int_equal(qr_write_svg(&m, 8, 4, full), WR_EIO);
    fclose(full);
    qr_matrix_deinit(&m);
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

static void test_svg_renders_and_scans(void **state)
{
    (void)state;
    char dir[] = "/tmp/test-tag-qr-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char svg_path[64], png_path[64];
    snprintf(svg_path, sizeof(svg_path), "%s/code.svg", dir);
    snprintf(png_path, sizeof(png_path), "%s/code.png", dir);
    char *code = make_code(380, 2);
    qr_matrix m;
    assert_int_equal(qr_encode(code, QR_LEVEL_Q, &m), WR_OK);
    FILE *out = fopen(svg_path, "w");
    assert_non_null(out);
    assert_int_equal(qr_write_svg(&m, 4, QR_QUIET_MODULES, out), WR_OK);
    fclose(out);

    /* One path, crisp edges. */
    out = fopen(svg_path, "r");
    char text[65536];
    size_t n = fread(text, 1, sizeof(text) - 1, out);
    fclose(out);
    text[n] = '\0';
    assert_non_null(strstr(text, "crispEdges"));
    assert_non_null(strstr(text, "<path"));
    assert_null(strstr(strstr(text, "<path") + 1, "<path"));

    assert_int_equal(run_command("convert %s %s", svg_path, png_path), 0);
    scan_result result;
    assert_int_equal(scan_file(png_path, &result), WR_OK);
    assert_int_equal(result.count, 1);
    assert_string_equal(result.codes[0].text, code);
    scan_result_deinit(&result);
    run_command("rm -rf %s", dir);
    qr_matrix_deinit(&m);
    free(code);
}

/* ---- terminal output, read back through a simulated terminal screenshot ---- */

typedef struct terminal {
    uint8_t theme_fg, theme_bg; /* the terminal's own colours */
    uint8_t fg, bg;             /* current colours */
} terminal;

/* Applies an SGR sequence "ESC [ n;n m" starting at @p p; returns the byte after it. */
static const char *terminal_sgr(terminal *t, const char *p)
{
    assert_true(p[0] == '\x1b' && p[1] == '[');
    p += 2;
    while (*p != 'm') {
        char *end;
        long code = strtol(p, &end, 10);
        assert_true(end != p);
        if (code == 0) {
            t->fg = t->theme_fg;
            t->bg = t->theme_bg;
        } else if (code == 30) {
            t->fg = 0;
        } else if (code == 107) {
            t->bg = 255;
        } else {
            fail_msg("unexpected SGR code %ld", code);
        }
        p = *end == ';' ? end + 1 : end;
    }
    return p + 1;
}

#define CELL_PX 4 /* a character cell is CELL_PX wide and 2 * CELL_PX tall: square modules */

static void terminal_paint(grey_image *img, int col, int line, uint8_t top, uint8_t bottom)
{
    for (int y = 0; y < 2 * CELL_PX; y++)
        for (int x = 0; x < CELL_PX; x++)
            img->pixels[(size_t)(line * 2 * CELL_PX + y) * img->width +
                        (size_t)(col * CELL_PX + x)] = y < CELL_PX ? top : bottom;
}

/* Renders UTF-8 half-block output as a terminal with the given theme would show it. */
static void terminal_screenshot(const char *text, uint8_t theme_fg, uint8_t theme_bg, int cols,
                                int lines, grey_image *img)
{
    terminal t = {theme_fg, theme_bg, theme_fg, theme_bg};
    assert_int_equal(image_init(img, cols * CELL_PX, lines * 2 * CELL_PX, theme_bg), WR_OK);
    int col = 0, line = 0;
    const char *p = text;
    while (*p) {
        if (*p == '\x1b') {
            p = terminal_sgr(&t, p);
            continue;
        }
        if (*p == '\n') {
            line++, col = 0, p++;
            continue;
        }
        assert_true(col < cols && line < lines);
        if (*p == ' ') {
            terminal_paint(img, col, line, t.bg, t.bg);
            p++;
        } else {
            assert_memory_equal(p, "\xe2\x96", 2);
            uint8_t glyph = (uint8_t)p[2];
            assert_true(glyph == 0x80 || glyph == 0x84 || glyph == 0x88);
            terminal_paint(img, col, line, glyph == 0x84 ? t.bg : t.fg,
                           glyph == 0x80 ? t.bg : t.fg);
            p += 3;
        }
        col++;
    }
}

static char *utf8_render(const qr_matrix *m, qr_utf8_style style)
{
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    assert_non_null(mem);
    assert_int_equal(qr_write_utf8(m, QR_QUIET_MODULES, style, mem), WR_OK);
    assert_int_equal(fclose(mem), 0);
    return text;
}

/* Scans a screenshot and checks it is right way round: a light quiet zone, a dark finder. */
static void assert_screenshot_reads(const qr_matrix *m, const char *text, uint8_t fg, uint8_t bg,
                                    const char *code)
{
    int side = m->width + 2 * QR_QUIET_MODULES;
    grey_image shot;
    terminal_screenshot(text, fg, bg, side, (side + 1) / 2, &shot);
    assert_true(shot.pixels[0] > 128);
    size_t finder = (size_t)(QR_QUIET_MODULES * CELL_PX + 1) * shot.width +
                    (size_t)(QR_QUIET_MODULES * CELL_PX + 1);
    assert_true(shot.pixels[finder] < 128);
    assert_scans_to(&shot, code);
    image_deinit(&shot);
}

static void test_utf8_scans_on_any_theme(void **state)
{
    (void)state;
    char *code = make_code(380, 3);
    qr_matrix m;
    assert_int_equal(qr_encode(code, QR_LEVEL_Q, &m), WR_OK);
    const uint8_t light = 235, dark = 25;

    char *ansi = utf8_render(&m, QR_UTF8_ANSI);
    assert_screenshot_reads(&m, ansi, dark, light, code); /* dark-on-light terminal */
    assert_screenshot_reads(&m, ansi, light, dark, code); /* light-on-dark terminal */
    free(ansi);

    char *for_dark = utf8_render(&m, QR_UTF8_DARK_THEME);
    assert_null(strchr(for_dark, '\x1b'));
    assert_screenshot_reads(&m, for_dark, light, dark, code);
    free(for_dark);

    char *for_light = utf8_render(&m, QR_UTF8_LIGHT_THEME);
    assert_screenshot_reads(&m, for_light, dark, light, code);
    free(for_light);

    assert_int_equal(qr_write_utf8(&m, 4, (qr_utf8_style)9, stdout), WR_EINVAL);
    qr_matrix_deinit(&m);
    free(code);
}

/* Two module rows a line: a 77-module symbol with 4-module quiet zones is 43 lines. */
static void test_utf8_line_count(void **state)
{
    (void)state;
    char *code = make_code(380, 4);
    qr_matrix m;
    assert_int_equal(qr_encode(code, QR_LEVEL_Q, &m), WR_OK);
    char *text = utf8_render(&m, QR_UTF8_LIGHT_THEME);
    size_t lines = 0;
    for (const char *p = text; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, (size_t)(m.width + 2 * QR_QUIET_MODULES + 1) / 2);
    free(text);
    qr_matrix_deinit(&m);
    free(code);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alphanumeric_set),
        cmocka_unit_test(test_versions_for_weldreg_codes),
        cmocka_unit_test(test_alphanumeric_mode_is_used),
        cmocka_unit_test(test_encode_rejects_bad_input),
        cmocka_unit_test(test_png_round_trip),
        cmocka_unit_test(test_rasterize_matches_matrix),
        cmocka_unit_test(test_png_write_failure_is_reported),
        cmocka_unit_test(test_svg_renders_and_scans),
        cmocka_unit_test(test_utf8_scans_on_any_theme),
        cmocka_unit_test(test_utf8_line_count),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
