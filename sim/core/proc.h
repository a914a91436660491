/*
** proc.h: the service processes the simulator runs, and the one thing it says to
** them: a step.
**
** Each child is bin/outbox-node under libfaketime, started with FAKETIME at its first
** clock and setting it itself from each step's clock_us after that, and one ZeroMQ PAIR socket
** on a fresh ipc endpoint per process life (a new life never inherits an old life's
** queued frames).
**
** The text transport: a COMMAND given as "json:COMMAND" (proc_add_arg's first word,
** --node ROLE=json:COMMAND) is started with --sim-stdio instead of --sim ENDPOINT, and
** speaks the text encoding (proto/stepjson.h) on two pipes made for each life: its
** stdin carries STEP lines, its stdout REPLY lines, its stderr is the log.  The step is
** built and the reply read as binary messages all the same (proc_steps translates at
** the boundary), so the world does not know which transport a node has.  A line over
** its bound, one that does not translate, or anything after it is a harness error
** naming the node and the line; so are a death and a silence, as on the socket.
** Invariants kept:
**   - a child is either down (pid 0, no socket, no pipes) or up (pid > 0, its socket
**     connected or its two pipes open);
**   - every child started is SIGKILLed or stopped and then reaped, and its libfaketime
**     shared-memory files removed, before the simulator exits, however it exits;
**   - a child that does not answer a step within the timeout, or dies unasked, is a
**     harness error, never a hang.
** The children die with the simulator even when it is SIGKILLed (PR_SET_PDEATHSIG), and
** then the janitor removes what they and the simulator left (janitor.h).  A child is
** signalled through its pidfd, never by a pid that may have been reused.
*/
#ifndef SIM_PROC_H
#define SIM_PROC_H

#include <stdint.h>
#include <sys/types.h>

#include "../../proto/step.h"
#include "janitor.h"

#define PROC_MAX_ARGS 96

typedef struct {
    int node;                     /* 0 payment, 1 broker, 2 accounting */
    const char *name;
    pid_t pid;                    /* 0 when down */
    int pidfd;                    /* its pidfd while up (signals go there: no reused pid), or -1 */
    void *sock;
    int life;                     /* 1 for the first start, +1 per restart */
    int reaped;                   /* exited (and waited for) after sending its last reply */
    int exit_status;              /* waitpid's status when its life ended by itself before
                                  ** a reply (a death proc_steps reports), else -1 */
    char endpoint[340];
    char log_path[512];
    char *argv[PROC_MAX_ARGS];    /* bin, --role, ..., NULL; owned */
    int argc;
    char env_extra[640];          /* "KEY=VALUE" added to its environment, or "" (power.h) */
    char preload[600];            /* a library LD_PRELOADed after libfaketime, or ""
                                  ** (the simulated disk of a foreign node, diskpre.h) */
    int json;                     /* its COMMAND was "json:...": the text transport */
    int to_child, from_child;     /* the text transport: our pipe ends while up, else -1 */
    unsigned lines;               /* the text transport: reply lines read in this life */
} sim_proc;

typedef struct {
    void *zctx;
    char dir[256];                /* private temp dir: ipc sockets, databases (dbplace.h) */
    char faketime_lib[256];
    int timeout_ms;               /* per step */
    uint8_t *replybuf;            /* OX_REPLY_MAX */
    uint8_t *stepbuf;             /* OX_STEP_MAX */
    char *text;                   /* the text transport's line, STEPJSON_REPLY_MAX + 1, or
                                  ** NULL until a text node is started */
    sim_janitor janitor;          /* cleans up if we are SIGKILLed (janitor.h) */
} sim_procs;

/* Creates the temp dir (removing stale ones of dead simulators first), the janitor that
** cleans it and run_dir up should we be SIGKILLed (janitor.h), and the ZeroMQ context.
** Returns 0 or -1 with err. */
int procs_init(sim_procs *ps, const char *run_dir, char *err, size_t errlen);
/* Kills what is still up and removes the temp dir.  Safe to call twice. */
void procs_fini(sim_procs *ps, sim_proc *p, int n);

void proc_init(sim_proc *p, int node, const char *name, const char *log_path);
/* The first argument is the COMMAND: "json:COMMAND" selects the text transport. */
void proc_add_arg(sim_proc *p, const char *arg);
/* Drops the last n arguments proc_add_arg added (a life's extra knob, misconf.h). */
void proc_drop_args(sim_proc *p, int n);
/* Starts a new life of the child at virtual time `clock_us` (the absolute clock the
** child should read).  Returns 0 or -1 with err. */
int proc_start(sim_procs *ps, sim_proc *p, int64_t clock_us, char *err, size_t errlen);
/* Sends a batch of n steps (each carrying its clock_us) and waits for the reply, whose
** header it checks into rd; the world then takes its sections in order with
** proc_section.  Returns 0, or -1 with err (timeout, death, malformed reply,
** interrupted). */
int proc_steps(sim_procs *ps, sim_proc *p, const ox_step *steps, unsigned n, ox_reply_reader *rd,
               char *err, size_t errlen);
/* The next section of the reply, which must answer step `seq`, into r (r->effects must
** have OX_STEP_MAX_EFFECTS slots; they point into ps->replybuf until the next step).
** After the last section, checks that nothing follows.  0, or -1 with err. */
int proc_section(sim_procs *ps, sim_proc *p, ox_reply_reader *rd, uint32_t seq, ox_reply *r,
                 char *err, size_t errlen);
/* SIGSTOP (stop) or SIGCONT (!stop) to a child that is up: a paused process, really
** stopped (sim/core/diskf.h); it is never stepped while stopped.  SIGKILL ends it all
** the same. */
void proc_pause(sim_proc *p, int stop);
/* SIGKILL, reap, clean up.  The child is down afterwards. */
void proc_kill(sim_procs *ps, sim_proc *p);
/* Waits for a child that was told STOP to exit (bounded), else kills it. */
void proc_reap_stopped(sim_procs *ps, sim_proc *p);

/* Runs a tool (argv[0] a path) to completion under node p's virtual clock, set to
** clock_us first (an operator acting "now" in the run): its stdout and stderr into
** out[cap] (NUL-terminated, cut if longer), its exit status into *status.  Bounded by
** the step timeout; reaped and cleaned up like a node.  Returns 0 or -1 with err. */
int proc_run_tool(sim_procs *ps, sim_proc *p, int64_t clock_us, char *const argv[],
                  char *out, size_t cap, int *status, char *err, size_t errlen);

/* Set by the signal handlers of the simulator: a step in progress gives up. */
extern volatile int proc_interrupted;

#endif
