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

#include "html.h"

static uint64_t kind_count(const report_run *r, const char *kind) {
    for (int i = 0; i < r->res->nkinds; i++)
        if (!strcmp(r->res->kinds[i].kind, kind)) return r->res->kinds[i].count;
    return 0;
}

static uint64_t failpoint_count(const report_run *r, const char *name) {
    for (int i = 0; i < r->res->nfps; i++)
        if (!strcmp(r->res->fps[i].name, name)) return r->res->fps[i].hits;
    return 0;
}

static void write_invariants(const report_run *r, FILE *f) {
    fprintf(f, "  \"invariants\": {\n");
    for (int i = 0; i < CHECKER_INVARIANTS; i++) {
        const checker_invariant *inv = &r->check->inv[i];
        fprintf(f, "    \"%s\": {\"ok\": %s, \"skipped\": %s, \"count\": %u, \"violations\": [",
                inv->name, inv->count == 0 ? "true" : "false", inv->skipped ? "true" : "false",
                inv->count);
        for (int k = 0; k < inv->nshown; k++) {
            const checker_violation *v = &inv->shown[k];
            fprintf(f, "%s\n      {\"pay\": %" PRIu64 ", \"msg\": %" PRIu64 ", \"text\": ",
                    k ? "," : "", v->pay_id, v->msg_id);
            json_fputs(f, v->text);
            fprintf(f, ", \"trace_lines\": [");
            for (int l = 0; l < v->nlines; l++) fprintf(f, "%s%u", l ? ", " : "", v->lines[l]);
            fprintf(f, "]}");
        }
        fprintf(f, "%s]}%s\n", inv->nshown ? "\n    " : "", i + 1 < CHECKER_INVARIANTS ? "," : "");
    }
    fprintf(f, "  },\n");
}

static void write_counts(const report_run *r, FILE *f) {
    const world_stats *s = &r->res->st;
    const checker_result *c = r->check;
    fprintf(f,
            "  \"counts\": {\"payments\": %u, \"client_ok\": %" PRIu64
            ", \"client_failed\": %" PRIu64 ", \"client_unknown\": %" PRIu64
            ", \"client_requests\": %" PRIu64 ", \"client_retries\": %" PRIu64
            ", \"steps\": %" PRIu64 ", \"round_trips\": %" PRIu64 ", \"batches_cut\": %" PRIu64
            ", \"frames\": %" PRIu64 ", \"delivered\": %" PRIu64 ", \"dropped\": %" PRIu64
            ", \"duplicated\": %" PRIu64 ", \"delayed\": %" PRIu64 ", \"lost_node_down\": %" PRIu64
            ", \"crashes\": %" PRIu64 ", \"restarts\": %" PRIu64 ", \"timers\": %" PRIu64 ",\n",
            r->opt->sc->workload.payments, s->ok, s->failed, s->unknown, s->client_requests,
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
    for (int i = 0; i < r->res->nkinds; i++) {
        fprintf(f, "%s", i ? ", " : "");
        json_fputs(f, r->res->kinds[i].kind);
        fprintf(f, ": %" PRIu64, r->res->kinds[i].count);
    }
    fprintf(f, "},\n  \"failpoints\": {");
    for (int i = 0; i < r->res->nfps; i++) {
        fprintf(f, "%s", i ? ", " : "");
        json_fputs(f, r->res->fps[i].name);
        const world_failpoint *fp = &r->res->fps[i];
        fprintf(f, ": {\"hits\": %u, \"crashes\": %u}", fp->hits, fp->crashes);
    }
    fprintf(f, "},\n");
}

static void write_faults(const report_run *r, FILE *f) {
    fprintf(f, "  \"faults\": [");
    for (int i = 0; i < r->opt->sc->nfaults; i++) {
        const sim_fault *x = &r->opt->sc->faults[i];
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
    fprintf(f, "%s],\n", r->opt->sc->nfaults ? "\n  " : "");
}

static int write_summary(const report_run *r, int met, const char *why) {
    char path[600];
    snprintf(path, sizeof path, "%s/summary.json", r->opt->run_dir);
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    fprintf(f, "{\n  \"scenario\": ");
    json_fputs(f, r->opt->sc->name);
    fprintf(f, ",\n  \"file\": ");
    json_fputs(f, r->opt->sc->path);
    fprintf(f, ",\n  \"seed\": %" PRIu64 ",\n  \"design\": ", r->opt->seed);
    json_fputs(f, r->opt->design);
    fprintf(f, ",\n  \"verdict\": \"%s\",\n  \"why\": ", met ? "pass" : "fail");
    json_fputs(f, why);
    fprintf(f, ",\n  \"command\": ");
    json_fputs(f, r->command);
    fprintf(f, ",\n  \"trace\": {\"lines\": %" PRIu64 ", \"hash\": \"fnv1a64:%016" PRIx64 "\"},\n",
            r->res->trace_lines, r->res->trace_hash);
    fprintf(f, "  \"virtual_seconds\": {\"run\": %.6f, \"settle\": %.6f, \"converged_at\": ",
            r->opt->sc->run_us / 1e6, r->opt->sc->settle_us / 1e6);
    if (r->res->converged_us >= 0) fprintf(f, "%.6f},\n", r->res->converged_us / 1e6);
    else fprintf(f, "null},\n");
    write_invariants(r, f);
    write_counts(r, f);
    write_faults(r, f);
    fprintf(f, "  \"exit_code\": %d\n}\n", met ? 0 : 1);
    int bad = ferror(f);
    return (fclose(f) != 0 || bad) ? -1 : 0;
}

static void print_summary(const report_run *r, int met, const char *why) {
    const world_stats *s = &r->res->st;
    const checker_result *c = r->check;
    printf("outbox-sim: %s (%s), design %s, seed %" PRIu64 "\n", r->opt->sc->name, r->opt->sc->path,
           r->opt->design, r->opt->seed);
    printf("  workload   %u payments; the client saw %" PRIu64 " ok, %" PRIu64 " failed, %" PRIu64
           " unknown (%" PRIu64 " retries)\n",
           r->opt->sc->workload.payments, s->ok, s->failed, s->unknown, s->client_retries);
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
    for (int i = 0; i < r->opt->sc->nfaults; i++) {
        const sim_fault *x = &r->opt->sc->faults[i];
        if (x->kind == FK_CRASH && !x->fired)
            printf("  warning    crash fault %d (line %d) never fired: its time or failpoint hit "
                   "was not reached\n",
                   x->id, x->line);
    }
    printf("  outbox     %" PRIu64 " republished by the recovery scan, %" PRIu64
           " duplicates absorbed, %" PRIu64
           " redeliveries, %u refunds, %u dead letters, %u alerts\n",
           failpoint_count(r, "payment.scan_after_publish"), kind_count(r, "duplicate"),
           kind_count(r, "redeliver"), c->refunded, c->dead, c->alerts);
    if (r->res->converged_us >= 0)
        printf("  settled    quiet %.3f s after healing (at %.3f s)\n",
               (r->res->converged_us - r->opt->sc->run_us) / 1e6, r->res->converged_us / 1e6);
    else
        printf("  settled    NOT quiet by the end of the settle phase (%.0f s)\n",
               r->opt->sc->settle_us / 1e6);
    printf("  invariants");
    for (int i = 0; i < CHECKER_INVARIANTS; i++) {
        const checker_invariant *inv = &c->inv[i];
        if (inv->skipped) printf(" %s:n/a", inv->name);
        else if (inv->count == 0) printf(" %s:ok", inv->name);
        else printf(" %s:BROKEN(%u)", inv->name, inv->count);
    }
    printf("\n");
    for (int i = 0; i < CHECKER_INVARIANTS; i++)
        for (int k = 0; k < c->inv[i].nshown && k < 3; k++)
            printf("    %s: %s\n", c->inv[i].name, c->inv[i].shown[k].text);
    printf("  verdict    %s: %s\n", met ? "PASS" : "FAIL", why);
    printf("  files      %s/ (trace.jsonl, summary.json, payment.db, broker.db, accounting.db)\n",
           r->opt->run_dir);
    printf("  report     %s/report.html (open it in a browser)\n", r->opt->run_dir);
    printf("  reproduce  %s\n", r->command);
}

/* The payments report.html follows: --follow, else OUTBOX_FOLLOW, else its own choice. */
static void follow_opts(const report_run *r, html_opts *o) {
    const char *env = getenv("OUTBOX_FOLLOW");
    char err[256];
    if (r->follow.nfollow > 0) {
        *o = r->follow;
        return;
    }
    memset(o, 0, sizeof *o);
    if (env && *env && html_parse_follow(env, o, err, sizeof err) != 0) {
        fprintf(stderr, "outbox-sim: OUTBOX_FOLLOW ignored: %s\n", err);
        memset(o, 0, sizeof *o);
    }
}

void report_aborted(const report_run *r) {
    char path[600];
    assert(r->code != OX_EXIT_OK);
    assert(r->err != NULL);
    snprintf(path, sizeof path, "%s/summary.json", r->opt->run_dir);
    FILE *f = fopen(path, "w");
    if (!f) return;
    fprintf(f, "{\n  \"scenario\": ");
    json_fputs(f, r->opt->sc->name);
    fprintf(f, ",\n  \"file\": ");
    json_fputs(f, r->opt->sc->path);
    fprintf(f, ",\n  \"seed\": %" PRIu64 ",\n  \"design\": ", r->opt->seed);
    json_fputs(f, r->opt->design);
    fprintf(f, ",\n  \"verdict\": \"error\",\n  \"why\": ");
    json_fputs(f, r->err);
    fprintf(f, ",\n  \"command\": ");
    json_fputs(f, r->command);
    fprintf(f, ",\n  \"virtual_seconds\": {\"stopped_at\": %.6f},\n  \"exit_code\": %d\n}\n",
            r->res->stopped_us / 1e6, r->code);
    fclose(f);
}

ox_exit report_finish(const report_run *r) {
    char err[1024];
    assert(r->code == OX_EXIT_OK);
    assert(r->check != NULL);
    if (write_summary(r, r->met, r->why) != 0) {
        fprintf(stderr, "outbox-sim: cannot write %s/summary.json\n", r->opt->run_dir);
        return OX_EXIT_HARNESS;
    }
    html_opts o;
    follow_opts(r, &o);
    if (html_report(r, &o, err, sizeof err) != 0) {
        fprintf(stderr, "outbox-sim: cannot write the report: %s\n", err);
        return OX_EXIT_HARNESS;
    }
    if (!r->quiet) print_summary(r, r->met, r->why);
    fflush(stdout);
    return r->met ? OX_EXIT_OK : OX_EXIT_FAIL;
}
