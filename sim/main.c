/*
** main.c: bin/outbox-sim, the command line of the simulator.
**
**   outbox-sim run SCENARIO [--seed N] [--design NAME] [--out DIR] [--quiet]
**   outbox-sim failpoints
**
** Exit codes (DESIGN.md §6): 0 expectations met; 1 an invariant broke, or an expected
** break did not happen; 2 bad usage or a bad scenario; 3 the harness itself failed.
*/
#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/config.h"
#include "../lib/service.h"
#include "proc.h"
#include "scenario.h"
#include "world.h"

static const char usage[] =
    "usage: outbox-sim run SCENARIO [--seed N] [--design NAME] [--out DIR] [--quiet]\n"
    "       outbox-sim failpoints\n"
    "\n"
    "run         run one scenario (a Lua file, see scenarios/README.md) with one seed\n"
    "            (default 1); writes DIR/<scenario>/<seed>/ (default DIR reports/runs)\n"
    "  --design  run this design instead of the scenario's (" "see lib/config.h)\n"
    "  --quiet   no summary on stdout\n"
    "failpoints  list the named crash points the services define\n"
    "\n"
    "exit codes: 0 expectations met, 1 invariant broken or expected break missing,\n"
    "            2 bad usage or bad scenario, 3 harness failure\n";

static void on_signal(int sig) {
    (void)sig;
    sim_interrupted = 1;
}

static void install_signals(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

static int usage_error(const char *fmt, const char *arg) {
    fprintf(stderr, "outbox-sim: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n(outbox-sim --help for usage)\n");
    return 2;
}

static int parse_u64(const char *s, uint64_t *out) {
    if (!s || !*s || *s == '-' || *s == '+') return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end) return -1;
    *out = v;
    return 0;
}

/* bin/outbox-node beside this binary, unless OUTBOX_NODE says otherwise. */
static int find_node_bin(char *out, size_t cap) {
    const char *env = getenv("OUTBOX_NODE");
    if (env && *env) { snprintf(out, cap, "%s", env); return access(out, X_OK); }
    char self[512];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) return -1;
    self[n] = '\0';
    snprintf(out, cap, "%s/outbox-node", dirname(self));
    return access(out, X_OK);
}

static int cmd_failpoints(void) {
    for (const char *const *fp = ox_service_failpoints(); *fp; fp++) printf("%s\n", *fp);
    return 0;
}

typedef struct {
    const char *scenario, *design, *out;
    uint64_t seed;
    int quiet;
} run_opts;

static int parse_run(int argc, char **argv, run_opts *o) {
    o->seed = 1;
    o->out = "reports/runs";
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        int has_value = i + 1 < argc;
        if (!strcmp(a, "--seed")) {
            if (!has_value || parse_u64(argv[i + 1], &o->seed) != 0)
                return usage_error("--seed: expected an unsigned 64-bit integer, got '%s'", has_value ? argv[i + 1] : "");
            i++;
        } else if (!strcmp(a, "--design")) {
            ox_design d;
            if (!has_value || ox_design_parse(argv[i + 1], &d) != 0) {
                fprintf(stderr, "outbox-sim: --design: unknown design '%s' (designs: %s)\n", has_value ? argv[i + 1] : "", ox_design_names());
                return 2;
            }
            o->design = argv[++i];
        } else if (!strcmp(a, "--out")) {
            if (!has_value || !*argv[i + 1]) return usage_error("--out: expected a directory%s", "");
            o->out = argv[++i];
        } else if (!strcmp(a, "--quiet")) {
            o->quiet = 1;
        } else if (a[0] == '-') {
            return usage_error("unknown flag '%s'", a);
        } else if (!o->scenario) {
            o->scenario = a;
        } else {
            return usage_error("run takes one scenario; unexpected '%s'", a);
        }
    }
    if (!o->scenario) return usage_error("run: missing SCENARIO%s", "");
    return 0;
}

static int cmd_run(int argc, char **argv) {
    run_opts o = { 0 };
    int rc = parse_run(argc, argv, &o);
    if (rc) return rc;
    char err[1024];
    sim_scenario *sc = scenario_load(o.scenario, o.seed, err, sizeof err);
    if (!sc) { fprintf(stderr, "outbox-sim: %s\n", err); return 2; }
    static sim_world w;   /* large; one per process */
    memset(&w, 0, sizeof w);
    char node_bin[600];
    if (find_node_bin(node_bin, sizeof node_bin) != 0) {
        fprintf(stderr, "outbox-sim: cannot find an executable outbox-node at %s (build with make, or set OUTBOX_NODE)\n", node_bin);
        scenario_free(sc);
        return 3;
    }
    w.sc = sc;
    w.seed = o.seed;
    w.design = o.design ? o.design : sc->design;
    w.node_bin = node_bin;
    w.quiet = o.quiet;
    snprintf(w.run_dir, sizeof w.run_dir, "%s/%s/%" PRIu64, o.out, sc->slug, o.seed);
    snprintf(w.command, sizeof w.command, "%s run %s --seed %" PRIu64 "%s%s", argv[0], o.scenario, o.seed,
             o.design ? " --design " : "", o.design ? o.design : "");
    install_signals();
    int code = world_run(&w);
    if (code >= 2) fprintf(stderr, "outbox-sim: %s: %s\n", code == 2 ? "scenario error" : "harness error", w.err);
    scenario_free(sc);
    return code;
}

int main(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "run")) return cmd_run(argc, argv);
    if (!strcmp(argv[1], "failpoints")) return argc == 2 ? cmd_failpoints() : usage_error("failpoints takes no arguments%s", "");
    return usage_error("unknown command '%s' (run, failpoints)", argv[1]);
}
