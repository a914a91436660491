/*
** sqlite_tx.c: the reference of the live outbox's throughput: the payment service's
** one local transaction (the payment row and its outbox row) committed in a loop,
** with nothing around it.
**
**   sqlite_tx --db PATH [--count N] [--mode bare|library]
**
** Both modes open PATH with the library's own ox_store_open(), so the file has
** exactly the schema of lib/schema.h and the library's settings (WAL,
** synchronous=NORMAL, the default knob), and it starts empty (PATH must not exist).
**   bare     the statements ox_payment_pay() runs (lib/payment.c), prepared once,
**            in a bare loop: BEGIN IMMEDIATE; SELECT 1 FROM payment WHERE id=?;
**            INSERT payment; INSERT outbox; UPDATE outbox SET payload (the encoded
**            PUBLISH frame, which carries the row's own id); COMMIT.
**   library  ox_service_pay() itself, in process, with a host that drops what the
**            service asks for (the publish, the events): the library's own cost
**            on top of the bare loop, without sockets or a daemon.
** Prints one line: "sqlite_tx mode=bare count=N seconds=T rate=R" (R in committed
** transactions per second).  Exit 0, 2 bad usage, 3 a failure (one line on stderr).
*/
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "../lib/config.h"
#include "../lib/service.h"
#include "../lib/store.h"
#include "../lib/wire.h"

#define WARMUP 100

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

static void die_db(sqlite3 *db, const char *what) {
    fprintf(stderr, "sqlite_tx: %s: %s\n", what, sqlite3_errmsg(db));
    exit(3);
}

typedef struct {
    sqlite3 *db;
    sqlite3_stmt *begin, *commit, *find, *ins_payment, *ins_outbox, *set_payload;
} bare;

static sqlite3_stmt *prep(sqlite3 *db, const char *sql) {
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK)
        die_db(db, sql);
    return st;
}

/* Steps a statement that must finish with SQLITE_DONE (or give one row, for find). */
static void run(sqlite3 *db, sqlite3_stmt *st, const char *what, int want) {
    int rc = sqlite3_step(st);
    if (rc != want) die_db(db, what);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

/* The same SQL text as lib/payment.c's prepare() for these five statements. */
static void bare_prepare(bare *b) {
    b->begin = prep(b->db, "BEGIN IMMEDIATE");
    b->commit = prep(b->db, "COMMIT");
    b->find = prep(b->db, "SELECT 1 FROM payment WHERE id=?1");
    b->ins_payment = prep(b->db, "INSERT INTO payment(id, account, amount, status, created_at) "
                                 "VALUES(?1, ?2, ?3, 'PAID', ?4)");
    b->ins_outbox = prep(b->db,
        "INSERT INTO outbox(payment_id, status, attempts, next_attempt_at, payload, created_at,"
        " updated_at) VALUES(?1, 'SENDING', 1, ?2, x'', ?3, ?3)");
    b->set_payload = prep(b->db, "UPDATE outbox SET payload=?1 WHERE id=?2");
}

static void bare_pay(bare *b, uint64_t id) {
    int64_t now = now_ms();
    run(b->db, b->begin, "begin", SQLITE_DONE);
    sqlite3_bind_int64(b->find, 1, (sqlite3_int64)id);
    run(b->db, b->find, "look up payment", SQLITE_DONE);   /* new id: no row */
    sqlite3_bind_int64(b->ins_payment, 1, (sqlite3_int64)id);
    sqlite3_bind_int64(b->ins_payment, 2, 1 + (int64_t)(id % 100));
    sqlite3_bind_int64(b->ins_payment, 3, 1000);
    sqlite3_bind_int64(b->ins_payment, 4, now);
    run(b->db, b->ins_payment, "insert payment", SQLITE_DONE);
    sqlite3_bind_int64(b->ins_outbox, 1, (sqlite3_int64)id);
    sqlite3_bind_int64(b->ins_outbox, 2, now + 2000);
    sqlite3_bind_int64(b->ins_outbox, 3, now);
    run(b->db, b->ins_outbox, "insert outbox row", SQLITE_DONE);
    uint64_t msg_id = (uint64_t)sqlite3_last_insert_rowid(b->db);
    ox_msg m = { .kind = OX_M_PAYMENT, .msg_id = msg_id, .pay_id = id, .account = 1,
                 .amount = 1000, .attempt = 1 };
    ox_frame f = ox_wire_publish(OX_PAY_QUEUE, &m);
    uint8_t buf[OX_FRAME_MAX];
    ox_wire_err e;
    size_t n = ox_wire_encode(&f, buf, sizeof buf, &e);
    assert(n > 0);
    sqlite3_bind_blob(b->set_payload, 1, buf, (int)n, SQLITE_TRANSIENT);
    sqlite3_bind_int64(b->set_payload, 2, (sqlite3_int64)msg_id);
    run(b->db, b->set_payload, "store outbox payload", SQLITE_DONE);
    run(b->db, b->commit, "commit", SQLITE_DONE);
}

static double run_bare(const char *path, long count) {
    ox_store st;
    char err[512];
    ox_config cfg;
    ox_config_default(&cfg);   /* wal, synchronous=normal */
    if (ox_store_open(&st, OX_ROLE_PAYMENT, path, &cfg, err, sizeof err) != OX_OK) {
        fprintf(stderr, "sqlite_tx: %s\n", err);
        exit(3);
    }
    bare b = { .db = st.db };
    bare_prepare(&b);
    for (long i = 0; i < WARMUP; i++) bare_pay(&b, (uint64_t)(1000000000 + i));
    double t0 = now_s();
    for (long i = 0; i < count; i++) bare_pay(&b, (uint64_t)(i + 1));
    double dt = now_s() - t0;
    sqlite3_stmt **all[] = { &b.begin,       &b.commit,     &b.find,
                             &b.ins_payment, &b.ins_outbox, &b.set_payload };
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) ox_store_finalize(all[i]);
    ox_store_close(&st);
    return dt;
}

/* A host that drops everything: no network, no log. */
static void drop_send(void *ctx, const char *to, const uint8_t *bytes, size_t len,
                      const ox_frame *f) {
    (void)ctx; (void)to; (void)bytes; (void)len; (void)f;
}
static void drop_timer(void *ctx, int id, int64_t delay_ms) { (void)ctx; (void)id; (void)delay_ms; }
static void drop_event(void *ctx, const char *kind, uint64_t pay, const char *detail) {
    (void)ctx; (void)kind; (void)pay; (void)detail;
}

static double run_library(const char *path, long count) {
    ox_config cfg;
    ox_config_default(&cfg);
    ox_io io = { .send = drop_send, .set_timer = drop_timer, .event = drop_event };
    char err[512];
    ox_service *s = ox_service_open(OX_ROLE_PAYMENT, path, &cfg, &io, err, sizeof err);
    if (!s) { fprintf(stderr, "sqlite_tx: %s\n", err); exit(3); }
    for (long i = 0; i < WARMUP; i++)
        if (ox_service_pay(s, (uint64_t)(1000000000 + i), 1, 1000) != OX_OK) goto fail;
    double t0 = now_s();
    for (long i = 0; i < count; i++)
        if (ox_service_pay(s, (uint64_t)(i + 1), 1 + (uint32_t)(i % 100), 1000) != OX_OK) goto fail;
    double dt = now_s() - t0;
    ox_service_close(s);
    return dt;
fail:
    fprintf(stderr, "sqlite_tx: pay: %s\n", ox_service_error(s));
    exit(3);
}

int main(int argc, char **argv) {
    const char *path = NULL, *mode = "bare";
    long count = 20000;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--db") && i + 1 < argc) path = argv[++i];
        else if (!strcmp(argv[i], "--count") && i + 1 < argc) count = atol(argv[++i]);
        else if (!strcmp(argv[i], "--mode") && i + 1 < argc) mode = argv[++i];
        else { fprintf(stderr, "sqlite_tx: unknown argument '%s'\n", argv[i]); return 2; }
    }
    if (!path || count < 1 || (strcmp(mode, "bare") && strcmp(mode, "library"))) {
        fprintf(stderr,
                "sqlite_tx: usage: sqlite_tx --db PATH [--count N>=1] [--mode bare|library]\n");
        return 2;
    }
    if (access(path, F_OK) == 0) {
        fprintf(stderr, "sqlite_tx: %s exists; give a path for a new database\n", path);
        return 2;
    }
    double dt = !strcmp(mode, "bare") ? run_bare(path, count) : run_library(path, count);
    printf("sqlite_tx mode=%s count=%ld seconds=%.6f rate=%.1f\n", mode, count, dt, count / dt);
    return 0;
}
