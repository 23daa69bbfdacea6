/* test-tag-codeview.c — the QR size targets against libqrencode, the size report, code text
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

/* The capacities in codeview.h are what libqrencode really fits at level Q. */
static void test_target_capacities(void **state)
{
    (void)state;
    assert_int_equal(version_for(CODEVIEW_MACHINE_TARGET_CAPACITY),
                     CODEVIEW_MACHINE_TARGET_VERSION);
    assert_int_equal(version_for(CODEVIEW_MACHINE_TARGET_CAPACITY + 1),
                     CODEVIEW_MACHINE_TARGET_VERSION + 1);
    assert_int_equal(version_for(CODEVIEW_WELDER_TARGET_CAPACITY), CODEVIEW_WELDER_TARGET_VERSION);
    assert_int_equal(version_for(CODEVIEW_WELDER_TARGET_CAPACITY + 1),
                     CODEVIEW_WELDER_TARGET_VERSION + 1);
}

static void test_qr_report(void **state)
{
    (void)state;
    char line[256];
    codeview_qr_report(CODE_MACHINE, 200, 10, line, sizeof(line));
    assert_string_equal(line,
                        "QR version 10-Q (57x57 modules) for 200 characters; target 10-Q: met");
    codeview_qr_report(CODE_WELDER, 370, 14, line, sizeof(line));
    assert_string_equal(line, "QR version 14-Q (73x73 modules) for 370 characters; target 11-Q: "
                              "NOT met, 111 characters over its 259 (about 74 bytes of the "
                              "signed code)");
}

static char *issue_code(void)
{
    EVP_PKEY *key = NULL;
    assert_int_equal(cose_key_generate(COSE_ALG_EDDSA, &key), WR_OK);
    code_claims c;
    memset(&c, 0, sizeof(c));
    c.kind = CODE_MACHINE;
    strcpy(c.iss, "weldreg:test");
    c.iat = 1800000000;
    c.exp = c.iat + 86400;
    memset(c.cti, 0xab, sizeof(c.cti));
    strcpy(c.chip, "WR-0042");
    strcpy(c.ent, "91370100MA3C1234X5");
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
    assert_non_null(strstr(printed, "code id:     abababababababababababababababab\n"));
    free(printed);
    free(code);
}

static void test_text_too_long(void **state)
{
    (void)state;
    char text[8], err[128];
    assert_int_equal(codeview_get_text("WR1:ABCDEFGH", NULL, text, sizeof(text), err, 128), -1);
    assert_non_null(strstr(err, "at most"));
    assert_int_equal(codeview_get_text("WR1:AB", NULL, text, sizeof(text), err, 128), 0);
    assert_string_equal(text, "WR1:AB");
}

int main(void)
{
    setenv("TZ", "UTC", 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_target_capacities),
        cmocka_unit_test(test_qr_report),
        cmocka_unit_test(test_text_from_png_and_print),
        cmocka_unit_test(test_text_too_long),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
