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
** [run, run + settle) in which the system must go quiet: every node up, no frame on the
** wire or in a backlog, nothing the broker holds (ready, or delivered and not acked: it
** would be redelivered) and no outbox row SENDING, checked once a virtual second.
** Then the nodes are stopped cleanly and world_run() returns what happened
** (world_result).  Judging the run (the
** checker, sim/check) and telling it (sim/report) are the caller's: nothing in sim/core
** includes either, so the loop can be read, and tested, as a simulator alone.
**
** Files of the loop: world.c (set-up, events, the network, the client, the end),
** batch.c (several events in one round trip) and backlog.c (slow nodes); they share
** world_loop.h, private to sim/core.
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
**     and is handled when the node is free (bounded: backlog.h).
** Each fault is announced with a "fault" line when it takes effect, carrying its Lua
** declaration, so a trace reads back as an explicit schedule.
*/
#ifndef SIM_WORLD_H
#define SIM_WORLD_H

#include <stddef.h>
#include <stdint.h>

#include "../../proto/exit.h"
#include "hist.h"
#include "../scenario/scenario.h"

#define WORLD_MAX_FAILPOINTS 64
#define WORLD_MAX_KINDS 64

/* What to run: set by the caller, read only by the loop. */
typedef struct {
    sim_scenario *sc;             /* its faults' fired/seen/announced change as it runs */
    uint64_t seed;
    const char *design;           /* effective design name */
    const char *node_bin;
    /* By ox_role (lib/role.h): the executable that role runs instead of node_bin (outbox-sim
    ** --node ROLE=COMMAND), NULL for node_bin; the whole pointer NULL: node_bin for all. */
    const char *const *node_cmds;
    char run_dir[512];
    /* Handed every trace line, or NULL: a trace_listener (trace.h; narrate.h). */
    void (*listen)(void *ctx, const char *line, size_t len);
    void *listen_ctx;
} world_opts;

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
    uint64_t indefinite;          /* OKs a power cut made indefinite (hist.h) */
    uint64_t power_cuts;          /* power_loss faults that cut a node's power (power.h) */
    uint64_t partitioned;         /* frames lost to a partition (not counted in dropped) */
    uint64_t lost_inside;         /* PUBLISH frames the broker lost inside (injected) */
    uint64_t clock_jumps;
    uint64_t corrupted;           /* frames damaged in transit (corrupt faults) */
    uint64_t deferred;            /* events that waited in a busy node's backlog */
    uint64_t backlog_lost;        /* frames lost because a backlog was full or its node crashed */
    uint64_t backlog_max;         /* deepest backlog of any node */
    uint64_t disk_faults;         /* disk calls a disk fault failed (diskf.h) */
    uint64_t pauses;              /* pause faults that stopped a node */
    uint64_t faults;              /* "fault" lines: faults that took effect */
    uint64_t nemesis_faults;      /* ... of which a nemesis drew */
} world_stats;

/* What happened: filled by world_run().  Which faults fired, and how many frames each
** matched, stay in the scenario's faults (o->sc->faults[i].fired, .seen). */
typedef struct {
    world_stats st;
    world_failpoint fps[WORLD_MAX_FAILPOINTS];   /* failpoints passed, in order of first pass */
    int nfps;
    world_kind kinds[WORLD_MAX_KINDS];           /* NOTE kinds seen, counted */
    int nkinds;
    hist_entry *hist;             /* [payments + 1]: the client's history (hist.h) */
    int64_t converged_us;         /* -1 unless the settle phase went quiet */
    int64_t stopped_us;           /* virtual time the run ended, or stopped on an error */
    uint64_t trace_lines;         /* trace.jsonl: lines written ... */
    uint64_t trace_hash;          /* ... and their FNV-1a 64 hash */
    char err[1024];               /* why the run stopped, when world_run did not return OK */
} world_result;

/* Runs the whole scenario and stops the services cleanly, leaving their databases
** and trace.jsonl in o->run_dir.  Returns OX_EXIT_OK when the run went to its end,
** OX_EXIT_USAGE on a scenario error at run time, OX_EXIT_HARNESS on a harness failure
** (r->err says why; the trace then ends with an "aborted" line).  Call
** world_result_free() on r afterwards, whatever it returned. */
ox_exit world_run(const world_opts *o, world_result *r);
void world_result_free(world_result *r);

#endif
