/*
** pool.h: the one pool of child runs, shared by sweep, matrix, shrink and explore.
**
** Each run is an isolated child process, this binary itself:
**     <argv0> run SCENARIO --seed N [--design D] --out DIR --quiet
** forked and exec'd with stdin from /dev/null and its stdout and stderr in the job's log
** file, in its own process group (a Ctrl-C on the terminal reaches only the parent,
** which decides what the children hear), and with PR_SET_PDEATHSIG so that it is told
** to stop (SIGTERM: it cleans up and exits 3) if the parent dies, even by SIGKILL.
**
** Signals, set up here once for every command: pool_init() blocks SIGINT, SIGTERM,
** SIGHUP and SIGCHLD and the pool waits for them with sigtimedwait(), so a signal can
** never slip in between "is anything pending?" and "sleep": no handler races, no lost
** wake-ups.  The first stop signal is remembered in stop_sig (also one that arrived
** while no child ran: pool_poll() and pool_batch() look).  pool_stop_all() forwards it
** to every child and waits for them, with SIGKILL of their process group if they do not
** end within grace_ms or a second signal arrives.
**
** Two ways to use it:
**   - sweep and matrix start runs as slots free up and take them back in the order they
**     end (pool_start, pool_wait);
**   - shrink and explore hand over a batch and get it back whole (pool_batch), so what
**     they decide never depends on which child finished first.
*/
#ifndef SIM_TOOLS_POOL_H
#define SIM_TOOLS_POOL_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define POOL_MAX_JOBS 256         /* upper bound of -j */
#define POOL_GRACE_MS 20000       /* default grace_ms */
#define POOL_BATCH_MAX 64         /* upper bound of -j of shrink and explore */

typedef struct {
    /* in */
    char scenario[640];           /* the file given to `run` */
    uint64_t seed;
    char design[32];              /* "" = the scenario's own (no --design) */
    char out[640];                /* --out DIR: the run writes DIR/<slug>/<seed>/ */
    char log[1100];               /* the child's stdout and stderr (created, truncated) */
    char run_dir[1024];           /* the caller's, never read by the pool */
    long tag;                     /* the caller's, never read by the pool */
    /* out, when it ended */
    int code;                     /* its exit code 0..3; 3 for anything else (a signal) */
    int status;                   /* the wait status, for messages */
    double seconds;               /* wall clock, start to reap */
} pool_job;

typedef struct {
    pid_t pid;                    /* 0: free */
    pool_job job;
    double started;
} pool_slot;

typedef struct {
    const char *argv0;            /* the children's argv[0], hence in their commands */
    int max;                      /* at most this many children at once */
    int nrunning;
    int grace_ms;                 /* pool_stop_all: SIGKILL after this long */
    int limit_ms;                 /* a run longer than this is killed (exit 3); 0: no limit */
    pool_slot slot[POOL_MAX_JOBS];
    int stop_sig;                 /* first SIGINT/SIGTERM/SIGHUP seen, 0 if none */
    /* pool_batch calls tick(tick_ctx, jobs, n, done) after every wait (about 4 times a
    ** second, and at once when a job ends), for a progress line; NULL: none.  A job
    ** still running has code -1. */
    void (*tick)(void *tick_ctx, const pool_job *jobs, int n, int done);
    void *tick_ctx;
    int signals;                  /* how many stop signals were seen */
    int killed;                   /* a run's process group was SIGKILLed (pool_remove) */
    sigset_t oldmask;
} pool;

/* Blocks the signals the pool waits for.  jobs in 1..POOL_MAX_JOBS. */
void pool_init(pool *p, int jobs, const char *argv0);
/* Restores the signal mask (no child may be running).  A stop signal still pending is
** noted in stop_sig first, not delivered. */
void pool_fini(pool *p);
/* Starts one run (p->nrunning < p->max).  Returns 0, or -1 with the reason in err. */
int pool_start(pool *p, const pool_job *job, char *err, size_t cap);
/* Waits up to timeout_ms for a child to end.  Returns 1 with *job filled (its out
** fields too); 0 when the time passed or a stop signal arrived (see p->stop_sig); -1
** when no child is running. */
int pool_wait(pool *p, int timeout_ms, pool_job *job);
/* Notes a stop signal that is pending.  Returns p->stop_sig. */
int pool_poll(pool *p);
/* Forwards p->stop_sig (SIGTERM if none) to every child and reaps them all; each one
** is handed to stopped(job, ctx) if given.  Returns how many were stopped. */
int pool_stop_all(pool *p, void (*stopped)(const pool_job *job, void *ctx), void *ctx);
/* Runs jobs[0..n) in index order, at most p->max at once, and returns when all have
** ended (0, each with its out fields; tag is set to the index), or -1 if a stop signal
** came, before or during (every child is then stopped), or a child could not be started
** (err says which). */
int pool_batch(pool *p, pool_job *jobs, int n, char *err, size_t cap);

/* Removes path, a directory runs of this pool wrote into, like files_rmtree.  When a
** run was SIGKILLed, its janitor (sim/core/janitor.h) may still be copying databases
** into its run dir: the removal is then retried until path is gone, for at most
** JANITOR_DONE_MS.  A directory once gone is not made again by a janitor (it copies only
** into a run dir that still exists).  Returns 0 or -1. */
int pool_remove(const pool *p, const char *path);

/* Monotonic seconds, for reports and timeouts only: never for decisions. */
double pool_now(void);
/* Online CPUs, at least 1, at most POOL_MAX_JOBS. */
int pool_cores(void);
/* The last non-empty line of a log (for a run that left no summary); "" if none. */
void pool_log_last(const char *log, char *out, size_t cap);
/* The first line of a log that says something; "" if none. */
void pool_log_first(const char *log, char *out, size_t cap);

#endif
