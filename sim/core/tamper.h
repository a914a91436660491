/*
** tamper.h: a database changed from outside while its service is down (tamper{}).
**
** Someone else's program (an operator's sqlite3 shell, a restore gone wrong, a
** migration) runs SQL on a node's database file between two lives of its service.  At
** the tamper's time the simulator opens the node's real database file with SQLite
** itself, in this process, runs the scenario's SQL and closes it; the node's next START
** finds the file as SQLite left it.  Only a node that is down is tampered with: a
** scenario pairs the tamper with a crash (or places it while a failed START waits for its
** restart); if the node runs at that time, the tamper is skipped ("tamper_skipped", why
** "running"), since two writers on one file would be a race, not a scenario.  SQL that
** SQLite refuses ends the run as a scenario error (exit 2), naming the tamper's line.
**
** A tampered database may not be openable: a START that fails after a tamper of its
** node is what a supervisor sees of a service that cannot open its database, as under
** disk{ at_start }: the node exits 3, a "start_failed" line names the tamper, and the node
** is restarted the tamper's restart_after later, again and again until a START succeeds
** (a later tamper repairing the file, say).  Trace lines "tamper" (node, fault, sql,
** changes: rows the SQL changed) and "tamper_skipped".
**
** The simulated disk's journal (node/vfs.h) does not see the tamper: a power cut of the
** same node after it would roll back to bytes the tamper replaced.
*/
#ifndef SIM_TAMPER_H
#define SIM_TAMPER_H

#include "../scenario/scenario.h"

struct sim_world;

/* The tamper f's moment (its EV_FAULT): runs its SQL on the node's database if the node
** is down.  0, or -1 (world_fail). */
int tamper_apply(struct sim_world *w, sim_fault *f);
/* The last tamper that changed node's database, or NULL. */
const sim_fault *tamper_last(const struct sim_world *w, int node);
/* A START of `node` answered FATAL after a tamper of its database: the node exits 3 by
** itself; it is reaped, "start_failed" names the tamper, and a restart comes the
** tamper's restart_after later.  0 or -1. */
int tamper_start_failed(struct sim_world *w, int node, const char *why);

#endif
