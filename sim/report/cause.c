/*
** cause.c: why each violation happened, from the trace (see cause.h).
**
** One pass over trace.jsonl keeps a small record (a watch) of each payment a violation
** names: its commit, its first publication, the frames of it that were lost, the
** deliveries of its message to accounting, each voucher booked, an ack sent before the
** voucher, the crash of the node that was handling it.  Then each violation is told
** from its payment's record by the first pattern that fits (explain_*).
**
** A role may run as several instances (topology{}: accounting-2.., relay-N): the pass reads
** every instance's lines as its role's (node_role) and keeps which instance did what, so
** a sentence names the instance ("accounting and accounting-2 applied message 5 twice").
*/
#include "cause.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "tline.h"
#include "../scenario/scenario.h"
#include "../util/invariant.h"

#define WATCH_DELIVERIES 8
#define WATCH_APPLIES 4      /* the applies of one message a sentence names */

typedef struct {
    uint64_t pay;
    uint32_t commit, publish, publish_pre_commit, drop, lost_down, lost_inside, dup_send;
    uint32_t redeliver, republish, apply[WATCH_APPLIES], dead, refuse, consumed;
    uint32_t ack_early, ack_crash, crash, broker_crash, enqueued;
    uint32_t cut_payment, cut_accounting;   /* a power cut there after its commit / voucher */
    uint32_t cut_before;                    /* a power cut at payment before its commit */
    uint32_t napply;
    int64_t drop_fault, dup_fault, attempts;
    int pending_apply;        /* a delivery reached accounting; no apply, refusal or dup yet */
    int8_t apply_node[WATCH_APPLIES];   /* the slot (scenario.h) of each apply's instance */
    char ack_node[16];        /* the instance whose DACK came before its voucher */
    char republish_node[16];  /* who published it again: payment's scan or a relay */
    uint64_t deliveries[WATCH_DELIVERIES];
    int ndeliveries;
    char drop_label[40], lost_label[40], lost_to[16], crash_node[16], crash_at[72];
} watch;

typedef struct {
    const report_run *r;
    watch *w;                 /* sorted by pay */
    int nw;
    /* the payment each node (slot) touched last, and when: a crash at a failpoint hits it */
    uint64_t last_pay[SIM_MAX_NODES];
    int64_t last_t[SIM_MAX_NODES];
    uint8_t *applied;         /* [npay + 1]: accounting booked a voucher for it */
    uint32_t npay;
    cause_result *out;
} scan;

static int is(const char *a, const char *b) { return strcmp(a, b) == 0; }

/* The role slot of an instance: 0 payment (its relays publish its rows), 1 broker,
** 2 accounting (accounting-2..); -1 for the client and the simulator. */
static int node_role(const char *node) {
    int slot = scenario_node_parse(node);
    if (slot < 0) return -1;
    switch (scenario_node_role(slot)) {
    case OX_ROLE_PAYMENT: return 0;
    case OX_ROLE_RELAY: return 0;
    case OX_ROLE_BROKER: return 1;
    case OX_ROLE_ACCOUNTING: return 2;
    }
    return -1;
}

static int is_accounting(const char *node) { return node_role(node) == 2; }

static int cmp_watch(const void *a, const void *b) {
    uint64_t x = ((const watch *)a)->pay, y = ((const watch *)b)->pay;
    return x < y ? -1 : x > y;
}

static watch *find(const scan *s, uint64_t pay) {
    if (!pay) return NULL;
    watch key = { .pay = pay };
    return bsearch(&key, s->w, (size_t)s->nw, sizeof *s->w, cmp_watch);
}

static watch *by_delivery(const scan *s, uint64_t d) {
    for (int i = 0; i < s->nw; i++)
        for (int k = 0; k < s->w[i].ndeliveries; k++)
            if (s->w[i].deliveries[k] == d) return &s->w[i];
    return NULL;
}

static void copy(char *dst, size_t cap, const char *src) {
    snprintf(dst, cap, "%s", src);
}

/* ---- the pass --------------------------------------------------------------------- */

static void count_duplicate(scan *s, const tline *l) {
    if (is_accounting(l->node)) s->out->dup_accounting++;
    else if (strstr(l->detail, "already recorded")) s->out->dup_payment_requests++;
    else s->out->dup_payment_answers++;
}

static void on_note(scan *s, watch *w, const tline *l, uint32_t line) {
    const char *k = l->kind;
    if (is(k, "duplicate")) count_duplicate(s, l);
    if (!w) return;
    int acc = is_accounting(l->node);
    if (is(k, "commit") && !w->commit) w->commit = line;
    else if (is(k, "publish") && node_role(l->node) == 0) {
        if (!w->publish) w->publish = line;
        if (!w->commit && !w->publish_pre_commit) w->publish_pre_commit = line;
        const char *a = strstr(l->detail, "attempt ");
        int64_t n = a ? strtoll(a + 8, NULL, 10) : 0;
        if (n > 1 && !w->republish) {
            w->republish = line;
            copy(w->republish_node, sizeof w->republish_node, l->node);
        }
        if (n > w->attempts) w->attempts = n;
    } else if (is(k, "apply") && acc) {
        if (w->napply < WATCH_APPLIES) {
            w->apply[w->napply] = line;
            w->apply_node[w->napply] = (int8_t)scenario_node_parse(l->node);
        }
        w->napply++;
        w->pending_apply = 0;
    } else if ((is(k, "refuse") || is(k, "duplicate")) && acc) {
        if (is(k, "refuse") && !w->refuse) w->refuse = line;
        w->pending_apply = 0;
    } else if (is(k, "redeliver") && !w->redeliver) w->redeliver = line;
    else if (is(k, "dead") && !w->dead) w->dead = line;
    else if (is(k, "consumed") && !w->consumed) w->consumed = line;
    else if (is(k, "lost_inside") && !w->lost_inside) w->lost_inside = line;
    else if (is(k, "enqueue") && strstr(l->detail, " PAYMENT ")) w->enqueued = line;
    else if (is(k, "ack") && is(l->node, "broker") && strstr(l->detail, " PAYMENT)"))
        w->enqueued = 0;
}

static void on_send(scan *s, watch *w, const tline *l, uint32_t line) {
    int from_acc = is_accounting(l->from);
    if (from_acc && is(l->label, "DACK") && is(l->queue, "PAY_QUEUE")) {
        /* A DACK names only its delivery: whose message it acks comes from the delivery. */
        watch *d = by_delivery(s, l->delivery);
        if (d && d->pending_apply && !d->ack_early) {
            d->ack_early = line;
            copy(d->ack_node, sizeof d->ack_node, l->from);
        }
        return;
    }
    if (!w) return;
    if (is(l->fate, "dropped") && !w->drop) {
        w->drop = line;
        w->drop_fault = l->fault;
        copy(w->drop_label, sizeof w->drop_label, l->label);
    }
    if (l->copies > 1 && is_accounting(l->to) && !w->dup_send) {
        w->dup_send = line;
        w->dup_fault = l->fault;
    }
    if (is(l->label, "DELIVER PAYMENT") && l->delivery && w->ndeliveries < WATCH_DELIVERIES) {
        int known = 0;
        for (int k = 0; k < w->ndeliveries; k++) known |= w->deliveries[k] == l->delivery;
        if (!known) w->deliveries[w->ndeliveries++] = l->delivery;
    }
}

static void on_crash(scan *s, const tline *l, uint32_t line) {
    int n = node_role(l->node), slot = scenario_node_parse(l->node);
    if (n < 0) return;
    assert(slot >= 0);
    assert(slot < SIM_MAX_NODES);
    for (int i = 0; i < s->nw; i++) {
        watch *w = &s->w[i];
        /* the early ack's own instance: another instance's crash loses nothing of it */
        if (n == 2 && w->ack_early && w->pending_apply && !w->ack_crash &&
            is(w->ack_node, l->node))
            w->ack_crash = line;
        if (n == 1 && w->enqueued && !w->napply && !w->broker_crash) w->broker_crash = line;
    }
    /* A crash at a failpoint hits the payment the node was handling in that step. */
    watch *w = find(s, s->last_pay[slot]);
    if (w && s->last_t[slot] == l->t && !is(l->at, "time") && !w->crash) {
        w->crash = line;
        copy(w->crash_node, sizeof w->crash_node, l->node);
        copy(w->crash_at, sizeof w->crash_at, l->at);
    }
}

/* A power cut takes back what no sync made durable: of each watched payment, the commit
** (payment) or the voucher (accounting) written before it may be gone. */
static void on_power_cut(scan *s, const tline *l, uint32_t line) {
    int n = node_role(l->node);
    for (int i = 0; i < s->nw; i++) {
        watch *w = &s->w[i];
        if (n == 0 && w->commit && !w->cut_payment) w->cut_payment = line;
        if (n == 0 && !w->commit && !w->cut_before) w->cut_before = line;
        if (n == 2 && w->napply && !w->cut_accounting) w->cut_accounting = line;
    }
}

static void on_line(scan *s, const tline *l, uint32_t line) {
    watch *w = find(s, l->pay);
    if (is(l->ev, "note")) on_note(s, w, l, line);
    else if (is(l->ev, "send")) on_send(s, w, l, line);
    else if (is(l->ev, "crash")) on_crash(s, l, line);
    else if (is(l->ev, "power_cut")) on_power_cut(s, l, line);
    else if (is(l->ev, "deliver") && w && is(l->label, "DELIVER PAYMENT") &&
             is_accounting(l->to))
        w->pending_apply = 1;
    else if (is(l->ev, "lost") && w && !w->lost_down) {
        w->lost_down = line;
        copy(w->lost_label, sizeof w->lost_label, l->label);
        copy(w->lost_to, sizeof w->lost_to, l->to);
    }
    if (l->pay && (is(l->ev, "note") || is(l->ev, "send"))) {
        int n = scenario_node_parse(is(l->ev, "send") ? l->from : l->node);
        if (n >= 0) { s->last_pay[n] = l->pay; s->last_t[n] = l->t; }
    }
    if (is(l->ev, "note") && is(l->kind, "apply") && l->pay > 0 && l->pay <= s->npay) {
        if (s->applied[l->pay]) s->out->applied_again++;
        s->applied[l->pay] = 1;
    }
}

static int each_line(void *ctx, const tline *l, uint32_t lineno, const char *raw, size_t len,
                     char *err, size_t cap) {
    on_line(ctx, l, lineno);
    return 0;
}

static int read_trace(scan *s, char *err, size_t cap) {
    char path[600];
    snprintf(path, sizeof path, "%s/trace.jsonl", s->r->opt->run_dir);
    return tline_each(path, 0, each_line, s, err, cap);
}

/* ---- the explanations --------------------------------------------------------------- */

typedef struct {
    char *text;
    size_t cap;
    uint32_t line;
    char msg[64];             /* "message 5", or "message 29 (payment 39)" */
} told;

/* Why accounting saw msg M a second time. */
static const char *second_copy(const watch *w, char *buf, size_t cap) {
    if (w->dup_send && w->dup_fault > 0)
        snprintf(buf, cap, "the network delivered a second copy (fault %" PRId64 ", line %u)",
                 w->dup_fault, w->dup_send);
    else if (w->dup_send)
        snprintf(buf, cap, "the network duplicated the DELIVER PAYMENT frame (line %u)",
                 w->dup_send);
    else if (w->redeliver)
        snprintf(buf, cap, "the broker redelivered it, no ack in time (line %u)", w->redeliver);
    else if (w->republish && node_role(w->republish_node) == 0 &&
             !is(w->republish_node, "payment"))
        snprintf(buf, cap, "%s published it again (line %u)", w->republish_node, w->republish);
    else if (w->republish)
        snprintf(buf, cap, "the recovery scan published it again (line %u)", w->republish);
    else snprintf(buf, cap, "it was delivered again");
    return buf;
}

/* Who applied it, the instances in the order of their first apply ("accounting", or
** "accounting-2 and accounting"); returns how many instances. */
static int appliers(const watch *w, char *buf, size_t cap) {
    int seen[WATCH_APPLIES], n = 0, kept = w->napply < WATCH_APPLIES ? (int)w->napply
                                                                       : WATCH_APPLIES;
    for (int i = 0; i < kept; i++) {
        int dup = 0;
        for (int k = 0; k < n; k++) dup |= seen[k] == w->apply_node[i];
        if (!dup) seen[n++] = w->apply_node[i];
    }
    assert(n >= 1);
    assert(n <= WATCH_APPLIES);
    size_t at = 0;
    buf[0] = '\0';
    for (int k = 0; k < n && at < cap; k++)
        at += (size_t)snprintf(buf + at, cap - at, "%s%s",
                               k == 0 ? "" : k == n - 1 ? " and " : ", ",
                               seen[k] >= 0 ? scenario_node_name(seen[k]) : "accounting");
    return n;
}

/* The vouchers' trace lines; each with its instance when several instances applied. */
static void apply_lines(const watch *w, int instances, char *buf, size_t cap) {
    int kept = w->napply < WATCH_APPLIES ? (int)w->napply : WATCH_APPLIES;
    assert(kept >= 2);
    size_t at = 0;
    buf[0] = '\0';
    for (int i = 0; i < kept && at < cap; i++) {
        const char *sep = i == 0 ? "" : i == kept - 1 && w->napply == (uint32_t)kept ? " and "
                                                                                : ", ";
        at += (size_t)snprintf(buf + at, cap - at, "%s%u", sep, w->apply[i]);
        if (instances > 1 && at < cap && w->apply_node[i] >= 0)
            at += (size_t)snprintf(buf + at, cap - at, " by %s",
                                   scenario_node_name(w->apply_node[i]));
    }
    if (w->napply > (uint32_t)kept && at < cap) snprintf(buf + at, cap - at, ", ...");
}

static int explain_twice(const report_run *r, const watch *w, told *t) {
    char why[160], who[64], lines[128], times[32];
    if (w->napply < 2) return 0;
    const char *d = r->opt->design;
    if (w->napply == 2) snprintf(times, sizeof times, "twice");
    else snprintf(times, sizeof times, "%u times", w->napply);
    int instances = appliers(w, who, sizeof who);
    apply_lines(w, instances, lines, sizeof lines);
    snprintf(t->text, t->cap,
             "%s applied %s %s (vouchers at trace lines %s): %s, and %s", who, t->msg, times,
             lines, second_copy(w, why, sizeof why),
             !strcmp(d, "outbox-no-dedupe")
                 ? "design outbox-no-dedupe never reads the inbox, so nothing saw it was "
                   "already applied"
             : !strcmp(d, "dedupe-per-instance") && instances > 1
                 ? "under design dedupe-per-instance each instance remembers only what it "
                   "applied itself"
                 : "nothing saw it was already applied");
    t->line = w->apply[1];
    return 1;
}

static int explain_ack_crash(const watch *w, told *t) {
    if (!w->ack_crash || w->napply) return 0;
    snprintf(t->text, t->cap,
             "%s acked the delivery of %s (line %u) before writing its voucher, then "
             "crashed (line %u): the broker had forgotten the acked message, so nobody "
             "delivered it again and the voucher was never written",
             w->ack_node, t->msg, w->ack_early, w->ack_crash);
    t->line = w->ack_early;
    return 1;
}

/* A commit or a voucher that a power cut took back after its message or answer had left
** (power.h): the settings had not made it durable before the send. */
static int explain_power(const watch *w, told *t, int phantom) {
    if (phantom && w->cut_payment && w->publish && w->publish < w->cut_payment) {
        snprintf(t->text, t->cap,
                 "payment committed and published %s (line %u), then a power cut at payment "
                 "(line %u) took the commit back: no sync had made it durable, and the "
                 "message had already left", t->msg, w->publish, w->cut_payment);
        t->line = w->cut_payment;
        return 1;
    }
    if (!phantom && w->cut_accounting && w->napply && w->apply[0] < w->cut_accounting) {
        snprintf(t->text, t->cap,
                 "accounting booked the voucher of %s (line %u) and answered, then a power cut "
                 "at accounting (line %u) took the voucher back: no sync had made it durable, "
                 "and nothing delivers an answered message again",
                 t->msg, w->apply[0], w->cut_accounting);
        t->line = w->cut_accounting;
        return 1;
    }
    if (!phantom && w->cut_payment && w->crash && w->crash < w->cut_payment &&
        !strcmp(w->crash_node, "payment")) {
        snprintf(t->text, t->cap,
                 "payment lost power at %s (line %u) right after committing it, and the cut "
                 "took the commit back; committed again when the client asked again, it may "
                 "have got an id lost commits had used, %s, which accounting had already "
                 "booked and so took as a duplicate", w->crash_at, w->crash, t->msg);
        t->line = w->cut_payment;
        return 1;
    }
    if (!phantom && w->cut_before && w->commit > w->cut_before) {
        snprintf(t->text, t->cap,
                 "payment committed it (line %u) after a power cut at payment (line %u) had "
                 "taken back commits whose messages had left: its outbox row may have been "
                 "given one of their ids again, %s, which accounting had already booked and "
                 "so took as a duplicate", w->commit, w->cut_before, t->msg);
        t->line = w->commit;
        return 1;
    }
    return 0;
}

static int explain_phantom(const watch *w, told *t) {
    if (explain_power(w, t, 1)) return 1;
    if (!w->publish_pre_commit) return 0;
    if (w->crash && !strcmp(w->crash_node, "payment"))
        snprintf(t->text, t->cap,
                 "payment published %s (line %u) before its COMMIT and crashed at %s (line %u): "
                 "the transaction died, the message had already left",
                 t->msg, w->publish_pre_commit, w->crash_at, w->crash);
    else
        snprintf(t->text, t->cap,
                 "payment published %s (line %u) before its COMMIT%s", t->msg,
                 w->publish_pre_commit, w->commit ? "" : ", and the COMMIT never happened");
    t->line = w->publish_pre_commit;
    return 1;
}

/* A message that never reached a voucher: where it went missing, and why nobody resent it. */
static int explain_lost(const report_run *r, const watch *w, told *t) {
    if (w->napply) return 0;
    const char *d = r->opt->design;
    const char *resend = !strcmp(d, "outbox-no-recovery") || !strcmp(d, "direct")
                             ? "design %s has no recovery scan to publish it again"
                         : !strcmp(d, "mark-on-publish")
                             ? "design %s had marked the row done when it was sent"
                             : "nothing sent it again";
    char tail[160];
    snprintf(tail, sizeof tail, resend, d);
    int unsent = w->crash && !strcmp(w->crash_node, "payment") && w->commit &&
                 (!w->publish || w->publish > w->crash);
    if (unsent)
        snprintf(t->text, t->cap, "payment crashed at %s (line %u) after its COMMIT, before "
                 "publishing %s, and %s", w->crash_at, w->crash, t->msg, tail);
    else if (w->drop)
        snprintf(t->text, t->cap, "the %s frame of %s was lost on the wire (fault %" PRId64
                 ", line %u), and %s", w->drop_label, t->msg, w->drop_fault, w->drop, tail);
    else if (w->lost_down)
        snprintf(t->text, t->cap, "the %s frame of %s reached %s while it was down (line %u), "
                 "and %s", w->lost_label, t->msg, w->lost_to, w->lost_down, tail);
    else if (w->lost_inside)
        snprintf(t->text, t->cap, "the broker lost %s after accepting it (line %u), and %s",
                 t->msg, w->lost_inside, tail);
    else if (w->broker_crash)
        snprintf(t->text, t->cap, "the broker held %s when it crashed (line %u) and did not "
                 "keep it, and %s", t->msg, w->broker_crash, tail);
    else if (w->dead)
        snprintf(t->text, t->cap, "payment gave %s up after %" PRId64 " attempts: its row "
                 "went DEAD (line %u)", t->msg, w->attempts, w->dead);
    else return 0;
    t->line = unsent ? w->crash : w->drop ? w->drop : w->lost_down ? w->lost_down
            : w->lost_inside ? w->lost_inside : w->broker_crash ? w->broker_crash : w->dead;
    return 1;
}

static void explain(const report_run *r, int inv, const checker_violation *v, const watch *w,
                    cause_item *c) {
    told t = { c->text, sizeof c->text, 0, "" };
    if (v->msg_id && v->msg_id != v->pay_id)
        snprintf(t.msg, sizeof t.msg, "message %" PRIu64 " (payment %" PRIu64 ")", v->msg_id,
                 v->pay_id);
    else snprintf(t.msg, sizeof t.msg, "message %" PRIu64, v->pay_id);
    const char *name = invariant_at(inv)->name;
    int done = 0;
    if (w && (!strcmp(name, "exactly_once") || !strcmp(name, "eventual_consistency") ||
              !strcmp(name, "compensation")))
        done = explain_twice(r, w, &t);
    if (w && !done && !strcmp(name, "no_phantom")) done = explain_phantom(w, &t);
    if (w && !done && !strcmp(name, "eventual_consistency") && strstr(v->text, "no voucher"))
        done = explain_power(w, &t, 0) || explain_ack_crash(w, &t) || explain_lost(r, w, &t);
    c->known = done;
    c->line = done ? t.line : 0;
    if (!done) copy(c->text, sizeof c->text, invariant_at(inv)->broken);
}

/* ---- the entry points ----------------------------------------------------------------- */

static int add_watches(scan *s, const checker_result *c) {
    s->w = calloc(CAUSE_MAX, sizeof *s->w);
    if (!s->w) return -1;
    for (int i = 0; i < CHECKER_INVARIANTS; i++)
        for (int k = 0; k < c->inv[i].nshown; k++) {
            uint64_t p = c->inv[i].shown[k].pay_id;
            int seen = 0;
            for (int j = 0; j < s->nw && !seen; j++) seen = s->w[j].pay == p;
            if (p && !seen) { assert(s->nw < CAUSE_MAX); s->w[s->nw++].pay = p; }
        }
    qsort(s->w, (size_t)s->nw, sizeof *s->w, cmp_watch);
    return 0;
}

int cause_build(const report_run *r, cause_result *out, char *err, size_t cap) {
    assert(r->check != NULL);
    memset(out, 0, sizeof *out);
    scan s = { .r = r, .out = out, .npay = r->opt->sc->workload.payments };
    s.applied = calloc((size_t)s.npay + 1, 1);
    if (!s.applied || add_watches(&s, r->check) != 0) {
        free(s.applied);
        free(s.w);
        snprintf(err, cap, "out of memory for the causes");
        return -1;
    }
    int rc = read_trace(&s, err, cap);
    for (int i = 0; rc == 0 && i < CHECKER_INVARIANTS; i++)
        for (int k = 0; k < r->check->inv[i].nshown; k++) {
            const checker_violation *v = &r->check->inv[i].shown[k];
            assert(out->nitems < CAUSE_MAX);
            cause_item *c = &out->items[out->nitems++];
            c->inv = i;
            c->k = k;
            c->pay = v->pay_id;
            explain(r, i, v, find(&s, v->pay_id), c);
        }
    free(s.w);
    free(s.applied);
    return rc;
}

const cause_item *cause_of(const cause_result *c, int inv, int k) {
    for (int i = 0; i < c->nitems; i++)
        if (c->items[i].inv == inv && c->items[i].k == k) return &c->items[i];
    return NULL;
}
