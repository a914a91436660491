/*
** report.h: what a finished run says: summary.json in the run's directory and a short
** human summary on stdout (whether the expectations were met is sim/check/expect.h's).
**
** summary.json holds the verdicts (every invariant, with its violations, their ids and
** the trace lines behind them; "causes": what happened, cause.h; "scenario_checks": the
** scenario's own failed check()s), the counts, the failpoints reached, the seed, the
** trace's hash and line count, and the exact command that reproduces the run (with
** "nodes": each role run by another implementation than bin/outbox-node, and its
** executable, from outbox-sim --node ROLE=COMMAND; {} when none), and
** "reached": how often the run reached each named state (sim/util/reached.h).  It may
** hold wall-clock figures; the trace never does.
**
** report.html, beside it, is the same run for people to read (html.h).
*/
#ifndef SIM_REPORT_H
#define SIM_REPORT_H

#include <stddef.h>

#include "../check/checker.h"
#include "../core/world.h"
#include "../util/reached.h"
#include "cause.h"
#include "html.h"

/* A finished run, as the report sees it: what was asked, what happened, the verdicts.
** Filled by the run command (cmd_run.c) once the checker and the expectations are done. */
typedef struct report_run {
    const world_opts *opt;        /* the scenario, seed, design, run directory */
    const world_result *res;      /* what happened (world_run) */
    ox_exit code;                 /* not OX_EXIT_OK: the run stopped on an error ... */
    const char *err;              /* ... which this says */
    const checker_result *check;    /* the verdicts; NULL when the run stopped on an error */
    int met;                      /* the expectations were met (expect.h) */
    char why[512];                /* ... or the first reason they were not */
    const char *command;          /* reproduces the run, quoted for a shell */
    int quiet;                    /* no human summary: on FAIL the verdict and reproduce lines */
    html_opts follow;             /* report.html: payments the chart follows (--follow) */
    cause_result *cause;          /* filled by report_finish: why each violation happened */
    const reached_counts *reached;  /* the reached states, counted (sim/util/reached.h) */
} report_run;

/* Writes summary.json and report.html, prints the summary (quiet: only a FAIL's verdict
** and reproduce lines).  Returns
** OX_EXIT_OK if the expectations were met, OX_EXIT_FAIL if not, OX_EXIT_HARNESS if
** either file could not be written. */
ox_exit report_finish(const report_run *r);

/* A run that stopped on a scenario or harness error still leaves a summary.json
** (verdict "error", the reason, the command), so a reader of the directory is never
** left with a trace and no word on why it ends. */
void report_aborted(const report_run *r);

#endif
