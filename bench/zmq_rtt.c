/*
** zmq_rtt.c: the reference of the simulator's events per second: raw ZeroMQ
** request/reply round trips per second between two processes.
**
**   zmq_rtt [--count N] [--size BYTES] [--pin]
**
** The process forks first (each side then makes its own ZeroMQ context: a context
** must never cross a fork); the parent binds a PAIR socket on a fresh ipc endpoint,
** the child connects and echoes every message back.  The parent
** sends N messages of SIZE bytes, one at a time, each after the previous answer
** came back: exactly the shape of a lockstep step (the simulator's proc_step), with
** nothing done on either side.  The simulator cannot step a service faster than
** this, one event per round trip; it can only come near it, or batch.
**
** --pin puts both processes on the CPU the parent runs on (sched_setaffinity before
** the fork), as the simulator does by default (sim/core/proc.c): on a machine with
** several cores a hand-off then wakes no process on another core.
**
** Prints one line: "zmq_rtt transport=ipc pinned=1 count=N size=S seconds=T rate=R"
** (R in round trips per second).  Exit 0, or 3 with one line on stderr.
*/
#include <assert.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#define SIZE_MAX_BYTES 65536
#define WARMUP 200

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what) {
    fprintf(stderr, "zmq_rtt: %s: %s\n", what, zmq_strerror(zmq_errno()));
    exit(3);
}

static void pin_here(void) {
    int cpu = sched_getcpu();
    if (cpu < 0) { fprintf(stderr, "zmq_rtt: sched_getcpu: %s\n", strerror(errno)); exit(3); }
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    if (sched_setaffinity(0, sizeof one, &one) != 0) {
        fprintf(stderr, "zmq_rtt: sched_setaffinity: %s\n", strerror(errno));
        exit(3);
    }
}

/* The child: echo every message until a zero-length one, then exit. */
static void echo(const char *endpoint, size_t size) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    void *ctx = zmq_ctx_new();
    void *s = zmq_socket(ctx, ZMQ_PAIR);
    int zero = 0;
    if (!s || zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero) != 0) die("child socket");
    if (zmq_connect(s, endpoint) != 0) die("child connect");
    char *buf = malloc(size + 1);
    assert(buf);
    for (;;) {
        int n = zmq_recv(s, buf, size + 1, 0);
        if (n < 0) die("child recv");
        if (n == 0) break;
        if (zmq_send(s, buf, (size_t)n, 0) != n) die("child send");
    }
    free(buf);
    zmq_close(s);
    zmq_ctx_term(ctx);
    _exit(0);
}

static void round_trip(void *s, char *buf, size_t size) {
    if (zmq_send(s, buf, size, 0) != (int)size) die("send");
    int n = zmq_recv(s, buf, size, 0);
    if (n != (int)size) die("recv");
}

int main(int argc, char **argv) {
    long count = 20000, size = 100;
    int pin = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--count") && i + 1 < argc) count = atol(argv[++i]);
        else if (!strcmp(argv[i], "--size") && i + 1 < argc) size = atol(argv[++i]);
        else if (!strcmp(argv[i], "--pin")) pin = 1;
        else { fprintf(stderr, "zmq_rtt: unknown argument '%s'\n", argv[i]); return 2; }
    }
    if (count < 1 || size < 1 || size > SIZE_MAX_BYTES) {
        fprintf(stderr, "zmq_rtt: --count must be >= 1 and --size in 1..%d\n", SIZE_MAX_BYTES);
        return 2;
    }
    char endpoint[128], dir[] = "/tmp/zmq_rtt.XXXXXX";
    if (!mkdtemp(dir)) { perror("zmq_rtt: mkdtemp"); return 3; }
    snprintf(endpoint, sizeof endpoint, "ipc://%s/s", dir);
    if (pin) pin_here();   /* before the fork and the I/O threads: all inherit it */

    pid_t pid = fork();
    if (pid < 0) { perror("zmq_rtt: fork"); return 3; }
    if (pid == 0) echo(endpoint, (size_t)size);   /* ZeroMQ retries the connect until we bind */

    void *ctx = zmq_ctx_new();
    void *s = zmq_socket(ctx, ZMQ_PAIR);
    int zero = 0;
    if (!s || zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero) != 0) die("socket");
    if (zmq_bind(s, endpoint) != 0) die("bind");

    char *buf = calloc(1, (size_t)size);
    assert(buf);
    memset(buf, 'x', (size_t)size);
    for (int i = 0; i < WARMUP; i++) round_trip(s, buf, (size_t)size);   /* connect, caches */
    double t0 = now_s();
    for (long i = 0; i < count; i++) round_trip(s, buf, (size_t)size);
    double dt = now_s() - t0;

    zmq_send(s, "", 0, 0);
    int status = 0;
    waitpid(pid, &status, 0);
    zmq_close(s);
    zmq_ctx_term(ctx);
    free(buf);
    unlink(endpoint + strlen("ipc://"));
    rmdir(dir);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "zmq_rtt: the echo process failed\n");
        return 3;
    }
    printf("zmq_rtt transport=ipc pinned=%d count=%ld size=%ld seconds=%.6f rate=%.1f\n",
           pin, count, size, dt, count / dt);
    return 0;
}
