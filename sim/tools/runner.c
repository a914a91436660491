/*
** runner.c: a bounded pool of child runs of `outbox-sim run` (see runner.h), their
** summaries, and the small file helpers `sweep` and `matrix` share.
*/
#include "runner.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"

/* strlcpy: copies what fits, always terminated. */
static void copy_str(char *dst, size_t cap, const char *src) {
    if (!cap) return;
    size_t n = strlen(src);
    if (n >= cap) n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

#define SUMMARY_MAX (64u << 20)   /* a summary larger than this is not ours */
#define JSON_MAX_DEPTH 32

double runner_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int runner_default_jobs(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1) n = 1;
    if (n > RUNNER_MAX_JOBS) n = RUNNER_MAX_JOBS;
    return (int)n;
}

int runner_parse_jobs(const char *s, int *jobs) {
    unsigned long long v;
    if (cmd_parse_u64(s, &v) != 0 || v < 1 || v > RUNNER_MAX_JOBS) return -1;
    *jobs = (int)v;
    return 0;
}

int runner_parse_seeds(const char *s, uint64_t *a, uint64_t *b) {
    char buf[64];
    if (!s || strlen(s) >= sizeof buf) return -1;
    snprintf(buf, sizeof buf, "%s", s);
    char *dots = strstr(buf, "..");
    unsigned long long x, y;
    if (!dots) {
        if (cmd_parse_u64(buf, &x) != 0) return -1;
        *a = *b = x;
        return 0;
    }
    *dots = '\0';
    if (cmd_parse_u64(buf, &x) != 0 || cmd_parse_u64(dots + 2, &y) != 0 || x > y) return -1;
    *a = x;
    *b = y;
    return 0;
}

/* ---- the pool ---------------------------------------------------------------- */

static void on_sigchld(int sig) { (void)sig; }

void runner_init(runner *r, int jobs, const char *argv0) {
    assert(jobs >= 1 && jobs <= RUNNER_MAX_JOBS);
    memset(r, 0, sizeof *r);
    r->argv0 = argv0;
    r->max = jobs;
    /* A handler, not SIG_DFL: a blocked signal whose action is "ignore" may be
    ** discarded instead of left pending for sigtimedwait. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigchld;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGCHLD, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    sigprocmask(SIG_BLOCK, &set, &r->oldmask);
}

void runner_fini(runner *r) {
    assert(r->nrunning == 0);
    sigprocmask(SIG_SETMASK, &r->oldmask, NULL);
    signal(SIGCHLD, SIG_DFL);
}

static int parent_dir_of(const char *path, char *out, size_t cap) {
    char tmp[1100];
    if (strlen(path) >= sizeof tmp) return -1;
    snprintf(tmp, sizeof tmp, "%s", path);
    snprintf(out, cap, "%s", dirname(tmp));
    return 0;
}

int runner_mkdirs(const char *dir) {
    char path[1100];
    if (strlen(dir) >= sizeof path || !*dir) return -1;
    snprintf(path, sizeof path, "%s", dir);
    for (char *s = path + 1; *s; s++) {
        if (*s != '/') continue;
        *s = '\0';
        if (mkdir(path, 0755) != 0 && errno != EEXIST) return -1;
        *s = '/';
    }
    return (mkdir(path, 0755) == 0 || errno == EEXIST) ? 0 : -1;
}

/* out/<slug>/.<seed>.log: beside the run dir, which the child empties when it starts. */
static int log_path(const runner_job *job, char *out, size_t cap) {
    char parent[1100];
    if (parent_dir_of(job->run_dir, parent, sizeof parent) != 0) return -1;
    int n = snprintf(out, cap, "%s/.%" PRIu64 ".log", parent, job->seed);
    return (n < 0 || (size_t)n >= cap) ? -1 : 0;
}

/* In the forked child: never returns. */
static void exec_child(const runner *r, const runner_job *job, int logfd, pid_t parent) {
    setpgid(0, 0);
    /* SIGTERM, not SIGKILL: the run stops its nodes and removes its temp files. */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(3);
    signal(SIGPIPE, SIG_DFL);
    signal(SIGCHLD, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(logfd, 1) < 0 || dup2(logfd, 2) < 0) _exit(3);
    char seed[32];
    snprintf(seed, sizeof seed, "%" PRIu64, job->seed);
    char *argv[12];
    int n = 0;
    argv[n++] = (char *)r->argv0;
    argv[n++] = "run";
    argv[n++] = (char *)job->scenario;
    argv[n++] = "--seed";
    argv[n++] = seed;
    if (job->design[0]) {
        argv[n++] = "--design";
        argv[n++] = (char *)job->design;
    }
    argv[n++] = "--out";
    argv[n++] = (char *)job->out;
    argv[n++] = "--quiet";
    argv[n] = NULL;
    execv(cmd_self(), argv);
    dprintf(2, "outbox-sim: cannot run %s: %s\n", cmd_self(), strerror(errno));
    _exit(3);
}

int runner_start(runner *r, const runner_job *job, char *err, size_t errlen) {
    assert(r->nrunning < r->max);
    runner_slot *s = NULL;
    for (int i = 0; i < r->max && !s; i++)
        if (r->slot[i].pid == 0) s = &r->slot[i];
    assert(s != NULL);
    char parent[1100];
    if (parent_dir_of(job->run_dir, parent, sizeof parent) != 0 || runner_mkdirs(parent) != 0 ||
        log_path(job, s->log, sizeof s->log) != 0) {
        snprintf(err, errlen, "cannot create %s: %s", parent, strerror(errno));
        return -1;
    }
    int fd = open(s->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(err, errlen, "cannot create %s: %s", s->log, strerror(errno));
        return -1;
    }
    fflush(stdout);
    fflush(stderr);
    pid_t me = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "fork: %s", strerror(errno));
        close(fd);
        unlink(s->log);
        return -1;
    }
    if (pid == 0) exec_child(r, job, fd, me);
    setpgid(pid, pid);   /* also here: whichever of the two runs first */
    close(fd);
    s->pid = pid;
    s->job = *job;
    s->started = runner_now();
    r->nrunning++;
    return 0;
}

/* The last non-empty line of a log, for runs that wrote no summary. */
static void last_line(const char *path, char *out, size_t cap) {
    out[0] = '\0';
    int fd = open(path, O_RDONLY | O_CLOEXEC);
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
    line = line ? line + 1 : buf;
    copy_str(out, cap, line);
}

/* Moves the log into the run dir (creating it if the run never did) as outbox-sim.log. */
static void file_log(const runner_slot *s) {
    char dest[1200];
    snprintf(dest, sizeof dest, "%s/outbox-sim.log", s->job.run_dir);
    if (runner_mkdirs(s->job.run_dir) != 0 || rename(s->log, dest) != 0) unlink(s->log);
}

static void finish(runner_slot *s, int status, runner_job *job, runner_result *res) {
    memset(res, 0, sizeof *res);
    res->seconds = runner_now() - s->started;
    if (WIFEXITED(status) && WEXITSTATUS(status) <= 3) {
        res->exit_code = WEXITSTATUS(status);
    } else {
        res->exit_code = 3;
    }
    if (res->exit_code <= 1) {
        if (runner_read_summary(s->job.run_dir, res) != 0) {
            res->exit_code = 3;
            snprintf(res->why, sizeof res->why,
                     "the run ended with %d but left no readable %.400s/summary.json",
                     WEXITSTATUS(status), s->job.run_dir);
        } else if ((res->exit_code == 0) != !strcmp(res->verdict, "pass")) {
            res->exit_code = 3;
            snprintf(res->why, sizeof res->why,
                     "exit code %d disagrees with verdict '%s' in summary.json",
                     WEXITSTATUS(status), res->verdict);
        }
    }
    if (res->exit_code >= 2 && !res->have_summary) {
        char line[400];
        last_line(s->log, line, sizeof line);
        if (WIFSIGNALED(status))
            snprintf(res->why, sizeof res->why, "killed by signal %d%s%.380s", WTERMSIG(status),
                     line[0] ? ": " : "", line);
        else if (!res->why[0])
            copy_str(res->why, sizeof res->why, line[0] ? line : "exited without saying why");
    }
    file_log(s);
    *job = s->job;
    s->pid = 0;
}

static runner_slot *slot_of(runner *r, pid_t pid) {
    for (int i = 0; i < r->max; i++)
        if (r->slot[i].pid == pid) return &r->slot[i];
    return NULL;
}

/* Reaps one ended child if there is one: 1 and filled, else 0. */
static int reap_one(runner *r, runner_job *job, runner_result *res) {
    for (;;) {
        int status;
        pid_t pid = waitpid(-1, &status, WNOHANG);
        if (pid <= 0) return 0;
        runner_slot *s = slot_of(r, pid);
        if (!s) continue;   /* not ours (cannot happen: we start no others) */
        finish(s, status, job, res);
        r->nrunning--;
        return 1;
    }
}

int runner_wait(runner *r, int timeout_ms, runner_job *job, runner_result *res) {
    if (r->nrunning == 0) return -1;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    double deadline = runner_now() + timeout_ms / 1000.0;
    for (;;) {
        if (reap_one(r, job, res)) return 1;
        double left = deadline - runner_now();
        if (left <= 0) return 0;
        struct timespec ts = { (time_t)left, (long)((left - (double)(time_t)left) * 1e9) };
        int sig = sigtimedwait(&set, NULL, &ts);
        if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP) {
            if (!r->stop_sig) r->stop_sig = sig;
            r->signals++;
            return 0;
        }
        if (sig < 0 && errno == EAGAIN) return reap_one(r, job, res);
    }
}

static void signal_all(runner *r, int sig, int group) {
    for (int i = 0; i < r->max; i++)
        if (r->slot[i].pid > 0) kill(group ? -r->slot[i].pid : r->slot[i].pid, sig);
}

int runner_stop_all(runner *r) {
    int stopped = 0;
    signal_all(r, r->stop_sig ? r->stop_sig : SIGTERM, 0);
    double deadline = runner_now() + RUNNER_GRACE_MS / 1000.0;
    int signals = r->signals, killed = 0;
    while (r->nrunning > 0) {
        runner_job job;
        runner_result res;
        if (runner_wait(r, 200, &job, &res) == 1) {
            runner_remove_run_dir(job.run_dir);
            stopped++;
            continue;
        }
        /* A second signal, or the grace period over: the whole group, nodes too. */
        if (!killed && (r->signals != signals || runner_now() > deadline)) {
            signal_all(r, SIGKILL, 1);
            killed = 1;
        }
    }
    return stopped;
}

/* ---- files -------------------------------------------------------------------- */

void runner_remove_run_dir(const char *dir) {
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        char path[1400];
        while ((e = readdir(d)) != NULL) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            unlink(path);
        }
        closedir(d);
        rmdir(dir);
    }
    char parent[1100];
    if (parent_dir_of(dir, parent, sizeof parent) == 0) rmdir(parent);   /* only if empty */
}

int runner_dir_writable(const char *path) {
    char parent[1100];
    if (parent_dir_of(path, parent, sizeof parent) != 0) return 0;
    struct stat st;
    return stat(parent, &st) == 0 && S_ISDIR(st.st_mode) && access(parent, W_OK) == 0;
}

int runner_write_file(const char *path, void (*write)(FILE *f, void *ctx), void *ctx, char *err,
                      size_t errlen) {
    char tmp[1200];
    snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "we");
    if (!f) {
        snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
        return -1;
    }
    write(f, ctx);
    int bad = ferror(f);
    if (fclose(f) != 0 || bad || rename(tmp, path) != 0) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno ? errno : EIO));
        unlink(tmp);
        return -1;
    }
    return 0;
}

static int needs_quotes(const char *s) {
    if (!*s) return 1;
    for (; *s; s++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./=:+,@%", *s))
            return 1;
    return 0;
}

static size_t append_word(char *out, size_t cap, size_t len, const char *w) {
    if (len >= cap) return cap;
    int n;
    if (!needs_quotes(w)) {
        n = snprintf(out + len, cap - len, "%s%s", len ? " " : "", w);
    } else {
        /* 'it'\''s': single quotes, each ' closed, escaped and reopened. */
        n = snprintf(out + len, cap - len, "%s'", len ? " " : "");
        for (const char *p = w; *p && n >= 0 && len + (size_t)n < cap; p++)
            n += snprintf(out + len + n, cap - len - n, *p == '\'' ? "'\\''" : "%c", *p);
        if (n >= 0 && len + (size_t)n < cap) n += snprintf(out + len + n, cap - len - n, "'");
    }
    if (n < 0 || len + (size_t)n >= cap) return cap;
    return len + (size_t)n;
}

void runner_command(const runner *r, const runner_job *job, char *out, size_t cap) {
    char seed[32];
    snprintf(seed, sizeof seed, "%" PRIu64, job->seed);
    out[0] = '\0';
    size_t n = 0;
    n = append_word(out, cap, n, r->argv0);
    n = append_word(out, cap, n, "run");
    n = append_word(out, cap, n, job->scenario);
    n = append_word(out, cap, n, "--seed");
    n = append_word(out, cap, n, seed);
    if (job->design[0]) {
        n = append_word(out, cap, n, "--design");
        n = append_word(out, cap, n, job->design);
    }
    if (n >= cap) out[cap - 1] = '\0';
}

void runner_result_token(const runner_result *res, char *out, size_t cap) {
    if (res->exit_code == 0) { snprintf(out, cap, "pass"); return; }
    if (res->exit_code != 1) { snprintf(out, cap, "error"); return; }
    /* expect_met() (sim/check/expect.h) says, in this order: an expected break that held, a
    ** broken invariant that had to hold, a wrong number of dead letters. */
    char name[64];
    const char *held = " to be broken, but it held";
    const char *why = res->why;
    if (!strncmp(why, "expected ", 9) && strstr(why, held)) {
        size_t len = (size_t)(strstr(why, held) - (why + 9));
        if (len >= sizeof name) len = sizeof name - 1;
        memcpy(name, why + 9, len);
        name[len] = '\0';
        snprintf(out, cap, "held:%s", name);
        return;
    }
    const char *colon = strstr(why, " broken:");
    if (colon && (size_t)(colon - why) < sizeof name && !memchr(why, ' ', (size_t)(colon - why))) {
        memcpy(name, why, (size_t)(colon - why));
        name[colon - why] = '\0';
        snprintf(out, cap, "%s", name);
        return;
    }
    if (strstr(why, "dead letters")) { snprintf(out, cap, "dead_letters"); return; }
    snprintf(out, cap, "%s", res->ninv ? res->inv[0] : "fail");
}

/* ---- JSON and XML out ---------------------------------------------------------- */

void runner_json_str(FILE *f, const char *s) {
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') fprintf(f, "\\%c", *p);
        else if (*p == '\n') fputs("\\n", f);
        else if (*p == '\t') fputs("\\t", f);
        else if (*p == '\r') fputs("\\r", f);
        else if (*p < 0x20) fprintf(f, "\\u%04x", *p);
        else fputc(*p, f);
    }
    fputc('"', f);
}

void runner_xml_str(FILE *f, const char *s) {
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&apos;", f); break;
        case '\n': fputs("&#10;", f); break;
        case '\t': fputs("&#9;", f); break;
        default:
            if (*p >= 0x20) fputc(*p, f);   /* other control bytes are not XML 1.0 */
        }
    }
}

/* ---- summary.json in ---------------------------------------------------------- */

/* A small, strict JSON walker: it visits every value with its path ("trace.hash",
** "invariants.exactly_once.count") and keeps the few fields a runner needs. */
typedef struct {
    const char *p, *end;
    runner_result *res;
} jwalk;

static void jw_ws(jwalk *j) {
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\n' || *j->p == '\r' || *j->p == '\t'))
        j->p++;
}

static int jw_hex(const char *p) {
    int v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= c - '0';
        else if (c >= 'a' && c <= 'f') v |= c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') v |= c - 'A' + 10;
        else return -1;
    }
    return v;
}

/* Decodes a string into out (truncated to cap; \u escapes beyond ASCII become '?'). */
static int jw_string(jwalk *j, char *out, size_t cap) {
    if (j->p >= j->end || *j->p != '"') return -1;
    j->p++;
    size_t n = 0;
    while (j->p < j->end && *j->p != '"') {
        char c = *j->p++;
        if (c == '\\') {
            if (j->p >= j->end) return -1;
            char e = *j->p++;
            switch (e) {
            case 'n': c = '\n'; break;
            case 't': c = '\t'; break;
            case 'r': c = '\r'; break;
            case 'b': c = '\b'; break;
            case 'f': c = '\f'; break;
            case 'u': {
                if (j->end - j->p < 4) return -1;
                int v = jw_hex(j->p);
                if (v < 0) return -1;
                j->p += 4;
                c = v < 0x80 ? (char)v : '?';
                break;
            }
            case '"': case '\\': case '/': c = e; break;
            default: return -1;
            }
        }
        if (n + 1 < cap) out[n++] = c;
    }
    if (j->p >= j->end) return -1;
    j->p++;
    if (cap) out[n] = '\0';
    return 0;
}

static void jw_keep_string(jwalk *j, const char *path, const char *val) {
    runner_result *r = j->res;
    if (!strcmp(path, "verdict")) copy_str(r->verdict, sizeof r->verdict, val);
    else if (!strcmp(path, "why")) copy_str(r->why, sizeof r->why, val);
    else if (!strcmp(path, "trace.hash")) copy_str(r->hash, sizeof r->hash, val);
}

static void jw_keep_number(jwalk *j, const char *path, double v) {
    runner_result *r = j->res;
    if (!strcmp(path, "trace.lines")) { r->trace_lines = (uint64_t)v; return; }
    /* invariants.<name>.count > 0: a broken invariant. */
    if (strncmp(path, "invariants.", 11) != 0) return;
    const char *name = path + 11;
    const char *dot = strchr(name, '.');
    if (!dot || strcmp(dot, ".count") != 0 || v <= 0 || r->ninv >= RUNNER_MAX_INV) return;
    size_t len = (size_t)(dot - name);
    if (len >= sizeof r->inv[0]) return;
    memcpy(r->inv[r->ninv], name, len);
    r->inv[r->ninv][len] = '\0';
    r->inv_count[r->ninv++] = (uint64_t)v;
}

static int jw_value(jwalk *j, const char *path, int depth);

static int jw_object(jwalk *j, const char *path, int depth) {
    j->p++;   /* '{' */
    jw_ws(j);
    if (j->p < j->end && *j->p == '}') { j->p++; return 0; }
    for (;;) {
        char key[128], sub[256];
        jw_ws(j);
        if (jw_string(j, key, sizeof key) != 0) return -1;
        jw_ws(j);
        if (j->p >= j->end || *j->p++ != ':') return -1;
        snprintf(sub, sizeof sub, "%s%s%s", path, *path ? "." : "", key);
        if (jw_value(j, sub, depth + 1) != 0) return -1;
        jw_ws(j);
        if (j->p >= j->end) return -1;
        if (*j->p == '}') { j->p++; return 0; }
        if (*j->p++ != ',') return -1;
    }
}

static int jw_array(jwalk *j, const char *path, int depth) {
    char sub[256];
    snprintf(sub, sizeof sub, "%s[]", path);
    j->p++;   /* '[' */
    jw_ws(j);
    if (j->p < j->end && *j->p == ']') { j->p++; return 0; }
    for (;;) {
        if (jw_value(j, sub, depth + 1) != 0) return -1;
        jw_ws(j);
        if (j->p >= j->end) return -1;
        if (*j->p == ']') { j->p++; return 0; }
        if (*j->p++ != ',') return -1;
    }
}

static int jw_value(jwalk *j, const char *path, int depth) {
    if (depth > JSON_MAX_DEPTH) return -1;
    jw_ws(j);
    if (j->p >= j->end) return -1;
    char c = *j->p;
    if (c == '{') return jw_object(j, path, depth);
    if (c == '[') return jw_array(j, path, depth);
    if (c == '"') {
        char val[1024];
        if (jw_string(j, val, sizeof val) != 0) return -1;
        jw_keep_string(j, path, val);
        return 0;
    }
    static const char *const words[] = { "true", "false", "null" };
    for (int i = 0; i < 3; i++) {
        size_t len = strlen(words[i]);
        if ((size_t)(j->end - j->p) >= len && !memcmp(j->p, words[i], len)) {
            j->p += len;
            return 0;
        }
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
        char num[64];
        size_t n = 0;
        while (j->p < j->end && strchr("+-.eE0123456789", *j->p) && n + 1 < sizeof num)
            num[n++] = *j->p++;
        num[n] = '\0';
        char *endp;
        double v = strtod(num, &endp);
        if (*endp) return -1;
        jw_keep_number(j, path, v);
        return 0;
    }
    return -1;
}

int runner_read_summary(const char *run_dir, runner_result *res) {
    char path[1200];
    snprintf(path, sizeof path, "%s/summary.json", run_dir);
    FILE *f = fopen(path, "re");
    if (!f) return -1;
    char *buf = NULL;
    int rc = -1;
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && st.st_size > 0 && (uint64_t)st.st_size <= SUMMARY_MAX &&
        (buf = malloc((size_t)st.st_size)) != NULL &&
        fread(buf, 1, (size_t)st.st_size, f) == (size_t)st.st_size) {
        jwalk j = { buf, buf + st.st_size, res };
        res->ninv = 0;
        rc = jw_value(&j, "", 0);
        jw_ws(&j);
        if (rc == 0 && j.p != j.end) rc = -1;
        if (rc == 0 && !res->verdict[0]) rc = -1;
    }
    free(buf);
    fclose(f);
    if (rc == 0) res->have_summary = 1;
    return rc;
}
