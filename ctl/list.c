/*
** list.c: `list` and `stats`, the read-only views of the outbox table.
**
** Both read inside one transaction, so the counts and rows they print are one
** snapshot even while a live payment daemon keeps writing.
*/
#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"

static ox_exit begin(const ctl_db *c) {
    return sqlite3_exec(c->db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK ? OX_EXIT_OK
                                                                       : ctl_sql_fail(c, "BEGIN");
}

static void end(const ctl_db *c) { sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL); }

/* SELECT COUNT(*) ... with an optional text parameter. */
static ox_exit count(const ctl_db *c, const char *sql, const char *param, int64_t *out) {
    sqlite3_stmt *st = ctl_prepare(c, sql);
    if (st == NULL) return OX_EXIT_HARNESS;
    if (param) sqlite3_bind_text(st, 1, param, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) *out = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? OX_EXIT_OK : ctl_sql_fail(c, sql);
}

static void print_row(sqlite3_stmt *st) {
    char next[40] = "-", updated[40];
    const char *status = (const char *)sqlite3_column_text(st, 2);
    if (status == NULL) status = "?";
    /* next_attempt_at only means something while the row is still being sent */
    if (strcmp(status, "SENDING") == 0) ctl_iso(sqlite3_column_int64(st, 4), next, sizeof next);
    ctl_iso(sqlite3_column_int64(st, 5), updated, sizeof updated);
    printf("%8" PRId64 "  %10" PRId64 "  %-8s  %8" PRId64 "  %-24s  %s\n",
           (int64_t)sqlite3_column_int64(st, 0), (int64_t)sqlite3_column_int64(st, 1), status,
           (int64_t)sqlite3_column_int64(st, 3), next, updated);
}

static ox_exit print_rows(const ctl_db *c, const char *status, int64_t limit, int64_t *shown) {
    const char *sql = status
        ? "SELECT id, payment_id, status, attempts, next_attempt_at, updated_at FROM outbox"
          " WHERE status = ?1 ORDER BY id LIMIT ?2"
        : "SELECT id, payment_id, status, attempts, next_attempt_at, updated_at FROM outbox"
          " ORDER BY id LIMIT ?2";
    sqlite3_stmt *st = ctl_prepare(c, sql);
    if (st == NULL) return OX_EXIT_HARNESS;
    if (status) sqlite3_bind_text(st, 1, status, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, limit);
    int rc;
    *shown = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*shown == 0)
            printf("%8s  %10s  %-8s  %8s  %-24s  %s\n", "id", "payment", "status", "attempts",
                   "next attempt (UTC)", "updated (UTC)");
        print_row(st);
        ++*shown;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? OX_EXIT_OK : ctl_sql_fail(c, "select outbox rows");
}

ox_exit ctl_list(ctl_db *c, const char *status, int64_t limit) {
    assert(c->db != NULL);
    assert(limit > 0);
    int64_t total = 0, shown = 0;
    ox_exit code = begin(c);
    if (code != OX_EXIT_OK) return code;
    code = status ? count(c, "SELECT COUNT(*) FROM outbox WHERE status = ?1", status, &total)
                  : count(c, "SELECT COUNT(*) FROM outbox", NULL, &total);
    if (code == OX_EXIT_OK) code = print_rows(c, status, limit, &shown);
    end(c);
    if (code != OX_EXIT_OK) return code;
    assert(shown >= 0);
    assert(shown <= total);   /* one snapshot: the rows shown are among those counted */
    if (total == 0) printf("no %s%soutbox rows\n", status ? status : "", status ? " " : "");
    else if (shown < total)
        printf("(%" PRId64 " of %" PRId64 " rows shown; --limit N shows more)\n", shown, total);
    return OX_EXIT_OK;
}

/* ---- stats ------------------------------------------------------------------ */

static const char *const STATUSES[] = { "SENDING", "CONSUMED", "FAILED", "DEAD" };

static ox_exit print_oldest_sending(const ctl_db *c) {
    assert(c->clock.kind != CTL_NOW_AUTO);   /* ctl_clock_set ran */
    sqlite3_stmt *st = ctl_prepare(c,
        "SELECT id, payment_id, created_at, attempts FROM outbox WHERE status = 'SENDING'"
        " ORDER BY created_at, id LIMIT 1");
    if (st == NULL) return OX_EXIT_HARNESS;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        char age[32], at[40];
        int64_t created = sqlite3_column_int64(st, 2);
        ctl_span(c->clock.ms - created, age, sizeof age);
        ctl_iso(created, at, sizeof at);
        printf("oldest SENDING  %s (row %" PRId64 ", payment %" PRId64 ", %" PRId64
               " attempts, created %s)\n", age, (int64_t)sqlite3_column_int64(st, 0),
               (int64_t)sqlite3_column_int64(st, 1), (int64_t)sqlite3_column_int64(st, 3), at);
    } else if (rc == SQLITE_DONE) {
        printf("oldest SENDING  -\n");
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return ctl_sql_fail(c, "select oldest SENDING row");
    if (rc == SQLITE_ROW) ctl_clock_print(c, "ages as of", 16);
    return OX_EXIT_OK;
}

static ox_exit print_stats(const ctl_db *c) {
    int64_t n, total = 0;
    printf("outbox rows\n");
    for (size_t i = 0; i < sizeof STATUSES / sizeof STATUSES[0]; i++) {
        const char *sql = "SELECT COUNT(*) FROM outbox WHERE status = ?1";
        if (count(c, sql, STATUSES[i], &n) != OX_EXIT_OK) return OX_EXIT_HARNESS;
        printf("  %-9s %10" PRId64 "\n", STATUSES[i], n);
        total += n;
    }
    if (count(c, "SELECT COUNT(*) FROM outbox", NULL, &n) != OX_EXIT_OK) return OX_EXIT_HARNESS;
    if (n != total) printf("  %-9s %10" PRId64 "\n", "other", n - total);
    printf("  %-9s %10" PRId64 "\n", "total", n);
    if (count(c, "SELECT COUNT(*) FROM payment", NULL, &n) != OX_EXIT_OK) return OX_EXIT_HARNESS;
    printf("payments        %" PRId64 "\n", n);
    if (count(c, "SELECT COUNT(*) FROM refund", NULL, &n) != OX_EXIT_OK) return OX_EXIT_HARNESS;
    printf("refunds         %" PRId64 "\n", n);
    if (count(c, "SELECT COUNT(*) FROM alert", NULL, &n) != OX_EXIT_OK) return OX_EXIT_HARNESS;
    printf("alerts          %" PRId64 "\n", n);
    return print_oldest_sending(c);
}

ox_exit ctl_stats(ctl_db *c) {
    assert(c->db != NULL);
    ox_exit code = begin(c);
    if (code != OX_EXIT_OK) return code;
    code = print_stats(c);
    end(c);
    return code;
}
