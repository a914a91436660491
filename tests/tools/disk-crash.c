/*
** disk-crash.c: real transactions on a real database through the simulated disk
** (node/vfs.h), and the power cut after a SIGKILL (proto/disk.h), for
** tests/system/disk.sh and a figure of the VFS's cost.
**
**   disk-crash run DB DIR wal|delete off|normal|full|extra SEED COUNT [KILL]
**       opens DB through the VFS (journal DIR/disk.journal; DIR "-": SQLite's own VFS),
**       commits COUNT transactions (each a payment row, its outbox row and the
**       running total, together) and prints "committed N" after each COMMIT returns,
**       then "tx/s X".  KILL: SIGKILLs itself right after the KILL-th commit.  With
**       DISK_CRASH_BUFFERED=1 in the environment the journal is the VFS's buffered one
**       (vfs_set_buffered: a shared map), never flushed: what a SIGKILL finds there is
**       all the power cut gets.
**   disk-crash cut DB JOURNAL none|random|torn SEED [LIMIT]
**       the power cut; prints what it did per file
**   disk-crash check DB
**       opens DB with SQLite's own VFS (recovering a hot journal or a WAL) and prints
**       "rows N" when integrity_check says ok and the three tables agree (every
**       payment 1..N has its outbox row, the total counts N): the committed
**       transactions are all there whole and nothing half-applied is.  Exit 1 if not.
** Exit 0 ok, 1 a check failed or the cut was refused, 2 bad usage, 3 setup failed.
*/
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "../../node/vfs.h"
#include "../../proto/disk.h"

static const char usage[] =
    "usage: disk-crash run DB DIR wal|delete off|normal|full|extra SEED COUNT [KILL]\n"
    "       disk-crash cut DB JOURNAL none|random|torn SEED [LIMIT]\n"
    "       disk-crash check DB\n";

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS pay(id INTEGER PRIMARY KEY, amount INTEGER, pad BLOB);"
    "CREATE TABLE IF NOT EXISTS outbox(id INTEGER PRIMARY KEY, pay INTEGER UNIQUE, body BLOB);"
    "CREATE TABLE IF NOT EXISTS total(k INTEGER PRIMARY KEY, n INTEGER, sum INTEGER);"
    "INSERT OR IGNORE INTO total VALUES (0, 0, 0);";

static const char txn[] =
    "BEGIN;"
    "INSERT INTO pay VALUES (?1, ?1 * 7, randomblob(300));"
    "INSERT INTO outbox(pay, body) VALUES (?1, randomblob(200));"
    "UPDATE total SET n = n + 1, sum = sum + ?1 * 7;"
    "COMMIT;";

static int fail(sqlite3 *db, const char *what) {
    fprintf(stderr, "disk-crash: %s: %s\n", what, db ? sqlite3_errmsg(db) : "no database");
    sqlite3_close(db);
    return 3;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One transaction: the statements of txn, each bound to id. */
static int commit_one(sqlite3 *db, sqlite3_int64 id) {
    const char *sql = txn;
    while (*sql) {
        sqlite3_stmt *st;
        const char *rest;
        if (sqlite3_prepare_v2(db, sql, -1, &st, &rest) != SQLITE_OK) return -1;
        if (st == NULL) break;
        if (sqlite3_bind_parameter_count(st) > 0) sqlite3_bind_int64(st, 1, id);
        int rc = sqlite3_step(st);
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE) return -1;
        sql = rest;
    }
    return 0;
}

static int cmd_run(char **argv, int argc) {
    const char *dbpath = argv[2], *dir = argv[3], *mode = argv[4], *sync = argv[5];
    uint64_t seed = strtoull(argv[6], NULL, 10);
    long count = atol(argv[7]), kill_at = argc > 8 ? atol(argv[8]) : 0;
    char err[600], sql[200];
    if (strcmp(dir, "-") != 0 && vfs_install(dir, seed, err, sizeof err) != 0) {
        fprintf(stderr, "disk-crash: %s\n", err);
        return 3;
    }
    const char *buffered = getenv("DISK_CRASH_BUFFERED");
    if (buffered != NULL && strcmp(buffered, "1") == 0) vfs_set_buffered(1);
    sqlite3 *db = NULL;
    if (sqlite3_open(dbpath, &db) != SQLITE_OK) return fail(db, "open");
    snprintf(sql, sizeof sql, "PRAGMA journal_mode=%s; PRAGMA synchronous=%s;"
             "PRAGMA wal_autocheckpoint=100;", mode, sync);
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) return fail(db, "pragmas");
    if (sqlite3_exec(db, schema, NULL, NULL, NULL) != SQLITE_OK) return fail(db, "schema");
    sqlite3_stmt *st;
    sqlite3_int64 next = 1;
    if (sqlite3_prepare_v2(db, "SELECT coalesce(max(id), 0) + 1 FROM pay", -1, &st, NULL) ==
            SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        next = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    setvbuf(stdout, NULL, _IOLBF, 0);
    double t0 = now_s();
    for (long i = 1; i <= count; i++, next++) {
        if (commit_one(db, next) != 0) return fail(db, "transaction");
        printf("committed %lld\n", (long long)next);
        if (i == kill_at) raise(SIGKILL);
    }
    double dt = now_s() - t0;
    printf("tx/s %.0f\n", dt > 0 ? (double)count / dt : 0.0);
    return sqlite3_close(db) == SQLITE_OK ? 0 : fail(db, "close");
}

static int cmd_cut(char **argv, int argc) {
    disk_keep keep;
    if (disk_keep_parse(argv[4], &keep) != 0) {
        fputs(usage, stderr);
        return 2;
    }
    uint64_t seed = strtoull(argv[5], NULL, 10);
    size_t limit = argc > 6 ? (size_t)strtoull(argv[6], NULL, 10) : DISK_LIMIT_DEFAULT;
    disk_loss loss;
    char err[700];
    if (disk_power_cut(argv[3], argv[2], keep, seed, limit, &loss, err, sizeof err) != 0) {
        fprintf(stderr, "disk-crash: power cut: %s\n", err);
        return 1;
    }
    printf("cut keep=%s: %u records, %llu journal bytes, shm %s\n", disk_keep_name(keep),
           loss.records, (unsigned long long)loss.journal_bytes,
           loss.shm_removed ? "removed" : "absent");
    for (unsigned i = 0; i < loss.nfiles; i++) {
        const disk_file_loss *f = &loss.file[i];
        const char *base = strrchr(f->path, '/');
        printf("  %s: writes lost %u kept %u torn %u, bytes lost %llu kept %llu, "
               "truncates lost %u kept %u, vanished %u, restored %u\n",
               base ? base + 1 : f->path, f->writes_lost, f->writes_kept, f->writes_torn,
               (unsigned long long)f->bytes_lost, (unsigned long long)f->bytes_kept,
               f->truncates_lost, f->truncates_kept, f->vanished, f->restored);
    }
    return 0;
}

static sqlite3_int64 one(sqlite3 *db, const char *sql) {
    sqlite3_stmt *st;
    sqlite3_int64 v = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static int cmd_check(char **argv) {
    sqlite3 *db = NULL;
    if (access(argv[2], F_OK) != 0) {
        printf("no database\n");
        return 1;
    }
    if (sqlite3_open_v2(argv[2], &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
        return fail(db, "open");
    sqlite3_stmt *st;
    int ok = sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) == SQLITE_OK &&
             sqlite3_step(st) == SQLITE_ROW &&
             strcmp((const char *)sqlite3_column_text(st, 0), "ok") == 0;
    sqlite3_finalize(st);
    if (!ok) {
        printf("integrity_check failed: %s\n", sqlite3_errmsg(db));
        sqlite3_close(db);
        return 1;
    }
    sqlite3_int64 n = one(db, "SELECT count(*) FROM pay");
    int agree = n >= 0 && one(db, "SELECT coalesce(max(id), 0) FROM pay") == n &&
                one(db, "SELECT count(*) FROM outbox") == n &&
                one(db, "SELECT count(*) FROM pay JOIN outbox ON outbox.pay = pay.id") == n &&
                one(db, "SELECT n FROM total") == n &&
                one(db, "SELECT sum FROM total") == one(db, "SELECT coalesce(sum(amount), 0) "
                                                            "FROM pay");
    sqlite3_close(db);
    if (!agree) {
        printf("tables disagree: half a transaction is there (%lld payments)\n", (long long)n);
        return 1;
    }
    printf("rows %lld\n", (long long)n);
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 8 && argc <= 9 && strcmp(argv[1], "run") == 0) return cmd_run(argv, argc);
    if (argc >= 6 && argc <= 7 && strcmp(argv[1], "cut") == 0) return cmd_cut(argv, argc);
    if (argc == 3 && strcmp(argv[1], "check") == 0) return cmd_check(argv);
    fputs(usage, stderr);
    return 2;
}
