/*
** runner.c: the runs of `sweep` and `matrix` on the child pool, and their summaries
** (see runner.h).
*/
#include "runner.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmd.h"
#include "nodeflag.h"
#include "../util/files.h"
#include "../util/json.h"
#include "../util/shell.h"

int runner_parse_jobs(const char *s, int *jobs) {
    unsigned long long v;
    if (cmd_parse_u64(s, &v) != 0 || v < 1 || v > POOL_MAX_JOBS) return -1;
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

/* ---- a run ------------------------------------------------------------------- */

/* out/<slug>/.<seed>.log: beside the run dir, which the child empties when it starts. */
static int log_path(const pool_job *job, char *out, size_t cap) {
    char parent[FILES_PATH_MAX];
    if (files_parent(job->run_dir, parent, sizeof parent) != 0) return -1;
    int n = snprintf(out, cap, "%s/.%" PRIu64 ".log", parent, job->seed);
    return (n < 0 || (size_t)n >= cap) ? -1 : 0;
}

int runner_start(pool *p, pool_job *job, char *err, size_t cap) {
    assert(job->run_dir[0]);
    char parent[FILES_PATH_MAX] = "";
    if (files_parent(job->run_dir, parent, sizeof parent) != 0 || files_mkdirs(parent) != 0 ||
        log_path(job, job->log, sizeof job->log) != 0) {
        snprintf(err, cap, "cannot create %s: %s", parent, strerror(errno));
        return -1;
    }
    return pool_start(p, job, err, cap);
}

/* Moves the log into the run dir (creating it if the run never did) as outbox-sim.log. */
static void file_log(const pool_job *job) {
    char dest[1200];
    snprintf(dest, sizeof dest, "%s/outbox-sim.log", job->run_dir);
    if (files_mkdirs(job->run_dir) != 0 || rename(job->log, dest) != 0) unlink(job->log);
}

/* The result of a run that ended: its exit code checked against its summary. */
static void finish(const pool_job *job, runner_result *res) {
    int status = job->status;
    memset(res, 0, sizeof *res);
    res->seconds = job->seconds;
    res->exit_code = job->code;
    assert(res->exit_code >= 0);
    assert(res->exit_code <= 3);
    if (res->exit_code <= 1) {
        if (runner_read_summary(job->run_dir, res) != 0) {
            res->exit_code = 3;
            snprintf(res->why, sizeof res->why,
                     "the run ended with %d but left no readable %.400s/summary.json",
                     WEXITSTATUS(status), job->run_dir);
        } else if ((res->exit_code == 0) != !strcmp(res->verdict, "pass")) {
            res->exit_code = 3;
            snprintf(res->why, sizeof res->why,
                     "exit code %d disagrees with verdict '%s' in summary.json",
                     WEXITSTATUS(status), res->verdict);
        }
    }
    if (res->exit_code >= 2 && !res->have_summary) {
        char line[400];
        pool_log_last(job->log, line, sizeof line);
        if (WIFSIGNALED(status))
            snprintf(res->why, sizeof res->why, "killed by signal %d%s%.380s", WTERMSIG(status),
                     line[0] ? ": " : "", line);
        else if (!res->why[0])
            snprintf(res->why, sizeof res->why, "%s",
                     line[0] ? line : "exited without saying why");
    }
    file_log(job);
}

int runner_wait(pool *p, int timeout_ms, pool_job *job, runner_result *res) {
    int rc = pool_wait(p, timeout_ms, job);
    if (rc == 1) finish(job, res);
    return rc;
}

static void drop_stopped(const pool_job *job, void *ctx) {
    (void)ctx;
    unlink(job->log);
    runner_remove_run_dir(job->run_dir);
}

int runner_stop_all(pool *p) { return pool_stop_all(p, drop_stopped, NULL); }

/* ---- files -------------------------------------------------------------------- */

void runner_remove_run_dir(const char *dir) {
    /* The whole tree: a run with a simulated disk keeps each node's journal in a folder
    ** of its own (NODE.disk/).  Links are removed, never followed (files_rmtree). */
    files_rmtree(dir);
    char parent[FILES_PATH_MAX];
    if (files_parent(dir, parent, sizeof parent) == 0) rmdir(parent);   /* only if empty */
}

void runner_command(const pool *p, const pool_job *job, char *out, size_t cap) {
    char seed[32];
    snprintf(seed, sizeof seed, "%" PRIu64, job->seed);
    /* The children get this command's --node flags (pool.c): the line names them too. */
    const char *words[7 + NODEFLAG_WORDS] = { p->argv0, "run", job->scenario, "--seed", seed,
                                              job->design[0] ? "--design" : NULL,
                                              job->design[0] ? job->design : NULL };
    size_t n = 7;
    nodeflag_words(words, &n, sizeof words / sizeof words[0]);
    shell_command(out, cap, words, n);
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
    if (!strncmp(why, "reached state ", 14)) {   /* expect_reached: "reached state X (...)" */
        size_t len = strcspn(why + 14, " ");
        if (len >= sizeof name) len = sizeof name - 1;
        memcpy(name, why + 14, len);
        name[len] = '\0';
        snprintf(out, cap, "unreached:%s", name);
        return;
    }
    if (!strncmp(why, "state ", 6) && strstr(why, ", expected never")) {   /* never = {...} */
        size_t len = strcspn(why + 6, " ");
        if (len >= sizeof name) len = sizeof name - 1;
        memcpy(name, why + 6, len);
        name[len] = '\0';
        snprintf(out, cap, "reached:%s", name);
        return;
    }
    snprintf(out, cap, "%s", res->ninv ? res->inv[0] : "fail");
}

/* ---- summary.json in ---------------------------------------------------------- */

/* The invariants whose count is above 0, in the summary's order. */
static void broken_invariants(const json_t *invs, runner_result *res) {
    const char *name;
    json_t *inv;
    json_object_foreach((json_t *)invs, name, inv) {
        uint64_t count = 0;
        if (json_r_uint(inv, "count", &count) != 0 || count == 0) continue;
        if (res->ninv >= RUNNER_MAX_INV || strlen(name) >= sizeof res->inv[0]) continue;
        snprintf(res->inv[res->ninv], sizeof res->inv[0], "%s", name);
        res->inv_count[res->ninv++] = count;
    }
    assert(res->ninv <= RUNNER_MAX_INV);
}

/* A string field copied, cut to the buffer (the summary's text is only shown). */
static void copy_field(const json_t *o, const char *key, char *out, size_t cap) {
    const char *s = json_r_str(o, key);
    snprintf(out, cap, "%s", s ? s : "");
}

int runner_read_summary(const char *run_dir, runner_result *res) {
    char path[1200], err[600];
    snprintf(path, sizeof path, "%s/summary.json", run_dir);
    json_t *doc = json_r_load(path, err, sizeof err);
    if (!doc) return -1;
    int rc = -1;
    const char *verdict = json_r_str(doc, "verdict");
    if (verdict && verdict[0]) {
        copy_field(doc, "verdict", res->verdict, sizeof res->verdict);
        copy_field(doc, "why", res->why, sizeof res->why);
        json_t *trace = json_r_obj(doc, "trace");
        copy_field(trace, "hash", res->hash, sizeof res->hash);
        if (json_r_uint(trace, "lines", &res->trace_lines) != 0) res->trace_lines = 0;
        res->ninv = 0;
        json_t *invs = json_r_obj(doc, "invariants");
        if (invs) broken_invariants(invs, res);
        res->reached = 0;
        json_t *reached = json_r_obj(doc, "reached");
        for (int i = 0; reached && i < REACHED_COUNT; i++) {
            uint64_t n = 0;
            if (json_r_uint(reached, reached_at(i)->name, &n) == 0 && n > 0)
                res->reached |= 1u << i;
        }
        res->have_summary = 1;
        rc = 0;
    }
    json_decref(doc);
    return rc;
}

int runner_unreached(uint32_t reached, char *out, size_t cap) {
    int n = 0;
    size_t len = 0;
    assert(cap > 0);
    out[0] = '\0';
    for (int i = 0; i < REACHED_COUNT; i++) {
        if (reached >> i & 1u) continue;
        int w = snprintf(out + len, cap - len, "%s%s", n ? ", " : "", reached_at(i)->name);
        n++;
        if (w > 0 && (size_t)w < cap - len) len += (size_t)w;
    }
    return n;
}
