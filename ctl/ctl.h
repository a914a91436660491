/*
** ctl.h: what the parts of bin/outbox-ctl share.
**
**   main.c      the command line
**   db.c        opening a payment database safely (never creating one), time and id
**               formatting
**   list.c      `list` and `stats`: read-only views of the outbox table
**   show.c      `show ID`: one row, its payment, refund, alerts and payload
**   requeue.c   `requeue ID`: a DEAD row back to SENDING
** Every command returns the exit code: 0 done, 1 the row is missing or in the wrong
** state, 2 bad usage or not a payment database, 3 SQLite failed.
*/
#ifndef CTL_H
#define CTL_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#define CTL_OK 0
#define CTL_NOT_FOUND 1
#define CTL_USAGE 2
#define CTL_RUNTIME 3

#define CTL_DEFAULT_LIMIT 100

typedef struct {
    sqlite3 *db;
    const char *path;
} ctl_db;

/* Opens an existing payment database, read-only unless `writable`, and checks that it
** is one (application_id and user_version).  Returns 0 or the exit code, having
** printed one line. */
int ctl_open(ctl_db *c, const char *path, int writable);
void ctl_close(ctl_db *c);
/* Prints "outbox-ctl: PATH: <what>: <SQLite's message>" and returns CTL_RUNTIME. */
int ctl_sql_fail(const ctl_db *c, const char *what);
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
/* Parses a row id (1..INT64_MAX); prints "outbox-ctl: CMD: bad id 'x': ..." on failure. */
int ctl_parse_id(const char *cmd, const char *s, int64_t *id);

int ctl_list(ctl_db *c, const char *status, int64_t limit);
int ctl_stats(ctl_db *c);
int ctl_show(ctl_db *c, int64_t id);
int ctl_requeue(ctl_db *c, int64_t id);
int ctl_requeue_all(ctl_db *c);

#endif
