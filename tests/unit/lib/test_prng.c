/*
** test_prng.c: lib/prng.c against its contract (prng.h): the stream is xoshiro256**
** seeded through splitmix64, value for value; ox_prng_below is uniform below n and
** never reaches n; ox_prng_chance never fires at p <= 0, always at p >= 1, and draws
** nothing in either case.  The simulator decides every random thing through these, and
** py/oxnode.py re-implements the stream (tests/system/python.sh holds the two equal), so
** the first values are pinned here against the published algorithm, computed apart.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../../lib/prng.h"

/* The first outputs for seeds 1 and 0, from a separate implementation of splitmix64 and
** xoshiro256** (Blackman and Vigna's reference constants: 30, 27, 31; 17, 45; * 5, 7, 9). */
static void test_known_stream(void **state) {
    (void)state;
    ox_prng p;
    ox_prng_seed(&p, 1);
    assert_true(ox_prng_next(&p) == 0xb3f2af6d0fc710c5ULL);
    assert_true(ox_prng_next(&p) == 0x853b559647364ceaULL);
    assert_true(ox_prng_next(&p) == 0x92f89756082a4514ULL);
    ox_prng_seed(&p, 0);
    assert_true(ox_prng_next(&p) == 0x99ec5f36cb75f2b4ULL);
    assert_true(ox_prng_next(&p) == 0xbf6e1f784956452aULL);
}

/* Below n, every value reached, none favoured: 20000 draws below 10 give each value
** 2000 times, give or take 10% (a bias of that size is far beyond chance). */
static void test_below(void **state) {
    (void)state;
    ox_prng p;
    ox_prng_seed(&p, 7);
    uint32_t count[10] = { 0 };
    for (int i = 0; i < 20000; i++) {
        uint64_t v = ox_prng_below(&p, 10);
        assert_true(v < 10);
        count[v]++;
    }
    for (int i = 0; i < 10; i++) assert_true(count[i] > 1800 && count[i] < 2200);
    for (int i = 0; i < 100; i++) assert_int_equal(ox_prng_below(&p, 1), 0);
    uint64_t big = 0;
    for (int i = 0; i < 100; i++) {
        uint64_t v = ox_prng_below(&p, UINT64_MAX);
        assert_true(v < UINT64_MAX);
        big |= v >> 63;
    }
    assert_true(big);   /* the top half is reached: no truncation to a smaller type */
}

/* Chance: the edges draw nothing (the state is unchanged), the middle fires as often as
** asked, give or take a tenth. */
static void test_chance(void **state) {
    (void)state;
    ox_prng p, before;
    ox_prng_seed(&p, 3);
    before = p;
    for (int i = 0; i < 100; i++) {
        assert_int_equal(ox_prng_chance(&p, 0.0), 0);
        assert_int_equal(ox_prng_chance(&p, -0.5), 0);
        assert_int_equal(ox_prng_chance(&p, 1.0), 1);
        assert_int_equal(ox_prng_chance(&p, 2.0), 1);
    }
    assert_memory_equal(&p, &before, sizeof p);
    int fired = 0;
    for (int i = 0; i < 20000; i++) fired += ox_prng_chance(&p, 0.25);
    assert_true(fired > 4500 && fired < 5500);
    fired = 0;
    for (int i = 0; i < 20000; i++) fired += ox_prng_chance(&p, 0.999);
    assert_true(fired > 19900 && fired < 20000);   /* p just below 1: almost always */
}

/* Units are in [0, 1), and derived streams differ from each other and from the seed's. */
static void test_unit_and_derive(void **state) {
    (void)state;
    ox_prng p;
    ox_prng_seed(&p, 11);
    double lo = 1.0, hi = 0.0;
    for (int i = 0; i < 20000; i++) {
        double u = ox_prng_unit(&p);
        assert_true(u >= 0.0 && u < 1.0);
        if (u < lo) lo = u;
        if (u > hi) hi = u;
    }
    assert_true(lo < 0.001 && hi > 0.999);
    assert_true(ox_prng_derive(5, 1) != ox_prng_derive(5, 2));
    assert_true(ox_prng_derive(5, 1) != ox_prng_derive(6, 1));
    assert_true(ox_prng_derive(5, 1) == ox_prng_derive(5, 1));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_stream),
        cmocka_unit_test(test_below),
        cmocka_unit_test(test_chance),
        cmocka_unit_test(test_unit_and_derive),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
