/*
** test_hjitter.c: retry_schedule's two sides of the jitter (sim/check/hjitter.c), fed
** samples directly: the odds it counts, the sides it flags, the samples it refuses.
**
** The knobs of scenarios/retry-jitter-both-ways.lua: a linear 2 s base, jitter 0.5, a scan
** every 0.1 s.  Attempt 1's interval b = 2000 ms spreads by J = 1000 ms, so a correct
** service shows each side with a chance of (1000 - 100 - 5) / 2000 = 0.4475 a sample:
** -ln(0.5525) = 0.593 of the 20.7 needed, so 35 samples decide and 34 do not.
** A republication whose lateness is excused is no sample, unless it came early.
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "../../../sim/check/hjitter.h"

static history_conf conf;
static checker_result res;

static void setup_conf(double jitter, int64_t scan_ms) {
    memset(&conf, 0, sizeof conf);
    ox_config_default(&conf.cfg);
    conf.cfg.retry = OX_RETRY_LINEAR;
    conf.cfg.retry_base_ms = 2000;
    conf.cfg.jitter = jitter;
    conf.cfg.scan_interval_ms = scan_ms;
    conf.npay = 100;
}

/* Feeds n samples of attempt 1 (b = 2000 ms) that waited `waited` ms, then `early` that
** came 500 ms early and `late` 500 ms late (past the scan); returns the flags. */
static const checker_result *feed(int n, int64_t waited, int early, int late, int excused) {
    hjitter j;
    memset(&j, 0, sizeof j);
    uint32_t line = 10;
    for (int i = 0; i < n; i++) hjitter_sample(&j, &conf.cfg, 2000, waited, excused, line++);
    for (int i = 0; i < early; i++) hjitter_sample(&j, &conf.cfg, 2000, 1500, excused, line++);
    for (int i = 0; i < late; i++) hjitter_sample(&j, &conf.cfg, 2000, 2600, excused, line++);
    memset(&res, 0, sizeof res);
    history_sink s = { .conf = &conf, .out = &res };
    hjitter_end(&j, &s);
    return &res;
}

static int flags(void) { return (int)res.inv[HI_RETRY_SCHEDULE].count; }

static const char *text(int k) { return res.inv[HI_RETRY_SCHEDULE].shown[k].text; }

/* A jitter that only delays: every sample on or after its interval. */
static void test_only_later_flagged(void **state) {
    (void)state;
    setup_conf(0.5, 100);
    feed(35, 2050, 0, 0, 0);   /* at b + 50: neither surely early nor surely late */
    assert_int_equal(flags(), 2);
    feed(35, 2000, 0, 5, 0);
    assert_int_equal(flags(), 1);
    assert_non_null(strstr(text(0), "no republication came earlier than the policy's interval, "
                                    "in 40 where"));
    assert_non_null(strstr(text(0), "the jitter only delays (drawn from [0, +jitter))"));
    assert_int_equal(res.inv[HI_RETRY_SCHEDULE].shown[0].nlines, 2);
    /* one early sample clears it; so does too little evidence */
    assert_int_equal((feed(35, 2000, 1, 5, 0), flags()), 0);
    assert_int_equal((feed(29, 2000, 0, 5, 0), flags()), 0);   /* 34 samples: 1 in 10^8.9 */
    /* the bounds of a sure side: b - 3 is not early, b + scan + 3 is not late */
    assert_int_equal((feed(40, 1997, 0, 0, 0), flags()), 2);
    assert_int_equal((feed(40, 2103, 0, 0, 0), flags()), 2);
    assert_int_equal((feed(40, 1996, 0, 0, 0), flags()), 1);   /* early: only later unseen */
    assert_non_null(strstr(text(0), "no republication came later"));
}

/* A jitter that only hastens: the late side unseen.  Excused samples (a restart, a slow
** fault, relays) prove nothing, their delay unbounded: all late, they flag no side; one
** that came early all the same shows the early side. */
static void test_only_earlier_flagged_and_excuses(void **state) {
    (void)state;
    setup_conf(0.5, 100);
    feed(35, 2000, 5, 0, 0);
    assert_int_equal(flags(), 1);
    assert_non_null(strstr(text(0), "no republication came later"));
    assert_non_null(strstr(text(0), "the jitter only hastens"));
    assert_int_equal((feed(1000, 2600, 0, 0, 1), flags()), 0);
    hjitter j;
    memset(&j, 0, sizeof j);
    for (int i = 0; i < 40; i++) hjitter_sample(&j, &conf.cfg, 2000, 2050, 0, 10);
    hjitter_sample(&j, &conf.cfg, 2000, 1500, 1, 11);   /* excused, and early all the same */
    memset(&res, 0, sizeof res);
    history_sink s = { .conf = &conf, .out = &res };
    hjitter_end(&j, &s);
    assert_int_equal(flags(), 1);
    assert_non_null(strstr(text(0), "no republication came later"));
}

/* A jitter that hides inside the scan's lag gives no samples: J = 2000 * 0.05 = 100 ms is
** less than a scan of 100 ms and the slack.  Nor does a small jitter decide soon. */
static void test_small_jitter_no_samples(void **state) {
    (void)state;
    setup_conf(0.05, 100);
    assert_int_equal((feed(1000, 2000, 0, 0, 0), flags()), 0);
    setup_conf(0.1, 100);   /* J = 200: p = 95 / 400 per sample, 77 samples decide */
    assert_int_equal((feed(76, 2050, 0, 0, 0), flags()), 0);
    assert_int_equal((feed(77, 2050, 0, 0, 0), flags()), 2);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_only_later_flagged),
        cmocka_unit_test(test_only_earlier_flagged_and_excuses),
        cmocka_unit_test(test_small_jitter_no_samples),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
