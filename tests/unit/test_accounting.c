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

/* ---- a recording host (io.h): every call kept for the asserts ---- */

/* (these helpers are shared, as text, by the service tests; not each uses all) */
#define MAYBE_UNUSED __attribute__((unused))

#define REC_MAX 512

typedef struct rec rec;
struct rec {
    char dir[64];                     /* the test's temporary directory */
    char to[REC_MAX][16];
    ox_frame sent[REC_MAX];
    int nsent;                        /* all sends, even past REC_MAX */
    int timer_id[REC_MAX];
    int64_t timer_delay[REC_MAX];
    int ntimers;
    char ev_kind[REC_MAX][24];
    uint64_t ev_pay[REC_MAX];
    char ev_detail[REC_MAX][200];
    int nev;
    char fp[REC_MAX][40];
    int nfp;
    /* optional checks run at the moment of a send or a failpoint */
    void (*on_send)(rec *r, const ox_frame *f);
    void (*on_failpoint)(rec *r, const char *name);
    int64_t scratch[8];               /* what those checks saw */
};

static void rec_send(void *ctx, const char *to, const uint8_t *bytes, size_t len, const ox_frame *f) {
    rec *r = ctx;
    ox_frame g;
    /* the bytes and the decoded frame handed to the host must agree */
    assert_int_equal(ox_wire_decode(bytes, len, &g), OX_WIRE_OK);
    assert_int_equal(g.type, f->type);
    assert_string_equal(g.queue, f->queue);
    assert_true(g.delivery == f->delivery && g.msg.msg_id == f->msg.msg_id);
    if (r->nsent < REC_MAX) {
        snprintf(r->to[r->nsent], sizeof r->to[0], "%s", to);
        r->sent[r->nsent] = g;
    }
    r->nsent++;
    if (r->on_send) r->on_send(r, f);
}

static void rec_timer(void *ctx, int id, int64_t delay_ms) {
    rec *r = ctx;
    assert_true(delay_ms >= 0);
    if (r->ntimers < REC_MAX) { r->timer_id[r->ntimers] = id; r->timer_delay[r->ntimers] = delay_ms; }
    r->ntimers++;
}

static void rec_event(void *ctx, const char *kind, uint64_t pay, const char *detail) {
    rec *r = ctx;
    assert_non_null(kind);
    assert_non_null(detail);
    assert_null(strchr(kind, ' '));          /* one word */
    assert_null(strchr(detail, '\n'));       /* one line */
    if (r->nev < REC_MAX) {
        snprintf(r->ev_kind[r->nev], sizeof r->ev_kind[0], "%s", kind);
        r->ev_pay[r->nev] = pay;
        snprintf(r->ev_detail[r->nev], sizeof r->ev_detail[0], "%s", detail);
    }
    r->nev++;
}

static void rec_failpoint(void *ctx, const char *name) {
    rec *r = ctx;
    if (r->nfp < REC_MAX) snprintf(r->fp[r->nfp], sizeof r->fp[0], "%s", name);
    r->nfp++;
    if (r->on_failpoint) r->on_failpoint(r, name);
}

static void rec_clear(rec *r) {
    r->nsent = r->ntimers = r->nev = r->nfp = 0;
    r->on_send = NULL;
    r->on_failpoint = NULL;
}

static ox_io rec_io(rec *r) {
    ox_io io = { r, rec_send, rec_timer, rec_event, rec_failpoint, NULL };
    return io;
}

MAYBE_UNUSED static int rec_count(const rec *r, const char *kind) {
    int n = 0;
    for (int i = 0; i < r->nev && i < REC_MAX; i++) n += strcmp(r->ev_kind[i], kind) == 0;
    return n;
}

/* The detail of the first event of `kind`, or NULL. */
MAYBE_UNUSED static const char *rec_detail(const rec *r, const char *kind) {
    for (int i = 0; i < r->nev && i < REC_MAX; i++)
        if (strcmp(r->ev_kind[i], kind) == 0) return r->ev_detail[i];
    return NULL;
}

/* ---- a temporary directory per test, removed with everything in it ---- */

static int setup_dir(void **state) {
    rec *r = calloc(1, sizeof *r);
    assert_non_null(r);
    snprintf(r->dir, sizeof r->dir, "/tmp/oxtest.XXXXXX");
    assert_non_null(mkdtemp(r->dir));
    *state = r;
    return 0;
}

static int teardown_dir(void **state) {
    rec *r = *state;
    DIR *d = opendir(r->dir);
    assert_non_null(d);
    struct dirent *e;
    char path[512];
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        snprintf(path, sizeof path, "%s/%s", r->dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    assert_int_equal(rmdir(r->dir), 0);
    free(r);
    return 0;
}

static void db_path(const rec *r, const char *name, char *out, size_t n) {
    snprintf(out, n, "%s/%s", r->dir, name);
}

/* ---- looking into a database from a second connection ---- */

MAYBE_UNUSED static int64_t q1(const char *path, const char *sql) {
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    sqlite3_busy_timeout(db, 2000);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) fail_msg("%s: no row (%d)", sql, rc);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

MAYBE_UNUSED static void exec_sql(const char *path, const char *sql) {
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    sqlite3_busy_timeout(db, 2000);
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) fail_msg("%s: %s", sql, err);
    sqlite3_close(db);
}

static ox_service *open_svc(rec *r, ox_role role, const char *path, const ox_config *c) {
    char err[512] = "";
    ox_io io = rec_io(r);
    ox_service *s = ox_service_open(role, path, c, &io, err, sizeof err);
    if (!s) fail_msg("open %s: %s", path, err);
    return s;
}

/* Hands the service a frame as its host would: encoded bytes from peer `from`. */
MAYBE_UNUSED static ox_status feed(ox_service *s, const char *from, const ox_frame *f) {
    uint8_t buf[OX_FRAME_MAX];
    ox_wire_err e;
    size_t n = ox_wire_encode(f, buf, sizeof buf, &e);
    assert_true(n > 0);
    return ox_service_on_frame(s, from, buf, n);
}

MAYBE_UNUSED static ox_frame frame_of(uint8_t type, const char *queue, uint64_t delivery, const ox_msg *m) {
    ox_frame f;
    memset(&f, 0, sizeof f);
    f.type = type;
    snprintf(f.queue, sizeof f.queue, "%s", queue);
    f.delivery = delivery;
    if (m) f.msg = *m;
    return f;
}

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
