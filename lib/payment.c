/*
** payment.c: the payment service's requests and answers (see payment.h).
**
** pay() keeps the pattern's one promise: the payment row and its outbox row commit
** together or not at all, and the message is published only after COMMIT (design
** `outbox`).  The weaker designs differ in exactly one place each, as real mistakes
** do: `direct` writes no outbox row, `publish-in-tx` publishes before COMMIT,
** `mark-on-publish` treats "sent" as "done", `ok-before-commit` tells the client OK once
** the rows are written, whatever COMMIT then does, `answer-unguarded` applies an answer
** with no status guard (`WHERE id=?`), so every copy of an answer rewrites the row again,
** a settled one too.
**
** The answers from accounting are idempotent by their WHERE clauses: a row leaves
** SENDING (or DEAD) once, so a duplicate CONSUMED or CONSUME_FAILED changes nothing,
** and the refund is written only in the transaction that moved the row to FAILED.
*/
#include "payment.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "ordered.h"
#include "retry.h"

typedef unsigned long long ull;
typedef long long ll;

static int is_direct(const ox_service *s) { return s->cfg.design == OX_DESIGN_DIRECT; }

int ox_payment_has_scan(const ox_service *s) {
    if (s->role == OX_ROLE_PAYMENT && s->cfg.relays > 0) return 0;   /* the relays scan */
    return s->cfg.design != OX_DESIGN_DIRECT && s->cfg.design != OX_DESIGN_OUTBOX_NO_RECOVERY;
}

/* ---- completion (knob completion, config.h) ----
** What the answer's transaction does with a row it just finished (CONSUMED, or FAILED
** with its refund): `mark` keeps it (the seed's design); `delete` deletes it, and the
** trigger outbox_tombstone keeps its tombstone (schema.h) in the same transaction;
** `archive` copies it into outbox_archive, then deletes it the same way.  Finishing and
** completing are one transaction, so no crash leaves a finished row half completed, and
** a duplicate answer finds no SENDING or DEAD row either way. */

/* outbox_archive (schema.h) exists only in a file a service with completion=archive
** opened: created here, not with the other tables (store.c), so that the files of every
** other configuration stay byte for byte what they were (the simulated disk's power cuts
** count their bytes). */
static ox_status create_archive(ox_service *s) {
    sqlite3_stmt *q = NULL;
    ox_status r = ox_store_prepare(&s->store, &q,
        "CREATE TABLE IF NOT EXISTS outbox_archive(id INTEGER PRIMARY KEY,"
        " payment_id INTEGER NOT NULL UNIQUE, status TEXT NOT NULL,"
        " attempts INTEGER NOT NULL, payload BLOB NOT NULL, created_at INTEGER NOT NULL,"
        " updated_at INTEGER NOT NULL) STRICT");
    if (!r) r = ox_store_run(&s->store, q, "create outbox_archive", NULL);
    ox_store_finalize(&q);
    return r;
}

static ox_status prepare_completion(ox_service *s) {
    struct ox_payment *p = s->pay;
    assert(p->archive_row == NULL);
    assert(p->delete_row == NULL);
    if (s->cfg.completion == OX_COMPLETE_MARK) return OX_OK;
    ox_status r = ox_store_prepare(&s->store, &p->delete_row,
        "DELETE FROM outbox WHERE id=?1 AND status IN ('CONSUMED', 'FAILED')");
    if (r || s->cfg.completion != OX_COMPLETE_ARCHIVE) return r;
    r = create_archive(s);
    if (!r) r = ox_store_prepare(&s->store, &p->archive_row,
        "INSERT INTO outbox_archive(id, payment_id, status, attempts, payload, created_at,"
        " updated_at) SELECT id, payment_id, status, attempts, payload, created_at, updated_at"
        " FROM outbox WHERE id=?1 AND status IN ('CONSUMED', 'FAILED')");
    return r;
}

/* In the caller's transaction, right after it moved row m->msg_id to a final state. */
static ox_status complete_row(ox_service *s, const ox_msg *m) {
    struct ox_payment *p = s->pay;
    ox_completion mode = s->cfg.completion;
    assert(mode <= OX_COMPLETE_ARCHIVE);
    assert(s->store.db != NULL);
    if (mode == OX_COMPLETE_MARK) return OX_OK;
    int n = 0;
    ox_status r = OX_OK;
    if (mode == OX_COMPLETE_ARCHIVE) {
        sqlite3_bind_int64(p->archive_row, 1, (sqlite3_int64)m->msg_id);
        r = ox_store_run(&s->store, p->archive_row, "archive outbox row", &n);
        if (r) return r;
        assert(n == 1);   /* the caller's UPDATE just made it final */
    }
    sqlite3_bind_int64(p->delete_row, 1, (sqlite3_int64)m->msg_id);
    r = ox_store_run(&s->store, p->delete_row, "delete outbox row", &n);
    assert(r || n == 1);
    return r;
}

/* The "complete" note, once the transaction committed (sim/check/history.h). */
static void report_completion(ox_service *s, const ox_msg *m, const char *status) {
    if (s->cfg.completion == OX_COMPLETE_MARK) return;
    ox_svc_event(s, "complete", m->pay_id, "msg %llu %s: %s", (ull)m->msg_id,
                 s->cfg.completion == OX_COMPLETE_DELETE ? "deleted" : "archived", status);
}

/* The answer CONSUMED: an autocommit UPDATE under mark, a transaction with the
** completion otherwise.  *changed: the row was SENDING or DEAD. */
static ox_status finish_consumed(ox_service *s, const ox_msg *m, int64_t now, int *changed) {
    struct ox_payment *p = s->pay;
    int tx = s->cfg.completion != OX_COMPLETE_MARK;
    ox_status r = tx ? ox_store_begin(&s->store) : OX_OK;
    if (r) return r;
    sqlite3_bind_int64(p->mark_consumed, 1, now);
    sqlite3_bind_int64(p->mark_consumed, 2, (sqlite3_int64)m->msg_id);
    sqlite3_bind_int64(p->mark_consumed, 3, (sqlite3_int64)m->pay_id);
    r = ox_store_run(&s->store, p->mark_consumed, "mark outbox row CONSUMED", changed);
    if (!r && *changed) r = complete_row(s, m);
    if (!tx) return r;
    if (r) { ox_store_rollback(&s->store); *changed = 0; return r; }
    return ox_store_commit(&s->store);
}

/* ---- open / close ---- */

static ox_status prepare(ox_service *s) {
    struct ox_payment *p = s->pay;
    ox_store *st = &s->store;
    ox_status r = ox_store_prepare(st, &p->find_payment, "SELECT 1 FROM payment WHERE id=?1");
    if (!r)
        r = ox_store_prepare(st, &p->ins_payment,
                             "INSERT INTO payment(id, account, amount, status, created_at) "
                             "VALUES(?1, ?2, ?3, 'PAID', ?4)");
    if (!r) r = ox_store_prepare(st, &p->ins_outbox,
        "INSERT INTO outbox(payment_id, status, attempts, next_attempt_at, payload, created_at,"
        " updated_at) VALUES(?1, 'SENDING', 1, ?2, x'', ?3, ?3)");
    if (!r) r = ox_store_prepare(st, &p->set_payload, "UPDATE outbox SET payload=?1 WHERE id=?2");
    /* answer-unguarded: the handler that trusts the broker to deliver each answer once */
    int guard = s->cfg.design != OX_DESIGN_ANSWER_UNGUARDED;
    if (!r) r = ox_store_prepare(st, &p->mark_consumed, guard
        ? "UPDATE outbox SET status='CONSUMED', updated_at=?1"
          " WHERE id=?2 AND payment_id=?3 AND status IN ('SENDING', 'DEAD')"
        : "UPDATE outbox SET status='CONSUMED', updated_at=?1 WHERE id=?2 AND payment_id=?3");
    if (!r) r = ox_store_prepare(st, &p->mark_failed, guard
        ? "UPDATE outbox SET status='FAILED', updated_at=?1"
          " WHERE id=?2 AND payment_id=?3 AND status IN ('SENDING', 'DEAD')"
        : "UPDATE outbox SET status='FAILED', updated_at=?1 WHERE id=?2 AND payment_id=?3");
    if (!r) r = ox_store_prepare(st, &p->refund_payment,
        "UPDATE payment SET status='REFUNDED' WHERE id=?1 AND status='PAID'");
    if (!r) r = ox_store_prepare(st, &p->ins_refund,
        "INSERT INTO refund(payment_id, amount, reason, created_at)"
        " SELECT id, amount, ?2, ?3 FROM payment WHERE id=?1 ON CONFLICT DO NOTHING");
    if (!r) r = ox_store_prepare(st, &p->count_sending,
        "SELECT count(*) FROM outbox WHERE status='SENDING'");
    if (!r) r = ox_payment_prepare_scan(s);
    if (!r && s->cfg.design == OX_DESIGN_ORDERED) r = ox_ordered_open(s);
    if (!r) r = prepare_completion(s);
    return r;
}

/* The "recover" event: what a restart finds left to do. */
static ox_status report_recovery(ox_service *s) {
    struct ox_payment *p = s->pay;
    int r = ox_store_row(&s->store, p->count_sending, "count SENDING rows");
    if (r < 0) return OX_ERR_DB;
    assert(r == 1);   /* count(*) always gives a row */
    ll n = sqlite3_column_int64(p->count_sending, 0);
    ox_store_reset(p->count_sending);
    ox_svc_event(s, "recover", 0, "%lld outbox rows SENDING (design %s)", n,
                 ox_design_name(s->cfg.design));
    return OX_OK;
}

ox_status ox_payment_open(ox_service *s) {
    assert(s->role == OX_ROLE_PAYMENT || s->role == OX_ROLE_RELAY);   /* relay.c: its rows */
    assert(s->pay == NULL);
    assert(s->cfg.scan_batch >= 1);
    assert(s->cfg.scan_batch <= 10000);
    s->pay = calloc(1, sizeof *s->pay);
    if (!s->pay) return ox_svc_fail(s, OX_ERR_NOMEM, "payment: out of memory");
    s->pay->due = calloc((size_t)s->cfg.scan_batch, sizeof *s->pay->due);
    s->pay->gone = calloc((size_t)s->cfg.scan_batch, sizeof *s->pay->gone);
    if (!s->pay->due || !s->pay->gone)
        return ox_svc_fail(s, OX_ERR_NOMEM, "payment: out of memory");
    ox_status r = prepare(s);
    if (r || s->role == OX_ROLE_RELAY) return r;   /* the recover note is the payment's */
    return report_recovery(s);
}

void ox_payment_close(ox_service *s) {
    struct ox_payment *p = s->pay;
    assert(p != NULL);
    sqlite3_stmt **all[] = {
        &p->find_payment, &p->ins_payment, &p->ins_outbox, &p->set_payload, &p->mark_consumed,
        &p->mark_failed, &p->refund_payment, &p->ins_refund, &p->scan, &p->reschedule,
        &p->publish_done, &p->mark_dead, &p->ins_alert, &p->count_sending, &p->cleanup,
        &p->archive_row, &p->delete_row,
    };
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) ox_store_finalize(all[i]);
    ox_ordered_close(s);
    free(p->due);
    free(p->gone);
    free(p);
    s->pay = NULL;
}

ox_status ox_payment_start(ox_service *s) {
    if (ox_payment_has_scan(s)) ox_svc_timer(s, OX_TIMER_SCAN, s->cfg.scan_interval_ms);
    return OX_OK;
}

ox_status ox_payment_on_timer(ox_service *s, int id) {
    if (id != OX_TIMER_SCAN) return ox_svc_fail(s, OX_ERR_ROLE, "payment: no timer %d", id);
    if (!ox_payment_has_scan(s)) return OX_OK;   /* this design has no recovery */
    return ox_payment_scan(s);
}

/* ---- pay ---- */

static ox_status exists(ox_service *s, uint64_t pay_id, int *found) {
    sqlite3_bind_int64(s->pay->find_payment, 1, (sqlite3_int64)pay_id);
    int r = ox_store_row(&s->store, s->pay->find_payment, "look up payment");
    if (r < 0) return OX_ERR_DB;
    *found = r;
    /* Found: the statement stopped on its row and must be reset, or it keeps its read
    ** transaction open and the connection on that snapshot; once another connection
    ** commits (a relay's claim), every write here fails with SQLITE_BUSY.  Design
    ** lookup-left-open forgets it, as an unfinished cursor of a driver does. */
    if (r && s->cfg.design != OX_DESIGN_LOOKUP_LEFT_OPEN) ox_store_reset(s->pay->find_payment);
    return OX_OK;
}

/* The outbox row, then its payload (the payload carries the row's own id). */
static ox_status insert_outbox(ox_service *s, ox_msg *m, int64_t now) {
    struct ox_payment *p = s->pay;
    assert(!is_direct(s));
    assert(m->kind == OX_M_PAYMENT);
    assert(m->attempt == 1);   /* the payload is attempt 1; the scan sets later ones */
    sqlite3_bind_int64(p->ins_outbox, 1, (sqlite3_int64)m->pay_id);
    sqlite3_bind_int64(p->ins_outbox, 2, now + ox_retry_interval(&s->cfg, &s->prng, 1));
    sqlite3_bind_int64(p->ins_outbox, 3, now);
    ox_status r = ox_store_run(&s->store, p->ins_outbox, "insert outbox row", NULL);
    if (r) return r;
    m->msg_id = (uint64_t)sqlite3_last_insert_rowid(s->store.db);
    assert(m->msg_id > 0);

    ox_frame f = ox_wire_publish(OX_PAY_QUEUE, m);
    uint8_t buf[OX_FRAME_MAX];
    ox_wire_err e;
    size_t n = ox_wire_encode(&f, buf, sizeof buf, &e);
    assert(n > 0);
    assert(e == OX_WIRE_OK);
    int bound = sqlite3_bind_blob(p->set_payload, 1, buf, (int)n, SQLITE_TRANSIENT);
    sqlite3_bind_int64(p->set_payload, 2, (sqlite3_int64)m->msg_id);
    int changed = 0;
    r = ox_store_bound(&s->store, p->set_payload, bound, "store outbox payload");
    if (!r) r = ox_store_run(&s->store, p->set_payload, "store outbox payload", &changed);
    assert(r || changed == 1);
    return r;
}

static ox_status insert_rows(ox_service *s, ox_msg *m, int64_t now) {
    struct ox_payment *p = s->pay;
    sqlite3_bind_int64(p->ins_payment, 1, (sqlite3_int64)m->pay_id);
    sqlite3_bind_int64(p->ins_payment, 2, m->account);
    sqlite3_bind_int64(p->ins_payment, 3, m->amount);
    sqlite3_bind_int64(p->ins_payment, 4, now);
    ox_status r = ox_store_run(&s->store, p->ins_payment, "insert payment", NULL);
    if (r) return r;
    if (is_direct(s)) { m->msg_id = m->pay_id; return OX_OK; }   /* no outbox row */
    return insert_outbox(s, m, now);
}

void ox_payment_publish(ox_service *s, const ox_msg *m) {
    assert(m->kind == OX_M_PAYMENT);
    assert(m->attempt >= 1);
    ox_svc_publish(s, OX_PAY_QUEUE, m);
    ox_svc_event(s, "publish", m->pay_id, "msg %llu attempt %u to PAY_QUEUE",
                 (ull)m->msg_id, m->attempt);
}

static void report_commit(ox_service *s, const ox_msg *m) {
    if (is_direct(s))
        ox_svc_event(s, "commit", m->pay_id,
                     "payment %llu: %lld cents from account %u (no outbox row)", (ull)m->pay_id,
                     (ll)m->amount, m->account);
    else
        ox_svc_event(s, "commit", m->pay_id,
                     "payment %llu: %lld cents from account %u, outbox row %llu", (ull)m->pay_id,
                     (ll)m->amount, m->account, (ull)m->msg_id);
}

/* After COMMIT: the first publication (all designs but publish-in-tx).  The payment
** is committed whatever happens here, so pay() succeeds: a mark that fails leaves the
** row SENDING, which only means the scan publishes it again. */
static void publish_first(ox_service *s, const ox_msg *m, int64_t now) {
    ox_payment_publish(s, m);
    if (s->cfg.design == OX_DESIGN_MARK_ON_PUBLISH
        && ox_payment_mark_published(s, (int64_t)m->msg_id, m->attempt, now) != OX_OK)
        ox_svc_event(s, "error", m->pay_id, "%s", s->err);
    ox_svc_failpoint(s, "payment.after_publish");
}

/* The injected business error (io.h, OX_SITE_PAYMENT_ROLLBACK): the payment and outbox
** rows are written, and the transaction rolls back instead of committing.  The client is
** told FAILED, except under ok-before-commit, whose OK went out with the rows written. */
static ox_status roll_back(ox_service *s, const ox_msg *m) {
    ox_store_rollback(&s->store);
    ox_svc_event(s, "rollback", m->pay_id,
                 "payment %llu: business error before COMMIT (injected): rolled back",
                 (ull)m->pay_id);
    if (s->cfg.design == OX_DESIGN_OK_BEFORE_COMMIT) return OX_OK;
    return ox_svc_fail(s, OX_ERR_REFUSED, "pay %llu: business error before COMMIT, rolled back",
                       (ull)m->pay_id);
}

static ox_status check_request(ox_service *s, uint64_t pay_id, int64_t amount) {
    if (amount <= 0)
        return ox_svc_fail(s, OX_ERR_REFUSED, "pay %llu: amount must be > 0, got %lld",
                           (ull)pay_id, (ll)amount);
    if (pay_id > (uint64_t)INT64_MAX)
        return ox_svc_fail(s, OX_ERR_REFUSED, "pay %llu: payment id over 2^63-1", (ull)pay_id);
    return OX_OK;
}

ox_status ox_payment_pay(ox_service *s, uint64_t pay_id, uint32_t account, int64_t amount) {
    assert(s->pay != NULL);
    ox_status r = check_request(s, pay_id, amount);
    if (r) return r;
    int64_t now = ox_now_ms();
    ox_msg m = { .kind = OX_M_PAYMENT, .pay_id = pay_id, .account = account, .amount = amount,
                 .attempt = 1 };
    int found = 0;
    if ((r = ox_store_begin(&s->store))) return r;
    r = exists(s, pay_id, &found);
    if (!r && found) {
        ox_store_rollback(&s->store);
        ox_svc_event(s, "duplicate", pay_id, "payment %llu already recorded: no change",
                     (ull)pay_id);
        return OX_OK;
    }
    if (!r) r = insert_rows(s, &m, now);
    int held = 0;   /* design ordered: an earlier message of the account is unsettled */
    if (!r && s->cfg.design == OX_DESIGN_ORDERED) r = ox_ordered_hold(s, &m, now, &held);
    if (r) { ox_store_rollback(&s->store); return r; }
    int in_tx = s->cfg.design == OX_DESIGN_PUBLISH_IN_TX;
    if (in_tx) {
        ox_payment_publish(s, &m);
        ox_svc_failpoint(s, "payment.before_commit");
    }
    if (ox_svc_inject(s, OX_SITE_PAYMENT_ROLLBACK)) return roll_back(s, &m);
    if ((r = ox_store_commit(&s->store)))
        return s->cfg.design == OX_DESIGN_OK_BEFORE_COMMIT ? OX_OK : r;   /* told OK already */
    report_commit(s, &m);
    if (held) ox_ordered_note_hold(s, &m);
    ox_svc_failpoint(s, "payment.after_commit");
    if (!in_tx && !held) publish_first(s, &m, now);
    return OX_OK;
}

/* ---- answers on ACC_QUEUE ---- */

static ox_status consumed(ox_service *s, const ox_msg *m, int64_t now) {
    assert(m->kind == OX_M_CONSUMED);
    if (is_direct(s)) {
        ox_svc_event(s, "consumed", m->pay_id, "msg %llu consumed (design direct: no outbox row)",
                     (ull)m->msg_id);
        return OX_OK;
    }
    int changed = 0;
    ox_status r = finish_consumed(s, m, now, &changed);
    if (r) return r;
    assert(changed == 0 || changed == 1);   /* id is the primary key */
    if (changed) {
        ox_svc_event(s, "consumed", m->pay_id, "msg %llu marked CONSUMED", (ull)m->msg_id);
        report_completion(s, m, "CONSUMED");
        if (s->cfg.design == OX_DESIGN_ORDERED) ox_ordered_release(s, m->pay_id, now);
    } else {
        ox_svc_event(s, "duplicate", m->pay_id,
                     "CONSUMED for msg %llu: no SENDING or DEAD row, no change", (ull)m->msg_id);
    }
    return OX_OK;
}

/* Refund the payment, in the caller's transaction.  *changed: it was PAID. */
static ox_status refund(ox_service *s, const ox_msg *m, int64_t now, int *changed) {
    struct ox_payment *p = s->pay;
    sqlite3_bind_int64(p->refund_payment, 1, (sqlite3_int64)m->pay_id);
    ox_status r = ox_store_run(&s->store, p->refund_payment, "mark payment REFUNDED", changed);
    if (r || !*changed) return r;
    sqlite3_bind_int64(p->ins_refund, 1, (sqlite3_int64)m->pay_id);
    int bound = sqlite3_bind_text(p->ins_refund, 2, m->reason, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(p->ins_refund, 3, now);
    r = ox_store_bound(&s->store, p->ins_refund, bound, "insert refund");
    return r ? r : ox_store_run(&s->store, p->ins_refund, "insert refund", NULL);
}

/* FAILED + refund in one transaction; *done: this call made the change, *refunded: and
** the refund (the same but under answer-unguarded, whose FAILED can be written again). */
static ox_status fail_and_refund(ox_service *s, const ox_msg *m, int64_t now, int *done,
                                 int *refunded) {
    struct ox_payment *p = s->pay;
    *refunded = 0;
    *done = 0;
    ox_status r = ox_store_begin(&s->store);
    if (r) return r;
    if (is_direct(s)) {
        r = refund(s, m, now, refunded);
        *done = *refunded;
    } else {
        sqlite3_bind_int64(p->mark_failed, 1, now);
        sqlite3_bind_int64(p->mark_failed, 2, (sqlite3_int64)m->msg_id);
        sqlite3_bind_int64(p->mark_failed, 3, (sqlite3_int64)m->pay_id);
        r = ox_store_run(&s->store, p->mark_failed, "mark outbox row FAILED", done);
        if (!r && *done) r = refund(s, m, now, refunded);
        if (!r && *done) r = complete_row(s, m);
    }
    if (r) { ox_store_rollback(&s->store); *done = *refunded = 0; return r; }
    assert(*done == 0 || *done == 1);
    assert(*refunded <= *done);   /* a refund only with the change that made it */
    return ox_store_commit(&s->store);
}

static ox_status consume_failed(ox_service *s, const ox_msg *m, int64_t now) {
    assert(m->kind == OX_M_CONSUME_FAILED);
    int done = 0, refunded = 0;
    ox_status r = fail_and_refund(s, m, now, &done, &refunded);
    if (r) return r;
    if (!done) {
        ox_svc_event(s, "duplicate", m->pay_id,
                     "CONSUME_FAILED for msg %llu: nothing left to fail, no change",
                     (ull)m->msg_id);
        return OX_OK;
    }
    if (!is_direct(s))
        ox_svc_event(s, "failed", m->pay_id, "msg %llu marked FAILED: %s", (ull)m->msg_id,
                     m->reason);
    if (refunded)
        ox_svc_event(s, "refund", m->pay_id, "payment %llu refunded: %s", (ull)m->pay_id,
                     m->reason);
    if (!is_direct(s)) report_completion(s, m, "FAILED");
    if (s->cfg.design == OX_DESIGN_ORDERED) ox_ordered_release(s, m->pay_id, now);
    return OX_OK;
}

ox_status ox_payment_on_frame(ox_service *s, const char *from, const ox_frame *f) {
    assert(s->pay != NULL);
    assert(from != NULL);
    const ox_msg *m = &f->msg;
    if (f->type != OX_F_DELIVER)
        return ox_svc_reject(s, from, 0, "payment does not accept %s", ox_wire_type_name(f->type));
    if (strcmp(f->queue, OX_ACC_QUEUE) != 0)
        return ox_svc_reject(s, from, m->pay_id,
                             "DELIVER from queue '%s' (payment subscribes to ACC_QUEUE)", f->queue);
    if (m->kind != OX_M_CONSUMED && m->kind != OX_M_CONSUME_FAILED)
        return ox_svc_reject(s, from, m->pay_id, "%s on ACC_QUEUE is not an answer",
                             ox_wire_kind_name(m->kind));
    int64_t now = ox_now_ms();
    ox_status r = m->kind == OX_M_CONSUMED ? consumed(s, m, now) : consume_failed(s, m, now);
    if (r && s->cfg.design == OX_DESIGN_SWALLOW_ERROR) r = OX_OK;   /* a catch-all: acked */
    if (r) return r;                    /* not acked: the broker will deliver it again */
    ox_svc_failpoint(s, "payment.after_consumed");
    ox_svc_dack(s, OX_ACC_QUEUE, f->delivery);
    return OX_OK;
}
