/*
** diskf.c: disk errors, pauses and the clock's rate, as the world applies them (see
** diskf.h).
*/
#include "diskf.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../proto/disk.h"
#include "dbplace.h"
#include "diskpre.h"
#include "power.h"
#include "world_loop.h"


int diskf_is_site(const char *name) {
    return strncmp(name, DISK_SITE_PREFIX, strlen(DISK_SITE_PREFIX)) == 0;
}

int diskf_wanted(const sim_scenario *sc) {
    const char *env = getenv(DISKF_ENV);
    if (env && strcmp(env, "simulated") == 0) return 1;
    if (power_wanted(sc)) return 1;   /* a power cut replays the same journal */
    for (int i = 0; i < sc->nfaults; i++)
        if (sc->faults[i].kind == FK_DISK) return 1;
    return 0;
}

void diskf_init(diskf_state *d, uint64_t seed) {
    memset(d, 0, sizeof *d);
    ox_prng_seed(&d->rand, ox_prng_derive(seed, DISKF_STREAM));
}

/* Calls to pass before the next failure, for a chance p at each call. */
static uint32_t geometric(ox_prng *r, double p) {
    assert(p > 0);
    assert(p <= 1);
    double u = ox_prng_unit(r);   /* [0, 1): 1 - u is in (0, 1], log finite */
    if (p >= 1) return 0;
    double k = floor(log(1.0 - u) / log1p(-p));
    assert(k >= 0);
    return k >= (double)(UINT32_MAX - 1) ? UINT32_MAX - 1 : (uint32_t)k;
}

static int active_on(const sim_world *w, const sim_fault *f, int node) {
    return f->kind == FK_DISK && f->node == node && w->now >= f->from_us && w->now < f->to_us &&
           (f->nth ? f->seen < f->nth : f->p > 0);
}

void diskf_arm(sim_world *w, int node, ox_step *s) {
    diskf_state *d = &w->diskf;
    d->n = 0;
    d->passed = 0;
    d->fired = 0;
    if (w->healed) return;
    int start = s->kind == OX_STEP_START;
    if (!start && s->kind != OX_STEP_FRAME && s->kind != OX_STEP_TIMER && s->kind != OX_STEP_PAY)
        return;
    for (int i = 0; i < w->sc->nfaults && s->narmed < OX_STEP_MAX_ARMED; i++) {
        const sim_fault *f = &w->sc->faults[i];
        if (!active_on(w, f, node) || (start && !f->at_start)) continue;
        uint32_t skip = f->nth ? f->nth - 1 - f->seen : geometric(&d->rand, f->p);
        ox_armed *a = &s->armed[s->narmed++];
        snprintf(a->name, sizeof a->name, DISK_SITE_PREFIX "%s.%s", f->disk_op, f->disk_err);
        a->skip = skip;
        a->action = OX_ARM_INJECT;
        d->fault[d->n] = i;
        d->skip[d->n] = skip;
        snprintf(d->name[d->n], sizeof d->name[0], "%s", a->name);
        d->n++;
        assert(d->n <= OX_STEP_MAX_ARMED);
    }
}

/* A fired disk site's label "disk.<op>.<fault>[@<file>]" (proto/step.h): the site into
** site, the file's name (proto/disk.h) into *file, NULL when none is named (an
** allocation, or a node that does not say).  -1: a file that is not one. */
static int split_file(const char *label, char *site, size_t cap, const char **file) {
    const char *at = strchr(label, DISK_FILE_SEP);
    size_t n = at ? (size_t)(at - label) : strlen(label);
    assert(n < cap);
    memcpy(site, label, n);
    site[n] = '\0';
    *file = at ? at + 1 : NULL;
    return at && disk_file_parse(at + 1) < 0 ? -1 : 0;
}

int diskf_injected(sim_world *w, int node, const char *label) {
    diskf_state *d = &w->diskf;
    char site[OX_NAME_MAX + 1];   /* the label without its "@<file>" */
    const char *file = NULL;
    if (split_file(label, site, sizeof site, &file) != 0)
        return world_fail(w, OX_EXIT_HARNESS, "%s failed a disk call on an unknown file in '%s'",
                          scenario_node_name(node), label);
    int k = -1;
    /* The node fires, of the entries of one name, the first to reach its skip. */
    for (int i = 0; i < d->n; i++)
        if (!strcmp(d->name[i], site) && (k < 0 || d->skip[i] < d->skip[k])) k = i;
    if (k < 0)
        return world_fail(w, OX_EXIT_HARNESS, "%s failed a disk call at unarmed site '%s'",
                          scenario_node_name(node), site);
    sim_fault *f = &w->sc->faults[d->fault[k]];
    assert(f->kind == FK_DISK);
    d->fired++;
    d->last = d->fault[k];
    if (f->at_start) world_announce(w, f);   /* a START at its very start comes first */
    f->acted++;
    w->res->st.disk_faults++;
    trace_begin(&w->trace, w->now, "disk_fault");
    trace_str(&w->trace, "node", scenario_node_name(node));
    trace_int(&w->trace, "fault", f->id);
    trace_str(&w->trace, "op", f->disk_op);
    trace_str(&w->trace, "error", f->disk_err);
    trace_uint(&w->trace, "call", (uint64_t)f->seen + d->skip[k] + 1);
    if (file) trace_str(&w->trace, "file", file);
    trace_end(&w->trace);
    return 0;
}

int diskf_passed(sim_world *w, int node, const char *site, uint32_t count) {
    diskf_state *d = &w->diskf;
    int k = d->passed++;
    if (k >= d->n || strcmp(d->name[k], site) != 0)
        return world_fail(w, OX_EXIT_HARNESS, "%s reported passes of disk site '%s', not armed",
                          scenario_node_name(node), site);
    sim_fault *f = &w->sc->faults[d->fault[k]];
    f->seen = count > UINT32_MAX - f->seen ? UINT32_MAX : f->seen + count;
    return 0;
}

int diskf_start_failed(sim_world *w, int node, const char *why) {
    diskf_state *d = &w->diskf;
    assert(d->fired > 0);
    assert(d->last >= 0 && d->last < w->sc->nfaults);
    const sim_fault *f = &w->sc->faults[d->last];
    assert(f->kind == FK_DISK);
    assert(f->at_start);
    return diskf_restart_later(w, node, d->last, why);
}

int diskf_restart_later(sim_world *w, int node, int fault, const char *why) {
    assert(fault >= 0 && fault < w->sc->nfaults);
    const sim_fault *f = &w->sc->faults[fault];
    sim_proc *p = &w->nodes[node];
    assert(f->restart_after_us >= 0);
    proc_reap_stopped(&w->procs, p);   /* it exits 3 by itself once its reply is out */
    assert(p->pid == 0);
    trace_begin(&w->trace, w->now, "start_failed");
    trace_str(&w->trace, "node", scenario_node_name(node));
    trace_int(&w->trace, "life", p->life);
    trace_int(&w->trace, "fault", f->id);
    trace_str(&w->trace, "why", why ? why : "");
    trace_end(&w->trace);
    sim_event ev = { .t = w->now + f->restart_after_us, .type = EV_RESTART,
                     .node = (int8_t)node, .b = (uint64_t)p->life };
    return world_schedule(w, ev);
}

int diskf_batchable(const sim_world *w, int node) {
    if (w->rate[node] != 0 && w->rate[node] != 1) return 0;
    for (int i = 0; !w->healed && i < w->sc->nfaults; i++)
        if (w->sc->faults[i].kind == FK_DISK && w->sc->faults[i].node == node) return 0;
    return 1;
}

void diskf_wake(sim_world *w, int node) {
    assert(node >= 0);
    assert(node < SIM_MAX_NODES);
    if (!w->diskf.stopped[node]) return;
    w->diskf.stopped[node] = 0;
    if (w->nodes[node].pid > 0) proc_pause(&w->nodes[node], 0);   /* a new life: harmless */
}

static void trace_pause(sim_world *w, const char *ev, const sim_fault *f) {
    trace_begin(&w->trace, w->now, ev);
    trace_str(&w->trace, "node", scenario_node_name(f->node));
    trace_int(&w->trace, "fault", f->id);
}

int diskf_pause(sim_world *w, sim_fault *f) {
    assert(f->kind == FK_PAUSE);
    int n = f->node;
    if (f->fired) {   /* its end: the node takes what waited (backlog_on_free) */
        if (w->nodes[n].pid == 0 || f->skipped) return 0;
        /* The process runs from here on (under overlapping pauses, from the first
        ** resume on), but it is stepped only once the last ends (busy_until). */
        diskf_wake(w, n);
        trace_pause(w, "resume", f);
        trace_uint(&w->trace, "waiting", w->backlog[n].len);
        trace_end(&w->trace);
        return 0;
    }
    f->fired = 1;
    world_announce(w, f);
    if (w->nodes[n].pid == 0) {
        f->skipped = 1;
        trace_pause(w, "pause_skipped", f);
        trace_str(&w->trace, "why", "already down");
        trace_end(&w->trace);
        return 0;
    }
    f->acted++;
    proc_pause(&w->nodes[n], 1);
    w->diskf.stopped[n] = 1;
    w->res->st.pauses++;
    if (w->busy_until[n] < f->to_us) w->busy_until[n] = f->to_us;
    trace_pause(w, "pause", f);
    trace_time(&w->trace, "until", f->to_us);
    trace_end(&w->trace);
    sim_event ev = { .t = f->to_us, .type = EV_FAULT, .a = (uint32_t)(f->id - 1) };
    return world_schedule(w, ev);
}


/* Where node n's disk folder lives during the run (`during`): beside its database, in the
** private temp dir on tmpfs (dbplace.h), or in the run dir when the databases are there;
** after the run, in the run dir. */
static void disk_dir(const sim_world *w, int n, int during, char *buf, size_t cap) {
    const char *base = during && w->tmp_dbs ? w->procs.dir : w->o->run_dir;
    snprintf(buf, cap, "%s/%s.disk", base, scenario_node_name(n));
}

void diskf_dir(const sim_world *w, int node, char *buf, size_t cap) {
    assert(node >= 0);
    assert(node < SIM_MAX_NODES);
    disk_dir(w, node, 1, buf, cap);
}

static int make_dir(sim_world *w, const char *dir) {
    if (mkdir(dir, 0755) == 0 || errno == EEXIST) return 0;
    return world_fail(w, OX_EXIT_HARNESS, "cannot create %s: %s", dir, strerror(errno));
}

/* OUTBOX_DISK=<dir>/<node>.disk for each node, the folder made and emptied of an
** earlier run's journal (the VFS would take it over as its own). */
int diskf_prepare(sim_world *w) {
    if (!diskf_wanted(w->sc)) return 0;
    for (int n = 0; n < SIM_MAX_NODES; n++) {
        if (!scenario_node_active(w->sc, n)) continue;
        char dir[560], journal[600];
        disk_dir(w, n, 1, dir, sizeof dir);
        if (make_dir(w, dir) != 0) return -1;
        snprintf(journal, sizeof journal, "%s/%s", dir, DISK_JOURNAL_NAME);
        if (unlink(journal) != 0 && errno != ENOENT)
            return world_fail(w, OX_EXIT_HARNESS, "cannot remove %s: %s", journal,
                              strerror(errno));
        sim_proc *p = &w->nodes[n];
        int len = snprintf(p->env_extra, sizeof p->env_extra, "OUTBOX_DISK=%s", dir);
        if (len < 0 || (size_t)len >= sizeof p->env_extra)
            return world_fail(w, OX_EXIT_HARNESS, "%s: path too long", dir);
        if (diskpre_prepare(w, n, dir) != 0) return -1;   /* a --node command's disk */
    }
    return 0;
}

int diskf_keep(sim_world *w) {
    if (!diskf_wanted(w->sc) || !w->tmp_dbs) return 0;
    int rc = 0;
    for (int n = 0; n < SIM_MAX_NODES; n++) {
        if (!scenario_node_active(w->sc, n)) continue;
        char from[560], to[560], src[600], dst[600], err[1400];
        disk_dir(w, n, 1, from, sizeof from);
        disk_dir(w, n, 0, to, sizeof to);
        snprintf(src, sizeof src, "%s/%s", from, DISK_JOURNAL_NAME);
        snprintf(dst, sizeof dst, "%s/%s", to, DISK_JOURNAL_NAME);
        if (access(src, F_OK) != 0) continue;   /* a node that never started */
        if (make_dir(w, to) != 0) return -1;
        if (dbplace_copy(src, dst, err, sizeof err) != 0 && rc == 0)
            rc = world_fail(w, OX_EXIT_HARNESS, "%s", err);
    }
    return rc;
}
