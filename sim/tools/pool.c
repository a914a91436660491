/*
** pool.c: child runs of `outbox-sim run`, started, waited for and stopped (see pool.h).
*/
#include "pool.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../core/janitor.h"
#include "../util/files.h"
#include "cmd.h"
#include "nodeflag.h"

double pool_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int pool_cores(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1) n = 1;
    if (n > POOL_MAX_JOBS) n = POOL_MAX_JOBS;
    return (int)n;
}

/* ---- signals -------------------------------------------------------------------- */

static void on_sigchld(int sig) { (void)sig; }

static void stop_signals(sigset_t *set, int with_child) {
    sigemptyset(set);
    if (with_child) sigaddset(set, SIGCHLD);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGHUP);
}

void pool_init(pool *p, int jobs, const char *argv0) {
    assert(jobs >= 1);
    assert(jobs <= POOL_MAX_JOBS);
    assert(argv0);
    memset(p, 0, sizeof *p);
    p->argv0 = argv0;
    p->max = jobs;
    p->grace_ms = POOL_GRACE_MS;
    /* A handler, not SIG_DFL: a blocked signal whose action is "ignore" may be
    ** discarded instead of left pending for sigtimedwait. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigchld;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGCHLD, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    sigset_t set;
    stop_signals(&set, 1);
    sigprocmask(SIG_BLOCK, &set, &p->oldmask);
}

void pool_fini(pool *p) {
    assert(p->nrunning == 0);
    pool_poll(p);
    sigprocmask(SIG_SETMASK, &p->oldmask, NULL);
    signal(SIGCHLD, SIG_DFL);
}

static void note_signal(pool *p, int sig) {
    assert(sig == SIGINT || sig == SIGTERM || sig == SIGHUP);
    if (!p->stop_sig) p->stop_sig = sig;
    p->signals++;
}

int pool_poll(pool *p) {
    sigset_t set;
    stop_signals(&set, 0);
    struct timespec zero = { 0, 0 };
    int sig;
    while ((sig = sigtimedwait(&set, NULL, &zero)) > 0) note_signal(p, sig);
    return p->stop_sig;
}

/* ---- starting ------------------------------------------------------------------- */

/* In the forked child: never returns. */
static void exec_child(const pool *p, const pool_job *job, int logfd, pid_t parent) {
    setpgid(0, 0);
    /* SIGTERM, not SIGKILL: the run stops its nodes and removes its temp files. */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(3);          /* the parent died before prctl */
    signal(SIGPIPE, SIG_DFL);
    signal(SIGCHLD, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(logfd, 1) < 0 || dup2(logfd, 2) < 0) _exit(3);
    char seed[32];
    snprintf(seed, sizeof seed, "%" PRIu64, job->seed);
    const char *argv[12 + NODEFLAG_WORDS];
    int n = 0;
    argv[n++] = p->argv0;
    argv[n++] = "run";
    argv[n++] = job->scenario;
    argv[n++] = "--seed";
    argv[n++] = seed;
    if (job->design[0]) {
        argv[n++] = "--design";
        argv[n++] = job->design;
    }
    argv[n++] = "--out";
    argv[n++] = job->out;
    argv[n++] = "--quiet";
    size_t nw = (size_t)n;
    nodeflag_words(argv, &nw, sizeof argv / sizeof argv[0] - 1);   /* --node ROLE=COMMAND */
    n = (int)nw;
    argv[n] = NULL;
    assert(n < (int)(sizeof argv / sizeof argv[0]));
    execv(cmd_self(), (char *const *)argv);
    dprintf(2, "outbox-sim: cannot run %s: %s\n", cmd_self(), strerror(errno));
    _exit(3);
}

int pool_start(pool *p, const pool_job *job, char *err, size_t cap) {
    assert(p->nrunning < p->max);
    assert(job->scenario[0]);
    assert(job->log[0]);
    pool_slot *s = NULL;
    for (int i = 0; i < p->max && !s; i++)
        if (p->slot[i].pid == 0) s = &p->slot[i];
    assert(s != NULL);
    int fd = open(job->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(err, cap, "cannot create %s: %s", job->log, strerror(errno));
        return -1;
    }
    fflush(stdout);
    fflush(stderr);
    pid_t me = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, cap, "cannot start a run: fork: %s", strerror(errno));
        close(fd);
        unlink(job->log);
        return -1;
    }
    if (pid == 0) exec_child(p, job, fd, me);
    setpgid(pid, pid);   /* also here: whichever of the two runs first */
    close(fd);
    s->pid = pid;
    s->job = *job;
    s->started = pool_now();
    p->nrunning++;
    assert(p->nrunning <= p->max);
    return 0;
}

/* ---- waiting -------------------------------------------------------------------- */

static pool_slot *slot_of(pool *p, pid_t pid) {
    for (int i = 0; i < p->max; i++)
        if (p->slot[i].pid == pid) return &p->slot[i];
    return NULL;
}

/* Reaps one ended child if there is one: 1 and *job filled, else 0. */
static int reap_one(pool *p, pool_job *job) {
    for (;;) {
        int status;
        pid_t pid = waitpid(-1, &status, WNOHANG);
        if (pid <= 0) return 0;
        pool_slot *s = slot_of(p, pid);
        if (!s) continue;   /* not ours (cannot happen: we start no others) */
        *job = s->job;
        job->status = status;
        job->code = WIFEXITED(status) && WEXITSTATUS(status) <= 3 ? WEXITSTATUS(status) : 3;
        job->seconds = pool_now() - s->started;
        s->pid = 0;
        assert(p->nrunning > 0);
        p->nrunning--;
        return 1;
    }
}

/* Kills (the process group of) every run past p->limit_ms: it then ends with exit 3. */
static void kill_overdue(pool *p) {
    if (p->limit_ms <= 0) return;
    double now = pool_now();
    for (int i = 0; i < p->max; i++)
        if (p->slot[i].pid > 0 && (now - p->slot[i].started) * 1000 > p->limit_ms) {
            kill(-p->slot[i].pid, SIGKILL);
            p->killed = 1;
        }
}

int pool_wait(pool *p, int timeout_ms, pool_job *job) {
    assert(timeout_ms >= 0);
    if (p->nrunning == 0) return -1;
    sigset_t set;
    stop_signals(&set, 1);
    double deadline = pool_now() + timeout_ms / 1000.0;
    for (;;) {
        if (reap_one(p, job)) return 1;
        kill_overdue(p);
        double left = deadline - pool_now();
        if (left <= 0) return 0;
        struct timespec ts = { (time_t)left, (long)((left - (double)(time_t)left) * 1e9) };
        int sig = sigtimedwait(&set, NULL, &ts);
        if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP) {
            note_signal(p, sig);
            return 0;
        }
        if (sig < 0 && errno == EAGAIN) return reap_one(p, job);
    }
}

/* ---- stopping ------------------------------------------------------------------- */

static void signal_all(pool *p, int sig, int group) {
    for (int i = 0; i < p->max; i++)
        if (p->slot[i].pid > 0) kill(group ? -p->slot[i].pid : p->slot[i].pid, sig);
}

int pool_stop_all(pool *p, void (*stopped)(const pool_job *job, void *ctx), void *ctx) {
    int n = 0;
    signal_all(p, p->stop_sig ? p->stop_sig : SIGTERM, 0);
    double deadline = pool_now() + p->grace_ms / 1000.0;
    int signals = p->signals, killed = 0;
    while (p->nrunning > 0) {
        pool_job job;
        if (pool_wait(p, 200, &job) == 1) {
            if (stopped) stopped(&job, ctx);
            n++;
            continue;
        }
        /* A second signal, or the grace period over: the whole group, nodes too. */
        if (!killed && (p->signals != signals || pool_now() > deadline)) {
            signal_all(p, SIGKILL, 1);
            killed = 1;
            p->killed = 1;
        }
    }
    assert(p->nrunning == 0);
    return n;
}

int pool_batch(pool *p, pool_job *jobs, int n, char *err, size_t cap) {
    assert(n >= 0);
    assert(p->nrunning == 0);
    for (int i = 0; i < n; i++) jobs[i].code = -1;
    int next = 0, done = 0;
    while (done < n) {
        if (pool_poll(p)) {
            pool_stop_all(p, NULL, NULL);
            snprintf(err, cap, "interrupted by a signal");
            return -1;
        }
        while (p->nrunning < p->max && next < n) {
            jobs[next].tag = next;
            if (pool_start(p, &jobs[next], err, cap) != 0) {
                pool_stop_all(p, NULL, NULL);
                return -1;
            }
            next++;
        }
        pool_job end;
        int rc = pool_wait(p, 250, &end);
        if (rc == 1) {
            assert(end.tag >= 0);
            assert(end.tag < next);
            jobs[end.tag] = end;
            done++;
        }
        if (p->tick) p->tick(p->tick_ctx, jobs, n, done);
    }
    assert(p->nrunning == 0);
    return 0;
}

/* ---- removing ------------------------------------------------------------------- */

int pool_remove(const pool *p, const char *path) {
    double deadline = pool_now() + (p->killed ? JANITOR_DONE_MS / 1000.0 : 0);
    for (;;) {
        struct stat st;
        if (files_rmtree(path) == 0 && lstat(path, &st) != 0 && errno == ENOENT) return 0;
        if (pool_now() >= deadline) return -1;
        struct timespec ts = { 0, 20 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
}

/* ---- logs ----------------------------------------------------------------------- */

void pool_log_last(const char *log, char *out, size_t cap) {
    assert(cap > 0);
    out[0] = '\0';
    int fd = open(log, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    char buf[4096];
    off_t size = lseek(fd, 0, SEEK_END);
    off_t from = size > (off_t)sizeof buf - 1 ? size - (off_t)sizeof buf + 1 : 0;
    ssize_t n = pread(fd, buf, sizeof buf - 1, from);
    close(fd);
    if (n <= 0) return;
    buf[n] = '\0';
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
        buf[--n] = '\0';
    char *line = strrchr(buf, '\n');
    snprintf(out, cap, "%s", line ? line + 1 : buf);
}

void pool_log_first(const char *log, char *out, size_t cap) {
    assert(cap > 0);
    out[0] = '\0';
    FILE *f = fopen(log, "re");
    if (!f) return;
    char line[1024];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        if (!line[0] || !strncmp(line, "(outbox-sim --help", 18)) continue;
        snprintf(out, cap, "%s", line);
        break;
    }
    fclose(f);
}
