/*
** world.h: one simulated run: three service processes, the network between them, the
** client, virtual time, the scenario's faults, and the record of it all.
**
** world_run() is the event loop: pop the earliest event, move virtual time to it,
** step the node it concerns (or act on it: crash, restart, heal, probe), and turn the
** node's reply into new events.  Only one child runs at a time and each runs only
** inside a step, so the run is a pure function of the scenario and the seed.
**
** Phases: the fault phase [0, run) with the workload and the scenario's faults, then
** healing at `run` (every fault stops, every down node restarts) and the settle phase
** [run, run + settle) in which the system must go quiet.  Then the nodes are stopped
** cleanly and the checker judges their databases.
**
** Faults the world itself carries out (the network's are in net.c):
**   - a node's clock is the run's epoch + virtual time + its offset (clock skew, moved
**     by clock jumps; an offset stays after healing, since undoing it would be another
**     jump).  Timers a node sets are delays, so a jump moves none of them; what moves
**     is every absolute time the node computes from its clock;
**   - broker loss: for a PUBLISH the broker is about to accept, the world decides (its
**     fault stream) and arms the library's injection site OX_SITE_BROKER_LOSE for that
**     one step;
**   - a slow node is busy for a while after each frame it handles; every frame, timer
**     or client request that arrives meanwhile waits in the node's backlog, in order,
**     and is handled when the node is free (bounded: WORLD_BACKLOG_MAX).
** Each fault is announced with a "fault" line when it takes effect, carrying its Lua
** declaration, so a trace reads back as an explicit schedule.
*/
#ifndef SIM_WORLD_H
#define SIM_WORLD_H

#include <stdint.h>

#include "../../lib/prng.h"
#include "../check/checker.h"
#include "evq.h"
#include "proc.h"
#include "../scenario/scenario.h"
#include "trace.h"

#define WORLD_MAX_TIMERS 16
#define WORLD_MAX_FAILPOINTS 64
#define WORLD_MAX_KINDS 64
#define WORLD_CLIENT_RETRY_US 1000000
#define WORLD_EPOCH_US 1700000000000000LL   /* virtual time 0 on the children's clocks */
#define WORLD_PROBE_US 1000000
#define WORLD_MAX_STEPS 50000000ULL
#define WORLD_BACKLOG_MAX 65536        /* events waiting for one busy node */
#define WORLD_BACKLOG_FRAMES 60000     /* beyond this many, arriving frames are lost */

typedef struct {
    char name[65];
    uint32_t hits;            /* passes, over every life of the node */
    uint32_t crashes;         /* crashes the simulator made here */
} world_failpoint;

typedef struct {
    char kind[65];
    uint64_t count;
} world_kind;

typedef struct {
    uint64_t steps, frames, delivered, dropped, duplicated, delayed, lost_down;
    uint64_t round_trips;         /* STEP/REPLY exchanges: fewer than steps when batched */
    uint64_t batches_cut;         /* batches the node stopped early (proto/step.h) */
    uint64_t crashes, restarts, timers, client_requests, client_retries;
    uint64_t ok, failed, unknown;
    uint64_t partitioned;         /* frames lost to a partition (not counted in dropped) */
    uint64_t lost_inside;         /* PUBLISH frames the broker lost inside (injected) */
    uint64_t clock_jumps;
    uint64_t corrupted;           /* frames damaged in transit (corrupt faults) */
    uint64_t deferred;            /* events that waited in a busy node's backlog */
    uint64_t backlog_lost;        /* frames lost because a backlog was full or its node crashed */
    uint64_t backlog_max;         /* deepest backlog of any node */
    uint64_t faults;              /* "fault" lines: faults that took effect */
    uint64_t nemesis_faults;      /* ... of which a nemesis drew */
} world_stats;

/* Events that arrived at a busy node, oldest first (a ring). */
typedef struct {
    sim_event *ev;
    uint32_t cap, head, len;
    uint32_t frames;              /* how many of them are frames */
} world_backlog;

typedef struct sim_world {
    sim_scenario *sc;
    uint64_t seed;
    const char *design;           /* effective design name */
    const char *node_bin;
    char run_dir[512];
    char command[1024];           /* reproduces the run */
    int quiet;                    /* no human summary */
    int narrate;                  /* tell the run on stderr as it happens */
    uint64_t follow[16];          /* report.html: payments the chart follows (--follow) */
    int nfollow;

    sim_procs procs;
    sim_proc nodes[SIM_NODES];
    int tmp_dbs;                  /* the databases live in procs.dir during the run (dbplace.h) */
    int batch_max;                /* events per round trip, 1..OX_BATCH_MAX (OUTBOX_SIM_BATCH) */
    sim_evq q;
    sim_trace trace;
    ox_prng net, client;
    ox_prng faults;               /* broker-loss decisions */
    int64_t now;                  /* virtual microseconds since the run began */
    int64_t skew_us[SIM_NODES];   /* each node's clock offset (clock, clock_jump) */
    int64_t busy_until[SIM_NODES];    /* slow: the node handles nothing before this */
    int free_pending[SIM_NODES];  /* an EV_FREE is scheduled for the node */
    world_backlog backlog[SIM_NODES];
    int inject_fault;             /* broker_loss fault armed in the current step, 0 none */
    int healed;
    int64_t converged_us;         /* -1 until the settle phase goes quiet */
    uint64_t inflight;            /* frame events in the queue */
    uint64_t frame_ids;
    uint32_t step_seq;
    uint32_t timer_gen[SIM_NODES][WORLD_MAX_TIMERS];

    hist_entry *hist;             /* [payments + 1] */
    uint8_t *tries;               /* [payments + 1] */
    world_failpoint fps[WORLD_MAX_FAILPOINTS];
    int nfps;
    world_kind kinds[WORLD_MAX_KINDS];   /* NOTE kinds seen, counted */
    int nkinds;
    world_stats st;
    ox_effect *effects;           /* OX_STEP_MAX_EFFECTS slots */
    check_result check;
    char err[1024];               /* harness or scenario error */
    int err_code;                 /* 2 scenario error, 3 harness error */
} sim_world;

/* Runs the whole scenario.  Returns the process exit code: 0 expectations met, 1 not
** met, 2 a scenario error at run time, 3 a harness failure (w->err says why). */
int world_run(sim_world *w);

#endif
