/*
** lock.h: one writer per results directory.
**
** A run (`outbox-sim run --out DIR`: its DIR/<scenario>/<seed>) and a sweep (its --out
** directory) write many files; two writers in one directory corrupt each other without a
** word.  So a writer first takes an exclusive flock(2) on DIR/.lock and holds it until it
** exits: the kernel drops it however the process ends (even SIGKILL), so a lock is never
** stale, and the file left behind means nothing by itself.  The file holds the pid of the
** last holder, for the refusal's message only.  The name ".lock" is shared by every
** writer: a dot-file, so a run's own clean-up of its directory never removes it.
**
** The descriptor is close-on-exec: a child that execs holds no lock.  A child that only
** forks (the janitor, proc.h) shares it, and so keeps the directory locked until it too
** is done.
*/
#ifndef SIM_UTIL_LOCK_H
#define SIM_UTIL_LOCK_H

#include <stddef.h>

#define LOCK_FILE ".lock"

/* Creates dir (and its parents) and locks it.  Returns the lock's descriptor (>= 0,
** keep it open to hold the lock), or -1 with one line in err: "DIR is in use by another
** outbox-sim (pid N)" when another writer holds it (*busy = 1), or why the lock could not
** be taken (*busy = 0). */
int lock_dir(const char *dir, int *busy, char *err, size_t cap);
/* Releases a lock taken by lock_dir (fd < 0: nothing to do). */
void lock_release(int fd);

#endif
