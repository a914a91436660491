/*
** herrors.h: errors_reported and errors_explained (history.h), a pair: a disk call that
** failed fails its step, and a step that failed had a fault behind it.
**
** The simulated disk (node/vfs.h) fails the calls a scenario's disk{} fault names, and
** the trace shows each as a "disk_fault" line after the step's other effects.  A node
** must treat it as the ordinary SQLite error it is (docs/protocol.md, "The disk"): roll
** back and say so.  So the step of node N at time t with a failed write, read or sync
** must also show, at t, one of: an "error" or "fatal" note of N; a reply other than ok
** to the client's payment (N payment: a PAY step); a crash, power cut or failed START of
** N.  A step that shows none went on as if the call had succeeded: a handler that
** swallowed the error and acked the delivery whose transaction rolled back, or told the
** client OK.
**
** Judged are only the calls whose failure SQLite always hands to the statement that made
** them, as the line's "file" says (proto/disk.h): a write of the WAL or the rollback
** journal, a sync of the journal, a read of the main database.  The others SQLite may
** absorb, and then the step rightly goes on: the checkpoint it runs by itself after a
** commit writes and syncs the database and reads and syncs the WAL, and ignores its own
** errors (sqlite3WalDefaultHook); some failed allocations are benign (a cache it can do
** without).  A line naming no file (a node that does not say) is not judged.
**
** The signs may come before the disk_fault line (notes) or after it (the reply), so a
** fault is judged once the trace's time has moved past its step, or at the end.
**
** errors_explained is the converse.  Each "error" or "fatal" note of node N at time t must
** have a fault behind it: a "disk_fault" line of N at t (any call, any file: a failed
** allocation or checkpoint write may fail a statement too), or, for N's database, a
** tamper{} that acted before (a database changed from outside may be refused at every
** START after it).  An error with neither is the service's own: a constraint it broke, a
** statement it misused, a lock it left open (a read statement never reset keeps its
** snapshot, and another writer's commit then makes every write of it fail with
** SQLITE_BUSY), an assumption about its data that did not hold.  The outbox converges
** despite many such bugs (the scan republishes, the broker redelivers), which is why the
** end state forgives them and this check does not.  The disk_fault lines come after the
** step's notes, so an error is judged once the trace's time has moved past its step.
** Memory: a pending fault, a pending error, and the time of the latest sign, per node slot.
*/
#ifndef SIM_HERRORS_H
#define SIM_HERRORS_H

#include "history.h"

typedef struct herrors herrors;

herrors *herrors_new(void);   /* NULL: out of memory */
void herrors_event(herrors *x, history_sink *s, const history_ev *e);
void herrors_end(herrors *x, history_sink *s);   /* the faults of the last steps */
void herrors_free(herrors *x);

#endif
