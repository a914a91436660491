/*
** test_broker.c: the broker (lib/broker.c, lib/brokerdb.c, lib/queue.c) on real
** SQLite files, and the foreign-database guard of lib/store.c.
**
** Visibility timeouts are made short (tens of milliseconds) and the test sleeps past
** them before firing the redelivery timer, as its host would.
*/
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "../../../lib/config.h"
#include "../../../lib/io.h"
#include "../../../lib/schema.h"
#include "../../../lib/service.h"
#include "../../../lib/wire.h"

#include "recording_io.h"

/* ---- broker helpers ---- */

typedef struct {
    ox_service *s;
    char path[256];
} brk_env;

static brk_env brk_open(rec *r, const ox_config *c) {
    brk_env e;
    db_path(r, "broker.db", e.path, sizeof e.path);
    e.s = open_svc(r, OX_ROLE_BROKER, e.path, c);
    return e;
}

static ox_config brk_cfg(int64_t visibility_ms, int prefetch, int durable) {
    ox_config c;
    ox_config_default(&c);
    c.visibility_ms = visibility_ms;
    c.prefetch = prefetch;
    c.durable = durable;
    return c;
}

static ox_status publish(ox_service *s, const char *queue, uint64_t msg_id) {
    ox_msg m;
    memset(&m, 0, sizeof m);
    m.kind = strcmp(queue, OX_PAY_QUEUE) == 0 ? OX_M_PAYMENT : OX_M_CONSUMED;
    m.msg_id = msg_id;
    m.pay_id = msg_id + 1000;
    m.account = 3;
    m.amount = 500;
    m.attempt = 1;
    ox_frame f = frame_of(OX_F_PUBLISH, queue, 0, &m);
    return feed(s, strcmp(queue, OX_PAY_QUEUE) == 0 ? "payment" : "accounting", &f);
}

static ox_status dack(ox_service *s, const char *queue, uint64_t delivery) {
    ox_frame f = frame_of(OX_F_DACK, queue, delivery, NULL);
    return feed(s, "accounting", &f);
}

static void sleep_ms(long ms) {
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0) {}
}

/* Send i is a DELIVER of msg_id on queue to its subscriber; returns its delivery id. */
static uint64_t assert_deliver(const rec *r, int i, const char *queue, uint64_t msg_id,
                               uint32_t redeliveries) {
    assert_true(i < r->nsent);
    const ox_frame *f = &r->sent[i];
    assert_int_equal(f->type, OX_F_DELIVER);
    assert_string_equal(f->queue, queue);
    assert_string_equal(r->to[i], strcmp(queue, OX_PAY_QUEUE) == 0 ? "accounting" : "payment");
    assert_true(f->msg.msg_id == msg_id);
    assert_true(f->msg.pay_id == msg_id + 1000);
    assert_int_equal(f->redeliveries, redeliveries);
    return f->delivery;
}

static int64_t stored(const char *path) { return q1(path, "SELECT count(*) FROM message"); }

static void read_file(const char *path, char *buf, size_t cap, size_t *n) {
    FILE *fh = fopen(path, "rb");
    assert_non_null(fh);
    *n = fread(buf, 1, cap, fh);
    assert_true(*n < cap);
    fclose(fh);
}

static int exists(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0;
}

/* ---- internal loss: the injection hook of io.h ---- */

/* inject hook: says yes while scratch[0] > 0 (counting down), counts the questions in
** scratch[1]; only the broker's loss site may ask. */
static int rec_inject(void *ctx, const char *site) {
    rec *r = ctx;
    assert_string_equal(site, OX_SITE_BROKER_LOSE);
    r->scratch[1]++;
    if (r->scratch[0] <= 0) return 0;
    r->scratch[0]--;
    return 1;
}

static void test_injected_internal_loss(void **state) {
    rec *r = *state;
    ox_config c = brk_cfg(60000, 100, 1); /* durable: a lost message must not be stored either */
    char path[256], err[512] = "";
    db_path(r, "broker.db", path, sizeof path);
    ox_io io = rec_io(r);
    io.inject = rec_inject;
    ox_service *s = ox_service_open(OX_ROLE_BROKER, path, &c, &io, err, sizeof err);
    if (!s) fail_msg("open: %s", err);
    assert_int_equal(ox_service_start(s), OX_OK);
    rec_clear(r);
    r->scratch[0] = 1;
    r->scratch[1] = 0;

    /* accepted (the failpoint is passed), then lost: nothing queued, stored or sent */
    assert_int_equal(publish(s, OX_PAY_QUEUE, 1), OX_OK);
    assert_int_equal(r->nfp, 1);
    assert_string_equal(r->fp[0], "broker.after_accept");
    assert_int_equal(rec_count(r, "lost_inside"), 1);
    assert_true(r->ev_pay[0] == 1001);
    assert_non_null(
        strstr(rec_detail(r, "lost_inside"), "msg 1 PAYMENT on PAY_QUEUE lost inside the broker"));
    assert_int_equal(rec_count(r, "enqueue"), 0);
    assert_int_equal(r->nsent + r->ntimers, 0);
    assert_int_equal(stored(path), 0);

    /* the hook says no: the next message is queued and delivered as usual */
    rec_clear(r);
    assert_int_equal(publish(s, OX_PAY_QUEUE, 2), OX_OK);
    assert_int_equal(rec_count(r, "lost_inside"), 0);
    assert_int_equal(rec_count(r, "enqueue"), 1);
    uint64_t d = assert_deliver(r, 0, OX_PAY_QUEUE, 2, 0);
    assert_int_equal(stored(path), 1);

    /* each accepted PUBLISH asks once; a DACK never asks */
    assert_int_equal(dack(s, OX_PAY_QUEUE, d), OX_OK);
    assert_int_equal(r->scratch[1], 2);
    assert_int_equal(stored(path), 0);
    ox_service_close(s);
}

/* ---- at-least-once ---- */

static void test_redelivery_after_visibility_then_ack(void **state) {
    rec *r = *state;
    ox_config c = brk_cfg(60, 100, 0);
    brk_env e = brk_open(r, &c);
    rec_clear(r);
    assert_int_equal(ox_service_start(e.s), OX_OK);
    assert_int_equal(r->nsent + r->ntimers, 0);          /* nothing to deliver yet */

    assert_int_equal(publish(e.s, OX_PAY_QUEUE, 1), OX_OK);
    assert_int_equal(r->nfp, 1);
    assert_string_equal(r->fp[0], "broker.after_accept");
    assert_int_equal(r->nsent, 1);
    uint64_t d = assert_deliver(r, 0, OX_PAY_QUEUE, 1, 0);
    assert_int_equal(r->ntimers, 1);
    assert_int_equal(r->timer_id[0], OX_TIMER_REDELIVER);
    assert_int_equal(r->timer_delay[0], 60);
    assert_int_equal(rec_count(r, "enqueue"), 1);
    assert_int_equal(rec_count(r, "deliver"), 1);

    /* unacked past the visibility: the same delivery again */
    sleep_ms(80);
    rec_clear(r);
    assert_int_equal(ox_service_on_timer(e.s, OX_TIMER_REDELIVER), OX_OK);
    assert_int_equal(r->nsent, 1);
    assert_true(assert_deliver(r, 0, OX_PAY_QUEUE, 1, 1) == d);
    assert_int_equal(rec_count(r, "redeliver"), 1);
    assert_int_equal(r->ntimers, 1);
    assert_int_equal(r->timer_delay[0], 60);

    /* the DACK removes it: no more redeliveries */
    rec_clear(r);
    assert_int_equal(dack(e.s, OX_PAY_QUEUE, d), OX_OK);
    assert_int_equal(rec_count(r, "ack"), 1);
    sleep_ms(80);
    assert_int_equal(ox_service_on_timer(e.s, OX_TIMER_REDELIVER), OX_OK);
    assert_int_equal(r->nsent, 0);
    assert_int_equal(r->ntimers, 0);
    assert_int_equal(dack(e.s, OX_PAY_QUEUE, d), OX_OK);          /* acked twice: stale */
    assert_int_equal(rec_count(r, "stale_ack"), 1);
    assert_int_equal(stored(e.path), 0);                           /* memory queues */
    ox_service_close(e.s);
}

static void test_prefetch_window_in_fifo_order(void **state) {
    rec *r = *state;
    ox_config c = brk_cfg(60000, 2, 0);
    brk_env e = brk_open(r, &c);
    rec_clear(r);
    for (uint64_t m = 1; m <= 4; m++) assert_int_equal(publish(e.s, OX_PAY_QUEUE, m), OX_OK);
    assert_int_equal(r->nsent, 2);
    uint64_t d1 = assert_deliver(r, 0, OX_PAY_QUEUE, 1, 0);
    uint64_t d2 = assert_deliver(r, 1, OX_PAY_QUEUE, 2, 0);
    assert_true(d1 != d2);
    assert_int_equal(r->ntimers, 1);            /* one timer for the earliest expiry */
    assert_int_equal(r->timer_delay[0], 60000);
    /* the timer firing early redelivers nothing, and re-arms for the rest */
    rec_clear(r);
    assert_int_equal(ox_service_on_timer(e.s, OX_TIMER_REDELIVER), OX_OK);
    assert_int_equal(r->nsent, 0);
    assert_int_equal(r->ntimers, 1);
    assert_true(r->timer_delay[0] > 50000 && r->timer_delay[0] <= 60000);
    rec_clear(r);
    /* the other queue has its own window */
    assert_int_equal(publish(e.s, OX_ACC_QUEUE, 9), OX_OK);
    assert_int_equal(r->nsent, 1);
    assert_deliver(r, 0, OX_ACC_QUEUE, 9, 0);
    /* each ack opens the window for the next in line */
    rec_clear(r);
    assert_int_equal(dack(e.s, OX_PAY_QUEUE, d2), OX_OK);
    assert_int_equal(r->nsent, 1);
    uint64_t d3 = assert_deliver(r, 0, OX_PAY_QUEUE, 3, 0);
    assert_int_equal(dack(e.s, OX_PAY_QUEUE, d1), OX_OK);
    assert_int_equal(r->nsent, 2);
    assert_deliver(r, 1, OX_PAY_QUEUE, 4, 0);
    /* an ack on the wrong queue acks nothing */
    assert_int_equal(dack(e.s, OX_ACC_QUEUE, d3), OX_OK);
    assert_int_equal(rec_count(r, "stale_ack"), 1);
    ox_service_close(e.s);
}

/* ---- at-most-once ---- */

static void test_at_most_once_forgets(void **state) {
    rec *r = *state;
    ox_config c = brk_cfg(10, 1, 1);
    c.delivery = OX_AT_MOST_ONCE;
    brk_env e = brk_open(r, &c);
    rec_clear(r);
    for (uint64_t m = 1; m <= 3; m++) assert_int_equal(publish(e.s, OX_PAY_QUEUE, m), OX_OK);
    assert_int_equal(r->nsent, 3);                     /* no window: nothing waits for an ack */
    uint64_t d = assert_deliver(r, 0, OX_PAY_QUEUE, 1, 0);
    assert_int_equal(r->ntimers, 0);
    assert_int_equal(stored(e.path), 0);               /* nothing kept, even with durable=1 */
    sleep_ms(20);
    assert_int_equal(ox_service_on_timer(e.s, OX_TIMER_REDELIVER), OX_OK);
    assert_int_equal(r->nsent, 3);
    assert_int_equal(dack(e.s, OX_PAY_QUEUE, d), OX_OK);
    assert_int_equal(rec_count(r, "stale_ack"), 1);
    ox_service_close(e.s);
}

/* ---- restarts ---- */

static void test_memory_queues_lost_on_reopen(void **state) {
    rec *r = *state;
    ox_config c = brk_cfg(60000, 1, 0);
    brk_env e = brk_open(r, &c);
    rec_clear(r);
    assert_int_equal(publish(e.s, OX_PAY_QUEUE, 1), OX_OK);
    assert_int_equal(publish(e.s, OX_PAY_QUEUE, 2), OX_OK);
    uint64_t old = assert_deliver(r, 0, OX_PAY_QUEUE, 1, 0);
    assert_true(old >> 32 == 1);
    ox_service_close(e.s);

    rec_clear(r);
    e = brk_open(r, &c);
    assert_string_equal(rec_detail(r, "recover"), "incarnation 2: in-memory queues start empty");
    assert_int_equal(ox_service_start(e.s), OX_OK);
    assert_int_equal(r->nsent, 0);                     /* both messages are gone */
    assert_int_equal(publish(e.s, OX_PAY_QUEUE, 3), OX_OK);
    uint64_t fresh = assert_deliver(r, 0, OX_PAY_QUEUE, 3, 0);
    assert_true(fresh >> 32 == 2 && fresh != old);
    /* a DACK from before the restart does not ack the new delivery */
    assert_int_equal(dack(e.s, OX_PAY_QUEUE, old), OX_OK);
    assert_int_equal(rec_count(r, "stale_ack"), 1);
    assert_int_equal(rec_count(r, "ack"), 0);
    assert_int_equal(dack(e.s, OX_PAY_QUEUE, fresh), OX_OK);
    assert_int_equal(rec_count(r, "ack"), 1);
    ox_service_close(e.s);
}

static void test_durable_restored_on_reopen(void **state) {
    rec *r = *state;
    ox_config c = brk_cfg(40, 1, 1);
    brk_env e = brk_open(r, &c);
    rec_clear(r);
    for (uint64_t m = 1; m <= 3; m++) assert_int_equal(publish(e.s, OX_PAY_QUEUE, m), OX_OK);
    uint64_t d1 = assert_deliver(r, 0, OX_PAY_QUEUE, 1, 0);
    assert_int_equal(stored(e.path), 3);
    assert_int_equal(dack(e.s, OX_PAY_QUEUE, d1), OX_OK);
    assert_int_equal(stored(e.path), 2);
    uint64_t d2 = assert_deliver(r, 1, OX_PAY_QUEUE, 2, 0);
    char sql[200];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM message WHERE id=%lld AND queue='PAY_QUEUE'",
             (long long)d2);
    assert_int_equal(q1(e.path, sql), 1);
    sleep_ms(60);
    assert_int_equal(ox_service_on_timer(e.s, OX_TIMER_REDELIVER), OX_OK);
    assert_int_equal(assert_deliver(r, 2, OX_PAY_QUEUE, 2, 1), d2);
    snprintf(sql, sizeof sql, "SELECT redeliveries FROM message WHERE id=%lld", (long long)d2);
    assert_int_equal(q1(e.path, sql), 1);
    ox_service_close(e.s);

    /* a restart delivers what was not acked, with the same ids, in order */
    rec_clear(r);
    e = brk_open(r, &c);
    assert_string_equal(rec_detail(r, "recover"), "incarnation 2: 2 messages restored");
    assert_int_equal(ox_service_start(e.s), OX_OK);
    assert_int_equal(r->nsent, 1);
    assert_true(assert_deliver(r, 0, OX_PAY_QUEUE, 2, 1) == d2);
    assert_int_equal(r->ntimers, 1);
    assert_int_equal(publish(e.s, OX_PAY_QUEUE, 4), OX_OK);
    assert_int_equal(stored(e.path), 3);
    /* the DACK from the previous life acks the restored message */
    assert_int_equal(dack(e.s, OX_PAY_QUEUE, d2), OX_OK);
    assert_int_equal(rec_count(r, "ack"), 1);
    uint64_t d3 = assert_deliver(r, 1, OX_PAY_QUEUE, 3, 0);
    assert_true(d3 >> 32 == 1 && d3 > d2);
    assert_int_equal(stored(e.path), 2);
    assert_int_equal(dack(e.s, OX_PAY_QUEUE, d3), OX_OK);
    uint64_t d4 = assert_deliver(r, 2, OX_PAY_QUEUE, 4, 0);
    assert_true(d4 >> 32 == 2);
    ox_service_close(e.s);

    /* reopened at-most-once, the stored message is sent once and dropped */
    c.delivery = OX_AT_MOST_ONCE;
    rec_clear(r);
    e = brk_open(r, &c);
    assert_int_equal(ox_service_start(e.s), OX_OK);
    assert_int_equal(r->nsent, 1);
    assert_true(assert_deliver(r, 0, OX_PAY_QUEUE, 4, 0) == d4);
    assert_int_equal(stored(e.path), 0);
    ox_service_close(e.s);
}

static void test_delivery_ids_unique_across_reopens(void **state) {
    rec *r = *state;
    uint64_t by_msg[50] = { 0 };          /* msg id -> the delivery id it got when enqueued */
    uint64_t last = 0;
    const int durable[] = { 0, 0, 1, 1 };
    for (int life = 0; life < 4; life++) {
        ox_config c = brk_cfg(60000, 100, durable[life]);
        brk_env e = brk_open(r, &c);
        rec_clear(r);
        assert_int_equal(ox_service_start(e.s), OX_OK);
        for (uint64_t m = 1; m <= 3; m++)
            assert_int_equal(publish(e.s, OX_ACC_QUEUE, 10 * (uint64_t)life + m), OX_OK);
        for (int i = 0; i < r->nsent; i++) {
            uint64_t msg = r->sent[i].msg.msg_id, id = r->sent[i].delivery;
            if (msg / 10 == (uint64_t)life) {
                /* enqueued in this life: a new id, above every id given out before */
                assert_true(id > last);
                assert_true(id >> 32 == (uint64_t)life + 1);
                last = id;
                by_msg[msg] = id;
            } else {
                /* restored from the durable table: the id it was given then */
                assert_int_equal(life, 3);
                assert_true(msg / 10 == 2 && id == by_msg[msg]);
            }
        }
        assert_int_equal(r->nsent, life == 3 ? 6 : 3);
        ox_service_close(e.s);
    }
}

/* ---- limits and rejects ---- */

static void test_queue_full_drops(void **state) {
    rec *r = *state;
    ox_config c = brk_cfg(60000, 1, 0);
    brk_env e = brk_open(r, &c);
    rec_clear(r);
    for (uint64_t m = 1; m <= 100000; m++) assert_int_equal(publish(e.s, OX_PAY_QUEUE, m), OX_OK);
    uint64_t first = assert_deliver(r, 0, OX_PAY_QUEUE, 1, 0);
    rec_clear(r);
    assert_int_equal(publish(e.s, OX_PAY_QUEUE, 100001), OX_OK);
    assert_int_equal(rec_count(r, "queue_full"), 1);
    assert_int_equal(rec_count(r, "enqueue"), 0);
    assert_int_equal(dack(e.s, OX_PAY_QUEUE, first), OX_OK);
    assert_deliver(r, 0, OX_PAY_QUEUE, 2, 0);
    assert_int_equal(publish(e.s, OX_PAY_QUEUE, 100002), OX_OK);   /* room again */
    assert_int_equal(rec_count(r, "enqueue"), 1);
    assert_int_equal(rec_count(r, "queue_full"), 1);
    ox_service_close(e.s);
}

static void test_broker_rejects(void **state) {
    rec *r = *state;
    ox_config c = brk_cfg(60000, 10, 1);
    brk_env e = brk_open(r, &c);
    rec_clear(r);
    assert_int_equal(publish(e.s, "NOPE", 1), OX_ERR_FRAME);
    assert_string_equal(ox_service_error(e.s),
                        "frame from accounting rejected: PUBLISH to unknown queue 'NOPE'");
    assert_int_equal(r->nfp, 0);
    ox_msg m;
    memset(&m, 0, sizeof m);
    m.kind = OX_M_PAYMENT;
    ox_frame f = frame_of(OX_F_DELIVER, OX_PAY_QUEUE, 1, &m);
    assert_int_equal(feed(e.s, "payment", &f), OX_ERR_FRAME);
    assert_string_equal(ox_service_error(e.s),
                        "frame from payment rejected: broker does not accept DELIVER");
    assert_int_equal(dack(e.s, "NOPE", 1), OX_ERR_FRAME);
    uint8_t bytes[OX_FRAME_MAX + 1];
    memset(bytes, 0, sizeof bytes);
    assert_int_equal(ox_service_on_frame(e.s, "payment", bytes, sizeof bytes), OX_ERR_FRAME);
    assert_string_equal(ox_service_error(e.s),
                        "frame from payment rejected: oversized frame (513 bytes)");
    assert_int_equal(rec_count(r, "reject"), 4);
    assert_int_equal(r->nsent + r->ntimers, 0);
    assert_int_equal(stored(e.path), 0);
    assert_int_equal(ox_service_on_timer(e.s, OX_TIMER_SCAN), OX_ERR_ROLE);
    assert_int_equal(ox_service_pay(e.s, 1, 1, 1), OX_ERR_ROLE);
    /* no group commit: a failed group could not roll the in-memory queues back */
    assert_int_equal(ox_service_group_begin(e.s), OX_ERR_ROLE);
    assert_non_null(strstr(ox_service_error(e.s), "broker: no group commit"));
    ox_service_close(e.s);
}

/* ---- whose file is it ---- */

/* Opening `path` as a broker fails with `want`, and leaves the file as it was. */
static void assert_refused_untouched(rec *r, const char *path, const char *want_suffix) {
    static char before[1 << 16], after[1 << 16];
    size_t nb, na;
    read_file(path, before, sizeof before, &nb);
    ox_config c = brk_cfg(60000, 10, 1);
    ox_io io = rec_io(r);
    char err[512] = "";
    assert_null(ox_service_open(OX_ROLE_BROKER, path, &c, &io, err, sizeof err));
    char want[700];
    snprintf(want, sizeof want, "%s: %s", path, want_suffix);
    assert_string_equal(err, want);
    read_file(path, after, sizeof after, &na);
    assert_int_equal(na, nb);
    assert_memory_equal(after, before, nb);
    char side[300];
    snprintf(side, sizeof side, "%s-wal", path);
    assert_false(exists(side));
    snprintf(side, sizeof side, "%s-journal", path);
    assert_false(exists(side));
}

static void make_db(const char *path, const char *sql) {
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

static void test_foreign_databases_refused_untouched(void **state) {
    rec *r = *state;
    char path[256];
    db_path(r, "other.db", path, sizeof path);
    make_db(path, "CREATE TABLE notes(x TEXT); INSERT INTO notes VALUES('keep me');"
                  "PRAGMA application_id=305419896; PRAGMA user_version=7;");
    assert_refused_untouched(
        r, path, "not an outbox-lab broker database (application_id 0x12345678, user_version 7)");

    db_path(r, "plain.db", path, sizeof path);
    make_db(path, "CREATE TABLE notes(x TEXT);");
    assert_refused_untouched(
        r, path, "not an outbox-lab broker database (application_id 0x0, user_version 0)");

    db_path(r, "text.db", path, sizeof path);
    FILE *fh = fopen(path, "w");
    assert_non_null(fh);
    for (int i = 0; i < 100; i++) fputs("not sqlite at all\n", fh);
    fclose(fh);
    assert_refused_untouched(r, path, "not an outbox-lab broker database (not an SQLite file)");

    /* another role's database */
    db_path(r, "payment.db", path, sizeof path);
    ox_config c;
    ox_config_default(&c);
    ox_service *p = open_svc(r, OX_ROLE_PAYMENT, path, &c);
    assert_int_equal(ox_service_pay(p, 1, 1, 1), OX_OK);
    ox_service_close(p);
    assert_refused_untouched(r, path,
                             "not an outbox-lab broker database (application_id 0x4f58424c, "
                             "user_version 101); it is the payment database");
    assert_int_equal(q1(path, "SELECT count(*) FROM payment"), 1);

    /* an empty file is a new database */
    db_path(r, "empty.db", path, sizeof path);
    fh = fopen(path, "w");
    fclose(fh);
    c = brk_cfg(60000, 10, 1);
    brk_env e = { open_svc(r, OX_ROLE_BROKER, path, &c), "" };
    ox_service_close(e.s);
    assert_int_equal(q1(path, "PRAGMA application_id"), OX_APP_ID);
    assert_int_equal(q1(path, "PRAGMA user_version"), OX_SCHEMA_BROKER);
    assert_int_equal(q1(path, "SELECT count(*) FROM sqlite_schema WHERE name='message'"), 1);
}

/* ---- the three services together over a loss-free in-process network ---- */

#define NET_MAX 4096

typedef struct net net;
typedef struct { net *n; const char *name; } node;
struct net {
    ox_service *svc[3];                /* payment, broker, accounting */
    node nodes[3];
    struct { int to; uint8_t bytes[OX_FRAME_MAX]; size_t len; const char *from; } q[NET_MAX];
    int head, tail;
    int frames, events;
};

static int node_index(const char *name) {
    if (strcmp(name, "payment") == 0) return 0;
    if (strcmp(name, "broker") == 0) return 1;
    assert_string_equal(name, "accounting");
    return 2;
}

static void net_send(void *ctx, const char *to, const uint8_t *bytes, size_t len,
                     const ox_frame *f) {
    node *me = ctx;
    net *n = me->n;
    assert_true(n->tail < NET_MAX);
    n->q[n->tail].to = node_index(to);
    memcpy(n->q[n->tail].bytes, bytes, len);
    n->q[n->tail].len = len;
    n->q[n->tail].from = me->name;
    n->tail++;
}

static void net_timer(void *ctx, int id, int64_t delay_ms) {}

static void net_event(void *ctx, const char *kind, uint64_t pay, const char *detail) {
    node *me = ctx;
    me->n->events++;
    assert_string_not_equal(kind, "reject");          /* the services understand each other */
}

static void net_run(net *n) {
    while (n->head < n->tail) {
        int i = n->head++;
        assert_int_equal(
            ox_service_on_frame(n->svc[n->q[i].to], n->q[i].from, n->q[i].bytes, n->q[i].len),
            OX_OK);
        n->frames++;
    }
}

static void test_three_services_converge(void **state) {
    rec *r = *state;
    net *n = calloc(1, sizeof *n);
    assert_non_null(n);
    const char *names[3] = { "payment", "broker", "accounting" };
    const ox_role roles[3] = { OX_ROLE_PAYMENT, OX_ROLE_BROKER, OX_ROLE_ACCOUNTING };
    char paths[3][256];
    ox_config c;
    ox_config_default(&c);
    c.frozen[0] = 13;
    c.nfrozen = 1;
    for (int i = 0; i < 3; i++) {
        n->nodes[i] = (node){ n, names[i] };
        char file[32];
        snprintf(file, sizeof file, "%s.db", names[i]);
        db_path(r, file, paths[i], sizeof paths[i]);
        ox_io io = { &n->nodes[i], net_send, net_timer, net_event, NULL, NULL };
        char err[512];
        n->svc[i] = ox_service_open(roles[i], paths[i], &c, &io, err, sizeof err);
        assert_non_null(n->svc[i]);
        assert_int_equal(ox_service_start(n->svc[i]), OX_OK);
    }
    for (uint64_t p = 1; p <= 20; p++) {
        assert_int_equal(ox_service_pay(n->svc[0], p, p == 7 ? 13 : 3, 100 * (int64_t)p), OX_OK);
        net_run(n);
    }
    /* every payment settled: 19 consumed with one voucher each, 1 refused and refunded */
    assert_int_equal(q1(paths[0], "SELECT count(*) FROM outbox WHERE status='CONSUMED'"), 19);
    assert_int_equal(
        q1(paths[0], "SELECT count(*) FROM outbox WHERE status='FAILED' AND payment_id=7"), 1);
    assert_int_equal(q1(paths[0], "SELECT count(*) FROM payment WHERE status='REFUNDED' AND id=7"),
                     1);
    assert_int_equal(q1(paths[0], "SELECT count(*) FROM refund WHERE payment_id=7 AND amount=700"),
                     1);
    assert_int_equal(q1(paths[2], "SELECT count(*) FROM voucher"), 19);
    assert_int_equal(q1(paths[2], "SELECT count(*) FROM voucher WHERE payment_id=7"), 0);
    /* 20 payments x (publish, deliver, answer, dack, deliver, dack) */
    assert_int_equal(n->frames, 20 * 6);
    for (int i = 0; i < 3; i++) ox_service_close(n->svc[i]);
    free(n);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_redelivery_after_visibility_then_ack, setup_dir,
                                        teardown_dir),
        cmocka_unit_test_setup_teardown(test_prefetch_window_in_fifo_order, setup_dir,
                                        teardown_dir),
        cmocka_unit_test_setup_teardown(test_at_most_once_forgets, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_memory_queues_lost_on_reopen, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_durable_restored_on_reopen, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_delivery_ids_unique_across_reopens, setup_dir,
                                        teardown_dir),
        cmocka_unit_test_setup_teardown(test_queue_full_drops, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_broker_rejects, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_foreign_databases_refused_untouched, setup_dir,
                                        teardown_dir),
        cmocka_unit_test_setup_teardown(test_three_services_converge, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_injected_internal_loss, setup_dir, teardown_dir),
    };
    return cmocka_run_group_tests_name("broker", tests, NULL, NULL);
}
