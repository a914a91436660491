/*
** ctl.h: what the parts of bin/outbox-ctl share.
**
**   main.c      the command line
**   db.c        opening a payment database safely (never creating one), time and id
**               formatting
**   list.c      `list` and `stats`: read-only views of the outbox table
**   show.c      `show ID`: one row, its payment, refund, alerts and payload
**   requeue.c   `requeue ID`: a DEAD row back to SENDING
** Every command returns the exit code (proto/exit.h): OX_EXIT_OK done, OX_EXIT_FAIL
** the row is missing or in the wrong state, OX_EXIT_USAGE bad usage or not a payment
** database, OX_EXIT_HARNESS SQLite failed.
*/
#ifndef CTL_H
#define CTL_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "../proto/exit.h"

#define CTL_DEFAULT_LIMIT 100

typedef struct {
    sqlite3 *db;
    const char *path;
} ctl_db;

/* Opens an existing payment database, read-only unless `writable`, and checks that it
** is one (application_id and user_version).  Returns OX_EXIT_OK, or the exit code
** having printed one line. */
ox_exit ctl_open(ctl_db *c, const char *path, int writable);
void ctl_close(ctl_db *c);
/* Prints "outbox-ctl: PATH: <what>: <SQLite's message>" and returns OX_EXIT_HARNESS. */
ox_exit ctl_sql_fail(const ctl_db *c, const char *what);
/* Prepares sql; on failure reports it and returns NULL. */
sqlite3_stmt *ctl_prepare(const ctl_db *c, const char *sql);

/* CLOCK_REALTIME in epoch milliseconds, the clock the services write. */
int64_t ctl_now_ms(void);
/* "2024-01-31T12:00:00.250Z" */
void ctl_iso(int64_t ms, char *out, size_t cap);
/* "750 ms", "12.5 s", "3.2 min", "1.5 h", "2.0 d" */
void ctl_span(int64_t ms, char *out, size_t cap);
/* "12.34" from 1234 cents. */
void ctl_money(int64_t cents, char *out, size_t cap);
/* Parses a row id (1..INT64_MAX): OX_EXIT_OK, or OX_EXIT_USAGE having printed
** "outbox-ctl: CMD: bad id 'x': ...". */
ox_exit ctl_parse_id(const char *cmd, const char *s, int64_t *id);

ox_exit ctl_list(ctl_db *c, const char *status, int64_t limit);
ox_exit ctl_stats(ctl_db *c);
ox_exit ctl_show(ctl_db *c, int64_t id);
ox_exit ctl_requeue(ctl_db *c, int64_t id);
ox_exit ctl_requeue_all(ctl_db *c);

#endif
