/*
** htmljson.c: the report's data as one JSON object, for the page's script (see
** htmljson.h).
*/
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "htmljson.h"
#include "report.h"

void hj_strn(FILE *f, const char *s, size_t n) {
    fputc('"', f);
    for (size_t i = 0; i < n && s[i]; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') { fputc('\\', f); fputc(c, f); }
        else if (c == '\n') fputs("\\n", f);
        else if (c == '\t') fputs("\\t", f);
        else if (c < 0x20 || c == '<' || c == '>' || c == '&') fprintf(f, "\\u%04x", c);
        else fputc(c, f);
    }
    fputc('"', f);
}

void hj_str(FILE *f, const char *s) { hj_strn(f, s ? s : "", SIZE_MAX); }

static void key(FILE *f, int *first, const char *k) {
    fprintf(f, "%s\"%s\":", *first ? "" : ",", k);
    *first = 0;
}

static void kstr(FILE *f, int *first, const char *k, const char *v) {
    key(f, first, k);
    hj_str(f, v);
}
static void kint(FILE *f, int *first, const char *k, int64_t v) {
    key(f, first, k);
    fprintf(f, "%" PRId64, v);
}
static void ksec(FILE *f, int *first, const char *k, int64_t us) {
    key(f, first, k);
    if (us < 0) fputs("null", f); else fprintf(f, "%.6f", us / 1e6);
}

static void write_meta(FILE *f, const hd_run *r) {
    const report_run *run = r->run;
    const world_opts *w = run->opt;
    int first = 1;
    fputs("\"meta\":{", f);
    kstr(f, &first, "scenario", w->sc->name);
    kstr(f, &first, "file", w->sc->path);
    kstr(f, &first, "slug", w->sc->slug);
    key(f, &first, "seed");
    fprintf(f, "\"%" PRIu64 "\"", w->seed); /* a string: JS numbers are 53 bits */
    kstr(f, &first, "design", w->design);
    kstr(f, &first, "command", run->command);
    kstr(f, &first, "verdict", run->met ? "pass" : "fail");
    kstr(f, &first, "why", run->why);
    kint(f, &first, "payments", r->npay);
    ksec(f, &first, "run", w->sc->run_us);
    ksec(f, &first, "settle", w->sc->settle_us);
    ksec(f, &first, "end", r->end_t >= 0 ? r->end_t : r->span);
    ksec(f, &first, "healed", r->heal_t);
    ksec(f, &first, "converged", run->res->converged_us);
    kint(f, &first, "trace_lines", (int64_t)run->res->trace_lines);
    key(f, &first, "trace_hash"); fprintf(f, "\"fnv1a64:%016" PRIx64 "\"", run->res->trace_hash);
    const sim_expect *x = &w->sc->expect;
    key(f, &first, "expect_broken");
    fputc('[', f);
    for (int i = 0; i < x->nviolated; i++) { if (i) fputc(',', f); hj_str(f, x->violated[i]); }
    fputc(']', f);
    fputc('}', f);
}

static void write_counts(FILE *f, const hd_run *r) {
    const world_stats *s = &r->run->res->st;
    const checker_result *c = r->run->check;
    int first = 1;
    fputs(",\"counts\":{", f);
    kint(f, &first, "client_ok", (int64_t)s->ok);
    kint(f, &first, "client_failed", (int64_t)s->failed);
    kint(f, &first, "client_unknown", (int64_t)s->unknown);
    kint(f, &first, "client_retries", (int64_t)s->client_retries);
    kint(f, &first, "frames", (int64_t)s->frames);
    kint(f, &first, "delivered", (int64_t)s->delivered);
    kint(f, &first, "dropped", (int64_t)s->dropped);
    kint(f, &first, "duplicated", (int64_t)s->duplicated);
    kint(f, &first, "delayed", (int64_t)s->delayed);
    kint(f, &first, "lost_node_down", (int64_t)s->lost_down);
    kint(f, &first, "crashes", (int64_t)s->crashes);
    kint(f, &first, "restarts", (int64_t)s->restarts);
    kint(f, &first, "db_payments", c->payments);
    kint(f, &first, "paid", c->paid);
    kint(f, &first, "refunded", c->refunded);
    kint(f, &first, "vouchers", c->vouchers);
    kint(f, &first, "sending", c->sending);
    kint(f, &first, "consumed", c->consumed);
    kint(f, &first, "failed", c->failed);
    kint(f, &first, "dead", c->dead);
    kint(f, &first, "alerts", c->alerts);
    fputc('}', f);
}

static const char *cited_text(const hd_run *r, uint32_t line) {
    for (int i = 0; i < r->ncited; i++) if (r->cited[i] == line) return r->cited_text[i];
    return NULL;
}

static void write_invariants(FILE *f, const hd_run *r) {
    const checker_result *c = r->run->check;
    fputs(",\"invariants\":[", f);
    for (int i = 0; i < CHECKER_INVARIANTS; i++) {
        const checker_invariant *inv = &c->inv[i];
        fprintf(f, "%s{\"name\":", i ? "," : "");
        hj_str(f, inv->name);
        fputs(",\"means\":", f);
        hj_str(f, invariant_at(i)->means);
        fputs(",\"broken\":", f);
        hj_str(f, invariant_at(i)->broken);
        fprintf(f, ",\"skipped\":%s,\"count\":%u,\"violations\":[", inv->skipped ? "true" : "false",
                inv->count);
        for (int k = 0; k < inv->nshown; k++) {
            const checker_violation *v = &inv->shown[k];
            fprintf(f, "%s{\"pay\":%" PRIu64 ",\"msg\":%" PRIu64 ",\"text\":", k ? "," : "",
                    v->pay_id, v->msg_id);
            hj_str(f, v->text);
            fputs(",\"lines\":[", f);
            for (int n = 0; n < v->nlines; n++) {
                const char *txt = cited_text(r, v->lines[n]);
                fprintf(f, "%s[%u,", n ? "," : "", v->lines[n]);
                hj_str(f, txt ? txt : "");
                fputc(']', f);
            }
            fputs("]}", f);
        }
        fputs("]}", f);
    }
    fputc(']', f);
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

static void write_faults(FILE *f, const hd_run *r) {
    const sim_scenario *sc = r->run->opt->sc;
    fputs(",\"faults\":[", f);
    for (int i = 0; i < sc->nfaults; i++) {
        const sim_fault *x = &sc->faults[i];
        char text[600];
        fault_text(x, text, sizeof text);
        int first = 1;
        fputs(i ? ",{" : "{", f);
        kint(f, &first, "id", x->id);
        kstr(f, &first, "kind", scenario_fault_kind_name(x->kind));
        kint(f, &first, "line", x->line);
        kstr(f, &first, "text", text);
        if (x->kind != FK_CRASH) {
            ksec(f, &first, "from", x->from_us);
            ksec(f, &first, "to",
                 x->to_us == SIM_FOREVER || x->to_us > sc->run_us ? sc->run_us : x->to_us);
            kint(f, &first, "src", x->src == SIM_ANY ? -1 : hd_lane(scenario_node_name(x->src)));
            kint(f, &first, "dst", x->dst == SIM_ANY ? -1 : hd_lane(scenario_node_name(x->dst)));
            kint(f, &first, "matched", x->seen);
        } else {
            kint(f, &first, "fired", x->fired);
        }
        fputc('}', f);
    }
    fputs("],\"downs\":[", f);
    for (int i = 0; i < r->ndowns; i++) {
        const hd_down *d = &r->downs[i];
        int first = 1;
        fputs(i ? ",{" : "{", f);
        kint(f, &first, "lane", d->lane);
        ksec(f, &first, "from", d->from);
        ksec(f, &first, "to", d->to);
        kstr(f, &first, "at", d->at);
        kint(f, &first, "fault", d->fault);
        fputc('}', f);
    }
    fputc(']', f);
}

static void write_items(FILE *f, const hd_run *r) {
    fputs(",\"follow\":{\"how\":", f);
    hj_str(f, r->follow_how);
    fputs(",\"pays\":[", f);
    for (int i = 0; i < r->nfollow; i++) {
        fprintf(f, "%s[%" PRIu64 ",", i ? "," : "", r->follow[i]);
        hj_str(f, r->follow_why[i]);
        fputc(']', f);
    }
    fprintf(f, "],\"cut\":%s,\"cut_at\":", r->items_cut ? "true" : "false");
    if (r->items_cut) fprintf(f, "%.6f", r->cut_at / 1e6); else fputs("null", f);
    fprintf(f, ",\"frames\":%" PRIu64 "},\"chart\":[", r->follow_frames);
    for (int i = 0; i < r->nitems; i++) {
        const hd_item *it = &r->items[i];
        fprintf(f, "%s[%.6f,%u,", i ? ",\n" : "\n", it->t / 1e6, it->line);
        hj_str(f, it->kind);
        fprintf(f, ",%d,%d,%" PRIu64 ",%" PRIu64 ",%" PRId64 ",", it->a, it->b, it->frame, it->pay,
                it->n);
        hj_str(f, it->label);
        fputc(',', f);
        hj_str(f, it->text);
        fputc(']', f);
    }
    fputc(']', f);
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

static void series(FILE *f, const hd_run *r, merge m, const char *name, size_t off, int agg) {
    fprintf(f, ",\"%s\":[", name);
    for (int b = 0; b < m.n; b++) {
        int32_t v = 0;
        for (int i = b * m.k; i < (b + 1) * m.k && i <= r->cur_bin; i++) {
            int32_t x = *(const int32_t *)(const void *)((const char *)&r->bins[i] + off);
            v = agg == AGG_SUM ? v + x : agg == AGG_MAX ? (x > v ? x : v) : x;
        }
        fprintf(f, "%s%d", b ? "," : "", v);
    }
    fputc(']', f);
}

static void write_series(FILE *f, const hd_run *r) {
    merge m = merging(r);
    fprintf(f, ",\"series\":{\"bin\":%.6f", (double)r->bin_us * m.k / 1e6);
    series(f, r, m, "sending", offsetof(hd_bin, sending), AGG_MAX);
    series(f, r, m, "inflight", offsetof(hd_bin, inflight), AGG_MAX);
    series(f, r, m, "deliveries", offsetof(hd_bin, deliveries), AGG_SUM);
    series(f, r, m, "dups", offsetof(hd_bin, dups), AGG_SUM);
    series(f, r, m, "dropped", offsetof(hd_bin, dropped), AGG_SUM);
    series(f, r, m, "lost", offsetof(hd_bin, lost), AGG_SUM);
    series(f, r, m, "retries", offsetof(hd_bin, retries), AGG_SUM);
    series(f, r, m, "redeliveries", offsetof(hd_bin, redeliveries), AGG_SUM);
    series(f, r, m, "commits", offsetof(hd_bin, commits), AGG_LAST);
    series(f, r, m, "vouchers", offsetof(hd_bin, vouchers), AGG_LAST);
    series(f, r, m, "alerts", offsetof(hd_bin, alerts), AGG_LAST);
    series(f, r, m, "dead", offsetof(hd_bin, dead), AGG_LAST);
    fputc('}', f);
}

static int cmp_float(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return x < y ? -1 : x > y;
}

/* The delays from commit to voucher: percentiles and a histogram of HD_DELAY_BINS. */
static void write_delay(FILE *f, const hd_run *r) {
    float *d = malloc(((size_t)r->npay + 1) * sizeof *d);
    size_t n = 0, committed = 0;
    for (uint64_t p = 1; p <= r->npay && d; p++) {
        if (r->commit_t[p] >= 0) committed++;
        if (r->delay[p] >= 0) d[n++] = r->delay[p];
    }
    fprintf(f, ",\"delay\":{\"n\":%zu,\"committed\":%zu", n, committed);
    if (n) {
        qsort(d, n, sizeof *d, cmp_float);
        double max = d[n - 1], width = max > 0 ? max / HD_DELAY_BINS : 1;
        fprintf(f,
                ",\"p50\":%.6f,\"p90\":%.6f,\"p99\":%.6f,\"max\":%.6f,\"width\":%.6f,\"counts\":[",
                d[n / 2], d[n * 9 / 10], d[n * 99 / 100], max, width);
        uint32_t counts[HD_DELAY_BINS] = { 0 };
        for (size_t i = 0; i < n; i++) {
            int b = (int)(d[i] / width);
            counts[b >= HD_DELAY_BINS ? HD_DELAY_BINS - 1 : b]++;
        }
        for (int b = 0; b < HD_DELAY_BINS; b++) fprintf(f, "%s%u", b ? "," : "", counts[b]);
        fputc(']', f);
    }
    fputc('}', f);
    free(d);
}

static const char *state_name(int s) {
    static const char *const names[] = { "", "SENDING", "CONSUMED", "FAILED", "DEAD", "PUBLISHED" };
    return s >= 0 && s <= OS_PUBLISHED ? names[s] : "";
}

static void write_lives(FILE *f, const hd_run *r) {
    fprintf(f, ",\"lives\":{\"total\":%u,\"rows\":[", r->npay);
    for (int i = 0; i < r->nlives; i++) {
        const hd_life *lf = &r->lives[i];
        const hist_entry *h = &r->run->res->hist[lf->pay];
        fprintf(f,
                "%s\n{\"pay\":%" PRIu64 ",\"amount\":%" PRId64
                ",\"account\":%u,\"refused\":%d,\"flags\":%u,\"delay\":",
                i ? "," : "", lf->pay, h->amount, h->account, h->refused, r->flags[lf->pay]);
        if (r->delay[lf->pay] >= 0) fprintf(f, "%.6f", r->delay[lf->pay]); else fputs("null", f);
        fputs(",\"state\":", f);
        hj_str(f, r->direct ? "no outbox row" : state_name(r->state[lf->pay]));
        fprintf(f, ",\"cut\":%d,\"ev\":[", lf->cut);
        for (int k = 0; k < lf->nitems; k++) {
            fprintf(f, "%s[%.6f,", k ? "," : "", lf->items[k].t / 1e6);
            hj_str(f, lf->items[k].kind);
            fputc(',', f);
            hj_str(f, lf->items[k].text);
            fputc(']', f);
        }
        fputs("]}", f);
    }
    fputs("]}", f);
}

#define SOURCE_MAX (64 * 1024)

static void write_source(FILE *f, const hd_run *r) {
    fputs(",\"source\":", f);
    FILE *src = fopen(r->run->opt->sc->path, "r");
    char *buf = malloc(SOURCE_MAX + 1);
    size_t n = src && buf ? fread(buf, 1, SOURCE_MAX, src) : 0;
    if (src) fclose(src);
    if (buf) buf[n] = '\0';
    hj_strn(f, n ? buf : "(the scenario's file could not be read)", n ? n : SIZE_MAX);
    free(buf);
}

void hj_write(FILE *f, const hd_run *r) {
    fputc('{', f);
    write_meta(f, r);
    write_counts(f, r);
    write_invariants(f, r);
    write_faults(f, r);
    write_items(f, r);
    write_series(f, r);
    write_delay(f, r);
    write_lives(f, r);
    write_source(f, r);
    fputs("}", f);
}
