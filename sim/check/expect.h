/*
** expect.h: the verdict: whether a judged run shows what its scenario's expect { }
** asked for (scenario.h, sim_expect).
**
** By default every invariant must hold.  `violated` names invariants that must break
** (the others named in `hold` must still hold), and dead_min/dead_max bound the DEAD
** rows the checker counted.  The first reason the expectations are not met is the
** one given, in this order: an expected break that did not happen, an invariant that
** must hold and broke, too few dead letters, too many, and (with `faults_act = true`)
** the first fault that never acted; then (expect_reached, called after) the first
** reached state the scenario names that the run did not reach often enough.
**
** A fault that never acted (a drop whose nth frame never came, a crash whose time found
** its node already down, a window no frame crossed) is always a warning (the summary
** line, summary.json's "warnings"); expect { faults_act = true } makes it a failure.
*/
#ifndef SIM_EXPECT_H
#define SIM_EXPECT_H

#include <stddef.h>

#include "../scenario/scenario.h"
#include "checker.h"

/* 1 if the expectations are met, else 0; why[cap] gets one line saying which, or
** "expectations met". */
int expect_met(const sim_scenario *sc, const checker_result *c, char *why, size_t cap);

/* 1 if every state that expect { reached = ... } names (scenario.h, sim_expect.reached)
** was reached at least as often as asked in r, the run's counts (sim/util/reached.h);
** else 0, with why[cap] naming the first in the table's order that was not:
** "reached state row_dead (an outbox row ran ...) 0 times, expected at least 1".  Then
** every state expect { never = ... } names must have a count of 0; else 0, with why
** "state rows_cleaned (the scan deleted ...) reached 3 times (first at trace line 812),
** expected never". */
int expect_reached(const sim_scenario *sc, const reached_counts *r, char *why, size_t cap);

/* 1 if fault f never acted in the run just made, with why[cap] saying so in one
** sentence ("fault 2 (drop, line 9) never acted: ..."); else 0 and why is "". */
int expect_fault_idle(const sim_fault *f, char *why, size_t cap);

#endif
