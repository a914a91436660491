/*
** ordered.c: design `ordered`, one message in flight per account (see ordered.h).
**
** Every statement here is prepared at open under this design only, so the other
** designs' databases, statements and traces are untouched.  The payment service is the
** only writer of its database and runs one step at a time, so "the account's earliest
** unsettled row" read here cannot change under the caller.
*/
#include "ordered.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "retry.h"

typedef long long ll;
typedef unsigned long long ull;

struct ox_ordered {
    sqlite3_stmt *head;       /* the earliest unsettled row of an account but this payment's */
    sqlite3_stmt *mark_held;  /* attempts 0, due now */
    sqlite3_stmt *next;       /* the earliest unsettled row of a payment's account */
    sqlite3_stmt *behind;     /* the account of a payment, and its SENDING rows after a row */
};

static ox_status index_accounts(ox_service *s) {
    sqlite3_stmt *st = NULL;
    ox_status r = ox_store_prepare(&s->store, &st,
        "CREATE INDEX IF NOT EXISTS payment_account ON payment(account, id)");
    if (!r) r = ox_store_run(&s->store, st, "create index payment_account", NULL);
    ox_store_finalize(&st);
    return r;
}

ox_status ox_ordered_open(ox_service *s) {
    assert(s->cfg.design == OX_DESIGN_ORDERED);
    assert(s->pay != NULL);
    assert(s->pay->ord == NULL);
    struct ox_ordered *o = calloc(1, sizeof *o);
    if (!o) return ox_svc_fail(s, OX_ERR_NOMEM, "payment: out of memory");
    s->pay->ord = o;
    ox_store *st = &s->store;
    ox_status r = index_accounts(s);
    if (!r) r = ox_store_prepare(st, &o->head,
        "SELECT o.id FROM payment p JOIN outbox o ON o.payment_id=p.id"
        " WHERE p.account=?1 AND p.id<>?2 AND o.status IN ('SENDING', 'DEAD')"
        " ORDER BY o.id LIMIT 1");
    if (!r) r = ox_store_prepare(st, &o->mark_held,
        "UPDATE outbox SET attempts=0, next_attempt_at=?1 WHERE id=?2 AND status='SENDING'");
    if (!r) r = ox_store_prepare(st, &o->next,
        "SELECT o.id, o.payment_id, o.attempts, o.payload, o.status"
        " FROM payment p JOIN outbox o ON o.payment_id=p.id"
        " WHERE p.account=(SELECT account FROM payment WHERE id=?1)"
        " AND o.status IN ('SENDING', 'DEAD') ORDER BY o.id LIMIT 1");
    if (!r) r = ox_store_prepare(st, &o->behind,
        "SELECT p.account, (SELECT count(*) FROM payment p2 JOIN outbox o2"
        " ON o2.payment_id=p2.id WHERE p2.account=p.account AND o2.id>?2"
        " AND o2.status='SENDING') FROM payment p WHERE p.id=?1");
    return r;
}

void ox_ordered_close(ox_service *s) {
    struct ox_ordered *o = s->pay->ord;
    if (!o) return;
    ox_store_finalize(&o->head);
    ox_store_finalize(&o->mark_held);
    ox_store_finalize(&o->next);
    ox_store_finalize(&o->behind);
    free(o);
    s->pay->ord = NULL;
}

ox_status ox_ordered_hold(ox_service *s, const ox_msg *m, int64_t now, int *held) {
    struct ox_ordered *o = s->pay->ord;
    assert(o != NULL);
    assert(m->msg_id > 0);   /* the row is written */
    *held = 0;
    sqlite3_bind_int64(o->head, 1, m->account);
    sqlite3_bind_int64(o->head, 2, (sqlite3_int64)m->pay_id);
    int r = ox_store_row(&s->store, o->head, "find the account's unsettled row");
    if (r < 0) return OX_ERR_DB;
    if (r == 0) return OX_OK;   /* nothing earlier unsettled: published as usual */
    int64_t head = sqlite3_column_int64(o->head, 0);
    ox_store_reset(o->head);
    assert(head > 0);
    assert((uint64_t)head < m->msg_id);   /* the new row has the highest id */
    sqlite3_bind_int64(o->mark_held, 1, now);
    sqlite3_bind_int64(o->mark_held, 2, (sqlite3_int64)m->msg_id);
    int changed = 0;
    ox_status st = ox_store_run(&s->store, o->mark_held, "hold outbox row", &changed);
    if (st) return st;
    assert(changed == 1);   /* written SENDING in this transaction */
    *held = 1;
    return OX_OK;
}

void ox_ordered_note_hold(ox_service *s, const ox_msg *m) {
    ox_svc_event(s, "hold", m->pay_id,
                 "msg %llu held: an earlier message of account %u is not settled",
                 (ull)m->msg_id, m->account);
}

/* The stored payload of row `id`, decoded: the PAYMENT message, attempt 1. */
static int decode_row(sqlite3_stmt *st, int64_t id, int64_t pay_id, ox_msg *out) {
    const void *blob = sqlite3_column_blob(st, 3);
    int n = sqlite3_column_bytes(st, 3);
    ox_frame f;
    if (!blob || n <= 0 || ox_wire_decode(blob, (size_t)n, &f) != OX_WIRE_OK) return 0;
    if (f.type != OX_F_PUBLISH || f.msg.kind != OX_M_PAYMENT) return 0;
    if (f.msg.msg_id != (uint64_t)id || f.msg.pay_id != (uint64_t)pay_id) return 0;
    *out = f.msg;
    return 1;
}

/* Publishes held row (id, pay_id) as attempt 1 and schedules attempt 2 as a first
** publication would. */
static ox_status publish_held(ox_service *s, const ox_msg *m, int64_t now) {
    struct ox_payment *p = s->pay;
    ox_msg one = *m;
    one.attempt = 1;
    ox_svc_event(s, "release", m->pay_id,
                 "msg %llu released: the earlier messages of account %u are settled",
                 (ull)m->msg_id, m->account);
    ox_payment_publish(s, &one);
    sqlite3_bind_int64(p->reschedule, 1, now + ox_retry_interval(&s->cfg, &s->prng, 1));
    sqlite3_bind_int64(p->reschedule, 2, now);
    sqlite3_bind_int64(p->reschedule, 3, (sqlite3_int64)m->msg_id);
    return ox_store_run(&s->store, p->reschedule, "reschedule released row", NULL);
}

/* The account's next row, published if it is held. */
static ox_status release(ox_service *s, uint64_t pay_id, int64_t now) {
    struct ox_ordered *o = s->pay->ord;
    assert(o != NULL);
    sqlite3_bind_int64(o->next, 1, (sqlite3_int64)pay_id);
    int r = ox_store_row(&s->store, o->next, "find the account's next row");
    if (r <= 0) return r < 0 ? OX_ERR_DB : OX_OK;   /* nothing left unsettled */
    int64_t id = sqlite3_column_int64(o->next, 0);
    int64_t next_pay = sqlite3_column_int64(o->next, 1);
    int64_t attempts = sqlite3_column_int64(o->next, 2);
    const unsigned char *status = sqlite3_column_text(o->next, 4);
    int held = status && !strcmp((const char *)status, "SENDING") && attempts == 0;
    ox_msg m;
    int ok = held && decode_row(o->next, id, next_pay, &m);
    ox_store_reset(o->next);
    /* in flight already (attempts >= 1), or DEAD: it blocks; an undecodable payload is
    ** the scan's to dead-letter */
    if (!ok) return OX_OK;
    return publish_held(s, &m, now);
}

void ox_ordered_release(ox_service *s, uint64_t pay_id, int64_t now) {
    if (release(s, pay_id, now) != OX_OK)
        ox_svc_event(s, "error", pay_id, "%s (the next row waits for the scan)", s->err);
}

void ox_ordered_alert_text(ox_service *s, const ox_due *d, char *text, size_t cap) {
    struct ox_ordered *o = s->pay->ord;
    assert(o != NULL);
    assert(cap > 0);
    sqlite3_bind_int64(o->behind, 1, d->pay_id);
    sqlite3_bind_int64(o->behind, 2, d->id);
    int r = ox_store_row(&s->store, o->behind, "count the rows a dead letter blocks");
    if (r <= 0) return;   /* an error is reported by ox_store_row; the alert goes as is */
    ll account = sqlite3_column_int64(o->behind, 0);
    ll n = sqlite3_column_int64(o->behind, 1);
    ox_store_reset(o->behind);
    size_t len = strlen(text);
    assert(len < cap);
    snprintf(text + len, cap - len, "; it blocks %lld later message%s of account %lld", n,
             n == 1 ? "" : "s", account);
}
