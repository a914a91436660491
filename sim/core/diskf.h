/*
** diskf.h: the faults of issue 13 that live beside the network: a node's disk failing
** its calls (disk{}), a node stopped and resumed (pause{}), and a clock that runs at
** another rate (clock{rate}).
**
** Disk errors.  The node's simulated disk (node/vfs.h) asks its host before every read,
** write and sync of a database file whether the call fails; the host answers from the
** step's armed "disk.<op>.<fault>" sites (proto/step.h, "Disk sites").  So the decision
** is the simulator's, drawn here: for each step of a node under an active disk fault,
** diskf_arm arms the fault's site with a skip of
**   nth:  the calls still to pass before the nth of the window (the node reports each
**         step's passes in PASSED effects; diskf_passed counts them into the fault);
**   p:    a geometric draw from the disk stream of the seed (stream 4): the number of
**         calls before the next failure, which, being memoryless, is the same as an
**         independent chance p at every call, redrawn each step.
** Out of memory (fault "nomem", on "alloc") is armed and counted the same way, as the
** site "disk.alloc.nomem": the node asks it before each of SQLite's allocations
** (node/memf.h) instead of before a disk call.
** A failing call is reported INJECTED: a "disk_fault" trace line, the fault's acted
** count and world_stats.disk_faults.  STOP steps are never armed, START steps only by a
** fault declared at_start = true: a START that fails under it is a service that cannot
** open its database, which exits 3 and is restarted restart_after later, as a supervisor
** would (diskf_start_failed); without at_start a failed START stays a harness error.  A
** node under a disk
** fault or a clock rate is never batched (its arming and its timers are per step).
** The VFS is installed under every node only when the scenario needs it (diskf_wanted),
** or under every run with OUTBOX_SIM_DISK=simulated (a bench of its cost); otherwise
** nothing here changes a run.  Its folder, OUTBOX_DISK, is <node>.disk/ beside the
** node's database during the run: in the private temp dir on tmpfs, like the databases
** (dbplace.h; the journal is written at every step), copied into the run dir at the end
** (diskf_keep); in the run dir itself with OUTBOX_SIM_TMPDB=0.
**
** Pauses.  A paused node is SIGSTOPped (SIGCONT when it resumes) and, what makes the
** lockstep semantics, a busy node (backlog.h) for the pause's length: every
** frame, timer and client request for it waits in its backlog, in order, and runs when
** it resumes, with the clock of then; a crash meanwhile loses the backlog as ever.
** Trace lines "pause" and "resume" (or "pause_skipped" for a node that is down).
*/
#ifndef SIM_DISKF_H
#define SIM_DISKF_H

#include <stdint.h>

#include "../../lib/prng.h"
#include "../../proto/diskarm.h"
#include "../../proto/step.h"
#include "../scenario/scenario.h"

#define DISKF_ENV "OUTBOX_SIM_DISK"      /* "simulated": the VFS under every run */
#define DISKF_STREAM 6                   /* the seed's stream for disk-fault draws */

/* The disk faults armed in the step being run. */
typedef struct {
    ox_prng rand;
    int n;
    int fault[OX_STEP_MAX_ARMED];        /* fault index (0-based) of each armed disk site */
    uint32_t skip[OX_STEP_MAX_ARMED];
    char name[OX_STEP_MAX_ARMED][OX_NAME_MAX + 1];
    int passed;                          /* PASSED effects read so far in this step */
    int fired;                           /* disk calls failed in this step */
    int last;                            /* the fault (0-based) of the last of them */
    uint8_t stopped[SIM_MAX_NODES];          /* SIGSTOPped by a pause, not yet SIGCONTed */
    diskarm_map *arm[SIM_MAX_NODES];         /* a --node command's arming map (diskpre.h) */
} diskf_state;

struct sim_world;

/* 1 if the run puts the simulated disk under its nodes: a disk fault, or DISKF_ENV. */
int diskf_wanted(const sim_scenario *sc);
/* If wanted: each node's disk folder, made and emptied, named in its environment.  0
** or -1 (world_fail). */
int diskf_prepare(struct sim_world *w);
/* Node `node`'s disk folder during the run, its OUTBOX_DISK (the journal a power cut
** replays is DISK_JOURNAL_NAME in it, proto/disk.h). */
void diskf_dir(const struct sim_world *w, int node, char *buf, size_t cap);
/* After every node stopped or was killed: each journal into <run_dir>/<node>.disk/.
** 0 or -1 (world_fail). */
int diskf_keep(struct sim_world *w);
/* Seeds the disk stream. */
void diskf_init(diskf_state *d, uint64_t seed);
/* Arms, for a FRAME, TIMER or PAY step of `node`, the sites of its active disk faults. */
void diskf_arm(struct sim_world *w, int node, ox_step *s);
/* 1 if `name` is a disk site ("disk.<op>.<fault>", proto/disk.h), 0 if not. */
int diskf_is_site(const char *name);
/* INJECTED of a "disk." site, "<site>[@<file>]": the call failed; traced (with the file
** when the node names it) and counted.  0 or -1. */
int diskf_injected(struct sim_world *w, int node, const char *label);
/* PASSED: how many calls the step made past an armed site; counted into its fault. */
int diskf_passed(struct sim_world *w, int node, const char *site, uint32_t count);
/* A START of `node` answered FATAL after a disk fault failed one of its calls (a fault
** with at_start): what a service that cannot open its database does, not a harness
** error.  The node exits 3 by itself; it is reaped, a "start_failed" line says why, and a
** restart comes the fault's restart_after later (healing restarts it too).  0 or -1. */
int diskf_start_failed(struct sim_world *w, int node, const char *why);

/* What a failed START does for the scenario's fault number `fault` when that fault plans
** for it (disk{ at_start } and tamper): reaps the node, writes the "start_failed" line
** naming the fault and `why`, and schedules the restart its restart_after says.  0 or -1. */
int diskf_restart_later(struct sim_world *w, int node, int fault, const char *why);
/* 0 if events of `node` must go one per round trip (a disk fault, a clock rate). */
int diskf_batchable(const struct sim_world *w, int node);
/* The pause fault f's moment: the node stops (at its start) or resumes (at its end). */
int diskf_pause(struct sim_world *w, sim_fault *f);
/* Before any step of `node`: SIGCONT if a pause left it stopped (an event at the very
** instant a pause ends may come before the pause's own end event). */
void diskf_wake(struct sim_world *w, int node);

#endif
