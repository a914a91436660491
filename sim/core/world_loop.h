/*
** world_loop.h: the event loop's state, and the functions of world.c that its two
** helpers, batch.c and backlog.c, call back.  Private to sim/core: world.h is the
** contract the rest of the simulator sees.
**
** One sim_world per run, one run per process.  The loop's state is here; what the run
** was asked to do is world_opts (read only) and what happened is world_result, both
** world.h.
*/
#ifndef SIM_WORLD_LOOP_H
#define SIM_WORLD_LOOP_H

#include <stdint.h>

#include "../../lib/config.h"
#include "../../lib/prng.h"
#include "../../proto/step.h"
#include "backlog.h"
#include "diskf.h"
#include "evq.h"
#include "power.h"
#include "proc.h"
#include "trace.h"
#include "world.h"

#define WORLD_MAX_TIMERS 16
#define WORLD_CLIENT_RETRY_US 1000000
#define WORLD_EPOCH_US 1700000000000000LL   /* virtual time 0 on the children's clocks */
#define WORLD_PROBE_US 1000000
#define WORLD_MAX_STEPS 50000000ULL

typedef struct sim_world {
    const world_opts *o;
    world_result *res;
    sim_scenario *sc;             /* o->sc */
    sim_procs procs;
    sim_proc nodes[SIM_MAX_NODES];
    int tmp_dbs;                  /* the databases live in procs.dir during the run (dbplace.h) */
    int batch_max;                /* events per round trip, 1..OX_BATCH_MAX (OUTBOX_SIM_BATCH) */
    sim_evq q;
    sim_trace trace;
    ox_prng net, client;
    ox_prng faults;               /* broker-loss decisions */
    ox_prng rollbacks;            /* rollback decisions (arm_rollback, world.c) */
    int64_t now;                  /* virtual microseconds since the run began */
    int64_t skew_us[SIM_MAX_NODES];   /* each node's clock offset (clock, clock_jump) */
    double rate[SIM_MAX_NODES];       /* each node's clock rate (clock{rate}); 0: 1 */
    diskf_state diskf;            /* disk faults armed in the step being run (diskf.h) */
    int64_t busy_until[SIM_MAX_NODES];    /* slow: the node handles nothing before this */
    int free_pending[SIM_MAX_NODES];  /* an EV_FREE is scheduled for the node */
    backlog_ring backlog[SIM_MAX_NODES];
    int inject_fault;             /* broker_loss or rollback fault armed in the current step */
    int healed;
    uint64_t inflight;            /* frame events in the queue or a backlog */
    int64_t broker_held;          /* messages the broker holds, ready or unacked (broker_notes) */
    uint64_t frame_ids;
    uint32_t step_seq;
    uint32_t timer_gen[SIM_MAX_NODES][WORLD_MAX_TIMERS];
    /* each node's passes of each failpoint (the slot of res->fps): a crash's `hit` counts
    ** the named node's own passes, also when instances share the failpoint's code
    ** (accounting-2, relays); with one node per role the same as the failpoint's hits */
    uint32_t fp_node_hits[SIM_MAX_NODES][WORLD_MAX_FAILPOINTS];
    uint8_t *tries;               /* [payments + 1] */
    ox_effect *effects;           /* OX_STEP_MAX_EFFECTS slots */
    ox_exit err_code;             /* OX_EXIT_OK until the first error (res->err says it) */
    sim_power power;              /* the simulated disk, when a power_loss{} wants it */
    /* each node's last "config" note, "" until it says one (sim/core/knobs.h) */
    char said_config[SIM_MAX_NODES][OX_CONFIG_TEXT_MAX + 1];
} sim_world;

/* Records the run's first error (later ones are consequences); returns -1. */
int world_fail(sim_world *w, ox_exit code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Queues ev (at or after now); a frame event counts as in flight until it is handled. */
int world_schedule(sim_world *w, sim_event ev);
/* Runs one event alone, whatever its type. */
int world_run_event(sim_world *w, sim_event *ev);
/* The node an event steps (a client request goes to payment). */
int world_node_of(const sim_event *ev);
/* A timer set by an earlier life, or replaced since, never fires. */
int world_timer_live(const sim_world *w, const sim_event *ev);
/* When the client first asks for payment i (1-based). */
int64_t world_pay_time(const sim_world *w, uint32_t i);
/* Numbers the step and sets its time and the node's clock (skew included). */
int world_prepare_step(sim_world *w, int node, ox_step *s, int64_t t);
/* Carries out what the node's reply says: effects, a crash, a fatal error. */
int world_apply_reply(sim_world *w, int node, const ox_step *s, const ox_reply *r);
/* What happens at a stepping event's turn before its step: 1 if the node steps, 0 if
** the event ends there (node down, stale timer), -1 on error. */
int world_event_pre(sim_world *w, sim_event *ev);
/* The step a stepping event makes, from the event alone (no side effects). */
void world_event_step(const sim_world *w, const sim_event *ev, ox_step *s);
/* Kills node as fault f (or NULL) at `where`: its "crash" line, and its restart
** f->restart_after_us later when f says one. */
void world_crash(sim_world *w, int node, sim_fault *f, const char *where);
/* The clock node reads now (skew, jumps and rate included). */
int64_t world_clock_of(const sim_world *w, int node);
/* Writes fault f's "fault" line, once, when it takes effect. */
void world_announce(sim_world *w, sim_fault *f);
/* Starts a trace line about a frame (the caller adds fields and ends it). */
void world_trace_frame(sim_world *w, const char *ev, const sim_frame *fr, int dst);
/* A client request the payment service never answered: "unknown", and maybe a retry. */
void world_client_unanswered(sim_world *w, uint32_t pay, const char *why);

#endif
