/*
** test_consumers.c: competing consumers (issue 14, item 3) on real SQLite files: the
** broker spreading PAY_QUEUE over accounting instances and redelivering an unacked
** message to the next one (lib/broker.c, lib/queue.c), and accounting instances sharing
** one inbox, as two real processes on one database file (lib/accounting.c), under the
** outbox design (exactly once) and the weak design dedupe-per-instance (not).
*/
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "../../../lib/config.h"
#include "../../../lib/io.h"
#include "../../../lib/service.h"
#include "../../../lib/wire.h"

#include "recording_io.h"

static void sleep_ms(long ms) {
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0) {}
}

static ox_msg payment_msg(uint64_t msg_id) {
    ox_msg m;
    memset(&m, 0, sizeof m);
    m.kind = OX_M_PAYMENT;
    m.msg_id = msg_id;
    m.pay_id = msg_id + 1000;
    m.account = 7;
    m.amount = 250;
    m.attempt = 1;
    return m;
}

/* ---- the broker: a consumer set ---- */

static ox_service *broker(rec *r, int instances, int64_t visibility_ms, int durable) {
    ox_config c;
    ox_config_default(&c);
    c.accounting_instances = instances;
    c.visibility_ms = visibility_ms;
    c.durable = durable;
    char path[256];
    db_path(r, "broker.db", path, sizeof path);
    return open_svc(r, OX_ROLE_BROKER, path, &c);
}

static ox_status publish(ox_service *s, uint64_t msg_id) {
    ox_msg m = payment_msg(msg_id);
    ox_frame f = frame_of(OX_F_PUBLISH, OX_PAY_QUEUE, 0, &m);
    return feed(s, "payment", &f);
}

static ox_status dack_from(ox_service *s, const char *from, uint64_t delivery) {
    ox_frame f = frame_of(OX_F_DACK, OX_PAY_QUEUE, delivery, NULL);
    return feed(s, from, &f);
}

/* Send i is a DELIVER of msg_id on PAY_QUEUE to `to`; returns its delivery id. */
static uint64_t delivered(const rec *r, int i, const char *to, uint64_t msg_id,
                          uint32_t redeliveries) {
    assert_true(i < r->nsent);
    assert_int_equal(r->sent[i].type, OX_F_DELIVER);
    assert_string_equal(r->sent[i].queue, OX_PAY_QUEUE);
    assert_string_equal(r->to[i], to);
    assert_true(r->sent[i].msg.msg_id == msg_id);
    assert_int_equal(r->sent[i].redeliveries, redeliveries);
    return r->sent[i].delivery;
}

/* First deliveries go round the consumers in name order, whatever acks come back. */
static void test_spread_round_robin(void **state) {
    rec *r = *state;
    ox_service *s = broker(r, 3, 60000, 0);
    rec_clear(r);
    assert_int_equal(ox_service_start(s), OX_OK);
    const char *want[7] = { "accounting", "accounting-2", "accounting-3", "accounting",
                            "accounting-2", "accounting-3", "accounting" };
    for (uint64_t m = 1; m <= 7; m++) {
        assert_int_equal(publish(s, m), OX_OK);
        uint64_t d = delivered(r, (int)m - 1, want[m - 1], m, 0);
        if (m == 2) assert_int_equal(dack_from(s, "accounting-2", d), OX_OK);
    }
    assert_int_equal(rec_count(r, "deliver"), 7);
    assert_int_equal(rec_count(r, "ack"), 1);
    assert_non_null(strstr(rec_detail(r, "deliver"), ") to accounting, 1 in flight"));
    /* ACC_QUEUE keeps its one consumer */
    ox_msg m = payment_msg(9);
    m.kind = OX_M_CONSUMED;
    ox_frame f = frame_of(OX_F_PUBLISH, OX_ACC_QUEUE, 0, &m);
    assert_int_equal(feed(s, "accounting-3", &f), OX_OK);
    assert_string_equal(r->to[7], "payment");
    ox_service_close(s);
}

/* An unacked delivery comes back to the next consumer, same id; a DACK from any of them
** (here the first, late) removes it. */
static void test_redelivery_to_next_consumer(void **state) {
    rec *r = *state;
    ox_service *s = broker(r, 3, 40, 0);
    rec_clear(r);
    assert_int_equal(ox_service_start(s), OX_OK);
    assert_int_equal(publish(s, 1), OX_OK);
    assert_int_equal(publish(s, 2), OX_OK);
    uint64_t d1 = delivered(r, 0, "accounting", 1, 0);
    uint64_t d2 = delivered(r, 1, "accounting-2", 2, 0);
    assert_int_equal(dack_from(s, "accounting-2", d2), OX_OK);
    sleep_ms(60);
    rec_clear(r);
    assert_int_equal(ox_service_on_timer(s, OX_TIMER_REDELIVER), OX_OK);
    assert_int_equal(r->nsent, 1);
    assert_true(delivered(r, 0, "accounting-2", 1, 1) == d1);
    assert_non_null(strstr(rec_detail(r, "redeliver"), ") to accounting-2 again, redelivery 1"));
    sleep_ms(60);
    assert_int_equal(ox_service_on_timer(s, OX_TIMER_REDELIVER), OX_OK);
    assert_true(delivered(r, 1, "accounting-3", 1, 2) == d1);
    sleep_ms(60);
    assert_int_equal(ox_service_on_timer(s, OX_TIMER_REDELIVER), OX_OK);
    assert_true(delivered(r, 2, "accounting", 1, 3) == d1);   /* round again */
    /* the first consumer's ack, late, names the delivery: it is gone */
    assert_int_equal(dack_from(s, "accounting", d1), OX_OK);
    assert_int_equal(rec_count(r, "ack"), 1);
    assert_non_null(strstr(rec_detail(r, "ack"), "acked by accounting"));
    assert_int_equal(dack_from(s, "accounting-3", d1), OX_OK);
    assert_int_equal(rec_count(r, "stale_ack"), 1);
    sleep_ms(60);
    rec_clear(r);
    assert_int_equal(ox_service_on_timer(s, OX_TIMER_REDELIVER), OX_OK);
    assert_int_equal(r->nsent, 0);
    ox_service_close(s);
}

/* One instance keeps the role's own name, first delivery and redelivery alike, so every
** existing trace reads as before. */
static void test_one_consumer_keeps_its_name(void **state) {
    rec *r = *state;
    ox_service *s = broker(r, 1, 40, 0);
    rec_clear(r);
    assert_int_equal(publish(s, 1), OX_OK);
    uint64_t d = delivered(r, 0, "accounting", 1, 0);
    sleep_ms(60);
    assert_int_equal(ox_service_on_timer(s, OX_TIMER_REDELIVER), OX_OK);
    assert_true(delivered(r, 1, "accounting", 1, 1) == d);
    assert_non_null(strstr(rec_detail(r, "redeliver"), ") to accounting again, redelivery 1"));
    ox_service_close(s);
}

/* Durable queues across a restart: what was unacked comes back, spread again from the
** first consumer; a DACK from the previous life, by any consumer, removes its row. */
static void test_durable_restart_spreads_again(void **state) {
    rec *r = *state;
    ox_service *s = broker(r, 2, 60000, 1);
    rec_clear(r);
    for (uint64_t m = 1; m <= 3; m++) assert_int_equal(publish(s, m), OX_OK);
    uint64_t d1 = delivered(r, 0, "accounting", 1, 0);
    uint64_t d2 = delivered(r, 1, "accounting-2", 2, 0);
    uint64_t d3 = delivered(r, 2, "accounting", 3, 0);
    ox_service_close(s);
    char path[256];
    db_path(r, "broker.db", path, sizeof path);
    assert_int_equal(q1(path, "SELECT count(*) FROM message"), 3);

    rec_clear(r);
    s = broker(r, 2, 60000, 1);
    assert_string_equal(rec_detail(r, "recover"), "incarnation 2: 3 messages restored");
    assert_int_equal(ox_service_start(s), OX_OK);
    assert_int_equal(r->nsent, 3);
    assert_true(delivered(r, 0, "accounting", 1, 0) == d1);
    assert_true(delivered(r, 1, "accounting-2", 2, 0) == d2);
    assert_true(delivered(r, 2, "accounting", 3, 0) == d3);
    assert_int_equal(dack_from(s, "accounting-2", d3), OX_OK);   /* not the one it went to */
    assert_int_equal(rec_count(r, "ack"), 1);
    assert_int_equal(q1(path, "SELECT count(*) FROM message"), 2);
    ox_service_close(s);
}

/* ---- accounting instances sharing one inbox ---- */

static ox_config acc_cfg(ox_design d) {
    ox_config c;
    ox_config_default(&c);
    c.design = d;
    return c;
}

static ox_status deliver_to(ox_service *s, uint64_t delivery, uint64_t msg_id) {
    ox_msg m = payment_msg(msg_id);
    ox_frame f = frame_of(OX_F_DELIVER, OX_PAY_QUEUE, delivery, &m);
    return feed(s, "broker", &f);
}

/* Design dedupe-per-instance in one process: a redelivery to the same instance is a
** duplicate, to a second instance on the same file (or the first after a restart) it is
** applied again; under outbox the shared inbox stops both. */
static void test_dedupe_in_memory_only(void **state) {
    rec *r = *state;
    char path[256];
    db_path(r, "accounting.db", path, sizeof path);
    ox_design designs[2] = { OX_DESIGN_OUTBOX, OX_DESIGN_DEDUPE_PER_INSTANCE };
    int64_t want[2] = { 1, 3 };
    for (int k = 0; k < 2; k++) {
        unlink(path);
        ox_config c = acc_cfg(designs[k]);
        ox_service *a1 = open_svc(r, OX_ROLE_ACCOUNTING, path, &c);
        ox_service *a2 = open_svc(r, OX_ROLE_ACCOUNTING, path, &c);
        rec_clear(r);
        assert_int_equal(deliver_to(a1, 11, 5), OX_OK);
        assert_int_equal(deliver_to(a1, 11, 5), OX_OK);   /* the same instance: remembered */
        assert_int_equal(rec_count(r, "duplicate"), 1);
        assert_int_equal(deliver_to(a2, 11, 5), OX_OK);   /* the other instance */
        ox_service_close(a1);
        a1 = open_svc(r, OX_ROLE_ACCOUNTING, path, &c);   /* a restart */
        assert_int_equal(deliver_to(a1, 11, 5), OX_OK);
        assert_int_equal(q1(path, "SELECT count(*) FROM voucher WHERE msg_id=5"), want[k]);
        assert_int_equal(q1(path, "SELECT count(*) FROM inbox"), 1);
        assert_int_equal(rec_count(r, "apply"), (int)want[k]);
        ox_service_close(a1);
        ox_service_close(a2);
    }
}

/* A child's host: counts what its service applied and found duplicate. */
typedef struct { int applied, duplicates, errors; } tally;

static void tally_event(void *ctx, const char *kind, uint64_t pay, const char *detail) {
    tally *t = ctx;
    t->applied += strcmp(kind, "apply") == 0;
    t->duplicates += strcmp(kind, "duplicate") == 0;
}

static void no_send(void *ctx, const char *to, const uint8_t *b, size_t n, const ox_frame *f) {}
static void no_timer(void *ctx, int id, int64_t delay_ms) {}

#define SHARED_MSGS 500
#define RETRIES 50   /* a failed delivery is retried, as the broker would redeliver it */

/* Delivers msg_id to s as the broker would, again after a failure; 0, or -1 if it never
** got through. */
static int take(ox_service *s, uint64_t msg_id, tally *t) {
    ox_msg m = payment_msg(msg_id);
    ox_frame f = frame_of(OX_F_DELIVER, OX_PAY_QUEUE, msg_id, &m);
    uint8_t buf[OX_FRAME_MAX];
    ox_wire_err we;
    size_t n = ox_wire_encode(&f, buf, sizeof buf, &we);
    for (int tries = 0; tries < RETRIES; tries++) {
        if (ox_service_on_frame(s, "broker", buf, n) == OX_OK) return 0;
        t->errors++;
    }
    return -1;
}

/* One accounting process: every message once, in its own order (child 1 backwards, so
** the two meet in the middle and race on the same ids there); writes its tally to fd.
** Each waits, after its first message, for the other's first: so both are running
** before either can take everything (a fork can be scheduled late). */
static void child(const char *path, ox_design d, int which, const int hand[2][2], int fd) {
    tally t = { 0, 0, 0 };
    ox_config c = acc_cfg(d);
    ox_io io = { &t, no_send, no_timer, tally_event, NULL, NULL };
    char err[512];
    ox_service *s = ox_service_open(OX_ROLE_ACCOUNTING, path, &c, &io, err, sizeof err);
    char byte;
    if (!s) _exit(3);
    for (int i = 1; i <= SHARED_MSGS; i++) {
        uint64_t id = which == 0 ? (uint64_t)i : (uint64_t)(SHARED_MSGS + 1 - i);
        if (take(s, id, &t) != 0) _exit(4);
        if (i > 1) continue;
        if (write(hand[1 - which][1], "g", 1) != 1 || read(hand[which][0], &byte, 1) != 1)
            _exit(6);
    }
    ox_service_close(s);
    _exit(write(fd, &t, sizeof t) == (ssize_t)sizeof t ? 0 : 5);
}

/* Two real processes on one database file; returns the two tallies. */
static void run_two(const char *path, ox_design d, tally out[2]) {
    int hand[2][2], res[2];
    assert_int_equal(pipe(hand[0]), 0);
    assert_int_equal(pipe(hand[1]), 0);
    assert_int_equal(pipe(res), 0);
    pid_t pid[2];
    for (int k = 0; k < 2; k++) {
        pid[k] = fork();
        assert_true(pid[k] >= 0);
        if (pid[k] == 0) { close(res[0]); child(path, d, k, (const int (*)[2])hand, res[1]); }
    }
    for (int k = 0; k < 2; k++) { close(hand[k][0]); close(hand[k][1]); }
    close(res[1]);
    for (int k = 0; k < 2; k++) {
        int st = 0;
        assert_int_equal(waitpid(pid[k], &st, 0), pid[k]);
        assert_true(WIFEXITED(st));
        assert_int_equal(WEXITSTATUS(st), 0);
    }
    for (int k = 0; k < 2; k++)   /* each child wrote one tally; which is which is moot */
        assert_int_equal(read(res[0], &out[k], sizeof out[k]), (ssize_t)sizeof out[k]);
    close(res[0]);
}

static void test_two_processes_share_one_inbox(void **state) {
    rec *r = *state;
    char path[256];
    db_path(r, "accounting.db", path, sizeof path);
    ox_config c = acc_cfg(OX_DESIGN_OUTBOX);
    ox_service_close(open_svc(r, OX_ROLE_ACCOUNTING, path, &c));   /* schema first */
    tally t[2];
    run_two(path, OX_DESIGN_OUTBOX, t);
    /* every message applied exactly once across the two, and each did some of it */
    assert_int_equal(t[0].applied + t[1].applied, SHARED_MSGS);
    assert_int_equal(t[0].duplicates + t[1].duplicates, SHARED_MSGS);
    assert_true(t[0].applied > 0);
    assert_true(t[1].applied > 0);
    assert_int_equal(q1(path, "SELECT count(*) FROM voucher"), SHARED_MSGS);
    assert_int_equal(q1(path, "SELECT count(DISTINCT msg_id) FROM voucher"), SHARED_MSGS);
    assert_int_equal(q1(path, "SELECT count(*) FROM inbox"), SHARED_MSGS);
    assert_int_equal(
        q1(path, "SELECT count(*) FROM pragma_integrity_check WHERE integrity_check='ok'"), 1);
}

static void test_two_processes_dedupe_per_instance(void **state) {
    rec *r = *state;
    char path[256];
    db_path(r, "accounting.db", path, sizeof path);
    ox_config c = acc_cfg(OX_DESIGN_DEDUPE_PER_INSTANCE);
    ox_service_close(open_svc(r, OX_ROLE_ACCOUNTING, path, &c));
    tally t[2];
    run_two(path, OX_DESIGN_DEDUPE_PER_INSTANCE, t);
    /* each instance knows only its own past: every message booked twice */
    assert_int_equal(t[0].applied, SHARED_MSGS);
    assert_int_equal(t[1].applied, SHARED_MSGS);
    assert_int_equal(q1(path, "SELECT count(*) FROM voucher"), 2 * SHARED_MSGS);
    assert_int_equal(q1(path, "SELECT count(*) FROM inbox"), SHARED_MSGS);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_spread_round_robin, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_redelivery_to_next_consumer, setup_dir,
                                        teardown_dir),
        cmocka_unit_test_setup_teardown(test_one_consumer_keeps_its_name, setup_dir,
                                        teardown_dir),
        cmocka_unit_test_setup_teardown(test_durable_restart_spreads_again, setup_dir,
                                        teardown_dir),
        cmocka_unit_test_setup_teardown(test_dedupe_in_memory_only, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_two_processes_share_one_inbox, setup_dir,
                                        teardown_dir),
        cmocka_unit_test_setup_teardown(test_two_processes_dedupe_per_instance, setup_dir,
                                        teardown_dir),
    };
    return cmocka_run_group_tests_name("consumers", tests, NULL, NULL);
}
