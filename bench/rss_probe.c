/*
** rss_probe.c: a shared object that reports a process's own peak resident set size
** when it exits, for the simulator memory benchmark (bench/run.sh).
**
**   BENCH_RSS_FILE=out.txt LD_PRELOAD=build/bench/rss_probe.so bin/outbox-sim run ...
**
** At exit it writes "self_kb=A children_kb=B" to $BENCH_RSS_FILE: A is this process's
** peak RSS (getrusage RUSAGE_SELF), B the largest peak among the children it reaped
** (RUSAGE_CHILDREN: here the service processes).  Measuring from inside the process
** is what separates the simulator from its children: /usr/bin/time -v reports the
** largest of the whole tree.  The simulator gives its children an LD_PRELOAD of its
** own (libfaketime, sim/core/proc.c), so the probe never loads into them.
** A process that ends by a signal, or by _exit, writes nothing.
*/
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

__attribute__((destructor)) static void rss_probe_report(void) {
    const char *path = getenv("BENCH_RSS_FILE");
    if (!path || !*path) return;
    struct rusage self, kids;
    if (getrusage(RUSAGE_SELF, &self) != 0 || getrusage(RUSAGE_CHILDREN, &kids) != 0) return;
    FILE *f = fopen(path, "w");
    if (!f) return;
    fprintf(f, "self_kb=%ld children_kb=%ld\n", self.ru_maxrss, kids.ru_maxrss);
    fclose(f);
}
