/* test-checkin.c — unit tests of decoding and encoding the device check-in map. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <string.h>

#include <cmocka.h>

#include "core/cbor.h"
#include "core/checkin.h"

static const char scan_code[] = "WR2:6BFOXN*TS0BI$ZD4N9:9S6RCVN5+O30K3/XIV0W23NTDEXWK";

static checkin_event make_scan(void)
{
    return (checkin_event){.kind = CHECKIN_SCAN,
                           .seq = 42,
                           .ts = 1717376400,
                           .has_position = true,
                           .lat = 36.651234,
                           .lon = 117.120098,
                           .code = scan_code,
                           .code_len = sizeof(scan_code) - 1,
                           .has_amp = true,
                           .amp = 160};
}

/* Decodes @p buf and checks the status and the whole message. */
static void expect_error(const uint8_t *buf, size_t len, wr_status status, const char *message)
{
    checkin_event ev;
    char err[CHECKIN_ERR_SIZE];
    assert_int_equal(checkin_decode(buf, len, &ev, err, sizeof(err)), status);
    assert_string_equal(err, message);
    assert_int_equal(ev.seq, 0);
    assert_null(ev.code);
}

static void expect_writer_error(cbor_writer *w, wr_status status, const char *message)
{
    assert_int_equal(cbor_writer_status(w), WR_OK);
    expect_error(w->buf, w->len, status, message);
}

/* Starts a map of @p pairs entries whose first entries are ev "hb", seq 1 and ts 1000, as many
 * of them as @p base (0-3) says. */
static void start_map(cbor_writer *w, uint8_t *buf, size_t cap, size_t pairs, int base)
{
    cbor_writer_init(w, buf, cap);
    cbor_put_map(w, pairs);
    if (base >= 1) {
        cbor_put_cstr(w, "ev");
        cbor_put_cstr(w, "hb");
    }
    if (base >= 2) {
        cbor_put_cstr(w, "seq");
        cbor_put_uint(w, 1);
    }
    if (base >= 3) {
        cbor_put_cstr(w, "ts");
        cbor_put_uint(w, 1000);
    }
}

static void test_round_trip_scan(void **state)
{
    (void)state;
    checkin_event in = make_scan();
    uint8_t buf[CHECKIN_ENCODED_MAX];
    size_t len = 0;
    assert_int_equal(checkin_encode(&in, buf, sizeof(buf), &len), WR_OK);
    checkin_event out;
    char err[CHECKIN_ERR_SIZE] = "x";
    assert_int_equal(checkin_decode(buf, len, &out, err, sizeof(err)), WR_OK);
    assert_string_equal(err, "");
    assert_int_equal(out.kind, CHECKIN_SCAN);
    assert_int_equal(out.seq, 42);
    assert_int_equal(out.ts, 1717376400);
    assert_true(out.has_position);
    assert_float_equal(out.lat, in.lat, 0);
    assert_float_equal(out.lon, in.lon, 0);
    assert_int_equal(out.code_len, in.code_len);
    assert_memory_equal(out.code, scan_code, in.code_len);
    /* The code points into the buffer: nothing was copied or allocated. */
    assert_true((const uint8_t *)out.code > buf && (const uint8_t *)out.code < buf + len);
    assert_true(out.has_amp);
    assert_int_equal(out.amp, 160);
}

static void test_exact_bytes(void **state)
{
    (void)state;
    /* {"ev": "hb", "seq": 1, "ts": 1000} */
    static const uint8_t expected[] = {0xa3, 0x62, 'e',  'v',  0x62, 'h', 'b',  0x63, 's',
                                       'e',  'q',  0x01, 0x62, 't',  's', 0x19, 0x03, 0xe8};
    checkin_event in = {.kind = CHECKIN_HB, .seq = 1, .ts = 1000};
    uint8_t buf[64];
    size_t len = 0;
    assert_int_equal(checkin_encode(&in, buf, sizeof(buf), &len), WR_OK);
    assert_int_equal(len, sizeof(expected));
    assert_memory_equal(buf, expected, len);
    checkin_event out;
    assert_int_equal(checkin_decode(expected, sizeof(expected), &out, NULL, 0), WR_OK);
    assert_int_equal(out.kind, CHECKIN_HB);
    assert_false(out.has_position);
    assert_false(out.has_amp);
    assert_null(out.code);
}

static void test_every_kind_and_key_order(void **state)
{
    (void)state;
    const char *names[] = {"scan", "arc", "hb", "end", "tamper"};
    for (int k = 0; k < 5; k++) {
        uint8_t buf[128];
        cbor_writer w;
        cbor_writer_init(&w, buf, sizeof(buf));
        cbor_put_map(&w, k == 0 ? 5 : 4);
        /* Keys in any order; integers as numbers for lat. */
        cbor_put_cstr(&w, "ts");
        cbor_put_uint(&w, 7);
        if (k == 0) {
            cbor_put_cstr(&w, "code");
            cbor_put_cstr(&w, "X");
        }
        cbor_put_cstr(&w, "seq");
        cbor_put_uint(&w, INT64_MAX);
        cbor_put_cstr(&w, "ev");
        cbor_put_cstr(&w, names[k]);
        cbor_put_cstr(&w, "amp");
        cbor_put_uint(&w, 2000);
        checkin_event out;
        assert_int_equal(checkin_decode(buf, w.len, &out, NULL, 0), WR_OK);
        assert_int_equal(out.kind, (checkin_kind)k);
        assert_string_equal(checkin_kind_name(out.kind), names[k]);
        assert_int_equal(out.seq, INT64_MAX);
        assert_int_equal(out.amp, 2000);
    }
    assert_string_equal(checkin_kind_name((checkin_kind)5), "unknown");
}

static void test_body_errors(void **state)
{
    (void)state;
    const uint8_t array[] = {0x80};
    expect_error(array, sizeof(array), WR_EINVAL, "check-in body must be a CBOR map");
    expect_error(NULL, 0, WR_ETRUNC, "check-in body ended early");
    expect_error(NULL, 5, WR_EINVAL, "no check-in body");
    const uint8_t trailing[] = {0xa0, 0x00};
    expect_error(trailing, sizeof(trailing), WR_EINVAL, "check-in body has data after the map");
    /* indefinite lengths are well-formed CBOR that the protocol does not take: say so */
    const uint8_t indefinite[] = {0xbf, 0x62, 'e', 'v', 0x62, 'h', 'b', 0xff};
    expect_error(indefinite, sizeof(indefinite), WR_EINVAL,
                 "check-in body must use definite-length CBOR (indefinite-length map at offset 0)");
    const uint8_t indefinite_text[] = {0xa1, 0x62, 'e', 'v', 0x7f, 0x62, 'h', 'b', 0xff};
    expect_error(indefinite_text, sizeof(indefinite_text), WR_EINVAL,
                 "check-in body must use definite-length CBOR (indefinite-length text string at "
                 "offset 4)");
    const uint8_t int_key[] = {0xa1, 0x01, 0x01};
    expect_error(int_key, sizeof(int_key), WR_EINVAL, "check-in map keys must be text strings");
    const uint8_t bad_utf8_key[] = {0xa1, 0x62, 0xc3, 0x28, 0x01};
    expect_error(bad_utf8_key, sizeof(bad_utf8_key), WR_EINVAL,
                 "check-in body has a text string that is not UTF-8 at offset 1");
    const uint8_t stray_break[] = {0xa1, 0xff, 0x00};
    expect_error(stray_break, sizeof(stray_break), WR_EINVAL,
                 "check-in body is not well-formed CBOR at offset 1");
    const uint8_t reserved[] = {0xa1, 0x62, 'e', 'v', 0x7c};
    expect_error(reserved, sizeof(reserved), WR_EINVAL,
                 "check-in body is not well-formed CBOR at offset 4");
    const uint8_t short_map[] = {0xa2, 0x62, 'e', 'v'};
    expect_error(short_map, sizeof(short_map), WR_ETRUNC, "check-in body ended early");
    expect_error((const uint8_t *)"\xa0", 1, WR_EINVAL, "missing required key \"ev\"");
}

static void test_key_errors(void **state)
{
    (void)state;
    uint8_t buf[256];
    cbor_writer w;
    start_map(&w, buf, sizeof(buf), 4, 3);
    cbor_put_cstr(&w, "foo");
    cbor_put_uint(&w, 1);
    expect_writer_error(&w, WR_EINVAL, "unknown key \"foo\"");
    start_map(&w, buf, sizeof(buf), 1, 0);
    cbor_put_cstr(&w, "a\"b\\c\x01"
                      "0123456789012345678901234567890123456789");
    cbor_put_uint(&w, 1);
    expect_writer_error(&w, WR_EINVAL, "unknown key \"a?b?c?01234567890123456789012345...\"");
    start_map(&w, buf, sizeof(buf), 4, 3);
    cbor_put_cstr(&w, "seq");
    cbor_put_uint(&w, 2);
    expect_writer_error(&w, WR_EINVAL, "duplicate key \"seq\"");
    start_map(&w, buf, sizeof(buf), 2, 1);
    cbor_put_cstr(&w, "ts");
    cbor_put_uint(&w, 2);
    expect_writer_error(&w, WR_EINVAL, "missing required key \"seq\"");
    start_map(&w, buf, sizeof(buf), 2, 2);
    expect_writer_error(&w, WR_EINVAL, "missing required key \"ts\"");
    start_map(&w, buf, sizeof(buf), 4, 3);
    cbor_put_cstr(&w, "lat");
    cbor_put_double(&w, 36.5);
    expect_writer_error(&w, WR_EINVAL, "keys \"lat\" and \"lon\" must be given together");
    start_map(&w, buf, sizeof(buf), 4, 3);
    cbor_put_cstr(&w, "code");
    cbor_put_cstr(&w, "WR2:X");
    expect_writer_error(&w, WR_EINVAL, "key \"code\" is allowed only when \"ev\" is \"scan\"");
    const uint8_t scan_no_code[] = {0xa3, 0x62, 'e', 'v', 0x64, 's',  'c', 'a', 'n',
                                    0x63, 's',  'e', 'q', 0x01, 0x62, 't', 's', 0x01};
    expect_error(scan_no_code, sizeof(scan_no_code), WR_EINVAL,
                 "key \"code\" is required when \"ev\" is \"scan\"");
}

static void test_type_errors(void **state)
{
    (void)state;
    static const struct {
        const char *key;
        int value; /* 0: text "1", 1: negative -1, 2: float 1.5, 3: bytes, 4: uint 1 */
        const char *message;
    } cases[] = {
        {"seq", 0, "key \"seq\" must be an unsigned integer"},
        {"seq", 1, "key \"seq\" must be an unsigned integer"},
        {"ts", 2, "key \"ts\" must be an unsigned integer"},
        {"amp", 3, "key \"amp\" must be an unsigned integer"},
        {"ev", 4, "key \"ev\" must be a text string"},
        {"code", 3, "key \"code\" must be a text string"},
        {"lat", 0, "key \"lat\" must be a number"},
        {"lon", 3, "key \"lon\" must be a number"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint8_t buf[64];
        cbor_writer w;
        cbor_writer_init(&w, buf, sizeof(buf));
        cbor_put_map(&w, 1);
        cbor_put_cstr(&w, cases[i].key);
        switch (cases[i].value) {
        case 0: cbor_put_cstr(&w, "1"); break;
        case 1: cbor_put_int(&w, -1); break;
        case 2: cbor_put_double(&w, 1.5); break;
        case 3: cbor_put_bytes(&w, (const uint8_t *)"\x01", 1); break;
        default: cbor_put_uint(&w, 1); break;
        }
        expect_writer_error(&w, WR_ETYPE, cases[i].message);
    }
}

static void put_number_map(cbor_writer *w, uint8_t *buf, size_t cap, double lat, double lon)
{
    start_map(w, buf, cap, 5, 3);
    cbor_put_cstr(w, "lat");
    cbor_put_double(w, lat);
    cbor_put_cstr(w, "lon");
    cbor_put_double(w, lon);
}

static void test_range_errors(void **state)
{
    (void)state;
    uint8_t buf[2048];
    cbor_writer w;
    put_number_map(&w, buf, sizeof(buf), 90.0001, 0);
    expect_writer_error(&w, WR_ERANGE, "key \"lat\" must be between -90 and 90");
    put_number_map(&w, buf, sizeof(buf), NAN, 0);
    expect_writer_error(&w, WR_ERANGE, "key \"lat\" must be between -90 and 90");
    put_number_map(&w, buf, sizeof(buf), 0, -180.5);
    expect_writer_error(&w, WR_ERANGE, "key \"lon\" must be between -180 and 180");
    put_number_map(&w, buf, sizeof(buf), 0, INFINITY);
    expect_writer_error(&w, WR_ERANGE, "key \"lon\" must be between -180 and 180");
    start_map(&w, buf, sizeof(buf), 3, 2);
    cbor_put_cstr(&w, "ts");
    cbor_put_uint(&w, (uint64_t)INT64_MAX + 1);
    expect_writer_error(&w, WR_ERANGE, "key \"ts\" is out of range");
    start_map(&w, buf, sizeof(buf), 3, 1);
    cbor_put_cstr(&w, "seq");
    cbor_put_uint(&w, (uint64_t)INT64_MAX + 1);
    cbor_put_cstr(&w, "ts");
    cbor_put_uint(&w, 1000);
    expect_writer_error(&w, WR_ERANGE, "key \"seq\" is out of range");
    start_map(&w, buf, sizeof(buf), 3, 2);
    cbor_put_cstr(&w, "lat");
    cbor_put_uint(&w, UINT64_MAX);
    expect_writer_error(&w, WR_ERANGE, "key \"lat\" is out of range");
    start_map(&w, buf, sizeof(buf), 4, 3);
    cbor_put_cstr(&w, "amp");
    cbor_put_uint(&w, 2001);
    expect_writer_error(&w, WR_ERANGE, "key \"amp\" must be at most 2000");
}

static void put_scan_with_code(cbor_writer *w, uint8_t *buf, size_t cap, const char *code,
                               size_t len)
{
    cbor_writer_init(w, buf, cap);
    cbor_put_map(w, 4);
    cbor_put_cstr(w, "ev");
    cbor_put_cstr(w, "scan");
    cbor_put_cstr(w, "seq");
    cbor_put_uint(w, 1);
    cbor_put_cstr(w, "ts");
    cbor_put_uint(w, 1);
    cbor_put_cstr(w, "code");
    cbor_put_text(w, code, len);
}

static void test_code_limits(void **state)
{
    (void)state;
    static char code[CHECKIN_CODE_MAX + 1];
    memset(code, 'A', sizeof(code));
    uint8_t buf[2048];
    cbor_writer w;
    put_scan_with_code(&w, buf, sizeof(buf), code, CHECKIN_CODE_MAX);
    checkin_event out;
    assert_int_equal(checkin_decode(buf, w.len, &out, NULL, 0), WR_OK);
    assert_int_equal(out.code_len, CHECKIN_CODE_MAX);
    put_scan_with_code(&w, buf, sizeof(buf), code, CHECKIN_CODE_MAX + 1);
    expect_writer_error(&w, WR_ERANGE, "key \"code\" must be at most 1024 bytes");
    put_scan_with_code(&w, buf, sizeof(buf), code, 0);
    expect_writer_error(&w, WR_EINVAL, "key \"code\" must not be empty");
    put_scan_with_code(&w, buf, sizeof(buf), "WR2:\0X", 6);
    expect_writer_error(&w, WR_EINVAL, "key \"code\" must not contain a NUL character");
    put_scan_with_code(&w, buf, sizeof(buf), "ev", 2);
    cbor_put_cstr(&w, "extra");
    assert_int_equal(checkin_decode(buf, w.len, &out, NULL, 0), WR_EINVAL);
}

static void test_truncation_and_mutation_never_crash(void **state)
{
    (void)state;
    checkin_event in = make_scan();
    uint8_t buf[CHECKIN_ENCODED_MAX];
    size_t len = 0;
    assert_int_equal(checkin_encode(&in, buf, sizeof(buf), &len), WR_OK);
    checkin_event out;
    char err[CHECKIN_ERR_SIZE];
    for (size_t cut = 0; cut < len; cut++) {
        /* A copy of exactly cut bytes, so ASan sees any read past the end. */
        uint8_t part[CHECKIN_ENCODED_MAX];
        memcpy(part, buf, cut);
        assert_int_not_equal(checkin_decode(part, cut, &out, err, sizeof(err)), WR_OK);
        assert_true(strlen(err) > 0);
    }
    for (size_t pos = 0; pos < len; pos++) {
        for (int bit = 0; bit < 8; bit++) {
            uint8_t copy[CHECKIN_ENCODED_MAX];
            memcpy(copy, buf, len);
            copy[pos] ^= (uint8_t)(1u << bit);
            wr_status st = checkin_decode(copy, len, &out, err, sizeof(err));
            if (st != WR_OK)
                assert_true(strlen(err) > 0);
        }
    }
    /* A one-byte error buffer stays terminated. */
    char tiny[1] = {'x'};
    assert_int_not_equal(checkin_decode(buf, 1, &out, tiny, sizeof(tiny)), WR_OK);
    assert_int_equal(tiny[0], '\0');
}

static void test_encode_errors(void **state)
{
    (void)state;
    checkin_event in = make_scan();
    uint8_t buf[CHECKIN_ENCODED_MAX];
    size_t full = 0;
    assert_int_equal(checkin_encode(&in, buf, sizeof(buf), &full), WR_OK);
    for (size_t cap = 0; cap < full; cap++) {
        size_t len = 0;
        assert_int_equal(checkin_encode(&in, buf, cap, &len), WR_ESPACE);
    }
    char err[CHECKIN_ERR_SIZE];
    checkin_event bad = make_scan();
    bad.code = NULL;
    assert_int_equal(checkin_validate(&bad, err, sizeof(err)), WR_EINVAL);
    assert_int_equal(checkin_encode(&bad, buf, sizeof(buf), NULL), WR_EINVAL);
    bad = make_scan();
    bad.kind = CHECKIN_END;
    assert_int_equal(checkin_encode(&bad, buf, sizeof(buf), NULL), WR_EINVAL);
    bad = make_scan();
    bad.lat = 100;
    assert_int_equal(checkin_validate(&bad, err, sizeof(err)), WR_ERANGE);
    assert_string_equal(err, "position is out of range");
    bad = make_scan();
    bad.amp = 2001;
    assert_int_equal(checkin_encode(&bad, buf, sizeof(buf), NULL), WR_ERANGE);
    bad = make_scan();
    bad.ts = -1;
    assert_int_equal(checkin_encode(&bad, buf, sizeof(buf), NULL), WR_ERANGE);
    bad = make_scan();
    bad.kind = (checkin_kind)9;
    assert_int_equal(checkin_encode(&bad, buf, sizeof(buf), NULL), WR_EINVAL);
    assert_int_equal(checkin_encode(NULL, buf, sizeof(buf), NULL), WR_EINVAL);
    bad = make_scan();
    bad.code_len = CHECKIN_CODE_MAX + 1;
    assert_int_equal(checkin_encode(&bad, buf, sizeof(buf), NULL), WR_ERANGE);
    checkin_kind kind;
    assert_false(checkin_kind_from_name("sca", 3, &kind));
    assert_false(checkin_kind_from_name(NULL, 0, &kind));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_scan),
        cmocka_unit_test(test_exact_bytes),
        cmocka_unit_test(test_every_kind_and_key_order),
        cmocka_unit_test(test_body_errors),
        cmocka_unit_test(test_key_errors),
        cmocka_unit_test(test_type_errors),
        cmocka_unit_test(test_range_errors),
        cmocka_unit_test(test_code_limits),
        cmocka_unit_test(test_truncation_and_mutation_never_crash),
        cmocka_unit_test(test_encode_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
