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
** restarts, dead letters, alerts, healing and convergence are always told, and so is a
** second voucher for one payment (a break of exactly_once as it happens).  The budget
** may hide the payments that broke: narrate_story() tells them whole after the check.
** --follow keeps only the followed payments' lines; --pace slows the telling.  Colour
** when stderr is a terminal, unless NO_COLOR is set (non-empty) or TERM is "dumb".
*/
#ifndef SIM_NARRATE_H
#define SIM_NARRATE_H

#define NARRATE_PER_SECOND 6

#include "../core/world.h"
#include "html.h"

struct report_run;

typedef struct {
    html_opts follow;         /* --follow: tell only these payments' lines (and the run's); none:
                                 every payment */
    double pace;              /* --pace: wall seconds per virtual second, when stderr is a
                                 terminal; 0: as fast as the run goes */
} narrate_opts;

/* Starts narrating the run of o: sets o's trace listener, so call it before
** world_run().  One narrator per process. */
void narrate_attach(world_opts *o, const narrate_opts *no);

/* After the check (r->check set): the story of each payment a violation names, every line
** of it told whatever the budget hid, the step that broke the invariant marked (cause.h).
** Says nothing when nothing broke. */
void narrate_story(const struct report_run *r);

#endif
