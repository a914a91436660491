/*
** hproducer.c: the payment service's history checks (see hproducer.h).
*/
#include "hproducer.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/io.h"
#include "hjitter.h"


enum { ROW_NONE = 0, ROW_SENDING, ROW_DEAD, ROW_CONSUMED, ROW_FAILED, ROW_GONE };

static const char *const ROW_NAME[] = { "(none)", "SENDING", "DEAD", "CONSUMED", "FAILED",
                                        "(deleted)" };

typedef struct {
    uint8_t state;
    uint32_t attempt;         /* the last publication's attempt number, 0 none yet */
    int64_t pub_us;           /* when it was (the latest of that number) */
    uint32_t pub_line, state_line;
    int64_t state_us;         /* when it entered its state (a final one: when it settled) */
    int64_t born_us;          /* its commit (or a MAYBE payment's first publication) */
    uint64_t pay;
    uint64_t account;         /* from its commit note, 0 unknown (an adopted row) */
    uint32_t late_ok;         /* the payment restarted or was held up since pub_us */
    uint8_t maybe_moved;      /* payment died inside the answer's transaction (MAYBE) */
    uint8_t decoded;          /* the scan republished it: its stored payload decodes */
    uint8_t state_exact;      /* state_us is when the row settled, read exactly (below) */
    uint32_t alert_line;      /* its latest alert note, 0 none */
    uint32_t gone_line;       /* the cleanup note that deleted it, 0 none */
    int64_t taken_us;         /* the full scan that took it (judge_full_scan), -1 none */
} prow;

struct hproducer {
    const history_conf *conf;
    uint32_t n;               /* rows[1..n] */
    prow *rows;
    uint8_t *committed;       /* by payment id, [1..n]: 0 no, 1 yes, MAYBE (below) */
    uint64_t open_pay;        /* the PAY step payment is handling, until its commit or reply */
    int64_t maybe;            /* payments MAYBE committed, not yet seen published */
    uint64_t adopted;         /* the MAYBE payment whose first publication was just sent */
    uint64_t open_msg;        /* the answer (DELIVER CONSUMED/FAILED) payment is handling */
    int64_t maybe_moved;      /* rows whose answer's transaction payment died inside */
    int64_t sending;
    int clock_off;            /* a clock fault names the payment: timing not judged */
    int slow;                 /* a slow fault names the payment: lateness not judged */
    int64_t scan_us;          /* payment's latest scan (its OX_TIMER_SCAN), -1 none since
                              ** it (re)started */
    uint64_t dead_msg, dead_pay;   /* a DEAD whose alert is due next */
    uint32_t dead_line;
    int64_t alerts;           /* alert notes: alerts committed */
    int power_cut;            /* the payment lost power: its commits are not all promised */
    int64_t no_account;       /* rows adopted without a commit note: account unknown */
    hjitter jit;              /* retry_schedule: the jitter's two sides (hjitter.h) */
    int64_t full_us;          /* a full scan of payment's whose step is not over, -1 none */
    uint32_t full_line;       /* its "N due" note */
    int64_t full_due_ms;      /* the latest due time of a row it took, -1 none yet */
    uint32_t full_msg;        /* that row */
};

hproducer *hproducer_new(const history_conf *conf) {
    hproducer *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->conf = conf;
    p->n = conf->npay;
    p->scan_us = -1;
    p->full_us = -1;
    p->rows = calloc((size_t)p->n + 1, sizeof *p->rows);
    p->committed = calloc((size_t)p->n + 1, 1);
    if (!p->rows || !p->committed) { hproducer_free(p); return NULL; }
    for (uint32_t i = 0; i <= p->n; i++) p->rows[i].taken_us = -1;
    return p;
}

void hproducer_free(hproducer *p) {
    if (!p) return;
    free(p->rows);
    free(p->committed);
    free(p);
}

int64_t hproducer_sending(const hproducer *p) { return p->sending; }

int64_t hproducer_maybe(const hproducer *p) { return p->maybe; }

int64_t hproducer_maybe_moved(const hproducer *p) { return p->maybe_moved; }

/* A payment whose process died inside its transaction, its COMMIT perhaps durable (a
** power cut or a crash right after the commit's sync, explore --sync-points): possibly
** committed, like an indefinite answer.  Its first publication, by the scan after the
** restart, is then the proof that it did commit, not a publication before COMMIT. */
#define MAYBE 2

static prow *row(hproducer *p, uint64_t msg) {
    return msg >= 1 && msg <= p->n ? &p->rows[msg] : NULL;
}

/* Whether a node reads virtual time t exactly.  Its clock is the step's time as text,
** "SSSSSSSSSS.UUUUUU" (the epoch is whole seconds), which libfaketime parses as a double,
** and lib/clock.c truncates to milliseconds: a fraction not exact in binary may read a
** millisecond early (1700000002.050000 as ...2.049999: 41% of the millisecond times of
** a second, measured with libfaketime 0.9.10), so the timing checks allow 1 ms of slack.
** A multiple of 1/8 s is exact in binary and reads exactly (whole seconds, where the
** default scans run, too): there a due time or an age is judged to the millisecond, so
** a `<` for a `<=` on a due or cleanup time, a tick off, is seen. */
static int reads_exact(int64_t t_us) { return t_us % 125000 == 0; }

static void set_state(hproducer *p, prow *r, int to, const history_ev *e) {
    p->sending += (to == ROW_SENDING) - (r->state == ROW_SENDING);
    r->state = (uint8_t)to;
    r->state_line = e->line;
    r->state_us = e->t_us;
    r->state_exact = (uint8_t)reads_exact(e->t_us);
}

/* The interval the knobs give attempt n, without jitter, computed here from the contract
** lib/retry.h states (linear base * n, exponential base * 2^(n-1), capped at retry_max)
** and not by calling lib/retry.c: an oracle that shares the code it judges agrees with
** that code's bugs (an exponent off by one in retry.c moved both sides alike). */
static int64_t backoff(const ox_config *c, uint32_t n) {
    assert(n >= 1);
    assert(c->retry_base_ms > 0);
    assert(c->retry_max_ms > 0);
    int64_t cap = c->retry_max_ms, v = c->retry_base_ms;
    if (c->retry == OX_RETRY_LINEAR) {
        if (v > cap / (int64_t)n) return cap;   /* base * n would pass the cap */
        v *= (int64_t)n;
        return v < cap ? v : cap;
    }
    for (uint32_t i = 1; i < n && v < cap; i++) v *= 2;   /* stops within 63 doublings */
    return v < cap ? v : cap;
}

/* Attempt `a` of row r at e: when the retry policy says, after attempt a-1. */
static void judge_timing(hproducer *p, history_sink *s, prow *r, uint64_t msg, uint32_t a,
                         const history_ev *e) {
    const ox_config *c = &p->conf->cfg;
    uint32_t lines[2] = { r->pub_line, e->line };
    if (a > r->attempt + 1 || (a < r->attempt && a != 1)) {
        history_flag(s, HI_RETRY_SCHEDULE, r->pay, msg, lines, 2,
                     "msg %" PRIu64 ": attempt %u published after attempt %u", msg, a,
                     r->attempt);
        return;
    }
    if (a != r->attempt + 1 || r->attempt == 0 || p->clock_off) return;
    int64_t b = backoff(c, r->attempt);
    int64_t spread = (int64_t)((double)b * c->jitter) + 1;
    int64_t lo = b - spread - 1, hi = b + spread + c->scan_interval_ms + 1;
    int64_t waited = e->t_us / 1000 - r->pub_us / 1000;
    int excused = r->late_ok || p->slow || c->relays > 0;
    if (c->jitter > 0.0) hjitter_sample(&p->jit, c, b, waited, excused, e->line);
    if (waited < lo)
        history_flag(s, HI_RETRY_SCHEDULE, r->pay, msg, lines, 2,
                     "msg %" PRIu64 ": attempt %u came %" PRId64 " ms after attempt %u; the "
                     "policy waits at least %" PRId64 " ms", msg, a, waited, r->attempt, lo);
    else if (waited > hi && !excused)
        history_flag(s, HI_RETRY_SCHEDULE, r->pay, msg, lines, 2,
                     "msg %" PRIu64 ": attempt %u came %" PRId64 " ms after attempt %u; the "
                     "policy waits at most %" PRId64 " ms (scan included)", msg, a, waited,
                     r->attempt, hi);
}

static void on_publish(hproducer *p, history_sink *s, const history_ev *e) {
    unsigned long long msg = 0;
    unsigned a = 0;
    if (sscanf(e->detail, "msg %llu attempt %u", &msg, &a) != 2) {
        history_unreadable(s, e);
        return;
    }
    prow *r = row(p, msg);
    if (!r) return;
    if (r->state == ROW_NONE && r->attempt == 0 && p->adopted && p->adopted == e->pay) {
        /* a row no commit note announced: a MAYBE payment's (adopt); its schedule starts
        ** here, since the history cannot say when it was due */
        set_state(p, r, ROW_SENDING, e);
        r->attempt = a;
        r->late_ok = 1;
        p->no_account++;
        r->born_us = e->t_us;
    }
    p->adopted = 0;
    r->pay = e->pay;
    const ox_config *c = &p->conf->cfg;
    if ((int)a > c->max_attempts) {
        uint32_t lines[1] = { e->line };
        history_flag(s, HI_DEAD_AFTER_MAX, e->pay, msg, lines, 1,
                     "msg %llu published as attempt %u; max_attempts is %d", msg, a,
                     c->max_attempts);
    }
    judge_timing(p, s, r, msg, a, e);
    if (a >= 2) r->decoded = 1;   /* only the scan publishes past attempt 1 (scan.c) */
    if (a != r->attempt) r->late_ok = 0;
    r->attempt = a;
    r->pub_us = e->t_us;
    r->pub_line = e->line;
    /* mark-on-publish: "sent" is "done", silently (scan.c: ox_payment_mark_published) */
    if (c->design == OX_DESIGN_MARK_ON_PUBLISH && r->state == ROW_SENDING)
        set_state(p, r, ROW_CONSUMED, e);
}

static void on_commit(hproducer *p, history_sink *s, const history_ev *e) {
    if (e->pay >= 1 && e->pay <= p->n && p->committed[e->pay] == MAYBE) p->maybe--;
    if (e->pay >= 1 && e->pay <= p->n) p->committed[e->pay] = 1;
    p->open_pay = 0;
    unsigned long long pay = 0, msg = 0, acc = 0;
    long long amount = 0;
    if (sscanf(e->detail, "payment %llu: %lld cents from account %llu, outbox row %llu", &pay,
               &amount, &acc, &msg) != 4) {
        if (!strstr(e->detail, "(no outbox row)")) history_unreadable(s, e);
        return;   /* design direct: no outbox row */
    }
    prow *r = row(p, msg);
    if (!r) return;
    r->pay = pay;
    r->account = acc;
    set_state(p, r, ROW_SENDING, e);
    /* The row is born attempts 1, due interval(1) after COMMIT, published or not: a crash
    ** before the first publication makes the scan's attempt 2 the first one seen. */
    r->attempt = 1;
    r->late_ok = 0;
    r->born_us = e->t_us;
    r->pub_us = e->t_us;
    r->pub_line = e->line;
    (void)s;
}

/* The answer moved row r after all (its note, or a duplicate finding it final). */
static void settle_maybe(hproducer *p, prow *r) {
    if (!r->maybe_moved) return;
    r->maybe_moved = 0;
    p->maybe_moved--;
    assert(p->maybe_moved >= 0);
}

/* "CONSUMED for msg M: no SENDING or DEAD row, ..." (or CONSUME_FAILED ...: nothing left
** to fail): a row the history still has SENDING or DEAD was
** moved by a transaction payment died inside (MAYBE): it is final after all. */
/* An answer (consumed/failed) or a DEAD moves row msg to `to`. */
static void on_move(hproducer *p, history_sink *s, const history_ev *e, int to) {
    unsigned long long msg = 0;
    if (sscanf(e->detail, "msg %llu", &msg) != 1) {
        history_unreadable(s, e);
        return;
    }
    prow *r = row(p, msg);
    if (!r) return;
    if (to != ROW_DEAD) settle_maybe(p, r);
    uint32_t lines[2] = { r->state_line, e->line };
    int from = r->state;
    int ok = to == ROW_DEAD ? from == ROW_SENDING : (from == ROW_SENDING || from == ROW_DEAD);
    if (!ok)
        history_flag(s, HI_FINAL_STATES, e->pay, msg, lines, 2,
                     "msg %llu moved %s -> %s (%s)", msg, ROW_NAME[from], ROW_NAME[to],
                     e->kind);
    set_state(p, r, to, e);
}

static void on_dead(hproducer *p, history_sink *s, const history_ev *e) {
    on_move(p, s, e, ROW_DEAD);
    unsigned long long msg = 0;
    if (sscanf(e->detail, "msg %llu", &msg) != 1) return;
    p->dead_msg = msg;
    p->dead_pay = e->pay;
    p->dead_line = e->line;
}

/* Design ordered: a DEAD head blocks its account, and its alert says so (ordered.c,
** ox_ordered_alert_text): "; it blocks N later message(s) of account A", A the row's
** account and N the account's SENDING rows after it.  N is judged exactly only while the
** history knows every row's state and account (no payment MAYBE committed, none adopted,
** no answer whose transaction payment died in, no power cut). */
static void judge_blocks(hproducer *p, history_sink *s, const history_ev *e, const prow *r,
                         uint64_t msg, const uint32_t *lines) {
    const char *at = strstr(e->detail, "; it blocks ");
    long long n = -1;
    unsigned long long acc = 0;
    if (!at || sscanf(at, "; it blocks %lld later message%*[s ]of account %llu", &n, &acc) != 2)
        n = -1;   /* "message of" or "messages of" */
    if (n < 0) {
        history_flag(s, HI_ALERT_NAMES_ROW, r->pay, msg, lines, 2,
                     "row %" PRIu64 " went DEAD under design ordered; its alert does not say "
                     "what it blocks of account %" PRIu64 " (\"%.100s\")", msg, r->account,
                     e->detail);
        return;
    }
    if (r->account && acc != r->account) {
        history_flag(s, HI_ALERT_NAMES_ROW, r->pay, msg, lines, 2,
                     "row %" PRIu64 " went DEAD; its alert says it blocks account %llu, but "
                     "the row's account is %" PRIu64, msg, acc, r->account);
        return;
    }
    if (p->maybe || p->no_account || p->maybe_moved || p->power_cut || !r->account) return;
    long long behind = 0;
    for (uint64_t j = msg + 1; j <= p->n; j++)
        behind += p->rows[j].account == r->account && p->rows[j].state == ROW_SENDING;
    if (behind != n)
        history_flag(s, HI_ALERT_NAMES_ROW, r->pay, msg, lines, 2,
                     "row %" PRIu64 " went DEAD; its alert says it blocks %lld later messages "
                     "of account %" PRIu64 ", the history holds %lld", msg, n, r->account,
                     behind);
}

static void on_alert(hproducer *p, history_sink *s, const history_ev *e) {
    unsigned long long pay = 0, msg = 0;
    long long n = 0;
    int counted = sscanf(e->detail, "DEAD_LETTER: payment %llu dead after %lld attempts "
                         "(outbox row %llu)", &pay, &n, &msg) == 3;
    if (!counted && sscanf(e->detail, "DEAD_LETTER: payment %llu: outbox row %llu", &pay,
                           &msg) != 2) {
        pay = msg = 0;
        history_unreadable(s, e);
    }
    uint32_t lines[2] = { p->dead_line, e->line };
    if (!p->dead_msg)
        history_flag(s, HI_ALERT_NAMES_ROW, e->pay, msg, lines + 1, 1,
                     "alert for payment %llu, row %llu, with no row gone DEAD", pay, msg);
    else if (msg != p->dead_msg || pay != p->dead_pay || e->pay != p->dead_pay)
        history_flag(s, HI_ALERT_NAMES_ROW, p->dead_pay, p->dead_msg, lines, 2,
                     "row %" PRIu64 " (payment %" PRIu64 ") went DEAD; its alert names row "
                     "%llu, payment %llu", p->dead_msg, p->dead_pay, msg, pay);
    p->alerts++;
    prow *named = row(p, msg);
    if (named) named->alert_line = e->line;
    prow *r = row(p, p->dead_msg);
    int max = p->conf->cfg.max_attempts;
    if (counted && r && r->attempt != (uint32_t)max)
        history_flag(s, HI_DEAD_AFTER_MAX, p->dead_pay, p->dead_msg, lines, 2,
                     "row %" PRIu64 " went DEAD after %u publications; max_attempts is %d",
                     p->dead_msg, r->attempt, max);
    /* The scan decodes a row's stored payload to republish it: an alert that calls the
    ** payload of a row it republished undecodable gives the operator the wrong reason. */
    if (!counted && msg && r && r->decoded)
        history_flag(s, HI_ALERT_NAMES_ROW, p->dead_pay, p->dead_msg, lines, 2,
                     "row %" PRIu64 " went DEAD after attempt %u; its alert calls its payload "
                     "undecodable, but the scan republished it from that payload",
                     p->dead_msg, r->attempt);
    if (p->conf->cfg.design == OX_DESIGN_ORDERED && r && msg == p->dead_msg)
        judge_blocks(p, s, e, r, msg, lines);
    p->dead_msg = 0;
}

/* A cleanup note: the row it deleted must have been final (CONSUMED or FAILED) for at
** least cleanup_after by the trace's clock; never SENDING, never DEAD (its alert would
** name a row that is gone).  One millisecond of slack: the service compares whole ms. */
/* The rest of a cleanup note must be true of the row it names: its payment, its status
** and an age no longer than the row has existed (the service's clock is the trace's
** without a clock fault; one millisecond of slack, as above). */
static void judge_cleanup_note(hproducer *p, history_sink *s, const history_ev *e,
                               const prow *r, uint64_t msg) {
    char status[16] = "";
    long long note_age = 0;
    uint32_t lines[2] = { r->state_line, e->line };
    int n = sscanf(e->detail, "msg %*u deleted: %15[A-Z], updated %lld ms ago", status,
                   &note_age);
    int final = r->state == ROW_CONSUMED || r->state == ROW_FAILED;
    if (n != 2)   /* history.h's format: a note that says no status cannot be judged */
        history_flag(s, HI_CLEANUP_FINAL_ONLY, e->pay, msg, lines, 2,
                     "msg %" PRIu64 " deleted; the cleanup's note does not say its status "
                     "and age (\"msg M deleted: STATUS, updated A ms ago\"): %.60s", msg,
                     e->detail);
    else if (r->pay && e->pay != r->pay)
        history_flag(s, HI_CLEANUP_FINAL_ONLY, e->pay, msg, lines, 2,
                     "msg %" PRIu64 " (payment %" PRIu64 ") deleted; the cleanup's note names "
                     "payment %" PRIu64, msg, r->pay, e->pay);
    else if (final && strcmp(status, ROW_NAME[r->state]) != 0)
        history_flag(s, HI_CLEANUP_FINAL_ONLY, e->pay, msg, lines, 2,
                     "msg %" PRIu64 " deleted as %s, but it was %s", msg, status,
                     ROW_NAME[r->state]);
    else if (r->born_us > 0 && !p->clock_off
             && note_age > (e->t_us - r->born_us) / 1000 + 1)
        history_flag(s, HI_CLEANUP_FINAL_ONLY, e->pay, msg, lines, 2,
                     "msg %" PRIu64 " deleted as updated %lld ms ago, but it was committed %"
                     PRId64 " ms ago", msg, note_age, (e->t_us - r->born_us) / 1000);
}

static void on_cleanup(hproducer *p, history_sink *s, const history_ev *e) {
    unsigned long long msg = 0;
    if (sscanf(e->detail, "msg %llu deleted:", &msg) != 1) {
        history_unreadable(s, e);
        return;
    }
    prow *r = row(p, msg);
    if (!r) return;
    judge_cleanup_note(p, s, e, r, msg);
    uint32_t lines[2] = { r->state_line, e->line };
    int64_t after = p->conf->cfg.cleanup_after_ms;
    int64_t age_ms = (e->t_us - r->state_us) / 1000;
    if (r->state != ROW_CONSUMED && r->state != ROW_FAILED)
        history_flag(s, HI_CLEANUP_FINAL_ONLY, e->pay, msg, lines, 2,
                     "msg %llu deleted by the cleanup while %s", msg, ROW_NAME[r->state]);
    else if (!p->clock_off && age_ms < after - 1)
        history_flag(s, HI_CLEANUP_FINAL_ONLY, e->pay, msg, lines, 2,
                     "msg %llu deleted %" PRId64 " ms after it became %s; cleanup_after is %"
                     PRId64 " ms", msg, age_ms, ROW_NAME[r->state], after);
    else if (!p->clock_off && r->state_exact && reads_exact(e->t_us) && age_ms <= after)
        /* both times read exactly: the row must be older than cleanup_after, not as old */
        history_flag(s, HI_CLEANUP_FINAL_ONLY, e->pay, msg, lines, 2,
                     "msg %llu deleted %" PRId64 " ms after it became %s, not older than "
                     "cleanup_after (%" PRId64 " ms)", msg, age_ms, ROW_NAME[r->state], after);
    set_state(p, r, ROW_GONE, e);
    r->gone_line = e->line;
}

/* A "complete" note (knob completion = delete | archive): the answer's transaction deleted
** the row it had just finished, so it must be CONSUMED or FAILED (its consumed or failed
** note came first); a row deleted while SENDING or DEAD was not finished. */
static void on_complete(hproducer *p, history_sink *s, const history_ev *e) {
    unsigned long long msg = 0;
    char how[16] = "", status[16] = "";
    if (sscanf(e->detail, "msg %llu %15[a-z]: %15s", &msg, how, status) != 3) {
        history_unreadable(s, e);
        return;
    }
    prow *r = row(p, msg);
    if (!r) return;
    uint32_t lines[2] = { r->state_line, e->line };
    if (r->state != ROW_CONSUMED && r->state != ROW_FAILED)
        history_flag(s, HI_CLEANUP_FINAL_ONLY, e->pay, msg, lines, 2,
                     "msg %llu %s by its completion while %s", msg, how, ROW_NAME[r->state]);
    else if (strcmp(status, ROW_NAME[r->state]) != 0)
        history_flag(s, HI_CLEANUP_FINAL_ONLY, e->pay, msg, lines, 2,
                     "msg %llu %s as %s, but it was %s", msg, how, status, ROW_NAME[r->state]);
    set_state(p, r, ROW_GONE, e);
}

/* A DEAD must be followed by its alert, before anything else the payment says. */
static void alert_due(hproducer *p, history_sink *s, const history_ev *e) {
    if (!p->dead_msg) return;
    uint32_t lines[2] = { p->dead_line, e ? e->line : 0 };
    history_flag(s, HI_ALERT_NAMES_ROW, p->dead_pay, p->dead_msg, lines, 2,
                 "row %" PRIu64 " went DEAD with no alert after it", p->dead_msg);
    p->dead_msg = 0;
}

static void on_requeue(hproducer *p, const history_ev *e) {
    if (e->exit_code != 0 || strncmp(e->ctl, "requeue ", 8) != 0) return;
    const char *what = e->ctl + 8;
    unsigned long long one = 0;
    int all = !strcmp(what, "all");
    if (!all && sscanf(what, "%llu", &one) != 1) return;
    for (uint32_t i = 1; i <= p->n; i++) {
        prow *r = &p->rows[i];
        if (r->state != ROW_DEAD || (!all && i != one)) continue;
        set_state(p, r, ROW_SENDING, e);
        r->attempt = 0;   /* attempts 0: the next publication is attempt 1 again */
    }
}

/* Something that may hold the scan up: every SENDING row may be late once. */
static void excuse_all(hproducer *p) {
    for (uint32_t i = 1; i <= p->n; i++) p->rows[i].late_ok = 1;
}

/* alerts_kept: the alert notes against the alert rows the end state counted. */
static void judge_alerts_kept(hproducer *p, history_sink *s) {
    checker_result *out = s->out;
    if (out->payments == 0) { out->inv[HI_ALERTS_KEPT].skipped = 1; return; }   /* no db */
    if (p->power_cut) return;
    int64_t missing = p->alerts - (int64_t)out->alerts;
    int64_t named = 0;
    for (uint32_t i = 1; i <= p->n && named < missing; i++) {
        const prow *r = &p->rows[i];
        if (!r->alert_line || r->gone_line < r->alert_line) continue;
        uint32_t lines[2] = { r->alert_line, r->gone_line };
        history_flag(s, HI_ALERTS_KEPT, r->pay, i, lines, 2,
                     "msg %" PRIu32 ": its alert is gone from payment.db; the cleanup deleted "
                     "the row after the alert", i);
        named++;
    }
    if (missing > named)
        history_flag(s, HI_ALERTS_KEPT, 0, 0, NULL, 0,
                     "the history committed %" PRId64 " alerts; payment.db holds %u at the end",
                     p->alerts, out->alerts);
}

/* Knob completion = delete | archive: the answer's transaction finishes a row and
** completes it (payment.c, finish_consumed and fail_and_refund), so no row is left
** CONSUMED or FAILED in the outbox at the end, only tombstones (outbox_cleaned).  A row
** left finished was finished by one transaction and not completed by the next: a step
** outside its transaction, which a failed write in between makes permanent (the answer
** that comes again finds nothing left to finish).  Conversely, a row the history saw
** finished and never completed, gone from a file that holds no finished row, was deleted
** or archived without its "complete" note: an operator reading the log finds the row
** settled and cannot find where it went. */
static void judge_completed(hproducer *p, history_sink *s) {
    const ox_config *c = &p->conf->cfg;
    const checker_result *out = s->out;
    if (c->completion == OX_COMPLETE_MARK || c->design == OX_DESIGN_DIRECT || !out->payments)
        return;
    const char *how = c->completion == OX_COMPLETE_DELETE ? "delete" : "archive";
    if (out->consumed + out->failed > 0) {
        history_flag(s, HI_CLEANUP_FINAL_ONLY, 0, 0, NULL, 0,
                     "payment.db's outbox still holds %u finished rows (%u CONSUMED, %u "
                     "FAILED) under completion %s: each was finished without being completed "
                     "in the same transaction", out->consumed + out->failed, out->consumed,
                     out->failed, how);
        return;
    }
    if (p->power_cut) return;   /* the file may hold less than the history said */
    for (uint32_t i = 1; i <= p->n; i++) {
        const prow *r = &p->rows[i];
        if (r->state != ROW_CONSUMED && r->state != ROW_FAILED) continue;
        uint32_t lines[1] = { r->state_line };
        history_flag(s, HI_CLEANUP_FINAL_ONLY, r->pay, i, lines, 1,
                     "msg %" PRIu32 " was finished %s and is gone from payment.db's outbox, "
                     "but no complete note says it was completed (completion %s)", i,
                     ROW_NAME[r->state], how);
    }
}

/* Relays (topology { relays = N }, lib/relay.h) run the scan's own row code on the
** payment's rows: their publish, dead, alert, scan, rollback and cleanup notes are the
** scan's, judged as the payment's are; only lateness is not judged for them (a claim
** takes what fits half a lease, and a row another relay holds waits for its lease:
** owned_then_sent, hlease.c, judges a relay that sits on its rows). */
static int scan_node(const char *node) {
    return strcmp(node, "payment") == 0 || strncmp(node, "relay-", 6) == 0;
}

static void on_fault(hproducer *p, const history_ev *e) {
    if (!scan_node(e->target)) return;
    if (!strcmp(e->kind, "clock") || !strcmp(e->kind, "clock_jump")) p->clock_off = 1;
    if (!strcmp(e->kind, "slow")) p->slow = 1;
}

/* A scan at e: the previous scan had to take every row surely due by then (the scan's
** query is next_attempt_at <= now), so a row still at the publication that was due
** then was passed over.  Catches a schedule late by less than a scan interval, which
** the bounds of judge_timing allow (they include a scan interval of slack for rows due
** between scans).  Without jitter the due time is exact; with it, the widest the policy
** gives. */
static void on_scan_tick(hproducer *p, history_sink *s, const history_ev *e) {
    int64_t prev_ms = p->scan_us / 1000;
    int64_t slack = p->scan_us >= 0 && reads_exact(p->scan_us) ? 0 : 1;
    p->scan_us = e->t_us;
    if (prev_ms < 0 || p->clock_off || p->slow) return;
    const ox_config *c = &p->conf->cfg;
    for (uint32_t i = 1; i <= p->n; i++) {
        prow *r = &p->rows[i];
        if (r->state != ROW_SENDING || r->attempt == 0 || r->late_ok) continue;
        int64_t b = backoff(c, r->attempt);
        int64_t spread = c->jitter > 0.0 ? (int64_t)((double)b * c->jitter) + 1 : 0;
        int64_t due_ms = r->pub_us / 1000 + b + spread;
        /* One millisecond of slack where the scan's clock may read a tick early
        ** (reads_exact): a row due exactly at such a scan may be due one tick later for a
        ** correct service too.  None where it reads exactly: due then is taken then. */
        if (due_ms + slack > prev_ms) continue;
        uint32_t lines[2] = { r->pub_line, e->line };
        history_flag(s, HI_RETRY_SCHEDULE, r->pay, i, lines, 2,
                     "msg %" PRIu32 ": due again at %" PRId64 " ms (after attempt %u), and "
                     "the scan at %" PRId64 " ms passed it over", i, due_ms, r->attempt, prev_ms);
        r->late_ok = 1;   /* once per attempt */
    }
}

/* "msg M: business error before COMMIT of ...: rolled back": the scan's transaction for
** row M (DEAD and its alert) rolled back, so the row is still SENDING, due since then,
** and the next scan takes it again: late for the rollback, not the policy. */
static void on_rollback(hproducer *p, const history_ev *e) {
    unsigned long long msg = 0;
    prow *r = sscanf(e->detail, "msg %llu:", &msg) == 1 ? row(p, msg) : NULL;
    if (r) r->late_ok = 1;
}

/* "msg M held: ..." (design ordered, lib/ordered.h): the row is written with attempts 0
** and waits for the earlier messages of its account, however long: it has no schedule
** until its first publication (the release, or a scan once nothing blocks it). */
static void on_hold(hproducer *p, const history_ev *e) {
    unsigned long long msg = 0;
    prow *r = sscanf(e->detail, "msg %llu held", &msg) == 1 ? row(p, msg) : NULL;
    if (r && r->state == ROW_SENDING) r->attempt = 0;
}

/* When row r is next due by the policy, in ms, from its last publication: -1 when the
** history cannot say to the millisecond (jitter, no publication, excused lateness). */
static int64_t due_exact_ms(const hproducer *p, const prow *r) {
    const ox_config *c = &p->conf->cfg;
    if (r->state != ROW_SENDING || r->attempt == 0 || r->late_ok || c->jitter > 0.0) return -1;
    return r->pub_us / 1000 + backoff(c, r->attempt);
}

/* A full scan takes the oldest due rows first.  The scan reads scan_batch due rows
** ORDER BY next_attempt_at, id (scan.c), so a row it passes over must be due no earlier
** than every row it took: a scan that reads newest first, or in no order, starves the
** oldest rows of a backlog, each republished later than its schedule by as many scans as
** the backlog is long.  Judged where the history knows each due time to the millisecond
** (no jitter, payment's own scan, not the ordered design's, no clock fault or pause),
** once the trace moves past the scan's step; a row surely due earlier than one the scan
** took (by more than the millisecond a clock may read early) was passed over out of
** order.  Then, as before, every row may be late once: the batch held the rest back. */
static void judge_full_scan(hproducer *p, history_sink *s) {
    assert(p->full_us >= 0);
    for (uint32_t i = 1; i <= p->n && p->full_due_ms >= 0; i++) {
        prow *r = &p->rows[i];
        int64_t due = due_exact_ms(p, r);
        if (r->taken_us == p->full_us || due < 0 || due >= p->full_due_ms - 1) continue;
        uint32_t lines[2] = { r->pub_line, p->full_line };
        history_flag(s, HI_RETRY_SCHEDULE, r->pay, i, lines, 2,
                     "msg %" PRIu32 ": due at %" PRId64 " ms, passed over by the full scan at "
                     "%" PRId64 " ms, which took msg %" PRIu32 ", due later at %" PRId64 " ms: "
                     "a scan takes the oldest due rows first", i, due, p->full_us / 1000,
                     p->full_msg, p->full_due_ms);
        break;   /* one line per scan: the rest follow from it */
    }
    p->full_us = -1;
    excuse_all(p);
}

/* A publication or DEAD of row msg inside the full scan's step: the scan took it. */
static void full_scan_took(hproducer *p, const history_ev *e) {
    unsigned long long msg = 0;
    prow *r = sscanf(e->detail, "msg %llu", &msg) == 1 ? row(p, msg) : NULL;
    if (!r) return;
    int64_t due = due_exact_ms(p, r);
    r->taken_us = p->full_us;
    if (due > p->full_due_ms) {
        p->full_due_ms = due;
        p->full_msg = (uint32_t)msg;
    }
}

static void on_scan(hproducer *p, const history_ev *e) {
    int n = 0;
    if (sscanf(e->detail, "%d due", &n) != 1 || n < p->conf->cfg.scan_batch) return;
    int judged = !strcmp(e->node, "payment") && !p->clock_off && !p->slow
                 && p->conf->cfg.design != OX_DESIGN_ORDERED;
    if (!judged) { excuse_all(p); return; }
    p->full_us = e->t_us;
    p->full_line = e->line;
    p->full_due_ms = -1;
}

/* Follows the PAY step payment handles: a crash of payment inside it leaves the payment
** MAYBE committed (its commit note is written after COMMIT returns). */
static void track_open(hproducer *p, const history_ev *e) {
    if (!strcmp(e->ev, "pay") && e->pay >= 1 && e->pay <= p->n) p->open_pay = e->pay;
    else if (!strcmp(e->ev, "reply")) p->open_pay = 0;
    else if (!strcmp(e->ev, "deliver") && !strcmp(e->to, "payment"))
        p->open_msg = e->has_msg && !strncmp(e->label, "DELIVER CONSUME", 15) ? e->msg : 0;
    else if (!strcmp(e->ev, "crash") && !strcmp(e->node, "payment")) {
        if (p->open_pay && p->committed[p->open_pay] == 0) {
            p->committed[p->open_pay] = MAYBE;
            p->maybe++;
        }
        prow *r = row(p, p->open_msg);
        if (r && (r->state == ROW_SENDING || r->state == ROW_DEAD) && !r->maybe_moved) {
            r->maybe_moved = 1;
            p->maybe_moved++;
        }
        p->open_pay = 0;
        p->open_msg = 0;
    }
}

static void on_answer_duplicate(hproducer *p, const history_ev *e) {
    char kind[24];
    unsigned long long msg = 0;
    if (sscanf(e->detail, "%23s for msg %llu:", kind, &msg) != 2) return;
    prow *r = row(p, msg);
    if (!r || !r->maybe_moved) return;
    settle_maybe(p, r);
    set_state(p, r, strcmp(kind, "CONSUMED") == 0 ? ROW_CONSUMED : ROW_FAILED, e);
    r->state_exact = 0;   /* it settled earlier, inside the transaction payment died in */
}

/* The first publication of a MAYBE payment: it did commit; its row joins the others. */
static void adopt(hproducer *p, const history_ev *e) {
    if (e->pay < 1 || e->pay > p->n || p->committed[e->pay] != MAYBE) return;
    p->committed[e->pay] = 1;
    p->maybe--;
    assert(p->maybe >= 0);
    p->adopted = e->pay;
}

/* The full scan's step is over: the trace's time moved on, or the payment service began
** another step in the same microsecond (a client's request, a delivery, a timer), whose
** publications are no rows the scan took: a new payment's first one, above all. */
static int full_scan_over(const hproducer *p, const history_ev *e) {
    assert(p->full_us >= 0);
    if (e->t_us > p->full_us) return 1;
    if (!strcmp(e->ev, "pay")) return 1;
    if (!strcmp(e->ev, "deliver") && !strcmp(e->to, "payment")) return 1;
    return !strcmp(e->ev, "timer") && !strcmp(e->node, "payment");
}

void hproducer_event(hproducer *p, history_sink *s, const history_ev *e) {
    const char *ev = e->ev, *k = e->kind;
    if (p->full_us >= 0 && full_scan_over(p, e)) judge_full_scan(p, s);
    track_open(p, e);
    if (!strcmp(ev, "send") && !strcmp(e->from, "payment")
        && !strcmp(e->label, "PUBLISH PAYMENT") && e->has_pay
        && (e->pay > p->n || p->committed[e->pay] == 0)) {
        uint32_t line = e->line;
        history_flag(s, HI_PUBLISH_AFTER_COMMIT, e->pay, e->msg, &line, 1,
                     "payment %" PRIu64 " published (msg %" PRIu64 ") before its "
                     "transaction committed", e->pay, e->msg);
    }
    if (!strcmp(ev, "send") && !strcmp(e->from, "payment") && e->has_pay) adopt(p, e);
    if (!strcmp(ev, "fault")) on_fault(p, e);
    if (!strcmp(ev, "power_cut") && !strcmp(e->node, "payment")) p->power_cut = 1;
    if (!strcmp(ev, "operator")) on_requeue(p, e);
    if ((!strcmp(ev, "start") || !strcmp(ev, "restart")) && !strcmp(e->node, "payment")) {
        excuse_all(p);
        p->scan_us = -1;
    }
    if (!strcmp(ev, "timer") && !strcmp(e->node, "payment") && e->timer_id == OX_TIMER_SCAN)
        on_scan_tick(p, s, e);
    /* A failed disk call may have failed the scan's query or a reschedule, and a paused
    ** payment's timers wait: the next scans come late, for the fault, not the policy. */
    if ((!strcmp(ev, "disk_fault") || !strcmp(ev, "resume")) && !strcmp(e->node, "payment"))
        excuse_all(p);
    if (strcmp(ev, "note") != 0 || !scan_node(e->node)) return;
    if (strcmp(k, "alert") != 0) alert_due(p, s, e);
    if (p->full_us == e->t_us && !strcmp(e->node, "payment")
        && (!strcmp(k, "publish") || !strcmp(k, "dead")))
        full_scan_took(p, e);
    if (!strcmp(k, "commit")) on_commit(p, s, e);
    else if (!strcmp(k, "publish")) on_publish(p, s, e);
    else if (!strcmp(k, "consumed")) on_move(p, s, e, ROW_CONSUMED);
    else if (!strcmp(k, "failed")) on_move(p, s, e, ROW_FAILED);
    else if (!strcmp(k, "dead")) on_dead(p, s, e);
    else if (!strcmp(k, "alert")) on_alert(p, s, e);
    else if (!strcmp(k, "scan")) on_scan(p, e);
    else if (!strcmp(k, "hold")) on_hold(p, e);
    else if (!strcmp(k, "rollback")) on_rollback(p, e);
    else if (!strcmp(k, "cleanup")) on_cleanup(p, s, e);
    else if (!strcmp(k, "complete")) on_complete(p, s, e);
    else if (!strcmp(k, "duplicate")) on_answer_duplicate(p, e);
}

void hproducer_end(hproducer *p, history_sink *s) {
    if (p->full_us >= 0) judge_full_scan(p, s);
    alert_due(p, s, NULL);
    judge_alerts_kept(p, s);
    judge_completed(p, s);
    hjitter_end(&p->jit, s);
}
