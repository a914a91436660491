/*
** narrate.c: the run told on stderr as it happens (see narrate.h).
**
** describe() turns one trace line into a sentence and a level, or says it is not
** worth telling (most deliveries, timers, failpoints and first publications are
** implied by the lines around them).  on_line() applies the per-second budget.
*/
#include "narrate.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "report.h"
#include "tline.h"
#include "../core/proc.h"
#include "../core/world.h"
#include "../util/invariant.h"

enum { LV_SKIP, LV_NORMAL, LV_GOOD, LV_BAD, LV_ALWAYS, LV_ALWAYS_BAD, LV_ALWAYS_GOOD };

typedef struct {
    const world_opts *o;
    narrate_opts opts;
    int color;
    int paced;                /* --pace, and stderr is a terminal */
    int64_t pace_t;           /* virtual time of the last line told, for the pace */
    uint8_t *applied;         /* [payments + 1]: a voucher was booked for it */
    int in_story;             /* narrate_story() is telling one payment ... */
    int story_applies;        /* ... which had this many vouchers so far */
    int64_t second;           /* the virtual second being told */
    int told;                 /* ordinary lines told in it */
    uint64_t held;            /* lines held back in it */
    /* A publication's frame is traced before the note that says why it was sent: a
    ** lost frame waits one line so that "scan found 17 due" reads before its loss. */
    int pending;
    int64_t pend_t;
    uint64_t pend_pay;
    int pend_level;
    char pend_msg[400];
} narrator;

static narrator nr;

#define C_RESET "\033[0m"
#define C_DIM "\033[2m"
#define C_BOLD "\033[1m"
#define C_RED "\033[31m"
#define C_GREEN "\033[32m"

static const char *actor_color(const char *actor) {
    if (!strcmp(actor, "payment")) return "\033[34m";
    if (!strcmp(actor, "broker")) return "\033[35m";
    if (!strcmp(actor, "accounting")) return "\033[36m";
    if (!strcmp(actor, "network")) return "\033[33m";
    return C_BOLD;
}

static void tell(int64_t t, const char *actor, const char *msg, int level) {
    char line[600];
    const int c = nr.color;
    const char *tone = level == LV_GOOD || level == LV_ALWAYS_GOOD ? C_GREEN
                     : level == LV_BAD || level == LV_ALWAYS_BAD ? C_RED : "";
    const char *weight = level >= LV_ALWAYS ? C_BOLD : "";
    int n = snprintf(line, sizeof line, "%s%9.3f%s  %s%-10s%s  %s%s%s%s\n",
                     c ? C_DIM : "", t / 1e6, c ? C_RESET : "",
                     c ? actor_color(actor) : "", actor, c ? C_RESET : "",
                     c ? weight : "", c ? tone : "", msg, c ? C_RESET : "");
    if (n > (int)sizeof line - 1) { n = (int)sizeof line - 1; line[n - 1] = '\n'; }
    fwrite(line, 1, (size_t)n, stderr);
}

static void flush_held(void) {
    if (!nr.held) return;
    char msg[128];
    snprintf(msg, sizeof msg, "%s... %" PRIu64 " more event%s in this second%s",
             nr.color ? C_DIM : "", nr.held, nr.held == 1 ? "" : "s", nr.color ? C_RESET : "");
    fprintf(stderr, "%9s  %-10s  %s\n", "", "", msg);
    nr.held = 0;
}

/* "(fault 2, scenario line 18)" */
static void fault_ref(int64_t id, char *out, size_t cap) {
    const sim_scenario *sc = nr.o->sc;
    if (id >= 1 && id <= sc->nfaults)
        snprintf(out, cap, "fault %" PRId64 ", scenario line %d", id, sc->faults[id - 1].line);
    else snprintf(out, cap, "fault %" PRId64, id);
}

static void frame_name(const tline *l, char *out, size_t cap) {
    if (l->pay) snprintf(out, cap, "%s frame for %" PRIu64, l->label, l->pay);
    else snprintf(out, cap, "%s frame", l->label);
}

static int64_t attempt_of(const char *detail) {
    const char *p = strstr(detail, "attempt ");
    return p ? strtoll(p + 8, NULL, 10) : 0;
}

static int describe_frame(const tline *l, char *m, size_t cap, const char **actor) {
    char fr[96], ref[64];
    frame_name(l, fr, sizeof fr);
    *actor = "network";
    if (!strcmp(l->ev, "send") && !strcmp(l->fate, "dropped")) {
        fault_ref(l->fault, ref, sizeof ref);
        snprintf(m, cap, "%s lost on the way to %s (%s)", fr, l->to, ref);
        return LV_BAD;
    }
    if (!strcmp(l->ev, "send") && l->copies > 1) {
        snprintf(m, cap, "%s duplicated: %s gets %" PRId64 " copies", fr, l->to, l->copies);
        return LV_NORMAL;
    }
    if (!strcmp(l->ev, "lost")) {
        snprintf(m, cap, "%s lost: %s is down", fr, l->to);
        return LV_BAD;
    }
    return LV_SKIP;
}

/* A second voucher for one payment breaks exactly_once as it happens: always told. */
static int describe_apply(const tline *l, char *m, size_t cap) {
    uint64_t p = l->pay;
    int again = 0;
    if (nr.in_story) {
        again = nr.story_applies++ > 0;
    } else if (nr.applied && p > 0 && p <= nr.o->sc->workload.payments) {
        again = nr.applied[p];
        nr.applied[p] = 1;
    }
    if (!again) { snprintf(m, cap, "voucher booked for %" PRIu64, p); return LV_GOOD; }
    snprintf(m, cap, "voucher booked for %" PRIu64 " AGAIN: a second voucher for one payment "
             "(exactly_once breaks here)", p);
    return LV_ALWAYS_BAD;
}

static int describe_note(const tline *l, char *m, size_t cap) {
    const char *k = l->kind;
    uint64_t p = l->pay;
    if (!strcmp(k, "commit")) {
        snprintf(m, cap, "payment %" PRIu64 " committed %s", p,
                 strstr(l->detail, "no outbox row") ? "(no outbox row)" : "with its outbox row");
        return LV_NORMAL;
    }
    if (!strcmp(k, "publish") && !strcmp(l->node, "payment")) {
        int64_t a = attempt_of(l->detail);
        if (a <= 1) return LV_SKIP;
        snprintf(m, cap, "scan found %" PRIu64 " due, attempt %" PRId64, p, a);
        return LV_NORMAL;
    }
    if (!strcmp(k, "apply")) return describe_apply(l, m, cap);
    if (!strcmp(k, "duplicate") && !strcmp(l->node, "accounting")) {
        snprintf(m, cap, "%" PRIu64 " already applied: duplicate ignored, no second voucher", p);
        return LV_NORMAL;
    }
    if (!strcmp(k, "refuse")) {
        const char *why = strstr(l->detail, "refused: ");
        snprintf(m, cap, "refuses %" PRIu64 ": %s", p, why ? why + 9 : l->detail);
        return LV_BAD;
    }
    if (!strcmp(k, "consumed") && !strstr(l->detail, "marked CONSUMED")) {
        /* A row's state is told only when the note says it was marked: design direct has
        ** no outbox table, and its answer arrives and marks nothing. */
        snprintf(m, cap, "CONSUMED answer for %" PRIu64 " arrives (no outbox row to mark)", p);
        return LV_GOOD;
    }
    if (!strcmp(k, "consumed")) {
        snprintf(m, cap, "outbox row of %" PRIu64 " CONSUMED", p);
        return LV_GOOD;
    }
    if (!strcmp(k, "failed")) {
        snprintf(m, cap, "outbox row of %" PRIu64 " FAILED", p);
        return LV_NORMAL;
    }
    if (!strcmp(k, "refund")) {
        snprintf(m, cap, "payment %" PRIu64 " refunded", p);
        return LV_GOOD;
    }
    if (!strcmp(k, "dead")) {
        const char *after = strstr(l->detail, "after ");
        snprintf(m, cap, "outbox row of %" PRIu64 " DEAD%s%s: nobody will send it again", p,
                 after ? " " : "", after ? after : "");
        return LV_BAD;
    }
    if (!strcmp(k, "alert")) {
        snprintf(m, cap, "ALERT raised for %" PRIu64 " (an operator can requeue it)", p);
        return LV_BAD;
    }
    if (!strcmp(k, "redeliver")) {
        snprintf(m, cap, "redelivers %" PRIu64 ": no ack in time", p);
        return LV_NORMAL;
    }
    if (!strcmp(k, "recover")) { snprintf(m, cap, "recovery: %s", l->detail); return LV_ALWAYS; }
    if (!strcmp(k, "queue_full") || !strcmp(k, "reject") || !strcmp(k, "error") ||
        !strcmp(k, "fatal")) {
        snprintf(m, cap, "%s: %s", k, l->detail);
        return LV_BAD;
    }
    return LV_SKIP;
}

/* The faults of sim/core/diskf.h: a disk call failed, a process stopped or resumed. */
static int describe_diskf(const tline *l, char *m, size_t cap) {
    char ref[64];
    fault_ref(l->fault, ref, sizeof ref);
    if (!strcmp(l->ev, "disk_fault") && !strcmp(l->op, "alloc")) {   /* node/memf.h */
        snprintf(m, cap, "%s runs OUT OF MEMORY: an allocation of SQLite's fails (%s)", l->node,
                 ref);
        return LV_ALWAYS_BAD;
    }
    if (!strcmp(l->ev, "disk_fault")) {
        snprintf(m, cap, "%s's DISK fails a %s: %s (%s)", l->node, l->op, l->error, ref);
        return LV_ALWAYS_BAD;
    }
    if (!strcmp(l->ev, "pause")) {
        snprintf(m, cap, "%s PAUSED (SIGSTOP) until %.3f s: what it is sent waits (%s)", l->node,
                 l->until / 1e6, ref);
        return LV_ALWAYS_BAD;
    }
    if (!strcmp(l->ev, "resume")) {
        snprintf(m, cap, "%s resumes (SIGCONT), %" PRId64 " events waiting, its clock jumped",
                 l->node, l->waiting);
        return LV_ALWAYS_GOOD;
    }
    snprintf(m, cap, "%s pause skipped: %s", l->node, l->why);
    return LV_ALWAYS;
}

static int describe_sim(const tline *l, char *m, size_t cap, const char **actor) {
    char ref[64];
    *actor = "sim";
    if (!strcmp(l->ev, "run")) {
        snprintf(m, cap, "run: %s", l->detail[0] ? l->detail : "start");
        return LV_SKIP;   /* told by narrate_attach, which knows more */
    }
    if (!strcmp(l->ev, "crash")) {
        fault_ref(l->fault, ref, sizeof ref);
        snprintf(m, cap, "%s CRASHES: SIGKILL %s%s (%s)", l->node,
                 strcmp(l->at, "time") ? "at " : "at a set time",
                 strcmp(l->at, "time") ? l->at : "", ref);
        return LV_ALWAYS_BAD;
    }
    if (!strcmp(l->ev, "power_cut")) {   /* right after its crash line: what the disk lost */
        char text[256];
        tline_power_text(l, text, sizeof text);
        snprintf(m, cap, "%s", text);
        if (m[0]) m[0] = 'P';   /* "Power cut at ...", a sentence of its own */
        return l->writes_lost || l->lost_in[0] ? LV_ALWAYS_BAD : LV_ALWAYS;
    }
    if (!strcmp(l->ev, "restart")) {
        snprintf(m, cap, "%s restarts on the same database (life %" PRId64 ")", l->node, l->life);
        return LV_ALWAYS_GOOD;
    }
    if (!strcmp(l->ev, "heal")) {
        snprintf(m, cap, "HEAL: every fault stops, down nodes restart; the settle phase begins");
        return LV_ALWAYS;
    }
    if (!strcmp(l->ev, "converged")) {
        snprintf(m, cap, "CONVERGED: nothing SENDING, nothing in flight, %.3f s after healing",
                 l->after_healing / 1e6);
        return LV_ALWAYS_GOOD;
    }
    if (!strcmp(l->ev, "scenario")) {
        snprintf(m, cap, "scenario: %s", l->detail);
        return LV_ALWAYS;
    }
    if (!strcmp(l->ev, "disk_fault") || !strcmp(l->ev, "pause") || !strcmp(l->ev, "resume") ||
        !strcmp(l->ev, "pause_skipped"))
        return describe_diskf(l, m, cap);
    if (!strcmp(l->ev, "tamper") || !strcmp(l->ev, "tamper_skipped")) {   /* tamper.h */
        fault_ref(l->fault, ref, sizeof ref);
        if (!strcmp(l->ev, "tamper"))
            snprintf(m, cap, "%s's DATABASE is changed from outside while it is down (%s)",
                     l->node, ref);
        else snprintf(m, cap, "%s tamper skipped: %s", l->node, l->why);
        return !strcmp(l->ev, "tamper") ? LV_ALWAYS_BAD : LV_ALWAYS;
    }
    if (!strcmp(l->ev, "deploy_refused") || !strcmp(l->ev, "deploy_accepted")) {   /* misconf.h */
        fault_ref(l->fault, ref, sizeof ref);
        if (!strcmp(l->ev, "deploy_refused"))
            snprintf(m, cap, "%s is deployed with a bad knob and refuses to start (%s)",
                     l->node, ref);
        else snprintf(m, cap, "%s is deployed with a bad knob and STARTS with it (%s)", l->node,
                      ref);
        return !strcmp(l->ev, "deploy_refused") ? LV_ALWAYS : LV_ALWAYS_BAD;
    }
    if (!strcmp(l->ev, "crash_skipped")) {
        snprintf(m, cap, "%s crash skipped: %s", l->node, l->why);
        return LV_ALWAYS;
    }
    if (!strcmp(l->ev, "end")) {
        snprintf(m, cap, "end of the settle phase: stopping the services, then the checker");
        return LV_ALWAYS;
    }
    return LV_SKIP;
}

static int describe_client(const tline *l, char *m, size_t cap) {
    if (!strcmp(l->ev, "pay") && l->tries > 1) {
        snprintf(m, cap, "retries payment %" PRIu64 " (try %" PRId64 ")", l->pay, l->tries);
        return LV_NORMAL;
    }
    if (!strcmp(l->ev, "reply") && strcmp(l->result, "ok")) {
        snprintf(m, cap, "payment %" PRIu64 " %s: %s", l->pay, l->result, l->detail);
        return LV_BAD;
    }
    return LV_SKIP;
}

static int describe(const tline *l, char *m, size_t cap, const char **actor) {
    *actor = l->node[0] ? l->node : "sim";
    if (!strcmp(l->ev, "note")) return describe_note(l, m, cap);
    if (!strcmp(l->ev, "send") || !strcmp(l->ev, "lost")) return describe_frame(l, m, cap, actor);
    if (!strcmp(l->ev, "pay") || !strcmp(l->ev, "reply")) return describe_client(l, m, cap);
    return describe_sim(l, m, cap, actor);
}

static void budgeted(int64_t t, const char *actor, const char *msg, int level);

static void tell_pending(void) {
    if (!nr.pending) return;
    nr.pending = 0;
    budgeted(nr.pend_t, "network", nr.pend_msg, nr.pend_level);
}

/* --follow: a line about a payment is told only if the payment is followed. */
static int followed(const tline *l) {
    const html_opts *f = &nr.opts.follow;
    if (f->nfollow == 0 || l->pay == 0) return 1;
    for (int i = 0; i < f->nfollow; i++)
        if (f->follow[i] == l->pay) return 1;
    return 0;
}

/* --pace: waits the virtual time since the last line told, scaled, at most PACE_MAX_WAIT
** wall seconds (an idle stretch of the settle phase should not stall a lecture). */
#define PACE_MAX_WAIT 2.0
static void pace(int64_t t) {
    if (!nr.paced || t <= nr.pace_t) return;
    double wait = (double)(t - nr.pace_t) / 1e6 * nr.opts.pace;
    nr.pace_t = t;
    if (wait > PACE_MAX_WAIT) wait = PACE_MAX_WAIT;
    struct timespec ts = { (time_t)wait, (long)((wait - (double)(time_t)wait) * 1e9) };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR && !proc_interrupted) {}
}

static void on_line(void *ctx, const char *line, size_t len) {
    (void)ctx;
    tline l;
    char msg[400];
    const char *actor = "";
    if (tline_parse(line, len, &l) != 0) return;
    if (!followed(&l)) return;
    int level = describe(&l, msg, sizeof msg, &actor);
    if (nr.pending) {
        int explains = !strcmp(l.ev, "note") && !strcmp(l.kind, "publish") &&
                       l.pay == nr.pend_pay && l.t == nr.pend_t;
        if (explains && level != LV_SKIP) {
            budgeted(l.t, actor, msg, level);
            tell_pending();
            return;
        }
        tell_pending();
    }
    if (level == LV_SKIP) return;
    if (!strcmp(l.ev, "send") && !strcmp(l.fate, "dropped") && !strcmp(l.from, "payment") &&
        l.pay) {
        nr.pending = 1;
        nr.pend_t = l.t;
        nr.pend_pay = l.pay;
        nr.pend_level = level;
        snprintf(nr.pend_msg, sizeof nr.pend_msg, "%s", msg);
        return;
    }
    budgeted(l.t, actor, msg, level);
}

/* Tells a line within the second's budget; lines past it are counted instead. */
static void budgeted(int64_t t, const char *actor, const char *msg, int level) {
    int64_t second = t / 1000000;
    if (second != nr.second) { flush_held(); nr.second = second; nr.told = 0; }
    if (level < LV_ALWAYS && nr.told >= NARRATE_PER_SECOND) { nr.held++; return; }
    if (level < LV_ALWAYS) nr.told++;
    else flush_held();
    pace(t);
    tell(t, actor, msg, level);
}

void narrate_attach(world_opts *o, const narrate_opts *no) {
    const char *nocolor = getenv("NO_COLOR"), *term = getenv("TERM");
    assert(no != NULL);
    assert(no->pace >= 0);
    free(nr.applied);
    memset(&nr, 0, sizeof nr);
    nr.o = o;
    nr.opts = *no;
    nr.color = isatty(STDERR_FILENO) && !(nocolor && *nocolor) && !(term && !strcmp(term, "dumb"));
    nr.paced = no->pace > 0 && isatty(STDERR_FILENO);
    nr.applied = calloc((size_t)o->sc->workload.payments + 1, 1);   /* NULL: no warning */
    o->listen = on_line;
    o->listen_ctx = &nr;
    char msg[400];
    snprintf(msg, sizeof msg,
             "%.300s: design %s, seed %" PRIu64
             ", %u payments; faults for %.1f s, then %.1f s to settle",
             o->sc->name, o->design, o->seed, o->sc->workload.payments, o->sc->run_us / 1e6,
             o->sc->settle_us / 1e6);
    tell(0, "sim", msg, LV_ALWAYS);
}

/* ---- after the check: the story of each broken payment ------------------------------- */

#define STORY_MAX_PAYS 5      /* payments told whole */
#define STORY_MAX_LINES 80    /* lines of one story */

typedef struct {
    uint64_t pay;
    uint64_t deliveries[8];   /* deliveries of its message: a DACK names only these */
    int ndeliveries;
    int64_t last_t;           /* a crash at the time of its last step hit it */
    int told, held;
} story;

/* The invariants whose break on s->pay the step at `line` caused, as "a, b", or "". */
static void breaks_at(const report_run *r, uint64_t pay, uint32_t line, char *out, size_t cap) {
    out[0] = '\0';
    for (int i = 0; i < r->cause->nitems; i++) {
        const cause_item *c = &r->cause->items[i];
        if (c->pay != pay || c->line != line || !c->known) continue;
        const char *name = invariant_at(c->inv)->name;
        if (strstr(out, name)) continue;
        size_t n = strlen(out);
        snprintf(out + n, cap - n, "%s%s", n ? ", " : "", name);
    }
}

/* Story lines the live narration leaves implied, told here because a break may sit on them. */
static int describe_story(story *st, const tline *l, char *m, size_t cap, const char **actor) {
    if (!strcmp(l->ev, "send") && !strcmp(l->label, "DELIVER PAYMENT") && l->pay == st->pay) {
        int known = 0;
        for (int k = 0; k < st->ndeliveries; k++) known |= st->deliveries[k] == l->delivery;
        if (!known && st->ndeliveries < 8) st->deliveries[st->ndeliveries++] = l->delivery;
    }
    if (!strcmp(l->ev, "send") && !strcmp(l->label, "DACK") && !strcmp(l->from, "accounting")) {
        for (int k = 0; k < st->ndeliveries; k++)
            if (st->deliveries[k] == l->delivery) {
                *actor = "accounting";
                snprintf(m, cap, "acks the delivery of %" PRIu64 " to the broker", st->pay);
                return LV_NORMAL;
            }
        return LV_SKIP;
    }
    if (l->pay != st->pay) {
        if (!strcmp(l->ev, "crash") && l->t == st->last_t) return describe(l, m, cap, actor);
        return LV_SKIP;
    }
    int level = describe(l, m, cap, actor);
    if (level != LV_SKIP) return level;
    *actor = l->node[0] ? l->node : "network";
    if (!strcmp(l->ev, "deliver") && !strcmp(l->label, "DELIVER PAYMENT")) {
        *actor = "broker";
        snprintf(m, cap, "message %" PRIu64 " reaches accounting", st->pay);
        return LV_NORMAL;
    }
    if (!strcmp(l->ev, "note") && !strcmp(l->kind, "publish") && !strcmp(l->node, "payment")) {
        snprintf(m, cap, "publishes message %" PRIu64 " (attempt 1)", st->pay);
        return LV_NORMAL;
    }
    if (!strcmp(l->ev, "reply")) {
        snprintf(m, cap, "payment %" PRIu64 " answered %s", st->pay, l->result);
        return LV_NORMAL;
    }
    return LV_SKIP;
}

static void story_line(const report_run *r, story *st, const tline *l, uint32_t line) {
    char msg[400], marked[700], inv[200];   /* marked holds msg, inv and the words */
    const char *actor = "";
    int level = describe_story(st, l, msg, sizeof msg, &actor);
    if (level == LV_SKIP) return;
    if (l->pay == st->pay) st->last_t = l->t;
    if (st->told == STORY_MAX_LINES) { st->held++; return; }
    st->told++;
    breaks_at(r, st->pay, line, inv, sizeof inv);
    if (inv[0]) {
        snprintf(marked, sizeof marked, "%s   <== BREAKS %s (trace line %u)", msg, inv, line);
        tell(l->t, actor, marked, LV_ALWAYS_BAD);
    } else {
        tell(l->t, actor, msg, level);
    }
}

typedef struct {
    const report_run *r;
    story *st;
} story_reader;

static int story_each(void *ctx, const tline *l, uint32_t lineno, const char *raw,
                      size_t len, char *err, size_t cap) {
    story_reader *sr = ctx;
    story_line(sr->r, sr->st, l, lineno);
    return 0;
}

static int story_read(const report_run *r, story *st) {
    char path[600], err[700];
    snprintf(path, sizeof path, "%s/trace.jsonl", r->opt->run_dir);
    story_reader sr = { .r = r, .st = st };
    nr.in_story = 1;
    nr.story_applies = 0;
    int rc = tline_each(path, 0, story_each, &sr, err, sizeof err);
    nr.in_story = 0;
    return rc;
}

static void story_tell(const report_run *r, uint64_t pay) {
    char head[400], names[200] = "";
    for (int i = 0; i < r->cause->nitems; i++) {
        const cause_item *c = &r->cause->items[i];
        const char *name = invariant_at(c->inv)->name;
        if (c->pay != pay || strstr(names, name)) continue;
        size_t n = strlen(names);
        snprintf(names + n, sizeof names - n, "%s%s", n ? ", " : "", name);
    }
    snprintf(head, sizeof head, "the story of payment %" PRIu64 ", which breaks %s: every step "
             "of it, whatever the live narration left out", pay, names);
    fprintf(stderr, "%s%s%s\n", nr.color ? C_BOLD : "", head, nr.color ? C_RESET : "");
    story st = { .pay = pay, .last_t = -1 };
    if (story_read(r, &st) != 0) return;
    if (st.held) fprintf(stderr, "%9s  %-10s  ... %d more lines (trace.jsonl has them)\n", "", "",
                         st.held);
    for (int i = 0; i < r->cause->nitems; i++) {
        const cause_item *c = &r->cause->items[i];
        if (c->pay != pay) continue;
        fprintf(stderr, "%9s  %-10s  why %s: %s\n", "", "", invariant_at(c->inv)->name, c->text);
    }
}

void narrate_story(const report_run *r) {
    uint64_t told[STORY_MAX_PAYS];
    int ntold = 0;
    assert(r->check != NULL);
    if (!nr.o || !r->cause) return;
    for (int i = 0; i < r->cause->nitems && ntold < STORY_MAX_PAYS; i++) {
        uint64_t p = r->cause->items[i].pay;
        int seen = p == 0 || !followed(&(tline){ .pay = p });
        for (int k = 0; k < ntold && !seen; k++) seen = told[k] == p;
        if (seen) continue;
        told[ntold++] = p;
        story_tell(r, p);
    }
    free(nr.applied);
    nr.applied = NULL;
}
