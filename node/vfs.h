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
*/
#ifndef VFS_H
#define VFS_H

#include <stddef.h>
#include <stdint.h>

#define VFS_NAME "outbox-disk"
#define VFS_ENV "OUTBOX_DISK"

/* Registers the VFS as SQLite's default, its journal DIR/disk.journal (DIR must exist;
** a journal left by an earlier life of the node is kept, its torn tail cut off).
** Call once, before any database is opened.  -1 with err on failure. */
int vfs_install(const char *dir, uint64_t seed, char *err, size_t cap);

/* Records and bytes appended to the journal by this process (for a bench). */
void vfs_stats(uint64_t *records, uint64_t *bytes);

#endif
