/*
** shrink_runs.c: child runs of outbox-sim, a batch at a time (see shrink_runs.h).
*/
#include "shrink_runs.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"

volatile sig_atomic_t sr_interrupted = 0;

static void on_signal(int sig) {
    (void)sig;
    sr_interrupted = 1;
}

void sr_install_signals(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

int64_t sr_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int sr_cores(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : (n > SR_MAX_PARALLEL ? SR_MAX_PARALLEL : (int)n);
}

static void pause_ms(long ms) {
    struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);     /* a signal cuts it short, which is what we want */
}

/* In the child, after fork: never returns. */
static void exec_job(const sr_job *j, pid_t parent) {
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(3);          /* the parent died before prctl */
    int in = open("/dev/null", O_RDONLY);
    int log = open(j->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (in < 0 || log < 0) _exit(3);
    dup2(in, 0);
    dup2(log, 1);
    dup2(log, 2);
    if (in > 2) close(in);
    if (log > 2) close(log);
    char seed[32];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)j->seed);
    const char *argv[12];
    int a = 0;
    argv[a++] = cmd_self();
    argv[a++] = "run";
    argv[a++] = j->file;
    argv[a++] = "--seed";
    argv[a++] = seed;
    if (j->design[0]) { argv[a++] = "--design"; argv[a++] = j->design; }
    argv[a++] = "--out";
    argv[a++] = j->out;
    argv[a++] = "--quiet";
    argv[a] = NULL;
    execv(cmd_self(), (char *const *)argv);
    fprintf(stderr, "outbox-sim: cannot run %s: %s\n", cmd_self(), strerror(errno));
    _exit(3);
}

static int start_job(sr_job *j, char *err, size_t errlen) {
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "cannot start a run: fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) exec_job(j, parent);
    j->pid = pid;
    j->started_ms = sr_now_ms();
    return 0;
}

/* Collects j if it ended; returns 1 if it did. */
static int reap(sr_job *j, int block) {
    int st;
    pid_t r = waitpid(j->pid, &st, block ? 0 : WNOHANG);
    if (r == 0) return 0;
    if (r < 0 && errno == EINTR) return 0;
    j->code = (r == j->pid && WIFEXITED(st) && WEXITSTATUS(st) <= 3) ? WEXITSTATUS(st) : 3;
    j->wall_ms = sr_now_ms() - j->started_ms;
    j->pid = 0;
    return 1;
}

/* SIGTERM to every running child, SIGKILL to those still there after the grace time,
** and every one reaped. */
static void stop_all(sr_job *jobs, int n) {
    for (int i = 0; i < n; i++)
        if (jobs[i].pid > 0) kill(jobs[i].pid, SIGTERM);
    int64_t deadline = sr_now_ms() + SR_GRACE_MS;
    for (;;) {
        int left = 0;
        for (int i = 0; i < n; i++)
            if (jobs[i].pid > 0 && !reap(&jobs[i], 0)) left++;
        if (!left) return;
        if (sr_now_ms() >= deadline) break;
        pause_ms(10);
    }
    for (int i = 0; i < n; i++)
        if (jobs[i].pid > 0) { kill(jobs[i].pid, SIGKILL); while (!reap(&jobs[i], 1)) {} }
}

int sr_run(sr_job *jobs, int n, int parallel, char *err, size_t errlen) {
    if (parallel < 1) parallel = 1;
    int next = 0, running = 0, done = 0;
    for (int i = 0; i < n; i++) { jobs[i].pid = 0; jobs[i].code = -1; }
    while (done < n) {
        if (sr_interrupted) {
            stop_all(jobs, n);
            snprintf(err, errlen, "interrupted by a signal");
            return -1;
        }
        while (running < parallel && next < n) {
            if (start_job(&jobs[next], err, errlen) != 0) { stop_all(jobs, n); return -1; }
            next++;
            running++;
        }
        int reaped = 0;
        for (int i = 0; i < next; i++) {
            sr_job *j = &jobs[i];
            if (j->pid <= 0) continue;
            if (sr_now_ms() - j->started_ms > SR_RUN_LIMIT_MS) kill(j->pid, SIGKILL);
            if (reap(j, 0)) { running--; done++; reaped = 1; }
        }
        if (!reaped) pause_ms(5);
    }
    return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st;
    (void)ftw;
    return (flag == FTW_DP ? rmdir(path) : unlink(path)) != 0 && errno != ENOENT ? -1 : 0;
}

int sr_rmtree(const char *path) {
    struct stat st;
    if (lstat(path, &st) != 0) return errno == ENOENT ? 0 : -1;
    return nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS) == 0 ? 0 : -1;
}

int sr_mkdirs(const char *path) {
    char buf[1024];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) return -1;
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST) return -1;
        *p = '/';
    }
    return (mkdir(buf, 0755) != 0 && errno != EEXIST) ? -1 : 0;
}

void sr_log_line(const sr_job *j, char *out, size_t cap) {
    out[0] = '\0';
    FILE *f = fopen(j->log, "r");
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
