/*
** janitor.h: a simulator that is SIGKILLed leaves nothing behind.
**
** A run keeps things outside its process while it runs: the private temp dir with the
** services' databases (dbplace.h) and ipc sockets, symlinks to those databases in the
** run dir, and libfaketime's /dev/shm files of each child.  Its own clean-up cannot run
** when it is SIGKILLed, so at its start it forks a janitor: a small process of its own
** (its own process group, deaf to SIGINT, SIGTERM, SIGHUP and SIGQUIT, holding no file
** of the simulator's) that waits on a socket.  The simulator tells it each child it
** starts (with the child's pidfd, so a reused pid can never be mistaken for it) and each
** child it has reaped and cleaned, and finally that it is done.  When the socket ends
** without "done", the simulator died: the janitor waits (bounded) for the children to
** die (PR_SET_PDEATHSIG kills them), removes their libfaketime files, copies the
** databases back into the run dir as a crash left them (from the temp dir, first moved
** to a name no other simulator takes for a stale dir of its own) (dbplace_keep, only where the run
** dir still holds its symlink and no other run holds the run dir's lock, lock.h), removes
** the temp dir, and exits.  So after a SIGKILL the run dir holds real files and nothing
** else remains, within moments; what a run that is itself killed with its janitor (a
** SIGKILL of both) leaves, the next run removes (proc.c, remove_stale).
**
** Fork it before any thread exists (before ZeroMQ's context): the janitor then runs
** single-threaded code only.
*/
#ifndef SIM_JANITOR_H
#define SIM_JANITOR_H

#include <stddef.h>
#include <sys/types.h>

/* At work, the janitor moves the temp dir to <its parent>/.outbox-janitor.<its pid>. */
#define JANITOR_DIR_PREFIX ".outbox-janitor."
/* A janitor has done its work, or given it up, within this long of its simulator's
** death: whoever removes a SIGKILLed run's dir waits that long for it (pool_remove). */
#define JANITOR_DONE_MS 8000

typedef struct {
    pid_t pid;                    /* the janitor, 0 when none */
    int sock;                     /* our end of the socket, -1 when none */
} sim_janitor;

/* Forks the janitor for the temp dir and the run dir.  0, or -1 with err (the run then
** goes on without one: a SIGKILL leaves what the next run removes). */
int janitor_start(sim_janitor *j, const char *tmp_dir, const char *run_dir, char *err,
                  size_t cap);
/* A child was started: the janitor keeps its pidfd (or, without pidfds, its pid). */
void janitor_child(sim_janitor *j, pid_t pid, int pidfd);
/* That child is reaped and its files are removed: the janitor forgets it. */
void janitor_reaped(sim_janitor *j, pid_t pid);
/* Everything is clean: the janitor exits without acting, and is reaped here. */
void janitor_done(sim_janitor *j);

#endif
