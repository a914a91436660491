/*
** backlog.c: slow nodes: busy time and the backlog of what arrives meanwhile (see
** backlog.h).
*/
#include "backlog.h"

#include <assert.h>
#include <stdlib.h>

#include "world_loop.h"

static int push(sim_world *w, int node, const sim_event *ev) {
    backlog_ring *b = &w->backlog[node];
    assert(b->len <= b->cap);
    if (b->len == b->cap) {
        if (b->cap >= BACKLOG_MAX)
            return world_fail(w, OX_EXIT_HARNESS, "%s: more than %d events waiting in its backlog",
                              scenario_node_name(node), BACKLOG_MAX);
        uint32_t cap = b->cap ? b->cap * 2 : 64;
        if (cap > BACKLOG_MAX) cap = BACKLOG_MAX;
        sim_event *ring = malloc((size_t)cap * sizeof *ring);
        if (!ring) return world_fail(w, OX_EXIT_HARNESS, "out of memory");
        for (uint32_t i = 0; i < b->len; i++) ring[i] = b->ev[(b->head + i) % b->cap];
        free(b->ev);
        b->ev = ring, b->cap = cap, b->head = 0;
    }
    b->ev[(b->head + b->len) % b->cap] = *ev;
    b->len++;
    if (ev->type == EV_FRAME) b->frames++;
    assert(b->frames <= b->len);
    return 0;
}

static sim_event pop(backlog_ring *b) {
    assert(b->len > 0);
    assert(b->head < b->cap);
    sim_event ev = b->ev[b->head];
    b->head = (b->head + 1) % b->cap;
    b->len--;
    if (ev.type == EV_FRAME) {
        assert(b->frames > 0);
        b->frames--;
    }
    return ev;
}

/* The slow fault that keeps `node` busy after a frame it handles now: of those active on
** it, the first with the largest per-message time (NULL: not slow). */
static sim_fault *slow_fault(sim_world *w, int node) {
    sim_fault *slow = NULL;
    for (int i = 0; !w->healed && i < w->sc->nfaults; i++) {
        sim_fault *f = &w->sc->faults[i];
        if (f->kind == FK_SLOW && f->node == node && w->now >= f->from_us && w->now < f->to_us &&
            (!slow || f->per_us > slow->per_us))
            slow = f;
    }
    assert(!slow || slow->per_us >= 0);
    return slow;
}

void backlog_after_frame(sim_world *w, int node) {
    assert(node >= 0);
    assert(node < SIM_MAX_NODES);
    sim_fault *f = w->nodes[node].pid != 0 ? slow_fault(w, node) : NULL;
    if (!f || f->per_us <= 0) return;
    w->busy_until[node] = w->now + f->per_us;
    f->acted++;
}

int backlog_must_wait(const sim_world *w, const sim_event *ev) {
    if (ev->type != EV_FRAME && ev->type != EV_TIMER && ev->type != EV_PAY) return 0;
    int n = world_node_of(ev);
    assert(n >= 0);
    assert(n < SIM_MAX_NODES);
    if (w->nodes[n].pid == 0) return 0;
    return w->now < w->busy_until[n] || w->backlog[n].len > 0;
}

static int schedule_free(sim_world *w, int n) {
    if (w->free_pending[n]) return 0;
    w->free_pending[n] = 1;
    sim_event ev = { .t = w->busy_until[n] > w->now ? w->busy_until[n] : w->now,
                     .type = EV_FREE,
                     .node = (int8_t)n };
    return world_schedule(w, ev);
}

static void trace_deferred(sim_world *w, int n, const sim_event *ev) {
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
    trace_uint(&w->trace, "depth", w->backlog[n].len);
    trace_time(&w->trace, "busy_until", w->busy_until[n]);
    trace_end(&w->trace);
}

/* A frame that leaves the world unhandled is no longer in flight. */
static void lose_frame(sim_world *w, const sim_frame *fr, int node, const char *why) {
    assert(w->inflight > 0);
    w->inflight--;
    world_trace_frame(w, "lost", fr, node);
    trace_str(&w->trace, "why", why);
    trace_end(&w->trace);
    w->res->st.backlog_lost++;
}

int backlog_defer(sim_world *w, sim_event *ev) {
    assert(backlog_must_wait(w, ev));
    int n = world_node_of(ev);
    backlog_ring *b = &w->backlog[n];
    if (ev->type == EV_TIMER && !world_timer_live(w, ev)) return 0;
    if (ev->type == EV_FRAME && b->frames >= BACKLOG_FRAMES) {
        lose_frame(w, ev->frame, n, "backlog full");
        return 0;
    }
    if (push(w, n, ev) != 0) return -1;
    w->res->st.deferred++;
    if (b->len > w->res->st.backlog_max) w->res->st.backlog_max = b->len;
    trace_deferred(w, n, ev);
    ev->frame = NULL;    /* the backlog owns it now */
    return schedule_free(w, n);
}

void backlog_flush(sim_world *w, int node) {
    backlog_ring *b = &w->backlog[node];
    while (b->len > 0) {
        sim_event ev = pop(b);
        if (ev.type == EV_FRAME)
            lose_frame(w, ev.frame, node, "node crashed with the frame in its backlog");
        else if (ev.type == EV_PAY)
            world_client_unanswered(w, ev.a,
                                    "the payment service crashed before handling the request");
        free(ev.frame);
    }
    assert(b->frames == 0);
    w->busy_until[node] = 0;
}

int backlog_on_free(sim_world *w, int n) {
    backlog_ring *b = &w->backlog[n];
    assert(w->free_pending[n]);
    w->free_pending[n] = 0;
    while (b->len > 0 && w->nodes[n].pid != 0 && w->now >= w->busy_until[n] && !w->err_code) {
        sim_event ev = pop(b);
        world_run_event(w, &ev);
        free(ev.frame);
    }
    if (w->err_code) return -1;
    return b->len > 0 ? schedule_free(w, n) : 0;
}

void backlog_free(backlog_ring *b) {
    while (b->len > 0) free(pop(b).frame);
    free(b->ev);
    b->ev = NULL;
    b->cap = b->head = b->frames = 0;
}
