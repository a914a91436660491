/*
** proc.c: starting, stepping and killing the service processes (see proc.h).
**
** Three choices here are for speed, measured by `make bench` (docs/performance.md):
**   - the private temp dir (ipc sockets, the services' databases: dbplace.h) lives on
**     tmpfs (/dev/shm) when it can (OUTBOX_SIM_TMPDIR names another);
**   - a child's clock travels in each step (clock_us) and the child sets libfaketime's
**     FAKETIME itself: no clock file to write here, none to open, read and close
**     at every clock read there (0.4 us a read against 3.4 us, docs/design.md);
**   - the simulator and its children share one CPU (sched_setaffinity, inherited by
**     the children): a lockstep hand-off then never wakes a process on the other
**     core.  Each simulator claims a CPU no other simulator holds (pin_to_one_cpu),
**     so parallel runs spread over the cores.  OUTBOX_SIM_PIN=0 turns it off; a
**     simulator already confined to one CPU (taskset, a sweep) keeps that CPU.
** None changes what a child sees at any clock read, so none can change a run.
*/
#include "proc.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "../../proto/stepjson.h"
#include "../util/files.h"

extern char **environ;

#define RECV_SLICE_MS 100   /* a receive waits this long before the child is looked at */

volatile int proc_interrupted = 0;

#define SIM_DIR_PREFIX "outbox-sim."

/* Where the private temp dir may live, best first; OUTBOX_SIM_TMPDIR names another. */
static const char *const tmp_parents[] = { "/dev/shm", "/tmp", NULL };

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

/* The private temp dir and all in it: databases, sockets, and the nodes' disk folders
** (sim/core/diskf.h). */
static void remove_dir_files(const char *dir) { (void)files_rmtree(dir); }

/* The pid in file `name` of dir, or 0. */
static long read_pid(const char *dir, const char *name) {
    char path[600];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "r");
    long pid = 0;
    if (f) { if (fscanf(f, "%ld", &pid) != 1) pid = 0; fclose(f); }
    return pid;
}

/* A simulator that was SIGKILLed could not clean up.  Its children died with it
** (PDEATHSIG) and its janitor cleans up after it (janitor.h); what a simulator killed
** with its janitor left (temp dirs, shm files) is removed here, but only where the
** owning process and its janitor are certainly gone. */
static void remove_stale_dirs(const char *parent) {
    DIR *d = opendir(parent);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            long jpid = 0;
            if (sscanf(e->d_name, JANITOR_DIR_PREFIX "%ld", &jpid) == 1 && !pid_alive(jpid)) {
                char dead[512];   /* a janitor killed at its work */
                snprintf(dead, sizeof dead, "%s/%s", parent, e->d_name);
                remove_dir_files(dead);
            }
            if (strncmp(e->d_name, SIM_DIR_PREFIX, strlen(SIM_DIR_PREFIX)) != 0) continue;
            char path[512];
            snprintf(path, sizeof path, "%s/%s", parent, e->d_name);
            long pid = read_pid(path, "owner"), janitor = read_pid(path, "janitor");
            if (pid > 0 && !pid_alive(pid) && !pid_alive(janitor)) remove_dir_files(path);
        }
        closedir(d);
    }
}

static void remove_stale(const char *extra_parent) {
    for (int i = 0; tmp_parents[i]; i++) remove_stale_dirs(tmp_parents[i]);
    if (extra_parent) remove_stale_dirs(extra_parent);
    DIR *d = opendir("/dev/shm");
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

/* Creates the private temp dir under the first parent that takes it. */
static int make_private_dir(sim_procs *ps, const char *env_parent, char *err, size_t errlen) {
    const char *parents[4];
    int n = 0;
    if (env_parent) parents[n++] = env_parent;
    else for (int i = 0; tmp_parents[i]; i++) parents[n++] = tmp_parents[i];
    int saved = 0;
    for (int i = 0; i < n; i++) {
        snprintf(ps->dir, sizeof ps->dir, "%s/%sXXXXXX", parents[i], SIM_DIR_PREFIX);
        if (mkdtemp(ps->dir)) return 0;
        saved = errno;
    }
    snprintf(err, errlen, "cannot create a temp dir in %s: %s",
             env_parent ? env_parent : "/dev/shm or /tmp", strerror(saved));
    ps->dir[0] = '\0';
    return -1;
}

/* Claims `cpu` for this process, system-wide, by binding an abstract unix socket
** named after it: the kernel releases the name when the process dies, however it
** dies, and nothing is left on any file system.  The socket is close-on-exec (and
** exec_child closes it anyway), so the children never hold a claim. */
static int claim_cpu(int cpu) {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    struct sockaddr_un a;
    memset(&a, 0, sizeof a);
    a.sun_family = AF_UNIX;
    int n = snprintf(a.sun_path + 1, sizeof a.sun_path - 1, "outbox-sim.cpu.%d", cpu);
    socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
    if (bind(fd, (struct sockaddr *)&a, len) != 0) { close(fd); return -1; }
    return fd;   /* held, unused, for the life of the process */
}

/* Confines this process, and so every child it starts, to one CPU that no other
** simulator has claimed (so that two simulators of a sweep do not share a core while
** the other idles).  When every allowed CPU is claimed it stays unpinned and lets the
** kernel balance.  Only the calling thread is moved: call this before ZeroMQ starts
** its I/O thread. */
static void pin_to_one_cpu(void) {
    static int claim_fd = -1;
    const char *env = getenv("OUTBOX_SIM_PIN");
    if ((env && strcmp(env, "0") == 0) || claim_fd >= 0) return;
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0 || CPU_COUNT(&set) <= 1) return;
    /* The CPU the scheduler runs us on now first (it is likely the least busy), then
    ** the others in order. */
    int here = sched_getcpu();
    if (here < 0 || here >= CPU_SETSIZE) here = 0;
    for (int k = 0; k < CPU_SETSIZE; k++) {
        int cpu = (here + k) % CPU_SETSIZE;
        if (!CPU_ISSET(cpu, &set) || (claim_fd = claim_cpu(cpu)) < 0) continue;
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(cpu, &one);
        (void)sched_setaffinity(0, sizeof one, &one);   /* a refusal only costs speed */
        return;
    }
}

int procs_init(sim_procs *ps, const char *run_dir, char *err, size_t errlen) {
    assert(errlen > 0);
    memset(ps, 0, sizeof *ps);
    ps->janitor.sock = -1;
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
        snprintf(err, errlen,
                 "libfaketimeMT.so.1 not found (install Debian package libfaketime, or set "
                 "OUTBOX_FAKETIME)");
        return -1;
    }
    const char *tmp_env = getenv("OUTBOX_SIM_TMPDIR");
    if (tmp_env && !*tmp_env) tmp_env = NULL;
    remove_stale(tmp_env);
    if (make_private_dir(ps, tmp_env, err, errlen) != 0) return -1;
    char why[300];
    /* Before ZeroMQ starts a thread.  Without a janitor the run goes on: a SIGKILL then
    ** leaves what the next run's remove_stale removes. */
    if (janitor_start(&ps->janitor, ps->dir, run_dir, why, sizeof why) != 0)
        fprintf(stderr, "outbox-sim: %s (a SIGKILL would leave files until the next run)\n",
                why);
    pin_to_one_cpu();
    char owner[300];
    snprintf(owner, sizeof owner, "%s/owner", ps->dir);
    FILE *f = fopen(owner, "w");
    if (f) { fprintf(f, "%ld\n", (long)getpid()); fclose(f); }
    snprintf(owner, sizeof owner, "%s/janitor", ps->dir);   /* its files are its janitor's too */
    f = ps->janitor.pid > 0 ? fopen(owner, "w") : NULL;
    if (f) { fprintf(f, "%ld\n", (long)ps->janitor.pid); fclose(f); }
    ps->stepbuf = malloc(OX_STEP_MAX);
    ps->replybuf = malloc(OX_REPLY_MAX);
    ps->zctx = zmq_ctx_new();
    if (!ps->stepbuf || !ps->replybuf || !ps->zctx) {
        snprintf(err, errlen, "out of memory or no ZeroMQ context");
        return -1;
    }
    return 0;
}

void proc_init(sim_proc *p, int node, const char *name, const char *log_path) {
    assert(name != NULL);
    assert(node >= 0);
    memset(p, 0, sizeof *p);
    p->pidfd = -1;
    p->to_child = p->from_child = -1;
    p->node = node;
    p->name = name;
    snprintf(p->log_path, sizeof p->log_path, "%s", log_path);
}

void proc_drop_args(sim_proc *p, int n) {
    assert(n >= 0 && n < p->argc);
    for (int i = 0; i < n; i++) {
        free(p->argv[--p->argc]);
        p->argv[p->argc] = NULL;
    }
}

#define JSON_PREFIX "json:"

void proc_add_arg(sim_proc *p, const char *arg) {
    assert(p->argc < PROC_MAX_ARGS - 3);   /* room for --sim ENDPOINT NULL */
    if (p->argc == 0 && strncmp(arg, JSON_PREFIX, strlen(JSON_PREFIX)) == 0) {
        p->json = 1;   /* the COMMAND speaks the text encoding */
        arg += strlen(JSON_PREFIX);
    }
    p->argv[p->argc] = strdup(arg);
    assert(p->argv[p->argc]);
    p->argc++;
}

/* The child's environment: ours, less anything libfaketime would read, plus the
** recipe of docs/design.md, "Virtual time" (FAKETIME frozen at clock_us, re-read at every call,
** monotonic left real for ZeroMQ). */
#define CHILD_ENV_OWN 7   /* ASAN_OPTIONS, LD_PRELOAD, four FAKETIME_*, TZ */

/* extra: "KEY=VALUE" (not copied: the caller keeps it alive) replacing any KEY of ours,
** or "" (sim_proc.env_extra); preload: a library preloaded after libfaketime, or ""
** (sim_proc.preload). */
static char **child_env(const sim_procs *ps, const char *extra, const char *preload,
                        int64_t clock_us) {
    size_t n = 0;
    while (environ[n]) n++;
    char **env = calloc(n + 10, sizeof *env);
    if (!env) return NULL;
    size_t k = 0, key = *extra ? strcspn(extra, "=") + 1 : 0;
    for (size_t i = 0; i < n; i++) {
        if (!strncmp(environ[i], "FAKETIME", 8) || !strncmp(environ[i], "LD_PRELOAD=", 11) ||
            !strncmp(environ[i], "TZ=", 3) || !strncmp(environ[i], "ASAN_OPTIONS=", 13)) continue;
        if (key && !strncmp(environ[i], extra, key)) continue;
        env[k++] = environ[i];
    }
    if (key) env[k++] = (char *)extra;   /* before the owned ones free_env frees */
    char buf[1024];   /* LD_PRELOAD: two paths */
    /* A sanitizer build of outbox-node refuses to start when libfaketime is preloaded
    ** before its runtime; the order is harmless here.  Other binaries ignore this. */
    const char *asan = getenv("ASAN_OPTIONS");
    snprintf(buf, sizeof buf, "ASAN_OPTIONS=%s%sverify_asan_link_order=0", asan ? asan : "",
             asan && *asan ? ":" : "");
    env[k++] = strdup(buf);
    snprintf(buf, sizeof buf, "LD_PRELOAD=%s%s%s", ps->faketime_lib, *preload ? ":" : "",
             preload);
    env[k++] = strdup(buf);
    char clock[OX_CLOCK_TEXT_LEN + 1];
    ox_clock_text(clock_us, clock);   /* fixed width: the child rewrites it in place */
    snprintf(buf, sizeof buf, "FAKETIME=%s", clock);
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
    /* Only the last CHILD_ENV_OWN entries were allocated here (child_env). */
    size_t n = 0;
    while (env[n]) n++;
    assert(n >= CHILD_ENV_OWN);
    for (size_t i = n - CHILD_ENV_OWN; i < n; i++) free(env[i]);
    free(env);
}

/* A pidfd for our child pid (unreaped, so the pid is still its), or -1 on a kernel
** without pidfd_open (Linux < 5.3). */
static int pidfd_of(pid_t pid) {
    assert(pid > 0);
    long fd = syscall(SYS_pidfd_open, pid, 0);
    if (fd < 0) return -1;
    (void)fcntl((int)fd, F_SETFD, FD_CLOEXEC);   /* pidfd_open sets it; be sure */
    return (int)fd;
}

/* Signals a child through its pidfd when it has one: a pidfd names one process, never
** a later one that reuses its pid. */
static void signal_child(pid_t pid, int pidfd, int sig) {
    if (pidfd >= 0 && syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) == 0) return;
    kill(pid, sig);   /* no pidfd: the pid is ours until we reap it */
}

void proc_pause(sim_proc *p, int stop) {
    assert(p->pid > 0);
    signal_child(p->pid, p->pidfd, stop ? SIGSTOP : SIGCONT);
}

/* In the forked child: only async-signal-safe calls until execve. */
/* `in` and `out` are the text transport's pipe ends for stdin and stdout, or -1. */
static void exec_child(const sim_proc *p, char **argv, char **env, pid_t parent, int in,
                       int out) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    int null = open("/dev/null", O_RDONLY);
    int log = open(p->log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (null < 0 || log < 0) _exit(127);
    dup2(in >= 0 ? in : null, 0);
    dup2(out >= 0 ? out : log, 1);
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
    signal(SIGQUIT, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    execve(argv[0], argv, env);
    static const char msg[] = "outbox-sim: cannot exec outbox-node\n";
    if (write(2, msg, sizeof msg - 1) < 0) _exit(127);
    _exit(127);
}

/* The binary transport: a PAIR socket bound on this life's fresh endpoint. */
static int open_socket(sim_procs *ps, sim_proc *p, char *err, size_t errlen) {
    snprintf(p->endpoint, sizeof p->endpoint, "ipc://%s/%s.%d.ipc", ps->dir, p->name, p->life);
    p->sock = zmq_socket(ps->zctx, ZMQ_PAIR);
    int zero = 0, wait_ms = RECV_SLICE_MS;
    if (!p->sock || zmq_setsockopt(p->sock, ZMQ_LINGER, &zero, sizeof zero) != 0 ||
        zmq_setsockopt(p->sock, ZMQ_RCVTIMEO, &wait_ms, sizeof wait_ms) != 0 ||
        zmq_bind(p->sock, p->endpoint) != 0) {
        snprintf(err, errlen, "%s: cannot bind %s: %s", p->name, p->endpoint,
                 zmq_strerror(zmq_errno()));
        if (p->sock) zmq_close(p->sock);
        p->sock = NULL;
        return -1;
    }
    return 0;
}

static void close_fd(int *fd) {
    if (*fd >= 0) close(*fd);
    *fd = -1;
}

/* The text transport: this life's two pipes, ours non-blocking (proc_steps waits in
** poll, watching the child), the child's ends into child[2] (its stdin, its stdout).
** Every end is close-on-exec: no other child inherits them; exec_child dup2s its own. */
static int open_pipes(sim_procs *ps, sim_proc *p, int child[2], char *err, size_t errlen) {
    int in[2] = { -1, -1 }, out[2] = { -1, -1 };
    if (ps->text == NULL) ps->text = malloc(STEPJSON_REPLY_MAX + 1);
    if (ps->text == NULL || pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 ||
        fcntl(in[1], F_SETFL, O_NONBLOCK) != 0 || fcntl(out[0], F_SETFL, O_NONBLOCK) != 0) {
        snprintf(err, errlen, "%s: cannot make its pipes: %s", p->name,
                 ps->text ? strerror(errno) : "out of memory");
        for (int i = 0; i < 2; i++) { close_fd(&in[i]); close_fd(&out[i]); }
        return -1;
    }
    /* A write to a child that died must fail with EPIPE, not kill the simulator. */
    signal(SIGPIPE, SIG_IGN);
    p->to_child = in[1];
    p->from_child = out[0];
    child[0] = in[0];
    child[1] = out[1];
    p->lines = 0;
    p->endpoint[0] = '\0';
    return 0;
}

int proc_start(sim_procs *ps, sim_proc *p, int64_t clock_us, char *err, size_t errlen) {
    assert(p->pid == 0);
    assert(p->sock == NULL);
    assert(p->to_child < 0);
    assert(p->argc > 0);
    assert(ps->zctx != NULL);
    p->life++;
    p->exit_status = -1;
    int child[2] = { -1, -1 };
    if (p->json ? open_pipes(ps, p, child, err, errlen) : open_socket(ps, p, err, errlen))
        return -1;
    char *argv[PROC_MAX_ARGS];
    int i = 0;
    for (; i < p->argc; i++) argv[i] = p->argv[i];
    argv[i++] = p->json ? "--sim-stdio" : "--sim";
    if (!p->json) argv[i++] = p->endpoint;
    argv[i] = NULL;
    char **env = child_env(ps, p->env_extra, p->preload, clock_us);
    pid_t parent = getpid();
    pid_t pid = env ? fork() : -1;
    if (pid == 0) exec_child(p, argv, env, parent, child[0], child[1]);
    int saved = errno;
    free_env(env);
    close_fd(&child[0]);   /* the child's ends are the child's */
    close_fd(&child[1]);
    if (pid < 0) {
        snprintf(err, errlen, "%s: fork failed: %s", p->name,
                 env ? strerror(saved) : "out of memory");
        if (p->sock) zmq_close(p->sock);
        p->sock = NULL;
        close_fd(&p->to_child);
        close_fd(&p->from_child);
        return -1;
    }
    p->pid = pid;
    p->pidfd = pidfd_of(pid);
    janitor_child(&ps->janitor, pid, p->pidfd);
    assert((p->sock != NULL) != (p->to_child >= 0));
    return 0;
}

static void describe_exit(int status, char *out, size_t cap) {
    if (WIFEXITED(status)) snprintf(out, cap, "exited with status %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status)) snprintf(out, cap, "was killed by signal %d", WTERMSIG(status));
    else snprintf(out, cap, "stopped (status %d)", status);
}

static void after_death(sim_procs *ps, sim_proc *p) {
    assert(p->pid > 0);
    p->reaped = 0;
    remove_faketime_shm((long)p->pid);
    janitor_reaped(&ps->janitor, p->pid);
    if (p->pidfd >= 0) close(p->pidfd);
    p->pidfd = -1;
    if (p->sock) zmq_close(p->sock);
    p->sock = NULL;
    close_fd(&p->to_child);     /* a dead node's pipes close: the next life gets new ones */
    close_fd(&p->from_child);
    const char *path = p->endpoint + strlen("ipc://");
    if (!strncmp(p->endpoint, "ipc://", 6)) unlink(path);
    p->pid = 0;
    assert(p->sock == NULL);   /* paired with proc_start's bind */
    assert(p->to_child < 0);   /* paired with open_pipes */
}

/* Waits until the child's socket is ready for `events` (ZMQ_POLLIN: its reply;
** ZMQ_POLLOUT: room for a step, which a PAIR socket only has once the child has
** connected), watching the child and the clock: a child that died, never connected
** or stopped answering is an error, never a hang. */
static int await_socket(sim_procs *ps, sim_proc *p, short events, char *err, size_t errlen) {
    int64_t deadline = mono_ms() + ps->timeout_ms;
    const char *doing = events == ZMQ_POLLIN ? "answer a step" : "take a step";
    if (p->reaped) {
        snprintf(err, errlen, "%s exited after its last reply and cannot %s (see %s)", p->name,
                 doing, p->log_path);
        return -1;
    }
    for (;;) {
        /* The pidfd turns readable when the child exits: a death (a node that refuses
        ** its arguments, misconf.h) is seen at once, not at the slice's end. */
        zmq_pollitem_t item[2] = { { p->sock, 0, events, 0 }, { NULL, p->pidfd, ZMQ_POLLIN, 0 } };
        int rc = zmq_poll(item, p->pidfd >= 0 ? 2 : 1, 100);
        if (rc > 0 && (item[0].revents & events)) return 0;
        if (rc < 0 && zmq_errno() != EINTR) {
            snprintf(err, errlen, "%s: poll failed: %s", p->name, zmq_strerror(zmq_errno()));
            return -1;
        }
        if (proc_interrupted) { snprintf(err, errlen, "interrupted by a signal"); return -1; }
        int status;
        if (waitpid(p->pid, &status, WNOHANG) == p->pid) {
            /* A child that answers STOP exits at once; its reply may still be in
            ** ZeroMQ's hands when we notice the exit.  Take it if it comes. */
            zmq_pollitem_t last = { p->sock, 0, ZMQ_POLLIN, 0 };
            if (events == ZMQ_POLLIN && zmq_poll(&last, 1, 1000) > 0) {
                p->reaped = 1;
                return 0;
            }
            char how[64];
            describe_exit(status, how, sizeof how);
            /* The likeliest cause, a node of the text encoding named without its
            ** prefix (it was given --sim ENDPOINT, which it does not know), is named. */
            char hint[96] = "";
            if (WIFEXITED(status))
                snprintf(hint, sizeof hint, "; a node speaking JSON lines is named --node "
                         "%s=json:COMMAND", p->name);
            snprintf(err, errlen, "%s %s unexpectedly, before it could %s (see %s%s)", p->name,
                     how, doing, p->log_path, hint);
            p->exit_status = status;   /* it died by itself: how (misconf.h) */
            after_death(ps, p);
            return -1;
        }
        if (mono_ms() > deadline) {
            snprintf(err, errlen, "%s did not %s within %d ms (see %s)", p->name, doing,
                     ps->timeout_ms, p->log_path);
            return -1;
        }
    }
}

/* Takes the child's reply.  The common case is one blocking receive (the socket's
** ZMQ_RCVTIMEO bounds it); only when nothing came within that does await_socket watch
** the child (dead, stopped answering, interrupted) while waiting on. */
static int await_reply(sim_procs *ps, sim_proc *p, size_t *len, char *err, size_t errlen) {
    for (;;) {
        int n = p->reaped ? -1 : zmq_recv(p->sock, ps->replybuf, OX_REPLY_MAX, 0);
        if (n >= 0) {
            if ((size_t)n > OX_REPLY_MAX) {
                snprintf(err, errlen, "%s sent an oversized reply (%d bytes)", p->name, n);
                return -1;
            }
            *len = (size_t)n;
            return 0;
        }
        if (!p->reaped && zmq_errno() != EAGAIN && zmq_errno() != EINTR) {
            snprintf(err, errlen, "%s: receive failed: %s", p->name, zmq_strerror(zmq_errno()));
            return -1;
        }
        if (p->reaped) {   /* the reply came after the child exited: await_socket saw it */
            n = zmq_recv(p->sock, ps->replybuf, OX_REPLY_MAX, ZMQ_DONTWAIT);
            if (n >= 0 && (size_t)n <= OX_REPLY_MAX) { *len = (size_t)n; return 0; }
        }
        if (await_socket(ps, p, ZMQ_POLLIN, err, errlen) != 0) return -1;
    }
}

/* ---- the text transport ------------------------------------------------------- */

/* Waits until the child's pipe end fd is ready for `events`, watching the child and the
** clock as await_socket does: 0, or -1 with err (a death, a silence, a signal). */
static int await_pipe(sim_procs *ps, sim_proc *p, int fd, short events, int64_t deadline,
                      char *err, size_t errlen) {
    const char *doing = events == POLLIN ? "answer a step" : "take a step";
    struct pollfd pf = { fd, events, 0 };
    int rc = poll(&pf, 1, RECV_SLICE_MS);
    if (rc > 0) return 0;
    if (rc < 0 && errno != EINTR) {
        snprintf(err, errlen, "%s: poll failed: %s", p->name, strerror(errno));
        return -1;
    }
    if (proc_interrupted) { snprintf(err, errlen, "interrupted by a signal"); return -1; }
    int status;
    if (waitpid(p->pid, &status, WNOHANG) == p->pid) {
        char how[64];
        describe_exit(status, how, sizeof how);
        snprintf(err, errlen, "%s %s unexpectedly, before it could %s (see %s)", p->name, how,
                 doing, p->log_path);
        p->exit_status = status;   /* it died by itself: how (misconf.h) */
        after_death(ps, p);
        return -1;
    }
    if (mono_ms() > deadline) {
        snprintf(err, errlen, "%s did not %s within %d ms: no whole line came on its "
                 "stdout (does it flush after each line?) (see %s)", p->name, doing,
                 ps->timeout_ms, p->log_path);
        return -1;
    }
    return 0;   /* nothing yet: the caller tries again */
}

/* The child closed its end (EOF, EPIPE): it is dying.  Waits for it (bounded) to say
** how it ended, in one line that `what` starts. */
static int pipe_closed(sim_procs *ps, sim_proc *p, const char *what, char *err, size_t errlen) {
    int64_t deadline = mono_ms() + ps->timeout_ms;
    int status;
    while (waitpid(p->pid, &status, WNOHANG) != p->pid) {
        if (mono_ms() > deadline || proc_interrupted) {
            snprintf(err, errlen, "%s %s, and did not exit (see %s)", p->name, what, p->log_path);
            return -1;
        }
        struct timespec ts = { 0, 2 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
    char how[64];
    describe_exit(status, how, sizeof how);
    snprintf(err, errlen, "%s %s: it %s (see %s)", p->name, what, how, p->log_path);
    p->exit_status = status;   /* it died by itself: how (misconf.h) */
    after_death(ps, p);
    return -1;
}

/* Writes the STEP line ps->text[n] into the child's stdin. */
static int write_line(sim_procs *ps, sim_proc *p, size_t n, char *err, size_t errlen) {
    int64_t deadline = mono_ms() + ps->timeout_ms;
    for (size_t off = 0; off < n;) {
        ssize_t w = write(p->to_child, ps->text + off, n - off);
        if (w > 0) { off += (size_t)w; continue; }
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && errno == EPIPE)
            return pipe_closed(ps, p, "closed its input before it took a step", err, errlen);
        if (w < 0 && errno != EAGAIN) {
            snprintf(err, errlen, "%s: cannot write a step: %s", p->name, strerror(errno));
            return -1;
        }
        if (await_pipe(ps, p, p->to_child, POLLOUT, deadline, err, errlen) != 0) return -1;
    }
    return 0;
}

/* "LINE" of line[len], cut to fit a one-line error. */
static const char *quote_line(const char *line, size_t len, char *out, size_t cap) {
    size_t k = 0;
    for (size_t i = 0; i < len && k + 8 < cap && i < 120; i++)
        out[k++] = line[i] >= 32 && line[i] < 127 ? line[i] : '?';
    snprintf(out + k, cap - k, "%s", len > 120 ? "..." : "");
    return out;
}

/* Reads one REPLY line from the child's stdout into ps->text; its length without the
** '\n' into *len, and into *more whether more followed it in the same read.  The caller
** judges the line first and only then the bytes after it, so that a stray line printed
** before a reply is always "a malformed reply line", however the pipe split the two.  A
** line over STEPJSON_REPLY_MAX, the end of the output, a death or a silence is an error. */
static int read_line(sim_procs *ps, sim_proc *p, size_t *len, int *more, char *err,
                     size_t errlen) {
    int64_t deadline = mono_ms() + ps->timeout_ms;
    size_t have = 0;
    unsigned at = ++p->lines;
    for (;;) {
        ssize_t r = read(p->from_child, ps->text + have, STEPJSON_REPLY_MAX - have);
        if (r > 0) {
            const char *nl = memchr(ps->text + have, '\n', (size_t)r);
            have += (size_t)r;
            if (nl != NULL) {
                *len = (size_t)(nl - ps->text);
                *more = *len + 1 != have;
                return 0;
            }
            if (have < STEPJSON_REPLY_MAX) continue;
            snprintf(err, errlen, "%s sent a reply line %u over %u bytes (see %s)", p->name,
                     at, STEPJSON_REPLY_MAX, p->log_path);
            return -1;
        }
        if (r == 0) {
            char what[100];
            snprintf(what, sizeof what, "closed its output %s", have ? "inside a reply line"
                                                                     : "before it answered");
            return pipe_closed(ps, p, what, err, errlen);
        }
        if (errno == EINTR) continue;
        if (errno != EAGAIN) {
            snprintf(err, errlen, "%s: cannot read a reply: %s", p->name, strerror(errno));
            return -1;
        }
        if (await_pipe(ps, p, p->from_child, POLLIN, deadline, err, errlen) != 0) return -1;
    }
}

/* The STEP message ps->stepbuf[n] through the text transport; the REPLY message into
** ps->replybuf, its length into *len. */
static int text_exchange(sim_procs *ps, sim_proc *p, size_t n, size_t *len, char *err,
                         size_t errlen) {
    char why[400], line[160];
    size_t m = stepjson_steps_from_bin(ps->stepbuf, n, ps->text, STEPJSON_STEP_MAX + 1, why,
                                       sizeof why);
    if (m == 0) {
        snprintf(err, errlen, "%s: the step has no text form: %s", p->name, why);
        return -1;
    }
    int more = 0;
    if (write_line(ps, p, m, err, errlen) != 0 ||
        read_line(ps, p, &m, &more, err, errlen) != 0)
        return -1;
    *len = stepjson_reply_to_bin(ps->text, m, ps->replybuf, OX_REPLY_MAX, why, sizeof why);
    if (*len == 0) {
        snprintf(err, errlen, "%s sent a malformed reply line %u: %s (the line: %s)", p->name,
                 p->lines, why, quote_line(ps->text, m, line, sizeof line));
        return -1;
    }
    if (more) {
        snprintf(err, errlen, "%s wrote more after its reply line %u (see %s)", p->name,
                 p->lines, p->log_path);
        return -1;
    }
    return 0;
}

/* The binary transport: the STEP message ps->stepbuf[n] on the socket; the REPLY
** message into ps->replybuf, its length into *len. */
static int zmq_exchange(sim_procs *ps, sim_proc *p, size_t n, size_t *len, char *err,
                        size_t errlen) {
    /* A connected PAIR with nothing queued takes the step at once; only the first
    ** step of a life waits (for the child to connect), and waits watching it. */
    int sent = zmq_send(p->sock, ps->stepbuf, n, ZMQ_DONTWAIT);
    if (sent < 0 && zmq_errno() == EAGAIN) {
        if (await_socket(ps, p, ZMQ_POLLOUT, err, errlen) != 0) return -1;
        sent = zmq_send(p->sock, ps->stepbuf, n, ZMQ_DONTWAIT);
    }
    if (sent != (int)n) {
        snprintf(err, errlen, "%s: send failed: %s", p->name, zmq_strerror(zmq_errno()));
        return -1;
    }
    return await_reply(ps, p, len, err, errlen);
}

int proc_steps(sim_procs *ps, sim_proc *p, const ox_step *steps, unsigned n, ox_reply_reader *rd,
               char *err, size_t errlen) {
    assert(p->pid > 0);
    assert((p->sock != NULL) != (p->to_child >= 0));
    assert(n >= 1);
    assert(n <= OX_BATCH_MAX);
    size_t len = ox_steps_encode(steps, n, ps->stepbuf, OX_STEP_MAX);
    if (len == 0) {
        snprintf(err, errlen, "%s: step does not fit in %u bytes", p->name, OX_STEP_MAX);
        return -1;
    }
    if ((p->json ? text_exchange : zmq_exchange)(ps, p, len, &len, err, errlen) != 0) return -1;
    char why[200];
    if (ox_reply_open(rd, ps->replybuf, len, why, sizeof why) != 0) {
        snprintf(err, errlen, "%s sent a malformed reply: %s", p->name, why);
        return -1;
    }
    assert(len <= OX_REPLY_MAX);
    if (rd->nsections > n) {
        snprintf(err, errlen, "%s answered %u steps with %u sections", p->name, n, rd->nsections);
        return -1;
    }
    return 0;
}

int proc_section(sim_procs *ps, sim_proc *p, ox_reply_reader *rd, uint32_t seq, ox_reply *r,
                 char *err, size_t errlen) {
    (void)ps;
    char why[200];
    assert(r->effects != NULL);
    if (ox_reply_next_section(rd, r, why, sizeof why) != 1) {
        snprintf(err, errlen, "%s sent a malformed reply: %s", p->name, why);
        return -1;
    }
    if (r->seq != seq) {
        snprintf(err, errlen, "%s answered step %u with the reply to step %u", p->name, seq,
                 r->seq);
        return -1;
    }
    if (rd->read == rd->nsections) {   /* the last: nothing may follow it */
        ox_reply end = { .effects = r->effects };
        if (ox_reply_next_section(rd, &end, why, sizeof why) != 0) {
            snprintf(err, errlen, "%s sent a malformed reply: %s", p->name, why);
            return -1;
        }
    }
    return 0;
}

void proc_kill(sim_procs *ps, sim_proc *p) {
    if (p->pid <= 0) {
        if (p->sock) zmq_close(p->sock);
        p->sock = NULL;
        close_fd(&p->to_child);
        close_fd(&p->from_child);
        return;
    }
    if (!p->reaped) {   /* a reaped pid may already belong to someone else */
        signal_child(p->pid, p->pidfd, SIGKILL);
        while (waitpid(p->pid, NULL, 0) < 0 && errno == EINTR) {}
    }
    after_death(ps, p);
    assert(p->pid == 0);
}

void proc_reap_stopped(sim_procs *ps, sim_proc *p) {
    if (p->pid <= 0) return;
    if (p->reaped) { after_death(ps, p); return; }
    int64_t deadline = mono_ms() + 5000;
    while (mono_ms() < deadline) {
        if (waitpid(p->pid, NULL, WNOHANG) == p->pid) { after_death(ps, p); return; }
        struct timespec ts = { 0, 2 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
    proc_kill(ps, p);
}

void procs_fini(sim_procs *ps, sim_proc *p, int n) {
    assert(n >= 0);
    for (int i = 0; i < n; i++) {
        proc_kill(ps, &p[i]);
        assert(p[i].sock == NULL);
        for (int a = 0; a < p[i].argc; a++) free(p[i].argv[a]);
        p[i].argc = 0;
    }
    if (ps->zctx) zmq_ctx_term(ps->zctx);
    ps->zctx = NULL;
    if (ps->dir[0]) remove_dir_files(ps->dir);
    ps->dir[0] = '\0';
    janitor_done(&ps->janitor);   /* last: nothing is left for it to do */
    free(ps->stepbuf);
    free(ps->replybuf);
    free(ps->text);
    ps->stepbuf = ps->replybuf = NULL;
    ps->text = NULL;
}

/* In the forked tool: stdout and stderr to the pipe, nothing else inherited. */
static void exec_tool(char *const argv[], char **env, int wfd, pid_t parent) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    int null = open("/dev/null", O_RDONLY);
    if (null < 0) _exit(127);
    dup2(null, 0);
    dup2(wfd, 1);
    dup2(wfd, 2);
    for (int fd = 3; fd < 1024; fd++) close(fd);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execve(argv[0], argv, env);
    _exit(127);
}

/* Reads the tool's output until it closes the pipe or the deadline passes. */
static int drain(int rfd, char *out, size_t cap, int64_t deadline) {
    size_t len = 0;
    for (;;) {
        struct pollfd pf = { rfd, POLLIN, 0 };
        int64_t left = deadline - mono_ms();
        if (left <= 0 || proc_interrupted) return -1;
        if (poll(&pf, 1, (int)(left > 100 ? 100 : left)) <= 0) continue;
        char buf[512];
        ssize_t n = read(rfd, buf, sizeof buf);
        if (n == 0) break;
        if (n < 0) { if (errno == EINTR) continue; return -1; }
        size_t take = (size_t)n < cap - 1 - len ? (size_t)n : cap - 1 - len;
        memcpy(out + len, buf, take);
        len += take;
    }
    out[len] = '\0';
    return 0;
}

int proc_run_tool(sim_procs *ps, sim_proc *p, int64_t clock_us, char *const argv[],
                  char *out, size_t cap, int *status, char *err, size_t errlen) {
    assert(cap > 0);
    assert(argv[0] != NULL);
    out[0] = '\0';
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        return -1;
    }
    char **env = child_env(ps, "", "", clock_us);   /* a tool: no simulated disk */
    if (!env) { close(fds[0]); close(fds[1]); snprintf(err, errlen, "out of memory"); return -1; }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) exec_tool(argv, env, fds[1], parent);
    free_env(env);
    close(fds[1]);
    if (pid < 0) { close(fds[0]); snprintf(err, errlen, "fork: %s", strerror(errno)); return -1; }
    int pidfd = pidfd_of(pid);
    janitor_child(&ps->janitor, pid, pidfd);
    int rc = drain(fds[0], out, cap, mono_ms() + ps->timeout_ms);
    close(fds[0]);
    if (rc != 0) signal_child(pid, pidfd, SIGKILL);
    while (waitpid(pid, status, 0) < 0 && errno == EINTR) {}
    remove_faketime_shm((long)pid);
    janitor_reaped(&ps->janitor, pid);
    if (pidfd >= 0) close(pidfd);
    if (rc != 0) {
        snprintf(err, errlen, "%s did not finish within %d ms", argv[0], ps->timeout_ms);
        return -1;
    }
    return 0;
}
