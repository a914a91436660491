/*
** scan_bench.c: the cost of one recovery scan (lib/scan.c) as the outbox table grows,
** against the same query with no index.
**
**   scan_bench --dir DIR --rows N[:D][,N[:D]...] [--budget SECONDS]
**
** For each N it creates DIR/scan-N.db with the library itself (ox_service_open as
** the payment service: the schema of lib/schema.h, its pragmas, its prepared
** statements), fills it in one transaction with N payments and their outbox rows:
** D of them (default N/100, i.e. 1%) SENDING and due, spread evenly, the rest
** CONSUMED (old, done), each row carrying a real encoded PAYMENT frame as its
** payload; and then times:
**   indexed   the library's own prepared scan statement (ox_payment's `scan`, the
**             query collect() in lib/scan.c steps: due SENDING rows, oldest first,
**             LIMIT scan_batch), bound and stepped to its end exactly as collect()
**             does;
**   no index  the same SQL text (sqlite3_sql of that statement) prepared again after
**             DROP INDEX outbox_due, so SQLite must read the whole table.
** Each is run repeatedly for about --budget seconds (at least MIN_REPS times) after
** one warm-up scan; the median is reported.  The file is deleted afterwards.
** A scan returns at most scan_batch (100) rows, so its cost follows min(D, 100) as
** well as N: `1000:100` gives a small table as many due rows as a big one has.
** Prints per N: "scan_bench rows=N due=D returned=R indexed_us=A noindex_us=B"
** and the query plans as "plan indexed: ..." / "plan noindex: ...".
*/
#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "../lib/config.h"
#include "../lib/payment.h"
#include "../lib/service.h"
#include "../lib/svc.h"
#include "../lib/wire.h"

#define MIN_REPS 5
#define MAX_REPS 100000
#define MAX_SIZES 8

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void die(sqlite3 *db, const char *what) {
    fprintf(stderr, "scan_bench: %s: %s\n", what, db ? sqlite3_errmsg(db) : "failed");
    exit(3);
}

static void exec(sqlite3 *db, const char *sql) {
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) die(db, sql);
}

static void drop_send(void *c, const char *to, const uint8_t *b, size_t n, const ox_frame *f) {
    (void)c; (void)to; (void)b; (void)n; (void)f;
}
static void drop_timer(void *c, int id, int64_t ms) { (void)c; (void)id; (void)ms; }
static void drop_event(void *c, const char *k, uint64_t p, const char *d) {
    (void)c; (void)k; (void)p; (void)d;
}

/* A real PAYMENT PUBLISH frame: the payload every row carries (its size matters). */
static size_t payload(uint8_t *buf, size_t cap) {
    ox_msg m = { .kind = OX_M_PAYMENT, .msg_id = 123456, .pay_id = 123456, .account = 7,
                 .amount = 1000, .attempt = 1 };
    ox_frame f = ox_wire_publish(OX_PAY_QUEUE, &m);
    ox_wire_err e;
    size_t n = ox_wire_encode(&f, buf, cap, &e);
    assert(n > 0);
    return n;
}

/* N payments and outbox rows; every `every`-th row SENDING and due by `now`. */
static void fill(sqlite3 *db, long n, long every, int64_t now) {
    uint8_t blob[OX_FRAME_MAX];
    size_t len = payload(blob, sizeof blob);
    exec(db, "BEGIN IMMEDIATE");
    sqlite3_stmt *st = NULL;
    const char *sql =
        "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ?1)"
        " INSERT INTO payment(id, account, amount, status, created_at)"
        " SELECT i, 1 + i % 100, 1000, 'PAID', ?2 - ?1 + i FROM c";
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) die(db, "prepare fill payment");
    sqlite3_bind_int64(st, 1, n);
    sqlite3_bind_int64(st, 2, now);
    if (sqlite3_step(st) != SQLITE_DONE) die(db, "fill payment");
    sqlite3_finalize(st);
    sql = "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ?1)"
          " INSERT INTO outbox(id, payment_id, status, attempts, next_attempt_at, payload,"
          " created_at, updated_at)"
          " SELECT i, i, CASE WHEN i % ?4 = 0 THEN 'SENDING' ELSE 'CONSUMED' END,"
          " 1 + i % 3, CASE WHEN i % ?4 = 0 THEN ?2 - 1 - i % 5000 ELSE ?2 - ?1 + i + 2000 END,"
          " ?3, ?2 - ?1 + i, ?2 - ?1 + i FROM c";
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) die(db, "prepare fill outbox");
    sqlite3_bind_int64(st, 1, n);
    sqlite3_bind_int64(st, 2, now);
    sqlite3_bind_blob(st, 3, blob, (int)len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, every);
    if (sqlite3_step(st) != SQLITE_DONE) die(db, "fill outbox");
    sqlite3_finalize(st);
    exec(db, "COMMIT");
    exec(db, "PRAGMA wal_checkpoint(TRUNCATE)");
}

/* One scan as collect() runs it; returns the rows it produced. */
static int scan_once(sqlite3 *db, sqlite3_stmt *q, int64_t now, int batch) {
    sqlite3_bind_int64(q, 1, now);
    sqlite3_bind_int64(q, 2, batch);
    int rows = 0, rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        rows++;
        (void)sqlite3_column_int64(q, 0);
        (void)sqlite3_column_blob(q, 3);   /* collect() decodes the payload */
    }
    if (rc != SQLITE_DONE) die(db, "scan");
    sqlite3_reset(q);
    sqlite3_clear_bindings(q);
    return rows;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Median microseconds per scan over about `budget` seconds. */
static double time_scans(sqlite3 *db, sqlite3_stmt *q, int64_t now, int batch, double budget,
                         int *rows) {
    static double t[MAX_REPS];
    *rows = scan_once(db, q, now, batch);   /* warm-up: pages into the cache */
    int n = 0;
    double end = now_s() + budget;
    while (n < MAX_REPS && (n < MIN_REPS || now_s() < end)) {
        double t0 = now_s();
        scan_once(db, q, now, batch);
        t[n++] = (now_s() - t0) * 1e6;
    }
    qsort(t, (size_t)n, sizeof t[0], cmp_double);
    return t[n / 2];
}

static void print_plan(sqlite3 *db, const char *label, const char *sql) {
    char eqp[2048];
    snprintf(eqp, sizeof eqp, "EXPLAIN QUERY PLAN %s", sql);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, eqp, -1, &st, NULL) != SQLITE_OK) die(db, "explain");
    printf("plan %s:", label);
    while (sqlite3_step(st) == SQLITE_ROW)
        printf(" [%s]", (const char *)sqlite3_column_text(st, 3));
    printf("\n");
    sqlite3_finalize(st);
}

static void bench_size(const char *dir, long n, long due, double budget) {
    char path[1024];
    snprintf(path, sizeof path, "%s/scan-%ld-%ld.db", dir, n, due);
    ox_config cfg;
    ox_config_default(&cfg);
    ox_io io = { .send = drop_send, .set_timer = drop_timer, .event = drop_event };
    char err[512];
    ox_service *s = ox_service_open(OX_ROLE_PAYMENT, path, &cfg, &io, err, sizeof err);
    if (!s) { fprintf(stderr, "scan_bench: %s\n", err); exit(3); }
    sqlite3 *db = s->store.db;
    int64_t now = now_ms();
    long every = n / due;
    fill(db, n, every, now);
    sqlite3_stmt *lib_scan = s->pay->scan;          /* the library's own statement */
    char *sql = sqlite3_mprintf("%s", sqlite3_sql(lib_scan));
    int rows = 0, rows2 = 0;
    print_plan(db, "indexed", sql);
    double indexed = time_scans(db, lib_scan, now, cfg.scan_batch, budget, &rows);
    exec(db, "DROP INDEX outbox_due");
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
        die(db, "prepare scan without index");
    print_plan(db, "noindex", sql);
    double noindex = time_scans(db, q, now, cfg.scan_batch, budget, &rows2);
    sqlite3_finalize(q);
    if (rows != rows2) {
        fprintf(stderr, "scan_bench: %d rows with the index, %d without\n", rows, rows2);
        exit(3);
    }
    printf("scan_bench rows=%ld due=%ld returned=%d indexed_us=%.2f noindex_us=%.2f\n",
           n, n / every, rows, indexed, noindex);
    printf("scan_sql %s\n", sql);
    fflush(stdout);
    sqlite3_free(sql);
    ox_service_close(s);
    static const char *const sfx[] = { "", "-wal", "-shm" };
    for (int i = 0; i < 3; i++) {
        char f[1100];
        snprintf(f, sizeof f, "%s%s", path, sfx[i]);
        unlink(f);
    }
}

int main(int argc, char **argv) {
    const char *dir = NULL, *list = NULL;
    double budget = 0.5;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--dir")) dir = argv[i + 1];
        else if (!strcmp(argv[i], "--rows")) list = argv[i + 1];
        else if (!strcmp(argv[i], "--budget")) budget = atof(argv[i + 1]);
        else { fprintf(stderr, "scan_bench: unknown argument '%s'\n", argv[i]); return 2; }
    }
    if (argc % 2 == 0 || !dir || !list || budget <= 0) {
        fprintf(stderr, "scan_bench: usage: scan_bench --dir DIR --rows N[,N...] [--budget S]\n");
        return 2;
    }
    long sizes[MAX_SIZES], dues[MAX_SIZES];
    int nsizes = 0;
    for (const char *p = list; *p && nsizes < MAX_SIZES;) {
        char *end;
        long v = strtol(p, &end, 10), d = v / 100;
        if (end != p && *end == ':') d = strtol(end + 1, &end, 10);
        if (end == p || v < 100 || v > 100000000 || d < 1 || d > v || (*end && *end != ',')) {
            fprintf(
                stderr,
                "scan_bench: --rows: expected N[:D],... with N >= 100 and 1 <= D <= N, got '%s'\n",
                list);
            return 2;
        }
        sizes[nsizes] = v;
        dues[nsizes++] = d;
        p = *end ? end + 1 : end;
    }
    for (int i = 0; i < nsizes; i++) bench_size(dir, sizes[i], dues[i], budget);
    return 0;
}
