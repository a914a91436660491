/*
** htmldata.c: the report's data, read back from trace.jsonl in two passes (see
** htmldata.h).
**
** Pass 1 sees every line once: the plot series, per-payment flags and delays, the
** crash periods, and the lines the checker cites.  Between the passes the payments to
** follow in the sequence chart and to list in "the life of a message" are chosen.
** Pass 2 collects the chart's items and the lives of the chosen payments.
*/
#include "htmldata.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

int hd_lane(const char *node) {
    if (!strcmp(node, "client")) return LANE_CLIENT;
    if (!strcmp(node, "payment")) return LANE_PAYMENT;
    if (!strcmp(node, "broker")) return LANE_BROKER;
    if (!strcmp(node, "accounting")) return LANE_ACCOUNTING;
    int n = scenario_node_parse(node);   /* an instance of topology{}: its slot's lane */
    return n >= SIM_NODES ? HD_LANE_OF_NODE(n) : -1;
}

static int is(const char *a, const char *b) { return strcmp(a, b) == 0; }

/* Copies src into dst[cap], cut if need be (the texts here are only shown). */
static void scopy(char *dst, size_t cap, const char *src) {
    size_t n = strnlen(src, cap - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* "msg 3 attempt 2 to PAY_QUEUE" -> 2; 0 if absent */
static int64_t attempt_of(const char *detail) {
    const char *p = strstr(detail, "attempt ");
    return p ? strtoll(p + 8, NULL, 10) : 0;
}

static int pay_ok(const hd_run *r, uint64_t pay) { return pay > 0 && pay <= r->npay; }

/* ---- pass 1: series, flags, delays, crash periods, cited lines ---------------- */

static hd_bin *bin_at(hd_run *r, int64_t t) {
    int b = t <= 0 ? 0 : (int)(t / r->bin_us);
    if (b >= HD_FINE_BINS) b = HD_FINE_BINS - 1;
    /* Entering later bins: carry the gauges and the cumulative counts forward. */
    while (r->cur_bin < b) {
        hd_bin *prev = &r->bins[r->cur_bin], *next = &r->bins[++r->cur_bin];
        next->sending = next->sending_last = prev->sending_last;
        next->inflight = next->inflight_last = prev->inflight_last;
        next->commits = prev->commits;
        next->vouchers = prev->vouchers;
        next->alerts = prev->alerts;
        next->dead = prev->dead;
    }
    return &r->bins[r->cur_bin];
}

static void gauges(hd_run *r, hd_bin *b) {
    if (r->sending < 0) r->sending = 0;
    if (r->inflight < 0) r->inflight = 0;
    b->sending_last = r->sending;
    b->inflight_last = r->inflight;
    if (r->sending > b->sending) b->sending = r->sending;
    if (r->inflight > b->inflight) b->inflight = r->inflight;
    b->commits = r->commits;
    b->vouchers = r->vouchers;
    b->alerts = r->alerts;
    b->dead = r->dead;
}

static void leave_sending(hd_run *r, uint64_t pay, int to) {
    if (r->state[pay] == OS_SENDING) r->sending--;
    r->state[pay] = (uint8_t)to;
}

static void note1(hd_run *r, const tline *l, hd_bin *b) {
    uint64_t pay = pay_ok(r, l->pay) ? l->pay : 0;
    const char *k = l->kind;
    if (is(k, "commit") && pay) {
        r->commits++;
        if (r->commit_t[pay] < 0) r->commit_t[pay] = l->t;
        if (!r->direct && r->state[pay] == OS_NONE) { r->state[pay] = OS_SENDING; r->sending++; }
    } else if (is(k, "publish") && pay && is(l->node, "payment")) {
        if (attempt_of(l->detail) > 1) { b->retries++; r->flags[pay] |= PF_REPUB; }
        if (r->mark_on_publish && r->state[pay] == OS_SENDING) leave_sending(r, pay, OS_PUBLISHED);
    } else if (is(k, "apply") && pay) {
        r->vouchers++;
        if (r->commit_t[pay] >= 0 && r->delay[pay] < 0)
            r->delay[pay] = (float)((l->t - r->commit_t[pay]) / 1e6);
    } else if (is(k, "duplicate") && is(l->node, "accounting")) {
        b->dups++;
        if (pay) r->flags[pay] |= PF_DUP;
    } else if (is(k, "refuse") && pay) {
        r->flags[pay] |= PF_REFUSED;
    } else if (is(k, "consumed") && pay) {
        leave_sending(r, pay, OS_CONSUMED);
    } else if (is(k, "failed") && pay) {
        leave_sending(r, pay, OS_FAILED);
    } else if (is(k, "dead") && pay) {
        leave_sending(r, pay, OS_DEAD);
        r->dead++;
        r->flags[pay] |= PF_DEAD;
    } else if (is(k, "alert")) {
        r->alerts++;
    } else if (is(k, "redeliver")) {
        b->redeliveries++;
        if (pay) r->flags[pay] |= PF_REDELIVER;
    }
}

static void down_open(hd_run *r, const tline *l) {
    if (r->ndowns == HD_MAX_DOWNS) return;
    hd_down *d = &r->downs[r->ndowns++];
    d->lane = hd_lane(l->node);
    d->from = l->t;
    d->to = -1;
    d->fault = l->fault;
    scopy(d->at, sizeof d->at, l->at);
}

static void down_close(hd_run *r, const tline *l) {
    int lane = hd_lane(l->node);
    for (int i = r->ndowns - 1; i >= 0; i--)
        if (r->downs[i].lane == lane && r->downs[i].to < 0) { r->downs[i].to = l->t; return; }
}

/* Disk errors and pauses (sim/core/diskf.h), for the plots' marks and bands. */
static void disk_line(hd_run *r, const tline *l) {
    if (is(l->ev, "disk_fault")) {
        if (r->ndisk == HD_MAX_DISK) { r->disk_cut++; return; }
        hd_disk *d = &r->disk[r->ndisk++];
        d->lane = hd_lane(l->node);
        d->t = l->t;
        d->fault = l->fault;
        scopy(d->op, sizeof d->op, l->op);
        scopy(d->error, sizeof d->error, l->error);
    } else if (is(l->ev, "pause") && r->npauses < HD_MAX_DOWNS) {
        hd_down *d = &r->pauses[r->npauses++];
        d->lane = hd_lane(l->node);
        d->from = l->t;
        d->to = -1;
        d->fault = l->fault;
        scopy(d->at, sizeof d->at, "paused");
    } else if (is(l->ev, "resume")) {
        int lane = hd_lane(l->node);
        for (int i = r->npauses - 1; i >= 0; i--)
            if (r->pauses[i].lane == lane && r->pauses[i].to < 0) { r->pauses[i].to = l->t; break; }
    } else if (is(l->ev, "start_failed")) {   /* down until its restart, like a crash */
        down_open(r, l);
        if (r->ndowns > 0) scopy(r->downs[r->ndowns - 1].at, sizeof r->downs[0].at, "START failed");
    }
}

static void cite(hd_run *r, uint32_t lineno, const char *raw, size_t len) {
    /* cited[] is sorted (hd_build sorts it): binary search. */
    int lo = 0, hi = r->ncited - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (r->cited[mid] == lineno) {
            if (r->cited_text[mid]) return;
            if (len > HD_LINE_MAX) len = HD_LINE_MAX;
            while (len && (raw[len - 1] == '\n')) len--;
            r->cited_text[mid] = strndup(raw, len);
            return;
        }
        if (r->cited[mid] < lineno) lo = mid + 1; else hi = mid - 1;
    }
}

static void pass1(hd_run *r, const tline *l, uint32_t lineno, const char *raw, size_t len) {
    hd_bin *b = bin_at(r, l->t);
    uint64_t pay = pay_ok(r, l->pay) ? l->pay : 0;
    if (r->ncited) cite(r, lineno, raw, len);
    if (is(l->ev, "send")) {
        if (is(l->fate, "dropped")) { b->dropped++; if (pay) r->flags[pay] |= PF_DROP; }
        else r->inflight += l->copies > 1 ? (int32_t)l->copies : 1;
        if (l->copies > 1 && pay) r->flags[pay] |= PF_DUP;
    } else if (is(l->ev, "deliver")) {
        r->inflight--;
        if (is(l->label, "DELIVER PAYMENT")) b->deliveries++;
    } else if (is(l->ev, "lost")) {
        r->inflight--;
        b->lost++;
        if (pay) r->flags[pay] |= PF_LOSTDOWN;
    } else if (is(l->ev, "note")) {
        note1(r, l, b);
    } else if (is(l->ev, "crash")) {
        down_open(r, l);
        /* A crash at a failpoint hits the payment the crashed node was handling. */
        if (r->last_pay && r->last_pay_t == l->t && strcmp(l->at, "time") &&
            r->last_pay_lane == hd_lane(l->node))
            r->flags[r->last_pay] |= PF_CRASH;
    } else if (is(l->ev, "restart") || is(l->ev, "start")) {
        down_close(r, l);
    } else if (is(l->ev, "disk_fault") || is(l->ev, "pause") || is(l->ev, "resume") ||
               is(l->ev, "start_failed")) {
        disk_line(r, l);
    } else if (is(l->ev, "heal")) {
        r->heal_t = l->t;
    } else if (is(l->ev, "converged")) {
        r->converged_t = l->t;
    } else if (is(l->ev, "end")) {
        r->end_t = l->t;
    }
    if (!is(l->ev, "timer") && !is(l->ev, "end") && !is(l->ev, "stop")) r->active_t = l->t;
    if (pay && (is(l->ev, "note") || is(l->ev, "send"))) {
        r->last_pay = pay;
        r->last_pay_t = l->t;
        r->last_pay_lane = hd_lane(is(l->ev, "send") ? l->from : l->node);
    }
    gauges(r, b);
}

/* ---- between the passes: whom to follow, whose life to list --------------------- */

static int following(const hd_run *r, uint64_t pay) {
    for (int i = 0; i < r->nfollow; i++) if (r->follow[i] == pay) return 1;
    return 0;
}

static void follow_add(hd_run *r, uint64_t pay, const char *why) {
    if (!pay_ok(r, pay) || following(r, pay) || r->nfollow == HTML_MAX_FOLLOW) return;
    scopy(r->follow_why[r->nfollow], sizeof r->follow_why[0], why);
    r->follow[r->nfollow++] = pay;
}

/* The first payment with flag f, if there is one not followed yet. */
static void follow_first(hd_run *r, uint8_t f, const char *why) {
    for (uint64_t p = 1; p <= r->npay; p++)
        if ((r->flags[p] & f) && !following(r, p)) { follow_add(r, p, why); return; }
}

#define FOLLOW_AUTO 4   /* payments followed when the reader named none */

static void choose_follow(hd_run *r, const html_opts *o) {
    const checker_result *c = r->run->check;
    if (o && o->nfollow) {
        for (int i = 0; i < o->nfollow; i++) follow_add(r, o->follow[i], "named with --follow");
        r->follow_how = "the payments you named with --follow";
        if (r->nfollow) return;
    }
    for (int i = 0; i < CHECKER_INVARIANTS && r->nfollow < FOLLOW_AUTO; i++)
        for (int k = 0; k < c->inv[i].nshown && r->nfollow < FOLLOW_AUTO; k++) {
            char why[96];
            snprintf(why, sizeof why, "breaks %s", c->inv[i].name);
            follow_add(r, c->inv[i].shown[k].pay_id, why);
        }
    if (r->nfollow) { r->follow_how = "the payments the broken invariants name"; return; }
    r->follow_how = "the first payment, then the first one each kind of trouble hit";
    follow_add(r, 1, "the first payment");
    follow_first(r, PF_CRASH, "a crash hit it");
    follow_first(r, PF_DROP, "a frame of it was lost");
    follow_first(r, PF_REFUSED, "accounting refused it");
    follow_first(r, PF_DEAD, "it went DEAD");
    follow_first(r, PF_DUP, "it was duplicated");
    follow_first(r, PF_LOSTDOWN, "a frame of it met a node that was down");
    follow_first(r, PF_REPUB, "the scan published it again");
    if (r->nfollow > FOLLOW_AUTO) r->nfollow = FOLLOW_AUTO;
}

static void life_add(hd_run *r, uint64_t pay) {
    if (!pay_ok(r, pay) || r->life_slot[pay] >= 0 || r->nlives == HD_MAX_LIVES) return;
    r->life_slot[pay] = r->nlives;
    r->lives[r->nlives].pay = pay;
    r->nlives++;
}

/* Every payment when they fit; else the followed, the cited, the troubled, the first. */
static void choose_lives(hd_run *r) {
    const checker_result *c = r->run->check;
    for (int i = 0; i < r->nfollow; i++) life_add(r, r->follow[i]);
    for (int i = 0; i < CHECKER_INVARIANTS; i++)
        for (int k = 0; k < c->inv[i].nshown; k++) life_add(r, c->inv[i].shown[k].pay_id);
    if (r->npay > HD_MAX_LIVES)
        for (uint64_t p = 1; p <= r->npay && r->nlives < HD_MAX_LIVES * 2 / 3; p++)
            if (r->flags[p] & (PF_DEAD | PF_REFUSED | PF_CRASH | PF_LOSTDOWN)) life_add(r, p);
    for (uint64_t p = 1; p <= r->npay && r->nlives < HD_MAX_LIVES; p++) life_add(r, p);
}

/* ---- pass 2: the chart's items, the lives ------------------------------------------ */

/* The followed payment whose message delivery d carried (a DACK names only d), or 0. */
static uint64_t delivery_pay(const hd_run *r, uint64_t d) {
    for (int i = 0; i < r->ndeliveries; i++)
        if (r->deliveries[i][0] == d) return r->deliveries[i][1];
    return 0;
}

static hd_item *item_new(hd_run *r, const tline *l, uint32_t lineno, const char *kind, int global) {
    /* Global marks (crashes, healing) always fit: the last tenth is kept for them. */
    int cap = global ? HD_MAX_ITEMS : HD_MAX_ITEMS - HD_MAX_ITEMS / 10;
    if (r->nitems >= cap) {
        if (!global && !r->items_cut) { r->items_cut = 1; r->cut_at = l->t; }
        return NULL;
    }
    hd_item *it = &r->items[r->nitems++];
    memset(it, 0, sizeof *it);
    it->t = l->t;
    it->line = lineno;
    it->a = it->b = -1;
    scopy(it->kind, sizeof it->kind, kind);
    return it;
}

static void chart_frame(hd_run *r, const tline *l, uint32_t lineno) {
    int mine = pay_ok(r, l->pay) && following(r, l->pay);
    uint64_t pay = mine ? l->pay : is(l->label, "DACK") ? delivery_pay(r, l->delivery) : 0;
    if (!pay) return;
    if (is(l->ev, "send") && mine && l->delivery && !delivery_pay(r, l->delivery) &&
        r->ndeliveries < HD_MAX_DELIVERIES) {
        r->deliveries[r->ndeliveries][0] = l->delivery;
        r->deliveries[r->ndeliveries++][1] = l->pay;
    }
    if (is(l->ev, "send")) r->follow_frames++;
    if (r->items_cut) return;
    const char *kind = is(l->ev, "send") && is(l->fate, "dropped") ? "drop" : l->ev;
    hd_item *it = item_new(r, l, lineno, kind, 0);
    if (!it) return;
    it->a = (int8_t)hd_lane(l->from);
    it->b = (int8_t)hd_lane(l->to);
    it->frame = l->frame;
    it->pay = pay;
    it->n = is(kind, "drop") ? l->fault : l->copies;
    scopy(it->label, sizeof it->label, l->label);
    if (is(kind, "drop"))
        snprintf(it->text, sizeof it->text, "dropped by fault %lld", (long long)l->fault);
    else if (is(kind, "lost")) {
        char t[128];
        snprintf(t, sizeof t, "lost: %s", l->why);
        scopy(it->text, sizeof it->text, t);
    } else if (l->delayed_by)
        snprintf(it->text, sizeof it->text, "delayed by fault %lld", (long long)l->delayed_by);
}

/* Notes that only repeat what an arrow already shows stay out of the chart. */
static int note_in_chart(const tline *l) {
    static const char *const quiet[] = { "deliver", "enqueue", "ack", "stale_ack" };
    for (size_t i = 0; i < sizeof quiet / sizeof quiet[0]; i++) if (is(l->kind, quiet[i])) return 0;
    if (is(l->kind, "publish") && is(l->node, "accounting")) return 0;
    return 1;
}

/* Disk errors, failed STARTs, pauses: a mark on the node's lane (the first HD_CHART_DISK
** disk errors: under p = 0.5 they are hundreds; the plots show every one). */
static void chart_disk(hd_run *r, const tline *l, uint32_t lineno) {
    int disk = is(l->ev, "disk_fault");
    if (disk && r->disk_items++ >= HD_CHART_DISK) return;
    hd_item *it = item_new(r, l, lineno, l->ev, 1);
    if (!it) return;
    it->a = (int8_t)hd_lane(l->node);
    it->n = l->fault;
    char t[160];
    if (disk) {
        scopy(it->label, sizeof it->label, l->op);
        snprintf(t, sizeof t, "%s on %s", l->error, l->op);
    } else if (is(l->ev, "pause")) {
        snprintf(t, sizeof t, "until %.3f s", (double)l->until / 1e6);
    } else if (is(l->ev, "resume")) {
        snprintf(t, sizeof t, "%lld events waited", (long long)l->waiting);
    } else {
        snprintf(t, sizeof t, "%s", l->why);
    }
    scopy(it->text, sizeof it->text, t);
}

static void chart_line(hd_run *r, const tline *l, uint32_t lineno) {
    int mine = pay_ok(r, l->pay) && following(r, l->pay);
    hd_item *it = NULL;
    if (is(l->ev, "send") || is(l->ev, "deliver") || is(l->ev, "lost")) {
        chart_frame(r, l, lineno);
        return;
    }
    if ((is(l->ev, "pay") || is(l->ev, "reply")) && mine && !r->items_cut) {
        it = item_new(r, l, lineno, l->ev, 0);
        if (!it) return;
        it->a = LANE_CLIENT;
        it->b = LANE_PAYMENT;
        it->pay = l->pay;
        it->n = l->tries;
        scopy(it->label, sizeof it->label, is(l->ev, "pay") ? "PAY" : l->result);
        scopy(it->text, sizeof it->text, l->detail);
    } else if (is(l->ev, "note") && mine && note_in_chart(l) && !r->items_cut) {
        it = item_new(r, l, lineno, "note", 0);
        if (!it) return;
        it->a = (int8_t)hd_lane(l->node);
        it->pay = l->pay;
        it->n = attempt_of(l->detail);
        scopy(it->label, sizeof it->label, l->kind);
        scopy(it->text, sizeof it->text, l->detail);
    } else if (is(l->ev, "power_cut")) {
        it = item_new(r, l, lineno, l->ev, 1);   /* a power cut is not a crash: say its loss */
        if (!it) return;
        it->a = (int8_t)hd_lane(l->node);
        it->n = l->fault;
        scopy(it->label, sizeof it->label, l->keep);
        tline_power_text(l, it->text, sizeof it->text);
    } else if (is(l->ev, "disk_fault") || is(l->ev, "start_failed") || is(l->ev, "pause") ||
               is(l->ev, "resume")) {
        chart_disk(r, l, lineno);
    } else if (is(l->ev, "crash") || is(l->ev, "restart") || is(l->ev, "heal") ||
               is(l->ev, "converged") || is(l->ev, "scenario")) {
        it = item_new(r, l, lineno, l->ev, 1);
        if (!it) return;
        it->a = (int8_t)hd_lane(l->node);
        it->n = is(l->ev, "crash") ? l->fault : l->life;
        scopy(it->label, sizeof it->label, l->at);
        scopy(it->text, sizeof it->text, is(l->ev, "scenario") ? l->detail : l->why);
    }
}

static int note_in_life(const tline *l) {
    static const char *const quiet[] = { "deliver", "enqueue", "ack", "stale_ack" };
    for (size_t i = 0; i < sizeof quiet / sizeof quiet[0]; i++) if (is(l->kind, quiet[i])) return 0;
    return 1;
}

static void life_push(hd_life *lf, const tline *l, const char *kind, const char *fmt, const char *a,
                      const char *b) {
    if (lf->nitems == HD_MAX_LIFE_ITEMS) { lf->cut++; return; }
    hd_life_item *it = &lf->items[lf->nitems++];
    it->t = l->t;
    scopy(it->kind, sizeof it->kind, kind);
    char text[512];
    snprintf(text, sizeof text, fmt, a, b);
    scopy(it->text, sizeof it->text, text);
}

static void life_line(hd_run *r, const tline *l) {
    if (!pay_ok(r, l->pay) || r->life_slot[l->pay] < 0) return;
    hd_life *lf = &r->lives[r->life_slot[l->pay]];
    char what[64];
    if (is(l->ev, "pay")) {
        snprintf(what, sizeof what, "%lld", (long long)l->tries);
        life_push(lf, l, "pay", "client asks to pay (try %s)%s", what, "");
    } else if (is(l->ev, "reply")) {
        life_push(lf, l, "reply", "client told: %s (%s)", l->result, l->detail);
    } else if (is(l->ev, "note") && note_in_life(l)) {
        life_push(lf, l, l->kind, "%s: %s", l->node, l->detail);
    } else if (is(l->ev, "send") && is(l->fate, "dropped")) {
        life_push(lf, l, "drop", "%s frame %s dropped on the wire", l->label, l->to);
    } else if (is(l->ev, "lost")) {
        life_push(lf, l, "lost", "%s frame lost: %s is down", l->label, l->to);
    } else if (is(l->ev, "deliver") && is(l->label, "DELIVER PAYMENT")) {
        life_push(lf, l, "delivery", "broker delivers the message to %s%s", l->to, "");
    }
}

static void pass2(hd_run *r, const tline *l, uint32_t lineno) {
    chart_line(r, l, lineno);
    life_line(r, l);
}

/* ---- the two passes ------------------------------------------------------------------ */

static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static void collect_cited(hd_run *r) {
    const checker_result *c = r->run->check;
    for (int i = 0; i < CHECKER_INVARIANTS; i++)
        for (int k = 0; k < c->inv[i].nshown; k++)
            for (int n = 0; n < c->inv[i].shown[k].nlines && r->ncited < HD_MAX_CITED; n++)
                r->cited[r->ncited++] = c->inv[i].shown[k].lines[n];
    qsort(r->cited, (size_t)r->ncited, sizeof r->cited[0], cmp_u32);
    int n = 0;
    for (int i = 0; i < r->ncited; i++)
        if (!n || r->cited[n - 1] != r->cited[i]) r->cited[n++] = r->cited[i];
    r->ncited = n;
}

static int each_pass1(void *ctx, const tline *l, uint32_t lineno, const char *raw,
                      size_t len, char *err, size_t cap) {
    pass1(ctx, l, lineno, raw, len);
    hl_line(&((hd_run *)ctx)->leases, l, lineno);
    return 0;
}

static int each_pass2(void *ctx, const tline *l, uint32_t lineno, const char *raw,
                      size_t len, char *err, size_t cap) {
    pass2(ctx, l, lineno);
    hl_text(&((hd_run *)ctx)->leases, lineno, raw, len);
    return 0;
}

static int read_trace(hd_run *r, int pass, char *err, size_t cap) {
    char path[600];
    snprintf(path, sizeof path, "%s/trace.jsonl", r->run->opt->run_dir);
    return tline_each(path, 0, pass == 1 ? each_pass1 : each_pass2, r, err, cap);
}

int hd_build(hd_run *r, const report_run *run, const html_opts *o, char *err, size_t cap) {
    const world_opts *w = run->opt;
    memset(r, 0, sizeof *r);
    r->run = run;
    r->npay = w->sc->workload.payments;
    r->direct = !strcmp(w->design, "direct");
    r->mark_on_publish = !strcmp(w->design, "mark-on-publish");
    r->span = w->sc->run_us + w->sc->settle_us;
    r->bin_us = r->span / HD_FINE_BINS + 1;
    r->heal_t = r->converged_t = r->end_t = -1;
    size_t n = (size_t)r->npay + 1;
    r->flags = calloc(n, 1);
    r->state = calloc(n, 1);
    r->commit_t = malloc(n * sizeof *r->commit_t);
    r->delay = malloc(n * sizeof *r->delay);
    r->life_slot = malloc(n * sizeof *r->life_slot);
    r->lives = calloc(HD_MAX_LIVES, sizeof *r->lives);
    r->items = calloc(HD_MAX_ITEMS, sizeof *r->items);
    if (!r->flags || !r->state || !r->commit_t || !r->delay || !r->life_slot || !r->lives ||
        !r->items) {
        snprintf(err, cap, "out of memory for the report of %u payments", r->npay);
        return -1;
    }
    for (size_t i = 0; i < n; i++) { r->commit_t[i] = -1; r->delay[i] = -1; r->life_slot[i] = -1; }
    collect_cited(r);
    if (hl_init(&r->leases, w->sc, err, cap) != 0) return -1;
    if (read_trace(r, 1, err, cap) != 0) return -1;
    bin_at(r, r->span);   /* carry the last values to the last bin */
    hl_finish(&r->leases, r->end_t >= 0 ? r->end_t : r->span);
    choose_follow(r, o);
    choose_lives(r);
    return read_trace(r, 2, err, cap);
}

void hd_free(hd_run *r) {
    for (int i = 0; i < r->ncited; i++) free(r->cited_text[i]);
    free(r->flags);
    free(r->state);
    free(r->commit_t);
    free(r->delay);
    free(r->life_slot);
    free(r->lives);
    free(r->items);
    hl_free(&r->leases);
    memset(r, 0, sizeof *r);
}
