/*
** clock.c: the time that `stats` and `show` measure ages against (see ctl.h).
**
** The services write their own clock into the database: the wall clock when they run
** live, the virtual clock (days in 2023) when the simulator runs them.  An age measured
** against the wall clock is right for a live database and nonsense for a finished run's
** ("oldest SENDING 1115.8 d").  So the reference is chosen from a fact the database
** holds, its newest recorded time: when that is more than CTL_STALE_MS older than the
** wall clock, nobody is writing it now, and the ages are measured at its last write
** instead, and the output says so.  --now wall|last|TIME overrides the choice.
*/
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"

/* The newest time any table of the payment database records (next_attempt_at is a
** plan, not a record, and is left out).  0 when the database holds no row. */
static const char NEWEST_SQL[] =
    "SELECT max(coalesce((SELECT max(max(created_at, updated_at)) FROM outbox), 0),"
    "           coalesce((SELECT max(created_at) FROM payment), 0),"
    "           coalesce((SELECT max(created_at) FROM refund), 0),"
    "           coalesce((SELECT max(created_at) FROM alert), 0))";

static int all_digits(const char *s) {
    if (*s == '\0') return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9') return 0;
    return 1;
}

/* "2023-01-01T00:03:00Z" or "2023-01-01T00:03:00.250Z" (UTC) into epoch ms. */
static int parse_iso(const char *s, int64_t *ms) {
    int y, mo, d, h, mi, sec, used = 0;
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &used) != 6)
        return -1;
    int frac = 0;
    const char *p = s + used;
    if (*p == '.') {
        int digits = 0;
        for (p++; *p >= '0' && *p <= '9'; p++, digits++)
            if (digits < 3) frac = frac * 10 + (*p - '0');
        if (digits == 0) return -1;
        for (; digits < 3; digits++) frac *= 10;
    }
    if (strcmp(p, "Z") != 0) return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return -1;
    struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
                     .tm_hour = h, .tm_min = mi, .tm_sec = sec };
    time_t t = timegm(&tm);
    if (t == (time_t)-1) return -1;
    *ms = (int64_t)t * 1000 + frac;
    return 0;
}

int ctl_parse_now(const char *s, ctl_now *out) {
    assert(s != NULL);
    assert(out != NULL);
    memset(out, 0, sizeof *out);
    if (strcmp(s, "wall") == 0) { out->kind = CTL_NOW_WALL; return 0; }
    if (strcmp(s, "last") == 0) { out->kind = CTL_NOW_LAST; return 0; }
    out->kind = CTL_NOW_GIVEN;
    if (all_digits(s)) {
        errno = 0;
        long long v = strtoll(s, NULL, 10);
        out->given_ms = v;
        return errno == 0 ? 0 : -1;
    }
    return parse_iso(s, &out->given_ms);
}

static ox_exit newest(const ctl_db *c, int64_t *out) {
    sqlite3_stmt *st = ctl_prepare(c, NEWEST_SQL);
    if (st == NULL) return OX_EXIT_HARNESS;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) *out = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? OX_EXIT_OK : ctl_sql_fail(c, "select the newest recorded time");
}

ox_exit ctl_clock_set(ctl_db *c, const ctl_now *now) {
    assert(c->db != NULL);
    assert(now != NULL);
    c->clock = (ctl_clock){ .ms = ctl_now_ms(), .kind = CTL_NOW_WALL };
    c->clock.wall_ms = c->clock.ms;
    if (now->kind == CTL_NOW_WALL) return OX_EXIT_OK;
    if (now->kind == CTL_NOW_GIVEN) {
        c->clock.kind = CTL_NOW_GIVEN;
        c->clock.ms = now->given_ms;
        return OX_EXIT_OK;
    }
    int64_t last = 0;
    ox_exit code = newest(c, &last);
    if (code != OX_EXIT_OK) return code;
    c->clock.last_ms = last;
    /* An empty database has no last write: its ages (there are none) need no clock. */
    int stale = last > 0 && c->clock.wall_ms - last > CTL_STALE_MS;
    if (last > 0 && (now->kind == CTL_NOW_LAST || stale)) {
        c->clock.kind = CTL_NOW_LAST;
        c->clock.stale = stale;
        c->clock.ms = last;
    }
    return OX_EXIT_OK;
}

void ctl_clock_print(const ctl_db *c, const char *label, int width) {
    const ctl_clock *k = &c->clock;
    assert(k->kind != CTL_NOW_AUTO);   /* ctl_clock_set ran */
    assert(width >= (int)strlen(label));
    if (k->kind == CTL_NOW_WALL) return;   /* the default, as a live operator expects */
    char at[40], gap[32];
    ctl_iso(k->ms, at, sizeof at);
    if (k->kind == CTL_NOW_GIVEN) {
        printf("%-*s%s (--now)\n", width, label, at);
        return;
    }
    assert(k->kind == CTL_NOW_LAST);
    if (!k->stale) {
        printf("%-*s%s, the database's last write (--now last)\n", width, label, at);
        return;
    }
    ctl_span(k->wall_ms - k->ms, gap, sizeof gap);
    printf("%-*s%s, the database's last write: the wall clock is %s later\n", width, label, at,
           gap);
    printf("%-*s(a simulator run's database, or a stopped service; --now wall measures\n", width,
           "");
    printf("%-*sagainst the wall clock)\n", width, "");
}
