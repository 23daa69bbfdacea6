/* test-spotcheck.c — the draw of random spot checks: the generator's published sequence, the
 * same seed giving the same draw, every target equally likely, inspectors distinct and evenly
 * loaded, and the arguments refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/spotcheck.h"

static const int64_t population[] = {3, 5, 8, 13, 21, 34, 55, 89, 144, 233, 377, 610};
#define POPULATION_COUNT (sizeof(population) / sizeof(population[0]))

static void test_generator(void **state)
{
    (void)state;
    spotcheck_rng rng;
    spotcheck_rng_init(&rng, 0);
    /* SplitMix64 from seed 0 */
    assert_true(spotcheck_rng_next(&rng) == UINT64_C(0xe220a8397b1dcdaf));
    assert_true(spotcheck_rng_next(&rng) == UINT64_C(0x6e789e6aa1b965f4));
    assert_int_equal(spotcheck_rng_below(&rng, 0), 0);
    for (int i = 0; i < 1000; i++)
        assert_true(spotcheck_rng_below(&rng, 7) < 7);
}

static void draw(uint64_t seed, size_t n, size_t per, spotcheck_pick *out, size_t *drawn)
{
    int64_t inspectors[] = {101, 102, 103, 104, 105};
    assert_int_equal(
        spotcheck_draw(seed, population, POPULATION_COUNT, n, inspectors, 5, per, out, drawn),
        WR_OK);
}

static void test_reproducible(void **state)
{
    (void)state;
    spotcheck_pick a[5], b[5], c[5];
    size_t na, nb, nc;
    draw(UINT64_C(0x00000000000000aa), 5, 2, a, &na);
    draw(UINT64_C(0x00000000000000aa), 5, 2, b, &nb);
    assert_int_equal(na, 5);
    assert_int_equal(nb, 5);
    assert_memory_equal(a, b, sizeof(a));
    draw(UINT64_C(0x00000000000000ab), 5, 2, c, &nc);
    assert_memory_not_equal(a, c, sizeof(a));
}

static void test_picks_and_loads(void **state)
{
    (void)state;
    spotcheck_pick out[POPULATION_COUNT + 3];
    size_t drawn;
    draw(7, POPULATION_COUNT + 3, 2, out, &drawn);
    assert_int_equal(drawn, POPULATION_COUNT); /* more than there are: all of them */
    int load[6] = {0};
    for (size_t i = 0; i < drawn; i++) {
        assert_int_equal(out[i].target, population[i]); /* ascending, each once */
        assert_int_equal(out[i].inspector_count, 2);
        assert_int_not_equal(out[i].inspectors[0], out[i].inspectors[1]);
        for (size_t k = 0; k < 2; k++) {
            assert_in_range(out[i].inspectors[k], 101, 105);
            load[out[i].inspectors[k] - 100]++;
        }
    }
    for (int a = 1; a <= 5; a++)
        for (int b = 1; b <= 5; b++)
            assert_true(load[a] - load[b] <= 1);
}

/* Drawing 1 of 12 over many seeds: each target about equally often. */
static void test_uniform(void **state)
{
    (void)state;
    int hits[POPULATION_COUNT] = {0};
    for (uint64_t seed = 1; seed <= 12000; seed++) {
        spotcheck_pick pick;
        size_t drawn;
        draw(seed, 1, 1, &pick, &drawn);
        assert_int_equal(drawn, 1);
        for (size_t i = 0; i < POPULATION_COUNT; i++)
            hits[i] += pick.target == population[i];
    }
    for (size_t i = 0; i < POPULATION_COUNT; i++)
        assert_in_range(hits[i], 850, 1150);
}

static void test_refused(void **state)
{
    (void)state;
    spotcheck_pick out[4];
    size_t drawn;
    int64_t inspectors[] = {1, 2};
    int64_t unsorted[] = {2, 1};
    assert_int_equal(
        spotcheck_draw(1, population, POPULATION_COUNT, 0, inspectors, 2, 1, out, &drawn),
        WR_EINVAL);
    assert_int_equal(
        spotcheck_draw(1, population, POPULATION_COUNT, 4, inspectors, 2, 3, out, &drawn),
        WR_EINVAL);
    assert_int_equal(
        spotcheck_draw(1, population, POPULATION_COUNT, 4, inspectors, 0, 1, out, &drawn),
        WR_EINVAL);
    assert_int_equal(
        spotcheck_draw(1, population, POPULATION_COUNT, 4, unsorted, 2, 1, out, &drawn), WR_EINVAL);
    assert_int_equal(spotcheck_draw(1, NULL, 3, 4, inspectors, 2, 1, out, &drawn), WR_EINVAL);
    assert_int_equal(spotcheck_draw(1, population, 0, 4, inspectors, 2, 1, out, &drawn), WR_OK);
    assert_int_equal(drawn, 0);
}

static void test_seed_text(void **state)
{
    (void)state;
    char text[SPOTCHECK_SEED_HEX_LEN + 1];
    uint64_t seed;
    spotcheck_seed_format(UINT64_C(0x0123456789abcdef), text);
    assert_string_equal(text, "0123456789abcdef");
    assert_int_equal(spotcheck_seed_parse("0123456789ABCDEF", 16, &seed), WR_OK);
    assert_true(seed == UINT64_C(0x0123456789abcdef));
    assert_int_equal(spotcheck_seed_parse("0123456789abcde", 15, &seed), WR_EINVAL);
    assert_int_equal(spotcheck_seed_parse("0123456789abcdeg", 16, &seed), WR_EINVAL);
    assert_int_equal(spotcheck_seed_parse(NULL, 16, &seed), WR_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generator),       cmocka_unit_test(test_reproducible),
        cmocka_unit_test(test_picks_and_loads), cmocka_unit_test(test_uniform),
        cmocka_unit_test(test_refused),         cmocka_unit_test(test_seed_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
