/*
** batch.c: several events of one node in one round trip (see batch.h).
**
** What the simulator can see, and so checks here, for an event to join a batch:
**   - only events that come next in the queue, in its order, all stepping the same
**     node, and all before the first one's time plus the minimum link latency: nothing
**     the node sends from the first event on arrives before that, so no other event
**     could have come in between;
**   - no payment request after one that will schedule the next request earlier than
**     the following event (the payment's X_pre in world.c schedules it at its turn);
**   - none of what the simulator decides per step from state a step changes: an armed
**     crash failpoint or broker loss, or a slow node, on this node;
**   - stale timers in the window are dropped (their generation can only grow).
** The node checks the rest (timers it sets, a crash) and may stop early; the events it
** did not take go back to their old places in the queue.
*/
#include "batch.h"

#include <assert.h>
#include <stdlib.h>

#include "net.h"
#include "world_loop.h"

static int batchable_kind(const sim_event *ev) {
    return ev->type == EV_FRAME || ev->type == EV_TIMER || ev->type == EV_PAY;
}

/* Whether events for `node` may share a round trip at all right now. */
static int node_batchable(const sim_world *w, int node) {
    assert(node >= 0);
    assert(node < SIM_MAX_NODES);
    if (w->batch_max < 2 || w->nodes[node].pid == 0) return 0;
    if (w->busy_until[node] > w->now || w->backlog[node].len > 0) return 0;
    if (!diskf_batchable(w, node)) return 0;   /* disk faults and clock rates: per step */
    for (int i = 0; !w->healed && i < w->sc->nfaults; i++) {
        const sim_fault *f = &w->sc->faults[i];
        if (f->kind == FK_SLOW && f->node == node) return 0;
        if (scenario_kills(f->kind) && f->node == node && f->failpoint[0] && !f->fired) return 0;
        if (f->kind == FK_BROKER_LOSS && node == 1) return 0;
        if (f->kind == FK_ROLLBACK && f->node == node) return 0;   /* each step draws */
    }
    return 1;
}

/* The time before which the next event must come to follow ev in the batch. */
static int64_t limit_after(const sim_world *w, const sim_event *ev, int64_t limit) {
    if (ev->type == EV_PAY && w->tries[ev->a] == 0 && ev->a < w->sc->workload.payments) {
        int64_t t = world_pay_time(w, ev->a + 1);
        if (t < ev->t) t = ev->t;
        if (t < limit) limit = t;
    }
    assert(limit > ev->t || limit == ev->t);
    return limit;
}

/* Takes from the queue the events that follow ev0 in its batch; returns how many
** events the batch has (evs[0] is ev0). */
static unsigned collect(sim_world *w, const sim_event *ev0, sim_event *evs) {
    int node = world_node_of(ev0);
    unsigned n = 0;
    evs[n++] = *ev0;
    int64_t limit = limit_after(w, ev0, ev0->t + NET_LATENCY_MIN_US);
    const sim_event *top;
    while (n < (unsigned)w->batch_max && (top = evq_peek(&w->q)) != NULL) {
        if (top->t >= limit || !batchable_kind(top) || world_node_of(top) != node) break;
        sim_event ev;
        evq_pop(&w->q, &ev);
        assert(ev.t >= evs[n - 1].t);
        if (ev.type == EV_TIMER && !world_timer_live(w, &ev)) continue;   /* a no-op then too */
        evs[n++] = ev;
        limit = limit_after(w, &ev, limit);
    }
    assert(n >= 1);
    assert(n <= OX_BATCH_MAX);
    return n;
}

/* The run stops on an error: the frames of the events taken along go with them. */
static int drop_taken(sim_event *evs, unsigned from, unsigned n) {
    for (unsigned i = from; i < n; i++) {
        free(evs[i].frame);
        evs[i].frame = NULL;
    }
    return -1;
}

/* Runs evs[0..n) in one round trip, each at its turn; puts back what the node left. */
static int run_batch(sim_world *w, sim_event *evs, unsigned n) {
    int node = world_node_of(&evs[0]);
    sim_proc *p = &w->nodes[node];
    static ox_step steps[OX_BATCH_MAX];   /* 11 KB: not on the stack; run_batch never nests */
    uint64_t steps_before = w->res->st.steps;
    uint32_t seq_before = w->step_seq;
    assert(n >= 2);
    for (unsigned i = 0; i < n; i++) {
        world_event_step(w, &evs[i], &steps[i]);
        if (world_prepare_step(w, node, &steps[i], evs[i].t) != 0) return drop_taken(evs, 1, n);
    }
    ox_reply_reader rd;
    char err[600];
    w->res->st.round_trips++;
    if (proc_steps(&w->procs, p, steps, n, &rd, err, sizeof err) != 0) {
        world_fail(w, OX_EXIT_HARNESS, "%s", err);
        return drop_taken(evs, 1, n);
    }
    unsigned done = rd.nsections;
    assert(done <= n);
    if (done < n) w->res->st.batches_cut++;
    /* Steps the node did not take are taken again later, under new numbers. */
    w->res->st.steps = steps_before + done;
    w->step_seq = seq_before + done;
    for (unsigned i = 0; i < done && !w->err_code; i++) {
        assert(evs[i].t >= w->now);
        w->now = evs[i].t;
        if (world_event_pre(w, &evs[i]) != 1) {
            world_fail(w, OX_EXIT_HARNESS, "a batched %s event did not step its node",
                       scenario_node_name(node));
            break;
        }
        ox_reply r = { .effects = w->effects };
        if (proc_section(&w->procs, p, &rd, steps[i].seq, &r, err, sizeof err) != 0) {
            world_fail(w, OX_EXIT_HARNESS, "%s", err);
            break;
        }
        world_apply_reply(w, node, &steps[i], &r);
    }
    if (w->err_code) return drop_taken(evs, 1, n);
    drop_taken(evs, 1, done);   /* handled: their frames are done with */
    for (unsigned i = done; i < n; i++) {
        if (evq_repush(&w->q, evs[i]) != 0) {
            world_fail(w, OX_EXIT_HARNESS, "the event queue is full");
            return drop_taken(evs, i, n);
        }
        evs[i].frame = NULL;   /* the queue owns it again */
    }
    return 0;
}

int batch_dispatch(sim_world *w, sim_event *ev0) {
    if (!batchable_kind(ev0)) return 0;
    if (ev0->type == EV_TIMER && !world_timer_live(w, ev0)) return 0;   /* a no-op, alone */
    if (!node_batchable(w, world_node_of(ev0))) return 0;
    sim_event evs[OX_BATCH_MAX];
    unsigned n = collect(w, ev0, evs);
    if (n == 1) return 0;
    int rc = run_batch(w, evs, n);
    ev0->frame = evs[0].frame;   /* the caller frees it; NULL if it went back to the queue */
    return rc < 0 ? -1 : 1;
}
