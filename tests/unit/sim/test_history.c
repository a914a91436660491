/*
** test_history.c: the history checks (sim/check/history.c and h*.c) on hand-written traces.
**
** Each test writes a small trace.jsonl: one payment's whole life, right (every history
** invariant holds), then with one thing broken, and checks that exactly the invariant
** that thing breaks fires, with its ids and the trace lines behind it.  The lines carry
** only the fields the checks read, in the format lib/ writes (history.h lists it).
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

#define MAXL 64
#define D1 "4294967297"
#define D2 "4294967298"

typedef struct {
    const char *lines[MAXL];
    int n;
} trace;

/* The life of payment 1, outbox row 1, delivery D1, right. */
#define L_RUN "{\"t\":0.000000,\"ev\":\"run\",\"design\":\"outbox\",\"payments\":2}"
#define L_PAY "{\"t\":0.010000,\"ev\":\"pay\",\"node\":\"client\",\"pay\":1,\"account\":1," \
              "\"amount\":100,\"try\":1}"
#define L_COMMIT "{\"t\":0.010000,\"ev\":\"note\",\"node\":\"payment\",\"kind\":\"commit\"," \
                 "\"pay\":1,\"detail\":\"payment 1: 100 cents from account 1, outbox row 1\"}"
#define L_SEND_PUB "{\"t\":0.010000,\"ev\":\"send\",\"from\":\"payment\",\"to\":\"broker\"," \
                   "\"label\":\"PUBLISH PAYMENT\",\"queue\":\"PAY_QUEUE\",\"pay\":1,\"msg\":1}"
#define L_PUB(t, n) "{\"t\":" t ",\"ev\":\"note\",\"node\":\"payment\",\"kind\":\"publish\"," \
                    "\"pay\":1,\"detail\":\"msg 1 attempt " n " to PAY_QUEUE\"}"
#define L_ENQ "{\"t\":0.011000,\"ev\":\"note\",\"node\":\"broker\",\"kind\":\"enqueue\"," \
              "\"pay\":1,\"detail\":\"msg 1 PAYMENT on PAY_QUEUE as delivery " D1 ", depth 1\"}"
#define L_BDELIVER(t, what) "{\"t\":" t ",\"ev\":\"note\",\"node\":\"broker\",\"kind\":\"" what \
                  "\",\"pay\":1,\"detail\":\"delivery " D1 " (msg 1 PAYMENT) to accounting, x\"}"
#define L_BREDELIVER(t, n) "{\"t\":" t ",\"ev\":\"note\",\"node\":\"broker\",\"kind\":" \
    "\"redeliver\",\"pay\":1,\"detail\":\"delivery " D1 " (msg 1 PAYMENT) to accounting " \
    "again, redelivery " n "\"}"
#define L_TO_ACC "{\"t\":0.012000,\"ev\":\"deliver\",\"from\":\"broker\",\"to\":\"accounting\"," \
                 "\"label\":\"DELIVER PAYMENT\",\"pay\":1,\"msg\":1,\"delivery\":" D1 "}"
#define L_APPLY "{\"t\":0.012000,\"ev\":\"note\",\"node\":\"accounting\",\"kind\":\"apply\"," \
                "\"pay\":1,\"detail\":\"msg 1: voucher of 100 cents for account 1\"}"
#define L_REFUSE "{\"t\":0.012000,\"ev\":\"note\",\"node\":\"accounting\",\"kind\":\"refuse\"," \
                 "\"pay\":1,\"detail\":\"msg 1 refused: no\"}"
#define L_SEND_ANS "{\"t\":0.012000,\"ev\":\"send\",\"from\":\"accounting\",\"to\":\"broker\"," \
                   "\"label\":\"PUBLISH CONSUMED\",\"queue\":\"ACC_QUEUE\",\"pay\":1,\"msg\":1}"
#define L_ANS(k) "{\"t\":0.012000,\"ev\":\"note\",\"node\":\"accounting\",\"kind\":\"publish\"," \
                 "\"pay\":1,\"detail\":\"" k " for msg 1 to ACC_QUEUE\"}"
#define L_SEND_DACK "{\"t\":0.012000,\"ev\":\"send\",\"from\":\"accounting\",\"to\":\"broker\"," \
                    "\"label\":\"DACK\",\"queue\":\"PAY_QUEUE\",\"delivery\":" D1 "}"
#define L_DACK_IN(d) "{\"t\":0.013000,\"ev\":\"deliver\",\"from\":\"accounting\",\"to\":" \
                     "\"broker\",\"label\":\"DACK\",\"queue\":\"PAY_QUEUE\",\"delivery\":" d "}"
#define L_ACK(d) "{\"t\":0.013000,\"ev\":\"note\",\"node\":\"broker\",\"kind\":\"ack\"," \
                 "\"pay\":1,\"detail\":\"delivery " d " (msg 1 PAYMENT) acked by accounting\"}"
#define L_CONSUMED "{\"t\":0.014000,\"ev\":\"note\",\"node\":\"payment\",\"kind\":\"consumed\"," \
                   "\"pay\":1,\"detail\":\"msg 1 marked CONSUMED\"}"
#define L_FAILED "{\"t\":0.015000,\"ev\":\"note\",\"node\":\"payment\",\"kind\":\"failed\"," \
                 "\"pay\":1,\"detail\":\"msg 1 marked FAILED: no\"}"
#define L_DEAD(t) "{\"t\":" t ",\"ev\":\"note\",\"node\":\"payment\",\"kind\":\"dead\"," \
                  "\"pay\":1,\"detail\":\"msg 1 DEAD after 2 attempts\"}"
#define L_ALERT(t, n, row) "{\"t\":" t ",\"ev\":\"note\",\"node\":\"payment\",\"kind\":" \
    "\"alert\",\"pay\":1,\"detail\":\"DEAD_LETTER: payment 1 dead after " n " attempts " \
    "(outbox row " row ")\"}"
#define L_CLEAN(t, st) "{\"t\":" t ",\"ev\":\"note\",\"node\":\"payment\",\"kind\":" \
    "\"cleanup\",\"pay\":1,\"detail\":\"msg 1 deleted: " st ", updated 9 ms ago\"}"
#define L_RESTART(node) "{\"t\":1.000000,\"ev\":\"restart\",\"node\":\"" node "\",\"life\":2}"
#define L_PRECOVER(n) "{\"t\":1.000000,\"ev\":\"note\",\"node\":\"payment\",\"kind\":" \
                      "\"recover\",\"detail\":\"" n " outbox rows SENDING (design outbox)\"}"
#define L_BRECOVER(n) "{\"t\":1.000000,\"ev\":\"note\",\"node\":\"broker\",\"kind\":" \
                      "\"recover\",\"detail\":\"incarnation 2: " n " messages restored\"}"

#define L_ARECOVER(n, v) "{\"t\":1.000000,\"ev\":\"note\",\"node\":\"accounting\"," \
                         "\"kind\":\"recover\",\"detail\":\"" n " inbox rows, " v " vouchers\"}"
#define L_ACRASH "{\"t\":0.012000,\"ev\":\"crash\",\"node\":\"accounting\",\"life\":1}"

static void add(trace *t, const char *line) {
    assert_true(t->n < MAXL);
    t->lines[t->n++] = line;
}

/* The good life up to the consumer's answer (the row SENDING, the delivery in flight). */
static void head(trace *t) {
    add(t, L_RUN);
    add(t, L_PAY);
    add(t, L_COMMIT);
    add(t, L_SEND_PUB);
    add(t, L_PUB("0.010000", "1"));
    add(t, L_ENQ);
    add(t, L_BDELIVER("0.011000", "deliver"));
    add(t, L_TO_ACC);
}

/* The consumer's answer and ack, the broker's ack, the row CONSUMED. */
static void tail(trace *t) {
    add(t, L_APPLY);
    add(t, L_SEND_ANS);
    add(t, L_ANS("CONSUMED"));
    add(t, L_SEND_DACK);
    add(t, L_DACK_IN(D1));
    add(t, L_ACK(D1));
    add(t, L_CONSUMED);
}

static checker_result res;

/* End-state counts judge_db puts in res before the history pass (0 0: none read). */
static uint32_t preset_payments, preset_alerts, preset_consumed;
static uint32_t preset_npay = 2;   /* the payments the history knows (judge) */

/* Writes t, judges it under design and knobs; returns the result. */
static const checker_result *judge(const trace *t, const char *design, const char *k1,
                                   const char *k2) {
    char path[] = "/tmp/test_history_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    for (int i = 0; i < t->n; i++) fprintf(f, "%s\n", t->lines[i]);
    fclose(f);
    const char *knobs[2] = { k1, k2 };
    int nk = (k1 != NULL) + (k2 != NULL);
    static history_conf conf;
    char err[200];
    int made = history_conf_make(&conf, design, knobs, nk, 9999, preset_npay, err, sizeof err);
    assert_int_equal(made, 0);
    memset(&res, 0, sizeof res);
    res.payments = preset_payments;
    res.alerts = preset_alerts;
    res.consumed = preset_consumed;
    int rc = history_run(path, &conf, &res, err, sizeof err);
    unlink(path);
    if (rc != 0) fail_msg("history_run: %s", err);
    return &res;
}

/* Exactly invariant `inv` broke, `count` times (-1: no invariant broke). */
static void only(const checker_result *r, int inv, uint32_t count) {
    for (int i = INVARIANT_END_STATE; i < INVARIANT_COUNT; i++) {
        if (r->inv[i].count && i != inv)
            fail_msg("%s broke: %s", invariant_at(i)->name, r->inv[i].shown[0].text);
        if (i == inv && r->inv[i].count != count)
            for (uint32_t k = 0; k < r->inv[i].count && k < 2; k++)
                print_message("%s: %s\n", invariant_at(i)->name, r->inv[i].shown[k].text);
        if (i == inv) assert_int_equal(r->inv[i].count, count);
    }
}

/* The relays' notes (lib/relay.h): a claim (clock ms = 1700000000000 + t), a publication
** of attempt 2, a release, a lapse. */
#define L_CLAIM(t, node, at, until) "{\"t\":" t ",\"ev\":\"note\",\"node\":\"" node "\"," \
    "\"kind\":\"claim\",\"pay\":1,\"detail\":\"msg 1 claimed by " node " at " at " until " \
    until "\"}"
/* The scan note that announces a relay's batch of one claim, in the claim's step. */
#define L_RSCAN(t, node) "{\"t\":" t ",\"ev\":\"note\",\"node\":\"" node "\",\"kind\":" \
    "\"scan\",\"detail\":\"1 due\"}"
#define L_RPUB(t, node) "{\"t\":" t ",\"ev\":\"note\",\"node\":\"" node "\",\"kind\":" \
    "\"publish\",\"pay\":1,\"detail\":\"msg 1 attempt 2 to PAY_QUEUE\"}"
#define L_RREL(t, node) "{\"t\":" t ",\"ev\":\"note\",\"node\":\"" node "\",\"kind\":" \
    "\"release\",\"pay\":1,\"detail\":\"msg 1 released by " node "\"}"
#define L_RLAPSE(t, node) "{\"t\":" t ",\"ev\":\"note\",\"node\":\"" node "\",\"kind\":" \
    "\"lapse\",\"pay\":1,\"detail\":\"msg 1 not published by " node ": lease of " node \
    " until 1700000002015\"}"
#define L_PAUSE(t, node) "{\"t\":" t ",\"ev\":\"pause\",\"node\":\"" node "\"}"

/* lease_held, lease_exclusive, owned_then_sent (hlease.h), each on a trace of its own,
** judged only with relays. */
static void test_leases(void **state) {
    (void)state;
    const checker_result *r;
    trace t = { .n = 0 };   /* claimed, published under the lease, released: all hold */
    head(&t);
    add(&t, L_RSCAN("2.010000", "relay-1"));
    add(&t, L_CLAIM("2.010000", "relay-1", "1700000002010", "1700000012010"));
    add(&t, L_RPUB("2.010000", "relay-1"));
    add(&t, L_RREL("2.010000", "relay-1"));
    r = judge(&t, "outbox", "relays=2", NULL);
    for (int i = HI_LEASE_HELD; i <= HI_OWNED_SENT; i++) assert_int_equal(r->inv[i].count, 0);
    t.n = 0;   /* relay-2 claims what relay-1 holds, relay-1 publishes it anyway */
    head(&t);
    add(&t, L_RSCAN("2.010000", "relay-1"));
    add(&t, L_CLAIM("2.010000", "relay-1", "1700000002010", "1700000012010"));
    add(&t, L_RSCAN("2.010000", "relay-2"));
    add(&t, L_CLAIM("2.010000", "relay-2", "1700000002010", "1700000012010"));
    add(&t, L_RPUB("2.110000", "relay-1"));
    r = judge(&t, "relay-no-lease", "relays=2", NULL);
    assert_int_equal(r->inv[HI_LEASE_EXCLUSIVE].count, 1);
    assert_int_equal(r->inv[HI_LEASE_HELD].count, 1);
    assert_int_equal(r->inv[HI_LEASE_HELD].shown[0].nlines, 2);   /* the claim, the publish */
    t.n = 0;   /* a 5 ms lease lapses before its relay, live, publishes: owned, never sent */
    head(&t);
    add(&t, L_RSCAN("2.010000", "relay-1"));
    add(&t, L_CLAIM("2.010000", "relay-1", "1700000002010", "1700000002015"));
    add(&t, L_RLAPSE("2.030000", "relay-1"));
    r = judge(&t, "relay-short-lease", "relays=2", "relay_rtt=0.01");   /* lease rtt/2: 5 ms */
    assert_int_equal(r->inv[HI_OWNED_SENT].count, 1);
    assert_int_equal(r->inv[HI_LEASE_HELD].count, 0);
    t.n = 0;   /* the same, but the relay was paused meanwhile: excused */
    head(&t);
    add(&t, L_RSCAN("2.010000", "relay-1"));
    add(&t, L_CLAIM("2.010000", "relay-1", "1700000002010", "1700000002015"));
    add(&t, L_PAUSE("2.011000", "relay-1"));
    add(&t, L_RLAPSE("2.030000", "relay-1"));
    r = judge(&t, "outbox", "relays=2", "lease=0.005");
    assert_int_equal(r->inv[HI_OWNED_SENT].count, 0);
    t.n = 0;   /* a zombie: its lease over, it publishes */
    head(&t);
    add(&t, L_RSCAN("2.010000", "relay-1"));
    add(&t, L_CLAIM("2.010000", "relay-1", "1700000002010", "1700000004010"));
    add(&t, L_RPUB("4.010000", "relay-1"));
    r = judge(&t, "relay-zombie", "relays=2", "lease=2");
    assert_int_equal(r->inv[HI_LEASE_HELD].count, 1);
    r = judge(&t, "outbox", "relays=2", NULL);   /* a 2 s lease where the knobs say 10 s */
    assert_int_equal(r->inv[HI_LEASE_HELD].count, 2);   /* the claim, and the late publish */
    r = judge(&t, "relay-zombie", NULL, NULL);   /* without relays: not judged */
    assert_true(r->inv[HI_LEASE_HELD].skipped);
    assert_int_equal(r->inv[HI_LEASE_HELD].count, 0);
}

static void test_clean_life_holds(void **state) {
    (void)state;
    trace t = { .n = 0 };
    head(&t);
    tail(&t);
    only(judge(&t, "outbox", NULL, NULL), -1, 0);
}

static void test_publish_before_commit(void **state) {
    (void)state;
    trace t = { .n = 0 };
    add(&t, L_RUN);
    add(&t, L_PAY);
    add(&t, L_SEND_PUB);   /* before the commit note: publish-in-tx */
    add(&t, L_COMMIT);
    const checker_result *r = judge(&t, "outbox", NULL, NULL);
    only(r, HI_PUBLISH_AFTER_COMMIT, 1);
    const checker_violation *v = &r->inv[HI_PUBLISH_AFTER_COMMIT].shown[0];
    assert_int_equal(v->pay_id, 1);
    assert_int_equal(v->msg_id, 1);
    assert_int_equal(v->nlines, 1);
    assert_int_equal(v->lines[0], 3);
}

#define L_CRASH(node) "{\"t\":0.010000,\"ev\":\"crash\",\"node\":\"" node "\",\"life\":1," \
                      "\"at\":\"" node ".after_sync\"}"
#define L_REPUB "{\"t\":3.000000,\"ev\":\"send\",\"from\":\"payment\",\"to\":\"broker\"," \
                "\"label\":\"PUBLISH PAYMENT\",\"queue\":\"PAY_QUEUE\",\"pay\":1,\"msg\":1}"

/* A process that died inside its transaction (a crash right after the commit's sync)
** may have committed: its row, found at the restart and published by the scan, is no
** publication before COMMIT.  A publication before the crash still is one. */
static void test_died_inside_commit(void **state) {
    (void)state;
    trace t = { .n = 0 };
    add(&t, L_RUN);
    add(&t, L_PAY);
    add(&t, L_CRASH("payment"));
    add(&t, L_RESTART("payment"));
    add(&t, L_PRECOVER("1"));
    add(&t, L_REPUB);
    add(&t, "{\"t\":3.000000,\"ev\":\"note\",\"node\":\"payment\",\"kind\":\"publish\","
            "\"pay\":1,\"detail\":\"msg 1 attempt 2 to PAY_QUEUE\"}");
    only(judge(&t, "outbox", NULL, NULL), -1, 0);
    trace u = { .n = 0 };
    add(&u, L_RUN);
    add(&u, L_PAY);
    add(&u, L_SEND_PUB);   /* published inside the transaction, then the crash */
    add(&u, L_CRASH("payment"));
    add(&u, L_RESTART("payment"));
    add(&u, L_PRECOVER("1"));
    only(judge(&u, "outbox", NULL, NULL), HI_PUBLISH_AFTER_COMMIT, 1);
    trace v = { .n = 0 };   /* no crash: a row nobody committed is still not excused */
    add(&v, L_RUN);
    add(&v, L_PAY);
    add(&v, L_RESTART("payment"));
    add(&v, L_PRECOVER("1"));
    only(judge(&v, "outbox", NULL, NULL), HI_RESTART_STATE, 1);
}

/* Attempt 2 of a linear policy with retry_base 2 s comes 2 s (+ a scan) after attempt 1. */
static void retry_at(const char *t2, int inv, uint32_t count) {
    static char line[300];
    snprintf(line, sizeof line, L_PUB("%s", "2"), t2);
    trace t = { .n = 0 };
    head(&t);
    add(&t, line);
    only(judge(&t, "outbox", "retry_base=2", NULL), inv, count);
}

static void test_retry_schedule(void **state) {
    (void)state;
    retry_at("2.010000", -1, 0);       /* due exactly */
    retry_at("2.900000", -1, 0);       /* within the scan interval */
    retry_at("1.010000", HI_RETRY_SCHEDULE, 1);    /* a second early */
    retry_at("9.000000", HI_RETRY_SCHEDULE, 1);    /* 7 s late, nothing held it up */
    trace t = { .n = 0 };
    head(&t);
    add(&t, L_PUB("8.000000", "3"));   /* attempt 2 skipped */
    only(judge(&t, "outbox", NULL, NULL), HI_RETRY_SCHEDULE, 1);
    /* a design without a scan does not claim it */
    assert_int_equal(judge(&t, "outbox-no-recovery", NULL, NULL)->inv[HI_RETRY_SCHEDULE].skipped,
                     1);
}

#define L_SCAN(t) "{\"t\":" t ",\"ev\":\"timer\",\"node\":\"payment\",\"id\":1}"

/* Committed at 0.01 s with retry_base 2 s: due at 2.01 s, so the scan at 3 s must take
** it (the query is next_attempt_at <= now).  Taken only at the scan at 4 s, it was
** passed over once: inside judge_timing's bounds (a scan interval of slack), and still
** off the policy, as an interval computed a little long would do. */
static void test_retry_scan_passes_over(void **state) {
    (void)state;
    trace t = { .n = 0 };
    head(&t);
    add(&t, L_SCAN("2.000000"));
    add(&t, L_SCAN("3.000000"));
    add(&t, L_PUB("3.000000", "2"));
    only(judge(&t, "outbox", "retry_base=2", NULL), -1, 0);
    trace u = { .n = 0 };
    head(&u);
    add(&u, L_SCAN("2.000000"));
    add(&u, L_SCAN("3.000000"));
    add(&u, L_SCAN("4.000000"));
    add(&u, L_PUB("4.000000", "2"));
    only(judge(&u, "outbox", "retry_base=2", NULL), HI_RETRY_SCHEDULE, 1);
    trace v = { .n = 0 };   /* a restart in between excuses it */
    head(&v);
    add(&v, L_SCAN("3.000000"));
    add(&v, L_RESTART("payment"));
    add(&v, L_SCAN("4.000000"));
    add(&v, L_PUB("4.000000", "2"));
    only(judge(&v, "outbox", "retry_base=2", NULL), -1, 0);
}

static void test_dead_after_max_attempts(void **state) {
    (void)state;
    trace t = { .n = 0 };
    head(&t);
    add(&t, L_PUB("2.010000", "2"));
    add(&t, L_DEAD("6.010000"));
    add(&t, L_ALERT("6.010000", "2", "1"));
    only(judge(&t, "outbox", "max_attempts=2", NULL), -1, 0);
    only(judge(&t, "outbox", "max_attempts=3", NULL), HI_DEAD_AFTER_MAX, 1);   /* one early */
    /* attempt 2 published past a budget of 1, and DEAD after 2 */
    only(judge(&t, "outbox", "max_attempts=1", NULL), HI_DEAD_AFTER_MAX, 2);
}

static void test_alert_names_row(void **state) {
    (void)state;
    trace t = { .n = 0 };
    head(&t);
    add(&t, L_PUB("2.010000", "2"));
    add(&t, L_DEAD("6.010000"));
    add(&t, L_ALERT("6.010000", "2", "2"));   /* names row 2 */
    const checker_result *r = judge(&t, "outbox", "max_attempts=2", NULL);
    only(r, HI_ALERT_NAMES_ROW, 1);
    assert_int_equal(r->inv[HI_ALERT_NAMES_ROW].shown[0].msg_id, 1);
    assert_int_equal(r->inv[HI_ALERT_NAMES_ROW].shown[0].nlines, 2);
    t.n--;   /* DEAD and no alert at all */
    only(judge(&t, "outbox", "max_attempts=2", NULL), HI_ALERT_NAMES_ROW, 1);
}

static void test_final_states_final(void **state) {
    (void)state;
    trace t = { .n = 0 };
    head(&t);
    tail(&t);
    add(&t, L_FAILED);   /* a late CONSUME_FAILED moved a CONSUMED row */
    only(judge(&t, "outbox", NULL, NULL), HI_FINAL_STATES, 1);
    add(&t, L_CONSUMED);
    only(judge(&t, "outbox", NULL, NULL), HI_FINAL_STATES, 2);
}

static void test_answer_after_commit(void **state) {
    (void)state;
    trace t = { .n = 0 };
    head(&t);
    add(&t, L_SEND_ANS);   /* ack-before-apply: answer and ack, then apply */
    add(&t, L_ANS("CONSUMED"));
    add(&t, L_SEND_DACK);
    add(&t, L_APPLY);
    const checker_result *r = judge(&t, "outbox", NULL, NULL);
    only(r, HI_ANSWER_AFTER_COMMIT, 2);
    assert_int_equal(r->inv[HI_ANSWER_AFTER_COMMIT].shown[1].lines[1], 11);
}

static void test_dedupe_same_answer(void **state) {
    (void)state;
    trace t = { .n = 0 };
    head(&t);
    tail(&t);
    add(&t, L_TO_ACC);   /* the same message again */
    add(&t, L_APPLY);    /* ...applied again: a second voucher */
    only(judge(&t, "outbox", NULL, NULL), HI_DEDUPE, 1);
    t.n--;
    add(&t, L_ANS("CONSUME_FAILED"));   /* ...answered otherwise */
    only(judge(&t, "outbox", NULL, NULL), HI_DEDUPE, 1);
}

static void test_business_rules(void **state) {
    (void)state;
    trace t = { .n = 0 };
    head(&t);
    tail(&t);
    only(judge(&t, "outbox", "max_amount=100", NULL), -1, 0);          /* the boundary */
    only(judge(&t, "outbox", "max_amount=99", NULL), HI_BUSINESS_RULES, 1);
    only(judge(&t, "outbox", "frozen=1", NULL), HI_BUSINESS_RULES, 1);
    trace u = { .n = 0 };
    head(&u);
    add(&u, L_REFUSE);
    only(judge(&u, "outbox", "max_amount=99", NULL), -1, 0);
    only(judge(&u, "outbox", "max_amount=100", NULL), HI_BUSINESS_RULES, 1);
}

static void test_broker_redelivery(void **state) {
    (void)state;
    trace t = { .n = 0 };
    head(&t);
    add(&t, L_BREDELIVER("1.011000", "1"));   /* visibility 5 s: 4 s early */
    only(judge(&t, "outbox", NULL, NULL), HI_REDELIVERY, 1);
    t.n--;
    add(&t, L_BREDELIVER("5.011000", "1"));
    only(judge(&t, "outbox", NULL, NULL), -1, 0);
    only(judge(&t, "outbox", "delivery=at-most-once", NULL), HI_REDELIVERY, 1);
    /* Each redelivery counts one more, and a durable broker's restart keeps the count:
    ** 1, restart, then 2 is right; 1, restart, 1 again is a count that started over. */
    add(&t, "{\"t\":6.000000,\"ev\":\"crash\",\"node\":\"broker\",\"life\":1}");
    add(&t, "{\"t\":6.500000,\"ev\":\"restart\",\"node\":\"broker\",\"life\":2}");
    add(&t, "{\"t\":6.500000,\"ev\":\"note\",\"node\":\"broker\",\"kind\":\"recover\","
            "\"detail\":\"incarnation 2: 1 messages restored\"}");
    add(&t, L_BDELIVER("6.500000", "deliver"));
    add(&t, L_BREDELIVER("11.500000", "2"));
    only(judge(&t, "outbox", "durable=1", NULL), -1, 0);
    t.lines[t.n - 1] = L_BREDELIVER("11.500000", "1");
    const checker_result *r = judge(&t, "outbox", "durable=1", NULL);
    only(r, HI_REDELIVERY, 1);
    assert_non_null(strstr(r->inv[HI_REDELIVERY].shown[0].text,
                           "redelivered as redelivery 1; the one before was redelivery 1"));
    t.lines[t.n - 1] = L_BREDELIVER("11.500000", "3");   /* one skipped */
    only(judge(&t, "outbox", "durable=1", NULL), HI_REDELIVERY, 1);
}

static void test_dack_names_delivery(void **state) {
    (void)state;
    trace t = { .n = 0 };
    head(&t);
    add(&t, L_APPLY);
    add(&t, L_SEND_DACK);
    add(&t, L_DACK_IN(D1));
    add(&t, L_ACK(D2));   /* the broker acked another delivery */
    only(judge(&t, "outbox", NULL, NULL), HI_DACK, 1);
    t.n--;
    add(&t, "{\"t\":0.013000,\"ev\":\"note\",\"node\":\"broker\",\"kind\":\"stale_ack\","
            "\"detail\":\"delivery " D1 " on PAY_QUEUE from accounting: not in flight\"}");
    only(judge(&t, "outbox", NULL, NULL), HI_DACK, 1);
    trace u = { .n = 0 };                           /* an id given out twice */
    head(&u);
    add(&u, L_ENQ);
    only(judge(&u, "outbox", NULL, NULL), HI_DACK, 1);
    u.lines[u.n - 1] = "{\"t\":1.000000,\"ev\":\"power_cut\",\"node\":\"broker\"}";
    add(&u, L_ENQ);                                 /* after a power cut: indefinite */
    only(judge(&u, "outbox", NULL, NULL), -1, 0);
}

#define L_END(t) "{\"t\":" t ",\"ev\":\"end\"}"

/* Delivered until acked (visibility 5 s: owed after 10 s of calm), and at most once in
** id order. */
static void test_delivered_until_acked(void **state) {
    (void)state;
    trace t = { .n = 0 };
    head(&t);                                       /* in flight since 0.011 */
    add(&t, L_END("10.000000"));
    only(judge(&t, "outbox", NULL, NULL), -1, 0);   /* not owed yet */
    t.lines[t.n - 1] = L_END("10.020000");
    const checker_result *r = judge(&t, "outbox", NULL, NULL);
    only(r, HI_DELIVERED, 1);                       /* neither acked nor sent again */
    assert_int_equal(r->inv[HI_DELIVERED].shown[0].msg_id, 1);
    assert_int_equal(r->inv[HI_DELIVERED].shown[0].lines[0], 7);   /* its last sending */
    assert_int_equal(judge(&t, "outbox", "delivery=at-most-once", NULL)
                         ->inv[HI_DELIVERED].skipped, 1);
    t.lines[t.n - 1] = L_BREDELIVER("5.011000", "1");
    add(&t, L_END("15.000000"));
    only(judge(&t, "outbox", NULL, NULL), -1, 0);   /* sent again at the timeout */
    t.n -= 2;
    add(&t, "{\"t\":3.000000,\"ev\":\"fault\",\"kind\":\"clock\",\"target\":\"broker\"}");
    add(&t, L_END("30.000000"));
    only(judge(&t, "outbox", NULL, NULL), -1, 0);   /* its clock ran off: not judged */
    t.n -= 2;
    add(&t, "{\"t\":3.000000,\"ev\":\"crash\",\"node\":\"broker\",\"life\":1}");
    add(&t, L_END("30.000000"));
    only(judge(&t, "outbox", NULL, NULL), -1, 0);   /* down at the end: owes nothing */
    t.n--;
    add(&t, L_RESTART("broker"));
    add(&t, "{\"t\":1.000000,\"ev\":\"note\",\"node\":\"broker\",\"kind\":\"recover\","
            "\"detail\":\"incarnation 2: in-memory queues start empty\"}");
    add(&t, L_END("30.000000"));
    only(judge(&t, "outbox", NULL, NULL), -1, 0);   /* the crash took the queues */
    t.n -= 2;
    add(&t, L_BRECOVER("1"));                       /* durable: restored, then never sent */
    add(&t, L_END("30.000000"));
    r = judge(&t, "outbox", "durable=1", NULL);
    only(r, HI_DELIVERED, 1);
    assert_non_null(strstr(r->inv[HI_DELIVERED].shown[0].text, "again after the restart"));
    only(judge(&t, "outbox", "durable=1", "prefetch=1"), HI_DELIVERED, 1);

    trace p = { .n = 0 };                           /* a power cut: its fate is indefinite */
    head(&p);
    add(&p, "{\"t\":3.000000,\"ev\":\"power_cut\",\"node\":\"broker\",\"life\":1}");
    add(&p, L_END("30.000000"));
    only(judge(&p, "outbox", NULL, NULL), -1, 0);

    trace a = { .n = 0 };                           /* auto-ack: removed with no DACK */
    head(&a);
    add(&a, "{\"t\":0.011000,\"ev\":\"note\",\"node\":\"broker\",\"kind\":\"ack\","
            "\"pay\":1,\"detail\":\"delivery " D1 " (msg 1 PAYMENT) acked by broker\"}");
    only(judge(&a, "outbox", NULL, NULL), HI_DELIVERED, 1);

    trace m = { .n = 0 };                           /* at most once, the same id twice */
    head(&m);
    only(judge(&m, "outbox", "delivery=at-most-once", NULL), -1, 0);
    add(&m, L_BDELIVER("0.012000", "deliver"));
    only(judge(&m, "outbox", "delivery=at-most-once", NULL), HI_REDELIVERY, 1);
}

/* A queue is first in, first out: delivery D2, enqueued after D1, is sent first, and D1
** after it has overtaken nothing only if a restart came between (a new life counts afresh:
** a durable restart restores the older ids). */
#define L_ENQ2 "{\"t\":0.011000,\"ev\":\"note\",\"node\":\"broker\",\"kind\":\"enqueue\"," \
               "\"pay\":2,\"detail\":\"msg 2 PAYMENT on PAY_QUEUE as delivery " D2 ", depth 2\"}"
#define L_BDELIVER2 "{\"t\":0.011000,\"ev\":\"note\",\"node\":\"broker\",\"kind\":" \
    "\"deliver\",\"pay\":2,\"detail\":\"delivery " D2 " (msg 2 PAYMENT) to accounting, x\"}"
static void test_queue_fifo(void **state) {
    (void)state;
    trace t = { .n = 0 };
    add(&t, L_RUN);
    add(&t, L_ENQ);
    add(&t, L_ENQ2);
    add(&t, L_BDELIVER("0.011000", "deliver"));
    add(&t, L_BDELIVER2);
    only(judge(&t, "outbox", "retry_base=60", NULL), -1, 0);
    t.lines[3] = L_BDELIVER2;
    t.lines[4] = L_BDELIVER("0.011000", "deliver");
    const checker_result *r = judge(&t, "outbox", "retry_base=60", NULL);
    only(r, HI_REDELIVERY, 1);
    assert_non_null(strstr(r->inv[HI_REDELIVERY].shown[0].text,
                           "delivery " D1 " (msg 1) sent for the first time after delivery "
                           D2 ", enqueued later: the queue is not first in, first out"));
    t.lines[4] = L_BRECOVER("2");
    add(&t, L_BDELIVER("1.000000", "deliver"));
    only(judge(&t, "outbox", "retry_base=60", "durable=1"), -1, 0);
}

static void test_restart_state(void **state) {
    (void)state;
    trace t = { .n = 0 };
    head(&t);
    add(&t, L_RESTART("payment"));
    add(&t, L_PRECOVER("1"));
    only(judge(&t, "outbox", NULL, NULL), -1, 0);
    t.n--;
    add(&t, L_PRECOVER("0"));   /* the committed row is gone */
    const checker_result *r = judge(&t, "outbox", NULL, NULL);
    only(r, HI_RESTART_STATE, 1);
    assert_int_equal(r->inv[HI_RESTART_STATE].shown[0].lines[0], 9);   /* the restart */
    trace u = { .n = 0 };
    head(&u);
    add(&u, L_RESTART("broker"));
    add(&u, L_BRECOVER("1"));
    only(judge(&u, "outbox", "durable=1", NULL), -1, 0);
    u.n--;
    add(&u, L_BRECOVER("0"));   /* the durable queue lost an unacked message */
    only(judge(&u, "outbox", "durable=1", NULL), HI_RESTART_STATE, 1);
    only(judge(&u, "outbox", NULL, NULL), -1, 0);   /* in memory: nothing is promised */
}

/* Accounting's recover note: the inbox rows and vouchers the history committed, no fewer,
** no more; a message it died inside may have committed them or not. */
static void test_restart_state_accounting(void **state) {
    (void)state;
    trace t = { .n = 0 };
    head(&t);
    add(&t, L_APPLY);
    add(&t, L_RESTART("accounting"));
    add(&t, L_ARECOVER("1", "1"));
    only(judge(&t, "outbox", NULL, NULL), -1, 0);
    t.lines[t.n - 1] = L_ARECOVER("0", "0");   /* the committed voucher is gone */
    const checker_result *r = judge(&t, "outbox", NULL, NULL);
    only(r, HI_RESTART_STATE, 1);
    const checker_violation *v = &r->inv[HI_RESTART_STATE].shown[0];
    assert_int_equal(v->lines[0], (uint32_t)t.n - 1);   /* the restart it is pinned to */
    assert_non_null(strstr(v->text, "found 0 inbox rows and 0 vouchers; the history "
                                    "committed 1 and 1"));
    t.lines[t.n - 1] = L_ARECOVER("1", "2");   /* a voucher nobody committed */
    only(judge(&t, "outbox", NULL, NULL), HI_RESTART_STATE, 1);
    /* died inside the transaction: committed or not, both are right */
    trace u = { .n = 0 };
    head(&u);
    add(&u, L_ACRASH);
    add(&u, L_RESTART("accounting"));
    add(&u, L_ARECOVER("0", "0"));
    only(judge(&u, "outbox", NULL, NULL), -1, 0);
    u.lines[u.n - 1] = L_ARECOVER("1", "1");
    only(judge(&u, "outbox", NULL, NULL), -1, 0);
    u.lines[u.n - 1] = L_ARECOVER("2", "2");
    only(judge(&u, "outbox", NULL, NULL), HI_RESTART_STATE, 1);
    /* inbox_retention 2 s: a purge at 5 s forgets the row, and says so; the restart
    ** finds the voucher and no inbox row.  A purge that forgot it silently leaves the
    ** history counting a row the restart does not find. */
    trace p = { .n = 0 };
    head(&p);
    add(&p, L_APPLY);
    add(&p, "{\"t\":5.000000,\"ev\":\"note\",\"node\":\"accounting\",\"kind\":\"purge\","
            "\"detail\":\"1 inbox rows received over 2000 ms ago forgotten\"}");
    add(&p, "{\"t\":6.000000,\"ev\":\"restart\",\"node\":\"accounting\",\"life\":2}");
    add(&p, "{\"t\":6.000000,\"ev\":\"note\",\"node\":\"accounting\",\"kind\":\"recover\","
            "\"detail\":\"0 inbox rows, 1 vouchers\"}");
    only(judge(&p, "outbox", "inbox_retention=2", NULL), -1, 0);
    p.lines[p.n - 3] = p.lines[p.n - 2];   /* the purge said nothing */
    p.lines[p.n - 2] = p.lines[p.n - 1];
    p.n--;
    r = judge(&p, "outbox", "inbox_retention=2", NULL);
    only(r, HI_RESTART_STATE, 1);
    assert_non_null(strstr(r->inv[HI_RESTART_STATE].shown[0].text,
                           "found 0 inbox rows and 1 vouchers; the history committed 1 and 1"));
    /* after a clock fault on accounting the purge's bound is not judged, but what it says
    ** it forgot is still off the count */
    trace k = { .n = 0 };
    head(&k);
    add(&k, L_APPLY);
    add(&k, "{\"t\":1.000000,\"ev\":\"fault\",\"fault\":1,\"kind\":\"clock\","
            "\"target\":\"accounting\"}");
    add(&k, "{\"t\":5.000000,\"ev\":\"note\",\"node\":\"accounting\",\"kind\":\"purge\","
            "\"detail\":\"1 inbox rows received over 2000 ms ago forgotten\"}");
    add(&k, "{\"t\":6.000000,\"ev\":\"restart\",\"node\":\"accounting\",\"life\":2}");
    add(&k, "{\"t\":6.000000,\"ev\":\"note\",\"node\":\"accounting\",\"kind\":\"recover\","
            "\"detail\":\"0 inbox rows, 1 vouchers\"}");
    only(judge(&k, "outbox", "inbox_retention=2", NULL), -1, 0);
}

/* Competing consumers: accounting-2's lines are accounting's too (one shared inbox). */
#define L_APPLY2 "{\"t\":0.012000,\"ev\":\"note\",\"node\":\"accounting-2\",\"kind\":" \
                 "\"apply\",\"pay\":1,\"detail\":\"msg 1: voucher of 100 cents for account 1\"}"

static void test_competing_consumers(void **state) {
    (void)state;
    assert_int_equal(history_accounting_instance("accounting"), 0);
    assert_int_equal(history_accounting_instance("accounting-2"), 1);
    assert_int_equal(history_accounting_instance("accounting-16"), 15);
    assert_int_equal(history_accounting_instance("accounting-1"), -1);   /* is "accounting" */
    assert_int_equal(history_accounting_instance("accounting-17"), -1);
    assert_int_equal(history_accounting_instance("accounting-2x"), -1);
    assert_int_equal(history_accounting_instance("broker"), -1);
    /* accounting-2 committed the voucher; accounting restarts and finds it: right */
    trace t = { .n = 0 };
    head(&t);
    add(&t, L_APPLY2);
    add(&t, L_RESTART("accounting"));
    add(&t, L_ARECOVER("1", "1"));
    only(judge(&t, "outbox", NULL, NULL), -1, 0);
    t.lines[t.n - 1] = L_ARECOVER("0", "0");
    only(judge(&t, "outbox", NULL, NULL), HI_RESTART_STATE, 1);
    /* accounting applied it, then accounting-2 applies it again: not absorbed */
    trace u = { .n = 0 };
    head(&u);
    tail(&u);
    add(&u, L_APPLY2);
    only(judge(&u, "outbox", NULL, NULL), HI_DEDUPE, 1);
}

#define L_COMMIT_AT(t) "{\"t\":" t ",\"ev\":\"note\",\"node\":\"payment\",\"kind\":" \
    "\"commit\",\"pay\":1,\"detail\":\"payment 1: 100 cents from account 1, outbox row 1\"}"

/* A node reads a time on the 1/8 s grid exactly (hproducer.c, reads_exact), so a row
** due exactly at such a scan must be taken by it: committed at 1 s with retry_base 2 s,
** due at 3 s, taken only at 4 s, it was passed over.  Off the grid a scan's clock may
** read a millisecond early: committed at 1.01 s, due at 3.01 s, a scan at 3.01 s that
** leaves it is excused (it may have read 3.009). */
static void test_retry_due_exactly(void **state) {
    (void)state;
    trace t = { .n = 0 };
    add(&t, L_RUN);
    add(&t, L_PAY);
    add(&t, L_COMMIT_AT("1.000000"));
    add(&t, L_PUB("1.000000", "1"));
    add(&t, L_SCAN("2.000000"));
    add(&t, L_SCAN("3.000000"));
    add(&t, L_PUB("3.000000", "2"));
    only(judge(&t, "outbox", "retry_base=2", NULL), -1, 0);   /* taken when due: right */
    t.n--;
    add(&t, L_SCAN("4.000000"));
    add(&t, L_PUB("4.000000", "2"));
    const checker_result *r = judge(&t, "outbox", "retry_base=2", NULL);
    only(r, HI_RETRY_SCHEDULE, 1);
    assert_non_null(strstr(r->inv[HI_RETRY_SCHEDULE].shown[0].text,
                           "due again at 3000 ms"));
    assert_non_null(strstr(r->inv[HI_RETRY_SCHEDULE].shown[0].text,
                           "the scan at 3000 ms passed it over"));
    trace u = { .n = 0 };
    add(&u, L_RUN);
    add(&u, L_PAY);
    add(&u, L_COMMIT_AT("1.010000"));
    add(&u, L_PUB("1.010000", "1"));
    add(&u, L_SCAN("2.010000"));
    add(&u, L_SCAN("3.010000"));
    add(&u, L_SCAN("4.010000"));
    add(&u, L_PUB("4.010000", "2"));
    only(judge(&u, "outbox", "retry_base=2", NULL), -1, 0);
}

#define L_COMMIT_N(t, n) "{\"t\":" t ",\"ev\":\"note\",\"node\":\"payment\",\"kind\":" \
    "\"commit\",\"pay\":" n ",\"detail\":\"payment " n ": 100 cents from account 1, outbox row " \
    n "\"}"
#define L_PUB_N(t, n, a) "{\"t\":" t ",\"ev\":\"note\",\"node\":\"payment\",\"kind\":" \
    "\"publish\",\"pay\":" n ",\"detail\":\"msg " n " attempt " a " to PAY_QUEUE\"}"
#define L_SCAN_NOTE(t, n) "{\"t\":" t ",\"ev\":\"note\",\"node\":\"payment\",\"kind\":" \
    "\"scan\",\"detail\":\"" n " due\"}"
#define L_TICK(t) "{\"t\":" t ",\"ev\":\"timer\",\"node\":\"broker\",\"id\":2}"

/* A full scan (scan_batch rows due) takes the oldest due rows first: rows 1 and 2 are due
** at 3 s and 3.5 s, and the scan at 4 s may take one.  Taking row 2 passes over row 1,
** due half a second earlier: retry_schedule names both.  Taking row 1 is right, and so
** is taking row 2 when both are due in the same millisecond's doubt (a tie goes by id,
** and a clock may read a millisecond early). */
static void test_full_scan_oldest_first(void **state) {
    (void)state;
    trace t = { .n = 0 };
    add(&t, L_RUN);
    add(&t, L_COMMIT_N("1.000000", "1"));
    add(&t, L_PUB_N("1.000000", "1", "1"));
    add(&t, L_COMMIT_N("1.500000", "2"));
    add(&t, L_PUB_N("1.500000", "2", "1"));
    add(&t, L_SCAN("4.000000"));
    add(&t, L_SCAN_NOTE("4.000000", "1"));
    add(&t, L_PUB_N("4.000000", "2", "2"));
    add(&t, L_TICK("4.001000"));
    const checker_result *r = judge(&t, "outbox", "retry_base=2", "scan_batch=1");
    assert_true(r->inv[HI_RETRY_SCHEDULE].count >= 1);
    assert_non_null(strstr(r->inv[HI_RETRY_SCHEDULE].shown[0].text,
                           "msg 1: due at 3000 ms, passed over by the full scan at 4000 ms, "
                           "which took msg 2, due later at 3500 ms"));
    t.lines[7] = L_PUB_N("4.000000", "1", "2");   /* the oldest: right */
    only(judge(&t, "outbox", "retry_base=2", "scan_batch=1"), -1, 0);
    t.lines[7] = L_PUB_N("4.000000", "2", "2");   /* not full: the next scan judges it */
    only(judge(&t, "outbox", "retry_base=2", "scan_batch=2"), -1, 0);
    t.lines[3] = L_COMMIT_N("1.001000", "2");     /* due within a millisecond of row 1 */
    t.lines[4] = L_PUB_N("1.001000", "2", "1");
    only(judge(&t, "outbox", "retry_base=2", "scan_batch=1"), -1, 0);
}

#define L_PAY_N(t, n) "{\"t\":" t ",\"ev\":\"pay\",\"node\":\"client\",\"pay\":" n \
    ",\"account\":1,\"amount\":100,\"try\":1}"

/* A payment the client asks for in the very microsecond of a full scan is committed and
** published in a step of its own, after the scan's: its first publication is no row the
** scan took.  Counted as one, its due time (a retry later) would make row 2, due 10 ms
** after the scan, look passed over (scenarios/broker-restart-backlog.lua met this:
** payment 300 at 3 s, with the scan at 3 s). */
static void test_full_scan_same_time_payment(void **state) {
    (void)state;
    trace t = { .n = 0 };
    add(&t, "{\"t\":0.000000,\"ev\":\"run\",\"design\":\"outbox\",\"payments\":3}");
    add(&t, L_COMMIT_N("1.000000", "1"));
    add(&t, L_PUB_N("1.000000", "1", "1"));
    add(&t, L_COMMIT_N("1.010000", "2"));
    add(&t, L_PUB_N("1.010000", "2", "1"));
    add(&t, L_SCAN("3.000000"));
    add(&t, L_SCAN_NOTE("3.000000", "1"));
    add(&t, L_PUB_N("3.000000", "1", "2"));
    add(&t, L_PAY_N("3.000000", "3"));
    add(&t, L_COMMIT_N("3.000000", "3"));
    add(&t, L_PUB_N("3.000000", "3", "1"));
    add(&t, L_TICK("3.001000"));
    preset_npay = 3;
    only(judge(&t, "outbox", "retry_base=2", "scan_batch=1"), -1, 0);
    preset_npay = 2;
}

#define L_CONSUMED_AT(t) "{\"t\":" t ",\"ev\":\"note\",\"node\":\"payment\",\"kind\":" \
    "\"consumed\",\"pay\":1,\"detail\":\"msg 1 marked CONSUMED\"}"

/* Only rows older than cleanup_after go.  Settled at 2 s and deleted at 7 s, both read
** exactly, a row is exactly 5 s old: not older, so deleting it breaks cleanup_final_only;
** at 7.125 s it may go.  Settled off the grid (2.014 s, which may read 2.013), a row
** deleted 5 s later is given the millisecond of doubt. */
static void test_cleanup_exact_age(void **state) {
    (void)state;
    trace t = { .n = 0 };
    head(&t);
    tail(&t);
    t.lines[t.n - 1] = L_CONSUMED_AT("2.000000");
    add(&t, L_CLEAN("7.125000", "CONSUMED"));
    only(judge(&t, "outbox", "cleanup_after=5", NULL), -1, 0);
    t.lines[t.n - 1] = L_CLEAN("7.000000", "CONSUMED");
    const checker_result *r = judge(&t, "outbox", "cleanup_after=5", NULL);
    only(r, HI_CLEANUP_FINAL_ONLY, 1);
    assert_non_null(strstr(r->inv[HI_CLEANUP_FINAL_ONLY].shown[0].text,
                           "deleted 5000 ms after it became CONSUMED, not older than"));
    t.lines[t.n - 2] = L_CONSUMED_AT("2.014000");
    t.lines[t.n - 1] = L_CLEAN("7.014000", "CONSUMED");
    only(judge(&t, "outbox", "cleanup_after=5", NULL), -1, 0);
}

/* The cleanup (cleanup_after = 5 s) may delete a row only once it has been CONSUMED or
** FAILED for 5 s: not SENDING, not DEAD, not younger. */
static void test_cleanup_final_only(void **state) {
    (void)state;
    trace t = { .n = 0 };
    head(&t);
    tail(&t);                                      /* CONSUMED at 0.014 */
    add(&t, L_CLEAN("5.014000", "CONSUMED"));      /* 5 s later: right */
    only(judge(&t, "outbox", "cleanup_after=5", NULL), -1, 0);
    t.lines[t.n - 1] = L_CLEAN("3.014000", "CONSUMED");   /* 3 s after it settled */
    const checker_result *r = judge(&t, "outbox", "cleanup_after=5", NULL);
    only(r, HI_CLEANUP_FINAL_ONLY, 1);
    const checker_violation *v = &r->inv[HI_CLEANUP_FINAL_ONLY].shown[0];
    assert_int_equal(v->msg_id, 1);
    assert_int_equal(v->nlines, 2);
    assert_int_equal(v->lines[0], (uint32_t)t.n - 1);   /* the CONSUMED note */
    assert_int_equal(v->lines[1], (uint32_t)t.n);       /* the cleanup note */
    assert_non_null(strstr(v->text, "3000 ms after it became CONSUMED"));
    /* not judged without a cleanup */
    assert_int_equal(judge(&t, "outbox", NULL, NULL)->inv[HI_CLEANUP_FINAL_ONLY].skipped, 1);
    t.lines[t.n - 1] = L_CLEAN("5.014000", "17");   /* a status that is no status */
    r = judge(&t, "outbox", "cleanup_after=5", NULL);
    only(r, HI_CLEANUP_FINAL_ONLY, 1);
    assert_non_null(strstr(r->inv[HI_CLEANUP_FINAL_ONLY].shown[0].text,
                           "the cleanup's note does not say its status and age"));

    trace u = { .n = 0 };                          /* deleted while SENDING */
    head(&u);
    add(&u, L_CLEAN("9.000000", "SENDING"));
    r = judge(&u, "outbox", "cleanup_after=5", "retry_base=60");
    only(r, HI_CLEANUP_FINAL_ONLY, 1);
    assert_non_null(strstr(r->inv[HI_CLEANUP_FINAL_ONLY].shown[0].text, "while SENDING"));

    trace d = { .n = 0 };                          /* a dead letter deleted, 30 s on */
    head(&d);
    tail(&d);                                      /* acked, but its answer never came: */
    d.n--;                                         /* (no CONSUMED) the row is republished */
    add(&d, L_PUB("2.010000", "2"));
    add(&d, L_DEAD("6.010000"));
    add(&d, L_ALERT("6.010000", "2", "1"));
    add(&d, L_CLEAN("36.010000", "DEAD"));
    r = judge(&d, "outbox", "max_attempts=2", "cleanup_after=5");
    only(r, HI_CLEANUP_FINAL_ONLY, 1);
    assert_non_null(strstr(r->inv[HI_CLEANUP_FINAL_ONLY].shown[0].text, "while DEAD"));
    d.n--;                                         /* kept: nothing to judge */
    only(judge(&d, "outbox", "max_attempts=2", "cleanup_after=5"), -1, 0);
}

#define L_COMPLETE(how, st) "{\"t\":0.014000,\"ev\":\"note\",\"node\":\"payment\"," \
    "\"kind\":\"complete\",\"pay\":1,\"detail\":\"msg 1 " how ": " st "\"}"

/* completion = delete | archive: the answer's transaction deletes the row it finished.
** A row deleted right after its consumed (or failed) note is no missing row and breaks
** nothing; one deleted while SENDING (no answer finished it) is caught, and so is a note
** whose status is not the one the row reached. */
static void test_completion_final_only(void **state) {
    (void)state;
    trace t = { .n = 0 };
    head(&t);
    tail(&t);                                       /* CONSUMED */
    add(&t, L_COMPLETE("deleted", "CONSUMED"));
    only(judge(&t, "outbox", "completion=delete", NULL), -1, 0);
    t.lines[t.n - 1] = L_COMPLETE("archived", "CONSUMED");
    only(judge(&t, "outbox", "completion=archive", NULL), -1, 0);
    t.lines[t.n - 1] = L_COMPLETE("deleted", "FAILED");   /* the wrong status */
    const checker_result *r = judge(&t, "outbox", "completion=delete", NULL);
    only(r, HI_CLEANUP_FINAL_ONLY, 1);
    assert_non_null(strstr(r->inv[HI_CLEANUP_FINAL_ONLY].shown[0].text,
                           "deleted as FAILED, but it was CONSUMED"));
    /* not judged under mark (the default) without a cleanup */
    assert_int_equal(judge(&t, "outbox", NULL, NULL)->inv[HI_CLEANUP_FINAL_ONLY].skipped, 1);

    trace u = { .n = 0 };                           /* deleted while SENDING */
    head(&u);
    add(&u, L_APPLY);
    add(&u, L_COMPLETE("deleted", "CONSUMED"));
    r = judge(&u, "outbox", "completion=delete", NULL);
    only(r, HI_CLEANUP_FINAL_ONLY, 1);
    const checker_violation *v = &r->inv[HI_CLEANUP_FINAL_ONLY].shown[0];
    assert_non_null(strstr(v->text, "msg 1 deleted by its completion while SENDING"));
    assert_int_equal(v->msg_id, 1);
    assert_int_equal(v->lines[1], (uint32_t)u.n);   /* the complete note */
    u.lines[u.n - 1] = L_COMPLETE("archived", "CONSUMED");
    r = judge(&u, "outbox", "completion=archive", NULL);
    only(r, HI_CLEANUP_FINAL_ONLY, 1);
    assert_non_null(strstr(r->inv[HI_CLEANUP_FINAL_ONLY].shown[0].text, "archived by its"));
}

/* judge() after an end state that counted `payments` payments and `alerts` alert rows. */
static const checker_result *judge_db(const trace *t, const char *k1, const char *k2,
                                      uint32_t payments, uint32_t alerts) {
    preset_payments = payments;
    preset_alerts = alerts;
    const checker_result *r = judge(t, "outbox", k1, k2);
    preset_payments = preset_alerts = 0;
    return r;
}

/* A row went DEAD with its alert, its late answer settled it and the cleanup deleted it:
** the alert must still be in payment.db (alerts_kept), whatever happened to the row. */
static void test_alerts_kept(void **state) {
    (void)state;
    trace t = { .n = 0 };
    head(&t);
    add(&t, L_APPLY);       /* applied and acked; the answer comes late: the row goes DEAD */
    add(&t, L_SEND_ANS);
    add(&t, L_SEND_DACK);
    add(&t, L_DACK_IN(D1));
    add(&t, L_ACK(D1));
    add(&t, L_PUB("2.010000", "2"));
    add(&t, L_DEAD("6.010000"));
    add(&t, L_ALERT("6.010000", "2", "1"));
    add(&t, "{\"t\":7.0,\"ev\":\"note\",\"node\":\"payment\",\"kind\":"
                       "\"consumed\",\"pay\":1,\"detail\":\"msg 1 marked CONSUMED\"}");
    add(&t, L_CLEAN("20.000000", "CONSUMED"));
    only(judge_db(&t, "max_attempts=2", "cleanup_after=5", 1, 1), -1, 0);   /* kept */
    only(judge_db(&t, "max_attempts=2", "cleanup_after=5", 1, 2), -1, 0);   /* more: fine */
    const checker_result *r = judge_db(&t, "max_attempts=2", "cleanup_after=5", 1, 0);
    only(r, HI_ALERTS_KEPT, 1);
    const checker_violation *v = &r->inv[HI_ALERTS_KEPT].shown[0];
    assert_int_equal(v->msg_id, 1);
    assert_int_equal(v->nlines, 2);
    assert_int_equal(v->lines[0], (uint32_t)t.n - 2);   /* the alert */
    assert_int_equal(v->lines[1], (uint32_t)t.n);       /* the cleanup that took it */
    t.n--;                                              /* no cleanup: no suspect row */
    r = judge_db(&t, "max_attempts=2", NULL, 1, 0);
    only(r, HI_ALERTS_KEPT, 1);
    assert_non_null(strstr(r->inv[HI_ALERTS_KEPT].shown[0].text,
                           "the history committed 1 alerts; payment.db holds 0"));
    /* no end state read (history-check): not judged */
    assert_int_equal(judge(&t, "outbox", "max_attempts=2", NULL)->inv[HI_ALERTS_KEPT].skipped,
                     1);
    /* a power cut of the payment service: what it took back was never promised */
    add(&t, "{\"t\":8.0,\"ev\":\"power_cut\",\"node\":\"payment\"}");
    only(judge_db(&t, "max_attempts=2", NULL, 1, 0), -1, 0);
}

/* Completion delete or archive finishes and completes a row in one transaction: an end
** state with a row still CONSUMED in the outbox was finished and not completed. */
static void test_completed_all(void **state) {
    (void)state;
    trace t = { .n = 0 };
    head(&t);
    tail(&t);
    preset_consumed = 0;
    only(judge_db(&t, "completion=mark", NULL, 1, 0), -1, 0);
    preset_consumed = 1;
    only(judge_db(&t, "completion=mark", NULL, 1, 0), -1, 0);   /* mark keeps it: fine */
    const checker_result *r = judge_db(&t, "completion=delete", NULL, 1, 0);
    preset_consumed = 0;
    assert_int_equal(r->inv[HI_CLEANUP_FINAL_ONLY].count, 1);
    assert_non_null(strstr(r->inv[HI_CLEANUP_FINAL_ONLY].shown[0].text,
                           "still holds 1 finished rows (1 CONSUMED, 0 FAILED) under "
                           "completion delete"));
    /* the file holds no finished row, but the history saw msg 1 finished and never
    ** completed: it went without its note */
    const checker_result *q = judge_db(&t, "completion=delete", NULL, 1, 0);
    only(q, HI_CLEANUP_FINAL_ONLY, 1);
    assert_non_null(strstr(q->inv[HI_CLEANUP_FINAL_ONLY].shown[0].text,
                           "msg 1 was finished CONSUMED and is gone from payment.db's outbox, "
                           "but no complete note says it was completed (completion delete)"));
    add(&t, "{\"t\":0.014000,\"ev\":\"note\",\"node\":\"payment\",\"kind\":\"complete\","
            "\"pay\":1,\"detail\":\"msg 1 deleted: CONSUMED\"}");
    only(judge_db(&t, "completion=delete", NULL, 1, 0), -1, 0);
}

static void test_bad_trace(void **state) {
    (void)state;
    trace t = { .n = 0 };
    add(&t, L_RUN);
    add(&t, "not json");
    char path[] = "/tmp/test_history_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    for (int i = 0; i < t.n; i++) fprintf(f, "%s\n", t.lines[i]);
    fclose(f);
    history_conf conf;
    char err[300];
    assert_int_equal(history_conf_make(&conf, "outbox", NULL, 0, -1, 2, err, sizeof err), 0);
    memset(&res, 0, sizeof res);
    assert_int_equal(history_run(path, &conf, &res, err, sizeof err), -1);
    assert_non_null(strstr(err, ":2: not a trace line"));
    unlink(path);
}

/* ---- the checks sharpened against surviving mutants of lib/ (mutate/report.md) ---- */

#define L_START "{\"t\":0.000000,\"ev\":\"start\",\"node\":\"payment\",\"life\":1}"
#define L_HOLD "{\"t\":0.010000,\"ev\":\"note\",\"node\":\"payment\",\"kind\":\"hold\"," \
    "\"pay\":1,\"detail\":\"msg 1 held: an earlier message of account 1 is not settled\"}"

/* A row's first republication is judged like the others: the start that came before
** its commit excuses nothing (it used to, so attempt 2 could come any time). */
static void test_first_republication(void **state) {
    (void)state;
    trace t = { .n = 0 };
    add(&t, L_RUN);
    add(&t, L_START);
    add(&t, L_PAY);
    add(&t, L_COMMIT);
    add(&t, L_SEND_PUB);
    add(&t, L_PUB("0.010000", "1"));
    add(&t, L_PUB("9.000000", "2"));   /* 7 s late with retry_base 2 */
    only(judge(&t, "outbox", "retry_base=2", NULL), HI_RETRY_SCHEDULE, 1);
    t.lines[t.n - 1] = L_PUB("2.500000", "2");
    only(judge(&t, "outbox", "retry_base=2", NULL), -1, 0);
    /* design ordered: a held row has no schedule until its first publication */
    trace h = { .n = 0 };
    add(&h, L_RUN);
    add(&h, L_START);
    add(&h, L_PAY);
    add(&h, L_COMMIT);
    add(&h, L_HOLD);
    add(&h, L_SCAN("3.000000"));
    add(&h, L_SCAN("4.000000"));
    add(&h, L_PUB("9.000000", "1"));   /* released at 9 s */
    add(&h, L_SCAN("10.000000"));
    add(&h, L_PUB("11.000000", "2"));
    only(judge(&h, "ordered", "retry_base=2", NULL), -1, 0);
    h.n -= 2;
    add(&h, L_PUB("14.000000", "2"));  /* 5 s after the release: late */
    only(judge(&h, "ordered", "retry_base=2", NULL), HI_RETRY_SCHEDULE, 1);
}

#define L_ALERT_UNDECODABLE "{\"t\":6.010000,\"ev\":\"note\",\"node\":\"payment\",\"kind\":" \
    "\"alert\",\"pay\":1,\"detail\":\"DEAD_LETTER: payment 1: outbox row 1 has an " \
    "undecodable payload\"}"

/* An alert calling the payload undecodable of a row the scan republished (the scan
** decodes it to republish) gives the wrong reason: scan.c's two texts swapped. */
static void test_alert_undecodable(void **state) {
    (void)state;
    trace t = { .n = 0 };
    head(&t);
    add(&t, L_PUB("2.010000", "2"));
    add(&t, L_DEAD("6.010000"));
    add(&t, L_ALERT_UNDECODABLE);
    const checker_result *r = judge(&t, "outbox", "max_attempts=2", NULL);
    only(r, HI_ALERT_NAMES_ROW, 1);
    assert_non_null(strstr(r->inv[HI_ALERT_NAMES_ROW].shown[0].text, "undecodable"));
    trace u = { .n = 0 };   /* published once, by payment itself: it may not decode */
    head(&u);
    add(&u, L_DEAD("6.010000"));
    add(&u, L_ALERT_UNDECODABLE);
    only(judge(&u, "outbox", NULL, NULL), -1, 0);
}

#define L_CLEAN_AS(pay, st, age) "{\"t\":5.014000,\"ev\":\"note\",\"node\":\"payment\"," \
    "\"kind\":\"cleanup\",\"pay\":" pay ",\"detail\":\"msg 1 deleted: " st ", updated " age \
    " ms ago\"}"

/* A cleanup note must be true of its row: its payment, its status, an age it can have. */
static void test_cleanup_note(void **state) {
    (void)state;
    trace t = { .n = 0 };
    head(&t);
    tail(&t);                                      /* committed 0.010, CONSUMED 0.014 */
    add(&t, L_CLEAN_AS("1", "CONSUMED", "5000"));
    only(judge(&t, "outbox", "cleanup_after=5", NULL), -1, 0);
    const char *bad[] = { L_CLEAN_AS("0", "CONSUMED", "5000"),
                          L_CLEAN_AS("1", "FAILED", "5000"),
                          L_CLEAN_AS("1", "CONSUMED", "3400000005000") };
    const char *why[] = { "names payment 0", "deleted as FAILED", "committed 5004 ms ago" };
    for (int i = 0; i < 3; i++) {
        t.lines[t.n - 1] = bad[i];
        const checker_result *r = judge(&t, "outbox", "cleanup_after=5", NULL);
        only(r, HI_CLEANUP_FINAL_ONLY, 1);
        assert_non_null(strstr(r->inv[HI_CLEANUP_FINAL_ONLY].shown[0].text, why[i]));
    }
}

#define L_FAILED_AS(why) "{\"t\":0.015000,\"ev\":\"note\",\"node\":\"payment\",\"kind\":" \
    "\"failed\",\"pay\":1,\"detail\":\"msg 1 marked FAILED: " why "\"}"

/* The answer payment acts on carries the refusal's reason, also when a duplicate got it
** from the inbox row (accounting.c stored the reason empty: the second answer said ""). */
static void test_refusal_reason(void **state) {
    (void)state;
    trace t = { .n = 0 };
    head(&t);
    add(&t, L_REFUSE);                 /* "msg 1 refused: no" */
    add(&t, L_FAILED_AS("no"));
    only(judge(&t, "outbox", "max_amount=50", NULL), -1, 0);
    t.lines[t.n - 1] = L_FAILED_AS("");
    const checker_result *r = judge(&t, "outbox", "max_amount=50", NULL);
    only(r, HI_DEDUPE, 1);
    assert_int_equal(r->inv[HI_DEDUPE].shown[0].msg_id, 1);
    t.lines[t.n - 1] = L_FAILED_AS("amount 100 over the limit 50");
    only(judge(&t, "outbox", "max_amount=50", NULL), HI_DEDUPE, 1);
}

/* A DACK the broker handles leaves a note: an ack, or a stale_ack (the note broker.c
** could drop: the DACK then vanishes without a trace). */
static void test_dack_unanswered(void **state) {
    (void)state;
    const char *stale = "{\"t\":0.013000,\"ev\":\"note\",\"node\":\"broker\",\"kind\":"
                        "\"stale_ack\",\"detail\":\"delivery " D2 " on PAY_QUEUE from "
                        "accounting: not in flight\"}";
    trace t = { .n = 0 };
    head(&t);
    tail(&t);
    add(&t, L_DACK_IN(D2));             /* a DACK of a delivery not in flight */
    add(&t, stale);
    add(&t, L_DACK_IN(D1));             /* the first one's copy */
    add(&t, stale);
    only(judge(&t, "outbox", NULL, NULL), -1, 0);
    t.n--;                               /* the second said nothing, at the end */
    only(judge(&t, "outbox", NULL, NULL), HI_DACK, 1);
    t.lines[t.n - 3] = L_DACK_IN(D1);   /* the first said nothing, before the next frame */
    t.lines[t.n - 2] = L_DACK_IN(D1);
    t.lines[t.n - 1] = stale;
    const checker_result *r = judge(&t, "outbox", NULL, NULL);
    only(r, HI_DACK, 1);
    assert_non_null(strstr(r->inv[HI_DACK].shown[0].text, "neither acked nor reported"));
    assert_int_equal(r->inv[HI_DACK].shown[0].lines[0], (uint32_t)t.n - 2);
}

/* errors_reported (herrors.h): accounting's write fails while it handles the delivery at
** 0.012 s (the disk_fault line comes after the step's other lines).  An error note of its
** own in that step holds, a crash holds, nothing at all breaks; a failed allocation, a
** write of the database (a checkpoint's: SQLite absorbs it) and a line naming no file are
** not judged; and a payment step is failed by a reply other than ok, which comes after
** the disk_fault line. */
#define L_DFAULT(t, node, op, file) "{\"t\":" t ",\"ev\":\"disk_fault\",\"node\":\"" \
    node "\",\"fault\":1,\"op\":\"" op "\",\"error\":\"eio\",\"call\":3" file "}"
#define F_WAL ",\"file\":\"wal\""
#define L_AERROR "{\"t\":0.012000,\"ev\":\"note\",\"node\":\"accounting\",\"kind\":\"error\"," \
                 "\"detail\":\"accounting.db: commit: disk I/O error\"}"
#define L_LATER "{\"t\":0.500000,\"ev\":\"timer\",\"node\":\"payment\",\"id\":1}"
static void test_errors_reported(void **state) {
    (void)state;
    trace t = { .n = 0 };
    head(&t);
    add(&t, L_AERROR);
    add(&t, L_DFAULT("0.012000", "accounting", "write", F_WAL));
    add(&t, L_LATER);
    only(judge(&t, "outbox", NULL, NULL), -1, 0);
    t.n = 8;   /* the same fault, swallowed: judged once the time moves on, or at the end */
    add(&t, L_DFAULT("0.012000", "accounting", "write", F_WAL));
    add(&t, L_LATER);
    const checker_result *r = judge(&t, "outbox", NULL, NULL);
    only(r, HI_ERRORS_REPORTED, 1);
    assert_non_null(strstr(r->inv[HI_ERRORS_REPORTED].shown[0].text,
                           "accounting's write failed at 0.012 s and its step went on"));
    assert_int_equal(r->inv[HI_ERRORS_REPORTED].shown[0].nlines, 1);
    t.n = 9;
    only(judge(&t, "outbox", NULL, NULL), HI_ERRORS_REPORTED, 1);
    t.n = 8;
    add(&t, L_DFAULT("0.012000", "accounting", "alloc", ""));
    only(judge(&t, "outbox", NULL, NULL), -1, 0);
    t.n = 8;
    add(&t, L_DFAULT("0.012000", "accounting", "write", ",\"file\":\"db\""));
    only(judge(&t, "outbox", NULL, NULL), -1, 0);
    t.n = 8;
    add(&t, L_DFAULT("0.012000", "accounting", "write", ""));
    only(judge(&t, "outbox", NULL, NULL), -1, 0);
    t.n = 8;
    add(&t, L_DFAULT("0.012000", "accounting", "sync", ",\"file\":\"journal\""));
    add(&t, L_ACRASH);
    only(judge(&t, "outbox", NULL, NULL), -1, 0);
    trace u = { .n = 0 };   /* payment's PAY step: its commit fails, the client hears so */
    add(&u, L_RUN);
    add(&u, L_PAY);
    add(&u, L_DFAULT("0.010000", "payment", "write", F_WAL));
    add(&u, "{\"t\":0.010000,\"ev\":\"reply\",\"node\":\"client\",\"pay\":1,"
            "\"result\":\"failed\",\"detail\":\"error: payment.db: commit: disk I/O error\"}");
    only(judge(&u, "outbox", NULL, NULL), -1, 0);
    u.n = 3;
    add(&u, "{\"t\":0.010000,\"ev\":\"reply\",\"node\":\"client\",\"pay\":1,"
            "\"result\":\"ok\",\"detail\":\"committed\"}");
    only(judge(&u, "outbox", NULL, NULL), HI_ERRORS_REPORTED, 1);
}

/* errors_explained: an error note that lost its reason ("cannot open accounting.db: ",
** a message buffer nobody filled) says nothing an operator can act on, fault or not; with
** a failed write behind it, it does not name the I/O error either (two violations). */
static void test_errors_say_why(void **state) {
    (void)state;
    trace t = { .n = 0 };
    head(&t);
    add(&t, L_AERROR);
    add(&t, L_DFAULT("0.012000", "accounting", "write", F_WAL));
    only(judge(&t, "outbox", NULL, NULL), -1, 0);
    t.lines[t.n - 2] = "{\"t\":0.012000,\"ev\":\"note\",\"node\":\"accounting\","
                       "\"kind\":\"fatal\",\"detail\":\"cannot open accounting.db: \"}";
    const checker_result *r = judge(&t, "outbox", NULL, NULL);
    only(r, HI_ERRORS_EXPLAINED, 2);
    assert_non_null(strstr(r->inv[HI_ERRORS_EXPLAINED].shown[0].text,
                           "accounting reported an error that does not say what failed"));
    t.lines[t.n - 2] = "{\"t\":0.012000,\"ev\":\"note\",\"node\":\"accounting\","
                       "\"kind\":\"error\",\"detail\":\"\"}";
    only(judge(&t, "outbox", NULL, NULL), HI_ERRORS_EXPLAINED, 2);
    t.n--;   /* no fault behind it: the empty note, and the fault missing */
    only(judge(&t, "outbox", NULL, NULL), HI_ERRORS_EXPLAINED, 2);
    t.n++;
    /* the write failed with EIO: an error that calls it a corrupt database misleads */
    t.lines[t.n - 2] = "{\"t\":0.012000,\"ev\":\"note\",\"node\":\"accounting\","
                       "\"kind\":\"error\",\"detail\":\"accounting.db: commit: database "
                       "disk image is malformed\"}";
    const checker_result *m = judge(&t, "outbox", NULL, NULL);
    only(m, HI_ERRORS_EXPLAINED, 1);
    assert_non_null(strstr(m->inv[HI_ERRORS_EXPLAINED].shown[0].text,
                           "accounting's disk calls failed with an I/O error at 0.012 s, and "
                           "its error does not say so"));
    add(&t, "{\"t\":0.012000,\"ev\":\"note\",\"node\":\"accounting\",\"kind\":\"error\","
            "\"detail\":\"accounting.db: rollback: disk I/O error\"}");   /* a later note does */
    t.lines[t.n - 1] = t.lines[t.n - 2];
    t.lines[t.n - 2] = "{\"t\":0.012000,\"ev\":\"note\",\"node\":\"accounting\","
                       "\"kind\":\"error\",\"detail\":\"accounting.db: rollback: disk I/O "
                       "error\"}";
    only(judge(&t, "outbox", NULL, NULL), -1, 0);
    t.lines[t.n - 1] = "{\"t\":0.012000,\"ev\":\"disk_fault\",\"node\":\"accounting\","
                       "\"fault\":1,\"op\":\"write\",\"error\":\"full\",\"call\":3" F_WAL "}";
    only(judge(&t, "outbox", NULL, NULL), HI_ERRORS_EXPLAINED, 1);   /* full, said I/O */
}

/* errors_explained: a reject note must say why its frame was refused: a reason that is
** stack bytes (a message buffer nobody filled), nothing, or printf's "(null)" tells an
** operator nothing about the link that damaged it. */
static void test_rejects_say_why(void **state) {
    (void)state;
    trace t = { .n = 0 };
    head(&t);
    add(&t, "{\"t\":0.012000,\"ev\":\"note\",\"node\":\"accounting\",\"kind\":\"reject\","
            "\"detail\":\"frame from broker: truncated body (49 bytes)\"}");
    only(judge(&t, "outbox", NULL, NULL), -1, 0);
    t.lines[t.n - 1] = "{\"t\":0.012000,\"ev\":\"note\",\"node\":\"accounting\","
                       "\"kind\":\"reject\",\"detail\":\"frame from broker: \\u000f$\"}";
    const checker_result *r = judge(&t, "outbox", NULL, NULL);
    only(r, HI_ERRORS_EXPLAINED, 1);
    assert_non_null(strstr(r->inv[HI_ERRORS_EXPLAINED].shown[0].text,
                           "accounting reported a rejected frame that does not say what failed"));
    t.lines[t.n - 1] = "{\"t\":0.012000,\"ev\":\"note\",\"node\":\"accounting\","
                       "\"kind\":\"reject\",\"detail\":\"frame from broker: \"}";
    only(judge(&t, "outbox", NULL, NULL), HI_ERRORS_EXPLAINED, 1);
    t.lines[t.n - 1] = "{\"t\":0.012000,\"ev\":\"note\",\"node\":\"accounting\","
                       "\"kind\":\"reject\",\"detail\":\"frame from broker: (null) (52 "
                       "bytes)\"}";
    only(judge(&t, "outbox", NULL, NULL), HI_ERRORS_EXPLAINED, 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clean_life_holds), cmocka_unit_test(test_publish_before_commit),
        cmocka_unit_test(test_died_inside_commit),
        cmocka_unit_test(test_retry_schedule), cmocka_unit_test(test_retry_scan_passes_over),
        cmocka_unit_test(test_dead_after_max_attempts),
        cmocka_unit_test(test_alert_names_row), cmocka_unit_test(test_final_states_final),
        cmocka_unit_test(test_answer_after_commit), cmocka_unit_test(test_dedupe_same_answer),
        cmocka_unit_test(test_business_rules), cmocka_unit_test(test_broker_redelivery),
        cmocka_unit_test(test_dack_names_delivery), cmocka_unit_test(test_restart_state),
        cmocka_unit_test(test_delivered_until_acked),
        cmocka_unit_test(test_cleanup_final_only), cmocka_unit_test(test_retry_due_exactly),
        cmocka_unit_test(test_full_scan_oldest_first),
        cmocka_unit_test(test_full_scan_same_time_payment),
        cmocka_unit_test(test_cleanup_exact_age),
        cmocka_unit_test(test_completion_final_only), cmocka_unit_test(test_bad_trace),
        cmocka_unit_test(test_alerts_kept), cmocka_unit_test(test_completed_all),
        cmocka_unit_test(test_leases),
        cmocka_unit_test(test_restart_state_accounting),
        cmocka_unit_test(test_first_republication), cmocka_unit_test(test_alert_undecodable),
        cmocka_unit_test(test_cleanup_note), cmocka_unit_test(test_refusal_reason),
        cmocka_unit_test(test_dack_unanswered),
        cmocka_unit_test(test_competing_consumers), cmocka_unit_test(test_errors_reported),
        cmocka_unit_test(test_errors_say_why), cmocka_unit_test(test_rejects_say_why),
        cmocka_unit_test(test_queue_fifo),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
