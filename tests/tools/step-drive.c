/*
** step-drive.c: drives a real `outbox-node --sim` with hand-made batches and checks
** the node's batch rules (proto/step.h, "Batches") (tests only: tests/system/batch.sh).
**
**   step-drive NODE_BIN FAKETIME_LIB DIR
**
** It plays the simulator's part as sim/core/proc.c does: binds a ZMQ_PAIR socket, starts
** the node under libfaketime with FAKETIME at its first step's clock, sends STEPs made
** with the library's encoder and reads the REPLYs with its decoder.  Every node is a
** payment service, design outbox, with a 1 s recovery-scan timer (scan_interval=1);
** its database, log and socket live in DIR.  The cases:
**   a. START alone arms the scan timer for 1 s;
**   b. [TIMER scan at 1 s, PAY 1 at 5 s]: the scan re-arms its timer for 2 s, before
**      the PAY, so the batch ends after the timer; the PAY sent again alone is paid;
**   c. [TIMER scan, TIMER scan] at 6 s: the first re-arms the timer the second names,
**      so the second is stale and the batch ends after the first;
**   d. [PAY 2 at 7 s, PAY 3 at 7.25 s]: both handled, each at its own clock (their
**      created_at, read from the database after a STOP, differ by 250 ms);
**   e. a new life: [PAY 4 armed to crash at payment.after_commit, PAY 5]: the crash
**      ends the batch, the node waits to be killed, PAY 5 never ran;
**   f. a new node sent the malformed batch [START, STOP]: one FATAL section saying
**      "malformed step", exit 3, the START never ran.
** Every wait is bounded (WAIT_MS); every node is SIGKILLed (if still alive) and reaped
** before the tool exits, and libfaketime's shm files of each are removed.
**
** Prints "ok - WHAT" or "not ok - WHAT" per check ("# ..." lines explain a failure).
** Exit 0 all ok, 1 a check failed, 2 bad usage, 3 setup failed.
*/
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>
#include <zmq.h>

#include "../../lib/service.h"
#include "../../proto/step.h"

#define WAIT_MS 10000          /* the longest any wait for a node may take */
#define EXIT_WAIT_MS 5000      /* for a node that said it exits */
#define SLICE_MS 100           /* polls watch the node's life this often */
#define CRASH_GRACE_MS 200     /* how long a crashed node must stay alive to count as waiting */
#define EPOCH_US 1700000000000000LL   /* clock_us = EPOCH_US + vtime_us */
#define SEC 1000000LL
#define MAX_LIVES 8
#define PATH_MAX_LEN 512
#define ENV_OWN 7              /* ASAN_OPTIONS, LD_PRELOAD, four FAKETIME*, TZ */
#define FAILPOINT "payment.after_commit"

typedef struct {
    pid_t pid;                 /* 0: not started */
    int reaped, status;        /* waited for, and its wait status */
    void *sock;
    char endpoint[PATH_MAX_LEN + 8];   /* "ipc://" and a path */
    uint32_t next_seq;
} node;

/* What the checks need of one reply section. */
typedef struct {
    uint32_t seq;
    uint8_t status;
    unsigned neffects, ntimers, nreplies;
    uint32_t timer_id;         /* the last TIMER */
    int64_t timer_delay_us;
    uint64_t reply_pay;        /* the last REPLY */
    uint8_t reply_ok;
    uint8_t last_type;         /* the last effect */
    char last_label[OX_NAME_MAX + 1];
    char note[OX_DETAIL_MAX + 1];   /* the last NOTE's detail */
} section;

typedef struct {
    unsigned n;
    section s[OX_BATCH_MAX];
} answer;

static struct {
    const char *bin, *faketime, *dir;
    void *zctx;
    uint8_t *stepbuf, *replybuf;
    ox_effect *effects;        /* OX_STEP_MAX_EFFECTS slots for the decoder */
    node nodes[MAX_LIVES];
    int lives, failed;
} T;

static volatile sig_atomic_t interrupted = 0;

static void on_signal(int sig) { (void)sig; interrupted = 1; }

/* ---- output ------------------------------------------------------------------- */

static int check(int cond, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    printf("%s - ", cond ? "ok" : "not ok");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    fflush(stdout);
    if (!cond) T.failed = 1;
    return cond;
}

static const char *status_name(uint8_t st) {
    return st == OX_REPLY_OK      ? "OK"
           : st == OX_REPLY_CRASH ? "CRASH"
           : st == OX_REPLY_FATAL ? "FATAL"
                                  : "?";
}

/* A "# got ..." line per section, after a check on the answer failed. */
static void describe(const answer *a) {
    printf("# got %u section(s)\n", a->n);
    for (unsigned i = 0; i < a->n; i++) {
        const section *s = &a->s[i];
        printf("#   seq %u %s, %u effects: %u TIMER (last id %u delay %lld us), %u REPLY"
               " (last pay %llu ok %u), last effect type %u '%s', last note '%s'\n",
               s->seq, status_name(s->status), s->neffects, s->ntimers, s->timer_id,
               (long long)s->timer_delay_us, s->nreplies, (unsigned long long)s->reply_pay,
               s->reply_ok, s->last_type, s->last_label, s->note);
    }
}

static int check_answer(int cond, const answer *a, const char *what) {
    if (!check(cond, "%s", what)) describe(a);
    return cond;
}

/* ---- node lives --------------------------------------------------------------- */

static int64_t mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms) {
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

/* libfaketime leaves these behind for a preloaded process that is killed. */
static void remove_faketime_shm(pid_t pid) {
    char path[128];
    snprintf(path, sizeof path, "/dev/shm/faketime_shm_%ld", (long)pid);
    unlink(path);
    snprintf(path, sizeof path, "/dev/shm/sem.faketime_sem_%ld", (long)pid);
    unlink(path);
}

/* 1 once the node has exited (reaped here, its shm files removed), 0 while it lives. */
static int gone(node *nd) {
    if (nd->reaped) return 1;
    pid_t r = waitpid(nd->pid, &nd->status, WNOHANG);
    if (r != nd->pid) return 0;
    nd->reaped = 1;
    remove_faketime_shm(nd->pid);
    return 1;
}

/* SIGKILLs the node if it still runs, reaps it, and removes what it left. */
static void kill_node(node *nd) {
    if (nd->pid > 0 && !nd->reaped) {
        kill(nd->pid, SIGKILL);
        while (waitpid(nd->pid, &nd->status, 0) < 0 && errno == EINTR) {}
        nd->reaped = 1;
        remove_faketime_shm(nd->pid);
    }
    if (nd->sock) zmq_close(nd->sock);
    nd->sock = NULL;
    if (strncmp(nd->endpoint, "ipc://", 6) == 0) unlink(nd->endpoint + 6);
    nd->endpoint[0] = '\0';
}

/* Waits up to ms for the node to exit by itself; 0 if it did. */
static int wait_exit(node *nd, int ms) {
    int64_t deadline = mono_ms() + ms;
    while (!gone(nd)) {
        if (interrupted || mono_ms() > deadline) return -1;
        sleep_ms(10);
    }
    return 0;
}

static void how_exited(const node *nd, char *out, size_t cap) {
    if (WIFEXITED(nd->status)) snprintf(out, cap, "exited with status %d", WEXITSTATUS(nd->status));
    else if (WIFSIGNALED(nd->status))
        snprintf(out, cap, "was killed by signal %d", WTERMSIG(nd->status));
    else snprintf(out, cap, "stopped (wait status %d)", nd->status);
}

static void cleanup(void) {
    for (int i = 0; i < T.lives; i++) kill_node(&T.nodes[i]);
    if (T.zctx) zmq_ctx_term(T.zctx);
    T.zctx = NULL;
    free(T.stepbuf);
    free(T.replybuf);
    free(T.effects);
}

static void setup_failed(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "step-drive: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    cleanup();
    exit(3);
}

/* The node's environment: ours without anything libfaketime reads, then the recipe
** of sim/core/proc.c (FAKETIME frozen at clock_us, re-read at every call, monotonic real). */
static char **child_env(int64_t clock_us, char own[ENV_OWN][PATH_MAX_LEN]) {
    extern char **environ;
    size_t n = 0, k = 0;
    while (environ[n]) n++;
    char **env = calloc(n + ENV_OWN + 1, sizeof *env);
    if (env == NULL) return NULL;
    for (size_t i = 0; i < n; i++) {
        if (!strncmp(environ[i], "FAKETIME", 8) || !strncmp(environ[i], "LD_PRELOAD=", 11) ||
            !strncmp(environ[i], "TZ=", 3) || !strncmp(environ[i], "ASAN_OPTIONS=", 13)) continue;
        env[k++] = environ[i];
    }
    const char *asan = getenv("ASAN_OPTIONS");   /* a sanitizer build of the node needs this */
    snprintf(own[0], PATH_MAX_LEN, "ASAN_OPTIONS=%s%sverify_asan_link_order=0", asan ? asan : "",
             asan && *asan ? ":" : "");
    snprintf(own[1], PATH_MAX_LEN, "LD_PRELOAD=%s", T.faketime);
    char clock[OX_CLOCK_TEXT_LEN + 1];
    ox_clock_text(clock_us, clock);   /* the protocol's own fixed-width text */
    snprintf(own[2], PATH_MAX_LEN, "FAKETIME=%s", clock);
    snprintf(own[3], PATH_MAX_LEN, "FAKETIME_NO_CACHE=1");
    snprintf(own[4], PATH_MAX_LEN, "FAKETIME_FMT=%%s");
    snprintf(own[5], PATH_MAX_LEN, "FAKETIME_DONT_FAKE_MONOTONIC=1");
    snprintf(own[6], PATH_MAX_LEN, "TZ=UTC");
    for (int i = 0; i < ENV_OWN; i++) env[k++] = own[i];
    env[k] = NULL;
    return env;
}

/* In the forked child: only async-signal-safe calls until execve. */
static void exec_node(char **argv, char **env, const char *log, pid_t parent) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    int null = open("/dev/null", O_RDONLY);
    int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (null < 0 || fd < 0) _exit(127);
    dup2(null, 0);
    dup2(fd, 1);
    dup2(fd, 2);
    for (int i = 3; i < 1024; i++) close(i);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execve(argv[0], argv, env);
    static const char msg[] = "step-drive: cannot exec the node\n";
    if (write(2, msg, sizeof msg - 1) < 0) _exit(127);
    _exit(127);
}

static void dir_path(char *out, const char *name) {
    int n = snprintf(out, PATH_MAX_LEN, "%s/%s", T.dir, name);
    if (n < 0 || n >= PATH_MAX_LEN) setup_failed("%s/%s: path too long", T.dir, name);
}

/* Binds a socket and starts a payment node on DIR/db with its clock at clock_us.
** Failing to is a setup failure (exit 3). */
static node *start_node(const char *db, int64_t clock_us) {
    if (T.lives == MAX_LIVES) setup_failed("more than %d node lives", MAX_LIVES);
    if (interrupted) setup_failed("interrupted by a signal");
    node *nd = &T.nodes[T.lives];
    int life = ++T.lives;
    memset(nd, 0, sizeof *nd);
    nd->next_seq = 1;
    char name[64], sock[PATH_MAX_LEN], log[PATH_MAX_LEN], dbpath[PATH_MAX_LEN];
    snprintf(name, sizeof name, "node.%d.ipc", life);
    dir_path(sock, name);
    snprintf(name, sizeof name, "node.%d.log", life);
    dir_path(log, name);
    dir_path(dbpath, db);
    snprintf(nd->endpoint, sizeof nd->endpoint, "ipc://%s", sock);
    int zero = 0;
    nd->sock = zmq_socket(T.zctx, ZMQ_PAIR);
    if (nd->sock == NULL || zmq_setsockopt(nd->sock, ZMQ_LINGER, &zero, sizeof zero) != 0 ||
        zmq_bind(nd->sock, nd->endpoint) != 0)
        setup_failed("cannot bind %s: %s", nd->endpoint, zmq_strerror(zmq_errno()));
    char *argv[] = { (char *)T.bin, "--role", "payment", "--db", dbpath, "--design", "outbox",
                     "--seed", "1", "--knob", "scan_interval=1", "--sim", nd->endpoint, NULL };
    static char own[ENV_OWN][PATH_MAX_LEN];
    char **env = child_env(clock_us, own);
    if (env == NULL) setup_failed("out of memory");
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) exec_node(argv, env, log, parent);
    free(env);
    if (pid < 0) setup_failed("fork: %s", strerror(errno));
    nd->pid = pid;
    return nd;
}

/* ---- talking to a node -------------------------------------------------------- */

/* Waits until the node's socket is ready for `events`, watching the node's life and
** the clock; 0, or -1 with why.  A node that exits right after its last reply (STOP,
** FATAL) may still have that reply on its way: it is taken if it comes. */
static int await(node *nd, short events, char *why, size_t len) {
    int64_t deadline = mono_ms() + WAIT_MS;
    char how[64];
    for (;;) {
        zmq_pollitem_t item = { nd->sock, 0, events, 0 };
        int rc = zmq_poll(&item, 1, SLICE_MS);
        if (rc > 0) return 0;
        if (rc < 0 && zmq_errno() != EINTR) {
            snprintf(why, len, "poll failed: %s", zmq_strerror(zmq_errno()));
            return -1;
        }
        if (interrupted) { snprintf(why, len, "interrupted by a signal"); return -1; }
        if (gone(nd)) {
            zmq_pollitem_t last = { nd->sock, 0, ZMQ_POLLIN, 0 };
            if (events == ZMQ_POLLIN && zmq_poll(&last, 1, 1000) > 0) return 0;
            how_exited(nd, how, sizeof how);
            snprintf(why, len, "the node %s without answering", how);
            return -1;
        }
        if (mono_ms() > deadline) {
            snprintf(why, len, "no answer within %d ms", WAIT_MS);
            return -1;
        }
    }
}

static void summarize(const ox_reply *r, section *s) {
    memset(s, 0, sizeof *s);
    s->seq = r->seq;
    s->status = r->status;
    s->neffects = r->neffects;
    for (unsigned i = 0; i < r->neffects; i++) {
        const ox_effect *e = &r->effects[i];
        if (e->type == OX_FX_TIMER) {
            s->ntimers++;
            s->timer_id = e->timer_id;
            s->timer_delay_us = e->delay_us;
        }
        if (e->type == OX_FX_REPLY) { s->nreplies++; s->reply_pay = e->pay; s->reply_ok = e->ok; }
        if (e->type == OX_FX_NOTE) snprintf(s->note, sizeof s->note, "%s", e->detail);
        s->last_type = e->type;
        snprintf(s->last_label, sizeof s->last_label, "%s", e->label);
    }
}

/* Reads a reply to steps[0..n) into a: at most n sections, echoing the steps' seqs in
** order, nothing after the last; 0, or -1 with why. */
static int read_answer(size_t len, const ox_step *steps, unsigned n, answer *a, char *why,
                       size_t wlen) {
    ox_reply_reader rd;
    char err[200];
    if (ox_reply_open(&rd, T.replybuf, len, err, sizeof err) != 0) {
        snprintf(why, wlen, "malformed reply: %s", err);
        return -1;
    }
    if (rd.nsections > n) {
        snprintf(why, wlen, "%u sections for %u steps", rd.nsections, n);
        return -1;
    }
    ox_reply r = { .effects = T.effects };
    for (a->n = 0; a->n < rd.nsections; a->n++) {
        if (ox_reply_next_section(&rd, &r, err, sizeof err) != 1) {
            snprintf(why, wlen, "malformed reply: %s", err);
            return -1;
        }
        if (r.seq != steps[a->n].seq) {
            snprintf(why, wlen, "section %u answers seq %u, not step %u's seq %u", a->n + 1, r.seq,
                     a->n + 1, steps[a->n].seq);
            return -1;
        }
        summarize(&r, &a->s[a->n]);
    }
    if (ox_reply_next_section(&rd, &r, err, sizeof err) != 0) {
        snprintf(why, wlen, "malformed reply: %s", err);
        return -1;
    }
    return 0;
}

/* Numbers steps[0..n) from the node's next seq, sends them as one STEP and reads the
** REPLY into a; 0, or -1 with why.  A step the node did not handle keeps its seq for
** when it is sent again, as in the simulator. */
static int exchange(node *nd, ox_step *steps, unsigned n, answer *a, char *why, size_t len) {
    memset(a, 0, sizeof *a);
    for (unsigned i = 0; i < n; i++) steps[i].seq = nd->next_seq + i;
    size_t blen = ox_steps_encode(steps, n, T.stepbuf, OX_STEP_MAX);
    if (blen == 0) { snprintf(why, len, "the batch does not encode"); return -1; }
    if (await(nd, ZMQ_POLLOUT, why, len) != 0) return -1;
    if (zmq_send(nd->sock, T.stepbuf, blen, ZMQ_DONTWAIT) != (int)blen) {
        snprintf(why, len, "send failed: %s", zmq_strerror(zmq_errno()));
        return -1;
    }
    if (await(nd, ZMQ_POLLIN, why, len) != 0) return -1;
    int got = zmq_recv(nd->sock, T.replybuf, OX_REPLY_MAX, ZMQ_DONTWAIT);
    if (got < 0) { snprintf(why, len, "receive failed: %s", zmq_strerror(zmq_errno())); return -1; }
    if ((size_t)got > OX_REPLY_MAX) {
        snprintf(why, len, "a reply of %d bytes (max %u)", got, OX_REPLY_MAX);
        return -1;
    }
    if (read_answer((size_t)got, steps, n, a, why, len) != 0) return -1;
    nd->next_seq += a->n;
    return 0;
}

/* exchange(), or a "not ok - what" naming why it failed; 1 if there is an answer. */
static int talk(node *nd, ox_step *steps, unsigned n, answer *a, const char *what) {
    char why[300];
    if (exchange(nd, steps, n, a, why, sizeof why) == 0) return 1;
    check(0, "%s (%s)", what, why);
    return 0;
}

static ox_step make_step(uint8_t kind, int64_t vtime_us) {
    ox_step s;
    memset(&s, 0, sizeof s);
    s.kind = kind;
    s.vtime_us = vtime_us;
    s.clock_us = EPOCH_US + vtime_us;
    return s;
}

static ox_step scan_step(int64_t vtime_us) {
    ox_step s = make_step(OX_STEP_TIMER, vtime_us);
    s.timer_id = OX_TIMER_SCAN;
    return s;
}

static ox_step pay_step(uint64_t pay_id, int64_t vtime_us) {
    ox_step s = make_step(OX_STEP_PAY, vtime_us);
    s.pay_id = pay_id;
    s.account = 1;
    s.amount = 100;
    return s;
}

static int ok_sections(const answer *a, unsigned n) {
    if (a->n != n) return 0;
    for (unsigned i = 0; i < n; i++)
        if (a->s[i].status != OX_REPLY_OK) return 0;
    return 1;
}

static int scan_timer(const section *s, int64_t delay_us) {
    return s->ntimers == 1 && s->timer_id == OX_TIMER_SCAN && s->timer_delay_us == delay_us;
}

static int paid(const section *s, uint64_t pay_id) {
    return s->status == OX_REPLY_OK && s->nreplies == 1 && s->reply_pay == pay_id &&
           s->reply_ok == 1;
}

/* ---- the database ------------------------------------------------------------- */

/* created_at of payment `id` in DIR/db (read-only): 0 and *at (-1: no such row), or -1
** with why. */
static int created_at(const char *db, uint64_t id, int64_t *at, char *why, size_t len) {
    char path[PATH_MAX_LEN];
    dir_path(path, db);
    sqlite3 *h = NULL;
    sqlite3_stmt *q = NULL;
    int rc = sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(h, "SELECT created_at FROM payment WHERE id = ?1", -1, &q, NULL);
    if (rc == SQLITE_OK) rc = sqlite3_bind_int64(q, 1, (sqlite3_int64)id);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(q);
        *at = rc == SQLITE_ROW ? sqlite3_column_int64(q, 0) : -1;
        if (rc == SQLITE_ROW || rc == SQLITE_DONE) rc = SQLITE_OK;
    }
    if (rc != SQLITE_OK)
        snprintf(why, len, "%s: %s", path, h ? sqlite3_errmsg(h) : "out of memory");
    sqlite3_finalize(q);
    sqlite3_close(h);
    return rc == SQLITE_OK ? 0 : -1;
}

static void check_created_at(const char *db, uint64_t id, int64_t want, const char *what) {
    int64_t at = 0;
    char why[PATH_MAX_LEN + 100];
    if (created_at(db, id, &at, why, sizeof why) != 0) { check(0, "%s (%s)", what, why); return; }
    if (!check(at == want, "%s", what))
        printf("# got created_at %lld for payment %llu\n", (long long)at, (unsigned long long)id);
}

/* ---- the cases ---------------------------------------------------------------- */

/* a. START alone: one OK section arming the scan timer for scan_interval. */
static void case_start(node *nd) {
    ox_step s = make_step(OX_STEP_START, 0);
    answer a;
    if (!talk(nd, &s, 1, &a, "START alone is answered")) return;
    check_answer(ok_sections(&a, 1), &a, "START alone is answered by one OK section");
    check_answer(a.n == 1 && scan_timer(&a.s[0], SEC), &a,
                 "START arms the scan timer for 1,000,000 us (scan_interval=1)");
}

/* b. A timer set by step i, due before step i+1's vtime, ends the batch. */
static void case_timer_due(node *nd) {
    ox_step b[2] = { scan_step(1 * SEC), pay_step(1, 5 * SEC) };
    answer a;
    if (!talk(nd, b, 2, &a, "[TIMER scan at 1 s, PAY 1 at 5 s] is answered")) return;
    check_answer(a.n >= 1 && scan_timer(&a.s[0], SEC), &a,
                 "the scan at 1 s re-arms its timer for 1 s (due at 2 s, before the PAY at 5 s)");
    check_answer(
        ok_sections(&a, 1), &a,
        "a timer due before the next step ends the batch: 1 OK section, the PAY not handled");
    if (!talk(nd, &b[1], 1, &a, "the PAY not handled, sent again alone, is answered")) return;
    check_answer(
        a.n == 1 && paid(&a.s[0], 1), &a,
        "the PAY not handled, sent again alone, is paid: 1 section with REPLY ok for payment 1");
}

/* c. A timer set by step i that a later TIMER step names makes that step stale. */
static void case_stale(node *nd) {
    ox_step b[2] = { scan_step(6 * SEC), scan_step(6 * SEC) };
    answer a;
    if (!talk(nd, b, 2, &a, "[TIMER scan at 6 s, TIMER scan at 6 s] is answered")) return;
    check_answer(
        a.n >= 1 && scan_timer(&a.s[0], SEC), &a,
        "the first scan re-arms its timer for 1 s (due at 7 s, not before the second step)");
    check_answer(ok_sections(&a, 1), &a,
                 "a timer a later TIMER step names ends the batch: 1 OK section, the stale TIMER "
                 "not handled");
}

/* d. Steps that set no timer go on in one batch, each at its own clock. */
static void case_clock(node *nd) {
    ox_step b[2] = { pay_step(2, 7 * SEC), pay_step(3, 7 * SEC + SEC / 4) };
    answer a;
    if (!talk(nd, b, 2, &a, "[PAY 2 at 7 s, PAY 3 at 7.25 s] is answered")) return;
    check_answer(ok_sections(&a, 2), &a,
                 "two PAYs that set no timer are handled in one batch: 2 OK sections");
    check_answer(a.n == 2 && a.s[0].ntimers == 0 && a.s[1].ntimers == 0, &a,
                 "... neither PAY sets a timer");
    check_answer(a.n == 2 && paid(&a.s[0], 2) && paid(&a.s[1], 3), &a,
                 "... each section has a REPLY ok for its own payment (2, then 3)");
    ox_step stop = make_step(OX_STEP_STOP, 7 * SEC + SEC / 4);
    if (!talk(nd, &stop, 1, &a, "STOP is answered")) return;
    check_answer(ok_sections(&a, 1), &a, "STOP is answered by one OK section");
    check(wait_exit(nd, EXIT_WAIT_MS) == 0 && WIFEXITED(nd->status) && WEXITSTATUS(nd->status) == 0,
          "after STOP the node exits with status 0");
    check_created_at("payment.db", 2, 1700000007000LL,
                     "payment 2 (PAY at 7 s) has created_at 1700000007000");
    check_created_at("payment.db", 3, 1700000007250LL,
                     "payment 3 (PAY at 7.25 s, same batch) has created_at 1700000007250: each "
                     "step runs at its own clock");
}

/* e. A crash at an armed failpoint ends the batch. */
static void case_crash(node *nd) {
    ox_step s = make_step(OX_STEP_START, 8 * SEC);
    answer a;
    if (!talk(nd, &s, 1, &a, "START of a new life on the same database is answered")) return;
    check_answer(ok_sections(&a, 1), &a,
                 "START of a new life on the same database: one OK section");
    ox_step b[2] = { pay_step(4, 8 * SEC), pay_step(5, 8 * SEC + SEC / 10) };
    b[0].narmed = 1;
    snprintf(b[0].armed[0].name, sizeof b[0].armed[0].name, "%s", FAILPOINT);
    b[0].armed[0].skip = 0;
    b[0].armed[0].action = OX_ARM_CRASH;
    if (!talk(nd, b, 2, &a, "[PAY 4 armed to crash, PAY 5] is answered")) return;
    check_answer(a.n == 1 && a.s[0].status == OX_REPLY_CRASH, &a,
                 "a crash ends the batch: 1 section, status CRASH, PAY 5 not handled");
    check_answer(a.n == 1 && a.s[0].last_type == OX_FX_FAILPOINT &&
                     !strcmp(a.s[0].last_label, FAILPOINT),
                 &a, "... its last effect is the FAILPOINT " FAILPOINT);
    sleep_ms(CRASH_GRACE_MS);
    check(!gone(nd), "after CRASH the node waits to be killed");
    kill_node(nd);
    check_created_at("payment.db", 4, 1700000008000LL,
                     "payment 4 committed before the crash (created_at 1700000008000)");
    check_created_at("payment.db", 5, -1,
                     "payment 5, after the crash in its batch, was never made");
}

/* f. A batch against the rules is refused before any step runs. */
static void case_malformed(node *nd) {
    ox_step b[2] = { make_step(OX_STEP_START, 9 * SEC), make_step(OX_STEP_STOP, 9 * SEC) };
    answer a;
    if (!talk(nd, b, 2, &a, "the malformed batch [START, STOP] is answered")) return;
    check_answer(a.n == 1 && a.s[0].status == OX_REPLY_FATAL, &a,
                 "a malformed batch [START, STOP] is refused: 1 section, status FATAL");
    check_answer(a.n == 1 && a.s[0].last_type == OX_FX_NOTE &&
                     strstr(a.s[0].note, "malformed step"),
                 &a, "... whose last NOTE says \"malformed step\"");
    check(wait_exit(nd, EXIT_WAIT_MS) == 0 && WIFEXITED(nd->status) && WEXITSTATUS(nd->status) == 3,
          "... and the node exits with status 3");
    char path[PATH_MAX_LEN];
    dir_path(path, "malformed.db");
    check(access(path, F_OK) != 0 && errno == ENOENT,
          "... without running the START (no database created)");
}

/* ---- main --------------------------------------------------------------------- */

static void setup(void) {
    if (access(T.bin, X_OK) != 0) setup_failed("%s: %s", T.bin, strerror(errno));
    if (access(T.faketime, R_OK) != 0) setup_failed("%s: %s", T.faketime, strerror(errno));
    if (mkdir(T.dir, 0755) != 0 && errno != EEXIST) setup_failed("%s: %s", T.dir, strerror(errno));
    struct stat sb;
    if (stat(T.dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) setup_failed("%s: not a directory", T.dir);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    T.stepbuf = malloc(OX_STEP_MAX);
    T.replybuf = malloc(OX_REPLY_MAX);
    T.effects = calloc(OX_STEP_MAX_EFFECTS, sizeof *T.effects);
    T.zctx = zmq_ctx_new();
    if (!T.stepbuf || !T.replybuf || !T.effects || !T.zctx)
        setup_failed("out of memory or no ZeroMQ context");
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: step-drive NODE_BIN FAKETIME_LIB DIR\n");
        return 2;
    }
    T.bin = argv[1];
    T.faketime = argv[2];
    T.dir = argv[3];
    setup();
    node *nd = start_node("payment.db", EPOCH_US);   /* its first step: START at vtime 0 */
    case_start(nd);
    case_timer_due(nd);
    case_stale(nd);
    case_clock(nd);
    kill_node(nd);
    case_crash(start_node("payment.db", EPOCH_US + 8 * SEC));
    nd = start_node("malformed.db", EPOCH_US + 9 * SEC);
    case_malformed(nd);
    kill_node(nd);
    cleanup();
    return T.failed ? 1 : 0;
}
