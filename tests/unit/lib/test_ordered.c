/*
** test_ordered.c: design `ordered` (lib/ordered.c) on real SQLite files: a later row of
** an account is held while an earlier one is unsettled, released by the answer, skipped
** by the scan while blocked, and a DEAD head blocks its account and says so in its
** alert; design `ordered-naive` (the seed's outbox) holds nothing.
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

#include "../../../lib/config.h"
#include "../../../lib/schema.h"
#include "../../../lib/service.h"
#include "../../../lib/wire.h"

#include "recording_io.h"

typedef struct {
    ox_service *s;
    char path[256];
} env;

static env open_design(rec *r, ox_design d, int max_attempts) {
    ox_config c;
    ox_config_default(&c);
    c.design = d;
    c.max_attempts = max_attempts;
    env e;
    db_path(r, "payment.db", e.path, sizeof e.path);
    e.s = open_svc(r, OX_ROLE_PAYMENT, e.path, &c);
    return e;
}

static int64_t row(const char *path, const char *col, uint64_t pay) {
    char sql[200];
    snprintf(sql, sizeof sql, "SELECT %s FROM outbox WHERE payment_id=%llu", col,
             (unsigned long long)pay);
    return q1(path, sql);
}

/* The PUBLISHes r recorded, as "pay/attempt pay/attempt ...". */
static const char *published(const rec *r, char *buf, size_t n) {
    buf[0] = '\0';
    size_t len = 0;
    for (int i = 0; i < r->nsent && i < REC_MAX; i++) {
        if (r->sent[i].type != OX_F_PUBLISH) continue;
        len += (size_t)snprintf(buf + len, n - len, "%s%llu/%u", len ? " " : "",
                                (unsigned long long)r->sent[i].msg.pay_id,
                                r->sent[i].msg.attempt);
        assert_true(len < n);
    }
    return buf;
}

static void consumed(ox_service *s, uint64_t msg, uint64_t pay) {
    ox_msg m;
    memset(&m, 0, sizeof m);
    m.kind = OX_M_CONSUMED;
    m.msg_id = msg;
    m.pay_id = pay;
    m.attempt = 1;
    ox_frame f = frame_of(OX_F_DELIVER, OX_ACC_QUEUE, 77, &m);
    assert_int_equal(feed(s, "broker", &f), OX_OK);
}

static void test_hold_and_release(void **state) {
    rec *r = *state;
    env e = open_design(r, OX_DESIGN_ORDERED, 8);
    char buf[256];
    rec_clear(r);
    assert_int_equal(ox_service_pay(e.s, 1, 3, 100), OX_OK);
    assert_int_equal(ox_service_pay(e.s, 2, 3, 200), OX_OK);   /* account 3 again: held */
    assert_int_equal(ox_service_pay(e.s, 3, 4, 300), OX_OK);   /* another account: not */
    assert_string_equal(published(r, buf, sizeof buf), "1/1 3/1");
    assert_non_null(rec_detail(r, "hold"));
    assert_string_equal(rec_detail(r, "hold"),
                        "msg 2 held: an earlier message of account 3 is not settled");
    assert_int_equal(row(e.path, "attempts", 2), 0);
    assert_int_equal(q1(e.path, "SELECT count(*) FROM outbox WHERE status='SENDING'"), 3);

    /* everything due: the scan republishes 1 and 3, and still not 2 */
    exec_sql(e.path, "UPDATE outbox SET next_attempt_at=0 WHERE status='SENDING'");
    rec_clear(r);
    assert_int_equal(ox_service_on_timer(e.s, OX_TIMER_SCAN), OX_OK);
    assert_string_equal(published(r, buf, sizeof buf), "1/2 3/2");

    /* payment 1 answered: payment 2 released, published as attempt 1, scheduled */
    rec_clear(r);
    consumed(e.s, 1, 1);
    assert_string_equal(published(r, buf, sizeof buf), "2/1");
    assert_string_equal(rec_detail(r, "release"),
                        "msg 2 released: the earlier messages of account 3 are settled");
    assert_int_equal(row(e.path, "attempts", 2), 1);
    assert_true(row(e.path, "next_attempt_at", 2) > 0);
    /* a duplicate answer releases nothing more */
    rec_clear(r);
    consumed(e.s, 1, 1);
    assert_string_equal(published(r, buf, sizeof buf), "");
    ox_service_close(e.s);
}

static void test_dead_head_blocks(void **state) {
    rec *r = *state;
    env e = open_design(r, OX_DESIGN_ORDERED, 1);
    char buf[256];
    assert_int_equal(ox_service_pay(e.s, 1, 5, 100), OX_OK);
    assert_int_equal(ox_service_pay(e.s, 2, 5, 100), OX_OK);
    assert_int_equal(ox_service_pay(e.s, 3, 5, 100), OX_OK);
    exec_sql(e.path, "UPDATE outbox SET next_attempt_at=0 WHERE status='SENDING'");
    rec_clear(r);
    assert_int_equal(ox_service_on_timer(e.s, OX_TIMER_SCAN), OX_OK);
    assert_int_equal(q1(e.path, "SELECT count(*) FROM outbox WHERE payment_id=1 AND "
                                "status='DEAD'"), 1);
    assert_string_equal(rec_detail(r, "alert"),
                        "DEAD_LETTER: payment 1 dead after 1 attempts (outbox row 1); it "
                        "blocks 2 later messages of account 5");
    assert_string_equal(published(r, buf, sizeof buf), "");   /* 2 and 3 stay held */
    rec_clear(r);
    assert_int_equal(ox_service_on_timer(e.s, OX_TIMER_SCAN), OX_OK);
    assert_string_equal(published(r, buf, sizeof buf), "");
    assert_int_equal(q1(e.path, "SELECT count(*) FROM outbox WHERE status='SENDING' AND "
                                "attempts=0"), 2);
    /* the operator requeues the head: the scan publishes it, and only it */
    exec_sql(e.path, "UPDATE outbox SET status='SENDING', attempts=0, next_attempt_at=0"
                     " WHERE status='DEAD'");
    rec_clear(r);
    assert_int_equal(ox_service_on_timer(e.s, OX_TIMER_SCAN), OX_OK);
    assert_string_equal(published(r, buf, sizeof buf), "1/1");
    ox_service_close(e.s);
}

static void test_naive_holds_nothing(void **state) {
    rec *r = *state;
    env e = open_design(r, OX_DESIGN_ORDERED_NAIVE, 8);
    char buf[256];
    rec_clear(r);
    assert_int_equal(ox_service_pay(e.s, 1, 3, 100), OX_OK);
    assert_int_equal(ox_service_pay(e.s, 2, 3, 200), OX_OK);
    assert_string_equal(published(r, buf, sizeof buf), "1/1 2/1");
    assert_null(rec_detail(r, "hold"));
    assert_int_equal(q1(e.path, "SELECT count(*) FROM sqlite_master WHERE "
                                "name='payment_account'"), 0);   /* no index either */
    ox_service_close(e.s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_hold_and_release, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_dead_head_blocks, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_naive_holds_nothing, setup_dir, teardown_dir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
