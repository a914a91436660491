/*
** coverage.c: node_coverage_flush() (see coverage.h).
**
** __gcov_dump() merges this process's counters into the .gcda files (libgcov locks
** each file, so the three nodes and the simulator may write at once) and marks them
** written; __gcov_reset() zeroes the counters and clears that mark, so that the next
** dump, or the one libgcov makes at exit, writes only what came after.  The number of
** program runs recorded in the files is counted once per process, not per dump.
*/
#include "coverage.h"

#ifdef OX_COVERAGE
#include <gcov.h>

void node_coverage_flush(void) {
    __gcov_dump();
    __gcov_reset();
}
#else
void node_coverage_flush(void) {}
#endif
