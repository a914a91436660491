/*
** conform.h: `outbox-sim conform --node ROLE=COMMAND [-j N] [--out DIR] [--keep]`, the
** conformance suite for one role (payment, broker, accounting or relay) of a foreign
** implementation, with this project's nodes in the other roles (docs/protocol.md,
** "Conformance").
**
** The suite is a table of clauses (conform.c, CLAUSES).  Each clause names a small real
** run (a scenario of the library, or one of scenarios/conform/, seed 1, its own design)
** and how that run is judged (conform_judge.h): the run met its expectations, a named
** invariant held, the trace shows every step kind reaching the role, every damaged frame
** answered by a lone `reject` note, a restart of the role, a duplicated frame to it, its
** rows stamped with the step's clock.  Clauses that share a scenario share its run.  The
** runs are independent child runs on the pool (pool.h, runner.h), -j at a time; they are
** judged after all have ended, in the table's order, so the output never depends on
** which run finished first.  The protocol clauses are judged over every run: a run that
** ended in a harness error naming the role (it did not answer, answered another seq,
** sent a malformed reply, left a database the checker cannot read) fails the protocol
** clause that error belongs to, instead of being exit 3.
**
** Output: one line per clause failed, "conform: ROLE: CLAUSE: what, where", then one
** summary line.  A run that did not meet its expectations for a reason no clause of it
** names fails the clause "expectations".  Exit: 0 every clause passed, 1 some failed,
** 2 bad usage (no --node, two of them, a flag unknown), 3 the suite itself failed (a run
** that failed in a way that does not name the role, a signal).  COMMAND is passed to the
** runs exactly as --node took it (nodeflag.h), whatever its form.
*/
#ifndef SIM_TOOLS_CONFORM_H
#define SIM_TOOLS_CONFORM_H

/* The command: argv[1] is "conform"; --node already taken out (nodeflag_strip). */
int conform_cmd(int argc, char **argv);

#endif
