/*
** rundata.h: the run's data as JSON, written once for both places that show it:
** summary.json (report.c, the spaced layout) and report.html's page data (htmljson.c,
** compact).  The counts, the invariants' verdicts, the events and failpoints counted
** and the faults are each written by one function here, whatever the writer's layout:
** the line breaks summary.json has are asked for only when the writer is JSON_SPACED.
**
** Each function writes one value (an object or an array) for the caller's key.
*/
#ifndef SIM_RUNDATA_H
#define SIM_RUNDATA_H

#include "../util/json.h"
#include "report.h"

/* {"payments": .., "client_ok": .., ..., "alerts": ..}: the loop's and the checker's counts. */
void rundata_counts(json_w *w, const report_run *r);
/* {"durability": {"ok", "skipped", "count", "violations": [{"pay", "msg", "text",
** "trace_lines": [..]}, ..]}, ...}: every invariant, in the table's order. */
void rundata_invariants(json_w *w, const report_run *r);
/* {"<kind>": n, ...}: the NOTE kinds the services wrote, counted. */
void rundata_events(json_w *w, const report_run *r);
/* {"<failpoint>": {"hits": n, "crashes": n}, ...}: the failpoints passed. */
void rundata_failpoints(json_w *w, const report_run *r);
/* The fields every fault has, into the caller's open object: "id", "kind", "line", then
** "node", "fired" and, when its node was already down at its time, "skipped" (a crash)
** or "matched_frames", then "acted" (how many times it acted) and "lua" (its
** declaration). */
void rundata_fault(json_w *w, const sim_fault *x);
/* ["fault 2 (drop, line 9) never acted: ...", ...]: one line per fault that never
** acted (expect_fault_idle, sim/check/expect.h), then rundata_unreadable's, if any. */
void rundata_warnings(json_w *w, const report_run *r);
/* 1 and the warning in out[cap] if notes the history checks read did not parse
** (checker_result.unreadable, sim/check/history.h); 0 if none. */
int rundata_unreadable(const report_run *r, char *out, size_t cap);
/* [{"invariant", "k", "pay", "line", "known", "text"}, ...]: why each shown violation
** happened (cause.h), in the order of the invariants; "k" is its index among that
** invariant's shown violations, "line" the trace line of the step that broke it (0: not
** known, and "known" false: the text is the invariant's own sentence). */
void rundata_causes(json_w *w, const report_run *r);
/* {"client_retry": n, ...}: how often the run reached each state of sim/util/reached.h,
** every state, in the table's order. */
void rundata_reached(json_w *w, const report_run *r);

#endif
