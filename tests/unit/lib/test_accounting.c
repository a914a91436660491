/*
** test_accounting.c: the accounting service (lib/accounting.c) on real SQLite files.
**
** Deliveries are fed as encoded frames; the inbox and voucher tables are read from a
** second connection, and the answers and acks are read from the recording host.
** The group tests (group commit, service.h) make SQLite itself fail where they need a
** failure: a trigger that aborts a statement or rolls back the whole transaction, and a
** file size limit (RLIMIT_FSIZE) under which the WAL cannot grow, so the COMMIT fails.
*/
#include <dirent.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "../../../lib/config.h"
#include "../../../lib/schema.h"
#include "../../../lib/service.h"
#include "../../../lib/wire.h"

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
        for (int again = 0; again < 2; again++) { /* the duplicate repeats the stored reason */
            rec_clear(r);
            assert_int_equal(deliver_payment(e.s, &cases[i].m, 10 * i + (uint64_t)again), OX_OK);
            assert_answer(r, 0, OX_M_CONSUME_FAILED, cases[i].m.msg_id, cases[i].reason,
                          10 * i + (uint64_t)again);
            assert_int_equal(rec_count(r, again ? "duplicate" : "refuse"), 1);
        }
    }
    assert_int_equal(vouchers(e.path), 0);
    assert_int_equal(q1(e.path, "SELECT count(*) FROM inbox WHERE outcome='REFUSED'"), 4);
    assert_int_equal(
        q1(e.path, "SELECT count(*) FROM inbox WHERE msg_id=1 AND reason='account 10 is frozen'"),
        1);
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
    assert_string_equal(ox_service_error(e.s), "frame from broker rejected: DELIVER from queue "
                                               "'ACC_QUEUE' (accounting subscribes to PAY_QUEUE)");
    f = frame_of(OX_F_PUBLISH, OX_PAY_QUEUE, 0, &m);
    assert_int_equal(feed(e.s, "payment", &f), OX_ERR_FRAME);
    assert_string_equal(ox_service_error(e.s),
                        "frame from payment rejected: accounting does not accept PUBLISH");
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

/* ---- group commit ---- */

/* A second connection kept open: its PRAGMA data_version changes exactly when another
** connection commits. */
static sqlite3 *watcher(const char *path) {
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_busy_timeout(db, 2000);
    return db;
}

static int64_t data_version(sqlite3 *db) {
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA data_version", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* Pages written to the WAL so far (each commit appends the pages it changed). */
static int64_t wal_frames(const char *path) {
    char wal[300];
    snprintf(wal, sizeof wal, "%s-wal", path);
    struct stat sb;
    assert_int_equal(stat(wal, &sb), 0);
    int64_t page = q1(path, "PRAGMA page_size");
    return sb.st_size <= 32 ? 0 : (sb.st_size - 32) / (24 + page);
}

static void deliver_n(ox_service *s, uint64_t first_msg, int n, ox_status want) {
    for (int i = 0; i < n; i++) {
        ox_msg m = payment_msg(first_msg + (uint64_t)i, 100 + first_msg + (uint64_t)i, 3, 500);
        assert_int_equal(deliver_payment(s, &m, 1000 + first_msg + (uint64_t)i), want);
    }
}

static void test_group_commits_once(void **state) {
    rec *r = *state;
    ox_config c;
    ox_config_default(&c);
    acc_env e = acc_open(r, &c);
    sqlite3 *w = watcher(e.path);
    deliver_n(e.s, 1, 1, OX_OK);                 /* one delivery alone: one commit */
    int64_t f0 = wal_frames(e.path);
    deliver_n(e.s, 2, 1, OX_OK);
    int64_t one_commit = wal_frames(e.path) - f0;
    assert_true(one_commit >= 2);                /* at least the inbox and voucher pages */
    int64_t v = data_version(w), f1 = wal_frames(e.path);
    rec_clear(r);
    assert_int_equal(ox_service_group_begin(e.s), OX_OK);
    for (int i = 0; i < 5; i++) {
        deliver_n(e.s, 10 + (uint64_t)i, 1, OX_OK);
        /* nothing committed yet: another connection sees no change at all */
        assert_int_equal(data_version(w), v);
        assert_int_equal(vouchers(e.path), 2);
    }
    /* the service asked for every answer and ack; holding them is the host's part */
    assert_int_equal(r->nsent, 10);
    for (int i = 0; i < 5; i++)
        assert_answer(r, 2 * i, OX_M_CONSUMED, 10 + (uint64_t)i, "", 1010 + (uint64_t)i);
    assert_int_equal(rec_count(r, "apply"), 5);
    assert_int_equal(ox_service_group_end(e.s), OX_OK);
    assert_true(data_version(w) != v);
    assert_int_equal(vouchers(e.path), 7);
    assert_int_equal(q1(e.path, "SELECT count(*) FROM inbox WHERE msg_id BETWEEN 10 AND 14"
                                " AND outcome='APPLIED'"), 5);
    /* one COMMIT: the pages of five deliveries written once, as for one delivery */
    assert_int_equal(wal_frames(e.path) - f1, one_commit);
    /* after the group, each delivery commits on its own again */
    v = data_version(w);
    deliver_n(e.s, 20, 1, OX_OK);
    assert_true(data_version(w) != v);
    assert_int_equal(vouchers(e.path), 8);
    sqlite3_close(w);
    ox_service_close(e.s);
}

static void test_group_duplicate_inside(void **state) {
    rec *r = *state;
    ox_config c;
    ox_config_default(&c);
    acc_env e = acc_open(r, &c);
    ox_msg m = payment_msg(11, 7, 3, 500);
    assert_int_equal(ox_service_group_begin(e.s), OX_OK);
    assert_int_equal(deliver_payment(e.s, &m, 1), OX_OK);
    m.attempt = 2;                               /* a republication, in the same batch */
    assert_int_equal(deliver_payment(e.s, &m, 2), OX_OK);
    assert_int_equal(ox_service_group_end(e.s), OX_OK);
    assert_int_equal(vouchers(e.path), 1);
    assert_int_equal(q1(e.path, "SELECT count(*) FROM inbox"), 1);
    assert_int_equal(rec_count(r, "apply"), 1);
    assert_int_equal(rec_count(r, "duplicate"), 1);
    assert_string_equal(rec_detail(r, "duplicate"), "msg 11 already APPLIED: answering again");
    assert_int_equal(r->nsent, 4);
    assert_answer(r, 0, OX_M_CONSUMED, 11, "", 1);
    assert_answer(r, 2, OX_M_CONSUMED, 11, "", 2);
    ox_service_close(e.s);
}

/* A statement that fails inside a group undoes that delivery only. */
static void test_group_failed_delivery_alone(void **state) {
    rec *r = *state;
    ox_config c;
    ox_config_default(&c);
    acc_env e = acc_open(r, &c);
    exec_sql(e.path, "CREATE TRIGGER no_112 BEFORE INSERT ON voucher WHEN NEW.payment_id = 112"
                     " BEGIN SELECT RAISE(ABORT, 'voucher 112 refused by a trigger'); END");
    assert_int_equal(ox_service_group_begin(e.s), OX_OK);
    deliver_n(e.s, 11, 1, OX_OK);
    deliver_n(e.s, 12, 1, OX_ERR_DB);
    assert_non_null(
        strstr(ox_service_error(e.s), "insert voucher: voucher 112 refused by a trigger"));
    deliver_n(e.s, 13, 1, OX_OK);
    assert_int_equal(r->nsent, 4); /* the failed delivery is neither answered nor acked */
    assert_int_equal(ox_service_group_end(e.s), OX_OK);
    assert_int_equal(q1(e.path, "SELECT count(*) FROM voucher WHERE payment_id IN (111, 113)"), 2);
    assert_int_equal(q1(e.path, "SELECT count(*) FROM inbox WHERE msg_id = 12"), 0);
    /* its redelivery, once the cause is gone, applies it */
    exec_sql(e.path, "DROP TRIGGER no_112");
    deliver_n(e.s, 12, 1, OX_OK);
    assert_int_equal(vouchers(e.path), 3);
    ox_service_close(e.s);
}

/* SQLite itself rolls the group's transaction back: the rest of the group is refused,
** group_end fails, nothing is committed, and the next group works. */
static void test_group_lost_to_sqlite_rollback(void **state) {
    rec *r = *state;
    ox_config c;
    ox_config_default(&c);
    acc_env e = acc_open(r, &c);
    exec_sql(e.path, "CREATE TRIGGER undo_112 BEFORE INSERT ON voucher WHEN NEW.payment_id = 112"
                     " BEGIN SELECT RAISE(ROLLBACK, 'rolled back by a trigger'); END");
    assert_int_equal(ox_service_group_begin(e.s), OX_OK);
    deliver_n(e.s, 11, 1, OX_OK);
    deliver_n(e.s, 12, 1, OX_ERR_DB);
    deliver_n(e.s, 13, 1, OX_ERR_DB);            /* not in autocommit behind the group's back */
    assert_non_null(strstr(ox_service_error(e.s), "SQLite rolled its transaction back"));
    assert_int_equal(ox_service_group_end(e.s), OX_ERR_DB);
    assert_non_null(strstr(ox_service_error(e.s), "accounting.db: group: "));
    assert_int_equal(vouchers(e.path), 0);
    assert_int_equal(q1(e.path, "SELECT count(*) FROM inbox"), 0);
    exec_sql(e.path, "DROP TRIGGER undo_112");
    assert_int_equal(ox_service_group_begin(e.s), OX_OK);
    deliver_n(e.s, 11, 3, OX_OK);
    assert_int_equal(ox_service_group_end(e.s), OX_OK);
    assert_int_equal(vouchers(e.path), 3);
    ox_service_close(e.s);
}

/* The COMMIT itself fails: the WAL may not grow (RLIMIT_FSIZE, SIGXFSZ ignored, so the
** write gets EFBIG: SQLite's disk I/O error). */
static void test_group_end_fails(void **state) {
    rec *r = *state;
    ox_config c;
    ox_config_default(&c);
    acc_env e = acc_open(r, &c);
    char wal[300];
    snprintf(wal, sizeof wal, "%s-wal", e.path);
    assert_int_equal(ox_service_group_begin(e.s), OX_OK);
    deliver_n(e.s, 11, 3, OX_OK);
    assert_int_equal(r->nsent, 6);
    struct stat sb;
    assert_int_equal(stat(wal, &sb), 0);
    struct rlimit old, lim;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = (rlim_t)sb.st_size;
    void (*was)(int) = signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    ox_status st = ox_service_group_end(e.s);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);   /* before any assert can print */
    signal(SIGXFSZ, was);
    assert_int_equal(st, OX_ERR_DB);
    assert_non_null(strstr(ox_service_error(e.s), "accounting.db: commit group: "));
    assert_null(strchr(ox_service_error(e.s), '\n'));
    assert_int_equal(vouchers(e.path), 0);
    assert_int_equal(q1(e.path, "SELECT count(*) FROM inbox"), 0);
    /* the broker redelivers: the same deliveries apply, once each */
    deliver_n(e.s, 11, 3, OX_OK);
    assert_int_equal(vouchers(e.path), 3);
    assert_int_equal(rec_count(r, "duplicate"), 0);
    ox_service_close(e.s);
}

/* ---- the injected rollback (io.h, OX_SITE_ACCOUNTING_ROLLBACK) ---- */

/* inject hook: yes while scratch[6] > 0 (counting down); only accounting's site asks. */
static int acc_inject(void *ctx, const char *site) {
    rec *r = ctx;
    assert_string_equal(site, OX_SITE_ACCOUNTING_ROLLBACK);
    if (r->scratch[6] <= 0) return 0;
    r->scratch[6]--;
    return 1;
}

/* apply rolled back after its writes: no inbox row, no voucher, and (outbox) nothing
** answered or acked, so the broker delivers it again and the next try applies it; under
** ack-before-apply the answer and the ack went first: the voucher is lost. */
static void test_injected_rollback_of_apply(void **state) {
    rec *r = *state;
    const ox_design designs[] = { OX_DESIGN_OUTBOX, OX_DESIGN_ACK_BEFORE_APPLY };
    for (size_t i = 0; i < 2; i++) {
        ox_config c;
        ox_config_default(&c);
        c.design = designs[i];
        char path[256], err[512] = "";
        db_path(r, "accounting.db", path, sizeof path);
        ox_io io = rec_io(r);
        io.inject = acc_inject;
        ox_service *s = ox_service_open(OX_ROLE_ACCOUNTING, path, &c, &io, err, sizeof err);
        if (!s) fail_msg("open: %s", err);
        rec_clear(r);
        r->scratch[6] = 1;
        ox_msg m = payment_msg(11, 7, 3, 500);
        assert_int_equal(deliver_payment(s, &m, 1001), OX_OK);
        assert_int_equal(vouchers(path), 0);
        assert_int_equal(q1(path, "SELECT count(*) FROM inbox"), 0);
        assert_int_equal(rec_count(r, "rollback"), 1);
        assert_int_equal(rec_count(r, "apply"), 0);
        if (designs[i] == OX_DESIGN_OUTBOX) {
            assert_int_equal(r->nsent, 0);
            rec_clear(r);
            assert_int_equal(deliver_payment(s, &m, 1002), OX_OK);   /* redelivered */
            assert_int_equal(vouchers(path), 1);
            assert_answer(r, 0, OX_M_CONSUMED, 11, "", 1002);
        } else {
            assert_answer(r, 0, OX_M_CONSUMED, 11, "", 1001);       /* told, and lost */
        }
        ox_service_close(s);
        unlink(path);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_apply_once_then_answer_and_ack, setup_dir,
                                        teardown_dir),
        cmocka_unit_test_setup_teardown(test_duplicate_answered_again, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_refusals, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_rejects_and_role_errors, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_design_no_dedupe_applies_every_delivery, setup_dir,
                                        teardown_dir),
        cmocka_unit_test_setup_teardown(test_design_ack_before_apply, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_group_commits_once, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_group_duplicate_inside, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_group_failed_delivery_alone, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_group_lost_to_sqlite_rollback, setup_dir,
                                        teardown_dir),
        cmocka_unit_test_setup_teardown(test_group_end_fails, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_injected_rollback_of_apply, setup_dir, teardown_dir),
    };
    return cmocka_run_group_tests_name("accounting", tests, NULL, NULL);
}
