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
** those named in `hold`, and never one named in `violated`. */
static int must_hold(const sim_expect *x, const char *name) {
    int must = x->nviolated == 0;
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

int expect_met(const sim_expect *x, const checker_result *c, char *why, size_t cap) {
    assert(cap > 0);
    assert(x->nviolated <= SIM_MAX_EXPECT);
    assert(x->nhold <= SIM_MAX_EXPECT);
    snprintf(why, cap, "expectations met");
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
    return dead_met(x, c->dead, why, cap);
}
