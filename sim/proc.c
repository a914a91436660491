/*
** proc.c: starting, stepping and killing the service processes (see proc.h).
*/
#include "proc.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

extern char **environ;

volatile int sim_interrupted = 0;

#define SIM_EPOCH_DIR "/tmp"
#define SIM_DIR_PREFIX "outbox-sim."

static const char *const faketime_candidates[] = {
    "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1",
    "/usr/lib/aarch64-linux-gnu/faketime/libfaketimeMT.so.1",
    "/usr/lib/faketime/libfaketimeMT.so.1",
    "/usr/local/lib/faketime/libfaketimeMT.so.1",
    NULL,
};

static int64_t mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int pid_alive(long pid) {
    return pid > 0 && (kill((pid_t)pid, 0) == 0 || errno != ESRCH);
}

/* libfaketime leaves these behind for every preloaded process that is killed. */
static void remove_faketime_shm(long pid) {
    char path[128];
    snprintf(path, sizeof path, "/dev/shm/faketime_shm_%ld", pid);
    unlink(path);
    snprintf(path, sizeof path, "/dev/shm/sem.faketime_sem_%ld", pid);
    unlink(path);
}

static void remove_dir_files(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    char path[600];
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' && (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2]))) continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

/* A simulator that was SIGKILLed could not clean up.  Its children died with it
** (PDEATHSIG); what they left (temp dirs, shm files) is removed here, but only where
** the owning process is certainly gone. */
static void remove_stale(void) {
    DIR *d = opendir(SIM_EPOCH_DIR);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strncmp(e->d_name, SIM_DIR_PREFIX, strlen(SIM_DIR_PREFIX)) != 0) continue;
            char path[512], owner[600];
            snprintf(path, sizeof path, "%s/%s", SIM_EPOCH_DIR, e->d_name);
            snprintf(owner, sizeof owner, "%s/owner", path);
            FILE *f = fopen(owner, "r");
            long pid = 0;
            if (f) { if (fscanf(f, "%ld", &pid) != 1) pid = 0; fclose(f); }
            if (pid > 0 && !pid_alive(pid)) remove_dir_files(path);
        }
        closedir(d);
    }
    d = opendir("/dev/shm");
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        long pid = 0;
        if (sscanf(e->d_name, "faketime_shm_%ld", &pid) == 1 ||
            sscanf(e->d_name, "sem.faketime_sem_%ld", &pid) == 1) {
            if (!pid_alive(pid)) remove_faketime_shm(pid);
        }
    }
    closedir(d);
}

int procs_init(sim_procs *ps, char *err, size_t errlen) {
    memset(ps, 0, sizeof *ps);
    ps->timeout_ms = 30000;
    const char *env = getenv("OUTBOX_FAKETIME");
    if (env && *env) {
        snprintf(ps->faketime_lib, sizeof ps->faketime_lib, "%s", env);
    } else {
        for (int i = 0; faketime_candidates[i]; i++) {
            if (access(faketime_candidates[i], R_OK) == 0) {
                snprintf(ps->faketime_lib, sizeof ps->faketime_lib, "%s", faketime_candidates[i]);
                break;
            }
        }
    }
    if (!ps->faketime_lib[0] || access(ps->faketime_lib, R_OK) != 0) {
        snprintf(err, errlen, "libfaketimeMT.so.1 not found (install Debian package libfaketime, or set OUTBOX_FAKETIME)");
        return -1;
    }
    remove_stale();
    snprintf(ps->dir, sizeof ps->dir, "%s/%sXXXXXX", SIM_EPOCH_DIR, SIM_DIR_PREFIX);
    if (!mkdtemp(ps->dir)) {
        snprintf(err, errlen, "cannot create a temp dir in %s: %s", SIM_EPOCH_DIR, strerror(errno));
        ps->dir[0] = '\0';
        return -1;
    }
    char owner[300];
    snprintf(owner, sizeof owner, "%s/owner", ps->dir);
    FILE *f = fopen(owner, "w");
    if (f) { fprintf(f, "%ld\n", (long)getpid()); fclose(f); }
    ps->stepbuf = malloc(OX_STEP_MAX);
    ps->replybuf = malloc(OX_STEP_MAX);
    ps->zctx = zmq_ctx_new();
    if (!ps->stepbuf || !ps->replybuf || !ps->zctx) {
        snprintf(err, errlen, "out of memory or no ZeroMQ context");
        return -1;
    }
    return 0;
}

void proc_init(sim_proc *p, int node, const char *name, const char *log_path) {
    memset(p, 0, sizeof *p);
    p->node = node;
    p->name = name;
    p->clock_us = -1;
    snprintf(p->log_path, sizeof p->log_path, "%s", log_path);
}

void proc_add_arg(sim_proc *p, const char *arg) {
    assert(p->argc < PROC_MAX_ARGS - 3);   /* room for --sim ENDPOINT NULL */
    p->argv[p->argc] = strdup(arg);
    assert(p->argv[p->argc]);
    p->argc++;
}

/* Writes the child's virtual clock atomically: libfaketime re-reads the file on every
** clock call, and a truncate-then-write leaks real time to a reader in between. */
static int write_clock(sim_proc *p, int64_t clock_us) {
    if (p->clock_us == clock_us) return 0;
    char tmp[340], text[64];
    snprintf(tmp, sizeof tmp, "%s.tmp", p->clock_path);
    int64_t s = clock_us / 1000000, us = clock_us % 1000000;
    int n = snprintf(text, sizeof text, "%lld.%06lld\n", (long long)s, (long long)us);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return -1;
    int ok = write(fd, text, (size_t)n) == n;
    close(fd);
    if (!ok || rename(tmp, p->clock_path) != 0) return -1;
    p->clock_us = clock_us;
    return 0;
}

/* The child's environment: ours, less anything libfaketime would read, plus the
** recipe of platform-facts.md (file-based, frozen, monotonic left real for ZeroMQ). */
static char **child_env(const sim_procs *ps, const sim_proc *p) {
    size_t n = 0;
    while (environ[n]) n++;
    char **env = calloc(n + 8, sizeof *env);
    if (!env) return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (!strncmp(environ[i], "FAKETIME", 8) || !strncmp(environ[i], "LD_PRELOAD=", 11) ||
            !strncmp(environ[i], "TZ=", 3)) continue;
        env[k++] = environ[i];
    }
    char buf[700];
    snprintf(buf, sizeof buf, "LD_PRELOAD=%s", ps->faketime_lib);
    env[k++] = strdup(buf);
    snprintf(buf, sizeof buf, "FAKETIME_TIMESTAMP_FILE=%s", p->clock_path);
    env[k++] = strdup(buf);
    env[k++] = strdup("FAKETIME_NO_CACHE=1");
    env[k++] = strdup("FAKETIME_FMT=%s");
    env[k++] = strdup("FAKETIME_DONT_FAKE_MONOTONIC=1");
    env[k++] = strdup("TZ=UTC");
    env[k] = NULL;
    return env;
}

static void free_env(char **env) {
    if (!env) return;
    /* Only the last six entries were allocated here. */
    size_t n = 0;
    while (env[n]) n++;
    for (size_t i = n >= 6 ? n - 6 : 0; i < n; i++) free(env[i]);
    free(env);
}

/* In the forked child: only async-signal-safe calls until execve. */
static void exec_child(const sim_proc *p, char **argv, char **env, pid_t parent) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    int null = open("/dev/null", O_RDONLY);
    int log = open(p->log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (null < 0 || log < 0) _exit(127);
    dup2(null, 0);
    dup2(log, 1);
    dup2(log, 2);
    /* The child must own no stray low fd: a write to one that became its database
    ** file would corrupt it. */
    for (int fd = 3; fd < 1024; fd++) close(fd);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    execve(argv[0], argv, env);
    static const char msg[] = "outbox-sim: cannot exec outbox-node\n";
    if (write(2, msg, sizeof msg - 1) < 0) _exit(127);
    _exit(127);
}

int proc_start(sim_procs *ps, sim_proc *p, int64_t clock_us, char *err, size_t errlen) {
    assert(p->pid == 0 && p->sock == NULL && p->argc > 0);
    p->life++;
    snprintf(p->clock_path, sizeof p->clock_path, "%s/%s.clock", ps->dir, p->name);
    snprintf(p->endpoint, sizeof p->endpoint, "ipc://%s/%s.%d.ipc", ps->dir, p->name, p->life);
    p->clock_us = -1;
    if (write_clock(p, clock_us) != 0) {
        snprintf(err, errlen, "%s: cannot write clock file %s: %s", p->name, p->clock_path, strerror(errno));
        return -1;
    }
    p->sock = zmq_socket(ps->zctx, ZMQ_PAIR);
    int zero = 0;
    if (!p->sock || zmq_setsockopt(p->sock, ZMQ_LINGER, &zero, sizeof zero) != 0 ||
        zmq_bind(p->sock, p->endpoint) != 0) {
        snprintf(err, errlen, "%s: cannot bind %s: %s", p->name, p->endpoint, zmq_strerror(zmq_errno()));
        if (p->sock) zmq_close(p->sock);
        p->sock = NULL;
        return -1;
    }
    char *argv[PROC_MAX_ARGS];
    int i = 0;
    for (; i < p->argc; i++) argv[i] = p->argv[i];
    argv[i++] = "--sim";
    argv[i++] = p->endpoint;
    argv[i] = NULL;
    char **env = child_env(ps, p);
    if (!env) { snprintf(err, errlen, "out of memory"); return -1; }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) exec_child(p, argv, env, parent);
    free_env(env);
    if (pid < 0) {
        snprintf(err, errlen, "%s: fork failed: %s", p->name, strerror(errno));
        zmq_close(p->sock);
        p->sock = NULL;
        return -1;
    }
    p->pid = pid;
    return 0;
}

static void describe_exit(int status, char *out, size_t cap) {
    if (WIFEXITED(status)) snprintf(out, cap, "exited with status %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status)) snprintf(out, cap, "was killed by signal %d", WTERMSIG(status));
    else snprintf(out, cap, "stopped (status %d)", status);
}

static void after_death(sim_proc *p) {
    remove_faketime_shm((long)p->pid);
    if (p->sock) zmq_close(p->sock);
    p->sock = NULL;
    const char *path = p->endpoint + strlen("ipc://");
    if (!strncmp(p->endpoint, "ipc://", 6)) unlink(path);
    p->pid = 0;
}

/* Waits for the reply, watching the child and the clock; never blocks forever. */
static int await_reply(sim_procs *ps, sim_proc *p, size_t *len, char *err, size_t errlen) {
    int64_t deadline = mono_ms() + ps->timeout_ms;
    for (;;) {
        zmq_pollitem_t item = { p->sock, 0, ZMQ_POLLIN, 0 };
        int rc = zmq_poll(&item, 1, 100);
        if (rc > 0) break;
        if (rc < 0 && zmq_errno() != EINTR) {
            snprintf(err, errlen, "%s: poll failed: %s", p->name, zmq_strerror(zmq_errno()));
            return -1;
        }
        if (sim_interrupted) { snprintf(err, errlen, "interrupted by a signal"); return -1; }
        int status;
        if (waitpid(p->pid, &status, WNOHANG) == p->pid) {
            char how[64];
            describe_exit(status, how, sizeof how);
            snprintf(err, errlen, "%s %s while handling a step (see %s)", p->name, how, p->log_path);
            after_death(p);
            return -1;
        }
        if (mono_ms() > deadline) {
            snprintf(err, errlen, "%s did not answer a step within %d ms (see %s)", p->name, ps->timeout_ms, p->log_path);
            return -1;
        }
    }
    int n = zmq_recv(p->sock, ps->replybuf, OX_STEP_MAX, 0);
    if (n < 0) { snprintf(err, errlen, "%s: receive failed: %s", p->name, zmq_strerror(zmq_errno())); return -1; }
    if ((size_t)n > OX_STEP_MAX) { snprintf(err, errlen, "%s sent an oversized reply (%d bytes)", p->name, n); return -1; }
    *len = (size_t)n;
    return 0;
}

int proc_step(sim_procs *ps, sim_proc *p, ox_step *s, int64_t clock_us, ox_reply *r,
              char *err, size_t errlen) {
    assert(p->pid > 0 && p->sock);
    if (write_clock(p, clock_us) != 0) {
        snprintf(err, errlen, "%s: cannot write clock file: %s", p->name, strerror(errno));
        return -1;
    }
    size_t n = ox_step_encode(s, ps->stepbuf, OX_STEP_MAX);
    if (n == 0) { snprintf(err, errlen, "%s: step does not fit in %u bytes", p->name, OX_STEP_MAX); return -1; }
    if (zmq_send(p->sock, ps->stepbuf, n, 0) != (int)n) {
        snprintf(err, errlen, "%s: send failed: %s", p->name, zmq_strerror(zmq_errno()));
        return -1;
    }
    size_t len = 0;
    if (await_reply(ps, p, &len, err, errlen) != 0) return -1;
    char why[200];
    if (ox_reply_decode(ps->replybuf, len, r, why, sizeof why) != 0) {
        snprintf(err, errlen, "%s sent a malformed reply: %s", p->name, why);
        return -1;
    }
    if (r->seq != s->seq) {
        snprintf(err, errlen, "%s answered step %u with the reply to step %u", p->name, s->seq, r->seq);
        return -1;
    }
    return 0;
}

void proc_kill(sim_procs *ps, sim_proc *p) {
    (void)ps;
    if (p->pid <= 0) {
        if (p->sock) zmq_close(p->sock);
        p->sock = NULL;
        return;
    }
    kill(p->pid, SIGKILL);
    while (waitpid(p->pid, NULL, 0) < 0 && errno == EINTR) {}
    after_death(p);
}

void proc_reap_stopped(sim_procs *ps, sim_proc *p) {
    if (p->pid <= 0) return;
    int64_t deadline = mono_ms() + 5000;
    while (mono_ms() < deadline) {
        if (waitpid(p->pid, NULL, WNOHANG) == p->pid) { after_death(p); return; }
        struct timespec ts = { 0, 2 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
    proc_kill(ps, p);
}

void procs_fini(sim_procs *ps, sim_proc *p, int n) {
    for (int i = 0; i < n; i++) {
        proc_kill(ps, &p[i]);
        for (int a = 0; a < p[i].argc; a++) free(p[i].argv[a]);
        p[i].argc = 0;
    }
    if (ps->zctx) zmq_ctx_term(ps->zctx);
    ps->zctx = NULL;
    if (ps->dir[0]) remove_dir_files(ps->dir);
    ps->dir[0] = '\0';
    free(ps->stepbuf);
    free(ps->replybuf);
    ps->stepbuf = ps->replybuf = NULL;
}
