/*
** cmd_run.c: `outbox-sim run SCENARIO [--seed N] [--design NAME] [--out DIR] [--quiet]
** [--narrate] [--follow IDS] [--pace S]`: one scenario, one seed, one directory of results.
**
** The steps of a run, each its layer's: load the scenario (sim/scenario), run it
** (world_run, sim/core), judge the databases (checker_run) and weigh the expectations
** (expect_met, sim/check), then write summary.json and report.html (sim/report).
*/
#include <assert.h>
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
#include "nodeflag.h"
#include "../check/checker.h"
#include "../check/expect.h"
#include "../check/history.h"
#include "../core/proc.h"
#include "../core/world.h"
#include "../report/html.h"
#include "../report/narrate.h"
#include "../report/report.h"
#include "../scenario/scenario.h"
#include "../util/lock.h"
#include "../util/shell.h"

#define RUN_DEFAULT_OUT "reports/runs"

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

typedef struct {
    const char *scenario, *design, *out;
    unsigned long long seed;
    int quiet, narrate;
    int out_given;            /* --out: the caller lays the directory out */
    double pace;              /* --pace: wall seconds per virtual second, 0 none */
    html_opts follow;
} run_opts;

/* The run's directory: OUT/<slug>/<seed>.  In the default OUT, reports/runs, which every
** run a user types shares, a run under a design not the scenario's own goes to
** <slug>@<design>/<seed>, so that trying a weak design never replaces the scenario's own
** run of that seed.  An OUT given with --out is the caller's to lay out (sweep, matrix,
** explore and the classroom each give their own), so it keeps <slug>/<seed>.  Returns
** the length snprintf wanted (>= the buffer's size: too long). */
static size_t run_dir(world_opts *w, const run_opts *o) {
    int own = o->out_given || !strcmp(w->design, w->sc->design);
    int n = snprintf(w->run_dir, sizeof w->run_dir, "%s/%s%s%s/%llu",
                     o->out_given ? o->out : RUN_DEFAULT_OUT, w->sc->slug, own ? "" : "@",
                     own ? "" : w->design, o->seed);
    assert(n > 0);
    return (size_t)n;
}

/* bin/outbox-node beside this binary: what every role not named by --node runs. */
static int find_node_bin(char *out, size_t cap) {
    char self[1024];
    snprintf(self, sizeof self, "%s", cmd_self());
    snprintf(out, cap, "%s/outbox-node", dirname(self));
    return access(out, X_OK);
}

/* The command that reproduces the run (sim/util/shell.h: quoted, --node named). */
static void reproduce_line(char *out, size_t cap, const char *argv0, const run_opts *o) {
    char seed[32];
    snprintf(seed, sizeof seed, "%llu", o->seed);
    const char *words[7 + NODEFLAG_WORDS] = { argv0, "run", o->scenario, "--seed", seed,
                                              o->design ? "--design" : NULL, o->design };
    size_t n = 7;
    nodeflag_words(words, &n, sizeof words / sizeof words[0]);
    shell_command(out, cap, words, n);
}

static const char run_help[] =
    "usage: outbox-sim run SCENARIO [--seed N] [--design NAME] [--out DIR] [--quiet] [--narrate]\n"
    "                      [--follow IDS] [--pace S]\n"
    "  SCENARIO        a Lua scenario file (scenarios/README.md says how to write one)\n"
    "  --seed N        the seed every random choice derives from (default 1)\n"
    "  --design NAME   run under this design instead of the scenario's own\n"
    "  --out DIR       write DIR/<scenario>/<seed>/ (default: reports/runs/<scenario>/<seed>/,\n"
    "                  or reports/runs/<scenario>@<design>/<seed>/ under another design)\n"
    "  --quiet         print no summary; on FAIL only the verdict and the reproduce line\n"
    "  --narrate       tell the run on stderr as it happens, then the story of each broken\n"
    "                  payment\n"
    "  --follow IDS    the payments report.html's chart follows and --narrate tells (17,25)\n"
    "  --pace S        with --narrate on a terminal: S wall seconds per virtual second\n"
    "  --node ROLE=COMMAND  run COMMAND (an executable speaking docs/protocol.md) as ROLE\n"
    "                  (payment, broker, accounting, relay) instead of bin/outbox-node;\n"
    "                  json:COMMAND for one speaking the text encoding; repeatable\n"
    "                  (the reproduce line and summary.json's \"nodes\" say so)\n"
    "environment: NO_COLOR=1 turns the narration's colour off\n"
    "exit: 0 expectations met, 1 not met, 2 bad usage or scenario, 3 harness failure\n";

static int parse_run(int argc, char **argv, run_opts *o) {
    int seen_seed = 0;
    o->seed = 1;
    o->out = RUN_DEFAULT_OUT;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        int has_value = i + 1 < argc;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(run_help, stdout);
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
            o->out_given = 1;
        } else if (!strcmp(a, "--quiet")) {
            o->quiet = 1;
        } else if (!strcmp(a, "--narrate")) {
            o->narrate = 1;
        } else if (!strcmp(a, "--pace")) {
            char *end = NULL;
            double v = has_value ? strtod(argv[i + 1], &end) : -1;
            if (!has_value || end == argv[i + 1] || *end || !(v > 0) || v > 60)
                return cmd_usage_error("--pace: expected wall seconds per virtual second, "
                                       "more than 0 and at most 60, got '%s'",
                                       has_value ? argv[i + 1] : "");
            o->pace = v;
            i++;
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
    if (o->pace > 0 && !o->narrate) return cmd_usage_error("--pace paces --narrate%s", "");
    return 0;
}

/* Judges the finished run's databases against the client's history (checker.h). */
static int judge(const world_opts *w, const world_result *res, checker_result *out, char *err,
                 size_t cap) {
    char pdb[600], adb[600], tpath[600];
    snprintf(pdb, sizeof pdb, "%s/payment.db", w->run_dir);
    snprintf(adb, sizeof adb, "%s/accounting.db", w->run_dir);
    snprintf(tpath, sizeof tpath, "%s/trace.jsonl", w->run_dir);
    /* The history checks judge against the knobs the services ran with (node_args). */
    static history_conf hc;
    const char *knobs[SIM_MAX_KNOBS];
    for (int i = 0; i < w->sc->nknobs; i++) knobs[i] = w->sc->knobs[i];
    if (history_conf_make(&hc, w->design, knobs, w->sc->nknobs, SIM_FROZEN_ACCOUNT,
                          w->sc->workload.payments, err, cap) != 0)
        return -1;
    checker_input in = {
        .payment_db = pdb, .accounting_db = adb, .trace_path = tpath,
        .hist = res->hist, .npay = w->sc->workload.payments,
        .design_direct = !strcmp(w->design, "direct"),
        .converged_us = res->converged_us,
        .history = &hc,
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
    static reached_counts reached;
    char tpath[600];
    snprintf(tpath, sizeof tpath, "%s/trace.jsonl", rr->opt->run_dir);
    if (reached_scan(tpath, rr->opt->sc->workload.payments, &reached, err, cap) != 0) {
        rr->code = OX_EXIT_HARNESS;
        rr->err = err;
        report_aborted(rr);
        return rr->code;
    }
    rr->reached = &reached;
    rr->met = expect_met(rr->opt->sc, check, rr->why, sizeof rr->why);
    if (rr->met) rr->met = expect_reached(rr->opt->sc, &reached, rr->why, sizeof rr->why);
    const sim_scenario *sc = rr->opt->sc;
    if (rr->met && sc->checks_failed > 0) {
        /* The scenario's own check() failed: cited like a broken invariant (exit 1). */
        assert(sc->nchecks > 0);
        rr->met = 0;
        snprintf(rr->why, sizeof rr->why, "scenario_check broken: %s (scenario line %d, at %.3f s)",
                 sc->checks[0].text, sc->checks[0].line, sc->checks[0].t_us / 1e6);
    }
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
    char node_bin[1100];   /* its directory also holds the simulated disk for --node (diskpre.h) */
    int no_node = find_node_bin(node_bin, sizeof node_bin) != 0;
    if (nodeflag_count() < OX_ROLE_COUNT && no_node) {
        fprintf(stderr,
                "outbox-sim: cannot find an executable outbox-node at %s (build with make, or "
                "name every role's implementation with --node)\n",
                node_bin);
        scenario_free(sc);
        return OX_EXIT_HARNESS;
    }
    world_opts w = { .sc = sc, .seed = o.seed, .node_bin = node_bin,
                     .node_cmds = nodeflag_table() };
    w.design = o.design ? o.design : sc->design;
    if (run_dir(&w, &o) >= sizeof w.run_dir) {
        fprintf(stderr, "outbox-sim: --out %s: the run's directory name is too long\n", o.out);
        scenario_free(sc);
        return OX_EXIT_USAGE;
    }
    int busy = 0, lock = lock_dir(w.run_dir, &busy, err, sizeof err);   /* held to the end */
    if (lock < 0) {
        fprintf(stderr, "outbox-sim: %s\n", err);
        scenario_free(sc);
        return busy ? OX_EXIT_USAGE : OX_EXIT_HARNESS;
    }
    static char command[4096];
    reproduce_line(command, sizeof command, argv[0], &o);
    narrate_opts no = { .follow = o.follow, .pace = o.pace };
    if (o.narrate) narrate_attach(&w, &no);
    install_signals();
    static world_result res;   /* large; one per process */
    static checker_result check;
    static cause_result cause;
    report_run rr = { .opt = &w, .res = &res, .command = command, .quiet = o.quiet,
                      .follow = o.follow,
                      .cause = &cause };
    rr.code = world_run(&w, &res);
    rr.err = res.err;
    ox_exit code = conclude(&rr, &check, err, sizeof err);
    if (o.narrate && rr.check) narrate_story(&rr);
    if (code == OX_EXIT_USAGE || code == OX_EXIT_HARNESS)
        fprintf(stderr, "outbox-sim: %s: %s\n",
                code == OX_EXIT_USAGE ? "scenario error" : "harness error", rr.err);
    world_result_free(&res);
    scenario_free(sc);
    lock_release(lock);
    return code;
}
