/* test-codeview.c — the QR size targets against libqrencode, the size report, code text
 * from the command line and from a PNG, and the fields printed for a person. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tag-reader/codeview.h"
#include "tag-reader/qr.h"

static int version_for(size_t chars)
{
    char *text = malloc(chars + 1);
    assert_non_null(text);
    memset(text, 'A', chars);
    text[chars] = '\0';
    qr_matrix m;
    assert_int_equal(qr_encode(text, QR_LEVEL_Q, &m), WR_OK);
    int v = m.version;
    qr_matrix_deinit(&m);
    free(text);
    return v;
}

/* The capacities in code.h are what libqrencode really fits at level Q. */
static void test_target_capacities(void **state)
{
    (void)state;
    assert_int_equal(version_for(CODE_MACHINE_QR_CAPACITY), CODE_MACHINE_QR_VERSION);
    assert_int_equal(version_for(CODE_MACHINE_QR_CAPACITY + 1), CODE_MACHINE_QR_VERSION + 1);
    assert_int_equal(version_for(CODE_WELDER_QR_CAPACITY), CODE_WELDER_QR_VERSION);
    assert_int_equal(version_for(CODE_WELDER_QR_CAPACITY + 1), CODE_WELDER_QR_VERSION + 1);
}

static void test_qr_report(void **state)
{
    (void)state;
    char line[256];
    codeview_qr_report(CODE_MACHINE, 200, 10, line, sizeof(line));
    assert_string_equal(line, "QR version 10-Q (57x57 modules) for 200 characters; a machine "
                              "code takes at most 10-Q");
    codeview_qr_report(CODE_WELDER, 255, 11, line, sizeof(line));
    assert_string_equal(line, "QR version 11-Q (61x61 modules) for 255 characters; a welder "
                              "code takes at most 11-Q");
}

/* ---- Worst-case sizes --------------------------------------------------------------------- */

static void fill(char *dst, char c, size_t n)
{
    memset(dst, c, n);
    dst[n] = '\0';
}

/* Issues @p c, checks the QR version libqrencode takes for it at level Q against @p max_version
 * and returns the COSE size; 0 if code_issue() refuses it as too big. */
static size_t issue_and_measure(const code_claims *c, EVP_PKEY *key, int max_version)
{
    char text[CODE_TEXT_MAX + 1];
    wr_status st = code_issue(c, key, text, sizeof(text));
    if (st == WR_ETOOBIG)
        return 0;
    assert_int_equal(st, WR_OK);
    qr_matrix m;
    assert_int_equal(qr_encode(text, QR_LEVEL_Q, &m), WR_OK);
    assert_true(m.version <= max_version);
    qr_matrix_deinit(&m);
    code_parsed parsed;
    assert_int_equal(code_decode(text, strlen(text), &parsed), WR_OK);
    return parsed.cose_len;
}

/* The longest welder code: every field at its maximum, times near 2^32, the widest UTF-8 name
 * character, all three categories. It fits its QR symbol with both algorithms, with the 8 bytes
 * format 3 took off the code id to spare. */
static void test_worst_case_welder(void **state)
{
    (void)state;
    const int64_t algs[] = {COSE_ALG_EDDSA, COSE_ALG_ES256};
    for (size_t a = 0; a < 2; a++) {
        EVP_PKEY *key = NULL;
        assert_int_equal(cose_key_generate(algs[a], &key), WR_OK);
        code_claims w;
        memset(&w, 0, sizeof(w));
        w.kind = CODE_WELDER;
        fill(w.iss, 'z', CODE_ISS_MAX);
        memset(w.cti, 0xff, sizeof(w.cti));
        fill(w.lic, '*', CODE_LIC_MAX);
        memcpy(w.lic + CODE_LIC_MAX - 4, "123X", 4);
        w.lic[0] = 'T';
        strcpy(w.nm, "\xf0\xa0\x80\x80*");
        w.cats = CODE_CAT_ALL;
        w.iat = CODE_TIME_MAX - CODE_WELDER_MAX_LIFETIME;
        w.exp = w.lvu = CODE_TIME_MAX;
        assert_int_equal(issue_and_measure(&w, key, CODE_WELDER_QR_VERSION),
                         CODE_WELDER_COSE_MAX - 8);
        EVP_PKEY_free(key);
    }
}

/* The longest chip id of character @p ch a machine code takes with an issuer of @p iss_len
 * characters and enterprise number @p ent: every longer one is refused as too big, every code
 * issued fits. */
static size_t longest_chip(EVP_PKEY *key, size_t iss_len, uint64_t ent, char ch)
{
    code_claims m;
    memset(&m, 0, sizeof(m));
    m.kind = CODE_MACHINE;
    fill(m.iss, 'z', iss_len);
    memset(m.cti, 0xff, sizeof(m.cti));
    m.ent = ent;
    m.cat = CODE_CAT_BRAZING;
    m.iat = CODE_TIME_MAX - CODE_MACHINE_MAX_LIFETIME;
    m.exp = CODE_TIME_MAX;
    size_t len = 0;
    for (size_t n = 1; n <= CODE_CHIP_MAX; n++) {
        fill(m.chip, ch, n);
        if (issue_and_measure(&m, key, CODE_MACHINE_QR_VERSION) == 0)
            break;
        len = n;
    }
    return len;
}

/* Machine codes: a chip id of digits only (IMEI, ICCID) of up to 20 digits always fits; other
 * chip ids, the issuer and the enterprise number share what the signature leaves of 10-Q. */
static void test_machine_size_budget(void **state)
{
    (void)state;
    EVP_PKEY *key = NULL;
    assert_int_equal(cose_key_generate(COSE_ALG_EDDSA, &key), WR_OK);
    print_message("longest chip id of a machine code by issuer length, digits only / others "
                  "for an enterprise number below 2^16 / others below 2^32:\n");
    for (size_t iss = 1; iss <= CODE_ISS_MAX; iss++) {
        size_t digits = longest_chip(key, iss, CODE_ENT_MAX, '9');
        size_t small = longest_chip(key, iss, 65535, 'W');
        size_t large = longest_chip(key, iss, CODE_ENT_MAX, 'W');
        print_message("  issuer of %2zu: %2zu / %2zu / %2zu\n", iss, digits, small, large);
        assert_int_equal(digits, CODE_CHIP_MAX);
        /* every byte the issuer or the enterprise number takes is one less for the chip */
        assert_int_equal(small, 23 - iss < CODE_CHIP_MAX ? 23 - iss : CODE_CHIP_MAX);
        assert_int_equal(large, 21 - iss < CODE_CHIP_MAX ? 21 - iss : CODE_CHIP_MAX);
    }
    EVP_PKEY_free(key);
}

static char *issue_code(void)
{
    EVP_PKEY *key = NULL;
    assert_int_equal(cose_key_generate(COSE_ALG_EDDSA, &key), WR_OK);
    code_claims c;
    memset(&c, 0, sizeof(c));
    c.kind = CODE_MACHINE;
    strcpy(c.iss, "test");
    c.iat = 1800000000;
    c.exp = c.iat + 86400;
    memset(c.cti, 0xab, sizeof(c.cti));
    strcpy(c.chip, "WR-0042");
    c.ent = 4217;
    c.cat = CODE_CAT_PRESSURE;
    char *text = malloc(CODE_TEXT_MAX + 1);
    assert_non_null(text);
    assert_int_equal(code_issue(&c, key, text, CODE_TEXT_MAX + 1), WR_OK);
    EVP_PKEY_free(key);
    return text;
}

static void test_text_from_png_and_print(void **state)
{
    (void)state;
    char *code = issue_code();
    char path[] = "/tmp/weldtag-codeview-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *out = fdopen(fd, "wb");
    qr_matrix m;
    assert_int_equal(qr_encode(code, QR_LEVEL_Q, &m), WR_OK);
    assert_int_equal(qr_write_png(&m, 3, QR_QUIET_MODULES, out), WR_OK);
    assert_int_equal(fclose(out), 0);
    qr_matrix_deinit(&m);
    char text[CODE_TEXT_MAX + 1], err[256];
    assert_int_equal(codeview_get_text(NULL, path, text, sizeof(text), err, sizeof(err)), 0);
    assert_string_equal(text, code);
    remove(path);
    assert_int_equal(codeview_get_text(NULL, path, text, sizeof(text), err, sizeof(err)), -1);
    assert_non_null(strstr(err, "could not read image"));

    code_parsed parsed;
    assert_int_equal(code_decode(text, strlen(text), &parsed), WR_OK);
    char *printed = NULL;
    size_t printed_len = 0;
    FILE *mem = open_memstream(&printed, &printed_len);
    codeview_print(mem, &parsed);
    assert_int_equal(fclose(mem), 0);
    assert_non_null(strstr(printed, "chip:        WR-0042\n"));
    assert_non_null(strstr(printed, "process:     pressure\n"));
    assert_non_null(strstr(printed, "enterprise:  4217 (registry number)\n"));
    assert_non_null(strstr(printed, "code id:     abababababababab\n"));
    free(printed);
    free(code);
}

static void test_text_too_long(void **state)
{
    (void)state;
    char text[8], err[128];
    assert_int_equal(codeview_get_text("WR3:ABCDEFGH", NULL, text, sizeof(text), err, 128), -1);
    assert_non_null(strstr(err, "at most"));
    assert_int_equal(codeview_get_text("WR3:AB", NULL, text, sizeof(text), err, 128), 0);
    assert_string_equal(text, "WR3:AB");
}

int main(void)
{
    setenv("TZ", "UTC", 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_target_capacities),       cmocka_unit_test(test_qr_report),
        cmocka_unit_test(test_worst_case_welder),       cmocka_unit_test(test_machine_size_budget),
        cmocka_unit_test(test_text_from_png_and_print), cmocka_unit_test(test_text_too_long),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
