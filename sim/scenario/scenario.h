/*
** scenario.h: a Lua 5.4 scenario, loaded into plain C data the simulator runs.
**
** scenario_load() runs the file once in a sandboxed Lua state (no io, os, package,
** require, load, dofile, loadfile, debug; string/table/math/utf8 only; math.random
** draws from the run's seed; an instruction budget stops runaway loops).  The file
** declares, through the functions documented in scenarios/README.md:
**   scenario { name, design, knobs, workload, run, settle }   exactly once
**   drop / duplicate / delay { ... }                          network faults
**   partition { ... }                                         links cut for a window
**   crash { ... }                                             process crashes
**   power_loss { ... }                                        a crash that loses unsynced writes
**   broker_loss { ... }                                       the broker loses accepted frames
**   clock { ... } / clock_jump { ... }                        per-node clock skew and jumps
**   slow { ... }                                              a per-message processing delay
**   rollback { ... }                                          injected business errors
**   disk { ... }                                              the node's disk fails calls
**   pause { ... }                                             the node stops (SIGSTOP), resumes
**   nemesis { ... }                                           a fault schedule drawn from the seed
**   between(a, b, fn)   faults declared inside fn are active in [a, b)
**   at(t, fn)           fn runs at virtual time t during the run (may declare faults)
**   note(text)          a line in the trace (from inside at() callbacks)
**   ctl(cmd, ...)       an operator runs bin/outbox-ctl on the payment database (at());
**                       returns its exit code and its output
**   check(cond, text) / fail_check(text)   a failed check of the scenario's own (at()):
**                       the run fails (exit 1), citing it; error() stays a scenario error
**   expect { ... }                                            what the run must show
** Every error, at load time or inside a later callback, is one line that starts with
** "FILE:LINE:" and names the offending function and field.
**
** Times in Lua are virtual seconds since the run started (fractions allowed); here
** they are microseconds.  Node indices: 0 payment, 1 broker, 2 accounting, then the
** extra instances a topology { } may add (relay-1..relay-8 at 3..10, accounting-2..
** accounting-4 at 11..13: SLOTS in scenario.c).
*/
#ifndef SIM_SCENARIO_H
#define SIM_SCENARIO_H

#include <stddef.h>
#include <stdint.h>

#include "../../lib/role.h"
#include "../util/reached.h"

/* Topology (issue 14): every process of a run is a node slot with a fixed index and name.
** Slots 0..SIM_NODES-1 are the three roles, always there; the others (SIM_MAX_NODES in
** all) are extra instances that exist only when topology { } asks for them
** (scenario_node_active).  An array per node is sized SIM_MAX_NODES. */
#define SIM_NODES 3
#define SIM_MAX_RELAYS 8
/* topology { accounting = M }: competing consumers, "accounting" (slot 2) and
** accounting-2..accounting-M on the accounting database (lib/broker.h) */
#define SIM_MAX_ACCOUNTING 4
#define SIM_MAX_NODES (SIM_NODES + SIM_MAX_RELAYS + SIM_MAX_ACCOUNTING - 1)
#define SIM_ANY (-1)
#define SIM_FOREVER INT64_MAX
#define SIM_MAX_FAULTS 4096
#define SIM_MAX_OWN_FPS 16        /* failpoints { } names: the node's own failpoints */
#define SIM_TAMPER_SQL_MAX 200   /* tamper{ sql }: bytes */
#define SIM_MISCONFIG_KNOB_MAX 100   /* misconfig{ knob }: bytes */
#define SIM_MAX_KNOBS 64
#define SIM_MAX_CALLBACKS 1024
#define SIM_MAX_PAYMENTS 1000000
#define SIM_MAX_EXPECT 16
#define SIM_MAX_NEMESIS 8
#define SIM_DEFAULT_CLIENT_RETRIES 3
#define SIM_MAX_CLIENT_RETRIES 100
#define SIM_MAX_CTL_ARGS 6
#define SIM_MAX_CTL_OUTPUT 2048   /* ctl()'s output returned to the scenario, cut */
#define SIM_MAX_CHECKS 32         /* failed check()s kept (all are counted) */
#define SIM_FROZEN_ACCOUNT 9999     /* refused payments are paid from this account */

typedef enum {
    FK_DROP = 1,
    FK_DUPLICATE,
    FK_DELAY,
    FK_CRASH,
    FK_PARTITION, /* every frame on src->dst (and back if twoway) in the window is lost */
    FK_BROKER_LOSS, /* the broker loses accepted PUBLISH frames of `queue` (p / nth) */
    FK_CLOCK, /* node's clock is off by by_us from the start */
    FK_CLOCK_JUMP, /* node's clock jumps by by_us at at_us */
    FK_SLOW, /* node is busy per_us after each frame it handles in the window */
    FK_CORRUPT, /* a matching frame arrives damaged: header bytes flipped or cut short */
    FK_POWER_LOSS, /* a crash whose node also loses what its disk never synced (keep) */
    FK_ROLLBACK, /* node's transactions roll back after their writes (p; lib/io.h, *.rollback) */
    FK_DISK, /* node's disk fails its disk_op calls with disk_err in the window (p / nth) */
    FK_PAUSE, /* node is stopped over [from_us, to_us): nothing it gets is handled until then */
    FK_TAMPER, /* at from_us, SQL runs on the database of the node, which is down (tamper.h) */
    FK_MISCONFIG, /* at from_us, the node is redeployed with a knob it must refuse (misconf.h) */
    FK_KIND_COUNT
} sim_fault_kind;

/* "drop", "partition", ...: the Lua function that declares the kind. */
const char *scenario_fault_kind_name(int kind);
/* A crash or a power loss: both kill their node at a time or a failpoint and restart it
** alike; a power loss then also rolls its disk back (sim/core/power.h). */
static inline int scenario_kills(int kind) { return kind == FK_CRASH || kind == FK_POWER_LOSS; }

typedef struct {
    sim_fault_kind kind;
    int id;                   /* 1-based, in declaration order */
    int line;                 /* scenario line that declared it */
    /* frame faults (drop, duplicate, delay): which frames match */
    int src, dst;             /* node index or SIM_ANY */
    char queue[33];           /* "" = any queue */
    char label[33]; /* "" = any; else a prefix of the frame label ("PUBLISH", "DELIVER PAYMENT",
                       "DACK") */
    double p;                 /* probability per matching frame (when nth == 0) */
    uint32_t nth;             /* > 0: exactly the nth matching frame, 1-based */
    uint64_t pay;             /* > 0: only frames about this payment */
    uint32_t copies;          /* duplicate: extra copies (>= 1) */
    int twoway;               /* partition: both directions (src, dst are the two ends) */
    int64_t by_us;            /* clock: skew; clock_jump: the jump (+ forward, - backward) */
    double rate;              /* clock: the node's clock runs at rate x virtual time; 0: not
                                 given (1) */
    char disk_err[12];        /* disk: "full", "eio", "fsync_fail", "nomem" */
    char disk_op[8];          /* disk: "write", "sync", "read", "alloc" */
    int at_start;             /* disk: armed in START steps too; a START that fails restarts
                                 the node restart_after_us later (sim/core/diskf.h) */
    int64_t per_us;           /* slow: busy time after each frame handled */
    int nemesis; /* 0: declared by the file; else the nemesis{} call (1-based) that drew it */
    int64_t min_us, max_us;   /* delay: extra latency drawn uniformly */
    int64_t from_us,
        to_us; /* active while from <= now < to; to may be SIM_FOREVER (until healing) */
    /* crash (and clock, clock_jump, slow: node; clock_jump: at_us) */
    int node;                 /* node index */
    int64_t at_us;            /* crash / clock jump at this virtual time, or -1 */
    char failpoint[65];       /* crash at this failpoint, or "" */
    uint32_t hit;             /* ... the hit-th time any incarnation passes it (>= 1) */
    int64_t restart_after_us; /* restart this long after the crash; -1: at healing */
    int keep;                 /* power_loss: disk_keep (proto/disk.h) of the unsynced writes */
    char sql[SIM_TAMPER_SQL_MAX + 1]; /* tamper: what runs on the node's database file */
    char knob[SIM_MISCONFIG_KNOB_MAX + 1]; /* misconfig: "key=value", one the config refuses */
    /* owned by the simulator while it runs */
    uint32_t seen;            /* frames matched so far (for nth) */
    int fired;                /* crash / clock jump done (or, a crash, skipped) */
    int skipped;              /* crash: its time came while the node was already down */
    uint32_t acted;           /* times it acted: frames it dropped, cut, duplicated, delayed,
                                 damaged or lost inside, frames that left its node busy,
                                 crashes, clocks set or jumped */
    int announced;            /* its "fault" trace line is written */
} sim_fault;

typedef struct {
    int64_t t_us;
    int ref;                  /* Lua registry reference of the function */
    int line;
} sim_callback;

/* A check() of a callback that failed: the scenario's own judgement, a failure of the
** run (exit 1) like a broken invariant, never a scenario error (exit 2). */
typedef struct {
    int line;                 /* scenario line of the check() or fail_check() call */
    int64_t t_us;             /* virtual time of the callback */
    char text[256];
} sim_check;

typedef struct {
    uint32_t payments;        /* how many payments the client makes */
    double rate;              /* per virtual second, > 0 */
    int64_t amount_min, amount_max;   /* cents, drawn uniformly from the seed */
    uint32_t accounts;        /* payer accounts 1..accounts */
    uint32_t client_retries;  /* an unanswered payment is asked again, 1 s apart, this often */
    uint8_t *refuse;          /* [payments + 1]: 1 = accounting will refuse payment i */
    int refusals;             /* workload.refuse or a refuse_rate > 0 was given, or amounts
                              ** that may go over the limit */
    int64_t limit;            /* the knob max_amount: a drawn amount over it is refused by
                              ** accounting's rule, and the history counts it refused */
} sim_workload;

typedef struct {
    int all_invariants;                 /* every invariant must hold (the default) */
    char violated[SIM_MAX_EXPECT][32];  /* each must be broken */
    int nviolated;
    char hold[SIM_MAX_EXPECT][32];      /* each must hold (with violated; else all) */
    int nhold;
    int others_hold;                    /* with violated: every other judged one must hold */
    int64_t dead_min, dead_max;         /* DEAD rows expected; -1 = no expectation */
    int faults_act;                     /* every fault must act at least once */
    uint32_t reached[REACHED_COUNT];    /* reached state i at least this often; 0 = no need */
    int nreached;                       /* states named in expect { reached = ... } */
    uint8_t never[REACHED_COUNT];       /* 1: reached state i must not be reached at all */
    int nnever;                         /* states named in expect { never = ... } */
} sim_expect;

/* What one nemesis{} call drew: faults first .. first + count - 1 (ids). */
typedef struct {
    int line;
    int first, count;
    int swarm;
} sim_nemesis;

typedef struct sim_scenario {
    char path[512];           /* as given on the command line */
    char slug[128];           /* file name without directory and .lua: reports/runs/<slug>/ */
    char name[256];           /* scenario{name=...} */
    char design[32];          /* scenario{design=...}, default "outbox" */
    char knobs[SIM_MAX_KNOBS]
              [128]; /* "key=value", sorted by key (Lua table order is not deterministic) */
    int nknobs;
    sim_workload workload;
    int64_t run_us, settle_us;
    sim_fault faults[SIM_MAX_FAULTS];
    int nfaults;
    sim_nemesis nemeses[SIM_MAX_NEMESIS];
    int nnemeses;
    sim_callback callbacks[SIM_MAX_CALLBACKS];
    int ncallbacks;
    sim_expect expect;
    /* trace hook for note(): set by the simulator before it fires callbacks */
    void (*note)(void *ctx, int line, const char *text);
    /* operator hook for ctl(): runs bin/outbox-ctl ARGS on the payment database now;
    ** returns its exit code, or -1 if it could not run, with its output (stdout then
    ** stderr, cut to cap) in out.  Same ctx as note. */
    int (*ctl)(void *ctx, int line, int argc, const char *const *argv, char *out, size_t cap);
    void *note_ctx;
    sim_check checks[SIM_MAX_CHECKS];   /* the failed check()s, in order (the first kept) */
    int nchecks;
    uint32_t checks_failed;   /* all of them, kept or not */
    void *L;                  /* lua_State, kept for callbacks */
    int instances[OX_ROLE_COUNT];   /* topology { }: processes per role (1, 1, 1, relays) */
    int topology_line;        /* line of topology{}; 0: none (the three nodes) */
    /* failpoints { }: failpoints of the implementation under test beyond this project's
    ** (ox_service_failpoints), which crash{} and power_loss{} may then name; each node of
    ** the name's role must declare them at START (docs/protocol.md). */
    char own_fps[SIM_MAX_OWN_FPS][65];
    int nown_fps;
    int own_fps_line;
} sim_scenario;

/* Loads and validates a scenario.  Returns NULL with "FILE:LINE: what" (or "FILE: what"
** for a missing file) in err.  The result is heap-allocated. */
sim_scenario *scenario_load(const char *path, uint64_t seed, char *err, size_t errlen);
/* Runs callback i at virtual time now_us; faults it declares without a time start at
** now_us.  Returns 0, or -1 with "FILE:LINE: what" in err. */
int scenario_fire(sim_scenario *sc, int i, int64_t now_us, char *err, size_t errlen);
void scenario_free(sim_scenario *sc);

/* The Lua declaration that declares f again, e.g. `partition { between = {"payment",
** "broker"}, start = 5, stop = 15 }` (one line; numbers printed so they read back
** exactly).  Returns its length (truncated to cap - 1). */
size_t scenario_fault_lua(const sim_fault *f, char *buf, size_t cap);

/* The value of knob `key` ("key=value" in sc->knobs), or NULL if it is not set. */
const char *scenario_knob(const sim_scenario *sc, const char *key);

const char *scenario_node_name(int node);   /* "payment", "broker", "accounting", "relay-1" */
int scenario_node_parse(const char *name);  /* index of any slot, or -1 */
/* The role slot `node` plays (relay-k: OX_ROLE_RELAY). */
ox_role scenario_node_role(int node);
/* The stem of the database file the node opens: its own name, or the database it shares
** (a relay: "payment"). */
const char *scenario_node_db(int node);
/* 1 if the node runs in this scenario: one of the three, or an instance topology{} asked
** for.  Loops over nodes go over 0..SIM_MAX_NODES-1 and skip the others. */
int scenario_node_active(const sim_scenario *sc, int node);
/* How many nodes run, and the k-th of them (0-based, in index order): a draw among the
** nodes draws k below the count, so that without topology{} it draws as before. */
int scenario_node_count(const sim_scenario *sc);
int scenario_node_nth(const sim_scenario *sc, int k);

#endif
