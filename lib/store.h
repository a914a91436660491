/*
** store.h: a service's SQLite database: open it safely, and run statements with every
** return code checked.
**
** ox_store_open() either opens this role's database (creating it with schema.h's
** tables if the file is new or empty) or refuses the file without writing to it: a
** file that is not SQLite, or carries another application_id or another role's
** user_version, is OX_ERR_FOREIGN_DB.  The identity is checked on a read-only
** connection first, so a foreign file is never opened for writing at all.
**
** The run/step helpers reset their statement on every path, so a prepared statement
** is always ready for its next use, and turn a failure into one error line naming the
** file and what was being done ("payment.db: insert outbox: disk I/O error").
**
** The foundations layer (service.h, Layers): includes only leaves (config.h, role.h,
** status.h).
**
** Durability barrier (config.h, durable_send): ox_store_barrier() syncs the WAL through
** the VFS when anything was committed since the last barrier, so what was committed
** survives a power cut from then on.  Under synchronous=off it syncs the database file
** too: there a checkpoint copies the WAL into it without a sync and then starts the WAL
** over, so the WAL alone would not hold what was checkpointed.  (Under normal and above
** the checkpoint syncs the database itself: one sync per barrier is enough.)  The roles
** call it before every send (svc.c) and a group calls it after its COMMIT; it does
** nothing unless the store was opened with durable_send under journal_mode=wal, nor
** inside a transaction (the transaction's end is the moment that counts).
**
** Groups (group commit, service.h): between ox_store_group_begin() and
** ox_store_group_end() one BEGIN IMMEDIATE transaction is open, and every
** ox_store_begin/commit/rollback inside it becomes SAVEPOINT / RELEASE / ROLLBACK TO +
** RELEASE, so each piece of work still succeeds or fails alone while only
** ox_store_group_end() commits.  If SQLite itself ends the group's transaction (an
** I/O error, a full disk, a trigger's RAISE(ROLLBACK)), the group is marked lost: every
** later write in it fails, and ox_store_group_end() reports OX_ERR_DB.
*/
#ifndef OX_STORE_H
#define OX_STORE_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "config.h"
#include "role.h"
#include "status.h"

#define OX_PATH_MAX 1024

typedef struct {
    sqlite3 *db;
    sqlite3_stmt *begin, *commit, *rollback;
    sqlite3_stmt *savepoint, *release, *rollback_to;   /* the same inside a group */
    int tx;                /* between ox_store_begin and its commit or rollback */
    int group;             /* between ox_store_group_begin and ox_store_group_end */
    int group_lost;        /* SQLite ended the group's transaction: nothing will commit */
    int barrier;           /* durable_send under wal: ox_store_barrier syncs the WAL ... */
    int barrier_db;        /* ... and the database too (synchronous=off: store.h) */
    int64_t synced_changes; /* sqlite3_total_changes64 at the last barrier */
    int sync;              /* the ox_sync level the knobs gave (ox_store_durable restores it) */
    char path[OX_PATH_MAX];
    char *err;             /* the service's error buffer */
    size_t errlen;
} ox_store;

/* Opens or creates `path` as the database of `role`, in cfg's journal_mode and
** synchronous (cfg resolved for the role: config.h); on failure returns OX_ERR_DB or
** OX_ERR_FOREIGN_DB with the reason in err (the store stays closed). */
ox_status ox_store_open(ox_store *st, ox_role role, const char *path, const ox_config *cfg,
                        char *err, size_t errlen);
void ox_store_close(ox_store *st);

/* Prepares sql once (persistent); OX_ERR_DB on failure. */
ox_status ox_store_prepare(ox_store *st, sqlite3_stmt **out, const char *sql);
void ox_store_finalize(sqlite3_stmt **stmt);

/* Reports a failure of `what` with SQLite's message; returns OX_ERR_DB. */
ox_status ox_store_fail(ox_store *st, const char *what);

/* A bind's result (`rc`): a bind that copies its value (SQLITE_TRANSIENT) allocates,
** and when memory runs out it fails and leaves the parameter NULL, so the statement
** would store a NULL, or fail on a NOT NULL constraint that names the column, not the
** cause.  OX_OK if it bound; else the statement is reset, the failure reported as "PATH:
** what: out of memory" and OX_ERR_DB returned, and the statement must not be run. */
ox_status ox_store_bound(ox_store *st, sqlite3_stmt *stmt, int rc, const char *what);

/* Runs a statement that returns no rows; *changes (may be NULL) gets the rows it
** changed.  The statement is reset and its bindings cleared. */
ox_status ox_store_run(ox_store *st, sqlite3_stmt *stmt, const char *what, int *changes);
/* Steps a query: 1 a row is ready, 0 done (the statement is then reset), -1 error
** (reset, error reported).  The caller resets it when it stops before done. */
int ox_store_row(ox_store *st, sqlite3_stmt *stmt, const char *what);
void ox_store_reset(sqlite3_stmt *stmt);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK (inside a group: SAVEPOINT / RELEASE /
** ROLLBACK TO + RELEASE).  A failed COMMIT rolls back.  After a rollback no
** transaction is open; inside a group, the piece of work's savepoint is gone and the
** group's transaction is still open (or the group is lost). */
ox_status ox_store_begin(ox_store *st);
ox_status ox_store_commit(ox_store *st);
void ox_store_rollback(ox_store *st);

/* The durability barrier (above): OX_OK, or OX_ERR_DB when a sync failed (then nothing
** may be sent that claims the commit: its durability is unknown). */
ox_status ox_store_barrier(ox_store *st);

/* Durable commits, whatever the knobs: on, synchronous=EXTRA (every commit synced, a
** rollback journal's unlink too, so a power cut cannot take it back); off, the level the
** knobs gave again.  For a write whose loss would be a bug rather than a lost update
** (the broker's incarnation, brokerdb.c).  No transaction may be open.  OX_OK or
** OX_ERR_DB. */
ox_status ox_store_durable(ox_store *st, int on);

/* Opens a group: BEGIN IMMEDIATE.  No transaction may be open. */
ox_status ox_store_group_begin(ox_store *st);
/* Ends it: COMMIT, then the barrier; on failure (or a lost group) rolls back and
** returns OX_ERR_DB.  Either way no transaction is open afterwards. */
ox_status ox_store_group_end(ox_store *st);
static inline int ox_store_in_group(const ox_store *st) { return st->group; }

#endif
