/*
** test_accounting.c: the accounting service (lib/accounting.c) on real SQLite files.
**
** Deliveries are fed as encoded frames; the inbox and voucher tables are read from a
** second connection, and the answers and acks are read from the recording host.
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

#include "../../lib/config.h"
#include "../../lib/schema.h"
#include "../../lib/service.h"
#include "../../lib/wire.h"

#include "recording_io.h"

/* ---- accounting helpers ---- */

typedef struct {
    ox_service *s;
    char path[256];
} acc_env;

static acc_env acc_open(rec *r, const ox_config *c) {
    acc_env e;
    db_path(r, "accounting.db", e.path, sizeof e.path);
    e.s = open_svc(r, OX_ROLE_ACCOUNTING, e.path, c);
    rec_clear(r);
    return e;
}

static ox_msg payment_msg(uint64_t msg_id, uint64_t pay_id, uint32_t account, int64_t amount) {
    ox_msg m;
    memset(&m, 0, sizeof m);
    m.kind = OX_M_PAYMENT;
    m.msg_id = msg_id;
    m.pay_id = pay_id;
    m.account = account;
    m.amount = amount;
    m.attempt = 1;
    return m;
}

static ox_status deliver_payment(ox_service *s, const ox_msg *m, uint64_t delivery) {
    ox_frame f = frame_of(OX_F_DELIVER, OX_PAY_QUEUE, delivery, m);
    return feed(s, "broker", &f);
}

/* The answer and the ack of one delivery, in that order. */
static void assert_answer(const rec *r, int at, uint8_t kind, uint64_t msg_id, const char *reason,
                          uint64_t delivery) {
    assert_true(r->nsent >= at + 2);
    const ox_frame *a = &r->sent[at], *k = &r->sent[at + 1];
    assert_string_equal(r->to[at], "broker");
    assert_int_equal(a->type, OX_F_PUBLISH);
    assert_string_equal(a->queue, OX_ACC_QUEUE);
    assert_int_equal(a->msg.kind, kind);
    assert_true(a->msg.msg_id == msg_id);
    assert_string_equal(a->msg.reason, reason);
    assert_string_equal(r->to[at + 1], "broker");
    assert_int_equal(k->type, OX_F_DACK);
    assert_string_equal(k->queue, OX_PAY_QUEUE);
    assert_true(k->delivery == delivery);
}

static int64_t vouchers(const char *path) { return q1(path, "SELECT count(*) FROM voucher"); }

/* At each failpoint: the vouchers committed so far and the frames sent so far. */
static void see_state_at_failpoint(rec *r, const char *name) {
    char path[256];
    db_path(r, "accounting.db", path, sizeof path);
    int i = strcmp(name, "accounting.after_apply") == 0 ? 0 : 2;
    r->scratch[i] = vouchers(path);
    r->scratch[i + 1] = r->nsent;
}

/* ---- tests ---- */

static void test_apply_once_then_answer_and_ack(void **state) {
    rec *r = *state;
    ox_config c;
    ox_config_default(&c);
    acc_env e = acc_open(r, &c);
    r->on_failpoint = see_state_at_failpoint;
    ox_msg m = payment_msg(11, 7, 3, 500);
    assert_int_equal(deliver_payment(e.s, &m, 1001), OX_OK);
    assert_int_equal(q1(e.path, "SELECT count(*) FROM voucher WHERE payment_id=7 AND msg_id=11"
                                " AND account=3 AND amount=500"), 1);
    assert_int_equal(q1(e.path, "SELECT count(*) FROM inbox WHERE msg_id=11 AND payment_id=7"
                                " AND outcome='APPLIED' AND reason=''"), 1);
    assert_int_equal(r->nsent, 2);
    assert_answer(r, 0, OX_M_CONSUMED, 11, "", 1001);
    assert_true(r->sent[0].msg.pay_id == 7);
    /* committed before anything was sent; acked before after_ack */
    assert_int_equal(r->nfp, 2);
    assert_string_equal(r->fp[0], "accounting.after_apply");
    assert_string_equal(r->fp[1], "accounting.after_ack");
    assert_int_equal(r->scratch[0], 1);
    assert_int_equal(r->scratch[1], 0);
    assert_int_equal(r->scratch[3], 2);
    assert_int_equal(rec_count(r, "apply"), 1);
    assert_string_equal(rec_detail(r, "apply"), "msg 11: voucher of 500 cents for account 3");
    ox_service_close(e.s);
}

static void test_duplicate_answered_again(void **state) {
    rec *r = *state;
    ox_config c;
    ox_config_default(&c);
    acc_env e = acc_open(r, &c);
    ox_msg m = payment_msg(11, 7, 3, 500);
    assert_int_equal(deliver_payment(e.s, &m, 1), OX_OK);
    /* the same message again: a redelivery, or a republication with a new attempt */
    m.attempt = 2;
    rec_clear(r);
    assert_int_equal(deliver_payment(e.s, &m, 2), OX_OK);
    assert_int_equal(vouchers(e.path), 1);
    assert_int_equal(q1(e.path, "SELECT count(*) FROM inbox"), 1);
    assert_int_equal(r->nsent, 2);
    assert_answer(r, 0, OX_M_CONSUMED, 11, "", 2);
    assert_int_equal(rec_count(r, "duplicate"), 1);
    assert_int_equal(rec_count(r, "apply"), 0);
    /* after a restart too: the inbox is on disk */
    ox_service_close(e.s);
    e = acc_open(r, &c);
    assert_int_equal(deliver_payment(e.s, &m, 3), OX_OK);
    assert_int_equal(vouchers(e.path), 1);
    assert_answer(r, 0, OX_M_CONSUMED, 11, "", 3);
    ox_service_close(e.s);
}

static void test_refusals(void **state) {
    rec *r = *state;
    ox_config c;
    ox_config_default(&c);
    c.frozen[0] = 9;
    c.frozen[1] = 10;
    c.nfrozen = 2;
    c.max_amount = 1000;
    acc_env e = acc_open(r, &c);
    struct { ox_msg m; const char *reason; } cases[] = {
        { payment_msg(1, 1, 10, 500), "account 10 is frozen" },
        { payment_msg(2, 2, 3, 1001), "amount 1001 over the limit 1000" },
        { payment_msg(3, 3, 3, 0), "amount 0 is not positive" },
        { payment_msg(4, 4, 3, -7), "amount -7 is not positive" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        for (int again = 0; again < 2; again++) {       /* the duplicate repeats the stored reason */
            rec_clear(r);
            assert_int_equal(deliver_payment(e.s, &cases[i].m, 10 * i + (uint64_t)again), OX_OK);
            assert_answer(r, 0, OX_M_CONSUME_FAILED, cases[i].m.msg_id, cases[i].reason, 10 * i + (uint64_t)again);
            assert_int_equal(rec_count(r, again ? "duplicate" : "refuse"), 1);
        }
    }
    assert_int_equal(vouchers(e.path), 0);
    assert_int_equal(q1(e.path, "SELECT count(*) FROM inbox WHERE outcome='REFUSED'"), 4);
    assert_int_equal(q1(e.path, "SELECT count(*) FROM inbox WHERE msg_id=1 AND reason='account 10 is frozen'"), 1);
    /* the limit itself and an unfrozen account are fine */
    ox_msg ok = payment_msg(5, 5, 3, 1000);
    rec_clear(r);
    assert_int_equal(deliver_payment(e.s, &ok, 50), OX_OK);
    assert_answer(r, 0, OX_M_CONSUMED, 5, "", 50);
    assert_int_equal(vouchers(e.path), 1);
    ox_service_close(e.s);
}

static void test_rejects_and_role_errors(void **state) {
    rec *r = *state;
    ox_config c;
    ox_config_default(&c);
    acc_env e = acc_open(r, &c);
    ox_msg m = payment_msg(11, 7, 3, 500);
    ox_frame f = frame_of(OX_F_DELIVER, OX_ACC_QUEUE, 1, &m);
    assert_int_equal(feed(e.s, "broker", &f), OX_ERR_FRAME);
    assert_string_equal(ox_service_error(e.s),
                        "frame from broker rejected: DELIVER from queue 'ACC_QUEUE' (accounting subscribes to PAY_QUEUE)");
    f = frame_of(OX_F_PUBLISH, OX_PAY_QUEUE, 0, &m);
    assert_int_equal(feed(e.s, "payment", &f), OX_ERR_FRAME);
    assert_string_equal(ox_service_error(e.s), "frame from payment rejected: accounting does not accept PUBLISH");
    f = frame_of(OX_F_DACK, OX_PAY_QUEUE, 1, NULL);
    assert_int_equal(feed(e.s, "broker", &f), OX_ERR_FRAME);
    m.kind = OX_M_CONSUMED;
    f = frame_of(OX_F_DELIVER, OX_PAY_QUEUE, 1, &m);
    assert_int_equal(feed(e.s, "broker", &f), OX_ERR_FRAME);
    const uint8_t junk[] = { 'O', 'X', 9, 2, 0, 0, 0, 0 };
    assert_int_equal(ox_service_on_frame(e.s, "broker", junk, sizeof junk), OX_ERR_FRAME);
    assert_string_equal(ox_service_error(e.s), "frame from broker rejected: bad version (8 bytes)");
    assert_int_equal(rec_count(r, "reject"), 5);
    assert_int_equal(r->nsent, 0);
    assert_int_equal(q1(e.path, "SELECT count(*) FROM inbox"), 0);
    assert_int_equal(ox_service_on_timer(e.s, OX_TIMER_SCAN), OX_ERR_ROLE);
    assert_int_equal(ox_service_pay(e.s, 1, 1, 1), OX_ERR_ROLE);
    assert_string_equal(ox_service_error(e.s), "accounting: pay() is for the payment service");
    assert_int_equal(ox_service_start(e.s), OX_OK);
    assert_int_equal(r->ntimers, 0);
    ox_service_close(e.s);
}

static void test_design_no_dedupe_applies_every_delivery(void **state) {
    rec *r = *state;
    ox_config c;
    ox_config_default(&c);
    c.design = OX_DESIGN_OUTBOX_NO_DEDUPE;
    acc_env e = acc_open(r, &c);
    ox_msg m = payment_msg(11, 7, 3, 500);
    for (uint64_t d = 1; d <= 3; d++) assert_int_equal(deliver_payment(e.s, &m, d), OX_OK);
    assert_int_equal(vouchers(e.path), 3);                 /* the mistake, visible to the checker */
    assert_int_equal(q1(e.path, "SELECT count(*) FROM inbox"), 1);
    assert_int_equal(rec_count(r, "apply"), 3);
    assert_int_equal(rec_count(r, "duplicate"), 0);
    ox_service_close(e.s);
}

static void test_design_ack_before_apply(void **state) {
    rec *r = *state;
    ox_config c;
    ox_config_default(&c);
    c.design = OX_DESIGN_ACK_BEFORE_APPLY;
    c.frozen[0] = 9;
    c.nfrozen = 1;
    acc_env e = acc_open(r, &c);
    r->on_failpoint = see_state_at_failpoint;
    ox_msg m = payment_msg(11, 7, 3, 500);
    assert_int_equal(deliver_payment(e.s, &m, 1), OX_OK);
    assert_int_equal(r->nfp, 2);
    assert_string_equal(r->fp[0], "accounting.after_ack");
    assert_string_equal(r->fp[1], "accounting.after_apply");
    assert_int_equal(r->scratch[2], 0);        /* acked while the voucher was not yet written */
    assert_int_equal(r->scratch[3], 2);
    assert_int_equal(vouchers(e.path), 1);
    assert_answer(r, 0, OX_M_CONSUMED, 11, "", 1);
    /* it still answers a refusal as a refusal, and still dedupes */
    ox_msg frozen = payment_msg(12, 8, 9, 500);
    rec_clear(r);
    assert_int_equal(deliver_payment(e.s, &frozen, 2), OX_OK);
    assert_answer(r, 0, OX_M_CONSUME_FAILED, 12, "account 9 is frozen", 2);
    assert_int_equal(deliver_payment(e.s, &m, 3), OX_OK);
    assert_int_equal(vouchers(e.path), 1);
    ox_service_close(e.s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_apply_once_then_answer_and_ack, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_duplicate_answered_again, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_refusals, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_rejects_and_role_errors, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_design_no_dedupe_applies_every_delivery, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_design_ack_before_apply, setup_dir, teardown_dir),
    };
    return cmocka_run_group_tests_name("accounting", tests, NULL, NULL);
}
