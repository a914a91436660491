/*
** world.c: the simulator's event loop (see world.h; its state is world_loop.h).
**
** Contents, in order (each a "---- name ----" section):
**   errors and bookkeeping      world_fail, world_schedule, failpoints and note kinds
**   faults taking effect        announce: a fault's "fault" line
**   nodes                       start, step (one event; arm_rollback), crash
**   the network                 route_send: a SEND effect becomes frame events, or not
**   the client                  its history: outcomes and retries
**   replies                     world_apply_reply: effects, crashes at failpoints
**   broker internal loss        arm_broker_loss
**   which node an event steps   world_node_of, world_timer_live
**   events                      one handler per event type (frame, timer, pay, ...)
**   the scenario's callbacks    ctl(), note(), at()
**   healing and convergence     on_heal, on_probe
**   set-up                      the run directory, the nodes, the first events
**   the loop and the end        dispatch, loop, stop_nodes, world_run
** Elsewhere: batch.c runs several events in one round trip; backlog.c makes slow
** nodes wait.
*/
#include "world.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../lib/io.h"
#include "../../lib/ordered.h"
#include "backlog.h"
#include "batch.h"
#include "dbplace.h"
#include "diskpre.h"
#include "knobs.h"
#include "misconf.h"
#include "net.h"
#include "tamper.h"
#include "world_loop.h"

/* ---- errors and bookkeeping --------------------------------------------------------- */

int world_fail(sim_world *w, ox_exit code, const char *fmt, ...) {
    assert(code != OX_EXIT_OK);
    if (w->err_code != OX_EXIT_OK) return -1;   /* the first error is the one to report */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->res->err, sizeof w->res->err, fmt, ap);
    va_end(ap);
    w->err_code = code;
    return -1;
}

/* Virtual time t as node n's clock counts it from the run's start: t, or t x its rate
** (clock{rate}, diskf.h). */
static int64_t rated(const sim_world *w, int node, int64_t t) {
    double r = w->rate[node];
    if (r == 0 || r == 1) return t;
    return (int64_t)llround((double)t * r);
}

/* A delay the node asked for on its own clock, in virtual time: d / its rate. */
static int64_t unrated(const sim_world *w, int node, int64_t d) {
    double r = w->rate[node];
    if (r == 0 || r == 1) return d;
    double v = (double)d / r;
    return v >= (double)INT64_MAX / 2 ? INT64_MAX / 2 : (int64_t)llround(v);
}

/* The clock node n reads at virtual time t: the epoch, t (at the node's rate), and the
** node's offset (skew and jumps included). */
static int64_t clock_at(const sim_world *w, int node, int64_t t) {
    return WORLD_EPOCH_US + rated(w, node, t) + w->skew_us[node];
}
static int64_t clock_of(const sim_world *w, int node) { return clock_at(w, node, w->now); }

int world_schedule(sim_world *w, sim_event ev) {
    assert(ev.t >= w->now);
    assert((ev.type == EV_FRAME) == (ev.frame != NULL));
    if (evq_push(&w->q, ev) != 0) {
        free(ev.frame);
        return world_fail(w, OX_EXIT_HARNESS,
                          "event queue full (%u events): the run grows without bound", EVQ_MAX);
    }
    if (ev.type == EV_FRAME) w->inflight++;   /* paired: -- when handled or lost */
    return 0;
}

static void count_kind(sim_world *w, const char *kind) {
    assert(w->res->nkinds >= 0);
    assert(w->res->nkinds <= WORLD_MAX_KINDS);
    for (int i = 0; i < w->res->nkinds; i++)
        if (!strcmp(w->res->kinds[i].kind, kind)) { w->res->kinds[i].count++; return; }
    if (w->res->nkinds == WORLD_MAX_KINDS) return;
    snprintf(w->res->kinds[w->res->nkinds].kind, sizeof w->res->kinds[0].kind, "%s", kind);
    w->res->kinds[w->res->nkinds++].count = 1;
}

static world_failpoint *failpoint_slot(sim_world *w, const char *name) {
    assert(name != NULL);
    assert(w->res->nfps <= WORLD_MAX_FAILPOINTS);
    for (int i = 0; i < w->res->nfps; i++)
        if (!strcmp(w->res->fps[i].name, name)) return &w->res->fps[i];
    if (w->res->nfps == WORLD_MAX_FAILPOINTS) return NULL;
    world_failpoint *fp = &w->res->fps[w->res->nfps++];
    memset(fp, 0, sizeof *fp);
    snprintf(fp->name, sizeof fp->name, "%s", name);
    return fp;
}

/* Node `node`'s passes of failpoint `name` (fp_node_hits). */
static uint32_t failpoint_hits(sim_world *w, int node, const char *name) {
    assert(node >= 0);
    assert(node < SIM_MAX_NODES);
    for (int i = 0; i < w->res->nfps; i++)
        if (!strcmp(w->res->fps[i].name, name)) return w->fp_node_hits[node][i];
    return 0;
}

/* ---- faults taking effect ---------------------------------------------------------- */

/* Fault `id` (1-based) acted once more: counted for summary.json and its warnings. */
static void fault_acted(sim_world *w, int id) {
    assert(id >= 1);
    assert(id <= w->sc->nfaults);
    sim_fault *f = &w->sc->faults[id - 1];
    assert(f->id == id);   /* ids are declaration order */
    f->acted++;
    assert(f->acted > 0);
}

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
    return !scenario_kills(f->kind) && f->kind != FK_CLOCK && f->kind != FK_CLOCK_JUMP;
}

/* Writes the fault's "fault" line once, when it takes effect: its id, kind, target,
** who declared it, its window and its Lua declaration (scenario_fault_lua), so the
** trace can be read back as an explicit fault schedule. */
static void announce(sim_world *w, sim_fault *f);
void world_announce(sim_world *w, sim_fault *f) { announce(w, f); }

static void announce(sim_world *w, sim_fault *f) {
    assert(f->id >= 1);
    assert(f->id <= w->sc->nfaults);
    if (f->announced) return;
    f->announced = 1;   /* once: the line says when the fault took effect */
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
    w->res->st.faults++;
    if (f->nemesis) w->res->st.nemesis_faults++;
}

/* ---- nodes: starting, stepping, crashing -------------------------------------------- */

/* Arms, for this step, each failpoint on which a pending crash fault waits. */
static void arm_failpoints(sim_world *w, int node, ox_step *s) {
    assert(s->narmed <= OX_STEP_MAX_ARMED);
    if (w->healed) return;
    for (int i = 0; i < w->sc->nfaults; i++) {
        const sim_fault *f = &w->sc->faults[i];
        if (!scenario_kills(f->kind) || f->fired || !f->failpoint[0] || f->node != node) continue;
        uint32_t hits = failpoint_hits(w, node, f->failpoint);
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
            assert(s->narmed <= OX_STEP_MAX_ARMED);
        } else if (skip < s->armed[k].skip) {
            s->armed[k].skip = skip;
        }
    }
}

int world_prepare_step(sim_world *w, int node, ox_step *s, int64_t t) {
    assert(t >= w->now);
    assert(w->nodes[node].pid > 0);
    if (++w->res->st.steps > WORLD_MAX_STEPS)
        return world_fail(w, OX_EXIT_HARNESS, "more than %llu steps: the run does not end",
                          (unsigned long long)WORLD_MAX_STEPS);
    diskf_wake(w, node);   /* a paused process answers only once continued */
    s->seq = ++w->step_seq;
    s->vtime_us = t;
    s->clock_us = clock_at(w, node, t);
    return 0;
}

/* A rollback fault (scenario.h, FK_ROLLBACK): for a step of payment or accounting in
** its window, the first such fault of the node that draws yes (the rollback stream, 5)
** arms the library's site payment.rollback / accounting.rollback (lib/io.h) for the
** step: its transaction, writes done, rolls back.  Such a node is never batched
** (node_batchable), so every step draws.  Returns the fault's id, or 0. */
static int arm_rollback(sim_world *w, int node, ox_step *s) {
    if (w->healed || node == 1) return 0;
    if (s->kind != OX_STEP_PAY && s->kind != OX_STEP_FRAME && s->kind != OX_STEP_TIMER) return 0;
    for (int i = 0; i < w->sc->nfaults; i++) {
        sim_fault *f = &w->sc->faults[i];
        if (f->kind != FK_ROLLBACK || f->node != node) continue;
        if (w->now < f->from_us || w->now >= f->to_us) continue;
        f->seen++;
        if (!ox_prng_chance(&w->rollbacks, f->p)) continue;
        if (s->narmed >= OX_STEP_MAX_ARMED) return 0;
        ox_armed *a = &s->armed[s->narmed++];
        snprintf(a->name, sizeof a->name, "%s",
                 scenario_node_role(node) == OX_ROLE_ACCOUNTING ? OX_SITE_ACCOUNTING_ROLLBACK
                                                                : OX_SITE_PAYMENT_ROLLBACK);
        a->skip = 0;
        a->action = OX_ARM_INJECT;
        return f->id;
    }
    return 0;
}

static int step_node(sim_world *w, int node, ox_step *s) {
    sim_proc *p = &w->nodes[node];
    assert(p->pid > 0);
    if (world_prepare_step(w, node, s, w->now) != 0) return -1;
    arm_failpoints(w, node, s);
    int rollback = arm_rollback(w, node, s);
    if (rollback) w->inject_fault = rollback;
    diskf_arm(w, node, s);
    diskpre_arm(w, node);   /* the same sites, for a --node command's preloaded disk */
    ox_reply r = { .effects = w->effects };
    ox_reply_reader rd;
    char err[600];
    w->res->st.round_trips++;
    if (proc_steps(&w->procs, p, s, 1, &rd, err, sizeof err) != 0 ||
        proc_section(&w->procs, p, &rd, s->seq, &r, err, sizeof err) != 0)
        return world_fail(w, OX_EXIT_HARNESS, "%s", err);
    if (diskpre_collect(w, node, &r) != 0) return -1;
    int rc = world_apply_reply(w, node, s, &r);
    if (rollback) w->inject_fault = 0;
    return rc;
}

static int start_node(sim_world *w, int node, const char *why) {
    sim_proc *p = &w->nodes[node];
    char err[600];
    assert(p->pid == 0);
    assert(w->backlog[node].len == 0);   /* a down node's backlog went with it */
    if (proc_start(&w->procs, p, clock_of(w, node), err, sizeof err) != 0)
        return world_fail(w, OX_EXIT_HARNESS, "%s", err);
    trace_begin(&w->trace, w->now, p->life == 1 ? "start" : "restart");
    trace_str(&w->trace, "node", p->name);
    trace_int(&w->trace, "life", p->life);
    if (why) trace_str(&w->trace, "why", why);
    trace_end(&w->trace);
    if (p->life > 1) w->res->st.restarts++;
    assert(p->pid > 0);
    ox_step s = { .kind = OX_STEP_START };
    return step_node(w, node, &s);
}

static void crash_node(sim_world *w, int node, sim_fault *f, const char *where);
void world_crash(sim_world *w, int node, sim_fault *f, const char *where) {
    crash_node(w, node, f, where);
}
int64_t world_clock_of(const sim_world *w, int node) { return clock_of(w, node); }

static void crash_node(sim_world *w, int node, sim_fault *f, const char *where) {
    sim_proc *p = &w->nodes[node];
    assert(p->pid > 0);
    proc_kill(&w->procs, p);
    assert(p->pid == 0);
    w->res->st.crashes++;
    if (f) announce(w, f);
    trace_begin(&w->trace, w->now, "crash");
    trace_str(&w->trace, "node", p->name);
    trace_int(&w->trace, "life", p->life);
    trace_str(&w->trace, "at", where);
    if (f) trace_int(&w->trace, "fault", f->id);
    trace_end(&w->trace);
    /* a power loss is a crash whose disk then loses what was never synced (power.h) */
    if (f && f->kind == FK_POWER_LOSS && power_cut(w, node, f) != 0) return;
    if (f && f->restart_after_us >= 0) {
        sim_event ev = { .t = w->now + f->restart_after_us,
                         .type = EV_RESTART,
                         .node = (int8_t)node,
                         .b = (uint64_t)p->life };
        world_schedule(w, ev);
    }
    backlog_flush(w, node);
}

/* ---- the network ------------------------------------------------------------------- */

void world_trace_frame(sim_world *w, const char *ev, const sim_frame *fr, int dst) {
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
    assert(fr->id > 0);
    sim_frame *c = malloc(sizeof *c + fr->len);
    if (c) memcpy(c, fr, sizeof *c + fr->len);
    return c;
}

static int route_send(sim_world *w, int src, const ox_effect *e) {
    int dst = scenario_node_parse(e->to);
    assert(src >= 0);
    assert(src < SIM_MAX_NODES);
    if (dst < 0)
        return world_fail(w, OX_EXIT_HARNESS, "%s sent a frame to unknown node '%s'",
                          scenario_node_name(src), e->to);
    sim_frame *fr = malloc(sizeof *fr + e->frame_len);
    if (!fr) return world_fail(w, OX_EXIT_HARNESS, "out of memory");
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
    w->res->st.frames++;

    assert(w->res->st.frames == w->frame_ids);   /* one id per frame sent */
    net_fate fate;
    net_decide(w->sc, &w->net, w->now, w->healed, src, dst, fr->queue, fr->label, fr->pay, &fate);
    world_trace_frame(w, "send", fr, dst);
    if (fate.partitioned_by) {
        fault_acted(w, fate.partitioned_by);
        trace_str(&w->trace, "fate", "partitioned");
        trace_int(&w->trace, "fault", fate.partitioned_by);
        trace_end(&w->trace);
        w->res->st.partitioned++;
        free(fr);
        return 0;
    }
    if (fate.dropped_by) {
        trace_str(&w->trace, "fate", "dropped");
        trace_int(&w->trace, "fault", fate.dropped_by);
        trace_end(&w->trace);
        w->res->st.dropped++;
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
        w->res->st.corrupted++;
    }
    trace_time(&w->trace, "arrives", w->now + fate.latency_us[0]);
    trace_end(&w->trace);
    assert(fate.ncopies >= 1);
    if (fate.duplicated_by) w->res->st.duplicated += (uint64_t)fate.ncopies - 1;
    if (fate.delayed_by) w->res->st.delayed++;
    for (int c = 0; c < fate.ncopies; c++) {
        sim_frame *copy = c + 1 < fate.ncopies ? frame_copy(fr) : fr;
        if (!copy) {
            free(fr);
            return world_fail(w, OX_EXIT_HARNESS, "out of memory");
        }
        sim_event ev = { .t = w->now + fate.latency_us[c], .type = EV_FRAME, .node = (int8_t)dst,
                         .frame = copy };
        if (world_schedule(w, ev) != 0) { if (copy != fr) free(fr); return -1; }
    }
    return 0;
}

/* ---- the client -------------------------------------------------------------------- */

static void client_outcome(sim_world *w, uint32_t pay, uint8_t outcome) {
    assert(pay >= 1);
    assert(pay <= w->sc->workload.payments);
    hist_entry *h = &w->res->hist[pay];
    /* OK is final; an UNKNOWN (maybe committed) is never downgraded to FAILED. */
    if (h->outcome == HIST_OK) return;
    if (h->outcome == HIST_UNKNOWN && outcome == HIST_FAILED) return;
    h->outcome = outcome;
}

static void client_retry(sim_world *w, uint32_t pay) {
    if (w->tries[pay] > w->sc->workload.client_retries) return;
    if (w->res->hist[pay].outcome == HIST_OK) return;
    sim_event ev = { .t = w->now + WORLD_CLIENT_RETRY_US, .type = EV_PAY, .a = pay };
    world_schedule(w, ev);
}

static void trace_reply(sim_world *w, uint32_t pay, const char *result, const char *detail) {
    trace_begin(&w->trace, w->now, "reply");
    trace_str(&w->trace, "node", "client");
    trace_uint(&w->trace, "pay", pay);
    trace_str(&w->trace, "result", result);
    if (detail) trace_str(&w->trace, "detail", detail);
    trace_end(&w->trace);
}

void world_client_unanswered(sim_world *w, uint32_t pay, const char *why) {
    client_outcome(w, pay, HIST_UNKNOWN);
    trace_reply(w, pay, "unknown", why);
    client_retry(w, pay);
}

/* ---- replies ----------------------------------------------------------------------- */

/* What the broker holds, from its own account of each change (lib/broker.c): a message
** enqueued is held until it is acked, or, at most once, until it is sent; a restart
** holds what it restored (durable) or nothing.  Quiet needs this at 0: a message held
** unacked will be redelivered, whatever the wire shows meanwhile. */
static void broker_notes(sim_world *w, const ox_effect *e) {
    static const char amo[] = ", at most once";
    size_t n = strlen(e->detail);
    if (!strcmp(e->label, "enqueue")) w->broker_held++;
    else if (!strcmp(e->label, "ack")) w->broker_held--;
    else if (!strcmp(e->label, "deliver") && n >= sizeof amo - 1 &&
             !strcmp(e->detail + n - (sizeof amo - 1), amo))
        w->broker_held--;
    else if (!strcmp(e->label, "recover")) {
        unsigned long long inc = 0;
        unsigned restored = 0;
        w->broker_held = 0;   /* in memory: a restart starts empty */
        if (sscanf(e->detail, "incarnation %llu: %u messages restored", &inc, &restored) == 2)
            w->broker_held = restored;
    }
    assert(w->broker_held >= 0);   /* paired: every ack or send had its enqueue */
}

static int apply_effect(sim_world *w, int node, const ox_effect *e, int *replied) {
    const char *name = scenario_node_name(node);
    assert(w->nodes[node].pid > 0);   /* effects come from a live node's reply */
    switch (e->type) {
    case OX_FX_SEND:
        return route_send(w, node, e);
    case OX_FX_TIMER: {
        if (e->timer_id >= WORLD_MAX_TIMERS)
            return world_fail(w, OX_EXIT_HARNESS, "%s set timer %u (max %d)", name, e->timer_id,
                              WORLD_MAX_TIMERS - 1);
        int64_t delay = e->delay_us < 0 ? 0 : unrated(w, node, e->delay_us);
        uint32_t gen = ++w->timer_gen[node][e->timer_id];
        sim_event ev = { .t = w->now + delay,
                         .type = EV_TIMER,
                         .node = (int8_t)node,
                         .a = e->timer_id,
                         .b = ((uint64_t)w->nodes[node].life << 32) | gen };
        return world_schedule(w, ev);
    }
    case OX_FX_REPLY:
        if (e->pay == 0 || e->pay > w->sc->workload.payments)
            return world_fail(w, OX_EXIT_HARNESS, "%s answered unknown payment %" PRIu64, name,
                              e->pay);
        *replied = 1;
        client_outcome(w, (uint32_t)e->pay, e->ok ? HIST_OK : HIST_FAILED);
        trace_reply(w, (uint32_t)e->pay, e->ok ? "ok" : "failed", e->detail);
        return 0;
    case OX_FX_NOTE:
        if (node == 1) broker_notes(w, e);
        count_kind(w, e->label);
        trace_begin(&w->trace, w->now, "note");
        trace_str(&w->trace, "node", name);
        trace_str(&w->trace, "kind", e->label);
        if (e->pay) trace_uint(&w->trace, "pay", e->pay);
        trace_str(&w->trace, "detail", e->detail);
        trace_end(&w->trace);
        return 0;
    case OX_FX_PASSED:
        return diskf_passed(w, node, e->label, e->count);
    case OX_FX_INJECTED:
        if (diskf_is_site(e->label)) return diskf_injected(w, node, e->label);
        trace_begin(&w->trace, w->now, "injected");
        trace_str(&w->trace, "node", name);
        trace_str(&w->trace, "site", e->label);
        if (w->inject_fault) trace_int(&w->trace, "fault", w->inject_fault);
        trace_end(&w->trace);
        if (!strcmp(e->label, OX_SITE_BROKER_LOSE)) w->res->st.lost_inside++;
        if (w->inject_fault) fault_acted(w, w->inject_fault);
        return 0;
    case OX_FX_FAILPOINT: {
        world_failpoint *fp = failpoint_slot(w, e->label);
        if (!fp)
            return world_fail(w, OX_EXIT_HARNESS, "more than %d distinct failpoints",
                              WORLD_MAX_FAILPOINTS);
        fp->hits++;
        uint32_t *mine = &w->fp_node_hits[node][fp - w->res->fps];
        (*mine)++;
        assert(*mine <= fp->hits);
        trace_begin(&w->trace, w->now, "failpoint");
        trace_str(&w->trace, "node", name);
        trace_str(&w->trace, "name", e->label);
        trace_uint(&w->trace, "hit", *mine);
        trace_end(&w->trace);
        return 0;
    }
    default:
        return world_fail(w, OX_EXIT_HARNESS, "%s sent an effect of unknown type %u", name,
                          e->type);
    }
}

/* The fault that made the node crash at failpoint `name`: the pending one whose hit
** number is the count just reached. */
static sim_fault *crash_fault_for(sim_world *w, int node, const char *name) {
    uint32_t hits = failpoint_hits(w, node, name);
    assert(hits >= 1);   /* the crash's own pass was counted */
    for (int i = 0; i < w->sc->nfaults; i++) {
        sim_fault *f = &w->sc->faults[i];
        if (scenario_kills(f->kind) && !f->fired && f->node == node &&
            !strcmp(f->failpoint, name) && f->hit == hits)
            return f;
    }
    return NULL;
}

/* The START reply `r` of node `node` declares (DECLARE) every failpoint of its role the
** scenario's failpoints { } names: a node that lacks one could never be crashed there.
** 0 or -1 (world_fail).  (A DECLARE in any other reply: world_apply_reply.) */
static int check_declared(sim_world *w, int node, const ox_step *s, const ox_reply *r) {
    const char *name = scenario_node_name(node);
    const char *role = ox_role_name(scenario_node_role(node));
    size_t rl = strlen(role);
    if (s->kind != OX_STEP_START || r->status != OX_REPLY_OK) return 0;
    for (int k = 0; k < w->sc->nown_fps; k++) {
        const char *fp = w->sc->own_fps[k];
        if (strncmp(fp, role, rl) != 0 || fp[rl] != '.') continue;   /* another role's */
        int found = 0;
        for (unsigned i = 0; i < r->neffects && !found; i++)
            found = r->effects[i].type == OX_FX_DECLARE && !strcmp(r->effects[i].label, fp);
        if (!found)
            return world_fail(w, OX_EXIT_HARNESS, "%s does not declare failpoint '%s', which "
                              "%s names (failpoints { } at line %d): its START reply must "
                              "carry a DECLARE for it (docs/protocol.md, \"Failpoints and "
                              "injection sites\")", name, fp, w->sc->path, w->sc->own_fps_line);
    }
    return 0;
}

int world_apply_reply(sim_world *w, int node, const ox_step *s, const ox_reply *r) {
    int replied = 0;
    assert(r->neffects <= OX_STEP_MAX_EFFECTS);
    assert(r->seq == s->seq);
    if (check_declared(w, node, s, r) != 0) return -1;
    const char *last_fp = NULL, *last_note = NULL;
    for (unsigned i = 0; i < r->neffects && !w->err_code; i++) {
        const ox_effect *e = &r->effects[i];
        if (e->type == OX_FX_FAILPOINT) last_fp = e->label;
        if (e->type == OX_FX_NOTE) last_note = e->detail;
        if (e->type == OX_FX_DECLARE && s->kind != OX_STEP_START)
            return world_fail(w, OX_EXIT_HARNESS, "%s declared failpoint '%s' in a reply to "
                              "a step other than START: only a START's reply declares",
                              scenario_node_name(node), e->label);
        if (e->type == OX_FX_DECLARE) continue;   /* check_declared: nothing to apply */
        if (e->type == OX_FX_NOTE && s->kind == OX_STEP_START && !strcmp(e->label, "config")) {
            if (knobs_compare(w, node, e->detail) != 0) return -1;   /* knobs.h: not traced */
            continue;
        }
        apply_effect(w, node, e, &replied);
    }
    if (w->err_code) return -1;
    if (r->status == OX_REPLY_FATAL && s->kind == OX_STEP_START && w->diskf.fired > 0)
        return diskf_start_failed(w, node, last_note);   /* a disk fault at START (diskf.h) */
    if (r->status == OX_REPLY_FATAL && s->kind == OX_STEP_START && tamper_last(w, node))
        return tamper_start_failed(w, node, last_note);   /* a tampered database (tamper.h) */
    if (r->status == OX_REPLY_FATAL)
        return world_fail(w, OX_EXIT_HARNESS, "%s gave up: %s (see %s)", scenario_node_name(node),
                          last_note ? last_note : "no reason given", w->nodes[node].log_path);
    if (s->kind == OX_STEP_PAY && !replied && r->status == OX_REPLY_OK)
        return world_fail(w, OX_EXIT_HARNESS, "payment did not answer payment %" PRIu64, s->pay_id);
    if (r->status != OX_REPLY_CRASH) return 0;
    if (!last_fp)
        return world_fail(w, OX_EXIT_HARNESS, "%s crashed without naming a failpoint",
                          scenario_node_name(node));
    sim_fault *f = crash_fault_for(w, node, last_fp);
    if (!f)
        return world_fail(w, OX_EXIT_HARNESS, "%s crashed at failpoint %s, which was not armed",
                          scenario_node_name(node), last_fp);
    assert(!f->fired);
    f->fired = 1;
    f->acted++;
    failpoint_slot(w, last_fp)->crashes++;
    uint32_t unanswered = s->kind == OX_STEP_PAY && !replied ? (uint32_t)s->pay_id : 0;
    /* The client's retry is queued before the restart crash_node may queue (their order
    ** at one instant is the run's), but its "unknown" is written after the "crash"
    ** line: the trace tells the cause before its effect. */
    if (unanswered) {
        client_outcome(w, unanswered, HIST_UNKNOWN);
        client_retry(w, unanswered);
    }
    crash_node(w, node, f, last_fp);
    if (unanswered)
        trace_reply(w, unanswered, "unknown", "the payment service crashed before answering");
    return 0;
}

/* ---- which node an event steps ---------------------------------------------------- */

int world_node_of(const sim_event *ev) {
    assert(ev->type == EV_PAY || (ev->node >= 0 && ev->node < SIM_MAX_NODES));
    return ev->type == EV_PAY ? 0 : ev->node;
}

int world_timer_live(const sim_world *w, const sim_event *ev) {
    assert(ev->type == EV_TIMER);
    assert(ev->a < WORLD_MAX_TIMERS);
    const sim_proc *p = &w->nodes[(int)ev->node];
    uint32_t life = (uint32_t)(ev->b >> 32), gen = (uint32_t)ev->b;
    return p->pid != 0 && (int)life == p->life && gen == w->timer_gen[(int)ev->node][ev->a];
}

/* ---- broker internal loss ---------------------------------------------------------- */

/* For a PUBLISH the broker is about to handle, the first active broker_loss fault on its
** queue that fires (its nth frame, or by chance from the fault stream) arms the
** library's loss site for this one step. */
static void arm_broker_loss(sim_world *w, int node, const sim_frame *fr, ox_step *s) {
    assert(s->kind == OX_STEP_FRAME);
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

/* ---- events ------------------------------------------------------------------------ */

/* Each handler of an event that steps a node comes in three parts, so that a batch
** (run_batch) can build every step first and do the rest at each event's turn:
**   X_pre   what happens at the event's turn before the step (trace, counts); 0 if
**           the event ends there (node down, stale timer), 1 if the node steps;
**   X_step  the step's content, from the event alone (no side effects);
**   on_X    both, the step, and what follows it. */

static int frame_pre(sim_world *w, sim_event *ev) {
    sim_frame *fr = ev->frame;
    int node = ev->node;
    assert(fr != NULL);
    assert(w->inflight > 0);
    w->inflight--;   /* paired with world_schedule's ++ */
    if (w->nodes[node].pid == 0) {
        world_trace_frame(w, "lost", fr, node);
        trace_str(&w->trace, "why", "node down");
        trace_end(&w->trace);
        w->res->st.lost_down++;
        return 0;
    }
    world_trace_frame(w, "deliver", fr, node);
    if (ev->t < w->now) trace_time(&w->trace, "waited", w->now - ev->t);
    trace_end(&w->trace);
    w->res->st.delivered++;
    return 1;
}

static void frame_step(const sim_event *ev, ox_step *s) {
    assert(ev->type == EV_FRAME);
    assert(ev->frame != NULL);
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
    if (rc == 0) backlog_after_frame(w, node);
    return rc;
}

static int timer_pre(sim_world *w, sim_event *ev) {
    if (!world_timer_live(w, ev)) return 0;
    w->res->st.timers++;
    trace_begin(&w->trace, w->now, "timer");
    trace_str(&w->trace, "node", w->nodes[(int)ev->node].name);
    trace_uint(&w->trace, "id", ev->a);
    if (ev->t < w->now) trace_time(&w->trace, "waited", w->now - ev->t);
    trace_end(&w->trace);
    return 1;
}

static void timer_step(const sim_event *ev, ox_step *s) {
    assert(ev->type == EV_TIMER);
    assert(ev->a < WORLD_MAX_TIMERS);
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

static int pay_pre(sim_world *w, sim_event *ev) {
    uint32_t pay = ev->a;
    assert(pay >= 1);
    assert(pay <= w->sc->workload.payments);
    hist_entry *h = &w->res->hist[pay];
    if (w->tries[pay] == 0 && pay < w->sc->workload.payments) {
        /* A request that waited in a busy node's backlog may run late; the next one
        ** is still made on schedule, or at once if that moment has passed. */
        int64_t t = world_pay_time(w, pay + 1);
        sim_event next = { .t = t > w->now ? t : w->now, .type = EV_PAY, .a = pay + 1 };
        if (world_schedule(w, next) != 0) return -1;
    }
    w->tries[pay]++;
    assert(w->tries[pay] > 0);   /* at most client_retries + 1 tries: no wrap */
    w->res->st.client_requests++;
    if (w->tries[pay] > 1) w->res->st.client_retries++;
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
    const hist_entry *h = &w->res->hist[ev->a];
    assert(ev->type == EV_PAY);
    assert(ev->a >= 1);   /* built before pay_pre runs, in a batch: nothing of it assumed */
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
    assert(ev->a < (uint32_t)w->sc->nfaults);
    sim_fault *f = &w->sc->faults[ev->a];
    assert(scenario_kills(f->kind));
    if (w->healed || f->fired) return 0;
    f->fired = 1;   /* done, whether it acts or is skipped: its time came */
    if (w->nodes[f->node].pid == 0) {
        f->skipped = 1;   /* it never acted: summary.json says "fired": false */
        trace_begin(&w->trace, w->now, "crash_skipped");
        trace_str(&w->trace, "node", scenario_node_name(f->node));
        trace_int(&w->trace, "fault", f->id);
        trace_str(&w->trace, "why", "already down");
        trace_end(&w->trace);
        return 0;
    }
    f->acted++;
    crash_node(w, f->node, f, "time");
    return 0;
}

static int on_restart(sim_world *w, sim_event *ev) {
    assert(ev->node >= 0);
    assert(ev->node < SIM_MAX_NODES);
    sim_proc *p = &w->nodes[(int)ev->node];
    if (p->pid != 0 || (uint64_t)p->life != ev->b) return 0;   /* already back */
    return start_node(w, ev->node, "restart_after");
}

/* A fault takes effect: its "fault" line; a clock jump also moves the node's clock. */
static int on_fault(sim_world *w, sim_event *ev) {
    assert(ev->a < (uint32_t)w->sc->nfaults);
    sim_fault *f = &w->sc->faults[ev->a];
    assert(!scenario_kills(f->kind));
    assert(f->kind != FK_CLOCK);   /* a skew is set before the start (set_clocks) */
    if (w->healed) return 0;
    if (f->kind == FK_PAUSE) return diskf_pause(w, f);
    if (f->kind == FK_TAMPER) return tamper_apply(w, f);   /* tamper.h */
    if (f->kind == FK_MISCONFIG) return misconf_apply(w, f);   /* misconf.h */
    if (f->kind != FK_CLOCK_JUMP) {
        announce(w, f);
        return 0;
    }
    if (f->fired) return 0;
    f->fired = 1;
    f->acted++;
    announce(w, f);
    w->skew_us[f->node] += f->by_us;
    w->res->st.clock_jumps++;
    trace_begin(&w->trace, w->now, "clock_jump");
    trace_str(&w->trace, "node", scenario_node_name(f->node));
    trace_int(&w->trace, "fault", f->id);
    trace_str(&w->trace, "direction", f->by_us > 0 ? "forward" : "backward");
    trace_int(&w->trace, "by_ms", f->by_us / 1000);
    trace_int(&w->trace, "offset_ms", w->skew_us[f->node] / 1000);
    trace_end(&w->trace);
    return 0;
}

/* ---- the scenario's callbacks ------------------------------------------------------ */

/* The executable a role runs: its --node COMMAND (world_opts.node_cmds), else node_bin. */
static const char *role_command(const sim_world *w, ox_role r) {
    assert(r < OX_ROLE_COUNT);
    if (w->o->node_cmds == NULL || w->o->node_cmds[r] == NULL) return w->o->node_bin;
    return w->o->node_cmds[r];
}

/* The executable node n runs: its role's (every instance of a role runs one command, so
** `--node relay=...` reaches relay-1..relay-N alike). */
static const char *node_command(const sim_world *w, int n) {
    return role_command(w, scenario_node_role(n));
}

/* ctl(...) in a scenario: an operator runs the real bin/outbox-ctl (beside
** outbox-node) on the payment database at this moment, under the payment service's
** virtual clock, while every service is idle between steps. */
static int scenario_ctl(void *ctx, int line, int argc, const char *const *argv, char *output,
                        size_t outcap) {
    sim_world *w = ctx;
    char tool[1100], db[600], out[2048], err[700];
    /* The outbox-ctl beside payment's executable (a mutant's, make mutate), if any. */
    const char *bin = role_command(w, OX_ROLE_PAYMENT);
    if (!strncmp(bin, "json:", 5)) bin += 5;   /* the text encoding's prefix (proc.h) */
    for (int pass = 0; pass < 2; pass++, bin = w->o->node_bin) {
        const char *slash = strrchr(bin, '/');
        int dir = slash ? (int)(slash - bin) : 1;
        snprintf(tool, sizeof tool, "%.*s/outbox-ctl", dir, slash ? bin : ".");
        if (access(tool, X_OK) == 0) break;
    }
    snprintf(db, sizeof db, "%s/payment.db", w->o->run_dir);
    char *av[SIM_MAX_CTL_ARGS + 4] = { tool, "--db", db };
    assert(argc >= 1);
    assert(argc <= SIM_MAX_CTL_ARGS);
    for (int i = 0; i < argc; i++) av[3 + i] = (char *)argv[i];
    av[3 + argc] = NULL;
    int status = 0;
    if (proc_run_tool(&w->procs, &w->nodes[0], clock_of(w, 0), av, out, sizeof out, &status, err,
                      sizeof err) != 0) {
        world_fail(w, OX_EXIT_HARNESS, "ctl at line %d: %s", line, err);
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
    snprintf(output, outcap, "%s", out);
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
    assert(ev->a < (uint32_t)w->sc->ncallbacks);
    if (w->healed) return 0;
    int before = w->sc->nfaults;
    char err[600];
    if (scenario_fire(w->sc, (int)ev->a, w->now, err, sizeof err) != 0)
        return world_fail(w, OX_EXIT_USAGE, "%s", err);
    return schedule_new_faults(w, before);
}

/* ---- healing and convergence ------------------------------------------------------- */

/* Rows the payment service still has to deliver, read from its database while it is
** idle between steps.  Design ordered: a row blocked behind a DEAD row of its account
** waits for the operator, as the DEAD row does, so it is not work left (ordered.h). */
static int64_t sending_rows(sim_world *w) {
    const char *sql = strcmp(w->o->design, "ordered") == 0
        ? OX_ORDERED_PENDING_SQL : "SELECT count(*) FROM outbox WHERE status='SENDING'";
    char path[600];
    snprintf(path, sizeof path, "%s/payment.db", w->o->run_dir);
    sqlite3 *db = NULL;
    int64_t n = -1;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW)
            n = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return n;
}

static int on_probe(sim_world *w) {
    assert(w->healed);   /* probing starts at healing */
    if (w->res->converged_us >= 0) return 0;
    int all_up = 1;
    for (int n = 0; n < SIM_MAX_NODES; n++)
        all_up &= !scenario_node_active(w->sc, n) || w->nodes[n].pid != 0;
    /* Quiet: every node up, no frame on the wire or in a backlog, nothing the broker
    ** still holds (unacked: it would be redelivered), no outbox row SENDING. */
    if (all_up && w->inflight == 0 && w->broker_held == 0 && sending_rows(w) == 0) {
        w->res->converged_us = w->now;
        trace_begin(&w->trace, w->now, "converged");
        trace_time(&w->trace, "after_healing", w->now - w->sc->run_us);
        trace_end(&w->trace);
        return 0;
    }
    sim_event ev = { .t = w->now + WORLD_PROBE_US, .type = EV_PROBE };
    return world_schedule(w, ev);
}

static int on_heal(sim_world *w) {
    assert(!w->healed);   /* one EV_HEAL per run */
    assert(w->now == w->sc->run_us);
    w->healed = 1;
    trace_begin(&w->trace, w->now, "heal");
    trace_str(&w->trace, "what", "faults stop; down nodes restart; settle phase begins");
    trace_end(&w->trace);
    for (int n = 0; n < SIM_MAX_NODES && !w->err_code; n++)
        if (scenario_node_active(w->sc, n) && w->nodes[n].pid == 0) start_node(w, n, "healing");
    /* Probe at once: with settle = 0 the end comes at this same instant. */
    return w->err_code ? -1 : on_probe(w);
}

/* ---- set-up ------------------------------------------------------------------------ */

/* Events for the faults declared from index `from` on: a crash at a time; the moment
** every other fault takes effect (a clock's skew is set up before the nodes start, and a
** crash at a failpoint is announced when it fires). */
static int schedule_new_faults(sim_world *w, int from) {
    assert(from >= 0);
    assert(from <= w->sc->nfaults);
    for (int i = from; i < w->sc->nfaults; i++) {
        const sim_fault *f = &w->sc->faults[i];
        int64_t t;
        uint8_t type = EV_FAULT;
        if (f->kind == FK_CLOCK) continue;
        if (scenario_kills(f->kind) && f->at_us < 0) continue;
        if (scenario_kills(f->kind)) type = EV_CRASH, t = f->at_us;
        else if (f->kind == FK_CLOCK_JUMP) t = f->at_us;
        else t = f->from_us;
        sim_event ev = { .t = t < w->now ? w->now : t, .type = type, .a = (uint32_t)i };
        if (world_schedule(w, ev) != 0) return -1;
    }
    return 0;
}

/* Clock skews hold from the start: set before any node starts, each announced. */
static void set_clocks(sim_world *w) {
    assert(w->now == 0);
    assert(w->nodes[0].pid == 0);   /* before any node starts */
    for (int i = 0; i < w->sc->nfaults; i++) {
        sim_fault *f = &w->sc->faults[i];
        if (f->kind != FK_CLOCK) continue;
        w->skew_us[f->node] += f->by_us;
        if (f->rate != 0) w->rate[f->node] = f->rate;   /* the last declared holds */
        f->acted++;
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
int64_t world_pay_time(const sim_world *w, uint32_t i) {
    assert(i >= 1);
    assert(w->sc->workload.rate > 0);
    int64_t gap = (int64_t)(1e6 / w->sc->workload.rate);
    return 10000 + (int64_t)(i - 1) * (gap < 1 ? 1 : gap);
}

/* Draws every payment's amount and account up front (the history needs them), but
** queues only the first request: each request queues the next when it is made, so the
** event queue holds one future payment, not all of them. */
static int schedule_workload(sim_world *w) {
    const sim_workload *wl = &w->sc->workload;
    assert(wl->amount_max >= wl->amount_min);
    assert(w->res->hist != NULL);
    for (uint32_t i = 1; i <= wl->payments; i++) {
        hist_entry *h = &w->res->hist[i];
        int frozen = wl->refuse ? wl->refuse[i] : 0;   /* paid from the frozen account */
        int64_t span = wl->amount_max - wl->amount_min;
        h->amount = wl->amount_min +
                    (span > 0 ? (int64_t)ox_prng_below(&w->client, (uint64_t)span + 1) : 0);
        h->account = frozen
                         ? SIM_FROZEN_ACCOUNT
                         : 1 + (uint32_t)ox_prng_below(&w->client, wl->accounts ? wl->accounts : 1);
        /* over max_amount: refused by the rule, whatever the account */
        h->refused = frozen || (wl->limit > 0 && h->amount > wl->limit);
    }
    if (wl->payments == 0) return 0;
    sim_event ev = { .t = world_pay_time(w, 1), .type = EV_PAY, .a = 1 };
    return world_schedule(w, ev);
}

static int schedule_phases(sim_world *w) {
    for (int i = 0; i < w->sc->ncallbacks; i++) {
        sim_event ev = { .t = w->sc->callbacks[i].t_us, .type = EV_CALLBACK, .a = (uint32_t)i };
        if (world_schedule(w, ev) != 0) return -1;
    }
    sim_event heal = { .t = w->sc->run_us, .type = EV_HEAL };
    sim_event end = { .t = w->sc->run_us + w->sc->settle_us, .type = EV_END };
    if (world_schedule(w, heal) != 0 || world_schedule(w, end) != 0) return -1;
    return schedule_new_faults(w, 0);
}

/* 1 if the node runs and its database is its own (a relay opens the payment's): the
** files dbplace moves are those. */
static int owns_db(const sim_world *w, int n) {
    return scenario_node_active(w->sc, n) && !strcmp(scenario_node_db(n), scenario_node_name(n));
}

static void node_args(sim_world *w, int n) {
    sim_proc *p = &w->nodes[n];
    assert(p->argc == 0);
    assert(p->pid == 0);
    char buf[700];
    proc_add_arg(p, node_command(w, n));
    proc_add_arg(p, "--role");
    proc_add_arg(p, ox_role_name(scenario_node_role(n)));
    snprintf(buf, sizeof buf, "%s/%s.db", w->o->run_dir, scenario_node_db(n));
    proc_add_arg(p, "--db");
    proc_add_arg(p, buf);
    proc_add_arg(p, "--design");
    proc_add_arg(p, w->o->design);
    snprintf(buf, sizeof buf, "%" PRIu64, ox_prng_derive(w->o->seed, 100 + (uint64_t)n));
    proc_add_arg(p, "--seed");
    proc_add_arg(p, buf);
    for (int k = 0; k < w->sc->nknobs; k++) {
        proc_add_arg(p, "--knob");
        proc_add_arg(p, w->sc->knobs[k]);
    }
    if (scenario_node_role(n) == OX_ROLE_RELAY) {   /* the name its claims carry */
        snprintf(buf, sizeof buf, "owner=%s", scenario_node_name(n));
        proc_add_arg(p, "--knob");
        proc_add_arg(p, buf);
    }
    if (n >= SIM_NODES && scenario_node_role(n) == OX_ROLE_ACCOUNTING) {
        proc_add_arg(p, "--name");   /* accounting-2..: its address (lib/broker.h) */
        proc_add_arg(p, scenario_node_name(n));
    }
    /* Payments the scenario refuses are paid from an account accounting has frozen. */
    if (!scenario_knob(w->sc, "frozen")) {
        snprintf(buf, sizeof buf, "frozen=%d", SIM_FROZEN_ACCOUNT);
        proc_add_arg(p, "--knob");
        proc_add_arg(p, buf);
    }
}

/* Creates <dir> and its parents; empties it of a previous run's files. */
static int prepare_run_dir(sim_world *w) {
    char path[512];
    snprintf(path, sizeof path, "%s", w->o->run_dir);
    for (char *s = path + 1; *s; s++) {
        if (*s != '/') continue;
        *s = '\0';
        if (mkdir(path, 0755) != 0 && errno != EEXIST)
            return world_fail(w, OX_EXIT_HARNESS, "cannot create %s: %s", path, strerror(errno));
        *s = '/';
    }
    if (mkdir(path, 0755) != 0 && errno != EEXIST)
        return world_fail(w, OX_EXIT_HARNESS, "cannot create %s: %s", path, strerror(errno));
    DIR *d = opendir(path);
    if (!d) return world_fail(w, OX_EXIT_HARNESS, "cannot open %s: %s", path, strerror(errno));
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
    w->res->converged_us = -1;
    trace_listen(&w->trace, w->o->listen, w->o->listen_ctx);
    evq_init(&w->q);
    ox_prng_seed(&w->net, ox_prng_derive(w->o->seed, 1));
    ox_prng_seed(&w->client, ox_prng_derive(w->o->seed, 2));
    ox_prng_seed(&w->faults, ox_prng_derive(w->o->seed, 3));
    ox_prng_seed(&w->rollbacks, ox_prng_derive(w->o->seed, 5));
    diskf_init(&w->diskf, w->o->seed);
    w->res->hist = calloc((size_t)wl->payments + 1, sizeof *w->res->hist);
    w->tries = calloc((size_t)wl->payments + 1, 1);
    w->effects = calloc(OX_STEP_MAX_EFFECTS, sizeof *w->effects);
    if (!w->res->hist || !w->tries || !w->effects)
        return world_fail(w, OX_EXIT_HARNESS, "out of memory");
    if (prepare_run_dir(w) != 0) return -1;
    char err[600];
    if (procs_init(&w->procs, w->o->run_dir, err, sizeof err) != 0)
        return world_fail(w, OX_EXIT_HARNESS, "%s", err);
    w->tmp_dbs = dbplace_enabled();
    const char *batch = getenv("OUTBOX_SIM_BATCH");   /* 0 or 1: one event per round trip */
    w->batch_max = batch && *batch ? atoi(batch) : OX_BATCH_MAX;
    if (w->batch_max < 1) w->batch_max = 1;
    if (w->batch_max > OX_BATCH_MAX) w->batch_max = OX_BATCH_MAX;
    for (int n = 0; w->tmp_dbs && n < SIM_MAX_NODES; n++)
        if (owns_db(w, n) &&
            dbplace_link(w->procs.dir, w->o->run_dir, scenario_node_name(n), err, sizeof err) != 0)
            return world_fail(w, OX_EXIT_HARNESS, "%s", err);
    for (int n = 0; n < SIM_MAX_NODES; n++) {
        if (!scenario_node_active(w->sc, n)) continue;
        char log[700];
        snprintf(log, sizeof log, "%s/%s.log", w->o->run_dir, scenario_node_name(n));
        proc_init(&w->nodes[n], n, scenario_node_name(n), log);
        node_args(w, n);
    }
    if (diskf_prepare(w) != 0) return -1;  /* the simulated disk, if a fault wants it */
    if (power_setup(w) != 0) return -1;
    char tpath[600];
    snprintf(tpath, sizeof tpath, "%s/trace.jsonl", w->o->run_dir);
    if (trace_open(&w->trace, tpath) != 0)
        return world_fail(w, OX_EXIT_HARNESS, "cannot write %s: %s", tpath, strerror(errno));
    w->sc->note = scenario_note;
    w->sc->ctl = scenario_ctl;
    w->sc->note_ctx = w;
    trace_begin(&w->trace, 0, "run");
    trace_str(&w->trace, "scenario", w->sc->name);
    trace_str(&w->trace, "file", w->sc->slug);
    trace_uint(&w->trace, "seed", w->o->seed);
    trace_str(&w->trace, "design", w->o->design);
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
    /* Then the extra instances (topology{}), in index order: a relay finds the payment's
    ** database made. */
    for (int n = SIM_NODES; n < SIM_MAX_NODES; n++)
        if (scenario_node_active(w->sc, n) && start_node(w, n, NULL) != 0) return -1;
    return 0;
}

/* ---- the loop and the end ---------------------------------------------------------- */

int world_event_pre(sim_world *w, sim_event *ev) {
    switch (ev->type) {
    case EV_FRAME: return frame_pre(w, ev);
    case EV_TIMER: return timer_pre(w, ev);
    default: assert(ev->type == EV_PAY); return pay_pre(w, ev);
    }
}

void world_event_step(const sim_world *w, const sim_event *ev, ox_step *s) {
    switch (ev->type) {
    case EV_FRAME: frame_step(ev, s); break;
    case EV_TIMER: timer_step(ev, s); break;
    default: assert(ev->type == EV_PAY); pay_step(w, ev, s); break;
    }
}

int world_run_event(sim_world *w, sim_event *ev) {
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
    case EV_FREE: return backlog_on_free(w, ev->node);
    default: return world_fail(w, OX_EXIT_HARNESS, "unknown event type %u", ev->type);
    }
}

/* Runs ev, unless its node is busy: then it waits in the node's backlog.  An event
** that steps a node may take the events after it along (batch.h). */
static int dispatch(sim_world *w, sim_event *ev) {
    if (backlog_must_wait(w, ev)) return backlog_defer(w, ev);
    int rc = batch_dispatch(w, ev);
    return rc == 0 ? world_run_event(w, ev) : rc;
}

static int loop(sim_world *w) {
    sim_event ev;
    while (!w->err_code && evq_pop(&w->q, &ev) == 0) {
        assert(ev.t >= w->now);
        w->now = ev.t;
        if (ev.type == EV_END) return 0;
        dispatch(w, &ev);
        free(ev.frame);
        if (proc_interrupted) world_fail(w, OX_EXIT_HARNESS, "interrupted by a signal");
    }
    if (w->err_code) return -1;
    return world_fail(w, OX_EXIT_HARNESS, "the event queue ran dry before the end");
}

/* Stops every node cleanly so its database is closed, then reaps it. */
static int stop_nodes(sim_world *w) {
    assert(w->healed);
    assert(w->now == w->sc->run_us + w->sc->settle_us);
    for (int n = 0; n < SIM_MAX_NODES; n++) {
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

/* Frees what the loop holds; the services are dead or stopped by now. */
static void release(sim_world *w) {
    procs_fini(&w->procs, w->nodes, SIM_MAX_NODES);
    diskpre_close(w);
    evq_free(&w->q);
    for (int n = 0; n < SIM_MAX_NODES; n++) backlog_free(&w->backlog[n]);
    free(w->tries);
    free(w->effects);
    w->tries = NULL;
    w->effects = NULL;
}

/* The client's view of each payment, counted from the history. */
static void count_outcomes(world_result *r, uint32_t payments) {
    for (uint32_t i = 1; i <= payments && r->hist; i++) {
        if (r->hist[i].outcome == HIST_OK) r->st.ok++;
        else if (r->hist[i].outcome == HIST_FAILED) r->st.failed++;
        else if (r->hist[i].outcome == HIST_UNKNOWN) r->st.unknown++;
        else if (r->hist[i].outcome == HIST_INDEFINITE) r->st.indefinite++;
    }
    assert(r->st.ok + r->st.failed + r->st.unknown + r->st.indefinite <= payments);
}

ox_exit world_run(const world_opts *o, world_result *r) {
    static sim_world w;   /* large; one run per process */
    assert(o->sc != NULL);
    assert(o->design != NULL);
    memset(&w, 0, sizeof w);
    memset(r, 0, sizeof *r);
    w.o = o, w.res = r, w.sc = o->sc;
    int ok = setup(&w) == 0 && loop(&w) == 0;
    if (ok) {
        trace_begin(&w.trace, w.now, "end");
        trace_end(&w.trace);
        ok = stop_nodes(&w) == 0;
    }
    /* Every service dead or stopped before its files move (dbplace.h). */
    for (int n = 0; n < SIM_MAX_NODES; n++) proc_kill(&w.procs, &w.nodes[n]);
    for (int n = 0; w.tmp_dbs && n < SIM_MAX_NODES; n++) {
        if (!owns_db(&w, n)) continue;
        char err[600];
        const char *name = scenario_node_name(n);
        if (dbplace_keep(w.procs.dir, o->run_dir, name, err, sizeof err) != 0 && ok)
            ok = world_fail(&w, OX_EXIT_HARNESS, "%s", err) == 0;
    }
    if (diskf_keep(&w) != 0) ok = 0;   /* the disk journals, likewise (diskf.h) */
    release(&w);
    if (!ok && w.trace.f) {
        /* Say in the trace itself that it stops here, and why. */
        trace_begin(&w.trace, w.now, "aborted");
        trace_str(&w.trace, "why", r->err);
        trace_end(&w.trace);
    }
    if (trace_close(&w.trace) != 0 && ok)
        ok = world_fail(&w, OX_EXIT_HARNESS, "writing the trace failed") == 0;
    r->trace_lines = w.trace.lines;
    r->trace_hash = w.trace.hash;
    r->stopped_us = w.now;
    count_outcomes(r, w.sc->workload.payments);
    assert(ok == (w.err_code == OX_EXIT_OK));
    return w.err_code;
}

void world_result_free(world_result *r) {
    free(r->hist);
    r->hist = NULL;
}
