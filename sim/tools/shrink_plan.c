/*
** shrink_plan.c: the original run read back, and plans written as Lua (shrink_plan.h).
*/
#include "shrink_plan.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../report/tline.h"
#include "../util/json.h"
#include "nodeflag.h"

#define MAX_LABELS 32
#define MAX_QUEUES 4

/* ---- summary.json ------------------------------------------------------------------- */

/* A string member, or "" (as the reader of a summary may take a field for absent). */
static const char *str_or_empty(const json_t *o, const char *key) {
    const char *s = json_r_str(o, key);
    return s ? s : "";
}

static void pick_target(shrink_plan_orig *o, const json_t *invs, const char *want) {
    snprintf(o->target, sizeof o->target, "%s", want ? want : o->broken[0]);
    json_t *viol = json_r_arr(json_r_obj(invs, o->target), "violations");
    snprintf(o->violation, sizeof o->violation, "%s",
             str_or_empty(json_array_get(viol, 0), "text"));
}

/* Which invariants broke, and which one a candidate must break. */
static int read_verdicts(shrink_plan_orig *o, const json_t *d, const char *want, char *err,
                         size_t errlen) {
    json_t *invs = json_r_obj(d, "invariants"), *inv;
    if (!invs) {
        snprintf(err, errlen, "%s/summary.json: no \"invariants\"", o->run_dir);
        return 2;
    }
    const char *name;
    json_object_foreach(invs, name, inv) {
        if (o->nbroken >= SHRINK_PLAN_MAX_INVARIANTS) break;
        if (json_r_bool(inv, "ok") != 0 || json_r_bool(inv, "skipped") == 1) continue;
        snprintf(o->broken[o->nbroken++], sizeof o->broken[0], "%s", name);
    }
    if (o->nbroken == 0) {
        if (!strcmp(o->verdict, "pass"))
            snprintf(err, errlen,
                     "%s: the run passed (verdict pass, no invariant broken): nothing to shrink",
                     o->run_dir);
        else
            snprintf(err, errlen,
                     "%s: the run failed (%s) but broke no invariant: nothing to shrink",
                     o->run_dir, str_or_empty(d, "why"));
        return 2;
    }
    int found = !want;
    for (int i = 0; want && i < o->nbroken; i++) found |= !strcmp(o->broken[i], want);
    if (!found) {
        char list[600] = "";
        for (int i = 0; i < o->nbroken; i++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "",
                     o->broken[i]);
        snprintf(err, errlen, "--invariant %s: that invariant held in %s (broken there: %s)", want,
                 o->run_dir, list);
        return 2;
    }
    pick_target(o, invs, want);
    return 0;
}

/* The scenario must still be the one that ran: the same faults at the same lines. */
/* The run was made with the --node flags given now (summary.json "nodes"; none in an
** older summary): shrinking another implementation would chase another bug. */
static int same_nodes(const shrink_plan_orig *o, const json_t *d, char *err, size_t errlen) {
    const json_t *nodes = json_r_obj(d, "nodes");
    const char *const *now = nodeflag_table();
    for (int r = 0; r < OX_ROLE_COUNT; r++) {
        const char *then = nodes ? json_r_str(nodes, ox_role_name((ox_role)r)) : NULL;
        if ((then == NULL) == (now[r] == NULL) && (!then || !strcmp(then, now[r]))) continue;
        snprintf(err, errlen, "%s ran %s as %s (summary.json \"nodes\"), not %s: give shrink "
                 "the run's --node flags", o->run_dir, then ? then : "bin/outbox-node",
                 ox_role_name((ox_role)r), now[r] ? now[r] : "bin/outbox-node");
        return 2;
    }
    return 0;
}

static int same_faults(const shrink_plan_orig *o, const json_t *d, char *err, size_t errlen) {
    json_t *arr = json_r_arr(d, "faults");
    size_t len = json_array_size(arr);
    int n = 0;
    for (; (size_t)n < len && n < o->sc->nfaults; n++) {
        int64_t id = -1, line = -1;
        json_r_int(json_array_get(arr, (size_t)n), "id", &id);
        json_r_int(json_array_get(arr, (size_t)n), "line", &line);
        if (o->sc->faults[n].id != id || o->sc->faults[n].line != line) break;
    }
    if ((size_t)n == len && n == o->sc->nfaults) return 0;
    snprintf(err, errlen,
             "%s: %s no longer declares the faults this run had (they differ from fault %d on): "
             "run it again, then shrink the new run",
             o->run_dir, o->file, n + 1);
    return 2;
}

/* Loads the scenario with the run's seed and fires its at() callbacks in the order the
** run did (time, then registration), so that every fault the run had exists, with the
** same id. */
static int load_scenario(shrink_plan_orig *o, char *err, size_t errlen) {
    char why[1024];
    o->sc = scenario_load(o->file, o->seed, why, sizeof why);
    if (!o->sc) {
        snprintf(err, errlen, "%s: cannot load its scenario again: %s%s", o->run_dir, why,
                 access(o->file, R_OK) != 0 ? " (run shrink from the directory the run was made in)"
                                            : "");
        return 2;
    }
    int n = o->sc->ncallbacks, order[SIM_MAX_CALLBACKS];
    for (int i = 0; i < n; i++) order[i] = i;
    for (int i = 1; i < n; i++)     /* insertion sort: stable, n is small */
        for (int j = i;
             j > 0 && o->sc->callbacks[order[j]].t_us < o->sc->callbacks[order[j - 1]].t_us; j--) {
            int t = order[j]; order[j] = order[j - 1]; order[j - 1] = t;
        }
    for (int i = 0; i < n; i++)
        if (scenario_fire(o->sc, order[i], o->sc->callbacks[order[i]].t_us, why, sizeof why) != 0) {
            snprintf(err, errlen, "%s: its scenario fails again: %s", o->run_dir, why);
            return 2;
        }
    return 0;
}

/* ---- trace.jsonl ------------------------------------------------------------------- */

typedef struct {
    uint32_t seq;
    int8_t src, dst;
    uint8_t label;
    uint64_t pay;
    uint32_t ord;             /* 1-based among frames of its group that reached the faults */
} sent_frame;

typedef struct {
    shrink_plan_orig *o;
    char labels[MAX_LABELS][40];
    int nlabels;
    sent_frame *sends;
    size_t nsends, capsends;
    char queues[MAX_QUEUES][33];
    uint32_t publishes[MAX_QUEUES];   /* PUBLISH frames the broker handled, per queue */
    int last_queue;                  /* of the last one */
    int64_t crash_t[SIM_MAX_NODES];
    int crash_fault[SIM_MAX_NODES];      /* event index of the node's last crash, or -1 */
    int oom;                         /* plan_each ran out of memory */
} reader;

static int label_index(reader *r, const char *label) {
    for (int i = 0; i < r->nlabels; i++)
        if (!strcmp(r->labels[i], label)) return i;
    if (r->nlabels == MAX_LABELS) return -1;
    snprintf(r->labels[r->nlabels], sizeof r->labels[0], "%s", label);
    return r->nlabels++;
}

static int queue_index(reader *r, const char *q) {
    for (int i = 0; i < MAX_QUEUES; i++) {
        if (!r->queues[i][0]) snprintf(r->queues[i], sizeof r->queues[0], "%s", q);
        if (!strcmp(r->queues[i], q)) return i;
    }
    return -1;
}

static const sim_fault *fault_by_id(const shrink_plan_orig *o, int64_t id) {
    return id >= 1 && id <= o->sc->nfaults ? &o->sc->faults[id - 1] : NULL;
}

/* Beyond SIM_MAX_FAULTS injections there can be no explicit plan (o->overflow). */
static int push_event(shrink_plan_orig *o, const shrink_plan_fault *e) {
    if (o->nevents == SIM_MAX_FAULTS) { o->overflow = 1; return 0; }
    o->events[o->nevents++] = *e;
    return 0;
}

/* "line 16, chance 0.2" / "nemesis at line 5": where the original fault came from. */
static void origin(const sim_fault *f, char *buf, size_t cap) {
    if (!f) { snprintf(buf, cap, "an unknown fault"); return; }
    int n = snprintf(buf, cap, "%sline %d", f->nemesis ? "nemesis at " : "", f->line);
    int chance = (f->kind <= FK_DELAY || f->kind == FK_BROKER_LOSS) && !f->nth && f->p < 1.0;
    if (chance && n > 0 && (size_t)n < cap) snprintf(buf + n, cap - (size_t)n, ", chance %g", f->p);
}

/* The first duplicate fault that would have matched this frame (which one it was is not
** in the trace). */
static const sim_fault *dup_fault(const shrink_plan_orig *o, int64_t t, int src, int dst,
                                  const char *queue, const char *label, uint64_t pay) {
    for (int i = 0; i < o->sc->nfaults; i++) {
        const sim_fault *f = &o->sc->faults[i];
        if (f->kind != FK_DUPLICATE || t < f->from_us || t >= f->to_us) continue;
        if ((f->src != SIM_ANY && f->src != src) || (f->dst != SIM_ANY && f->dst != dst)) continue;
        if ((f->queue[0] && strcmp(f->queue, queue)) ||
            (f->label[0] && strncmp(f->label, label, strlen(f->label))))
            continue;
        if (f->pay && f->pay != pay) continue;
        return f;
    }
    return NULL;
}

/* A time for a comment: "1.177" (milliseconds are plenty to recognise an event). */
static const char *at_ms(int64_t us, char *buf, size_t cap) {
    snprintf(buf, cap, "%.3f", (double)us / 1e6);
    return buf;
}

/* "payment 8's " for a frame about a payment, else "". */
static const char *whose(uint64_t pay, char *buf, size_t cap) {
    if (pay) snprintf(buf, cap, "payment %llu's ", (unsigned long long)pay);
    else buf[0] = '\0';
    return buf;
}

static sim_fault frame_event(sim_fault_kind kind, int src, int dst, const char *label,
                             uint64_t pay) {
    sim_fault f;
    memset(&f, 0, sizeof f);
    f.kind = kind;
    f.src = src;
    f.dst = dst;
    f.node = SIM_ANY;
    snprintf(f.label, sizeof f.label, "%s", label);
    f.pay = pay;
    f.p = 1.0;
    f.at_us = -1;
    f.restart_after_us = -1;
    f.from_us = 0;
    f.to_us = SIM_FOREVER;
    return f;
}

/* A "send" line: counted for the nth rule, and made explicit if a fault acted on it.
** The ordinal is filled in later (number_sends); ev.f.nth holds the send's index. */
static int on_send(reader *r, const tline *l, int64_t t) {
    shrink_plan_orig *o = r->o;
    const char *fate = l->fate, *label = l->label, *queue = l->queue;
    int src = scenario_node_parse(l->from), dst = scenario_node_parse(l->to);
    uint64_t pay = l->pay;
    if (src < 0 || dst < 0) return 0;
    if (fate[0] && strcmp(fate, "dropped") != 0)
        return 0; /* partitioned: never reached a frame fault */
    if (r->nsends == r->capsends) {
        size_t cap = r->capsends ? r->capsends * 2 : 4096;
        sent_frame *ns = realloc(r->sends, cap * sizeof *ns);
        if (!ns) return -1;
        r->sends = ns;
        r->capsends = cap;
    }
    int li = label_index(r, label);
    if (li < 0) return 0;
    sent_frame *s = &r->sends[r->nsends];
    *s = (sent_frame){ .seq = (uint32_t)r->nsends,
                    .src = (int8_t)src,
                    .dst = (int8_t)dst,
                    .label = (uint8_t)li,
                    .pay = pay };
    r->nsends++;
    char when[32], from[96], who[40];
    at_ms(t, when, sizeof when);
    whose(pay, who, sizeof who);
    shrink_plan_fault e = { .from_trace = 1, .t_us = t };
    int64_t dropped = !strcmp(fate, "dropped") ? l->fault : 0;
    int64_t copies = l->copies, delayed = l->delayed_by;   /* absent: 0, as good as 1 here */
    if (dropped) {
        e.f = frame_event(FK_DROP, src, dst, label, pay);
        e.orig_id = (int)dropped;
        origin(fault_by_id(o, dropped), from, sizeof from);
        snprintf(e.note, sizeof e.note, "original: %slost at %s s (%s)", who, when, from);
        e.f.nth = (uint32_t)s->seq;
        o->drops++;
        return push_event(o, &e);
    }
    if (copies > 1) {
        e.f = frame_event(FK_DUPLICATE, src, dst, label, pay);
        e.f.copies = (uint32_t)(copies - 1);
        const sim_fault *f = dup_fault(o, t, src, dst, queue, label, pay);
        e.orig_id = f ? f->id : 0;
        origin(f, from, sizeof from);
        snprintf(e.note, sizeof e.note, "original: %s%lld copies at %s s (%s)", who,
                 (long long)copies, when, from);
        e.f.nth = (uint32_t)s->seq;
        o->dups++;
        if (push_event(o, &e)) return -1;
    }
    if (delayed) {
        int64_t late = (l->arrives >= 0 ? l->arrives : t) - t - 2000;   /* latency: 1-3 ms */
        late = (late + 500) / 1000 * 1000;
        if (late < 1000) late = 1000;
        e.f = frame_event(FK_DELAY, src, dst, label, pay);
        e.f.min_us = e.f.max_us = late;
        e.orig_id = (int)delayed;
        origin(fault_by_id(o, delayed), from, sizeof from);
        char by[32];
        snprintf(e.note, sizeof e.note, "original: %sheld %s s at %s s (%s)", who,
                 lg_seconds(late, by, sizeof by), when, from);
        e.f.nth = (uint32_t)s->seq;
        o->delays++;
        if (push_event(o, &e)) return -1;
    }
    return 0;
}

/* "deliver" to the broker of a PUBLISH: counted per queue, for broker_loss's nth. */
static void on_deliver(reader *r, const tline *l) {
    if (strcmp(l->to, "broker") || strncmp(l->label, "PUBLISH", 7))
        return;
    int q = queue_index(r, l->queue);
    if (q < 0) return;
    r->publishes[q]++;
    r->last_queue = q;
}

/* "injected": the broker lost the PUBLISH it was handling, by a broker_loss fault. */
static int on_injected(reader *r, const tline *l, int64_t t) {
    const sim_fault *f = fault_by_id(r->o, l->fault);
    if (!f || f->kind != FK_BROKER_LOSS || r->last_queue < 0) return 0;
    char when[32], from[96];
    shrink_plan_fault e = { .from_trace = 1, .t_us = t, .orig_id = f->id };
    e.f = frame_event(FK_BROKER_LOSS, SIM_ANY, 1, "", 0);
    e.f.node = 1;
    snprintf(e.f.queue, sizeof e.f.queue, "%s", r->queues[r->last_queue]);
    e.f.nth = r->publishes[r->last_queue];
    origin(f, from, sizeof from);
    snprintf(e.note, sizeof e.note, "original: lost inside the broker at %s s (%s)",
             at_ms(t, when, sizeof when), from);
    r->o->losses++;
    return push_event(r->o, &e);
}

/* "crash" by a crash fault: that fault, kept as declared; "restart": for its comment. */
static int on_crash(reader *r, const tline *l, int64_t t) {
    const sim_fault *f = fault_by_id(r->o, l->fault);
    int node = scenario_node_parse(l->node);
    if (!f || !scenario_kills(f->kind) || node < 0) return 0;   /* a power loss too */
    shrink_plan_fault e = { .f = *f, .orig_id = f->id, .t_us = t };
    char when[32], from[96];
    origin(f, from, sizeof from);
    snprintf(e.note, sizeof e.note, "original: crashed at %s s, down until healing (%s)",
             at_ms(t, when, sizeof when), from);
    r->crash_fault[node] = r->o->nevents < SIM_MAX_FAULTS ? r->o->nevents : -1;
    r->crash_t[node] = t;
    r->o->crashes++;
    return push_event(r->o, &e);
}

static void on_restart(reader *r, const tline *l, int64_t t) {
    int node = scenario_node_parse(l->node);
    if (node < 0 || r->crash_fault[node] < 0) return;
    shrink_plan_fault *e = &r->o->events[r->crash_fault[node]];
    char when[32], back[32], from[96];
    origin(&e->f, from, sizeof from);
    snprintf(e->note, sizeof e->note, "original: crashed at %s s, back at %s s (%s)",
             at_ms(r->crash_t[node], when, sizeof when), at_ms(t, back, sizeof back), from);
    r->crash_fault[node] = -1;
}

static int cmp_group(const void *a, const void *b) {
    const sent_frame *x = *(const sent_frame *const *)a, *y = *(const sent_frame *const *)b;
    if (x->src != y->src) return x->src - y->src;
    if (x->dst != y->dst) return x->dst - y->dst;
    if (x->label != y->label) return x->label - y->label;
    if (x->pay != y->pay) return x->pay < y->pay ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Each send's ordinal in its group (link, label, payment), then each frame event's nth. */
static int number_sends(reader *r) {
    sent_frame **by = malloc((r->nsends ? r->nsends : 1) * sizeof *by);
    if (!by) return -1;
    for (size_t i = 0; i < r->nsends; i++) by[i] = &r->sends[i];
    qsort(by, r->nsends, sizeof *by, cmp_group);
    for (size_t i = 0; i < r->nsends; i++) {
        int same = i > 0 && by[i - 1]->src == by[i]->src && by[i - 1]->dst == by[i]->dst &&
                   by[i - 1]->label == by[i]->label && by[i - 1]->pay == by[i]->pay;
        by[i]->ord = same ? by[i - 1]->ord + 1 : 1;
    }
    free(by);
    for (int i = 0; i < r->o->nevents; i++) {
        shrink_plan_fault *e = &r->o->events[i];
        if (!e->from_trace || e->f.kind == FK_BROKER_LOSS) continue;
        assert(e->f.nth < r->nsends);
        e->f.nth = r->sends[e->f.nth].ord;
    }
    return 0;
}

static int read_line(reader *r, const tline *l) {
    const char *ev = l->ev;
    int64_t t = l->t;
    if (!strcmp(ev, "send")) return on_send(r, l, t);
    if (!strcmp(ev, "deliver")) on_deliver(r, l);
    else if (!strcmp(ev, "injected")) return on_injected(r, l, t);
    else if (!strcmp(ev, "crash")) return on_crash(r, l, t);
    else if (!strcmp(ev, "restart")) on_restart(r, l, t);
    return 0;
}

static int plan_each(void *ctx, const tline *l, uint32_t lineno, const char *raw,
                     size_t len, char *err, size_t cap) {
    reader *r = ctx;
    if (!strcmp(l->ev, "heal")) {
        r->o->heal_us = l->t;
        return 1;
    }
    if (read_line(r, l) == 0) return 0;
    r->oom = 1;
    snprintf(err, cap, "out of memory");
    return -1;
}

/* The fault phase of the trace, up to "heal": the injections that happened.  Returns 0,
** 2 (no trace, or a line that is not one) or 3 (out of memory). */
static int read_trace(shrink_plan_orig *o, char *err, size_t errlen) {
    char path[600];
    snprintf(path, sizeof path, "%s/trace.jsonl", o->run_dir);
    reader r = { .o = o, .last_queue = -1 };
    for (int n = 0; n < SIM_MAX_NODES; n++) r.crash_fault[n] = -1;
    int rc = 0;
    if (tline_each(path, TLINE_STRICT, plan_each, &r, err, errlen) != 0) rc = r.oom ? 3 : 2;
    if (rc == 0 && number_sends(&r) != 0) { snprintf(err, errlen, "out of memory"); rc = 3; }
    free(r.sends);
    return rc;
}

/* Deterministic faults other than crashes stay as declared, at the time they act. */
static void keep_declared(shrink_plan_orig *o) {
    for (int i = 0; i < o->sc->nfaults; i++) {
        const sim_fault *f = &o->sc->faults[i];
        if (f->kind != FK_PARTITION && f->kind != FK_CLOCK && f->kind != FK_CLOCK_JUMP &&
            f->kind != FK_SLOW && f->kind != FK_DISK && f->kind != FK_PAUSE &&
            f->kind != FK_TAMPER && f->kind != FK_MISCONFIG)
            continue;
        shrink_plan_fault e = { .f = *f,
                       .orig_id = f->id,
                       .t_us = f->kind == FK_CLOCK_JUMP ? f->at_us : f->from_us };
        char from[96];
        origin(f, from, sizeof from);
        snprintf(e.note, sizeof e.note, "original: as declared (%s)", from);
        push_event(o, &e);
        o->kept++;
    }
}

/* Stable, by the time each fault acted: the trace is in time order already, except the
** kept declared faults appended at the end, so insertion sort does little work. */
static void sort_by_time(shrink_plan_fault *e, int n) {
    for (int i = 1; i < n; i++) {
        shrink_plan_fault x = e[i];
        int j = i;
        for (; j > 0 && e[j - 1].t_us > x.t_us; j--) e[j] = e[j - 1];
        e[j] = x;
    }
}

int shrink_plan_read(shrink_plan_orig *o, const char *run_dir, const char *want, char *err,
                     size_t errlen) {
    memset(o, 0, sizeof *o);
    snprintf(o->run_dir, sizeof o->run_dir, "%s", run_dir);
    char path[600];
    snprintf(path, sizeof path, "%s/summary.json", run_dir);
    char why[700];
    json_t *d = json_r_load(path, why, sizeof why);
    if (!d) {
        snprintf(err, errlen, "%s: not a run directory (%s)", run_dir, why);
        return 2;
    }
    snprintf(o->file, sizeof o->file, "%s", str_or_empty(d, "file"));
    if (json_r_uint(d, "seed", &o->seed) != 0) o->seed = 0;
    snprintf(o->design, sizeof o->design, "%s", str_or_empty(d, "design"));
    snprintf(o->verdict, sizeof o->verdict, "%s", str_or_empty(d, "verdict"));
    int rc = (!o->file[0] || !o->design[0]) ? 2 : 0;
    if (rc) snprintf(err, errlen, "%s/summary.json: no \"file\" or \"design\"", run_dir);
    if (!rc) rc = read_verdicts(o, d, want, err, errlen);
    if (!rc) rc = load_scenario(o, err, errlen);
    if (!rc) rc = same_faults(o, d, err, errlen);
    if (!rc) rc = same_nodes(o, d, err, errlen);
    json_decref(d);
    if (rc) return rc;
    o->heal_us = o->sc->run_us;
    o->events = calloc(SIM_MAX_FAULTS, sizeof *o->events);
    if (!o->events) { snprintf(err, errlen, "out of memory"); return 3; }
    if ((rc = read_trace(o, err, errlen)) != 0) return rc;
    keep_declared(o);
    sort_by_time(o->events, o->nevents);
    for (int i = 0; i < o->nevents; i++)
        o->events[i].uid = i + 1; /* uid - 1 = index, from now on */
    for (int i = 0; i < o->sc->nfaults; i++) {
        const sim_fault *f = &o->sc->faults[i];
        int acted = 0;
        for (int j = 0; j < o->nevents && !acted; j++) acted = o->events[j].orig_id == f->id;
        o->inert += !acted && f->kind != FK_DUPLICATE;   /* duplicates are not traced by fault */
    }
    return 0;
}

void shrink_plan_orig_free(shrink_plan_orig *o) {
    scenario_free(o->sc);
    free(o->events);
    memset(o, 0, sizeof *o);
}

/* ---- plans -------------------------------------------------------------------------- */

static int plan_of(const shrink_plan_orig *o, shrink_plan *p, const shrink_plan_fault *faults,
                   int n) {
    memset(p, 0, sizeof *p);
    p->payments = o->sc->workload.payments;
    p->run_us = o->sc->run_us;
    p->faults = malloc((size_t)(n ? n : 1) * sizeof *p->faults);
    p->refuse = malloc((size_t)p->payments + 1);
    if (!p->faults || !p->refuse) return -1;
    memcpy(p->refuse, o->sc->workload.refuse, (size_t)p->payments + 1);
    if (n) memcpy(p->faults, faults, (size_t)n * sizeof *faults);
    p->nfaults = n;
    return 0;
}

int shrink_plan_explicit(const shrink_plan_orig *o, shrink_plan *p) {
    if (plan_of(o, p, o->events, o->nevents) != 0) return -1;
    shrink_plan_fit(o, p);
    return 0;
}

int shrink_plan_declared(const shrink_plan_orig *o, shrink_plan *p) {
    if (plan_of(o, p, NULL, 0) != 0) return -1;
    size_t room = (size_t)(o->sc->nfaults ? o->sc->nfaults : 1);
    shrink_plan_fault *all = realloc(p->faults, room * sizeof *all);
    if (!all) return -1;
    p->faults = all;
    for (int i = 0; i < o->sc->nfaults; i++) {
        shrink_plan_fault *e = &p->faults[p->nfaults++];
        memset(e, 0, sizeof *e);
        e->f = o->sc->faults[i];
        e->orig_id = e->f.id;
        e->uid = i + 1;
        e->t_us = e->f.from_us;
        origin(&e->f, e->note, sizeof e->note);
    }
    return 0;
}

int shrink_plan_copy(shrink_plan *dst, const shrink_plan *src, const shrink_plan_orig *o) {
    *dst = *src;
    size_t nref = (size_t)o->sc->workload.payments + 1;
    dst->faults = malloc((size_t)(src->nfaults ? src->nfaults : 1) * sizeof *dst->faults);
    dst->refuse = malloc(nref);
    if (!dst->faults || !dst->refuse) {
        free(dst->faults);
        free(dst->refuse);
        memset(dst, 0, sizeof *dst);
        return -1;
    }
    memcpy(dst->faults, src->faults, (size_t)src->nfaults * sizeof *src->faults);
    memcpy(dst->refuse, src->refuse, nref);
    return 0;
}

void shrink_plan_free(shrink_plan *p) {
    free(p->faults);
    free(p->refuse);
    memset(p, 0, sizeof *p);
}

/* ---- the nth rule ----------------------------------------------------------------------- */

static int is_counted(const shrink_plan_fault *e) {
    return e->from_trace && e->f.nth > 0 &&
           (e->f.kind == FK_DROP || e->f.kind == FK_DUPLICATE || e->f.kind == FK_DELAY ||
            e->f.kind == FK_BROKER_LOSS);
}

static int same_group(const sim_fault *a, const sim_fault *b) {
    if ((a->kind == FK_BROKER_LOSS) != (b->kind == FK_BROKER_LOSS)) return 0;
    if (a->kind == FK_BROKER_LOSS) return !strcmp(a->queue, b->queue);
    return a->src == b->src && a->dst == b->dst && a->pay == b->pay && !strcmp(a->label, b->label);
}

/* Within a group: duplicates and delays (which hide nothing) first, then the losses from
** the latest frame to the earliest. */
static int goes_before(const sim_fault *a, const sim_fault *b) {
    int la = a->kind == FK_DROP || a->kind == FK_BROKER_LOSS,
        lb = b->kind == FK_DROP || b->kind == FK_BROKER_LOSS;
    if (la != lb) return !la;
    return la ? a->nth > b->nth : a->nth < b->nth;
}

/* A selection sort of each group over the places the group holds, so the list stays in
** time order otherwise.  Quadratic in the number of faults (at most SIM_MAX_FAULTS). */
static void nth_order(shrink_plan *p) {
    for (int i = 0; i < p->nfaults; i++) {
        if (!is_counted(&p->faults[i])) continue;
        for (int j = i + 1; j < p->nfaults; j++) {
            if (!is_counted(&p->faults[j]) || !same_group(&p->faults[i].f, &p->faults[j].f))
                continue;
            if (goes_before(&p->faults[j].f, &p->faults[i].f)) {
                shrink_plan_fault t = p->faults[i];
                p->faults[i] = p->faults[j];
                p->faults[j] = t;
            }
        }
    }
}

void shrink_plan_fit(const shrink_plan_orig *o, shrink_plan *p) {
    int n = 0;
    for (int i = 0; i < p->nfaults; i++) {
        sim_fault *f = &p->faults[i].f;
        int gone = (f->pay && f->pay > p->payments) ||
                   ((scenario_kills(f->kind) || f->kind == FK_CLOCK_JUMP) &&
                    f->at_us >= p->run_us) ||
                   (!scenario_kills(f->kind) && f->kind != FK_CLOCK && f->kind != FK_CLOCK_JUMP &&
                    f->from_us >= p->run_us);
        if (gone) continue;
        if (f->to_us != SIM_FOREVER && f->to_us > p->run_us) f->to_us = p->run_us;
        if (scenario_kills(f->kind) && f->at_us >= 0) f->to_us = SIM_FOREVER;
        p->faults[n++] = p->faults[i];
    }
    p->nfaults = n;
    (void)o;
    nth_order(p);
}

/* ---- as Lua --------------------------------------------------------------------------- */

int shrink_plan_text(const shrink_plan_orig *o, const shrink_plan *p, const char *header,
                     lg_buf *out, char *err, size_t errlen) {
    const sim_scenario *sc = o->sc;
    lg_fault_line *lines = malloc((size_t)(p->nfaults ? p->nfaults : 1) * sizeof *lines);
    if (!lines) { snprintf(err, errlen, "out of memory"); return -1; }
    for (int i = 0; i < p->nfaults; i++) {
        lines[i].f = p->faults[i].f;
        snprintf(lines[i].note, sizeof lines[i].note, "%s", header ? p->faults[i].note : "");
    }
    char name[256];
    snprintf(name, sizeof name, "shrunk from %s (seed %llu): %s broken", sc->slug,
             (unsigned long long)o->seed, o->target);
    lg_scenario s = {
        .header = header,
        .name = name,
        .design = o->design,
        .knobs = (const char(*)[128])sc->knobs,
        .nknobs = sc->nknobs,
        .payments = p->payments,
        .rate = sc->workload.rate,
        .amount_min = sc->workload.amount_min,
        .amount_max = sc->workload.amount_max,
        .accounts = sc->workload.accounts,
        .refuse = p->refuse,
        .run_us = p->run_us,
        .settle_us = sc->settle_us,
        .faults = lines,
        .nfaults = p->nfaults,
        .own_fps = (const char(*)[65])sc->own_fps,
        .nown_fps = sc->nown_fps,
    };
    int rc = lg_scenario_text(out, &s, err, errlen);
    free(lines);
    return rc;
}

void shrink_plan_describe(const shrink_plan *p, char *buf, size_t cap) {
    int count[FK_KIND_COUNT] = { 0 };
    for (int i = 0; i < p->nfaults; i++)
        if (p->faults[i].f.kind > 0 && p->faults[i].f.kind < FK_KIND_COUNT)
            count[p->faults[i].f.kind]++;
    size_t len = 0;
    buf[0] = '\0';
    for (int k = 1; k < FK_KIND_COUNT; k++) {
        if (!count[k] || len >= cap) continue;
        int w = snprintf(buf + len, cap - len, "%s%d %s%s", len ? ", " : "", count[k],
                         scenario_fault_kind_name(k), count[k] > 1 ? "s" : "");
        len = w < 0 ? cap : len + (size_t)w;
    }
    if (!len) snprintf(buf, cap, "none");
}
