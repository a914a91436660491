/*
** test_retention.c: the knobs completion (lib/payment.c) and inbox_retention
** (lib/accounting.c) on real SQLite files.
**
** completion = delete | archive: the transaction that finishes a row (CONSUMED, or FAILED
** with its refund) deletes it, leaving its tombstone, and under archive copies it to
** outbox_archive first; a duplicate answer then finds nothing and changes nothing.
** inbox_retention: a purge timer forgets inbox rows received longer ago than the
** retention, at most scan_batch a purge, and a redelivery after it is applied again (the
** failure the retention must be long enough to prevent).
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
#include "../../../lib/io.h"
#include "../../../lib/schema.h"
#include "../../../lib/service.h"
#include "../../../lib/wire.h"

#include "recording_io.h"

typedef struct {
    ox_service *s;
    char path[256];
} env;

static env open_role(rec *r, ox_role role, const ox_config *c) {
    env e;
    db_path(r, role == OX_ROLE_PAYMENT ? "payment.db" : "accounting.db", e.path, sizeof e.path);
    e.s = open_svc(r, role, e.path, c);
    rec_clear(r);
    return e;
}

static ox_config cfg_completion(ox_completion m) {
    ox_config c;
    ox_config_default(&c);
    c.completion = m;
    return c;
}

static ox_status answer(ox_service *s, uint8_t kind, uint64_t msg_id, uint64_t pay_id,
                        uint64_t delivery, const char *reason) {
    ox_msg m;
    memset(&m, 0, sizeof m);
    m.kind = kind;
    m.msg_id = msg_id;
    m.pay_id = pay_id;
    m.attempt = 1;
    snprintf(m.reason, sizeof m.reason, "%s", reason);
    ox_frame f = frame_of(OX_F_DELIVER, OX_ACC_QUEUE, delivery, &m);
    return feed(s, "broker", &f);
}

static ox_status payment(ox_service *s, uint64_t msg_id, uint64_t pay_id, uint64_t delivery) {
    ox_msg m;
    memset(&m, 0, sizeof m);
    m.kind = OX_M_PAYMENT;
    m.msg_id = msg_id;
    m.pay_id = pay_id;
    m.account = 3;
    m.amount = 500;
    m.attempt = 1;
    ox_frame f = frame_of(OX_F_DELIVER, OX_PAY_QUEUE, delivery, &m);
    return feed(s, "broker", &f);
}

static int64_t count(const char *path, const char *table, const char *where) {
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s WHERE %s", table, where);
    return q1(path, sql);
}

/* The rows and notes of one finished payment under delete or archive. */
static void assert_completed(rec *r, const env *e, ox_completion m, const char *status) {
    assert_int_equal(count(e->path, "outbox", "payment_id=1"), 0);
    assert_int_equal(count(e->path, "outbox_cleaned", "payment_id=1 AND outbox_id=1"), 1);
    char where[96];
    snprintf(where, sizeof where, "payment_id=1 AND status='%s'", status);
    assert_int_equal(count(e->path, "outbox_cleaned", where), 1);
    if (m == OX_COMPLETE_ARCHIVE) {
        assert_int_equal(count(e->path, "outbox_archive", where), 1);
        assert_int_equal(count(e->path, "outbox_archive", "length(payload) > 0"), 1);
    } else {
        assert_int_equal(count(e->path, "sqlite_schema", "name='outbox_archive'"), 0);
    }
    char want[64];
    snprintf(want, sizeof want, "msg 1 %s: %s",
             m == OX_COMPLETE_DELETE ? "deleted" : "archived", status);
    assert_int_equal(rec_count(r, "complete"), 1);
    assert_string_equal(rec_detail(r, "complete"), want);
    /* the finishing note comes first (sim/check/history.h) */
    assert_string_equal(r->ev_kind[r->nev - 1], "complete");
    assert_int_equal(r->nsent, 1);   /* the DACK */
    assert_int_equal(r->sent[0].type, OX_F_DACK);
}

static void consumed_then_duplicate(rec *r, ox_completion m) {
    ox_config c = cfg_completion(m);
    env e = open_role(r, OX_ROLE_PAYMENT, &c);
    assert_int_equal(ox_service_pay(e.s, 1, 3, 500), OX_OK);
    rec_clear(r);
    assert_int_equal(answer(e.s, OX_M_CONSUMED, 1, 1, 10, ""), OX_OK);
    assert_int_equal(rec_count(r, "consumed"), 1);
    assert_completed(r, &e, m, "CONSUMED");
    rec_clear(r);
    assert_int_equal(answer(e.s, OX_M_CONSUMED, 1, 1, 11, ""), OX_OK);   /* a duplicate */
    assert_int_equal(rec_count(r, "duplicate"), 1);
    assert_int_equal(rec_count(r, "complete"), 0);
    assert_int_equal(r->nsent, 1);   /* acked all the same */
    assert_int_equal(count(e.path, "outbox_cleaned", "1"), 1);
    if (m == OX_COMPLETE_ARCHIVE) assert_int_equal(count(e.path, "outbox_archive", "1"), 1);
    ox_service_close(e.s);
}

static void failed_then_duplicate(rec *r, ox_completion m) {
    ox_config c = cfg_completion(m);
    env e = open_role(r, OX_ROLE_PAYMENT, &c);
    assert_int_equal(ox_service_pay(e.s, 1, 3, 500), OX_OK);
    rec_clear(r);
    assert_int_equal(answer(e.s, OX_M_CONSUME_FAILED, 1, 1, 10, "frozen"), OX_OK);
    assert_int_equal(count(e.path, "payment", "id=1 AND status='REFUNDED'"), 1);
    assert_int_equal(count(e.path, "refund", "payment_id=1"), 1);
    assert_completed(r, &e, m, "FAILED");
    rec_clear(r);
    assert_int_equal(answer(e.s, OX_M_CONSUME_FAILED, 1, 1, 11, "frozen"), OX_OK);
    assert_int_equal(rec_count(r, "refund"), 0);
    assert_int_equal(count(e.path, "refund", "1"), 1);
    ox_service_close(e.s);
}

static void test_completion_delete(void **state) {
    consumed_then_duplicate(*state, OX_COMPLETE_DELETE);
}

static void test_completion_archive(void **state) {
    consumed_then_duplicate(*state, OX_COMPLETE_ARCHIVE);
}

static void test_completion_delete_failed(void **state) {
    failed_then_duplicate(*state, OX_COMPLETE_DELETE);
}

static void test_completion_archive_failed(void **state) {
    failed_then_duplicate(*state, OX_COMPLETE_ARCHIVE);
}

/* The default keeps today's behaviour: the row stays CONSUMED, no note, nothing archived. */
static void test_completion_mark(void **state) {
    rec *r = *state;
    ox_config c = cfg_completion(OX_COMPLETE_MARK);
    env e = open_role(r, OX_ROLE_PAYMENT, &c);
    assert_int_equal(ox_service_pay(e.s, 1, 3, 500), OX_OK);
    assert_int_equal(answer(e.s, OX_M_CONSUMED, 1, 1, 10, ""), OX_OK);
    assert_int_equal(count(e.path, "outbox", "payment_id=1 AND status='CONSUMED'"), 1);
    assert_int_equal(count(e.path, "outbox_cleaned", "1"), 0);
    assert_int_equal(count(e.path, "sqlite_schema", "name='outbox_archive'"), 0);
    assert_int_equal(rec_count(r, "complete"), 0);
    ox_service_close(e.s);
}

/* outbox_archive is created only by a service that archives: a file written under mark
** (or by an older build) has none, and gets it when opened with completion=archive. */
static void test_archive_on_older_file(void **state) {
    rec *r = *state;
    ox_config c = cfg_completion(OX_COMPLETE_MARK);
    env e = open_role(r, OX_ROLE_PAYMENT, &c);
    assert_int_equal(ox_service_pay(e.s, 1, 3, 500), OX_OK);
    ox_service_close(e.s);
    assert_int_equal(count(e.path, "sqlite_schema", "name='outbox_archive'"), 0);
    c.completion = OX_COMPLETE_ARCHIVE;
    e = open_role(r, OX_ROLE_PAYMENT, &c);
    assert_int_equal(q1(e.path, "PRAGMA user_version"), OX_SCHEMA_PAYMENT);
    assert_int_equal(answer(e.s, OX_M_CONSUMED, 1, 1, 10, ""), OX_OK);
    assert_int_equal(count(e.path, "outbox_archive", "payment_id=1 AND status='CONSUMED'"), 1);
    ox_service_close(e.s);
}

/* ---- inbox_retention ---- */

static ox_config cfg_retention(int64_t ms, int batch) {
    ox_config c;
    ox_config_default(&c);
    c.inbox_retention_ms = ms;
    c.scan_batch = batch;
    return c;
}

static void test_no_retention_no_timer(void **state) {
    rec *r = *state;
    ox_config c = cfg_retention(0, 100);
    env e = open_role(r, OX_ROLE_ACCOUNTING, &c);
    assert_int_equal(ox_service_start(e.s), OX_OK);
    assert_int_equal(r->ntimers, 0);   /* today's accounting: it only reacts */
    assert_int_equal(ox_service_on_timer(e.s, OX_TIMER_SCAN), OX_ERR_ROLE);
    ox_service_close(e.s);
}

static void test_purge_forgets_old_ids(void **state) {
    rec *r = *state;
    ox_config c = cfg_retention(1000, 100);
    env e = open_role(r, OX_ROLE_ACCOUNTING, &c);
    assert_int_equal(ox_service_start(e.s), OX_OK);
    assert_int_equal(r->ntimers, 1);
    assert_int_equal(r->timer_id[0], OX_TIMER_PURGE);
    assert_int_equal(r->timer_delay[0], c.scan_interval_ms);
    assert_int_equal(payment(e.s, 1, 1, 100), OX_OK);
    assert_int_equal(payment(e.s, 2, 2, 101), OX_OK);
    exec_sql(e.path, "UPDATE inbox SET received_at=0 WHERE msg_id=1");   /* long ago */
    rec_clear(r);
    assert_int_equal(ox_service_on_timer(e.s, OX_TIMER_PURGE), OX_OK);
    assert_int_equal(count(e.path, "inbox", "1"), 1);
    assert_int_equal(count(e.path, "inbox", "msg_id=2"), 1);
    assert_int_equal(count(e.path, "voucher", "1"), 2);   /* vouchers are kept */
    assert_string_equal(rec_detail(r, "purge"),
                        "1 inbox rows received over 1000 ms ago forgotten");
    assert_int_equal(r->ntimers, 1);   /* armed again */
    assert_int_equal(r->timer_id[0], OX_TIMER_PURGE);
    /* nothing old left: no note */
    rec_clear(r);
    assert_int_equal(ox_service_on_timer(e.s, OX_TIMER_PURGE), OX_OK);
    assert_int_equal(rec_count(r, "purge"), 0);
    /* a copy of msg 2 is absorbed; a copy of the forgotten msg 1 is applied again */
    assert_int_equal(payment(e.s, 2, 2, 102), OX_OK);
    assert_int_equal(payment(e.s, 1, 1, 103), OX_OK);
    assert_int_equal(rec_count(r, "duplicate"), 1);
    assert_int_equal(rec_count(r, "apply"), 1);
    assert_int_equal(count(e.path, "voucher", "payment_id=1"), 2);
    assert_int_equal(count(e.path, "voucher", "payment_id=2"), 1);
    ox_service_close(e.s);
}

/* At most scan_batch rows a purge; the next purge takes the rest. */
static void test_purge_bounded(void **state) {
    rec *r = *state;
    ox_config c = cfg_retention(1000, 2);
    env e = open_role(r, OX_ROLE_ACCOUNTING, &c);
    for (uint64_t i = 1; i <= 3; i++) assert_int_equal(payment(e.s, i, i, 100 + i), OX_OK);
    exec_sql(e.path, "UPDATE inbox SET received_at=0");
    rec_clear(r);
    assert_int_equal(ox_service_on_timer(e.s, OX_TIMER_PURGE), OX_OK);
    assert_int_equal(count(e.path, "inbox", "1"), 1);
    assert_int_equal(count(e.path, "inbox", "msg_id=3"), 1);   /* the oldest ids go first */
    assert_int_equal(ox_service_on_timer(e.s, OX_TIMER_PURGE), OX_OK);
    assert_int_equal(count(e.path, "inbox", "1"), 0);
    assert_int_equal(rec_count(r, "purge"), 2);
    ox_service_close(e.s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_completion_delete, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_completion_archive, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_completion_delete_failed, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_completion_archive_failed, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_completion_mark, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_archive_on_older_file, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_no_retention_no_timer, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_purge_forgets_old_ids, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_purge_bounded, setup_dir, teardown_dir),
    };
    return cmocka_run_group_tests_name("retention", tests, NULL, NULL);
}
