/* test-ttfsubset.c — reading TrueType fonts and writing subsets, on the fuzz seeds
 * (fuzz/corpus/ttf/, made by fuzz/ttf-seeds.py from Droid Sans Fallback) and on variants of
 * them broken here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tag-reader/ttfsubset.h"

#define SEEDS WELDREG_SOURCE_DIR "/fuzz/corpus/ttf/"

/* 焊 is a composite of two radicals in these fonts, U+E000 a composite of 一 and 焊. */
#define CP_HAN       0x710a
#define CP_COMPOSITE 0xe000

static uint8_t *read_seed(const char *name, size_t *len)
{
    char path[512];
    snprintf(path, sizeof(path), SEEDS "%s", name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static uint8_t buf[64 * 1024];
    *len = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    uint8_t *copy = malloc(*len);
    assert_non_null(copy);
    memcpy(copy, buf, *len);
    return copy;
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The offset of table @p tag in the font file @p data. */
static size_t table_offset(const uint8_t *data, const char *tag)
{
    unsigned n = (unsigned)data[4] << 8 | data[5];
    for (size_t i = 0; i < n; i++)
        if (memcmp(data + 12 + 16 * i, tag, 4) == 0)
            return be32(data + 12 + 16 * i + 8);
    fail_msg("no table %s", tag);
    return 0;
}

static wr_status subset_of(const ttf_font *font, const uint32_t *cps, size_t n, size_t *count)
{
    ttf_subset *s = malloc(sizeof(*s));
    assert_non_null(s);
    ttf_subset_init(s);
    for (size_t i = 0; i < n; i++) {
        unsigned cid;
        assert_int_equal(ttf_subset_add(s, font, cps[i], &cid), WR_OK);
        assert_int_equal(cid, i + 1);
    }
    uint8_t *out;
    size_t len;
    wr_status st = ttf_subset_build(font, s, &out, &len);
    if (st == WR_OK) {
        assert_true(len > 12 && be32(out) == 0x00010000u);
        free(out);
    } else {
        assert_null(out);
    }
    *count = s->count;
    free(s);
    return st;
}

/* Every cmap and loca form reads the same glyphs; the subset takes the components along:
 * 焊's two radicals, and for U+E000 一 and 焊 with its radicals (nested two deep). */
static void test_valid_seeds(void **state)
{
    (void)state;
    static const char *const seeds[] = {"valid-cmap4-short-loca", "valid-cmap4-ranges-long-loca",
                                        "valid-cmap12-long-loca"};
    for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
        char path[512];
        snprintf(path, sizeof(path), SEEDS "%s", seeds[i]);
        ttf_font *font;
        assert_int_equal(ttf_load(path, &font), WR_OK);
        assert_int_equal(ttf_glyph(font, 0x20), 1);
        assert_int_equal(ttf_glyph(font, CP_HAN), 5);
        assert_int_equal(ttf_glyph(font, CP_COMPOSITE), 14);
        assert_int_equal(ttf_glyph(font, 0x41), 0);
        assert_int_equal(ttf_glyph(font, 0x1f600), 0);
        assert_int_equal(ttf_advance_milli(font, 14), 1000);
        size_t count;
        uint32_t han = CP_HAN, composite = CP_COMPOSITE;
        assert_int_equal(subset_of(font, &han, 1, &count), WR_OK);
        assert_int_equal(count, 4);
        assert_int_equal(subset_of(font, &composite, 1, &count), WR_OK);
        assert_int_equal(count, 6);
        ttf_free(font);
    }
}

static void test_refused(void **state)
{
    (void)state;
    ttf_font *font = (ttf_font *)1;
    assert_int_equal(ttf_load(SEEDS "no-such-font", &font), WR_EIO);
    assert_null(font);
    assert_int_equal(ttf_load(SEEDS "invalid-truncated-directory", &font), WR_EINVAL);
    assert_int_equal(ttf_load(SEEDS "invalid-truncated-half", &font), WR_EINVAL);
    assert_int_equal(ttf_parse((const uint8_t *)"true", 4, &font), WR_EINVAL);
    assert_null(font);
    ttf_free(NULL);
}

/* A composite that contains itself, and one whose outline starts beyond glyf: the font reads (its
 * other glyphs are fine), the subset that needs them is refused. */
static void test_bad_glyphs(void **state)
{
    (void)state;
    static const char *const seeds[] = {"invalid-composite-cycle", "invalid-loca-past-glyf"};
    for (size_t i = 0; i < 2; i++) {
        char path[512];
        snprintf(path, sizeof(path), SEEDS "%s", seeds[i]);
        ttf_font *font;
        size_t count;
        uint32_t han = CP_HAN, composite = CP_COMPOSITE;
        assert_int_equal(ttf_load(path, &font), WR_OK);
        assert_int_equal(subset_of(font, &han, 1, &count), WR_OK);
        assert_int_equal(subset_of(font, &composite, 1, &count), WR_EINVAL);
        ttf_free(font);
    }
}

/* Composites nested 11 deep are taken whole, 20 deep refused (more than 16). */
static void test_nesting_depth(void **state)
{
    (void)state;
    ttf_font *font;
    size_t count;
    uint32_t top = 0xe001, middle = 0xe002;
    assert_int_equal(ttf_load(SEEDS "invalid-composite-too-deep", &font), WR_OK);
    assert_int_equal(subset_of(font, &middle, 1, &count), WR_OK);
    assert_int_equal(count, 1 + 10 + 4); /* .notdef, 10 of the chain, 一, 焊, its 2 radicals */
    assert_int_equal(subset_of(font, &top, 1, &count), WR_EINVAL);
    ttf_free(font);
}

/* A cmap subtable that points outside cmap, or whose groups run past it, is not used; with no
 * other cmap the font is refused. */
static void test_cmap_outside_table(void **state)
{
    (void)state;
    size_t len;
    uint8_t *data = read_seed("valid-cmap12-long-loca", &len);
    size_t cmap = table_offset(data, "cmap");
    ttf_font *font;
    assert_int_equal(ttf_parse(data, len, &font), WR_OK);
    ttf_free(font);
    uint8_t saved[4];
    memcpy(saved, data + cmap + 8, 4);
    static const uint8_t beyond[4] = {0, 0, 0x10, 0}; /* subtable at 4096: beyond the file */
    memcpy(data + cmap + 8, beyond, 4);
    assert_int_equal(ttf_parse(data, len, &font), WR_EINVAL);
    memcpy(data + cmap + 8, saved, 4);
    size_t sub = cmap + be32(data + cmap + 8);
    data[sub + 12] = 0x01; /* 16 million groups */
    assert_int_equal(ttf_parse(data, len, &font), WR_EINVAL);
    assert_null(font);
    free(data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_seeds),        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_bad_glyphs),         cmocka_unit_test(test_nesting_depth),
        cmocka_unit_test(test_cmap_outside_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
