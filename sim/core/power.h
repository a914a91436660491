/*
** power.h: power loss under the services (issue 13): the simulated disk of proto/disk.h
** and node/vfs.h, wired into a run.
**
** A process crash loses nothing a service wrote; a power cut loses what no sync made
** durable.  A run whose scenario declares a power_loss{} (power_wanted) runs every node on
** the simulated disk (diskf.h: diskf_wanted() includes power_wanted(), and diskf_prepare
** sets each node's OUTBOX_DISK to its folder, diskf_dir): the node's VFS journals there
** every change not yet durable.  A power_loss fault kills its node exactly as a crash
** does (world.c: at a time or a failpoint, "crash" line, restart), and then power_cut:
**   - disk_power_cut() rolls the node's database, -wal and -journal back to what was
**     synced, keeping of the rest what the fault's `keep` says, with a seed drawn from
**     the run's power stream (ox_prng_derive(seed, POWER_STREAM): no other shifts);
**   - a "power_cut" trace line says what it took, per file:
**       {"ev":"power_cut","node":"payment","life":1,"fault":2,"keep":"none",
**        "writes_lost":3,"bytes_lost":12416,"indefinite":4,"lost_in":"payment.db-wal",
**        "files":[{"path":"payment.db-wal","writes_lost":3,"bytes_lost":12416,...}]}
**     (writes_lost and bytes_lost add up the files; lost_in names those that lost
**     anything: writes, torn writes, truncates, their creation or their deletion)
**   - on payment, unless its settings make every commit durable before the client hears
**     OK (ox_config_durable: wal+full, durable_send, ...), every OK the client got since
**     the previous cut becomes HIST_INDEFINITE (hist.h): possibly committed, possibly
**     lost, so the checker does not count it as a broken promise the settings never made.
** Without a power_loss{} nothing here runs: no environment, no journal, no draw, and
** every trace stays byte for byte.
*/
#ifndef SIM_POWER_H
#define SIM_POWER_H

#include <stddef.h>

#include "../../lib/prng.h"
#include "../scenario/scenario.h"

#define POWER_STREAM 4   /* ox_prng_derive(seed, 4): the power cuts' seeds */

struct sim_world;

typedef struct {
    int on;                       /* the nodes run on the simulated disk */
    ox_prng prng;                 /* one draw per cut: its disk_power_cut seed */
    int durable[SIM_MAX_NODES];       /* ox_config_durable of each node's resolved knobs */
} sim_power;

/* 1 if the run needs the simulated disk: the scenario declares a power_loss{}. */
int power_wanted(const sim_scenario *sc);
/* Before any node starts, after diskf_prepare: when wanted, reads each node's durability
** from the scenario's knobs.  0, or -1 after world_fail. */
int power_setup(struct sim_world *w);
/* After fault f (a power_loss) killed `node`: the cut, its trace line, the indefinite
** answers.  0, or -1 after world_fail (the files may then be half rolled back: the run is
** over). */
int power_cut(struct sim_world *w, int node, const sim_fault *f);

#endif
