/*
** test_payment.c: the payment service (lib/payment.c, lib/scan.c, lib/retry.c) on
** real SQLite files.
**
** Each test runs a service against a fresh database in its own temporary directory
** and checks the database from a second connection, the frames the service sent, the
** timers it set and the failpoints it passed.  Times are asserted against the clock
** read before and after the call (the library reads the real clock).
*/
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "../../../lib/clock.h"
#include "../../../lib/config.h"
#include "../../../lib/prng.h"
#include "../../../lib/retry.h"
#include "../../../lib/schema.h"
#include "../../../lib/service.h"
#include "../../../lib/store.h"
#include "../../../lib/wire.h"

#include "recording_io.h"

/* ---- payment helpers ---- */

typedef struct {
    ox_service *s;
    char path[256];
} pay_env;

static pay_env pay_open(rec *r, const ox_config *c) {
    pay_env e;
    db_path(r, "payment.db", e.path, sizeof e.path);
    e.s = open_svc(r, OX_ROLE_PAYMENT, e.path, c);
    return e;
}

static ox_config cfg_design(ox_design d) {
    ox_config c;
    ox_config_default(&c);
    c.design = d;
    return c;
}

static int64_t outbox_int(const char *path, const char *col, uint64_t pay_id) {
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT %s FROM outbox WHERE payment_id=%llu", col,
             (unsigned long long)pay_id);
    return q1(path, sql);
}

static int64_t outbox_status_is(const char *path, uint64_t pay_id, const char *status) {
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM outbox WHERE payment_id=%llu AND status='%s'",
             (unsigned long long)pay_id, status);
    return q1(path, sql);
}

static ox_msg answer(uint8_t kind, uint64_t msg_id, uint64_t pay_id, const char *reason) {
    ox_msg m;
    memset(&m, 0, sizeof m);
    m.kind = kind;
    m.msg_id = msg_id;
    m.pay_id = pay_id;
    m.attempt = 1;
    snprintf(m.reason, sizeof m.reason, "%s", reason);
    return m;
}

static ox_status deliver_answer(ox_service *s, uint8_t kind, uint64_t msg_id, uint64_t pay_id,
                                uint64_t delivery, const char *reason) {
    ox_msg m = answer(kind, msg_id, pay_id, reason);
    ox_frame f = frame_of(OX_F_DELIVER, OX_ACC_QUEUE, delivery, &m);
    return feed(s, "broker", &f);
}

/* Makes every SENDING row due now, as if its time had come. */
static void make_due(const char *path) {
    exec_sql(path, "UPDATE outbox SET next_attempt_at=0 WHERE status='SENDING'");
}

/* ---- checks run inside the service's calls ---- */

/* At each send: is the payment row visible to another connection (= committed)? */
static void see_commit_at_send(rec *r, const ox_frame *f) {
    char path[256];
    db_path(r, "payment.db", path, sizeof path);
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM payment WHERE id=%llu",
             (unsigned long long)f->msg.pay_id);
    r->scratch[0] = q1(path, sql);
    r->scratch[1]++;
}

static void see_rows_at_after_commit(rec *r, const char *name) {
    if (strcmp(name, "payment.after_commit") != 0) return;
    char path[256];
    db_path(r, "payment.db", path, sizeof path);
    r->scratch[2] = q1(path, "SELECT count(*) FROM payment");
    r->scratch[3] = q1(path, "SELECT count(*) FROM outbox");
    r->scratch[4] = r->nsent;
}

/* ---- pay ---- */

static void test_pay_commits_both_rows_then_publishes(void **state) {
    rec *r = *state;
    ox_config c = cfg_design(OX_DESIGN_OUTBOX);
    pay_env e = pay_open(r, &c);
    rec_clear(r);
    r->on_send = see_commit_at_send;
    r->on_failpoint = see_rows_at_after_commit;
    int64_t t0 = ox_now_ms();
    assert_int_equal(ox_service_pay(e.s, 7, 3, 500), OX_OK);
    int64_t t1 = ox_now_ms();

    /* both rows, committed together before anything was sent */
    assert_int_equal(r->scratch[2], 1);
    assert_int_equal(r->scratch[3], 1);
    assert_int_equal(r->scratch[4], 0);
    assert_int_equal(r->scratch[0], 1);          /* at the publish the payment was committed */
    assert_int_equal(q1(e.path, "SELECT count(*) FROM payment WHERE id=7 AND account=3 AND "
                                "amount=500 AND status='PAID'"),
                     1);
    int64_t msg_id = outbox_int(e.path, "id", 7);
    assert_int_equal(outbox_status_is(e.path, 7, "SENDING"), 1);
    assert_int_equal(outbox_int(e.path, "attempts", 7), 1);
    int64_t next = outbox_int(e.path, "next_attempt_at", 7);
    assert_true(next >= t0 + 2000 && next <= t1 + 2000);   /* linear: interval(1) = base */

    /* exactly one PUBLISH of the PAYMENT to PAY_QUEUE, via the broker */
    assert_int_equal(r->nsent, 1);
    assert_string_equal(r->to[0], "broker");
    const ox_frame *f = &r->sent[0];
    assert_int_equal(f->type, OX_F_PUBLISH);
    assert_string_equal(f->queue, OX_PAY_QUEUE);
    assert_int_equal(f->msg.kind, OX_M_PAYMENT);
    assert_true(f->msg.msg_id == (uint64_t)msg_id && f->msg.pay_id == 7);
    assert_int_equal(f->msg.account, 3);
    assert_true(f->msg.amount == 500);
    assert_int_equal(f->msg.attempt, 1);

    /* the stored payload is that same message */
    sqlite3 *db;
    assert_int_equal(sqlite3_open(e.path, &db), SQLITE_OK);
    sqlite3_stmt *st;
    assert_int_equal(
        sqlite3_prepare_v2(db, "SELECT payload FROM outbox WHERE payment_id=7", -1, &st, NULL),
        SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    ox_frame g;
    assert_int_equal(
        ox_wire_decode(sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0), &g),
        OX_WIRE_OK);
    sqlite3_finalize(st);
    sqlite3_close(db);
    assert_int_equal(g.type, OX_F_PUBLISH);
    assert_true(g.msg.msg_id == (uint64_t)msg_id && g.msg.pay_id == 7 && g.msg.amount == 500);

    assert_int_equal(r->nfp, 2);
    assert_string_equal(r->fp[0], "payment.after_commit");
    assert_string_equal(r->fp[1], "payment.after_publish");
    assert_int_equal(rec_count(r, "commit"), 1);
    assert_int_equal(rec_count(r, "publish"), 1);
    assert_string_equal(rec_detail(r, "publish"), "msg 1 attempt 1 to PAY_QUEUE");
    ox_service_close(e.s);
}

/* A failure inside the transaction leaves neither row and sends nothing. */
static void test_pay_failure_rolls_back(void **state) {
    rec *r = *state;
    ox_config c = cfg_design(OX_DESIGN_OUTBOX);
    pay_env e = pay_open(r, &c);
    /* an outbox row that already claims payment 8 makes the outbox insert fail */
    exec_sql(e.path, "INSERT INTO outbox(payment_id, status, attempts, next_attempt_at, payload,"
                     " created_at, updated_at) VALUES(8, 'CONSUMED', 1, 0, x'', 0, 0)");
    rec_clear(r);
    assert_int_equal(ox_service_pay(e.s, 8, 3, 500), OX_ERR_DB);
    assert_non_null(
        strstr(ox_service_error(e.s), "payment.db: insert outbox row: UNIQUE constraint failed"));
    assert_null(strchr(ox_service_error(e.s), '\n'));
    assert_int_equal(q1(e.path, "SELECT count(*) FROM payment"), 0);
    assert_int_equal(q1(e.path, "SELECT count(*) FROM outbox"), 1);
    assert_int_equal(r->nsent, 0);
    assert_int_equal(r->nfp, 0);
    /* and the service goes on working */
    assert_int_equal(ox_service_pay(e.s, 9, 3, 500), OX_OK);
    assert_int_equal(q1(e.path, "SELECT count(*) FROM payment"), 1);
    ox_service_close(e.s);
}

static void test_pay_duplicate_and_refused(void **state) {
    rec *r = *state;
    ox_config c = cfg_design(OX_DESIGN_OUTBOX);
    pay_env e = pay_open(r, &c);
    assert_int_equal(ox_service_pay(e.s, 7, 3, 500), OX_OK);
    rec_clear(r);
    assert_int_equal(ox_service_pay(e.s, 7, 4, 999), OX_OK);      /* same id: no change */
    assert_int_equal(r->nsent, 0);
    assert_int_equal(rec_count(r, "duplicate"), 1);
    assert_int_equal(q1(e.path, "SELECT count(*) FROM payment"), 1);
    assert_int_equal(q1(e.path, "SELECT amount FROM payment WHERE id=7"), 500);
    assert_int_equal(q1(e.path, "SELECT count(*) FROM outbox"), 1);

    assert_int_equal(ox_service_pay(e.s, 10, 3, 0), OX_ERR_REFUSED);
    assert_non_null(strstr(ox_service_error(e.s), "amount must be > 0"));
    assert_int_equal(ox_service_pay(e.s, 11, 3, -5), OX_ERR_REFUSED);
    assert_int_equal(ox_service_pay(e.s, UINT64_MAX, 3, 5), OX_ERR_REFUSED);
    assert_int_equal(q1(e.path, "SELECT count(*) FROM payment"), 1);
    assert_int_equal(r->nsent, 0);
    ox_service_close(e.s);
}

/* ---- the recovery scan ---- */

static void test_scan_republishes_due_rows_linear(void **state) {
    rec *r = *state;
    ox_config c = cfg_design(OX_DESIGN_OUTBOX);
    pay_env e = pay_open(r, &c);
    rec_clear(r);
    assert_int_equal(ox_service_start(e.s), OX_OK);
    assert_int_equal(r->ntimers, 1);
    assert_int_equal(r->timer_id[0], OX_TIMER_SCAN);
    assert_int_equal(r->timer_delay[0], 1000);
    assert_int_equal(ox_service_pay(e.s, 1, 3, 100), OX_OK);
    assert_int_equal(ox_service_pay(e.s, 2, 3, 200), OX_OK);

    /* nothing is due yet: the scan publishes nothing but re-arms */
    rec_clear(r);
    assert_int_equal(ox_service_on_timer(e.s, OX_TIMER_SCAN), OX_OK);
    assert_int_equal(r->nsent, 0);
    assert_int_equal(r->ntimers, 1);
    assert_int_equal(r->timer_delay[0], 1000);

    /* payment 1 only becomes due: attempt n+1 goes out, and waits base*(n+1) */
    exec_sql(e.path, "UPDATE outbox SET next_attempt_at=0 WHERE payment_id=1");
    for (int64_t attempt = 2; attempt <= 5; attempt++) {
        rec_clear(r);
        int64_t t0 = ox_now_ms();
        assert_int_equal(ox_service_on_timer(e.s, OX_TIMER_SCAN), OX_OK);
        int64_t t1 = ox_now_ms();
        assert_int_equal(r->nsent, 1);
        assert_true(r->sent[0].msg.pay_id == 1);
        assert_int_equal(r->sent[0].msg.attempt, attempt);
        assert_int_equal(r->nfp, 1);
        assert_string_equal(r->fp[0], "payment.scan_after_publish");
        assert_int_equal(outbox_int(e.path, "attempts", 1), attempt);
        int64_t next = outbox_int(e.path, "next_attempt_at", 1);
        assert_true(next >= t0 + 2000 * attempt && next <= t1 + 2000 * attempt);
        assert_string_equal(rec_detail(r, "scan"), "1 due");
        assert_int_equal(r->timer_id[r->ntimers - 1], OX_TIMER_SCAN);
        make_due(e.path);
        exec_sql(e.path, "UPDATE outbox SET next_attempt_at=9e15 WHERE payment_id=2");
    }
    assert_int_equal(outbox_int(e.path, "attempts", 2), 1);
    ox_service_close(e.s);
}

static void test_scan_exponential_capped(void **state) {
    rec *r = *state;
    ox_config c = cfg_design(OX_DESIGN_OUTBOX);
    c.retry = OX_RETRY_EXPONENTIAL;
    c.retry_base_ms = 1000;
    c.retry_max_ms = 5000;
    c.max_attempts = 100;
    pay_env e = pay_open(r, &c);
    assert_int_equal(ox_service_pay(e.s, 1, 3, 100), OX_OK);
    const int64_t want[] = { 0, 1000, 2000, 4000, 5000, 5000 };   /* after publication n */
    for (int n = 2; n <= 5; n++) {
        make_due(e.path);
        int64_t t0 = ox_now_ms();
        assert_int_equal(ox_service_on_timer(e.s, OX_TIMER_SCAN), OX_OK);
        int64_t t1 = ox_now_ms();
        int64_t next = outbox_int(e.path, "next_attempt_at", 1);
        assert_true(next >= t0 + want[n] && next <= t1 + want[n]);
    }
    ox_service_close(e.s);
}

static void test_retry_interval(void **state) {
    (void)state;
    ox_config c;
    ox_config_default(&c);
    ox_prng p, before;
    ox_prng_seed(&p, 1);
    before = p;
    for (uint32_t n = 1; n <= 40; n++) {
        int64_t v = ox_retry_interval(&c, &p, n);
        assert_int_equal(v, 2000 * (int64_t)n < 60000 ? 2000 * (int64_t)n : 60000);
    }
    assert_memory_equal(&p, &before, sizeof p);   /* no jitter: no draws */
    c.retry = OX_RETRY_EXPONENTIAL;
    assert_int_equal(ox_retry_interval(&c, &p, 1), 2000);
    assert_int_equal(ox_retry_interval(&c, &p, 5), 32000);
    assert_int_equal(ox_retry_interval(&c, &p, 6), 60000);
    assert_int_equal(ox_retry_interval(&c, &p, 64), 60000);        /* no overflow */
    assert_int_equal(ox_retry_interval(&c, &p, UINT32_MAX), 60000);
    c.retry = OX_RETRY_LINEAR;
    c.retry_max_ms = INT64_MAX;
    c.retry_base_ms = INT64_MAX / 2;
    assert_true(ox_retry_interval(&c, &p, 1000) == INT64_MAX);     /* saturates */

    /* jitter: within +-fraction, a pure function of the seed */
    ox_config_default(&c);
    c.jitter = 0.25;
    ox_prng a, b, other;
    ox_prng_seed(&a, 99);
    ox_prng_seed(&b, 99);
    ox_prng_seed(&other, 100);
    int differs = 0, spread_low = 0, spread_high = 0;
    for (int i = 0; i < 1000; i++) {
        int64_t x = ox_retry_interval(&c, &a, 2), y = ox_retry_interval(&c, &b, 2);
        int64_t z = ox_retry_interval(&c, &other, 2);
        assert_int_equal(x, y);
        assert_true(x >= 3000 && x <= 5000);
        differs += x != z;
        spread_low += x < 3500;
        spread_high += x > 4500;
    }
    assert_true(differs > 900);
    assert_true(spread_low > 100 && spread_high > 100);
}

static void test_scan_batch_is_bounded_and_ordered(void **state) {
    rec *r = *state;
    ox_config c = cfg_design(OX_DESIGN_OUTBOX);
    c.scan_batch = 3;
    pay_env e = pay_open(r, &c);
    for (uint64_t id = 1; id <= 5; id++) assert_int_equal(ox_service_pay(e.s, id, 3, 100), OX_OK);
    /* due in the order 5, 3, 1, 4, 2 */
    exec_sql(e.path,
             "UPDATE outbox SET next_attempt_at = CASE payment_id WHEN 5 THEN 1 WHEN 3 THEN 2"
             " WHEN 1 THEN 3 WHEN 4 THEN 4 ELSE 5 END");
    rec_clear(r);
    assert_int_equal(ox_service_on_timer(e.s, OX_TIMER_SCAN), OX_OK);
    assert_int_equal(r->nsent, 3);
    assert_true(r->sent[0].msg.pay_id == 5 && r->sent[1].msg.pay_id == 3 &&
                r->sent[2].msg.pay_id == 1);
    assert_string_equal(rec_detail(r, "scan"), "3 due");
    rec_clear(r);
    assert_int_equal(ox_service_on_timer(e.s, OX_TIMER_SCAN), OX_OK);
    assert_int_equal(r->nsent, 2);
    assert_true(r->sent[0].msg.pay_id == 4 && r->sent[1].msg.pay_id == 2);
    ox_service_close(e.s);
}

static void test_max_attempts_dead_letter_and_alert(void **state) {
    rec *r = *state;
    ox_config c = cfg_design(OX_DESIGN_OUTBOX);
    c.max_attempts = 2;
    pay_env e = pay_open(r, &c);
    assert_int_equal(ox_service_pay(e.s, 7, 3, 500), OX_OK);
    make_due(e.path);
    assert_int_equal(ox_service_on_timer(e.s, OX_TIMER_SCAN), OX_OK);     /* attempt 2 */
    assert_int_equal(outbox_int(e.path, "attempts", 7), 2);
    make_due(e.path);
    rec_clear(r);
    assert_int_equal(ox_service_on_timer(e.s, OX_TIMER_SCAN), OX_OK);     /* out of attempts */
    assert_int_equal(r->nsent, 0);
    assert_int_equal(outbox_status_is(e.path, 7, "DEAD"), 1);
    assert_int_equal(q1(e.path,
                        "SELECT count(*) FROM alert WHERE payment_id=7 AND kind='DEAD_LETTER'"
                        " AND outbox_id=(SELECT id FROM outbox WHERE payment_id=7)"
                        " AND message='payment 7 dead after 2 attempts (outbox row 1)'"),
                     1);
    assert_int_equal(rec_count(r, "dead"), 1);
    assert_int_equal(rec_count(r, "alert"), 1);
    assert_int_equal(r->ntimers, 1);                                        /* re-armed */
    /* DEAD rows are not scanned again: one alert, ever */
    exec_sql(e.path, "UPDATE outbox SET next_attempt_at=0");
    rec_clear(r);
    assert_int_equal(ox_service_on_timer(e.s, OX_TIMER_SCAN), OX_OK);
    assert_int_equal(r->nsent, 0);
    assert_int_equal(q1(e.path, "SELECT count(*) FROM alert"), 1);
    /* a late CONSUMED still settles a DEAD row */
    rec_clear(r);
    assert_int_equal(deliver_answer(e.s, OX_M_CONSUMED, 1, 7, 55, ""), OX_OK);
    assert_int_equal(outbox_status_is(e.path, 7, "CONSUMED"), 1);
    ox_service_close(e.s);
}

static void test_undecodable_payload_goes_dead(void **state) {
    rec *r = *state;
    ox_config c = cfg_design(OX_DESIGN_OUTBOX);
    pay_env e = pay_open(r, &c);
    assert_int_equal(ox_service_pay(e.s, 7, 3, 500), OX_OK);
    exec_sql(e.path, "UPDATE outbox SET payload=x'00', next_attempt_at=0");
    rec_clear(r);
    assert_int_equal(ox_service_on_timer(e.s, OX_TIMER_SCAN), OX_OK);
    assert_int_equal(r->nsent, 0);
    assert_int_equal(outbox_status_is(e.path, 7, "DEAD"), 1);
    assert_int_equal(q1(e.path, "SELECT count(*) FROM alert WHERE message LIKE '%undecodable%'"),
                     1);
    ox_service_close(e.s);
}

/* ---- answers from accounting ---- */

static void test_consumed_is_idempotent(void **state) {
    rec *r = *state;
    ox_config c = cfg_design(OX_DESIGN_OUTBOX);
    pay_env e = pay_open(r, &c);
    assert_int_equal(ox_service_pay(e.s, 7, 3, 500), OX_OK);
    for (int i = 0; i < 2; i++) {
        rec_clear(r);
        assert_int_equal(deliver_answer(e.s, OX_M_CONSUMED, 1, 7, 100 + (uint64_t)i, ""), OX_OK);
        assert_int_equal(outbox_status_is(e.path, 7, "CONSUMED"), 1);
        assert_int_equal(rec_count(r, i == 0 ? "consumed" : "duplicate"), 1);
        /* acked after the change, both times */
        assert_int_equal(r->nfp, 1);
        assert_string_equal(r->fp[0], "payment.after_consumed");
        assert_int_equal(r->nsent, 1);
        assert_string_equal(r->to[0], "broker");
        assert_int_equal(r->sent[0].type, OX_F_DACK);
        assert_string_equal(r->sent[0].queue, OX_ACC_QUEUE);
        assert_true(r->sent[0].delivery == 100 + (uint64_t)i);
    }
    /* a FAILED answer after CONSUMED changes nothing and refunds nothing */
    assert_int_equal(deliver_answer(e.s, OX_M_CONSUME_FAILED, 1, 7, 102, "late"), OX_OK);
    assert_int_equal(outbox_status_is(e.path, 7, "CONSUMED"), 1);
    assert_int_equal(q1(e.path, "SELECT count(*) FROM refund"), 0);
    assert_int_equal(q1(e.path, "SELECT count(*) FROM payment WHERE status='PAID'"), 1);
    /* an answer naming the wrong payment for the row changes nothing */
    assert_int_equal(ox_service_pay(e.s, 8, 3, 500), OX_OK);
    assert_int_equal(deliver_answer(e.s, OX_M_CONSUMED, 2, 99, 103, ""), OX_OK);
    assert_int_equal(outbox_status_is(e.path, 8, "SENDING"), 1);
    ox_service_close(e.s);
}

static void test_consume_failed_refunds_once(void **state) {
    rec *r = *state;
    ox_config c = cfg_design(OX_DESIGN_OUTBOX);
    pay_env e = pay_open(r, &c);
    assert_int_equal(ox_service_pay(e.s, 7, 3, 500), OX_OK);
    for (int i = 0; i < 3; i++) {
        rec_clear(r);
        assert_int_equal(deliver_answer(e.s, OX_M_CONSUME_FAILED, 1, 7, 200 + (uint64_t)i,
                                        "account 3 is frozen"),
                         OX_OK);
        assert_int_equal(r->nsent, 1);
        assert_int_equal(r->sent[0].type, OX_F_DACK);
        assert_int_equal(rec_count(r, "refund"), i == 0);
    }
    assert_int_equal(outbox_status_is(e.path, 7, "FAILED"), 1);
    assert_int_equal(q1(e.path, "SELECT count(*) FROM payment WHERE id=7 AND status='REFUNDED'"),
                     1);
    assert_int_equal(q1(e.path, "SELECT count(*) FROM refund WHERE payment_id=7 AND amount=500"
                                " AND reason='account 3 is frozen'"), 1);
    assert_int_equal(q1(e.path, "SELECT count(*) FROM refund"), 1);
    /* CONSUMED after FAILED: stays FAILED */
    assert_int_equal(deliver_answer(e.s, OX_M_CONSUMED, 1, 7, 300, ""), OX_OK);
    assert_int_equal(outbox_status_is(e.path, 7, "FAILED"), 1);
    ox_service_close(e.s);
}

/* A group of answers from accounting: marked together, at group_end. */
static void test_group_of_answers(void **state) {
    rec *r = *state;
    ox_config c = cfg_design(OX_DESIGN_OUTBOX);
    pay_env e = pay_open(r, &c);
    for (uint64_t id = 7; id <= 9; id++) assert_int_equal(ox_service_pay(e.s, id, 3, 500), OX_OK);
    rec_clear(r);
    assert_int_equal(ox_service_group_begin(e.s), OX_OK);
    assert_int_equal(deliver_answer(e.s, OX_M_CONSUMED, 1, 7, 100, ""), OX_OK);
    assert_int_equal(deliver_answer(e.s, OX_M_CONSUME_FAILED, 2, 8, 101, "account 3 is frozen"),
                     OX_OK);
    assert_int_equal(deliver_answer(e.s, OX_M_CONSUMED, 1, 7, 102, ""), OX_OK);   /* a duplicate */
    assert_int_equal(deliver_answer(e.s, OX_M_CONSUMED, 3, 9, 103, ""), OX_OK);
    /* nothing committed yet */
    assert_int_equal(q1(e.path, "SELECT count(*) FROM outbox WHERE status='SENDING'"), 3);
    assert_int_equal(q1(e.path, "SELECT count(*) FROM refund"), 0);
    assert_int_equal(r->nsent, 4);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(r->sent[i].type, OX_F_DACK);
        assert_true(r->sent[i].delivery == 100 + (uint64_t)i);
    }
    assert_int_equal(rec_count(r, "duplicate"), 1);
    assert_int_equal(ox_service_group_end(e.s), OX_OK);
    assert_int_equal(outbox_status_is(e.path, 7, "CONSUMED"), 1);
    assert_int_equal(outbox_status_is(e.path, 8, "FAILED"), 1);
    assert_int_equal(outbox_status_is(e.path, 9, "CONSUMED"), 1);
    assert_int_equal(q1(e.path, "SELECT count(*) FROM refund WHERE payment_id=8"), 1);
    assert_int_equal(q1(e.path, "SELECT count(*) FROM payment WHERE id=8 AND status='REFUNDED'"),
                     1);
    /* pay() after the group commits at once, as ever */
    assert_int_equal(ox_service_pay(e.s, 10, 3, 500), OX_OK);
    assert_int_equal(q1(e.path, "SELECT count(*) FROM payment WHERE id=10"), 1);
    ox_service_close(e.s);
}

static void test_payment_rejects_frames(void **state) {
    rec *r = *state;
    ox_config c = cfg_design(OX_DESIGN_OUTBOX);
    pay_env e = pay_open(r, &c);
    assert_int_equal(ox_service_pay(e.s, 7, 3, 500), OX_OK);
    rec_clear(r);
    ox_msg m = answer(OX_M_CONSUMED, 1, 7, "");
    ox_frame f = frame_of(OX_F_PUBLISH, OX_ACC_QUEUE, 0, &m);
    assert_int_equal(feed(e.s, "broker", &f), OX_ERR_FRAME);
    assert_string_equal(ox_service_error(e.s),
                        "frame from broker rejected: payment does not accept PUBLISH");
    f = frame_of(OX_F_DELIVER, OX_PAY_QUEUE, 5, &m);
    assert_int_equal(feed(e.s, "broker", &f), OX_ERR_FRAME);
    m.kind = OX_M_PAYMENT;
    f = frame_of(OX_F_DELIVER, OX_ACC_QUEUE, 5, &m);
    assert_int_equal(feed(e.s, "broker", &f), OX_ERR_FRAME);
    assert_string_equal(ox_service_error(e.s),
                        "frame from broker rejected: PAYMENT on ACC_QUEUE is not an answer");

    /* bytes that do not decode */
    m.kind = OX_M_CONSUMED;
    f = frame_of(OX_F_DELIVER, OX_ACC_QUEUE, 5, &m);
    uint8_t buf[OX_FRAME_MAX];
    ox_wire_err we;
    size_t n = ox_wire_encode(&f, buf, sizeof buf, &we);
    assert_int_equal(ox_service_on_frame(e.s, "broker", buf, n - 1), OX_ERR_FRAME);
    assert_non_null(strstr(ox_service_error(e.s), "frame from broker rejected: truncated body"));
    assert_int_equal(ox_service_on_frame(e.s, "broker", buf, 3), OX_ERR_FRAME);
    assert_non_null(strstr(ox_service_error(e.s), "frame from broker rejected: truncated header"));
    assert_int_equal(ox_service_on_frame(e.s, "broker", NULL, 0), OX_ERR_FRAME);

    assert_int_equal(rec_count(r, "reject"), 6);
    assert_int_equal(r->nsent, 0);                /* no DACK for a rejected frame */
    assert_int_equal(outbox_status_is(e.path, 7, "SENDING"), 1);
    assert_int_equal(ox_service_on_timer(e.s, 99), OX_ERR_ROLE);
    ox_service_close(e.s);
}

static void test_recover_event_on_reopen(void **state) {
    rec *r = *state;
    ox_config c = cfg_design(OX_DESIGN_OUTBOX);
    pay_env e = pay_open(r, &c);
    assert_int_equal(ox_service_pay(e.s, 1, 3, 100), OX_OK);
    assert_int_equal(ox_service_pay(e.s, 2, 3, 100), OX_OK);
    assert_int_equal(deliver_answer(e.s, OX_M_CONSUMED, 1, 1, 1, ""), OX_OK);
    ox_service_close(e.s);
    rec_clear(r);
    e = pay_open(r, &c);
    assert_string_equal(rec_detail(r, "recover"), "1 outbox rows SENDING (design outbox)");
    assert_int_equal(q1(e.path, "PRAGMA application_id"), OX_APP_ID);
    assert_int_equal(q1(e.path, "PRAGMA user_version"), OX_SCHEMA_PAYMENT);
    ox_service_close(e.s);
}

static void test_cleanup_after(void **state) {
    rec *r = *state;
    ox_config c = cfg_design(OX_DESIGN_OUTBOX);
    c.cleanup_after_ms = 1000;
    pay_env e = pay_open(r, &c);
    for (uint64_t id = 1; id <= 3; id++) assert_int_equal(ox_service_pay(e.s, id, 3, 100), OX_OK);
    assert_int_equal(deliver_answer(e.s, OX_M_CONSUMED, 1, 1, 1, ""), OX_OK);
    assert_int_equal(deliver_answer(e.s, OX_M_CONSUMED, 2, 2, 2, ""), OX_OK);
    exec_sql(e.path, "UPDATE outbox SET updated_at=0 WHERE payment_id=1");
    rec_clear(r);
    assert_int_equal(ox_service_on_timer(e.s, OX_TIMER_SCAN), OX_OK);
    assert_int_equal(q1(e.path, "SELECT count(*) FROM outbox"), 2); /* old settled row only */
    assert_int_equal(q1(e.path, "SELECT count(*) FROM outbox WHERE payment_id=1"), 0);
    assert_int_equal(q1(e.path, "SELECT count(*) FROM payment"), 3);
    /* one note per deleted row, naming it (sim/check/history.h) */
    assert_int_equal(rec_count(r, "cleanup"), 1);
    const char *want = "msg 1 deleted: CONSUMED, updated ";
    assert_int_equal(strncmp(rec_detail(r, "cleanup"), want, strlen(want)), 0);
    assert_int_equal(q1(e.path, "SELECT count(*) FROM outbox_cleaned WHERE outbox_id=1"), 1);
    ox_service_close(e.s);
}

/* cleanup-by-age deletes by creation time whatever the status: SENDING and DEAD too. */
static void test_cleanup_by_age(void **state) {
    rec *r = *state;
    ox_config c = cfg_design(OX_DESIGN_CLEANUP_BY_AGE);
    c.cleanup_after_ms = 1000;
    pay_env e = pay_open(r, &c);
    for (uint64_t id = 1; id <= 3; id++) assert_int_equal(ox_service_pay(e.s, id, 3, 100), OX_OK);
    exec_sql(e.path, "UPDATE outbox SET status='DEAD', created_at=0 WHERE payment_id=1");
    exec_sql(e.path, "UPDATE outbox SET created_at=0, next_attempt_at=9000000000000"
                     " WHERE payment_id=2");
    rec_clear(r);
    assert_int_equal(ox_service_on_timer(e.s, OX_TIMER_SCAN), OX_OK);
    assert_int_equal(q1(e.path, "SELECT count(*) FROM outbox"), 1);   /* the young one */
    assert_int_equal(rec_count(r, "cleanup"), 2);
    const char *dead = "msg 1 deleted: DEAD, updated ";
    assert_int_equal(strncmp(rec_detail(r, "cleanup"), dead, strlen(dead)), 0);
    assert_int_equal(q1(e.path, "SELECT count(*) FROM alert"), 0);   /* none was written */
    ox_service_close(e.s);
}

/* ---- the weaker designs ---- */

static void test_design_direct(void **state) {
    rec *r = *state;
    ox_config c = cfg_design(OX_DESIGN_DIRECT);
    pay_env e = pay_open(r, &c);
    rec_clear(r);
    assert_int_equal(ox_service_start(e.s), OX_OK);
    assert_int_equal(r->ntimers, 0);                     /* no recovery */
    assert_int_equal(ox_service_pay(e.s, 7, 3, 500), OX_OK);
    assert_int_equal(q1(e.path, "SELECT count(*) FROM payment"), 1);
    assert_int_equal(q1(e.path, "SELECT count(*) FROM outbox"), 0);
    assert_int_equal(r->nsent, 1);
    assert_true(r->sent[0].msg.msg_id == 7 && r->sent[0].msg.pay_id == 7);
    assert_int_equal(ox_service_on_timer(e.s, OX_TIMER_SCAN), OX_OK);
    assert_int_equal(r->nsent, 1);
    for (int i = 0; i < 2; i++)
        assert_int_equal(deliver_answer(e.s, OX_M_CONSUME_FAILED, 7, 7, 10 + (uint64_t)i, "no"),
                         OX_OK);
    assert_int_equal(q1(e.path, "SELECT count(*) FROM payment WHERE status='REFUNDED'"), 1);
    assert_int_equal(q1(e.path, "SELECT count(*) FROM refund WHERE amount=500"), 1);
    ox_service_close(e.s);
}

static void test_design_publish_in_tx(void **state) {
    rec *r = *state;
    ox_config c = cfg_design(OX_DESIGN_PUBLISH_IN_TX);
    pay_env e = pay_open(r, &c);
    rec_clear(r);
    r->on_send = see_commit_at_send;
    assert_int_equal(ox_service_pay(e.s, 7, 3, 500), OX_OK);
    assert_int_equal(r->scratch[1], 1);
    assert_int_equal(r->scratch[0], 0);          /* published while not yet committed */
    assert_int_equal(r->nfp, 2);
    assert_string_equal(r->fp[0], "payment.before_commit");
    assert_string_equal(r->fp[1], "payment.after_commit");
    assert_int_equal(outbox_status_is(e.path, 7, "SENDING"), 1);
    rec_clear(r);
    assert_int_equal(ox_service_start(e.s), OX_OK);
    assert_int_equal(r->ntimers, 1);             /* it does have the scan */
    ox_service_close(e.s);
}

static void test_design_no_recovery(void **state) {
    rec *r = *state;
    ox_config c = cfg_design(OX_DESIGN_OUTBOX_NO_RECOVERY);
    pay_env e = pay_open(r, &c);
    rec_clear(r);
    assert_int_equal(ox_service_start(e.s), OX_OK);
    assert_int_equal(r->ntimers, 0);
    assert_int_equal(ox_service_pay(e.s, 7, 3, 500), OX_OK);
    assert_int_equal(outbox_status_is(e.path, 7, "SENDING"), 1);
    make_due(e.path);
    rec_clear(r);
    assert_int_equal(ox_service_on_timer(e.s, OX_TIMER_SCAN), OX_OK);
    assert_int_equal(r->nsent, 0);
    ox_service_close(e.s);
}

static void test_design_mark_on_publish(void **state) {
    rec *r = *state;
    ox_config c = cfg_design(OX_DESIGN_MARK_ON_PUBLISH);
    pay_env e = pay_open(r, &c);
    assert_int_equal(ox_service_pay(e.s, 7, 3, 500), OX_OK);
    assert_int_equal(outbox_status_is(e.path, 7, "CONSUMED"), 1); /* "sent" taken as "done" */
    /* so a refusal cannot compensate any more: the mistake this design stands for */
    assert_int_equal(deliver_answer(e.s, OX_M_CONSUME_FAILED, 1, 7, 1, "frozen"), OX_OK);
    assert_int_equal(q1(e.path, "SELECT count(*) FROM refund"), 0);
    /* a row left SENDING (crash before the mark) is marked by the scan's publication */
    assert_int_equal(ox_service_pay(e.s, 8, 3, 500), OX_OK);
    exec_sql(e.path, "UPDATE outbox SET status='SENDING', next_attempt_at=0 WHERE payment_id=8");
    rec_clear(r);
    assert_int_equal(ox_service_on_timer(e.s, OX_TIMER_SCAN), OX_OK);
    assert_int_equal(r->nsent, 1);
    assert_int_equal(outbox_status_is(e.path, 8, "CONSUMED"), 1);
    assert_int_equal(outbox_int(e.path, "attempts", 8), 2);
    ox_service_close(e.s);
}

/* ---- names and the foreign-file guard ---- */

/* ---- the injected rollback (io.h, OX_SITE_PAYMENT_ROLLBACK) ---- */

/* inject hook: yes while scratch[6] > 0 (counting down); only the payment's site asks. */
static int pay_inject(void *ctx, const char *site) {
    rec *r = ctx;
    assert_string_equal(site, OX_SITE_PAYMENT_ROLLBACK);
    if (r->scratch[6] <= 0) return 0;
    r->scratch[6]--;
    return 1;
}

static pay_env pay_open_inject(rec *r, const ox_config *c) {
    pay_env e;
    char err[512] = "";
    db_path(r, "payment.db", e.path, sizeof e.path);
    ox_io io = rec_io(r);
    io.inject = pay_inject;
    e.s = ox_service_open(OX_ROLE_PAYMENT, e.path, c, &io, err, sizeof err);
    if (!e.s) fail_msg("open: %s", err);
    r->scratch[6] = 0;
    return e;
}

/* pay(): the rows are written, then rolled back: nothing stays, nothing leaves, the
** client is told no.  Except ok-before-commit (OK, and nothing there: the weakness) and
** publish-in-tx (the message already left: a phantom to be). */
static void test_injected_rollback_of_pay(void **state) {
    rec *r = *state;
    const ox_design designs[] = { OX_DESIGN_OUTBOX, OX_DESIGN_OK_BEFORE_COMMIT,
                                  OX_DESIGN_PUBLISH_IN_TX };
    for (size_t i = 0; i < sizeof designs / sizeof designs[0]; i++) {
        ox_config c = cfg_design(designs[i]);
        pay_env e = pay_open_inject(r, &c);
        rec_clear(r);
        r->scratch[6] = 1;
        ox_status st = ox_service_pay(e.s, 7, 3, 500);
        assert_int_equal(st, designs[i] == OX_DESIGN_OK_BEFORE_COMMIT ? OX_OK : OX_ERR_REFUSED);
        assert_int_equal(q1(e.path, "SELECT count(*) FROM payment"), 0);
        assert_int_equal(q1(e.path, "SELECT count(*) FROM outbox"), 0);
        assert_int_equal(rec_count(r, "rollback"), 1);
        assert_int_equal(rec_count(r, "commit"), 0);
        assert_int_equal(r->nsent, designs[i] == OX_DESIGN_PUBLISH_IN_TX ? 1 : 0);
        /* the hook says no: the same id commits as usual */
        rec_clear(r);
        assert_int_equal(ox_service_pay(e.s, 7, 3, 500), OX_OK);
        assert_int_equal(q1(e.path, "SELECT count(*) FROM payment WHERE id=7"), 1);
        assert_int_equal(rec_count(r, "rollback"), 0);
        ox_service_close(e.s);
        unlink(e.path);
    }
}

/* The dead letter's transaction rolled back: outbox keeps the row SENDING (DEAD and its
** alert are one transaction) and the next scan makes it DEAD with its alert;
** alert-outside-tx has committed DEAD already and loses the alert. */
static void test_injected_rollback_of_dead_letter(void **state) {
    rec *r = *state;
    const ox_design designs[] = { OX_DESIGN_OUTBOX, OX_DESIGN_ALERT_OUTSIDE_TX };
    for (size_t i = 0; i < 2; i++) {
        ox_config c = cfg_design(designs[i]);
        c.max_attempts = 1;
        pay_env e = pay_open_inject(r, &c);
        assert_int_equal(ox_service_pay(e.s, 7, 3, 500), OX_OK);
        make_due(e.path);
        rec_clear(r);
        r->scratch[6] = 1;
        assert_int_equal(ox_service_on_timer(e.s, OX_TIMER_SCAN), OX_OK);
        assert_int_equal(rec_count(r, "rollback"), 1);
        assert_int_equal(q1(e.path, "SELECT count(*) FROM alert"), 0);
        assert_int_equal(rec_count(r, "alert"), 0);
        if (designs[i] == OX_DESIGN_OUTBOX) {
            assert_int_equal(outbox_status_is(e.path, 7, "SENDING"), 1);
            assert_int_equal(rec_count(r, "dead"), 0);
            make_due(e.path);
            rec_clear(r);
            assert_int_equal(ox_service_on_timer(e.s, OX_TIMER_SCAN), OX_OK);
            assert_int_equal(outbox_status_is(e.path, 7, "DEAD"), 1);
            assert_int_equal(q1(e.path, "SELECT count(*) FROM alert WHERE payment_id=7"), 1);
        } else {
            assert_int_equal(outbox_status_is(e.path, 7, "DEAD"), 1);   /* and silent */
            assert_int_equal(rec_count(r, "dead"), 1);
        }
        ox_service_close(e.s);
        unlink(e.path);
    }
}

static void test_names_and_failpoints(void **state) {
    (void)state;
    const char *const *fp = ox_service_failpoints();
    const char *want[] = { "payment.after_commit",  "payment.after_publish",
                           "payment.before_commit", "payment.scan_after_publish",
                           "broker.after_accept",   "accounting.after_apply",
                           "accounting.after_ack",  "payment.after_consumed" };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) assert_string_equal(fp[i], want[i]);
    assert_null(fp[sizeof want / sizeof want[0]]);
    ox_role ro;
    assert_int_equal(ox_role_parse("accounting", &ro), 0);
    assert_int_equal(ro, OX_ROLE_ACCOUNTING);
    assert_int_equal(ox_role_parse("bank", &ro), -1);
    assert_string_equal(ox_role_name(OX_ROLE_BROKER), "broker");
    assert_string_equal(ox_role_name(OX_ROLE_PAYMENT), "payment");
}

static void test_payment_refuses_foreign_file(void **state) {
    rec *r = *state;
    char path[256];
    db_path(r, "payment.db", path, sizeof path);
    FILE *fh = fopen(path, "w");
    assert_non_null(fh);
    fputs("this is not a database, it is a shopping list: eggs, milk, more eggs\n", fh);
    fclose(fh);
    ox_config c = cfg_design(OX_DESIGN_OUTBOX);
    ox_io io = rec_io(r);
    char err[512];
    assert_null(ox_service_open(OX_ROLE_PAYMENT, path, &c, &io, err, sizeof err));
    char want[600];
    snprintf(want, sizeof want, "%s: not an outbox-lab payment database (not an SQLite file)",
             path);
    assert_string_equal(err, want);
    fh = fopen(path, "r");
    char back[128] = "";
    assert_non_null(fgets(back, sizeof back, fh));
    fclose(fh);
    assert_string_equal(back,
                        "this is not a database, it is a shopping list: eggs, milk, more eggs\n");
}

static void test_open_errors(void **state) {
    rec *r = *state;
    char path[256], err[512] = "";
    db_path(r, "payment.db", path, sizeof path);
    ox_config c = cfg_design(OX_DESIGN_OUTBOX);
    c.scan_batch = 0;                                  /* filled in by hand, out of range */
    ox_io io = rec_io(r);
    assert_null(ox_service_open(OX_ROLE_PAYMENT, path, &c, &io, err, sizeof err));
    char want[600];
    snprintf(want, sizeof want, "%s: config knob scan_batch out of range (see config.h)", path);
    assert_string_equal(err, want);
    assert_int_equal(access(path, F_OK), -1);          /* nothing created */
    c = cfg_design(OX_DESIGN_OUTBOX);
    db_path(r, "no/such/dir/payment.db", path, sizeof path);
    assert_null(ox_service_open(OX_ROLE_PAYMENT, path, &c, &io, err, sizeof err));
    assert_non_null(strstr(err, "cannot open"));
    assert_null(strchr(err, '\n'));
}

/* A path longer than the store keeps is the caller's argument error (OX_ERR_ARG), not a
** database error: nothing is opened or created. */
static void test_open_path_too_long(void **state) {
    rec *r = *state;
    static char path[OX_PATH_MAX + 64];
    db_path(r, "", path, sizeof path);
    size_t n = strlen(path);
    memset(path + n, 'p', sizeof path - n - 1);
    path[sizeof path - 1] = '\0';
    ox_config c = cfg_design(OX_DESIGN_OUTBOX);
    ox_store st;
    char err[256] = "";
    assert_int_equal(ox_store_open(&st, OX_ROLE_PAYMENT, path, &c, err, sizeof err), OX_ERR_ARG);
    char want[64];
    snprintf(want, sizeof want, "database path too long (%zu bytes)", strlen(path));
    assert_string_equal(err, want);
    assert_null(st.db);
    path[OX_PATH_MAX - 1] = '\0';   /* one byte shorter than the limit: an ordinary open */
    assert_int_equal(ox_store_open(&st, OX_ROLE_PAYMENT, path, &c, err, sizeof err), OX_ERR_DB);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_pay_commits_both_rows_then_publishes, setup_dir,
                                        teardown_dir),
        cmocka_unit_test_setup_teardown(test_pay_failure_rolls_back, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_pay_duplicate_and_refused, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_scan_republishes_due_rows_linear, setup_dir,
                                        teardown_dir),
        cmocka_unit_test_setup_teardown(test_scan_exponential_capped, setup_dir, teardown_dir),
        cmocka_unit_test(test_retry_interval),
        cmocka_unit_test_setup_teardown(test_scan_batch_is_bounded_and_ordered, setup_dir,
                                        teardown_dir),
        cmocka_unit_test_setup_teardown(test_max_attempts_dead_letter_and_alert, setup_dir,
                                        teardown_dir),
        cmocka_unit_test_setup_teardown(test_undecodable_payload_goes_dead, setup_dir,
                                        teardown_dir),
        cmocka_unit_test_setup_teardown(test_consumed_is_idempotent, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_consume_failed_refunds_once, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_group_of_answers, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_payment_rejects_frames, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_recover_event_on_reopen, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_cleanup_after, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_cleanup_by_age, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_design_direct, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_design_publish_in_tx, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_design_no_recovery, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_design_mark_on_publish, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_injected_rollback_of_pay, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_injected_rollback_of_dead_letter, setup_dir,
                                        teardown_dir),
        cmocka_unit_test(test_names_and_failpoints),
        cmocka_unit_test_setup_teardown(test_payment_refuses_foreign_file, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_open_errors, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_open_path_too_long, setup_dir, teardown_dir),
    };
    return cmocka_run_group_tests_name("payment", tests, NULL, NULL);
}
