/*
** janitor.c: the process that cleans up after a simulator killed with SIGKILL (see
** janitor.h).
*/
#include "janitor.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../scenario/scenario.h"
#include "../util/files.h"
#include "../util/lock.h"
#include "dbplace.h"

#define JANITOR_MAX 64          /* children alive at once: SIM_MAX_NODES (11) and a tool */
#define JANITOR_WAIT_MS 5000    /* for the children to die after the simulator */
#define JANITOR_LOCK_MS 2000    /* for the dead simulator's lock on the run dir to go */
_Static_assert(JANITOR_WAIT_MS + JANITOR_LOCK_MS + 500 < JANITOR_DONE_MS,
               "JANITOR_DONE_MS (janitor.h) must cover the janitor's waits and its copies");

typedef struct {
    char op;                    /* 'C' child started, 'R' child reaped, 'D' done */
    int32_t pid;
} jrec;

typedef struct {
    pid_t pid;
    int pidfd;                  /* -1: none (a kernel without pidfds) */
} jchild;

/* ---- the simulator's side ----------------------------------------------------------- */

/* One record, with fd attached when fd >= 0.  A janitor that is gone only costs the
** clean-up of a SIGKILL: never a signal (MSG_NOSIGNAL), never an error of the run. */
static void send_rec(sim_janitor *j, char op, pid_t pid, int fd) {
    if (j->sock < 0) return;
    jrec r = { .op = op, .pid = (int32_t)pid };
    struct iovec iov = { &r, sizeof r };
    union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } u;
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
    if (fd >= 0) {
        memset(&u, 0, sizeof u);
        m.msg_control = u.buf;
        m.msg_controllen = sizeof u.buf;
        struct cmsghdr *c = CMSG_FIRSTHDR(&m);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof fd);
    }
    while (sendmsg(j->sock, &m, MSG_NOSIGNAL) < 0 && errno == EINTR) {}
}

void janitor_child(sim_janitor *j, pid_t pid, int pidfd) {
    assert(pid > 0);
    send_rec(j, 'C', pid, pidfd);
}

void janitor_reaped(sim_janitor *j, pid_t pid) {
    assert(pid > 0);
    send_rec(j, 'R', pid, -1);
}

void janitor_done(sim_janitor *j) {
    if (j->pid <= 0) return;
    send_rec(j, 'D', 0, -1);
    close(j->sock);
    j->sock = -1;
    while (waitpid(j->pid, NULL, 0) < 0 && errno == EINTR) {}
    j->pid = 0;
}

/* ---- the janitor's side ------------------------------------------------------------- */

static int64_t mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A process of its own: no terminal signal, no file of the simulator's but the socket. */
static void detach(int sock) {
    setpgid(0, 0);   /* a SIGKILL of the simulator's process group spares it */
    static const int deaf[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE };
    for (size_t i = 0; i < sizeof deaf / sizeof deaf[0]; i++) signal(deaf[i], SIG_IGN);
    prctl(PR_SET_NAME, "outbox-janitor");
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
    }
    for (int fd = 3; fd < 1024; fd++)   /* the run dir's lock, a CPU claim, log files */
        if (fd != sock) close(fd);
}

/* Reads one record and the fd it may carry: 1, or 0 at the end of the socket. */
static int recv_rec(int sock, jrec *r, int *fd) {
    union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } u;
    struct iovec iov = { r, sizeof *r };
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
                        .msg_controllen = sizeof u.buf };
    *fd = -1;
    ssize_t n;
    while ((n = recvmsg(sock, &m, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR) {}
    if (n != (ssize_t)sizeof *r) return 0;   /* the end, or a torn record: act now */
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
        memcpy(fd, CMSG_DATA(c), sizeof *fd);
    return 1;
}

/* Waits until the child is gone (its pidfd readable; by pid: no such process). */
static void wait_gone(const jchild *c, int64_t deadline) {
    if (c->pidfd >= 0) {
        syscall(SYS_pidfd_send_signal, c->pidfd, SIGKILL, NULL, 0);   /* PDEATHSIG's twin */
        struct pollfd p = { c->pidfd, POLLIN, 0 };
        int64_t left = deadline - mono_ms();
        if (left > 0) poll(&p, 1, (int)left);
        return;
    }
    while (mono_ms() < deadline && (kill(c->pid, 0) == 0 || errno != ESRCH)) {
        struct timespec ts = { 0, 5 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
}

/* The run dir's lock (lock.h), or -1.  The simulator's own lock may outlive the end of
** our socket by a moment (the kernel releases a dying process's files in no promised
** order), so it is retried for a while; still held after that, another run has the dir. */
static int lock_run_dir(const char *run_dir) {
    char lock[FILES_PATH_MAX + 16];
    snprintf(lock, sizeof lock, "%s/%s", run_dir, LOCK_FILE);
    int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return -1;
    int64_t deadline = mono_ms() + JANITOR_LOCK_MS;
    while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        if ((errno != EWOULDBLOCK && errno != EINTR) || mono_ms() > deadline) {
            close(fd);
            return -1;
        }
        struct timespec ts = { 0, 5 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
    return fd;
}

/* What the run dir still links into the temp dir, copied back as a crash left it. */
static void keep_dbs(const char *tmp_dir, const char *run_dir) {
    int fd = lock_run_dir(run_dir);
    if (fd < 0) return;   /* another run has the dir now: its files are not ours */
    for (int n = 0; n < SIM_NODES; n++) {
        char link[FILES_PATH_MAX + 64], err[700];
        struct stat st;
        snprintf(link, sizeof link, "%s/%s.db", run_dir, scenario_node_name(n));
        if (lstat(link, &st) == 0 && S_ISLNK(st.st_mode))
            (void)dbplace_keep(tmp_dir, run_dir, scenario_node_name(n), err, sizeof err);
    }
    close(fd);
}

static void remove_faketime(pid_t pid) {
    char path[96];
    snprintf(path, sizeof path, "/dev/shm/faketime_shm_%ld", (long)pid);
    unlink(path);
    snprintf(path, sizeof path, "/dev/shm/sem.faketime_sem_%ld", (long)pid);
    unlink(path);
}

/* The janitor's life: follow the simulator, then clean up unless it said it was done. */
static void janitor_run(int sock, const char *tmp_dir, const char *run_dir) {
    static jchild kids[JANITOR_MAX];
    int nkids = 0, fd;
    jrec r;
    detach(sock);
    while (recv_rec(sock, &r, &fd)) {
        if (r.op == 'D') _exit(0);
        if (r.op == 'C' && nkids < JANITOR_MAX) {
            kids[nkids++] = (jchild){ .pid = r.pid, .pidfd = fd };
            continue;
        }
        if (fd >= 0) close(fd);
        for (int i = 0; r.op == 'R' && i < nkids; i++) {
            if (kids[i].pid != r.pid) continue;
            if (kids[i].pidfd >= 0) close(kids[i].pidfd);
            kids[i] = kids[--nkids];
            break;
        }
    }
    /* First out of reach of another simulator's remove_stale (proc.c), which takes a
    ** temp dir whose owner is dead for its own to remove, even while we copy from it. */
    char hidden[FILES_PATH_MAX];
    const char *dir = tmp_dir, *slash = strrchr(tmp_dir, '/');
    if (slash && snprintf(hidden, sizeof hidden, "%.*s/%s%ld", (int)(slash - tmp_dir), tmp_dir,
                          JANITOR_DIR_PREFIX, (long)getpid()) < (int)sizeof hidden &&
        rename(tmp_dir, hidden) == 0)
        dir = hidden;
    int64_t deadline = mono_ms() + JANITOR_WAIT_MS;
    for (int i = 0; i < nkids; i++) {
        wait_gone(&kids[i], deadline);
        remove_faketime(kids[i].pid);
    }
    if (dbplace_enabled()) keep_dbs(dir, run_dir);
    (void)files_rmtree(dir);
    _exit(0);
}

int janitor_start(sim_janitor *j, const char *tmp_dir, const char *run_dir, char *err,
                  size_t cap) {
    assert(tmp_dir[0] != '\0');
    j->pid = 0;
    j->sock = -1;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
        snprintf(err, cap, "janitor: socketpair: %s", strerror(errno));
        return -1;
    }
    fflush(NULL);   /* nothing buffered is written twice */
    pid_t pid = fork();
    if (pid == 0) {
        close(sv[0]);
        janitor_run(sv[1], tmp_dir, run_dir);
    }
    close(sv[1]);
    if (pid < 0) {
        close(sv[0]);
        snprintf(err, cap, "janitor: fork: %s", strerror(errno));
        return -1;
    }
    j->pid = pid;
    j->sock = sv[0];
    return 0;
}
