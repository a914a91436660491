/*
** misconf.h: a bad deploy (misconfig{}): a service started with a knob it must refuse.
**
** At the fault's time the node is killed (its "crash" line names the fault, at
** "misconfig") and started again at once with its arguments and one more, --knob KNOB,
** a value the configuration refuses (the scenario's loader made sure).  A service must
** refuse it before it opens anything: exit 2 (bad usage), one line on stderr naming the
** knob.  The world records what happened and the history check knobs_applied judges it
** (sim/check/hknobs.h):
**   "deploy_refused"  node, life, fault, target (the knob), exit (its exit status, or
**                     128 + the signal that killed it), detail (what that life wrote
**                     to its log, at most 2 KiB, newlines kept);
**   "deploy_accepted" node, life, fault, target, result: it answered START.  Nothing its
**                     START did leaves it (its reply is dropped): it is killed at once.
**                     result "must refuse" (knobs_must_refuse, knobs.h: a malformed pair,
**                     no knob at all, or one the node says it reads) or "not read" (a
**                     knob the node does not read, which docs/protocol.md lets it take).
** Either way the deploy is rolled back: restart_after later the node starts again with
** its own arguments ("restart", why "restart_after").  A node that is down when the
** time comes is skipped ("misconfig_skipped").
*/
#ifndef SIM_MISCONF_H
#define SIM_MISCONF_H

#include "../scenario/scenario.h"

struct sim_world;

/* The misconfig f's moment (its EV_FAULT).  0, or -1 (world_fail). */
int misconf_apply(struct sim_world *w, sim_fault *f);

#endif
