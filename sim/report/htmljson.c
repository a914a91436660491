/*
** htmljson.c: the report's data as one JSON object, for the page's script (see
** htmljson.h).  The counts, verdicts, events, failpoints and faults are rundata.h's,
** the same as summary.json's; the rest (the chart, the plots, the lives) is the page's.
*/
#include "htmljson.h"

#include <assert.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "rundata.h"

void hj_strn(FILE *f, const char *s, size_t n) {
    json_w w;
    json_w_init_file(&w, f, JSON_HTML);
    json_w_strn(&w, s, n);
    json_w_flush(&w);
}

void hj_str(FILE *f, const char *s) { hj_strn(f, s, SIZE_MAX); }

/* Virtual time in seconds, or null for "never" (a negative time). */
static void ksec(json_w *w, const char *k, int64_t us) {
    json_w_key(w, k);
    if (us < 0) json_w_null(w);
    else json_w_time(w, us);
}

/* meta.lanes: the lanes' names, by lane index (hd_lane), up to the last node that runs;
** a slot that does not run is null. */
static void write_lanes(json_w *w, const sim_scenario *sc) {
    int last = SIM_NODES - 1;
    for (int n = SIM_NODES; n < SIM_MAX_NODES; n++)
        if (scenario_node_active(sc, n)) last = n;
    json_w_key(w, "lanes");
    json_w_arr(w);
    json_w_str(w, "client");
    for (int n = 0; n <= last; n++) {
        assert(HD_LANE_OF_NODE(n) < HD_MAX_LANES);
        if (scenario_node_active(sc, n)) json_w_str(w, scenario_node_name(n));
        else json_w_null(w);
    }
    json_w_arr_end(w);
}

static void write_meta(json_w *w, const hd_run *r) {
    const report_run *run = r->run;
    const world_opts *o = run->opt;
    char buf[40];
    json_w_key(w, "meta");
    json_w_obj(w);
    json_w_kstr(w, "scenario", o->sc->name);
    json_w_kstr(w, "file", o->sc->path);
    json_w_kstr(w, "slug", o->sc->slug);
    snprintf(buf, sizeof buf, "%" PRIu64, o->seed);
    json_w_kstr(w, "seed", buf);   /* a string: JS numbers are 53 bits */
    json_w_kstr(w, "design", o->design);
    json_w_kstr(w, "command", run->command);
    json_w_kstr(w, "verdict", run->met ? "pass" : "fail");
    json_w_kstr(w, "why", run->why);
    json_w_kint(w, "payments", r->npay);
    write_lanes(w, o->sc);
    ksec(w, "run", o->sc->run_us);
    ksec(w, "settle", o->sc->settle_us);
    ksec(w, "end", r->end_t >= 0 ? r->end_t : r->span);
    ksec(w, "healed", r->heal_t);
    ksec(w, "converged", run->res->converged_us);
    json_w_kuint(w, "trace_lines", run->res->trace_lines);
    snprintf(buf, sizeof buf, "fnv1a64:%016" PRIx64, run->res->trace_hash);
    json_w_kstr(w, "trace_hash", buf);
    const sim_expect *x = &o->sc->expect;
    json_w_key(w, "expect_broken");
    json_w_arr(w);
    for (int i = 0; i < x->nviolated; i++) json_w_str(w, x->violated[i]);
    json_w_arr_end(w);
    json_w_obj_end(w);
}

/* "reached_info": [{"name", "means", "min", "first_line"}]: the reached states' table
** (sim/util/reached.h), what the scenario asks of each (0: nothing) and the trace line of
** the first time (0: never), for the page's "Reached states" section. */
static void write_reached_info(json_w *w, const hd_run *r) {
    const reached_counts *c = r->run->reached;
    const sim_expect *x = &r->run->opt->sc->expect;
    json_w_key(w, "reached_info");
    json_w_arr(w);
    for (int i = 0; i < REACHED_COUNT; i++) {
        json_w_obj(w);
        json_w_kstr(w, "name", reached_at(i)->name);
        json_w_kstr(w, "means", reached_at(i)->means);
        json_w_kuint(w, "min", x->reached[i]);
        json_w_kuint(w, "first_line", c->first[i]);
        json_w_obj_end(w);
    }
    json_w_arr_end(w);
}

/* The run's data, as summary.json has it (rundata.h). */
static void write_rundata(json_w *w, const hd_run *r) {
    json_w_key(w, "counts");
    rundata_counts(w, r->run);
    json_w_key(w, "events");
    rundata_events(w, r->run);
    json_w_key(w, "failpoints");
    rundata_failpoints(w, r->run);
    json_w_key(w, "invariants");
    rundata_invariants(w, r->run);
    json_w_key(w, "reached");
    rundata_reached(w, r->run);
    write_reached_info(w, r);
}

/* Why each violation happened in this run, and the trace line of the step that broke it
** (cause.h): [{"inv", "k", "pay", "line", "known", "text"}], k indexing the invariant's
** violations. */
static void write_causes(json_w *w, const hd_run *r) {
    json_w_key(w, "causes");
    rundata_causes(w, r->run);
}

/* What each invariant means and what its break tells (invariant.h), and the text of
** every trace line a violation cites, by line number. */
static void write_explanations(json_w *w, const hd_run *r) {
    json_w_key(w, "meanings");
    json_w_obj(w);
    for (int i = 0; i < INVARIANT_COUNT; i++) {
        const invariant_info *inv = invariant_at(i);
        json_w_key(w, inv->name);
        json_w_obj(w);
        json_w_kstr(w, "means", inv->means);
        json_w_kstr(w, "broken", inv->broken);
        json_w_obj_end(w);
    }
    json_w_obj_end(w);
    write_causes(w, r);
    json_w_key(w, "cited");
    json_w_obj(w);
    assert(r->ncited <= HD_MAX_CITED);
    for (int i = 0; i < r->ncited; i++) {
        char line[16];
        snprintf(line, sizeof line, "%u", r->cited[i]);
        json_w_kstr(w, line, r->cited_text[i] ? r->cited_text[i] : "");
    }
    json_w_obj_end(w);
}

static void link_text(const sim_fault *x, char *out, size_t cap) {
    const char *src = x->src == SIM_ANY ? "*" : scenario_node_name(x->src);
    const char *dst = x->dst == SIM_ANY ? "*" : scenario_node_name(x->dst);
    snprintf(out, cap, "%s->%s%s%s%s%s", src, dst, x->queue[0] ? " " : "", x->queue,
             x->label[0] ? " " : "", x->label);
}

static void fault_text(const sim_fault *x, char *out, size_t cap) {
    char link[160], how[128];
    if (x->kind == FK_CRASH) {
        if (x->failpoint[0])
            snprintf(how, sizeof how, "at failpoint %s (hit %u)", x->failpoint, x->hit);
        else snprintf(how, sizeof how, "at %.3f s", x->at_us / 1e6);
        snprintf(out, cap, "crash %s %s", scenario_node_name(x->node), how);
        return;
    }
    if (x->kind != FK_DROP && x->kind != FK_DUPLICATE && x->kind != FK_DELAY) {
        /* The newer kinds read best as the Lua that declares them. */
        if (scenario_fault_lua(x, out, cap) >= cap && cap) out[0] = '\0';
        return;
    }
    link_text(x, link, sizeof link);
    if (x->nth) snprintf(how, sizeof how, "frame #%u", x->nth);
    else snprintf(how, sizeof how, "p=%g", x->p);
    if (x->kind == FK_DROP) snprintf(out, cap, "drop %s, %s", link, how);
    else if (x->kind == FK_DUPLICATE)
        snprintf(out, cap, "duplicate %s, %s, %u extra", link, how, x->copies);
    else
        snprintf(out, cap, "delay %s, %s, +%.3f..%.3f s", link, how, x->min_us / 1e6,
                 x->max_us / 1e6);
}

/* The page's view of a fault: rundata's fields, then its text, window and lanes. */
static void write_fault(json_w *w, const hd_run *r, const sim_fault *x) {
    const sim_scenario *sc = r->run->opt->sc;
    char text[600];
    fault_text(x, text, sizeof text);
    json_w_obj(w);
    rundata_fault(w, x);
    json_w_kstr(w, "text", text);
    if (!scenario_kills(x->kind)) {
        ksec(w, "from", x->from_us);
        ksec(w, "to", x->to_us == SIM_FOREVER || x->to_us > sc->run_us ? sc->run_us : x->to_us);
        json_w_kint(w, "src", x->src == SIM_ANY ? -1 : hd_lane(scenario_node_name(x->src)));
        json_w_kint(w, "dst", x->dst == SIM_ANY ? -1 : hd_lane(scenario_node_name(x->dst)));
    }
    json_w_obj_end(w);
}

/* Disk errors as [t, lane, fault, op, error] and pauses as periods, for the plots. */
static void write_disk(json_w *w, const hd_run *r) {
    json_w_key(w, "disk");
    json_w_arr(w);
    for (int i = 0; i < r->ndisk; i++) {
        const hd_disk *d = &r->disk[i];
        json_w_break(w, 0);
        json_w_arr(w);
        json_w_time(w, d->t);
        json_w_int(w, d->lane);
        json_w_int(w, d->fault);
        json_w_str(w, d->op);
        json_w_str(w, d->error);
        json_w_arr_end(w);
    }
    json_w_arr_end(w);
    json_w_kint(w, "disk_cut", r->disk_cut);
    json_w_key(w, "pauses");
    json_w_arr(w);
    for (int i = 0; i < r->npauses; i++) {
        const hd_down *d = &r->pauses[i];
        json_w_obj(w);
        json_w_kint(w, "lane", d->lane);
        ksec(w, "from", d->from);
        ksec(w, "to", d->to);
        json_w_kint(w, "fault", d->fault);
        json_w_obj_end(w);
    }
    json_w_arr_end(w);
}

static void write_faults(json_w *w, const hd_run *r) {
    const sim_scenario *sc = r->run->opt->sc;
    json_w_key(w, "faults");
    json_w_arr(w);
    for (int i = 0; i < sc->nfaults; i++) write_fault(w, r, &sc->faults[i]);
    json_w_arr_end(w);
    json_w_key(w, "downs");
    json_w_arr(w);
    for (int i = 0; i < r->ndowns; i++) {
        const hd_down *d = &r->downs[i];
        json_w_obj(w);
        json_w_kint(w, "lane", d->lane);
        ksec(w, "from", d->from);
        ksec(w, "to", d->to);
        json_w_kstr(w, "at", d->at);
        json_w_kint(w, "fault", d->fault);
        json_w_obj_end(w);
    }
    json_w_arr_end(w);
    write_disk(w, r);
}

static void write_follow(json_w *w, const hd_run *r) {
    json_w_key(w, "follow");
    json_w_obj(w);
    json_w_kstr(w, "how", r->follow_how);
    json_w_key(w, "pays");
    json_w_arr(w);
    for (int i = 0; i < r->nfollow; i++) {
        json_w_arr(w);
        json_w_uint(w, r->follow[i]);
        json_w_str(w, r->follow_why[i]);
        json_w_arr_end(w);
    }
    json_w_arr_end(w);
    json_w_kbool(w, "cut", r->items_cut);
    ksec(w, "cut_at", r->items_cut ? r->cut_at : -1);
    json_w_kuint(w, "frames", r->follow_frames);
    json_w_obj_end(w);
}

/* The sequence chart's items, one a line: [t, line, kind, a, b, frame, pay, n, label,
** text]. */
static void write_items(json_w *w, const hd_run *r) {
    write_follow(w, r);
    json_w_key(w, "chart");
    json_w_arr(w);
    for (int i = 0; i < r->nitems; i++) {
        const hd_item *it = &r->items[i];
        json_w_break(w, 0);
        json_w_arr(w);
        json_w_time(w, it->t);
        json_w_uint(w, it->line);
        json_w_str(w, it->kind);
        json_w_int(w, it->a);
        json_w_int(w, it->b);
        json_w_uint(w, it->frame);
        json_w_uint(w, it->pay);
        json_w_int(w, it->n);
        json_w_str(w, it->label);
        json_w_str(w, it->text);
        json_w_arr_end(w);
    }
    json_w_arr_end(w);
}

/* The fine bins from 0 to the end of activity (plus a margin), merged k at a time so
** that at most HD_BINS reach the page: counts add up, gauges keep their maximum,
** cumulative counts their last value. */
typedef struct { int k, n; } merge;

static merge merging(const hd_run *r) {
    int64_t end = r->active_t + (r->active_t / 20 > 1000000 ? r->active_t / 20 : 1000000);
    if (r->heal_t > end) end = r->heal_t;
    int last = (int)(end / r->bin_us);
    if (last > r->cur_bin) last = r->cur_bin;
    merge m = { .k = (last + HD_BINS) / HD_BINS };
    m.n = (last + m.k) / m.k;
    return m;
}

enum { AGG_SUM, AGG_MAX, AGG_LAST };

static void series(json_w *w, const hd_run *r, merge m, const char *name, size_t off, int agg) {
    json_w_key(w, name);
    json_w_arr(w);
    for (int b = 0; b < m.n; b++) {
        int32_t v = 0;
        for (int i = b * m.k; i < (b + 1) * m.k && i <= r->cur_bin; i++) {
            int32_t x = *(const int32_t *)(const void *)((const char *)&r->bins[i] + off);
            v = agg == AGG_SUM ? v + x : agg == AGG_MAX ? (x > v ? x : v) : x;
        }
        json_w_int(w, v);
    }
    json_w_arr_end(w);
}

static void write_series(json_w *w, const hd_run *r) {
    merge m = merging(r);
    json_w_key(w, "series");
    json_w_obj(w);
    json_w_key(w, "bin");
    json_w_fmt(w, "%.6f", (double)r->bin_us * m.k / 1e6);
    series(w, r, m, "sending", offsetof(hd_bin, sending), AGG_MAX);
    series(w, r, m, "inflight", offsetof(hd_bin, inflight), AGG_MAX);
    series(w, r, m, "deliveries", offsetof(hd_bin, deliveries), AGG_SUM);
    series(w, r, m, "dups", offsetof(hd_bin, dups), AGG_SUM);
    series(w, r, m, "dropped", offsetof(hd_bin, dropped), AGG_SUM);
    series(w, r, m, "lost", offsetof(hd_bin, lost), AGG_SUM);
    series(w, r, m, "retries", offsetof(hd_bin, retries), AGG_SUM);
    series(w, r, m, "redeliveries", offsetof(hd_bin, redeliveries), AGG_SUM);
    series(w, r, m, "commits", offsetof(hd_bin, commits), AGG_LAST);
    series(w, r, m, "vouchers", offsetof(hd_bin, vouchers), AGG_LAST);
    series(w, r, m, "alerts", offsetof(hd_bin, alerts), AGG_LAST);
    series(w, r, m, "dead", offsetof(hd_bin, dead), AGG_LAST);
    json_w_obj_end(w);
}

static int cmp_float(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return x < y ? -1 : x > y;
}

static void kfloat(json_w *w, const char *k, double x) {
    json_w_key(w, k);
    json_w_fmt(w, "%.6f", x);
}

/* The delays from commit to voucher: percentiles and a histogram of HD_DELAY_BINS. */
static void write_delay(json_w *w, const hd_run *r) {
    float *d = malloc(((size_t)r->npay + 1) * sizeof *d);
    size_t n = 0, committed = 0;
    for (uint64_t p = 1; p <= r->npay && d; p++) {
        if (r->commit_t[p] >= 0) committed++;
        if (r->delay[p] >= 0) d[n++] = r->delay[p];
    }
    json_w_key(w, "delay");
    json_w_obj(w);
    json_w_kuint(w, "n", n);
    json_w_kuint(w, "committed", committed);
    if (n) {
        qsort(d, n, sizeof *d, cmp_float);
        double max = d[n - 1], width = max > 0 ? max / HD_DELAY_BINS : 1;
        kfloat(w, "p50", d[n / 2]);
        kfloat(w, "p90", d[n * 9 / 10]);
        kfloat(w, "p99", d[n * 99 / 100]);
        kfloat(w, "max", max);
        kfloat(w, "width", width);
        uint32_t counts[HD_DELAY_BINS] = { 0 };
        for (size_t i = 0; i < n; i++) {
            int b = (int)(d[i] / width);
            counts[b >= HD_DELAY_BINS ? HD_DELAY_BINS - 1 : b]++;
        }
        json_w_key(w, "counts");
        json_w_arr(w);
        for (int b = 0; b < HD_DELAY_BINS; b++) json_w_uint(w, counts[b]);
        json_w_arr_end(w);
    }
    json_w_obj_end(w);
    free(d);
}

static const char *state_name(int s) {
    static const char *const names[] = { "", "SENDING", "CONSUMED", "FAILED", "DEAD", "PUBLISHED" };
    return s >= 0 && s <= OS_PUBLISHED ? names[s] : "";
}

/* One row of "the life of a message": the payment, its outcome, its events. */
static void write_life(json_w *w, const hd_run *r, const hd_life *lf) {
    const hist_entry *h = &r->run->res->hist[lf->pay];
    assert(lf->nitems <= HD_MAX_LIFE_ITEMS);
    json_w_break(w, 0);
    json_w_obj(w);
    json_w_kuint(w, "pay", lf->pay);
    json_w_kint(w, "amount", h->amount);
    json_w_kuint(w, "account", h->account);
    json_w_kint(w, "refused", h->refused);
    json_w_kuint(w, "flags", r->flags[lf->pay]);
    json_w_key(w, "delay");
    if (r->delay[lf->pay] >= 0) json_w_fmt(w, "%.6f", r->delay[lf->pay]);
    else json_w_null(w);
    json_w_kstr(w, "state", r->direct ? "no outbox row" : state_name(r->state[lf->pay]));
    json_w_kint(w, "cut", lf->cut);
    json_w_key(w, "ev");
    json_w_arr(w);
    for (int k = 0; k < lf->nitems; k++) {
        json_w_arr(w);
        json_w_time(w, lf->items[k].t);
        json_w_str(w, lf->items[k].kind);
        json_w_str(w, lf->items[k].text);
        json_w_arr_end(w);
    }
    json_w_arr_end(w);
    json_w_obj_end(w);
}

static void write_lives(json_w *w, const hd_run *r) {
    json_w_key(w, "lives");
    json_w_obj(w);
    json_w_kuint(w, "total", r->npay);
    json_w_key(w, "rows");
    json_w_arr(w);
    for (int i = 0; i < r->nlives; i++) write_life(w, r, &r->lives[i]);
    json_w_arr_end(w);
    json_w_obj_end(w);
}

#define SOURCE_MAX (64 * 1024)

static void write_source(json_w *w, const hd_run *r) {
    json_w_key(w, "source");
    FILE *src = fopen(r->run->opt->sc->path, "r");
    char *buf = malloc(SOURCE_MAX + 1);
    size_t n = src && buf ? fread(buf, 1, SOURCE_MAX, src) : 0;
    if (src) fclose(src);
    if (buf) buf[n] = '\0';
    json_w_strn(w, n ? buf : "(the scenario's file could not be read)", n ? n : SIZE_MAX);
    free(buf);
}

void hj_write(FILE *f, const hd_run *r) {
    json_w w;
    json_w_init_file(&w, f, JSON_HTML);
    json_w_obj(&w);
    write_meta(&w, r);
    write_rundata(&w, r);
    write_explanations(&w, r);
    write_faults(&w, r);
    write_items(&w, r);
    write_series(&w, r);
    write_delay(&w, r);
    write_lives(&w, r);
    if (r->leases.on) hl_write(&w, &r->leases, r->run->check);
    write_source(&w, r);
    json_w_obj_end(&w);
    assert(w.depth == 0);
    json_w_flush(&w);   /* a failed write shows in f's error flag, which write_page checks */
}
