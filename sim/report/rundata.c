/*
** rundata.c: the run's data as JSON, for summary.json and the page alike (see
** rundata.h).
*/
#include "rundata.h"

#include <assert.h>

#include "../check/expect.h"

/* A line break and indent in summary.json's layout; nothing in the compact one. */
static void brk(json_w *w, int indent) {
    if (w->flags & JSON_SPACED) json_w_break(w, indent);
}

void rundata_counts(json_w *w, const report_run *r) {
    const world_stats *s = &r->res->st;
    const checker_result *c = r->check;
    assert(c != NULL);
    json_w_obj(w);
    json_w_kuint(w, "payments", r->opt->sc->workload.payments);
    json_w_kuint(w, "client_ok", s->ok);
    json_w_kuint(w, "client_failed", s->failed);
    json_w_kuint(w, "client_unknown", s->unknown);
    json_w_kuint(w, "client_requests", s->client_requests);
    json_w_kuint(w, "client_retries", s->client_retries);
    json_w_kuint(w, "steps", s->steps);
    json_w_kuint(w, "round_trips", s->round_trips);
    json_w_kuint(w, "batches_cut", s->batches_cut);
    json_w_kuint(w, "frames", s->frames);
    json_w_kuint(w, "delivered", s->delivered);
    json_w_kuint(w, "dropped", s->dropped);
    json_w_kuint(w, "duplicated", s->duplicated);
    json_w_kuint(w, "delayed", s->delayed);
    json_w_kuint(w, "lost_node_down", s->lost_down);
    json_w_kuint(w, "crashes", s->crashes);
    if (s->power_cuts) {   /* only runs with a power_loss{}: other summaries stay as they were */
        json_w_kuint(w, "power_cuts", s->power_cuts);
        json_w_kuint(w, "client_indefinite", s->indefinite);
    }
    json_w_kuint(w, "restarts", s->restarts);
    json_w_kuint(w, "timers", s->timers);
    /* Only in runs with these faults: other runs' summaries stay as they were. */
    if (s->disk_faults) json_w_kuint(w, "disk_faults", s->disk_faults);
    if (s->pauses) json_w_kuint(w, "pauses", s->pauses);
    brk(w, 4);
    json_w_kuint(w, "db_payments", c->payments);
    json_w_kuint(w, "paid", c->paid);
    json_w_kuint(w, "refunded", c->refunded);
    json_w_kuint(w, "vouchers", c->vouchers);
    json_w_kuint(w, "sending", c->sending);
    json_w_kuint(w, "consumed", c->consumed);
    json_w_kuint(w, "failed", c->failed);
    json_w_kuint(w, "dead", c->dead);
    json_w_kuint(w, "cleaned_up", c->cleaned);
    json_w_kuint(w, "alerts", c->alerts);
    json_w_obj_end(w);
}

static void violation(json_w *w, const checker_violation *v) {
    assert(v->nlines >= 0);
    assert(v->nlines <= CHECKER_MAX_LINES);
    json_w_obj(w);
    json_w_kuint(w, "pay", v->pay_id);
    json_w_kuint(w, "msg", v->msg_id);
    json_w_kstr(w, "text", v->text);
    json_w_key(w, "trace_lines");
    json_w_arr(w);
    for (int l = 0; l < v->nlines; l++) json_w_uint(w, v->lines[l]);
    json_w_arr_end(w);
    json_w_obj_end(w);
}

void rundata_invariants(json_w *w, const report_run *r) {
    assert(r->check != NULL);
    json_w_obj(w);
    for (int i = 0; i < CHECKER_INVARIANTS; i++) {
        const checker_invariant *inv = &r->check->inv[i];
        assert(inv->nshown <= CHECKER_MAX_SHOWN);
        brk(w, 4);
        json_w_key(w, inv->name);
        json_w_obj(w);
        json_w_kbool(w, "ok", inv->count == 0);
        json_w_kbool(w, "skipped", inv->skipped);
        json_w_kuint(w, "count", inv->count);
        json_w_key(w, "violations");
        json_w_arr(w);
        for (int k = 0; k < inv->nshown; k++) {
            brk(w, 6);
            violation(w, &inv->shown[k]);
        }
        if (inv->nshown) brk(w, 4);
        json_w_arr_end(w);
        json_w_obj_end(w);
    }
    brk(w, 2);
    json_w_obj_end(w);
}

void rundata_events(json_w *w, const report_run *r) {
    assert(r->res->nkinds <= WORLD_MAX_KINDS);
    json_w_obj(w);
    for (int i = 0; i < r->res->nkinds; i++)
        json_w_kuint(w, r->res->kinds[i].kind, r->res->kinds[i].count);
    json_w_obj_end(w);
}

void rundata_failpoints(json_w *w, const report_run *r) {
    assert(r->res->nfps <= WORLD_MAX_FAILPOINTS);
    json_w_obj(w);
    for (int i = 0; i < r->res->nfps; i++) {
        const world_failpoint *fp = &r->res->fps[i];
        json_w_key(w, fp->name);
        json_w_obj(w);
        json_w_kuint(w, "hits", fp->hits);
        json_w_kuint(w, "crashes", fp->crashes);
        json_w_obj_end(w);
    }
    json_w_obj_end(w);
}

void rundata_fault(json_w *w, const sim_fault *x) {
    char lua[512];
    assert(x->id >= 1);
    if (scenario_fault_lua(x, lua, sizeof lua) >= sizeof lua) lua[0] = '\0';
    json_w_kint(w, "id", x->id);
    json_w_kstr(w, "kind", scenario_fault_kind_name(x->kind));
    json_w_kint(w, "line", x->line);
    if (scenario_kills(x->kind)) {   /* a crash, or a power loss (a crash and more) */
        json_w_kstr(w, "node", scenario_node_name(x->node));
        json_w_kbool(w, "fired", x->fired && !x->skipped);   /* a skipped crash did nothing */
        if (x->skipped) json_w_kstr(w, "skipped", "node already down");
    } else {
        json_w_kuint(w, "matched_frames", x->seen);
    }
    json_w_kuint(w, "acted", x->acted);
    json_w_kstr(w, "lua", lua);
}

int rundata_unreadable(const report_run *r, char *out, size_t cap) {
    const checker_result *c = r->check;
    if (c == NULL || c->unreadable == 0) return 0;
    snprintf(out, cap, "%u note%s the history checks read did not parse, and were judged as "
             "if absent (first: %s; docs/protocol.md, \"Notes\")", c->unreadable,
             c->unreadable == 1 ? "" : "s", c->unreadable_first);
    return 1;
}

void rundata_warnings(json_w *w, const report_run *r) {
    const sim_scenario *sc = r->opt->sc;
    int n = 0;
    json_w_arr(w);
    for (int i = 0; i < sc->nfaults; i++) {
        char why[256];
        if (!expect_fault_idle(&sc->faults[i], why, sizeof why)) continue;
        brk(w, 4);
        json_w_str(w, why);
        n++;
    }
    char unread[512];
    if (rundata_unreadable(r, unread, sizeof unread)) {   /* a node words a note its own way */
        brk(w, 4);
        json_w_str(w, unread);
        n++;
    }
    if (n) brk(w, 2);
    json_w_arr_end(w);
}

void rundata_causes(json_w *w, const report_run *r) {
    const cause_result *c = r->cause;
    json_w_arr(w);
    for (int i = 0; c && i < c->nitems; i++) {
        const cause_item *x = &c->items[i];
        assert(x->inv >= 0);
        assert(x->inv < INVARIANT_COUNT);
        brk(w, 4);
        json_w_obj(w);
        json_w_kstr(w, "invariant", invariant_at(x->inv)->name);
        json_w_kint(w, "k", x->k);
        json_w_kuint(w, "pay", x->pay);
        json_w_kuint(w, "line", x->line);
        json_w_kbool(w, "known", x->known);
        json_w_kstr(w, "text", x->text);
        json_w_obj_end(w);
    }
    if (c && c->nitems) brk(w, 2);
    json_w_arr_end(w);
}

void rundata_reached(json_w *w, const report_run *r) {
    assert(r->reached != NULL);
    json_w_obj(w);
    for (int i = 0; i < REACHED_COUNT; i++) {
        brk(w, 4);
        json_w_kuint(w, reached_at(i)->name, r->reached->count[i]);
    }
    brk(w, 2);
    json_w_obj_end(w);
}
