/* test-registry.c — the in-memory registry view: built from parts in any order, it finds
 * machines by chip id, welders by id and codes by cti, hands out each enterprise's permits
 * together and in id order, and turns the revoked codes into a sorted revocation list. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "server/views/registry.h"

/* A heap copy of @p n bytes of @p src: registry_create() takes ownership of every array. */
static void *registry_test_dup(const void *src, size_t n)
{
    void *p = malloc(n);
    assert_non_null(p);
    memcpy(p, src, n);
    return p;
}

static void registry_test_cti(uint8_t cti[TRUST_CTI_LEN], uint8_t first)
{
    memset(cti, 0x5a, TRUST_CTI_LEN);
    cti[0] = first;
}

/* Machines C, A, B (out of order); welders 30, 10, 20; codes 0x30 (revoked), 0x10, 0x20
 * (revoked); permits of enterprises 7, 3, 7, 5 with ids 72, 31, 71, 51. */
static registry *registry_test_build(void)
{
    static const char chips[] = "WR-C\0WR-A\0WR-B";
    registry_parts parts = {.machine_count = 3,
                            .welder_count = 3,
                            .code_count = 3,
                            .permit_count = 4,
                            .revocation_version = 42};
    parts.chip_ids = registry_test_dup(chips, sizeof(chips));
    registry_machine machines[3] = {
        {.chip_id = parts.chip_ids, .id = 3, .enterprise_id = 7},
        {.chip_id = parts.chip_ids + 5, .id = 1, .enterprise_id = 3},
        {.chip_id = parts.chip_ids + 10, .id = 2, .enterprise_id = 5},
    };
    registry_welder welders[3] = {{.id = 30}, {.id = 10, .trained = true}, {.id = 20}};
    registry_code codes[3] = {{.kind = 'm', .revoked = true, .subject_id = 3},
                              {.kind = 'w', .subject_id = 10},
                              {.kind = 'm', .revoked = true, .subject_id = 2}};
    registry_test_cti(codes[0].cti, 0x30);
    registry_test_cti(codes[1].cti, 0x10);
    registry_test_cti(codes[2].cti, 0x20);
    permit permits[4] = {{.id = 72, .enterprise_id = 7},
                         {.id = 31, .enterprise_id = 3},
                         {.id = 71, .enterprise_id = 7},
                         {.id = 51, .enterprise_id = 5}};
    parts.machines = registry_test_dup(machines, sizeof(machines));
    parts.welders = registry_test_dup(welders, sizeof(welders));
    parts.codes = registry_test_dup(codes, sizeof(codes));
    parts.permits = registry_test_dup(permits, sizeof(permits));
    registry *reg = registry_create(&parts);
    assert_non_null(reg);
    assert_null(parts.machines); /* taken over */
    return reg;
}

static void test_empty_registry(void **state)
{
    (void)state;
    registry_parts parts = {.revocation_version = 7};
    registry *reg = registry_create(&parts);
    assert_non_null(reg);
    uint8_t cti[TRUST_CTI_LEN] = {0};
    size_t count = 1;
    assert_null(registry_find_machine(reg, "WR-A"));
    assert_null(registry_find_welder(reg, 1));
    assert_null(registry_find_code(reg, cti));
    assert_null(registry_permits_of(reg, 1, &count));
    assert_int_equal(count, 0);
    assert_int_equal(registry_revocations(reg)->count, 0);
    assert_int_equal(registry_revocations(reg)->version, 7);
    assert_int_equal(registry_machine_count(reg), 0);
    registry_destroy(reg);
    registry_destroy(NULL);
}

static void test_lookups_after_sorting(void **state)
{
    (void)state;
    registry *reg = registry_test_build();
    const char *chips[] = {"WR-A", "WR-B", "WR-C"};
    int64_t ids[] = {1, 2, 3};
    for (size_t i = 0; i < 3; i++) {
        const registry_machine *m = registry_find_machine(reg, chips[i]);
        assert_non_null(m);
        assert_int_equal(m->id, ids[i]);
    }
    assert_null(registry_find_machine(reg, "WR-"));
    assert_null(registry_find_machine(reg, "WR-D"));
    assert_true(registry_find_welder(reg, 10)->trained);
    assert_int_equal(registry_find_welder(reg, 30)->id, 30);
    assert_null(registry_find_welder(reg, 15));
    uint8_t cti[TRUST_CTI_LEN];
    registry_test_cti(cti, 0x10);
    assert_int_equal(registry_find_code(reg, cti)->subject_id, 10);
    registry_test_cti(cti, 0x30);
    assert_true(registry_find_code(reg, cti)->revoked);
    registry_test_cti(cti, 0x11);
    assert_null(registry_find_code(reg, cti));
    assert_int_equal(registry_machine_count(reg), 3);
    assert_int_equal(registry_welder_count(reg), 3);
    assert_int_equal(registry_permit_count(reg), 4);
    registry_destroy(reg);
}

static void test_permits_grouped_by_enterprise(void **state)
{
    (void)state;
    registry *reg = registry_test_build();
    size_t count;
    const permit *p = registry_permits_of(reg, 7, &count);
    assert_int_equal(count, 2);
    assert_int_equal(p[0].id, 71); /* in id order within the enterprise */
    assert_int_equal(p[1].id, 72);
    p = registry_permits_of(reg, 3, &count);
    assert_int_equal(count, 1);
    assert_int_equal(p[0].id, 31);
    assert_int_equal(registry_permits_of(reg, 5, &count)->id, 51);
    assert_null(registry_permits_of(reg, 4, &count)); /* between two enterprises */
    assert_int_equal(count, 0);
    assert_null(registry_permits_of(reg, 8, &count)); /* after the last */
    assert_null(registry_permits_of(reg, 1, &count)); /* before the first */
    registry_destroy(reg);
}

static void test_revocations_sorted(void **state)
{
    (void)state;
    registry *reg = registry_test_build();
    const revocation_list *rl = registry_revocations(reg);
    assert_int_equal(rl->version, 42);
    assert_int_equal(rl->count, 2); /* the revoked codes only */
    assert_int_equal(rl->ctis[0][0], 0x20);
    assert_int_equal(rl->ctis[1][0], 0x30);
    registry_destroy(reg);
}

static void test_machine_status_parse(void **state)
{
    (void)state;
    decision_machine_status st = DECISION_MACHINE_ACTIVE;
    assert_int_equal(registry_machine_status_parse("suspended", &st), 0);
    assert_int_equal(st, DECISION_MACHINE_SUSPENDED);
    assert_int_equal(registry_machine_status_parse("scrapped", &st), 0);
    assert_int_equal(st, DECISION_MACHINE_SCRAPPED);
    assert_int_equal(registry_machine_status_parse("active", &st), 0);
    assert_int_equal(st, DECISION_MACHINE_ACTIVE);
    assert_int_equal(registry_machine_status_parse("Active", &st), -1);
    assert_int_equal(registry_machine_status_parse("", &st), -1);
    assert_int_equal(st, DECISION_MACHINE_ACTIVE); /* left alone on a refusal */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_registry),
        cmocka_unit_test(test_lookups_after_sorting),
        cmocka_unit_test(test_permits_grouped_by_enterprise),
        cmocka_unit_test(test_revocations_sorted),
        cmocka_unit_test(test_machine_status_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
