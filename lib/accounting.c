/*
** accounting.c: the accounting service (see accounting.h).
**
** The order of a delivery's life is the design's substance:
**   outbox (and every design but the two below): dedupe + apply in one transaction,
**     COMMIT, then answer and ack.  A crash before the ack redelivers; the inbox turns
**     the redelivery into a duplicate.
**   outbox-no-dedupe: the inbox is written but never read, so every delivery writes
**     a voucher (INSERT OR REPLACE keeps the inbox key from failing).
**   ack-before-apply: the answer and the ack go first (the outcome judged from the
**     message alone), the transaction after.  A crash in between loses the voucher
**     while the producer has already been told it exists.
**   dedupe-per-instance: the inbox is written (INSERT OR REPLACE, as above) but the
**     duplicate test reads the instance's memory (remember, seen): what another
**     instance applied, or this one before it restarted, is applied again.
**   limit-inclusive: the rules refuse an amount equal to max_amount, which the contract
**     (config.h: the largest amount accepted) says to book.
** Each open reports what the database holds (the "recover" note: inbox rows and
** vouchers), so that a restart can be judged against what the history committed.
*/
#include "accounting.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"

typedef unsigned long long ull;
typedef long long ll;

typedef struct {
    int applied;                       /* else refused */
    int duplicate;                     /* the inbox already had it */
    int rolled_back;                   /* the injected business error undid it all */
    char reason[OX_REASON_MAX + 1];    /* refused: why */
} outcome;

/* The "recover" note: what this open finds committed (one statement, then gone). */
static ox_status report_recovery(ox_service *s) {
    sqlite3_stmt *q = NULL;
    ox_status r = ox_store_prepare(&s->store, &q,
        "SELECT (SELECT count(*) FROM inbox), (SELECT count(*) FROM voucher)");
    if (r) return r;
    int got = ox_store_row(&s->store, q, "count inbox rows and vouchers");
    if (got == 1) {
        ll rows = sqlite3_column_int64(q, 0), vouchers = sqlite3_column_int64(q, 1);
        assert(rows >= 0);
        assert(vouchers >= 0);
        ox_svc_event(s, "recover", 0, "%lld inbox rows, %lld vouchers", rows, vouchers);
    }
    ox_store_finalize(&q);
    assert(got != 0);   /* a SELECT of two counts always gives its row */
    if (got < 0) return OX_ERR_DB;
    /* An observation, not a change: the pages the counts read leave the cache, and only
    ** the header page the open had read comes back (PRAGMA schema_version reads page 1),
    ** so the first statements after a restart read the disk as without the note. */
    sqlite3_db_release_memory(s->store.db);
    r = ox_store_prepare(&s->store, &q, "PRAGMA schema_version");
    if (r) return r;
    got = ox_store_row(&s->store, q, "read the header page back");
    ox_store_finalize(&q);
    return got < 0 ? OX_ERR_DB : OX_OK;
}

ox_status ox_accounting_open(ox_service *s) {
    assert(s->role == OX_ROLE_ACCOUNTING);
    assert(s->acc == NULL);
    s->acc = calloc(1, sizeof *s->acc);
    if (!s->acc) return ox_svc_fail(s, OX_ERR_NOMEM, "accounting: out of memory");
    struct ox_accounting *a = s->acc;
    ox_store *st = &s->store;
    if (s->cfg.design == OX_DESIGN_DEDUPE_PER_INSTANCE) {
        a->seen = calloc(OX_SEEN_MAX, sizeof *a->seen);
        if (!a->seen) return ox_svc_fail(s, OX_ERR_NOMEM, "accounting: out of memory");
    }
    ox_status r =
        ox_store_prepare(st, &a->find_inbox, "SELECT outcome, reason FROM inbox WHERE msg_id=?1");
    if (!r)
        r = ox_store_prepare(st, &a->ins_inbox,
                             "INSERT INTO inbox(msg_id, payment_id, outcome, reason, received_at) "
                             "VALUES(?1, ?2, ?3, ?4, ?5)");
    if (!r) r = ox_store_prepare(st, &a->replace_inbox,
        "INSERT OR REPLACE INTO inbox(msg_id, payment_id, outcome, reason, received_at)"
        " VALUES(?1, ?2, ?3, ?4, ?5)");
    if (!r)
        r = ox_store_prepare(st, &a->ins_voucher,
                             "INSERT INTO voucher(payment_id, msg_id, account, amount, created_at) "
                             "VALUES(?1, ?2, ?3, ?4, ?5)");
    if (!r) r = ox_store_prepare(st, &a->purge,
        "DELETE FROM inbox WHERE msg_id IN"
        " (SELECT msg_id FROM inbox WHERE received_at < ?1 ORDER BY msg_id LIMIT ?2)");
    return r ? r : report_recovery(s);
}

void ox_accounting_close(ox_service *s) {
    struct ox_accounting *a = s->acc;
    assert(a != NULL);
    ox_store_finalize(&a->find_inbox);
    ox_store_finalize(&a->ins_inbox);
    ox_store_finalize(&a->replace_inbox);
    ox_store_finalize(&a->ins_voucher);
    ox_store_finalize(&a->purge);
    free(a->seen);
    free(a);
    s->acc = NULL;
}

/* The business rules, from the message and the config alone. */
static void judge(const ox_config *c, const ox_msg *m, outcome *o) {
    assert(m->kind == OX_M_PAYMENT);
    assert(c->nfrozen >= 0);
    o->applied = 0;
    o->reason[0] = '\0';
    for (int i = 0; i < c->nfrozen && i < OX_MAX_FROZEN; i++) {
        if (c->frozen[i] == m->account) {
            snprintf(o->reason, sizeof o->reason, "account %u is frozen", m->account);
            return;
        }
    }
    if (m->amount <= 0)
        snprintf(o->reason, sizeof o->reason, "amount %lld is not positive", (ll)m->amount);
    else if (m->amount > c->max_amount)
        snprintf(o->reason, sizeof o->reason, "amount %lld over the limit %lld",
                 (ll)m->amount, (ll)c->max_amount);
    else if (m->amount == c->max_amount && c->design == OX_DESIGN_LIMIT_INCLUSIVE)
        snprintf(o->reason, sizeof o->reason, "amount %lld at the limit %lld",
                 (ll)m->amount, (ll)c->max_amount);
    else
        o->applied = 1;
    assert(o->applied == (o->reason[0] == '\0'));   /* a refusal always says why */
}

/* Is msg_id in the inbox?  If so its stored outcome goes to *o. */
static ox_status lookup(ox_service *s, const ox_msg *m, outcome *o) {
    sqlite3_stmt *q = s->acc->find_inbox;
    sqlite3_bind_int64(q, 1, (sqlite3_int64)m->msg_id);
    int r = ox_store_row(&s->store, q, "look up inbox");
    if (r < 0) return OX_ERR_DB;
    o->duplicate = r;
    if (r) {
        const unsigned char *oc = sqlite3_column_text(q, 0);
        const unsigned char *why = sqlite3_column_text(q, 1);
        o->applied = oc && strcmp((const char *)oc, "APPLIED") == 0;
        snprintf(o->reason, sizeof o->reason, "%s", why ? (const char *)why : "");
        ox_store_reset(q);
    }
    return OX_OK;
}

/* dedupe-per-instance: did this process handle msg_id?  Newest first: a redelivery is
** usually of a recent message.  Bounded by the ring (OX_SEEN_MAX). */
static int seen(const struct ox_accounting *a, uint64_t msg_id) {
    assert(a->seen != NULL);
    assert(a->nseen <= OX_SEEN_MAX);
    for (uint32_t k = a->nseen; k > 0; k--) {
        if (a->seen[(a->seen_head + k - 1) % OX_SEEN_MAX] == msg_id) return 1;
    }
    return 0;
}

/* dedupe-per-instance: msg_id is handled (called once its transaction committed). */
static void remember(struct ox_accounting *a, uint64_t msg_id) {
    assert(a->seen != NULL);
    if (a->nseen == OX_SEEN_MAX) {   /* full: the oldest id goes */
        a->seen[a->seen_head] = msg_id;
        a->seen_head = (a->seen_head + 1) % OX_SEEN_MAX;
        return;
    }
    a->seen[(a->seen_head + a->nseen) % OX_SEEN_MAX] = msg_id;
    a->nseen++;
    assert(a->nseen <= OX_SEEN_MAX);
}

static ox_status write_rows(ox_service *s, const ox_msg *m, const outcome *o, int64_t now) {
    struct ox_accounting *a = s->acc;
    assert(!o->duplicate);   /* a duplicate writes nothing */
    assert(o->applied == (o->reason[0] == '\0'));
    int dedupe = s->cfg.design != OX_DESIGN_OUTBOX_NO_DEDUPE &&
                 s->cfg.design != OX_DESIGN_DEDUPE_PER_INSTANCE;
    sqlite3_stmt *in = dedupe ? a->ins_inbox : a->replace_inbox;
    sqlite3_bind_int64(in, 1, (sqlite3_int64)m->msg_id);
    sqlite3_bind_int64(in, 2, (sqlite3_int64)m->pay_id);
    sqlite3_bind_text(in, 3, o->applied ? "APPLIED" : "REFUSED", -1, SQLITE_STATIC);
    int bound = sqlite3_bind_text(in, 4, o->reason, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(in, 5, now);
    ox_status r = ox_store_bound(&s->store, in, bound, "insert inbox");
    if (!r) r = ox_store_run(&s->store, in, "insert inbox", NULL);
    if (r || !o->applied) return r;
    sqlite3_bind_int64(a->ins_voucher, 1, (sqlite3_int64)m->pay_id);
    sqlite3_bind_int64(a->ins_voucher, 2, (sqlite3_int64)m->msg_id);
    sqlite3_bind_int64(a->ins_voucher, 3, m->account);
    sqlite3_bind_int64(a->ins_voucher, 4, m->amount);
    sqlite3_bind_int64(a->ins_voucher, 5, now);
    return ox_store_run(&s->store, a->ins_voucher, "insert voucher", NULL);
}

/* The one transaction: dedupe, judge, inbox (+ voucher).  *o says what happened. */
static ox_status apply(ox_service *s, const ox_msg *m, outcome *o) {
    assert(m->kind == OX_M_PAYMENT);
    int64_t now = ox_now_ms();
    memset(o, 0, sizeof *o);
    if (s->acc->seen && seen(s->acc, m->msg_id)) {   /* dedupe-per-instance: in memory */
        judge(&s->cfg, m, o);   /* the outcome again: the rules are a function of m */
        o->duplicate = 1;
        return OX_OK;
    }
    ox_status r = ox_store_begin(&s->store);
    if (r) return r;
    if (s->cfg.design != OX_DESIGN_OUTBOX_NO_DEDUPE && !s->acc->seen) r = lookup(s, m, o);
    if (!r && o->duplicate) { ox_store_rollback(&s->store); return OX_OK; }   /* wrote nothing */
    if (!r) { judge(&s->cfg, m, o); r = write_rows(s, m, o, now); }
    if (r) { ox_store_rollback(&s->store); return r; }
    if (ox_svc_inject(s, OX_SITE_ACCOUNTING_ROLLBACK)) {
        /* io.h: the rows are written and a business rule fails before COMMIT */
        ox_store_rollback(&s->store);
        o->rolled_back = 1;
        ox_svc_event(s, "rollback", m->pay_id,
                     "msg %llu: business error before COMMIT (injected): rolled back, not acked",
                     (ull)m->msg_id);
        return OX_OK;
    }
    r = ox_store_commit(&s->store);
    if (!r && s->acc->seen) remember(s->acc, m->msg_id);
    return r;
}

static void report(ox_service *s, const ox_msg *m, const outcome *o) {
    if (o->duplicate)
        ox_svc_event(s, "duplicate", m->pay_id, "msg %llu already %s: answering again",
                     (ull)m->msg_id, o->applied ? "APPLIED" : "REFUSED");
    else if (o->applied)
        ox_svc_event(s, "apply", m->pay_id, "msg %llu: voucher of %lld cents for account %u",
                     (ull)m->msg_id, (ll)m->amount, m->account);
    else
        ox_svc_event(s, "refuse", m->pay_id, "msg %llu refused: %s", (ull)m->msg_id, o->reason);
}

/* CONSUMED or CONSUME_FAILED to ACC_QUEUE, then the ack of the delivery. */
static void answer_and_ack(ox_service *s, const ox_frame *f, const outcome *o) {
    assert(f->type == OX_F_DELIVER);
    assert(strcmp(f->queue, OX_PAY_QUEUE) == 0);
    ox_msg ans = f->msg;
    ans.kind = o->applied ? OX_M_CONSUMED : OX_M_CONSUME_FAILED;
    snprintf(ans.reason, sizeof ans.reason, "%s", o->applied ? "" : o->reason);
    ox_svc_publish(s, OX_ACC_QUEUE, &ans);
    ox_svc_event(s, "publish", ans.pay_id, "%s for msg %llu to ACC_QUEUE",
                 ox_wire_kind_name(ans.kind), (ull)ans.msg_id);
    assert(ans.msg_id == f->msg.msg_id);   /* the answer names the message it answers */
    ox_svc_dack(s, OX_PAY_QUEUE, f->delivery);
}

ox_status ox_accounting_on_frame(ox_service *s, const char *from, const ox_frame *f) {
    assert(s->acc != NULL);
    assert(from != NULL);
    const ox_msg *m = &f->msg;
    if (f->type != OX_F_DELIVER)
        return ox_svc_reject(s, from, 0, "accounting does not accept %s",
                             ox_wire_type_name(f->type));
    if (strcmp(f->queue, OX_PAY_QUEUE) != 0)
        return ox_svc_reject(s, from, m->pay_id,
                             "DELIVER from queue '%s' (accounting subscribes to PAY_QUEUE)",
                             f->queue);
    if (m->kind != OX_M_PAYMENT)
        return ox_svc_reject(s, from, m->pay_id, "%s on PAY_QUEUE is not a payment",
                             ox_wire_kind_name(m->kind));
    outcome o;
    if (s->cfg.design == OX_DESIGN_ACK_BEFORE_APPLY) {
        memset(&o, 0, sizeof o);
        judge(&s->cfg, m, &o);
        answer_and_ack(s, f, &o);
        ox_svc_failpoint(s, "accounting.after_ack");
        ox_status r = apply(s, m, &o);
        if (r || o.rolled_back) return r;    /* answered and acked: the voucher is lost */
        report(s, m, &o);
        ox_svc_failpoint(s, "accounting.after_apply");
        return OX_OK;
    }
    ox_status r = apply(s, m, &o);
    if (r || o.rolled_back) return r;   /* not acked: the broker will deliver it again */
    report(s, m, &o);
    ox_svc_failpoint(s, "accounting.after_apply");
    answer_and_ack(s, f, &o);
    ox_svc_failpoint(s, "accounting.after_ack");
    return OX_OK;
}

/* ---- inbox retention (knob inbox_retention; accounting.h) ---- */

ox_status ox_accounting_start(ox_service *s) {
    assert(s->acc != NULL);
    assert(s->cfg.inbox_retention_ms >= 0);
    if (s->cfg.inbox_retention_ms > 0) ox_svc_timer(s, OX_TIMER_PURGE, s->cfg.scan_interval_ms);
    return OX_OK;
}

/* One purge: a transaction of its own, at most scan_batch rows (the LIMIT), noted once it
** committed.  The whole purge is one statement, so no row is half forgotten. */
static ox_status purge(ox_service *s) {
    struct ox_accounting *a = s->acc;
    int64_t now = ox_now_ms();
    int64_t keep = s->cfg.inbox_retention_ms;
    assert(keep > 0);
    ox_status r = ox_store_begin(&s->store);
    if (r) return r;
    int n = 0;
    sqlite3_bind_int64(a->purge, 1, now - keep);
    sqlite3_bind_int64(a->purge, 2, s->cfg.scan_batch);
    r = ox_store_run(&s->store, a->purge, "purge inbox", &n);
    if (r) { ox_store_rollback(&s->store); return r; }
    assert(n >= 0);
    assert(n <= s->cfg.scan_batch);
    r = ox_store_commit(&s->store);
    if (!r && n > 0)
        ox_svc_event(s, "purge", 0, "%d inbox rows received over %lld ms ago forgotten", n,
                     (ll)keep);
    return r;
}

ox_status ox_accounting_on_timer(ox_service *s, int id) {
    assert(s->acc != NULL);
    if (id != OX_TIMER_PURGE) return ox_svc_fail(s, OX_ERR_ROLE, "accounting: no timer %d", id);
    if (s->cfg.inbox_retention_ms <= 0) return OX_OK;   /* a timer of an earlier config */
    ox_status r = purge(s);
    ox_svc_timer(s, OX_TIMER_PURGE, s->cfg.scan_interval_ms);
    return r;
}
