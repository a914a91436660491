/*
** html.h: the pages people read: report.html of a run, and matrix.html of a matrix.
**
** Each page is ONE self-contained file that opens offline in any browser: the page's
** CSS and JavaScript, the plotting library (uPlot, MIT, vendored in share/report/)
** and the data are inlined; nothing is fetched.  The page's parts are compiled into
** the binary (html_assets.c), so a run needs no file besides its own.
**
** report.html shows, top to bottom: the verdict (each invariant, and for a broken one
** the ids involved, what it means, what happened in this run (cause.h) and the trace
** lines behind it); a message sequence chart (client, payment, broker, accounting;
** virtual time downward) of a few followed payments, the step that broke an invariant
** ringed; plots over virtual time with fault periods shaded and the
** distribution of the delay from commit to voucher; the life of each message as an
** expandable row; the scenario's source, the seed and the command that reproduces it.
** A run with relays also gets "who held which row when" (htmllease.h), after the chart.
** Its size is bounded (htmldata.h says how) whatever the length of the run.
*/
#ifndef SIM_HTML_H
#define SIM_HTML_H

#include <stddef.h>
#include <stdint.h>

struct report_run;

#define HTML_MAX_FOLLOW 16

typedef struct {
    uint64_t follow[HTML_MAX_FOLLOW];   /* payments the reader asked to follow (--follow) */
    int nfollow;
} html_opts;

/* Parses a list of payment ids ("17", "3,17 25") into o->follow.  Returns 0, or -1
** with a one-line reason in err (not a number, 0, more than HTML_MAX_FOLLOW). */
int html_parse_follow(const char *list, html_opts *o, char *err, size_t cap);

/* Writes <run_dir>/report.html for a finished, judged run (the trace closed, the
** checker done).  Returns 0, or -1 with a one-line reason in err. */
int html_report(const struct report_run *run, const html_opts *o, char *err, size_t cap);

/* Writes out_html, the design x scenario table of a matrix, from json_path, the
** matrix.json that `outbox-sim matrix` wrote:
**   {"designs": ["outbox", ...], "scenarios": ["pay-queue-loss", ...],
**    "cells": [{"design", "scenario", "result": "pass"|"<invariant>"|"error",
**               "seed", "command", "run_dir"}, ...]}
** Each cell whose <run_dir>/report.html exists (matrix keeps one run per cell) links to
** it; a relative run_dir is taken as relative to the current directory and the link is
** made relative to out_html's directory, so the page works when the reports/ folder is
** opened or copied whole.  A cell's tooltip holds its "why" and its command.  The JSON is checked
** by the page itself (a malformed file shows as an error on the page, and the
** function still returns 0); this function only refuses a file it cannot read or one
** over 8 MiB.  Returns 0, or -1 with a one-line reason in err. */
int html_matrix(const char *json_path, const char *out_html, char *err, size_t cap);

#endif
