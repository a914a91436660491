/*
** ctl.h: what the parts of bin/outbox-ctl share.
**
**   main.c      the command line
**   db.c        opening a payment database safely (never creating one), time and id
**               formatting
**   list.c      `list` and `stats`: read-only views of the outbox table
**   show.c      `show ID`: one row, its payment, refund, alerts and payload
**   requeue.c   `requeue ID`: a DEAD row back to SENDING
**   clock.c     the time ages are measured against: the wall clock, or the database's
**               last write when nobody has written it for CTL_STALE_MS (a finished
**               simulator run's database lives in virtual 2023), or --now
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

/* A database whose newest recorded time is older than this is not being written now:
** its ages are measured at that time, not the wall clock's (clock.c). */
#define CTL_STALE_MS (3600 * 1000)

typedef enum {
    CTL_NOW_AUTO = 0,   /* the wall clock, or the last write of a stale database */
    CTL_NOW_WALL,       /* --now wall */
    CTL_NOW_LAST,       /* --now last: the newest time the database records */
    CTL_NOW_GIVEN       /* --now TIME */
} ctl_now_kind;

typedef struct {
    ctl_now_kind kind;
    int64_t given_ms;   /* CTL_NOW_GIVEN */
} ctl_now;

/* The reference chosen: never CTL_NOW_AUTO once set. */
typedef struct {
    ctl_now_kind kind;
    int64_t ms;         /* ages are measured against this, epoch ms */
    int64_t wall_ms;    /* the wall clock when it was chosen */
    int64_t last_ms;    /* the newest recorded time (0: none, or not read) */
    int stale;          /* CTL_NOW_LAST chosen because the database is stale */
} ctl_clock;

typedef struct {
    sqlite3 *db;
    const char *path;
    ctl_clock clock;    /* set by ctl_clock_set, for the commands that print ages */
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
/* --now VALUE: "wall", "last", epoch milliseconds or "2023-01-01T00:03:00[.250]Z".
** 0, or -1 when it is none of these. */
int ctl_parse_now(const char *s, ctl_now *out);
/* Chooses c->clock for `now` (see CTL_NOW_AUTO); reads the database. */
ox_exit ctl_clock_set(ctl_db *c, const ctl_now *now);
/* "<label>2023-...Z, the database's last write ..." (label padded to width): which
** reference the ages were measured against.  Prints nothing for the wall clock. */
void ctl_clock_print(const ctl_db *c, const char *label, int width);
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
