/*
** hjitter.c: retry_schedule's two-sidedness of the jitter (see hjitter.h).
*/
#include "hjitter.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>

/* -ln(1e-9): a side unseen is flagged once a correct service had less than a chance in a
** billion of hiding it. */
#define HJITTER_ODDS 20.72326583694641

/* The 1 ms each end of `waited` may read off, and one more: a sure side needs 3 ms. */
#define HJITTER_SLACK_MS 3

void hjitter_sample(hjitter *j, const ox_config *c, int64_t b, int64_t waited, int excused,
                    uint32_t line) {
    assert(b > 0);
    assert(c->jitter > 0.0);
    double J = (double)b * c->jitter;
    double p = (J - (double)c->scan_interval_ms - (HJITTER_SLACK_MS + 2)) / (2.0 * J);
    if (p <= 0.0) return;   /* the jitter hides inside the scan's lag: no sample */
    assert(p < 0.5);
    int early = waited < b - HJITTER_SLACK_MS;
    int late = waited > b + c->scan_interval_ms + HJITTER_SLACK_MS;
    /* A delay the history excuses is unbounded: it may fake a late sample and hide an
    ** early one, so the sample proves nothing either way; an early one is still early. */
    if (excused) { j->seen[HJITTER_EARLY] += (uint32_t)early; return; }
    if (j->first_line == 0) j->first_line = line;
    j->last_line = line;
    j->samples++;
    j->odds -= log1p(-p);
    j->seen[HJITTER_EARLY] += (uint32_t)early;
    j->seen[HJITTER_LATE] += (uint32_t)late;
}

void hjitter_end(const hjitter *j, history_sink *s) {
    static const char *const SIDE[2] = { "earlier", "later" };
    static const char *const WHY[2] = { "the jitter only delays (drawn from [0, +jitter))",
                                        "the jitter only hastens (drawn from [-jitter, 0)), "
                                        "or republications come before they are due" };
    for (int side = HJITTER_EARLY; side <= HJITTER_LATE; side++) {
        if (j->seen[side] > 0 || j->odds < HJITTER_ODDS) continue;
        uint32_t lines[2] = { j->first_line, j->last_line };
        history_flag(s, HI_RETRY_SCHEDULE, 0, 0, lines, 2,
                     "no republication came %s than the policy's interval, in %u where a "
                     "jitter drawn from [-%.2f, +%.2f) would have shown it but for odds of 1 "
                     "in 10^%.0f: %s",
                     SIDE[side], j->samples, s->conf->cfg.jitter, s->conf->cfg.jitter,
                     j->odds / log(10.0), WHY[side]);
    }
}
