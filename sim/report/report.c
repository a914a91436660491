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

#include "../../lib/role.h"
#include "../check/expect.h"
#include "html.h"
#include "rundata.h"

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

/* The head both summaries share: what ran, and the verdict. */
static void write_head(json_w *w, const report_run *r, const char *verdict, const char *why) {
    json_w_obj(w);
    json_w_break(w, 2);
    json_w_kstr(w, "scenario", r->opt->sc->name);
    json_w_break(w, 2);
    json_w_kstr(w, "file", r->opt->sc->path);
    json_w_break(w, 2);
    json_w_kuint(w, "seed", r->opt->seed);
    json_w_break(w, 2);
    json_w_kstr(w, "design", r->opt->design);
    json_w_break(w, 2);
    json_w_kstr(w, "verdict", verdict);
    json_w_break(w, 2);
    json_w_kstr(w, "why", why);
    json_w_break(w, 2);
    json_w_kstr(w, "command", r->command);
    json_w_break(w, 2);
    json_w_key(w, "nodes");   /* --node ROLE=COMMAND: the roles not run by outbox-node */
    json_w_obj(w);
    for (int role = 0; r->opt->node_cmds && role < OX_ROLE_COUNT; role++)
        if (r->opt->node_cmds[role]) json_w_kstr(w, ox_role_name((ox_role)role),
                                                 r->opt->node_cmds[role]);
    json_w_obj_end(w);
}

/* "virtual_seconds": the phases, and when the run went quiet (null: never). */
static void write_times(json_w *w, const report_run *r) {
    json_w_break(w, 2);
    json_w_key(w, "virtual_seconds");
    json_w_obj(w);
    json_w_ktime(w, "run", r->opt->sc->run_us);
    json_w_ktime(w, "settle", r->opt->sc->settle_us);
    json_w_key(w, "converged_at");
    if (r->res->converged_us >= 0) json_w_time(w, r->res->converged_us);
    else json_w_null(w);
    json_w_obj_end(w);
}

/* The run's data (rundata.h), each under its key. */
static void write_data(json_w *w, const report_run *r) {
    json_w_break(w, 2);
    json_w_key(w, "invariants");
    rundata_invariants(w, r);
    json_w_break(w, 2);
    json_w_key(w, "counts");
    rundata_counts(w, r);
    json_w_break(w, 2);
    json_w_key(w, "events");
    rundata_events(w, r);
    json_w_break(w, 2);
    json_w_key(w, "failpoints");
    rundata_failpoints(w, r);
    json_w_break(w, 2);
    json_w_key(w, "faults");
    json_w_arr(w);
    for (int i = 0; i < r->opt->sc->nfaults; i++) {
        json_w_break(w, 4);
        json_w_obj(w);
        rundata_fault(w, &r->opt->sc->faults[i]);
        json_w_obj_end(w);
    }
    if (r->opt->sc->nfaults) json_w_break(w, 2);
    json_w_arr_end(w);
    json_w_break(w, 2);
    json_w_key(w, "warnings");
    rundata_warnings(w, r);
    json_w_break(w, 2);
    if (r->check && r->check->unreadable) {   /* only then: other summaries stay as they were */
        json_w_key(w, "unreadable_notes");
        json_w_obj(w);
        json_w_kuint(w, "count", r->check->unreadable);
        json_w_kstr(w, "first", r->check->unreadable_first);
        json_w_obj_end(w);
        json_w_break(w, 2);
    }
    json_w_key(w, "reached");
    rundata_reached(w, r);
}

/* "scenario_checks": the scenario's own check()s that failed (scenario.h, sim_check). */
static void write_checks(json_w *w, const report_run *r) {
    const sim_scenario *sc = r->opt->sc;
    assert(sc->nchecks <= SIM_MAX_CHECKS);
    json_w_break(w, 2);
    json_w_key(w, "scenario_checks");
    json_w_obj(w);
    json_w_kbool(w, "ok", sc->checks_failed == 0);
    json_w_kuint(w, "count", sc->checks_failed);
    json_w_key(w, "failed");
    json_w_arr(w);
    for (int i = 0; i < sc->nchecks; i++) {
        json_w_break(w, 4);
        json_w_obj(w);
        json_w_kint(w, "line", sc->checks[i].line);
        json_w_ktime(w, "t", sc->checks[i].t_us);
        json_w_kstr(w, "text", sc->checks[i].text);
        json_w_obj_end(w);
    }
    if (sc->nchecks) json_w_break(w, 2);
    json_w_arr_end(w);
    json_w_obj_end(w);
}

/* "causes": why each listed violation happened (rundata.h). */
static void write_causes(json_w *w, const report_run *r) {
    json_w_break(w, 2);
    json_w_key(w, "causes");
    rundata_causes(w, r);
}

/* Ends the document and writes summary.json; 0, or -1 if it could not be written. */
static int write_file(json_w *w, const report_run *r, int exit_code) {
    json_w_break(w, 2);
    json_w_kint(w, "exit_code", exit_code);
    json_w_break(w, 0);
    json_w_obj_end(w);
    json_w_put(w, "\n", 1);
    assert(w->depth == 0);
    char path[600];
    snprintf(path, sizeof path, "%s/summary.json", r->opt->run_dir);
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    size_t n = fwrite(w->buf, 1, w->len, f);
    int bad = n != w->len || w->overflow || ferror(f);
    return (fclose(f) != 0 || bad) ? -1 : 0;
}

static int write_summary(const report_run *r, int met, const char *why) {
    json_w w;
    json_w_init_grow(&w, JSON_SPACED);
    write_head(&w, r, met ? "pass" : "fail", why);
    json_w_break(&w, 2);
    json_w_key(&w, "trace");
    json_w_obj(&w);
    json_w_kuint(&w, "lines", r->res->trace_lines);
    char hash[32];
    snprintf(hash, sizeof hash, "fnv1a64:%016" PRIx64, r->res->trace_hash);
    json_w_kstr(&w, "hash", hash);
    json_w_obj_end(&w);
    write_times(&w, r);
    write_data(&w, r);
    write_causes(&w, r);
    write_checks(&w, r);
    int rc = write_file(&w, r, met ? OX_EXIT_OK : OX_EXIT_FAIL);
    json_w_free(&w);
    return rc;
}

static void print_verdict(int met, const char *why) {
    printf("  verdict    %s: %s\n", met ? "PASS" : "FAIL", why);
}

static void print_reproduce(const report_run *r) {
    printf("  reproduce  %s\n", r->command);
}

/* Each side's duplicates, named: a count that mixed them sat next to exactly_once broken. */
static void print_duplicates(const cause_result *k) {
    printf("  duplicates accounting absorbed %" PRIu64 " (message already in its inbox)",
           k->dup_accounting);
    if (k->applied_again)
        printf(" and applied %" PRIu64 " again (a second voucher each)", k->applied_again);
    printf("; payment absorbed %" PRIu64 " answers for settled rows and %" PRIu64
           " client retries\n", k->dup_payment_answers, k->dup_payment_requests);
}

/* The violations shown, each with what the history says happened. */
static void print_violations(const report_run *r) {
    const checker_result *c = r->check;
    for (int i = 0; i < CHECKER_INVARIANTS; i++)
        for (int k = 0; k < c->inv[i].nshown && k < 3; k++) {
            const cause_item *why = cause_of(r->cause, i, k);
            printf("    %s: %s\n", c->inv[i].name, c->inv[i].shown[k].text);
            if (why && why->known) printf("      why: %s\n", why->text);
        }
}

/* "reached    9 of 24 states: republished 12, row_dead 3, ..." (sim/util/reached.h). */
static void print_reached(const report_run *r) {
    int n = 0;
    for (int i = 0; i < REACHED_COUNT; i++) n += r->reached->count[i] > 0;
    printf("  reached    %d of %d states:", n, REACHED_COUNT);
    for (int i = 0, k = 0; i < REACHED_COUNT; i++)
        if (r->reached->count[i])
            printf("%s %s %" PRIu64, k++ ? "," : "", reached_at(i)->name, r->reached->count[i]);
    printf("%s\n", n ? "" : " none");
}

/* The faults' line, and one more line for each kind that acted. */
static void print_injected(const world_stats *s) {
    printf("  injected   %" PRIu64 " of %" PRIu64 " frames dropped, %" PRIu64
           " duplicated, %" PRIu64 " delayed; %" PRIu64 " crashes (%" PRIu64
           " frames lost to a down node)\n",
           s->dropped, s->frames, s->duplicated, s->delayed, s->crashes, s->lost_down);
    if (s->corrupted)
        printf("             %" PRIu64
               " frames damaged in transit (each rejected by its receiver)\n",
               s->corrupted);
    if (s->power_cuts)
        printf("             %" PRIu64 " of the crashes were power cuts; %" PRIu64
               " OKs they made indefinite (possibly committed, possibly lost)\n",
               s->power_cuts, s->indefinite);
    if (s->partitioned || s->lost_inside || s->clock_jumps || s->deferred)
        printf("             %" PRIu64 " frames cut by partitions, %" PRIu64
               " lost inside the broker, %" PRIu64 " clock jumps, %" PRIu64
               " events waited for a busy node (deepest backlog %" PRIu64 ")\n",
               s->partitioned, s->lost_inside, s->clock_jumps, s->deferred, s->backlog_max);
    if (s->disk_faults || s->pauses)
        printf("             %" PRIu64 " disk calls failed by disk faults, %" PRIu64
               " pauses (sim/core/diskf.h)\n",
               s->disk_faults, s->pauses);
}

static void print_summary(const report_run *r, int met, const char *why) {
    const world_stats *s = &r->res->st;
    const checker_result *c = r->check;
    printf("outbox-sim: %s (%s), design %s, seed %" PRIu64 "\n", r->opt->sc->name, r->opt->sc->path,
           r->opt->design, r->opt->seed);
    printf("  workload   %u payments; the client saw %" PRIu64 " ok, %" PRIu64 " failed, %" PRIu64
           " unknown (%" PRIu64 " retries)\n",
           r->opt->sc->workload.payments, s->ok, s->failed, s->unknown, s->client_retries);
    print_injected(s);
    if (s->nemesis_faults)
        printf("             %" PRIu64 " of the %" PRIu64
               " faults drawn by the nemesis (each a \"fault\" line in the trace)\n",
               s->nemesis_faults, s->faults);
    for (int i = 0; i < r->opt->sc->nfaults; i++) {
        char idle[256];
        if (expect_fault_idle(&r->opt->sc->faults[i], idle, sizeof idle))
            printf("  warning    %s\n", idle);
    }
    char unread[512];
    if (rundata_unreadable(r, unread, sizeof unread)) printf("  warning    %s\n", unread);
    printf("  outbox     %" PRIu64 " republished by the recovery scan, %" PRIu64
           " redeliveries, %u refunds, %u dead letters, %u alerts\n",
           failpoint_count(r, "payment.scan_after_publish"), kind_count(r, "redeliver"),
           c->refunded, c->dead, c->alerts);
    print_duplicates(r->cause);
    print_reached(r);
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
    print_violations(r);
    const sim_scenario *sc = r->opt->sc;
    if (sc->checks_failed)
        printf("  checks     scenario_checks:BROKEN(%u)\n", sc->checks_failed);
    for (int i = 0; i < sc->nchecks && i < 3; i++)
        printf("    scenario_check: %s (scenario line %d, at %.3f s)\n", sc->checks[i].text,
               sc->checks[i].line, sc->checks[i].t_us / 1e6);
    print_verdict(met, why);
    printf("  files      %s/ (trace.jsonl, summary.json, payment.db, broker.db, accounting.db)\n",
           r->opt->run_dir);
    printf("  report     %s/report.html (open it in a browser)\n", r->opt->run_dir);
    print_reproduce(r);
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
    assert(r->code != OX_EXIT_OK);
    assert(r->err != NULL);
    json_w w;
    json_w_init_grow(&w, JSON_SPACED);
    write_head(&w, r, "error", r->err);
    json_w_break(&w, 2);
    json_w_key(&w, "virtual_seconds");
    json_w_obj(&w);
    json_w_ktime(&w, "stopped_at", r->res->stopped_us);
    json_w_obj_end(&w);
    write_file(&w, r, r->code);   /* best effort: the run's own error is the one to tell */
    json_w_free(&w);
}

ox_exit report_finish(const report_run *r) {
    char err[1024];
    assert(r->code == OX_EXIT_OK);
    assert(r->check != NULL);
    assert(r->cause != NULL);
    if (cause_build(r, r->cause, err, sizeof err) != 0) {
        fprintf(stderr, "outbox-sim: cannot tell the causes: %s\n", err);
        return OX_EXIT_HARNESS;
    }
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
    if (!r->quiet) {
        print_summary(r, r->met, r->why);
    } else if (!r->met) {
        /* Quiet is for scripts and pools: a failure still says what broke and how to see it. */
        print_verdict(r->met, r->why);
        print_reproduce(r);
    }
    fflush(stdout);
    return r->met ? OX_EXIT_OK : OX_EXIT_FAIL;
}
