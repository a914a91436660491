/*
** hconsumer.c: accounting's history checks (see hconsumer.h).
*/
#include "hconsumer.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { IN_NONE = 0, IN_APPLIED, IN_REFUSED };
enum { ANS_NONE = 0, ANS_CONSUMED, ANS_FAILED };

typedef struct {
    uint8_t inbox, answer;
    uint8_t maybe;            /* accounting died inside this message's transaction */
    uint8_t purged;           /* its inbox row forgotten by a purge (inbox_retention) */
    int64_t inbox_us;         /* when its inbox row was (last) written */
    uint32_t inbox_line, answer_line;
    uint32_t why;             /* its refusal's reason, hashed (reason_hash); 0 unknown */
} cmsg;

typedef struct {
    int64_t amount, account;
    uint8_t known;
} creq;

struct hconsumer {
    const history_conf *conf;
    uint32_t n;
    cmsg *msgs;               /* [1..n], by message id */
    creq *reqs;               /* [1..n], by payment id */
    /* the delivery each accounting instance handles now (competing consumers: each its own) */
    uint64_t cur_msg[OX_MAX_INSTANCES], cur_pay[OX_MAX_INSTANCES];
    uint64_t cur_delivery[OX_MAX_INSTANCES];
    uint32_t cur_line[OX_MAX_INSTANCES];
    int64_t rows, vouchers;   /* committed, as the history says (restart_state) */
    int64_t maybe;            /* messages accounting died inside, ever */
    int clock_off;            /* a clock fault named an accounting instance: no retention */
};

hconsumer *hconsumer_new(const history_conf *conf) {
    hconsumer *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->conf = conf;
    c->n = conf->npay;
    c->msgs = calloc((size_t)c->n + 1, sizeof *c->msgs);
    c->reqs = calloc((size_t)c->n + 1, sizeof *c->reqs);
    if (!c->msgs || !c->reqs) { hconsumer_free(c); return NULL; }
    return c;
}

void hconsumer_free(hconsumer *c) {
    if (!c) return;
    free(c->msgs);
    free(c->reqs);
    free(c);
}

static cmsg *msg_at(hconsumer *c, uint64_t msg) {
    return msg >= 1 && msg <= c->n ? &c->msgs[msg] : NULL;
}

/* Does the rule of the knobs refuse request q?  (accounting.c: judge) */
static int refuses(const ox_config *cfg, const creq *q) {
    for (int i = 0; i < cfg->nfrozen && i < OX_MAX_FROZEN; i++)
        if ((int64_t)cfg->frozen[i] == q->account) return 1;
    return q->amount <= 0 || q->amount > cfg->max_amount;
}

static void judge_rules(hconsumer *c, history_sink *s, const history_ev *e, uint64_t msg,
                        int applied) {
    if (e->pay < 1 || e->pay > c->n || !c->reqs[e->pay].known) return;
    const creq *q = &c->reqs[e->pay];
    int refuse = refuses(&c->conf->cfg, q);
    if (refuse == !applied) return;   /* as the rules say */
    uint32_t line = e->line;
    history_flag(s, HI_BUSINESS_RULES, e->pay, msg, &line, 1,
                 "msg %" PRIu64 " (%" PRId64 " cents, account %" PRId64 ") %s; max_amount is "
                 "%" PRId64 "%s", msg, q->amount, q->account, applied ? "applied" : "refused",
                 c->conf->cfg.max_amount, refuse ? " or the account is frozen" : "");
}

/* A refusal's reason, hashed (FNV-1a), so a message costs 4 bytes, not OX_REASON_MAX;
** never 0, which means "not known". */
static uint32_t reason_hash(const char *why) {
    uint32_t h = 2166136261u;
    for (const unsigned char *c = (const unsigned char *)why; *c; c++) h = (h ^ *c) * 16777619u;
    return h ? h : 1;
}

/* apply or refuse: an inbox row committed. */
static void on_inbox(hconsumer *c, history_sink *s, const history_ev *e, int applied) {
    unsigned long long msg = 0;
    if (sscanf(e->detail, "msg %llu", &msg) != 1) {
        history_unreadable(s, e);
        return;
    }
    cmsg *m = msg_at(c, msg);
    if (!m) return;
    if (m->inbox != IN_NONE) {
        uint32_t lines[2] = { m->inbox_line, e->line };
        history_flag(s, HI_DEDUPE, e->pay, msg, lines, 2,
                     "msg %llu %s again after it was %s: a duplicate was not absorbed", msg,
                     applied ? "applied" : "refused",
                     m->inbox == IN_APPLIED ? "applied" : "refused");
    }
    judge_rules(c, s, e, msg, applied);
    /* outbox-no-dedupe replaces the row: still one; a purged id's row is written anew */
    c->rows += m->inbox == IN_NONE || m->purged;
    c->vouchers += applied;
    m->inbox = applied ? IN_APPLIED : IN_REFUSED;
    m->inbox_line = e->line;
    m->inbox_us = e->t_us;
    m->purged = 0;
    const char *why = strstr(e->detail, " refused: ");
    if (!applied && why) m->why = reason_hash(why + 10);
}

/* Payment's "msg M marked FAILED: WHY": WHY came in the answer, the first or one a
** duplicate got; each must say what accounting's refusal said (a duplicate answered from
** the inbox row must carry the reason stored with it). */
static void on_failed(hconsumer *c, history_sink *s, const history_ev *e) {
    unsigned long long msg = 0;
    int at = 0;
    if (sscanf(e->detail, "msg %llu marked FAILED: %n", &msg, &at) != 1 || at == 0) {
        history_unreadable(s, e);
        return;
    }
    cmsg *m = msg_at(c, msg);
    if (!m || m->inbox != IN_REFUSED || !m->why || reason_hash(e->detail + at) == m->why)
        return;
    uint32_t lines[2] = { m->inbox_line, e->line };
    history_flag(s, HI_DEDUPE, e->pay, msg, lines, 2,
                 "msg %llu was refused for one reason and answered with another: \"%s\"",
                 msg, e->detail + at);
}

/* The answer (PUBLISH CONSUMED / CONSUME_FAILED) or the DACK of msg leaves accounting. */
static void on_out(hconsumer *c, history_sink *s, const history_ev *e, uint64_t msg,
                   const char *what, int i) {
    assert(i >= 0);
    assert(i < OX_MAX_INSTANCES);
    cmsg *m = msg_at(c, msg);
    if (!m || m->inbox != IN_NONE) return;
    uint32_t lines[2] = { c->cur_line[i], e->line };
    history_flag(s, HI_ANSWER_AFTER_COMMIT, e->pay ? e->pay : c->cur_pay[i], msg, lines, 2,
                 "%s for msg %" PRIu64 " sent before its inbox row committed", what, msg);
}

static void on_answer(hconsumer *c, history_sink *s, const history_ev *e) {
    char kind[24] = "";
    unsigned long long msg = 0;
    if (sscanf(e->detail, "%23s for msg %llu", kind, &msg) != 2) {
        history_unreadable(s, e);
        return;
    }
    cmsg *m = msg_at(c, msg);
    if (!m) return;
    int a = !strcmp(kind, "CONSUMED") ? ANS_CONSUMED : ANS_FAILED;
    if (m->answer != ANS_NONE && m->answer != a) {
        uint32_t lines[2] = { m->answer_line, e->line };
        history_flag(s, HI_DEDUPE, e->pay, msg, lines, 2,
                     "msg %llu answered %s after it was answered %s", msg, kind,
                     m->answer == ANS_CONSUMED ? "CONSUMED" : "CONSUME_FAILED");
    }
    if (m->answer == ANS_NONE) { m->answer = (uint8_t)a; m->answer_line = e->line; }
}

static void on_send(hconsumer *c, history_sink *s, const history_ev *e, int i) {
    if (!strcmp(e->label, "DACK")) {
        if (e->has_delivery && e->delivery == c->cur_delivery[i])
            on_out(c, s, e, c->cur_msg[i], "DACK", i);
    } else if (!strncmp(e->label, "PUBLISH ", 8) && e->has_msg) {
        on_out(c, s, e, e->msg, e->label, i);
    }
}

/* Accounting died handling the delivery of cur_msg, before any inbox note: its
** transaction may have committed (a crash or power cut right after the commit's sync:
** explore --sync-points), so the inbox row is possibly there, like an indefinite answer. */
static void on_crash(hconsumer *c, int i) {
    cmsg *m = msg_at(c, c->cur_msg[i]);
    if (m && m->inbox == IN_NONE && !m->maybe) {
        m->maybe = 1;
        c->maybe++;
    }
    c->cur_msg[i] = 0;
}

/* "msg M already APPLIED|REFUSED: answering again": for a message accounting died
** inside (maybe), the proof that its inbox row did commit. */
static void on_duplicate(hconsumer *c, history_sink *s, const history_ev *e) {
    unsigned long long msg = 0;
    char st[16] = "";
    if (sscanf(e->detail, "msg %llu already %15[A-Z]", &msg, st) != 2) {
        history_unreadable(s, e);
        return;
    }
    cmsg *m = msg_at(c, msg);
    if (!m || !m->maybe || m->inbox != IN_NONE) return;
    m->maybe = 0;
    m->inbox = strcmp(st, "APPLIED") == 0 ? IN_APPLIED : IN_REFUSED;
    c->rows++;
    c->vouchers += m->inbox == IN_APPLIED;
    m->inbox_line = e->line;
}

/* A purge note, "N inbox rows received over K ms ago forgotten" (knob inbox_retention T):
** the purge deletes the rows received before its clock minus T, lowest msg id first, at
** most scan_batch (accounting.c, purge).  It may forget only rows the history has in the
** inbox since more than T (a message accounting died inside counts as one, whenever);
** more means a message still within its retention was forgotten, so its redelivery would
** be applied again.  2 ms of slack: the node's clock reads whole ms, and may read 1 ms
** early.  After a clock fault on accounting its clock says nothing of the bound: not
** judged, but the rows are still forgotten (forget). */
static int purgeable(const cmsg *m, int64_t bound_us) {
    return (m->inbox != IN_NONE && !m->purged && m->inbox_us < bound_us) || m->maybe;
}

/* The history forgets N rows, as the purge did: the lowest it knows committed first,
** each off the count a restart must find (restart_state).  A row the purge took from a
** message accounting died inside (whose row may or may not be there) is one fewer of
** those, so charging a committed row instead keeps the count a restart may find within
** [rows, rows + maybe] either way, and never below zero. */
static void forget(hconsumer *c, int n, int64_t bound_us) {
    for (uint32_t i = 1; i <= c->n && n > 0; i++) {
        cmsg *m = &c->msgs[i];
        if (m->inbox == IN_NONE || m->purged || m->inbox_us >= bound_us) continue;
        m->purged = 1;
        c->rows--;
        assert(c->rows >= 0);
        n--;
    }
}

static void on_purge(hconsumer *c, history_sink *s, const history_ev *e) {
    int n = 0;
    long long keep = 0;
    if (sscanf(e->detail, "%d inbox rows received over %lld ms ago", &n, &keep) != 2 || n < 0) {
        history_unreadable(s, e);
        return;
    }
    int64_t t = c->conf->cfg.inbox_retention_ms;
    if (t <= 0) return;
    if (c->clock_off) { forget(c, n, INT64_MAX); return; }
    int64_t bound_us = e->t_us - (t - 2) * 1000, old = 0;
    for (uint32_t i = 1; i <= c->n; i++) old += purgeable(&c->msgs[i], bound_us);
    if (n > old) {
        uint32_t line = e->line;
        history_flag(s, HI_DEDUPE, 0, 0, &line, 1,
                     "%s forgot %d inbox rows at %.3f s; only %" PRId64 " were received more "
                     "than inbox_retention (%" PRId64 " ms) before: it forgot a message still "
                     "within its retention", e->node, n, (double)e->t_us / 1e6, old, t);
    }
    forget(c, n, bound_us);
}

/* Every accounting instance's lines count (history_accounting_instance): they share the
** inbox, so rows, vouchers and answers are the database's; the delivery in hand and a
** crash inside it are the instance's own. */
void hconsumer_event(hconsumer *c, history_sink *s, const history_ev *e) {
    const char *ev = e->ev;
    int i = history_accounting_instance(e->node);
    if (!strcmp(ev, "crash") && i >= 0) { on_crash(c, i); return; }
    if (!strcmp(ev, "fault") && !strncmp(e->kind, "clock", 5)
        && history_accounting_instance(e->target) >= 0)
        c->clock_off = 1;
    if (!strcmp(ev, "pay") && e->pay >= 1 && e->pay <= c->n && !c->reqs[e->pay].known) {
        c->reqs[e->pay] = (creq){ .amount = e->amount, .account = e->account, .known = 1 };
        return;
    }
    int to = history_accounting_instance(e->to);
    if (!strcmp(ev, "deliver") && to >= 0 && e->has_msg) {
        c->cur_msg[to] = e->msg;
        c->cur_pay[to] = e->pay;
        c->cur_delivery[to] = e->delivery;
        c->cur_line[to] = e->line;
        return;
    }
    int from = history_accounting_instance(e->from);
    if (!strcmp(ev, "send") && from >= 0) { on_send(c, s, e, from); return; }
    if (!strcmp(ev, "note") && !strcmp(e->node, "payment") && !strcmp(e->kind, "failed")) {
        on_failed(c, s, e);
        return;
    }
    if (strcmp(ev, "note") != 0 || i < 0) return;
    if (!strcmp(e->kind, "apply")) on_inbox(c, s, e, 1);
    else if (!strcmp(e->kind, "refuse")) on_inbox(c, s, e, 0);
    else if (!strcmp(e->kind, "publish")) on_answer(c, s, e);
    else if (!strcmp(e->kind, "duplicate")) on_duplicate(c, s, e);
    else if (!strcmp(e->kind, "purge")) on_purge(c, s, e);
}

int64_t hconsumer_inbox_rows(const hconsumer *c) { return c->rows; }

int64_t hconsumer_vouchers(const hconsumer *c) { return c->vouchers; }

int64_t hconsumer_maybe(const hconsumer *c) { return c->maybe; }

void hconsumer_end(hconsumer *c, history_sink *s) {
    (void)c;
    (void)s;
}
