/*
** expect.c: the verdict of a judged run against its scenario's expect { } (see
** expect.h).
*/
#include "expect.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* Whether invariant `name` must hold: by default all do; with `violated` given, only
** those named in `hold` (every other one with `others_hold`), and never one named in
** `violated`. */
static int must_hold(const sim_expect *x, const char *name) {
    int must = x->nviolated == 0 || x->others_hold;
    for (int k = 0; k < x->nhold; k++) must |= !strcmp(x->hold[k], name);
    for (int k = 0; k < x->nviolated; k++)
        if (!strcmp(x->violated[k], name)) must = 0;
    return must;
}

static int dead_met(const sim_expect *x, int64_t dead, char *why, size_t cap) {
    if (x->dead_min >= 0 && dead < x->dead_min) {
        snprintf(why, cap, "expected at least %" PRId64 " dead letters, found %" PRId64,
                 x->dead_min, dead);
        return 0;
    }
    if (x->dead_max >= 0 && dead > x->dead_max) {
        snprintf(why, cap, "expected at most %" PRId64 " dead letters, found %" PRId64, x->dead_max,
                 dead);
        return 0;
    }
    return 1;
}

/* Why a fault that never acted did not, from its counts, into why[cap]. */
static void idle_reason(const sim_fault *f, char *why, size_t cap) {
    const char *what = f->kind == FK_BROKER_LOSS ? "PUBLISH" : f->kind == FK_DISK ? "disk call"
                                                                                  : "frame";
    if (f->kind == FK_DISK && strcmp(f->disk_op, "alloc") == 0) what = "allocation";
    switch (f->kind) {
    case FK_CRASH: case FK_POWER_LOSS:
        snprintf(why, cap, "%s", f->skipped ? "its node was already down when its time came"
                                            : "its time or failpoint hit was not reached");
        return;
    case FK_SLOW: snprintf(why, cap, "its node handled no frame in its window"); return;
    case FK_PARTITION: snprintf(why, cap, "no frame crossed the cut link in its window"); return;
    case FK_CLOCK_JUMP: snprintf(why, cap, "its time was not reached before healing"); return;
    case FK_ROLLBACK:
        snprintf(why, cap, "%u steps of its node drew, none rolled a transaction back", f->seen);
        return;
    case FK_PAUSE:
        snprintf(why, cap, "%s", f->skipped ? "its node was down when its time came"
                                            : "its time was not reached before healing");
        return;
    case FK_MISCONFIG:
        snprintf(why, cap, "%s", f->skipped ? "its node was down when its time came"
                                            : "its time was not reached before healing");
        return;
    case FK_TAMPER:
        snprintf(why, cap, "%s", f->skipped ? "its node was running (or had no database yet) "
                                              "when its time came"
                                            : "its time was not reached before healing");
        return;
    default: break;
    }
    if (f->seen == 0) snprintf(why, cap, "no %s matched it in its window", what);
    else if (f->nth > 0)
        snprintf(why, cap, "%u %s%s matched it, fewer than its nth = %u", f->seen, what,
                 f->seen == 1 ? "" : "s", f->nth);
    else
        snprintf(why, cap, "%u %s%s matched it, none drawn at p = %g", f->seen, what,
                 f->seen == 1 ? "" : "s", f->p);
}

int expect_fault_idle(const sim_fault *f, char *why, size_t cap) {
    assert(cap > 0);
    assert(f->id >= 1);
    why[0] = '\0';
    if (f->acted > 0) return 0;
    char reason[160];
    idle_reason(f, reason, sizeof reason);
    snprintf(why, cap, "fault %d (%s, line %d) never acted: %s", f->id,
             scenario_fault_kind_name(f->kind), f->line, reason);
    return 1;
}

static int faults_met(const sim_scenario *sc, char *why, size_t cap) {
    assert(sc->nfaults >= 0);
    for (int i = 0; sc->expect.faults_act && i < sc->nfaults; i++)
        if (expect_fault_idle(&sc->faults[i], why, cap)) return 0;
    return 1;
}

/* An expectation that names an invariant the design does not judge (atomicity under
** direct: there is no outbox row) can be met by nothing: it would pass without a word
** as a hold, or fail as "it held" as a violated.  Say so instead. */
static int names_judged(const sim_expect *x, const checker_result *c, char *why, size_t cap) {
    for (int i = 0; i < x->nviolated + x->nhold; i++) {
        const char *name = i < x->nviolated ? x->violated[i] : x->hold[i - x->nviolated];
        int k = invariant_index(name);
        if (k < 0 || !c->inv[k].skipped) continue;
        snprintf(why, cap, "expect names %s, which this run's design does not judge (n/a): "
                 "the expectation cannot be met", name);
        return 0;
    }
    return 1;
}

int expect_reached(const sim_scenario *sc, const reached_counts *r, char *why, size_t cap) {
    const sim_expect *x = &sc->expect;
    assert(cap > 0);
    assert(x->nreached >= 0 && x->nreached <= REACHED_COUNT);
    for (int i = 0; i < REACHED_COUNT; i++) {
        if (x->reached[i] == 0 || r->count[i] >= x->reached[i]) continue;
        const reached_info *info = reached_at(i);
        snprintf(why, cap, "reached state %s (%s) %" PRIu64 " time%s, expected at least %u",
                 info->name, info->means, r->count[i], r->count[i] == 1 ? "" : "s",
                 x->reached[i]);
        return 0;
    }
    assert(x->nnever >= 0 && x->nnever <= REACHED_COUNT);
    for (int i = 0; i < REACHED_COUNT; i++) {
        if (!x->never[i] || r->count[i] == 0) continue;
        const reached_info *info = reached_at(i);
        snprintf(why, cap, "state %s (%s) reached %" PRIu64 " time%s (first at trace line %u), "
                 "expected never", info->name, info->means, r->count[i],
                 r->count[i] == 1 ? "" : "s", r->first[i]);
        return 0;
    }
    return 1;
}

int expect_met(const sim_scenario *sc, const checker_result *c, char *why, size_t cap) {
    const sim_expect *x = &sc->expect;
    assert(cap > 0);
    assert(x->nviolated <= SIM_MAX_EXPECT);
    assert(x->nhold <= SIM_MAX_EXPECT);
    snprintf(why, cap, "expectations met");
    if (!names_judged(x, c, why, cap)) return 0;
    for (int i = 0; i < x->nviolated; i++) {
        int k = invariant_index(x->violated[i]);
        if (k >= 0 && c->inv[k].count == 0) {
            snprintf(why, cap, "expected %s to be broken, but it held", x->violated[i]);
            return 0;
        }
    }
    for (int i = 0; i < CHECKER_INVARIANTS; i++) {
        const checker_invariant *inv = &c->inv[i];
        assert(inv->name != NULL);
        if (must_hold(x, inv->name) && !inv->skipped && inv->count > 0) {
            snprintf(why, cap, "%s broken: %s", inv->name, inv->nshown ? inv->shown[0].text : "");
            return 0;
        }
    }
    if (!dead_met(x, c->dead, why, cap)) return 0;
    if (!faults_met(sc, why, cap)) return 0;
    snprintf(why, cap, "expectations met");
    return 1;
}
