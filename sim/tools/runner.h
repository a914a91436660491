/*
** runner.h: a bounded pool of child runs, shared by `sweep` and `matrix`.
**
** Each run is an isolated child process, this binary itself:
**     <argv0> run SCENARIO --seed N [--design D] --out DIR --quiet
** forked and exec'd with its stdout and stderr in a log file, in its own process group
** (a Ctrl-C on the terminal reaches only the parent, which decides what the children
** hear), and with PR_SET_PDEATHSIG so that it is told to stop (SIGTERM: it cleans up
** and exits 3) if the parent dies, even by SIGKILL.
**
** Signals: runner_init() blocks SIGINT, SIGTERM, SIGHUP and SIGCHLD and the pool waits
** for them with sigtimedwait(), so a signal can never slip in between "is anything
** pending?" and "sleep": no handler races, no lost wake-ups.  The first stop signal is
** remembered in stop_sig; runner_stop_all() forwards it to every child, waits for them
** (SIGKILL of their process group if they do not end within a grace period or a second
** signal arrives) and removes the directories of the runs it stopped, which are
** incomplete.
**
** After a child ends, its summary.json is read: verdict, why, the reproduction
** command, the trace hash, and the invariants it broke with their counts.  Without a
** summary (exit 2 or 3) the last line of its output says why.
*/
#ifndef SIM_RUNNER_H
#define SIM_RUNNER_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#define RUNNER_MAX_JOBS 256       /* upper bound of -j */
#define RUNNER_MAX_INV 16         /* broken invariants remembered per run */
#define RUNNER_GRACE_MS 20000     /* children stopped by a signal get this long */

typedef struct {
    char scenario[512];           /* the path as given */
    uint64_t seed;
    char design[32];              /* "" = the scenario's own (no --design) */
    char out[512];                /* --out of the child */
    char run_dir[1024];           /* out/<slug>/<seed>: where the child writes */
    long tag;                     /* the caller's; runner never reads it */
} runner_job;

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
} runner_result;

typedef struct {
    pid_t pid;                    /* 0: free */
    runner_job job;
    double started;
    char log[1100];               /* out/<slug>/.<seed>.log while it runs */
} runner_slot;

typedef struct {
    const char *argv0;            /* shown as the children's argv[0], hence in their commands */
    int max;                      /* at most this many children at once */
    int nrunning;
    runner_slot slot[RUNNER_MAX_JOBS];
    int stop_sig;                 /* first SIGINT/SIGTERM/SIGHUP seen, 0 if none */
    int signals;                  /* how many stop signals were seen */
    sigset_t oldmask;
} runner;

/* Blocks the signals the pool waits for.  jobs in 1..RUNNER_MAX_JOBS. */
void runner_init(runner *r, int jobs, const char *argv0);
/* Restores the signal mask. */
void runner_fini(runner *r);
/* Starts one run (r->nrunning < r->max).  Returns 0, or -1 with the reason in err. */
int runner_start(runner *r, const runner_job *job, char *err, size_t errlen);
/* Waits up to timeout_ms for a child to end.  Returns 1 with *job and *res filled;
** 0 when the time passed or a stop signal arrived (see r->stop_sig); -1 when no child
** is running. */
int runner_wait(runner *r, int timeout_ms, runner_job *job, runner_result *res);
/* Forwards r->stop_sig (SIGTERM if none) to every child, reaps them all, removes their
** incomplete run directories and logs.  Returns how many were stopped. */
int runner_stop_all(runner *r);

/* Reads DIR/summary.json into res (the summary fields only).  Returns 0 or -1. */
int runner_read_summary(const char *run_dir, runner_result *res);
/* Removes a run directory (its files, then itself) and, if now empty, its parent. */
void runner_remove_run_dir(const char *dir);
/* "bin/outbox-sim run 'a b.lua' --seed 7 --design direct": the command that reproduces
** a run, shell-quoted where needed. */
void runner_command(const runner *r, const runner_job *job, char *out, size_t cap);
/* The token a result stands for in a table: "pass", the first broken invariant
** ("exactly_once"), "held:<inv>" when an expected break did not happen,
** "dead_letters" when the count of DEAD rows was wrong, or "error". */
void runner_result_token(const runner_result *res, char *out, size_t cap);

/* "A..B" or "N" -> [*a, *b], a <= b.  Returns 0 or -1. */
int runner_parse_seeds(const char *s, uint64_t *a, uint64_t *b);
/* -j: 1..RUNNER_MAX_JOBS.  Returns 0 or -1. */
int runner_parse_jobs(const char *s, int *jobs);
/* Online CPUs, at least 1, at most RUNNER_MAX_JOBS. */
int runner_default_jobs(void);
/* Monotonic seconds. */
double runner_now(void);
/* Writes s as a quoted, escaped JSON string (any length). */
void runner_json_str(FILE *f, const char *s);
/* Writes s escaped for XML text and attribute values (drops bytes XML 1.0 forbids). */
void runner_xml_str(FILE *f, const char *s);
/* Writes the file at path atomically from a temp file next to it, calling
** write(f, ctx).  Returns 0, or -1 with errno-style reason in err. */
int runner_write_file(const char *path, void (*write)(FILE *f, void *ctx), void *ctx, char *err,
                      size_t errlen);
/* Does the directory that would hold path exist and is it writable? */
int runner_dir_writable(const char *path);
/* Creates dir and its parents.  Returns 0 or -1. */
int runner_mkdirs(const char *dir);

#endif
