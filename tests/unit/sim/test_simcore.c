/*
** test_simcore.c: the simulator's event queue, network decisions (drops, duplicates,
** delays, partitions) and PRNG: the parts whose order and draws decide a run, so they
** must be exactly reproducible.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../../lib/prng.h"
#include "../../../sim/core/evq.h"
#include "../../../sim/core/net.h"
#include "../../../sim/scenario/scenario.h"

static void evq_orders_by_time_then_insertion(void **state) {
    (void)state;
    sim_evq q;
    evq_init(&q);
    int64_t times[] = { 50, 10, 30, 10, 50, 0, 30 };
    for (uint32_t i = 0; i < 7; i++) {
        sim_event ev = { .t = times[i], .type = EV_TIMER, .a = i };
        assert_int_equal(evq_push(&q, ev), 0);
    }
    uint32_t expect[] = { 5, 1, 3, 2, 6, 0, 4 };
    for (int i = 0; i < 7; i++) {
        sim_event ev;
        assert_int_equal(evq_pop(&q, &ev), 0);
        assert_int_equal(ev.a, expect[i]);
    }
    sim_event ev;
    assert_int_equal(evq_pop(&q, &ev), -1);
    evq_free(&q);
}

static void evq_many_events_stay_sorted(void **state) {
    (void)state;
    sim_evq q;
    evq_init(&q);
    ox_prng p;
    ox_prng_seed(&p, 5);
    for (int i = 0; i < 20000; i++) {
        sim_event ev = { .t = (int64_t)ox_prng_below(&p, 1000), .type = EV_TIMER };
        assert_int_equal(evq_push(&q, ev), 0);
    }
    sim_event prev = { .t = -1 }, ev;
    while (evq_pop(&q, &ev) == 0) {
        assert_true(ev.t > prev.t || (ev.t == prev.t && ev.seq > prev.seq));
        prev = ev;
    }
    evq_free(&q);
}

static sim_scenario *scenario_with(sim_fault f) {
    sim_scenario *sc = calloc(1, sizeof *sc);
    f.id = 1;
    sc->faults[0] = f;
    sc->nfaults = 1;
    return sc;
}

static void net_drops_exactly_the_nth_matching_frame(void **state) {
    (void)state;
    sim_fault f = {
        .kind = FK_DROP, .src = 0, .dst = 1, .nth = 3, .from_us = 0, .to_us = SIM_FOREVER
    };
    sim_scenario *sc = scenario_with(f);
    ox_prng rng;
    ox_prng_seed(&rng, 1);
    net_fate fate;
    int dropped_at = 0;
    for (int i = 1; i <= 6; i++) {
        /* a frame on another link does not count */
        net_decide(sc, &rng, 0, 0, 2, 1, "ACC_QUEUE", "PUBLISH CONSUMED", 0, &fate);
        assert_int_equal(fate.dropped_by, 0);
        net_decide(sc, &rng, 0, 0, 0, 1, "PAY_QUEUE", "PUBLISH PAYMENT", 0, &fate);
        if (fate.dropped_by) { assert_int_equal(dropped_at, 0); dropped_at = i; }
    }
    assert_int_equal(dropped_at, 3);
    free(sc);
}

static void net_faults_respect_window_and_healing(void **state) {
    (void)state;
    sim_fault f = {
        .kind = FK_DROP, .src = SIM_ANY, .dst = SIM_ANY, .p = 1.0, .from_us = 100, .to_us = 200
    };
    sim_scenario *sc = scenario_with(f);
    ox_prng rng;
    ox_prng_seed(&rng, 1);
    net_fate fate;
    net_decide(sc, &rng, 99, 0, 0, 1, "PAY_QUEUE", "PUBLISH PAYMENT", 0, &fate);
    assert_int_equal(fate.dropped_by, 0);
    net_decide(sc, &rng, 100, 0, 0, 1, "PAY_QUEUE", "PUBLISH PAYMENT", 0, &fate);
    assert_int_equal(fate.dropped_by, 1);
    net_decide(sc, &rng, 150, 1, 0, 1, "PAY_QUEUE", "PUBLISH PAYMENT", 0, &fate);   /* healed */
    assert_int_equal(fate.dropped_by, 0);
    assert_int_equal(fate.ncopies, 1);
    net_decide(sc, &rng, 200, 0, 0, 1, "PAY_QUEUE", "PUBLISH PAYMENT", 0, &fate);
    assert_int_equal(fate.dropped_by, 0);
    free(sc);
}

static void net_duplicates_and_delays(void **state) {
    (void)state;
    sim_fault f = { .kind = FK_DUPLICATE,
                    .src = SIM_ANY,
                    .dst = 2,
                    .label = "DELIVER",
                    .p = 1.0,
                    .copies = 2,
                    .from_us = 0,
                    .to_us = SIM_FOREVER };
    sim_scenario *sc = scenario_with(f);
    sc->faults[1] = (sim_fault){ .kind = FK_DELAY,
                                 .id = 2,
                                 .src = SIM_ANY,
                                 .dst = SIM_ANY,
                                 .p = 1.0,
                                 .min_us = 500000,
                                 .max_us = 500000,
                                 .from_us = 0,
                                 .to_us = SIM_FOREVER };
    sc->nfaults = 2;
    ox_prng rng;
    ox_prng_seed(&rng, 1);
    net_fate fate;
    net_decide(sc, &rng, 0, 0, 1, 2, "PAY_QUEUE", "DELIVER PAYMENT", 0, &fate);
    assert_int_equal(fate.ncopies, 3);
    assert_int_equal(fate.duplicated_by, 1);
    for (int c = 0; c < 3; c++) {
        assert_true(fate.latency_us[c] >= 500000 + NET_LATENCY_MIN_US);
        assert_true(fate.latency_us[c] <= 500000 + NET_LATENCY_MAX_US);
    }
    net_decide(sc, &rng, 0, 0, 1, 0, "ACC_QUEUE", "DELIVER CONSUMED", 0,
               &fate); /* to payment: no dup */
    assert_int_equal(fate.ncopies, 1);
    free(sc);
}

static void net_decisions_repeat_for_a_seed(void **state) {
    (void)state;
    sim_fault f = { .kind = FK_DROP,
                    .src = SIM_ANY,
                    .dst = SIM_ANY,
                    .p = 0.5,
                    .from_us = 0,
                    .to_us = SIM_FOREVER };
    char a[200], b[200];
    for (int round = 0; round < 2; round++) {
        sim_scenario *sc = scenario_with(f);
        ox_prng rng;
        ox_prng_seed(&rng, 1234);
        for (int i = 0; i < 200; i++) {
            net_fate fate;
            net_decide(sc, &rng, 0, 0, 0, 1, "PAY_QUEUE", "PUBLISH PAYMENT", 0, &fate);
            (round ? b : a)[i] = fate.dropped_by ? 'x' : (char)('0' + fate.latency_us[0] % 10);
        }
        free(sc);
    }
    assert_memory_equal(a, b, sizeof a);
    assert_non_null(memchr(a, 'x', sizeof a));
}

/* A partition loses every frame on its link(s) in its window, before any draw: the
** frames it cuts leave the network stream and the other faults' nth counts alone. */
static void net_partitions_cut_links_without_draws(void **state) {
    (void)state;
    sim_fault f = {
        .kind = FK_PARTITION, .src = 0, .dst = 1, .twoway = 1, .from_us = 100, .to_us = 200
    };
    sim_scenario *sc = scenario_with(f);
    sc->faults[1] = (sim_fault){ .kind = FK_PARTITION, .id = 2, .src = 2, .dst = 1, .twoway = 0,
                                 .from_us = 0, .to_us = SIM_FOREVER };
    sc->faults[2] = (sim_fault){ .kind = FK_DROP, .id = 3, .src = SIM_ANY, .dst = SIM_ANY, .nth = 2,
                                 .from_us = 0, .to_us = SIM_FOREVER };
    sc->nfaults = 3;
    ox_prng rng, ref;
    ox_prng_seed(&rng, 9);
    ox_prng_seed(&ref, 9);
    net_fate fate;
    /* two-way, inside the window: both directions cut, by fault 1 */
    net_decide(sc, &rng, 150, 0, 0, 1, "PAY_QUEUE", "PUBLISH PAYMENT", 7, &fate);
    assert_int_equal(fate.partitioned_by, 1);
    assert_int_equal(fate.ncopies, 0);
    net_decide(sc, &rng, 150, 0, 1, 0, "ACC_QUEUE", "DELIVER CONSUMED", 7, &fate);
    assert_int_equal(fate.partitioned_by, 1);
    /* one-way accounting->broker: that direction only */
    net_decide(sc, &rng, 150, 0, 2, 1, "PAY_QUEUE", "DACK", 0, &fate);
    assert_int_equal(fate.partitioned_by, 2);
    assert_true(ox_prng_next(&rng) == ox_prng_next(&ref));   /* no draw so far */
    assert_int_equal(sc->faults[2].seen, 0);                  /* nor a count */
    net_decide(sc, &rng, 150, 0, 1, 2, "PAY_QUEUE", "DELIVER PAYMENT", 7, &fate);
    assert_int_equal(fate.partitioned_by, 0);
    assert_int_equal(fate.ncopies, 1);
    assert_int_equal(sc->faults[2].seen, 1);
    /* outside its window, or healed, a partition cuts nothing */
    net_decide(sc, &rng, 200, 0, 0, 1, "PAY_QUEUE", "PUBLISH PAYMENT", 7, &fate);
    assert_int_equal(fate.partitioned_by, 0);
    assert_int_equal(fate.dropped_by, 3);                     /* the nth = 2 frame */
    assert_int_equal(net_partition(sc, 150, 1, 2, 1), 0);
    assert_int_equal(net_partition(sc, 99, 0, 0, 1), 0);
    assert_int_equal(net_partition(sc, 99, 0, 2, 1), 2);
    free(sc);
}

/* pay = N: only frames about that payment match (a DACK is about none). */
static void net_pay_filter(void **state) {
    (void)state;
    sim_fault f = { .kind = FK_DROP,
                    .src = SIM_ANY,
                    .dst = SIM_ANY,
                    .pay = 7,
                    .p = 1.0,
                    .from_us = 0,
                    .to_us = SIM_FOREVER };
    sim_scenario *sc = scenario_with(f);
    ox_prng rng;
    ox_prng_seed(&rng, 1);
    net_fate fate;
    net_decide(sc, &rng, 0, 0, 0, 1, "PAY_QUEUE", "PUBLISH PAYMENT", 7, &fate);
    assert_int_equal(fate.dropped_by, 1);
    net_decide(sc, &rng, 0, 0, 0, 1, "PAY_QUEUE", "PUBLISH PAYMENT", 8, &fate);
    assert_int_equal(fate.dropped_by, 0);
    net_decide(sc, &rng, 0, 0, 2, 1, "PAY_QUEUE", "DACK", 0, &fate);
    assert_int_equal(fate.dropped_by, 0);
    free(sc);
}

static void prng_streams_are_stable(void **state) {
    (void)state;
    ox_prng p;
    ox_prng_seed(&p, 42);
    uint64_t first = ox_prng_next(&p);
    ox_prng_seed(&p, 42);
    assert_true(ox_prng_next(&p) == first);
    assert_true(ox_prng_derive(42, 1) != ox_prng_derive(42, 2));
    assert_true(ox_prng_derive(42, 1) == ox_prng_derive(42, 1));
    for (int i = 0; i < 1000; i++) assert_true(ox_prng_below(&p, 7) < 7);
    assert_int_equal(ox_prng_chance(&p, 0.0), 0);
    assert_int_equal(ox_prng_chance(&p, 1.0), 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(evq_orders_by_time_then_insertion),
        cmocka_unit_test(evq_many_events_stay_sorted),
        cmocka_unit_test(net_drops_exactly_the_nth_matching_frame),
        cmocka_unit_test(net_faults_respect_window_and_healing),
        cmocka_unit_test(net_duplicates_and_delays),
        cmocka_unit_test(net_decisions_repeat_for_a_seed),
        cmocka_unit_test(net_partitions_cut_links_without_draws),
        cmocka_unit_test(net_pay_filter),
        cmocka_unit_test(prng_streams_are_stable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
