/*
** report.c: summary.json, report.html and the human summary of a run (see report.h).
*/
#include "report.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../check/checker.h"
#include "html.h"
#include "../core/world.h"

static const check_invariant *inv_named(const sim_world *w, const char *name) {
    int i = checker_index(name);
    return i < 0 ? NULL : &w->check.inv[i];
}

int report_expectations(const sim_world *w, char *why, size_t cap) {
    const sim_expect *x = &w->sc->expect;
    snprintf(why, cap, "expectations met");
    for (int i = 0; i < x->nviolated; i++) {
        const check_invariant *inv = inv_named(w, x->violated[i]);
        if (inv && inv->count == 0) {
            snprintf(why, cap, "expected %s to be broken, but it held", x->violated[i]);
            return 0;
        }
    }
    for (int i = 0; i < CHECK_INVARIANTS; i++) {
        const check_invariant *inv = &w->check.inv[i];
        int must_hold = x->nviolated == 0;
        for (int k = 0; k < x->nhold; k++) must_hold |= !strcmp(x->hold[k], inv->name);
        for (int k = 0; k < x->nviolated; k++)
            if (!strcmp(x->violated[k], inv->name)) must_hold = 0;
        if (must_hold && !inv->skipped && inv->count > 0) {
            snprintf(why, cap, "%s broken: %s", inv->name, inv->nshown ? inv->shown[0].text : "");
            return 0;
        }
    }
    int64_t dead = w->check.dead;
    if (x->dead_min >= 0 && dead < x->dead_min) {
        snprintf(why, cap, "expected at least %" PRId64 " dead letters, found %" PRId64,
                 x->dead_min, dead);
        return 0;
    }
    if (x->dead_max >= 0 && dead > x->dead_max) {
        snprintf(why, cap, "expected at most %" PRId64 " dead letters, found %" PRId64, x->dead_max,
                 dead);
        return 0;
    }
    return 1;
}

static uint64_t kind_count(const sim_world *w, const char *kind) {
    for (int i = 0; i < w->nkinds; i++)
        if (!strcmp(w->kinds[i].kind, kind)) return w->kinds[i].count;
    return 0;
}

static uint64_t failpoint_count(const sim_world *w, const char *name) {
    for (int i = 0; i < w->nfps; i++)
        if (!strcmp(w->fps[i].name, name)) return w->fps[i].hits;
    return 0;
}

static void write_invariants(const sim_world *w, FILE *f) {
    fprintf(f, "  \"invariants\": {\n");
    for (int i = 0; i < CHECK_INVARIANTS; i++) {
        const check_invariant *inv = &w->check.inv[i];
        fprintf(f, "    \"%s\": {\"ok\": %s, \"skipped\": %s, \"count\": %u, \"violations\": [",
                inv->name, inv->count == 0 ? "true" : "false", inv->skipped ? "true" : "false",
                inv->count);
        for (int k = 0; k < inv->nshown; k++) {
            const check_violation *v = &inv->shown[k];
            fprintf(f, "%s\n      {\"pay\": %" PRIu64 ", \"msg\": %" PRIu64 ", \"text\": ",
                    k ? "," : "", v->pay_id, v->msg_id);
            json_fputs(f, v->text);
            fprintf(f, ", \"trace_lines\": [");
            for (int l = 0; l < v->nlines; l++) fprintf(f, "%s%u", l ? ", " : "", v->lines[l]);
            fprintf(f, "]}");
        }
        fprintf(f, "%s]}%s\n", inv->nshown ? "\n    " : "", i + 1 < CHECK_INVARIANTS ? "," : "");
    }
    fprintf(f, "  },\n");
}

static void write_counts(const sim_world *w, FILE *f) {
    const world_stats *s = &w->st;
    const check_result *c = &w->check;
    fprintf(f,
            "  \"counts\": {\"payments\": %u, \"client_ok\": %" PRIu64
            ", \"client_failed\": %" PRIu64 ", \"client_unknown\": %" PRIu64
            ", \"client_requests\": %" PRIu64 ", \"client_retries\": %" PRIu64
            ", \"steps\": %" PRIu64 ", \"round_trips\": %" PRIu64 ", \"batches_cut\": %" PRIu64
            ", \"frames\": %" PRIu64 ", \"delivered\": %" PRIu64 ", \"dropped\": %" PRIu64
            ", \"duplicated\": %" PRIu64 ", \"delayed\": %" PRIu64 ", \"lost_node_down\": %" PRIu64
            ", \"crashes\": %" PRIu64 ", \"restarts\": %" PRIu64 ", \"timers\": %" PRIu64 ",\n",
            w->sc->workload.payments, s->ok, s->failed, s->unknown, s->client_requests,
            s->client_retries, s->steps, s->round_trips, s->batches_cut, s->frames, s->delivered,
            s->dropped, s->duplicated, s->delayed, s->lost_down, s->crashes, s->restarts,
            s->timers);
    fprintf(
        f,
        "    \"db_payments\": %u, \"paid\": %u, \"refunded\": %u, \"vouchers\": %u, \"sending\": %u"
        ", \"consumed\": %u, \"failed\": %u, \"dead\": %u, \"alerts\": %u},\n",
        c->payments, c->paid, c->refunded, c->vouchers, c->sending, c->consumed, c->failed, c->dead,
        c->alerts);
    fprintf(f, "  \"events\": {");
    for (int i = 0; i < w->nkinds; i++) {
        fprintf(f, "%s", i ? ", " : "");
        json_fputs(f, w->kinds[i].kind);
        fprintf(f, ": %" PRIu64, w->kinds[i].count);
    }
    fprintf(f, "},\n  \"failpoints\": {");
    for (int i = 0; i < w->nfps; i++) {
        fprintf(f, "%s", i ? ", " : "");
        json_fputs(f, w->fps[i].name);
        fprintf(f, ": {\"hits\": %u, \"crashes\": %u}", w->fps[i].hits, w->fps[i].crashes);
    }
    fprintf(f, "},\n");
}

static void write_faults(const sim_world *w, FILE *f) {
    fprintf(f, "  \"faults\": [");
    for (int i = 0; i < w->sc->nfaults; i++) {
        const sim_fault *x = &w->sc->faults[i];
        char lua[512];
        if (scenario_fault_lua(x, lua, sizeof lua) >= sizeof lua) lua[0] = '\0';
        fprintf(f, "%s\n    {\"id\": %d, \"kind\": \"%s\", \"line\": %d, ", i ? "," : "", x->id,
                scenario_fault_kind_name(x->kind), x->line);
        if (x->kind == FK_CRASH)
            fprintf(f, "\"node\": \"%s\", \"fired\": %s, ", scenario_node_name(x->node),
                    x->fired ? "true" : "false");
        else
            fprintf(f, "\"matched_frames\": %u, ", x->seen);
        fprintf(f, "\"lua\": ");
        json_fputs(f, lua);
        fprintf(f, "}");
    }
    fprintf(f, "%s],\n", w->sc->nfaults ? "\n  " : "");
}

static int write_summary(const sim_world *w, int met, const char *why) {
    char path[600];
    snprintf(path, sizeof path, "%s/summary.json", w->run_dir);
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    fprintf(f, "{\n  \"scenario\": ");
    json_fputs(f, w->sc->name);
    fprintf(f, ",\n  \"file\": ");
    json_fputs(f, w->sc->path);
    fprintf(f, ",\n  \"seed\": %" PRIu64 ",\n  \"design\": ", w->seed);
    json_fputs(f, w->design);
    fprintf(f, ",\n  \"verdict\": \"%s\",\n  \"why\": ", met ? "pass" : "fail");
    json_fputs(f, why);
    fprintf(f, ",\n  \"command\": ");
    json_fputs(f, w->command);
    fprintf(f, ",\n  \"trace\": {\"lines\": %" PRIu64 ", \"hash\": \"fnv1a64:%016" PRIx64 "\"},\n",
            w->trace.lines, w->trace.hash);
    fprintf(f, "  \"virtual_seconds\": {\"run\": %.6f, \"settle\": %.6f, \"converged_at\": ",
            w->sc->run_us / 1e6, w->sc->settle_us / 1e6);
    if (w->converged_us >= 0) fprintf(f, "%.6f},\n", w->converged_us / 1e6);
    else fprintf(f, "null},\n");
    write_invariants(w, f);
    write_counts(w, f);
    write_faults(w, f);
    fprintf(f, "  \"exit_code\": %d\n}\n", met ? 0 : 1);
    int bad = ferror(f);
    return (fclose(f) != 0 || bad) ? -1 : 0;
}

static void print_summary(const sim_world *w, int met, const char *why) {
    const world_stats *s = &w->st;
    const check_result *c = &w->check;
    printf("outbox-sim: %s (%s), design %s, seed %" PRIu64 "\n", w->sc->name, w->sc->path,
           w->design, w->seed);
    printf("  workload   %u payments; the client saw %" PRIu64 " ok, %" PRIu64 " failed, %" PRIu64
           " unknown (%" PRIu64 " retries)\n",
           w->sc->workload.payments, s->ok, s->failed, s->unknown, s->client_retries);
    printf("  injected   %" PRIu64 " of %" PRIu64 " frames dropped, %" PRIu64
           " duplicated, %" PRIu64 " delayed; %" PRIu64 " crashes (%" PRIu64
           " frames lost to a down node)\n",
           s->dropped, s->frames, s->duplicated, s->delayed, s->crashes, s->lost_down);
    if (s->corrupted)
        printf("             %" PRIu64
               " frames damaged in transit (each rejected by its receiver)\n",
               s->corrupted);
    if (s->partitioned || s->lost_inside || s->clock_jumps || s->deferred)
        printf("             %" PRIu64 " frames cut by partitions, %" PRIu64
               " lost inside the broker, %" PRIu64 " clock jumps, %" PRIu64
               " events waited for a busy node (deepest backlog %" PRIu64 ")\n",
               s->partitioned, s->lost_inside, s->clock_jumps, s->deferred, s->backlog_max);
    if (s->nemesis_faults)
        printf("             %" PRIu64 " of the %" PRIu64
               " faults drawn by the nemesis (each a \"fault\" line in the trace)\n",
               s->nemesis_faults, s->faults);
    for (int i = 0; i < w->sc->nfaults; i++) {
        const sim_fault *x = &w->sc->faults[i];
        if (x->kind == FK_CRASH && !x->fired)
            printf("  warning    crash fault %d (line %d) never fired: its time or failpoint hit "
                   "was not reached\n",
                   x->id, x->line);
    }
    printf("  outbox     %" PRIu64 " republished by the recovery scan, %" PRIu64
           " duplicates absorbed, %" PRIu64
           " redeliveries, %u refunds, %u dead letters, %u alerts\n",
           failpoint_count(w, "payment.scan_after_publish"), kind_count(w, "duplicate"),
           kind_count(w, "redeliver"), c->refunded, c->dead, c->alerts);
    if (w->converged_us >= 0)
        printf("  settled    quiet %.3f s after healing (at %.3f s)\n",
               (w->converged_us - w->sc->run_us) / 1e6, w->converged_us / 1e6);
    else
        printf("  settled    NOT quiet by the end of the settle phase (%.0f s)\n",
               w->sc->settle_us / 1e6);
    printf("  invariants");
    for (int i = 0; i < CHECK_INVARIANTS; i++) {
        const check_invariant *inv = &c->inv[i];
        if (inv->skipped) printf(" %s:n/a", inv->name);
        else if (inv->count == 0) printf(" %s:ok", inv->name);
        else printf(" %s:BROKEN(%u)", inv->name, inv->count);
    }
    printf("\n");
    for (int i = 0; i < CHECK_INVARIANTS; i++)
        for (int k = 0; k < c->inv[i].nshown && k < 3; k++)
            printf("    %s: %s\n", c->inv[i].name, c->inv[i].shown[k].text);
    printf("  verdict    %s: %s\n", met ? "PASS" : "FAIL", why);
    printf("  files      %s/ (trace.jsonl, summary.json, payment.db, broker.db, accounting.db)\n",
           w->run_dir);
    printf("  report     %s/report.html (open it in a browser)\n", w->run_dir);
    printf("  reproduce  %s\n", w->command);
}

/* The payments the reader asked to follow: OUTBOX_FOLLOW="17,25" for now (until
** `run --follow ID` fills a field of the world). */
/* The payments report.html follows: --follow, else OUTBOX_FOLLOW, else its own choice. */
static void follow_opts(const sim_world *w, html_opts *o) {
    const char *env = getenv("OUTBOX_FOLLOW");
    char err[256];
    memset(o, 0, sizeof *o);
    if (w->nfollow > 0) {
        o->nfollow = w->nfollow;
        memcpy(o->follow, w->follow,
               sizeof o->follow < sizeof w->follow ? sizeof o->follow : sizeof w->follow);
        return;
    }
    if (env && *env && html_parse_follow(env, o, err, sizeof err) != 0) {
        fprintf(stderr, "outbox-sim: OUTBOX_FOLLOW ignored: %s\n", err);
        memset(o, 0, sizeof *o);
    }
}

void report_aborted(const sim_world *w) {
    char path[600];
    snprintf(path, sizeof path, "%s/summary.json", w->run_dir);
    FILE *f = fopen(path, "w");
    if (!f) return;
    fprintf(f, "{\n  \"scenario\": ");
    json_fputs(f, w->sc->name);
    fprintf(f, ",\n  \"file\": ");
    json_fputs(f, w->sc->path);
    fprintf(f, ",\n  \"seed\": %" PRIu64 ",\n  \"design\": ", w->seed);
    json_fputs(f, w->design);
    fprintf(f, ",\n  \"verdict\": \"error\",\n  \"why\": ");
    json_fputs(f, w->err);
    fprintf(f, ",\n  \"command\": ");
    json_fputs(f, w->command);
    fprintf(f, ",\n  \"virtual_seconds\": {\"stopped_at\": %.6f},\n  \"exit_code\": %d\n}\n",
            w->now / 1e6, w->err_code);
    fclose(f);
}

int report_finish(sim_world *w) {
    char why[512], err[1024];
    int met = report_expectations(w, why, sizeof why);
    if (write_summary(w, met, why) != 0) {
        fprintf(stderr, "outbox-sim: cannot write %s/summary.json\n", w->run_dir);
        return 3;
    }
    html_opts o;
    follow_opts(w, &o);
    if (html_report(w, &o, err, sizeof err) != 0) {
        fprintf(stderr, "outbox-sim: cannot write the report: %s\n", err);
        return 3;
    }
    if (!w->quiet) print_summary(w, met, why);
    fflush(stdout);
    return met ? 0 : 1;
}
