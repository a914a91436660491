/*
** cmd_run.c: `outbox-sim run SCENARIO [--seed N] [--design NAME] [--out DIR] [--quiet]
** [--narrate]`: one scenario, one seed, one directory of results.
*/
#include <inttypes.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../lib/config.h"
#include "cmd.h"
#include "../core/proc.h"
#include "../scenario/scenario.h"
#include "../core/world.h"
#include "../report/html.h"
#include "../report/narrate.h"

static void on_signal(int sig) {
    (void)sig;
    sim_interrupted = 1;
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
                return 2;
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

int cmd_run(int argc, char **argv) {
    run_opts o = { 0 };
    int rc = parse_run(argc, argv, &o);
    if (rc < 0) return 0;   /* --help */
    if (rc) return rc;
    char err[1024];
    sim_scenario *sc = scenario_load(o.scenario, o.seed, err, sizeof err);
    if (!sc) { fprintf(stderr, "outbox-sim: %s\n", err); return 2; }
    static sim_world w;   /* large; one per process */
    memset(&w, 0, sizeof w);
    char node_bin[1100];
    if (find_node_bin(node_bin, sizeof node_bin) != 0) {
        fprintf(stderr,
                "outbox-sim: cannot find an executable outbox-node at %s (build with make, or set "
                "OUTBOX_NODE)\n",
                node_bin);
        scenario_free(sc);
        return 3;
    }
    w.sc = sc;
    w.seed = o.seed;
    w.design = o.design ? o.design : sc->design;
    w.node_bin = node_bin;
    w.quiet = o.quiet;
    w.narrate = o.narrate;
    w.nfollow = o.follow.nfollow;
    memcpy(w.follow, o.follow.follow, sizeof w.follow);
    snprintf(w.run_dir, sizeof w.run_dir, "%s/%s/%llu", o.out, sc->slug, o.seed);
    snprintf(w.command, sizeof w.command, "%s run %s --seed %llu%s%s", argv[0], o.scenario, o.seed,
             o.design ? " --design " : "", o.design ? o.design : "");
    if (w.narrate) narrate_attach(&w);
    install_signals();
    int code = world_run(&w);
    if (code >= 2)
        fprintf(stderr, "outbox-sim: %s: %s\n", code == 2 ? "scenario error" : "harness error",
                w.err);
    scenario_free(sc);
    return code;
}
