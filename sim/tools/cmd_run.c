/*
** cmd_run.c: `outbox-sim run SCENARIO [--seed N] [--design NAME] [--out DIR] [--quiet]
** [--narrate]`: one scenario, one seed, one directory of results.
**
** The steps of a run, each its layer's: load the scenario (sim/scenario), run it
** (world_run, sim/core), judge the databases (checker_run) and weigh the expectations
** (expect_met, sim/check), then write summary.json and report.html (sim/report).
*/
#include <inttypes.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../lib/config.h"
#include "../../proto/exit.h"
#include "cmd.h"
#include "../check/checker.h"
#include "../check/expect.h"
#include "../core/proc.h"
#include "../core/world.h"
#include "../report/html.h"
#include "../report/narrate.h"
#include "../report/report.h"
#include "../scenario/scenario.h"
#include "../util/lock.h"

static void on_signal(int sig) {
    (void)sig;
    proc_interrupted = 1;
}

/* No SA_RESTART: a signal must interrupt the poll for a child's reply. */
static void install_signals(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGQUIT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

/* bin/outbox-node beside this binary, unless OUTBOX_NODE says otherwise. */
static int find_node_bin(char *out, size_t cap) {
    const char *env = getenv("OUTBOX_NODE");
    if (env && *env) { snprintf(out, cap, "%s", env); return access(out, X_OK); }
    char self[1024];
    snprintf(self, sizeof self, "%s", cmd_self());
    snprintf(out, cap, "%s/outbox-node", dirname(self));
    return access(out, X_OK);
}

typedef struct {
    const char *scenario, *design, *out;
    unsigned long long seed;
    int quiet, narrate;
    html_opts follow;
} run_opts;

static int parse_run(int argc, char **argv, run_opts *o) {
    int seen_seed = 0;
    o->seed = 1;
    o->out = "reports/runs";
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        int has_value = i + 1 < argc;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            printf("usage: outbox-sim run SCENARIO [--seed N] [--design NAME] [--out DIR] "
                   "[--quiet] [--narrate]\n"
                   "                        [--follow IDS]\n"
                   "(outbox-sim --help for every command; scenarios/README.md for the scenario "
                   "API)\n");
            return -1;
        } else if (!strcmp(a, "--seed")) {
            if (seen_seed++) return cmd_usage_error("--seed given twice%s", "");
            if (!has_value || cmd_parse_u64(argv[i + 1], &o->seed) != 0)
                return cmd_usage_error("--seed: expected an unsigned 64-bit integer, got '%s'",
                                       has_value ? argv[i + 1] : "");
            i++;
        } else if (!strcmp(a, "--design")) {
            ox_design d;
            if (!has_value)
                return cmd_usage_error("--design: expected a design name (%s)", ox_design_names());
            if (ox_design_parse(argv[i + 1], &d) != 0) {
                fprintf(stderr, "outbox-sim: --design: unknown design '%s' (designs: %s)\n",
                        has_value ? argv[i + 1] : "", ox_design_names());
                return OX_EXIT_USAGE;
            }
            o->design = argv[++i];
        } else if (!strcmp(a, "--out")) {
            if (!has_value || !*argv[i + 1])
                return cmd_usage_error("--out: expected a directory%s", "");
            o->out = argv[++i];
        } else if (!strcmp(a, "--quiet")) {
            o->quiet = 1;
        } else if (!strcmp(a, "--narrate")) {
            o->narrate = 1;
        } else if (!strcmp(a, "--follow")) {
            char err[256];
            if (!has_value || html_parse_follow(argv[i + 1], &o->follow, err, sizeof err) != 0)
                return cmd_usage_error(
                    "%s", has_value ? err : "--follow: expected payment ids, e.g. --follow 17,25");
            i++;
        } else if (a[0] == '-') {
            return cmd_usage_error("unknown flag '%s'", a);
        } else if (!o->scenario) {
            o->scenario = a;
        } else {
            return cmd_usage_error("run takes one scenario; unexpected '%s'", a);
        }
    }
    if (!o->scenario) return cmd_usage_error("run: missing SCENARIO%s", "");
    return 0;
}

/* Judges the finished run's databases against the client's history (checker.h). */
static int judge(const world_opts *w, const world_result *res, checker_result *out, char *err,
                 size_t cap) {
    char pdb[600], adb[600], tpath[600];
    snprintf(pdb, sizeof pdb, "%s/payment.db", w->run_dir);
    snprintf(adb, sizeof adb, "%s/accounting.db", w->run_dir);
    snprintf(tpath, sizeof tpath, "%s/trace.jsonl", w->run_dir);
    checker_input in = {
        .payment_db = pdb, .accounting_db = adb, .trace_path = tpath,
        .hist = res->hist, .npay = w->sc->workload.payments,
        .design_direct = !strcmp(w->design, "direct"),
        .converged_us = res->converged_us,
    };
    return checker_run(&in, out, err, cap);
}

/* The run is done: judge it, weigh the expectations, and write what it says. */
static ox_exit conclude(report_run *rr, checker_result *check, char *err, size_t cap) {
    if (rr->code == OX_EXIT_OK && judge(rr->opt, rr->res, check, err, cap) != 0) {
        rr->code = OX_EXIT_HARNESS;
        rr->err = err;
    }
    if (rr->code != OX_EXIT_OK) {
        if (rr->res->trace_lines > 0) report_aborted(rr);
        return rr->code;
    }
    rr->check = check;
    rr->met = expect_met(rr->opt->sc, check, rr->why, sizeof rr->why);
    return report_finish(rr);
}

int cmd_run(int argc, char **argv) {
    run_opts o = { 0 };
    int rc = parse_run(argc, argv, &o);
    if (rc < 0) return OX_EXIT_OK;   /* --help */
    if (rc) return rc;
    char err[1024];
    sim_scenario *sc = scenario_load(o.scenario, o.seed, err, sizeof err);
    if (!sc) { fprintf(stderr, "outbox-sim: %s\n", err); return OX_EXIT_USAGE; }
    char node_bin[1100];
    if (find_node_bin(node_bin, sizeof node_bin) != 0) {
        fprintf(stderr,
                "outbox-sim: cannot find an executable outbox-node at %s (build with make, or set "
                "OUTBOX_NODE)\n",
                node_bin);
        scenario_free(sc);
        return OX_EXIT_HARNESS;
    }
    world_opts w = { .sc = sc, .seed = o.seed, .node_bin = node_bin };
    w.design = o.design ? o.design : sc->design;
    snprintf(w.run_dir, sizeof w.run_dir, "%s/%s/%llu", o.out, sc->slug, o.seed);
    int busy = 0, lock = lock_dir(w.run_dir, &busy, err, sizeof err);   /* held to the end */
    if (lock < 0) {
        fprintf(stderr, "outbox-sim: %s\n", err);
        scenario_free(sc);
        return busy ? OX_EXIT_USAGE : OX_EXIT_HARNESS;
    }
    char command[1024];
    snprintf(command, sizeof command, "%s run %s --seed %llu%s%s", argv[0], o.scenario, o.seed,
             o.design ? " --design " : "", o.design ? o.design : "");
    if (o.narrate) narrate_attach(&w);
    install_signals();
    static world_result res;   /* large; one per process */
    static checker_result check;
    report_run rr = { .opt = &w, .res = &res, .command = command, .quiet = o.quiet,
                      .follow = o.follow };
    rr.code = world_run(&w, &res);
    rr.err = res.err;
    ox_exit code = conclude(&rr, &check, err, sizeof err);
    if (code == OX_EXIT_USAGE || code == OX_EXIT_HARNESS)
        fprintf(stderr, "outbox-sim: %s: %s\n",
                code == OX_EXIT_USAGE ? "scenario error" : "harness error", rr.err);
    world_result_free(&res);
    scenario_free(sc);
    lock_release(lock);
    return code;
}
