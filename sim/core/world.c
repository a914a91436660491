/*
** world.c: the simulator's event loop (see world.h).
*/
#include "world.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../lib/io.h"
#include "dbplace.h"
#include "net.h"
#include "../report/report.h"

/* ---- errors ------------------------------------------------------------------ */

static int fail(sim_world *w, int code, const char *fmt, ...) {
    if (w->err_code) return -1;           /* the first error is the one to report */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->err, sizeof w->err, fmt, ap);
    va_end(ap);
    w->err_code = code;
    return -1;
}

/* The clock node n reads: the epoch, virtual time, and the node's offset. */
/* Node's clock at virtual time t (skew and jumps included). */
static int64_t clock_at(const sim_world *w, int node, int64_t t) {
    return WORLD_EPOCH_US + t + w->skew_us[node];
}
static int64_t clock_of(const sim_world *w, int node) { return clock_at(w, node, w->now); }

static int schedule(sim_world *w, sim_event ev) {
    assert(ev.t >= w->now);
    if (evq_push(&w->q, ev) != 0) {
        free(ev.frame);
        return fail(w, 3, "event queue full (%u events): the run grows without bound", EVQ_MAX);
    }
    if (ev.type == EV_FRAME) w->inflight++;
    return 0;
}

static void count_kind(sim_world *w, const char *kind) {
    for (int i = 0; i < w->nkinds; i++)
        if (!strcmp(w->kinds[i].kind, kind)) { w->kinds[i].count++; return; }
    if (w->nkinds == WORLD_MAX_KINDS) return;
    snprintf(w->kinds[w->nkinds].kind, sizeof w->kinds[0].kind, "%s", kind);
    w->kinds[w->nkinds++].count = 1;
}

static world_failpoint *failpoint_slot(sim_world *w, const char *name) {
    for (int i = 0; i < w->nfps; i++)
        if (!strcmp(w->fps[i].name, name)) return &w->fps[i];
    if (w->nfps == WORLD_MAX_FAILPOINTS) return NULL;
    world_failpoint *fp = &w->fps[w->nfps++];
    memset(fp, 0, sizeof *fp);
    snprintf(fp->name, sizeof fp->name, "%s", name);
    return fp;
}

static uint32_t failpoint_hits(sim_world *w, const char *name) {
    for (int i = 0; i < w->nfps; i++)
        if (!strcmp(w->fps[i].name, name)) return w->fps[i].hits;
    return 0;
}

/* ---- faults taking effect -------------------------------------------------------- */

/* What a fault acts on, for its "fault" line: "payment->broker", "broker<->accounting",
** "broker:PAY_QUEUE", "payment". */
static const char *fault_target(const sim_fault *f, char *buf, size_t n) {
    switch (f->kind) {
    case FK_DROP: case FK_DUPLICATE: case FK_DELAY:
        snprintf(buf, n, "%s->%s", scenario_node_name(f->src), scenario_node_name(f->dst));
        break;
    case FK_PARTITION:
        snprintf(buf, n, "%s%s%s", scenario_node_name(f->src), f->twoway ? "<->" : "->",
                 scenario_node_name(f->dst));
        break;
    case FK_BROKER_LOSS:
        snprintf(buf, n, "broker%s%s", f->queue[0] ? ":" : "", f->queue);
        break;
    default:
        snprintf(buf, n, "%s", scenario_node_name(f->node));
    }
    return buf;
}

static int has_window(const sim_fault *f) {
    return f->kind != FK_CRASH && f->kind != FK_CLOCK && f->kind != FK_CLOCK_JUMP;
}

/* Writes the fault's "fault" line once, when it takes effect: its id, kind, target,
** who declared it, its window and its Lua declaration (scenario_fault_lua), so the
** trace can be read back as an explicit fault schedule. */
static void announce(sim_world *w, sim_fault *f) {
    if (f->announced) return;
    f->announced = 1;
    char target[96], lua[640];
    scenario_fault_lua(f, lua, sizeof lua);
    trace_begin(&w->trace, w->now, "fault");
    trace_int(&w->trace, "fault", f->id);
    trace_str(&w->trace, "kind", scenario_fault_kind_name(f->kind));
    trace_str(&w->trace, "target", fault_target(f, target, sizeof target));
    trace_str(&w->trace, "by", f->nemesis ? "nemesis" : "scenario");
    trace_int(&w->trace, "line", f->line);
    if (has_window(f)) {
        trace_time(&w->trace, "start", f->from_us);
        if (f->to_us != SIM_FOREVER) trace_time(&w->trace, "stop", f->to_us);
    }
    trace_str(&w->trace, "lua", lua);
    trace_end(&w->trace);
    w->st.faults++;
    if (f->nemesis) w->st.nemesis_faults++;
}

/* ---- starting, stepping, crashing nodes --------------------------------------- */

static int apply_reply(sim_world *w, int node, const ox_step *s, const ox_reply *r);

/* Arms, for this step, each failpoint on which a pending crash fault waits. */
static void arm_failpoints(sim_world *w, int node, ox_step *s) {
    if (w->healed) return;
    for (int i = 0; i < w->sc->nfaults; i++) {
        const sim_fault *f = &w->sc->faults[i];
        if (f->kind != FK_CRASH || f->fired || !f->failpoint[0] || f->node != node) continue;
        uint32_t hits = failpoint_hits(w, f->failpoint);
        if (f->hit <= hits) continue;
        uint32_t skip = f->hit - 1 - hits;
        int k = 0;
        while (k < s->narmed &&
               (s->armed[k].action != OX_ARM_CRASH || strcmp(s->armed[k].name, f->failpoint)))
            k++;
        if (k == s->narmed) {
            if (s->narmed == OX_STEP_MAX_ARMED) continue;
            snprintf(s->armed[k].name, sizeof s->armed[k].name, "%s", f->failpoint);
            s->armed[k].skip = skip;
            s->armed[k].action = OX_ARM_CRASH;
            s->narmed++;
        } else if (skip < s->armed[k].skip) {
            s->armed[k].skip = skip;
        }
    }
}

/* Numbers the step and sets its time and the node's clock (skew included). */
static int prepare_step(sim_world *w, int node, ox_step *s, int64_t t) {
    if (++w->st.steps > WORLD_MAX_STEPS)
        return fail(w, 3, "more than %llu steps: the run does not end",
                    (unsigned long long)WORLD_MAX_STEPS);
    s->seq = ++w->step_seq;
    s->vtime_us = t;
    s->clock_us = clock_at(w, node, t);
    return 0;
}

static int step_node(sim_world *w, int node, ox_step *s) {
    sim_proc *p = &w->nodes[node];
    assert(p->pid > 0);
    if (prepare_step(w, node, s, w->now) != 0) return -1;
    arm_failpoints(w, node, s);
    ox_reply r = { .effects = w->effects };
    ox_reply_reader rd;
    char err[600];
    w->st.round_trips++;
    if (proc_steps(&w->procs, p, s, 1, &rd, err, sizeof err) != 0 ||
        proc_section(&w->procs, p, &rd, s->seq, &r, err, sizeof err) != 0)
        return fail(w, 3, "%s", err);
    return apply_reply(w, node, s, &r);
}

static int start_node(sim_world *w, int node, const char *why) {
    sim_proc *p = &w->nodes[node];
    char err[600];
    if (proc_start(&w->procs, p, clock_of(w, node), err, sizeof err) != 0)
        return fail(w, 3, "%s", err);
    trace_begin(&w->trace, w->now, p->life == 1 ? "start" : "restart");
    trace_str(&w->trace, "node", p->name);
    trace_int(&w->trace, "life", p->life);
    if (why) trace_str(&w->trace, "why", why);
    trace_end(&w->trace);
    if (p->life > 1) w->st.restarts++;
    ox_step s = { .kind = OX_STEP_START };
    return step_node(w, node, &s);
}

static void flush_backlog(sim_world *w, int node);

static void crash_node(sim_world *w, int node, sim_fault *f, const char *where) {
    sim_proc *p = &w->nodes[node];
    proc_kill(&w->procs, p);
    w->st.crashes++;
    if (f) announce(w, f);
    trace_begin(&w->trace, w->now, "crash");
    trace_str(&w->trace, "node", p->name);
    trace_int(&w->trace, "life", p->life);
    trace_str(&w->trace, "at", where);
    if (f) trace_int(&w->trace, "fault", f->id);
    trace_end(&w->trace);
    if (f && f->restart_after_us >= 0) {
        sim_event ev = { .t = w->now + f->restart_after_us,
                         .type = EV_RESTART,
                         .node = (int8_t)node,
                         .b = (uint64_t)p->life };
        schedule(w, ev);
    }
    flush_backlog(w, node);
}

/* ---- the network -------------------------------------------------------------- */

static void trace_frame(sim_world *w, const char *ev, const sim_frame *fr, int dst) {
    trace_begin(&w->trace, w->now, ev);
    trace_uint(&w->trace, "frame", fr->id);
    trace_str(&w->trace, "from", scenario_node_name(fr->src));
    trace_str(&w->trace, "to", scenario_node_name(dst));
    trace_str(&w->trace, "label", fr->label);
    if (fr->queue[0]) trace_str(&w->trace, "queue", fr->queue);
    if (fr->pay) trace_uint(&w->trace, "pay", fr->pay);
    if (fr->msg) trace_uint(&w->trace, "msg", fr->msg);
    if (fr->delivery) trace_uint(&w->trace, "delivery", fr->delivery);
}

static sim_frame *frame_copy(const sim_frame *fr) {
    sim_frame *c = malloc(sizeof *c + fr->len);
    if (c) memcpy(c, fr, sizeof *c + fr->len);
    return c;
}

static int route_send(sim_world *w, int src, const ox_effect *e) {
    int dst = scenario_node_parse(e->to);
    if (dst < 0)
        return fail(w, 3, "%s sent a frame to unknown node '%s'", scenario_node_name(src), e->to);
    sim_frame *fr = malloc(sizeof *fr + e->frame_len);
    if (!fr) return fail(w, 3, "out of memory");
    memset(fr, 0, sizeof *fr);
    fr->len = (uint32_t)e->frame_len;
    fr->src = (int8_t)src;
    snprintf(fr->label, sizeof fr->label, "%s", e->label);
    snprintf(fr->queue, sizeof fr->queue, "%s", e->queue);
    fr->pay = e->pay;
    fr->msg = e->msg;
    fr->delivery = e->delivery;
    fr->id = ++w->frame_ids;
    memcpy(fr->bytes, e->frame, e->frame_len);
    w->st.frames++;

    net_fate fate;
    net_decide(w->sc, &w->net, w->now, w->healed, src, dst, fr->queue, fr->label, fr->pay, &fate);
    trace_frame(w, "send", fr, dst);
    if (fate.partitioned_by) {
        trace_str(&w->trace, "fate", "partitioned");
        trace_int(&w->trace, "fault", fate.partitioned_by);
        trace_end(&w->trace);
        w->st.partitioned++;
        free(fr);
        return 0;
    }
    if (fate.dropped_by) {
        trace_str(&w->trace, "fate", "dropped");
        trace_int(&w->trace, "fault", fate.dropped_by);
        trace_end(&w->trace);
        w->st.dropped++;
        free(fr);
        return 0;
    }
    if (fate.duplicated_by) trace_int(&w->trace, "copies", fate.ncopies);
    if (fate.delayed_by) trace_int(&w->trace, "delayed_by", fate.delayed_by);
    if (fate.corrupted_by) {
        char how[96];
        fr->len = net_corrupt(&w->net, fr->bytes, fr->len, how, sizeof how);
        trace_int(&w->trace, "corrupted_by", fate.corrupted_by);
        trace_str(&w->trace, "damage", how);
        w->st.corrupted++;
    }
    trace_time(&w->trace, "arrives", w->now + fate.latency_us[0]);
    trace_end(&w->trace);
    if (fate.duplicated_by) w->st.duplicated += (uint64_t)fate.ncopies - 1;
    if (fate.delayed_by) w->st.delayed++;
    for (int c = 0; c < fate.ncopies; c++) {
        sim_frame *copy = c + 1 < fate.ncopies ? frame_copy(fr) : fr;
        if (!copy) { free(fr); return fail(w, 3, "out of memory"); }
        sim_event ev = { .t = w->now + fate.latency_us[c], .type = EV_FRAME, .node = (int8_t)dst,
                         .frame = copy };
        if (schedule(w, ev) != 0) { if (copy != fr) free(fr); return -1; }
    }
    return 0;
}

/* ---- the client ----------------------------------------------------------------- */

static void client_outcome(sim_world *w, uint32_t pay, uint8_t outcome) {
    hist_entry *h = &w->hist[pay];
    /* OK is final; an UNKNOWN (maybe committed) is never downgraded to FAILED. */
    if (h->outcome == HIST_OK) return;
    if (h->outcome == HIST_UNKNOWN && outcome == HIST_FAILED) return;
    h->outcome = outcome;
}

static void client_retry(sim_world *w, uint32_t pay) {
    if (w->tries[pay] > w->sc->workload.client_retries || w->hist[pay].outcome == HIST_OK) return;
    sim_event ev = { .t = w->now + WORLD_CLIENT_RETRY_US, .type = EV_PAY, .a = pay };
    schedule(w, ev);
}

static void trace_reply(sim_world *w, uint32_t pay, const char *result, const char *detail) {
    trace_begin(&w->trace, w->now, "reply");
    trace_str(&w->trace, "node", "client");
    trace_uint(&w->trace, "pay", pay);
    trace_str(&w->trace, "result", result);
    if (detail) trace_str(&w->trace, "detail", detail);
    trace_end(&w->trace);
}

/* ---- replies ---------------------------------------------------------------------- */

static int apply_effect(sim_world *w, int node, const ox_effect *e, int *replied) {
    const char *name = scenario_node_name(node);
    switch (e->type) {
    case OX_FX_SEND:
        return route_send(w, node, e);
    case OX_FX_TIMER: {
        if (e->timer_id >= WORLD_MAX_TIMERS)
            return fail(w, 3, "%s set timer %u (max %d)", name, e->timer_id, WORLD_MAX_TIMERS - 1);
        int64_t delay = e->delay_us < 0 ? 0 : e->delay_us;
        uint32_t gen = ++w->timer_gen[node][e->timer_id];
        sim_event ev = { .t = w->now + delay,
                         .type = EV_TIMER,
                         .node = (int8_t)node,
                         .a = e->timer_id,
                         .b = ((uint64_t)w->nodes[node].life << 32) | gen };
        return schedule(w, ev);
    }
    case OX_FX_REPLY:
        if (e->pay == 0 || e->pay > w->sc->workload.payments)
            return fail(w, 3, "%s answered unknown payment %" PRIu64, name, e->pay);
        *replied = 1;
        client_outcome(w, (uint32_t)e->pay, e->ok ? HIST_OK : HIST_FAILED);
        trace_reply(w, (uint32_t)e->pay, e->ok ? "ok" : "failed", e->detail);
        return 0;
    case OX_FX_NOTE:
        count_kind(w, e->label);
        trace_begin(&w->trace, w->now, "note");
        trace_str(&w->trace, "node", name);
        trace_str(&w->trace, "kind", e->label);
        if (e->pay) trace_uint(&w->trace, "pay", e->pay);
        trace_str(&w->trace, "detail", e->detail);
        trace_end(&w->trace);
        return 0;
    case OX_FX_INJECTED:
        trace_begin(&w->trace, w->now, "injected");
        trace_str(&w->trace, "node", name);
        trace_str(&w->trace, "site", e->label);
        if (w->inject_fault) trace_int(&w->trace, "fault", w->inject_fault);
        trace_end(&w->trace);
        if (!strcmp(e->label, OX_SITE_BROKER_LOSE)) w->st.lost_inside++;
        return 0;
    case OX_FX_FAILPOINT: {
        world_failpoint *fp = failpoint_slot(w, e->label);
        if (!fp) return fail(w, 3, "more than %d distinct failpoints", WORLD_MAX_FAILPOINTS);
        fp->hits++;
        trace_begin(&w->trace, w->now, "failpoint");
        trace_str(&w->trace, "node", name);
        trace_str(&w->trace, "name", e->label);
        trace_uint(&w->trace, "hit", fp->hits);
        trace_end(&w->trace);
        return 0;
    }
    default:
        return fail(w, 3, "%s sent an effect of unknown type %u", name, e->type);
    }
}

/* The fault that made the node crash at failpoint `name`: the pending one whose hit
** number is the count just reached. */
static sim_fault *crash_fault_for(sim_world *w, int node, const char *name) {
    uint32_t hits = failpoint_hits(w, name);
    for (int i = 0; i < w->sc->nfaults; i++) {
        sim_fault *f = &w->sc->faults[i];
        if (f->kind == FK_CRASH && !f->fired && f->node == node && !strcmp(f->failpoint, name) &&
            f->hit == hits)
            return f;
    }
    return NULL;
}

static int apply_reply(sim_world *w, int node, const ox_step *s, const ox_reply *r) {
    int replied = 0;
    const char *last_fp = NULL, *last_note = NULL;
    for (unsigned i = 0; i < r->neffects && !w->err_code; i++) {
        const ox_effect *e = &r->effects[i];
        if (e->type == OX_FX_FAILPOINT) last_fp = e->label;
        if (e->type == OX_FX_NOTE) last_note = e->detail;
        apply_effect(w, node, e, &replied);
    }
    if (w->err_code) return -1;
    if (r->status == OX_REPLY_FATAL)
        return fail(w, 3, "%s gave up: %s (see %s)", scenario_node_name(node),
                    last_note ? last_note : "no reason given", w->nodes[node].log_path);
    if (s->kind == OX_STEP_PAY && !replied && r->status == OX_REPLY_OK)
        return fail(w, 3, "payment did not answer payment %" PRIu64, s->pay_id);
    if (r->status != OX_REPLY_CRASH) return 0;
    if (!last_fp)
        return fail(w, 3, "%s crashed without naming a failpoint", scenario_node_name(node));
    sim_fault *f = crash_fault_for(w, node, last_fp);
    if (!f)
        return fail(w, 3, "%s crashed at failpoint %s, which was not armed",
                    scenario_node_name(node), last_fp);
    f->fired = 1;
    failpoint_slot(w, last_fp)->crashes++;
    if (s->kind == OX_STEP_PAY && !replied) {
        client_outcome(w, (uint32_t)s->pay_id, HIST_UNKNOWN);
        trace_reply(w, (uint32_t)s->pay_id, "unknown",
                    "the payment service crashed before answering");
        client_retry(w, (uint32_t)s->pay_id);
    }
    crash_node(w, node, f, last_fp);
    return 0;
}

/* ---- slow nodes: busy time and backlog ---------------------------------------------- */

/* The node an event steps (a client request goes to payment). */
static int node_of(const sim_event *ev) { return ev->type == EV_PAY ? 0 : ev->node; }

static int backlog_push(sim_world *w, int node, const sim_event *ev) {
    world_backlog *b = &w->backlog[node];
    if (b->len == b->cap) {
        if (b->cap >= WORLD_BACKLOG_MAX)
            return fail(w, 3, "%s: more than %d events waiting in its backlog",
                        scenario_node_name(node), WORLD_BACKLOG_MAX);
        uint32_t cap = b->cap ? b->cap * 2 : 64;
        if (cap > WORLD_BACKLOG_MAX) cap = WORLD_BACKLOG_MAX;
        sim_event *ring = malloc((size_t)cap * sizeof *ring);
        if (!ring) return fail(w, 3, "out of memory");
        for (uint32_t i = 0; i < b->len; i++) ring[i] = b->ev[(b->head + i) % b->cap];
        free(b->ev);
        b->ev = ring, b->cap = cap, b->head = 0;
    }
    b->ev[(b->head + b->len) % b->cap] = *ev;
    b->len++;
    if (ev->type == EV_FRAME) b->frames++;
    return 0;
}

static sim_event backlog_pop(world_backlog *b) {
    assert(b->len > 0);
    sim_event ev = b->ev[b->head];
    b->head = (b->head + 1) % b->cap;
    b->len--;
    if (ev.type == EV_FRAME) b->frames--;
    return ev;
}

/* A timer set by an earlier life, or replaced since, never fires. */
static int timer_live(const sim_world *w, const sim_event *ev) {
    const sim_proc *p = &w->nodes[(int)ev->node];
    uint32_t life = (uint32_t)(ev->b >> 32), gen = (uint32_t)ev->b;
    return p->pid != 0 && (int)life == p->life && gen == w->timer_gen[(int)ev->node][ev->a];
}

/* How long `node` stays busy after a frame it handles now: the largest per-message
** time of the slow faults active on it (0: not slow). */
static int64_t slow_per(const sim_world *w, int node) {
    int64_t per = 0;
    for (int i = 0; !w->healed && i < w->sc->nfaults; i++) {
        const sim_fault *f = &w->sc->faults[i];
        if (f->kind == FK_SLOW && f->node == node && w->now >= f->from_us && w->now < f->to_us &&
            f->per_us > per)
            per = f->per_us;
    }
    return per;
}

/* 1 if ev must wait: its node is up and busy, or earlier events wait already (order). */
static int must_wait(const sim_world *w, const sim_event *ev) {
    if (ev->type != EV_FRAME && ev->type != EV_TIMER && ev->type != EV_PAY) return 0;
    int n = node_of(ev);
    if (w->nodes[n].pid == 0) return 0;
    return w->now < w->busy_until[n] || w->backlog[n].len > 0;
}

static int schedule_free(sim_world *w, int n) {
    if (w->free_pending[n]) return 0;
    w->free_pending[n] = 1;
    sim_event ev = { .t = w->busy_until[n] > w->now ? w->busy_until[n] : w->now,
                     .type = EV_FREE,
                     .node = (int8_t)n };
    return schedule(w, ev);
}

/* Puts ev in its node's backlog (taking its frame), or loses the frame when the backlog
** holds WORLD_BACKLOG_FRAMES frames already (a full socket buffer). */
static int defer(sim_world *w, sim_event *ev) {
    int n = node_of(ev);
    world_backlog *b = &w->backlog[n];
    if (ev->type == EV_TIMER && !timer_live(w, ev)) return 0;
    if (ev->type == EV_FRAME && b->frames >= WORLD_BACKLOG_FRAMES) {
        w->inflight--;
        trace_frame(w, "lost", ev->frame, n);
        trace_str(&w->trace, "why", "backlog full");
        trace_end(&w->trace);
        w->st.backlog_lost++;
        return 0;
    }
    if (backlog_push(w, n, ev) != 0) return -1;
    w->st.deferred++;
    if (b->len > w->st.backlog_max) w->st.backlog_max = b->len;
    trace_begin(&w->trace, w->now, "backlog");
    trace_str(&w->trace, "node", scenario_node_name(n));
    if (ev->type == EV_FRAME) {
        trace_uint(&w->trace, "frame", ev->frame->id);
        trace_str(&w->trace, "label", ev->frame->label);
        if (ev->frame->pay) trace_uint(&w->trace, "pay", ev->frame->pay);
    } else if (ev->type == EV_TIMER) {
        trace_uint(&w->trace, "timer", ev->a);
    } else {
        trace_uint(&w->trace, "pay", ev->a);
    }
    trace_uint(&w->trace, "depth", b->len);
    trace_time(&w->trace, "busy_until", w->busy_until[n]);
    trace_end(&w->trace);
    ev->frame = NULL;    /* the backlog owns it now */
    return schedule_free(w, n);
}

/* The node crashed: what waited in its backlog was in its socket buffers, and is gone. */
static void flush_backlog(sim_world *w, int node) {
    world_backlog *b = &w->backlog[node];
    while (b->len > 0) {
        sim_event ev = backlog_pop(b);
        if (ev.type == EV_FRAME) {
            w->inflight--;
            trace_frame(w, "lost", ev.frame, node);
            trace_str(&w->trace, "why", "node crashed with the frame in its backlog");
            trace_end(&w->trace);
            w->st.backlog_lost++;
        } else if (ev.type == EV_PAY) {
            client_outcome(w, ev.a, HIST_UNKNOWN);
            trace_reply(w, ev.a, "unknown",
                        "the payment service crashed before handling the request");
            client_retry(w, ev.a);
        }
        free(ev.frame);
    }
    w->busy_until[node] = 0;
}

/* ---- broker internal loss -------------------------------------------------------------- */

/* For a PUBLISH the broker is about to handle, the first active broker_loss fault on its
** queue that fires (its nth frame, or by chance from the fault stream) arms the
** library's loss site for this one step. */
static void arm_broker_loss(sim_world *w, int node, const sim_frame *fr, ox_step *s) {
    w->inject_fault = 0;
    if (node != 1 || w->healed || strncmp(fr->label, "PUBLISH", 7) != 0) return;
    for (int i = 0; i < w->sc->nfaults; i++) {
        sim_fault *f = &w->sc->faults[i];
        if (f->kind != FK_BROKER_LOSS || w->now < f->from_us || w->now >= f->to_us) continue;
        if (f->queue[0] && strcmp(f->queue, fr->queue) != 0) continue;
        f->seen++;
        if (f->nth ? f->seen != f->nth : !ox_prng_chance(&w->faults, f->p)) continue;
        assert(s->narmed < OX_STEP_MAX_ARMED);    /* a fresh step arms nothing yet */
        ox_armed *a = &s->armed[s->narmed++];
        snprintf(a->name, sizeof a->name, "%s", OX_SITE_BROKER_LOSE);
        a->skip = 0;
        a->action = OX_ARM_INJECT;
        w->inject_fault = f->id;
        return;
    }
}

/* ---- events ------------------------------------------------------------------------- */

/* Each handler of an event that steps a node comes in three parts, so that a batch
** (run_batch) can build every step first and do the rest at each event's turn:
**   X_pre   what happens at the event's turn before the step (trace, counts); 0 if
**           the event ends there (node down, stale timer), 1 if the node steps;
**   X_step  the step's content, from the event alone (no side effects);
**   on_X    both, the step, and what follows it. */

static int frame_pre(sim_world *w, sim_event *ev) {
    sim_frame *fr = ev->frame;
    int node = ev->node;
    w->inflight--;
    if (w->nodes[node].pid == 0) {
        trace_frame(w, "lost", fr, node);
        trace_str(&w->trace, "why", "node down");
        trace_end(&w->trace);
        w->st.lost_down++;
        return 0;
    }
    trace_frame(w, "deliver", fr, node);
    if (ev->t < w->now) trace_time(&w->trace, "waited", w->now - ev->t);
    trace_end(&w->trace);
    w->st.delivered++;
    return 1;
}

static void frame_step(const sim_event *ev, ox_step *s) {
    memset(s, 0, sizeof *s);
    s->kind = OX_STEP_FRAME;
    s->frame = ev->frame->bytes;
    s->frame_len = ev->frame->len;
    snprintf(s->from, sizeof s->from, "%s", scenario_node_name(ev->frame->src));
}

static int on_frame(sim_world *w, sim_event *ev) {
    int node = ev->node;
    if (!frame_pre(w, ev)) return 0;
    ox_step s;
    frame_step(ev, &s);
    arm_broker_loss(w, node, ev->frame, &s);
    int rc = step_node(w, node, &s);
    w->inject_fault = 0;
    int64_t per = rc == 0 && w->nodes[node].pid != 0 ? slow_per(w, node) : 0;
    if (per > 0) w->busy_until[node] = w->now + per;
    return rc;
}

static int timer_pre(sim_world *w, sim_event *ev) {
    if (!timer_live(w, ev)) return 0;
    w->st.timers++;
    trace_begin(&w->trace, w->now, "timer");
    trace_str(&w->trace, "node", w->nodes[(int)ev->node].name);
    trace_uint(&w->trace, "id", ev->a);
    if (ev->t < w->now) trace_time(&w->trace, "waited", w->now - ev->t);
    trace_end(&w->trace);
    return 1;
}

static void timer_step(const sim_event *ev, ox_step *s) {
    memset(s, 0, sizeof *s);
    s->kind = OX_STEP_TIMER;
    s->timer_id = ev->a;
}

static int on_timer(sim_world *w, sim_event *ev) {
    if (!timer_pre(w, ev)) return 0;
    ox_step s;
    timer_step(ev, &s);
    return step_node(w, ev->node, &s);
}

static int64_t pay_time(const sim_world *w, uint32_t i);

static int pay_pre(sim_world *w, sim_event *ev) {
    uint32_t pay = ev->a;
    hist_entry *h = &w->hist[pay];
    if (w->tries[pay] == 0 && pay < w->sc->workload.payments) {
        /* A request that waited in a busy node's backlog may run late; the next one
        ** is still made on schedule, or at once if that moment has passed. */
        int64_t t = pay_time(w, pay + 1);
        sim_event next = { .t = t > w->now ? t : w->now, .type = EV_PAY, .a = pay + 1 };
        if (schedule(w, next) != 0) return -1;
    }
    w->tries[pay]++;
    w->st.client_requests++;
    if (w->tries[pay] > 1) w->st.client_retries++;
    if (h->outcome == HIST_NOT_SENT) h->outcome = HIST_PENDING;
    trace_begin(&w->trace, w->now, "pay");
    trace_str(&w->trace, "node", "client");
    trace_uint(&w->trace, "pay", pay);
    trace_uint(&w->trace, "account", h->account);
    trace_int(&w->trace, "amount", h->amount);
    trace_int(&w->trace, "try", w->tries[pay]);
    if (h->refused) trace_str(&w->trace, "refused_by_scenario", "yes");
    if (ev->t < w->now) trace_time(&w->trace, "waited", w->now - ev->t);
    trace_end(&w->trace);
    if (w->nodes[0].pid == 0) {
        client_outcome(w, pay, HIST_FAILED);
        trace_reply(w, pay, "failed", "payment service down: connection refused");
        client_retry(w, pay);
        return 0;
    }
    return 1;
}

static void pay_step(const sim_world *w, const sim_event *ev, ox_step *s) {
    const hist_entry *h = &w->hist[ev->a];
    memset(s, 0, sizeof *s);
    s->kind = OX_STEP_PAY;
    s->pay_id = ev->a;
    s->account = h->account;
    s->amount = h->amount;
}

static int on_pay(sim_world *w, sim_event *ev) {
    int rc = pay_pre(w, ev);
    if (rc <= 0) return rc;
    ox_step s;
    pay_step(w, ev, &s);
    return step_node(w, 0, &s);
}

static int on_crash(sim_world *w, sim_event *ev) {
    sim_fault *f = &w->sc->faults[ev->a];
    if (w->healed || f->fired) return 0;
    f->fired = 1;
    if (w->nodes[f->node].pid == 0) {
        trace_begin(&w->trace, w->now, "crash_skipped");
        trace_str(&w->trace, "node", scenario_node_name(f->node));
        trace_int(&w->trace, "fault", f->id);
        trace_str(&w->trace, "why", "already down");
        trace_end(&w->trace);
        return 0;
    }
    crash_node(w, f->node, f, "time");
    return 0;
}

static int on_restart(sim_world *w, sim_event *ev) {
    sim_proc *p = &w->nodes[(int)ev->node];
    if (p->pid != 0 || (uint64_t)p->life != ev->b) return 0;   /* already back */
    return start_node(w, ev->node, "restart_after");
}

/* A fault takes effect: its "fault" line; a clock jump also moves the node's clock. */
static int on_fault(sim_world *w, sim_event *ev) {
    sim_fault *f = &w->sc->faults[ev->a];
    if (w->healed) return 0;
    if (f->kind != FK_CLOCK_JUMP) {
        announce(w, f);
        return 0;
    }
    if (f->fired) return 0;
    f->fired = 1;
    announce(w, f);
    w->skew_us[f->node] += f->by_us;
    w->st.clock_jumps++;
    trace_begin(&w->trace, w->now, "clock_jump");
    trace_str(&w->trace, "node", scenario_node_name(f->node));
    trace_int(&w->trace, "fault", f->id);
    trace_str(&w->trace, "direction", f->by_us > 0 ? "forward" : "backward");
    trace_int(&w->trace, "by_ms", f->by_us / 1000);
    trace_int(&w->trace, "offset_ms", w->skew_us[f->node] / 1000);
    trace_end(&w->trace);
    return 0;
}

static int run_event(sim_world *w, sim_event *ev);

/* A slow node is free: it takes what waited, in order, until it is busy again. */
static int on_free(sim_world *w, int n) {
    world_backlog *b = &w->backlog[n];
    w->free_pending[n] = 0;
    while (b->len > 0 && w->nodes[n].pid != 0 && w->now >= w->busy_until[n] && !w->err_code) {
        sim_event ev = backlog_pop(b);
        run_event(w, &ev);
        free(ev.frame);
    }
    if (w->err_code) return -1;
    return b->len > 0 ? schedule_free(w, n) : 0;
}

/* ctl(...) in a scenario: an operator runs the real bin/outbox-ctl (beside
** outbox-node) on the payment database at this moment, under the payment service's
** virtual clock, while every service is idle between steps. */
static int scenario_ctl(void *ctx, int line, int argc, const char *const *argv) {
    sim_world *w = ctx;
    char tool[1100], db[600], out[2048], err[700];
    const char *slash = strrchr(w->node_bin, '/');
    int dir = slash ? (int)(slash - w->node_bin) : 1;
    snprintf(tool, sizeof tool, "%.*s/outbox-ctl", dir, slash ? w->node_bin : ".");
    snprintf(db, sizeof db, "%s/payment.db", w->run_dir);
    char *av[SIM_MAX_CTL_ARGS + 4] = { tool, "--db", db };
    assert(argc >= 1 && argc <= SIM_MAX_CTL_ARGS);
    for (int i = 0; i < argc; i++) av[3 + i] = (char *)argv[i];
    av[3 + argc] = NULL;
    int status = 0;
    if (proc_run_tool(&w->procs, &w->nodes[0], clock_of(w, 0), av, out, sizeof out, &status, err,
                      sizeof err) != 0) {
        fail(w, 3, "ctl at line %d: %s", line, err);
        return -1;
    }
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    char cmd[300] = "";
    for (int i = 0; i < argc; i++) {
        size_t n = strlen(cmd);
        snprintf(cmd + n, sizeof cmd - n, "%s%s", i ? " " : "", argv[i]);
    }
    trace_begin(&w->trace, w->now, "operator");
    trace_int(&w->trace, "line", line);
    trace_str(&w->trace, "ctl", cmd);
    trace_int(&w->trace, "exit", code);
    trace_str(&w->trace, "output", out);
    trace_end(&w->trace);
    return code;
}

static void scenario_note(void *ctx, int line, const char *text) {
    sim_world *w = ctx;
    trace_begin(&w->trace, w->now, "scenario");
    trace_int(&w->trace, "line", line);
    trace_str(&w->trace, "text", text);
    trace_end(&w->trace);
}

static int schedule_new_faults(sim_world *w, int from);

static int on_callback(sim_world *w, sim_event *ev) {
    if (w->healed) return 0;
    int before = w->sc->nfaults;
    char err[600];
    if (scenario_fire(w->sc, (int)ev->a, w->now, err, sizeof err) != 0)
        return fail(w, 2, "%s", err);
    return schedule_new_faults(w, before);
}

static int on_probe(sim_world *w);

static int on_heal(sim_world *w) {
    w->healed = 1;
    trace_begin(&w->trace, w->now, "heal");
    trace_str(&w->trace, "what", "faults stop; down nodes restart; settle phase begins");
    trace_end(&w->trace);
    for (int n = 0; n < SIM_NODES && !w->err_code; n++)
        if (w->nodes[n].pid == 0) start_node(w, n, "healing");
    /* Probe at once: with settle = 0 the end comes at this same instant. */
    return w->err_code ? -1 : on_probe(w);
}

/* Rows the payment service still has to deliver, read from its database while it is
** idle between steps. */
static int64_t sending_rows(sim_world *w) {
    char path[600];
    snprintf(path, sizeof path, "%s/payment.db", w->run_dir);
    sqlite3 *db = NULL;
    int64_t n = -1;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(db, "SELECT count(*) FROM outbox WHERE status='SENDING'", -1, &st,
                               NULL) == SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW)
            n = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return n;
}

static int on_probe(sim_world *w) {
    if (w->converged_us >= 0) return 0;
    int all_up = 1;
    for (int n = 0; n < SIM_NODES; n++) all_up &= w->nodes[n].pid != 0;
    if (all_up && w->inflight == 0 && sending_rows(w) == 0) {
        w->converged_us = w->now;
        trace_begin(&w->trace, w->now, "converged");
        trace_time(&w->trace, "after_healing", w->now - w->sc->run_us);
        trace_end(&w->trace);
        return 0;
    }
    sim_event ev = { .t = w->now + WORLD_PROBE_US, .type = EV_PROBE };
    return schedule(w, ev);
}

/* ---- set-up and the loop ------------------------------------------------------------- */

/* Events for the faults declared from index `from` on: a crash at a time; the moment
** every other fault takes effect (a clock's skew is set up before the nodes start, and a
** crash at a failpoint is announced when it fires). */
static int schedule_new_faults(sim_world *w, int from) {
    for (int i = from; i < w->sc->nfaults; i++) {
        const sim_fault *f = &w->sc->faults[i];
        int64_t t;
        uint8_t type = EV_FAULT;
        if (f->kind == FK_CLOCK) continue;
        if (f->kind == FK_CRASH && f->at_us < 0) continue;
        if (f->kind == FK_CRASH) type = EV_CRASH, t = f->at_us;
        else if (f->kind == FK_CLOCK_JUMP) t = f->at_us;
        else t = f->from_us;
        sim_event ev = { .t = t < w->now ? w->now : t, .type = type, .a = (uint32_t)i };
        if (schedule(w, ev) != 0) return -1;
    }
    return 0;
}

/* Clock skews hold from the start: set before any node starts, each announced. */
static void set_clocks(sim_world *w) {
    for (int i = 0; i < w->sc->nfaults; i++) {
        sim_fault *f = &w->sc->faults[i];
        if (f->kind != FK_CLOCK) continue;
        w->skew_us[f->node] += f->by_us;
        announce(w, f);
    }
}

/* One "nemesis" line per nemesis{}: which faults it drew (their "fault" lines follow as
** each takes effect). */
static void trace_nemeses(sim_world *w) {
    for (int i = 0; i < w->sc->nnemeses; i++) {
        const sim_nemesis *n = &w->sc->nemeses[i];
        trace_begin(&w->trace, 0, "nemesis");
        trace_int(&w->trace, "line", n->line);
        trace_str(&w->trace, "mode", n->swarm ? "swarm" : "fixed");
        trace_int(&w->trace, "faults", n->count);
        if (n->count) {
            trace_int(&w->trace, "first_fault", n->first);
            trace_int(&w->trace, "last_fault", n->first + n->count - 1);
        }
        trace_end(&w->trace);
    }
}

/* When the client first asks for payment i (1-based).  The first payment waits a
** moment so that every node has started. */
static int64_t pay_time(const sim_world *w, uint32_t i) {
    int64_t gap = (int64_t)(1e6 / w->sc->workload.rate);
    return 10000 + (int64_t)(i - 1) * (gap < 1 ? 1 : gap);
}

/* Draws every payment's amount and account up front (the history needs them), but
** queues only the first request: each request queues the next when it is made, so the
** event queue holds one future payment, not all of them. */
static int schedule_workload(sim_world *w) {
    const sim_workload *wl = &w->sc->workload;
    for (uint32_t i = 1; i <= wl->payments; i++) {
        hist_entry *h = &w->hist[i];
        h->refused = wl->refuse ? wl->refuse[i] : 0;
        int64_t span = wl->amount_max - wl->amount_min;
        h->amount = wl->amount_min +
                    (span > 0 ? (int64_t)ox_prng_below(&w->client, (uint64_t)span + 1) : 0);
        h->account = h->refused
                         ? SIM_FROZEN_ACCOUNT
                         : 1 + (uint32_t)ox_prng_below(&w->client, wl->accounts ? wl->accounts : 1);
    }
    if (wl->payments == 0) return 0;
    sim_event ev = { .t = pay_time(w, 1), .type = EV_PAY, .a = 1 };
    return schedule(w, ev);
}

static int schedule_phases(sim_world *w) {
    for (int i = 0; i < w->sc->ncallbacks; i++) {
        sim_event ev = { .t = w->sc->callbacks[i].t_us, .type = EV_CALLBACK, .a = (uint32_t)i };
        if (schedule(w, ev) != 0) return -1;
    }
    sim_event heal = { .t = w->sc->run_us, .type = EV_HEAL };
    sim_event end = { .t = w->sc->run_us + w->sc->settle_us, .type = EV_END };
    if (schedule(w, heal) != 0 || schedule(w, end) != 0) return -1;
    return schedule_new_faults(w, 0);
}

/* Whether knob `key` is set to exactly `value` ("key=value"). */
static int knob_is(const sim_scenario *sc, const char *key, const char *value) {
    size_t n = strlen(key);
    for (int i = 0; i < sc->nknobs; i++)
        if (!strncmp(sc->knobs[i], key, n) && sc->knobs[i][n] == '=')
            return !strcmp(sc->knobs[i] + n + 1, value);
    return 0;
}

static int has_knob(const sim_scenario *sc, const char *key) {
    size_t n = strlen(key);
    for (int i = 0; i < sc->nknobs; i++)
        if (!strncmp(sc->knobs[i], key, n) && sc->knobs[i][n] == '=') return 1;
    return 0;
}

static void node_args(sim_world *w, int n) {
    sim_proc *p = &w->nodes[n];
    char buf[700];
    proc_add_arg(p, w->node_bin);
    proc_add_arg(p, "--role");
    proc_add_arg(p, scenario_node_name(n));
    snprintf(buf, sizeof buf, "%s/%s.db", w->run_dir, scenario_node_name(n));
    proc_add_arg(p, "--db");
    proc_add_arg(p, buf);
    proc_add_arg(p, "--design");
    proc_add_arg(p, w->design);
    snprintf(buf, sizeof buf, "%" PRIu64, ox_prng_derive(w->seed, 100 + (uint64_t)n));
    proc_add_arg(p, "--seed");
    proc_add_arg(p, buf);
    for (int k = 0; k < w->sc->nknobs; k++) {
        proc_add_arg(p, "--knob");
        proc_add_arg(p, w->sc->knobs[k]);
    }
    /* Payments the scenario refuses are paid from an account accounting has frozen. */
    if (!has_knob(w->sc, "frozen")) {
        snprintf(buf, sizeof buf, "frozen=%d", SIM_FROZEN_ACCOUNT);
        proc_add_arg(p, "--knob");
        proc_add_arg(p, buf);
    }
}

/* Creates <dir> and its parents; empties it of a previous run's files. */
static int prepare_run_dir(sim_world *w) {
    char path[512];
    snprintf(path, sizeof path, "%s", w->run_dir);
    for (char *s = path + 1; *s; s++) {
        if (*s != '/') continue;
        *s = '\0';
        if (mkdir(path, 0755) != 0 && errno != EEXIST)
            return fail(w, 3, "cannot create %s: %s", path, strerror(errno));
        *s = '/';
    }
    if (mkdir(path, 0755) != 0 && errno != EEXIST)
        return fail(w, 3, "cannot create %s: %s", path, strerror(errno));
    DIR *d = opendir(path);
    if (!d) return fail(w, 3, "cannot open %s: %s", path, strerror(errno));
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        char f[800];
        snprintf(f, sizeof f, "%s/%s", path, e->d_name);
        unlink(f);
    }
    closedir(d);
    return 0;
}

static int setup(sim_world *w) {
    const sim_workload *wl = &w->sc->workload;
    w->converged_us = -1;
    evq_init(&w->q);
    ox_prng_seed(&w->net, ox_prng_derive(w->seed, 1));
    ox_prng_seed(&w->client, ox_prng_derive(w->seed, 2));
    ox_prng_seed(&w->faults, ox_prng_derive(w->seed, 3));
    w->hist = calloc((size_t)wl->payments + 1, sizeof *w->hist);
    w->tries = calloc((size_t)wl->payments + 1, 1);
    w->effects = calloc(OX_STEP_MAX_EFFECTS, sizeof *w->effects);
    if (!w->hist || !w->tries || !w->effects) return fail(w, 3, "out of memory");
    if (prepare_run_dir(w) != 0) return -1;
    char err[600];
    if (procs_init(&w->procs, err, sizeof err) != 0) return fail(w, 3, "%s", err);
    w->tmp_dbs = dbplace_enabled();
    const char *batch = getenv("OUTBOX_SIM_BATCH");   /* 0 or 1: one event per round trip */
    w->batch_max = batch && *batch ? atoi(batch) : OX_BATCH_MAX;
    if (w->batch_max < 1) w->batch_max = 1;
    if (w->batch_max > OX_BATCH_MAX) w->batch_max = OX_BATCH_MAX;
    for (int n = 0; w->tmp_dbs && n < SIM_NODES; n++)
        if (dbplace_link(w->procs.dir, w->run_dir, scenario_node_name(n), err, sizeof err) != 0)
            return fail(w, 3, "%s", err);
    for (int n = 0; n < SIM_NODES; n++) {
        char log[700];
        snprintf(log, sizeof log, "%s/%s.log", w->run_dir, scenario_node_name(n));
        proc_init(&w->nodes[n], n, scenario_node_name(n), log);
        node_args(w, n);
    }
    char tpath[600];
    snprintf(tpath, sizeof tpath, "%s/trace.jsonl", w->run_dir);
    if (trace_open(&w->trace, tpath) != 0)
        return fail(w, 3, "cannot write %s: %s", tpath, strerror(errno));
    w->sc->note = scenario_note;
    w->sc->ctl = scenario_ctl;
    w->sc->note_ctx = w;
    trace_begin(&w->trace, 0, "run");
    trace_str(&w->trace, "scenario", w->sc->name);
    trace_str(&w->trace, "file", w->sc->slug);
    trace_uint(&w->trace, "seed", w->seed);
    trace_str(&w->trace, "design", w->design);
    trace_uint(&w->trace, "payments", wl->payments);
    trace_time(&w->trace, "run", w->sc->run_us);
    trace_time(&w->trace, "settle", w->sc->settle_us);
    trace_end(&w->trace);
    trace_nemeses(w);
    set_clocks(w);
    if (schedule_workload(w) != 0 || schedule_phases(w) != 0) return -1;
    /* The broker first, so the others' first frames find it up. */
    static const int order[SIM_NODES] = { 1, 2, 0 };
    for (int i = 0; i < SIM_NODES; i++)
        if (start_node(w, order[i], NULL) != 0) return -1;
    return 0;
}

static int run_event(sim_world *w, sim_event *ev) {
    switch (ev->type) {
    case EV_FRAME: return on_frame(w, ev);
    case EV_TIMER: return on_timer(w, ev);
    case EV_PAY: return on_pay(w, ev);
    case EV_CRASH: return on_crash(w, ev);
    case EV_RESTART: return on_restart(w, ev);
    case EV_CALLBACK: return on_callback(w, ev);
    case EV_HEAL: return on_heal(w);
    case EV_PROBE: return on_probe(w);
    case EV_FAULT: return on_fault(w, ev);
    case EV_FREE: return on_free(w, ev->node);
    default: return fail(w, 3, "unknown event type %u", ev->type);
    }
}

/* ---- batches: several events of one node in one round trip -------------------------
**
** A batch must give the run a batched run would have had stepped one event at a time,
** byte for byte (proto/step.h, "Batches"; tests/system/determinism.sh compares).  Here,
** what the simulator can see:
**   - only events that come next in the queue, in its order, all stepping the same
**     node, and all before the first one's time plus the minimum link latency: nothing
**     the node sends from the first event on arrives before that, so no other event
**     could have come in between;
**   - no payment request after one that will schedule the next request earlier than
**     the following event (pay_pre schedules it at its turn);
**   - none of what the simulator decides per step from state a step changes: an armed
**     crash failpoint or broker loss, or a slow node, on this node;
**   - stale timers in the window are dropped (their generation can only grow).
** The node checks the rest (timers it sets, a crash) and may stop early; the events it
** did not take go back to their old places in the queue. */

static int batchable_kind(const sim_event *ev) {
    return ev->type == EV_FRAME || ev->type == EV_TIMER || ev->type == EV_PAY;
}

/* Whether events for `node` may share a round trip at all right now. */
static int node_batchable(const sim_world *w, int node) {
    if (w->batch_max < 2 || w->nodes[node].pid == 0) return 0;
    if (w->busy_until[node] > w->now || w->backlog[node].len > 0) return 0;
    for (int i = 0; !w->healed && i < w->sc->nfaults; i++) {
        const sim_fault *f = &w->sc->faults[i];
        if (f->kind == FK_SLOW && f->node == node) return 0;
        if (f->kind == FK_CRASH && f->node == node && f->failpoint[0] && !f->fired) return 0;
        if (f->kind == FK_BROKER_LOSS && node == 1) return 0;
    }
    return 1;
}

/* The time before which the next event must come to follow ev in the batch. */
static int64_t limit_after(const sim_world *w, const sim_event *ev, int64_t limit) {
    if (ev->type == EV_PAY && w->tries[ev->a] == 0 && ev->a < w->sc->workload.payments) {
        int64_t t = pay_time(w, ev->a + 1);
        if (t < ev->t) t = ev->t;
        if (t < limit) limit = t;
    }
    return limit;
}

/* Takes from the queue the events that follow ev0 in its batch; returns how many
** events the batch has (evs[0] is ev0). */
static unsigned collect(sim_world *w, const sim_event *ev0, sim_event *evs) {
    int node = node_of(ev0);
    unsigned n = 0;
    evs[n++] = *ev0;
    int64_t limit = limit_after(w, ev0, ev0->t + NET_LATENCY_MIN_US);
    const sim_event *top;
    while (n < (unsigned)w->batch_max && (top = evq_peek(&w->q)) != NULL) {
        if (top->t >= limit || !batchable_kind(top) || node_of(top) != node) break;
        sim_event ev;
        evq_pop(&w->q, &ev);
        if (ev.type == EV_TIMER && !timer_live(w, &ev)) continue;   /* a no-op at its turn too */
        evs[n++] = ev;
        limit = limit_after(w, &ev, limit);
    }
    return n;
}

static int event_pre(sim_world *w, sim_event *ev) {
    switch (ev->type) {
    case EV_FRAME: return frame_pre(w, ev);
    case EV_TIMER: return timer_pre(w, ev);
    default: assert(ev->type == EV_PAY); return pay_pre(w, ev);
    }
}

static void event_step(const sim_world *w, const sim_event *ev, ox_step *s) {
    switch (ev->type) {
    case EV_FRAME: frame_step(ev, s); break;
    case EV_TIMER: timer_step(ev, s); break;
    default: assert(ev->type == EV_PAY); pay_step(w, ev, s); break;
    }
}

/* Runs evs[0..n) in one round trip, each at its turn; puts back what the node left. */
static int run_batch(sim_world *w, sim_event *evs, unsigned n) {
    int node = node_of(&evs[0]);
    sim_proc *p = &w->nodes[node];
    static ox_step steps[OX_BATCH_MAX];   /* 11 KB: not on the stack; run_batch never nests */
    uint64_t steps_before = w->st.steps;
    uint32_t seq_before = w->step_seq;
    for (unsigned i = 0; i < n; i++) {
        event_step(w, &evs[i], &steps[i]);
        if (prepare_step(w, node, &steps[i], evs[i].t) != 0) return -1;
    }
    ox_reply_reader rd;
    char err[600];
    w->st.round_trips++;
    if (proc_steps(&w->procs, p, steps, n, &rd, err, sizeof err) != 0) return fail(w, 3, "%s", err);
    unsigned done = rd.nsections;
    if (done < n) w->st.batches_cut++;
    /* Steps the node did not take are taken again later, under new numbers. */
    w->st.steps = steps_before + done;
    w->step_seq = seq_before + done;
    for (unsigned i = 0; i < done && !w->err_code; i++) {
        assert(evs[i].t >= w->now);
        w->now = evs[i].t;
        if (event_pre(w, &evs[i]) != 1)
            return fail(w, 3, "a batched %s event did not step its node", scenario_node_name(node));
        ox_reply r = { .effects = w->effects };
        if (proc_section(&w->procs, p, &rd, steps[i].seq, &r, err, sizeof err) != 0)
            return fail(w, 3, "%s", err);
        apply_reply(w, node, &steps[i], &r);
    }
    for (unsigned i = 1; i < done; i++) { free(evs[i].frame); evs[i].frame = NULL; }
    for (unsigned i = done; i < n; i++) {
        if (evq_repush(&w->q, evs[i]) != 0) return fail(w, 3, "the event queue is full");
        evs[i].frame = NULL;
    }
    return w->err_code ? -1 : 0;
}

/* Runs ev, unless its node is busy: then it waits in the node's backlog.  An event
** that steps a node may take the events after it along (run_batch). */
static int dispatch(sim_world *w, sim_event *ev) {
    if (must_wait(w, ev)) return defer(w, ev);
    if (!batchable_kind(ev) || (ev->type == EV_TIMER && !timer_live(w, ev)) ||
        !node_batchable(w, node_of(ev)))
        return run_event(w, ev);   /* a stale timer too: a no-op, alone */
    sim_event evs[OX_BATCH_MAX];
    unsigned n = collect(w, ev, evs);
    if (n == 1) return run_event(w, ev);
    int rc = run_batch(w, evs, n);
    ev->frame = evs[0].frame;   /* the caller frees the first event's frame */
    return rc;
}

static int loop(sim_world *w) {
    sim_event ev;
    while (!w->err_code && evq_pop(&w->q, &ev) == 0) {
        assert(ev.t >= w->now);
        w->now = ev.t;
        if (ev.type == EV_END) return 0;
        dispatch(w, &ev);
        free(ev.frame);
        if (sim_interrupted) fail(w, 3, "interrupted by a signal");
    }
    return w->err_code ? -1 : fail(w, 3, "the event queue ran dry before the end");
}

/* Stops every node cleanly so its database is closed, then reaps it. */
static int stop_nodes(sim_world *w) {
    for (int n = 0; n < SIM_NODES; n++) {
        sim_proc *p = &w->nodes[n];
        if (p->pid == 0) continue;
        ox_step s = { .kind = OX_STEP_STOP };
        if (step_node(w, n, &s) != 0) return -1;
        proc_reap_stopped(&w->procs, p);
        trace_begin(&w->trace, w->now, "stop");
        trace_str(&w->trace, "node", p->name);
        trace_end(&w->trace);
    }
    return 0;
}

static int judge(sim_world *w) {
    char pdb[600], adb[600], tpath[600], err[600];
    snprintf(pdb, sizeof pdb, "%s/payment.db", w->run_dir);
    snprintf(adb, sizeof adb, "%s/accounting.db", w->run_dir);
    snprintf(tpath, sizeof tpath, "%s/trace.jsonl", w->run_dir);
    check_input in = {
        .payment_db = pdb, .accounting_db = adb, .trace_path = tpath,
        .hist = w->hist, .npay = w->sc->workload.payments,
        .design_direct = !strcmp(w->design, "direct"),
        .outbox_cleanup = has_knob(w->sc, "cleanup_after") && !knob_is(w->sc, "cleanup_after", "0"),
        .converged_us = w->converged_us,
    };
    if (checker_run(&in, &w->check, err, sizeof err) != 0) return fail(w, 3, "%s", err);
    return 0;
}

int world_run(sim_world *w) {
    int ok = setup(w) == 0 && loop(w) == 0;
    if (ok) {
        trace_begin(&w->trace, w->now, "end");
        trace_end(&w->trace);
        ok = stop_nodes(w) == 0;
    }
    /* Every service dead or stopped before its files move (dbplace.h). */
    for (int n = 0; n < SIM_NODES; n++) proc_kill(&w->procs, &w->nodes[n]);
    for (int n = 0; w->tmp_dbs && n < SIM_NODES; n++) {
        char err[600];
        const char *name = scenario_node_name(n);
        if (dbplace_keep(w->procs.dir, w->run_dir, name, err, sizeof err) != 0 && ok)
            ok = fail(w, 3, "%s", err) == 0;
    }
    procs_fini(&w->procs, w->nodes, SIM_NODES);
    evq_free(&w->q);
    for (int n = 0; n < SIM_NODES; n++) {
        world_backlog *b = &w->backlog[n];
        while (b->len > 0) free(backlog_pop(b).frame);
        free(b->ev);
        memset(b, 0, sizeof *b);
    }
    if (!ok && w->trace.f) {
        /* Say in the trace itself that it stops here, and why. */
        trace_begin(&w->trace, w->now, "aborted");
        trace_str(&w->trace, "why", w->err);
        trace_end(&w->trace);
    }
    if (trace_close(&w->trace) != 0 && ok) ok = fail(w, 3, "writing the trace failed") == 0;
    for (uint32_t i = 1; i <= w->sc->workload.payments && w->hist; i++) {
        if (w->hist[i].outcome == HIST_OK) w->st.ok++;
        else if (w->hist[i].outcome == HIST_FAILED) w->st.failed++;
        else if (w->hist[i].outcome == HIST_UNKNOWN) w->st.unknown++;
    }
    if (ok) ok = judge(w) == 0;
    int code = ok ? report_finish(w) : w->err_code;
    if (!ok && w->trace.lines > 0) report_aborted(w);
    free(w->hist);
    free(w->tries);
    free(w->effects);
    w->hist = NULL;
    return code;
}
