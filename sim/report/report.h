/*
** report.h: what a finished run says: summary.json in the run's directory and a short
** human summary on stdout, and whether the scenario's expectations were met.
**
** summary.json holds the verdicts (every invariant, with its violations, their ids and
** the trace lines behind them), the counts, the failpoints reached, the seed, the
** trace's hash and line count, and the exact command that reproduces the run.  It may
** hold wall-clock figures; the trace never does.
**
** report.html, beside it, is the same run for people to read (html.h).
*/
#ifndef SIM_REPORT_H
#define SIM_REPORT_H

#include <stddef.h>

struct sim_world;

/* Judges the expectations, writes summary.json and report.html, prints the summary
** (unless quiet).  Returns 0 if the expectations were met, 1 if not, 3 if either file
** could not be written. */
int report_finish(struct sim_world *w);

/* A run that stopped on a scenario or harness error still leaves a summary.json
** (verdict "error", the reason, the command), so a reader of the directory is never
** left with a trace and no word on why it ends. */
void report_aborted(const struct sim_world *w);

/* One line saying whether the expectations held and, if not, the first reason. */
int report_expectations(const struct sim_world *w, char *why, size_t cap);

#endif
