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
*/
#ifndef OX_STORE_H
#define OX_STORE_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "config.h"
#include "service.h"

#define OX_PATH_MAX 1024

typedef struct {
    sqlite3 *db;
    sqlite3_stmt *begin, *commit, *rollback;
    char path[OX_PATH_MAX];
    char *err;             /* the service's error buffer */
    size_t errlen;
} ox_store;

/* Opens or creates `path` as the database of `role`; on failure returns OX_ERR_DB or
** OX_ERR_FOREIGN_DB with the reason in err (the store stays closed). */
ox_status ox_store_open(ox_store *st, ox_role role, const char *path, ox_sync sync,
                        char *err, size_t errlen);
void ox_store_close(ox_store *st);

/* Prepares sql once (persistent); OX_ERR_DB on failure. */
ox_status ox_store_prepare(ox_store *st, sqlite3_stmt **out, const char *sql);
void ox_store_finalize(sqlite3_stmt **stmt);

/* Reports a failure of `what` with SQLite's message; returns OX_ERR_DB. */
ox_status ox_store_fail(ox_store *st, const char *what);

/* Runs a statement that returns no rows; *changes (may be NULL) gets the rows it
** changed.  The statement is reset and its bindings cleared. */
ox_status ox_store_run(ox_store *st, sqlite3_stmt *stmt, const char *what, int *changes);
/* Steps a query: 1 a row is ready, 0 done (the statement is then reset), -1 error
** (reset, error reported).  The caller resets it when it stops before done. */
int ox_store_row(ox_store *st, sqlite3_stmt *stmt, const char *what);
void ox_store_reset(sqlite3_stmt *stmt);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK.  A failed COMMIT rolls back. */
ox_status ox_store_begin(ox_store *st);
ox_status ox_store_commit(ox_store *st);
void ox_store_rollback(ox_store *st);

#endif
