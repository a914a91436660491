/*
** shrink_plan.h: what `shrink` works on.  The original run (its summary, its trace and
** its scenario, loaded again in-process) and a plan: one candidate scenario, as the
** workload size, the run length and a list of faults, that lg.h writes as Lua.
**
** Two kinds of plan (DESIGN: a shrunk scenario must have no randomness left):
**   explicit   every fault the trace shows acting is written as what it did: a frame
**              fault as `drop/duplicate/delay { link, label, pay, nth }` on that very
**              frame, a broker loss as `broker_loss { queue, nth }`; crashes, partitions,
**              clock faults and slow nodes are deterministic already and are kept as
**              declared (a crash that never happened is left out).
**   declared   the fallback: the original faults as declared (after at() callbacks and
**              nemesis{} made them concrete), random ones still drawn from the seed.
**
** The nth rule.  A frame fault's `nth` counts the frames that reach it; a drop listed
** earlier that matches the same frames hides the frames it drops from the faults after
** it.  So explicit frame faults of one group (same link, label and payment; or same
** queue for broker losses) are listed duplicates and delays first, then drops from the
** latest to the earliest: then every nth is simply "the nth such frame of the run".
** nth_order() restores that order after any change.
*/
#ifndef SIM_SHRINK_PLAN_H
#define SIM_SHRINK_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "../scenario/lg.h"
#include "../scenario/scenario.h"

#define SHRINK_PLAN_MAX_INVARIANTS 16

typedef struct {
    sim_fault f;              /* as it will be written */
    int uid; /* o->events[uid - 1] (declared: sc->faults[uid - 1]); kept through copies */
    int from_trace;           /* 1: an injection read from the trace, made explicit */
    int orig_id;              /* the original fault it came from (0: none known) */
    int64_t t_us;             /* when it acted in the original run */
    char note[320];           /* its comment */
} shrink_plan_fault;

typedef struct {
    uint32_t payments;
    uint8_t *refuse;          /* [original payments + 1]: 1 = accounting refuses payment i */
    int64_t run_us;
    shrink_plan_fault *faults;
    int nfaults;
} shrink_plan;

typedef struct {
    char run_dir[512];
    char file[512];           /* the scenario, as the run named it */
    uint64_t seed;
    char design[32];
    char verdict[16];
    char broken[SHRINK_PLAN_MAX_INVARIANTS][32];   /* broken invariants, in the summary's order */
    int nbroken;
    char target[32];          /* the one a candidate must break too */
    char violation[256];      /* the first violation of target in the original */
    sim_scenario *sc;         /* loaded with the run's seed, at() callbacks fired */
    int64_t heal_us;
    /* what the trace showed */
    shrink_plan_fault *events;         /* the explicit plan's faults, in time order */
    int nevents;
    int drops, dups, delays, losses, crashes, kept;   /* events by kind; declared kept */
    int inert;                /* declared faults that never acted (left out) */
    int overflow;             /* more injections than a scenario can declare: no explicit plan */
} shrink_plan_orig;

/* Reads RUN_DIR (summary.json, trace.jsonl) and loads its scenario again.  want: the
** invariant to match, or NULL for the first broken one.  Returns 0, or the exit code
** (2: not a failing run / bad input; 3: harness) with one line in err. */
int shrink_plan_read(shrink_plan_orig *o, const char *run_dir, const char *want, char *err,
                     size_t errlen);
void shrink_plan_orig_free(shrink_plan_orig *o);

/* The two starting plans (see above).  Return 0 or -1 (out of memory). */
int shrink_plan_explicit(const shrink_plan_orig *o, shrink_plan *p);
int shrink_plan_declared(const shrink_plan_orig *o, shrink_plan *p);

/* Deep copy; shrink_plan_free releases.  Return 0 or -1. */
int shrink_plan_copy(shrink_plan *dst, const shrink_plan *src, const shrink_plan_orig *o);
void shrink_plan_free(shrink_plan *p);
/* Drops the faults that cannot exist in this plan (a payment beyond the workload, a
** time beyond the run), clips windows to the run, and restores the nth rule. */
void shrink_plan_fit(const shrink_plan_orig *o, shrink_plan *p);

/* The plan as a scenario.  With a header (comment lines), each fault gets its comment;
** without (a candidate), the text is only what the run needs.  Returns 0 or -1 (err). */
int shrink_plan_text(const shrink_plan_orig *o, const shrink_plan *p, const char *header,
                     lg_buf *out, char *err, size_t errlen);

/* "the 3 explicit faults: 2 drops, 1 crash" style count of a plan's faults. */
void shrink_plan_describe(const shrink_plan *p, char *buf, size_t cap);

#endif
