/*
** hknobs.h: knobs_applied (history.h): every service runs with the knobs it was given.
**
** The world compares each service's "config" note, said at START, with what the knobs it
** gave the node resolve to, and traces a "config_differs" line where they differ
** (sim/core/knobs.h).  Each such line is a violation, with the node and the first knob
** that differs.  A service that misreads a knob would otherwise be judged against knobs
** it never ran with: its retries and redeliveries would be wrong by a schedule the other
** checks take for granted, or right by luck.
**
** A bad deploy (misconfig{}, sim/core/misconf.h) must be refused: a "deploy_accepted"
** line is a violation unless its result says the node does not read the knob (a node
** may take any value of a knob it does not implement), and so is a "deploy_refused" one
** whose life did not exit 2 (bad usage) with exactly one line naming the knob's key, as
** every bad input of the project is refused.  Stateless: one line, one verdict.
*/
#ifndef SIM_HKNOBS_H
#define SIM_HKNOBS_H

#include "history.h"

void hknobs_event(history_sink *s, const history_ev *e);

#endif
