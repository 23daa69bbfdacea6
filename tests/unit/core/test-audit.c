/* test-audit.c — unit tests of the audit chain hash against vectors computed independently
 * (Python hashlib over the same concatenation the database trigger builds). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/audit.h"

static void test_chain_vectors(void **state)
{
    (void)state;
    uint8_t h1[AUDIT_HASH_LEN], h2[AUDIT_HASH_LEN], want[AUDIT_HASH_LEN];
    audit_entry first = {1,  "1764342000.123456", "admin-1", "community.create", "community", "1",
                         "", "{\"id\": 1}"};
    assert_int_equal(audit_entry_hash(NULL, &first, h1), WR_OK);
    assert_int_equal(audit_hash_from_hex(
                         "2c96791dc6ee7c4ca668a7614eaa80c8d0e6d4887de8bb3232c2c9cdd5694110", want),
                     WR_OK);
    assert_memory_equal(h1, want, AUDIT_HASH_LEN);
    audit_entry second = {2,         "1764342001", "admin-1",    "machine.scrap",
                          "machine", "7",          "{\"a\": 1}", "{\"a\": \"焊\"}"};
    assert_int_equal(audit_entry_hash(h1, &second, h2), WR_OK);
    assert_int_equal(audit_hash_from_hex(
                         "7000A0722C49FC1F641583F6C6E0E0184AA6D578442558FAB23161CF1ACCA234", want),
                     WR_OK);
    assert_memory_equal(h2, want, AUDIT_HASH_LEN);
    /* any change of content or link changes the hash */
    second.after = "{\"a\": \"x\"}";
    assert_int_equal(audit_entry_hash(h1, &second, h2), WR_OK);
    assert_memory_not_equal(h2, want, AUDIT_HASH_LEN);
}

static void test_hex(void **state)
{
    (void)state;
    uint8_t out[AUDIT_HASH_LEN];
    assert_int_equal(audit_hash_from_hex("00", out), WR_EINVAL);
    assert_int_equal(audit_hash_from_hex(
                         "zz96791dc6ee7c4ca668a7614eaa80c8d0e6d4887de8bb3232c2c9cdd5694110", out),
                     WR_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chain_vectors),
        cmocka_unit_test(test_hex),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
