/* test-trust.c — the trust list and revocation list parsers: valid lists, lookups, and a clear,
 * line-numbered error for each kind of bad line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/trust.h"

#define TEXT_MAX 4096

typedef struct fixture {
    EVP_PKEY *ed;
    EVP_PKEY *ec;
    char ed_line[256];
    char ec_line[256];
} fixture;

static int setup(void **state)
{
    static fixture f;
    memset(&f, 0, sizeof(f));
    if (cose_key_generate(COSE_ALG_EDDSA, &f.ed) != WR_OK ||
        cose_key_generate(COSE_ALG_ES256, &f.ec) != WR_OK)
        return -1;
    if (trust_format_key(f.ed, 1000, 2000, TRUST_TYPE_MACHINE, f.ed_line, sizeof(f.ed_line)) ||
        trust_format_key(f.ec, 1500, 3000, TRUST_TYPE_MACHINE | TRUST_TYPE_WELDER, f.ec_line,
                         sizeof(f.ec_line)))
        return -1;
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    EVP_PKEY_free(f->ed);
    EVP_PKEY_free(f->ec);
    return 0;
}

/* Parses @p text, expecting failure; checks the status and the exact message. */
static void assert_trust_error(const char *text, wr_status want, const char *message)
{
    trust_list *list = (trust_list *)1;
    trust_error err;
    memset(&err, 0, sizeof(err));
    assert_int_equal(trust_list_parse(text, strlen(text), &list, &err), want);
    assert_null(list);
    assert_string_equal(err.message, message);
}

static void test_parse_and_find(void **state)
{
    fixture *f = *state;
    char text[TEXT_MAX];
    snprintf(text, sizeof(text), "# weldreg trust list\n\n%s  \t\n# rotation: both valid\r\n%s",
             f->ed_line, f->ec_line);
    text[strlen(text) - 1] = '\0'; /* no newline after the last line */
    trust_list *list = NULL;
    trust_error err;
    assert_int_equal(trust_list_parse(text, strlen(text), &list, &err), WR_OK);
    assert_int_equal(list->count, 2);

    uint8_t kid[COSE_KID_LEN];
    assert_int_equal(cose_key_id(f->ec, kid), WR_OK);
    const trust_key *k = trust_list_find(list, kid, sizeof(kid));
    assert_non_null(k);
    assert_int_equal(k->alg, COSE_ALG_ES256);
    assert_int_equal(k->not_before, 1500);
    assert_int_equal(k->not_after, 3000);
    assert_int_equal(k->types, TRUST_TYPE_MACHINE | TRUST_TYPE_WELDER);
    assert_int_equal(EVP_PKEY_eq(k->pkey, f->ec), 1);

    assert_int_equal(cose_key_id(f->ed, kid), WR_OK);
    k = trust_list_find(list, kid, sizeof(kid));
    assert_non_null(k);
    assert_int_equal(k->alg, COSE_ALG_EDDSA);
    assert_int_equal(EVP_PKEY_eq(k->pkey, f->ed), 1);
    assert_true(trust_key_allows(k, TRUST_TYPE_MACHINE, 1000));
    assert_true(trust_key_allows(k, TRUST_TYPE_MACHINE, 2000));
    assert_false(trust_key_allows(k, TRUST_TYPE_MACHINE, 999));
    assert_false(trust_key_allows(k, TRUST_TYPE_MACHINE, 2001));
    assert_false(trust_key_allows(k, TRUST_TYPE_WELDER, 1500));
    assert_false(trust_key_allows(k, 0, 1500));

    kid[0] ^= 1;
    assert_null(trust_list_find(list, kid, sizeof(kid)));
    assert_null(trust_list_find(list, kid, 7));
    assert_null(trust_list_find(NULL, kid, sizeof(kid)));
    trust_list_destroy(list);
    trust_list_destroy(NULL);

    assert_int_equal(trust_list_parse("# nothing\n\n", 11, &list, NULL), WR_OK);
    assert_int_equal(list->count, 0);
    trust_list_destroy(list);
}

/* Replaces field @p field (0-based) of @p line_in by @p value. */
static void with_field(const char *line_in, int field, const char *value, char *out, size_t cap)
{
    char copy[256];
    snprintf(copy, sizeof(copy), "%s", line_in);
    copy[strcspn(copy, "\n")] = '\0';
    out[0] = '\0';
    int i = 0;
    for (char *tok = strtok(copy, " "); tok; tok = strtok(NULL, " "), i++) {
        size_t used = strlen(out);
        snprintf(out + used, cap - used, "%s%s", i ? " " : "", i == field ? value : tok);
    }
}

static void test_errors(void **state)
{
    fixture *f = *state;
    char text[TEXT_MAX], line[256];

    with_field(f->ed_line, 1, "rsa", line, sizeof(line));
    snprintf(text, sizeof(text), "# keys\n%s%s\n", f->ec_line, line);
    assert_trust_error(text, WR_EINVAL, "line 3: unknown algorithm \"rsa\"");

    with_field(f->ed_line, 0, "00112233445566zz", line, sizeof(line));
    assert_trust_error(line, WR_EINVAL,
                       "line 1: invalid key id \"00112233445566zz\": expected 16 hex digits");

    with_field(f->ed_line, 0, "0011223344556677", line, sizeof(line));
    assert_trust_error(line, WR_EKEY,
                       "line 1: key id \"0011223344556677\" does not match the public key");

    with_field(f->ed_line, 1, "es256", line, sizeof(line));
    assert_trust_error(line, WR_EKEY, "line 1: public key is not a valid es256 key");

    with_field(f->ed_line, 2, "-5", line, sizeof(line));
    assert_trust_error(line, WR_EINVAL, "line 1: invalid time \"-5\": expected unix seconds");

    with_field(f->ed_line, 3, "18446744073709551616", line, sizeof(line));
    assert_trust_error(line, WR_EINVAL,
                       "line 1: invalid time \"18446744073709551616\": expected unix seconds");

    with_field(f->ed_line, 3, "999", line, sizeof(line));
    assert_trust_error(line, WR_ERANGE, "line 1: not_before is after not_after");

    with_field(f->ed_line, 4, "wm", line, sizeof(line));
    assert_trust_error(line, WR_EINVAL, "line 1: unknown code types \"wm\": expected m, w or mw");

    with_field(f->ed_line, 5, "AAAA", line, sizeof(line));
    assert_trust_error(line, WR_EKEY, "line 1: public key is not a valid ed25519 key");

    with_field(f->ed_line, 5, "not*base64=", line, sizeof(line));
    assert_trust_error(line, WR_EINVAL,
                       "line 1: invalid public key \"not*base64=\": expected base64");

    assert_trust_error("a b c\n", WR_EINVAL, "line 1: expected 6 fields, found 3");
    snprintf(text, sizeof(text), "%.*s extra\n", (int)strcspn(f->ed_line, "\n"), f->ed_line);
    assert_trust_error(text, WR_EINVAL, "line 1: expected 6 fields, found 7");

    snprintf(text, sizeof(text), "%s\n%s", f->ed_line, f->ed_line);
    assert_trust_error(text, WR_EINVAL, "line 3: duplicate key id");

    char with_nul[] = "# a\n# b\0c\n";
    trust_list *list = NULL;
    trust_error err;
    assert_int_equal(trust_list_parse(with_nul, sizeof(with_nul) - 1, &list, &err), WR_EINVAL);
    assert_string_equal(err.message, "line 2: contains a NUL byte");
    assert_int_equal(err.line, 2);

    /* Unprintable bytes are not echoed, and long tokens are cut. */
    with_field(f->ed_line, 1, "\x1b[31mrsa-with-a-very-long-name-that-goes-on-and-on", line,
               sizeof(line));
    assert_trust_error(line, WR_EINVAL,
                       "line 1: unknown algorithm \"?[31mrsa-with-a-very-long-name-that-goes...\"");
}

/* Parses the Ed25519 line with its key replaced by @p b64: must be refused as not base64. */
static void assert_not_base64(const fixture *f, const char *b64)
{
    char line[256];
    with_field(f->ed_line, 5, b64, line, sizeof(line));
    trust_list *list = NULL;
    trust_error err;
    assert_int_equal(trust_list_parse(line, strlen(line), &list, &err), WR_EINVAL);
    assert_null(list);
    assert_true(strncmp(err.message, "line 1: invalid public key \"", 28) == 0);
}

static void test_base64_strictness(void **state)
{
    fixture *f = *state;
    const char *orig = strrchr(f->ed_line, ' ') + 1;
    char b64[128];
    assert_int_equal(strcspn(orig, "\n"), 44); /* 32 bytes: 43 characters and one '=' */
    assert_int_equal(orig[43], '=');
    snprintf(b64, sizeof(b64), "%.43s", orig); /* padding missing */
    assert_not_base64(f, b64);
    /* padding wrong: "xy==" would be one byte, so y's low 4 bits are made non-zero to keep the
     * text invalid base64 whatever the random key is (else it decodes to a 31-byte key) */
    snprintf(b64, sizeof(b64), "%.42s==", orig);
    const char *alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    b64[41] = alphabet[(size_t)(strchr(alphabet, b64[41]) - alphabet) | 1];
    assert_not_base64(f, b64);
    snprintf(b64, sizeof(b64), "%.20s=%.23s", orig, orig + 21); /* '=' inside */
    assert_not_base64(f, b64);
    snprintf(b64, sizeof(b64), "%.44s", orig);
    /* The last character before '=' carries 4 bits of key and 2 unused bits, which must be 0. */
    size_t v = (size_t)(strchr(alphabet, b64[42]) - alphabet);
    assert_int_equal(v & 3, 0);
    b64[42] = alphabet[v | 1];
    assert_not_base64(f, b64);
    assert_not_base64(f, "====");
}

static void assert_revocation_error(const char *text, const char *message)
{
    revocation_list *list = (revocation_list *)1;
    trust_error err;
    assert_int_equal(trust_revocations_parse(text, strlen(text), &list, &err), WR_EINVAL);
    assert_null(list);
    assert_string_equal(err.message, message);
}

static void test_revocations(void **state)
{
    (void)state;
    const char *text = "# revoked codes\nversion 42\n"
                       "ffffffffffffffff\n"
                       "0000000000000001\n"
                       "\n"
                       "0123456789ABcdef\r\n"
                       "0000000000000001\n";
    revocation_list *list = NULL;
    trust_error err;
    assert_int_equal(trust_revocations_parse(text, strlen(text), &list, &err), WR_OK);
    assert_int_equal(list->version, 42);
    assert_int_equal(list->count, 3); /* the duplicate is merged */
    for (size_t i = 1; i < list->count; i++)
        assert_true(memcmp(list->ctis[i - 1], list->ctis[i], TRUST_CTI_LEN) < 0);
    uint8_t cti[TRUST_CTI_LEN] = {0};
    cti[TRUST_CTI_LEN - 1] = 1;
    assert_true(trust_revocations_contains(list, cti));
    cti[TRUST_CTI_LEN - 1] = 2;
    assert_false(trust_revocations_contains(list, cti));
    memset(cti, 0xff, sizeof(cti));
    assert_true(trust_revocations_contains(list, cti));
    const uint8_t mixed[TRUST_CTI_LEN] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef};
    assert_true(trust_revocations_contains(list, mixed));
    trust_revocations_destroy(list);
    trust_revocations_destroy(NULL);
    assert_false(trust_revocations_contains(NULL, cti));

    assert_int_equal(trust_revocations_parse("version 0", 9, &list, &err), WR_OK);
    assert_int_equal(list->count, 0);
    assert_false(trust_revocations_contains(list, cti));
    trust_revocations_destroy(list);

    assert_revocation_error("", "missing \"version\" line");
    assert_revocation_error("# only a comment\n", "missing \"version\" line");
    assert_revocation_error("version\n", "line 1: expected \"version <number>\"");
    assert_revocation_error("version x\n", "line 1: expected \"version <number>\"");
    assert_revocation_error("0123456789abcdef\n", "line 1: expected \"version <number>\"");
    assert_revocation_error("version 1\n0123\n",
                            "line 2: invalid code id \"0123\": expected 16 hex digits");
    assert_revocation_error("version 1\n\n0123456789abcdeg\n",
                            "line 3: invalid code id \"0123456789abcdeg\": expected 16 hex digits");
    assert_revocation_error("version 1\n0123456789abcdef0123456789abcdef\n",
                            "line 2: invalid code id \"0123456789abcdef0123456789abcdef\": "
                            "expected 16 hex digits");
    assert_revocation_error("version 1\n0123456789abcdef x\n",
                            "line 2: invalid code id \"0123456789abcdef\": expected 16 hex digits");
}

static void test_format_key(void **state)
{
    fixture *f = *state;
    char out[256];
    assert_int_equal(trust_format_key(f->ed, 1, 2, 0, out, sizeof(out)), WR_EINVAL);
    assert_int_equal(trust_format_key(f->ed, 1, 2, 4, out, sizeof(out)), WR_EINVAL);
    assert_int_equal(trust_format_key(f->ed, 3, 2, 1, out, sizeof(out)), WR_EINVAL);
    assert_int_equal(trust_format_key(f->ed, 1, 2, 1, out, 20), WR_ESPACE);
    assert_int_equal(trust_format_key(f->ec, 1, 2, TRUST_TYPE_WELDER, out, sizeof(out)), WR_OK);
    assert_non_null(strstr(out, " es256 1 2 w "));
    assert_int_equal(strlen(out), 16 + 1 + 5 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 88 + 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_and_find),    cmocka_unit_test(test_errors),
        cmocka_unit_test(test_base64_strictness), cmocka_unit_test(test_revocations),
        cmocka_unit_test(test_format_key),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
