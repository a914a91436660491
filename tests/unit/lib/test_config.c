/*
** test_config.c: defaults, knob parsing and its one-line errors (lib/config.h).
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../../lib/config.h"

static void test_defaults(void **state) {
    (void)state;
    ox_config c;
    memset(&c, 0x5a, sizeof c);
    ox_config_default(&c);
    assert_int_equal(c.design, OX_DESIGN_OUTBOX);
    assert_int_equal(c.retry, OX_RETRY_LINEAR);
    assert_int_equal(c.retry_base_ms, 2000);
    assert_int_equal(c.retry_max_ms, 60000);
    assert_true(c.jitter == 0.0);
    assert_int_equal(c.max_attempts, 8);
    assert_int_equal(c.scan_interval_ms, 1000);
    assert_int_equal(c.scan_batch, 100);
    assert_int_equal(c.delivery, OX_AT_LEAST_ONCE);
    assert_int_equal(c.durable, 0);
    assert_int_equal(c.visibility_ms, 5000);
    assert_int_equal(c.prefetch, 100);
    assert_int_equal(c.synchronous, OX_SYNC_NORMAL);
    assert_int_equal(c.journal_mode, OX_JOURNAL_WAL);
    assert_int_equal(c.durable_send, 0);
    for (int r = 0; r < OX_ROLE_COUNT; r++) {
        assert_int_equal(c.role_sync[r], -1);
        assert_int_equal(c.role_journal[r], -1);
        assert_int_equal(c.role_durable_send[r], -1);
    }
    assert_int_equal(c.max_amount, 100000000);
    assert_int_equal(c.nfrozen, 0);
    assert_int_equal(c.cleanup_after_ms, 0);
    assert_true(c.seed == 0);
    assert_int_equal(c.inbox_retention_ms, 0);
    assert_int_equal(c.completion, OX_COMPLETE_MARK);
}

static void set_ok(ox_config *c, const char *k, const char *v) {
    char err[256] = "";
    int rc = ox_config_set(c, k, v, err, sizeof err);
    if (rc != 0) fail_msg("%s=%s: %s", k, v, err);
}

static void test_every_knob(void **state) {
    (void)state;
    ox_config c;
    ox_config_default(&c);
    set_ok(&c, "design", "mark-on-publish");
    set_ok(&c, "retry", "exponential");
    set_ok(&c, "retry_base", "0.25");
    set_ok(&c, "retry_max", "90");
    set_ok(&c, "jitter", "0.5");
    set_ok(&c, "max_attempts", "1000");
    set_ok(&c, "scan_interval", "0.001");
    set_ok(&c, "scan_batch", "10000");
    set_ok(&c, "delivery", "at-most-once");
    set_ok(&c, "durable", "1");
    set_ok(&c, "visibility", "7.5");
    set_ok(&c, "prefetch", "1");
    set_ok(&c, "synchronous", "full");
    set_ok(&c, "journal_mode", "delete");
    set_ok(&c, "durable_send", "1");
    set_ok(&c, "max_amount", "500");
    set_ok(&c, "frozen", "3,4294967295,0");
    set_ok(&c, "cleanup_after", "0");
    set_ok(&c, "seed", "18446744073709551615");
    set_ok(&c, "inbox_retention", "2.5");
    set_ok(&c, "completion", "archive");
    assert_int_equal(c.design, OX_DESIGN_MARK_ON_PUBLISH);
    assert_int_equal(c.retry, OX_RETRY_EXPONENTIAL);
    assert_int_equal(c.retry_base_ms, 250);
    assert_int_equal(c.retry_max_ms, 90000);
    assert_true(c.jitter == 0.5);
    assert_int_equal(c.max_attempts, 1000);
    assert_int_equal(c.scan_interval_ms, 1);
    assert_int_equal(c.scan_batch, 10000);
    assert_int_equal(c.delivery, OX_AT_MOST_ONCE);
    assert_int_equal(c.durable, 1);
    assert_int_equal(c.visibility_ms, 7500);
    assert_int_equal(c.prefetch, 1);
    assert_int_equal(c.synchronous, OX_SYNC_FULL);
    assert_int_equal(c.max_amount, 500);
    assert_int_equal(c.nfrozen, 3);
    assert_int_equal(c.frozen[0], 3);
    assert_int_equal(c.frozen[1], UINT32_MAX);
    assert_int_equal(c.frozen[2], 0);
    assert_int_equal(c.cleanup_after_ms, 0);
    assert_true(c.seed == UINT64_MAX);
    assert_int_equal(c.inbox_retention_ms, 2500);
    assert_int_equal(c.completion, OX_COMPLETE_ARCHIVE);
    assert_string_equal(ox_completion_name(c.completion), "archive");
    set_ok(&c, "completion", "delete");
    assert_int_equal(c.completion, OX_COMPLETE_DELETE);
    set_ok(&c, "inbox_retention", "0");
    assert_int_equal(c.inbox_retention_ms, 0);
    set_ok(&c, "seed", "0x10");
    assert_true(c.seed == 16);
    set_ok(&c, "frozen", "");
    assert_int_equal(c.nfrozen, 0);
    set_ok(&c, "synchronous", "off");
    assert_int_equal(c.synchronous, OX_SYNC_OFF);
}

/* A bad value is refused with the exact line, and changes nothing. */
static void expect_error(const char *k, const char *v, const char *want) {
    ox_config c, before;
    ox_config_default(&c);
    memcpy(&before, &c, sizeof c);
    char err[1024] = "";
    assert_int_equal(ox_config_set(&c, k, v, err, sizeof err), -1);
    assert_string_equal(err, want);
    assert_memory_equal(&c, &before, sizeof c);
}

static void test_errors(void **state) {
    (void)state;
    expect_error("retry_base", "-1", "retry_base: expected seconds > 0, got '-1'");
    expect_error("retry_base", "0", "retry_base: expected seconds > 0, got '0'");
    expect_error("retry_base", "0.0001", "retry_base: expected seconds > 0, got '0.0001'");
    expect_error("retry_base", "2s", "retry_base: expected seconds > 0, got '2s'");
    expect_error("retry_base", "", "retry_base: expected seconds > 0, got ''");
    expect_error("retry_base", " 2", "retry_base: expected seconds > 0, got ' 2'");
    expect_error("retry_base", "nan", "retry_base: expected seconds > 0, got 'nan'");
    expect_error("retry_base", "inf", "retry_base: expected seconds > 0, got 'inf'");
    expect_error("retry_base", "1e300", "retry_base: expected seconds > 0, got '1e300'");
    expect_error("cleanup_after", "-0.5", "cleanup_after: expected seconds >= 0, got '-0.5'");
    expect_error("inbox_retention", "-1", "inbox_retention: expected seconds >= 0, got '-1'");
    expect_error("completion", "purge",
                 "completion: expected mark, delete or archive, got 'purge'");
    expect_error("retry", "quadratic", "retry: expected linear or exponential, got 'quadratic'");
    expect_error("jitter", "1.5", "jitter: expected a fraction 0..1, got '1.5'");
    expect_error("max_attempts", "0", "max_attempts: expected an integer 1..1000, got '0'");
    expect_error("max_attempts", "1001", "max_attempts: expected an integer 1..1000, got '1001'");
    expect_error("max_attempts", "2.5", "max_attempts: expected an integer 1..1000, got '2.5'");
    expect_error("scan_batch", "99999999999999999999",
                 "scan_batch: expected an integer 1..10000, got '99999999999999999999'");
    expect_error("prefetch", "0", "prefetch: expected an integer 1..10000, got '0'");
    expect_error("durable", "yes", "durable: expected 0 or 1, got 'yes'");
    expect_error("delivery", "exactly-once",
                 "delivery: expected at-least-once or at-most-once, got 'exactly-once'");
    expect_error("synchronous", "NORMAL",
                 "synchronous: expected off, normal, full or extra, got 'NORMAL'");
    expect_error("journal_mode", "truncate",
                 "journal_mode: expected wal or delete, got 'truncate'");
    expect_error("durable_send", "2", "durable_send: expected 0 or 1, got '2'");
    expect_error("payment.synchronous", "fast",
                 "payment.synchronous: expected off, normal, full or extra, got 'fast'");
    expect_error("payment.retry", "linear",
                 "payment.retry: only synchronous, journal_mode and durable_send take a role "
                 "prefix (payment., broker., accounting.)");
    expect_error("bank.synchronous", "full",
                 "bank.synchronous: only synchronous, journal_mode and durable_send take a role "
                 "prefix (payment., broker., accounting.)");
    expect_error("max_amount", "0", "max_amount: expected cents > 0, got '0'");
    expect_error("frozen", "1,,2",
                 "frozen: expected a comma list of up to 16 account numbers, got '1,,2'");
    expect_error("frozen", "1,",
                 "frozen: expected a comma list of up to 16 account numbers, got '1,'");
    expect_error("frozen", "4294967296",
                 "frozen: expected a comma list of up to 16 account numbers, got '4294967296'");
    expect_error("frozen", "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17",
                 "frozen: expected a comma list of up to 16 account numbers, got "
                 "'1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17'");
    expect_error("seed", "-1", "seed: expected an unsigned 64-bit integer, got '-1'");
    expect_error("seed", "0x", "seed: expected an unsigned 64-bit integer, got '0x'");
    expect_error("seed", "18446744073709551616",
                 "seed: expected an unsigned 64-bit integer, got '18446744073709551616'");
    expect_error(
        "design", "outbox2",
        "design: expected a design name (outbox, direct, publish-in-tx, outbox-no-recovery, "
        "outbox-no-dedupe, mark-on-publish, ack-before-apply, resend-every-scan, "
        "retries-not-attempts, ok-before-commit, alert-outside-tx, cleanup-by-age, ordered, "
        "ordered-naive, alert-stale-payment, answer-unguarded, limit-inclusive, "
        "cleanup-takes-alerts, auto-ack, forget-unacked-on-restart, redeliver-early, "
        "relay-no-lease, relay-short-lease, relay-zombie, dedupe-per-instance, "
        "relay-skewed-clock, swallow-error, scan-newest-first, lookup-left-open), got "
        "'outbox2'");
    expect_error(
        "foo", "1",
        "unknown knob 'foo' (known: design, retry, retry_base, retry_max, jitter, max_attempts, "
        "scan_interval, scan_batch, delivery, durable, visibility, prefetch, synchronous, "
        "journal_mode, durable_send, max_amount, frozen, cleanup_after, seed, inbox_retention, "
        "completion, relays, lease, lease_skew, relay_rtt, owner, accounting_instances)");
}

/* Competing consumers: the knob, and the names instances are addressed by (one instance
** keeps the role's own name, so nothing changes for a run of three processes). */
static void test_instances(void **state) {
    (void)state;
    ox_config c;
    ox_config_default(&c);
    assert_int_equal(c.accounting_instances, 1);
    char err[256] = "";
    assert_int_equal(ox_config_set_kv(&c, "accounting_instances=3", err, sizeof err), 0);
    assert_int_equal(c.accounting_instances, 3);
    expect_error("accounting_instances", "0",
                 "accounting_instances: expected an integer 1..16, got '0'");
    expect_error("accounting_instances", "17",
                 "accounting_instances: expected an integer 1..16, got '17'");
    char name[32];
    assert_int_equal(ox_config_instance_name("accounting", 1, 1, name, sizeof name), 0);
    assert_string_equal(name, "accounting");
    assert_int_equal(ox_config_instance_name("accounting", 1, 3, name, sizeof name), 0);
    assert_string_equal(name, "accounting");   /* the first keeps the role's name */
    assert_int_equal(ox_config_instance_name("accounting", 2, 3, name, sizeof name), 0);
    assert_string_equal(name, "accounting-2");
    assert_int_equal(ox_config_instance_name("accounting", 16, 16, name, sizeof name), 0);
    assert_string_equal(name, "accounting-16");
    assert_int_equal(ox_config_instance_name("accounting", 0, 3, name, sizeof name), -1);
    assert_int_equal(ox_config_instance_name("accounting", 4, 3, name, sizeof name), -1);
    assert_int_equal(ox_config_instance_name("accounting", 1, 17, name, sizeof name), -1);
    assert_int_equal(ox_config_instance_name("accounting", 2, 3, name, 12), -1);   /* no room */
    assert_string_equal(name, "");
}

/* synchronous, journal_mode and durable_send, per role: a prefixed knob wins over the
** unprefixed one in either order, and only for its role; a bad value changes nothing. */
static void test_role_knobs(void **state) {
    (void)state;
    ox_config c;
    ox_config_default(&c);
    set_ok(&c, "payment.synchronous", "full");
    set_ok(&c, "synchronous", "off");            /* after the prefixed one: still loses */
    set_ok(&c, "broker.journal_mode", "delete");
    set_ok(&c, "accounting.durable_send", "1");
    set_ok(&c, "broker.synchronous", "extra");
    char err[256];
    assert_int_equal(ox_config_set(&c, "payment.synchronous", "bad", err, sizeof err), -1);
    ox_config pay = c, brk = c, acc = c;
    ox_config_resolve(&pay, OX_ROLE_PAYMENT);
    ox_config_resolve(&brk, OX_ROLE_BROKER);
    ox_config_resolve(&acc, OX_ROLE_ACCOUNTING);
    assert_int_equal(pay.synchronous, OX_SYNC_FULL);
    assert_int_equal(pay.journal_mode, OX_JOURNAL_WAL);
    assert_int_equal(pay.durable_send, 0);
    assert_int_equal(brk.synchronous, OX_SYNC_EXTRA);
    assert_int_equal(brk.journal_mode, OX_JOURNAL_DELETE);
    assert_int_equal(acc.synchronous, OX_SYNC_OFF);
    assert_int_equal(acc.durable_send, 1);
    assert_int_equal(pay.role_sync[OX_ROLE_BROKER], -1);   /* resolved: no overrides left */
    ox_config twice = pay;
    ox_config_resolve(&twice, OX_ROLE_BROKER);             /* nothing left to apply */
    assert_int_equal(twice.synchronous, OX_SYNC_FULL);
    assert_string_equal(ox_sync_name(OX_SYNC_EXTRA), "extra");
    assert_string_equal(ox_journal_name(OX_JOURNAL_DELETE), "delete");
    assert_string_equal(ox_sync_name((ox_sync)9), "?");
}

/* Which settings make every commit durable before its send (config.h). */
static void test_durable(void **state) {
    (void)state;
    static const struct { const char *sync, *journal; int send, durable; } CASES[] = {
        { "off", "wal", 0, 0 },    { "normal", "wal", 0, 0 },  { "full", "wal", 0, 1 },
        { "extra", "wal", 0, 1 },  { "normal", "wal", 1, 1 },  { "off", "wal", 1, 1 },
        { "full", "delete", 0, 0 }, { "extra", "delete", 0, 1 }, { "normal", "delete", 1, 1 },
    };
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        ox_config c;
        ox_config_default(&c);
        set_ok(&c, "synchronous", CASES[i].sync);
        set_ok(&c, "journal_mode", CASES[i].journal);
        set_ok(&c, "durable_send", CASES[i].send ? "1" : "0");
        if (ox_config_durable(&c) != CASES[i].durable)
            fail_msg("%s %s durable_send=%d: expected %d", CASES[i].sync, CASES[i].journal,
                     CASES[i].send, CASES[i].durable);
    }
}

/* The relays' knobs (lib/relay.h): ranges and the owner's spelling. */
static void test_relay_knobs(void **state) {
    (void)state;
    expect_error("relays", "9", "relays: expected an integer 0..8, got '9'");
    expect_error("lease", "0", "lease: expected seconds > 0, got '0'");
    expect_error("relay_rtt", "-1", "relay_rtt: expected seconds > 0, got '-1'");
    expect_error("lease_skew", "-0.5", "lease_skew: expected seconds 0..3600, got '-0.5'");
    expect_error("lease_skew", "3600.5", "lease_skew: expected seconds 0..3600, got '3600.5'");
    expect_error("owner", "relay 1",
                 "owner: expected a name of 1..23 letters, digits, '-' or '_', got 'relay 1'");
    expect_error("owner", "a-name-of-twenty-four-ch",
                 "owner: expected a name of 1..23 letters, digits, '-' or '_', got "
                 "'a-name-of-twenty-four-ch'");
    ox_config c;
    char err[256];
    ox_config_default(&c);
    assert_int_equal(c.lease_ms, 10000);
    assert_int_equal(c.relay_rtt_ms, 20);
    assert_int_equal(c.lease_skew_ms, 1000);
    assert_string_equal(c.owner, "relay");
    assert_int_equal(ox_config_set_kv(&c, "lease_skew=0", err, sizeof err), 0);
    assert_int_equal(c.lease_skew_ms, 0);
    assert_int_equal(ox_config_set_kv(&c, "lease_skew=3600", err, sizeof err), 0);
    assert_int_equal(c.lease_skew_ms, 3600000);
    assert_int_equal(ox_config_set_kv(&c, "owner=relay-8", err, sizeof err), 0);
    assert_string_equal(c.owner, "relay-8");
}

static void test_small_error_buffer(void **state) {
    (void)state;
    ox_config c;
    ox_config_default(&c);
    char err[16];
    memset(err, 'x', sizeof err);
    assert_int_equal(ox_config_set(&c, "foo", "1", err, sizeof err), -1);
    assert_int_equal(strlen(err), sizeof err - 1);   /* truncated, still terminated */
}

static void test_kv(void **state) {
    (void)state;
    ox_config c;
    ox_config_default(&c);
    char err[256];
    assert_int_equal(ox_config_set_kv(&c, "retry_base=1.5", err, sizeof err), 0);
    assert_int_equal(c.retry_base_ms, 1500);
    assert_int_equal(ox_config_set_kv(&c, "frozen=7=8", err, sizeof err), -1);
    assert_string_equal(err,
                        "frozen: expected a comma list of up to 16 account numbers, got '7=8'");
    assert_int_equal(ox_config_set_kv(&c, "retry_base", err, sizeof err), -1);
    assert_string_equal(err, "expected key=value, got 'retry_base'");
    assert_int_equal(ox_config_set_kv(&c, "=3", err, sizeof err), -1);
    assert_string_equal(err, "expected key=value, got '=3'");
    assert_int_equal(ox_config_set_kv(&c, "frozen=", err, sizeof err), 0);
    assert_int_equal(c.nfrozen, 0);
}

static void test_designs(void **state) {
    (void)state;
    const char *names[] = { "outbox", "direct", "publish-in-tx", "outbox-no-recovery",
                            "outbox-no-dedupe", "mark-on-publish", "ack-before-apply",
                            "resend-every-scan", "retries-not-attempts",
                            "ok-before-commit", "alert-outside-tx", "cleanup-by-age",
                            "ordered", "ordered-naive",
                            "alert-stale-payment", "answer-unguarded", "limit-inclusive",
                            "cleanup-takes-alerts",
                            "auto-ack", "forget-unacked-on-restart", "redeliver-early",
                            "relay-no-lease", "relay-short-lease", "relay-zombie",
                            "dedupe-per-instance", "relay-skewed-clock", "swallow-error",
                            "scan-newest-first", "lookup-left-open" };
    assert_int_equal(sizeof names / sizeof names[0], OX_DESIGN_COUNT);
    for (int i = 0; i < OX_DESIGN_COUNT; i++) {
        ox_design d = OX_DESIGN_COUNT;
        assert_string_equal(ox_design_name((ox_design)i), names[i]);
        assert_int_equal(ox_design_parse(names[i], &d), 0);
        assert_int_equal(d, i);
        assert_non_null(strstr(ox_design_names(), names[i]));
    }
    ox_design d = OX_DESIGN_DIRECT;
    assert_int_equal(ox_design_parse("Outbox", &d), -1);
    assert_int_equal(d, OX_DESIGN_DIRECT);
    assert_string_equal(ox_design_name(OX_DESIGN_COUNT), "?");
    /* Only the two ordered designs claim per-account order (the ordering check's gate). */
    for (int i = 0; i < OX_DESIGN_COUNT; i++) {
        int ordered = !strcmp(names[i], "ordered") || !strcmp(names[i], "ordered-naive");
        assert_int_equal(ox_design_claims_ordering((ox_design)i), ordered);
    }
}

/* ox_config_format: each role's words, one spelling, and the longest fits a note. */
static void test_format(void **state) {
    (void)state;
    ox_config c;
    ox_config_default(&c);
    char text[OX_CONFIG_TEXT_MAX + 1];
    assert_true(ox_config_format(&c, OX_ROLE_BROKER, text, sizeof text) > 0);
    assert_string_equal(text, "design=outbox delivery=at-least-once durable=0 visibility=5 "
                        "prefetch=100 synchronous=normal journal_mode=wal durable_send=0 "
                        "accounting_instances=1");
    assert_true(ox_config_format(&c, OX_ROLE_PAYMENT, text, sizeof text) > 0);
    assert_string_equal(text, "design=outbox retry=linear retry_base=2 retry_max=60 jitter=0 "
                        "max_attempts=8 scan_interval=1 scan_batch=100 synchronous=normal "
                        "journal_mode=wal durable_send=0 cleanup_after=0 seed=0 "
                        "completion=mark relays=0");
    set_ok(&c, "relay_rtt", "0.02");
    set_ok(&c, "lease_skew", "1.5");
    set_ok(&c, "retry_base", "0.125");
    assert_true(ox_config_format(&c, OX_ROLE_RELAY, text, sizeof text) > 0);
    assert_non_null(strstr(text, " relay_rtt=0.02 "));
    assert_non_null(strstr(text, " lease_skew=1.5 "));
    assert_non_null(strstr(text, " retry_base=0.125 "));
    assert_null(strstr(text, "completion="));   /* the payment's answers only */
    /* The longest: every word at its widest, for each role. */
    set_ok(&c, "design", "forget-unacked-on-restart");
    set_ok(&c, "frozen", "4294967295,4294967295,4294967295,4294967295,4294967295,4294967295,"
           "4294967295,4294967295,4294967295,4294967295,4294967295,4294967295,4294967295,"
           "4294967295,4294967295,4294967295");
    set_ok(&c, "seed", "18446744073709551615");
    set_ok(&c, "owner", "abcdefghijklmnopqrstuvw");
    set_ok(&c, "retry", "exponential");
    set_ok(&c, "jitter", "0.123456789");
    set_ok(&c, "max_amount", "9223372036854775807");
    set_ok(&c, "synchronous", "normal");
    for (int r = 0; r < OX_ROLE_COUNT; r++) {
        int n = ox_config_format(&c, (ox_role)r, text, sizeof text);
        assert_true(n > 0 && n <= OX_CONFIG_TEXT_MAX);
        assert_int_equal((int)strlen(text), n);
    }
    assert_int_equal(ox_config_format(&c, OX_ROLE_ACCOUNTING, text, 40), -1);
    assert_string_equal(text, "");   /* cut: nothing, never half a word */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_instances),
        cmocka_unit_test(test_every_knob),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_relay_knobs),
        cmocka_unit_test(test_small_error_buffer),
        cmocka_unit_test(test_kv),
        cmocka_unit_test(test_designs),
        cmocka_unit_test(test_role_knobs),
        cmocka_unit_test(test_durable),
        cmocka_unit_test(test_format),
    };
    return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
