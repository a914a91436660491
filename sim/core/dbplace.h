/*
** dbplace.h: where the services' databases live while a run is under way.
**
** A run's databases belong in its run dir (the checker, outbox-ctl and people read
** them there), but the services write them thousands of times per virtual minute,
** and on a disk file system every WAL append also journals the file's metadata.
** The simulator simulates process crashes, not power loss, so durability to the
** disk buys nothing during the run.  So:
**
**   dbplace_link()  puts <run_dir>/<name>.db as a symlink to <tmp_dir>/<name>.db, the
**                   private temp dir (tmpfs when /dev/shm exists).  Everything that
**                   names the run dir's path (the services' --db, outbox-ctl in a
**                   scenario, the convergence probe) reaches the fast file, and SQLite
**                   puts -wal and -shm beside the symlink's target.
**   dbplace_keep()  after every service has stopped or been killed: copies the
**                   database and whatever -wal and -shm a crash left into the run dir,
**                   each replacing its symlink (or absence) by a rename, so the run dir
**                   holds exactly what a crash or a clean stop left on disk.
**
** A simulator that is SIGKILLed cannot copy back; its janitor does, at once (janitor.h):
** the run dir then holds the databases as the kill left them, and no symlink.  Only if
** the janitor is killed too does the run dir keep dangling symlinks until the next run
** into it, and the temp dir until the next run anywhere (proc.c, remove_stale_dirs).
**
** OUTBOX_SIM_TMPDB=0 turns this off (the databases are written in the run dir
** directly): for benchmarks that measure what it saves.
*/
#ifndef SIM_DBPLACE_H
#define SIM_DBPLACE_H

#include <stddef.h>

/* 1 unless OUTBOX_SIM_TMPDB=0. */
int dbplace_enabled(void);
/* Both return 0, or -1 with one line in err. */
int dbplace_link(const char *tmp_dir, const char *run_dir, const char *name, char *err,
                 size_t errlen);
/* Copies the file src to dst (through dst.tmp and a rename); 0, or -1 with err.  For
** other files of a node that live in the temp dir during a run (sim/core/diskf.h). */
int dbplace_copy(const char *src, const char *dst, char *err, size_t errlen);
int dbplace_keep(const char *tmp_dir, const char *run_dir, const char *name, char *err,
                 size_t errlen);

#endif
