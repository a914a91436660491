/*
** test_history_lease.c: lease_exclusive against skewed clocks (sim/check/hlease.c), and the
** relays' scan notes judged by the producer's checks (sim/check/hproducer.c), on
** hand-written traces.
**
** Two relays; relay-1 claims msg 1 at 2.0 s with a 2 s lease, relay-2 claims it at 2.5 s,
** while relay-1's lease runs (virtual time).  Whether that is the design's fault depends
** on the clocks: relay-2's claim note says its clock read 1.8 s ahead of relay-1's.  A
** clock fault on either relay larger than lease_skew (the margin) explains the break; one
** within it, or no clock fault at all, does not.  Last, a relay releases only a lease it
** holds, and gives it back in the step that published its row.
*/
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../../sim/check/history.h"

#define MAXL 16

typedef struct {
    const char *lines[MAXL];
    int n;
} trace;

#define L_RUN "{\"t\":0.000000,\"ev\":\"run\",\"design\":\"outbox\",\"payments\":2}"
#define L_PAY "{\"t\":0.010000,\"ev\":\"pay\",\"node\":\"client\",\"pay\":1,\"account\":1," \
              "\"amount\":100,\"try\":1}"
#define L_COMMIT "{\"t\":0.010000,\"ev\":\"note\",\"node\":\"payment\",\"kind\":\"commit\"," \
                 "\"pay\":1,\"detail\":\"payment 1: 100 cents from account 1, outbox row 1\"}"
#define L_PUB1 "{\"t\":0.010000,\"ev\":\"note\",\"node\":\"payment\",\"kind\":\"publish\"," \
               "\"pay\":1,\"detail\":\"msg 1 attempt 1 to PAY_QUEUE\"}"
#define L_SKEW(node) "{\"t\":0.000000,\"ev\":\"fault\",\"fault\":1,\"kind\":\"clock\"," \
                     "\"target\":\"" node "\",\"by\":\"scenario\"}"
#define L_CLAIM(t, node, at, until) "{\"t\":" t ",\"ev\":\"note\",\"node\":\"" node "\"," \
    "\"kind\":\"claim\",\"pay\":1,\"detail\":\"msg 1 claimed by " node " at " at " until " \
    until "\"}"
/* The scan note that announces a relay's batch of one claim, in the claim's step. */
#define L_RSCAN(t, node) "{\"t\":" t ",\"ev\":\"note\",\"node\":\"" node "\",\"kind\":" \
    "\"scan\",\"detail\":\"1 due\"}"
#define L_RPUB(t, node, n) "{\"t\":" t ",\"ev\":\"note\",\"node\":\"" node "\",\"kind\":" \
    "\"publish\",\"pay\":1,\"detail\":\"msg 1 attempt " n " to PAY_QUEUE\"}"

/* relay-1's claim at 2.0 s on a true clock; relay-2's at 2.5 s on a clock `at` says. */
#define CLAIM1 L_CLAIM("2.000000", "relay-1", "1700000002000", "1700000004000")
#define CLAIM2(at, until) L_CLAIM("2.500000", "relay-2", at, until)
#define AHEAD_1_8 CLAIM2("1700000004300", "1700000006300")   /* 1.8 s ahead of relay-1 */
#define BEHIND_1_8 CLAIM2("1700000000700", "1700000002700")  /* 1.8 s behind */

static void add(trace *t, const char *line) {
    assert_true(t->n < MAXL);
    t->lines[t->n++] = line;
}

static checker_result res;

/* Writes t, judges it with two relays under design and knobs k1, k2 (NULL: none). */
static const checker_result *judge(const trace *t, const char *design, const char *k1,
                                   const char *k2) {
    char path[] = "/tmp/test_history_lease_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    for (int i = 0; i < t->n; i++) fprintf(f, "%s\n", t->lines[i]);
    fclose(f);
    const char *knobs[3] = { "relays=2", k1, k2 };
    int nk = 1 + (k1 != NULL) + (k1 != NULL && k2 != NULL);
    static history_conf conf;
    char err[200];
    assert_int_equal(history_conf_make(&conf, design, knobs, nk, 9999, 2, err, sizeof err), 0);
    memset(&res, 0, sizeof res);
    int rc = history_run(path, &conf, &res, err, sizeof err);
    unlink(path);
    if (rc != 0) fail_msg("history_run: %s", err);
    return &res;
}

/* relay-1 claims; relay-2 claims with `claim2`; `fault` (or NULL) first. */
static void steal(trace *t, const char *fault, const char *claim2) {
    t->n = 0;
    add(t, L_RUN);
    if (fault) add(t, fault);
    add(t, L_PAY);
    add(t, L_COMMIT);
    add(t, L_PUB1);
    add(t, L_RSCAN("2.000000", "relay-1"));
    add(t, CLAIM1);
    add(t, L_RSCAN("2.500000", "relay-2"));
    add(t, claim2);
}

static trace cur;

/* A clock fault on relay-2 of 1.8 s: within lease_skew 3 it is the design's fault (it took
** no margin), beyond lease_skew 1 the fault's; the default margin (1 s) too. */
static void test_fault_beyond_margin_excuses(void **state) {
    (void)state;
    steal(&cur, L_SKEW("relay-2"), AHEAD_1_8);
    const checker_result *r = judge(&cur, "relay-skewed-clock", "lease_skew=3", NULL);
    assert_int_equal(r->inv[HI_LEASE_EXCLUSIVE].count, 1);
    const checker_violation *v = &r->inv[HI_LEASE_EXCLUSIVE].shown[0];
    assert_non_null(strstr(v->text, "1.800 s ahead of relay-1's, within lease_skew 3.000 s"));
    assert_int_equal(v->nlines, 2);
    assert_int_equal(judge(&cur, "relay-skewed-clock", "lease_skew=1", NULL)
                         ->inv[HI_LEASE_EXCLUSIVE].count, 0);
    assert_int_equal(judge(&cur, "outbox", NULL, NULL)->inv[HI_LEASE_EXCLUSIVE].count, 0);
    assert_int_equal(judge(&cur, "outbox", "lease_skew=1.9", NULL)
                         ->inv[HI_LEASE_EXCLUSIVE].count, 1);
    /* the fault may name the holder instead: relay-1 1.8 s slow is the same skew */
    steal(&cur, L_SKEW("relay-1"), AHEAD_1_8);
    assert_int_equal(judge(&cur, "outbox", "lease_skew=1", NULL)
                         ->inv[HI_LEASE_EXCLUSIVE].count, 0);
}

/* What a clock fault cannot explain: the same claims with no clock fault in the trace (the
** note's clock alone excuses nothing: a relay that misreads its clock is not a fault), or
** a taker whose clock was behind the holder's (it would have seen the lease end later). */
static void test_unexplained_steal_breaks(void **state) {
    (void)state;
    steal(&cur, NULL, AHEAD_1_8);
    assert_int_equal(judge(&cur, "outbox", "lease_skew=1", NULL)
                         ->inv[HI_LEASE_EXCLUSIVE].count, 1);
    steal(&cur, L_SKEW("relay-2"), BEHIND_1_8);
    assert_int_equal(judge(&cur, "outbox", "lease_skew=0", NULL)
                         ->inv[HI_LEASE_EXCLUSIVE].count, 1);
    steal(&cur, L_SKEW("broker"), AHEAD_1_8);   /* a fault on another node */
    assert_int_equal(judge(&cur, "outbox", "lease_skew=1", NULL)
                         ->inv[HI_LEASE_EXCLUSIVE].count, 1);
}

/* Payment 1 committed and published once (attempt 1), no relay yet. */
static void committed(trace *t) {
    t->n = 0;
    add(t, L_RUN);
    add(t, L_PAY);
    add(t, L_COMMIT);
    add(t, L_PUB1);
}

/* A relay runs the scan's row code: its publications are judged by retry_schedule (early:
** attempt 2 before retry_base after attempt 1, as resend-every-scan does) and by
** dead_after_max_attempts, as the payment's are; lateness is not (owned_then_sent's). */
static void test_relay_schedule(void **state) {
    (void)state;
    trace t;
    committed(&t);
    add(&t, L_RSCAN("1.000000", "relay-1"));
    add(&t, L_CLAIM("1.000000", "relay-1", "1700000001000", "1700000003000"));
    add(&t, L_RPUB("1.000000", "relay-1", "2"));
    const checker_result *r = judge(&t, "outbox", NULL, NULL);
    assert_int_equal(r->inv[HI_RETRY_SCHEDULE].count, 1);
    assert_non_null(strstr(r->inv[HI_RETRY_SCHEDULE].shown[0].text, "attempt 2 came 990 ms"));
    t.n = 4;   /* on time (retry_base 2 s), then 60 s late: holds */
    add(&t, L_RSCAN("2.010000", "relay-1"));
    add(&t, L_CLAIM("2.010000", "relay-1", "1700000002010", "1700000004010"));
    add(&t, L_RPUB("2.010000", "relay-1", "2"));
    add(&t, L_RSCAN("66.000000", "relay-2"));
    add(&t, L_CLAIM("66.000000", "relay-2", "1700000066000", "1700000068000"));
    add(&t, L_RPUB("66.000000", "relay-2", "3"));
    r = judge(&t, "outbox", NULL, NULL);
    assert_int_equal(r->inv[HI_RETRY_SCHEDULE].count, 0);
    assert_int_equal(r->inv[HI_DEAD_AFTER_MAX].count, 0);
    r = judge(&t, "outbox", "max_attempts=2", NULL);   /* attempt 3 of 2 */
    assert_int_equal(r->inv[HI_DEAD_AFTER_MAX].count, 1);
}

#define L_REL(t, node) "{\"t\":" t ",\"ev\":\"note\",\"node\":\"" node "\",\"kind\":" \
    "\"release\",\"pay\":1,\"detail\":\"msg 1 released by " node "\"}"

/* msg 1 committed, claimed by relay-1 at 2.01 s for 2 s and published by it: 7 lines. */
static void sent_by_relay1(trace *t) {
    committed(t);
    add(t, L_RSCAN("2.010000", "relay-1"));
    add(t, L_CLAIM("2.010000", "relay-1", "1700000002010", "1700000004010"));
    add(t, L_RPUB("2.010000", "relay-1", "2"));
}

/* A relay releases only the lease it holds (lease_held): relay-1 releasing right after its
** publication holds; relay-1 releasing after its lease ran out and relay-2 took the row,
** or when no lease is open at all, breaks.  The ordered design's "msg 1 released: ..." (a
** held row let go) is not a lease's release and is not judged here. */
static void test_release_only_held(void **state) {
    (void)state;
    trace t;
    sent_by_relay1(&t);
    add(&t, L_REL("2.010000", "relay-1"));
    const checker_result *r = judge(&t, "outbox", "lease=2", NULL);
    assert_int_equal(r->inv[HI_LEASE_HELD].count, 0);
    t.n = 6;   /* relay-1's lease runs out; relay-2 claims; then relay-1 releases */
    add(&t, L_RSCAN("4.500000", "relay-2"));
    add(&t, L_CLAIM("4.500000", "relay-2", "1700000004500", "1700000006500"));
    add(&t, L_REL("4.600000", "relay-1"));
    r = judge(&t, "outbox", "lease=2", NULL);
    assert_int_equal(r->inv[HI_LEASE_HELD].count, 1);
    assert_non_null(strstr(r->inv[HI_LEASE_HELD].shown[0].text,
                           "released by relay-1 at 4.600 s, but the lease was relay-2's"));
    assert_int_equal(r->inv[HI_LEASE_HELD].shown[0].nlines, 2);
    t.n = 4;   /* nobody claimed it */
    add(&t, L_REL("2.010000", "relay-1"));
    r = judge(&t, "outbox", "lease=2", NULL);
    assert_int_equal(r->inv[HI_LEASE_HELD].count, 1);
    assert_non_null(strstr(r->inv[HI_LEASE_HELD].shown[0].text, "with no lease open on it"));
    t.n = 4;
    add(&t, "{\"t\":2.0,\"ev\":\"note\",\"node\":\"relay-1\",\"kind\":\"release\","
            "\"pay\":1,\"detail\":\"msg 1 released: the earlier messages of account 1 are "
            "settled\"}");
    assert_int_equal(judge(&t, "outbox", "lease=2", NULL)->inv[HI_LEASE_HELD].count, 0);
}

/* A relay gives a lease back in the step that published its row (owned_then_sent): with the
** release it holds; without it, judged once the time moves on or at the end, it breaks,
** citing the publication; a crash in that step (the step never finished) or an error
** note of the relay (it rolled back) excuses it. */
static void test_release_after_send(void **state) {
    (void)state;
    trace t;
    sent_by_relay1(&t);
    add(&t, L_REL("2.010000", "relay-1"));
    add(&t, L_RSCAN("2.500000", "relay-2"));
    add(&t, L_CLAIM("2.500000", "relay-2", "1700000002500", "1700000004500"));
    assert_int_equal(judge(&t, "outbox", "lease=2", NULL)->inv[HI_OWNED_SENT].count, 0);
    t.n = 7;   /* no release: relay-2's claim comes in a later step */
    add(&t, L_RSCAN("2.500000", "relay-2"));
    add(&t, L_CLAIM("2.500000", "relay-2", "1700000002500", "1700000004500"));
    const checker_result *r = judge(&t, "outbox", "lease=2", NULL);
    assert_int_equal(r->inv[HI_OWNED_SENT].count, 1);
    assert_non_null(strstr(r->inv[HI_OWNED_SENT].shown[0].text,
                           "msg 1 published by relay-1 at 2.010 s and its lease kept"));
    assert_int_equal(r->inv[HI_OWNED_SENT].shown[0].lines[0], 7);
    t.n = 7;   /* the last step of the trace: judged at the end */
    assert_int_equal(judge(&t, "outbox", "lease=2", NULL)->inv[HI_OWNED_SENT].count, 1);
    add(&t, "{\"t\":2.010000,\"ev\":\"crash\",\"node\":\"relay-1\",\"life\":1}");
    assert_int_equal(judge(&t, "outbox", "lease=2", NULL)->inv[HI_OWNED_SENT].count, 0);
    t.n = 7;
    add(&t, "{\"t\":2.010000,\"ev\":\"note\",\"node\":\"relay-1\",\"kind\":\"error\","
            "\"detail\":\"payment.db: release the lease: disk I/O error\"}");
    assert_int_equal(judge(&t, "outbox", "lease=2", NULL)->inv[HI_OWNED_SENT].count, 0);
}

/* A relay's claims are the batch its scan note announces in the same step
** (owned_then_sent): a claim no scan note announced, or a scan note that announced more
** claims than followed, breaks; the count is what the relay owes. */
static void test_claims_announced(void **state) {
    (void)state;
    trace t;
    sent_by_relay1(&t);
    add(&t, L_REL("2.010000", "relay-1"));
    assert_int_equal(judge(&t, "outbox", "lease=2", NULL)->inv[HI_OWNED_SENT].count, 0);
    for (int i = 4; i + 1 < t.n; i++) t.lines[i] = t.lines[i + 1];   /* no scan note */
    t.n--;
    const checker_result *r = judge(&t, "outbox", "lease=2", NULL);
    assert_int_equal(r->inv[HI_OWNED_SENT].count, 1);
    assert_non_null(strstr(r->inv[HI_OWNED_SENT].shown[0].text,
                           "relay-1 claimed a row at 2.010 s that no scan note of its step "
                           "announced"));
    for (int i = t.n; i > 4; i--) t.lines[i] = t.lines[i - 1];   /* a scan note again */
    t.n++;
    t.lines[4] = "{\"t\":2.010000,\"ev\":\"note\",\"node\":\"relay-1\",\"kind\":\"scan\","
                 "\"detail\":\"2 due\"}";   /* two announced, one claimed */
    r = judge(&t, "outbox", "lease=2", NULL);
    assert_int_equal(r->inv[HI_OWNED_SENT].count, 1);
    assert_non_null(strstr(r->inv[HI_OWNED_SENT].shown[0].text,
                           "relay-1's scan at 2.010 s announced 1 more claims than it noted"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fault_beyond_margin_excuses),
        cmocka_unit_test(test_unexplained_steal_breaks),
        cmocka_unit_test(test_claims_announced),
        cmocka_unit_test(test_relay_schedule),
        cmocka_unit_test(test_release_only_held),
        cmocka_unit_test(test_release_after_send),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
