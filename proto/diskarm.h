/*
** diskarm.h: the simulated disk for a node this project did not build, and how the
** simulator arms its faults.
**
** bin/outbox-node installs the simulated disk itself (node/vfs.h) and answers the
** step's armed "disk.<op>.<fault>" sites in its own reply.  A node in another language
** cannot, so the simulator preloads the same VFS into it: bin/libox-disk.so, named in
** LD_PRELOAD after libfaketime, for every node run by --node ROLE=COMMAND under a
** scenario that needs the disk (sim/core/diskf.h).  Its constructor makes the outbox-disk
** VFS SQLite's default and wraps SQLite's allocator (node/memf.h) before the program
** opens anything, so any program that uses the system's libsqlite3.so (Python's
** sqlite3 module does) writes the undo journal a power cut replays (proto/disk.h), reads
** its randomness from the seed, and fails the calls the simulator arms.  A program that
** links SQLite statically, or brings its own, gets none of it: its disk faults never act
** and a power cut takes nothing back (the run's warnings say so).  A program that
** exports the symbol DISKARM_OWN_SYMBOL (bin/outbox-node does) installs its own disk,
** and the preload stands aside.
**
** The arming goes through a shared map of the file DIR/disk.arm (DIR: OUTBOX_DISK), a
** diskarm_map the simulator makes at the run's start.  Before each step of the node it
** writes the step's disk sites into `site` (their number into `n`; 0: nothing armed),
** with every count zeroed; the preload, before each read, write or sync of a database
** file and each of SQLite's allocations, counts the call against every site of that op
** and fails it at the first site whose (skip + 1)-th call this is, appending the site's
** index to `fired` and the file the call was on to `fired_file`.  After the reply the
** simulator reads the counts back and reports them as the node's own INJECTED and PASSED
** effects (proto/step.h, "Disk sites") would be, after the node's other effects, then
** sets `n` to 0: between steps nothing is armed.  Only one side writes at a time
** (lockstep: the node runs only inside a step), so no lock is needed.
*/
#ifndef DISKARM_H
#define DISKARM_H

#include <stdint.h>

#include "step.h"

#define DISKARM_NAME "disk.arm"
#define DISKARM_MAGIC 0x4f58444du         /* "OXDM" */
#define DISKARM_LIB "libox-disk.so"       /* beside bin/outbox-node */
#define DISKARM_OWN_SYMBOL "ox_node_brings_disk"

typedef struct {
    char name[OX_NAME_MAX + 1];   /* "disk.write.eio", "disk.alloc.nomem" */
    uint32_t skip;                /* calls to pass before the failing one */
    uint32_t passes;              /* calls counted so far in this step (the preload) */
} diskarm_site;

typedef struct {
    uint32_t magic;               /* DISKARM_MAGIC (the simulator) */
    uint32_t loaded;              /* 1: the preload's disk counted a call of this node (the
                                  ** preload, at the first: not a shell that execs it) */
    uint64_t seed;                /* the VFS's randomness (the simulator) */
    uint32_t n;                   /* armed sites of the step, 0 between steps */
    uint32_t nfired;              /* entries of fired (the preload) */
    diskarm_site site[OX_STEP_MAX_ARMED];
    uint32_t fired[OX_STEP_MAX_ARMED];   /* site indexes in the order they failed (each once) */
    uint32_t fired_file[OX_STEP_MAX_ARMED];   /* the disk_file each was on (proto/disk.h);
                                          ** DISK_FILE_KINDS: an allocation, no file */
} diskarm_map;

#endif
