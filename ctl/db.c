/*
** db.c: opening a payment database for the operator, and formatting its values.
**
** The tool never creates a database (a typo in --db must not leave an empty file
** behind), opens it read-only unless the command writes, and refuses a file that is
** not an outbox-lab payment database before reading anything else from it.
*/
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "../lib/schema.h"
#include "ctl.h"

#define BUSY_TIMEOUT_MS 5000   /* a live payment daemon may hold the write lock briefly */

ox_exit ctl_sql_fail(const ctl_db *c, const char *what) {
    assert(c->path != NULL);
    assert(what != NULL);
    fprintf(stderr, "outbox-ctl: %s: %s: %s\n", c->path, what, sqlite3_errmsg(c->db));
    return OX_EXIT_HARNESS;
}

sqlite3_stmt *ctl_prepare(const ctl_db *c, const char *sql) {
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK) {
        ctl_sql_fail(c, "prepare");
        sqlite3_finalize(st);
        return NULL;
    }
    return st;
}

static ox_exit not_ours(const ctl_db *c, const char *why) {
    fprintf(stderr, "outbox-ctl: %s: not an outbox-lab payment database (%s)\n", c->path, why);
    return OX_EXIT_USAGE;
}

/* Reads one integer pragma.  SQLITE_NOTADB means the file is not SQLite at all. */
static ox_exit pragma_int(const ctl_db *c, const char *sql, int64_t *out) {
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(c->db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK) rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) *out = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (rc == SQLITE_ROW) return OX_EXIT_OK;
    if (rc == SQLITE_NOTADB) return not_ours(c, "not an SQLite file");
    return ctl_sql_fail(c, sql);
}

static const char *role_of(int64_t user_version) {
    switch (user_version) {
    case OX_SCHEMA_ACCOUNTING: return "it is an accounting database";
    case OX_SCHEMA_BROKER: return "it is a broker database";
    default: return "unknown user_version";
    }
}

static ox_exit verify(const ctl_db *c) {
    int64_t app = 0, version = 0;
    ox_exit code = pragma_int(c, "PRAGMA application_id", &app);
    if (code == OX_EXIT_OK) code = pragma_int(c, "PRAGMA user_version", &version);
    if (code != OX_EXIT_OK) return code;
    if (app != OX_APP_ID) return not_ours(c, "application_id is not OXBL");
    if (version != OX_SCHEMA_PAYMENT) return not_ours(c, role_of(version));
    return OX_EXIT_OK;
}

ox_exit ctl_open(ctl_db *c, const char *path, int writable) {
    assert(c != NULL);
    assert(path != NULL);
    c->db = NULL;
    c->path = path;
    c->clock = (ctl_clock){ .kind = CTL_NOW_AUTO };   /* not chosen yet */
    struct stat sb;
    if (stat(path, &sb) != 0) {
        fprintf(stderr, "outbox-ctl: %s: %s\n", path, strerror(errno));
        return OX_EXIT_USAGE;
    }
    if (!S_ISREG(sb.st_mode)) {
        fprintf(stderr, "outbox-ctl: %s: not a regular file\n", path);
        return OX_EXIT_USAGE;
    }
    /* Never CREATE.  Read-only commands still open read-write, with query_only on: a
    ** read-only connection to a WAL database cannot remove the -wal and -shm files it
    ** made, and an operator's look must leave nothing behind. */
    if (sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        ox_exit code = ctl_sql_fail(c, "open");
        ctl_close(c);
        return code;
    }
    if (!writable && sqlite3_exec(c->db, "PRAGMA query_only=1", NULL, NULL, NULL) != SQLITE_OK) {
        ox_exit code = ctl_sql_fail(c, "PRAGMA query_only");
        ctl_close(c);
        return code;
    }
    sqlite3_busy_timeout(c->db, BUSY_TIMEOUT_MS);
    ox_exit code = verify(c);
    if (code != OX_EXIT_OK) ctl_close(c);
    assert((code == OX_EXIT_OK) == (c->db != NULL));   /* open on success, closed otherwise */
    return code;
}

void ctl_close(ctl_db *c) {
    if (c->db != NULL) sqlite3_close(c->db);
    c->db = NULL;
}

int64_t ctl_now_ms(void) {
    struct timespec ts;
    int rc = clock_gettime(CLOCK_REALTIME, &ts);
    assert(rc == 0);
    (void)rc;
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void ctl_iso(int64_t ms, char *out, size_t cap) {
    /* floor division, so times before 1970 still print correctly */
    int64_t sec = ms / 1000, frac = ms % 1000;
    if (frac < 0) { frac += 1000; sec -= 1; }
    time_t t = (time_t)sec;
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL) { snprintf(out, cap, "(%" PRId64 " ms)", ms); return; }
    char day[32];
    strftime(day, sizeof day, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, cap, "%s.%03dZ", day, (int)frac);
}

void ctl_span(int64_t ms, char *out, size_t cap) {
    int64_t a = ms < 0 ? -ms : ms;
    const char *sign = ms < 0 ? "-" : "";
    if (a < 1000) snprintf(out, cap, "%s%" PRId64 " ms", sign, a);
    else if (a < 60 * 1000) snprintf(out, cap, "%s%.1f s", sign, a / 1000.0);
    else if (a < 3600 * 1000) snprintf(out, cap, "%s%.1f min", sign, a / 60000.0);
    else if (a < 86400 * 1000) snprintf(out, cap, "%s%.1f h", sign, a / 3600000.0);
    else snprintf(out, cap, "%s%.1f d", sign, a / 86400000.0);
}

void ctl_money(int64_t cents, char *out, size_t cap) {
    /* exact, no floating point: cents may be any int64 */
    uint64_t a = cents < 0 ? (uint64_t)0 - (uint64_t)cents : (uint64_t)cents;
    snprintf(out, cap, "%s%" PRIu64 ".%02" PRIu64, cents < 0 ? "-" : "", a / 100, a % 100);
}

ox_exit ctl_parse_id(const char *cmd, const char *s, int64_t *id) {
    char *end = (char *)s;
    errno = 0;
    long long v = (s[0] >= '0' && s[0] <= '9') ? strtoll(s, &end, 10) : -1;
    if (v < 1 || errno != 0 || *end != '\0') {
        fprintf(stderr,
                "outbox-ctl: %s: bad id '%s': expected an outbox row id (a positive integer)\n",
                cmd, s);
        return OX_EXIT_USAGE;
    }
    *id = v;
    return OX_EXIT_OK;
}
