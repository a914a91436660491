/*
** vfs.h: the simulated disk under a service: a SQLite VFS the node host installs, only
** when asked (OUTBOX_DISK=DIR in its environment), before the library opens anything.
** lib/ does not know: it opens its database file as always, through the default VFS.
**
** It wraps the unix VFS.  Reads and writes of every file pass through to the real file,
** so a process crash (SIGKILL) loses nothing, as without it.  Before each change to a
** main database, -wal or -journal file it appends to DIR/disk.journal what the change
** destroys (proto/disk.h gives the format and the durability model), so that the
** simulator's power cut (disk_power_cut) can take back every change no sync made
** durable.  An xSync is recorded, not performed: the journal is the durability model,
** and the machine's own fsync would only cost time.  The journal is emptied whenever
** nothing is pending (after the sync that makes everything durable), so it stays small.
**
** It also makes SQLite deterministic where the unix VFS is not: xRandomness (WAL salts,
** temporary names) comes from the node's seed instead of /dev/urandom, and the current
** time from clock_gettime(), which libfaketime sets to the virtual clock.  Memory-mapped
** I/O is off (io_methods version 2 has no xFetch, and mmap_size is answered 0), so
** every read and write passes through here.
**
** Disk errors (the simulator's disk{} fault): before each read, write or sync of a
** tracked file the VFS asks the fault hook the host set (vfs_set_fault_hook), which
** answers 0 (go on) or the SQLite error the call fails with (vfs_fault_code).  A failed
** call does nothing: no record, no bytes written, and a failed xSync records no SYNC, so
** what it should have made durable stays undurable and a power cut may take it back.
** The decision is the simulator's, not the VFS's: the host's hook fires only where the
** step armed a "disk.<op>.<fault>" site (proto/step.h, "Disk sites"); the VFS holds no
** randomness and no count of its own for it.
*/
#ifndef VFS_H
#define VFS_H

#include <stddef.h>
#include <stdint.h>

#include "../proto/disk.h"

#define VFS_NAME "outbox-disk"
#define VFS_ENV "OUTBOX_DISK"

/* Registers the VFS as SQLite's default, its journal DIR/disk.journal (DIR must exist;
** a journal left by an earlier life of the node is kept, its torn tail cut off).
** Call once, before any database is opened.  -1 with err on failure. */
int vfs_install(const char *dir, uint64_t seed, char *err, size_t cap);

typedef enum { VFS_OP_READ = 0, VFS_OP_WRITE, VFS_OP_SYNC, VFS_OP_COUNT } vfs_op;

/* Answers 0, or the SQLite error code the call of `op` on a file of kind `file` (the main
** database, its -wal or -journal: proto/disk.h) fails with. */
typedef int (*vfs_fault_fn)(void *ctx, vfs_op op, disk_file file);

/* Sets the hook asked before each read, write and sync of a tracked file (NULL: none). */
void vfs_set_fault_hook(vfs_fault_fn fn, void *ctx);
/* "read", "write", "sync". */
const char *vfs_op_name(vfs_op op);
/* The error a disk fault ("full", "eio", "fsync_fail") gives a call of `op`: SQLITE_FULL,
** SQLITE_IOERR_READ / _WRITE / _FSYNC; 0 for an unknown fault. */
int vfs_fault_code(vfs_op op, const char *fault);

/* Sync points (explore --power): called after each xSync of a tracked file that the VFS
** recorded (a failed one is not a sync), with the file's name as the journal has it.  A
** power cut right after it finds that file durable.  The hook may not return (the host's
** crash at a failpoint): everything the sync recorded is noted by then. */
typedef void (*vfs_sync_fn)(void *ctx, const char *path);
/* Sets the hook called after each recorded sync (NULL: none). */
void vfs_set_sync_hook(vfs_sync_fn fn, void *ctx);

/* Buffered (on; the name is older than the way): the journal is a shared map of its
** file, and each record is stored straight into it, at its place, with no system call
** and no copy through the kernel; the file is longer than the journal, and an end mark
** (proto/disk.h) always follows the last record, so a SIGKILL at any instant leaves a
** whole journal of every record stored (a store into a shared map is in the file at
** once).  An emptied journal is an end mark after the magic: the file's pages are
** written over, not freed.  If the map cannot be made the records are written as off.
** Off (the default): each record is written with write() before the change it undoes,
** and the file ends where the journal does.  Either way nothing waits in memory. */
void vfs_set_buffered(int on);
/* Nothing is ever held (above): 0.  Kept for the host, which calls it before each reply
** so that a journal that did wait in memory would be written before a SIGKILL can come. */
int vfs_flush(void);

/* A step begins: until the next, nothing but this process writes the database files,
** so the VFS keeps each file's size instead of asking for it before every write.  A
** process that never calls it asks every time. */
void vfs_step_begin(void);

/* Records and bytes appended to the journal by this process (for a bench). */
void vfs_stats(uint64_t *records, uint64_t *bytes);

#endif
