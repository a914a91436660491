/*
** coverage.h: writing a node's gcov counts before it can be SIGKILLed.
**
** A coverage build (make coverage: --coverage -DOX_COVERAGE) writes its counts to the
** .gcda files only when the process exits normally.  Under the simulator a node is
** SIGKILLed at every crash, and would lose everything it counted in that life.  The
** host therefore calls node_coverage_flush() whenever the simulator may kill it next:
** just before it sends a reply (the simulator acts on a node only once it has the
** reply, so it never kills the node in the middle of writing the files).
**
** In any other build it does nothing and costs a call.
*/
#ifndef NODE_COVERAGE_H
#define NODE_COVERAGE_H

/* Merges the counts so far into the .gcda files, then zeroes them, so that the next
** flush (or the normal one at exit) adds only what was counted since: nothing is
** counted twice and nothing is lost to a SIGKILL that comes after this call. */
void node_coverage_flush(void);

#endif
