/*
** misconf.c: a bad deploy, refused or not (see misconf.h).
*/
#include "misconf.h"

#include <assert.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "knobs.h"
#include "world_loop.h"

#define MISCONF_LOG_MAX 2048   /* what a refusing life wrote that the trace keeps */

static long long log_size(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 ? (long long)st.st_size : 0;
}

/* What the log gained since `from`, at most cap - 1 bytes. */
static void log_since(const char *path, long long from, char *out, size_t cap) {
    out[0] = '\0';
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    ssize_t n = pread(fd, out, cap - 1, (off_t)from);
    close(fd);
    out[n > 0 ? n : 0] = '\0';
}

static void trace_head(sim_world *w, const char *ev, const sim_fault *f) {
    const sim_proc *p = &w->nodes[f->node];
    trace_begin(&w->trace, w->now, ev);
    trace_str(&w->trace, "node", p->name);
    trace_int(&w->trace, "life", p->life);
    trace_int(&w->trace, "fault", f->id);
    trace_str(&w->trace, "target", f->knob);
}

/* The life with the bad knob died before its START was answered: how, and what it said. */
static void refused(sim_world *w, const sim_fault *f, long long from) {
    const sim_proc *p = &w->nodes[f->node];
    int st = p->exit_status;
    char text[MISCONF_LOG_MAX];
    log_since(p->log_path, from, text, sizeof text);
    trace_head(w, "deploy_refused", f);
    trace_int(&w->trace, "exit", st < 0 ? -1 : WIFEXITED(st) ? WEXITSTATUS(st)
                                                : 128 + WTERMSIG(st));
    trace_str(&w->trace, "detail", text);
    trace_end(&w->trace);
}

/* Starts the node's next life with the bad knob and sends it START.  1 if it answered,
** 0 if it died first (refused), -1 (world_fail) when the harness itself failed. */
static int try_start(sim_world *w, sim_fault *f) {
    sim_proc *p = &w->nodes[f->node];
    char err[600];
    if (proc_start(&w->procs, p, world_clock_of(w, f->node), err, sizeof err) != 0)
        return world_fail(w, OX_EXIT_HARNESS, "%s", err);
    ox_step s = { .kind = OX_STEP_START };
    if (world_prepare_step(w, f->node, &s, w->now) != 0) return -1;
    ox_reply r = { .effects = w->effects };
    ox_reply_reader rd;
    w->res->st.round_trips++;
    if (proc_steps(&w->procs, p, &s, 1, &rd, err, sizeof err) == 0 &&
        proc_section(&w->procs, p, &rd, s.seq, &r, err, sizeof err) == 0)
        return 1;
    if (p->pid == 0 && p->exit_status >= 0) return 0;   /* it exited: the refusal */
    return world_fail(w, OX_EXIT_HARNESS, "%s", err);
}

int misconf_apply(sim_world *w, sim_fault *f) {
    assert(f->kind == FK_MISCONFIG);
    sim_proc *p = &w->nodes[f->node];
    if (f->fired) return 0;
    f->fired = 1;
    if (p->pid == 0) {
        f->skipped = 1;
        trace_begin(&w->trace, w->now, "misconfig_skipped");
        trace_str(&w->trace, "node", p->name);
        trace_int(&w->trace, "fault", f->id);
        trace_str(&w->trace, "why", "already down");
        trace_end(&w->trace);
        return 0;
    }
    f->acted++;
    world_crash(w, f->node, f, "misconfig");   /* the old version stops */
    long long from = log_size(p->log_path);
    proc_add_arg(p, "--knob");
    proc_add_arg(p, f->knob);
    int rc = try_start(w, f);
    proc_drop_args(p, 2);   /* the rollback starts it as it was */
    if (rc < 0) return -1;
    if (rc == 0) refused(w, f, from);
    if (rc == 1) {
        proc_kill(&w->procs, p);
        trace_head(w, "deploy_accepted", f);
        trace_str(&w->trace, "result", knobs_must_refuse(w, f->node, f->knob) ? "must refuse"
                                                                           : "not read");
        trace_end(&w->trace);
    }
    assert(p->pid == 0);
    sim_event ev = { .t = w->now + f->restart_after_us, .type = EV_RESTART,
                     .node = (int8_t)f->node, .b = (uint64_t)p->life };
    return world_schedule(w, ev);
}
