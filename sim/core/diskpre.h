/*
** diskpre.h: the simulated disk under a node of another language (proto/diskarm.h).
**
** bin/outbox-node brings its own simulated disk and answers its armed disk sites itself.
** A node run by --node ROLE=COMMAND gets the same disk preloaded (bin/libox-disk.so,
** after libfaketime in LD_PRELOAD) whenever the run wants the disk (diskf_wanted), and
** its disk sites are armed and counted through a shared map instead of the step:
**   diskpre_prepare  (the run's start) makes <node>.disk/disk.arm and names the library;
**   diskpre_arm      (before each step) writes the step's disk sites into the map;
**   diskpre_collect  (after the reply) adds what the map counted to the reply, as the
**                    INJECTED and PASSED effects the node would have given, after its
**                    own effects, and disarms the map;
**   diskpre_close    (the run's end) unmaps.
** A node in which the library did not install itself (bin/outbox-node, which exports
** DISKARM_OWN_SYMBOL; a program that does not load the system's SQLite) leaves its map
** unloaded, and its replies pass unchanged.  Nothing here runs for a node of this
** project's own command, so its runs do not change.
*/
#ifndef SIM_DISKPRE_H
#define SIM_DISKPRE_H

#include "../../proto/step.h"

struct sim_world;

/* For node n, whose disk folder `dir` diskf_prepare made: if it runs a --node command,
** its map and its preload.  0 or -1 (world_fail). */
int diskpre_prepare(struct sim_world *w, int n, const char *dir);
/* The disk sites diskf_arm armed for node n's step, into its map (none: disarmed). */
void diskpre_arm(struct sim_world *w, int n);
/* Node n's reply `r`: if its preload installed the disk, the node's own disk effects
** replaced by the map's.  0 or -1 (world_fail). */
int diskpre_collect(struct sim_world *w, int n, ox_reply *r);
/* Unmaps every node's map.  Safe to call twice. */
void diskpre_close(struct sim_world *w);

#endif
