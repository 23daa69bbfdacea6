/* test-cbor.c — the CBOR encoder and decoder against RFC 8949 Appendix A, and malformed input. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/cbor.h"

#define MAX_VECTOR 64

/* Parses @p hex into @p out (at most MAX_VECTOR bytes); returns the length. */
static size_t unhex(const char *hex, uint8_t *out)
{
    size_t n = strlen(hex) / 2;
    assert_true(n <= MAX_VECTOR);
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
        out[i] = (uint8_t)v;
    }
    return n;
}

static void assert_written(const cbor_writer *w, const char *hex)
{
    uint8_t want[MAX_VECTOR];
    size_t n = unhex(hex, want);
    assert_int_equal(cbor_writer_status(w), WR_OK);
    assert_int_equal(w->len, n);
    assert_memory_equal(w->buf, want, n);
}

/* ---- Appendix A: integers ---------------------------------------------------------------- */

static const struct {
    int negative; /* value = negative ? -1 - n : n */
    uint64_t n;
    const char *hex;
} int_vectors[] = {
    {0, 0, "00"},
    {0, 1, "01"},
    {0, 10, "0a"},
    {0, 23, "17"},
    {0, 24, "1818"},
    {0, 25, "1819"},
    {0, 100, "1864"},
    {0, 1000, "1903e8"},
    {0, 1000000, "1a000f4240"},
    {0, 1000000000000, "1b000000e8d4a51000"},
    {0, UINT64_MAX, "1bffffffffffffffff"},
    {1, UINT64_MAX, "3bffffffffffffffff"}, /* -18446744073709551616 */
    {1, 0, "20"},                          /* -1 */
    {1, 9, "29"},                          /* -10 */
    {1, 99, "3863"},                       /* -100 */
    {1, 999, "3903e7"},                    /* -1000 */
};

static void test_encode_integers(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(int_vectors) / sizeof(int_vectors[0]); i++) {
        uint8_t buf[16];
        cbor_writer w;
        cbor_writer_init(&w, buf, sizeof(buf));
        if (!int_vectors[i].negative)
            cbor_put_uint(&w, int_vectors[i].n);
        else if (int_vectors[i].n <= INT64_MAX)
            cbor_put_int(&w, -1 - (int64_t)int_vectors[i].n);
        else
            continue; /* below INT64_MIN: decode only */
        assert_written(&w, int_vectors[i].hex);
    }
}

static void test_decode_integers(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(int_vectors) / sizeof(int_vectors[0]); i++) {
        uint8_t buf[MAX_VECTOR];
        size_t n = unhex(int_vectors[i].hex, buf);
        cbor_reader r;
        cbor_item item;
        cbor_reader_init(&r, buf, n);
        assert_int_equal(cbor_read(&r, &item), WR_OK);
        assert_int_equal(item.type, int_vectors[i].negative ? CBOR_NEGINT : CBOR_UINT);
        assert_true(item.val == int_vectors[i].n);
        assert_true(cbor_reader_at_end(&r));
    }
}

static void test_encode_int_extremes(void **state)
{
    (void)state;
    uint8_t buf[32];
    cbor_writer w;
    cbor_writer_init(&w, buf, sizeof(buf));
    cbor_put_int(&w, INT64_MIN);
    cbor_put_int(&w, INT64_MAX);
    assert_written(&w, "3b7fffffffffffffff1b7fffffffffffffff");
}

/* ---- Appendix A: floats ------------------------------------------------------------------ */

static const struct {
    double d;
    const char *hex;
} float_vectors[] = {
    {0.0, "f90000"},
    {-0.0, "f98000"},
    {1.0, "f93c00"},
    {1.1, "fb3ff199999999999a"},
    {1.5, "f93e00"},
    {65504.0, "f97bff"},
    {100000.0, "fa47c35000"},
    {3.4028234663852886e+38, "fa7f7fffff"},
    {1.0e+300, "fb7e37e43c8800759c"},
    {5.960464477539063e-8, "f90001"},
    {0.00006103515625, "f90400"},
    {-4.0, "f9c400"},
    {-4.1, "fbc010666666666666"},
    {INFINITY, "f97c00"},
    {-INFINITY, "f9fc00"},
};

static void test_encode_floats(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(float_vectors) / sizeof(float_vectors[0]); i++) {
        uint8_t buf[16];
        cbor_writer w;
        cbor_writer_init(&w, buf, sizeof(buf));
        cbor_put_double(&w, float_vectors[i].d);
        assert_written(&w, float_vectors[i].hex);
    }
    uint8_t buf[16];
    cbor_writer w;
    cbor_writer_init(&w, buf, sizeof(buf));
    cbor_put_double(&w, NAN);
    assert_written(&w, "f97e00");
}

static void test_decode_floats(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(float_vectors) / sizeof(float_vectors[0]); i++) {
        uint8_t buf[MAX_VECTOR];
        size_t n = unhex(float_vectors[i].hex, buf);
        cbor_reader r;
        double d = 12345.0;
        cbor_reader_init(&r, buf, n);
        assert_int_equal(cbor_read_double(&r, &d), WR_OK);
        assert_true(d == float_vectors[i].d);
        assert_int_equal(signbit(d) != 0, signbit(float_vectors[i].d) != 0);
        assert_true(cbor_reader_at_end(&r));
    }
    /* The same infinities and NaNs in the wider forms. */
    static const char *const wide[] = {"fa7f800000", "faff800000", "fb7ff0000000000000",
                                       "fbfff0000000000000"};
    for (size_t i = 0; i < 4; i++) {
        uint8_t buf[MAX_VECTOR];
        size_t n = unhex(wide[i], buf);
        cbor_reader r;
        double d = 0;
        cbor_reader_init(&r, buf, n);
        assert_int_equal(cbor_read_double(&r, &d), WR_OK);
        assert_true(isinf(d));
        assert_int_equal(d < 0, i % 2 == 1);
    }
    static const char *const nans[] = {"f97e00", "fa7fc00000", "fb7ff8000000000000"};
    for (size_t i = 0; i < 3; i++) {
        uint8_t buf[MAX_VECTOR];
        size_t n = unhex(nans[i], buf);
        cbor_reader r;
        double d = 0;
        cbor_reader_init(&r, buf, n);
        assert_int_equal(cbor_read_double(&r, &d), WR_OK);
        assert_true(isnan(d));
    }
}

static void test_encode_float_shortest(void **state)
{
    (void)state;
    uint8_t buf[32];
    cbor_writer w;
    cbor_writer_init(&w, buf, sizeof(buf));
    cbor_put_double(&w, 65505.0);       /* not a half: float32 */
    cbor_put_double(&w, 1.0 / 3.0);     /* needs float64 */
    cbor_put_double(&w, ldexp(1, -24)); /* smallest half subnormal */
    cbor_put_double(&w, ldexp(1, -25)); /* below it: float32 */
    assert_written(&w, "fa477fe100fb3fd5555555555555f90001fa33000000");
}

static void test_read_double_from_integer(void **state)
{
    (void)state;
    uint8_t buf[MAX_VECTOR];
    size_t n = unhex("3903e71b0020000000000000"
                     "1b0020000000000001",
                     buf);
    cbor_reader r;
    double d = 0;
    cbor_reader_init(&r, buf, n);
    assert_int_equal(cbor_read_double(&r, &d), WR_OK);
    assert_true(d == -1000.0);
    assert_int_equal(cbor_read_double(&r, &d), WR_OK);
    assert_true(d == 9007199254740992.0);
    assert_int_equal(cbor_read_double(&r, &d), WR_ERANGE); /* 2^53 + 1 is not exact */
}

/* ---- Appendix A: the other items --------------------------------------------------------- */

/* Valid items from Appendix A that are not plain numbers: each must be skipped exactly. */
static const char *const valid_items[] = {
    "c249010000000000000000",
    "c349010000000000000000",
    "f4",
    "f5",
    "f6",
    "f7",
    "c074323031332d30332d32315432303a30343a30305a",
    "c11a514b67b0",
    "c1fb41d452d9ec200000",
    "d74401020304",
    "d818456449455446",
    "d82076687474703a2f2f7777772e6578616d706c652e636f6d",
    "40",
    "4401020304",
    "60",
    "6161",
    "6449455446",
    "62225c",
    "62c3bc",
    "63e6b0b4",
    "64f0908591",
    "80",
    "83010203",
    "8301820203820405",
    "98190102030405060708090a0b0c0d0e0f101112131415161718181819",
    "a0",
    "a201020304",
    "a26161016162820203",
    "826161a161626163",
    "a56161614161626142616361436164614461656145",
};

static void test_skip_valid_items(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(valid_items) / sizeof(valid_items[0]); i++) {
        uint8_t buf[MAX_VECTOR];
        size_t n = unhex(valid_items[i], buf);
        cbor_reader r;
        cbor_reader_init(&r, buf, n);
        assert_int_equal(cbor_skip(&r), WR_OK);
        assert_true(cbor_reader_at_end(&r));
    }
}

/* Every proper prefix of a valid item is truncated, and the reader does not move. */
static void test_truncations(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(valid_items) / sizeof(valid_items[0]); i++) {
        uint8_t buf[MAX_VECTOR];
        size_t n = unhex(valid_items[i], buf);
        for (size_t len = 0; len < n; len++) {
            cbor_reader r;
            cbor_reader_init(&r, buf, len);
            assert_int_equal(cbor_skip(&r), WR_ETRUNC);
            assert_ptr_equal(r.p, buf);
        }
    }
    for (size_t i = 0; i < sizeof(int_vectors) / sizeof(int_vectors[0]); i++) {
        uint8_t buf[MAX_VECTOR];
        size_t n = unhex(int_vectors[i].hex, buf);
        cbor_reader r;
        cbor_item item;
        cbor_reader_init(&r, buf, n - 1);
        assert_int_equal(cbor_read(&r, &item), WR_ETRUNC);
    }
}

static void test_encode_items(void **state)
{
    (void)state;
    uint8_t buf[MAX_VECTOR];
    cbor_writer w;

    cbor_writer_init(&w, buf, sizeof(buf));
    cbor_put_array(&w, 2);
    cbor_put_cstr(&w, "a");
    cbor_put_map(&w, 1);
    cbor_put_cstr(&w, "b");
    cbor_put_text(&w, "cd", 1);
    assert_written(&w, "826161a161626163");

    cbor_writer_init(&w, buf, sizeof(buf));
    cbor_put_tag(&w, 1);
    cbor_put_uint(&w, 1363896240);
    cbor_put_tag(&w, 24);
    cbor_put_bytes(&w, (const uint8_t *)"dIETF", 5);
    cbor_put_bytes(&w, NULL, 0);
    cbor_put_bool(&w, false);
    cbor_put_bool(&w, true);
    cbor_put_null(&w);
    assert_written(&w, "c11a514b67b0d81845644945544640f4f5f6");

    cbor_writer_init(&w, buf, sizeof(buf));
    cbor_put_array(&w, 25);
    for (uint64_t v = 1; v <= 25; v++)
        cbor_put_uint(&w, v);
    assert_written(&w, "98190102030405060708090a0b0c0d0e0f101112131415161718181819");

    cbor_writer_init(&w, buf, sizeof(buf));
    cbor_put_cstr(&w, "\xe6\xb0\xb4");
    cbor_put_cstr(&w, "\xf0\x90\x85\x91");
    assert_written(&w, "63e6b0b464f0908591");
}

static void test_writer_errors_are_sticky(void **state)
{
    (void)state;
    uint8_t buf[4];
    cbor_writer w;
    cbor_writer_init(&w, buf, sizeof(buf));
    cbor_put_uint(&w, 1000);    /* 3 bytes */
    cbor_put_bytes(&w, buf, 2); /* needs 3 more: fails */
    assert_int_equal(cbor_writer_status(&w), WR_ESPACE);
    size_t len_at_error = w.len;
    assert_true(len_at_error <= sizeof(buf));
    cbor_put_uint(&w, 1); /* would fit, but the error is sticky */
    assert_int_equal(w.len, len_at_error);
    assert_int_equal(cbor_writer_status(&w), WR_ESPACE);

    cbor_writer_init(&w, buf, sizeof(buf));
    cbor_put_text(&w, NULL, 3);
    assert_int_equal(cbor_writer_status(&w), WR_EINVAL);

    cbor_writer_init(&w, NULL, 0);
    cbor_put_null(&w);
    assert_int_equal(cbor_writer_status(&w), WR_ESPACE);
}

/* ---- Malformed input --------------------------------------------------------------------- */

static wr_status skip_hex(const char *hex)
{
    uint8_t buf[MAX_VECTOR];
    size_t n = unhex(hex, buf);
    cbor_reader r;
    cbor_reader_init(&r, buf, n);
    wr_status st = cbor_skip(&r);
    if (st != WR_OK)
        assert_ptr_equal(r.p, buf); /* a failure leaves the reader where it was */
    return st;
}

static void test_malformed_heads(void **state)
{
    (void)state;
    for (unsigned major = 0; major < 8; major++) {
        for (unsigned info = 28; info < 32; info++) {
            uint8_t b[2] = {(uint8_t)(major << 5 | info), 0};
            cbor_reader r;
            cbor_reader_init(&r, b, sizeof(b));
            assert_int_equal(cbor_skip(&r), WR_EINVAL);
        }
        for (unsigned info = 24; info < 28; info++) {
            uint8_t b[8] = {(uint8_t)(major << 5 | info)};
            size_t need = 1u << (info - 24);
            for (size_t len = 1; len <= need; len++) {
                cbor_reader r;
                cbor_reader_init(&r, b, len);
                assert_int_equal(cbor_skip(&r), WR_ETRUNC);
            }
        }
    }
    for (unsigned simple = 0; simple < 20; simple++) {
        uint8_t b = (uint8_t)(0xe0 | simple);
        cbor_reader r;
        cbor_reader_init(&r, &b, 1);
        assert_int_equal(cbor_skip(&r), WR_EINVAL);
    }
    assert_int_equal(skip_hex("f818"), WR_EINVAL); /* two-byte simple, below 32 */
    assert_int_equal(skip_hex("f8ff"), WR_EINVAL); /* unassigned simple(255) */
    assert_int_equal(skip_hex("ff"), WR_EINVAL);   /* a lone break */
}

static void test_indefinite_lengths(void **state)
{
    (void)state;
    static const char *const indefinite[] = {
        "5f42010243030405ff",       "7f657374726561646d696e67ff", "9fff",
        "9f018202039f0405ffff",     "9f01820203820405ff",         "83018202039f0405ff",
        "83019f0203ff820405",       "bf61610161629f0203ffff",     "826161bf61626163ff",
        "bf6346756ef563416d7421ff",
    };
    for (size_t i = 0; i < sizeof(indefinite) / sizeof(indefinite[0]); i++)
        assert_int_equal(skip_hex(indefinite[i]), WR_EINVAL);
}

static void test_invalid_utf8(void **state)
{
    (void)state;
    assert_int_equal(skip_hex("61ff"), WR_EINVAL);       /* never valid */
    assert_int_equal(skip_hex("6180"), WR_EINVAL);       /* lone continuation */
    assert_int_equal(skip_hex("62c080"), WR_EINVAL);     /* overlong */
    assert_int_equal(skip_hex("63e08080"), WR_EINVAL);   /* overlong */
    assert_int_equal(skip_hex("63eda080"), WR_EINVAL);   /* surrogate */
    assert_int_equal(skip_hex("64f4908080"), WR_EINVAL); /* above U+10FFFF */
    assert_int_equal(skip_hex("61c3"), WR_EINVAL);       /* sequence cut by the string end */
    assert_int_equal(skip_hex("63e6b061"), WR_EINVAL);   /* missing continuation */
    assert_int_equal(skip_hex("64f48fbfbf"), WR_OK);     /* U+10FFFF itself */
    assert_int_equal(skip_hex("41ff"), WR_OK);           /* bytes need not be UTF-8 */
}

static void test_counts_beyond_input(void **state)
{
    (void)state;
    assert_int_equal(skip_hex("9bffffffffffffffff"), WR_ETRUNC);
    assert_int_equal(skip_hex("bbffffffffffffffff"), WR_ETRUNC);
    assert_int_equal(skip_hex("5bffffffffffffffff00"), WR_ETRUNC);
    assert_int_equal(skip_hex("7b800000000000000000"), WR_ETRUNC);
    assert_int_equal(skip_hex("a2010203"), WR_ETRUNC);
    assert_int_equal(skip_hex("8301"), WR_ETRUNC);
}

static void test_depth_limit(void **state)
{
    (void)state;
    uint8_t buf[CBOR_MAX_DEPTH + 2];
    memset(buf, 0x81, sizeof(buf)); /* [[[[...]]]] */
    buf[CBOR_MAX_DEPTH] = 0x00;
    cbor_reader r;
    cbor_reader_init(&r, buf, CBOR_MAX_DEPTH + 1); /* 16 arrays around a 0 */
    assert_int_equal(cbor_skip(&r), WR_OK);
    assert_true(cbor_reader_at_end(&r));

    memset(buf, 0x81, sizeof(buf));
    buf[CBOR_MAX_DEPTH + 1] = 0x00;
    cbor_reader_init(&r, buf, CBOR_MAX_DEPTH + 2); /* 17 arrays */
    assert_int_equal(cbor_skip(&r), WR_EDEPTH);
    assert_ptr_equal(r.p, buf);

    memset(buf, 0xc6, sizeof(buf)); /* tags nest too */
    buf[CBOR_MAX_DEPTH + 1] = 0x00;
    cbor_reader_init(&r, buf, CBOR_MAX_DEPTH + 2);
    assert_int_equal(cbor_skip(&r), WR_EDEPTH);

    /* Deep but wide is fine: many siblings at one level. */
    assert_int_equal(skip_hex("8a80808080808080808080"), WR_OK);
}

/* ---- Typed helpers ----------------------------------------------------------------------- */

static void test_typed_helpers_leave_reader_on_wrong_type(void **state)
{
    (void)state;
    uint8_t buf[MAX_VECTOR];
    size_t n = unhex("6449455446", buf);
    cbor_reader r;
    cbor_reader_init(&r, buf, n);
    uint64_t u;
    int64_t i;
    double d;
    bool b;
    size_t count;
    const uint8_t *p;
    assert_int_equal(cbor_read_uint(&r, &u), WR_ETYPE);
    assert_int_equal(cbor_read_int(&r, &i), WR_ETYPE);
    assert_int_equal(cbor_read_double(&r, &d), WR_ETYPE);
    assert_int_equal(cbor_read_bool(&r, &b), WR_ETYPE);
    assert_int_equal(cbor_read_array(&r, &count), WR_ETYPE);
    assert_int_equal(cbor_read_map(&r, &count), WR_ETYPE);
    assert_int_equal(cbor_read_bytes(&r, &p, &count), WR_ETYPE);
    assert_ptr_equal(r.p, buf);
    const char *s;
    assert_int_equal(cbor_read_text(&r, &s, &count), WR_OK);
    assert_int_equal(count, 4);
    assert_memory_equal(s, "IETF", 4);
    assert_true(cbor_reader_at_end(&r));
    assert_int_equal(cbor_read_text(&r, &s, &count), WR_ETRUNC);
}

static void test_typed_helpers_values(void **state)
{
    (void)state;
    uint8_t buf[MAX_VECTOR];
    size_t n = unhex("3b7fffffffffffffff"
                     "3b8000000000000000"
                     "1b8000000000000000"
                     "20"
                     "f5f4"
                     "4401020304"
                     "a201020304"
                     "83010203",
                     buf);
    cbor_reader r;
    cbor_reader_init(&r, buf, n);
    int64_t i;
    uint64_t u;
    bool b;
    size_t count;
    const uint8_t *p;
    assert_int_equal(cbor_read_int(&r, &i), WR_OK);
    assert_true(i == INT64_MIN);
    assert_int_equal(cbor_read_int(&r, &i), WR_ERANGE); /* -2^63 - 1 */
    assert_int_equal(cbor_skip(&r), WR_OK);
    assert_int_equal(cbor_read_int(&r, &i), WR_ERANGE); /* 2^63 */
    assert_int_equal(cbor_read_uint(&r, &u), WR_OK);
    assert_true(u == (uint64_t)1 << 63);
    assert_int_equal(cbor_read_uint(&r, &u), WR_ERANGE); /* -1 */
    assert_int_equal(cbor_read_int(&r, &i), WR_OK);
    assert_int_equal(i, -1);
    assert_int_equal(cbor_read_bool(&r, &b), WR_OK);
    assert_true(b);
    assert_int_equal(cbor_read_bool(&r, &b), WR_OK);
    assert_false(b);
    assert_int_equal(cbor_read_bytes(&r, &p, &count), WR_OK);
    assert_int_equal(count, 4);
    assert_int_equal(p[3], 4);
    assert_int_equal(cbor_read_map(&r, &count), WR_OK);
    assert_int_equal(count, 2);
    for (int k = 0; k < 4; k++)
        assert_int_equal(cbor_skip(&r), WR_OK);
    assert_int_equal(cbor_read_array(&r, &count), WR_OK);
    assert_int_equal(count, 3);
}

static void test_read_item_fields(void **state)
{
    (void)state;
    uint8_t buf[MAX_VECTOR];
    size_t n = unhex("d82076687474703a2f2f7777772e6578616d706c652e636f6df7", buf);
    cbor_reader r;
    cbor_item item;
    cbor_reader_init(&r, buf, n);
    assert_int_equal(cbor_read(&r, &item), WR_OK);
    assert_int_equal(item.type, CBOR_TAG);
    assert_int_equal(item.val, 32);
    assert_int_equal(cbor_read(&r, &item), WR_OK);
    assert_int_equal(item.type, CBOR_TEXT);
    assert_int_equal(item.val, 22);
    assert_memory_equal(item.ptr, "http://www.example.com", 22);
    assert_int_equal(cbor_read(&r, &item), WR_OK);
    assert_int_equal(item.type, CBOR_UNDEFINED);
    assert_true(cbor_reader_at_end(&r));
    assert_int_equal(cbor_read(&r, &item), WR_ETRUNC);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode_integers),
        cmocka_unit_test(test_decode_integers),
        cmocka_unit_test(test_encode_int_extremes),
        cmocka_unit_test(test_encode_floats),
        cmocka_unit_test(test_decode_floats),
        cmocka_unit_test(test_encode_float_shortest),
        cmocka_unit_test(test_read_double_from_integer),
        cmocka_unit_test(test_skip_valid_items),
        cmocka_unit_test(test_truncations),
        cmocka_unit_test(test_encode_items),
        cmocka_unit_test(test_writer_errors_are_sticky),
        cmocka_unit_test(test_malformed_heads),
        cmocka_unit_test(test_indefinite_lengths),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_counts_beyond_input),
        cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_typed_helpers_leave_reader_on_wrong_type),
        cmocka_unit_test(test_typed_helpers_values),
        cmocka_unit_test(test_read_item_fields),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
