/*
** shrink_runs.h: runs of this binary as child processes, for `shrink` and `explore`:
** `outbox-sim run FILE --seed N [--design D] --out DIR --quiet`, at most P at a time.
**
** A batch is run in index order and sr_run() returns only when every job of it has
** finished, so what the caller decides from the results never depends on which child
** finished first (-j changes the speed, never the answer).
**
** Children die with us: each gets PR_SET_PDEATHSIG(SIGTERM), so a simulator whose
** parent vanished still cleans up after itself.  On SIGINT, SIGTERM or SIGHUP (see
** sr_install_signals) sr_run() sends SIGTERM to the running children, waits for them
** (SIGKILL after SR_GRACE_MS), and returns -1: nothing is left running.
*/
#ifndef SIM_SHRINK_RUNS_H
#define SIM_SHRINK_RUNS_H

#include <signal.h>
#include <stdint.h>
#include <sys/types.h>

#define SR_GRACE_MS 5000           /* SIGTERM to SIGKILL */
#define SR_RUN_LIMIT_MS 600000     /* a child run that takes longer is killed: exit 3 */
#define SR_MAX_PARALLEL 64

typedef struct {
    /* in */
    char file[640];           /* the scenario */
    char design[32];          /* "" = the file's own */
    uint64_t seed;
    char out[640];            /* --out DIR: results in DIR/<slug>/<seed>/ */
    char log[700];            /* the child's stdout and stderr */
    /* out */
    int code;                 /* the run's exit code 0..3; 3 also when killed */
    int64_t wall_ms;
    /* private */
    pid_t pid;
    int64_t started_ms;
} sr_job;

extern volatile sig_atomic_t sr_interrupted;

/* Handlers that set sr_interrupted (no SA_RESTART). */
void sr_install_signals(void);
/* Runs jobs[0..n) with at most `parallel` at once.  Returns 0 when all ran (each has
** its code), -1 if interrupted or a child could not be started (err says which). */
int sr_run(sr_job *jobs, int n, int parallel, char *err, size_t errlen);
/* Removes a directory tree (no symlinks followed).  Returns 0 or -1. */
int sr_rmtree(const char *path);
/* mkdir -p.  Returns 0 or -1. */
int sr_mkdirs(const char *path);
/* Wall-clock milliseconds (monotonic), for reports only: never for decisions. */
int64_t sr_now_ms(void);
/* Number of online CPUs, at least 1. */
int sr_cores(void);
/* The first line of the job's log that says something (for error messages). */
void sr_log_line(const sr_job *j, char *out, size_t cap);

#endif
