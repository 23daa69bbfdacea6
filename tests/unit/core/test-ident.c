/* test-ident.c — unit tests of ID-card number and unified social credit code validation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/ident.h"

/* The example of GB 11643-1999 itself, and two more with check characters computed by hand
 * (weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2, MOD 11-2). */
static const char *const valid_idcards[] = {"11010519491231002X", "440524188001010014",
                                            "41010519900307123X", "110105200002290013"};
/* The widely published sample code, one computed for an all-zero organisation part, and one
 * whose weighted sum is a multiple of 31 (check character '0', not 31). */
static const char *const valid_usccs[] = {"91350100M000100Y43", "91110000100000000R",
                                          "91440300MA5FW00000"};

static const char idcard_chars[] = "0123456789X";
static const char uscc_chars[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";

static wr_status check_idcard(const char *s, char *why, size_t whylen)
{
    return ident_idcard_check(s, strlen(s), why, whylen);
}

static void test_idcard_valid(void **state)
{
    (void)state;
    char why[128] = "";
    for (size_t i = 0; i < sizeof(valid_idcards) / sizeof(valid_idcards[0]); i++) {
        assert_int_equal(check_idcard(valid_idcards[i], why, sizeof(why)), WR_OK);
        assert_int_equal(ident_idcard_check_char(valid_idcards[i]), valid_idcards[i][17]);
    }
    /* NULL why is allowed. */
    assert_int_equal(check_idcard(valid_idcards[0], NULL, 0), WR_OK);
}

static void test_idcard_every_substitution_detected(void **state)
{
    (void)state;
    for (size_t k = 0; k < sizeof(valid_idcards) / sizeof(valid_idcards[0]); k++) {
        for (size_t pos = 0; pos < 18; pos++) {
            for (const char *c = idcard_chars; *c; c++) {
                char copy[19];
                memcpy(copy, valid_idcards[k], 19);
                if (copy[pos] == *c)
                    continue;
                copy[pos] = *c;
                assert_int_equal(check_idcard(copy, NULL, 0), WR_EINVAL);
            }
        }
    }
}

static void test_idcard_messages(void **state)
{
    (void)state;
    char why[128];
    assert_int_equal(check_idcard("11010519491231002", why, sizeof(why)), WR_EINVAL);
    assert_string_equal(why, "ID card number must be 18 characters long");
    assert_int_equal(check_idcard("1101051949123100 X", why, sizeof(why)), WR_EINVAL);
    assert_string_equal(why, "ID card number must have digits in its first 17 places");
    assert_int_equal(check_idcard("11010519491231002x", why, sizeof(why)), WR_EINVAL);
    assert_string_equal(why, "last character of ID card number must be a digit or an upper-case X");
    assert_int_equal(check_idcard("110105194912310021", why, sizeof(why)), WR_EINVAL);
    assert_string_equal(why, "check digit does not match");
    /* 29 February only in leap years; month 13 and day 0 are never real. */
    const char *bad_dates[] = {"110105190002290010", "110105194913010010", "110105194912000010",
                               "110105179912310010"};
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(check_idcard(bad_dates[i], why, sizeof(why)), WR_EINVAL);
        assert_string_equal(why, "birth date in ID card number is not a real date");
    }
    /* A short buffer truncates, never overflows. */
    char tiny[6];
    assert_int_equal(check_idcard("110105194912310021", tiny, sizeof(tiny)), WR_EINVAL);
    assert_string_equal(tiny, "check");
    assert_int_equal(ident_idcard_check(NULL, 18, why, sizeof(why)), WR_EINVAL);
}

static void test_idcard_message_never_echoes_number(void **state)
{
    (void)state;
    const char *inputs[] = {"110105194912310021", "11010519491331002X", "1101051949123100AX"};
    for (size_t i = 0; i < 3; i++) {
        char why[256];
        assert_int_equal(check_idcard(inputs[i], why, sizeof(why)), WR_EINVAL);
        for (size_t start = 0; start + 4 <= 18; start++) {
            char part[5];
            memcpy(part, inputs[i] + start, 4);
            part[4] = '\0';
            assert_null(strstr(why, part));
        }
    }
}

static void test_idcard_mask(void **state)
{
    (void)state;
    char out[IDENT_IDCARD_MASK_SIZE];
    assert_int_equal(ident_idcard_mask("11010519491231002X", 18, out, sizeof(out)), WR_OK);
    assert_string_equal(out, "1101**********002X");
    assert_int_equal(ident_idcard_mask("11010519491231002X", 18, out, sizeof(out) - 1), WR_ESPACE);
    assert_int_equal(ident_idcard_mask("1101051949123100X2", 18, out, sizeof(out)), WR_EINVAL);
    assert_string_equal(out, "");
    assert_int_equal(ident_idcard_mask("1101051949123100", 16, out, sizeof(out)), WR_EINVAL);
    assert_int_equal(ident_idcard_mask(NULL, 18, out, sizeof(out)), WR_EINVAL);
}

static void test_uscc_valid(void **state)
{
    (void)state;
    char why[160] = "";
    for (size_t i = 0; i < sizeof(valid_usccs) / sizeof(valid_usccs[0]); i++) {
        assert_int_equal(ident_uscc_check(valid_usccs[i], 18, why, sizeof(why)), WR_OK);
        assert_int_equal(ident_uscc_check_char(valid_usccs[i]), valid_usccs[i][17]);
    }
}

static void test_uscc_every_substitution_detected(void **state)
{
    (void)state;
    for (size_t k = 0; k < sizeof(valid_usccs) / sizeof(valid_usccs[0]); k++) {
        for (size_t pos = 0; pos < 18; pos++) {
            for (const char *c = uscc_chars; *c; c++) {
                char copy[19];
                memcpy(copy, valid_usccs[k], 19);
                if (copy[pos] == *c)
                    continue;
                copy[pos] = *c;
                assert_int_equal(ident_uscc_check(copy, 18, NULL, 0), WR_EINVAL);
            }
        }
    }
}

static void test_uscc_messages(void **state)
{
    (void)state;
    char why[160];
    assert_int_equal(ident_uscc_check("91350100M000100Y4", 17, why, sizeof(why)), WR_EINVAL);
    assert_string_equal(why, "unified social credit code must be 18 characters long");
    /* I, O, S, V, Z and lower case are outside the alphabet. */
    const char *bad_chars[] = {"91350100M000100I43", "91350100M000100O43", "91350100M000100S43",
                               "91350100M000100V43", "91350100M000100Z43", "91350100m000100Y43"};
    for (size_t i = 0; i < 6; i++) {
        assert_int_equal(ident_uscc_check(bad_chars[i], 18, why, sizeof(why)), WR_EINVAL);
        assert_non_null(strstr(why, "may contain only digits"));
    }
    assert_int_equal(ident_uscc_check("913501A0M000100Y43", 18, why, sizeof(why)), WR_EINVAL);
    assert_string_equal(why, "administrative division in unified social credit code must be 6 "
                             "digits");
    assert_int_equal(ident_uscc_check("91350100M000100Y44", 18, why, sizeof(why)), WR_EINVAL);
    assert_string_equal(why, "check character does not match");
    assert_int_equal(ident_uscc_check_char("91350100M00010OY4"), '\0');
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_idcard_valid),
        cmocka_unit_test(test_idcard_every_substitution_detected),
        cmocka_unit_test(test_idcard_messages),
        cmocka_unit_test(test_idcard_message_never_echoes_number),
        cmocka_unit_test(test_idcard_mask),
        cmocka_unit_test(test_uscc_valid),
        cmocka_unit_test(test_uscc_every_substitution_detected),
        cmocka_unit_test(test_uscc_messages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
