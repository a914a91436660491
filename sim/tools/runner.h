/*
** runner.h: the runs of `sweep` and `matrix`, on the child pool (pool.h): each run's
** log kept with it, its summary read back, and the words both commands print.
**
** A run's log is written beside its directory while it runs, out/<slug>/.<seed>.log
** (the child empties its run directory when it starts), and moved into it as
** outbox-sim.log when it ends.  A run stopped by a signal is incomplete: its directory
** and log are removed.
**
** After a child ends, its summary.json is read (through jansson, json.h): verdict, why,
** the trace hash and line count, the invariants it broke with their counts, and which
** named states it reached ("reached").
** Without a summary (exit 2 or 3) the last line of its log says why.
*/
#ifndef SIM_RUNNER_H
#define SIM_RUNNER_H

#include <stddef.h>
#include <stdint.h>

#include "pool.h"
#include "../util/reached.h"

_Static_assert(REACHED_COUNT <= 32, "runner_result.reached holds one bit per state");

#define RUNNER_MAX_INV 16         /* broken invariants remembered per run */

typedef struct {
    int exit_code;                /* 0..3; anything else (a signal, exec failure) is 3 */
    int have_summary;             /* summary.json was read */
    char verdict[8];              /* "pass" or "fail" (from the summary) */
    char why[512];                /* the summary's reason, or the error line */
    char hash[48];                /* "fnv1a64:..." */
    uint64_t trace_lines;
    int ninv;                     /* broken invariants, in the summary's order */
    char inv[RUNNER_MAX_INV][32];
    uint64_t inv_count[RUNNER_MAX_INV];
    double seconds;               /* wall clock, start to reap */
    uint32_t reached;             /* bit i: the run reached state i (sim/util/reached.h) */
} runner_result;

/* Starts job (scenario, seed, design, out and run_dir set; the log is chosen here).
** Returns 0, or -1 with the reason in err. */
int runner_start(pool *p, pool_job *job, char *err, size_t cap);
/* pool_wait(), then the ended run's result: 1 with *job and *res filled, else as
** pool_wait(). */
int runner_wait(pool *p, int timeout_ms, pool_job *job, runner_result *res);
/* pool_stop_all(), and the stopped runs' incomplete directories and logs removed.
** Returns how many were stopped. */
int runner_stop_all(pool *p);

/* Reads DIR/summary.json into res (the summary fields only).  Returns 0 or -1. */
int runner_read_summary(const char *run_dir, runner_result *res);
/* Removes a run directory (its files, then itself) and, if now empty, its parent. */
void runner_remove_run_dir(const char *dir);
/* "bin/outbox-sim run 'a b.lua' --seed 7 --design direct": the command that reproduces
** a run, shell-quoted where needed. */
void runner_command(const pool *p, const pool_job *job, char *out, size_t cap);
/* The token a result stands for in a table: "pass", the first broken invariant
** ("exactly_once"), "held:<inv>" when an expected break did not happen,
** "dead_letters" when the count of DEAD rows was wrong, "unreached:<state>" when a
** state the scenario must reach was not (expect_reached), "reached:<state>" when a
** state its expect { never = ... } rules out was reached, or "error". */
void runner_result_token(const runner_result *res, char *out, size_t cap);

/* The states no run reached, as "a, b, c" in the table's order ("" when every state was
** reached), from the union of the runs' bits; returns how many. */
int runner_unreached(uint32_t reached, char *out, size_t cap);

/* "A..B" or "N" -> [*a, *b], a <= b.  Returns 0 or -1. */
int runner_parse_seeds(const char *s, uint64_t *a, uint64_t *b);
/* -j: 1..POOL_MAX_JOBS.  Returns 0 or -1. */
int runner_parse_jobs(const char *s, int *jobs);

#endif
