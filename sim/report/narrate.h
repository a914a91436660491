/*
** narrate.h: `outbox-sim run --narrate`: the run told on stderr as it happens.
**
** The narrator listens to the trace (trace_listen): each finished line that matters
** becomes one short line of prose, virtual time first:
**
**     12.345  payment     payment 17 committed with its outbox row
**     12.346  network     PUBLISH PAYMENT frame for 17 lost (fault 1, scenario line 16)
**     14.001  payment     scan found 17 due, attempt 2
**     15.000  sim         accounting CRASHES: SIGKILL at accounting.after_apply (fault 7)
**
** It only reads the trace's lines, so the trace stays byte-identical with or without
** it.  Long runs are summarised: past NARRATE_PER_SECOND ordinary lines in one second
** of virtual time the rest are counted and told as one "... N more" line; crashes,
** restarts, dead letters, alerts, healing and convergence are always told.  Colour
** when stderr is a terminal, unless NO_COLOR is set (non-empty) or TERM is "dumb".
*/
#ifndef SIM_NARRATE_H
#define SIM_NARRATE_H

#define NARRATE_PER_SECOND 6

#include "../core/world.h"

/* Starts narrating the run of o: sets o's trace listener, so call it before
** world_run().  One narrator per process. */
void narrate_attach(world_opts *o);

#endif
