/*
** scan.c: the payment service's recovery scan (the seed's "timed task").
**
** Each scan reads at most scan_batch due SENDING rows, oldest due first, through the
** partial index outbox_due (the SQL spells 'SENDING' literally: a bound status would
** not match the index's WHERE clause), copies them out and resets the query before
** touching any row, so no read cursor is open while it writes.  Then, row by row:
**   - out of attempts (or a payload that does not decode): DEAD + an alert, in one
**     transaction, so a DEAD row never lacks its alert (design alert-outside-tx: two
**     transactions, and a failed second one leaves a DEAD row without an alert);
**   - otherwise: publish attempt n+1, then push next_attempt_at out by interval(n+1).
**     Publishing before rescheduling means a crash in between publishes again (a
**     duplicate, which the consumer's inbox absorbs), never loses the message.
** Then, with cleanup_after set, it deletes settled rows (CONSUMED or FAILED, unchanged
** for cleanup_after), at most scan_batch, in a transaction of its own, and notes each
** deleted row (design cleanup-by-age: every row created that long ago, whatever its
** status, DEAD and SENDING too; design cleanup-takes-alerts: each deleted row's alerts go
** with it, as an ON DELETE CASCADE from alert to outbox would take them).
** Design scan-newest-first: the scan reads its due rows newest first (ORDER BY id DESC),
** "the freshest payments first": under a backlog larger than scan_batch the oldest rows
** wait for as long as newer ones keep falling due.
** Design alert-stale-payment: the alerts of one scan all name the payment of the scan's
** first row going DEAD (the batch's payment id bound once, before the loop); the row id
** is each row's own, so every DEAD row still has an alert of its own.
** The scan re-arms its timer on every path, so an error does not stop recovery.
** A relay process (relay.c) claims its rows differently and hands each to
** ox_payment_scan_row, and runs ox_payment_cleanup on its own timer: what happens to
** one due row, and which rows the cleanup deletes, is written once, here.
*/
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "ordered.h"
#include "payment.h"
#include "retry.h"

typedef unsigned long long ull;
typedef long long ll;

/* cleanup-takes-alerts: the alerts follow their row out, as `alert.outbox_id REFERENCES
** outbox(id) ON DELETE CASCADE` would do (a trigger of this connection's temp schema, so
** the shared schema stays as lib/schema.h has it). */
static ox_status cascade_alerts(ox_service *s) {
    sqlite3_stmt *st = NULL;
    ox_status r = ox_store_prepare(&s->store, &st,
        "CREATE TEMP TRIGGER IF NOT EXISTS alert_cascade AFTER DELETE ON main.outbox"
        " BEGIN DELETE FROM alert WHERE outbox_id=OLD.id; END");
    if (!r) r = ox_store_run(&s->store, st, "create the alert cascade", NULL);
    ox_store_finalize(&st);
    assert(st == NULL);
    return r;
}

ox_status ox_payment_prepare_scan(ox_service *s) {
    struct ox_payment *p = s->pay;
    ox_store *st = &s->store;
    ox_status r = ox_store_prepare(st, &p->scan, s->cfg.design == OX_DESIGN_ORDERED
        ? OX_ORDERED_SCAN_SQL   /* minus the rows an earlier one of their account blocks */
        : s->cfg.design == OX_DESIGN_SCAN_NEWEST_FIRST   /* "the freshest payments first" */
        ? "SELECT id, payment_id, attempts, payload FROM outbox"
          " WHERE status='SENDING' AND next_attempt_at<=?1 ORDER BY id DESC LIMIT ?2"
        : "SELECT id, payment_id, attempts, payload FROM outbox"
          " WHERE status='SENDING' AND next_attempt_at<=?1"
          " ORDER BY next_attempt_at, id LIMIT ?2");
    if (!r) r = ox_store_prepare(st, &p->reschedule,
        "UPDATE outbox SET attempts=attempts+1, next_attempt_at=?1, updated_at=?2"
        " WHERE id=?3 AND status='SENDING'");
    if (!r) r = ox_store_prepare(st, &p->publish_done,
        "UPDATE outbox SET status='CONSUMED', attempts=?1, updated_at=?2"
        " WHERE id=?3 AND status='SENDING'");
    if (!r) r = ox_store_prepare(st, &p->mark_dead,
        "UPDATE outbox SET status='DEAD', updated_at=?1 WHERE id=?2 AND status='SENDING'");
    if (!r) r = ox_store_prepare(st, &p->ins_alert,
        "INSERT INTO alert(outbox_id, payment_id, kind, message, created_at)"
        " VALUES(?1, ?2, 'DEAD_LETTER', ?3, ?4)");
    /* cleanup-by-age: the retention job that purges by creation time, whatever the
    ** status (SENDING and DEAD rows too). */
    if (!r) r = ox_store_prepare(st, &p->cleanup,
        s->cfg.design == OX_DESIGN_CLEANUP_BY_AGE
        ? "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE created_at<?1"
          " ORDER BY id LIMIT ?2) RETURNING id, payment_id, status, updated_at"
        : "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox"
          " WHERE status IN ('CONSUMED', 'FAILED') AND updated_at<?1 ORDER BY id LIMIT ?2)"
          " RETURNING id, payment_id, status, updated_at");
    if (!r && s->cfg.design == OX_DESIGN_CLEANUP_TAKES_ALERTS) r = cascade_alerts(s);
    return r;
}

ox_status ox_payment_mark_published(ox_service *s, int64_t msg_id, uint32_t attempt, int64_t now) {
    assert(s->cfg.design == OX_DESIGN_MARK_ON_PUBLISH);
    sqlite3_bind_int64(s->pay->publish_done, 1, attempt);
    sqlite3_bind_int64(s->pay->publish_done, 2, now);
    sqlite3_bind_int64(s->pay->publish_done, 3, msg_id);
    return ox_store_run(&s->store, s->pay->publish_done, "mark published row CONSUMED", NULL);
}

/* The stored payload must be this row's PAYMENT on PAY_QUEUE. */
static int decode_payload(ox_due *d, const void *blob, int n) {
    ox_frame f;
    if (!blob || n <= 0 || ox_wire_decode(blob, (size_t)n, &f) != OX_WIRE_OK) return 0;
    if (f.type != OX_F_PUBLISH || strcmp(f.queue, OX_PAY_QUEUE) != 0) return 0;
    if (f.msg.kind != OX_M_PAYMENT || f.msg.msg_id != (uint64_t)d->id) return 0;
    if (f.msg.pay_id != (uint64_t)d->pay_id) return 0;
    d->msg = f.msg;
    return 1;
}

/* Publications a row may have before it goes DEAD: max_attempts, or one more under
** design retries-not-attempts (the knob read as "retries after the first"). */
static int64_t budget(const ox_service *s) {
    return s->cfg.max_attempts + (s->cfg.design == OX_DESIGN_RETRIES_NOT_ATTEMPTS);
}

/* Copies up to scan_batch due rows into p->due; the query is reset on return.  Design
** resend-every-scan treats every SENDING row as due: the relay that resends whatever is
** not yet confirmed at each tick, whatever the retry policy says. */
static ox_status collect(ox_service *s, int64_t now, int *n) {
    struct ox_payment *p = s->pay;
    *n = 0;
    int all = s->cfg.design == OX_DESIGN_RESEND_EVERY_SCAN;
    sqlite3_bind_int64(p->scan, 1, all ? INT64_MAX : now);
    sqlite3_bind_int64(p->scan, 2, s->cfg.scan_batch);
    while (*n < s->cfg.scan_batch) {
        int r = ox_store_row(&s->store, p->scan, "scan due rows");
        if (r < 0) return OX_ERR_DB;
        if (r == 0) return OX_OK;
        ox_due *d = &p->due[*n];
        memset(d, 0, sizeof *d);
        d->id = sqlite3_column_int64(p->scan, 0);
        d->pay_id = sqlite3_column_int64(p->scan, 1);
        d->attempts = sqlite3_column_int64(p->scan, 2);
        d->ok =
            decode_payload(d, sqlite3_column_blob(p->scan, 3), sqlite3_column_bytes(p->scan, 3));
        (*n)++;
    }
    ox_store_reset(p->scan);     /* LIMIT reached: done with the cursor anyway */
    return OX_OK;
}

/* The alert row of a row just made DEAD, naming payment pay (d's own but under design
** alert-stale-payment; text: what it says). */
static ox_status insert_alert(ox_service *s, const ox_due *d, int64_t pay, const char *text,
                              int64_t now) {
    struct ox_payment *p = s->pay;
    sqlite3_bind_int64(p->ins_alert, 1, d->id);
    sqlite3_bind_int64(p->ins_alert, 2, pay);
    int bound = sqlite3_bind_text(p->ins_alert, 3, text, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(p->ins_alert, 4, now);
    ox_status r = ox_store_bound(&s->store, p->ins_alert, bound, "insert alert");
    return r ? r : ox_store_run(&s->store, p->ins_alert, "insert alert", NULL);
}

/* The injected business error (io.h, OX_SITE_PAYMENT_ROLLBACK) in a dead-letter
** transaction: its writes are undone.  Returns 1 if it was taken. */
static int injected_rollback(ox_service *s, const ox_due *d, const char *what) {
    if (!ox_svc_inject(s, OX_SITE_PAYMENT_ROLLBACK)) return 0;
    ox_store_rollback(&s->store);
    ox_svc_event(s, "rollback", (uint64_t)d->pay_id,
                 "msg %lld: business error before COMMIT of %s (injected): rolled back",
                 (ll)d->id, what);
    return 1;
}

/* alert-outside-tx: DEAD in a statement of its own, committed; then the alert in a
** second transaction, which can fail (here: the injected error) and leave the DEAD row
** without its alert.  *changed: the row went DEAD. */
static ox_status dead_then_alert(ox_service *s, const ox_due *d, const char *text, int64_t now,
                                 int *changed) {
    struct ox_payment *p = s->pay;
    assert(s->cfg.design == OX_DESIGN_ALERT_OUTSIDE_TX);
    sqlite3_bind_int64(p->mark_dead, 1, now);
    sqlite3_bind_int64(p->mark_dead, 2, d->id);
    ox_status r = ox_store_run(&s->store, p->mark_dead, "mark outbox row DEAD", changed);
    if (r || !*changed) return r;
    ox_svc_event(s, "dead", (uint64_t)d->pay_id, "msg %lld DEAD after %lld attempts",
                 (ll)d->id, (ll)d->attempts);
    if ((r = ox_store_begin(&s->store))) return r;
    r = insert_alert(s, d, d->pay_id, text, now);
    if (r) { ox_store_rollback(&s->store); return r; }
    if (injected_rollback(s, d, "the alert")) return OX_OK;   /* DEAD, and no alert */
    if ((r = ox_store_commit(&s->store))) return r;
    ox_svc_event(s, "alert", (uint64_t)d->pay_id, "DEAD_LETTER: %s", text);
    return OX_OK;
}

/* The payment an alert names: d's own; under alert-stale-payment the first one this
** scan dead-lettered (*batch_pay, 0 until then). */
static int64_t alert_payment(const ox_service *s, const ox_due *d, int64_t *batch_pay) {
    if (s->cfg.design != OX_DESIGN_ALERT_STALE_PAYMENT) return d->pay_id;
    if (*batch_pay == 0) *batch_pay = d->pay_id;
    assert(*batch_pay > 0);
    return *batch_pay;
}

/* DEAD and its alert, together (one transaction; alert-outside-tx: two). */
static ox_status dead_letter(ox_service *s, const ox_due *d, int64_t now, int64_t *batch_pay) {
    struct ox_payment *p = s->pay;
    assert(!d->ok || d->attempts >= budget(s));   /* out of attempts, or unreadable */
    int64_t pay = alert_payment(s, d, batch_pay);
    char text[200];
    if (d->ok)
        snprintf(text, sizeof text, "payment %lld dead after %lld attempts (outbox row %lld)",
                 (ll)pay, (ll)d->attempts, (ll)d->id);
    else
        snprintf(text, sizeof text, "payment %lld: outbox row %lld has an undecodable payload",
                 (ll)pay, (ll)d->id);
    if (s->cfg.design == OX_DESIGN_ORDERED) ox_ordered_alert_text(s, d, text, sizeof text);
    int changed = 0;
    if (s->cfg.design == OX_DESIGN_ALERT_OUTSIDE_TX) return dead_then_alert(s, d, text, now,
                                                                             &changed);
    ox_status r = ox_store_begin(&s->store);
    if (r) return r;
    sqlite3_bind_int64(p->mark_dead, 1, now);
    sqlite3_bind_int64(p->mark_dead, 2, d->id);
    r = ox_store_run(&s->store, p->mark_dead, "mark outbox row DEAD", &changed);
    if (!r && changed) r = insert_alert(s, d, pay, text, now);
    if (r) { ox_store_rollback(&s->store); return r; }
    if (changed && injected_rollback(s, d, "DEAD and its alert")) return OX_OK;   /* SENDING */
    if ((r = ox_store_commit(&s->store))) return r;
    assert(changed == 0 || changed == 1);   /* DEAD and its one alert, or nothing */
    if (!changed) return OX_OK;
    ox_svc_event(s, "dead", (uint64_t)d->pay_id, "msg %lld DEAD after %lld attempts",
                 (ll)d->id, (ll)d->attempts);
    ox_svc_event(s, "alert", (uint64_t)pay, "DEAD_LETTER: %s", text);
    return OX_OK;
}

static ox_status republish(ox_service *s, ox_due *d, int64_t now) {
    struct ox_payment *p = s->pay;
    assert(d->ok);
    assert(d->attempts < budget(s));
    assert(d->msg.msg_id == (uint64_t)d->id);   /* decode_payload matched it to its row */
    /* attempts < max_attempts <= 1000 here; a hand-edited row may say less than 0 */
    uint32_t attempt = d->attempts < 0 ? 1 : (uint32_t)d->attempts + 1;
    d->msg.attempt = attempt;
    ox_payment_publish(s, &d->msg);
    if (s->cfg.design == OX_DESIGN_MARK_ON_PUBLISH) {
        ox_status r = ox_payment_mark_published(s, d->id, attempt, now);
        ox_svc_failpoint(s, "payment.scan_after_publish");
        return r;
    }
    ox_svc_failpoint(s, "payment.scan_after_publish");
    sqlite3_bind_int64(p->reschedule, 1, now + ox_retry_interval(&s->cfg, &s->prng, attempt));
    sqlite3_bind_int64(p->reschedule, 2, now);
    sqlite3_bind_int64(p->reschedule, 3, d->id);
    return ox_store_run(&s->store, p->reschedule, "reschedule outbox row", NULL);
}

static int gone_cmp(const void *a, const void *b) {
    int64_t x = ((const ox_gone *)a)->id, y = ((const ox_gone *)b)->id;
    return (x > y) - (x < y);
}

/* Runs the cleanup's DELETE in a transaction of its own, copying the rows it deleted
** into p->gone (*n of them, at most scan_batch: the LIMIT). */
static ox_status delete_old(ox_service *s, int64_t now, int *n) {
    struct ox_payment *p = s->pay;
    *n = 0;
    ox_status r = ox_store_begin(&s->store);
    if (r) return r;
    sqlite3_bind_int64(p->cleanup, 1, now - s->cfg.cleanup_after_ms);
    sqlite3_bind_int64(p->cleanup, 2, s->cfg.scan_batch);
    int rc;
    while ((rc = ox_store_row(&s->store, p->cleanup, "clean up settled rows")) == 1) {
        assert(*n < s->cfg.scan_batch);   /* LIMIT ?2 */
        ox_gone *g = &p->gone[(*n)++];
        memset(g, 0, sizeof *g);
        g->id = sqlite3_column_int64(p->cleanup, 0);
        g->pay_id = sqlite3_column_int64(p->cleanup, 1);
        const unsigned char *st = sqlite3_column_text(p->cleanup, 2);
        snprintf(g->status, sizeof g->status, "%s", st ? (const char *)st : "?");
        g->updated_at = sqlite3_column_int64(p->cleanup, 3);
    }
    if (rc < 0) { ox_store_rollback(&s->store); *n = 0; return OX_ERR_DB; }
    r = ox_store_commit(&s->store);
    if (r) *n = 0;
    return r;
}

/* cleanup_after: delete settled rows older than that, a batch per scan, and say which,
** one note per row once their transaction committed (sim/check/history.h lists the
** format): RETURNING's order is arbitrary, so the notes go in id order. */
ox_status ox_payment_cleanup(ox_service *s, int64_t now) {
    if (s->cfg.cleanup_after_ms <= 0) return OX_OK;
    int n = 0;
    ox_status r = delete_old(s, now, &n);
    assert(n >= 0);
    assert(n <= s->cfg.scan_batch);
    qsort(s->pay->gone, (size_t)n, sizeof s->pay->gone[0], gone_cmp);
    for (int i = 0; i < n; i++) {
        const ox_gone *g = &s->pay->gone[i];
        ox_svc_event(s, "cleanup", (uint64_t)g->pay_id,
                     "msg %lld deleted: %s, updated %lld ms ago", (ll)g->id, g->status,
                     (ll)(now - g->updated_at));
    }
    return r;
}

int ox_payment_decode_due(ox_due *d, const void *blob, int n) { return decode_payload(d, blob, n); }

ox_status ox_payment_scan_row(ox_service *s, ox_due *d, int64_t now, int64_t *batch_pay) {
    assert(batch_pay != NULL);
    if (!d->ok || d->attempts >= budget(s)) return dead_letter(s, d, now, batch_pay);
    return republish(s, d, now);
}

ox_status ox_payment_scan(ox_service *s) {
    assert(ox_payment_has_scan(s));
    int64_t now = ox_now_ms();
    int n = 0;
    ox_status r = collect(s, now, &n);
    assert(n >= 0);
    assert(n <= s->cfg.scan_batch);
    if (!r && n) ox_svc_event(s, "scan", 0, "%d due", n);
    int64_t batch_pay = 0;   /* alert-stale-payment: the payment this scan's alerts name */
    for (int i = 0; i < n && !r; i++) {
        r = ox_payment_scan_row(s, &s->pay->due[i], now, &batch_pay);
    }
    if (!r) r = ox_payment_cleanup(s, now);
    ox_svc_timer(s, OX_TIMER_SCAN, s->cfg.scan_interval_ms);
    return r;
}
