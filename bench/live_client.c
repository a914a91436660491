/*
** live_client.c: drives the live outbox (three bin/outbox-node daemons over ZeroMQ
** TCP) as hard as its payment service will go, and times it.
**
**   live_client --payment ENDPOINT --accounting-db PATH --count N
**               [--window W] [--first-id K] [--timeout S]
**
** The client role of bin/outbox-node sends one payment and waits for its answer, so
** it measures the round trip, not the service.  This client keeps W requests in
** flight instead: a DEALER speaks to the payment daemon's REP socket (each message is
** [empty delimiter][request], as a REQ would send it), and the REP, which answers
** strictly one request at a time, always has the next one waiting.  Payments are
** "PAY <id> 1 1000" for ids K..K+N-1.
**
** Two figures, both from the first request sent:
**   commits   N / the time until the N-th "OK <id>" came back: payments committed (the
**             payment row and its outbox row, durable in WAL) per second;
**   vouchers  N / the time until accounting's database holds N vouchers: the whole
**             path, payment -> broker -> accounting -> voucher COMMIT, per second.
**             The database (WAL, so reading never blocks the daemon) is polled every
**             POLL_MS; the voucher table must be new, so that max(id) counts them.
** At the end it checks what it counted: exactly N vouchers for N distinct payments.
** Prints "live_client count=N window=W commit_seconds=T commit_rate=R
** voucher_seconds=T2 voucher_rate=R2".  Exit 0; 1 a payment was refused or the
** vouchers are wrong; 2 bad usage; 3 no answer or no voucher within the timeout.
*/
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>
#include <zmq.h>

#define POLL_MS 2
#define ANSWER_MAX 256
#define WINDOW_MAX 4096

typedef struct {
    const char *payment, *accounting_db;
    long count, window, timeout_s;
    uint64_t first_id;
} opts;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_ms(long ms) {
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

static int send_pay(void *s, uint64_t id) {
    char req[64];
    int n = snprintf(req, sizeof req, "PAY %" PRIu64 " 1 1000", id);
    assert(n > 0 && (size_t)n < sizeof req);
    if (zmq_send(s, "", 0, ZMQ_SNDMORE) != 0 || zmq_send(s, req, (size_t)n, 0) != n) {
        fprintf(stderr, "live_client: send: %s\n", zmq_strerror(errno));
        return -1;
    }
    return 0;
}

/* One answer: 1 OK, 0 anything else (printed), -1 none within the timeout. */
static int recv_answer(void *s) {
    char ans[ANSWER_MAX + 1];
    int n = zmq_recv(s, ans, ANSWER_MAX, 0);      /* the empty delimiter */
    if (n == 0) n = zmq_recv(s, ans, ANSWER_MAX, 0);
    if (n < 0) {
        fprintf(stderr, "live_client: no answer from the payment daemon: %s\n",
                zmq_strerror(errno));
        return -1;
    }
    ans[n < ANSWER_MAX ? n : ANSWER_MAX] = '\0';
    if (strncmp(ans, "OK ", 3) == 0) return 1;
    fprintf(stderr, "live_client: answer '%s'\n", ans);
    return 0;
}

/* Sends every payment with at most o->window in flight; returns failures, or -1. */
static long pay_all(void *s, const opts *o) {
    long sent = 0, answered = 0, failed = 0;
    while (answered < o->count) {
        while (sent < o->count && sent - answered < o->window) {
            if (send_pay(s, o->first_id + (uint64_t)sent) != 0) return -1;
            sent++;
        }
        int r = recv_answer(s);
        if (r < 0) return -1;
        failed += r == 0;
        answered++;
    }
    return failed;
}

static int64_t query_int(sqlite3 *db, const char *sql) {
    sqlite3_stmt *st = NULL;
    int64_t v = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* Waits until the voucher table holds `want` rows; returns the time, or -1. */
static double await_vouchers(sqlite3 *db, long want, double deadline) {
    while (now_s() < deadline) {
        int64_t n = query_int(db, "SELECT coalesce(max(id), 0) FROM voucher");
        if (n >= want) return now_s();
        sleep_ms(POLL_MS);
    }
    return -1;
}

static void parse(int argc, char **argv, opts *o) {
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) { fprintf(stderr, "live_client: %s: missing value\n", a); exit(2); }
        if (!strcmp(a, "--payment")) o->payment = v;
        else if (!strcmp(a, "--accounting-db")) o->accounting_db = v;
        else if (!strcmp(a, "--count")) o->count = atol(v);
        else if (!strcmp(a, "--window")) o->window = atol(v);
        else if (!strcmp(a, "--first-id")) o->first_id = strtoull(v, NULL, 10);
        else if (!strcmp(a, "--timeout")) o->timeout_s = atol(v);
        else { fprintf(stderr, "live_client: unknown argument '%s'\n", a); exit(2); }
        i++;
    }
    if (!o->payment || !o->accounting_db || o->count < 1 || o->window < 1 ||
        o->window > WINDOW_MAX || o->first_id < 1 || o->timeout_s < 1) {
        fprintf(stderr,
                "live_client: usage: live_client --payment ENDPOINT --accounting-db PATH"
                " --count N [--window 1..%d] [--first-id K>=1] [--timeout S]\n",
                WINDOW_MAX);
        exit(2);
    }
}

int main(int argc, char **argv) {
    opts o = { .window = 32, .first_id = 1, .timeout_s = 60 };
    parse(argc, argv, &o);
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(o.accounting_db, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        fprintf(stderr, "live_client: cannot open %s: %s\n", o.accounting_db, sqlite3_errmsg(db));
        return 3;
    }
    sqlite3_busy_timeout(db, 2000);
    if (query_int(db, "SELECT count(*) FROM voucher") != 0) {
        fprintf(stderr, "live_client: %s must have no vouchers yet\n", o.accounting_db);
        return 2;
    }
    void *ctx = zmq_ctx_new();
    void *s = zmq_socket(ctx, ZMQ_DEALER);
    int zero = 0, tmo = (int)o.timeout_s * 1000;
    if (!s || zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero) != 0 ||
        zmq_setsockopt(s, ZMQ_RCVTIMEO, &tmo, sizeof tmo) != 0 || zmq_connect(s, o.payment) != 0) {
        fprintf(stderr, "live_client: cannot connect to %s: %s\n", o.payment, zmq_strerror(errno));
        return 3;
    }
    double t0 = now_s();
    long failed = pay_all(s, &o);
    double t_commit = now_s();
    double t_voucher =
        failed == 0 ? await_vouchers(db, o.count, t_commit + (double)o.timeout_s) : -1;
    int code = 0;
    if (failed != 0) code = failed < 0 ? 3 : 1;
    else if (t_voucher < 0) {
        fprintf(stderr, "live_client: fewer than %ld vouchers after %ld s\n", o.count, o.timeout_s);
        code = 3;
    } else if (query_int(db, "SELECT count(*) FROM voucher") != o.count ||
               query_int(db, "SELECT count(DISTINCT payment_id) FROM voucher") != o.count) {
        fprintf(stderr, "live_client: the vouchers are not one per payment\n");
        code = 1;
    }
    if (code == 0)
        printf("live_client count=%ld window=%ld commit_seconds=%.6f commit_rate=%.1f"
               " voucher_seconds=%.6f voucher_rate=%.1f\n", o.count, o.window, t_commit - t0,
               o.count / (t_commit - t0), t_voucher - t0, o.count / (t_voucher - t0));
    zmq_close(s);
    zmq_ctx_term(ctx);
    sqlite3_close(db);
    return code;
}
